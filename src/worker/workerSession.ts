import { parseNumericSetting, type BackendName, type Settings } from '../config/settings.ts';
import { trainingMemoryOf, validateSettings } from '../model/settingsCheck.ts';
import type { Dataset, DataSourceKind, LoadProgress } from '../data/fashionMnist.ts';
import type { KernelChoice, Split } from '../common/types.ts';
import {
  FASHION_MNIST_DATA_ID,
  type ChosenFile,
  type UploadedDataSet,
} from '../data/uploadedData.ts';
import {
  KERNEL_TRIAL_TIMED_STEPS,
  KERNEL_TRIAL_WARMUP_STEPS,
  recordRunOpShapes,
  runKernelTrial,
} from '../model/kernelTrial.ts';
import { setKernelPlan, type KernelVariant } from '../kernels/variants.ts';
import {
  kernelTrialKey,
  reusableTrial,
  type KernelTrialMode,
  type KernelTrialResult,
} from '../model/kernelDecision.ts';
import { gpuFitProblem } from '../model/memory.ts';
import { savedModelKey, type Checkpoint } from '../storage/checkpointStore.ts';
import { storageErrorMessage } from '../storage/idb.ts';
import type * as tf from '@tensorflow/tfjs';
import { applyKernels, kernelTrialModeFor, type DeviceErrorHandler } from './backend.ts';
import { tuneForRun, type KernelTuningCollaborators } from './kernelTuning.ts';
import type {
  AdapterDescription,
  BackendReport,
  DataChoice,
  FromWorker,
  KernelTuningSummary,
  ModelTask,
  ToWorker,
} from './protocol.ts';
import { RunControl } from './runControl.ts';
import { StartupTimer } from './startupTimer.ts';
import {
  exportModel,
  readWeights,
  restoredModel,
  runTraining,
  validateModel,
  type EpochState,
  type RunOutcome,
} from './trainingLoop.ts';

/**
 * Everything the training worker does, as one object whose collaborators are injected: the
 * worker entry (worker.ts) only turns messages into calls on it, and unit tests run it in Node
 * on the CPU backend with fakes. It owns the backend, the data (kept after the first load), at
 * most one run, the model of the last finished run, kernel-trial results and the speed probe.
 *
 * A run: train() → prepareRun() (validation, GPU fit, data, kernel trial, resume) → runTraining
 * (trainingLoop.ts) → runEnded. Model tasks (save, evaluate, export) queue one after another;
 * a run starts only after them.
 */

/** Sends a message to the main thread; typed arrays listed in `transfer` are moved, not copied. */
export type PostToMain = (message: FromWorker, transfer?: Transferable[]) => void;

/** Where checkpoints and saved models are kept (IndexedDB in the app). */
export interface CheckpointStore {
  save(checkpoint: Checkpoint): Promise<void>;
  /** Null when there is none under `key`. */
  load(key: string): Promise<Checkpoint | null>;
  delete(key: string): Promise<void>;
}

/** Where the data comes from. */
export interface DataLoader {
  /** Fashion-MNIST, parsed (from the app's server, the cache or the network in the app). */
  fashionMnist(onProgress: (progress: LoadProgress) => void): Promise<Dataset>;
  /** Reads and checks the person's four IDX files; rejects with a message for the person. */
  uploaded(files: readonly ChosenFile[]): Promise<UploadedDataSet>;
}

/** The TF.js backend. */
export interface BackendStarter {
  /**
   * Starts TF.js on `requested` (or what it falls back to) and reports its name and adapter;
   * GPU errors and device loss later reach `onDeviceError`.
   */
  init(requested: BackendName, onDeviceError: DeviceErrorHandler): Promise<BackendReport>;
}

/**
 * Times the device while the worker is idle, for the page's estimates (SpeedProbeRunner in the
 * app). A run or model task stops it first and waits for the step in flight.
 */
