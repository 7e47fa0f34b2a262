import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alexNetLayers, type ArchitectureOptions } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { preflightVariant } from './preflight.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function model(options: Partial<ArchitectureOptions>) {
  return buildAlexNet(
    alexNetLayers({ width: 0.05, dropout: 0.5, numClasses: 10, ...options }),
    65,
    1,
  );
}

describe('preflightVariant', () => {
  it('passes every variant on the CPU and leaves weights, statistics and tensors as they were', async () => {
    const net = model({ dropConv: 'conv4', batchNorm: true, activation: 'sigmoid', lrn: true });
    try {
      const weightsBefore = net.getWeights().map((weight) => Array.from(weight.dataSync()));
      const tensorsBefore = tf.memory().numTensors;
      expect(await preflightVariant(net, 65, 10)).toBeNull();
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      // Trainable weights and BN moving statistics alike.
      expect(net.getWeights().map((weight) => Array.from(weight.dataSync()))).toEqual(
        weightsBefore,
      );
    } finally {
      net.dispose();
    }
    for (const options of [{}, { dropConv: 'conv3' }, { lrn: true }] as const) {
      const other = model(options);
      expect(await preflightVariant(other, 65, 10)).toBeNull();
      other.dispose();
    }
  });

  it('names the backend and the missing kernel when a variant needs one the backend lacks', async () => {
    const sigmoid = tf.getKernel('Sigmoid', 'cpu');
    if (sigmoid === undefined) throw new Error('the CPU backend has Sigmoid');
    const sigmoidNet = model({ activation: 'sigmoid' });
    const reluNet = model({});
    const tensorsBefore = tf.memory().numTensors;
    tf.unregisterKernel('Sigmoid', 'cpu');
    try {
      expect(await preflightVariant(sigmoidNet, 65, 10)).toBe(
        "This variant cannot train on cpu: Kernel 'Sigmoid' not registered for backend 'cpu'",
      );
      // The ReLU network needs no Sigmoid kernel.
      expect(await preflightVariant(reluNet, 65, 10)).toBeNull();
      // The failed trial leaves nothing behind either.
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    } finally {
      tf.registerKernel(sigmoid);
      sigmoidNet.dispose();
      reluNet.dispose();
    }
  });

  it('also catches a kernel only the backward pass needs', async () => {
    // ReLU's gradient is dy · step(x): the forward pass runs, the backward pass cannot.
    const step = tf.getKernel('Step', 'cpu');
    if (step === undefined) throw new Error('the CPU backend has Step');
    const net = model({});
    tf.unregisterKernel('Step', 'cpu');
    try {
      expect(await preflightVariant(net, 65, 10)).toBe(
        "This variant cannot train on cpu: Kernel 'Step' not registered for backend 'cpu'",
      );
    } finally {
      tf.registerKernel(step);
      net.dispose();
    }
  });
});
