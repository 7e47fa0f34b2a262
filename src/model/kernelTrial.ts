import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, type Settings } from '../config/settings.ts';
import { architectureOf } from './settingsCheck.ts';
import { setConvKernels } from '../kernels/register.ts';
import type { KernelChoice } from '../common/types.ts';
import { alexNetLayers } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { prepareImages } from './training.ts';
import { median } from './metrics.ts';
import {
  decideKernels,
  maxRelativeDifferenceOf,
  type KernelTrialResult,
} from './kernelDecision.ts';

/**
 * Kernels "auto" on a real GPU: before the first run of a network shape, time a few training
 * steps (forward and backward) with TF.js's kernels and with ours on this very GPU, check that
 * both compute the same loss and gradients, and train with the faster. Ours were measured only
 * on a software adapter (npm run bench); a GPU we never saw decides for itself, and a kernel
 * that computes something else on it is never used.
 */

export const KERNEL_TRIAL_WARMUP_STEPS = 1;
export const KERNEL_TRIAL_TIMED_STEPS = 3;

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
