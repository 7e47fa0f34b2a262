import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import type { EpochMetrics, SeriesPoint } from '../shared/types.ts';
import { RUN_RECORD_VERSION, type RunRecord } from './runRecord.ts';

/**
 * Fixtures for tests of anything that handles RunRecords (history store, hooks, comparison,
 * export). Not imported by the app. Everything returned is a fresh object, so a test may mutate
 * it freely.
 */

/** Plausible metrics for epochs 1…count: loss falls, accuracy rises, 50 s per epoch. */
export function makeEpochMetrics(
  count: number,
  overrides: Partial<EpochMetrics> = {},
): EpochMetrics[] {
  return Array.from({ length: count }, (_, i) => ({
    epoch: i + 1,
    trainLoss: 1 / (i + 2),
    trainAccuracy: 0.5 + i * 0.04,
    valLoss: 1.1 / (i + 2),
    valAccuracy: 0.48 + i * 0.04,
    imagesPerSecond: 1200,
    elapsedMs: (i + 1) * 50_000,
    ...overrides,
  }));
}

/** `pointsPerEpoch` batch-loss points per epoch for `epochs` epochs, x in fractional epochs. */
export function makeBatchLoss(epochs: number, pointsPerEpoch = 4): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let i = 1; i <= epochs * pointsPerEpoch; i++) {
    const x = i / pointsPerEpoch;
    points.push({ x, y: 2.3 / (1 + x) });
  }
  return points;
}

export type RecordOverrides = Omit<Partial<RunRecord>, 'settings'> & {
  /** Merged over the book's defaults, so `{ learningRate: 0.1 }` is enough. */
  settings?: Partial<Settings>;
};

let fixtureCount = 0;

/**
 * A finished ('done') run with the book's settings, 3 epochs of metrics and their batch loss,
 * unless overridden. Ids and start times are unique and increase with each call, so records
 * made in order are in start order.
 */
export function makeRecord(overrides: RecordOverrides = {}): RunRecord {
  fixtureCount += 1;
  const startedAt = overrides.startedAt ?? 1_764_108_000_000 + fixtureCount * 1000;
  const { settings, ...rest } = overrides;
  return {
    version: RUN_RECORD_VERSION,
    id: `run-${startedAt}-${fixtureCount}`,
    name: '',
    settings: { ...DEFAULT_SETTINGS, ...settings },
    startedAt,
    endedAt: startedAt + 151_000,
    status: 'done',
    statusMessage: null,
    backend: 'webgpu',
    adapter: 'test adapter',
    kernels: 'stock',
    batchesPerEpoch: 469,
    elapsedMs: 150_000,
    batchLoss: makeBatchLoss(3),
    epochMetrics: makeEpochMetrics(3),
    learningRateChanges: [],
    peakTensorBytes: 50_000_000,
    exercise: null,
    ...rest,
  };
}
