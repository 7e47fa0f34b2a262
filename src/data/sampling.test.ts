import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Split } from '../common/types.ts';
import { parseIdxLabels } from './idx.ts';
import {
  batchCount,
  epochOrder,
  gatherBatch,
  mulberry32,
  shuffleInPlace,
  stratifiedSubset,
} from './sampling.ts';

let trainLabels: Uint8Array;
beforeAll(() => {
  const raw = gunzipSync(
    readFileSync('/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz'),
  );
  trainLabels = parseIdxLabels(new Uint8Array(raw), 'train-labels').labels;
});

function perClass(labels: Uint8Array, indices: Uint32Array, numClasses = 10): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const i of indices) counts[labels[i]]++;
  return counts;
}

function isSortedUnique(values: Uint32Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] <= values[i - 1]) return false;
  return true;
}

function isPermutationOf(a: Uint32Array, b: Uint32Array): boolean {
  const x = a.slice().sort();
  const y = b.slice().sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('mulberry32', () => {
  it('is deterministic, seed-dependent and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe('shuffleInPlace', () => {
  it('permutes in place and returns the same array', () => {
    const values = Uint32Array.from({ length: 100 }, (_, i) => i);
    const original = values.slice();
    const result = shuffleInPlace(values, mulberry32(1));
    expect(result).toBe(values);
    expect(isPermutationOf(values, original)).toBe(true);
    expect(Array.from(values)).not.toEqual(Array.from(original));
  });
});

describe('stratifiedSubset', () => {
  it('balances 256 training examples as 26 for classes 0–5 and 25 for 6–9', () => {
    const subset = stratifiedSubset(trainLabels, 256, 7);
    expect(subset.length).toBe(256);
    expect(perClass(trainLabels, subset)).toEqual([26, 26, 26, 26, 26, 26, 25, 25, 25, 25]);
    expect(isSortedUnique(subset)).toBe(true);
    expect(subset.at(-1)).toBeLessThan(60000);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = stratifiedSubset(trainLabels, 1000, 1);
    expect(Array.from(stratifiedSubset(trainLabels, 1000, 1))).toEqual(Array.from(a));
    expect(Array.from(stratifiedSubset(trainLabels, 1000, 2))).not.toEqual(Array.from(a));
  });

  it('keeps the smaller subset inside a larger one with the same seed', () => {
    const small = new Set(stratifiedSubset(trainLabels, 100, 5));
    const large = new Set(stratifiedSubset(trainLabels, 500, 5));
    for (const i of small) expect(large.has(i)).toBe(true);
  });

  it('returns every index when count ≥ the number of examples', () => {
    const labels = new Uint8Array([3, 1, 2]);
    expect(Array.from(stratifiedSubset(labels, 3, 0))).toEqual([0, 1, 2]);
    expect(Array.from(stratifiedSubset(labels, 50, 0))).toEqual([0, 1, 2]);
  });

  it('spills the shortfall of small classes to the others, lowest ids first', () => {
    // Class 0 has 1 example, class 1 has 2, class 2 has 20.
    const labels = new Uint8Array([0, 1, 1, ...new Array<number>(20).fill(2)]);
    const subset = stratifiedSubset(labels, 9, 3, 3);
    expect(perClass(labels, subset, 3)).toEqual([1, 2, 6]);
    expect(isSortedUnique(subset)).toBe(true);
    // Remainder to the lowest ids: 10 over 3 classes -> 4, 3, 3.
    const even = new Uint8Array(Array.from({ length: 30 }, (_, i) => i % 3));
    expect(perClass(even, stratifiedSubset(even, 10, 0, 3), 3)).toEqual([4, 3, 3]);
  });

  it('throws RangeError for a count below 1 or not an integer', () => {
    expect(() => stratifiedSubset(trainLabels, 0, 1)).toThrow(RangeError);
    expect(() => stratifiedSubset(trainLabels, -3, 1)).toThrow(RangeError);
    expect(() => stratifiedSubset(trainLabels, 2.5, 1)).toThrow(RangeError);
    expect(() => stratifiedSubset(trainLabels, Number.NaN, 1)).toThrow(RangeError);
  });
});

describe('epochOrder', () => {
  const indices = stratifiedSubset(
    new Uint8Array(5000).map((_, i) => i % 10),
    1000,
    9,
  );

  it('is a permutation of the indices and leaves the input untouched', () => {
    const before = indices.slice();
    const order = epochOrder(indices, 9, 0);
    expect(order).not.toBe(indices);
    expect(isPermutationOf(order, indices)).toBe(true);
    expect(Array.from(indices)).toEqual(Array.from(before));
  });

  it('is identical for the same (seed, epoch) and differs across epochs and seeds', () => {
    const e0 = Array.from(epochOrder(indices, 9, 0));
    expect(Array.from(epochOrder(indices, 9, 0))).toEqual(e0);
    expect(Array.from(epochOrder(indices, 9, 1))).not.toEqual(e0);
    expect(Array.from(epochOrder(indices, 10, 0))).not.toEqual(e0);
    expect(Array.from(epochOrder(indices, 9, 1))).not.toEqual(
      Array.from(epochOrder(indices, 9, 2)),
    );
  });
});

describe('gatherBatch', () => {
  // 5 images of 2×2; image i has pixels 10i..10i+3 and label 9-i.
  const split: Split = {
    count: 5,
    imageSize: 2,
    pixels: Uint8Array.from({ length: 20 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
    labels: new Uint8Array([9, 8, 7, 6, 5]),
  };
  const order = new Uint32Array([4, 0, 3, 1, 2]);

  it('copies the examples order[start..end)', () => {
    const batch = gatherBatch(split, order, 1, 4);
    expect(batch.size).toBe(3);
    expect(Array.from(batch.labels)).toEqual([9, 6, 8]);
    expect(batch.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(batch.pixels)).toEqual([0, 1, 2, 3, 30, 31, 32, 33, 10, 11, 12, 13]);
    // A copy: writing to it leaves the split alone.
    batch.pixels[0] = 255;
    expect(split.pixels[0]).toBe(0);
  });

  it('handles an empty range and rejects ranges outside the order', () => {
    expect(gatherBatch(split, order, 2, 2).size).toBe(0);
    expect(() => gatherBatch(split, order, 3, 6)).toThrow(RangeError);
    expect(() => gatherBatch(split, order, -1, 2)).toThrow(RangeError);
    expect(() => gatherBatch(split, new Uint32Array([7]), 0, 1)).toThrow(RangeError);
  });
});

describe('batchCount', () => {
  it('rounds up, keeping the last partial batch', () => {
    expect(batchCount(256, 32)).toBe(8);
    expect(batchCount(257, 32)).toBe(9);
    expect(batchCount(10, 64)).toBe(1);
    expect(batchCount(0, 16)).toBe(0);
    expect(() => batchCount(10, 0)).toThrow(RangeError);
  });
});
