import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { ConvGeometry, FusedActivation, MatMulGeometry } from './programs.ts';

/**
 * The 'workgroup' variant (variants.ts) of our four op kinds: the same implicit matrix
 * products as programs.ts, C[z][m, n] = Σ_k A(z, m, k) · B(z, k, n), but each workgroup owns a
 * TILE_M × TILE_N output tile and stages TILE_K-deep slices of both operands in workgroup
 * memory (var<workgroup>), so that each global element is loaded once per workgroup rather
 * than once per thread. On a real GPU that is usually the faster layout; on SwiftShader
 * (programs.ts) barriers and workgroup memory are slow, which is why the tuner times both.
 *
 * 64 threads (8 × 8) per workgroup, each 4 rows × 4 columns of the tile as four vec4
 * accumulators; the staged tiles are vec4 arrays (4 rows of A, 4 columns of B per element), so
 * the inner loop reads two vec4s per 16 multiply-adds. Any shape works: loads past the end of
 * M, N or K (a ragged edge) read 0 and stores past the end are skipped; a convolution's padding
 * and stride are in its operand loaders. `z` is the batch of a matrix product, or the split of
 * a filter gradient's reduction (partial sums added by programs.ts's SumSplitsProgram).
 *
 * The 'subgroup' variant (style 'subgroup') is the same products split the other way: each
 * workgroup owns a small SUBGROUP_TILE × SUBGROUP_TILE output tile and its 64 threads share the
 * reduction (thread t sums k = t, t + 64, …), then add their partial tiles with subgroupAdd and
 * one slot per subgroup in workgroup memory. That suits the shapes with few outputs and a long
 * reduction (filter gradients, the dense layers at small batches), where the workgroup tile
 * leaves most of the GPU idle. It needs no particular subgroup size or lane layout: which lane
 * is elected and how lanes group is the hardware's business, the sum is the same.
 */

/** Output rows of one workgroup's tile. */
export const TILE_M = 32;
/** Output columns of one workgroup's tile. */
export const TILE_N = 32;
/** Depth of the reduction slice staged per barrier. */
export const TILE_K = 16;
const THREADS = 64;
/** Output rows and columns of one workgroup's tile in the 'subgroup' style. */
export const SUBGROUP_TILE = 4;
/**
 * The line a shader that uses subgroup built-ins carries; webgpuDevice.ts's shader-module hook
 * puts WGSL's `enable subgroups;` in front of such a shader (TF.js writes the module's first
 * lines itself, and the directive must come before them).
 */
export const SUBGROUPS_MARKER = '// ours: needs enable subgroups';

/** How a tiled product shares work: 'workgroup' tiles, or a 'subgroup'-reduced split of k. */
export type TiledStyle = 'workgroup' | 'subgroup';
/** WebGPU's default maxComputeWorkgroupsPerDimension. */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

const i = (n: number) => String(Math.trunc(n));

interface GemmSpec {
  /** Rows, columns and reduction length of one product. */
  m: number;
  n: number;
  k: number;
  /** Batches (splitK false) or reduction splits (splitK true). */
  outer: number;
  splitK: boolean;
  /** Reduction length per split (a multiple of TILE_K); k when not split. */
  kChunk: number;
  /** WGSL body of fn tiledLoadA(z, row, kk) -> f32 with row < m and kk < k. */
  loadA: string;
  /** WGSL body of fn tiledLoadB(z, kk, col) -> f32 with kk < k and col < n. */
  loadB: string;
  hasBias: boolean;
  activation: FusedActivation;
  style: TiledStyle;
}