export interface SpeedProbe {
  /** Starts timing `report`'s backend, unless it was timed already. */
  start(report: BackendReport): void;
  /** Ends the probe after its current step; resolves when it has. */
  stop(): Promise<void>;
}

export interface WorkerCollaborators {
  post: PostToMain;
  checkpoints: CheckpointStore;
  data: DataLoader;
  backend: BackendStarter;
  /** Tuning our kernels' variants for a run's op shapes, and the cache of the choices. */
  tuning: KernelTuningCollaborators;
  speedProbe: SpeedProbe;
}

/** The data a run trains on: Fashion-MNIST or the person's files, with DataSetInfo's id. */
interface HeldData {
  id: string;
  train: Split;
  test: Split;
  source: DataSourceKind | 'upload';
  sourceDescription: string;
}

/** What prepareRun made ready for runTraining. */
export interface PreparedRun {
  settings: Settings;
  report: BackendReport;
  data: HeldData;
  /** The convolution kernels registered for the run; null off WebGPU. */
  kernels: KernelChoice | null;
  /** The checkpoint or saved model to continue from; null for a fresh run. */
  resume: EpochState | null;
  /** Timing the run's start, until its first loss point. */
  startup: StartupTimer;
}

type TrainRequest = Extract<ToWorker, { type: 'train' }>;
type ModelTaskRequest = Extract<
  ToWorker,
  { type: 'saveModel' | 'evaluateSavedModel' | 'exportModel' }
>;

const NOT_HELD =
  'This run’s model is no longer in memory (another run started, or the page was reloaded). ' +
  'Save a model right after its run ends.';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The run's data set must be the one held: results on other data would be meaningless. */
function dataMismatch(held: HeldData, wantedId: string): string | null {
  if (held.id === wantedId) return null;
  return wantedId === FASHION_MNIST_DATA_ID
    ? 'This run trains on Fashion-MNIST, but your own files are chosen under Data; go back to ' +
        'Fashion-MNIST first.'
    : 'This run trained on files of your own that are not loaded now; choose the same four ' +
        'files under Data first.';
}

/**
 * What decides whether a run's first step works on this worker: the network and batch
 * (kernelTrialKey), the backend and the kernels registered.
 */
function trainedShapeKey(prepared: PreparedRun): string {
  return [kernelTrialKey(prepared.settings), prepared.report.backend, prepared.kernels].join('|');
}

/** What a run before its first batch was doing with the kernels when it was stopped. */
type StoppedWhile = { stoppedWhile: 'tuning' | 'timing' | 'checking' };

/** How a run that was stopped (or failed) before its first batch ends. */
function endedEarly(control: RunControl, stoppedMessage: string): RunOutcome {
  return control.failure !== null
    ? { status: 'failed', message: control.failure }
    : { status: 'stopped', message: stoppedMessage };
}

export class WorkerSession {
  private readonly post: PostToMain;
  private backendReport: Promise<BackendReport> | null = null;
  private backendName: BackendName | null = null;
  private fashionMnist: Promise<Dataset> | null = null;
  /** The person's own files once checked; null while the choice is Fashion-MNIST. */
  private uploadedData: Promise<HeldData | null> = Promise.resolve(null);
  private activeRun: { runId: number; control: RunControl } | null = null;
  /**
   * The model of the last run, when it ended done: kept so that it can be saved or downloaded
   * without a checkpoint. Disposed when the next run starts, so memory stays flat across runs.
   */
  private held: { key: string; model: tf.LayersModel; state: Omit<EpochState, 'weights'> } | null =
    null;
  /**
   * Kernel trials by network shape (kernelTrialKey), for this worker's GPU: a run of a shape
   * already checked (and, for 'auto', timed) uses that result (reusableTrial). A new worker
   * (a new device) tries again.
   */
  private readonly kernelTrials = new Map<string, KernelTrialResult>();
  /** Network shapes (trainedShapeKey) that trained on this worker: they skip the trial step. */
  private readonly trainedShapes = new Set<string>();
  /** What tuning chose for each network shape whose trial is in kernelTrials. */
  private readonly kernelTunings = new Map<string, KernelTuningSummary>();
  /**
   * Every op shape's variant tuned or read from the cache on this worker (the keys name each
   * shape's whole geometry, so one plan serves every network): what conv.ts builds.
   */
  private kernelPlan: Record<string, KernelVariant> = {};
  private readonly speedProbe: SpeedProbe;
  /** Model tasks run one after another, and a run starts only after them (it frees `held`). */
  private modelWork: Promise<void> = Promise.resolve();

