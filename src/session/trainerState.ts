import type { Settings } from '../config/settings.ts';
import type { LoadProgress } from '../data/fashionMnist.ts';
import type { LearningRateChange } from '../history/runRecord.ts';
import {
  DEFAULT_UPLOADED_CLASS_NAMES,
  DEFAULT_UPLOADED_DATA_SET_NAME,
  FASHION_MNIST_DATA_ID,
  FASHION_MNIST_INFO,
  validateClassNames,
  validateDataSetName,
  type UploadedDataSummary,
} from '../data/uploadedData.ts';
import type { DataSetInfo, KernelChoice, EpochMetrics, RunEndStatus } from '../common/types.ts';
import type { KernelTrialResult } from '../model/kernelDecision.ts';
import {
  deviceKindOf,
  timingOf,
  withTiming,
  type DeviceSpeed,
  type StepTiming,
} from '../model/speed.ts';
import {
  unpackPoints,
  type BackendReport,
  type FilterWeights,
  type FromWorker,
  type KernelTuningSummary,
  type PredictionSamples,
  type SamplePredictions,
  type ResumeSource,
} from '../worker/protocol.ts';
import { STOP_TIMEOUT_MS } from '../worker/client.ts';
import type { StartupTimings } from '../worker/startupTimer.ts';

/**
 * Everything the page shows about training, as a pure reducer over worker events and the
 * person's requests. No React and no worker here, so it is unit-tested directly.
 */

