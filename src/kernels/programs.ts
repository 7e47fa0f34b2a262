import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * WGSL programs for 2-D convolution (NHWC, float32, dilation 1) written as implicit matrix
 * products with register tiling and no workgroup memory: each invocation computes a small tile
 * of outputs and loops over the whole reduction. Shapes, strides and padding are uniforms, not
 * constants: the shader key names only the tile and the code's structure (bias, activation,
 * transposes, whether padding is ever read), so one pipeline serves every layer and every run
 * of that structure. Compiling is what a new shape costs on SwiftShader (0.1–2 s a pipeline);
 * the constants bought no measurable step time there (docs/benchmarks.md, cold start).
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
  /** The program's own i32 uniforms as TF.js declares them ("m : i32, k : i32, "). */
  uniforms = '';
  readonly threads: number;
  private uniformValues: number[] = [];

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

  /**
   * Geometry handed to the shader as uniforms (`uniforms.NAME`) rather than baked in: the
   * pipeline then serves every shape with the same shader key. On SwiftShader a pipeline takes
   * 0.1–1.8 s to compile and a run of a new shape needed about 30 of ours (docs/benchmarks.md,
   * cold start); with the shapes in uniforms the speed probe's pipelines serve any later run.
   */
  protected setUniforms(values: Record<string, number>): void {
    this.uniforms = Object.keys(values)
      .map((name) => `${name} : i32, `)
      .join('');
    this.uniformValues = Object.values(values).map((value) => Math.trunc(value));
  }

  /** runWebGPUProgram's programDefinedUniform: one i32 per uniform, in declaration order. */
  uniformData(): { type: 'int32'; data: number[] }[] {
    return this.uniformValues.map((value) => ({ type: 'int32', data: [value] }));
  }
}

/** A uniform of the program's own (FlatProgram.setUniforms), as a WGSL expression. */
const u = (name: string) => `uniforms.${name}`;

/** Literal for WGSL: ints as `5`, floats never needed. */
const i = (n: number) => String(Math.trunc(n));

/**
 * Column tiling: tn columns per invocation in groups of four (one vec4 accumulator per group
 * and row). Columns past the end are clamped for loads and skipped for stores.
 */
