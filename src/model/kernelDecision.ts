import type { Settings } from '../config/settings.ts';
import type { KernelChoice } from '../common/types.ts';

/**
 * Kernels "auto": the pure half of the kernel trial (kernelTrial.ts times the steps with
 * TF.js): the tolerance, the decision from the measurements, and the result both threads see.
 * No TensorFlow.js here, so the main thread can import it (e.g. to explain a decision).
 */

/** A loss or gradient norm that differs by more than this between the two kernel sets means
 * one of them computes something else on this GPU (float32 reordering gives about 1e-6). */
export const KERNEL_TRIAL_TOLERANCE = 1e-3;

export const KERNEL_TRIAL_REASONS = ['faster', 'not faster', 'disagree'] as const;
export type KernelTrialReason = (typeof KERNEL_TRIAL_REASONS)[number];

export interface KernelTrialResult {
  /** Median milliseconds of a forward and backward pass at the run's batch size. */
  stockMsPerStep: number;
  optimizedMsPerStep: number;
  timedStepsPerKernel: number;
  /**
   * Largest relative difference between the kernel sets over the loss and every weight's
   * gradient norm, on the same images from the same weights.
   */
  maxRelativeDifference: number;
  choice: KernelChoice;
  /** 'faster': ours won; 'not faster': TF.js's won; 'disagree': the results differ. */
  reason: KernelTrialReason;
}

/** The decision, from the measurements alone. */
export function decideKernels(
  stockMsPerStep: number,
  optimizedMsPerStep: number,
  maxRelativeDifference: number,
): { choice: KernelChoice; reason: KernelTrialReason } {
  // NaN (a kernel that produced NaN where the other did not) counts as disagreeing.
  if (!(maxRelativeDifference <= KERNEL_TRIAL_TOLERANCE)) {
    return { choice: 'stock', reason: 'disagree' };
  }
  return optimizedMsPerStep < stockMsPerStep
    ? { choice: 'optimized', reason: 'faster' }
    : { choice: 'stock', reason: 'not faster' };
}

/** Runs whose networks have the same shape and batch reuse one trial. */
export function kernelTrialKey(settings: Settings): string {
  const { imageSize, batchSize, width, dropConv, batchNorm, activation, lrn } = settings;
  return JSON.stringify([imageSize, batchSize, width, dropConv, batchNorm, activation, lrn]);
}

/** Largest |a − b| / max(|a|, |b|) over paired values; 0 for two zeros, NaN if either is. */
export function maxRelativeDifferenceOf(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return NaN;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(Math.abs(a[i]), Math.abs(b[i]));
    if (Number.isNaN(a[i]) || Number.isNaN(b[i]) || !Number.isFinite(scale)) return NaN;
    if (scale > 0) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  }
  return worst;
}
