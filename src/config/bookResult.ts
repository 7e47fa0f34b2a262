import { DEFAULT_SETTINGS, SETTING_KEYS, type Settings } from './settings.ts';

/**
 * What the book reports for its own run (d2l-en's PyTorch build, 2021-05: batch 128, lr 0.01,
 * SGD, 10 epochs, 224×224, one V100), shown beside a run at the book's settings as a reference.
 */
export const BOOK_RESULT = {
  epochs: 10,
  trainLoss: 0.332,
  trainAccuracy: 0.878,
  testAccuracy: 0.88,
  source: 'd2l’s PyTorch build',
} as const;

/** Settings that only choose how to run (not what is trained), left out of the comparison. */
const HOW_TO_RUN: readonly (keyof Settings)[] = ['seed', 'backend', 'kernels'];

/** Whether these are the book's settings (seed, backend and kernels aside). */
export function isBookRun(settings: Settings): boolean {
  return SETTING_KEYS.every(
    (key) => HOW_TO_RUN.includes(key) || settings[key] === DEFAULT_SETTINGS[key],
  );
}

/** "The book reports after 10 epochs: train loss 0.332, …". */
export function bookResultText(): string {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  return (
    `The book reports after ${BOOK_RESULT.epochs} epochs at these settings (${BOOK_RESULT.source}): ` +
    `train loss ${BOOK_RESULT.trainLoss}, train accuracy ${percent(BOOK_RESULT.trainAccuracy)}, ` +
    `test accuracy ${percent(BOOK_RESULT.testAccuracy)}.`
  );
}
