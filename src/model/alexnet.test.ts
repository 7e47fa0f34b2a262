import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alexNetLayers, ARCHITECTURE_VARIANTS, type ArchitectureOptions } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { computeLayerTable } from './layerTable.ts';
import { evaluateBatch, prepareImages, trainStep } from './training.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** NHWC output shape of a tfjs layer, as the table's C×H×W or features. */
function asBookShape(shape: tf.Shape): number[] {
  const dims = shape.slice(1) as number[];
  return dims.length === 3 ? [dims[2]!, dims[0]!, dims[1]!] : dims;
}

describe('tfjs AlexNet', () => {
  it('has the table’s output shapes and parameter counts for the book’s network at 224 px', () => {
    const layers = alexNetLayers({ width: 1, dropout: 0.5, numClasses: 10 });
    const table = computeLayerTable(layers, 224);
    if (!table.ok) throw new Error('valid');
    const model = buildAlexNet(layers, 224, 1);
    try {
      for (const row of table.table.rows) {
        const layer = model.getLayer(row.name);
        expect(asBookShape(layer.outputShape as tf.Shape), row.name).toEqual(row.outputShape);
        expect(layer.countParams(), row.name).toBe(row.parameters);
      }
      expect(model.countParams()).toBe(46_764_746);
    } finally {
      model.dispose();
    }
  });

  it("uses Glorot-uniform weights and PyTorch's default biases", () => {
    const layers = alexNetLayers({ width: 0.25, dropout: 0.5, numClasses: 10 });
    const model = buildAlexNet(layers, 65, 3);
    try {
      const [kernel] = model.getLayer('conv2').getWeights();
      // fan_in = 5·5·24, fan_out = 5·5·64: limit sqrt(6 / (fan_in + fan_out)).
      const limit = Math.sqrt(6 / (25 * 24 + 25 * 64));
      const values = kernel!.dataSync();
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(limit * 0.95);
      // Biases: U(−1/√fan_in, 1/√fan_in), PyTorch's default, which d2l's init_cnn keeps.
      const fanInByLayer: Record<string, number> = {
        conv1: 11 * 11 * 1,
        conv2: 5 * 5 * 24,
        conv3: 3 * 3 * 64,
        conv4: 3 * 3 * 96,
        conv5: 3 * 3 * 96,
        fc1: 64 * 1 * 1,
        fc2: 1024,
        output: 1024,
      };
      for (const [name, fanIn] of Object.entries(fanInByLayer)) {
        const bias = Array.from(model.getLayer(name).getWeights()[1]!.dataSync());
        const bound = 1 / Math.sqrt(fanIn);
        const largest = Math.max(...bias.map(Math.abs));
        expect(largest, name).toBeLessThanOrEqual(bound);
        // Spread over the interval, not zero and not a constant.
        if (bias.length >= 10) expect(largest, name).toBeGreaterThan(bound * 0.5);
        expect(new Set(bias).size, name).toBeGreaterThan(bias.length / 2);
      }
    } finally {
      model.dispose();
    }
  });

  it('applies dropout only while training', () => {
    const layers = alexNetLayers({ width: 0.1, dropout: 0.5, numClasses: 10 });
    const model = buildAlexNet(layers, 65, 1);
    const x = tf.randomUniform([2, 65, 65, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    try {
      const evalA = (model.apply(x, { training: false }) as tf.Tensor).arraySync();
      const evalB = (model.apply(x, { training: false }) as tf.Tensor).arraySync();
      const trainA = (model.apply(x, { training: true }) as tf.Tensor).arraySync();
      expect(evalA).toEqual(evalB);
      expect(trainA).not.toEqual(evalA);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('resizes 28×28 uint8 batches to the image size with pixels in 0..1', () => {
    const pixels = new Uint8Array(2 * 28 * 28).fill(255);
    pixels[0] = 0;
    const images = prepareImages(pixels, 2, 28, 65);
    expect(images.shape).toEqual([2, 65, 65, 1]);
    const values = images.dataSync();
    expect(Math.max(...values)).toBe(1);
    expect(Math.min(...values)).toBe(0);
    images.dispose();
  });

  it('learns a fixed batch and keeps the tensor count flat across steps', () => {
    const layers = alexNetLayers({ width: 0.05, dropout: 0, numClasses: 10 });
    const model = buildAlexNet(layers, 65, 1);
    const optimizer = tf.train.sgd(0.2);
    const images = tf.randomUniform([4, 65, 65, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
    const losses: number[] = [];
    let tensorsAfterFirstStep = 0;
    for (let step = 0; step < 20; step++) {
      const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
      correct.dispose();
      // The optimizer creates its state on the first step; after that nothing may accumulate.
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
    const before = tf.memory().numTensors;
    const { lossSum, correct, predicted } = evaluateBatch(model, images, labels, 10);
    expect(predicted.shape).toEqual([4]);
    predicted.dispose();
    expect(lossSum.dataSync()[0]).toBeGreaterThan(0);
    expect(correct.dataSync()[0]).toBeGreaterThanOrEqual(0);
    lossSum.dispose();
    correct.dispose();
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  });
});

const VARIANTS = ARCHITECTURE_VARIANTS;

function variantLayers(options: Partial<ArchitectureOptions>, width: number, dropout = 0.5) {
  return alexNetLayers({ width, dropout, numClasses: 10, ...options });
}

/** Trainable values of a layer, as PyTorch counts parameters (BN: γ and β, not the buffers). */
function trainableCount(weights: readonly { shape: tf.Shape }[]): number {
  return weights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

describe('tfjs AlexNet variants', () => {
  for (const [label, options] of Object.entries(VARIANTS)) {
    it(`${label}: the built model has the table’s shapes and trainable parameters`, () => {
      const layers = variantLayers(options, 0.1);
      const table = computeLayerTable(layers, 65);
      if (!table.ok) throw new Error('valid');
      const model = buildAlexNet(layers, 65, 1);
      try {
        for (const row of table.table.rows) {
          const layer = model.getLayer(row.name);
          expect(asBookShape(layer.outputShape as tf.Shape), row.name).toEqual(row.outputShape);
          expect(trainableCount(layer.trainableWeights), row.name).toBe(row.parameters);
        }
        expect(trainableCount(model.trainableWeights)).toBe(table.table.totalParameters);
        // The dropped conv is gone, not just renamed.
        const dropped = options.dropConv;
        if (dropped !== undefined) expect(() => model.getLayer(dropped)).toThrow();
      } finally {
        model.dispose();
      }
    });
  }

  it('has the expected parameter counts at 224 px, width 1', () => {
    const total = (options: Partial<ArchitectureOptions>) => {
      const model = buildAlexNet(variantLayers(options, 1), 224, 1);
      const count = trainableCount(model.trainableWeights);
      model.dispose();
      return count;
    };
    expect(total({ dropConv: 'conv4' })).toBe(46_764_746 - 1_327_488);
    expect(total({ batchNorm: true })).toBe(46_764_746 + 19_136);
    expect(total({ lrn: true, activation: 'sigmoid' })).toBe(46_764_746);
  });

  it('applies sigmoid after every hidden layer and batch norm between layer and activation', () => {
    const model = buildAlexNet(
      variantLayers({ activation: 'sigmoid', batchNorm: true }, 0.1),
      65,
      1,
    );
    try {
      const config = (name: string) => model.getLayer(name).getConfig();
      expect(config('conv1').activation).toBe('linear');
      expect(config('conv1_bn_sigmoid').activation).toBe('sigmoid');
      expect(config('conv1_bn')).toMatchObject({ axis: -1, momentum: 0.9, epsilon: 1e-5 });
      expect(config('fc2_bn_dropout').rate).toBe(0.5);
      expect(config('output').activation).toBe('linear');
      // Keras order: BN → activation → dropout after fc1.
      const names = model.layers.map((layer) => layer.name);
      expect(names.slice(names.indexOf('fc1'), names.indexOf('fc1') + 4)).toEqual([
        'fc1',
        'fc1_bn',
        'fc1_bn_sigmoid',
        'fc1_bn_dropout',
      ]);
    } finally {
      model.dispose();
    }
    const plain = buildAlexNet(variantLayers({ activation: 'sigmoid' }, 0.1), 65, 1);
    expect(plain.getLayer('conv3').getConfig().activation).toBe('sigmoid');
    expect(plain.getLayer('fc1').getConfig().activation).toBe('sigmoid');
    plain.dispose();
  });

  it('seeds each layer by its place in the book’s network, so variants share initial weights', () => {
    const book = buildAlexNet(variantLayers({}, 0.1), 65, 4);
    const variant = buildAlexNet(variantLayers({ dropConv: 'conv3', batchNorm: true }, 0.1), 65, 4);
    const again = buildAlexNet(variantLayers({}, 0.1), 65, 4);
    try {
      const kernel = (model: tf.LayersModel, name: string) =>
        Array.from(model.getLayer(name).getWeights()[0]!.dataSync());
      expect(kernel(variant, 'conv1')).toEqual(kernel(book, 'conv1'));
      expect(kernel(variant, 'conv5')).toEqual(kernel(book, 'conv5'));
      expect(kernel(again, 'fc2')).toEqual(kernel(book, 'fc2'));
    } finally {
      book.dispose();
      variant.dispose();
      again.dispose();
    }
  });

  it('batch norm: training updates the moving statistics, evaluation uses them', () => {
    const layers = variantLayers({ batchNorm: true }, 0.1, 0);
    const model = buildAlexNet(layers, 65, 1);
    const optimizer = tf.train.sgd(0.05);
    const images = tf.randomUniform([4, 65, 65, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
    const moving = (name: string) =>
      model
        .getLayer(name)
        .getWeights()
        .slice(2)
        .map((weight) => Array.from(weight.dataSync()));
    try {
      const [mean0, variance0] = moving('conv1_bn');
      expect(new Set(mean0)).toEqual(new Set([0]));
      expect(new Set(variance0)).toEqual(new Set([1]));
      const evalBefore = (model.apply(images, { training: false }) as tf.Tensor).arraySync();
      // Evaluation does not touch them.
      expect(moving('conv1_bn')).toEqual([mean0, variance0]);
      // conv1's per-channel batch statistics, from the weights the step's forward pass sees.
      const [batchMean, batchVariance] = tf.tidy(() => {
        const conv1 = tf.model({ inputs: model.inputs, outputs: model.getLayer('conv1').output });
        const { mean, variance } = tf.moments(conv1.predict(images) as tf.Tensor, [0, 1, 2]);
        return [Array.from(mean.dataSync()), Array.from(variance.dataSync())];
      });

      const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
      tf.dispose([loss, correct]);
      // PyTorch's momentum 0.1: moving = 0.9·moving + 0.1·(this batch's statistic).
      const [mean1, variance1] = moving('conv1_bn');
      mean1!.forEach((value, c) => expect(value).toBeCloseTo(0.1 * batchMean![c]!, 5));
      variance1!.forEach((value, c) =>
        expect(value).toBeCloseTo(0.9 + 0.1 * batchVariance![c]!, 5),
      );
      expect(mean1).not.toEqual(mean0);
      // The dense layers' BN moved too.
      expect(moving('fc1_bn')[0]!.some((value) => value !== 0)).toBe(true);

      // Evaluation is deterministic, uses the moving statistics (so it changed with them) and
      // differs from the training-mode pass, which normalizes with the batch's own statistics.
      const evalA = (model.apply(images, { training: false }) as tf.Tensor).arraySync();
      const evalB = (model.apply(images, { training: false }) as tf.Tensor).arraySync();
      const train = (model.apply(images, { training: true }) as tf.Tensor).arraySync();
      expect(evalA).toEqual(evalB);
      expect(evalA).not.toEqual(evalBefore);
      expect(train).not.toEqual(evalA);
    } finally {
      tf.dispose([images, labels]);
      optimizer.dispose();
      model.dispose();
    }
  });

  it('keeps the tensor count flat across training steps with batch norm, LRN and sigmoid on', () => {
    const layers = variantLayers(VARIANTS['all at once']!, 0.05, 0.5);
    const model = buildAlexNet(layers, 65, 1);
    const optimizer = tf.train.sgd(0.1);
    const images = tf.randomUniform([4, 65, 65, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
    let tensorsAfterFirstStep = 0;
    for (let step = 0; step < 5; step++) {
      const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
      expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
      tf.dispose([loss, correct]);
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    }
    const before = tf.memory().numTensors;
    const { lossSum, correct, predicted } = evaluateBatch(model, images, labels, 10);
    expect(Number.isFinite(lossSum.dataSync()[0])).toBe(true);
    tf.dispose([lossSum, correct, predicted]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([images, labels]);
    optimizer.dispose();
    model.dispose();
  });
});
