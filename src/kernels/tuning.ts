import * as tf from '@tensorflow/tfjs';
import {
  candidateVariants,
  parseOpShapeKey,
  setOpShapeRecording,
  setVariantOverride,
  variantRunStats,
  type AdapterFeatures,
  type KernelPlan,
  type KernelVariant,
  type OpShape,
} from './variants.ts';
import type { ConvGeometry, MatMulGeometry } from './programs.ts';

/**
 * The tuner (issue #15, "kernels that tune themselves"): for each op shape of a run, time each
 * candidate variant (variants.ts) on this adapter and keep the fastest in a KernelPlan. A
 * variant is timed only if its own program ran and its output agrees with 'register''s, and it
 * replaces 'register' only when faster by a margin, so timing noise cannot make a plan slower
 * than today's kernels. No DOM: it runs in the worker and on the harness pages, with our
 * kernels registered (setConvKernels('optimized')).
 */

/**
 * Runs `step` (one training or evaluation step; it must dispose what it makes) with recording
 * on, and returns the distinct op shapes our kernels saw, in the order first seen.
 */
export function recordOpShapes(step: () => void): OpShape[] {
  setOpShapeRecording(true);
  try {
    step();
  } catch (error) {
    setOpShapeRecording(false);
    throw error;
  }
  return setOpShapeRecording(false);
}

export interface ShapeTiming {
  key: string;
  label: string;
  /** Median ms of one run (with a one-element readback) of each variant timed. */
  msByVariant: Partial<Record<KernelVariant, number>>;
  chosen: KernelVariant;
  /** Why a candidate was not timed: it disagreed with 'register', or its program did not run. */
  rejected?: Partial<Record<KernelVariant, string>>;
}

export interface TuneProgress {
  shapesDone: number;
  shapesTotal: number;
  /** The shape about to be tuned; null once done. */
  current: OpShape | null;
}

export interface TuneOptions {
  features: AdapterFeatures;
  /** Variants already chosen (a cached plan): their shapes are not timed again. */
  known?: KernelPlan;
  /** Checked between shapes: true stops the tuning (tuneKernels then resolves null). */
  shouldStop?: () => boolean;
  onProgress?: (progress: TuneProgress) => void;
  /** Timed runs of each variant per shape (the median counts); 5 by default. */
  repeats?: number;
  /** Milliseconds of tuning after which no further shape starts (complete: false). */
  budgetMs?: number;
  /** A variant replaces 'register' only when this much faster (0.05: 5%). */
  margin?: number;
}

export interface TuneResult {
  /** `known` and every shape tuned; shapes left untuned (budget) are absent: 'register'. */
  plan: KernelPlan;
  timings: ShapeTiming[];
  /** False when the budget ran out before every shape was tuned. */
  complete: boolean;
}

/** One candidate on one shape: its median ms, or why it was not timed. */
export type VariantMeasurement = { ok: true; ms: number } | { ok: false; reason: string };

/** Times `variants` on `shape` (the first is 'register', the reference). */
export type MeasureShape = (
  shape: OpShape,
  variants: readonly KernelVariant[],
  repeats: number,
) => Promise<Partial<Record<KernelVariant, VariantMeasurement>>>;

export const DEFAULT_REPEATS = 5;
export const DEFAULT_MARGIN = 0.05;
/** Largest relative difference from 'register' (max |Δ| / max |register|) a variant may have. */
export const AGREEMENT_TOLERANCE = 1e-3;
/** Milliseconds of runs per timed sample (one readback each), at most MAX_RUNS_PER_SAMPLE runs. */
const SAMPLE_MS = 30;
const MAX_RUNS_PER_SAMPLE = 16;

/**
 * The variant to keep: 'register' unless another timed variant is faster than it by more than
 * `margin` (then the fastest such); without a 'register' timing, the fastest timed; with none,
 * 'register'.
 */
export function chooseVariant(
  msByVariant: Partial<Record<KernelVariant, number>>,
  margin = DEFAULT_MARGIN,
): KernelVariant {
  const timed = (Object.entries(msByVariant) as [KernelVariant, number][]).filter(([, ms]) =>
    Number.isFinite(ms),
  );
  if (timed.length === 0) return 'register';
  timed.sort((a, b) => a[1] - b[1]);
  const register = msByVariant.register;
  if (register === undefined || !Number.isFinite(register)) return timed[0][0];
  const [fastest, fastestMs] = timed[0];
  return fastestMs < register * (1 - margin) ? fastest : 'register';
}

/**
 * The tuning loop with the measurement passed in (tuneKernels passes the WebGPU one; the unit
 * tests a fake): stop, budget, known shapes, progress and the choice.
 */
