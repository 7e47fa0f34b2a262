import type { RunSeries } from '../history/compare.ts';
import type { SeriesPoint } from '../common/types.ts';
import { formatLoss, formatPercent, formatRate } from './format.ts';

/**
 * The charts' text alternatives: one sentence of each chart's latest values, from the series the
 * chart already draws (the last point of each, nothing more), so that it costs next to nothing
 * at every batch report. Screen readers get it as the canvas's description; it is also shown.
 */

/** Whole epochs as "epoch 4"; a point inside an epoch as "epoch 1.25". */
function atEpoch(x: number): string {
  return `epoch ${Number.isInteger(x) ? x : x.toFixed(2)}`;
}

export const NO_RUNS_SUMMARY = 'No run shown yet.';

/**
 * Per run: the training and validation loss of its last finished epoch, or, within its first
 * epoch, its latest training loss.
 */
export function lossSummary(series: readonly RunSeries[]): string {
  if (series.length === 0) return NO_RUNS_SUMMARY;
  const parts = series.map((run) => {
    const train = run.trainLoss.at(-1);
    const validation = run.valLoss.at(-1);
    if (train !== undefined && validation !== undefined) {
      return (
        `${run.label}: training loss ${formatLoss(train.y)}, ` +
        `validation loss ${formatLoss(validation.y)} at ${atEpoch(validation.x)}`
      );
    }
    const batch: SeriesPoint | undefined = run.batchLoss.at(-1);
    if (batch !== undefined) {
      return `${run.label}: training loss ${formatLoss(batch.y)} at ${atEpoch(batch.x)}`;
    }
    return `${run.label}: no loss yet`;
  });
  return `Latest: ${parts.join('; ')}.`;
}

/** Per run: the validation and training accuracy of its last finished epoch. */
export function accuracySummary(series: readonly RunSeries[]): string {
  if (series.length === 0) return NO_RUNS_SUMMARY;
  const parts = series.map((run) => {
    const train = run.trainAccuracy.at(-1);
    const validation = run.valAccuracy.at(-1);
    if (train === undefined || validation === undefined) {
      return `${run.label}: no epoch finished yet`;
    }
    return (
      `${run.label}: validation accuracy ${formatPercent(validation.y)}, ` +
      `training accuracy ${formatPercent(train.y)} at ${atEpoch(validation.x)}`
    );
  });
  return `Latest: ${parts.join('; ')}.`;
}

/** The latest run's latest speed and tensor memory, and the most its tensors held. */
export function throughputSummary(
  throughput: readonly SeriesPoint[],
  tensorMegabytes: readonly SeriesPoint[],
  peakTensorBytes: number | null,
): string {
  const rate = throughput.at(-1);
  const memory = tensorMegabytes.at(-1);
  if (rate === undefined && memory === undefined) return 'No run yet.';
  const parts: string[] = [];
  if (rate !== undefined) {
    parts.push(`${formatRate(rate.y)} images per second at ${atEpoch(rate.x)}`);
  }
  if (memory !== undefined) {
    parts.push(
      `tensors hold ${memory.y.toFixed(1)} MB` +
        (peakTensorBytes === null ? '' : ` (peak ${(peakTensorBytes / 1e6).toFixed(1)} MB)`),
    );
  }
  return `Latest: ${parts.join(', ')}.`;
}
