import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * WGSL programs for 2-D convolution (NHWC, float32, dilation 1) written as implicit matrix
 * products with register tiling and no workgroup memory: each invocation computes a small tile
 * of outputs and loops over the whole reduction. Every shape, stride and padding is baked into
 * the shader as a constant (the shader key names them all), so the compiler sees constant loop
 * bounds and divisors; a network has only a handful of distinct layer shapes.
 *
 * SwiftShader (software Vulkan) runs workgroup memory and barriers slowly, and this layout was
 * the fastest measured there (docs/reference.md). The stock kernels stay selectable
 * (register.ts) for real GPUs, where shared-memory tiling usually wins.
 */

/** Geometry of one convolution, from backend_util.computeConv2DInfo (channels-last). */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

const WORKGROUP = 64;

function geometryKey(g: ConvGeometry): string {
  return [
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.outChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
  ].join('_');
}

/**
 * A program whose invocations are numbered 0..threads-1 through main(index). `size` adds
 * TF.js's `size` uniform (the output's length), which every output rank has; a rank-1
 * output's `outShape` is a scalar, where `outShape[0]` does not compile.
 */
export abstract class FlatProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  variableComponents: number[];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = false;
  readonly threads: number;

  constructor(outputShape: number[], variableNames: string[], threads: number, key: string) {
    this.outputShape = outputShape;
    this.variableNames = variableNames;
    this.variableComponents = variableNames.map(() => 1);
    this.threads = threads;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(threads / WORKGROUP), 1, 1];
    this.shaderKey = key;
  }

  abstract getUserCode(): string;
}

/** Literal for WGSL: ints as `5`, floats never needed. */
const i = (n: number) => String(Math.trunc(n));

/**
 * Column tiling: tn columns per invocation in groups of four (one vec4 accumulator per group
 * and row). Columns past the end are clamped for loads and skipped for stores.
 */
function columnSetup(tn: number, n: number): string {
  const lines: string[] = [];
  for (let j = 0; j < tn; j++) lines.push(`let col${j} = min(n0 + ${j}, ${i(n - 1)});`);
  return lines.join('\n');
}

function groupCount(tn: number): number {
  return Math.ceil(tn / 4);
}

/** `vec4<f32>(t(col4q), …, t(col4q+3))` for group q, with a load template using COL. */
function loadGroup(tn: number, q: number, template: (col: string) => string): string {
  const parts: string[] = [];
  for (let j = 4 * q; j < 4 * q + 4; j++) parts.push(j < tn ? template(`col${j}`) : '0.0');
  return `vec4<f32>(${parts.join(', ')})`;
}

function accumulators(tm: number, tn: number): string {
  const lines: string[] = [];
  for (let r = 0; r < tm; r++) {
    for (let q = 0; q < groupCount(tn); q++) lines.push(`var acc${r}_${q} = vec4<f32>(0.0);`);
  }
  return lines.join('\n');
}

/** acc_r_q += scalar(r) * vec(q) for every group q of row r. */
function accumulate(r: number, tn: number, scalar: string, vec: (q: number) => string): string {
  const lines: string[] = [];
  for (let q = 0; q < groupCount(tn); q++) {
    lines.push(`acc${r}_${q} = acc${r}_${q} + ${scalar} * ${vec(q)};`);
  }
  return lines.join('\n');
}

function accValue(r: number, j: number): string {
  return `acc${r}_${Math.floor(j / 4)}[${j % 4}]`;
}

/** Output (r, j) of the tile with the fused bias (bias[n0 + j]) and activation applied. */
function epilogue(r: number, j: number, hasBias: boolean, activation: FusedActivation): string {
  let v = accValue(r, j);
  if (hasBias) v = `${v} + bias[n0 + ${j}]`;
  return activation === 'relu' ? `max(${v}, 0.0)` : v;
}

/**
 * Stores row r of an invocation's tm×tn tile: the tn guarded writes
 * `result[base + (m0 + r) * n + n0 + j] = value(j)` of an m×n output, skipping rows and columns
 * past its end. base is a WGSL expression (a batch or split offset), '' for none.
 */
function writeTileRow(
  r: number,
  tn: number,
  m: number,
  n: number,
  base: string,
  value: (j: number) => string,
): string {
  const lines: string[] = [];
  const offset = base === '' ? '' : `${base} + `;
  for (let j = 0; j < tn; j++) {
    lines.push(`
        if (m0 + ${r} < ${i(m)} && n0 + ${j} < ${i(n)}) {
          result[${offset}(m0 + ${r}) * ${i(n)} + n0 + ${j}] = ${value(j)};
        }`);
  }
  return lines.join('');
}

