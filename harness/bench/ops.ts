import * as tf from '@tensorflow/tfjs';
import { setConvKernels } from '../../src/kernels/register.ts';
import type { KernelChoice } from '../../src/common/types.ts';
import type { LayerSpec } from '../../src/model/architecture.ts';
import type { LayerTable } from '../../src/model/layerTable.ts';

/**
 * Single-op timings, stock vs ours (bench.html?ops=1): each op of each layer shape runs
 * `repeats` times after a warm-up, awaiting a readback every time; the median is reported. The
 * shapes are those of a configuration (image size, width, batch) as the model runs them (conv1
 * after its explicit zero padding). Each conv op is set beside the stock matrix product of the
 * same FLOPs, the product its im2col form would be (the yardstick: a conv op should
 * reach at least that product's GFLOP/s on the same adapter).
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
  /** Set on a stock matrix product timed as the yardstick of this conv op of `layer`. */
  sameFlopsAs?: string;
}

/** A matrix product [m, k] · [k, n], with either operand stored transposed. */
export type MatMulShape = [
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
];

/**
 * Every conv layer's op shape, NHWC, at this batch size: the input is the previous layer's
 * output (the image for conv1), padded as alexnet.ts pads it ('same' where that equals
 * PyTorch's symmetric padding, else explicit zeros and 'valid').
 */
export function convOpShapes(
  layers: readonly LayerSpec[],
  table: LayerTable,
  imageSize: number,
  batchSize: number,
): OpShape[] {
  const shapes: OpShape[] = [];
  layers.forEach((layer, index) => {
    if (layer.kind !== 'conv') return;
    const [channels, size] = index === 0 ? [1, imageSize] : table.rows[index - 1].outputShape;
    const sameIsBook = layer.stride === 1 && 2 * layer.padding === layer.kernelSize - 1;
    const paddedSize = sameIsBook ? size : size + 2 * layer.padding;
    shapes.push({
      name: layer.name,
      x: [batchSize, paddedSize, paddedSize, channels],
      filter: [layer.kernelSize, layer.kernelSize, channels, layer.filters],
      stride: layer.stride,
      pad: sameIsBook ? 'same' : 'valid',
    });
  });
  return shapes;
}

/**
 * The dense layers' products as a training step runs them: forward x·W, and BatchMatMul_grad's
 * dx = dy·Wᵀ (transposeB) and dW = xᵀ·dy (transposeA); rank 2, as tfjs-layers' Dense calls
 * matMul.
 */
export function denseMatMuls(
  layers: readonly LayerSpec[],
  table: LayerTable,
  batchSize: number,
): MatMulShape[] {
  const shapes: MatMulShape[] = [];
  layers.forEach((layer, index) => {
    if (layer.kind !== 'dense') return;
    const inputs = table.rows[index - 1].outputShape.reduce((a, b) => a * b, 1);
    shapes.push(
      [batchSize, inputs, layer.units, false, false],
      [batchSize, layer.units, inputs, false, true],
      [inputs, batchSize, layer.units, true, false],
    );
  });
  return shapes;
}

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

export async function timeMatMuls(
  shapes: readonly MatMulShape[],
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
  layers: readonly OpShape[],
  choices: KernelChoice[],
  repeats: number,
  log: (line: string) => void,
  withSameFlopsMatMul: boolean,
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
    // im2col: M output positions, K = kh·kw·cin taps, N = cout filters; every op is 2·M·K·N.
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const taps = layer.filter[0] * layer.filter[1] * layer.filter[2];
    const filters = layer.filter[3];
    const flops = 2 * positions * taps * filters;
    const x = tf.randomUniform(layer.x, -1, 1);
    const w = tf.randomUniform(layer.filter, -1, 1);
    const dy = tf.randomUniform(info.outShape, -1, 1);
    const attrs = { strides: layer.stride, pad: layer.pad, dataFormat: 'NHWC' };
    // Each op with its im2col product [m, k, n]: forward col(x)·W, filter gradient
    // col(x)ᵀ·dy, input gradient dy·Wᵀ (then col2im).
    const ops: [string, () => tf.Tensor, [number, number, number]][] = [
      [
        'Conv2D',
        () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, layer.stride, layer.pad),
        [positions, taps, filters],
      ],
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
        [taps, positions, filters],
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
        [positions, filters, taps],
      ],
    ];
    for (const [op, run, [m, k, n]] of ops) {
      for (const choice of choices) {
        setConvKernels(choice);
        const ms = await timeOp(run, repeats);
        const gflops = flops / (ms / 1000) / 1e9;
        timings.push({ layer: layer.name, op, kernels: choice, ms, gflops });
        log(`  ${layer.name} ${op} [${choice}]: ${ms.toFixed(1)} ms, ${gflops.toFixed(3)} GFLOP/s`);
      }
      if (withSameFlopsMatMul) {
        // The yardstick is TF.js's own product, whatever kernels the conv ops ran.
        setConvKernels('stock');
        const a = tf.randomUniform([m, k], -1, 1);
        const b = tf.randomUniform([k, n], -1, 1);
        const ms = await timeOp(
          () => tf.engine().runKernel('BatchMatMul', { a, b }, {}) as tf.Tensor,
          repeats,
        );
        a.dispose();
        b.dispose();
        const gflops = flops / (ms / 1000) / 1e9;
        const shape = `${m}x${k}x${n}`;
        timings.push({
          layer: layer.name,
          op: shape,
          kernels: 'stock',
          ms,
          gflops,
          sameFlopsAs: op,
        });
        log(
          `  ${layer.name} ${op} ≡ matmul ${shape} [stock]: ${ms.toFixed(1)} ms, ${gflops.toFixed(3)} GFLOP/s`,
        );
      }
    }
    x.dispose();
    w.dispose();
    dy.dispose();
  }
  return timings;
}
