import * as tf from '@tensorflow/tfjs';
import { prepareImages } from '../../src/model/training.ts';
import { convKernelStats, matMulStats } from '../../src/kernels/conv.ts';
import { greyImagesStats } from '../../src/kernels/inputImages.ts';
import { biasKernelStats } from '../../src/kernels/bias.ts';
import { setConvKernels } from '../../src/kernels/register.ts';
import { registerWebGpuBackend } from '../../src/kernels/webgpuDevice.ts';
import { deviceFeatures } from '../../src/worker/backend.ts';
import {
  builtVariantsOn,
  KERNEL_VARIANTS,
  subgroupDeclines,
  setVariantOverride,
  variantRunStats,
  type KernelVariant,
} from '../../src/kernels/variants.ts';
import { recordOpShapes, tuneKernels, type ShapeTiming } from '../../src/kernels/tuning.ts';

/**
 * Correctness check of our WGSL convolution kernels (kernels-test.html, e2e/kernels.spec.ts):
 * every op runs on the tfjs 'cpu' backend and on 'webgpu' with our kernels, on the same random
 * inputs (for the input pipeline, prepareImages: tfjs ops on the CPU, our kernel on WebGPU),
 * and the page reports the max relative error per tensor
 * (max |a − b| / max(1e-6, max |ref|)), plus a check that repeated calls leak no tensors or
 * backend buffers. Each convolution and product runs once per variant with a program of its
 * own (variants.ts BUILT_VARIANTS, forced with setVariantOverride), and counts that the
 * variant's program ran; then the tuner (tuning.ts) tunes a few recorded shapes.
 */

export interface SelfTestCase {
  name: string;
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: 'valid' | 'same' | number;
}

export interface SelfTestResult {
  case: string;
  op: string;
  maxRelError: number;
  maxAbsRef: number;
  /**
   * For the four convolution kernels called directly and for products: whether our kernel ran
   * (false: it delegated to the stock kernel). For bias ops: whether ours ran exactly where it
   * should. With a variant: also that the variant's own program ran, or for 'subgroup' that
   * it declined an op too large for it (then 'register' ran; `declined`).
   */
  ours?: boolean;
  /** The kernel variant forced for this result (convolutions and products). */
  variant?: KernelVariant;
  /** 'subgroup' forced, and declined for this op's size (variants.ts subgroupTakes). */
  declined?: boolean;
}

/** The tuner on a few op shapes recorded from the self-test's own ops (tuning.ts). */
export interface SelfTestTuning {
  shapes: number;
  timings: ShapeTiming[];
  complete: boolean;
  tensorsBefore: number;
  tensorsAfter: number;
}

export interface SelfTestReport {
  done: boolean;
  results: SelfTestResult[];
  leaks: {
    tensorsBefore: number;
    tensorsAfter: number;
    dataIdsBefore: number;
    dataIdsAfter: number;
  };
  tuning?: SelfTestTuning;
  /** Whether TF.js's WebGPU device has `subgroups`: then the 'subgroup' variant is checked too. */
  subgroups?: boolean;
  error?: string;
}

declare global {
  interface Window {
    kernelSelfTest?: SelfTestReport;
  }
}