/** True when no input coordinate can fall outside the image (no padding is read). */
function noPaddingRead(g: ConvGeometry): boolean {
  return (
    g.padTop === 0 &&
    g.padLeft === 0 &&
    (g.outHeight - 1) * g.strideHeight + g.filterHeight <= g.inHeight &&
    (g.outWidth - 1) * g.strideWidth + g.filterWidth <= g.inWidth
  );
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh*s+kh-pt, ow*s+kw-pl, ci] · dy[b,oh,ow,co].
 * Rows M = kh·kw·ci, columns N = co, reduction over b·oh·ow split into `splits` chunks of
 * (b, oh) rows; with splits > 1 the output is [splits, M·N] partial sums (see SumSplitsProgram).
 */
export class FilterGradProgram extends FlatProgram {
  private readonly g: ConvGeometry;
  private readonly tm: number;
  private readonly tn: number;
  readonly splits: number;

  constructor(g: ConvGeometry, splits: number, tm = 4, tn = 4) {
    const m = g.filterHeight * g.filterWidth * g.inChannels;
    const n = g.outChannels;
    const tiles = Math.ceil(m / tm) * Math.ceil(n / tn);
    const outputShape =
      splits === 1 ? [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels] : [splits, m * n];
    super(
      outputShape,
      ['x', 'dy'],
      tiles * splits,
      `ours_filterGrad_${geometryKey(g)}_${splits}_${tm}x${tn}`,
    );
    this.g = g;
    this.tm = tm;
    this.tn = tn;
    this.splits = splits;
  }

  getUserCode(): string {
    const { g, tm, tn, splits } = this;
    const m = g.filterHeight * g.filterWidth * g.inChannels;
    const n = g.outChannels;
    const tilesN = Math.ceil(n / tn);
    const tiles = Math.ceil(m / tm) * tilesN;
    const kRows = g.batch * g.outHeight;
    const chunk = Math.ceil(kRows / splits);
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let d${q} = ${loadGroup(tn, q, (col) => `dy[dyBase + ${col}]`)};`);
    }
    const inRange = noPaddingRead(g);
    const rowInit: string[] = [];
    const rowLoop: string[] = [];
    const inner: string[] = [];
    const writes: string[] = [];
    for (let r = 0; r < tm; r++) {
      rowInit.push(`
        let mm${r} = min(m0 + ${r}, ${i(m - 1)});
        let c${r} = mm${r} % ${i(g.inChannels)};
        let kw${r} = (mm${r} / ${i(g.inChannels)}) % ${i(g.filterWidth)};
        let kh${r} = mm${r} / ${i(g.inChannels * g.filterWidth)};`);
      rowLoop.push(`
          let ih${r} = oh * ${i(g.strideHeight)} + kh${r} - ${i(g.padTop)};
          let hOk${r} = ${inRange ? 'true' : `ih${r} >= 0 && ih${r} < ${i(g.inHeight)}`};
          let xRow${r} = ((b * ${i(g.inHeight)} + ih${r}) * ${i(g.inWidth)}) * ${i(g.inChannels)} + c${r};`);
      inner.push(`
            let iw${r} = ow * ${i(g.strideWidth)} + kw${r} - ${i(g.padLeft)};
            let ok${r} = ${inRange ? 'true' : `hOk${r} && iw${r} >= 0 && iw${r} < ${i(g.inWidth)}`};
            let xv${r} = select(0.0, x[select(0, xRow${r} + iw${r} * ${i(g.inChannels)}, ok${r})], ok${r});
            ${accumulate(r, tn, `xv${r}`, (q) => `d${q}`)}`);
      writes.push(writeTileRow(r, tn, m, n, 'outBase', (j) => accValue(r, j)));
    }
    return `
      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (index >= ${i(tiles * splits)} || uniforms.outShape[0] == 0) { return; }
        let split = index / ${i(tiles)};
        let tile = index % ${i(tiles)};
        let m0 = (tile / ${i(tilesN)}) * ${i(tm)};
        let n0 = (tile % ${i(tilesN)}) * ${i(tn)};
        ${columnSetup(tn, n)}
        ${rowInit.join('')}
        ${accumulators(tm, tn)}
        let kBegin = split * ${i(chunk)};
        let kEnd = min(kBegin + ${i(chunk)}, ${i(kRows)});
        for (var k = kBegin; k < kEnd; k++) {
          let b = k / ${i(g.outHeight)};
          let oh = k % ${i(g.outHeight)};
          ${rowLoop.join('')}
          let dyRow = k * ${i(g.outWidth * g.outChannels)};
          for (var ow = 0; ow < ${i(g.outWidth)}; ow++) {
            let dyBase = dyRow + ow * ${i(g.outChannels)};
            ${loads.join('\n')}
            ${inner.join('')}
          }
        }
        let outBase = split * ${i(m * n)};
        ${writes.join('')}
      }
    `;
  }
}

/** out[i] = Σ_s partial[s, i]: reduces FilterGradProgram's split partial sums. */
export class SumSplitsProgram extends FlatProgram {
  private readonly splits: number;
  private readonly length: number;

  constructor(splits: number, outputShape: number[]) {
    const length = outputShape.reduce((a, b) => a * b, 1);
    super(outputShape, ['parts'], length, `ours_sumSplits_${splits}_${length}`);
    this.splits = splits;
    this.length = length;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (index >= ${i(this.length)} || uniforms.outShape[0] == 0) { return; }
        var sum = 0.0;
        for (var s = 0; s < ${i(this.splits)}; s++) {
          sum = sum + parts[s * ${i(this.length)} + index];
        }
        result[index] = sum;
      }
    `;
  }
}

