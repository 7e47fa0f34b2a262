import { describe, expect, it } from 'vitest';
import { exerciseReading } from './exerciseReading.ts';
import { makeEpochMetrics, makeRecord } from '../../test/fixtures/runRecords.ts';

const exercise = { id: 'learning-rate', title: 'Learning rate' };

function lrRun(learningRate: number, valAccuracy: number, trainAccuracy = valAccuracy) {
  return makeRecord({
    settings: { learningRate, imageSize: 65, width: 0.1, epochs: 4 },
    exercise,
    epochMetrics: makeEpochMetrics(4).map((m, i) =>
      i === 3 ? { ...m, valAccuracy, trainAccuracy } : m,
    ),
  });
}

describe('exerciseReading', () => {
  it('reads the learning-rate exercise: who learned, who stayed at chance and why', () => {
    const runs = [lrRun(0.1, 0.712), lrRun(0.01, 0.35), lrRun(0.001, 0.11), lrRun(0.0001, 0.1)];
    expect(exerciseReading('learning-rate', runs)).toBe(
      'Learning rate: lr 0.1 reached 71%, lr 0.01 35% validation accuracy; lr 0.001 and ' +
        'lr 0.0001 stayed at 11% and 10%, about chance: too small to move in 4 epochs.',
    );
  });

  it('waits until every run has ended', () => {
    const runs = [lrRun(0.1, 0.7), { ...lrRun(0.01, 0.3), status: 'running' as const }];
    expect(exerciseReading('learning-rate', runs)).toBeNull();
  });

  it('names a diverged run and its message', () => {
    const diverged = { ...lrRun(1, 0.1), status: 'diverged' as const, statusMessage: 'NaN' };
    expect(exerciseReading('learning-rate', [lrRun(0.1, 0.6), diverged])).toContain(
      'lr 1 diverged (NaN)',
    );
  });

  it('reads overfitting off the dropout exercise', () => {
    const run = (dropout: number, train: number, val: number) =>
      makeRecord({
        settings: { dropout },
        exercise: { id: 'dropout', title: 'Dropout' },
        epochMetrics: makeEpochMetrics(2).map((m, i) =>
          i === 1 ? { ...m, trainAccuracy: train, valAccuracy: val } : m,
        ),
      });
    expect(exerciseReading('dropout', [run(0.3, 0.8, 0.7), run(0.7, 0.6, 0.65)])).toBe(
      'Dropout: dropout 0.3 reached 70%, dropout 0.7 65% validation accuracy; training minus ' +
        'validation accuracy, in points (overfitting): dropout 0.3 +10, dropout 0.7 −5.',
    );
  });

  it('gives the batch-size exercise’s speeds', () => {
    const run = (batchSize: number) =>
      makeRecord({
        settings: { batchSize },
        exercise: { id: 'batch-size', title: 'Batch size' },
        epochMetrics: makeEpochMetrics(2, { imagesPerSecond: batchSize * 2 }),
      });
    expect(exerciseReading('batch-size', [run(16), run(64)])).toContain(
      'training images per second: batch 16 32, batch 64 128',
    );
  });
});
