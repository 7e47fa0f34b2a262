import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import {
  ConvForwardProgram,
  FlatProgram,
  FilterGradProgram,
  InputGradProgram,
  MatMulProgram,
  SumSplitsProgram,
  type ConvGeometry,
  type FusedActivation,
  type MatMulGeometry,
} from './programs.ts';
import {
  TiledConvForwardProgram,
  TiledFilterGradProgram,
  TiledInputGradProgram,
  TiledMatMulProgram,
  tiledFilterGradSplits,
  type TiledStyle,
} from './tiledPrograms.ts';
import {
  subgroupDeclines,
  subgroupTakes,
  variantForOp,
  variantRunStats,
  type KernelOp,
  type OpGeometry,
} from './variants.ts';

/**
 * Kernel functions for Conv2D, FusedConv2D, Conv2DBackpropFilter and Conv2DBackpropInput on
 * the 'webgpu' backend. Each handles NHWC float32 convolutions with dilation 1 and delegates
 * everything else (NCHW, dilations, other dtypes, prelu/leaky-relu/other fused activations…)
 * to the stock kernel function it replaces, so swapping kernels is always safe.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];
type KernelResult = ReturnType<tf.KernelFunc>;

/** How many products our matmul program has run (the self-test checks that it was not stock). */
export const matMulStats = { ours: 0 };

/** How many times each of our four convolution kernels ran its own program (not the stock one). */
export const convKernelStats = {
  Conv2D: 0,
  FusedConv2D: 0,
  Conv2DBackpropFilter: 0,
  Conv2DBackpropInput: 0,
};

/** Tuning knobs (exposed for the benchmark page). */
export const convKernelOptions = {
  /** Filter-gradient: split the reduction until about this many invocations run. */
  filterGradTargetThreads: 1024,
  /** Outputs per invocation: rows of the implicit matrix product. */
  tileRows: 4,
  /** Columns per invocation (a multiple of 4), or 'auto' (chooseTileCols). */
  tileCols: 'auto' as number | 'auto',
  /**
   * Matrix products: rows per invocation. 8 measured 2–2.5× faster than 4 on SwiftShader for the
   * dense layers (m = 16 forward and dx, k = 16 dW), 16 slower again (register spills).
   */
  matMulTileRows: 8,
};

/**
 * Columns per invocation for n output columns: a rough cost model of loads + vec4 FMAs + loop
 * overhead per reduction step, times the number of column tiles, over 4, 8, 12 and 16 columns.
 */
export function chooseTileCols(n: number, tileRows = convKernelOptions.tileRows): number {
  const fixed = convKernelOptions.tileCols;
  if (fixed !== 'auto') return fixed;
  let best = 4;
  let bestCost = Infinity;
  for (const tn of [4, 8, 12, 16]) {
    const cost = Math.ceil(n / tn) * (tileRows + tn + (tileRows * tn) / 4 + 8);
    if (cost < bestCost) {
      best = tn;
      bestCost = cost;
    }
  }
  return best;
}

function isUnitDilation(dilations: [number, number] | number | undefined): boolean {
  if (dilations == null) return true;
  return typeof dilations === 'number' ? dilations === 1 : dilations.every((d) => d === 1);
}

function allFloat32(...tensors: tf.TensorInfo[]): boolean {
  return tensors.every((t) => t.dtype === 'float32');
}

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function isEmpty(g: ConvGeometry): boolean {
  return [g.batch, g.inChannels, g.outChannels, g.outHeight, g.outWidth].some((n) => n <= 0);
}

