import { type BackendName, type Settings } from '../config/settings.ts';
import { architectureOf } from './settingsCheck.ts';
import { batchCount } from '../data/sampling.ts';
import { alexNetLayers } from './architecture.ts';
import { computeLayerTable } from './layerTable.ts';

/**
 * How long a run will take on this device, before it starts: from training steps timed here
 * (the worker's speed probe, earlier runs, a kernel trial) and the layer table's arithmetic.
 * Pure: no tfjs, no DOM, so the page can recompute it as the person types.
 *
 * A step of a shape that was timed takes what it took. Any other shape is scaled from the
 * nearest timed one by its FLOPs: ms ∝ FLOPs^exponent. The exponent comes from two timed
 * shapes when there are two far enough apart; otherwise from the device kind (see
 * DEFAULT_EXPONENTS).
 */

/** Where a step timing comes from. */
export type TimingSource = 'probe' | 'run' | 'kernel trial';

/** One training step (forward, backward, SGD update) timed on this device. */
export interface StepTiming {
  /** The network shape it was timed at (speedShapeKey). */
  shapeKey: string;
  /** "65 px, width 0.1, batch 32". */
  shapeLabel: string;
  flopsPerStep: number;
  msPerStep: number;
  source: TimingSource;
}

/** What the page knows of this device's speed. */
export interface DeviceSpeed {
  kind: DeviceKind;
  timings: readonly StepTiming[];
  /**
   * The first step of a shape not run before in this worker costs this much more than the
   * others (shader compilation, pipeline creation): the probe's warm-up step minus its median.
   */
  firstStepExtraMs: number;
}

export type DeviceKind = 'software GPU' | 'GPU' | 'CPU' | 'WebGL';

/** "on this software GPU": how the estimate names the device. */
export function deviceWords(kind: DeviceKind): string {
  switch (kind) {
    case 'software GPU':
      return 'this software GPU';
    case 'GPU':
      return 'this GPU';
    case 'CPU':
      return 'the CPU backend';
    case 'WebGL':
      return 'WebGL';
  }
}

export function deviceKindOf(backend: BackendName, isSoftwareAdapter: boolean): DeviceKind {
  if (backend === 'cpu') return 'CPU';
  if (backend === 'webgl') return 'WebGL';
  return isSoftwareAdapter ? 'software GPU' : 'GPU';
}

/**
 * ms ∝ FLOPs^exponent when only one shape is timed. SwiftShader: 0.75, from this project's
 * benchmark on it (65 px width 0.1 batch 32: 0.20 GFLOP in 535 ms; 96 px width 0.25 batch 16:
 * 0.91 GFLOP in 1681 ms; the book's network at 224 px batch 8: 45 GFLOP in 26 s). The CPU
 * backend does arithmetic at a fixed rate (1). A GPU is far from its peak on small shapes, so
 * larger ones cost less than their FLOPs (0.5, a guess until a second shape is timed, which the
 * probe does on a GPU).
 */
export const DEFAULT_EXPONENTS: Readonly<Record<DeviceKind, number>> = {
  'software GPU': 0.75,
  GPU: 0.5,
  CPU: 1,
  WebGL: 0.75,
};

/** A fitted exponent is kept within these bounds: timings are noisy. */
const EXPONENT_RANGE = [0.4, 1.1] as const;
/** Two timed shapes fit an exponent only if their FLOPs differ at least this much. */
const MIN_FLOPS_RATIO_TO_FIT = 2;

/** The settings that decide a step's time: the kernel trial's shape, plus the backend. */
export function speedShapeKey(settings: Settings): string {
  const { imageSize, batchSize, width, dropConv, batchNorm, activation, lrn, backend } = settings;
  return JSON.stringify([
    imageSize,
    batchSize,
    width,
    dropConv,
    batchNorm,
    activation,
    lrn,
    backend,
  ]);
}

