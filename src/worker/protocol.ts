import type { BackendName, Settings } from '../config/settings.ts';
import type { DataSourceKind, LoadProgress } from '../data/fashionMnist.ts';
import type { KernelTrialMode, KernelTrialResult } from '../model/kernelDecision.ts';
import type { GpuBufferLimits } from '../model/memory.ts';
import type { KernelVariant } from '../kernels/variants.ts';
import type { StepTiming } from '../model/speed.ts';
import type { UploadedDataSummary } from '../data/uploadedData.ts';
import type { StartupTimings } from './startupTimer.ts';
import type {
  EpochMetrics,
  ExportedModel,
  KernelChoice,
  RunEndStatus,
  SeriesPoint,
} from '../common/types.ts';

/**
 * The only messages that cross the worker boundary, in both directions. Both threads import
 * this module; every switch over these unions is exhaustive. It imports types only, so the main
 * thread loads no TensorFlow.js through it.
 */

/** Main thread → worker. */
export type ToWorker =
  | { type: 'initBackend'; backend: BackendName }
  | {
      type: 'train';
      runId: number;
      settings: Settings;
      /** Where this run's end-of-epoch checkpoints are kept (the history record's id). */
      checkpointKey: string;
      /**
       * Continue instead of starting afresh: from the checkpoint under checkpointKey, or from the
       * model saved for that run (savedModelKey(checkpointKey)), e.g. to train a finished run on.
       */
      resumeFrom: ResumeSource | null;
      /**
       * The data set the run is for (DataSetInfo.id): the worker refuses to train on other data,
       * e.g. to resume a run whose uploaded files were not chosen again after a reload.
       */
      dataId: string;
    }
  /** Train on the person's own IDX files from now on (checked in the worker), or on Fashion-MNIST. */
  | { type: 'useData'; choice: DataChoice }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** The heartbeat: the worker answers with a pong at once, even mid-run. */
  | { type: 'ping'; sentAt: number }
  /** Applies from the next batch of the current run; validated again in the worker. */
  | { type: 'setLearningRate'; runId: number; learningRate: number }
  /** Stores the model the worker holds for run `key` (the last run, if it ended done). */
  | { type: 'saveModel'; key: string }
  /** Rebuilds the network from `settings`, loads the saved model's weights and validates it. */
  | { type: 'evaluateSavedModel'; key: string; settings: Settings; dataId: string }
  /** The model in TF.js's Layers format: the one held for `key`, else the saved one. */
  | { type: 'exportModel'; key: string; settings: Settings };

export type ResumeSource = 'checkpoint' | 'savedModel';

/**
 * Fashion-MNIST, or the four File objects the person chose. The page posts the Files themselves,
 * unread: a File is a handle on immutable data, so structured cloning it copies no bytes, and the
 * worker reads them into its own memory once. The page's memory never holds them, and it can hand
 * the same Files to a replacement worker after a crash (an ArrayBuffer in a transfer list would
 * leave the page with nothing to give it).
 */
export type DataChoice = { kind: 'fashion-mnist' } | { kind: 'uploaded'; files: File[] };

/** What the worker does with a finished run's model. */
export type ModelTask = 'save' | 'evaluate' | 'export';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU emulation of a GPU such as SwiftShader: about a hundred times slower. */
  isSoftware: boolean;
  /**
   * SwiftShader itself, by its name: the adapter our kernels were written and benchmarked on,
   * the only one where they run without a kernel trial (model/kernelDecision.ts).
   */
  isSwiftShader: boolean;
  /** The adapter's per-buffer limits (TF.js requests the device with these). */
  limits: GpuBufferLimits;
}

export interface BackendReport {
  requested: BackendName;
  /** What tfjs actually runs on. */
  backend: BackendName;
  /** The WebGPU adapter, when one was found. */
  adapter: AdapterDescription | null;
  /** Why `backend` differs from `requested`; null when it does not. */
  fallbackReason: string | null;
}

export interface PredictionSamples {
  /** Source images are imageSize×imageSize (28 for Fashion-MNIST). */
  imageSize: number;
  /** count × imageSize² bytes, row-major. */
  pixels: Uint8Array;
  /** True class of each image. */
  labels: Uint8Array;
}

export interface SamplePredictions {
  predicted: Uint8Array;
  confidence: Float32Array;
}

/** conv1's kernel as TF.js stores it: [kernelSize, kernelSize, inputChannels, filterCount]. */
export interface FilterWeights {
  kernelSize: number;
  inputChannels: number;
  filterCount: number;
  /** Transferred. */
  weights: Float32Array;
}

/**
 * What tuning our kernels for a run's op shapes chose (issue #15; worker/kernelTuning.ts): how
 * many shapes, where their choices came from, and how many use each variant.
 */
export interface KernelTuningSummary {
  /** The run's op shapes that our kernels compute. */
  shapes: number;
  /** Shapes timed for this run. */
  tuned: number;
  /** Shapes whose choice was kept from an earlier run or visit on this GPU and browser. */
  fromCache: number;
  /** Shapes per variant; a shape neither tuned nor cached runs 'register'. */
  byVariant: Partial<Record<KernelVariant, number>>;
  /** False when the tuning budget ran out first: the shapes left run 'register' this time. */
  complete: boolean;
  /** Why the choices last only until the page closes (IndexedDB missing or full); else null. */
  cacheProblem: string | null;
}

