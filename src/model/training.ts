import * as tf from '@tensorflow/tfjs';
import { greyImagesOnDevice } from '../kernels/inputImages.ts';

/**
 * The pure training and evaluation steps. Every tensor made here is either disposed inside a
 * tidy or handed to the caller, who owns it.
 */

/**
 * Turns a batch of 28×28 uint8 images into the network's input on the device: scale to 0..1
 * and resize to imageSize×imageSize (bilinear, half-pixel centres like PIL/torchvision).
 * With our WebGPU kernels the bytes themselves are uploaded and one pass does both
 * (src/kernels/inputImages.ts); elsewhere tfjs ops do, with the same results (the self-test
 * checks them against these ops on the CPU backend). No readback either way.
 *
 * pixels: batch*sourceSize*sourceSize bytes. Returns [batch, imageSize, imageSize, 1] float32.
 */
export function prepareImages(
  pixels: Uint8Array,
  batch: number,
  sourceSize: number,
  imageSize: number,
): tf.Tensor4D {
  const onDevice = greyImagesOnDevice(pixels, batch, sourceSize, imageSize);
  if (onDevice !== null) return onDevice;
  return tf.tidy(() => {
    // tfjs has no uint8 dtype; int32 upload is 4 bytes a pixel, still tiny next to the resize.
    const raw = tf.tensor4d(Int32Array.from(pixels), [batch, sourceSize, sourceSize, 1], 'int32');
    const scaled = raw.toFloat().div(255) as tf.Tensor4D;
    if (imageSize === sourceSize) return scaled;
    return tf.image.resizeBilinear(scaled, [imageSize, imageSize], false, true);
  });
}

export interface StepResult {
  /** Mean softmax cross-entropy over the batch, shape []. */
  loss: tf.Scalar;
  /** Number of correct top-1 predictions in the batch, shape []. */
  correct: tf.Scalar;
}

function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return logits.argMax(1).equal(labels).sum().toFloat() as tf.Scalar;
}

/**
 * One SGD step: forward with dropout active, softmax cross-entropy on logits, backward, update.
 * images: [batch, H, W, C] float32; labels: [batch] int32 class ids.
 * The caller disposes the returned scalars (reading them is deferred so the GPU is not stalled).
 */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor1D,
  numClasses: number,
): StepResult {
  // minimize() tidies everything made in the closure; keep the accuracy count out of it.
  const kept: { correct?: tf.Scalar } = {};
  const loss = optimizer.minimize(() => {
    const logits = model.apply(images, { training: true }) as tf.Tensor2D;
    kept.correct = tf.keep(countCorrect(logits, labels));
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits) as tf.Scalar;
  }, true);
  if (loss === null || kept.correct === undefined) throw new Error('optimizer returned no loss');
  return { loss, correct: kept.correct };
}

/**
 * Forward pass without dropout. Returns the summed (not mean) loss and the number correct, so
 * batches of different sizes add up exactly, and the predicted class of each image ([batch]
 * int32) for the confusion matrix.
 *
 * images: [batch, H, W, C]; labels: [batch − skipFirst], the labels of the images from
 * `skipFirst` on. The first `skipFirst` images go through the network but count nowhere: a
 * last, short validation batch is filled up with images already counted, so that it has the
 * shape of the others and reuses their compiled shaders (a new shape costs seconds of shader
 * compilation on a software GPU).
 */
export function evaluateBatch(
  model: tf.LayersModel,
  images: tf.Tensor4D,
  labels: tf.Tensor1D,
  numClasses: number,
  skipFirst = 0,
): { lossSum: tf.Scalar; correct: tf.Scalar; predicted: tf.Tensor1D } {
  return tf.tidy(() => {
    const allLogits = model.apply(images, { training: false }) as tf.Tensor2D;
    const logits = skipFirst === 0 ? allLogits : allLogits.slice([skipFirst, 0], [-1, -1]);
    const lossSum = tf.losses.softmaxCrossEntropy(
      tf.oneHot(labels, numClasses),
      logits,
      undefined,
      undefined,
      tf.Reduction.SUM,
    ) as tf.Scalar;
    const predicted = logits.argMax(1) as tf.Tensor1D;
    return { lossSum, correct: predicted.equal(labels).sum().toFloat() as tf.Scalar, predicted };
  });
}

/**
 * Predicted class and its softmax probability for each image, without dropout.
 * images: [n, H, W, C]. Returns [n] int32 classes and [n] float32 confidences.
 */
export function predictWithConfidence(
  model: tf.LayersModel,
  images: tf.Tensor4D,
): { predicted: tf.Tensor1D; confidence: tf.Tensor1D } {
  return tf.tidy(() => {
    const probabilities = tf.softmax(model.apply(images, { training: false }) as tf.Tensor2D);
    return {
      predicted: probabilities.argMax(1) as tf.Tensor1D,
      confidence: probabilities.max(1) as tf.Tensor1D,
    };
  });
}
