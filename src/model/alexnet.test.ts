import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alexNetLayers } from './architecture.ts';
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

  it('uses Glorot-uniform weights and zero biases', () => {
    const layers = alexNetLayers({ width: 0.25, dropout: 0.5, numClasses: 10 });
    const model = buildAlexNet(layers, 65, 3);
    try {
      const [kernel, bias] = model.getLayer('conv2').getWeights();
      // fan_in = 5·5·24, fan_out = 5·5·64: limit sqrt(6 / (fan_in + fan_out)).
      const limit = Math.sqrt(6 / (25 * 24 + 25 * 64));
      const values = kernel!.dataSync();
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(limit * 0.95);
      expect(Array.from(bias!.dataSync()).every((v) => v === 0)).toBe(true);
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
