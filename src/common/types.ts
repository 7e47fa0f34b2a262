/**
 * The plain data types that both threads and every layer share: what a run reports each epoch,
 * a split of images, the data set a run trained on, the convolution kernels, a chart point,
 * a run's status and a trained model as the worker hands it over. The bottom layer: it imports
 * types only, and holds no code that needs TensorFlow.js or the DOM, so the main thread can
 * import it without loading either.
 */

import type { io } from '@tensorflow/tfjs';

export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  /** Training images per second in this epoch (validation time excluded). */
  imagesPerSecond: number;
  /** Time since the run started, pauses excluded. */
  elapsedMs: number;
}

/** Images and their labels, e.g. Fashion-MNIST's training or test set. */
export interface Split {
  count: number;
  /** Side of the square images: 28. */
  imageSize: number;
  /** count*28*28 grey levels 0..255, image after image, row-major. */
  pixels: Uint8Array;
  /** count class ids 0..9, indexes into CLASS_NAMES. */
  labels: Uint8Array;
}

/** What a run trained on, as the run's record keeps it. Plain data. */
export interface DataSetInfo {
  /** FASHION_MNIST_DATA_ID, or `upload-…` from the files' contents. */
  id: string;
  name: string;
  /** Ten names, index = class id. */
  classNames: string[];
}

/** The convolution kernels a WebGPU run uses: this project's WGSL ones, or TF.js's own. */
export type KernelChoice = 'optimized' | 'stock';

/** A point on a chart: x in (fractional) epochs. */
export interface SeriesPoint {
  x: number;
  y: number;
}

/** How a run ended, as the worker reports it. */
export const RUN_END_STATUSES = ['done', 'stopped', 'diverged', 'failed'] as const;
export type RunEndStatus = (typeof RUN_END_STATUSES)[number];

/** A run's status in the history: 'running' is only ever seen while the run trains; one found
 * on load is 'interrupted'. */
export const RUN_RECORD_STATUSES = ['running', ...RUN_END_STATUSES, 'interrupted'] as const;
export type RunRecordStatus = (typeof RUN_RECORD_STATUSES)[number];

/** A model as TF.js's `model.save` hands it over (Layers format), weights in one buffer. */
export interface ExportedModel {
  /** Keras-style JSON topology: `{ class_name: 'Sequential', config, … }`. */
  modelTopology: object;
  weightSpecs: io.WeightsManifestEntry[];
  /** Every weight, in weightSpecs order (transferred). */
  weightData: ArrayBuffer;
}
