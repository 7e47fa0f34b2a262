import type { OpTiming } from './ops.ts';
import type { ShapeTiming } from '../../src/kernels/tuning.ts';
import type { KernelOp, KernelPlan, KernelVariant } from '../../src/kernels/variants.ts';

/** Benchmark configurations; shared by the page and documented in the README. */

/**
 * Which convolution kernels a run used (src/kernels/register.ts); 'tuned' is ours with the
 * plan the tuner (src/kernels/tuning.ts) chose on this adapter for the configuration's op
 * shapes. 'both' times stock and optimized, 'all' stock, optimized and tuned.
 */
export type BenchKernels = 'stock' | 'optimized' | 'tuned' | 'both' | 'all';

/** The kernels of one result. */
export type BenchKernelSet = 'stock' | 'optimized' | 'tuned';

/** What the tuner did for a 'tuned' result. */
export interface BenchTuning {
  plan: KernelPlan;
  timings: ShapeTiming[];
  complete: boolean;
  /** Wall-clock ms of the tuning (recording step excluded). */
  tuningMs: number;
  /** The chosen variants per op kind over the configuration's op shapes. */
  chosenByOp: Partial<Record<KernelOp, Partial<Record<KernelVariant, number>>>>;
}

export interface BenchConfig {
  name: string;
  imageSize: number;
  width: number;
  batchSize: number;
  warmupSteps: number;
  timedSteps: number;
}

export interface BenchResult extends BenchConfig {
  stepMs: number[];
  msPerStep: number;
  minMs: number;
  maxMs: number;
  imagesPerSecond: number;
  /** Forward + two backward passes of the layer table's multiply-adds, ×2 FLOPs each. */
  usefulGflopsPerSecond: number;
  /** The convolution kernels this result was timed with. */
  kernels: BenchKernelSet;
  /** With 'tuned': the plan and the tuner's timings. */
  tuning?: BenchTuning;
  /** Per-kernel milliseconds of one profiled step (tf.profile), largest first; if requested. */
  profile?: { name: string; ms: number; calls: number }[];
}

export interface BenchReport {
  backend: string;
  adapter: string;
  userAgent: string;
  kernels: BenchKernels;
  /** Whether the adapter offers WebGPU's `subgroups` feature, and TF.js's device has it. */
  subgroups?: { adapter: boolean; device: boolean };
  results: BenchResult[];
  /** Single-op timings (bench.html?ops=1), see ops.ts. */
  ops?: OpTiming[];
  /** Set instead of results when the run failed. */
  error?: string;
}

export const BENCH_PRESETS: Readonly<Record<string, BenchConfig[]>> = {
  /** Minutes on a software adapter. */
  quick: [
    {
      name: 'tiny 65px w0.1 b32',
      imageSize: 65,
      width: 0.1,
      batchSize: 32,
      warmupSteps: 1,
      timedSteps: 3,
    },
    {
      name: 'narrow 96px w0.25 b16',
      imageSize: 96,
      width: 0.25,
      batchSize: 16,
      warmupSteps: 1,
      timedSteps: 2,
    },
  ],
  /** The configurations: the book's network at 96 and 224 px, a narrow one at 224. */
  standard: [
    {
      name: 'book 96px b16',
      imageSize: 96,
      width: 1,
      batchSize: 16,
      warmupSteps: 1,
      timedSteps: 3,
    },
    {
      name: 'book 224px b8',
      imageSize: 224,
      width: 1,
      batchSize: 8,
      warmupSteps: 1,
      timedSteps: 3,
    },
    {
      name: 'narrow 224px w0.25 b32',
      imageSize: 224,
      width: 0.25,
      batchSize: 32,
      warmupSteps: 1,
      timedSteps: 3,
    },
  ],
};
