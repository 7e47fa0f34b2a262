import type { OpTiming } from './ops.ts';

/** Benchmark configurations; shared by the page and documented in the README. */

/** Which convolution kernels a run used (src/kernels/register.ts); 'both' times each. */
export type BenchKernels = 'stock' | 'optimized' | 'both';

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
  kernels: 'stock' | 'optimized';
  /** Per-kernel milliseconds of one profiled step (tf.profile), largest first; if requested. */
  profile?: { name: string; ms: number; calls: number }[];
}

export interface BenchReport {
  backend: string;
  adapter: string;
  userAgent: string;
  kernels: BenchKernels;
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
