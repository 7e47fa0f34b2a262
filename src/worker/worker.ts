import {
  parseNumericSetting,
  trainingMemoryOf,
  validateSettings,
  type BackendName,
} from '../config/settings.ts';
import { gpuFitProblem } from '../model/memory.ts';
import { APP_DATA_PATH, loadFashionMnist, type Dataset } from '../data/fashionMnist.ts';
import { applyKernels, initBackend } from './backend.ts';
import type { BackendReport, FromWorker, ToWorker } from './protocol.ts';
import { RunControl } from './runControl.ts';
import { runTraining, type EpochState } from './trainingLoop.ts';
import { deleteCheckpoint, loadCheckpoint, saveCheckpoint } from '../storage/checkpointStore.ts';
import { storageErrorMessage } from '../storage/runStore.ts';

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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let backend: Promise<BackendReport> | null = null;
let backendName: BackendName | null = null;
let dataset: Promise<Dataset> | null = null;
let activeRun: RunControl | null = null;
let activeRunId: number | null = null;

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
    const data = await ensureDataset(runId);
    post({
      type: 'dataReady',
      runId,
      source: data.source,
      sourceDescription: data.sourceDescription,
      trainExamples: data.train.count,
      testExamples: data.test.count,
    });
    const kernels = applyKernels(checked.settings.kernels, report);
    const { checkpointKey } = request;
    let resume: EpochState | null = null;
    if (request.resume) {
      const checkpoint = await loadCheckpoint(checkpointKey).catch(() => null);
      if (checkpoint === null) {
        const message =
          'No checkpoint of this run was found (the browser may have cleared its storage); ' +
          'start it again with Train.';
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
    });
    // A finished or diverged run has nothing worth resuming: free the space.
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

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'initBackend':
      ensureBackend(message.backend).catch((error: unknown) =>
        post({ type: 'workerError', message: errorText(error) }),
      );
      break;
    case 'train':
      void train(message);
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
    default: {
      const unknown: never = message;
      post({ type: 'workerError', message: `Unknown message ${JSON.stringify(unknown)}` });
    }
  }
};

scope.addEventListener('unhandledrejection', (event) => {
  post({ type: 'workerError', message: errorText(event.reason) });
});
