/**
 * Deterministic subsets, epoch orders and batches. Pure: the same seed gives the same indices in
 * a worker, on the main thread and in Node tests, so runs are reproducible.
 */

import type { Split } from '../common/types.ts';

/** Mulberry32: a small, fast 32-bit seeded generator. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `values` in place; returns the same array. */
export function shuffleInPlace(values: Uint32Array, random: () => number): Uint32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
  return values;
}

/**
 * Picks `count` example indices, balanced over classes: each class gets floor(count/numClasses),
 * the remainder goes one each to the lowest class ids; a class that has too few examples gives
 * its shortfall to the other classes (lowest ids first). Within a class the examples are chosen by
 * a seeded shuffle, so the same seed gives the same subset, and a larger count with the same seed
 * keeps the smaller subset's examples of each class.
 *
 * Returns a new Uint32Array of min(count, labels.length) distinct indices, sorted ascending.
 * Throws RangeError when count is not an integer ≥ 1 or a label is ≥ numClasses.
 */
export function stratifiedSubset(
  labels: Uint8Array,
  count: number,
  seed: number,
  numClasses = 10,
): Uint32Array {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`subset size must be an integer ≥ 1, got ${count}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be an integer ≥ 1, got ${numClasses}`);
  }
  const n = labels.length;
  if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);

  // Indices of each class, in dataset order.
  const available = new Uint32Array(numClasses);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= numClasses) {
      throw new RangeError(`label ${i} is ${labels[i]}; expected below ${numClasses}`);
    }
    available[labels[i]]++;
  }
  const byClass = Array.from({ length: numClasses }, (_, c) => new Uint32Array(available[c]));
  const filled = new Uint32Array(numClasses);
  for (let i = 0; i < n; i++) byClass[labels[i]][filled[labels[i]]++] = i;

  // Quotas: equal shares, the remainder to the lowest ids, capped by what each class has.
  const take = new Uint32Array(numClasses);
  const base = Math.floor(count / numClasses);
  const remainder = count % numClasses;
  let leftover = 0;
  for (let c = 0; c < numClasses; c++) {
    const want = base + (c < remainder ? 1 : 0);
    take[c] = Math.min(want, available[c]);
    leftover += want - take[c];
  }
  // Spill the shortfall round-robin over classes that still have examples; ends because
  // count < n means enough examples remain somewhere.
  while (leftover > 0) {
    for (let c = 0; c < numClasses && leftover > 0; c++) {
      if (take[c] < available[c]) {
        take[c]++;
        leftover--;
      }
    }
  }

  const result = new Uint32Array(count);
  let offset = 0;
  for (let c = 0; c < numClasses; c++) {
    if (take[c] === 0) continue;
    // Each class has its own stream so its choice does not depend on the other classes' sizes.
    const shuffled = shuffleInPlace(byClass[c], mulberry32(mixSeeds(seed, c)));
    result.set(shuffled.subarray(0, take[c]), offset);
    offset += take[c];
  }
  return result.sort();
}

/**
 * A seeded permutation of `indices` for one epoch: a new array (the input is untouched) that is
 * identical for the same (seed, epoch) and differs between epochs.
 */
export function epochOrder(indices: Uint32Array, seed: number, epoch: number): Uint32Array {
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be an integer ≥ 0, got ${epoch}`);
  }
  // Offset by a constant so epoch e of a run never repeats a class stream of stratifiedSubset.
  return shuffleInPlace(indices.slice(), mulberry32(mixSeeds(seed ^ 0x5bd1e995, epoch)));
}

export interface PixelBatch {
  /** size*imageSize*imageSize grey levels, copied out of the split, example after example. */
  pixels: Uint8Array;
  /** size class ids. */
  labels: Int32Array;
  size: number;
}

/**
 * Copies the examples order[start..end) of `split` into a new batch (size = end − start).
 * Throws RangeError for a range outside `order` or an index outside the split.
 */
export function gatherBatch(
  split: Split,
  order: Uint32Array,
  start: number,
  end: number,
): PixelBatch {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new RangeError(`batch range [${start}, ${end}) is not a valid range`);
  }
  if (end > order.length) {
    throw new RangeError(`batch range [${start}, ${end}) runs past the ${order.length} examples`);
  }
  const size = end - start;
  const pixelsPerImage = split.imageSize * split.imageSize;
  const pixels = new Uint8Array(size * pixelsPerImage);
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const index = order[start + i];
    if (index >= split.count) {
      throw new RangeError(`example index ${index} is outside the split of ${split.count}`);
    }
    const from = index * pixelsPerImage;
    pixels.set(split.pixels.subarray(from, from + pixelsPerImage), i * pixelsPerImage);
    labels[i] = split.labels[index];
  }
  return { pixels, labels, size };
}

/**
 * Number of batches per epoch: ceil(examples / batchSize). The last, partial batch is kept, like
 * PyTorch's DataLoader with drop_last=False.
 */
export function batchCount(examples: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be an integer ≥ 1, got ${batchSize}`);
  }
  if (!Number.isInteger(examples) || examples < 0) {
    throw new RangeError(`example count must be an integer ≥ 0, got ${examples}`);
  }
  return Math.ceil(examples / batchSize);
}

/** Hashes two 32-bit integers into one well-mixed seed (murmur3-style finaliser). */
function mixSeeds(a: number, b: number): number {
  let h =
    Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul((b + 0x632be5ab) >>> 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