/** Largest flat index any program computes must stay well inside i32. */
function fitsI32(...sizes: number[]): boolean {
  return sizes.every((s) => s < 2 ** 30);
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The tiled program's style the plan (variants.ts) wants for this op shape, or null for the
 * register-tiled program; records the shape when recording is on, and counts the variant whose
 * program is built. 'subgroup' needs a device with the `subgroups` feature (webgpuDevice.ts
 * asks for it) and an op it takes (variants.ts subgroupTakes); otherwise it builds 'register'
 * (the tuner, which checks that a forced variant's own program ran, would drop it).
 */
function tiledStyle(backend: WebGPUBackend, op: KernelOp, g: OpGeometry): TiledStyle | null {
  let variant = variantForOp(op, g).variant;
  if (variant === 'subgroup' && !backend.device.features.has('subgroups')) variant = 'register';
  if (variant === 'subgroup' && !subgroupTakes(op, g)) {
    subgroupDeclines[op]++;
    variant = 'register';
  }
  variantRunStats[op][variant]++;
  return variant === 'register' ? null : variant;
}

/**
 * Runs one of our programs: the register-tiled ones (FlatProgram) take their geometry as
 * uniforms; the workgroup-tiled ones bake it in.
 */
function runProgram(
  backend: WebGPUBackend,
  program: WebGPUProgram,
  inputs: tf.TensorInfo[],
): tf.TensorInfo {
  const uniforms = program instanceof FlatProgram ? program.uniformData() : undefined;
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
}

/**
 * Conv2D and FusedConv2D run the same program: a plain Conv2D is one without bias and with a
 * linear activation. Anything the program does not cover goes to the stock kernel.
 */
function convForward(
  kernelName: 'Conv2D' | 'FusedConv2D',
  args: KernelArgs,
  stock: tf.KernelFunc,
  attrs: tf.Conv2DAttrs,
  bias: tf.TensorInfo | undefined,
  activation: FusedActivation,
): KernelResult {
  const { x, filter } = args.inputs;
  if (
    x == null ||
    filter == null ||
    attrs.dataFormat !== 'NHWC' ||
    !isUnitDilation(attrs.dilations) ||
    !allFloat32(x, filter) ||
    x.shape.length !== 4
  ) {
    return stock(args);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const g = geometry(info);
  // Only a per-output-channel bias vector is fused; any other broadcast goes to stock.
  if (bias != null && (bias.dtype !== 'float32' || sizeOf(bias.shape) !== g.outChannels)) {
    return stock(args);
  }
  if (isEmpty(g) || !fitsI32(sizeOf(x.shape), sizeOf(info.outShape))) return stock(args);
  const backend = args.backend as WebGPUBackend;
  const style = tiledStyle(backend, 'conv2d', g);
  const program = style
    ? new TiledConvForwardProgram(g, bias != null, activation, style)
    : new ConvForwardProgram(
        g,
        bias != null,
        activation,
        convKernelOptions.tileRows,
        chooseTileCols(g.outChannels),
      );
  const inputs = bias != null ? [x, filter, bias] : [x, filter];
  convKernelStats[kernelName]++;
  return runProgram(backend, program, inputs);
}

export function makeConv2D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult =>
    convForward(
      'Conv2D',
      args,
      stock,
      args.attrs as unknown as tf.Conv2DAttrs,
      undefined,
      'linear',
    );
}

export function makeFusedConv2D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const activation = attrs.activation as string | undefined;
    const fusedActivation: FusedActivation | null =
      activation == null || activation === 'linear'
        ? 'linear'
        : activation === 'relu'
          ? 'relu'
          : null;
    if (preluActivationWeights != null || fusedActivation == null) return stock(args);
    return convForward('FusedConv2D', args, stock, attrs, bias ?? undefined, fusedActivation);
  };
}

