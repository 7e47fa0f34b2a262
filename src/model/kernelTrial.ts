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
  elementwiseDifferenceOf,
  PROJECTION_SEED,
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
  randomizeBiases(model, seed);
  const stepMs: Record<KernelChoice, number[]> = { stock: [], optimized: [] };
  const images = () => prepareImages(pixels, batchSize, source, imageSize);
  try {
    // [logits, the gradient of each weight], kept for the comparison.
    const outputsOf = (choice: KernelChoice): tf.Tensor[] => {
      setKernels(choice);
      return tf.tidy(() => {
        // The input kernel is part of the kernel set: prepare the images under it too.
        const batch = images();
        const logits = model.apply(batch, { training: true }) as tf.Tensor2D;
        const { grads } = tf.variableGrads(() => {
          const again = model.apply(batch, { training: true }) as tf.Tensor2D;
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), again) as tf.Scalar;
        }, variables);
        return [logits, ...variables.map((variable) => grads[variable.name])];
      });
    };
    // A timed step: forward and backward, waited for through one readback.
    const step = async (choice: KernelChoice): Promise<number> => {
      setKernels(choice);
      const startedAt = performance.now();
      const total = tf.tidy(() => {
        const batch = images();
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.apply(batch, { training: true }) as tf.Tensor2D;
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits) as tf.Scalar;
        }, variables);
        // Every gradient feeds the readback, so that none of their work can be skipped.
        return tf.addN([value, ...variables.map((variable) => grads[variable.name].sum())]);
      });
      try {
        await total.data();
      } finally {
        total.dispose();
      }
      return performance.now() - startedAt;
    };
    // The first round checks, element-wise, that ours compute what TF.js's do; it also
    // compiles both sets' shaders, as a warm-up round would. Then the timed rounds.
    if (options.shouldStop?.() === true) return null;
    const reference = outputsOf('stock');
    let difference = NaN;
    try {
      if (options.shouldStop?.() === true) return null;
      const candidate = outputsOf('optimized');
      try {
        difference = elementwiseDifferenceOf(await compareOnDevice(reference, candidate));
      } finally {
        tf.dispose(candidate);
      }
    } finally {
      tf.dispose(reference);
    }
    const order: KernelChoice[] = ['stock', 'optimized'];
    for (let i = 1; i < Math.max(1, warmupSteps) + timedSteps; i++) {
      for (const choice of order) {
        if (options.shouldStop?.() === true) return null;
        const ms = await step(choice);
        if (i >= warmupSteps) stepMs[choice].push(ms);
      }
    }
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

/**
 * The trial's network starts with zero biases (our initialisation), which would hide a kernel
 * that adds the bias wrongly: give every bias small seeded values. The weights are the trial's
 * own; the run builds its network afresh.
 */
function randomizeBiases(model: tf.LayersModel, seed: number): void {
  model.layers.forEach((layer, layerIndex) => {
    const weights = layer.getWeights();
    if (weights.length !== 2 || weights[1].rank !== 1) return;
    const [kernel, bias] = weights;
    const values = tf.randomUniform(bias.shape, -0.1, 0.1, 'float32', seed * 7919 + layerIndex);
    layer.setWeights([kernel, values]);
    values.dispose();
  });
}

/**
 * For each pair (reference = TF.js's, candidate = ours) of same-shaped tensors: max |Δ|,
 * max |reference|, ‖reference‖₂, and both projections on one seeded random direction
 * r ~ U(−1, 1)^n (COMPARISON_VALUES_PER_TENSOR values a pair), in one readback.
 */
async function compareOnDevice(
  reference: readonly tf.Tensor[],
  candidate: readonly tf.Tensor[],
): Promise<Float32Array> {
  const summary = tf.tidy(() =>
    tf.concat(
      reference.map((ref, i) => {
        const cand = candidate[i];
        const direction = tf.randomUniform(ref.shape, -1, 1, 'float32', PROJECTION_SEED + i);
        return tf.stack([
          cand.sub(ref).abs().max(),
          ref.abs().max(),
          ref.square().sum().sqrt(),
          ref.mul(direction).sum(),
          cand.mul(direction).sum(),
        ]);
      }),
    ),
  );
  try {
    return (await summary.data()) as Float32Array;
  } finally {
    summary.dispose();
  }
}