  constructor(private readonly collaborators: WorkerCollaborators) {
    this.post = collaborators.post;
    this.speedProbe = collaborators.speedProbe;
  }

  /** Starts the backend (announcing it), then the speed probe unless a run wants the worker. */
  initBackend(requested: BackendName): Promise<void> {
    return this.ensureBackend(requested).then(
      (report) => {
        if (this.activeRun === null) this.speedProbe.start(report);
      },
      (error: unknown) => this.post({ type: 'workerError', message: errorText(error) }),
    );
  }

  pause(): void {
    this.activeRun?.control.pause();
  }

  resume(): void {
    this.activeRun?.control.resume();
  }

  stop(): void {
    this.activeRun?.control.stop();
  }

  /** The same rule as the form: a bad value from the main thread is refused, not applied. */
  setLearningRate(runId: number, learningRate: number): void {
    const parsed = parseNumericSetting('learningRate', String(learningRate));
    if (!parsed.ok) this.post({ type: 'workerError', message: parsed.message });
    else if (this.activeRun?.runId === runId) this.activeRun.control.setLearningRate(parsed.value);
  }

  /** Whether a run is in progress (from its request until runEnded is posted). */
  get running(): boolean {
    return this.activeRun !== null;
  }

  /**
   * Checks the person's files (or goes back to Fashion-MNIST) and answers dataChosen or
   * dataRejected. A run requested meanwhile waits for the check; rejected files leave the
   * previous choice in place. Resolves when the check is over.
   */
  chooseData(choice: DataChoice): Promise<void> {
    if (choice.kind === 'fashion-mnist') {
      this.uploadedData = Promise.resolve(null);
      this.post({ type: 'dataChosen', summary: null });
      return Promise.resolve();
    }
    const previous = this.uploadedData;
    this.uploadedData = this.collaborators.data.uploaded(choice.files).then(
      ({ summary, train, test }): HeldData => {
        this.post({ type: 'dataChosen', summary });
        const names = Object.values(summary.files).join(', ');
        return {
          id: summary.id,
          train,
          test,
          source: 'upload',
          sourceDescription: `from ${names}`,
        };
      },
      (error: unknown) => {
        this.post({ type: 'dataRejected', message: errorText(error) });
        return previous;
      },
    );
    return this.uploadedData.then(() => undefined);
  }

  /** One run, from the request to runEnded; never throws (a failure is a failed run). */
  async train(request: TrainRequest): Promise<void> {
    const { runId } = request;
    if (this.activeRun !== null) {
      this.post({
        type: 'runEnded',
        runId,
        status: 'failed',
        message: 'A run is already in progress.',
      });
      return;
    }
    const control = new RunControl();
    this.activeRun = { runId, control };
    const startup = new StartupTimer();
    try {
      // The data loads while a speed probe step finishes (its shaders serve this run too).
      const data = this.ensureData();
      data.catch(() => undefined);
      await this.speedProbe.stop();
      await this.modelWork;
      this.releaseHeldModel();
      startup.mark('probeWait');
      const prepared = await this.prepareRun(request, control, data, startup);
      const outcome =
        'status' in prepared ? prepared : await this.runPrepared(request, prepared, control);
      this.post({ type: 'runEnded', runId, ...outcome });
    } catch (error) {
      this.post({ type: 'runEnded', runId, status: 'failed', message: errorText(error) });
    } finally {
      this.activeRun = null;
      this.startProbeWhenIdle();
    }
  }