export type FusedActivation = 'linear' | 'relu';

/**
 * out[b,oh,ow,co] = act(Σ_{kh,kw,ci} x[b, oh*s+kh-pt, ow*s+kw-pl, ci] · w[kh,kw,ci,co] + bias[co]).
 * Rows M = b·oh·ow (output pixels), columns N = co.
 */
export class ConvForwardProgram extends FlatProgram {
  private readonly g: ConvGeometry;
  private readonly tm: number;
  private readonly tn: number;
  private readonly hasBias: boolean;
  private readonly activation: FusedActivation;

  constructor(g: ConvGeometry, hasBias: boolean, activation: FusedActivation, tm = 4, tn = 4) {
    const m = g.batch * g.outHeight * g.outWidth;
    const tiles = Math.ceil(m / tm) * Math.ceil(g.outChannels / tn);
    super(
      [g.batch, g.outHeight, g.outWidth, g.outChannels],
      hasBias ? ['x', 'w', 'bias'] : ['x', 'w'],
      tiles,
      `ours_conv_${geometryKey(g)}_${hasBias}_${activation}_${tm}x${tn}`,
    );
    this.g = g;
    this.tm = tm;
    this.tn = tn;
    this.hasBias = hasBias;
    this.activation = activation;
  }

  getUserCode(): string {
    const { g, tm, tn } = this;
    const m = g.batch * g.outHeight * g.outWidth;
    const n = g.outChannels;
    const tilesN = Math.ceil(n / tn);
    const tiles = Math.ceil(m / tm) * tilesN;
    const inRange = noPaddingRead(g);
    const rowInit: string[] = [];
    const hLoop: string[] = [];
    const wLoop: string[] = [];
    const inner: string[] = [];
    const writes: string[] = [];
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let wv${q} = ${loadGroup(tn, q, (col) => `w[wRow + ${col}]`)};`);
    }
    for (let r = 0; r < tm; r++) {
      rowInit.push(`
        let mm${r} = min(m0 + ${r}, ${i(m - 1)});
        let b${r} = mm${r} / ${i(g.outHeight * g.outWidth)};
        let ih0${r} = ((mm${r} / ${i(g.outWidth)}) % ${i(g.outHeight)}) * ${i(g.strideHeight)} - ${i(g.padTop)};
        let iw0${r} = (mm${r} % ${i(g.outWidth)}) * ${i(g.strideWidth)} - ${i(g.padLeft)};`);
      hLoop.push(`
          let ih${r} = ih0${r} + kh;
          let hOk${r} = ${inRange ? 'true' : `ih${r} >= 0 && ih${r} < ${i(g.inHeight)}`};
          let xRow${r} = (b${r} * ${i(g.inHeight)} + ih${r}) * ${i(g.inWidth)};`);
      wLoop.push(`
            let iw${r} = iw0${r} + kw;
            let ok${r} = ${inRange ? 'true' : `hOk${r} && iw${r} >= 0 && iw${r} < ${i(g.inWidth)}`};
            let xBase${r} = select(0, (xRow${r} + iw${r}) * ${i(g.inChannels)}, ok${r});`);
      inner.push(`
              let xv${r} = select(0.0, x[xBase${r} + ci], ok${r});
              ${accumulate(r, tn, `xv${r}`, (q) => `wv${q}`)}`);
      writes.push(
        writeTileRow(r, tn, m, n, '', (j) => epilogue(r, j, this.hasBias, this.activation)),
      );
    }
    return `
      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (index >= ${i(tiles)} || uniforms.outShape[0] == 0) { return; }
        let m0 = (index / ${i(tilesN)}) * ${i(tm)};
        let n0 = (index % ${i(tilesN)}) * ${i(tn)};
        ${columnSetup(tn, n)}
        ${rowInit.join('')}
        ${accumulators(tm, tn)}
        for (var kh = 0; kh < ${i(g.filterHeight)}; kh++) {
          ${hLoop.join('')}
          for (var kw = 0; kw < ${i(g.filterWidth)}; kw++) {
            ${wLoop.join('')}
            let wBase = (kh * ${i(g.filterWidth)} + kw) * ${i(g.inChannels * n)};
            for (var ci = 0; ci < ${i(g.inChannels)}; ci++) {
              let wRow = wBase + ci * ${i(n)};
              ${loads.join('\n')}
              ${inner.join('')}
            }
          }
        }
        ${writes.join('')}
      }
    `;
  }
}

/**
 * dx[b,ih,iw,ci] = Σ_{kh,kw,co} dy[b,(ih+pt-kh)/s,(iw+pl-kw)/s,co] · w[kh,kw,ci,co] over the
 * terms where the division is exact and in range. Rows M = b·ih·iw, columns N = ci.
 */
export class InputGradProgram extends FlatProgram {
  private readonly g: ConvGeometry;
  private readonly tm: number;
  private readonly tn: number;

  constructor(g: ConvGeometry, tm = 4, tn = 4) {
    const m = g.batch * g.inHeight * g.inWidth;
    const tiles = Math.ceil(m / tm) * Math.ceil(g.inChannels / tn);
    super(
      [g.batch, g.inHeight, g.inWidth, g.inChannels],
      ['dy', 'w'],
      tiles,
      `ours_inputGrad_${geometryKey(g)}_${tm}x${tn}`,
    );
    this.g = g;
    this.tm = tm;
    this.tn = tn;
  }

  getUserCode(): string {
    const { g, tm, tn } = this;
    const m = g.batch * g.inHeight * g.inWidth;
    const n = g.inChannels;
    const co = g.outChannels;
    const tilesN = Math.ceil(n / tn);
    const tiles = Math.ceil(m / tm) * tilesN;
    const rowInit: string[] = [];
    const hLoop: string[] = [];
    const wLoop: string[] = [];
    const anyOk: string[] = [];
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let wv${q} = ${loadGroup(tn, q, (col) => `w[wBase + ${col} * ${i(co)} + c]`)};`);
    }
    const inner: string[] = [];
    const writes: string[] = [];
    const phases: string[] = [];
    for (let r = 1; r < tm; r++) {
      phases.push(`th0${r} % ${i(g.strideHeight)} == th00 % ${i(g.strideHeight)}`);
    }
    const samePhase = phases.length > 0 ? phases.join(' && ') : 'true';
    for (let r = 0; r < tm; r++) {
      rowInit.push(`
        let mm${r} = min(m0 + ${r}, ${i(m - 1)});
        let b${r} = mm${r} / ${i(g.inHeight * g.inWidth)};
        let th0${r} = (mm${r} / ${i(g.inWidth)}) % ${i(g.inHeight)} + ${i(g.padTop)};
        let tw0${r} = mm${r} % ${i(g.inWidth)} + ${i(g.padLeft)};`);
      hLoop.push(`
          let th${r} = th0${r} - kh;
          let oh${r} = th${r} / ${i(g.strideHeight)};
          let hOk${r} = th${r} >= 0 && oh${r} * ${i(g.strideHeight)} == th${r} && oh${r} < ${i(g.outHeight)};
          let dyRow${r} = (b${r} * ${i(g.outHeight)} + oh${r}) * ${i(g.outWidth)};`);
      wLoop.push(`
            let tw${r} = tw0${r} - kw;
            let ow${r} = tw${r} / ${i(g.strideWidth)};
            let ok${r} = hOk${r} && tw${r} >= 0 && ow${r} * ${i(g.strideWidth)} == tw${r} && ow${r} < ${i(g.outWidth)};
            let dyBase${r} = select(0, (dyRow${r} + ow${r}) * ${i(co)}, ok${r});`);
      anyOk.push(`ok${r}`);
      inner.push(`
                let dv${r} = select(0.0, dy[dyBase${r} + c], ok${r});
                ${accumulate(r, tn, `dv${r}`, (q) => `wv${q}`)}`);
      writes.push(writeTileRow(r, tn, m, n, '', (j) => accValue(r, j)));
    }
    return `
      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (index >= ${i(tiles)} || uniforms.outShape[0] == 0) { return; }
        let m0 = (index / ${i(tilesN)}) * ${i(tm)};
        let n0 = (index % ${i(tilesN)}) * ${i(tn)};
        ${columnSetup(tn, n)}
        ${rowInit.join('')}
        ${accumulators(tm, tn)}
        // With stride s only every s-th kh can contribute; when all rows of the tile share the
        // same phase (the usual case: one image row), step kh by s. The per-row checks stay.
        let samePhase = ${samePhase};
        let khStart = select(0, th00 % ${i(g.strideHeight)}, samePhase);
        let khStep = select(1, ${i(g.strideHeight)}, samePhase);
        for (var kh = khStart; kh < ${i(g.filterHeight)}; kh += khStep) {
          ${hLoop.join('')}
          for (var kw = 0; kw < ${i(g.filterWidth)}; kw++) {
            ${wLoop.join('')}
            if (${anyOk.join(' || ')}) {
              let wBase = (kh * ${i(g.filterWidth)} + kw) * ${i(n * co)};
              for (var c = 0; c < ${i(co)}; c++) {
                ${loads.join('\n')}
                ${inner.join('')}
              }
            }
          }
        }
        ${writes.join('')}
      }
    `;
  }
}

