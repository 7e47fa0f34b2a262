import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  draftFromSettings,
  parseNumericSetting,
  type SettingsDraft,
} from '../config/settings.ts';
import { validateDraft, validateSettings } from './settingsCheck.ts';

// Moved from config/settings.test.ts with the validator, which needs the network's layer table.

const defaults = (): SettingsDraft => draftFromSettings({ ...DEFAULT_SETTINGS });

describe('settings', () => {
  it('defaults are the book’s and valid', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      learningRate: 0.01,
      dropout: 0.5,
      batchSize: 128,
      epochs: 10,
      imageSize: 224,
      width: 1,
      trainExamples: 60_000,
      testExamples: 10_000,
      backend: 'webgpu',
    });
    expect(validateSettings({ ...DEFAULT_SETTINGS })).toEqual({
      ok: true,
      settings: DEFAULT_SETTINGS,
    });
  });

  it.each([
    ['learningRate', '', /Learning rate is empty/],
    ['learningRate', 'abc', /"abc" is not a number/],
    ['learningRate', 'NaN', /"NaN" is not a number/],
    ['learningRate', 'Infinity', /"Infinity" is not a number/],
    ['learningRate', '0x10', /"0x10" is not a number/],
    ['learningRate', '0', /0 is too small; allowed: a number greater than 0/],
    ['learningRate', '-0.1', /-0.1 is too small/],
    ['learningRate', '1e400', /not a finite number/],
    [
      'dropout',
      '1',
      /Dropout 1 is too large; allowed: a number from 0 up to, but not including, 1/,
    ],
    ['dropout', '-0.1', /too small/],
    ['batchSize', '0', /Batch size 0 is too small/],
    ['batchSize', '12.5', /must be a whole number, not 12.5/],
    ['batchSize', '99999', /too large/],
    ['epochs', '0', /Epochs 0 is too small/],
    ['imageSize', '2000', /Image size 2000 is too large/],
    ['width', '0', /Width 0 is too small/],
    ['trainExamples', '60001', /too large; allowed: a whole number from 1 to 60000/],
    ['testExamples', '0', /too small/],
  ] as const)('%s = "%s" is refused with what is allowed', (key, value, message) => {
    const result = validateDraft({ ...defaults(), [key]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[key]).toMatch(message);
  });

  it('accepts exponents and surrounding spaces', () => {
    expect(parseNumericSetting('learningRate', ' 1e-3 ')).toEqual({ ok: true, value: 0.001 });
    expect(parseNumericSetting('batchSize', '6.4e1')).toEqual({ ok: true, value: 64 });
  });

  it('refuses a batch larger than the training subset', () => {
    const result = validateDraft({ ...defaults(), trainExamples: '100', batchSize: '128' });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.batchSize).toMatch(/larger than the 100 training examples/);
  });

  it('refuses an image too small for the network, naming the layer', () => {
    const result = validateDraft({ ...defaults(), imageSize: '64' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.imageSize).toMatch(/vanishes at pool3.*at least 65 px/);
    expect(validateDraft({ ...defaults(), imageSize: '65' }).ok).toBe(true);
  });

  it('takes the kernels choice and refuses an unknown one', () => {
    expect(validateDraft({ ...defaults(), kernels: 'stock' }).ok).toBe(true);
    const result = validateDraft({ ...defaults(), kernels: 'fast' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.kernels).toMatch(/allowed: auto, optimized, stock/);
  });

  it('refuses an unknown backend', () => {
    const result = validateDraft({ ...defaults(), backend: 'cuda' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.backend).toMatch(/unknown; allowed: webgpu, webgl, cpu/);
  });
});
