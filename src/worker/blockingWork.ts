/**
 * TF.js's CPU backend runs every op to its end synchronously, so a training step holds the
 * worker's thread for as long as it takes (minutes for the book's network) and no heartbeat ping
 * is answered meanwhile. Before each such stretch the worker announces how long it expects to be
 * busy (a blockingWork message); the client waits that long before calling it hung.
 */

/**
 * A conservative rate for TF.js's CPU backend in Chromium, in useful FLOPs a second, used until
 * the run has measured its own: on a shared two-core machine, training steps at 224 px ran at
 * 84 MFLOP/s in the worker (width 0.25, batch 2) and 115–122 MFLOP/s in `npm run bench` (width
 * 0.25 batch 4; the book's network, batch 1: 45–53 s a step). Half the slowest.
 */
export const CPU_FLOPS_PER_SECOND = 40e6;
/** Announced times are this many times the estimate: a busy machine can be that much slower. */
export const BLOCKING_TIME_FACTOR = 3;

/** A training step's useful FLOPs: forward and a backward pass of twice its cost, 2 a multiply-add. */
export function trainingFlops(multiplyAddsPerImage: number, images: number): number {
  return 3 * 2 * multiplyAddsPerImage * images;
}

/** A forward pass's useful FLOPs (validation, predictions). */
export function forwardFlops(multiplyAddsPerImage: number, images: number): number {
  return 2 * multiplyAddsPerImage * images;
}

/**
 * How long to announce for work of `flops`: at the slowest rate this run has measured, or at
 * CPU_FLOPS_PER_SECOND before it has measured one, times BLOCKING_TIME_FACTOR.
 */
export function expectedBlockingMs(flops: number, measuredFlopsPerSecond: number | null): number {
  const rate = measuredFlopsPerSecond ?? CPU_FLOPS_PER_SECOND;
  return Math.ceil((flops / rate) * 1000 * BLOCKING_TIME_FACTOR);
}

/**
 * Runs the model's work, announcing each stretch first when the backend computes synchronously
 * (`announce` given), and measures the rate it ran at for the next announcement. Without
 * `announce` (the GPU backends, which compute asynchronously) it only runs the work.
 */
export class BlockingWork {
  /** The slowest rate measured so far: a loaded machine must not make the next stretch look hung. */
  private slowestFlopsPerSecond: number | null = null;

  constructor(
    private readonly multiplyAddsPerImage: number,
    private readonly announce: ((expectedMs: number) => void) | null,
  ) {}

  /** A training step (or a trial step without the update) on `images` images. */
  training<T>(images: number, work: () => T): T {
    return this.run(trainingFlops(this.multiplyAddsPerImage, images), work);
  }

  /** A forward pass on `images` images. */
  forward<T>(images: number, work: () => T): T {
    return this.run(forwardFlops(this.multiplyAddsPerImage, images), work);
  }

  /**
   * Runs `work`, whose computing happens before it returns (an async function computes until
   * its first await: on the CPU backend, all of it).
   */
  private run<T>(flops: number, work: () => T): T {
    if (this.announce === null) return work();
    this.announce(expectedBlockingMs(flops, this.slowestFlopsPerSecond));
    const startedAt = performance.now();
    const result = work();
    const seconds = (performance.now() - startedAt) / 1000;
    if (seconds > 0 && flops > 0) {
      const rate = flops / seconds;
      this.slowestFlopsPerSecond = Math.min(rate, this.slowestFlopsPerSecond ?? rate);
    }
    return result;
  }
}
