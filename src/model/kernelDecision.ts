import type { BackendName, KernelsSetting, Settings } from '../config/settings.ts';
import type { KernelChoice } from '../common/types.ts';

/**
 * The pure half of the kernel trial (kernelTrial.ts runs it with TF.js): which adapters and
 * settings get one, the tolerance, the decision from the measurements, and the result both
 * threads see. No TensorFlow.js here, so the main thread can import it (e.g. to explain a
 * decision).
 */

/**
 * 'time' (kernels 'auto'): check ours against TF.js's, then time both and take the faster.
 * 'check' (kernels 'optimized'): the check alone. The person chose ours, so a timing would
 * decide nothing; the check still computes one stock step, as its reference.
 */
export type KernelTrialMode = 'time' | 'check';

/**
 * Which trial a run gets before its first batch, if any. None on the CPU and WebGL backends
 * (our kernels are WebGPU's), with kernels 'stock', and on SwiftShader: the adapter ours were
 * written, self-tested (e2e/kernels.spec.ts) and benchmarked on, where a stock step of the
 * book's network takes minutes. Every other adapter checks ours once per network shape,
 * whatever it is: a GPU, or another software one (lavapipe/llvmpipe, WARP) that has never run
 * them.
 */
export function kernelTrialModeOf(
  setting: KernelsSetting,
  backend: BackendName,
  isSwiftShader: boolean,
): KernelTrialMode | null {
  if (backend !== 'webgpu' || setting === 'stock' || isSwiftShader) return null;
  return setting === 'auto' ? 'time' : 'check';
}

/**
 * The kernel set a run uses; null off WebGPU (ours exist only there). On SwiftShader 'auto'
 * and 'optimized' mean ours; elsewhere ours only where a trial of the run's network chose them
 * (`trialChoice`), else TF.js's: a model task after the worker was replaced, say, gets no
 * unchecked kernels.
 */
export function kernelChoiceOf(
  setting: KernelsSetting,
  backend: BackendName,
  isSwiftShader: boolean,
  trialChoice: KernelChoice | null,
): KernelChoice | null {
  if (backend !== 'webgpu') return null;
  if (setting === 'stock') return 'stock';
  return isSwiftShader ? 'optimized' : (trialChoice ?? 'stock');
}

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

export const KERNEL_TRIAL_REASONS = ['faster', 'not faster', 'agree', 'disagree'] as const;
export type KernelTrialReason = (typeof KERNEL_TRIAL_REASONS)[number];

export interface KernelTrialResult {
  /**
   * Median milliseconds of a forward and backward pass at the run's batch size; null when not
   * timed (mode 'check', or ours disagreed: then a timing would decide nothing).
   */
  stockMsPerStep: number | null;
  optimizedMsPerStep: number | null;
  /** 0 when not timed. */
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
  /**
   * 'faster': ours won; 'not faster': TF.js's won; 'agree': checked, not timed (kernels
   * 'optimized'), ours; 'disagree': the results differ, TF.js's.
   */
  reason: KernelTrialReason;
}

/**
 * The decision, from the measurements alone: TF.js's kernels when ours disagree, else the
 * faster set, else (not timed) ours.
 */
export function decideKernels(
  maxRelativeDifference: number,
  stepMs: { stock: number; optimized: number } | null,
): { choice: KernelChoice; reason: KernelTrialReason } {
  // NaN (a kernel that produced NaN where the other did not) counts as disagreeing.
  if (!(maxRelativeDifference <= KERNEL_TRIAL_TOLERANCE)) {
    return { choice: 'stock', reason: 'disagree' };
  }
  if (stepMs === null) return { choice: 'optimized', reason: 'agree' };
  return stepMs.optimized < stepMs.stock
    ? { choice: 'optimized', reason: 'faster' }
    : { choice: 'stock', reason: 'not faster' };
}

/**
 * What a run with `setting` takes from an earlier trial of its network shape on this worker's
 * GPU, or null when it needs a trial of its own. A disagreement refuses ours for both settings;
 * a timed trial serves both ('optimized' takes ours, checked); a check alone serves
 * 'optimized' only, since 'auto' needs the times.
 */
export function reusableTrial(
  setting: KernelsSetting,
  earlier: KernelTrialResult | undefined,
): KernelTrialResult | null {
  if (earlier === undefined || setting === 'stock') return null;
  if (earlier.reason === 'disagree') return earlier;
  if (setting === 'optimized') return { ...earlier, choice: 'optimized', reason: 'agree' };
  return earlier.reason === 'agree' ? null : earlier;
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
