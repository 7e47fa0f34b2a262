/**
 * Kernel variants and the plan that picks one per op shape (issue #15, "kernels that tune
 * themselves"). Our kernels were tuned on SwiftShader (register tiles, no workgroup memory); a
 * real GPU may want workgroup-memory tiling or subgroups. Each of our four op kinds offers a
 * small set of variants; the tuner (tuning.ts) times them on the person's adapter for each op
 * shape of a run and writes the fastest into the plan; conv.ts asks the plan which program to
 * build. A shape the plan does not name runs 'register', today's kernel.
 *
 * The worker caches plans per adapter and shape in IndexedDB (storage/), so a later visit on
 * the same GPU pays nothing.
 */

import type { ConvGeometry, MatMulGeometry } from './programs.ts';

/** Our kernel functions whose program has variants. */
export type KernelOp = 'conv2d' | 'conv2dBackpropFilter' | 'conv2dBackpropInput' | 'matMul';

/**
 * 'register': today's register-tiled program (programs.ts). 'workgroup': output tiles staged
 * through workgroup memory. 'subgroup': a subgroup variant, only where the adapter has the
 * `subgroups` feature.
 */
export type KernelVariant = 'register' | 'workgroup' | 'subgroup';

export const KERNEL_VARIANTS: readonly KernelVariant[] = ['register', 'workgroup', 'subgroup'];

/**
 * The variants that have programs of their own (tiledPrograms.ts); 'subgroup' runs only on a
 * device with the `subgroups` feature, and builds 'register' elsewhere.
 */
export const BUILT_VARIANTS: readonly KernelVariant[] = ['register', 'workgroup', 'subgroup'];

/** One op shape of a run, as our kernel function saw it. */
export interface OpShape {
  op: KernelOp;
  /** Stable text naming the op and its whole geometry: the plan's and the cache's key. */
  key: string;
  /** Short, for people: "conv2 dW 5×5×10→26, 16×16". */
  label: string;
}

/** The variant of each op shape, by OpShape.key; a shape not named runs 'register'. */
export type KernelPlan = Readonly<Record<string, KernelVariant>>;

/** What of the adapter the choice of candidates depends on. */
export interface AdapterFeatures {
  subgroups: boolean;
}

let currentPlan: KernelPlan = {};

/** Replaces the plan conv.ts reads (an empty plan: 'register' everywhere). */
export function setKernelPlan(plan: KernelPlan): void {
  currentPlan = plan;
}

export function kernelPlan(): KernelPlan {
  return currentPlan;
}

let override: KernelVariant | null = null;

/**
 * Test-only: every op shape runs `variant` whatever the plan says (null: the plan again). The
 * self-test and the tuner force each variant through this.
 */
export function setVariantOverride(variant: KernelVariant | null): void {
  override = variant;
}

/** The variant the plan names for `key`, or 'register'. */
export function variantFor(key: string): KernelVariant {
  return override ?? currentPlan[key] ?? 'register';
}

/** The geometry an op shape's key encodes: a convolution's, or a matrix product's. */
export type OpGeometry = ConvGeometry | MatMulGeometry;

const CONV_FIELDS: readonly (keyof ConvGeometry)[] = [
  'batch',
  'inHeight',
  'inWidth',
  'inChannels',
  'outHeight',
  'outWidth',
  'outChannels',
  'filterHeight',
  'filterWidth',
  'strideHeight',
  'strideWidth',
  'padTop',
  'padLeft',
];

const MATMUL_FIELDS: readonly (keyof MatMulGeometry)[] = [
  'batch',
  'batchStrideA',
  'batchStrideB',
  'm',
  'k',
  'n',
  'transposeA',
  'transposeB',
];

const OPS: readonly KernelOp[] = [
  'conv2d',
  'conv2dBackpropFilter',
  'conv2dBackpropInput',
  'matMul',
];

function isMatMulGeometry(g: OpGeometry): g is MatMulGeometry {
  return 'transposeA' in g;
}

/**
 * The plan's key of an op and its geometry: "conv2d:" and the 13 numbers of ConvGeometry in
 * its field order (batch, in h/w/c, out h/w/c, filter h/w, stride h/w, pad top/left), or
 * "matMul:" and MatMulGeometry's 8 (transposes as 0/1). Cached plans use it, so it must stay
 * stable; parseOpShapeKey reads it back.
 */
export function opShapeKey(op: KernelOp, g: OpGeometry): string {
  const values = isMatMulGeometry(g)
    ? MATMUL_FIELDS.map((f) => Number(g[f]))
    : CONV_FIELDS.map((f) => g[f]);
  return `${op}:${values.join(',')}`;
}

/** The op and geometry of a key from opShapeKey, or null for any other text. */
export function parseOpShapeKey(
  key: string,
):
  | { op: 'matMul'; geometry: MatMulGeometry }
  | { op: Exclude<KernelOp, 'matMul'>; geometry: ConvGeometry }
  | null {
  const [op, list = ''] = key.split(':');
  const values = list.split(',').map(Number);
  if (!OPS.includes(op as KernelOp) || values.some((v) => !Number.isInteger(v))) return null;
  if (op === 'matMul') {
    if (values.length !== MATMUL_FIELDS.length) return null;
    const [batch, batchStrideA, batchStrideB, m, k, n, tA, tB] = values;
    const geometry: MatMulGeometry = {
      batch,
      batchStrideA,
      batchStrideB,
      m,
      k,
      n,
      transposeA: tA === 1,
      transposeB: tB === 1,
    };
    return { op, geometry };
  }
  if (values.length !== CONV_FIELDS.length) return null;
  const geometry = Object.fromEntries(
    CONV_FIELDS.map((f, j) => [f, values[j]]),
  ) as unknown as ConvGeometry;
  return { op: op as Exclude<KernelOp, 'matMul'>, geometry };
}

