import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, type Settings } from '../config/settings.ts';
import { architectureOf } from './settingsCheck.ts';
import { setConvKernels } from '../kernels/register.ts';
import type { KernelChoice } from '../common/types.ts';
import type { OpShape } from '../kernels/variants.ts';
import { alexNetLayers } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { prepareImages } from './training.ts';
import { median } from './metrics.ts';
import {
  decideKernels,
  elementwiseDifferenceOf,
  PROJECTION_SEED,
  type KernelTrialMode,
  type KernelTrialResult,
} from './kernelDecision.ts';

/**
 * Kernels 'auto' or 'optimized' on any adapter but SwiftShader (kernelTrialModeOf): before the
 * first run of a network shape, check that ours compute what TF.js's do on this very adapter
 * (the network's output and every gradient, element-wise); with 'auto', also time a few
 * training steps (forward and backward) with each and train with the faster. Ours were
 * written and measured on SwiftShader (npm run bench); an adapter we never saw decides for
 * itself, and a kernel that computes something else on it is never used.
 */

export const KERNEL_TRIAL_WARMUP_STEPS = 1;
export const KERNEL_TRIAL_TIMED_STEPS = 3;

export interface KernelTrialOptions {
  /** Side length of the source images (28 for Fashion-MNIST). */
  sourceImageSize: number;
  /** 'time' (kernels 'auto', the default): check, then time; 'check' ('optimized'): check only. */
  mode?: KernelTrialMode;
  /** Checked between steps: true stops the trial (it then returns null). */
  shouldStop?: () => boolean;
  /** Swaps the kernel sets; the real registry by default (a test can provoke a disagreement). */
  setKernels?: (choice: KernelChoice) => void;
  warmupSteps?: number;
  timedSteps?: number;
}

/**
 * Checks ours against TF.js's on the run's network and (mode 'time') times both, and leaves
 * the chosen set registered. The network is the run's, without dropout (its random masks would
 * make the two kernel sets' results differ), built from the run's seed and thrown away
 * afterwards; the weights are never updated, so every step computes the same thing. Its biases
 * are nonzero from the start (PyTorch's default, alexnet.ts), so a bias added wrongly shows.
 *
 * A check round first: each kernel set computes the network's output (the fused forward that
 * evaluation runs) and every weight's gradient (training's forward and backward), and the two
 * are compared element-wise on the GPU (compareOnDevice); it also compiles both sets' shaders,
 * as a warm-up round would. Then timed rounds, alternating the kernel sets so that a GPU
 * clocking up or down favours neither. Null when stopped.
 */
export async function runKernelTrial(
  settings: Settings,
  options: KernelTrialOptions,
): Promise<KernelTrialResult | null> {
  const setKernels = options.setKernels ?? setConvKernels;
  const mode = options.mode ?? 'time';
  const warmupSteps = options.warmupSteps ?? KERNEL_TRIAL_WARMUP_STEPS;
  const timedSteps = options.timedSteps ?? KERNEL_TRIAL_TIMED_STEPS;
  const shouldStop = () => options.shouldStop?.() === true;
  const network = trialNetwork(settings, options.sourceImageSize);
  const { model, variables, comparedNames, images, lossOf } = network;
  const stepMs: Record<KernelChoice, number[]> = { stock: [], optimized: [] };
  try {
    // [output [batch, 10], the gradient of each weight (its shape)], for the comparison.
    const outputsOf = (choice: KernelChoice): tf.Tensor[] => {
      setKernels(choice);
      return tf.tidy(() => {
        const batch = images();
        // Outside a gradient tape TF.js fuses each layer's bias and ReLU into its convolution
        // or product (FusedConv2D, _FusedMatMul): the kernels evaluation uses, not training.
        const output = model.apply(batch, { training: false }) as tf.Tensor2D;
        const { grads } = tf.variableGrads(() => lossOf(batch), variables);
        return [output, ...variables.map((variable) => grads[variable.name])];
      });
    };
    // A timed step: forward and backward. Only the loss is read back: the GPU runs what was
    // submitted in order, so the readback waits for the backward pass too, and it compiles no
    // shader that the check round did not (tf.addN of the gradients' sums did, and WebGPU's
    // AddN binds every input at once: past 7 inputs its pipeline was invalid on SwiftShader and
    // the readback never resolved).
    const step = async (choice: KernelChoice): Promise<number> => {
      setKernels(choice);
      const startedAt = performance.now();
      const loss = tf.tidy(() => {
        const batch = images();
        return tf.variableGrads(() => lossOf(batch), variables).value;
      });
      try {
        await loss.data();
      } finally {
        loss.dispose();
      }
      return performance.now() - startedAt;
    };

    if (shouldStop()) return null;
    const reference = outputsOf('stock');
    let values: Float32Array;
    try {
      if (shouldStop()) return null;
      const candidate = outputsOf('optimized');
      try {
        // The comparison runs on TF.js's kernels, so that ours cannot hide their own mistake.
        setKernels('stock');
        values = await compareOnDevice(reference, candidate);
      } finally {
        tf.dispose(candidate);
      }
    } finally {
      tf.dispose(reference);
    }
    const { difference, tensor } = elementwiseDifferenceOf(values);
    const checked = {
      maxRelativeDifference: difference,
      mostDifferent: comparedNames[tensor] ?? 'output',
    };
    const unTimed = decideKernels(difference, null);
    // Checked only, or ours disagree: then a timing would decide nothing.
    if (mode === 'check' || unTimed.reason === 'disagree') {
      setKernels(unTimed.choice);
      return {
        stockMsPerStep: null,
        optimizedMsPerStep: null,
        timedStepsPerKernel: 0,
        ...checked,
        ...unTimed,
      };
    }

    // The check round was the first warm-up round.
    const rounds = Math.max(0, warmupSteps - 1) + timedSteps;
    const order: KernelChoice[] = ['stock', 'optimized'];
    for (let i = 0; i < rounds; i++) {
      for (const choice of order) {
        if (shouldStop()) return null;
        const ms = await step(choice);
        if (i >= rounds - timedSteps) stepMs[choice].push(ms);
      }
    }
    const stockMsPerStep = median(stepMs.stock);
    const optimizedMsPerStep = median(stepMs.optimized);
    const decision = decideKernels(difference, {
      stock: stockMsPerStep,
      optimized: optimizedMsPerStep,
    });
    setKernels(decision.choice);
    return {
      stockMsPerStep,
      optimizedMsPerStep,
      timedStepsPerKernel: timedSteps,
      ...checked,
      ...decision,
    };
  } finally {
    network.dispose();
  }
}

