import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { alexNetLayers, type ArchitectureOptions } from './architecture.ts';
import { buildAlexNet } from './alexnet.ts';
import { freePooledGpuBuffers, preflightVariant } from './preflight.ts';

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
      expect(await preflightVariant(sigmoidNet, 65, 10)).toEqual({
        outOfMemory: false,
        message:
          "This variant cannot train on cpu: Kernel 'Sigmoid' not registered for backend 'cpu'",
      });
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
      expect(await preflightVariant(net, 65, 10)).toEqual({
        outOfMemory: false,
        message: "This variant cannot train on cpu: Kernel 'Step' not registered for backend 'cpu'",
      });
    } finally {
      tf.registerKernel(step);
      net.dispose();
    }
  });

  it('reports an out-of-memory error as such, ahead of the validation errors it causes', async () => {
    // A fake WebGPU device on the CPU backend: its scopes report what `errors` says.
    let errors: Partial<Record<GPUErrorFilter, string>> = {};
    const open: GPUErrorFilter[] = [];
    const device = {
      pushErrorScope: (filter: GPUErrorFilter) => open.push(filter),
      popErrorScope: () => {
        const message = errors[open.pop() ?? 'internal'];
        return Promise.resolve(message === undefined ? null : { message });
      },
    };
    const backend = tf.backend() as unknown as { device?: unknown };
    const net = model({});
    const tensorsBefore = tf.memory().numTensors;
    backend.device = device;
    try {
      errors = { 'out-of-memory': 'Not enough memory left.', validation: 'Invalid BindGroup.' };
      expect(await preflightVariant(net, 65, 10, 1, 4)).toEqual({
        outOfMemory: true,
        message: 'This variant cannot train on cpu: Not enough memory left.',
      });
      errors = { validation: 'Invalid ShaderModule.' };
      expect(await preflightVariant(net, 65, 10, 1, 4)).toEqual({
        outOfMemory: false,
        message: 'This variant cannot train on cpu: Invalid ShaderModule.',
      });
      errors = {};
      expect(await preflightVariant(net, 65, 10, 1, 4)).toBeNull();
      // Every scope pushed was popped, and the trial steps left no tensors.
      expect(open).toEqual([]);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    } finally {
      delete backend.device;
      net.dispose();
    }
  });
});

describe('freePooledGpuBuffers', () => {
  const backend = () => tf.backend() as unknown as { bufferManager?: unknown };
  afterEach(() => {
    delete backend().bufferManager;
  });

  it('destroys the buffers TF.js pooled for reuse, not those of live tensors', () => {
    const buffer = (size: number) => ({ size, destroy: vi.fn() });
    const pooled = [buffer(64), buffer(64), buffer(256)];
    const used = buffer(1024);
    const manager = {
      freeBuffers: new Map([
        ['64_140', pooled.slice(0, 2)],
        ['256_140', pooled.slice(2)],
      ]),
      usedBuffers: new Map([['1024_140', [used]]]),
      numFreeBuffers: 3,
      numBytesAllocated: 64 + 64 + 256 + 1024,
    };
    backend().bufferManager = manager;
    freePooledGpuBuffers();
    for (const each of pooled) expect(each.destroy).toHaveBeenCalledOnce();
    expect(used.destroy).not.toHaveBeenCalled();
    // The keys stay: TF.js's manager stops pooling when its map of free buffers is empty.
    expect([...manager.freeBuffers.entries()]).toEqual([
      ['64_140', []],
      ['256_140', []],
    ]);
    expect(manager.numFreeBuffers).toBe(0);
    expect(manager.numBytesAllocated).toBe(1024);
  });

  it('does nothing on a backend without a buffer pool', () => {
    expect(() => freePooledGpuBuffers()).not.toThrow();
  });
});