export async function tuneWith(
  shapes: readonly OpShape[],
  options: TuneOptions,
  measure: MeasureShape,
  now: () => number = () => performance.now(),
): Promise<TuneResult | null> {
  const startedAt = now();
  const known = options.known ?? {};
  const todo = shapes.filter((s) => known[s.key] === undefined);
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const plan: Record<string, KernelVariant> = { ...known };
  const timings: ShapeTiming[] = [];
  let complete = true;
  for (const [done, shape] of todo.entries()) {
    if (options.shouldStop?.() === true) return null;
    if (options.budgetMs !== undefined && now() - startedAt >= options.budgetMs) {
      complete = false;
      break;
    }
    options.onProgress?.({ shapesDone: done, shapesTotal: todo.length, current: shape });
    const candidates = candidateVariants(shape, options.features);
    const variants: KernelVariant[] = ['register', ...candidates.filter((v) => v !== 'register')];
    const measured = await measure(shape, variants, repeats);
    const msByVariant: Partial<Record<KernelVariant, number>> = {};
    const rejected: Partial<Record<KernelVariant, string>> = {};
    for (const v of variants) {
      const m = measured[v];
      if (m === undefined) rejected[v] = 'not measured';
      else if (m.ok) msByVariant[v] = m.ms;
      else rejected[v] = m.reason;
    }
    const chosen = chooseVariant(msByVariant, options.margin);
    plan[shape.key] = chosen;
    timings.push({
      key: shape.key,
      label: shape.label,
      msByVariant,
      chosen,
      ...(Object.keys(rejected).length > 0 ? { rejected } : {}),
    });
  }
  if (options.shouldStop?.() === true) return null;
  const tuned = timings.length;
  options.onProgress?.({ shapesDone: tuned, shapesTotal: todo.length, current: null });
  return { plan, timings, complete };
}

/**
 * Tunes `shapes` on the current 'webgpu' backend (our kernels registered): for each shape not
 * in `known`, synthetic inputs of its geometry; each candidate runs once as a warm-up, which
 * must run that variant's own program and agree with 'register' element-wise (relative max
 * difference ≤ AGREEMENT_TOLERANCE); then `repeats` timed samples of each, round-robin, each
 * a few back-to-back runs (about 30 ms of work, at most 16) awaiting one one-element readback,
 * and the median ms per run counts. Resolves null when shouldStop()
 * turned true. Every tensor it makes is disposed.
 */
export function tuneKernels(
  shapes: readonly OpShape[],
  options: TuneOptions,
): Promise<TuneResult | null> {
  return tuneWith(shapes, options, measureOnWebGPU);
}

/** The explicit padding that gives g's output size with g's top and left padding. */
function explicitPad(
  g: ConvGeometry,
): [[number, number], [number, number], [number, number], [number, number]] {
  const bottom = Math.max(
    0,
    (g.outHeight - 1) * g.strideHeight + g.filterHeight - g.inHeight - g.padTop,
  );
  const right = Math.max(
    0,
    (g.outWidth - 1) * g.strideWidth + g.filterWidth - g.inWidth - g.padLeft,
  );
  return [
    [0, 0],
    [g.padTop, bottom],
    [g.padLeft, right],
    [0, 0],
  ];
}

/** The op's inputs (random, seeded) and a function that runs the op on them once. */
function makeRunner(
  op: OpShape['op'],
  geometry: ConvGeometry | MatMulGeometry,
): { inputs: tf.Tensor[]; run: () => tf.Tensor } {
  const random = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
  const kernel = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
    tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  if (op === 'matMul') {
    const g = geometry as MatMulGeometry;
    const batchA = g.batchStrideA === 0 ? 1 : g.batch;
    const batchB = g.batchStrideB === 0 ? 1 : g.batch;
    const a = random(g.transposeA ? [batchA, g.k, g.m] : [batchA, g.m, g.k], 1);
    const b = random(g.transposeB ? [batchB, g.n, g.k] : [batchB, g.k, g.n], 2);
    const attrs = { transposeA: g.transposeA, transposeB: g.transposeB };
    return { inputs: [a, b], run: () => kernel('BatchMatMul', { a, b }, attrs) };
  }
  const g = geometry as ConvGeometry;
  const xShape = [g.batch, g.inHeight, g.inWidth, g.inChannels];
  const wShape: [number, number, number, number] = [
    g.filterHeight,
    g.filterWidth,
    g.inChannels,
    g.outChannels,
  ];
  const dyShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  const attrs = {
    strides: [g.strideHeight, g.strideWidth],
    pad: explicitPad(g),
    dataFormat: 'NHWC',
    dilations: [1, 1],
  };
  if (op === 'conv2d') {
    const x = random(xShape, 1);
    const filter = random(wShape, 2);
    return { inputs: [x, filter], run: () => kernel('Conv2D', { x, filter }, attrs) };
  }
  if (op === 'conv2dBackpropFilter') {
    const x = random(xShape, 1);
    const dy = random(dyShape, 3);
    return {
      inputs: [x, dy],
      run: () => kernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: wShape }),
    };
  }
  const dy = random(dyShape, 3);
  const filter = random(wShape, 2);
  return {
    inputs: [dy, filter],
    run: () => kernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: xShape }),
  };
}

