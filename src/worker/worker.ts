import { appDataUrl, loadFashionMnist } from '../data/fashionMnist.ts';
import { loadUploadedData } from '../data/uploadedData.ts';
import { deleteCheckpoint, loadCheckpoint, saveCheckpoint } from '../storage/checkpointStore.ts';
import { browserOf, openKernelTuningStore } from '../storage/kernelTuningStore.ts';
import { recordOpShapes, tuneKernels } from '../kernels/tuning.ts';
import { deviceFeatures, initBackend } from './backend.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { SpeedProbeRunner } from './speedProbeRunner.ts';
import { WorkerSession } from './workerSession.ts';

/**
 * The worker entry: wires the browser's collaborators (postMessage, IndexedDB checkpoints, the
 * data loader, TF.js's backends, the kernel tuner and its IndexedDB cache, the speed probe) into
 * one WorkerSession and turns each message into a call on it.
 * All state and behaviour live in the session (workerSession.ts).
 */

/** The part of DedicatedWorkerGlobalScope used here (the app's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  location: { href: string };
  addEventListener(
    type: 'unhandledrejection',
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []) =>
  scope.postMessage(message, transfer);
const appBaseUrl = appDataUrl(import.meta.env.BASE_URL, scope.location.href);

const session = new WorkerSession({
  post,
  checkpoints: { save: saveCheckpoint, load: loadCheckpoint, delete: deleteCheckpoint },
  data: {
    fashionMnist: (onProgress) => loadFashionMnist({ appBaseUrl, onProgress }),
    uploaded: loadUploadedData,
  },
  backend: { init: initBackend },
  tuning: {
    tuner: { recordOpShapes, tuneKernels, features: deviceFeatures },
    cache: openKernelTuningStore(self.indexedDB as IDBFactory | undefined),
    browser: browserOf(navigator.userAgent),
  },
  speedProbe: new SpeedProbeRunner(post),
});

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'initBackend':
      void session.initBackend(message.backend);
      break;
    case 'train':
      void session.train(message);
      break;
    case 'useData':
      void session.chooseData(message.choice);
      break;
    case 'ping':
      post({ type: 'pong', sentAt: message.sentAt });
      break;
    case 'pause':
      session.pause();
      break;
    case 'resume':
      session.resume();
      break;
    case 'stop':
      session.stop();
      break;
    case 'setLearningRate':
      session.setLearningRate(message.runId, message.learningRate);
      break;
    case 'saveModel':
    case 'evaluateSavedModel':
    case 'exportModel':
      void session.queueModelTask(message);
      break;
    default: {
      const unknown: never = message;
      post({ type: 'workerError', message: `Unknown message ${JSON.stringify(unknown)}` });
    }
  }
};

scope.addEventListener('unhandledrejection', (event) => {
  const reason: unknown = event.reason;
  post({ type: 'workerError', message: reason instanceof Error ? reason.message : String(reason) });
});
