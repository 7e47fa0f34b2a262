/**
 * Pause / resume / stop for a training loop that runs in the same thread as the message
 * handler. The loop calls `checkpoint()` between batches: it yields to the event loop so
 * control messages are handled, and holds while paused.
 */

/** A macrotask turn without setTimeout's 4 ms clamp (MessageChannel exists in workers and Node). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export class RunControl {
  private stopRequested = false;
  private failureReason: string | null = null;
  private pauseRequested = false;
  private wake: (() => void) | null = null;
  private pendingLearningRate: number | null = null;
  private signalStopped: () => void = () => undefined;
  /** Resolves at stop(): a wait that cannot be interrupted (loading data) is abandoned then. */
  readonly stopped: Promise<void> = new Promise((resolve) => (this.signalStopped = resolve));

  /** Asks for a new learning rate; the loop takes it at its next batch (the latest one wins). */
  setLearningRate(learningRate: number): void {
    this.pendingLearningRate = learningRate;
  }

  /** The learning rate asked for since the last call, or null; taking it clears it. */
  takeLearningRate(): number | null {
    const learningRate = this.pendingLearningRate;
    this.pendingLearningRate = null;
    return learningRate;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Why the run must end as failed (e.g. a GPU error), or null. */
  get failure(): string | null {
    return this.failureReason;
  }

  /** Ends the run at the next checkpoint, as failed; the first reason wins. */
  fail(reason: string): void {
    this.failureReason ??= reason;
    this.stop();
  }

  stop(): void {
    this.stopRequested = true;
    this.signalStopped();
    this.wake?.();
  }

  pause(): void {
    this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.wake?.();
  }

  /**
   * Resolves 'stop' when the run should end, otherwise 'continue'. While paused it calls
   * onPaused once, waits, then calls onResumed; the time spent paused is returned so the
   * caller can leave it out of its timings.
   */
  async checkpoint(
    onPaused: () => void,
    onResumed: () => void,
  ): Promise<{ action: 'continue' | 'stop'; pausedMs: number }> {
    await yieldToEventLoop();
    let pausedMs = 0;
    if (this.pauseRequested && !this.stopRequested) {
      const pausedAt = performance.now();
      onPaused();
      while (this.pauseRequested && !this.stopRequested) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
      pausedMs = performance.now() - pausedAt;
      if (!this.stopRequested) onResumed();
    }
    return { action: this.stopRequested ? 'stop' : 'continue', pausedMs };
  }
}