/** AlexNet layers (width 0.25 at 65 px, the book's at 96 px and 224 px) and awkward shapes. */
export const SELF_TEST_CASES: SelfTestCase[] = [
  {
    name: 'w0.25 conv1',
    batch: 4,
    height: 67,
    width: 67,
    inChannels: 1,
    outChannels: 24,
    kernel: 11,
    stride: 4,
    pad: 'valid',
  },
  {
    name: 'w0.25 conv2',
    batch: 4,
    height: 7,
    width: 7,
    inChannels: 24,
    outChannels: 64,
    kernel: 5,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'w0.25 conv3',
    batch: 4,
    height: 3,
    width: 3,
    inChannels: 64,
    outChannels: 96,
    kernel: 3,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'w0.25 conv4',
    batch: 4,
    height: 3,
    width: 3,
    inChannels: 96,
    outChannels: 96,
    kernel: 3,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'w0.25 conv5',
    batch: 4,
    height: 3,
    width: 3,
    inChannels: 96,
    outChannels: 64,
    kernel: 3,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'book 96px conv1',
    batch: 2,
    height: 98,
    width: 98,
    inChannels: 1,
    outChannels: 96,
    kernel: 11,
    stride: 4,
    pad: 'valid',
  },
  {
    name: 'book 96px conv2',
    batch: 2,
    height: 10,
    width: 10,
    inChannels: 96,
    outChannels: 256,
    kernel: 5,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'book 96px conv3',
    batch: 2,
    height: 4,
    width: 4,
    inChannels: 256,
    outChannels: 384,
    kernel: 3,
    stride: 1,
    pad: 'same',
  },
  // The book's 224 px geometries (d2l's AlexNet: conv1 with padding 1 makes 54² maps, then
  // 26² and 12²): the book's channels at batch 1, and width 0.1's at batch 64 (its channel
  // counts keep the CPU reference within the CI time).
  {
    name: 'book 224px conv1 b1',
    batch: 1,
    height: 224,
    width: 224,
    inChannels: 1,
    outChannels: 96,
    kernel: 11,
    stride: 4,
    pad: 1,
  },
  {
    name: 'book 224px conv2 b1',
    batch: 1,
    height: 26,
    width: 26,
    inChannels: 96,
    outChannels: 256,
    kernel: 5,
    stride: 1,
    pad: 2,
  },
  {
    name: 'book 224px conv3 b1',
    batch: 1,
    height: 12,
    width: 12,
    inChannels: 256,
    outChannels: 384,
    kernel: 3,
    stride: 1,
    pad: 1,
  },
  {
    name: 'w0.1 224px conv1 b64',
    batch: 64,
    height: 224,
    width: 224,
    inChannels: 1,
    outChannels: 10,
    kernel: 11,
    stride: 4,
    pad: 1,
  },
  {
    name: 'w0.1 224px conv2 b64',
    batch: 64,
    height: 26,
    width: 26,
    inChannels: 10,
    outChannels: 26,
    kernel: 5,
    stride: 1,
    pad: 2,
  },
  {
    name: 'w0.1 224px conv3 b64',
    batch: 64,
    height: 12,
    width: 12,
    inChannels: 26,
    outChannels: 38,
    kernel: 3,
    stride: 1,
    pad: 1,
  },
  {
    name: 'w0.1 conv4 (38 ch)',
    batch: 3,
    height: 3,
    width: 3,
    inChannels: 38,
    outChannels: 38,
    kernel: 3,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'odd 13x11 c3→5 k3 s2 same b1',
    batch: 1,
    height: 13,
    width: 11,
    inChannels: 3,
    outChannels: 5,
    kernel: 3,
    stride: 2,
    pad: 'same',
  },
  {
    name: 'odd 17x19 c7→6 k11 s4 valid b3',
    batch: 3,
    height: 17,
    width: 19,
    inChannels: 7,
    outChannels: 6,
    kernel: 11,
    stride: 4,
    pad: 'valid',
  },
  {
    name: '1x1 9x9 c5→3 b2',
    batch: 2,
    height: 9,
    width: 9,
    inChannels: 5,
    outChannels: 3,
    kernel: 1,
    stride: 1,
    pad: 'valid',
  },
  {
    name: 'k5 s3 pad2 12x12 c6→9 b2',
    batch: 2,
    height: 12,
    width: 12,
    inChannels: 6,
    outChannels: 9,
    kernel: 5,
    stride: 3,
    pad: 2,
  },
  {
    name: 'k7 same on 5x5 c2→1 b1',
    batch: 1,
    height: 5,
    width: 5,
    inChannels: 2,
    outChannels: 1,
    kernel: 7,
    stride: 1,
    pad: 'same',
  },
  {
    name: 'k4 s2 same 8x8 c4→4 b1',
    batch: 1,
    height: 8,
    width: 8,
    inChannels: 4,
    outChannels: 4,
    kernel: 4,
    stride: 2,
    pad: 'same',
  },
];

export interface MatMulCase {
  name: string;
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Rank-2 operands, as the dense layers call matMul (batchA and batchB must be 1). */
  rank2?: boolean;
  /** _FusedMatMul with a bias vector and this activation instead of BatchMatMul. */
  fused?: 'linear' | 'relu';
}

