import { describe, expect, it } from 'vitest';
import { largestBatchThatRuns, outOfMemoryMessage } from './outOfMemory.ts';

/** A fake GPU on which a step at `fits` images or fewer runs; records the batches tried. */
function fakeGpu(fits: number) {
  const tried: number[] = [];
  const runsAt = (batchSize: number) => {
    tried.push(batchSize);
    return Promise.resolve(batchSize <= fits);
  };
  return { tried, runsAt };
}

describe('largestBatchThatRuns', () => {
  it('halves the batch until a step runs, and stops there', async () => {
    const gpu = fakeGpu(40);
    expect(await largestBatchThatRuns(128, gpu.runsAt)).toBe(32);
    expect(gpu.tried).toEqual([64, 32]);
  });

  it('rounds down a batch that does not halve evenly', async () => {
    const gpu = fakeGpu(12);
    expect(await largestBatchThatRuns(100, gpu.runsAt)).toBe(12);
    expect(gpu.tried).toEqual([50, 25, 12]);
  });

  it('tries down to batch 1 and gives null when even that does not run', async () => {
    const gpu = fakeGpu(0);
    expect(await largestBatchThatRuns(20, gpu.runsAt)).toBeNull();
    expect(gpu.tried).toEqual([10, 5, 2, 1]);
  });

  it('has nothing to try below a batch of 1', async () => {
    const gpu = fakeGpu(0);
    expect(await largestBatchThatRuns(1, gpu.runsAt)).toBeNull();
    expect(gpu.tried).toEqual([]);
  });
});

describe('outOfMemoryMessage', () => {
  it('says the batch, the estimate and the batch whose trial step ran', () => {
    expect(
      outOfMemoryMessage({
        batchSize: 128,
        imageSize: 224,
        estimateBytes: 1_140_375_120,
        fitting: { batchSize: 32, estimateBytes: 565_682_256 },
      }),
    ).toBe(
      'Out of GPU memory at batch 128: a training step at 224 px needs about 1,140 MB ' +
        '(estimate). A trial step at batch 32 (about 566 MB) ran on this GPU: set the batch ' +
        'size to 32 or less.',
    );
  });

  it('says what to change when even batch 1 ran out', () => {
    expect(
      outOfMemoryMessage({
        batchSize: 4,
        imageSize: 224,
        estimateBytes: 250_000_000,
        fitting: null,
      }),
    ).toBe(
      'Out of GPU memory at batch 4: a training step at 224 px needs about 250 MB (estimate). ' +
        'Even a trial step at batch 1 ran out: choose a smaller image size or width.',
    );
  });
});
