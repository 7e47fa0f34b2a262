/**
 * The book's AlexNet (d2l §8.1) as a plain list of layer specs. One spec drives both the
 * layer-shape table (pure arithmetic, usable on the main thread without tfjs) and the tfjs
 * model builder, so the table can never disagree with what trains.
 */

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

export const DROPPABLE_CONVS = ['none', 'conv3', 'conv4', 'conv5'] as const;
export type DroppableConv = (typeof DROPPABLE_CONVS)[number];
export const HIDDEN_ACTIVATIONS = ['relu', 'sigmoid'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

export type LayerSpec =
  | {
      kind: 'conv';
      name: string;
      filters: number;
      kernelSize: number;
      stride: number;
      padding: number;
      activation: 'relu';
    }
  | { kind: 'maxPool'; name: string; poolSize: number; stride: number }
  | { kind: 'flatten'; name: string }
  | {
      kind: 'dense';
      name: string;
      units: number;
      activation: 'relu' | 'linear';
      dropout: number;
    };

/** Channel or unit count after the width multiplier; never below one. */
export function scaledCount(bookCount: number, width: number): number {
  return Math.max(1, Math.round(bookCount * width));
}

/** The seed's layer list, in order, with the width multiplier applied. */
export function alexNetLayers(options: ArchitectureOptions): LayerSpec[] {
  const { width, dropout, numClasses } = options;
  const conv = (
    name: string,
    filters: number,
    kernelSize: number,
    stride: number,
    padding: number,
  ) =>
    ({
      kind: 'conv',
      name,
      filters: scaledCount(filters, width),
      kernelSize,
      stride,
      padding,
      activation: 'relu',
    }) as const;
  const pool = (name: string) => ({ kind: 'maxPool', name, poolSize: 3, stride: 2 }) as const;
  return [
    conv('conv1', 96, 11, 4, 1),
    pool('pool1'),
    conv('conv2', 256, 5, 1, 2),
    pool('pool2'),
    conv('conv3', 384, 3, 1, 1),
    conv('conv4', 384, 3, 1, 1),
    conv('conv5', 256, 3, 1, 1),
    pool('pool3'),
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'fc1', units: scaledCount(4096, width), activation: 'relu', dropout },
    { kind: 'dense', name: 'fc2', units: scaledCount(4096, width), activation: 'relu', dropout },
    { kind: 'dense', name: 'output', units: numClasses, activation: 'linear', dropout: 0 },
  ];
}

/** Human description of one layer, in the book's terms (PyTorch arguments). */
export function describeLayer(layer: LayerSpec): string {
  switch (layer.kind) {
    case 'conv': {
      const stride = layer.stride === 1 ? '' : `, stride ${layer.stride}`;
      return `Conv2d ${layer.filters}, ${layer.kernelSize}×${layer.kernelSize}${stride}, pad ${layer.padding} · ReLU`;
    }
    case 'maxPool':
      return `MaxPool ${layer.poolSize}×${layer.poolSize}, stride ${layer.stride}`;
    case 'flatten':
      return 'Flatten';
    case 'dense': {
      const activation = layer.activation === 'relu' ? ' · ReLU' : '';
      const dropout = layer.dropout > 0 ? ` · Dropout ${layer.dropout}` : '';
      return `Linear ${layer.units}${activation}${dropout}`;
    }
  }
}