/** max |a − b| / max |ref|; Infinity for NaN or a length mismatch. */
export function relativeMaxDiff(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  if (ref.length !== got.length) return Infinity;
  let maxRef = 0;
  let maxDiff = 0;
  for (let j = 0; j < ref.length; j++) {
    maxRef = Math.max(maxRef, Math.abs(ref[j]));
    const diff = Math.abs(ref[j] - got[j]);
    if (Number.isNaN(diff)) return Infinity;
    maxDiff = Math.max(maxDiff, diff);
  }
  return maxDiff / Math.max(1e-6, maxRef);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const measureOnWebGPU: MeasureShape = async (shape, variants, repeats) => {
  const result: Partial<Record<KernelVariant, VariantMeasurement>> = {};
  const parsed = parseOpShapeKey(shape.key);
  if (parsed == null || parsed.op !== shape.op) {
    for (const v of variants) result[v] = { ok: false, reason: 'unknown op shape key' };
    return result;
  }
  const { inputs, run } = makeRunner(parsed.op, parsed.geometry);
  /** Runs variant v once; whether its own program ran for this very shape. */
  const runVariant = (v: KernelVariant): { out: tf.Tensor; ran: boolean } => {
    const before = variantRunStats[shape.op][v];
    setVariantOverride(v);
    let out: tf.Tensor | undefined;
    try {
      const seen = recordOpShapes(() => {
        out = run();
      });
      const ran = variantRunStats[shape.op][v] > before && seen.some((s) => s.key === shape.key);
      return { out: out as tf.Tensor, ran };
    } finally {
      setVariantOverride(null);
    }
  };
  /** Waits for the GPU work queued so far (in order) with a one-element readback. */
  const settle = async (out: tf.Tensor) => {
    const probe = tf.tidy(() => out.reshape([-1]).slice(0, 1));
    await probe.data();
    probe.dispose();
  };
  try {
    // Warm-up (compiles the pipelines) and the check against 'register'.
    const ready: KernelVariant[] = [];
    let reference: Float32Array | undefined;
    for (const v of variants) {
      const { out, ran } = runVariant(v);
      const data = (await out.data()) as Float32Array;
      out.dispose();
      if (!ran) {
        result[v] = { ok: false, reason: `the ${v} program did not run` };
        continue;
      }
      if (v === 'register') reference = data;
      if (reference === undefined) {
        result[v] = { ok: false, reason: 'no register reference' };
        continue;
      }
      const diff = relativeMaxDiff(reference, data);
      if (!(diff <= AGREEMENT_TOLERANCE)) {
        result[v] = { ok: false, reason: `differs from register by ${diff.toExponential(2)}` };
        continue;
      }
      ready.push(v);
    }
    // A readback costs milliseconds of latency on its own (SwiftShader: about 3 ms), as much
    // as a small op: each sample runs the op back to back until about SAMPLE_MS of work (from
    // one run of the first variant), then reads back once, and counts ms per run.
    const calibration = ready.length > 0 ? runVariant(ready[0]).out : undefined;
    let runsPerSample = 1;
    if (calibration !== undefined) {
      const startedAt = performance.now();
      await settle(calibration);
      calibration.dispose();
      const oneRunMs = performance.now() - startedAt;
      runsPerSample = Math.min(MAX_RUNS_PER_SAMPLE, Math.max(1, Math.ceil(SAMPLE_MS / oneRunMs)));
    }
    // Round-robin, so that a slow spell of the machine hits every variant alike.
    const times = new Map<KernelVariant, number[]>(ready.map((v) => [v, []]));
    for (let r = 0; r < repeats; r++) {
      for (const v of ready) {
        const startedAt = performance.now();
        for (let run = 0; run < runsPerSample - 1; run++) runVariant(v).out.dispose();
        const { out } = runVariant(v);
        await settle(out);
        times.get(v)?.push((performance.now() - startedAt) / runsPerSample);
        out.dispose();
      }
    }
    for (const [v, ms] of times) result[v] = { ok: true, ms: median(ms) };
  } finally {
    for (const t of inputs) t.dispose();
  }
  return result;
};
