import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import {
  DEFAULT_EXPONENTS,
  estimateBasisText,
  estimateRun,
  estimateStepMs,
  formatEstimate,
  RUN_OVERHEAD_STEPS,
  speedExponent,
  speedShapeKey,
  stepFlopsOf,
  timingOf,
  withTiming,
  type DeviceSpeed,
} from './speed.ts';

const tiny: Settings = {
  ...DEFAULT_SETTINGS,
  imageSize: 65,
  width: 0.1,
  batchSize: 32,
  trainExamples: 4000,
  testExamples: 1000,
  epochs: 4,
};
const book: Settings = { ...DEFAULT_SETTINGS };

function softwareGpu(timings = [timingOf(tiny, 500, 'probe')]): DeviceSpeed {
  return { kind: 'software GPU', timings, firstStepExtraMs: 20_000 };
}

describe('stepFlopsOf', () => {
  it('counts a training step as three forward passes and grows with the batch', () => {
    const flops = stepFlopsOf(tiny);
    expect(flops).not.toBeNull();
    expect(flops!.train).toBeCloseTo(3 * flops!.validate);
    expect(stepFlopsOf({ ...tiny, batchSize: 64 })!.train).toBeCloseTo(2 * flops!.train);
    // The book's network at 224 px: 0.94 G multiply-adds an image (its layer table).
    expect(stepFlopsOf({ ...book, batchSize: 1 })!.validate / 2).toBeGreaterThan(0.9e9);
  });

  it('is null for an image too small for the network', () => {
    expect(stepFlopsOf({ ...tiny, imageSize: 40 })).toBeNull();
  });
});

describe('estimateStepMs', () => {
  it('uses the timing of the very shape when there is one, a run’s before a probe’s', () => {
    const timings = withTiming(
      [timingOf(tiny, 500, 'probe')],
      timingOf({ ...tiny, epochs: 9, learningRate: 0.5 }, 420, 'run'),
    );
    const estimate = estimateStepMs(
      softwareGpu(timings),
      stepFlopsOf(tiny)!.train,
      speedShapeKey(tiny),
    );
    expect(estimate).toMatchObject({ msPerStep: 420, basis: 'measured' });
    expect(estimate!.reference.source).toBe('run');
  });

  it('scales another shape by FLOPs^exponent from the nearest timed one', () => {
    const speed = softwareGpu();
    const flops = stepFlopsOf(book)!.train;
    const estimate = estimateStepMs(speed, flops, speedShapeKey(book))!;
    expect(estimate.basis).toBe('scaled');
    const ratio = flops / stepFlopsOf(tiny)!.train;
    expect(estimate.msPerStep).toBeCloseTo(500 * ratio ** DEFAULT_EXPONENTS['software GPU']);
  });

  it('is null before anything was timed', () => {
    expect(estimateStepMs(softwareGpu([]), 1e9, 'x')).toBeNull();
  });
});

describe('speedExponent', () => {
  it('fits two timed shapes far enough apart, within bounds', () => {
    const big = { ...tiny, imageSize: 96, width: 0.25, batchSize: 64 };
    const ratio = stepFlopsOf(big)!.train / stepFlopsOf(tiny)!.train;
    // A GPU whose step time grows as the square root of the FLOPs.
    const gpu: DeviceSpeed = {
      kind: 'GPU',
      timings: [timingOf(tiny, 10, 'probe'), timingOf(big, 10 * Math.sqrt(ratio), 'probe')],
      firstStepExtraMs: 0,
    };
    expect(speedExponent(gpu)).toBeCloseTo(0.5);
    // Noise that would make a larger network faster is clamped.
    const noisy = { ...gpu, timings: [timingOf(tiny, 10, 'probe'), timingOf(big, 5, 'probe')] };
    expect(speedExponent(noisy)).toBe(0.4);
  });

  it('falls back to the device kind’s exponent with one shape', () => {
    expect(speedExponent(softwareGpu())).toBe(0.75);
    expect(speedExponent({ ...softwareGpu(), kind: 'CPU' })).toBe(1);
  });
});

describe('estimateRun', () => {
  it('adds every epoch’s steps and validation batches, and the preflight', () => {
    const estimate = estimateRun(tiny, softwareGpu())!;
    // 125 steps an epoch, 32 validation batches of a third of the FLOPs.
    expect(estimate.trainingMs).toBeCloseTo(4 * 125 * 500);
    expect(estimate.validationMs).toBeCloseTo(4 * 32 * 500 * (1 / 3) ** 0.75);
    expect(estimate.startupMs).toBeCloseTo(RUN_OVERHEAD_STEPS * 500);
    expect(estimate.totalMs).toBeCloseTo(
      estimate.trainingMs + estimate.validationMs + estimate.startupMs,
    );
  });

  it('adds the first-step cost for a shape not timed here', () => {
    const other = { ...tiny, imageSize: 96 };
    const estimate = estimateRun(other, softwareGpu())!;
    expect(estimate.startupMs).toBeCloseTo(estimate.step.msPerStep * RUN_OVERHEAD_STEPS + 20_000);
  });

  it('puts the book’s run in days on a software GPU and the tiny one in minutes', () => {
    expect(formatEstimate(estimateRun(book, softwareGpu())!.totalMs)).toMatch(/days$/);
    expect(formatEstimate(estimateRun(tiny, softwareGpu())!.totalMs)).toMatch(/min$/);
  });

  it('is null before the speed is known', () => {
    expect(estimateRun(tiny, null)).toBeNull();
  });

  it('says how it was made', () => {
    const speed = softwareGpu();
    expect(estimateBasisText(estimateRun(tiny, speed)!, speed)).toMatch(
      /^Measured on this software GPU: 0\.50 s per step at these settings \(timed by the probe\)/,
    );
    expect(estimateBasisText(estimateRun(book, speed)!, speed)).toMatch(
      /^Estimated from the arithmetic: .* PFLOP in all; a step of 65 px, width 0\.1, batch 32 took 0\.50 s here .* FLOPs\^0\.75/,
    );
  });
});

describe('withTiming', () => {
  it('replaces the timing of the same shape and source, and ignores unusable ones', () => {
    const first = withTiming([], timingOf(tiny, 500, 'probe'));
    const second = withTiming(first, timingOf(tiny, 450, 'probe'));
    expect(second.map((t) => t.msPerStep)).toEqual([450]);
    expect(withTiming(second, timingOf(tiny, 0, 'run'))).toHaveLength(1);
    expect(withTiming(second, timingOf(tiny, NaN, 'run'))).toHaveLength(1);
  });
});

describe('formatEstimate', () => {
  it('rounds into one unit', () => {
    expect(formatEstimate(19.4 * 24 * 3600_000)).toBe('≈ 19 days');
    expect(formatEstimate(2.5 * 24 * 3600_000)).toBe('≈ 2.5 days');
    expect(formatEstimate(5 * 3600_000)).toBe('≈ 5 h');
    expect(formatEstimate(6.2 * 60_000)).toBe('≈ 6 min');
    expect(formatEstimate(45_000)).toBe('≈ 45 s');
    expect(formatEstimate(10)).toBe('≈ 1 s');
  });
});