export const RUN_STATES = [
  'idle',
  'loading data',
  'training',
  'paused',
  'stopped',
  'done',
  'diverged',
  'failed',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export interface ChartPoint {
  x: number;
  y: number;
}

/** Above this many per-batch points, every other one is dropped, keeping charts responsive. */
export const MAX_BATCH_LOSS_POINTS = 2000;

export interface RunView {
  runId: number;
  settings: Settings;
  /** What the run trains on, with the class names its confusion matrix and predictions use. */
  dataSet: DataSetInfo;
  batchesPerEpoch: number | null;
  trainExamples: number | null;
  testExamples: number | null;
  batchesDone: number;
  /** Training time so far, pauses excluded. */
  elapsedMs: number;
  /** Training loss averaged over a few batches; x in (fractional) epochs. */
  batchLoss: ChartPoint[];
  epochMetrics: EpochMetrics[];
  /** Live tensors in the worker: latest, and the range seen during this run; bytes they hold. */
  tensors: { latest: number; min: number; max: number; bytes: number; maxBytes: number } | null;
  /** Training images per second between reports, and tensor megabytes; x in epochs. */
  throughput: ChartPoint[];
  tensorMegabytes: ChartPoint[];
  /** Convolution kernels in use on WebGPU, null elsewhere or before the run starts. */
  kernels: KernelChoice | null;
  /**
   * Kernels 'auto' on a real GPU: both kernel sets timed on it before the run; null when no
   * trial ran (another setting, a software GPU, another backend).
   */
  kernelTrial: KernelTrialView | null;
  /** Where the time from Train to the first loss point went; null until that point. */
  startup: StartupTimings | null;
  /**
   * Kernels 'auto' (or 'optimized' with choices cached) on a real GPU: our kernels' variants
   * tuned for the run's op shapes before the trial; null when none were (worker/kernelTuning.ts).
   */
  kernelTuning: KernelTuningView | null;
  /** Validation images shown with their predictions, and the latest predictions. */
  samples: PredictionSamples | null;
  predictions: SamplePredictions | null;
  /** conv1's filters after the latest epoch. */
  filters: FilterWeights | null;
  /** The latest epoch's validation confusion matrix, row = true class. */
  confusion: Int32Array | null;
  /** The learning rate in force, and each change made during the run. */
  learningRate: number;
  learningRateChanges: LearningRateChange[];
  /** The last epoch whose weights are checkpointed (the run can resume after it), or null. */
  checkpointEpoch: number | null;
  /** Why the last checkpoint could not be saved, or null. */
  checkpointProblem: string | null;
  endStatus: RunEndStatus | null;
  endMessage: string | null;
  /** Pause was clicked and the worker has not paused yet: it does so after the step in progress. */
  pauseRequested: boolean;
}

/** A kernel trial before the run: 'timing' (kernels 'auto') or 'checking' ('optimized'). */
export type KernelTrialView =
  | { status: 'timing'; stepsPerKernel: number }
  | { status: 'checking' }
  | { status: 'done'; result: KernelTrialResult; fromEarlierRun: boolean };

/** Tuning our kernels for the run: in progress, or what the run's shapes use. */
export type KernelTuningView =
  | {
      status: 'tuning';
      shapesDone: number;
      shapesTotal: number;
      current: string | null;
      fromCache: number;
    }
  | { status: 'done'; tuning: KernelTuningSummary; fromEarlierRun: boolean };

/** The data the next run trains on, and the person's names for an uploaded set. */
export interface DataChoiceState {
  /** Files of the person's own that the worker has checked and holds; null: Fashion-MNIST. */
  uploaded: UploadedDataSummary | null;
  /** The names of files being read or checked, or null. */
  checking: string[] | null;
  /** Why the last files chosen were refused, or null. */
  problem: string | null;
  /** The names as typed (validated by dataSetInfoOf). */
  name: string;
  classNames: string[];
}

export interface TrainerState {
  runState: RunState;
  data: DataChoiceState;
  backend: BackendReport | null;
  dataProgress: LoadProgress | null;
  /** Where the data came from, once loaded. */
  dataSource: string | null;
  run: RunView | null;
  /** A problem outside any run (the worker or the backend failed). */
  workerError: string | null;
  /**
   * The run (history record id) whose trained model the worker keeps after it ended done, and
   * its epochs: it can be saved or downloaded until the next run starts.
   */
  heldModel: { key: string; epochs: number } | null;
  /**
   * Training steps timed on the current backend (the worker's speed probe, each run's epochs, a
   * kernel trial), for the estimates; see model/speed.ts.
   */
  speed: { timings: StepTiming[]; firstStepExtraMs: number };
}

/** What a resumed run already has: its history up to the checkpoint it resumes from. */
export interface ResumedHistory {
  epochsDone: number;
  batchLoss: ChartPoint[];
  epochMetrics: EpochMetrics[];
  learningRateChanges: LearningRateChange[];
  learningRate: number;
  elapsedMs: number;
}

/**
 * Where a resumed run continues from: a checkpoint, a saved model (not a checkpoint of this run),
 * or its start, for a run cut short before its first checkpoint (its weights are seeded, so
 * epoch 0 is its initial state).
 */
export type ResumeFrom = ResumeSource | 'start';

export type TrainerAction =
  | {
      type: 'trainRequested';
      runId: number;
      settings: Settings;
      resumed?: ResumedHistory;
      from?: ResumeFrom;
      dataSet: DataSetInfo;
    }
  /** Pause was clicked; the worker pauses after its step in progress. */
  | { type: 'pauseRequested' }
  /**
   * Stop was clicked and the worker did not end run `runId` within STOP_TIMEOUT_MS (a step in
   * progress cannot be interrupted): it was replaced by a new one, and the run ends stopped.
   */
  | { type: 'stopForced'; runId: number }
  /** Files were picked and are being read and sent to the worker. */
  | { type: 'dataFilesChosen'; fileNames: string[] }
  /** The page refused the files before the worker saw them (too big, unreadable). */
  | { type: 'dataFilesRefused'; message: string }
  | { type: 'dataNamesEdited'; name?: string; classNames?: string[] }
  | { type: 'worker'; message: FromWorker };

export const INITIAL_DATA_CHOICE: DataChoiceState = {
  uploaded: null,
  checking: null,
  problem: null,
  name: DEFAULT_UPLOADED_DATA_SET_NAME,
  classNames: [...DEFAULT_UPLOADED_CLASS_NAMES],
};

/** The id of the data set the worker holds now (DataSetInfo.id). */
export function currentDataId(data: DataChoiceState): string {
  return data.uploaded?.id ?? FASHION_MNIST_DATA_ID;
}

/**
 * What a run started now trains on: Fashion-MNIST, or the uploaded set under the person's names.
 * Names that do not validate block training with the validator's message.
 */
export function dataSetInfoOf(
  data: DataChoiceState,
): { ok: true; info: DataSetInfo } | { ok: false; message: string } {
  if (data.uploaded === null) return { ok: true, info: FASHION_MNIST_INFO };
  const name = validateDataSetName(data.name);
  if (!name.ok) return name;
  const classNames = validateClassNames(data.classNames);
  if (!classNames.ok) return classNames;
  return {
    ok: true,
    info: { id: data.uploaded.id, name: name.name, classNames: classNames.names },
  };
}

export const INITIAL_TRAINER_STATE: TrainerState = {
  runState: 'idle',
  data: INITIAL_DATA_CHOICE,
  backend: null,
  dataProgress: null,
  dataSource: null,
  run: null,
  workerError: null,
  heldModel: null,
  speed: { timings: [], firstStepExtraMs: 0 },
};

/** What the page knows of the device's speed; null until the backend has timed a step. */
export function deviceSpeedOf(
  report: BackendReport | null,
  speed: TrainerState['speed'],
): DeviceSpeed | null {
  if (report === null || speed.timings.length === 0) return null;
  return {
    kind: deviceKindOf(report.backend, report.adapter?.isSoftware === true),
    timings: speed.timings,
    firstStepExtraMs: speed.firstStepExtraMs,
  };
}

/** The state with one more step timing of the device (replacing one of the same shape). */
function withSpeedTiming(state: TrainerState, timing: StepTiming): TrainerState {
  return { ...state, speed: { ...state.speed, timings: withTiming(state.speed.timings, timing) } };
}

/** A run's timing from its epochs: training images per second (validation excluded). */
function withRunTiming(state: TrainerState, run: RunView, imagesPerSecond: number): TrainerState {
  if (!(imagesPerSecond > 0)) return state;
  const msPerStep = (run.settings.batchSize / imagesPerSecond) * 1000;
  return withSpeedTiming(state, timingOf(run.settings, msPerStep, 'run'));
}

/**
 * Halves a series by keeping every other point (the last point is always kept). The exported
 * PyTorch script's add_loss_point (model/pytorchExport.template.py) thins its run file's series
 * by the same rule, applied whenever the series passes MAX_BATCH_LOSS_POINTS, so a script's run
 * and a page's run have series of the same kind: a point per LOSS_WINDOW_BATCHES batches
 * (worker/trainingLoop.ts), at most MAX_BATCH_LOSS_POINTS of them.
 */
export function decimate(points: ChartPoint[]): ChartPoint[] {
  const kept = points.filter((_, index) => index % 2 === 1);
  const last = points.at(-1);
  if (last !== undefined && kept.at(-1) !== last) kept.push(last);
  return kept;
}

/**
 * `points` appended to `series` in place; past MAX_BATCH_LOSS_POINTS, a decimated copy. A
 * series array belongs to its run and only ever grows, so appending does not change what an
 * earlier state showed up to its length.
 */
function appended(series: ChartPoint[], points: readonly ChartPoint[]): ChartPoint[] {
  series.push(...points);
  return series.length > MAX_BATCH_LOSS_POINTS ? decimate(series) : series;
}

function updateRun(state: TrainerState, runId: number, update: (run: RunView) => Partial<RunView>) {
  if (state.run === null || state.run.runId !== runId) return state; // a stale run's message
  return { ...state, run: { ...state.run, ...update(state.run) } };
}

/** What a replaced worker takes with it: its backend, the model it held, files it was checking. */
function withoutWorker(state: TrainerState): TrainerState {
  return {
    ...state,
    backend: null,
    heldModel: null,
    // Accepted files go to the new worker again; files still being checked are lost with it.
    data:
      state.data.checking === null
        ? state.data
        : {
            ...state.data,
            checking: null,
            problem: 'The worker was replaced while it checked your files; choose them again.',
          },
  };
}

/** The worker is being replaced: an active run fails with `reason`, keeping its records. */
function replaceWorker(state: TrainerState, reason: string): TrainerState {
  const active = isActive(state.runState);
  return {
    ...withoutWorker(state),
    workerError: active ? null : reason,
    runState: active ? 'failed' : state.runState,
    run:
      active && state.run !== null
        ? {
            ...state.run,
            endStatus: 'failed',
            endMessage: `${reason} What was recorded is kept; click Train to start again.`,
          }
        : state.run,
  };
}

/** Where a run stopped by replacing its worker was, by its last report. */
function forcedStopMessage(run: RunView, runState: RunState): string {
  const seconds = STOP_TIMEOUT_MS / 1000;
  let where: string;
  const trialStatus = run.kernelTrial?.status;
  if ((trialStatus === 'timing' || trialStatus === 'checking') && runState === 'loading data') {
    where = `Stopped while ${trialStatus} the kernels, before the first batch`;
  } else if (run.kernelTuning?.status === 'tuning' && runState === 'loading data') {
    where = 'Stopped while tuning the kernels, before the first batch';
  } else if (run.batchesPerEpoch === null) {
    where = 'Stopped before the first batch';
  } else {
    // The batch that was being trained: the one after the last reported.
    const epoch = Math.floor(run.batchesDone / run.batchesPerEpoch) + 1;
    const batch = (run.batchesDone % run.batchesPerEpoch) + 1;
    where = `Stopped in epoch ${epoch}, batch ${batch}`;
  }
  const resume =
    run.checkpointEpoch === null
      ? 'Resume (under Runs) starts it again from epoch 1.'
      : `Resume (under Runs) continues from the checkpoint after epoch ${run.checkpointEpoch}.`;
  return (
    `${where}: the step in progress did not end within ${seconds} s, so the worker was ended ` +
    `and a new one started. Everything up to the last report is kept. ${resume}`
  );
}

export function trainerReducer(state: TrainerState, action: TrainerAction): TrainerState {
  switch (action.type) {
    case 'dataFilesChosen':
      return { ...state, data: { ...state.data, checking: action.fileNames, problem: null } };
    case 'dataFilesRefused':
      return { ...state, data: { ...state.data, checking: null, problem: action.message } };
    case 'dataNamesEdited':
      return {
        ...state,
        data: {
          ...state.data,
          name: action.name ?? state.data.name,
          classNames: action.classNames ?? state.data.classNames,
        },
      };
    case 'pauseRequested':
      if (state.runState !== 'training' || state.run === null) return state;
      return { ...state, run: { ...state.run, pauseRequested: true } };
    case 'stopForced': {
      const run = state.run;
      if (run === null || run.runId !== action.runId || !isActive(state.runState)) {
        return withoutWorker(state);
      }
      return {
        ...withoutWorker(state),
        runState: 'stopped',
        run: {
          ...run,
          endStatus: 'stopped',
          endMessage: forcedStopMessage(run, state.runState),
          pauseRequested: false,
        },
      };
    }
    default:
      break;
  }
  if (action.type === 'trainRequested') {
    const resumed = action.resumed;
    return {
      ...state,
      runState: 'loading data',
      workerError: null,
      // The worker frees the last run's model when the next one starts.
      heldModel: null,
      run: {
        runId: action.runId,
        settings: action.settings,
        dataSet: action.dataSet,
        batchesPerEpoch: null,
        trainExamples: null,
        testExamples: null,
        batchesDone: 0,
        elapsedMs: resumed?.elapsedMs ?? 0,
        batchLoss: resumed?.batchLoss ?? [],
        epochMetrics: resumed?.epochMetrics ?? [],
        confusion: null,
        kernels: null,
        kernelTrial: null,
        startup: null,
        kernelTuning: null,
        samples: null,
        predictions: null,
        filters: null,
        tensors: null,
        throughput: [],
        tensorMegabytes: [],
        learningRate: resumed?.learningRate ?? action.settings.learningRate,
        learningRateChanges: resumed?.learningRateChanges ?? [],
        // Neither a saved model nor the run's start is a checkpoint of this run.
        checkpointEpoch:
          action.from === 'savedModel' || action.from === 'start'
            ? null
            : (resumed?.epochsDone ?? null),
        checkpointProblem: null,
        endStatus: null,
        endMessage: null,
        pauseRequested: false,
      },
    };
  }
  const message = action.message;
  const isCurrent = 'runId' in message && state.run?.runId === message.runId;
  switch (message.type) {
    case 'backend': {
      // Another backend or adapter runs at another speed: its timings start afresh.
      const previous = state.backend;
      const same =
        previous !== null &&
        previous.backend === message.report.backend &&
        JSON.stringify(previous.adapter) === JSON.stringify(message.report.adapter);
      const speed = same ? state.speed : INITIAL_TRAINER_STATE.speed;
      return { ...state, backend: message.report, workerError: null, speed };
    }
    case 'speedMeasured':
      return {
        ...state,
        speed: {
          timings: withTiming(state.speed.timings, message.timing),
          firstStepExtraMs: message.firstStepExtraMs,
        },
      };
    case 'workerError':
      return {
        ...state,
        workerError: message.message,
        runState:
          state.runState === 'training' ||
          state.runState === 'loading data' ||
          state.runState === 'paused'
            ? 'failed'
            : state.runState,
      };
    case 'workerCrashed':
      return replaceWorker(
        state,
        `The training worker crashed (${message.message}); a new one was started.`,
      );
    case 'deviceLost':
      return replaceWorker(state, `${message.message}. A new worker was started.`);
    case 'dataProgress':
      return isCurrent ? { ...state, dataProgress: message.progress } : state;
    case 'dataReady':
      return isCurrent ? { ...state, dataSource: message.sourceDescription } : state;
    case 'startupTimed':
      return updateRun(state, message.runId, () => ({ startup: message.timings }));
    case 'kernelTuning': {
      const { shapesDone, shapesTotal, current, fromCache } = message;
      return updateRun(state, message.runId, () => ({
        kernelTuning: { status: 'tuning', shapesDone, shapesTotal, current, fromCache },
      }));
    }
    case 'kernelTuningDone':
      return updateRun(state, message.runId, () => ({
        kernelTuning: {
          status: 'done',
          tuning: message.tuning,
          fromEarlierRun: message.fromEarlierRun,
        },
      }));
    case 'kernelTrialStarted':
      return updateRun(state, message.runId, () => ({
        kernelTrial:
          message.mode === 'time'
            ? { status: 'timing', stepsPerKernel: message.stepsPerKernel }
            : { status: 'checking' },
      }));
    case 'kernelTrialDone': {
      if (state.run === null || state.run.runId !== message.runId) return state;
      const { trial } = message;
      const chosenMs =
        trial.choice === 'optimized' ? trial.optimizedMsPerStep : trial.stockMsPerStep;
      // A trial that only checked (or found ours wrong) timed nothing.
      const timed =
        chosenMs === null
          ? state
          : withSpeedTiming(state, timingOf(state.run.settings, chosenMs, 'kernel trial'));
      return updateRun(timed, message.runId, () => ({
        kernels: message.trial.choice,
        kernelTrial: {
          status: 'done',
          result: message.trial,
          fromEarlierRun: message.fromEarlierRun,
        },
      }));
    }
    case 'runStarted':
      if (!isCurrent) return state;
      return {
        ...updateRun(state, message.runId, () => ({
          batchesDone: message.resumedFromEpoch * message.batchesPerEpoch,
          batchesPerEpoch: message.batchesPerEpoch,
          trainExamples: message.trainExamples,
          testExamples: message.testExamples,
          samples: message.samples,
          kernels: message.kernels,
        })),
        runState: 'training',
      };
    case 'batchMetrics':
      // An ended run's series belong to its record now: a late report must not grow them.
      if (!isActive(state.runState)) return state;
      return updateRun(state, message.runId, (run) => {
        // The report holds only the new points: they are appended to the run's series in place
        // (no copy of the whole series per report); the new RunView tells subscribers, and a
        // chart finds its series grown (ui/seriesSync.ts). Decimating makes a new array.
        const batchLoss = appended(run.batchLoss, unpackPoints(message.points));
        const count = message.tensorCount;
        const tensors = {
          latest: count,
          min: Math.min(count, run.tensors?.min ?? count),
          max: Math.max(count, run.tensors?.max ?? count),
          bytes: message.tensorBytes,
          maxBytes: Math.max(message.tensorBytes, run.tensors?.maxBytes ?? 0),
        };
        // Images per second since the previous report (batches × batch size ÷ time).
        const x = batchLoss.at(-1)?.x ?? 0;
        const newBatches = message.batchesDone - run.batchesDone;
        const newMs = message.elapsedMs - run.elapsedMs;
        let throughput = run.throughput;
        if (newBatches > 0 && newMs > 0) {
          const imagesPerSecond = (newBatches * run.settings.batchSize) / (newMs / 1000);
          throughput = appended(run.throughput, [{ x, y: imagesPerSecond }]);
        }
        const tensorMegabytes = appended(run.tensorMegabytes, [
          { x, y: message.tensorBytes / 1e6 },
        ]);
        return {
          throughput,
          tensorMegabytes,
          batchLoss,
          batchesDone: message.batchesDone,
          elapsedMs: message.elapsedMs,
          tensors,
        };
      });
    case 'epochMetrics':
      if (state.run === null || state.run.runId !== message.runId) return state;
      return updateRun(
        withRunTiming(state, state.run, message.metrics.imagesPerSecond),
        message.runId,
        (run) => ({
          epochMetrics: [...run.epochMetrics, message.metrics],
          confusion: message.confusion,
          predictions: message.predictions,
          filters: message.firstLayerFilters,
          elapsedMs: message.metrics.elapsedMs,
        }),
      );
    case 'learningRateChanged':
      return updateRun(state, message.runId, (run) => ({
        learningRate: message.learningRate,
        learningRateChanges: [
          ...run.learningRateChanges,
          { x: message.x, learningRate: message.learningRate },
        ],
      }));
    case 'pong':
    case 'blockingWork':
      return state; // the client's heartbeat; nothing to show
    case 'modelKept':
      return isCurrent
        ? { ...state, heldModel: { key: message.key, epochs: message.epochs } }
        : state;
    case 'modelSaved':
    case 'savedModelEvaluated':
    case 'modelExported':
    case 'modelTaskFailed':
      return state; // the run history's (per run record), see session/store.ts
    case 'checkpointSaved':
      return updateRun(state, message.runId, () => ({
        checkpointEpoch: message.epoch,
        checkpointProblem: null,
      }));
    case 'checkpointFailed':
      return updateRun(state, message.runId, () => ({
        checkpointProblem:
          `Epoch ${message.epoch} could not be checkpointed: ${message.message} ` +
          `Training goes on; the run can only resume from an earlier checkpoint.`,
      }));
    case 'paused':
      return isCurrent
        ? {
            ...updateRun(state, message.runId, () => ({ pauseRequested: false })),
            runState: 'paused',
          }
        : state;
    case 'resumed':
      return isCurrent ? { ...state, runState: 'training' } : state;
    case 'dataChosen': {
      const summary = message.summary;
      // New files start with the default names; the same files again keep the person's.
      const sameFiles = summary !== null && summary.id === state.data.uploaded?.id;
      const names = sameFiles
        ? {}
        : { name: INITIAL_DATA_CHOICE.name, classNames: INITIAL_DATA_CHOICE.classNames };
      return {
        ...state,
        data: { ...state.data, ...names, uploaded: summary, checking: null, problem: null },
      };
    }
    case 'dataRejected':
      return { ...state, data: { ...state.data, checking: null, problem: message.message } };
    case 'runEnded':
      if (!isCurrent) return state;
      return {
        ...updateRun(state, message.runId, () => ({
          endStatus: message.status,
          endMessage: message.message,
          pauseRequested: false,
        })),
        runState: message.status,
      };
    default: {
      const unknown: never = message;
      return unknown;
    }
  }
}

/** Estimated time left, from the average time per batch so far; null before the first batch. */
export function estimatedRemainingMs(run: RunView): number | null {
  if (run.batchesPerEpoch === null || run.batchesDone === 0) return null;
  const totalBatches = run.batchesPerEpoch * run.settings.epochs;
  return (run.elapsedMs / run.batchesDone) * Math.max(0, totalBatches - run.batchesDone);
}

/** The run's measured time per batch (pauses excluded); null before its first reported batch. */
export function timePerBatchMs(run: RunView): number | null {
  return run.batchesDone === 0 ? null : run.elapsedMs / run.batchesDone;
}

export function isActive(runState: RunState): boolean {
  return runState === 'loading data' || runState === 'training' || runState === 'paused';
}
