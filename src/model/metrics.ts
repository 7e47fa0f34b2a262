/** Classification metrics computed from labels on the host (pure, no tfjs). */

/**
 * Counts per (true class, predicted class): element [t * numClasses + p]. Length numClasses².
 */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): Int32Array {
  if (trueLabels.length !== predicted.length) {
    throw new RangeError(`${trueLabels.length} labels but ${predicted.length} predictions`);
  }
  const counts = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < trueLabels.length; i++) counts[trueLabels[i] * numClasses + predicted[i]]++;
  return counts;
}

/** Fraction of each true class predicted correctly; NaN for a class with no examples. */
export function perClassAccuracy(confusion: Int32Array, numClasses: number): number[] {
  return Array.from({ length: numClasses }, (_, t) => {
    let total = 0;
    for (let p = 0; p < numClasses; p++) total += confusion[t * numClasses + p];
    return total === 0 ? NaN : confusion[t * numClasses + t] / total;
  });
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
