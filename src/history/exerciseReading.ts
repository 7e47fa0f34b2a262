import { NUM_CLASSES } from '../config/settings.ts';
import { runLabels } from './compare.ts';
import { findExercise } from './exercises.ts';
import type { RunRecord } from './runRecord.ts';

/**
 * One line that reads an exercise's result off its runs, e.g. "lr 0.1 reached 71% validation
 * accuracy; lr 0.0001 stayed at 10%: too small to move in 4 epochs." Pure: the records in, a
 * sentence out, so the wording is unit-tested.
 */

/** Accuracy of guessing: one class in ten. */
export const CHANCE_ACCURACY = 1 / NUM_CLASSES;
/** A run at most this far above chance has not learned anything visible. */
export const NEAR_CHANCE_MARGIN = 0.05;

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

interface RunResult {
  label: string;
  record: RunRecord;
  valAccuracy: number | null;
  trainAccuracy: number | null;
  epochs: number;
}

/**
 * The reading of one exercise's runs (those it queued, in queue order), or null while any of
 * them has not ended or none finished an epoch.
 */
export function exerciseReading(exerciseId: string, records: readonly RunRecord[]): string | null {
  if (records.length === 0 || records.some((record) => record.status === 'running')) return null;
  const labels = runLabels(records);
  const results: RunResult[] = records.map((record, i) => {
    const last = record.epochMetrics.at(-1);
    return {
      label: labels[i],
      record,
      valAccuracy: last?.valAccuracy ?? null,
      trainAccuracy: last?.trainAccuracy ?? null,
      epochs: record.epochMetrics.length,
    };
  });
  if (results.every((result) => result.valAccuracy === null)) return null;
  const parts: string[] = [];
  const trained = results.filter((r) => r.valAccuracy !== null);
  const learned = trained
    .filter((r) => (r.valAccuracy as number) > CHANCE_ACCURACY + NEAR_CHANCE_MARGIN)
    .sort((a, b) => (b.valAccuracy as number) - (a.valAccuracy as number));
  const stuck = trained.filter((r) => !learned.includes(r));
  const ended = results.filter(
    (r) => r.record.status === 'diverged' || r.record.status === 'failed',
  );

  if (learned.length > 0) {
    parts.push(
      learned
        .map((r, i) => `${r.label} ${i === 0 ? 'reached ' : ''}${percent(r.valAccuracy as number)}`)
        .join(', ') + ' validation accuracy',
    );
  }
  if (stuck.length > 0) {
    const epochs = Math.max(...stuck.map((r) => r.epochs));
    const why =
      exerciseId === 'learning-rate'
        ? `too small to move in ${epochs} epoch${epochs === 1 ? '' : 's'}`
        : `no learning in ${epochs} epoch${epochs === 1 ? '' : 's'}`;
    const accuracies = listText(stuck.map((r) => percent(r.valAccuracy as number)));
    parts.push(
      `${listText(stuck.map((r) => r.label))} stayed at ${accuracies}, about chance: ${why}`,
    );
  }
  for (const r of ended) {
    parts.push(`${r.label} ${r.record.status} (${r.record.statusMessage ?? 'no message'})`);
  }
  const extra = exerciseExtra(exerciseId, trained);
  if (extra !== null) parts.push(extra);
  const title = findExercise(exerciseId)?.title ?? 'Exercise';
  return `${title}: ${parts.join('; ')}.`;
}

/** What each exercise is about, beyond accuracy. */
function exerciseExtra(exerciseId: string, trained: readonly RunResult[]): string | null {
  switch (exerciseId) {
    case 'dropout': {
      // Overfitting shows as training accuracy above validation accuracy.
      const gaps = trained
        .filter((r) => r.trainAccuracy !== null)
        .map((r) => {
          const gap = ((r.trainAccuracy as number) - (r.valAccuracy as number)) * 100;
          return `${r.label} ${gap >= 0 ? '+' : '−'}${Math.abs(gap).toFixed(0)}`;
        });
      return gaps.length > 0
        ? `training minus validation accuracy, in points (overfitting): ${gaps.join(', ')}`
        : null;
    }
    case 'batch-size': {
      const speeds = trained
        .map((r) => {
          const last = r.record.epochMetrics.at(-1);
          return last === undefined ? null : `${r.label} ${Math.round(last.imagesPerSecond)}`;
        })
        .filter((text) => text !== null);
      return speeds.length > 0 ? `training images per second: ${speeds.join(', ')}` : null;
    }
    default:
      return null;
  }
}