  /**
   * A run stopped the speed probe; if it stopped it before its first timing, time the device now
   * that the worker is free (the probe runs once per backend, so this is a no-op otherwise).
   */
  private startProbeWhenIdle(): void {
    const backend = this.backendReport;
    if (backend === null) return;
    backend.then(
      (report) => {
        if (this.activeRun === null) this.speedProbe.start(report);
      },
      () => {},
    );
  }

  /**
   * Everything before the first batch: the settings checked again (the worker does not trust the
   * main thread), the backend, whether the GPU can hold the run, the data, the kernel trial and
   * the checkpoint to resume from. An outcome when the run ends here, with the reason.
   */
  async prepareRun(
    request: TrainRequest,
    control: RunControl,
    loading: Promise<HeldData> = this.ensureData(),
    startup: StartupTimer = new StartupTimer(),
  ): Promise<PreparedRun | RunOutcome> {
    const { runId } = request;
    const checked = validateSettings(request.settings);
    if (!checked.ok) return { status: 'failed', message: Object.values(checked.errors).join(' ') };
    const { settings } = checked;
    const report = await this.ensureBackend(settings.backend);
    startup.mark('backend');
    // Refuse before the first batch what the GPU cannot hold, rather than fail midway.
    const memory = trainingMemoryOf(settings);
    if (report.adapter !== null && memory !== null) {
      const { batchSize, imageSize } = settings;
      const problem = gpuFitProblem(memory, report.adapter.limits, batchSize, imageSize);
      if (problem !== null) return { status: 'failed', message: problem };
    }
    // Loading goes on for the next run if the person stops meanwhile; this run ends at once.
    const data = await Promise.race([loading, control.stopped.then(() => null)]);
    if (data === null) {
      return endedEarly(control, 'Stopped while loading the data, before the first batch.');
    }
    startup.mark('data');
    const mismatch = dataMismatch(data, request.dataId);
    if (mismatch !== null) return { status: 'failed', message: mismatch };
    this.post({
      type: 'dataReady',
      runId,
      source: data.source,
      sourceDescription: data.sourceDescription,
      trainExamples: data.train.count,
      testExamples: data.test.count,
    });
    const trialMode = kernelTrialModeFor(settings.kernels, report);
    const trial = await this.kernelTrialChoice(
      runId,
      settings,
      trialMode,
      report.adapter,
      data.train.imageSize,
      control,
    );
    if (trial !== null && 'stoppedWhile' in trial) {
      return endedEarly(
        control,
        `Stopped while ${trial.stoppedWhile} the kernels, before the first batch.`,
      );
    }
    if (trialMode !== null) startup.mark('kernelTrial');
    const kernels = applyKernels(settings.kernels, report, trial?.choice ?? null);
    const resume = await this.resumePoint(request);
    if (typeof resume === 'string') return { status: 'failed', message: resume };
    return { settings, report, data, kernels, resume, startup };
  }

  /** Trains a prepared run, checkpointing each epoch under the request's key. */
  private async runPrepared(
    request: TrainRequest,
    prepared: PreparedRun,
    control: RunControl,
  ): Promise<RunOutcome> {
    const { runId, checkpointKey } = request;
    const { checkpoints } = this.collaborators;
    const outcome = await runTraining({
      runId,
      kernels: prepared.kernels,
      settings: prepared.settings,
      train: prepared.data.train,
      test: prepared.data.test,
      control,
      emit: this.post,
      resume: prepared.resume,
      announceBlocking: this.blockingAnnouncer(prepared.report),
      startup: prepared.startup,
      skipTrialStep: this.trainedShapes.has(trainedShapeKey(prepared)),
      // Past its first batch the shape is known to fit and train here.
      onFirstPoint: () => this.trainedShapes.add(trainedShapeKey(prepared)),
      saveCheckpoint: async (state) => {
        try {
          await checkpoints.save({
            meta: {
              runId: checkpointKey,
              epochsDone: state.epochsDone,
              elapsedMs: state.elapsedMs,
              learningRate: state.learningRate,
              savedAt: Date.now(),
            },
            weights: state.weights,
          });
        } catch (error) {
          throw new Error(storageErrorMessage('save the checkpoint', error), { cause: error });
        }
      },
      keepModel: (model, state) => {
        this.held = { key: checkpointKey, model, state };
        this.post({ type: 'modelKept', runId, key: checkpointKey, epochs: state.epochsDone });
      },
    });
    // A finished or diverged run has nothing worth resuming: free the space (a saved model is
    // kept under its own key).
    if (outcome.status === 'done' || outcome.status === 'diverged') {
      await checkpoints.delete(checkpointKey).catch(() => undefined);
    }
    return outcome;
  }

