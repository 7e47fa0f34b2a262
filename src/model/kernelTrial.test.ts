import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import type { KernelChoice } from '../common/types.ts';
import {
  COMPARISON_VALUES_PER_TENSOR,
  decideKernels,
  elementwiseDifferenceOf,
  KERNEL_TRIAL_TOLERANCE,
  kernelTrialKey,
} from './kernelDecision.ts';
import { runKernelTrial } from './kernelTrial.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Small enough for the CPU backend in Node. */
const TINY: Settings = {
  ...DEFAULT_SETTINGS,
  batchSize: 4,
  imageSize: 65,
  width: 0.05,
  backend: 'cpu',
  kernels: 'auto',
};

describe('the kernel decision', () => {
  it('takes ours only when they agree with TF.js’s and, when timed, are faster', () => {
    const times = (stock: number, optimized: number) => ({ stock, optimized });
    expect(decideKernels(1e-6, times(100, 40))).toEqual({ choice: 'optimized', reason: 'faster' });
    expect(decideKernels(1e-6, times(40, 100))).toEqual({ choice: 'stock', reason: 'not faster' });
    expect(decideKernels(0, times(40, 40))).toEqual({ choice: 'stock', reason: 'not faster' });
    expect(decideKernels(2 * KERNEL_TRIAL_TOLERANCE, times(100, 40))).toEqual({
      choice: 'stock',
      reason: 'disagree',
    });
    expect(decideKernels(NaN, times(100, 40))).toEqual({ choice: 'stock', reason: 'disagree' });
    // Checked only (kernels 'optimized'): ours, unless they disagree.
    expect(decideKernels(1e-6, null)).toEqual({ choice: 'optimized', reason: 'agree' });
    expect(decideKernels(0.5, null)).toEqual({ choice: 'stock', reason: 'disagree' });
  });

  it('reads the element-wise and projected differences, and where the largest is', () => {
    // max |Δ|, max |ref|, ‖ref‖₂, ⟨ref, r⟩, ⟨cand, r⟩ per tensor.
    const same = Float32Array.of(0, 2, 3, 1.5, 1.5);
    expect(elementwiseDifferenceOf(same)).toEqual({ difference: 0, tensor: 0 });
    // A sign flip in the second tensor: max |Δ| = 2 max |ref|, and the projection changes sign.
    expect(elementwiseDifferenceOf(Float32Array.of(0, 2, 3, 1.5, 1.5, 4, 2, 3, 1.5, -1.5))).toEqual(
      { difference: 2, tensor: 1 },
    );
    // A permutation keeps max |ref| and the norm but moves the projection.
    const permuted = Float32Array.of(0.01, 2, 3, 1.5, 1.2);
    expect(elementwiseDifferenceOf(permuted).difference).toBeCloseTo((0.3 * Math.sqrt(3)) / 3);
    // Both zero agree; something where the reference is zero does not.
    expect(elementwiseDifferenceOf(Float32Array.of(0, 0, 0, 0, 0)).difference).toBe(0);
    expect(elementwiseDifferenceOf(Float32Array.of(1, 0, 0, 0, 1)).difference).toBe(Infinity);
    // A NaN (in either tensor, it reaches the projection's sum) is named where it is.
    expect(elementwiseDifferenceOf(Float32Array.of(0, 2, 3, 1.5, 1.5, 0, 1, 1, 1, NaN))).toEqual({
      difference: NaN,
      tensor: 1,
    });
    expect(
      elementwiseDifferenceOf(new Float32Array(COMPARISON_VALUES_PER_TENSOR + 1)).difference,
    ).toBeNaN();
    expect(elementwiseDifferenceOf(new Float32Array(0)).difference).toBeNaN();
  });

  it('shares a trial between runs of the same network shape and batch only', () => {
    const key = kernelTrialKey(TINY);
    expect(kernelTrialKey({ ...TINY, learningRate: 0.3, epochs: 1, dropout: 0.1 })).toBe(key);
    expect(kernelTrialKey({ ...TINY, batchSize: 8 })).not.toBe(key);
    expect(kernelTrialKey({ ...TINY, batchNorm: 'on' })).not.toBe(key);
    expect(kernelTrialKey({ ...TINY, imageSize: 96 })).not.toBe(key);
  });
});

