import * as tf from '@tensorflow/tfjs';
import type { LayerSpec } from './architecture.ts';

/**
 * Builds the tfjs model for a layer list (see architecture.ts). Layout is NHWC, the layout
 * TF.js's WebGPU kernels are written for; the table shows shapes as the book's C×H×W.
 *
 * Input:  [batch, imageSize, imageSize, 1] float32 pixels in 0..1.
 * Output: [batch, numClasses] logits (softmax is part of the loss, as in the book).
 */
export function buildAlexNet(
  layers: readonly LayerSpec[],
  imageSize: number,
  seed: number,
  inputChannels = 1,
): tf.Sequential {
  const model = tf.sequential({ name: 'alexnet' });
  let first = true;
  // Keras layers take inputShape only on the first layer.
  const input = () => {
    if (!first) return {};
    first = false;
    return { inputShape: [imageSize, imageSize, inputChannels] };
  };
  // d2l's init_cnn: Xavier-uniform weights, zero biases. Seeded per layer for reproducible runs.
  let layerIndex = 0;
  const init = () => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + layerIndex++ }),
    biasInitializer: tf.initializers.zeros(),
  });
  for (const layer of layers) {
    switch (layer.kind) {
      case 'conv': {
        // PyTorch pads symmetrically by `padding`. TF's 'same' equals that only for stride 1
        // and padding (k-1)/2; otherwise (conv1: 11×11, stride 4, pad 1) pad explicitly.
        const sameIsBook = layer.stride === 1 && 2 * layer.padding === layer.kernelSize - 1;
        if (!sameIsBook && layer.padding > 0) {
          model.add(
            tf.layers.zeroPadding2d({
              ...input(),
              padding: layer.padding,
              name: `${layer.name}_pad`,
            }),
          );
        }
        model.add(
          tf.layers.conv2d({
            ...input(),
            ...init(),
            name: layer.name,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.stride,
            padding: sameIsBook ? 'same' : 'valid',
            activation: layer.activation,
          }),
        );
        break;
      }
      case 'maxPool':
        model.add(
          tf.layers.maxPooling2d({
            ...input(),
            name: layer.name,
            poolSize: layer.poolSize,
            strides: layer.stride,
            padding: 'valid',
          }),
        );
        break;
      case 'flatten':
        model.add(tf.layers.flatten({ ...input(), name: layer.name }));
        break;
      case 'dense':
        model.add(
          tf.layers.dense({
            ...input(),
            ...init(),
            name: layer.name,
            units: layer.units,
            activation: layer.activation,
          }),
        );
        if (layer.dropout > 0) {
          model.add(tf.layers.dropout({ rate: layer.dropout, name: `${layer.name}_dropout` }));
        }
        break;
    }
  }
  return model;
}