/**
 * The network a trial runs: the run's, without dropout (its random masks would make the two
 * kernel sets' results differ), built from the run's seed, and a fixed pseudo-random batch of
 * source images (the values only need to be the same for both kernel sets).
 */
function trialNetwork(settings: Settings, source: number) {
  const { batchSize, imageSize, seed } = settings;
  const model = buildAlexNet(
    alexNetLayers(architectureOf({ ...settings, dropout: 0 })),
    imageSize,
    seed,
  );
  const pixels = new Uint8Array(batchSize * source * source).map((_, i) => (i * 2654435761) >>> 24);
  const labels = tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  return {
    model,
    variables,
    // What each compared tensor is, for the page: the output, then each weight's gradient.
    comparedNames: ['output', ...model.trainableWeights.map((weight) => weight.originalName)],
    // The input kernel is part of the kernel set: the images are prepared under each set too.
    images: () => prepareImages(pixels, batchSize, source, imageSize),
    lossOf: (batch: tf.Tensor4D): tf.Scalar => {
      const logits = model.apply(batch, { training: true }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits) as tf.Scalar;
    },
    dispose: () => {
      labels.dispose();
      model.dispose();
    },
  };
}

/**
 * The op shapes our kernels compute in a run of `settings` (issue #15's tuning): `record` (the
 * tuner's recordOpShapes) runs one step of the run's network on our kernels, the evaluation's
 * fused forward pass and training's forward and backward pass, and says what it saw.
 */
export function recordRunOpShapes(
  settings: Settings,
  options: {
    sourceImageSize: number;
    record: (step: () => void) => OpShape[];
    setKernels?: (choice: KernelChoice) => void;
  },
): OpShape[] {
  const network = trialNetwork(settings, options.sourceImageSize);
  const { model, variables, images, lossOf } = network;
  try {
    (options.setKernels ?? setConvKernels)('optimized');
    return options.record(() =>
      tf.tidy(() => {
        const batch = images();
        model.apply(batch, { training: false });
        tf.variableGrads(() => lossOf(batch), variables);
      }),
    );
  } finally {
    network.dispose();
  }
}

/**
 * For each pair (reference = TF.js's, candidate = ours) of same-shaped tensors: max |Δ|,
 * max |reference|, ‖reference‖₂, and both projections on one seeded random direction
 * r ~ U(−1, 1)^n: COMPARISON_VALUES_PER_TENSOR values a pair, reduced on the GPU and read back
 * at once (5 floats per tensor, whatever the network's size). Each pair's temporaries are
 * freed before the next pair's are made, so the comparison needs about one weight's worth of
 * memory beyond the two sets.
 */
async function compareOnDevice(
  reference: readonly tf.Tensor[],
  candidate: readonly tf.Tensor[],
): Promise<Float32Array> {
  const summaries = reference.map((ref, i) =>
    tf.tidy(() => {
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
  );
  const summary = tf.concat(summaries);
  tf.dispose(summaries);
  try {
    return (await summary.data()) as Float32Array;
  } finally {
    summary.dispose();
  }
}