function columnSetup(tn: number, n: string): string {
  const lines: string[] = [];
  for (let j = 0; j < tn; j++) lines.push(`let col${j} = min(n0 + ${j}, ${n} - 1);`);
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
 * past its end. m, n and base are WGSL expressions (base a batch or split offset, '' for none).
 */
function writeTileRow(
  r: number,
  tn: number,
  m: string,
  n: string,
  base: string,
  value: (j: number) => string,
): string {
  const lines: string[] = [];
  const offset = base === '' ? '' : `${base} + `;
  for (let j = 0; j < tn; j++) {
    lines.push(`
        if (m0 + ${r} < ${m} && n0 + ${j} < ${n}) {
          result[${offset}(m0 + ${r}) * ${n} + n0 + ${j}] = ${value(j)};
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

/** The convolution's geometry as uniforms (FlatProgram.setUniforms), by short WGSL names. */
function convUniforms(g: ConvGeometry): Record<string, number> {
  return {
    inH: g.inHeight,
    inW: g.inWidth,
    inC: g.inChannels,
    outH: g.outHeight,
    outW: g.outWidth,
    outC: g.outChannels,
    fH: g.filterHeight,
    fW: g.filterWidth,
    sH: g.strideHeight,
    sW: g.strideWidth,
    padT: g.padTop,
    padL: g.padLeft,
  };
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh*s+kh-pt, ow*s+kw-pl, ci] · dy[b,oh,ow,co].
 * Rows M = kh·kw·ci, columns N = co, reduction over b·oh·ow split into `splits` chunks of
 * (b, oh) rows; with splits > 1 the output is [splits, M·N] partial sums (see SumSplitsProgram).
 */
export class FilterGradProgram extends FlatProgram {
  private readonly tm: number;
  private readonly tn: number;
  private readonly inRange: boolean;
  readonly splits: number;

  constructor(g: ConvGeometry, splits: number, tm = 4, tn = 4) {
    const m = g.filterHeight * g.filterWidth * g.inChannels;
    const n = g.outChannels;
    const tilesN = Math.ceil(n / tn);
    const tiles = Math.ceil(m / tm) * tilesN;
    const outputShape =
      splits === 1 ? [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels] : [splits, m * n];
    const inRange = noPaddingRead(g);
    super(outputShape, ['x', 'dy'], tiles * splits, `ours_filterGrad_${tm}x${tn}_${inRange}`);
    this.tm = tm;
    this.tn = tn;
    this.inRange = inRange;
    this.splits = splits;
    const kRows = g.batch * g.outHeight;
    this.setUniforms({
      ...convUniforms(g),
      m,
      n,
      tiles,
      tilesN,
      total: tiles * splits,
      kRows,
      chunk: Math.ceil(kRows / splits),
    });
  }

  getUserCode(): string {
    const { tm, tn, inRange } = this;
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let d${q} = ${loadGroup(tn, q, (col) => `dy[dyBase + ${col}]`)};`);
    }
    const rowInit: string[] = [];
    const rowLoop: string[] = [];
    const inner: string[] = [];
    const writes: string[] = [];
    for (let r = 0; r < tm; r++) {
      rowInit.push(`
        let mm${r} = min(m0 + ${r}, ${u('m')} - 1);
        let c${r} = mm${r} % ${u('inC')};
        let kw${r} = (mm${r} / ${u('inC')}) % ${u('fW')};
        let kh${r} = (mm${r} / ${u('inC')}) / ${u('fW')};`);
      rowLoop.push(`
          let ih${r} = oh * ${u('sH')} + kh${r} - ${u('padT')};
          let hOk${r} = ${inRange ? 'true' : `ih${r} >= 0 && ih${r} < ${u('inH')}`};
          let xRow${r} = ((b * ${u('inH')} + ih${r}) * ${u('inW')}) * ${u('inC')} + c${r};`);
      inner.push(`
            let iw${r} = ow * ${u('sW')} + kw${r} - ${u('padL')};
            let ok${r} = ${inRange ? 'true' : `hOk${r} && iw${r} >= 0 && iw${r} < ${u('inW')}`};
            let xv${r} = select(0.0, x[select(0, xRow${r} + iw${r} * ${u('inC')}, ok${r})], ok${r});
            ${accumulate(r, tn, `xv${r}`, (q) => `d${q}`)}`);
      writes.push(writeTileRow(r, tn, u('m'), u('n'), 'outBase', (j) => accValue(r, j)));
    }
    return `
      fn main(index : i32) {
        if (index >= ${u('total')}) { return; }
        let split = index / ${u('tiles')};
        let tile = index % ${u('tiles')};
        let m0 = (tile / ${u('tilesN')}) * ${i(tm)};
        let n0 = (tile % ${u('tilesN')}) * ${i(tn)};
        ${columnSetup(tn, u('n'))}
        ${rowInit.join('')}
        ${accumulators(tm, tn)}
        let kBegin = split * ${u('chunk')};
        let kEnd = min(kBegin + ${u('chunk')}, ${u('kRows')});
        for (var k = kBegin; k < kEnd; k++) {
          let b = k / ${u('outH')};
          let oh = k % ${u('outH')};
          ${rowLoop.join('')}
          let dyRow = k * ${u('outW')} * ${u('n')};
          for (var ow = 0; ow < ${u('outW')}; ow++) {
            let dyBase = dyRow + ow * ${u('n')};
            ${loads.join('\n')}
            ${inner.join('')}
          }
        }
        let outBase = split * ${u('m')} * ${u('n')};
        ${writes.join('')}
      }
    `;
  }
}

