import * as tf from '@tensorflow/tfjs';
import { architectureOf, NUM_CLASSES, type Settings } from '../config/settings.ts';
import { setConvKernels, type KernelChoice } from '../kernels/register.ts';
import { alexNetLayers } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { prepareImages } from './training.ts';
import { median } from './metrics.ts';

/**
 * Kernels "auto" on a real GPU: before the first run of a network shape, time a few training
 * steps (forward and backward) with TF.js's kernels and with ours on this very GPU, check that
 * both compute the same loss and gradients, and train with the faster. Ours were measured only
 * on a software adapter (npm run bench); a GPU we never saw decides for itself, and a kernel
 * that computes something else on it is never used.
 */

/** A loss or gradient norm that differs by more than this between the two kernel sets means
 * one of them computes something else on this GPU (float32 reordering gives about 1e-6). */
export const KERNEL_TRIAL_TOLERANCE = 1e-3;

export const KERNEL_TRIAL_WARMUP_STEPS = 1;
export const KERNEL_TRIAL_TIMED_STEPS = 3;

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

export interface KernelTrialOptions {
  /** Side length of the source images (28 for Fashion-MNIST). */
  sourceImageSize: number;
  /** Checked between steps: true stops the trial (it then returns null). */
  shouldStop?: () => boolean;
  /** Swaps the kernel sets; the real registry by default (a test can provoke a disagreement). */
  setKernels?: (choice: KernelChoice) => void;
  warmupSteps?: number;
  timedSteps?: number;
}

/**
 * Times the run's network on one synthetic batch with each kernel set and leaves the winner
 * registered. The network is the run's, without dropout (its random masks would make the two
 * kernel sets' results differ), built from the run's seed and thrown away afterwards; the
 * weights are never updated, so every step computes the same thing. Steps alternate between
 * the kernel sets so that a GPU clocking up or down favours neither.
 * Null when stopped.
 */
export async function runKernelTrial(
  settings: Settings,
  options: KernelTrialOptions,
): Promise<KernelTrialResult | null> {
  const setKernels = options.setKernels ?? setConvKernels;
  const warmupSteps = options.warmupSteps ?? KERNEL_TRIAL_WARMUP_STEPS;
  const timedSteps = options.timedSteps ?? KERNEL_TRIAL_TIMED_STEPS;
  const { batchSize, imageSize, seed } = settings;
  const source = options.sourceImageSize;
  const model = buildAlexNet(
    alexNetLayers(architectureOf({ ...settings, dropout: 0 })),
    imageSize,
    seed,
  );
  // A fixed pseudo-random batch: the values only need to be the same for both kernel sets.
  const pixels = new Uint8Array(batchSize * source * source).map((_, i) => (i * 2654435761) >>> 24);
  const labels = tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const stepMs: Record<KernelChoice, number[]> = { stock: [], optimized: [] };
  const results: Partial<Record<KernelChoice, Float32Array>> = {};
  try {
    // [loss, ‖gradient‖² of each weight]: one readback, which also waits for the GPU.
    const step = async (choice: KernelChoice): Promise<number> => {
      setKernels(choice);
      const startedAt = performance.now();
      const summary = tf.tidy(() => {
        // The input kernel is part of the kernel set: prepare the images under it too.
        const images = prepareImages(pixels, batchSize, source, imageSize);
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.apply(images, { training: true }) as tf.Tensor2D;
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits) as tf.Scalar;
        }, variables);
        const norms = variables.map((variable) => grads[variable.name].square().sum());
        return tf.stack([value, ...norms]) as tf.Tensor1D;
      });
      try {
        results[choice] = (await summary.data()) as Float32Array;
      } finally {
        summary.dispose();
      }
      return performance.now() - startedAt;
    };
    const order: KernelChoice[] = ['stock', 'optimized'];
    for (let i = 0; i < warmupSteps + timedSteps; i++) {
      for (const choice of order) {
        if (options.shouldStop?.() === true) return null;
        const ms = await step(choice);
        if (i >= warmupSteps) stepMs[choice].push(ms);
      }
    }
    const difference =
      results.stock !== undefined && results.optimized !== undefined
        ? maxRelativeDifferenceOf(results.stock, results.optimized)
        : NaN;
    const stockMsPerStep = median(stepMs.stock);
    const optimizedMsPerStep = median(stepMs.optimized);
    const decision = decideKernels(stockMsPerStep, optimizedMsPerStep, difference);
    setKernels(decision.choice);
    return {
      stockMsPerStep,
      optimizedMsPerStep,
      timedStepsPerKernel: timedSteps,
      maxRelativeDifference: difference,
      ...decision,
    };
  } finally {
    labels.dispose();
    model.dispose();
  }
}
