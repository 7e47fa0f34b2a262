import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, type Settings } from '../config/settings.ts';
import { architectureOf } from './settingsCheck.ts';
import { alexNetLayers } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { evaluateBatch, prepareImages, trainStep } from './training.ts';

/**
 * The speed probe: a few real training steps (forward, backward, SGD update) of one network
 * shape on one synthetic batch, each awaited through a loss readback, so that the page can say
 * how long a run will take here (speed.ts) before anyone clicks Train. The network is built
 * from the settings and thrown away; nothing else is touched.
 */

export const SPEED_PROBE_WARMUP_STEPS = 1;
export const SPEED_PROBE_TIMED_STEPS = 3;
/** Rounds of SPEED_PROBE_TIMED_STEPS; their mean counts. */
export const SPEED_PROBE_TIMED_ROUNDS = 2;

export interface SpeedProbeResult {
  /** The first step: shader compilation and pipeline creation are most of it on a GPU. */
  warmupMs: number;
  /**
   * Per step, over all timed rounds. Not the fastest round: on SwiftShader the rounds of one
   * probe differed by a third (480 and 323 ms), and a run's steps (0.40–0.45 s there) include
   * the slow stretches too. A run's own epochs replace it later.
   */
  msPerStep: number;
}

export interface SpeedProbeOptions {
  /** Side length of the source images (28 for Fashion-MNIST). */
  sourceImageSize: number;
  /** Checked between steps: true ends the probe early (it then returns null). */
  shouldStop?: () => boolean;
  warmupSteps?: number;
  /** Steps per timed round, queued without waiting for each. */
  timedSteps?: number;
  timedRounds?: number;
}

/** A fixed pseudo-random batch of source images: only the shapes matter. */
function syntheticPixels(batchSize: number, sourceImageSize: number): Uint8Array {
  return new Uint8Array(batchSize * sourceImageSize * sourceImageSize).map(
    (_, i) => (i * 2654435761) >>> 24,
  );
}

/** Labels 0, 1, 2, … modulo the class count: [batchSize] int32. */
function syntheticLabels(batchSize: number): tf.Tensor1D {
  return tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
}

/** Times training steps of `settings`' network at its batch size; null when stopped. */
export async function probeStepTime(
  settings: Settings,
  options: SpeedProbeOptions,
): Promise<SpeedProbeResult | null> {
  const warmupSteps = options.warmupSteps ?? SPEED_PROBE_WARMUP_STEPS;
  const timedSteps = options.timedSteps ?? SPEED_PROBE_TIMED_STEPS;
  const timedRounds = Math.max(1, options.timedRounds ?? SPEED_PROBE_TIMED_ROUNDS);
  const { batchSize, imageSize, seed } = settings;
  const source = options.sourceImageSize;
  const model = buildAlexNet(alexNetLayers(architectureOf(settings)), imageSize, seed);
  const optimizer = tf.train.sgd(settings.learningRate);
  const pixels = syntheticPixels(batchSize, source);
  const labels = syntheticLabels(batchSize);
  // The input pipeline is part of a step: the images are prepared inside the timing.
  const queueStep = () => {
    const images = prepareImages(pixels, batchSize, source, imageSize);
    const { loss, correct } = trainStep(model, optimizer, images, labels, NUM_CLASSES);
    images.dispose();
    correct.dispose();
    return loss;
  };
  let warmupMs = 0;
  const roundMsPerStep: number[] = [];
  try {
    for (let step = 0; step < warmupSteps; step++) {
      if (options.shouldStop?.() === true) return null;
      const startedAt = performance.now();
      const loss = queueStep();
      await loss.data().finally(() => loss.dispose());
      if (step === 0) warmupMs = performance.now() - startedAt;
    }
    for (let round = 0; round < timedRounds; round++) {
      // Queued back to back and awaited once, as a run's steps are (it reads losses back every
      // few steps): awaiting each step would add the gap where the GPU waits for the next.
      const startedAt = performance.now();
      const losses: tf.Scalar[] = [];
      try {
        for (let step = 0; step < timedSteps; step++) {
          if (options.shouldStop?.() === true) return null;
          losses.push(queueStep());
        }
        await losses.at(-1)?.data();
      } finally {
        tf.dispose(losses);
      }
      roundMsPerStep.push((performance.now() - startedAt) / timedSteps);
    }
  } finally {
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  }
  const meanMsPerStep = roundMsPerStep.reduce((a, b) => a + b, 0) / roundMsPerStep.length;
  return { warmupMs, msPerStep: meanMsPerStep };
}

/**
 * One validation batch of `settings`' network ([batchSize, imageSize, imageSize, 1] synthetic
 * images, no dropout), read back, and the network thrown away. Validation compiles shaders that
 * training does not: outside a gradient tape tfjs fuses bias and ReLU into the matmul and
 * convolution (6 s of compilation at 65 px, width 0.1 on SwiftShader). Done after the probe's
 * timing, a run of this shape, such as Quick's, finds them compiled.
 */
export async function warmValidationShaders(
  settings: Settings,
  sourceImageSize: number,
): Promise<void> {
  const { batchSize, imageSize, seed } = settings;
  const model = buildAlexNet(alexNetLayers(architectureOf(settings)), imageSize, seed);
  const labels = syntheticLabels(batchSize);
  const images = prepareImages(
    syntheticPixels(batchSize, sourceImageSize),
    batchSize,
    sourceImageSize,
    imageSize,
  );
  try {
    const { lossSum, correct, predicted } = evaluateBatch(model, images, labels, NUM_CLASSES);
    const totals = tf.stack([lossSum, correct]);
    tf.dispose([lossSum, correct]);
    try {
      await Promise.all([totals.data(), predicted.data()]);
    } finally {
      tf.dispose([totals, predicted]);
    }
  } finally {
    tf.dispose([images, labels]);
    model.dispose();
  }
}