export function makeConv2DBackpropFilter(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (
      x == null ||
      dy == null ||
      attrs.dataFormat !== 'NHWC' ||
      !allFloat32(x, dy) ||
      x.shape.length !== 4
    ) {
      return stock(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const g = geometry(info);
    if (isEmpty(g) || !fitsI32(sizeOf(x.shape), sizeOf(dy.shape))) return stock(args);
    const backend = args.backend as WebGPUBackend;
    const style = tiledStyle(backend, 'conv2dBackpropFilter', g);
    if (style) {
      // The subgroup style splits the reduction inside each workgroup: one split.
      const { splits, kChunk } =
        style === 'workgroup'
          ? tiledFilterGradSplits(g)
          : { splits: 1, kChunk: g.batch * g.outHeight * g.outWidth };
      const program = new TiledFilterGradProgram(g, splits, kChunk, style);
      convKernelStats.Conv2DBackpropFilter++;
      return runSplits(backend, program, [x, dy], attrs);
    }
    const { tileRows, filterGradTargetThreads } = convKernelOptions;
    const tileCols = chooseTileCols(g.outChannels);
    const m = g.filterHeight * g.filterWidth * g.inChannels;
    const tiles = Math.ceil(m / tileRows) * Math.ceil(g.outChannels / tileCols);
    const kRows = g.batch * g.outHeight;
    const wanted = Math.max(1, Math.min(kRows, Math.round(filterGradTargetThreads / tiles)));
    // Equal chunks of (b, oh) rows; recompute the count so that no chunk is empty.
    const chunk = Math.ceil(kRows / wanted);
    const splits = Math.ceil(kRows / chunk);
    const program = new FilterGradProgram(g, splits, tileRows, tileCols);
    convKernelStats.Conv2DBackpropFilter++;
    return runSplits(backend, program, [x, dy], attrs);
  };
}

/** Runs a filter-gradient program and, when it split the reduction, adds the partial sums. */
function runSplits(
  backend: WebGPUBackend,
  program: FilterGradProgram | TiledFilterGradProgram,
  inputs: tf.TensorInfo[],
  attrs: tf.Conv2DBackpropFilterAttrs,
): KernelResult {
  if (program.splits === 1) return runProgram(backend, program, inputs);
  const partial = runProgram(backend, program, inputs);
  const sum = new SumSplitsProgram(program.splits, attrs.filterShape);
  const result = runProgram(backend, sum, [partial]);
  backend.disposeData(partial.dataId);
  return result;
}

export function makeConv2DBackpropInput(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (
      dy == null ||
      filter == null ||
      attrs.dataFormat !== 'NHWC' ||
      !allFloat32(dy, filter) ||
      attrs.inputShape.length !== 4
    ) {
      return stock(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const g = geometry(info);
    if (isEmpty(g) || g.inHeight <= 0 || g.inWidth <= 0) return stock(args);
    if (!fitsI32(sizeOf(attrs.inputShape), sizeOf(dy.shape))) return stock(args);
    const backend = args.backend as WebGPUBackend;
    // Few input channels (conv1: one, the grey image): InputGradProgram's tile would be mostly
    // padding columns (vec4 groups for one channel) and, at stride 4, rows that no filter tap
    // reaches; it measured 0.27× the stock matrix product of the same FLOPs at 96 px batch 16.
    // There the gradient is the product dy·Wᵀ into im2col columns, then a gather (col2im).
    convKernelStats.Conv2DBackpropInput++;
    const positions = g.batch * g.outHeight * g.outWidth;
    const taps = g.filterHeight * g.filterWidth * g.inChannels;
    const columnsBytes = 4 * positions * taps;
    if (
      g.inChannels < 4 &&
      fitsI32(positions * taps) &&
      columnsBytes <= backend.device.limits.maxStorageBufferBindingSize
    ) {
      return inputGradViaColumns(backend, g, dy, filter, attrs.inputShape);
    }
    const style = tiledStyle(backend, 'conv2dBackpropInput', g);
    const program = style
      ? new TiledInputGradProgram(g, style)
      : new InputGradProgram(g, convKernelOptions.tileRows, chooseTileCols(g.inChannels));
    return runProgram(backend, program, [dy, filter]);
  };
}

const COL2IM_WORKGROUP = 64;

/**
 * dx[b,ih,iw,c] = Σ cols[(b,oh,ow), (kh,kw,c)] over the output positions whose window covers
 * (ih, iw): kh = ih + padTop − oh·strideH in [0, filterH), likewise kw. Each input element
 * loops only over the ⌈filter/stride⌉² positions that can reach it. Flat dispatch, one
 * invocation per element, like the programs in programs.ts.
 */
class Col2ImProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames = ['cols'];
  variableComponents = [1];
  workgroupSize: [number, number, number] = [COL2IM_WORKGROUP, 1, 1];
  size = false;
  private readonly g: ConvGeometry;

  constructor(g: ConvGeometry, inputShape: number[]) {
    this.g = g;
    this.outputShape = inputShape;
    this.dispatchLayout = { x: inputShape.map((_, d) => d) };
    this.dispatch = [Math.ceil(sizeOf(inputShape) / COL2IM_WORKGROUP), 1, 1];
    this.shaderKey = `ours_col2im_${Object.values(g).join('_')}`;
  }

  getUserCode(): string {
    const g = this.g;
    const n = g.batch * g.inHeight * g.inWidth * g.inChannels;
    const taps = g.filterHeight * g.filterWidth * g.inChannels;
    return `
      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (index >= ${n} || uniforms.outShape[0] == 0) { return; }
        let c = index % ${g.inChannels};
        let iw = (index / ${g.inChannels}) % ${g.inWidth};
        let ih = (index / ${g.inChannels * g.inWidth}) % ${g.inHeight};
        let b = index / ${g.inChannels * g.inWidth * g.inHeight};
        let th = ih + ${g.padTop};
        let tw = iw + ${g.padLeft};
        // The first output row whose window reaches th: ⌈(th − filterH + 1) / stride⌉, ≥ 0.
        let ohFirst = select(0, (th - ${g.filterHeight} + ${g.strideHeight}) / ${g.strideHeight}, th - ${g.filterHeight} + 1 > 0);
        let ohLast = min(${g.outHeight - 1}, th / ${g.strideHeight});
        let owFirst = select(0, (tw - ${g.filterWidth} + ${g.strideWidth}) / ${g.strideWidth}, tw - ${g.filterWidth} + 1 > 0);
        let owLast = min(${g.outWidth - 1}, tw / ${g.strideWidth});
        var sum = 0.0;
        for (var oh = ohFirst; oh <= ohLast; oh++) {
          let kh = th - oh * ${g.strideHeight};
          let rowBase = (b * ${g.outHeight} + oh) * ${g.outWidth};
          for (var ow = owFirst; ow <= owLast; ow++) {
            let kw = tw - ow * ${g.strideWidth};
            sum = sum + cols[(rowBase + ow) * ${taps} + (kh * ${g.filterWidth} + kw) * ${g.inChannels} + c];
          }
        }
        result[index] = sum;
      }
    `;
  }
}

/** Input gradient as cols = dy · Wᵀ ([positions, co] · [co, taps], our matmul), then col2im. */
function inputGradViaColumns(
  backend: WebGPUBackend,
  g: ConvGeometry,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: number[],
): KernelResult {
  const positions = g.batch * g.outHeight * g.outWidth;
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const tileRows = Math.min(convKernelOptions.matMulTileRows, positions);
  // dy is [positions, co] row-major and the filter [taps, co]: the product with B transposed.
  // It is a matrix product like any other, with the plan's variant for its shape.
  const productGeometry: MatMulGeometry = {
    batch: 1,
    batchStrideA: 0,
    batchStrideB: 0,
    m: positions,
    k: g.outChannels,
    n: taps,
    transposeA: false,
    transposeB: true,
  };
  const productStyle = tiledStyle(backend, 'matMul', productGeometry);
  const product = productStyle
    ? new TiledMatMulProgram(productGeometry, [positions, taps], false, 'linear', productStyle)
    : new MatMulProgram(productGeometry, tileRows, chooseTileCols(taps, tileRows), [
        positions,
        taps,
      ]);
  const cols = runProgram(backend, product, [dy, filter]);
  const result = backend.runWebGPUProgram(new Col2ImProgram(g, inputShape), [cols], 'float32');
  backend.disposeData(cols.dataId);
  return result;
}

/**
 * BatchMatMul and _FusedMatMul (float32, rank 2 to 4 as TF.js's matMul passes them: the dense
 * layers call it with rank-2 tensors; equal or size-1 batch, like the stock kernel), with an
 * optional per-column bias and a linear or relu activation. Anything else goes to stock.
 */
function matMul(
  args: KernelArgs,
  stock: tf.KernelFunc,
  bias: tf.TensorInfo | undefined,
  activation: FusedActivation,
): KernelResult {
  const { a, b } = args.inputs;
  const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (a == null || b == null || !allFloat32(a, b)) return stock(args);
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  if (rankA < 2 || rankB < 2 || rankA > 4 || rankB > 4) return stock(args);
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  const [a1, a2] = a.shape.slice(-2);
  const [b1, b2] = b.shape.slice(-2);
  const m = transposeA ? a2 : a1;
  const k = transposeA ? a1 : a2;
  const n = transposeB ? b1 : b2;
  const kB = transposeB ? b2 : b1;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const batch = Math.max(batchA, batchB);
  if (k !== kB || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return stock(args);
  // The output's batch dimensions broadcast like the stock kernel's; with equal batch sizes the
  // dimensions must match exactly (a flat batch index then addresses A, B and C alike).
  const sameOuter = outerA.length === outerB.length && outerA.every((d, j) => d === outerB[j]);
  if (batchA === batchB && !sameOuter) return stock(args);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return stock(args);
  }
  const outputShape = [...outer, m, n];
  if (outputShape.length > 4 || sizeOf(outer) !== batch) return stock(args);
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) return stock(args);
  if (!fitsI32(sizeOf(a.shape), sizeOf(b.shape), batch * m * n)) return stock(args);
  if (bias != null) {
    const lastDim = bias.shape[bias.shape.length - 1];
    if (bias.dtype !== 'float32' || sizeOf(bias.shape) !== n || lastDim !== n) return stock(args);
  }
  const backend = args.backend as WebGPUBackend;
  // A product with fewer rows (a batch of one) gets a shorter tile rather than clamped repeats.
  const tileRows = Math.min(convKernelOptions.matMulTileRows, m);
  const g: MatMulGeometry = {
    batch,
    batchStrideA: batchA === 1 ? 0 : m * k,
    batchStrideB: batchB === 1 ? 0 : k * n,
    m,
    k,
    n,
    transposeA,
    transposeB,
  };
  const style = tiledStyle(backend, 'matMul', g);
  const program = style
    ? new TiledMatMulProgram(g, outputShape, bias != null, activation, style)
    : new MatMulProgram(
        g,
        tileRows,
        chooseTileCols(n, tileRows),
        outputShape,
        bias != null,
        activation,
      );
  const inputs = bias != null ? [a, b, bias] : [a, b];
  matMulStats.ours++;
  return runProgram(backend, program, inputs);
}

export function makeBatchMatMul(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => matMul(args, stock, undefined, 'linear');
}

export function makeFusedMatMul(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { bias, preluActivationWeights } = args.inputs;
    const activation = (args.attrs as { activation?: string }).activation;
    const fused: FusedActivation | null =
      activation == null || activation === 'linear'
        ? 'linear'
        : activation === 'relu'
          ? 'relu'
          : null;
    if (preluActivationWeights != null || fused == null) return stock(args);
    return matMul(args, stock, bias ?? undefined, fused);
  };
}