describe('the kernel trial', () => {
  it('checks, then times both kernel sets alternately, finds them equal, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const calls: KernelChoice[] = [];
    const trial = await runKernelTrial(TINY, {
      sourceImageSize: 28,
      setKernels: (choice) => calls.push(choice),
      warmupSteps: 1,
      timedSteps: 2,
    });
    expect(trial).not.toBeNull();
    // On the CPU both "sets" are the same code: identical results.
    expect(trial?.maxRelativeDifference).toBe(0);
    expect(trial?.timedStepsPerKernel).toBe(2);
    expect(trial?.stockMsPerStep).toBeGreaterThan(0);
    expect(trial?.optimizedMsPerStep).toBeGreaterThan(0);
    expect(['faster', 'not faster']).toContain(trial?.reason);
    // The check round (its comparison on TF.js's kernels), two timed rounds of stock then
    // ours, then the winner stays registered.
    expect(calls).toEqual([
      'stock',
      'optimized',
      'stock',
      'stock',
      'optimized',
      'stock',
      'optimized',
      trial?.choice,
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with kernels optimized, checks once and times nothing', async () => {
    const before = tf.memory().numTensors;
    const calls: KernelChoice[] = [];
    const trial = await runKernelTrial(TINY, {
      sourceImageSize: 28,
      mode: 'check',
      setKernels: (choice) => calls.push(choice),
    });
    expect(trial).toEqual({
      stockMsPerStep: null,
      optimizedMsPerStep: null,
      timedStepsPerKernel: 0,
      maxRelativeDifference: 0,
      mostDifferent: 'output',
      choice: 'optimized',
      reason: 'agree',
    });
    // The check round, its comparison on TF.js's kernels, then ours stay registered.
    expect(calls).toEqual(['stock', 'optimized', 'stock', 'optimized']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses ours when they compute something else, with kernels auto or optimized', async () => {
    // A broken "optimized" ReLU (the identity), as a wrong kernel on some GPU would be.
    const stockRelu = tf.getKernel('Relu', 'cpu');
    const identity = tf.getKernel('Identity', 'cpu');
    if (stockRelu === undefined || identity === undefined) throw new Error('no CPU kernels');
    const setKernels = (choice: KernelChoice) => {
      tf.unregisterKernel('Relu', 'cpu');
      tf.registerKernel(
        choice === 'stock' ? stockRelu : { ...stockRelu, kernelFunc: identity.kernelFunc },
      );
    };
    const before = tf.memory().numTensors;
    try {
      for (const mode of ['time', 'check'] as const) {
        const trial = await runKernelTrial(TINY, { sourceImageSize: 28, setKernels, mode });
        expect(trial?.reason).toBe('disagree');
        expect(trial?.choice).toBe('stock');
        expect(trial?.maxRelativeDifference).toBeGreaterThan(KERNEL_TRIAL_TOLERANCE);
        // Ours wrong: nothing is timed, whatever the mode.
        expect(trial?.stockMsPerStep).toBeNull();
        expect(tf.getKernel('Relu', 'cpu')?.kernelFunc).toBe(stockRelu.kernelFunc);
      }
    } finally {
      setKernels('stock');
    }
    expect(tf.getKernel('Relu', 'cpu')?.kernelFunc).toBe(stockRelu.kernelFunc);
    expect(tf.memory().numTensors).toBe(before);
  });

  /**
   * Ours broken in ways that keep every tensor's size and norm (what the trial compared before
   * issue 14): each must be caught, element-wise or by the projection, and not used.
   */
  describe('catches a broken kernel that keeps sizes and norms', () => {
    type Corrupt = (values: Float32Array, shape: readonly number[]) => Float32Array;
    /** Registers `kernelName`'s CPU kernel as TF.js's, or with its output passed through `corrupt`. */
    function brokenKernels(
      kernelName: string,
      corrupt: Corrupt,
      corruptInputs?: (
        inputs: tf.NamedTensorInfoMap,
        backend: CpuBackend,
      ) => { inputs: tf.NamedTensorInfoMap; made: tf.TensorInfo[] },
    ) {
      const stock = tf.getKernel(kernelName, 'cpu');
      if (stock === undefined) throw new Error(`no CPU ${kernelName}`);
      const broken: tf.KernelFunc = (args) => {
        const backend = args.backend as CpuBackend;
        const altered = corruptInputs?.(args.inputs, backend);
        const out = stock.kernelFunc({
          ...args,
          inputs: altered?.inputs ?? args.inputs,
        }) as tf.TensorInfo;
        for (const made of altered?.made ?? []) backend.disposeData(made.dataId);
        const values = (backend.readSync(out.dataId) as Float32Array).slice();
        const result = backend.makeTensorInfo(out.shape, out.dtype, corrupt(values, out.shape));
        backend.disposeData(out.dataId);
        return result;
      };
      return (choice: KernelChoice) => {
        tf.unregisterKernel(kernelName, 'cpu');
        tf.registerKernel(choice === 'stock' ? stock : { ...stock, kernelFunc: broken });
      };
    }
    interface CpuBackend {
      readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
      makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
      disposeData(dataId: tf.DataId): boolean;
    }
    const identity: Corrupt = (values) => values;
    /** [kh, kw, in, out] with kh and kw swapped (the filters are square: same shape). */
    const transposeSpatial: Corrupt = (values, [kh, kw, inC, outC]) => {
      const result = new Float32Array(values.length);
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let c = 0; c < inC * outC; c++)
            result[(x * kh + y) * inC * outC + c] = values[(y * kw + x) * inC * outC + c];
      return result;
    };
    /** [batch, h, w, c]: the first image's top-left quarter left at zero. */
    const zeroRegion: Corrupt = (values, [, h, w, c]) => {
      const result = values.slice();
      for (let y = 0; y < Math.ceil(h / 2); y++)
        for (let x = 0; x < Math.ceil(w / 2); x++)
          result.fill(0, (y * w + x) * c, (y * w + x + 1) * c);
      return result;
    };

    // Each broken kernel, and where the trial finds it differs most.
    const cases: [string, () => (choice: KernelChoice) => void, RegExp][] = [
      [
        '−dW',
        () => brokenKernels('Conv2DBackpropFilter', (values) => values.map((v) => -v)),
        /^conv\d\/kernel$/,
      ],
      [
        'a transposed dW',
        () => brokenKernels('Conv2DBackpropFilter', transposeSpatial),
        /^conv\d\/kernel$/,
      ],
      [
        'one wrong region of dX',
        () => brokenKernels('Conv2DBackpropInput', zeroRegion),
        /^conv\d\/(kernel|bias)$/,
      ],
      [
        'an off-by-one bias',
        () =>
          brokenKernels('FusedConv2D', identity, (inputs, backend) => {
            // Channel c gets the bias of channel c + 1.
            const bias = inputs.bias;
            if (bias === undefined) throw new Error('FusedConv2D without a bias');
            const values = backend.readSync(bias.dataId) as Float32Array;
            const shifted = values.map((_, c) => values[(c + 1) % values.length]);
            const made = backend.makeTensorInfo(bias.shape, 'float32', shifted);
            return { inputs: { ...inputs, bias: made }, made: [made] };
          }),
        /^output$/,
      ],
    ];
    for (const [name, make, where] of cases) {
      it(name, async () => {
        const setKernels = make();
        const before = tf.memory().numTensors;
        try {
          const trial = await runKernelTrial(TINY, {
            sourceImageSize: 28,
            setKernels,
            timedSteps: 1,
          });
          expect(trial?.maxRelativeDifference).toBeGreaterThan(KERNEL_TRIAL_TOLERANCE);
          expect(trial?.reason).toBe('disagree');
          expect(trial?.choice).toBe('stock');
          expect(trial?.mostDifferent).toMatch(where);
        } finally {
          setKernels('stock');
        }
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });

  it('stops between steps when asked, and frees what it built', async () => {
    // After the reference of the check round, and in the first timed round.
    for (const [stopAfter, expected] of [
      [1, ['stock']],
      [4, ['stock', 'optimized', 'stock', 'stock']],
    ] as const) {
      const before = tf.memory().numTensors;
      const calls: KernelChoice[] = [];
      const trial = await runKernelTrial(TINY, {
        sourceImageSize: 28,
        setKernels: (choice) => calls.push(choice),
        shouldStop: () => calls.length >= stopAfter,
      });
      expect(trial).toBeNull();
      expect(calls).toEqual(expected);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