export function shapeLabelOf(settings: Settings): string {
  return `${settings.imageSize} px, width ${settings.width}, batch ${settings.batchSize}`;
}

/**
 * A training step's FLOPs (3 forward passes of multiply-adds: forward, input and weight
 * gradients; 2 FLOPs each) and a validation batch's (one forward pass); null when the image is
 * too small for the network.
 */
export function stepFlopsOf(settings: Settings): { train: number; validate: number } | null {
  const table = computeLayerTable(alexNetLayers(architectureOf(settings)), settings.imageSize);
  if (!table.ok) return null;
  const forward = 2 * table.table.totalMultiplyAddsPerImage * settings.batchSize;
  return { train: 3 * forward, validate: forward };
}

/** The timing of a step of these settings. */
export function timingOf(settings: Settings, msPerStep: number, source: TimingSource): StepTiming {
  return {
    shapeKey: speedShapeKey(settings),
    shapeLabel: shapeLabelOf(settings),
    flopsPerStep: stepFlopsOf(settings)?.train ?? NaN,
    msPerStep,
    source,
  };
}

/** Adds a timing, replacing an earlier one of the same shape and source. */
export function withTiming(timings: readonly StepTiming[], timing: StepTiming): StepTiming[] {
  if (!(timing.msPerStep > 0) || !Number.isFinite(timing.flopsPerStep)) return [...timings];
  return [
    ...timings.filter((t) => t.shapeKey !== timing.shapeKey || t.source !== timing.source),
    timing,
  ];
}

/** The exponent of ms ∝ FLOPs^exponent for this device. */
export function speedExponent(speed: DeviceSpeed): number {
  const timings = speed.timings.filter((t) => t.flopsPerStep > 0 && t.msPerStep > 0);
  if (timings.length >= 2) {
    const sorted = [...timings].sort((a, b) => a.flopsPerStep - b.flopsPerStep);
    const low = sorted[0];
    const high = sorted[sorted.length - 1];
    if (high.flopsPerStep / low.flopsPerStep >= MIN_FLOPS_RATIO_TO_FIT) {
      const fitted =
        Math.log(high.msPerStep / low.msPerStep) / Math.log(high.flopsPerStep / low.flopsPerStep);
      return Math.min(EXPONENT_RANGE[1], Math.max(EXPONENT_RANGE[0], fitted));
    }
  }
  return DEFAULT_EXPONENTS[speed.kind];
}

export interface StepEstimate {
  msPerStep: number;
  /** 'measured': this very shape was timed; 'scaled': from `reference` by FLOPs. */
  basis: 'measured' | 'scaled';
  reference: StepTiming;
}

/** Prefer a run's own timing (real data, real input pipeline) over a probe's or a trial's. */
const SOURCE_PREFERENCE: readonly TimingSource[] = ['run', 'probe', 'kernel trial'];

/** The time of one step of `flops` at `shapeKey`; null before anything was timed. */
export function estimateStepMs(
  speed: DeviceSpeed,
  flops: number,
  shapeKey: string,
): StepEstimate | null {
  const exact = speed.timings
    .filter((t) => t.shapeKey === shapeKey)
    .sort((a, b) => SOURCE_PREFERENCE.indexOf(a.source) - SOURCE_PREFERENCE.indexOf(b.source));
  if (exact.length > 0) {
    return { msPerStep: exact[0].msPerStep, basis: 'measured', reference: exact[0] };
  }
  if (speed.timings.length === 0) return null;
  // The timed shape nearest in (log) FLOPs: the least extrapolation.
  const distance = (t: StepTiming) => Math.abs(Math.log(flops / t.flopsPerStep));
  const reference = speed.timings.reduce((best, t) => (distance(t) < distance(best) ? t : best));
  const msPerStep = reference.msPerStep * (flops / reference.flopsPerStep) ** speedExponent(speed);
  return { msPerStep, basis: 'scaled', reference };
}