  /** The state a resumed run continues from; null for a fresh run; a message when missing. */
  private async resumePoint(request: TrainRequest): Promise<EpochState | null | string> {
    const { checkpointKey, resumeFrom } = request;
    if (resumeFrom === null) return null;
    const fromModel = resumeFrom === 'savedModel';
    const key = fromModel ? savedModelKey(checkpointKey) : checkpointKey;
    const checkpoint = await this.collaborators.checkpoints.load(key).catch(() => null);
    if (checkpoint === null) {
      return (
        `No ${fromModel ? 'saved model' : 'checkpoint'} of this run was found (the browser ` +
        'may have cleared its storage); start it again with Train.'
      );
    }
    const { epochsDone, elapsedMs, learningRate } = checkpoint.meta;
    return { epochsDone, elapsedMs, learningRate, weights: checkpoint.weights };
  }

  /**
   * Kernels 'auto' or 'optimized' on any adapter but SwiftShader (`mode`, kernelTrialModeFor):
   * the kernel set a trial chose for this run's network, running one first if no earlier run
   * of its shape did (or, for 'auto', only checked it). Before a trial, our kernels' variants
   * are tuned for the run's op shapes (tuneKernels), so that the trial checks and times ours as
   * this run will use them. Null when no trial applies; stoppedWhile when the person stopped it
   * or the GPU failed during it.
   */
  private async kernelTrialChoice(
    runId: number,
    settings: Settings,
    mode: KernelTrialMode | null,
    adapter: AdapterDescription | null,
    sourceImageSize: number,
    control: RunControl,
  ): Promise<KernelTrialResult | null | StoppedWhile> {
    if (mode === null) return null;
    const key = kernelTrialKey(settings);
    const earlier = reusableTrial(settings.kernels, this.kernelTrials.get(key));
    if (earlier !== null) {
      // The plan already holds this network's shapes: nothing is tuned or read again.
      const tuning = this.kernelTunings.get(key);
      if (tuning !== undefined) {
        this.post({ type: 'kernelTuningDone', runId, tuning, fromEarlierRun: true });
      }
      this.post({ type: 'kernelTrialDone', runId, trial: earlier, fromEarlierRun: true });
      return earlier;
    }
    const tuning =
      adapter === null
        ? null
        : await this.tuneKernels(runId, settings, mode, adapter, sourceImageSize, control);
    if (tuning === 'stopped') return { stoppedWhile: 'tuning' };
    this.post({
      type: 'kernelTrialStarted',
      runId,
      mode,
      // The check round counts as one step of each set.
      stepsPerKernel: mode === 'time' ? KERNEL_TRIAL_WARMUP_STEPS + KERNEL_TRIAL_TIMED_STEPS : 1,
    });
    const trial = await runKernelTrial(settings, {
      sourceImageSize,
      mode,
      shouldStop: () => control.stopping,
    });
    if (trial === null || control.failure !== null) {
      return { stoppedWhile: mode === 'check' ? 'checking' : 'timing' };
    }
    // A timed trial replaces a check of the same shape: it serves both settings.
    this.kernelTrials.set(key, trial);
    if (tuning !== null) this.kernelTunings.set(key, tuning);
    else this.kernelTunings.delete(key);
    this.post({ type: 'kernelTrialDone', runId, trial, fromEarlierRun: false });
    return trial;
  }