/** The book's dense layers at 96 px, batch 16: [name, m, k, n, tA, tB, fused]. */
const DENSE96: [string, number, number, number, boolean, boolean, MatMulCase['fused']][] = [
  ['fc1 fwd 16x256·256x4096', 16, 256, 4096, false, false, undefined],
  ['fc1 fwd fused relu', 16, 256, 4096, false, false, 'relu'],
  ['fc1 dx 16x4096·(256x4096)ᵀ tB', 16, 4096, 256, false, true, undefined],
  ['fc1 dW (16x256)ᵀ·16x4096 tA', 256, 16, 4096, true, false, undefined],
  ['fc1 16x256·4096x256 tA tB', 16, 256, 4096, true, true, undefined],
  ['fc2 dW (16x4096)ᵀ·16x4096 tA', 4096, 16, 4096, true, false, undefined],
  ['out fwd 16x4096·4096x10 fused', 16, 4096, 10, false, false, 'linear'],
  ['out dx 16x10·(4096x10)ᵀ tB', 16, 10, 4096, false, true, undefined],
  ['out dW (16x4096)ᵀ·16x10 tA', 4096, 16, 10, true, false, undefined],
  ['b1 fwd 1x256·256x4096 relu', 1, 256, 4096, false, false, 'relu'],
  ['b1 dx 1x4096·(256x4096)ᵀ tB', 1, 4096, 256, false, true, undefined],
  ['b1 dW (1x256)ᵀ·1x4096 tA', 256, 1, 4096, true, false, undefined],
  ['odd 7x9·5x9 tB fused relu', 7, 9, 5, false, true, 'relu'],
  ['odd 13x3·3x7 tA tB fused', 13, 3, 7, true, true, 'linear'],
  ['odd 3x17·17x2 tA', 3, 17, 2, true, false, undefined],
];

/** The dense layers' products (width 0.1: 26 → 410 → 410 → 10, batch 32) and odd shapes. */
export const MATMUL_CASES: MatMulCase[] = [
  {
    name: 'dense fwd 32x26·26x410',
    batchA: 1,
    batchB: 1,
    m: 32,
    k: 26,
    n: 410,
    transposeA: false,
    transposeB: false,
  },
  {
    name: 'dense dW 410x32·32x410 (tA)',
    batchA: 1,
    batchB: 1,
    m: 410,
    k: 32,
    n: 410,
    transposeA: true,
    transposeB: false,
  },
  {
    name: 'dense dx 32x410·410x410 (tB)',
    batchA: 1,
    batchB: 1,
    m: 32,
    k: 410,
    n: 410,
    transposeA: false,
    transposeB: true,
  },
  {
    name: 'dense out 32x410·410x10',
    batchA: 1,
    batchB: 1,
    m: 32,
    k: 410,
    n: 10,
    transposeA: false,
    transposeB: false,
  },
  {
    name: 'odd 7x5·5x3 tA tB',
    batchA: 1,
    batchB: 1,
    m: 7,
    k: 5,
    n: 3,
    transposeA: true,
    transposeB: true,
  },
  {
    name: 'batched 3×(9x13·13x6)',
    batchA: 3,
    batchB: 3,
    m: 9,
    k: 13,
    n: 6,
    transposeA: false,
    transposeB: false,
  },
  {
    name: 'broadcast B 4×(5x7)·(7x9)',
    batchA: 4,
    batchB: 1,
    m: 5,
    k: 7,
    n: 9,
    transposeA: false,
    transposeB: true,
  },
  { name: '1x1·1x1', batchA: 1, batchB: 1, m: 1, k: 1, n: 1, transposeA: false, transposeB: false },
  ...DENSE96.map(([name, m, k, n, transposeA, transposeB, fused]) => ({
    name: `96px ${name}`,
    batchA: 1,
    batchB: 1,
    m,
    k,
    n,
    transposeA,
    transposeB,
    rank2: true,
    fused,
  })),
];

/** A batch of grey images for the input pipeline: bytes in, [batch, size, size, 1] out. */
export interface InputCase {
  name: string;
  batch: number;
  sourceSize: number;
  imageSize: number;
}

/**
 * The image sizes the app uses and the smallest it allows, batch 1 and odd batches; sources of
 * 27 and 13 pixels make byte counts that are not a multiple of 4 (28×28 = 784 bytes always is),
 * so the padding of the packed upload is exercised; 128×224×224 is over 65535 workgroups of 64.
 */
