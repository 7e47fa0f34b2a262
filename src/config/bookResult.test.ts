import { describe, expect, it } from 'vitest';
import { bookResultText, isBookRun } from './bookResult.ts';
import { DEFAULT_SETTINGS } from './settings.ts';

describe('the book’s result', () => {
  it('is the reference only for the book’s settings, whatever the seed, backend or kernels', () => {
    expect(isBookRun(DEFAULT_SETTINGS)).toBe(true);
    expect(isBookRun({ ...DEFAULT_SETTINGS, seed: 3, backend: 'cpu', kernels: 'stock' })).toBe(
      true,
    );
    expect(isBookRun({ ...DEFAULT_SETTINGS, epochs: 4 })).toBe(false);
    expect(isBookRun({ ...DEFAULT_SETTINGS, batchNorm: 'on' })).toBe(false);
  });

  it('quotes d2l’s numbers', () => {
    expect(bookResultText()).toBe(
      'The book reports after 10 epochs at these settings (d2l’s PyTorch build): train loss ' +
        '0.332, train accuracy 87.8%, test accuracy 88.0%.',
    );
  });
});
