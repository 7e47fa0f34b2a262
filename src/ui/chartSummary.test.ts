import { describe, expect, it } from 'vitest';
import { overlaySeries } from '../history/compare.ts';
import { makeEpochMetrics, makeRecord } from '../../test/fixtures/runRecords.ts';
import {
  accuracySummary,
  lossSummary,
  NO_RUNS_SUMMARY,
  throughputSummary,
} from './chartSummary.ts';

const tiny = { imageSize: 65, width: 0.1, epochs: 4 };

/** Two runs of the learning-rate exercise: one learned, one is still in its first epoch. */
function twoRuns() {
  const learned = makeRecord({
    settings: { ...tiny, learningRate: 0.1 },
    epochMetrics: [
      ...makeEpochMetrics(3),
      ...makeEpochMetrics(1, {
        epoch: 4,
        trainLoss: 0.7512,
        trainAccuracy: 0.7304,
        valLoss: 0.8123,
        valAccuracy: 0.712,
      }),
    ],
  });
  const starting = makeRecord({
    settings: { ...tiny, learningRate: 0.0001 },
    epochMetrics: [],
    batchLoss: [
      { x: 0.125, y: 2.31 },
      { x: 0.25, y: 2.3026 },
    ],
  });
  return overlaySeries([learned, starting]);
}

describe('chart summaries', () => {
  it('give each run’s latest epoch values under its label', () => {
    const series = twoRuns();
    expect(accuracySummary(series)).toBe(
      'Latest: lr 0.1: validation accuracy 71.2%, training accuracy 73.0% at epoch 4; ' +
        'lr 0.0001: no epoch finished yet.',
    );
    expect(lossSummary(series)).toBe(
      'Latest: lr 0.1: training loss 0.751, validation loss 0.812 at epoch 4; ' +
        'lr 0.0001: training loss 2.303 at epoch 0.25.',
    );
  });

  it('follow the series: a new epoch changes the summary', () => {
    const record = makeRecord({ settings: tiny, epochMetrics: makeEpochMetrics(1) });
    const before = accuracySummary(overlaySeries([record]));
    record.epochMetrics = makeEpochMetrics(2);
    const after = accuracySummary(overlaySeries([record]));
    expect(before).toContain('at epoch 1');
    expect(after).toContain('validation accuracy 52.0%, training accuracy 54.0% at epoch 2');
  });

  it('say so when there is nothing to summarise', () => {
    expect(lossSummary([])).toBe(NO_RUNS_SUMMARY);
    expect(accuracySummary([])).toBe(NO_RUNS_SUMMARY);
    const empty = overlaySeries([makeRecord({ epochMetrics: [], batchLoss: [] })]);
    expect(lossSummary(empty)).toBe('Latest: book settings: no loss yet.');
    expect(throughputSummary([], [], null)).toBe('No run yet.');
  });

  it('give the latest speed and memory, and the peak', () => {
    expect(
      throughputSummary(
        [
          { x: 0.5, y: 40 },
          { x: 1.5, y: 59.94 },
        ],
        [{ x: 1.5, y: 12.34 }],
        15_000_000,
      ),
    ).toBe('Latest: 59.9 images per second at epoch 1.50, tensors hold 12.3 MB (peak 15.0 MB).');
    expect(throughputSummary([{ x: 2, y: 1234 }], [], null)).toBe(
      'Latest: 1,234 images per second at epoch 2.',
    );
  });
});