export const INPUT_CASES: InputCase[] = [
  { name: 'input 28→224 b3', batch: 3, sourceSize: 28, imageSize: 224 },
  { name: 'input 28→224 b1', batch: 1, sourceSize: 28, imageSize: 224 },
  { name: 'input 28→224 b128', batch: 128, sourceSize: 28, imageSize: 224 },
  { name: 'input 28→65 b7', batch: 7, sourceSize: 28, imageSize: 65 },
  { name: 'input 28→96 b5', batch: 5, sourceSize: 28, imageSize: 96 },
  { name: 'input 28→28 b2', batch: 2, sourceSize: 28, imageSize: 28 },
  { name: 'input 28→17 b3 (shrink)', batch: 3, sourceSize: 28, imageSize: 17 },
  { name: 'input 27→65 b3 (2187 B)', batch: 3, sourceSize: 27, imageSize: 65 },
  { name: 'input 13→40 b1 (169 B)', batch: 1, sourceSize: 13, imageSize: 40 },
  { name: 'input 13→96 b5 (845 B)', batch: 5, sourceSize: 13, imageSize: 96 },
];

/**
 * The bias's ops (bias.ts): x + bias for each layer shape at 65 px, width 0.1, batch 32 (and
 * the bias first), and the bias gradients, sums over the leading axes, with and without
 * keepDims; conv1's 7200 rows are split across invocations, the dense layers' 32 are not.
 * `ours: false` marks a case our kernel must leave to the stock one.
 */
export interface BiasCase {
  name: string;
  op: 'Add' | 'Sum';
  shape: number[];
  /** Add: the other operand's shape. Sum: the axes. */
  other: number[];
  keepDims?: boolean;
  biasFirst?: boolean;
  ours: boolean;
}

export const BIAS_CASES: BiasCase[] = [
  { name: 'conv1 bias add', op: 'Add', shape: [32, 15, 15, 10], other: [10], ours: true },
  { name: 'conv2 bias add', op: 'Add', shape: [32, 7, 7, 26], other: [26], ours: true },
  { name: 'fc bias add', op: 'Add', shape: [32, 410], other: [410], ours: true },
  {
    name: 'bias first, [1, C]',
    op: 'Add',
    shape: [5, 3, 7],
    other: [1, 7],
    biasFirst: true,
    ours: true,
  },
  { name: 'same shapes (stock)', op: 'Add', shape: [32, 410], other: [32, 410], ours: false },
  { name: 'conv1 bias grad', op: 'Sum', shape: [32, 15, 15, 10], other: [0, 1, 2], ours: true },
  { name: 'conv3 bias grad', op: 'Sum', shape: [32, 3, 3, 38], other: [0, 1, 2], ours: true },
  { name: 'fc bias grad', op: 'Sum', shape: [32, 410], other: [0], ours: true },
  {
    name: 'leading sum, keepDims',
    op: 'Sum',
    shape: [129, 5, 3],
    other: [0],
    keepDims: true,
    ours: true,
  },
  { name: 'last axis (stock)', op: 'Sum', shape: [32, 10], other: [1], ours: false },
];

async function runBias(c: BiasCase, x: Float32Array, other: Float32Array): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const a = tf.tensor(x, c.shape);
    if (c.op === 'Sum') return tf.sum(a, c.other, c.keepDims === true);
    const b = tf.tensor(other, c.other);
    return c.biasFirst === true ? tf.add(b, a) : tf.add(a, b);
  });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

function biasOtherSize(c: BiasCase): number {
  return c.op === 'Add' ? tf.util.sizeFromShape(c.other) : 0;
}

/** Seeded grey levels 0..255, with the extremes 0 and 255 at the start. */
function randomBytes(seed: number, n: number): Uint8Array {
  const values = random(seed, n);
  const bytes = Uint8Array.from(values, (v) => Math.floor((v + 1) * 128) % 256);
  if (n > 1) {
    bytes[0] = 0;
    bytes[1] = 255;
  }
  return bytes;
}