/** The WebGPUProgram of one tiled product; outputs start at z·m·n in the result buffer. */
abstract class TiledGemmProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  variableComponents: number[];
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  size = false;
  /** Workgroups in all (some of the last dispatch row may be idle). */
  readonly workgroups: number;
  private readonly spec: GemmSpec;

  constructor(outputShape: number[], variableNames: string[], key: string, spec: GemmSpec) {
    this.outputShape = outputShape;
    this.variableNames = variableNames;
    this.variableComponents = variableNames.map(() => 1);
    this.dispatchLayout = { x: outputShape.map((_, d) => d) };
    const [tileM, tileN] =
      spec.style === 'subgroup' ? [SUBGROUP_TILE, SUBGROUP_TILE] : [TILE_M, TILE_N];
    const tiles = Math.ceil(spec.m / tileM) * Math.ceil(spec.n / tileN);
    this.workgroups = tiles * spec.outer;
    const columns = Math.min(this.workgroups, MAX_WORKGROUPS_PER_DIMENSION);
    this.dispatch = [columns, Math.ceil(this.workgroups / columns), 1];
    this.shaderKey = `ours_${spec.style}_${key}_${spec.hasBias}_${spec.activation}_${spec.outer}_${spec.kChunk}`;
    this.spec = spec;
  }

  getUserCode(): string {
    return this.spec.style === 'subgroup' ? this.subgroupCode() : this.workgroupCode();
  }

  /** The WGSL functions both styles share: the operand loaders, 0 past the edges. */
  private loaders(): string {
    const s = this.spec;
    return `
      fn tiledLoadA(z : i32, row : i32, kk : i32) -> f32 {
        ${s.loadA}
      }

      fn tiledLoadB(z : i32, kk : i32, col : i32) -> f32 {
        ${s.loadB}
      }

      // A(z, row, kk), 0 past the end of the rows or of this split's reduction.
      fn stageA(z : i32, row : i32, kk : i32, kOk : bool) -> f32 {
        if (!kOk || row >= ${i(s.m)}) { return 0.0; }
        return tiledLoadA(z, row, kk);
      }

      fn stageB(z : i32, kk : i32, col : i32, kOk : bool) -> f32 {
        if (!kOk || col >= ${i(s.n)}) { return 0.0; }
        return tiledLoadB(z, kk, col);
      }`;
  }

  /**
   * WGSL for the workgroup's place: `live` (false for the idle workgroups of the dispatch's
   * last row, which compute a clamped tile and store nothing), `z`, the tile's first row `m0`
   * and column `n0` for tiles of tileM × tileN, this split's reduction [kBegin, kEnd), and
   * the thread `t`.
   */
  private tileOrigin(tileM: number, tileN: number): string {
    const s = this.spec;
    const tilesN = Math.ceil(s.n / tileN);
    const tiles = Math.ceil(s.m / tileM) * tilesN;
    return `
        let flat = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
        let live = flat < ${i(this.workgroups)};
        let wg = min(flat, ${i(this.workgroups - 1)});
        let z = wg / ${i(tiles)};
        let tile = wg % ${i(tiles)};
        let m0 = (tile / ${i(tilesN)}) * ${i(tileM)};
        let n0 = (tile % ${i(tilesN)}) * ${i(tileN)};
        let kBegin = ${s.splitK ? `z * ${i(s.kChunk)}` : '0'};
        let kEnd = min(kBegin + ${i(s.kChunk)}, ${i(s.k)});
        let t = i32(localIndex);`;
  }

  /** WGSL storing `value` (bias and activation applied) at (row, col) of z's output, if in range. */
  private store(row: string, col: string, value: string): string {
    const s = this.spec;
    let v = value;
    if (s.hasBias) v = `${v} + bias[${col}]`;
    if (s.activation === 'relu') v = `max(${v}, 0.0)`;
    return `
        if (live && ${row} < ${i(s.m)} && ${col} < ${i(s.n)}) {
          result[outBase + ${row} * ${i(s.n)} + ${col}] = ${v};
        }`;
  }

  /**
   * The 'subgroup' style: one SUBGROUP_TILE² output tile per workgroup, the reduction dealt
   * round the 64 threads, partial tiles added by subgroupAdd, then one slot per subgroup.
   */
  private subgroupCode(): string {
    const s = this.spec;
    const colDecls = [0, 1, 2, 3].map((c) => `let col${c} = n0 + ${c};`).join('\n');
    return `
      ${SUBGROUPS_MARKER}
      // Each thread's slot: its subgroup's sum if it was the elected lane, else zeros.
      var<workgroup> sgPartial : array<array<vec4<f32>, 4>, ${i(THREADS)}>;
      ${this.loaders()}

      fn main(index : i32) {
        if (uniforms.outShape[0] == 0) { return; }
        ${this.tileOrigin(SUBGROUP_TILE, SUBGROUP_TILE)}
        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        for (var kk = kBegin + t; kk < kEnd; kk += ${i(THREADS)}) {
          let bv = vec4<f32>(stageB(z, kk, n0, true), stageB(z, kk, n0 + 1, true),
                             stageB(z, kk, n0 + 2, true), stageB(z, kk, n0 + 3, true));
          acc0 = acc0 + stageA(z, m0, kk, true) * bv;
          acc1 = acc1 + stageA(z, m0 + 1, kk, true) * bv;
          acc2 = acc2 + stageA(z, m0 + 2, kk, true) * bv;
          acc3 = acc3 + stageA(z, m0 + 3, kk, true) * bv;
        }
        // Every thread gets here (the loop has no barrier): uniform control flow for the
        // subgroup operations and the barrier.
        let sum0 = subgroupAdd(acc0);
        let sum1 = subgroupAdd(acc1);
        let sum2 = subgroupAdd(acc2);
        let sum3 = subgroupAdd(acc3);
        let elected = subgroupElect();
        let zero = vec4<f32>(0.0);
        sgPartial[t] = array<vec4<f32>, 4>(
          select(zero, sum0, elected), select(zero, sum1, elected),
          select(zero, sum2, elected), select(zero, sum3, elected));
        workgroupBarrier();
        if (t >= 4) { return; }
        // Thread r (0..3) adds row r of the 64 slots.
        var total = vec4<f32>(0.0);
        for (var j = 0; j < ${i(THREADS)}; j++) {
          total = total + sgPartial[j][t];
        }
        let outBase = z * ${i(s.m * s.n)};
        let row = m0 + t;
        ${colDecls}
        ${[0, 1, 2, 3].map((c) => this.store('row', `col${c}`, `total[${c}]`)).join('')}
      }
    `;
  }

  private workgroupCode(): string {
    const s = this.spec;
    const kTiles = Math.ceil(s.kChunk / TILE_K);
    const rowGroups = TILE_M / 4;
    const colGroups = TILE_N / 4;
    // Each thread stages (TILE_K · TILE_M / 4) / THREADS vec4s of A per slice, likewise B.
    const loadsPerThread = (TILE_K * rowGroups) / THREADS;
    const rowDecls = [0, 1, 2, 3].map((r) => `let row${r} = m0 + ty * 4 + ${r};`).join('\n');
    const colDecls = [0, 1, 2, 3].map((c) => `let col${c} = n0 + tx * 4 + ${c};`).join('\n');
    return `
      var<workgroup> tiledA : array<vec4<f32>, ${i(TILE_K * rowGroups)}>;
      var<workgroup> tiledB : array<vec4<f32>, ${i(TILE_K * colGroups)}>;

${this.loaders()}

      fn main(index : i32) {
        // Reading a uniform keeps the uniform binding in the auto layout TF.js binds; the
        // branch is uniform, so the barriers below stay in uniform control flow.
        if (uniforms.outShape[0] == 0) { return; }
        // Every loop below has constant bounds: the barriers must be reached by all threads,
        // so the idle workgroups of the last dispatch row compute a clamped tile, unstored.
        ${this.tileOrigin(TILE_M, TILE_N)}
        let tx = t % ${i(colGroups)};
        let ty = t / ${i(colGroups)};
        // The staging position of this thread: vec4 group lq of slice rows lk, lk + 8, ….
        let lq = t % ${i(rowGroups)};
        let lk = t / ${i(rowGroups)};
        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        for (var kt = 0; kt < ${i(kTiles)}; kt++) {
          let k0 = kBegin + kt * ${i(TILE_K)};
          for (var h = 0; h < ${i(loadsPerThread)}; h++) {
            let kk = lk + h * ${i(THREADS / rowGroups)};
            let kIdx = k0 + kk;
            let kOk = kIdx < kEnd;
            let ra = m0 + lq * 4;
            tiledA[kk * ${i(rowGroups)} + lq] = vec4<f32>(
              stageA(z, ra, kIdx, kOk), stageA(z, ra + 1, kIdx, kOk),
              stageA(z, ra + 2, kIdx, kOk), stageA(z, ra + 3, kIdx, kOk));
            let cb = n0 + lq * 4;
            tiledB[kk * ${i(colGroups)} + lq] = vec4<f32>(
              stageB(z, kIdx, cb, kOk), stageB(z, kIdx, cb + 1, kOk),
              stageB(z, kIdx, cb + 2, kOk), stageB(z, kIdx, cb + 3, kOk));
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${i(TILE_K)}; kk++) {
            let av = tiledA[kk * ${i(rowGroups)} + ty];
            let bv = tiledB[kk * ${i(colGroups)} + tx];
            acc0 = acc0 + av.x * bv;
            acc1 = acc1 + av.y * bv;
            acc2 = acc2 + av.z * bv;
            acc3 = acc3 + av.w * bv;
          }
          workgroupBarrier();
        }
        let outBase = z * ${i(s.m * s.n)};
        ${rowDecls}
        ${colDecls}
        ${[0, 1, 2, 3]
          .flatMap((r) =>
            [0, 1, 2, 3].map((c) => this.store(`row${r}`, `col${c}`, `acc${r}[${c}]`)),
          )
          .join('')}
      }
    `;
  }
}