  /**
   * Puts in the plan a variant for each op shape of this run's network (kernelTuning.ts): the
   * cached choice for this adapter and browser, else (kernels 'auto') one timed now, posting
   * its progress. What the plan holds for this run, null when there is nothing to say (no
   * shape recorded, or 'optimized' with nothing cached), 'stopped' when stopped meanwhile.
   */
  private async tuneKernels(
    runId: number,
    settings: Settings,
    mode: KernelTrialMode,
    adapter: AdapterDescription,
    sourceImageSize: number,
    control: RunControl,
  ): Promise<KernelTuningSummary | null | 'stopped'> {
    const { tuning } = this.collaborators;
    const shapes = recordRunOpShapes(settings, {
      sourceImageSize,
      record: (step) => tuning.tuner.recordOpShapes(step),
    });
    if (shapes.length === 0) return null;
    const result = await tuneForRun({
      shapes,
      adapter,
      mode,
      collaborators: tuning,
      shouldStop: () => control.stopping,
      onProgress: (progress) => this.post({ type: 'kernelTuning', runId, ...progress }),
    });
    if (result === null || control.failure !== null) return 'stopped';
    this.kernelPlan = { ...this.kernelPlan, ...result.plan };
    setKernelPlan(this.kernelPlan);
    const { summary } = result;
    if (summary.tuned === 0 && summary.fromCache === 0 && mode === 'check') return null;
    this.post({ type: 'kernelTuningDone', runId, tuning: summary, fromEarlierRun: false });
    return summary;
  }

  /**
   * On TF.js's CPU backend every op computes synchronously, so the worker cannot answer the
   * heartbeat during a step: it says beforehand how long it expects to be busy.
   */
  private blockingAnnouncer(report: BackendReport): ((expectedMs: number) => void) | undefined {
    if (report.backend !== 'cpu') return undefined;
    return (expectedMs) => this.post({ type: 'blockingWork', expectedMs });
  }

  private releaseHeldModel(): void {
    this.held?.model.dispose();
    this.held = null;
  }

  private ensureBackend(requested: BackendName): Promise<BackendReport> {
    if (this.backendReport === null || this.backendName !== requested) {
      this.backendName = requested;
      const starting = this.collaborators.backend
        .init(requested, (message, deviceLost) => {
          this.activeRun?.control.fail(message);
          // A lost device takes TF.js's backend with it: the main thread replaces this worker.
          if (deviceLost) this.post({ type: 'deviceLost', message });
          else if (this.activeRun === null) this.post({ type: 'workerError', message });
        })
        .then((report) => {
          this.post({ type: 'backend', report });
          return report;
        });
      this.backendReport = starting;
      // A failed start may be retried by the next request.
      starting.catch(() => {
        if (this.backendReport === starting) this.backendReport = null;
      });
    }
    return this.backendReport;
  }

  /** The chosen data set, loading Fashion-MNIST on first use. */
  private async ensureData(): Promise<HeldData> {
    const uploaded = await this.uploadedData;
    if (uploaded !== null) return uploaded;
    if (this.fashionMnist === null) {
      // Progress belongs to the run waiting for the data, if one is (a prefetch has none).
      const loading = this.collaborators.data.fashionMnist((progress) => {
        const runId = this.activeRun?.runId;
        if (runId !== undefined) this.post({ type: 'dataProgress', runId, progress });
      });
      this.fashionMnist = loading;
      loading.catch(() => {
        if (this.fashionMnist === loading) this.fashionMnist = null;
      });
    }
    const fashion = await this.fashionMnist;
    return { ...fashion, id: FASHION_MNIST_DATA_ID };
  }

