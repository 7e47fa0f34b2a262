import { formatMegabytes } from './memory.ts';

/**
 * What a run says when its first step runs out of GPU memory. The total estimate (memory.ts) is
 * only an estimate and the GPU's free memory is not queryable in WebGPU, so the batch that fits
 * is found by trying: halve the batch and run a trial step, until one runs.
 */

/**
 * The largest of batchSize/2, batchSize/4, …, 1 (halved and rounded down) at which `runsAt`
 * resolves true, trying them in that order and stopping at the first that runs; null when none
 * does. `runsAt` is one trial step at that batch (each in its own error scope); it may resolve
 * false without trying, e.g. once the person has stopped the run.
 */
export async function largestBatchThatRuns(
  batchSize: number,
  runsAt: (batchSize: number) => Promise<boolean>,
): Promise<number | null> {
  for (let batch = Math.floor(batchSize / 2); batch >= 1; batch = Math.floor(batch / 2)) {
    if (await runsAt(batch)) return batch;
  }
  return null;
}

export interface OutOfMemoryReport {
  /** The run's batch, whose first step ran out of memory. */
  batchSize: number;
  imageSize: number;
  /** The estimate of a training step's GPU memory at batchSize (memory.ts); null if none. */
  estimateBytes: number | null;
  /** The largest halved batch whose trial step ran, with its estimate; null when even 1 did not. */
  fitting: { batchSize: number; estimateBytes: number | null } | null;
}

/**
 * "Out of GPU memory at batch 128: a training step at 224 px needs about 1,140 MB (estimate).
 * A trial step at batch 32 (about 300 MB) ran on this GPU: set the batch size to 32 or less."
 */
export function outOfMemoryMessage(report: OutOfMemoryReport): string {
  const { batchSize, imageSize, estimateBytes, fitting } = report;
  const about = (bytes: number | null) =>
    bytes === null ? '' : ` (about ${formatMegabytes(bytes)})`;
  const need =
    estimateBytes === null
      ? ''
      : `: a training step at ${imageSize} px needs about ${formatMegabytes(estimateBytes)} (estimate)`;
  const what = `Out of GPU memory at batch ${batchSize}${need}.`;
  if (fitting === null) {
    return `${what} Even a trial step at batch 1 ran out: choose a smaller image size or width.`;
  }
  return (
    `${what} A trial step at batch ${fitting.batchSize}${about(fitting.estimateBytes)} ran on ` +
    `this GPU: set the batch size to ${fitting.batchSize} or less.`
  );
}
