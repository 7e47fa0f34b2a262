import { describe, expect, it } from 'vitest';
import { BACKENDS, KERNEL_CHOICES } from '../config/settings.ts';
import {
  kernelChoiceOf,
  kernelTrialModeOf,
  reusableTrial,
  type KernelTrialResult,
} from './kernelDecision.ts';

/** Issue 14 item 2: which adapters and kernel settings get a kernel trial, and what runs then. */
describe('which runs get a kernel trial', () => {
  it('every WebGPU adapter but SwiftShader, with kernels auto (timed) or optimized (checked)', () => {
    // Not SwiftShader: a GPU, or another software adapter such as lavapipe.
    expect(kernelTrialModeOf('auto', 'webgpu', false)).toBe('time');
    expect(kernelTrialModeOf('optimized', 'webgpu', false)).toBe('check');
    expect(kernelTrialModeOf('stock', 'webgpu', false)).toBeNull();
    // SwiftShader, where ours were written and benchmarked: none.
    for (const setting of KERNEL_CHOICES) {
      expect(kernelTrialModeOf(setting, 'webgpu', true)).toBeNull();
    }
    // Ours exist on WebGPU only.
    for (const backend of BACKENDS.filter((name) => name !== 'webgpu')) {
      for (const setting of KERNEL_CHOICES) {
        expect(kernelTrialModeOf(setting, backend, false)).toBeNull();
      }
    }
  });

  it('runs ours unchecked on SwiftShader only; elsewhere what the trial chose, else TF.js’s', () => {
    expect(kernelChoiceOf('auto', 'webgpu', true, null)).toBe('optimized');
    expect(kernelChoiceOf('optimized', 'webgpu', true, null)).toBe('optimized');
    expect(kernelChoiceOf('stock', 'webgpu', true, null)).toBe('stock');
    // Before the fix, kernels optimized ran ours here with no trial.
    expect(kernelChoiceOf('optimized', 'webgpu', false, null)).toBe('stock');
    expect(kernelChoiceOf('auto', 'webgpu', false, null)).toBe('stock');
    expect(kernelChoiceOf('optimized', 'webgpu', false, 'optimized')).toBe('optimized');
    expect(kernelChoiceOf('optimized', 'webgpu', false, 'stock')).toBe('stock');
    expect(kernelChoiceOf('stock', 'webgpu', false, 'optimized')).toBe('stock');
    expect(kernelChoiceOf('optimized', 'webgl', false, 'optimized')).toBeNull();
  });

  it('reuses a trial of the same shape where it answers the setting’s question', () => {
    const timed: KernelTrialResult = {
      stockMsPerStep: 12,
      optimizedMsPerStep: 20,
      timedStepsPerKernel: 3,
      maxRelativeDifference: 1e-6,
      mostDifferent: 'output',
      choice: 'stock',
      reason: 'not faster',
    };
    const checked: KernelTrialResult = {
      ...timed,
      stockMsPerStep: null,
      optimizedMsPerStep: null,
      timedStepsPerKernel: 0,
      choice: 'optimized',
      reason: 'agree',
    };
    const refused: KernelTrialResult = { ...checked, choice: 'stock', reason: 'disagree' };
    expect(reusableTrial('auto', undefined)).toBeNull();
    expect(reusableTrial('auto', timed)).toBe(timed);
    // A check alone does not say which set is faster.
    expect(reusableTrial('auto', checked)).toBeNull();
    expect(reusableTrial('optimized', checked)).toEqual(checked);
    // Timed and slower, but correct: 'optimized' asked for ours.
    expect(reusableTrial('optimized', timed)).toMatchObject({
      choice: 'optimized',
      reason: 'agree',
    });
    expect(reusableTrial('auto', refused)).toBe(refused);
    expect(reusableTrial('optimized', refused)).toBe(refused);
    expect(reusableTrial('stock', timed)).toBeNull();
  });
});
