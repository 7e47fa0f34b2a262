import {
  KERNEL_VARIANTS,
  type AdapterFeatures,
  type KernelPlan,
  type KernelVariant,
  type OpShape,
} from '../kernels/variants.ts';
import type { tuneKernels } from '../kernels/tuning.ts';
import type { KernelTrialMode } from '../model/kernelDecision.ts';
import {
  adapterKeyOf,
  type KernelTuningStore,
  type TunedShapeRecord,
} from '../storage/kernelTuningStore.ts';
import type { AdapterDescription, KernelTuningSummary } from './protocol.ts';

/**
 * Tuning our kernels for a run (issue #15, "kernels that tune themselves"): of the run's op
 * shapes, those whose variant this adapter and browser already chose (the cache) use it; with
 * kernels 'auto' the others are timed now by the tuner (kernels/tuning.ts), one shape at a time,
 * each choice cached as soon as it is made, within TUNING_BUDGET_MS. With 'optimized' nothing is
 * timed: the person asked for ours as they are, so only cached choices apply (they were chosen
 * by timing on this very GPU, and the trial's check covers whatever the plan picks).
 */

/** The most time tuning may take before a run; shapes left untuned run 'register'. */
export const TUNING_BUDGET_MS = 30_000;

/** The tuner's functions (kernels/tuning.ts) and what the device offers its variants. */
export interface KernelTuner {
  recordOpShapes(step: () => void): OpShape[];
  tuneKernels: typeof tuneKernels;
  /** The GPU device's features that decide the candidate variants (backend.ts deviceFeatures). */
  features(): AdapterFeatures;
}

export interface KernelTuningCollaborators {
  tuner: KernelTuner;
  cache: KernelTuningStore;
  /** browserOf(navigator.userAgent): part of the cache's adapter identity, as the driver. */
  browser: string;
}

export interface TuningProgress {
  shapesDone: number;
  shapesTotal: number;
  current: string | null;
  fromCache: number;
}

function isVariant(text: string): text is KernelVariant {
  return (KERNEL_VARIANTS as readonly string[]).includes(text);
}

/**
 * The plan for `shapes` (every one named) and what it holds; null when stopped. A choice the
 * tuner made is in the cache before the next shape is timed, so a Stop keeps what was tuned.
 */
export async function tuneForRun(options: {
  shapes: readonly OpShape[];
  adapter: AdapterDescription;
  mode: KernelTrialMode;
  collaborators: KernelTuningCollaborators;
  shouldStop: () => boolean;
  onProgress: (progress: TuningProgress) => void;
  budgetMs?: number;
  now?: () => number;
}): Promise<{ plan: KernelPlan; summary: KernelTuningSummary } | null> {
  const { shapes, adapter, mode, collaborators, shouldStop, onProgress } = options;
  const { tuner, cache, browser } = collaborators;
  const now = options.now ?? (() => performance.now());
  const features = tuner.features();
  const adapterKey = adapterKeyOf({
    vendor: adapter.vendor,
    architecture: adapter.architecture,
    device: adapter.device,
    description: adapter.description,
    browser,
    subgroups: features.subgroups,
  });
  const wanted = new Set(shapes.map((shape) => shape.key));
  const plan: Record<string, KernelVariant> = {};
  for (const record of await cache.load(adapterKey)) {
    // A variant this version does not offer (or a damaged record) is tuned again.
    if (wanted.has(record.shapeKey) && isVariant(record.variant)) {
      plan[record.shapeKey] = record.variant;
    }
  }
  const fromCache = Object.keys(plan).length;
  const todo = mode === 'time' ? shapes.filter((shape) => plan[shape.key] === undefined) : [];
  const deadline = now() + (options.budgetMs ?? TUNING_BUDGET_MS);
  let tuned = 0;
  let complete = true;
  if (todo.length > 0) {
    onProgress({ shapesDone: 0, shapesTotal: todo.length, current: null, fromCache });
  }
  for (const [index, shape] of todo.entries()) {
    if (shouldStop()) return null;
    const left = deadline - now();
    if (left <= 0) {
      complete = false;
      break;
    }
    const result = await tuner.tuneKernels([shape], {
      features,
      known: { ...plan },
      shouldStop,
      budgetMs: left,
      onProgress: (p) =>
        onProgress({
          shapesDone: index + Math.min(p.shapesDone, 1),
          shapesTotal: todo.length,
          current: p.current?.label ?? null,
          fromCache,
        }),
    });
    if (result === null) return null;
    const timing = result.timings.find((t) => t.key === shape.key);
    if (timing !== undefined && isVariant(timing.chosen)) {
      plan[shape.key] = timing.chosen;
      tuned++;
      const record: TunedShapeRecord = {
        adapter: adapterKey,
        shapeKey: shape.key,
        label: timing.label,
        variant: timing.chosen,
        msByVariant: { ...timing.msByVariant },
        tunedAt: Date.now(),
      };
      await cache.save(record);
    }
    if (!result.complete || timing === undefined) {
      complete = false;
      break;
    }
  }
  const byVariant: Partial<Record<KernelVariant, number>> = {};
  for (const shape of shapes) {
    const variant = plan[shape.key] ?? 'register';
    byVariant[variant] = (byVariant[variant] ?? 0) + 1;
  }
  return {
    plan,
    summary: {
      shapes: shapes.length,
      tuned,
      fromCache,
      byVariant,
      complete: mode === 'check' || complete,
      cacheProblem: cache.problem,
    },
  };
}
