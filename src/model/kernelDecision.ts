import type { Settings } from '../config/settings.ts';
import type { KernelChoice } from '../common/types.ts';

/**
 * Kernels "auto": the pure half of the kernel trial (kernelTrial.ts times the steps with
 * TF.js): the tolerance, the decision from the measurements, and the result both threads see.
 * No TensorFlow.js here, so the main thread can import it (e.g. to explain a decision).
 */

/**
 * An output or gradient whose elements differ between the two kernel sets by more than this
 * (relative to the reference's largest element), or whose projection on a random direction
 * differs by more than this (relative to the projection's expected size), means one of them
 * computes something else on this GPU. Float32 summed in another order gives about 1e-6–1e-5.
 */
export const KERNEL_TRIAL_TOLERANCE = 1e-3;

/** Seed of the random directions the outputs and gradients are projected on. */
export const PROJECTION_SEED = 4099;
/** Per compared tensor: max |Δ|, max |reference|, ‖reference‖₂, ⟨reference, r⟩, ⟨candidate, r⟩. */
export const COMPARISON_VALUES_PER_TENSOR = 5;

export const KERNEL_TRIAL_REASONS = ['faster', 'not faster', 'disagree'] as const;
export type KernelTrialReason = (typeof KERNEL_TRIAL_REASONS)[number];

export interface KernelTrialResult {
  /** Median milliseconds of a forward and backward pass at the run's batch size. */
  stockMsPerStep: number;
  optimizedMsPerStep: number;
  timedStepsPerKernel: number;
  /**
   * Largest difference between the kernel sets over the network's output and every weight's
   * gradient, element-wise and projected, on the same images from the same weights
   * (elementwiseDifferenceOf).
   */
  maxRelativeDifference: number;
  /**
   * Where that difference is largest: 'output' (the network's output) or the weight whose
   * gradient it is, as TF.js names it ('conv2/kernel').
   */
  mostDifferent: string;
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

/** x / scale; 0 when x is 0, Infinity when only the scale is 0. */
function relative(x: number, scale: number): number {
  if (x === 0) return 0;
  return scale === 0 ? Infinity : x / scale;
}

/** The trial's verdict on one comparison: how far apart, and where. */
export interface TrialDifference {
  /** The largest relative difference over the compared tensors; NaN where one was not finite. */
  difference: number;
  /** Index of the compared tensor where it is largest (the first not finite, if any). */
  tensor: number;
}

/**
 * The trial's verdict on one comparison (COMPARISON_VALUES_PER_TENSOR values per compared
 * tensor, from kernelTrial.ts): the largest, over tensors, of max |Δ| / max |reference| and of
 * the projections' difference relative to the projection's expected size, ‖reference‖₂·rms(r)
 * = ‖reference‖₂/√3. A flipped sign, a permutation, a wrong region or a shifted bias moves one
 * or both far past KERNEL_TRIAL_TOLERANCE. NaN if any value is not finite (a NaN in either
 * tensor reaches its projection's sum).
 */
export function elementwiseDifferenceOf(values: Float32Array): TrialDifference {
  if (values.length === 0 || values.length % COMPARISON_VALUES_PER_TENSOR !== 0) {
    return { difference: NaN, tensor: 0 };
  }
  let worst: TrialDifference = { difference: 0, tensor: 0 };
  for (let i = 0; i < values.length; i += COMPARISON_VALUES_PER_TENSOR) {
    const tensor = i / COMPARISON_VALUES_PER_TENSOR;
    const summary = Array.from(values.subarray(i, i + COMPARISON_VALUES_PER_TENSOR));
    if (!summary.every(Number.isFinite)) return { difference: NaN, tensor };
    const [maxDelta, maxReference, norm, projectedReference, projectedCandidate] = summary;
    const elementwise = relative(maxDelta, maxReference);
    const projected = relative(
      Math.abs(projectedCandidate - projectedReference),
      norm / Math.sqrt(3),
    );
    const difference = Math.max(elementwise, projected);
    if (difference > worst.difference) worst = { difference, tensor };
  }
  return worst;
}
