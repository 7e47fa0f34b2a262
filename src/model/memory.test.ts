import { describe, expect, it } from 'vitest';
import { alexNetLayers } from './architecture.ts';
import { computeLayerTable } from './layerTable.ts';
import { estimateTrainingMemory, gpuFitProblem, layerCosts } from './memory.ts';

function bookTable(imageSize: number, width = 1) {
  const result = computeLayerTable(
    alexNetLayers({ width, dropout: 0.5, numClasses: 10 }),
    imageSize,
  );
  if (!result.ok) throw new Error('valid');
  return result.table;
}

describe('training memory', () => {
  it('gives each layer’s activation and weight memory (book network, 224 px, batch 128)', () => {
    const table = bookTable(224);
    const costs = layerCosts(table, 128);
    expect(costs[0]).toEqual({ activationBytes: 96 * 54 * 54 * 4 * 128, weightBytes: 11_712 * 4 });
    expect(costs[9]).toEqual({ activationBytes: 4096 * 4 * 128, weightBytes: 26_218_496 * 4 });
    expect(costs[1].weightBytes).toBe(0);
    // The dense layers hold most of the parameters, the convolutions do most of the arithmetic.
    const denseParameters = table.rows.slice(9).reduce((sum, row) => sum + row.parameters, 0);
    const convMultiplyAdds = table.rows
      .slice(0, 8)
      .reduce((sum, row) => sum + row.multiplyAddsPerImage, 0);
    expect(denseParameters / table.totalParameters).toBeGreaterThan(0.9);
    expect(convMultiplyAdds / table.totalMultiplyAddsPerImage).toBeGreaterThan(0.9);
  });

  it('finds conv1’s output as the largest buffer at 224 px, batch 256: 96·54·54·4 bytes an image', () => {
    const estimate = estimateTrainingMemory(bookTable(224), 224, 256);
    expect(estimate.largestBuffer).toEqual({
      name: "conv1's output",
      bytes: 96 * 54 * 54 * 4 * 256,
      bytesPerImage: 96 * 54 * 54 * 4,
    });
    expect(estimate.weightBytes).toBe(46_764_746 * 4);
  });

  it('finds fc1’s weights as the largest buffer for small batches', () => {
    const estimate = estimateTrainingMemory(bookTable(224), 224, 8);
    expect(estimate.largestBuffer).toMatchObject({ name: "fc1's weights", bytes: 6400 * 4096 * 4 });
  });

  it('says what is too big, what the GPU allows and which batch fits', () => {
    const estimate = estimateTrainingMemory(bookTable(224), 224, 256);
    const limits = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 256 * 2 ** 20 };
    expect(gpuFitProblem(estimate, limits, 256, 224)).toBe(
      "conv1's output at batch 256 and 224 px is 287 MB; this GPU allows 268 MB per buffer. " +
        'Batch size 239 or less fits.',
    );
    expect(
      gpuFitProblem(estimateTrainingMemory(bookTable(224), 224, 239), limits, 239, 224),
    ).toBeNull();
  });

  it('suggests a smaller width when a weight tensor alone is too big', () => {
    const estimate = estimateTrainingMemory(bookTable(224), 224, 1);
    const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 64 * 2 ** 20 };
    expect(gpuFitProblem(estimate, limits, 1, 224)).toMatch(
      /fc1's weights .* A smaller width makes it fit\./,
    );
  });
});