/**
 * Before its first batch a run builds its network and checks it with one step without an
 * update (the variant preflight), about a step's time.
 */
export const RUN_OVERHEAD_STEPS = 1;

export interface RunEstimate {
  totalMs: number;
  /** One training step's time, and how it was found. */
  step: StepEstimate;
  trainingMs: number;
  validationMs: number;
  /**
   * Before the first batch: the preflight step, plus shader compilation and the like when this
   * shape has not been timed here yet.
   */
  startupMs: number;
  totalFlops: number;
}

/**
 * The whole run: every epoch's training steps and validation batches, plus the first-step
 * extra of a shape not timed yet. Null before the device's speed is known, or for settings
 * whose image is too small.
 */
export function estimateRun(settings: Settings, speed: DeviceSpeed | null): RunEstimate | null {
  if (speed === null) return null;
  const flops = stepFlopsOf(settings);
  if (flops === null) return null;
  const step = estimateStepMs(speed, flops.train, speedShapeKey(settings));
  if (step === null) return null;
  const trainBatches = batchCount(settings.trainExamples, settings.batchSize);
  const testBatches = batchCount(settings.testExamples, settings.batchSize);
  // A validation batch is one forward pass: a third of a step's FLOPs, scaled the same way.
  const validateMs = step.msPerStep * (flops.validate / flops.train) ** speedExponent(speed);
  const trainingMs = settings.epochs * trainBatches * step.msPerStep;
  const validationMs = settings.epochs * testBatches * validateMs;
  const startupMs =
    RUN_OVERHEAD_STEPS * step.msPerStep + (step.basis === 'measured' ? 0 : speed.firstStepExtraMs);
  return {
    totalMs: trainingMs + validationMs + startupMs,
    step,
    trainingMs,
    validationMs,
    startupMs,
    totalFlops: settings.epochs * (trainBatches * flops.train + testBatches * flops.validate),
  };
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** "≈ 19 days", "≈ 5 h", "≈ 6 min", "≈ 40 s": two significant figures at most, in one unit. */
export function formatEstimate(ms: number): string {
  const round = (value: number) => (value >= 10 ? Math.round(value) : Math.round(value * 10) / 10);
  if (ms >= 2 * DAY_MS) return `≈ ${round(ms / DAY_MS)} days`;
  if (ms >= 2 * HOUR_MS) return `≈ ${round(ms / HOUR_MS)} h`;
  if (ms >= 2 * MINUTE_MS) return `≈ ${Math.round(ms / MINUTE_MS)} min`;
  return `≈ ${Math.max(1, Math.round(ms / 1000))} s`;
}

/** How the estimate was made, in a sentence for the page. */
export function estimateBasisText(estimate: RunEstimate, speed: DeviceSpeed): string {
  const { step } = estimate;
  const stepText = `${formatSeconds(step.msPerStep)} per step`;
  const from = step.reference.source === 'run' ? 'an earlier run' : `the ${step.reference.source}`;
  if (step.basis === 'measured') {
    return `Measured on ${deviceWords(speed.kind)}: ${stepText} at these settings (timed by ${from}).`;
  }
  const exponent = speedExponent(speed).toFixed(2);
  return (
    `Estimated from the arithmetic: ${formatFlops(estimate.totalFlops)} in all; a step of ` +
    `${step.reference.shapeLabel} took ${formatSeconds(step.reference.msPerStep)} here ` +
    `(timed by ${from}), scaled by FLOPs^${exponent} to ${stepText}.`
  );
}

function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toPrecision(2)} s`;
}

export function formatFlops(flops: number): string {
  if (flops >= 1e15) return `${(flops / 1e15).toPrecision(3)} PFLOP`;
  if (flops >= 1e12) return `${(flops / 1e12).toPrecision(3)} TFLOP`;
  return `${(flops / 1e9).toPrecision(3)} GFLOP`;
}