async function runInput(c: InputCase, pixels: Uint8Array): Promise<Float32Array> {
  const out = prepareImages(pixels, c.batch, c.sourceSize, c.imageSize);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/** The subgroup variant's declines over all four op kinds (variants.ts subgroupDeclines). */
function allDeclines(): number {
  return Object.values(subgroupDeclines).reduce((sum, n) => sum + n, 0);
}

/** The variant's runs over all four op kinds (a forced variant must add to its own count). */
function variantRuns(variant: KernelVariant): number {
  return Object.values(variantRunStats).reduce((sum, runs) => sum + runs[variant], 0);
}

async function runMatMul(
  c: MatMulCase,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array,
): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const aShape = c.transposeA ? [c.batchA, c.k, c.m] : [c.batchA, c.m, c.k];
    const bShape = c.transposeB ? [c.batchB, c.n, c.k] : [c.batchB, c.k, c.n];
    const inputs = {
      a: tf.tensor(a, c.rank2 ? aShape.slice(1) : aShape),
      b: tf.tensor(b, c.rank2 ? bShape.slice(1) : bShape),
    };
    const attrs = { transposeA: c.transposeA, transposeB: c.transposeB };
    return (
      c.fused
        ? tf
            .engine()
            .runKernel(
              '_FusedMatMul',
              { ...inputs, bias: tf.tensor1d(bias) },
              { ...attrs, activation: c.fused },
            )
        : tf.engine().runKernel('BatchMatMul', inputs, attrs)
    ) as tf.Tensor;
  });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

function random(seed: number, n: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

interface CaseData {
  x: Float32Array;
  w: Float32Array;
  bias: Float32Array;
  dy: Float32Array;
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  dyShape: [number, number, number, number];
}

function makeData(c: SelfTestCase, seed: number): CaseData {
  const xShape: [number, number, number, number] = [c.batch, c.height, c.width, c.inChannels];
  const wShape: [number, number, number, number] = [
    c.kernel,
    c.kernel,
    c.inChannels,
    c.outChannels,
  ];
  const info = tf.backend_util.computeConv2DInfo(xShape, wShape, c.stride, 1, c.pad);
  const dyShape = info.outShape;
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    x: random(seed, size(xShape)),
    w: random(seed + 1, size(wShape)),
    bias: random(seed + 2, c.outChannels),
    dy: random(seed + 3, size(dyShape)),
    xShape,
    wShape,
    dyShape,
  };
}

type Outputs = Record<string, Float32Array>;
type ConvKernelName = keyof typeof convKernelStats;

/**
 * Runs every op of one case on the current backend and reads the results back. `ours` says,
 * for each of the four convolution kernels called directly, whether our program ran (on WebGPU
 * with our kernels) rather than the stock one it delegates to, and, given a variant, that
 * variant's program.
 */
async function runOps(
  c: SelfTestCase,
  d: CaseData,
  variant?: KernelVariant,
): Promise<{
  outputs: Outputs;
  ours: Record<ConvKernelName, boolean>;
  declined: Record<ConvKernelName, boolean>;
}> {
  const ours = {} as Record<ConvKernelName, boolean>;
  const declined = {} as Record<ConvKernelName, boolean>;
  const counted = <T>(name: ConvKernelName, run: () => T): T => {
    const before = convKernelStats[name];
    const variantBefore = variant === undefined ? 0 : variantRuns(variant);
    const declinesBefore = allDeclines();
    const result = run();
    declined[name] = variant === 'subgroup' && allDeclines() > declinesBefore;
    ours[name] =
      convKernelStats[name] > before &&
      (variant === undefined || variantRuns(variant) > variantBefore || declined[name]);
    return result;
  };
  const tensors = tf.tidy(() => {
    const x = tf.tensor4d(d.x, d.xShape);
    const w = tf.tensor4d(d.w, d.wShape);
    const bias = tf.tensor1d(d.bias);
    const dy = tf.tensor4d(d.dy, d.dyShape);
    const conv = counted('Conv2D', () => tf.conv2d(x, w, c.stride, c.pad));
    const fused = counted('FusedConv2D', () =>
      tf.fused.conv2d({
        x,
        filter: w,
        strides: c.stride,
        pad: c.pad,
        bias,
        activation: 'relu',
      }),
    );
    const filterGrad = counted(
      'Conv2DBackpropFilter',
      () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          {
            strides: c.stride,
            pad: c.pad,
            dataFormat: 'NHWC',
            filterShape: d.wShape,
          },
        ) as tf.Tensor,
    );
    const inputGrad = counted(
      'Conv2DBackpropInput',
      () =>
        tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy, filter: w },
          {
            strides: c.stride,
            pad: c.pad,
            dataFormat: 'NHWC',
            inputShape: d.xShape,
          },
        ) as tf.Tensor,
    );
    // The training path: gradients of a fused conv + bias + relu (FusedConv2D forward, both
    // backprop kernels, bias sum).
    const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
      tf.fused
        .conv2d({
          x: xs as tf.Tensor4D,
          filter: ws as tf.Tensor4D,
          strides: c.stride,
          pad: c.pad,
          bias: bs,
          activation: 'relu',
        })
        .mul(dy)
        .sum(),
    )([x, w, bias]);
    return {
      Conv2D: conv,
      FusedConv2D: fused,
      Conv2DBackpropFilter: filterGrad,
      Conv2DBackpropInput: inputGrad,
      'grad x': grads[0],
      'grad w': grads[1],
      'grad bias': grads[2],
    };
  });
  const outputs: Outputs = {};
  for (const [name, t] of Object.entries(tensors)) {
    outputs[name] = (await t.data()) as Float32Array;
    t.dispose();
  }
  return { outputs, ours, declined };
}

