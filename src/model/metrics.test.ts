import { describe, expect, it } from 'vitest';
import { confusionMatrix, median, perClassAccuracy } from './metrics.ts';

describe('confusion matrix', () => {
  it('counts true class by predicted class', () => {
    const confusion = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(Array.from(confusion)).toEqual([1, 1, 0, 0, 1, 0, 1, 0, 2]);
    expect(confusion.reduce((a, b) => a + b, 0)).toBe(6);
    expect(perClassAccuracy(confusion, 3)).toEqual([0.5, 1, 2 / 3]);
  });

  it('marks a class without examples as NaN and refuses mismatched lengths', () => {
    expect(perClassAccuracy(confusionMatrix([0], [1], 2), 2)).toEqual([0, NaN]);
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
