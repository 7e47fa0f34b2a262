import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALEXNET_LRN } from './architecture.ts';
import { channelWindowSum, LocalResponseNormalization, localResponseNorm } from './lrn.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('local response normalization', () => {
  it('sums each channel’s window with zeros beyond the edges', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    expect(Array.from(channelWindowSum(x, 3).dataSync())).toEqual([3, 6, 9, 7]);
    expect(Array.from(channelWindowSum(x, 5).dataSync())).toEqual([6, 10, 10, 9]);
    expect(Array.from(channelWindowSum(x, 9).dataSync())).toEqual([10, 10, 10, 10]);
    x.dispose();
  });

  it('matches a hand computation: y = x / (k + α·Σ x²)^β, α multiplying the plain sum', () => {
    // Size 3, α 0.1 so the effect is large; channels 1, 2, 3, 4.
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    const y = localResponseNorm(x, { size: 3, alpha: 0.1, beta: 0.75, k: 2 });
    const expected = [
      1 / (2 + 0.1 * (1 + 4)) ** 0.75,
      2 / (2 + 0.1 * (1 + 4 + 9)) ** 0.75,
      3 / (2 + 0.1 * (4 + 9 + 16)) ** 0.75,
      4 / (2 + 0.1 * (9 + 16)) ** 0.75,
    ];
    const values = y.dataSync();
    expected.forEach((value, index) => expect(values[index]).toBeCloseTo(value, 6));
    // The paper's parameters: channel 2 of 10, 20, 30, 40, 50 sees all five.
    const big = tf.tensor4d([10, 20, 30, 40, 50], [1, 1, 1, 5]);
    const paper = localResponseNorm(big, ALEXNET_LRN).dataSync();
    expect(paper[2]).toBeCloseTo(30 / (2 + 1e-4 * 5500) ** 0.75, 5);
    expect(paper[0]).toBeCloseTo(10 / (2 + 1e-4 * 1400) ** 0.75, 5);
    tf.dispose([x, y, big]);
  });

  it('agrees with TF’s own LRN (depth radius 2) in value and gradient', () => {
    const x = tf.randomNormal([2, 3, 3, 7], 0, 20, 'float32', 5) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 3, 3, 7], 0, 1, 'float32', 6) as tf.Tensor4D;
    const { size, alpha, beta, k } = { ...ALEXNET_LRN, alpha: 1e-3 };
    const ours = (t: tf.Tensor) => localResponseNorm(t as tf.Tensor4D, { size, alpha, beta, k });
    const theirs = (t: tf.Tensor) =>
      tf.localResponseNormalization(t as tf.Tensor4D, (size - 1) / 2, k, alpha, beta);
    const close = (a: tf.Tensor, b: tf.Tensor) => {
      const error = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      const scale = tf.max(tf.abs(b)).dataSync()[0]!;
      expect(error / scale).toBeLessThan(1e-5);
    };
    close(ours(x), theirs(x));
    close(tf.grad(ours)(x, dy), tf.grad(theirs)(x, dy));
    tf.dispose([x, dy]);
  });

  it('is a registered, serializable tfjs layer that keeps shapes and leaks nothing', async () => {
    const model = tf.sequential({
      layers: [
        new LocalResponseNormalization({ inputShape: [4, 4, 6], name: 'lrn1', ...ALEXNET_LRN }),
      ],
    });
    expect(model.outputShape).toEqual([null, 4, 4, 6]);
    const rebuilt = await tf.models.modelFromJSON({
      modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'],
    });
    expect(rebuilt.getLayer('lrn1')).toBeInstanceOf(LocalResponseNormalization);
    expect(rebuilt.getLayer('lrn1').getConfig()).toMatchObject({ ...ALEXNET_LRN });
    const x = tf.randomUniform([2, 4, 4, 6], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    const gradient = tf.grad((input) =>
      tf.sum(tf.square(model.apply(input, { training: true }) as tf.Tensor)),
    )(x);
    expect(gradient.shape).toEqual([2, 4, 4, 6]);
    gradient.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    model.dispose();
    rebuilt.dispose();
  });
});
