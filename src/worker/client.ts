import type { FromWorker, ToWorker } from './protocol.ts';

/**
 * The main thread's typed handle on the training worker. Messages in both directions are the
 * protocol's unions; a crash of the worker itself arrives as a `workerCrashed` event.
 */
export class TrainerClient {
  private readonly worker: Worker;

  constructor(onMessage: (message: FromWorker) => void) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'alexnet-trainer',
    });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      onMessage({ type: 'workerCrashed', message: event.message || 'unknown error' });
    };
    this.worker.onmessageerror = () => {
      onMessage({
        type: 'workerError',
        message: 'A message from the training worker could not be read.',
      });
    };
  }

  send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
