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
  let activationBytes = 0;
  let weightBytes = 0;
  for (const row of table.rows) {
    const perImage = product(row.outputShape) * FLOAT32_BYTES;
    activationBytes += perImage * batchSize;
    buffers.push({
      name: `${row.name}'s output`,
      bytes: perImage * batchSize,
      bytesPerImage: perImage,
    });
    if (row.parameters > 0) {
      weightBytes += row.parameters * FLOAT32_BYTES;
      // The kernel is the big one; the bias is one value per output channel or unit.
      const biasCount = row.outputShape[0] ?? 0;
      buffers.push({
        name: `${row.name}'s weights`,
        bytes: (row.parameters - biasCount) * FLOAT32_BYTES,
        bytesPerImage: null,
      });
    }
  }
  const largestBuffer = buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
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
