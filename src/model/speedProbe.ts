import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, type Settings } from '../config/settings.ts';
import { architectureOf } from './settingsCheck.ts';
import { alexNetLayers } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { prepareImages, trainStep } from './training.ts';

/**
 * The speed probe: a few real training steps (forward, backward, SGD update) of one network
 * shape on one synthetic batch, each awaited through a loss readback, so that the page can say
 * how long a run will take here (speed.ts) before anyone clicks Train. The network is built
 * from the settings and thrown away; nothing else is touched.
 */

export const SPEED_PROBE_WARMUP_STEPS = 1;
export const SPEED_PROBE_TIMED_STEPS = 3;

export interface SpeedProbeResult {
  /** The first step: shader compilation and pipeline creation are most of it on a GPU. */
  warmupMs: number;
  /**
   * The fastest timed step: the probe runs while the page starts, and whatever else keeps the
   * machine busy only ever makes a step slower. A run's own epochs replace it later.
   */
  msPerStep: number;
}

export interface SpeedProbeOptions {
  /** Side length of the source images (28 for Fashion-MNIST). */
  sourceImageSize: number;
  /** Checked between steps: true ends the probe early (it then returns null). */
  shouldStop?: () => boolean;
  warmupSteps?: number;
  timedSteps?: number;
}

/** Times training steps of `settings`' network at its batch size; null when stopped. */
export async function probeStepTime(
  settings: Settings,
  options: SpeedProbeOptions,
): Promise<SpeedProbeResult | null> {
  const warmupSteps = options.warmupSteps ?? SPEED_PROBE_WARMUP_STEPS;
  const timedSteps = options.timedSteps ?? SPEED_PROBE_TIMED_STEPS;
  const { batchSize, imageSize, seed } = settings;
  const source = options.sourceImageSize;
  const model = buildAlexNet(alexNetLayers(architectureOf(settings)), imageSize, seed);
  const optimizer = tf.train.sgd(settings.learningRate);
  // The values do not matter, only the shapes: a fixed pseudo-random batch.
  const pixels = new Uint8Array(batchSize * source * source).map((_, i) => (i * 2654435761) >>> 24);
  const labels = tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % NUM_CLASSES),
    'int32',
  );
  const stepMs: number[] = [];
  try {
    for (let step = 0; step < warmupSteps + timedSteps; step++) {
      if (options.shouldStop?.() === true) return null;
      const startedAt = performance.now();
      // The input pipeline is part of a step: the images are prepared inside the timing.
      const images = prepareImages(pixels, batchSize, source, imageSize);
      const { loss, correct } = trainStep(model, optimizer, images, labels, NUM_CLASSES);
      images.dispose();
      try {
        await loss.data();
      } finally {
        loss.dispose();
        correct.dispose();
      }
      stepMs.push(performance.now() - startedAt);
    }
  } finally {
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  }
  const timed = stepMs.slice(warmupSteps);
  return { warmupMs: stepMs[0], msPerStep: Math.min(...(timed.length > 0 ? timed : stepMs)) };
}