function convKey(g: ConvGeometry): string {
  return Object.values(g).join('_');
}

/** x[b, ih, iw, ci] or 0 in the padding: WGSL for a loader with b, ih, iw, ci in scope. */
function xAt(g: ConvGeometry): string {
  return `
        if (ih < 0 || ih >= ${i(g.inHeight)} || iw < 0 || iw >= ${i(g.inWidth)}) { return 0.0; }
        return x[((b * ${i(g.inHeight)} + ih) * ${i(g.inWidth)} + iw) * ${i(g.inChannels)} + ci];`;
}

/**
 * out[b,oh,ow,co] = act(Σ_{kh,kw,ci} x[b, oh·s+kh−pt, ow·s+kw−pl, ci] · w[kh,kw,ci,co] + bias[co]):
 * rows M = b·oh·ow, columns N = co, reduction K = kh·kw·ci (w is then K×N row-major).
 * Output [batch, outHeight, outWidth, outChannels].
 */
export class TiledConvForwardProgram extends TiledGemmProgram {
  constructor(
    g: ConvGeometry,
    hasBias: boolean,
    activation: FusedActivation,
    style: TiledStyle = 'workgroup',
  ) {
    const m = g.batch * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    super(
      [g.batch, g.outHeight, g.outWidth, g.outChannels],
      hasBias ? ['x', 'w', 'bias'] : ['x', 'w'],
      `conv_${convKey(g)}`,
      {
        m,
        n: g.outChannels,
        k,
        outer: 1,
        splitK: false,
        kChunk: k,
        loadA: `
        let b = row / ${i(g.outHeight * g.outWidth)};
        let ih = ((row / ${i(g.outWidth)}) % ${i(g.outHeight)}) * ${i(g.strideHeight)} + kk / ${i(g.inChannels * g.filterWidth)} - ${i(g.padTop)};
        let iw = (row % ${i(g.outWidth)}) * ${i(g.strideWidth)} + (kk / ${i(g.inChannels)}) % ${i(g.filterWidth)} - ${i(g.padLeft)};
        let ci = kk % ${i(g.inChannels)};
        ${xAt(g)}`,
        loadB: `return w[kk * ${i(g.outChannels)} + col];`,
        hasBias,
        activation,
        style,
      },
    );
  }
}