/** out[i] = Σ_s partial[s, i]: reduces FilterGradProgram's split partial sums. */
export class SumSplitsProgram extends FlatProgram {
  constructor(splits: number, outputShape: number[]) {
    const length = outputShape.reduce((a, b) => a * b, 1);
    super(outputShape, ['parts'], length, 'ours_sumSplits');
    this.setUniforms({ splits, outLength: length });
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= ${u('outLength')}) { return; }
        var sum = 0.0;
        for (var s = 0; s < ${u('splits')}; s++) {
          sum = sum + parts[s * ${u('outLength')} + index];
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
  private readonly tm: number;
  private readonly tn: number;
  private readonly inRange: boolean;
  private readonly hasBias: boolean;
  private readonly activation: FusedActivation;

  constructor(g: ConvGeometry, hasBias: boolean, activation: FusedActivation, tm = 4, tn = 4) {
    const m = g.batch * g.outHeight * g.outWidth;
    const tilesN = Math.ceil(g.outChannels / tn);
    const tiles = Math.ceil(m / tm) * tilesN;
    const inRange = noPaddingRead(g);
    super(
      [g.batch, g.outHeight, g.outWidth, g.outChannels],
      hasBias ? ['x', 'w', 'bias'] : ['x', 'w'],
      tiles,
      `ours_conv_${hasBias}_${activation}_${tm}x${tn}_${inRange}`,
    );
    this.tm = tm;
    this.tn = tn;
    this.inRange = inRange;
    this.hasBias = hasBias;
    this.activation = activation;
    this.setUniforms({ ...convUniforms(g), m, n: g.outChannels, tiles, tilesN });
  }

  getUserCode(): string {
    const { tm, tn, inRange } = this;
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
        let mm${r} = min(m0 + ${r}, ${u('m')} - 1);
        let b${r} = mm${r} / (${u('outH')} * ${u('outW')});
        let ih0${r} = ((mm${r} / ${u('outW')}) % ${u('outH')}) * ${u('sH')} - ${u('padT')};
        let iw0${r} = (mm${r} % ${u('outW')}) * ${u('sW')} - ${u('padL')};`);
      hLoop.push(`
          let ih${r} = ih0${r} + kh;
          let hOk${r} = ${inRange ? 'true' : `ih${r} >= 0 && ih${r} < ${u('inH')}`};
          let xRow${r} = (b${r} * ${u('inH')} + ih${r}) * ${u('inW')};`);
      wLoop.push(`
            let iw${r} = iw0${r} + kw;
            let ok${r} = ${inRange ? 'true' : `hOk${r} && iw${r} >= 0 && iw${r} < ${u('inW')}`};
            let xBase${r} = select(0, (xRow${r} + iw${r}) * ${u('inC')}, ok${r});`);
      inner.push(`
              let xv${r} = select(0.0, x[xBase${r} + ci], ok${r});
              ${accumulate(r, tn, `xv${r}`, (q) => `wv${q}`)}`);
      writes.push(
        writeTileRow(r, tn, u('m'), u('n'), '', (j) =>
          epilogue(r, j, this.hasBias, this.activation),
        ),
      );
    }
    return `
      fn main(index : i32) {
        if (index >= ${u('tiles')}) { return; }
        let m0 = (index / ${u('tilesN')}) * ${i(tm)};
        let n0 = (index % ${u('tilesN')}) * ${i(tn)};
        ${columnSetup(tn, u('n'))}
        ${rowInit.join('')}
        ${accumulators(tm, tn)}
        for (var kh = 0; kh < ${u('fH')}; kh++) {
          ${hLoop.join('')}
          for (var kw = 0; kw < ${u('fW')}; kw++) {
            ${wLoop.join('')}
            let wBase = (kh * ${u('fW')} + kw) * ${u('inC')} * ${u('n')};
            for (var ci = 0; ci < ${u('inC')}; ci++) {
              let wRow = wBase + ci * ${u('n')};
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
  private readonly tm: number;
  private readonly tn: number;

  constructor(g: ConvGeometry, tm = 4, tn = 4) {
    const m = g.batch * g.inHeight * g.inWidth;
    const tilesN = Math.ceil(g.inChannels / tn);
    const tiles = Math.ceil(m / tm) * tilesN;
    super(
      [g.batch, g.inHeight, g.inWidth, g.inChannels],
      ['dy', 'w'],
      tiles,
      `ours_inputGrad_${tm}x${tn}`,
    );
    this.tm = tm;
    this.tn = tn;
    this.setUniforms({ ...convUniforms(g), m, n: g.inChannels, tiles, tilesN });
  }

  getUserCode(): string {
    const { tm, tn } = this;
    const co = u('outC');
    const rowInit: string[] = [];
    const hLoop: string[] = [];
    const wLoop: string[] = [];
    const anyOk: string[] = [];
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let wv${q} = ${loadGroup(tn, q, (col) => `w[wBase + ${col} * ${co} + c]`)};`);
    }
    const inner: string[] = [];
    const writes: string[] = [];
    const phases: string[] = [];
    for (let r = 1; r < tm; r++) {
      phases.push(`th0${r} % ${u('sH')} == th00 % ${u('sH')}`);
    }
    const samePhase = phases.length > 0 ? phases.join(' && ') : 'true';
    for (let r = 0; r < tm; r++) {
      rowInit.push(`
        let mm${r} = min(m0 + ${r}, ${u('m')} - 1);
        let b${r} = mm${r} / (${u('inH')} * ${u('inW')});
        let th0${r} = (mm${r} / ${u('inW')}) % ${u('inH')} + ${u('padT')};
        let tw0${r} = mm${r} % ${u('inW')} + ${u('padL')};`);
      hLoop.push(`
          let th${r} = th0${r} - kh;
          let oh${r} = th${r} / ${u('sH')};
          let hOk${r} = th${r} >= 0 && oh${r} * ${u('sH')} == th${r} && oh${r} < ${u('outH')};
          let dyRow${r} = (b${r} * ${u('outH')} + oh${r}) * ${u('outW')};`);
      wLoop.push(`
            let tw${r} = tw0${r} - kw;
            let ow${r} = tw${r} / ${u('sW')};
            let ok${r} = hOk${r} && tw${r} >= 0 && ow${r} * ${u('sW')} == tw${r} && ow${r} < ${u('outW')};
            let dyBase${r} = select(0, (dyRow${r} + ow${r}) * ${co}, ok${r});`);
      anyOk.push(`ok${r}`);
      inner.push(`
                let dv${r} = select(0.0, dy[dyBase${r} + c], ok${r});
                ${accumulate(r, tn, `dv${r}`, (q) => `wv${q}`)}`);
      writes.push(writeTileRow(r, tn, u('m'), u('n'), '', (j) => accValue(r, j)));
    }
    return `
      fn main(index : i32) {
        if (index >= ${u('tiles')}) { return; }
        let m0 = (index / ${u('tilesN')}) * ${i(tm)};
        let n0 = (index % ${u('tilesN')}) * ${i(tn)};
        ${columnSetup(tn, u('n'))}
        ${rowInit.join('')}
        ${accumulators(tm, tn)}
        // With stride s only every s-th kh can contribute; when all rows of the tile share the
        // same phase (the usual case: one image row), step kh by s. The per-row checks stay.
        let samePhase = ${samePhase};
        let khStart = select(0, th00 % ${u('sH')}, samePhase);
        let khStep = select(1, ${u('sH')}, samePhase);
        for (var kh = khStart; kh < ${u('fH')}; kh += khStep) {
          ${hLoop.join('')}
          for (var kw = 0; kw < ${u('fW')}; kw++) {
            ${wLoop.join('')}
            if (${anyOk.join(' || ')}) {
              let wBase = (kh * ${u('fW')} + kw) * ${u('n')} * ${co};
              for (var c = 0; c < ${co}; c++) {
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
    const tilesN = Math.ceil(g.n / tn);
    const tiles = Math.ceil(g.m / tm) * tilesN;
    super(
      outputShape,
      hasBias ? ['a', 'b', 'bias'] : ['a', 'b'],
      tiles * g.batch,
      `ours_matmul_${g.transposeA}_${g.transposeB}_${tm}x${tn}_${hasBias}_${activation}`,
    );
    this.g = g;
    this.tm = tm;
    this.tn = tn;
    this.hasBias = hasBias;
    this.activation = activation;
    this.setUniforms({
      m: g.m,
      k: g.k,
      n: g.n,
      tiles,
      tilesN,
      total: tiles * g.batch,
      strideA: g.batchStrideA,
      strideB: g.batchStrideB,
    });
  }

  getUserCode(): string {
    const { g, tm, tn } = this;
    const [m, k, n] = [u('m'), u('k'), u('n')];
    const aIndex = (row: string) =>
      g.transposeA ? `aBase + kk * ${m} + ${row}` : `aBase + ${row} * ${k} + kk`;
    const bIndex = (col: string) =>
      g.transposeB ? `bBase + ${col} * ${k} + kk` : `bBase + kk * ${n} + ${col}`;
    const rowInit: string[] = [];
    const inner: string[] = [];
    const writes: string[] = [];
    const loads: string[] = [];
    for (let q = 0; q < groupCount(tn); q++) {
      loads.push(`let bv${q} = ${loadGroup(tn, q, (col) => `b[${bIndex(col)}]`)};`);
    }
    for (let r = 0; r < tm; r++) {
      rowInit.push(`let mm${r} = min(m0 + ${r}, ${m} - 1);`);
      inner.push(`
          let av${r} = a[${aIndex(`mm${r}`)}];
          ${accumulate(r, tn, `av${r}`, (q) => `bv${q}`)}`);
      writes.push(
        writeTileRow(r, tn, m, n, 'cBase', (j) => epilogue(r, j, this.hasBias, this.activation)),
      );
    }
    return `
      fn main(index : i32) {
        if (index >= ${u('total')}) { return; }
        let batch = index / ${u('tiles')};
        let tile = index % ${u('tiles')};
        let m0 = (tile / ${u('tilesN')}) * ${i(tm)};
        let n0 = (tile % ${u('tilesN')}) * ${i(tn)};
        let aBase = batch * ${u('strideA')};
        let bBase = batch * ${u('strideB')};
        let cBase = batch * ${m} * ${n};
        ${columnSetup(tn, n)}
        ${rowInit.join('\n')}
        ${accumulators(tm, tn)}
        for (var kk = 0; kk < ${k}; kk++) {
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
