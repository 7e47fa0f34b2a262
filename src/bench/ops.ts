import * as tf from '@tensorflow/tfjs';
import { setConvKernels, type KernelChoice } from '../kernels/register.ts';

/**
 * Single-op timings of the convolution kernels, stock vs ours (bench.html?ops=1): each op of
 * each layer shape runs `repeats` times after a warm-up, awaiting a readback every time; the
 * median is reported. Layer shapes default to the tiny configuration (65 px, width 0.1,
 * batch 32) as the model runs them (conv1 after its explicit zero padding).
 */

export interface OpShape {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same';
}

export interface OpTiming {
  layer: string;
  op: string;
  kernels: KernelChoice;
  ms: number;
  gflops: number;
}

export const TINY_LAYERS: OpShape[] = [
  { name: 'conv1', x: [32, 67, 67, 1], filter: [11, 11, 1, 10], stride: 4, pad: 'valid' },
  { name: 'conv2', x: [32, 7, 7, 10], filter: [5, 5, 10, 26], stride: 1, pad: 'same' },
  { name: 'conv3', x: [32, 3, 3, 26], filter: [3, 3, 26, 38], stride: 1, pad: 'same' },
  { name: 'conv4', x: [32, 3, 3, 38], filter: [3, 3, 38, 38], stride: 1, pad: 'same' },
  { name: 'conv5', x: [32, 3, 3, 38], filter: [3, 3, 38, 26], stride: 1, pad: 'same' },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeOp(run: () => tf.Tensor, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const start = performance.now();
    const out = run();
    await out.data();
    out.dispose();
    if (r > 0) times.push(performance.now() - start);
  }
  return median(times);
}

/** The dense layers' products of the tiny configuration: [m, k, n, transposeA, transposeB]. */
export const TINY_MATMULS: [number, number, number, boolean, boolean][] = [
  [32, 410, 410, false, false],
  [410, 32, 410, true, false],
  [32, 410, 410, false, true],
];

/**
 * The book's network at 96 px, batch 16 (fc1 256 → 4096, fc2 4096 → 4096, output 4096 → 10) as
 * a training step runs them: forward x·W, and BatchMatMul_grad's dx = dy·Wᵀ (transposeB) and
 * dW = xᵀ·dy (transposeA). bench.html?ops=1&matmuls=dense96.
 */
export const DENSE96_MATMULS: [number, number, number, boolean, boolean][] = [
  [16, 256, 4096, false, false],
  [16, 4096, 256, false, true],
  [256, 16, 4096, true, false],
  [16, 4096, 4096, false, false],
  [16, 4096, 4096, false, true],
  [4096, 16, 4096, true, false],
  [16, 4096, 10, false, false],
  [16, 10, 4096, false, true],
  [4096, 16, 10, true, false],
];

export async function timeMatMuls(
  shapes: [number, number, number, boolean, boolean][],
  choices: KernelChoice[],
  repeats: number,
  log: (line: string) => void,
): Promise<OpTiming[]> {
  const timings: OpTiming[] = [];
  for (const [m, k, n, transposeA, transposeB] of shapes) {
    // Rank-2 operands, as tfjs-layers' Dense and its gradients call matMul.
    const a = tf.randomUniform(transposeA ? [k, m] : [m, k], -1, 1);
    const b = tf.randomUniform(transposeB ? [n, k] : [k, n], -1, 1);
    const layer = `${m}x${k}x${n}${transposeA ? ' tA' : ''}${transposeB ? ' tB' : ''}`;
    for (const choice of choices) {
      setConvKernels(choice);
      const ms = await timeOp(
        () =>
          tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA, transposeB }) as tf.Tensor,
        repeats,
      );
      const gflops = (2 * m * k * n) / (ms / 1000) / 1e9;
      timings.push({ layer, op: 'BatchMatMul', kernels: choice, ms, gflops });
      log(`  ${layer} BatchMatMul [${choice}]: ${ms.toFixed(1)} ms, ${gflops.toFixed(3)} GFLOP/s`);
    }
    a.dispose();
    b.dispose();
  }
  return timings;
}

export async function timeConvOps(
  layers: OpShape[],
  choices: KernelChoice[],
  repeats: number,
  log: (line: string) => void,
): Promise<OpTiming[]> {
  const timings: OpTiming[] = [];
  for (const layer of layers) {
    const info = tf.backend_util.computeConv2DInfo(
      layer.x,
      layer.filter,
      layer.stride,
      1,
      layer.pad,
    );
    const flops =
      2 *
      info.outShape.reduce((a, b) => a * b, 1) *
      layer.filter[0] *
      layer.filter[1] *
      layer.filter[2];
    const x = tf.randomUniform(layer.x, -1, 1);
    const w = tf.randomUniform(layer.filter, -1, 1);
    const dy = tf.randomUniform(info.outShape, -1, 1);
    const attrs = { strides: layer.stride, pad: layer.pad, dataFormat: 'NHWC' };
    const ops: [string, () => tf.Tensor][] = [
      ['Conv2D', () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, layer.stride, layer.pad)],
      [
        'Conv2DBackpropFilter',
        () =>
          tf.engine().runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            {
              ...attrs,
              filterShape: layer.filter,
            },
          ) as tf.Tensor,
      ],
      [
        'Conv2DBackpropInput',
        () =>
          tf.engine().runKernel(
            'Conv2DBackpropInput',
            { dy, filter: w },
            {
              ...attrs,
              inputShape: layer.x,
            },
          ) as tf.Tensor,
      ],
    ];
    for (const [op, run] of ops) {
      for (const choice of choices) {
        setConvKernels(choice);
        const ms = await timeOp(run, repeats);
        const gflops = flops / (ms / 1000) / 1e9;
        timings.push({ layer: layer.name, op, kernels: choice, ms, gflops });
        log(`  ${layer.name} ${op} [${choice}]: ${ms.toFixed(1)} ms, ${gflops.toFixed(3)} GFLOP/s`);
      }
    }
    x.dispose();
    w.dispose();
    dy.dispose();
  }
  return timings;
}