/** Geometry of a batched matrix product C[b] = op(A[b]) · op(B[b]) (BatchMatMul kernel). */
export interface MatMulGeometry {
  batch: number;
  /** 0 when A (or B) is broadcast over the batch. */
  batchStrideA: number;
  batchStrideB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * C[b,m,n] = act(Σ_k A(b,m,k) · B(b,k,n) + bias[n]), register-tiled like the convolutions.
 * outputShape may be any shape of batch·m·n elements (rank-2 products keep their rank).
 */
export class MatMulProgram extends FlatProgram {
  private readonly g: MatMulGeometry;
  private readonly tm: number;
  private readonly tn: number;
  private readonly hasBias: boolean;
  private readonly activation: FusedActivation;

  constructor(
    g: MatMulGeometry,
    tm = 4,
    tn = 4,
    outputShape: number[] = [g.batch, g.m, g.n],
    hasBias = false,
    activation: FusedActivation = 'linear',
  ) {
    const tiles = Math.ceil(g.m / tm) * Math.ceil(g.n / tn);
    super(
      outputShape,
      hasBias ? ['a', 'b', 'bias'] : ['a', 'b'],
      tiles * g.batch,
      `ours_matmul_${Object.values(g).join('_')}_${tm}x${tn}_${hasBias}_${activation}`,
    );
    this.g = g;
    this.tm = tm;
    this.tn = tn;
    this.hasBias = hasBias;
    this.activation = activation;
  }