/**
 * Fills WebGPU's buffer pool with NaN buffers of every size `sizes` names, `copies` of each,
 * so that outputs allocated next reuse them: an output element a kernel never writes then reads
 * NaN (a mismatch), not the zero of a fresh buffer, which a reference of 0 (after a ReLU)
 * would match.
 */
function poisonBufferPool(sizes: readonly number[], copies = 4): void {
  tf.tidy(() =>
    sizes.flatMap((n) => Array.from({ length: copies }, () => tf.fill([n], NaN).add(1))),
  ).forEach((t) => t.dispose());
}

/**
 * Elementwise: max |a − b| / max(|ref|, 0.1), i.e. a relative error, and for values near 0 an
 * absolute one ten times stricter (1e-4 relative allows 1e-5 absolute below 0.1).
 */
function compareElementwise(ref: Float32Array, got: Float32Array): { rel: number; maxRef: number } {
  if (ref.length !== got.length) return { rel: Infinity, maxRef: 0 };
  let maxRef = 0;
  let maxRel = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    const rel = Math.abs(ref[i] - got[i]) / Math.max(Math.abs(ref[i]), 0.1);
    // NaN anywhere (an element never written over the NaN-filled pool) is a failure.
    maxRel = Number.isNaN(rel) ? Infinity : Math.max(maxRel, rel);
  }
  return { rel: maxRel, maxRef };
}

function compare(ref: Float32Array, got: Float32Array): { rel: number; maxRef: number } {
  if (ref.length !== got.length) return { rel: Infinity, maxRef: 0 };
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    const diff = Math.abs(ref[i] - got[i]);
    // NaN anywhere is a failure.
    maxDiff = Number.isNaN(diff) ? Infinity : Math.max(maxDiff, diff);
  }
  return { rel: maxDiff / Math.max(1e-6, maxRef), maxRef };
}

/** 'Conv2D', or 'Conv2D [workgroup]' for a variant other than today's register one. */
function variantOpName(op: string, variant: KernelVariant): string {
  return variant === 'register' ? op : `${op} [${variant}]`;
}

/**
 * The tuner on the op shapes of two small cases (an odd convolution with padding and stride,
 * and a transposed product), recorded from their ops: every shape gets a timing of each built
 * variant that agreed with 'register', and no tensor is left behind.
 */
