/**
 * The book's AlexNet (d2l §8.1) as a plain list of layer specs. One spec drives both the
 * layer-shape table (pure arithmetic, usable on the main thread without tfjs) and the tfjs
 * model builder, so the table can never disagree with what trains.
 */

import type { DroppableConv, HiddenActivation } from '../config/settings.ts';

export interface ArchitectureOptions {
  /** Multiplies every channel and hidden-unit count; 1 is the book's network. */
  width: number;
  /** Dropout rate of the two hidden dense layers, in [0, 1). */
  dropout: number;
  numClasses: number;
  /** One of the three 3×3 conv layers left out (the exercise "simplify AlexNet"); book: none. */
  dropConv?: DroppableConv;
  /** Batch normalization after each conv and hidden dense layer, before the activation. */
  batchNorm?: boolean;
  /** Activation of every hidden layer; the book's AlexNet uses ReLU. */
  activation?: HiddenActivation;
  /** Local response normalization after conv1 and conv2 blocks, as in the original AlexNet. */
  lrn?: boolean;
}

/** Activation of a conv or dense layer: 'linear' when batch norm follows (it then applies it). */
export type LayerActivation = HiddenActivation | 'linear';

/**
 * Local response normalization as in Krizhevsky et al. (2012), §3.3, channels last:
 * b = a / (k + alpha · Σ a²)^beta, the sum over `size` adjacent channels centred on this one
 * (zeros beyond the edges). alpha multiplies the plain sum, as in the paper and TF's
 * tf.nn.local_response_normalization; PyTorch's nn.LocalResponseNorm divides its alpha by
 * `size`, so the paper's 1e-4 is PyTorch's alpha=5e-4.
 */
