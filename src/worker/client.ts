import type { FromWorker, ToWorker } from './protocol.ts';

/** How often the client checks that the worker still answers. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * A worker silent this long is hung: training awaits the GPU asynchronously and yields between
 * batches, so even a slow step leaves it free to answer; only a stuck script cannot. The CPU
 * backend's synchronous steps are announced (a blockingWork message) and get their time on top.
 */
export const HANG_TIMEOUT_MS = 30_000;
/**
 * How long Stop waits for the worker to end the run itself before replacing the worker: a step
 * in progress cannot be interrupted (queued GPU work, or the CPU backend's synchronous ops) and
 * may take minutes, while Stop must answer within 2 s.
 */
export const STOP_TIMEOUT_MS = 1_500;

/**
 * When a worker that has not answered since `unansweredSinceMs` counts as hung: HANG_TIMEOUT_MS
 * after that, or after the end of the synchronous work it announced (`busyUntilMs`), if later.
 */
export function hangDeadlineMs(unansweredSinceMs: number, busyUntilMs: number | null): number {
  return Math.max(unansweredSinceMs, busyUntilMs ?? -Infinity) + HANG_TIMEOUT_MS;
}

/**
 * The main thread's typed handle on the training worker. Messages in both directions are the
 * protocol's unions; a crash of the worker itself arrives as a `workerCrashed` event.
 */
export class TrainerClient {
  private readonly worker: Worker;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  /** When the oldest unanswered ping was sent; null when the worker has spoken since. */
  private unansweredSince: number | null = null;
  /** Until when the worker said it computes without answering (blockingWork); null otherwise. */
  private busyUntil: number | null = null;
  private declaredDead = false;

  constructor(onMessage: (message: FromWorker) => void) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'alexnet-trainer',
    });
    const crashed = (message: string) => {
      if (this.declaredDead) return;
      this.declaredDead = true;
      clearInterval(this.heartbeat);
      onMessage({ type: 'workerCrashed', message });
    };
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      this.unansweredSince = null;
      // Any other message means the announced work has ended.
      this.busyUntil =
        message.type === 'blockingWork' ? performance.now() + message.expectedMs : null;
      if (message.type !== 'pong' && message.type !== 'blockingWork') onMessage(message);
    };
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      crashed(event.message || 'unknown error');
    };
    this.heartbeat = setInterval(() => {
      // Measured from an unanswered ping, not from the last message: timers in a background tab
      // may fire minutes apart, which must not read as a silent worker.
      const now = performance.now();
      if (
        this.unansweredSince !== null &&
        now > hangDeadlineMs(this.unansweredSince, this.busyUntil)
      ) {
        const silentSeconds = Math.round((now - this.unansweredSince) / 1000);
        crashed(`it stopped answering for ${silentSeconds} s`);
        return;
      }
      this.unansweredSince ??= now;
      this.send({ type: 'ping', sentAt: Date.now() });
    }, HEARTBEAT_INTERVAL_MS);
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
    clearInterval(this.heartbeat);
    this.worker.terminate();
  }
}