/** Worker → main thread. */
export type FromWorker =
  | { type: 'backend'; report: BackendReport }
  /**
   * The speed probe timed a training step of one shape on this backend, while no run was asking
   * for the worker (speedProbe.ts). firstStepExtraMs: how much longer its first step took.
   */
  | { type: 'speedMeasured'; timing: StepTiming; firstStepExtraMs: number }
  | { type: 'dataProgress'; runId: number; progress: LoadProgress }
  | {
      type: 'dataReady';
      runId: number;
      sourceDescription: string;
      source: DataSourceKind | 'upload';
      trainExamples: number;
      testExamples: number;
    }
  /**
   * Kernels 'auto' on an adapter that gets a trial: our kernels' variants being timed for the
   * run's op shapes that no earlier run or visit on this GPU tuned (worker/kernelTuning.ts),
   * before the trial. shapesDone of shapesTotal (the shapes to tune); fromCache: shapes whose
   * choice is cached; current: the shape being timed, for people.
   */
  | {
      type: 'kernelTuning';
      runId: number;
      shapesDone: number;
      shapesTotal: number;
      current: string | null;
      fromCache: number;
    }
  /**
   * The variants the run's op shapes use, tuned now or from the cache; fromEarlierRun: an
   * earlier run of the same network on this worker tuned them.
   */
  | {
      type: 'kernelTuningDone';
      runId: number;
      tuning: KernelTuningSummary;
      fromEarlierRun: boolean;
    }
  /**
   * A kernel trial before the run (model/kernelTrial.ts), on any adapter but SwiftShader:
   * 'time' (kernels 'auto') checks ours and times both sets, 'check' ('optimized') only checks.
   */
  | { type: 'kernelTrialStarted'; runId: number; mode: KernelTrialMode; stepsPerKernel: number }
  /** What the trial found; fromEarlierRun: an earlier run of the same shape's trial, reused. */
  | {
      type: 'kernelTrialDone';
      runId: number;
      trial: KernelTrialResult;
      fromEarlierRun: boolean;
    }
  | {
      type: 'runStarted';
      runId: number;
      epochs: number;
      batchesPerEpoch: number;
      trainExamples: number;
      testExamples: number;
      /** The convolution kernels in use on WebGPU; null on other backends. */
      kernels: KernelChoice | null;
      /** The validation images shown with their predictions after each epoch (transferred). */
      samples: PredictionSamples;
      /** Epochs already done when this run resumed from a checkpoint; 0 for a fresh run. */
      resumedFromEpoch: number;
    }
  | {
      type: 'batchMetrics';
      runId: number;
      /**
       * New points only, flattened pairs [epochPosition, meanLoss, …]: epochPosition is the
       * fractional epoch (1.5 = half-way through epoch 2) at the end of each averaging window.
       * Transferred, not copied.
       */
      points: Float64Array;
      batchesDone: number;
      /** Training time so far, pauses excluded. */
      elapsedMs: number;
      /** tf.memory() when the points were posted: live tensors and the bytes they hold. */
      tensorCount: number;
      tensorBytes: number;
    }
  | {
      type: 'epochMetrics';
      runId: number;
      metrics: EpochMetrics;
      /** Validation counts [trueClass * 10 + predictedClass], transferred. */
      confusion: Int32Array;
      /** For each sample image: predicted class and its softmax probability, transferred. */
      predictions: SamplePredictions;
      firstLayerFilters: FilterWeights;
    }
  /** A learning-rate change took effect: it applies from epoch position `x` on. */
  /** Where the time from the train message to the first loss point went (startupTimer.ts). */
  | { type: 'startupTimed'; runId: number; timings: StartupTimings }
  | { type: 'learningRateChanged'; runId: number; x: number; learningRate: number }
  | { type: 'pong'; sentAt: number }
  /**
   * The worker is about to compute synchronously for about expectedMs (TF.js's CPU backend runs
   * each op to its end), unable to answer the heartbeat meanwhile: the client waits that long
   * before calling it hung.
   */
  | { type: 'blockingWork'; expectedMs: number }
  /** The weights after `epoch` are checkpointed: the run can be resumed from there. */
  | { type: 'checkpointSaved'; runId: number; epoch: number }
  /** Training goes on; only resuming from this epoch is lost. */
  | { type: 'checkpointFailed'; runId: number; epoch: number; message: string }
  | { type: 'paused'; runId: number }
  | { type: 'resumed'; runId: number }
  | { type: 'runEnded'; runId: number; status: RunEndStatus; message: string | null }
  | { type: 'workerError'; message: string }
  /** The worker now trains on these uploaded files (null: on Fashion-MNIST). */
  | { type: 'dataChosen'; summary: UploadedDataSummary | null }
  /** The chosen files are unusable; the worker keeps the data it had. */
  | { type: 'dataRejected'; message: string }
  /** The run ended done and the worker keeps its model (until the next run) to save or export. */
  | { type: 'modelKept'; runId: number; key: string; epochs: number }
  | { type: 'modelSaved'; key: string; epochs: number }
  | {
      type: 'savedModelEvaluated';
      key: string;
      epochs: number;
      valLoss: number;
      valAccuracy: number;
    }
  | { type: 'modelExported'; key: string; epochs: number; model: ExportedModel }
  | { type: 'modelTaskFailed'; key: string; task: ModelTask; message: string }
  /** The GPU device is lost; the main thread replaces the worker (and with it TF.js). */
  | { type: 'deviceLost'; message: string }
  /** Made by the client, not the worker: the worker died; the client has started a new one. */
  | { type: 'workerCrashed'; message: string };

/** Pairs [x, y, x, y…] from a batchMetrics message, as chart points. */
export function unpackPoints(points: Float64Array): SeriesPoint[] {
  const result: SeriesPoint[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) result.push({ x: points[i], y: points[i + 1] });
  return result;
}
