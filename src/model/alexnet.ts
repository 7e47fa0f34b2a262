import * as tf from '@tensorflow/tfjs';
import type { LayerSpec } from './architecture.ts';
import { LocalResponseNormalization } from './lrn.ts';

/**
 * Order of the book's weighted layers. A layer's initialiser seed comes from its place here, so
 * a variant (a conv dropped, batch norm added) initialises the layers it shares with the book's
 * network from the same seeds.
 */
const BOOK_WEIGHTED_LAYERS = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc1', 'fc2', 'output'];

/**
 * PyTorch's BatchNorm defaults, which the book uses: running = (1 − 0.1)·running + 0.1·batch,
 * i.e. tfjs momentum 0.9 (tfjs's own default is 0.99), and epsilon 1e-5 (tfjs: 1e-3). One
 * difference remains: tfjs averages the biased batch variance into the moving variance, PyTorch
 * the unbiased one, a factor n/(n−1) apart (n = batch × height × width values per channel): it
 * matters only for the dense layers' BN at very small batches.
 */
const BATCH_NORM = { axis: -1, momentum: 0.9, epsilon: 1e-5 } as const;

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
  // d2l's init_cnn: Xavier-uniform weights; biases keep PyTorch's default (see
  // initBiasesLikePyTorch). Seeded per layer for reproducible runs.
  const layerIndexOf = new Map<string, number>();
  let extraIndex = BOOK_WEIGHTED_LAYERS.length;
  const init = (name: string) => {
    const bookIndex = BOOK_WEIGHTED_LAYERS.indexOf(name);
    const layerIndex = bookIndex >= 0 ? bookIndex : extraIndex++;
    layerIndexOf.set(name, layerIndex);
    return {
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + layerIndex }),
      biasInitializer: tf.initializers.zeros(),
    };
  };
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
            ...init(layer.name),
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
            ...init(layer.name),
            name: layer.name,
            units: layer.units,
            activation: layer.activation,
          }),
        );
        if (layer.dropout > 0) {
          model.add(tf.layers.dropout({ rate: layer.dropout, name: `${layer.name}_dropout` }));
        }
        break;
      case 'batchNorm':
        // Batch statistics while training (model.apply(x, { training: true })), which also
        // update the moving mean and variance; those moving statistics in evaluation. γ = 1,
        // β = 0, moving mean 0 and variance 1 at the start, as in PyTorch.
        model.add(tf.layers.batchNormalization({ ...input(), ...BATCH_NORM, name: layer.name }));
        model.add(
          tf.layers.activation({
            activation: layer.activation,
            name: `${layer.name}_${layer.activation}`,
          }),
        );
        if (layer.dropout > 0) {
          model.add(tf.layers.dropout({ rate: layer.dropout, name: `${layer.name}_dropout` }));
        }
        break;
      case 'lrn':
        model.add(
          new LocalResponseNormalization({
            ...input(),
            name: layer.name,
            size: layer.size,
            alpha: layer.alpha,
            beta: layer.beta,
            k: layer.k,
          }),
        );
        break;
    }
  }
  initBiasesLikePyTorch(model, seed, layerIndexOf);
  return model;
}

/**
 * d2l's init_cnn re-initialises only the weights, so the book's biases keep PyTorch's default
 * for Conv2d and Linear: U(−1/√fan_in, 1/√fan_in), fan_in = kernel height × width × input
 * channels (conv) or input units (dense). Keras has no initialiser that sees the kernel's
 * shape, so the biases are written once the model is built.
 */
function initBiasesLikePyTorch(
  model: tf.Sequential,
  seed: number,
  layerIndexOf: ReadonlyMap<string, number>,
): void {
  for (const layer of model.layers) {
    const layerIndex = layerIndexOf.get(layer.name);
    if (layerIndex === undefined) continue;
    const [kernel, bias] = layer.getWeights();
    if (kernel === undefined || bias === undefined) continue;
    // Kernel: [kh, kw, in, out] (conv) or [in, out] (dense); fan_in is all but the last axis.
    const fanIn = kernel.shape.slice(0, -1).reduce((product, size) => product * size, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const newBias = tf.randomUniform(
      bias.shape,
      -bound,
      bound,
      'float32',
      seed * 1000 + 500 + layerIndex,
    );
    layer.setWeights([kernel, newBias]);
    newBias.dispose();
  }
}