async function checkTuning(log: (line: string) => void): Promise<SelfTestTuning> {
  const c = SELF_TEST_CASES.find((s) => s.name.startsWith('k5 s3 pad2')) ?? SELF_TEST_CASES[0];
  const m = MATMUL_CASES.find((s) => s.name.startsWith('odd 7x5')) ?? MATMUL_CASES[0];
  const data = makeData(c, 11);
  const shapes = recordOpShapes(() => {
    tf.tidy(() => {
      const x = tf.tensor4d(data.x, data.xShape);
      const w = tf.tensor4d(data.w, data.wShape);
      const dy = tf.tensor4d(data.dy, data.dyShape);
      tf.conv2d(x, w, c.stride, c.pad);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        { ...attrs, filterShape: data.wShape },
      );
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        { ...attrs, inputShape: data.xShape },
      );
      tf.matMul(tf.ones([m.k, m.m]), tf.ones([m.n, m.k]), true, true);
    });
  });
  const tensorsBefore = tf.memory().numTensors;
  const result = await tuneKernels(shapes, {
    features: deviceFeatures(),
    repeats: 2,
  });
  const tensorsAfter = tf.memory().numTensors;
  if (result == null) throw new Error('the tuner stopped unasked');
  for (const t of result.timings) {
    const ms = KERNEL_VARIANTS.filter((v) => t.msByVariant[v] !== undefined)
      .map((v) => `${v} ${t.msByVariant[v]?.toFixed(2)} ms`)
      .join(', ');
    log(
      `tuned ${t.label}: ${ms} → ${t.chosen}${t.rejected ? ` rejected ${JSON.stringify(t.rejected)}` : ''}`,
    );
  }
  return {
    shapes: shapes.length,
    timings: result.timings,
    complete: result.complete,
    tensorsBefore,
    tensorsAfter,
  };
}

