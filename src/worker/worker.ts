import {
  DEFAULT_SETTINGS,
  parseNumericSetting,
  type BackendName,
  type Settings,
} from '../config/settings.ts';
import { trainingMemoryOf, validateSettings } from '../model/settingsCheck.ts';
import { gpuFitProblem } from '../model/memory.ts';
import {
  APP_DATA_PATH,
  loadFashionMnist,
  type Dataset,
  type DataSourceKind,
} from '../data/fashionMnist.ts';
import type { Split } from '../shared/types.ts';
import { FASHION_MNIST_DATA_ID, parseUploadedData } from '../data/uploadedData.ts';
import { applyKernels, initBackend, needsKernelTrial } from './backend.ts';
import {
  KERNEL_TRIAL_TIMED_STEPS,
  KERNEL_TRIAL_WARMUP_STEPS,
  runKernelTrial,
} from '../model/kernelTrial.ts';
import { kernelTrialKey, type KernelTrialResult } from '../model/kernelDecision.ts';
import type * as tf from '@tensorflow/tfjs';
import type { BackendReport, DataChoice, FromWorker, ModelTask, ToWorker } from './protocol.ts';
import { RunControl } from './runControl.ts';
import {
  exportModel,
  readWeights,
  restoredModel,
  runTraining,
  validateModel,
  type EpochState,
} from './trainingLoop.ts';
import {
  deleteCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  savedModelKey,
  type Checkpoint,
} from '../storage/checkpointStore.ts';
import { storageErrorMessage } from '../storage/idb.ts';
import { probeStepTime } from '../model/speedProbe.ts';
import { QUICK_RUNGS } from '../model/deviceFit.ts';
import { timingOf } from '../model/speed.ts';

/**
 * The worker entry: a thin adapter from messages to the training loop. It owns tfjs, the
 * dataset (kept after the first load) and at most one run.
 */

/** The part of DedicatedWorkerGlobalScope used here (the app's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  location: { origin: string };
  addEventListener(
    type: 'unhandledrejection',
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

const scope = self as unknown as WorkerScope;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/**
 * On TF.js's CPU backend every op computes synchronously, so the worker cannot answer the
 * heartbeat during a step: it says beforehand how long it expects to be busy.
 */
