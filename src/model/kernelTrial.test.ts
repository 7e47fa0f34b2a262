import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import type { KernelChoice } from '../common/types.ts';
import {
  decideKernels,
  KERNEL_TRIAL_TOLERANCE,
  kernelTrialKey,
  maxRelativeDifferenceOf,
} from './kernelDecision.ts';
import { runKernelTrial } from './kernelTrial.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Small enough for the CPU backend in Node. */
const TINY: Settings = {
  ...DEFAULT_SETTINGS,
  batchSize: 4,
  imageSize: 65,
  width: 0.05,
  backend: 'cpu',
  kernels: 'auto',
};

describe('the kernel decision', () => {
  it('takes ours only when they are faster and agree with TF.js’s', () => {
    expect(decideKernels(100, 40, 1e-6)).toEqual({ choice: 'optimized', reason: 'faster' });
    expect(decideKernels(40, 100, 1e-6)).toEqual({ choice: 'stock', reason: 'not faster' });
    expect(decideKernels(40, 40, 0)).toEqual({ choice: 'stock', reason: 'not faster' });
    expect(decideKernels(100, 40, 2 * KERNEL_TRIAL_TOLERANCE)).toEqual({
      choice: 'stock',
      reason: 'disagree',
    });
    expect(decideKernels(100, 40, NaN)).toEqual({ choice: 'stock', reason: 'disagree' });
  });

  it('measures the largest relative difference, NaN where either side is not finite', () => {
    expect(maxRelativeDifferenceOf(Float32Array.of(1, 0, 4), Float32Array.of(1, 0, 5))).toBeCloseTo(
      0.2,
    );
    expect(maxRelativeDifferenceOf(Float32Array.of(1, NaN), Float32Array.of(1, 1))).toBeNaN();
    expect(maxRelativeDifferenceOf(Float32Array.of(Infinity), Float32Array.of(1))).toBeNaN();
    expect(maxRelativeDifferenceOf(Float32Array.of(1), Float32Array.of(1, 2))).toBeNaN();
  });

  it('shares a trial between runs of the same network shape and batch only', () => {
    const key = kernelTrialKey(TINY);
    expect(kernelTrialKey({ ...TINY, learningRate: 0.3, epochs: 1, dropout: 0.1 })).toBe(key);
    expect(kernelTrialKey({ ...TINY, batchSize: 8 })).not.toBe(key);
    expect(kernelTrialKey({ ...TINY, batchNorm: 'on' })).not.toBe(key);
    expect(kernelTrialKey({ ...TINY, imageSize: 96 })).not.toBe(key);
  });
});

describe('the kernel trial', () => {
  it('times both kernel sets alternately, finds them equal, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const calls: KernelChoice[] = [];
    const trial = await runKernelTrial(TINY, {
      sourceImageSize: 28,
      setKernels: (choice) => calls.push(choice),
      warmupSteps: 1,
      timedSteps: 2,
    });
    expect(trial).not.toBeNull();
    // On the CPU both "sets" are the same code: identical results.
    expect(trial?.maxRelativeDifference).toBe(0);
    expect(trial?.timedStepsPerKernel).toBe(2);
    expect(trial?.stockMsPerStep).toBeGreaterThan(0);
    expect(trial?.optimizedMsPerStep).toBeGreaterThan(0);
    expect(['faster', 'not faster']).toContain(trial?.reason);
    // Three rounds of stock then ours, then the winner stays registered.
    expect(calls).toEqual([
      'stock',
      'optimized',
      'stock',
      'optimized',
      'stock',
      'optimized',
      trial?.choice,
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('falls back to TF.js’s kernels when ours compute something else', async () => {
    // A broken "optimized" ReLU (the identity), as a wrong kernel on some GPU would be.
    const stockRelu = tf.getKernel('Relu', 'cpu');
    const identity = tf.getKernel('Identity', 'cpu');
    if (stockRelu === undefined || identity === undefined) throw new Error('no CPU kernels');
    const setKernels = (choice: KernelChoice) => {
      tf.unregisterKernel('Relu', 'cpu');
      tf.registerKernel(
        choice === 'stock' ? stockRelu : { ...stockRelu, kernelFunc: identity.kernelFunc },
      );
    };
    const before = tf.memory().numTensors;
    try {
      const trial = await runKernelTrial(TINY, { sourceImageSize: 28, setKernels, timedSteps: 1 });
      expect(trial?.reason).toBe('disagree');
      expect(trial?.choice).toBe('stock');
      expect(trial?.maxRelativeDifference).toBeGreaterThan(KERNEL_TRIAL_TOLERANCE);
    } finally {
      setKernels('stock');
    }
    expect(tf.getKernel('Relu', 'cpu')?.kernelFunc).toBe(stockRelu.kernelFunc);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops between steps when asked, and frees what it built', async () => {
    const before = tf.memory().numTensors;
    let steps = 0;
    const trial = await runKernelTrial(TINY, {
      sourceImageSize: 28,
      setKernels: () => steps++,
      shouldStop: () => steps >= 2,
    });
    expect(trial).toBeNull();
    expect(steps).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });
});