export async function runSelfTest(
  cases: SelfTestCase[] = SELF_TEST_CASES,
  log: (line: string) => void = () => undefined,
): Promise<SelfTestReport> {
  const report: SelfTestReport = {
    done: false,
    results: [],
    leaks: { tensorsBefore: 0, tensorsAfter: 0, dataIdsBefore: 0, dataIdsAfter: 0 },
  };
  setConvKernels('optimized');
  registerWebGpuBackend();
  if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend did not start');
  report.subgroups = deviceFeatures().subgroups;
  // Every variant with a program that this device can run (all four op kinds have the same).
  const variants = builtVariantsOn({ subgroups: report.subgroups });
  log(`variants: ${variants.join(', ')} (device subgroups: ${report.subgroups ? 'yes' : 'no'})`);
  for (const [index, c] of cases.entries()) {
    const data = makeData(c, 1000 * (index + 1));
    if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
    const ref = (await runOps(c, data)).outputs;
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend did not start');
    const size = (shape: number[]) => tf.util.sizeFromShape(shape);
    for (const variant of variants) {
      poisonBufferPool([size(data.dyShape), size(data.wShape), size(data.xShape), c.outChannels]);
      setVariantOverride(variant);
      let run: Awaited<ReturnType<typeof runOps>>;
      try {
        run = await runOps(c, data, variant);
      } finally {
        setVariantOverride(null);
      }
      const { outputs: got, ours, declined } = run;
      for (const op of Object.keys(ref)) {
        const { rel, maxRef } = compare(ref[op], got[op]);
        const ranOurs = op in ours ? ours[op as ConvKernelName] : undefined;
        const wasDeclined = declined[op as ConvKernelName] === true;
        const name = variantOpName(op, variant);
        report.results.push({
          case: c.name,
          op: name,
          maxRelError: rel,
          maxAbsRef: maxRef,
          variant,
          ...(ranOurs === undefined ? {} : { ours: ranOurs }),
          ...(wasDeclined ? { declined: true } : {}),
        });
        log(
          `${c.name.padEnd(34)} ${name.padEnd(22)} rel err ${rel.toExponential(2)}` +
            (ranOurs === undefined ? '' : ` ours ${ranOurs}`) +
            (wasDeclined ? ' (subgroup declined: too large)' : ''),
        );
      }
    }
  }
  for (const [index, c] of MATMUL_CASES.entries()) {
    const a = random(5000 + index, c.batchA * c.m * c.k);
    const b = random(6000 + index, c.batchB * c.k * c.n);
    if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
    const bias = random(7000 + index, c.n);
    const ref = await runMatMul(c, a, b, bias);
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend did not start');
    for (const variant of variants) {
      // Poison the buffer pool with NaN outputs of the same size first, so that an output
      // element the kernel never writes shows up as a mismatch.
      poisonBufferPool([Math.max(c.batchA, c.batchB) * c.m * c.n]);
      const oursBefore = matMulStats.ours;
      const variantBefore = variantRunStats.matMul[variant];
      const declinesBefore = subgroupDeclines.matMul;
      setVariantOverride(variant);
      let got: Float32Array;
      try {
        got = await runMatMul(c, a, b, bias);
      } finally {
        setVariantOverride(null);
      }
      const declined = variant === 'subgroup' && subgroupDeclines.matMul > declinesBefore;
      const ours =
        matMulStats.ours > oursBefore &&
        (variantRunStats.matMul[variant] > variantBefore || declined);
      const { rel, maxRef } = compare(ref, got);
      const op = variantOpName(c.fused ? `_FusedMatMul ${c.fused}` : 'BatchMatMul', variant);
      report.results.push({
        case: c.name,
        op,
        maxRelError: rel,
        maxAbsRef: maxRef,
        ours,
        variant,
        ...(declined ? { declined: true } : {}),
      });
      log(`${c.name.padEnd(34)} ${op.padEnd(22)} rel err ${rel.toExponential(2)} ours ${ours}`);
    }
  }
  for (const [index, c] of INPUT_CASES.entries()) {
    const pixels = randomBytes(8000 + index, c.batch * c.sourceSize * c.sourceSize);
    // Today's path (cast, divide by 255, resizeBilinear) on the CPU backend is the reference.
    if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
    const ref = await runInput(c, pixels);
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend did not start');
    poisonBufferPool([c.batch * c.imageSize * c.imageSize]);
    const oursBefore = greyImagesStats.ours;
    const got = await runInput(c, pixels);
    const ours = greyImagesStats.ours > oursBefore;
    const { rel, maxRef } = compareElementwise(ref, got);
    const op = 'prepareImages';
    report.results.push({ case: c.name, op, maxRelError: rel, maxAbsRef: maxRef, ours });
    log(`${c.name.padEnd(34)} ${op.padEnd(22)} rel err ${rel.toExponential(2)} ours ${ours}`);
  }
  for (const [index, c] of BIAS_CASES.entries()) {
    const x = random(9000 + index, tf.util.sizeFromShape(c.shape));
    const other = random(9500 + index, biasOtherSize(c));
    if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
    const ref = await runBias(c, x, other);
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend did not start');
    poisonBufferPool([ref.length]);
    const before = c.op === 'Add' ? biasKernelStats.add : biasKernelStats.sum;
    const got = await runBias(c, x, other);
    const after = c.op === 'Add' ? biasKernelStats.add : biasKernelStats.sum;
    // `ours` as it should be: true when our kernel ran where it must, and where it must not.
    const ours = after > before === c.ours;
    const { rel, maxRef } = compare(ref, got);
    report.results.push({ case: c.name, op: c.op, maxRelError: rel, maxAbsRef: maxRef, ours });
    log(`${c.name.padEnd(34)} ${c.op.padEnd(22)} rel err ${rel.toExponential(2)} ours ${ours}`);
  }
  // Leak check on webgpu: repeated calls must not grow tensors or backend buffers.
  const c = cases[0];
  const data = makeData(c, 7);
  const leakMatMuls = MATMUL_CASES.filter((m) => m.rank2 && m.m * m.n < 100_000);
  const leakInputs = INPUT_CASES.filter((m) => m.batch * m.imageSize ** 2 < 100_000);
  const runAll = async () => {
    await runOps(c, data);
    for (const m of leakMatMuls) {
      await runMatMul(m, random(1, m.m * m.k), random(2, m.k * m.n), random(3, m.n));
    }
    for (const m of leakInputs) {
      await runInput(m, randomBytes(4, m.batch * m.sourceSize ** 2));
    }
    for (const m of BIAS_CASES) {
      await runBias(m, random(5, tf.util.sizeFromShape(m.shape)), random(6, biasOtherSize(m)));
    }
  };
  await runAll();
  const backend = tf.engine().backend;
  report.leaks.tensorsBefore = tf.memory().numTensors;
  report.leaks.dataIdsBefore = backend.numDataIds();
  for (let i = 0; i < 3; i++) await runAll();
  report.leaks.tensorsAfter = tf.memory().numTensors;
  report.leaks.dataIdsAfter = backend.numDataIds();
  log(`leaks: ${JSON.stringify(report.leaks)}`);
  report.tuning = await checkTuning(log);
  report.done = true;
  return report;
}
