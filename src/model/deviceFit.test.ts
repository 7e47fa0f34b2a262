import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import { validateSettings } from './settingsCheck.ts';
import {
  describeScale,
  EXERCISE_MIN_TRAIN_EXAMPLES,
  EXERCISE_RUN_BUDGET_MS,
  EXERCISE_RUNGS,
  fitToDevice,
  MIN_FITTED_TRAIN_EXAMPLES,
  QUICK_BUDGET_MS,
  QUICK_RUNGS,
} from './deviceFit.ts';
import { timingOf, type DeviceSpeed } from './speed.ts';

const base: Settings = { ...DEFAULT_SETTINGS, dropout: 0.3, seed: 5 };
const probeShape: Settings = { ...DEFAULT_SETTINGS, ...QUICK_RUNGS[0] };

function speedWithProbe(msPerStep: number, kind: DeviceSpeed['kind']): DeviceSpeed {
  return { kind, timings: [timingOf(probeShape, msPerStep, 'probe')], firstStepExtraMs: 20_000 };
}

describe('fitToDevice', () => {
  it('picks Quick’s first rung on a software GPU at this machine’s speed (0.3 s a step)', () => {
    const fitted = fitToDevice(
      base,
      speedWithProbe(300, 'software GPU'),
      QUICK_BUDGET_MS,
      QUICK_RUNGS,
    )!;
    expect(fitted.rung).toBe(0);
    expect(fitted.shrunk).toBe(false);
    expect(fitted.estimate.totalMs).toBeLessThanOrEqual(QUICK_BUDGET_MS);
    // What the person set that is not about scale stays.
    expect(fitted.settings).toMatchObject({ ...QUICK_RUNGS[0], dropout: 0.3, seed: 5 });
    expect(validateSettings(fitted.settings).ok).toBe(true);
  });

  it('picks larger settings for the same time on a fast GPU', () => {
    const fitted = fitToDevice(base, speedWithProbe(5, 'GPU'), QUICK_BUDGET_MS, QUICK_RUNGS)!;
    expect(fitted.rung).toBeGreaterThan(0);
    expect(fitted.estimate.totalMs).toBeLessThanOrEqual(QUICK_BUDGET_MS);
    expect(fitted.settings.trainExamples).toBeGreaterThan(QUICK_RUNGS[0].trainExamples);
  });

  it('cuts the smallest rung’s examples in proportion on a slower device, to a floor', () => {
    const slower = fitToDevice(
      base,
      speedWithProbe(800, 'software GPU'),
      QUICK_BUDGET_MS,
      QUICK_RUNGS,
    )!;
    expect(slower.shrunk).toBe(true);
    expect(slower.settings.trainExamples).toBeLessThan(QUICK_RUNGS[0].trainExamples);
    // Whole batches only: a short last batch would compile a new shape's shaders.
    expect(slower.settings.trainExamples % QUICK_RUNGS[0].batchSize).toBe(0);
    expect(slower.estimate.totalMs).toBeLessThanOrEqual(QUICK_BUDGET_MS);
    const cpu = fitToDevice(base, speedWithProbe(20_000, 'CPU'), QUICK_BUDGET_MS, QUICK_RUNGS)!;
    // The floor, up to whole batches of 32: 1024.
    expect(cpu.settings.trainExamples).toBe(Math.ceil(MIN_FITTED_TRAIN_EXAMPLES / 32) * 32);
    expect(cpu.estimate.totalMs).toBeGreaterThan(QUICK_BUDGET_MS);
  });

  it('fits an exercise run in about two and a half minutes, never below its floor', () => {
    // 0.2 s a step: rung 0's step on this machine's SwiftShader since the bias kernels.
    const fitted = fitToDevice(
      base,
      speedWithProbe(200, 'software GPU'),
      EXERCISE_RUN_BUDGET_MS,
      EXERCISE_RUNGS,
      EXERCISE_MIN_TRAIN_EXAMPLES,
    )!;
    expect(fitted).toMatchObject({ rung: 0, shrunk: false });
    expect(fitted.estimate.totalMs).toBeLessThanOrEqual(EXERCISE_RUN_BUDGET_MS);
    const slower = fitToDevice(
      base,
      speedWithProbe(800, 'software GPU'),
      EXERCISE_RUN_BUDGET_MS,
      EXERCISE_RUNGS,
      EXERCISE_MIN_TRAIN_EXAMPLES,
    )!;
    expect(slower.settings.trainExamples).toBe(Math.ceil(EXERCISE_MIN_TRAIN_EXAMPLES / 32) * 32);
  });

  it('is null until the device is timed', () => {
    expect(fitToDevice(base, null, QUICK_BUDGET_MS, QUICK_RUNGS)).toBeNull();
  });

  it('has valid rungs, smallest first, the book’s run last', () => {
    for (const rungs of [QUICK_RUNGS, EXERCISE_RUNGS]) {
      for (const rung of rungs) expect(validateSettings({ ...base, ...rung }).ok).toBe(true);
      expect(rungs.at(-1)).toMatchObject({ imageSize: 224, width: 1, epochs: 10, batchSize: 128 });
    }
  });
});

describe('describeScale', () => {
  it('names every setting Quick changes', () => {
    expect(describeScale(QUICK_RUNGS[0])).toBe(
      '65 px, width 0.1, 4000 training and 500 test examples, 7 epochs, batch 32, lr 0.1',
    );
  });
});