  /** Queues a save, evaluate or export of a run's model; a failure is posted as modelTaskFailed. */
  queueModelTask(request: ModelTaskRequest): Promise<void> {
    const task: ModelTask =
      request.type === 'saveModel'
        ? 'save'
        : request.type === 'evaluateSavedModel'
          ? 'evaluate'
          : 'export';
    const run = () =>
      this.modelTask(request).catch((error: unknown) => {
        this.post({ type: 'modelTaskFailed', key: request.key, task, message: errorText(error) });
      });
    this.modelWork = this.modelWork.then(run, run);
    return this.modelWork;
  }

  private async modelTask(request: ModelTaskRequest): Promise<void> {
    if (this.activeRun !== null) throw new Error('A run is training; wait until it ends.');
    await this.speedProbe.stop();
    const { key } = request;
    switch (request.type) {
      case 'saveModel': {
        if (this.held === null || this.held.key !== key) throw new Error(NOT_HELD);
        const { state, model } = this.held;
        const weights = await readWeights(model);
        try {
          await this.collaborators.checkpoints.save({
            meta: { ...state, runId: savedModelKey(key), modelOf: key, savedAt: Date.now() },
            weights,
          });
        } catch (error) {
          throw new Error(storageErrorMessage('save the model', error), { cause: error });
        }
        this.post({ type: 'modelSaved', key, epochs: state.epochsDone });
        return;
      }
      case 'evaluateSavedModel': {
        const settings = await this.prepareFor(request.settings);
        const report = await this.ensureBackend(settings.backend);
        const data = await this.ensureData();
        const mismatch = dataMismatch(data, request.dataId);
        if (mismatch !== null) throw new Error(mismatch);
        const { model, epochs } = await this.loadSavedModel(key, settings);
        try {
          const result = await validateModel(
            model,
            settings,
            data.test,
            new RunControl(),
            this.blockingAnnouncer(report),
          );
          if (result === null) throw new Error('The evaluation was stopped.');
          this.post({
            type: 'savedModelEvaluated',
            key,
            epochs,
            valLoss: result.loss,
            valAccuracy: result.accuracy,
          });
        } finally {
          model.dispose();
        }
        return;
      }
      case 'exportModel': {
        if (this.held !== null && this.held.key === key) {
          const exported = await exportModel(this.held.model);
          const epochs = this.held.state.epochsDone;
          this.post({ type: 'modelExported', key, epochs, model: exported }, [exported.weightData]);
          return;
        }
        const settings = await this.prepareFor(request.settings);
        const { model, epochs } = await this.loadSavedModel(key, settings);
        try {
          const exported = await exportModel(model);
          this.post({ type: 'modelExported', key, epochs, model: exported }, [exported.weightData]);
        } finally {
          model.dispose();
        }
        return;
      }
    }
  }

  /** The same rules as a run: valid settings, their backend and kernels. */
  private async prepareFor(requested: Settings): Promise<Settings> {
    const checked = validateSettings(requested);
    if (!checked.ok) throw new Error(Object.values(checked.errors).join(' '));
    const report = await this.ensureBackend(checked.settings.backend);
    const { kernels } = checked.settings;
    const trial = reusableTrial(kernels, this.kernelTrials.get(kernelTrialKey(checked.settings)));
    applyKernels(kernels, report, trial?.choice ?? null);
    return checked.settings;
  }

  /** Loads the model saved for run `key` into its network; throws a message for the person. */
  private async loadSavedModel(
    key: string,
    settings: Settings,
  ): Promise<{ model: tf.LayersModel; epochs: number }> {
    const checkpoint = await this.collaborators.checkpoints
      .load(savedModelKey(key))
      .catch((error: unknown) => {
        throw new Error(storageErrorMessage('read the saved model', error), { cause: error });
      });
    if (checkpoint === null) {
      throw new Error('No saved model of this run was found (the browser may have cleared it).');
    }
    const built = restoredModel(settings, checkpoint.weights);
    if (built.model === null) throw new Error(built.problem);
    return { model: built.model, epochs: checkpoint.meta.epochsDone };
  }
}