  getUserCode(): string {
    const { g, tm, tn } = this;
    const tilesN = Math.ceil(g.n / tn);
    const tiles = Math.ceil(g.m / tm) * tilesN;
    const aIndex = (row: string) =>
      g.transposeA ? `aBase + k * ${i(g.m)} + ${row}` : `aBase + ${row} * ${i(g.k)} + k`;
    const bIndex = (col: string) =>
      g.transposeB ? `bBase + ${col} * ${i(g.k)} + k` : `bBase + k * ${i(g.n)} + ${col}`;
    const rowInit: string[] = [];
    const inner: string[] = [];
    const writes: string[] = [];
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let bv${q} = ${loadGroup(tn, q, (col) => `b[${bIndex(col)}]`)};`);
    }
    for (let r = 0; r < tm; r++) {
      rowInit.push(`let mm${r} = min(m0 + ${r}, ${i(g.m - 1)});`);
      inner.push(`
          let av${r} = a[${aIndex(`mm${r}`)}];
          ${accumulate(r, tn, `av${r}`, (q) => `bv${q}`)}`);
      writes.push(
        writeTileRow(r, tn, g.m, g.n, 'cBase', (j) =>
          epilogue(r, j, this.hasBias, this.activation),
        ),
      );
    }
    return `
      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (index >= ${i(tiles * g.batch)} || uniforms.outShape[0] == 0) { return; }
        let batch = index / ${i(tiles)};
        let tile = index % ${i(tiles)};
        let m0 = (tile / ${i(tilesN)}) * ${i(tm)};
        let n0 = (tile % ${i(tilesN)}) * ${i(tn)};
        let aBase = batch * ${i(g.batchStrideA)};
        let bBase = batch * ${i(g.batchStrideB)};
        let cBase = batch * ${i(g.m * g.n)};
        ${columnSetup(tn, g.n)}
        ${rowInit.join('\n')}
        ${accumulators(tm, tn)}
        for (var k = 0; k < ${i(g.k)}; k++) {
          ${loads.join('\n')}
          ${inner.join('')}
        }
        ${writes.join('')}
      }
    `;
  }
}

/** Most workgroups one dispatch dimension may have (WebGPU's default limit). */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * The network's input from a batch of square grey images uploaded as bytes packed four to an
 * int32 word (tfjs has no uint8 dtype; byte k of word w is pixel 4w + k, WebGPU buffers being
 * little-endian): out[b, r, c, 0] = bilinear(pixels / 255) at imageSize×imageSize, in one pass.
 * The interpolation is tf.image.resizeBilinear's with alignCorners false and halfPixelCenters
 * true (the CPU backend's arithmetic: floor clamped at 0, ceil clamped at the last row/column).
 * One output element per step of a grid-stride loop, so any size fits one dispatch.
 */
export class GreyImagesProgram extends FlatProgram {
  private readonly batch: number;
  private readonly sourceSize: number;
  private readonly imageSize: number;

  constructor(batch: number, sourceSize: number, imageSize: number) {
    const total = batch * imageSize * imageSize;
    super(
      [batch, imageSize, imageSize, 1],
      ['packed'],
      Math.min(total, MAX_WORKGROUPS_PER_DIMENSION * WORKGROUP),
      `ours_greyImages_${batch}_${sourceSize}_${imageSize}`,
    );
    this.batch = batch;
    this.sourceSize = sourceSize;
    this.imageSize = imageSize;
  }

  getUserCode(): string {
    const { batch, sourceSize: src, imageSize: size } = this;
    const total = batch * size * size;
    return `
      // Grey level of byte byteIndex of the batch, scaled to 0..1 like x.toFloat().div(255).
      fn grey(byteIndex : i32) -> f32 {
        let word = bitcast<u32>(packed[byteIndex / 4]);
        return f32((word >> (8u * u32(byteIndex % 4))) & 255u) / 255.0;
      }

      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds.
        if (uniforms.outShape[0] == 0) { return; }
        let ratio = f32(${i(src)}) / f32(${i(size)});
        for (var o = index; o < ${i(total)}; o += ${i(this.threads)}) {
          let b = o / ${i(size * size)};
          let r = (o / ${i(size)}) % ${i(size)};
          let c = o % ${i(size)};
          let fr = ratio * (f32(r) + 0.5) - 0.5;
          let fc = ratio * (f32(c) + 0.5) - 0.5;
          let r0 = max(0, i32(floor(fr)));
          let c0 = max(0, i32(floor(fc)));
          let r1 = min(${i(src - 1)}, i32(ceil(fr)));
          let c1 = min(${i(src - 1)}, i32(ceil(fc)));
          let rowFrac = fr - f32(r0);
          let colFrac = fc - f32(c0);
          let top0 = b * ${i(src * src)} + r0 * ${i(src)};
          let bottom0 = b * ${i(src * src)} + r1 * ${i(src)};
          let topLeft = grey(top0 + c0);
          let topRight = grey(top0 + c1);
          let bottomLeft = grey(bottom0 + c0);
          let bottomRight = grey(bottom0 + c1);
          let top = topLeft + (topRight - topLeft) * colFrac;
          let bottom = bottomLeft + (bottomRight - bottomLeft) * colFrac;
          result[o] = top + (bottom - top) * rowFrac;
        }
      }
    `;
  }
}
