import { describeLayer, type LayerSpec } from './architecture.ts';

/**
 * The book's `layer_summary`, computed by arithmetic alone (no tfjs), so the main thread can
 * show it for any settings before and during training.
 */

export interface LayerRow {
  name: string;
  description: string;
  /** [channels, height, width] after a spatial layer, [features] after flatten/dense. */
  outputShape: readonly number[];
  /**
   * Trainable parameters, counted as PyTorch does: weights plus biases; γ and β for batch
   * norm (its moving mean and variance are buffers, not parameters); none for LRN.
   */
  parameters: number;
  /**
   * Forward multiply-adds for one image: those of the convolutions and matrix products, plus
   * one per element for batch norm and `size` per element for LRN (small next to the convs).
   */
  multiplyAddsPerImage: number;
}

export interface LayerTable {
  rows: LayerRow[];
  totalParameters: number;
  totalMultiplyAddsPerImage: number;
}

/** Where the feature map first becomes empty for a too-small image. */
export interface VanishedFeatureMap {
  layerName: string;
  layerDescription: string;
  /** Spatial size of the feature map entering that layer. */
  inputSize: number;
  imageSize: number;
  minimumImageSize: number;
}

export type LayerTableResult =
  { ok: true; table: LayerTable } | { ok: false; vanished: VanishedFeatureMap };

/** PyTorch's output-size rule: floor((n + 2p - k) / s) + 1, empty when it is below 1. */
export function convOutputSize(
  inputSize: number,
  kernelSize: number,
  stride: number,
  padding: number,
): number {
  return Math.floor((inputSize + 2 * padding - kernelSize) / stride) + 1;
}

type Walk = { ok: true; rows: LayerRow[] } | { ok: false; layer: LayerSpec; inputSize: number };

function walk(layers: readonly LayerSpec[], imageSize: number, inputChannels: number): Walk {
  let channels = inputChannels;
  let size = imageSize;
  let features: number | null = null; // set once flattened
  const rows: LayerRow[] = [];
  for (const layer of layers) {
    const description = describeLayer(layer);
    switch (layer.kind) {
      case 'conv': {
        const outSize = convOutputSize(size, layer.kernelSize, layer.stride, layer.padding);
        if (outSize < 1) return { ok: false, layer, inputSize: size };
        const weights = layer.kernelSize * layer.kernelSize * channels * layer.filters;
        rows.push({
          name: layer.name,
          description,
          outputShape: [layer.filters, outSize, outSize],
          parameters: weights + layer.filters,
          multiplyAddsPerImage: weights * outSize * outSize,
        });
        channels = layer.filters;
        size = outSize;
        break;
      }
      case 'maxPool': {
        const outSize = convOutputSize(size, layer.poolSize, layer.stride, 0);
        if (outSize < 1) return { ok: false, layer, inputSize: size };
        rows.push({
          name: layer.name,
          description,
          outputShape: [channels, outSize, outSize],
          parameters: 0,
          multiplyAddsPerImage: 0,
        });
        size = outSize;
        break;
      }
      case 'flatten': {
        features = channels * size * size;
        rows.push({
          name: layer.name,
          description,
          outputShape: [features],
          parameters: 0,
          multiplyAddsPerImage: 0,
        });
        break;
      }
      case 'batchNorm': {
        // Normalizes whatever the previous layer produced: per channel after a conv
        // (BatchNorm2d), per unit after a dense layer (BatchNorm1d).
        const shape = features === null ? [channels, size, size] : [features];
        const perFeature = features ?? channels;
        rows.push({
          name: layer.name,
          description,
          outputShape: shape,
          // PyTorch's count: the trainable scale γ and shift β. The moving mean and variance
          // are buffers (non-trainable tfjs weights), updated by averaging, not by SGD.
          parameters: 2 * perFeature,
          // One per element: at evaluation BN folds into y = a·x + b per feature.
          multiplyAddsPerImage: shape.reduce((a, b) => a * b, 1),
        });
        break;
      }
      case 'lrn': {
        const elements = channels * size * size;
        rows.push({
          name: layer.name,
          description,
          outputShape: [channels, size, size],
          parameters: 0,
          // The window's sum of squares, one multiply-add per neighbour; the power and the
          // division are not counted.
          multiplyAddsPerImage: layer.size * elements,
        });
        break;
      }
      case 'dense': {
        const inputs: number = features ?? channels * size * size;
        rows.push({
          name: layer.name,
          description,
          outputShape: [layer.units],
          parameters: inputs * layer.units + layer.units,
          multiplyAddsPerImage: inputs * layer.units,
        });
        features = layer.units;
        break;
      }
    }
  }
  return { ok: true, rows };
}

/** Smallest square image for which every layer has a non-empty output. */
export function minimumImageSize(layers: readonly LayerSpec[], inputChannels = 1): number {
  // Output sizes are monotone in the input size, so the first size that works is the minimum.
  for (let size = 1; size <= 4096; size++) {
    if (walk(layers, size, inputChannels).ok) return size;
  }
  throw new RangeError('No image size up to 4096 px gives this network a non-empty output');
}

/**
 * Output shape and parameter count of every layer for one `imageSize`×`imageSize` image with
 * `inputChannels` channels, or the layer where the feature map vanishes.
 */
export function computeLayerTable(
  layers: readonly LayerSpec[],
  imageSize: number,
  inputChannels = 1,
): LayerTableResult {
  const result = walk(layers, imageSize, inputChannels);
  if (!result.ok) {
    return {
      ok: false,
      vanished: {
        layerName: result.layer.name,
        layerDescription: describeLayer(result.layer),
        inputSize: result.inputSize,
        imageSize,
        minimumImageSize: minimumImageSize(layers, inputChannels),
      },
    };
  }
  return {
    ok: true,
    table: {
      rows: result.rows,
      totalParameters: result.rows.reduce((sum, row) => sum + row.parameters, 0),
      totalMultiplyAddsPerImage: result.rows.reduce(
        (sum, row) => sum + row.multiplyAddsPerImage,
        0,
      ),
    },
  };
}

/** The sentence shown when an image is too small for the network. */
export function vanishedMessage(vanished: VanishedFeatureMap): string {
  return (
    `Image size ${vanished.imageSize} px is too small for this network: the feature map ` +
    `vanishes at ${vanished.layerName} (${vanished.layerDescription}), whose input is only ` +
    `${vanished.inputSize}×${vanished.inputSize}. Use at least ${vanished.minimumImageSize} px.`
  );
}

/** Book-style shape text: "96×54×54" or "4096". */
export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}