export interface LrnParameters {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

/** The paper's values: n = 5, alpha = 1e-4, beta = 0.75, k = 2. */
export const ALEXNET_LRN: Readonly<LrnParameters> = Object.freeze({
  size: 5,
  alpha: 1e-4,
  beta: 0.75,
  k: 2,
});

export type LayerSpec =
  | {
      kind: 'conv';
      name: string;
      filters: number;
      kernelSize: number;
      stride: number;
      padding: number;
      activation: LayerActivation;
    }
  | { kind: 'maxPool'; name: string; poolSize: number; stride: number }
  | { kind: 'flatten'; name: string }
  | {
      kind: 'dense';
      name: string;
      units: number;
      activation: LayerActivation;
      dropout: number;
    }
  | {
      /**
       * Batch normalization of the preceding conv (PyTorch's BatchNorm2d, per channel) or dense
       * layer (BatchNorm1d, per unit), then that layer's activation, then its dropout: the order
       * of d2l's batch-norm chapter (§8.5). Trainable scale and shift per channel; the moving
       * mean and variance are buffers used in evaluation.
       */
      kind: 'batchNorm';
      name: string;
      dimensions: 1 | 2;
      activation: HiddenActivation;
      dropout: number;
    }
  | ({ kind: 'lrn'; name: string } & LrnParameters);

/** Channel or unit count after the width multiplier; never below one. */
export function scaledCount(bookCount: number, width: number): number {
  return Math.max(1, Math.round(bookCount * width));
}

/**
 * The layer list, in order, with the width multiplier and the variants applied. Without
 * variant options it is the book's network. A dropped conv leaves the others their names
 * (conv1, conv2, conv3, conv5 without conv4); batch norm adds a `<layer>_bn` row after each
 * conv and hidden dense layer; LRN adds lrn1 and lrn2 after conv1's and conv2's activations,
 * before their max-pools, as in the paper.
 */
export function alexNetLayers(options: ArchitectureOptions): LayerSpec[] {
  const { width, dropout, numClasses } = options;
  const dropConv = options.dropConv ?? 'none';
  const batchNorm = options.batchNorm ?? false;
  const activation = options.activation ?? 'relu';
  const layers: LayerSpec[] = [];
  // With batch norm the layer itself stays linear: BN goes between it and the activation.
  const ownActivation: LayerActivation = batchNorm ? 'linear' : activation;
  const conv = (
    name: string,
    filters: number,
    kernelSize: number,
    stride: number,
    padding: number,
  ) => {
    if (name === dropConv) return;
    layers.push({
      kind: 'conv',
      name,
      filters: scaledCount(filters, width),
      kernelSize,
      stride,
      padding,
      activation: ownActivation,
    });
    if (batchNorm) {
      layers.push({ kind: 'batchNorm', name: `${name}_bn`, dimensions: 2, activation, dropout: 0 });
    }
  };
  const lrn = (name: string) => {
    if (options.lrn === true) layers.push({ kind: 'lrn', name, ...ALEXNET_LRN });
  };
  const pool = (name: string) => layers.push({ kind: 'maxPool', name, poolSize: 3, stride: 2 });
  const hidden = (name: string, units: number) => {
    layers.push({
      kind: 'dense',
      name,
      units: scaledCount(units, width),
      activation: ownActivation,
      // Dropout follows the activation, so with batch norm it moves to the BN row.
      dropout: batchNorm ? 0 : dropout,
    });
    if (batchNorm) {
      layers.push({ kind: 'batchNorm', name: `${name}_bn`, dimensions: 1, activation, dropout });
    }
  };
  conv('conv1', 96, 11, 4, 1);
  lrn('lrn1');
  pool('pool1');
  conv('conv2', 256, 5, 1, 2);
  lrn('lrn2');
  pool('pool2');
  conv('conv3', 384, 3, 1, 1);
  conv('conv4', 384, 3, 1, 1);
  conv('conv5', 256, 3, 1, 1);
  pool('pool3');
  layers.push({ kind: 'flatten', name: 'flatten' });
  hidden('fc1', 4096);
  hidden('fc2', 4096);
  layers.push({
    kind: 'dense',
    name: 'output',
    units: numClasses,
    activation: 'linear',
    dropout: 0,
  });
  return layers;
}

const ACTIVATION_NAMES: Readonly<Record<LayerActivation, string>> = {
  relu: ' · ReLU',
  sigmoid: ' · Sigmoid',
  linear: '',
};

function dropoutText(rate: number): string {
  return rate > 0 ? ` · Dropout ${rate}` : '';
}

/** Human description of one layer, in the book's terms (PyTorch modules and arguments). */
export function describeLayer(layer: LayerSpec): string {
  switch (layer.kind) {
    case 'conv': {
      const stride = layer.stride === 1 ? '' : `, stride ${layer.stride}`;
      return `Conv2d ${layer.filters}, ${layer.kernelSize}×${layer.kernelSize}${stride}, pad ${layer.padding}${ACTIVATION_NAMES[layer.activation]}`;
    }
    case 'maxPool':
      return `MaxPool ${layer.poolSize}×${layer.poolSize}, stride ${layer.stride}`;
    case 'flatten':
      return 'Flatten';
    case 'dense':
      return `Linear ${layer.units}${ACTIVATION_NAMES[layer.activation]}${dropoutText(layer.dropout)}`;
    case 'batchNorm':
      return `BatchNorm${layer.dimensions}d${ACTIVATION_NAMES[layer.activation]}${dropoutText(layer.dropout)}`;
    case 'lrn': {
      // The paper's alpha; PyTorch's module takes size × alpha (see LrnParameters).
      const torchAlpha = Number((layer.alpha * layer.size).toPrecision(6));
      return (
        `LocalResponseNorm ${layer.size}, α ${layer.alpha.toExponential()}, β ${layer.beta}, ` +
        `k ${layer.k} (PyTorch alpha ${torchAlpha.toExponential()})`
      );
    }
  }
}

/** Each variant the settings offer on its own, and all of them at once (checks and tests). */
export const ARCHITECTURE_VARIANTS: Readonly<Record<string, Partial<ArchitectureOptions>>> = {
  'no conv3': { dropConv: 'conv3' },
  'no conv4': { dropConv: 'conv4' },
  'no conv5': { dropConv: 'conv5' },
  'batch norm': { batchNorm: true },
  sigmoid: { activation: 'sigmoid' },
  LRN: { lrn: true },
  'all at once': { dropConv: 'conv4', batchNorm: true, activation: 'sigmoid', lrn: true },
};