/** Filter-gradient splits for the tiled program: about this many workgroups in all. */
const FILTER_GRAD_TARGET_WORKGROUPS = 128;
/** …but at least this many reduction slices per split, or the partial sums cost more. */
const FILTER_GRAD_MIN_SLICES_PER_SPLIT = 4;

/**
 * The reduction split of TiledFilterGradProgram for g: { splits, kChunk } with kChunk a
 * multiple of TILE_K and splits · kChunk ≥ K = b·oh·ow (no split empty).
 */
export function tiledFilterGradSplits(g: ConvGeometry): { splits: number; kChunk: number } {
  const m = g.filterHeight * g.filterWidth * g.inChannels;
  const k = g.batch * g.outHeight * g.outWidth;
  const tiles = Math.ceil(m / TILE_M) * Math.ceil(g.outChannels / TILE_N);
  const slices = Math.ceil(k / TILE_K);
  const wanted = Math.max(
    1,
    Math.min(
      Math.round(FILTER_GRAD_TARGET_WORKGROUPS / tiles),
      Math.floor(slices / FILTER_GRAD_MIN_SLICES_PER_SPLIT),
    ),
  );
  const kChunk = Math.ceil(slices / wanted) * TILE_K;
  return { splits: Math.ceil(k / kChunk), kChunk };
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[b,oh,ow,co]: rows
 * M = kh·kw·ci, columns N = co, reduction K = b·oh·ow in `splits` chunks of kChunk
 * (tiledFilterGradSplits). With splits > 1 the output is [splits, M·N] partial sums.
 */
export class TiledFilterGradProgram extends TiledGemmProgram {
  readonly splits: number;

  constructor(g: ConvGeometry, splits: number, kChunk: number, style: TiledStyle = 'workgroup') {
    const m = g.filterHeight * g.filterWidth * g.inChannels;
    const k = g.batch * g.outHeight * g.outWidth;
    super(
      splits === 1
        ? [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]
        : [splits, m * g.outChannels],
      ['x', 'dy'],
      `filterGrad_${convKey(g)}`,
      {
        m,
        n: g.outChannels,
        k,
        outer: splits,
        splitK: true,
        kChunk,
        loadA: `
        let b = kk / ${i(g.outHeight * g.outWidth)};
        let ih = ((kk / ${i(g.outWidth)}) % ${i(g.outHeight)}) * ${i(g.strideHeight)} + row / ${i(g.inChannels * g.filterWidth)} - ${i(g.padTop)};
        let iw = (kk % ${i(g.outWidth)}) * ${i(g.strideWidth)} + (row / ${i(g.inChannels)}) % ${i(g.filterWidth)} - ${i(g.padLeft)};
        let ci = row % ${i(g.inChannels)};
        ${xAt(g)}`,
        loadB: `return dy[kk * ${i(g.outChannels)} + col];`,
        hasBias: false,
        activation: 'linear',
        style,
      },
    );
    this.splits = splits;
  }
}

/**
 * dx[b,ih,iw,ci] = Σ_{kh,kw,co} dy[b, (ih+pt−kh)/s, (iw+pl−kw)/s, co] · w[kh,kw,ci,co] over
 * the terms where the division is exact and in range: rows M = b·ih·iw, columns N = ci,
 * reduction K = kh·kw·co. Output [batch, inHeight, inWidth, inChannels].
 */
export class TiledInputGradProgram extends TiledGemmProgram {
  constructor(g: ConvGeometry, style: TiledStyle = 'workgroup') {
    const co = g.outChannels;
    super([g.batch, g.inHeight, g.inWidth, g.inChannels], ['dy', 'w'], `inputGrad_${convKey(g)}`, {
      m: g.batch * g.inHeight * g.inWidth,
      n: g.inChannels,
      k: g.filterHeight * g.filterWidth * co,
      outer: 1,
      splitK: false,
      kChunk: g.filterHeight * g.filterWidth * co,
      loadA: `
        let b = row / ${i(g.inHeight * g.inWidth)};
        let th = (row / ${i(g.inWidth)}) % ${i(g.inHeight)} + ${i(g.padTop)} - kk / ${i(co * g.filterWidth)};
        let tw = row % ${i(g.inWidth)} + ${i(g.padLeft)} - (kk / ${i(co)}) % ${i(g.filterWidth)};
        if (th < 0 || tw < 0) { return 0.0; }
        let oh = th / ${i(g.strideHeight)};
        let ow = tw / ${i(g.strideWidth)};
        if (oh * ${i(g.strideHeight)} != th || ow * ${i(g.strideWidth)} != tw ||
            oh >= ${i(g.outHeight)} || ow >= ${i(g.outWidth)}) { return 0.0; }
        return dy[((b * ${i(g.outHeight)} + oh) * ${i(g.outWidth)} + ow) * ${i(co)} + kk % ${i(co)}];`,
      loadB: `return w[((kk / ${i(co)}) * ${i(g.inChannels)} + col) * ${i(co)} + kk % ${i(co)}];`,
      hasBias: false,
      activation: 'linear',
      style,
    });
  }
}

/**
 * C[z,m,n] = act(Σ_k A(z,m,k) · B(z,k,n) + bias[n]) for MatMulProgram's geometry (either
 * operand transposed or broadcast over the batch); outputShape any shape of batch·m·n.
 */
export class TiledMatMulProgram extends TiledGemmProgram {
  constructor(
    g: MatMulGeometry,
    outputShape: number[] = [g.batch, g.m, g.n],
    hasBias = false,
    activation: FusedActivation = 'linear',
    style: TiledStyle = 'workgroup',
  ) {
    const aIndex = g.transposeA ? `kk * ${i(g.m)} + row` : `row * ${i(g.k)} + kk`;
    const bIndex = g.transposeB ? `col * ${i(g.k)} + kk` : `kk * ${i(g.n)} + col`;
    super(
      outputShape,
      hasBias ? ['a', 'b', 'bias'] : ['a', 'b'],
      `matmul_${Object.values(g).join('_')}`,
      {
        m: g.m,
        n: g.n,
        k: g.k,
        outer: g.batch,
        splitK: false,
        kChunk: g.k,
        loadA: `return a[z * ${i(g.batchStrideA)} + ${aIndex}];`,
        loadB: `return b[z * ${i(g.batchStrideB)} + ${bIndex}];`,
        hasBias,
        activation,
        style,
      },
    );
  }
}
