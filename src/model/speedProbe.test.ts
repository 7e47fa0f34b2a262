import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import { probeStepTime, warmValidationShaders } from './speedProbe.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Small enough for the CPU backend in Node. */
const TINY: Settings = { ...DEFAULT_SETTINGS, batchSize: 4, imageSize: 65, width: 0.05 };

describe('probeStepTime', () => {
  it('times real training steps and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const result = await probeStepTime(TINY, { sourceImageSize: 28, timedSteps: 2 });
    expect(result).not.toBeNull();
    expect(result!.msPerStep).toBeGreaterThan(0);
    expect(result!.warmupMs).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ends early when asked to, with nothing left behind', async () => {
    const before = tf.memory().numTensors;
    let steps = 0;
    const result = await probeStepTime(TINY, {
      sourceImageSize: 28,
      shouldStop: () => steps++ >= 1,
    });
    expect(result).toBeNull();
    expect(steps).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('warmValidationShaders', () => {
  it('runs a validation batch of the shape and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const kernelsRun: string[] = [];
    const profile = await tf.profile(() => warmValidationShaders(TINY, 28));
    kernelsRun.push(...profile.kernelNames);
    // A forward pass without a gradient tape: fused convolutions and matmuls, as in validation.
    expect(kernelsRun).toEqual(expect.arrayContaining(['FusedConv2D', '_FusedMatMul', 'ArgMax']));
    expect(tf.memory().numTensors).toBe(before);
  });
});