const OP_LABELS: Readonly<Record<KernelOp, string>> = {
  conv2d: 'conv',
  conv2dBackpropFilter: 'conv dW',
  conv2dBackpropInput: 'conv dx',
  matMul: 'matmul',
};

/** The OpShape (key and a short label) of an op and its geometry. */
export function opShapeOf(op: KernelOp, g: OpGeometry): OpShape {
  let label: string;
  if (isMatMulGeometry(g)) {
    const transposes = `${g.transposeA ? ' tA' : ''}${g.transposeB ? ' tB' : ''}`;
    const batch = g.batch > 1 ? `${g.batch}× ` : '';
    label = `${OP_LABELS[op]} ${batch}${g.m}×${g.k}·${g.k}×${g.n}${transposes}`;
  } else {
    label =
      `${OP_LABELS[op]} ${g.filterHeight}×${g.filterWidth} s${g.strideHeight} ` +
      `${g.inChannels}→${g.outChannels}, ${g.inHeight}×${g.inWidth}→${g.outHeight}×${g.outWidth}, b${g.batch}`;
  }
  return { op, key: opShapeKey(op, g), label };
}

let recording: Map<string, OpShape> | null = null;

/**
 * Starts (or, with false, stops) recording the op shapes our kernels see; stopping returns
 * the distinct shapes in the order first seen. tuning.ts's recordOpShapes wraps this.
 */
export function setOpShapeRecording(on: true): void;
export function setOpShapeRecording(on: false): OpShape[];
export function setOpShapeRecording(on: boolean): OpShape[] | void {
  if (on) {
    recording = new Map();
    return;
  }
  const shapes = [...(recording?.values() ?? [])];
  recording = null;
  return shapes;
}

/**
 * What conv.ts calls for each op it runs: records the shape when recording is on and returns
 * the variant to build for it.
 */
export function variantForOp(op: KernelOp, g: OpGeometry): { key: string; variant: KernelVariant } {
  const shape = opShapeOf(op, g);
  if (recording != null && !recording.has(shape.key)) recording.set(shape.key, shape);
  return { key: shape.key, variant: variantFor(shape.key) };
}

/**
 * How many times each variant's program ran, per op (the self-test and the tuner check that a
 * forced variant really ran rather than falling back to another program).
 */
export const variantRunStats: Record<KernelOp, Record<KernelVariant, number>> = {
  conv2d: { register: 0, workgroup: 0, subgroup: 0 },
  conv2dBackpropFilter: { register: 0, workgroup: 0, subgroup: 0 },
  conv2dBackpropInput: { register: 0, workgroup: 0, subgroup: 0 },
  matMul: { register: 0, workgroup: 0, subgroup: 0 },
};

/**
 * The most outputs an op may have for the 'subgroup' variant to take it (one workgroup per
 * 4×4 output tile: 8192 workgroups). On an NVIDIA H200 (docs/benchmarks.md, 2026-12-04) it
 * was chosen for 49 of 138 op shapes, none with more than 98,304 outputs; of the 59 shapes
 * above that it was the fastest on none (up to 20× workgroup's time); on
 * SwiftShader its self-test took 14 minutes without this bound. Larger ops run 'register'.
 */
export const SUBGROUP_MAX_OUTPUTS = 131_072;

/** The outputs of one op of this geometry (all batches or reduction splits together). */
export function opOutputs(op: KernelOp, g: OpGeometry): number {
  if (isMatMulGeometry(g)) return g.batch * g.m * g.n;
  if (op === 'conv2d') return g.batch * g.outHeight * g.outWidth * g.outChannels;
  if (op === 'conv2dBackpropFilter') {
    return g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  }
  return g.batch * g.inHeight * g.inWidth * g.inChannels;
}

/** Whether the 'subgroup' variant takes this op shape (at most SUBGROUP_MAX_OUTPUTS outputs). */
export function subgroupTakes(op: KernelOp, g: OpGeometry): boolean {
  return opOutputs(op, g) <= SUBGROUP_MAX_OUTPUTS;
}

/**
 * How many times a forced or planned 'subgroup' was declined for an op too large for it
 * (subgroupTakes), per op: the self-test tells a decline from a wrong fallback by it.
 */
export const subgroupDeclines: Record<KernelOp, number> = {
  conv2d: 0,
  conv2dBackpropFilter: 0,
  conv2dBackpropInput: 0,
  matMul: 0,
};

/** The variants with programs a device with `features` can run. */
export function builtVariantsOn(features: AdapterFeatures): KernelVariant[] {
  return BUILT_VARIANTS.filter((v) => v !== 'subgroup' || features.subgroups);
}

/**
 * The variants worth timing for `shape` on a device with `features`: 'subgroup' only where the
 * device has `subgroups` (webgpuDevice.ts requests it wherever the adapter offers it) and the
 * variant takes the shape.
 */
export function candidateVariants(shape: OpShape, features: AdapterFeatures): KernelVariant[] {
  const parsed = parseOpShapeKey(shape.key);
  return builtVariantsOn(features).filter(
    (v) => v !== 'subgroup' || (parsed !== null && subgroupTakes(parsed.op, parsed.geometry)),
  );
}