function blockingAnnouncer(report: BackendReport): ((expectedMs: number) => void) | undefined {
  if (report.backend !== 'cpu') return undefined;
  return (expectedMs) => post({ type: 'blockingWork', expectedMs });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let backend: Promise<BackendReport> | null = null;
let backendName: BackendName | null = null;
let dataset: Promise<Dataset> | null = null;

/** The data a run trains on: Fashion-MNIST or the person's files, with DataSetInfo's id. */
interface HeldData {
  id: string;
  train: Split;
  test: Split;
  source: DataSourceKind | 'upload';
  sourceDescription: string;
}
/** The person's own files once checked; null while the choice is Fashion-MNIST. */
let uploadedData: Promise<HeldData | null> = Promise.resolve(null);
let activeRun: RunControl | null = null;
let activeRunId: number | null = null;

/**
 * The model of the last run, when it ended done: kept so that it can be saved or downloaded
 * without a checkpoint. Disposed when the next run starts, so memory stays flat across runs.
 */
let held: { key: string; model: tf.LayersModel; state: Omit<EpochState, 'weights'> } | null = null;
/**
 * Kernel trials by network shape (kernelTrialKey), for this worker's GPU: a run of a shape
 * already timed uses that result. A new worker (a new device) times again.
 */
const kernelTrials = new Map<string, KernelTrialResult>();

/**
 * Kernels 'auto' on a real GPU: the kernel set a trial chose for this run's network, timing
 * both first if no earlier run of its shape did. Null when no trial applies; 'stopped' when the
 * person stopped it or the GPU failed during it.
 */
async function kernelTrialChoice(
  runId: number,
  settings: Settings,
  report: BackendReport,
  sourceImageSize: number,
  control: RunControl,
): Promise<KernelTrialResult | null | 'stopped'> {
  if (!needsKernelTrial(settings.kernels, report)) return null;
  const key = kernelTrialKey(settings);
  const earlier = kernelTrials.get(key);
  if (earlier !== undefined) {
    post({ type: 'kernelTrialDone', runId, trial: earlier, fromEarlierRun: true });
    return earlier;
  }
  post({
    type: 'kernelTrialStarted',
    runId,
    stepsPerKernel: KERNEL_TRIAL_WARMUP_STEPS + KERNEL_TRIAL_TIMED_STEPS,
  });
  const trial = await runKernelTrial(settings, {
    sourceImageSize,
    shouldStop: () => control.stopping,
  });
  if (trial === null || control.failure !== null) return 'stopped';
  kernelTrials.set(key, trial);
  post({ type: 'kernelTrialDone', runId, trial, fromEarlierRun: false });
  return trial;
}

/**
 * The speed probe (speedProbe.ts): as soon as a backend is up and no run wants the worker, time a
 * few steps of Quick's smallest network, so that the page can estimate any run before Train.
 * On a fast GPU (a step under PROBE_SECOND_SHAPE_BELOW_MS) the next rung is timed too, which
 * tells how step time grows with size there. A run asks the probe to end after its current
 * step and waits for it; the shaders it compiled are the ones a small run needs anyway.
 */
const PROBE_SECOND_SHAPE_BELOW_MS = 250;
/** Source images of the probe's synthetic batch: Fashion-MNIST's 28×28. */
const PROBE_SOURCE_IMAGE_SIZE = 28;
let speedProbe: Promise<void> = Promise.resolve();
let speedProbeStopRequested = false;
/** Backends already probed by this worker. */
const probedBackends = new Set<BackendName>();

function startSpeedProbe(report: BackendReport): void {
  if (probedBackends.has(report.backend) || activeRun !== null) return;
  probedBackends.add(report.backend);
  speedProbeStopRequested = false;
  const shapes = QUICK_RUNGS.slice(0, 2).map((scale): Settings => ({
    ...DEFAULT_SETTINGS,
    ...scale,
    backend: report.backend,
  }));
  speedProbe = (async () => {
    for (const [index, settings] of shapes.entries()) {
      applyKernels(settings.kernels, report, null);
      const result = await probeStepTime(settings, {
        sourceImageSize: PROBE_SOURCE_IMAGE_SIZE,
        // One timed step on the CPU backend, where each one blocks the worker.
        timedSteps: report.backend === 'cpu' ? 1 : undefined,
        shouldStop: () => speedProbeStopRequested,
      });
      if (result === null) return;
      post({
        type: 'speedMeasured',
        timing: timingOf(settings, result.msPerStep, 'probe'),
        firstStepExtraMs: Math.max(0, result.warmupMs - result.msPerStep),
      });
      const fast = report.adapter?.isSoftware === false && report.backend === 'webgpu';
      if (index === 0 && !(fast && result.msPerStep < PROBE_SECOND_SHAPE_BELOW_MS)) return;
    }
  })().catch((error: unknown) => {
    // Only the estimate is lost; a run will report the same problem if it has it.
    post({ type: 'workerError', message: `Timing this device failed: ${errorText(error)}` });
  });
}

/** Ends the speed probe after its current step; resolves when it has. */
function stopSpeedProbe(): Promise<void> {
  speedProbeStopRequested = true;
  return speedProbe;
}

/** Model tasks run one after another, and a run starts only after them (it frees `held`). */
let modelWork: Promise<void> = Promise.resolve();

function releaseHeldModel(): void {
  held?.model.dispose();
  held = null;
}

function ensureBackend(requested: BackendName): Promise<BackendReport> {
  if (backend === null || backendName !== requested) {
    backendName = requested;
    backend = initBackend(requested, (message, deviceLost) => {
      activeRun?.fail(message);
      // A lost device takes TF.js's backend with it: the main thread replaces this worker.
      if (deviceLost) post({ type: 'deviceLost', message });
      else if (activeRun === null) post({ type: 'workerError', message });
    }).then((report) => {
      post({ type: 'backend', report });
      return report;
    });
    // A failed start may be retried by the next request.
    backend.catch(() => {
      backend = null;
    });
  }
  return backend;
}

/**
 * Checks the person's files (or goes back to Fashion-MNIST) and answers dataChosen or
 * dataRejected. A run requested meanwhile waits for the check; rejected files leave the previous
 * choice in place.
 */
function chooseData(choice: DataChoice): void {
  if (choice.kind === 'fashion-mnist') {
    uploadedData = Promise.resolve(null);
    post({ type: 'dataChosen', summary: null });
    return;
  }
  const previous = uploadedData;
  const files = choice.files.map((file) => ({
    name: file.name,
    bytes: new Uint8Array(file.bytes),
  }));
  uploadedData = parseUploadedData(files).then(
    ({ summary, train, test }): HeldData => {
      post({ type: 'dataChosen', summary });
      const names = Object.values(summary.files).join(', ');
      return { id: summary.id, train, test, source: 'upload', sourceDescription: `from ${names}` };
    },
    (error: unknown) => {
      post({ type: 'dataRejected', message: errorText(error) });
      return previous;
    },
  );
}

/** The chosen data set, loading Fashion-MNIST on first use. */
async function ensureData(runId: number): Promise<HeldData> {
  const uploaded = await uploadedData;
  if (uploaded !== null) return uploaded;
  const fashion = await ensureDataset(runId);
  return { ...fashion, id: FASHION_MNIST_DATA_ID };
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

function ensureDataset(runId: number): Promise<Dataset> {
  if (dataset === null) {
    const appBaseUrl = new URL(
      `${import.meta.env.BASE_URL}${APP_DATA_PATH.slice(1)}`,
      scope.location.origin,
    ).href;
    dataset = loadFashionMnist({
      appBaseUrl,
      onProgress: (progress) => post({ type: 'dataProgress', runId, progress }),
    });
    dataset.catch(() => {
      dataset = null;
    });
  }
  return dataset;
}

async function train(request: Extract<ToWorker, { type: 'train' }>): Promise<void> {
  const { runId } = request;
  if (activeRun !== null) {
    post({ type: 'runEnded', runId, status: 'failed', message: 'A run is already in progress.' });
    return;
  }
  const control = new RunControl();
  activeRun = control;
  activeRunId = runId;
  try {
    await stopSpeedProbe();
    await modelWork;
    releaseHeldModel();
    // The worker does not trust the main thread: the same rules as the form and the URL.
    const checked = validateSettings(request.settings);
    if (!checked.ok) {
      const message = Object.values(checked.errors).join(' ');
      post({ type: 'runEnded', runId, status: 'failed', message });
      return;
    }
    const report = await ensureBackend(checked.settings.backend);
    // Refuse before the first batch what the GPU cannot hold, rather than fail midway.
    const memory = trainingMemoryOf(checked.settings);
    if (report.adapter !== null && memory !== null) {
      const { batchSize, imageSize } = checked.settings;
      const problem = gpuFitProblem(memory, report.adapter.limits, batchSize, imageSize);
      if (problem !== null) {
        post({ type: 'runEnded', runId, status: 'failed', message: problem });
        return;
      }
    }
    // Loading goes on for the next run if the person stops meanwhile; this run ends at once.
    const data = await Promise.race([ensureData(runId), control.stopped.then(() => null)]);
    if (data === null) {
      post({
        type: 'runEnded',
        runId,
        status: control.failure !== null ? 'failed' : 'stopped',
        message: control.failure ?? 'Stopped while loading the data, before the first batch.',
      });
      return;
    }
    const mismatch = dataMismatch(data, request.dataId);
    if (mismatch !== null) {
      post({ type: 'runEnded', runId, status: 'failed', message: mismatch });
      return;
    }
    post({
      type: 'dataReady',
      runId,
      source: data.source,
      sourceDescription: data.sourceDescription,
      trainExamples: data.train.count,
      testExamples: data.test.count,
    });
    const trial = await kernelTrialChoice(
      runId,
      checked.settings,
      report,
      data.train.imageSize,
      control,
    );
    if (trial === 'stopped') {
      const failed = control.failure !== null;
      post({
        type: 'runEnded',
        runId,
        status: failed ? 'failed' : 'stopped',
        message: control.failure ?? 'Stopped while timing the kernels, before the first batch.',
      });
      return;
    }
    const kernels = applyKernels(checked.settings.kernels, report, trial?.choice ?? null);
    const { checkpointKey, resumeFrom } = request;
    let resume: EpochState | null = null;
    if (resumeFrom !== null) {
      const fromModel = resumeFrom === 'savedModel';
      const key = fromModel ? savedModelKey(checkpointKey) : checkpointKey;
      const checkpoint = await loadCheckpoint(key).catch(() => null);
      if (checkpoint === null) {
        const message =
          `No ${fromModel ? 'saved model' : 'checkpoint'} of this run was found (the browser ` +
          'may have cleared its storage); start it again with Train.';
        post({ type: 'runEnded', runId, status: 'failed', message });
        return;
      }
      const { epochsDone, elapsedMs, learningRate } = checkpoint.meta;
      resume = { epochsDone, elapsedMs, learningRate, weights: checkpoint.weights };
    }
    const outcome = await runTraining({
      runId,
      kernels,
      settings: checked.settings,
      train: data.train,
      test: data.test,
      control,
      emit: post,
      resume,
      announceBlocking: blockingAnnouncer(report),
      saveCheckpoint: async (state) => {
        try {
          await saveCheckpoint({
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
        held = { key: checkpointKey, model, state };
        post({ type: 'modelKept', runId, key: checkpointKey, epochs: state.epochsDone });
      },
    });
    // A finished or diverged run has nothing worth resuming: free the space (a saved model is
    // kept under its own key).
    if (outcome.status === 'done' || outcome.status === 'diverged') {
      await deleteCheckpoint(checkpointKey).catch(() => undefined);
    }
    post({ type: 'runEnded', runId, ...outcome });
  } catch (error) {
    post({ type: 'runEnded', runId, status: 'failed', message: errorText(error) });
  } finally {
    activeRun = null;
    activeRunId = null;
  }
}

/** Loads the model saved for run `key` into its network; throws a message for the person. */
async function loadSavedModel(
  key: string,
  settings: Settings,
): Promise<{ model: tf.LayersModel; epochs: number }> {
  const checkpoint: Checkpoint | null = await loadCheckpoint(savedModelKey(key)).catch(
    (error: unknown) => {
      throw new Error(storageErrorMessage('read the saved model', error), { cause: error });
    },
  );
  if (checkpoint === null) {
    throw new Error('No saved model of this run was found (the browser may have cleared it).');
  }
  const built = restoredModel(settings, checkpoint.weights);
  if (built.model === null) throw new Error(built.problem);
  return { model: built.model, epochs: checkpoint.meta.epochsDone };
}

/** The same rules as a run: valid settings, their backend and kernels. */
async function prepareFor(requested: Settings): Promise<Settings> {
  const checked = validateSettings(requested);
  if (!checked.ok) throw new Error(Object.values(checked.errors).join(' '));
  const report = await ensureBackend(checked.settings.backend);
  const trial = kernelTrials.get(kernelTrialKey(checked.settings));
  applyKernels(checked.settings.kernels, report, trial?.choice ?? null);
  return checked.settings;
}

const NOT_HELD =
  'This run’s model is no longer in memory (another run started, or the page was reloaded). ' +
  'Save a model right after its run ends.';

async function modelTask(key: string, task: ModelTask, request: ToWorker): Promise<void> {
  if (activeRun !== null) throw new Error('A run is training; wait until it ends.');
  await stopSpeedProbe();
  switch (request.type) {
    case 'saveModel': {
      if (held === null || held.key !== key) throw new Error(NOT_HELD);
      const { state, model } = held;
      const weights = await readWeights(model);
      try {
        await saveCheckpoint({
          meta: { ...state, runId: savedModelKey(key), modelOf: key, savedAt: Date.now() },
          weights,
        });
      } catch (error) {
        throw new Error(storageErrorMessage('save the model', error), { cause: error });
      }
      post({ type: 'modelSaved', key, epochs: state.epochsDone });
      return;
    }
    case 'evaluateSavedModel': {
      const settings = await prepareFor(request.settings);
      const report = await ensureBackend(settings.backend);
      const data = await ensureData(0);
      const mismatch = dataMismatch(data, request.dataId);
      if (mismatch !== null) throw new Error(mismatch);
      const { model, epochs } = await loadSavedModel(key, settings);
      try {
        const result = await validateModel(
          model,
          settings,
          data.test,
          new RunControl(),
          blockingAnnouncer(report),
        );
        if (result === null) throw new Error('The evaluation was stopped.');
        post({
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
      if (held !== null && held.key === key) {
        const exported = await exportModel(held.model);
        const epochs = held.state.epochsDone;
        post({ type: 'modelExported', key, epochs, model: exported }, [exported.weightData]);
        return;
      }
      const settings = await prepareFor(request.settings);
      const { model, epochs } = await loadSavedModel(key, settings);
      try {
        const exported = await exportModel(model);
        post({ type: 'modelExported', key, epochs, model: exported }, [exported.weightData]);
      } finally {
        model.dispose();
      }
      return;
    }
    default:
      throw new Error(`${task} is not a model task`);
  }
}

function queueModelTask(key: string, task: ModelTask, request: ToWorker): void {
  const run = () =>
    modelTask(key, task, request).catch((error: unknown) => {
      post({ type: 'modelTaskFailed', key, task, message: errorText(error) });
    });
  modelWork = modelWork.then(run, run);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'initBackend':
      ensureBackend(message.backend).then(startSpeedProbe, (error: unknown) =>
        post({ type: 'workerError', message: errorText(error) }),
      );
      break;
    case 'train':
      void train(message);
      break;
    case 'useData':
      chooseData(message.choice);
      break;
    case 'ping':
      post({ type: 'pong', sentAt: message.sentAt });
      break;
    case 'pause':
      activeRun?.pause();
      break;
    case 'resume':
      activeRun?.resume();
      break;
    case 'stop':
      activeRun?.stop();
      break;
    case 'setLearningRate': {
      // The same rule as the form: a bad value from the main thread is refused, not applied.
      const parsed = parseNumericSetting('learningRate', String(message.learningRate));
      if (!parsed.ok) post({ type: 'workerError', message: parsed.message });
      else if (activeRunId === message.runId) activeRun?.setLearningRate(parsed.value);
      break;
    }
    case 'saveModel':
      queueModelTask(message.key, 'save', message);
      break;
    case 'evaluateSavedModel':
      queueModelTask(message.key, 'evaluate', message);
      break;
    case 'exportModel':
      queueModelTask(message.key, 'export', message);
      break;
    default: {
      const unknown: never = message;
      post({ type: 'workerError', message: `Unknown message ${JSON.stringify(unknown)}` });
    }
  }
};

scope.addEventListener('unhandledrejection', (event) => {
  post({ type: 'workerError', message: errorText(event.reason) });
});
