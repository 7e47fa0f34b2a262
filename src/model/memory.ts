import type { LayerTable } from './layerTable.ts';

/**
 * How much GPU memory a training step needs, from the layer table alone, and whether its
 * largest single buffer fits the adapter's per-buffer limits. An estimate: TF.js may hold a few
 * more temporaries, but the largest tensor is exact.
 */

export const FLOAT32_BYTES = 4;

export interface BufferEstimate {
  /** e.g. "conv1's output" or "fc1's weights". */
  name: string;
  bytes: number;
  /** Bytes per image for batch-dependent buffers, null for weights. */
  bytesPerImage: number | null;
}

export interface MemoryEstimate {
  largestBuffer: BufferEstimate;
  /** Weights and their gradients, activations and their gradients, and the input batch. */
  totalBytes: number;
  weightBytes: number;
  activationBytes: number;
}

export interface GpuBufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

export interface LayerCost {
  /** This layer's output for the whole batch, float32. */
  activationBytes: number;
  /** Weights and biases, float32. */
  weightBytes: number;
}

/** Per-row memory of a layer table (same order as table.rows) for a batch of `batchSize`. */
export function layerCosts(table: LayerTable, batchSize: number): LayerCost[] {
  return table.rows.map((row) => ({
    activationBytes: product(row.outputShape) * FLOAT32_BYTES * batchSize,
    weightBytes: row.parameters * FLOAT32_BYTES,
  }));
}

/** table: the layer table for imageSize; batch of `batchSize` one-channel images. */
export function estimateTrainingMemory(
  table: LayerTable,
  imageSize: number,
  batchSize: number,
): MemoryEstimate {
  const inputPerImage = imageSize * imageSize * FLOAT32_BYTES;
  const buffers: BufferEstimate[] = [
    { name: 'the resized input', bytes: inputPerImage * batchSize, bytesPerImage: inputPerImage },
  ];
  const costs = layerCosts(table, batchSize);
  table.rows.forEach((row, index) => {
    const { activationBytes, weightBytes } = costs[index];
    buffers.push({
      name: `${row.name}'s output`,
      bytes: activationBytes,
      bytesPerImage: activationBytes / batchSize,
    });
    if (weightBytes > 0) {
      // The kernel is the big one; the bias is one value per output channel or unit.
      const biasCount = row.outputShape[0] ?? 0;
      buffers.push({
        name: `${row.name}'s weights`,
        bytes: weightBytes - biasCount * FLOAT32_BYTES,
        bytesPerImage: null,
      });
    }
  });
  const largestBuffer = buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const weightBytes = costs.reduce((sum, cost) => sum + cost.weightBytes, 0);
  const activationBytes = costs.reduce((sum, cost) => sum + cost.activationBytes, 0);
  return {
    largestBuffer,
    weightBytes,
    activationBytes,
    totalBytes: 2 * weightBytes + 2 * activationBytes + inputPerImage * batchSize,
  };
}

export function formatMegabytes(bytes: number): string {
  return `${Math.round(bytes / 1e6).toLocaleString('en-US')} MB`;
}

/**
 * Null when the largest buffer fits; otherwise a sentence with the numbers and what would fit.
 */
export function gpuFitProblem(
  estimate: MemoryEstimate,
  limits: GpuBufferLimits,
  batchSize: number,
  imageSize: number,
): string | null {
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const { largestBuffer } = estimate;
  if (largestBuffer.bytes <= limit) return null;
  const what =
    `${largestBuffer.name} at batch ${batchSize} and ${imageSize} px is ` +
    `${formatMegabytes(largestBuffer.bytes)}; this GPU allows ${formatMegabytes(limit)} per buffer.`;
  if (largestBuffer.bytesPerImage === null) {
    return `${what} A smaller width makes it fit.`;
  }
  const fittingBatch = Math.floor(limit / largestBuffer.bytesPerImage);
  return fittingBatch >= 1
    ? `${what} Batch size ${fittingBatch} or less fits.`
    : `${what} Even one image does not fit: choose a smaller image size or width.`;
}
