import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import {
  BOOK_SETTINGS_LABEL,
  BROWSER_LABEL,
  colorForRun,
  comparisonRows,
  distinguishingSettings,
  overlaySeries,
  PYTORCH_LABEL,
  ranOnLabel,
  RUN_COLORS,
  runLabel,
  runLabels,
  SETTING_KEYS_IN_ORDER,
  settingsDifferences,
  settingsSummary,
} from './compare.ts';
import { expandExercise } from './exercises.ts';
import type { RunRecord } from './runRecord.ts';
import { makeEpochMetrics, makeRecord } from '../../test/fixtures/runRecords.ts';

const small: Partial<Settings> = { imageSize: 65, width: 0.1, epochs: 3 };

/** One record per run of the exercise, over `base`, started in order. */
function exerciseRecords(id: string, base: Partial<Settings> = small): RunRecord[] {
  const result = expandExercise(id, { ...DEFAULT_SETTINGS, ...base });
  if (!result.ok) throw new Error(result.message);
  return result.runs.map((settings) => makeRecord({ settings }));
}

describe('SETTING_KEYS_IN_ORDER', () => {
  it('holds every setting once', () => {
    expect([...SETTING_KEYS_IN_ORDER].sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
  });
});

describe('settingsDifferences', () => {
  it('is empty for the book’s settings', () => {
    expect(settingsDifferences({ ...DEFAULT_SETTINGS })).toEqual([]);
  });

  it.each<[Partial<Settings>, string]>([
    [{ learningRate: 0.1 }, 'lr 0.1'],
    [{ learningRate: 0.0001 }, 'lr 0.0001'],
    [{ dropout: 0.7 }, 'dropout 0.7'],
    [{ dropout: 0 }, 'no dropout'],
    [{ batchSize: 64 }, 'batch 64'],
    [{ epochs: 3 }, '3 epochs'],
    [{ epochs: 1 }, '1 epoch'],
    [{ imageSize: 65 }, '65 px'],
    [{ width: 0.1 }, 'width 0.1'],
    [{ trainExamples: 128 }, '128 train'],
    [{ testExamples: 64 }, '64 test'],
    [{ seed: 2 }, 'seed 2'],
    [{ dropConv: 'conv4' }, 'no conv4'],
    [{ batchNorm: 'on' }, 'batch norm'],
    [{ activation: 'sigmoid' }, 'sigmoid'],
    [{ lrn: 'on' }, 'LRN'],
    [{ backend: 'webgl' }, 'webgl'],
    [{ backend: 'cpu' }, 'cpu'],
    [{ kernels: 'stock' }, 'stock kernels'],
    [{ kernels: 'optimized' }, 'optimized kernels'],
  ])('%j reads %s', (change, label) => {
    expect(settingsDifferences({ ...DEFAULT_SETTINGS, ...change })).toEqual([label]);
  });

  it('lists several differences in the order of the settings', () => {
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      kernels: 'stock',
      seed: 2,
      imageSize: 65,
      learningRate: 0.1,
      batchNorm: 'on',
    };
    expect(settingsDifferences(settings)).toEqual([
      'lr 0.1',
      '65 px',
      'seed 2',
      'batch norm',
      'stock kernels',
    ]);
  });

  it('compares with another baseline and names the value, not the change', () => {
    const baseline: Settings = { ...DEFAULT_SETTINGS, dropConv: 'conv3', batchNorm: 'on' };
    expect(settingsDifferences({ ...DEFAULT_SETTINGS }, baseline)).toEqual([
      'all convs',
      'no batch norm',
    ]);
    const sigmoid: Settings = { ...DEFAULT_SETTINGS, activation: 'sigmoid', lrn: 'on' };
    expect(settingsDifferences({ ...DEFAULT_SETTINGS }, sigmoid)).toEqual(['relu', 'no LRN']);
  });
});

describe('runLabels and runLabel', () => {
  it('labels an exercise’s runs by what differs among them, not what they share', () => {
    const records = exerciseRecords('learning-rate');
    expect(runLabels(records)).toEqual(['lr 0.1', 'lr 0.01', 'lr 0.001', 'lr 0.0001']);
    expect(runLabel(records[2], records)).toBe('lr 0.001');
  });

  it.each([
    ['dropout', ['dropout 0.3', 'dropout 0.5', 'dropout 0.7']],
    ['batch-size', ['batch 64', 'batch 128', 'batch 256']],
    ['simplify', ['no conv3', 'no conv4', 'no conv5', 'all convs']],
    ['batch-norm', ['no batch norm', 'batch norm']],
    ['activation', ['relu', 'sigmoid']],
  ])('labels the %s exercise %j', (id, labels) => {
    expect(runLabels(exerciseRecords(id))).toEqual(labels);
  });

  it('combines every setting that varies, in settings order', () => {
    const records = [
      makeRecord({ settings: { ...small, learningRate: 0.1, seed: 2 } }),
      makeRecord({ settings: { ...small, learningRate: 0.01, seed: 3 } }),
    ];
    expect(runLabels(records)).toEqual(['lr 0.1, seed 2', 'lr 0.01, seed 3']);
  });

  it('uses a run’s name when it has one, and derives the others’ labels', () => {
    const records = exerciseRecords('dropout');
    records[1] = { ...records[1], name: '  the book’s run ' };
    expect(runLabels(records)).toEqual(['dropout 0.3', 'the book’s run', 'dropout 0.7']);
    records[0] = { ...records[0], name: '   ' };
    expect(runLabel(records[0], records)).toBe('dropout 0.3');
  });

  it('falls back to differences from the book when nothing differs among the runs', () => {
    const lone = makeRecord({ settings: small });
    expect(runLabel(lone, [lone])).toBe('3 epochs, 65 px, width 0.1');
    expect(runLabel(lone, [])).toBe('3 epochs, 65 px, width 0.1');
    const book = makeRecord();
    expect(runLabel(book, [book])).toBe(BOOK_SETTINGS_LABEL);
  });

  it('numbers identical runs in start order, whatever order they are listed in', () => {
    const first = makeRecord({ settings: small, startedAt: 1000 });
    const second = makeRecord({ settings: small, startedAt: 2000 });
    const third = makeRecord({ settings: small, startedAt: 3000 });
    const listed = [third, first, second];
    expect(runLabels(listed)).toEqual([
      '3 epochs, 65 px, width 0.1 #3',
      '3 epochs, 65 px, width 0.1',
      '3 epochs, 65 px, width 0.1 #2',
    ]);
    expect(runLabel(second, listed)).toBe('3 epochs, 65 px, width 0.1 #2');
  });

  it('numbers repeats among runs that otherwise differ, and repeated names', () => {
    const a = makeRecord({ settings: { learningRate: 0.1 } });
    const b = makeRecord({ settings: { learningRate: 0.01 } });
    const aAgain = makeRecord({ settings: { learningRate: 0.1 } });
    expect(runLabels([a, b, aAgain])).toEqual(['lr 0.1', 'lr 0.01', 'lr 0.1 #2']);
    const named = [makeRecord({ name: 'mine' }), makeRecord({ name: 'mine' })];
    expect(runLabels(named)).toEqual(['mine', 'mine #2']);
  });

  it('never gives a suffixed label that equals another run’s name', () => {
    const records = [
      makeRecord({ name: 'x' }),
      makeRecord({ name: 'x' }),
      makeRecord({ name: 'x #2' }),
    ];
    const labels = runLabels(records);
    expect(labels).toEqual(['x', 'x #3', 'x #2']);
    expect(new Set(labels).size).toBe(3);
  });

  it('labels a run not in the list as if it were added at the end', () => {
    const [a, b] = exerciseRecords('activation');
    expect(runLabel(b, [a])).toBe('sigmoid');
  });

  it('labels are unique for many runs', () => {
    const records = Array.from({ length: 50 }, (_, i) =>
      makeRecord({ settings: { seed: i % 5 }, name: i % 7 === 0 ? 'named' : '' }),
    );
    expect(new Set(runLabels(records)).size).toBe(50);
  });
});

describe('distinguishingSettings', () => {
  it('is the varying settings, or each run’s differences from the book', () => {
    const records = exerciseRecords('batch-norm');
    expect(distinguishingSettings(records)).toEqual([['no batch norm'], ['batch norm']]);
    expect(distinguishingSettings([records[1]])).toEqual([
      ['3 epochs', '65 px', 'width 0.1', 'batch norm'],
    ]);
    expect(distinguishingSettings([])).toEqual([]);
  });
});

describe('colours', () => {
  it('offers ten distinct hex colours and wraps around', () => {
    expect(RUN_COLORS).toHaveLength(10);
    expect(new Set(RUN_COLORS).size).toBe(10);
    for (const color of RUN_COLORS) expect(color).toMatch(/^#[0-9a-f]{6}$/);
    expect(colorForRun(0)).toBe(RUN_COLORS[0]);
    expect(colorForRun(9)).toBe(RUN_COLORS[9]);
    expect(colorForRun(10)).toBe(RUN_COLORS[0]);
    expect(colorForRun(23)).toBe(RUN_COLORS[3]);
    expect(colorForRun(-1)).toBe(RUN_COLORS[9]);
    expect(colorForRun(Number.NaN)).toBe(RUN_COLORS[0]);
  });
});

describe('overlaySeries', () => {
  it('gives each run its label, colour, batch loss and per-epoch series in order', () => {
    const records = exerciseRecords('learning-rate');
    records[0].learningRateChanges = [{ x: 1.5, learningRate: 0.05 }];
    const series = overlaySeries(records);
    expect(series.map((s) => s.id)).toEqual(records.map((r) => r.id));
    expect(series.map((s) => s.label)).toEqual(['lr 0.1', 'lr 0.01', 'lr 0.001', 'lr 0.0001']);
    expect(series.map((s) => s.color)).toEqual(RUN_COLORS.slice(0, 4));
    const [first] = series;
    expect(first.batchLoss).toEqual(records[0].batchLoss);
    expect(first.trainLoss).toEqual(
      records[0].epochMetrics.map((m) => ({ x: m.epoch, y: m.trainLoss })),
    );
    expect(first.valLoss[2]).toEqual({ x: 3, y: records[0].epochMetrics[2].valLoss });
    expect(first.trainAccuracy[0]).toEqual({ x: 1, y: records[0].epochMetrics[0].trainAccuracy });
    expect(first.valAccuracy[1]).toEqual({ x: 2, y: records[0].epochMetrics[1].valAccuracy });
    expect(first.learningRateChanges).toEqual([{ x: 1.5, learningRate: 0.05 }]);
  });

  // The chart's copy that does not change with the record is ui/seriesSync.ts's now (tested
  // there): the series share the record's arrays, so a report copies no whole series.
  it('shares the record’s batch loss and epochs instead of copying them', () => {
    const record = makeRecord();
    const [series] = overlaySeries([record]);
    expect(series.batchLoss).toBe(record.batchLoss);
    expect(series.epochMetrics).toBe(record.epochMetrics);
  });

  it('keeps NaN losses of a diverged run and copes with runs without epochs', () => {
    const diverged = makeRecord({
      status: 'diverged',
      epochMetrics: makeEpochMetrics(1, { trainLoss: NaN }),
      batchLoss: [{ x: 0.5, y: Infinity }],
    });
    const fresh = makeRecord({ status: 'running', epochMetrics: [], batchLoss: [] });
    const [a, b] = overlaySeries([diverged, fresh]);
    expect(a.trainLoss).toEqual([{ x: 1, y: NaN }]);
    expect(a.batchLoss).toEqual([{ x: 0.5, y: Infinity }]);
    expect(b.trainLoss).toEqual([]);
    expect(b.batchLoss).toEqual([]);
  });

  it('is empty for no runs', () => {
    expect(overlaySeries([])).toEqual([]);
  });
});

describe('comparisonRows', () => {
  it('summarises each run: label, differences, final and best metrics, speed and time', () => {
    const records = exerciseRecords('dropout');
    records[0].epochMetrics = [
      {
        epoch: 1,
        trainLoss: 0.9,
        trainAccuracy: 0.6,
        valLoss: 0.8,
        valAccuracy: 0.7,
        imagesPerSecond: 1000,
        elapsedMs: 60_000,
      },
      {
        epoch: 2,
        trainLoss: 0.5,
        trainAccuracy: 0.8,
        valLoss: 0.6,
        valAccuracy: 0.85,
        imagesPerSecond: 3000,
        elapsedMs: 90_000,
      },
      {
        epoch: 3,
        trainLoss: 0.4,
        trainAccuracy: 0.86,
        valLoss: 0.7,
        valAccuracy: 0.82,
        imagesPerSecond: 3000,
        elapsedMs: 120_000,
      },
    ];
    records[0].elapsedMs = 123_456;
    records[0].name = 'low dropout';
    const rows = comparisonRows(records);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      id: records[0].id,
      label: 'low dropout',
      color: RUN_COLORS[0],
      status: 'done',
      statusMessage: null,
      differences: ['dropout 0.3'],
      title: 'low dropout (dropout 0.3, 3 epochs, 65 px, width 0.1)',
      finalTrainLoss: 0.4,
      finalTrainAccuracy: 0.86,
      finalValLoss: 0.7,
      finalValAccuracy: 0.82,
      bestValAccuracy: 0.85,
      bestValAccuracyEpoch: 2,
      // Harmonic mean: 3 epochs of N images in N/1000 + N/3000 + N/3000 seconds.
      imagesPerSecond: expect.closeTo(1800, 9),
      elapsedMs: 123_456,
      peakTensorBytes: 50_000_000,
      ranOn: 'webgpu',
      ranOnTitle: 'test adapter',
      epochsDone: 3,
      epochsPlanned: 3,
    });
    expect(rows.map((r) => r.label)).toEqual(['low dropout', 'dropout 0.5', 'dropout 0.7']);
    expect(rows.map((r) => r.differences)).toEqual([
      ['dropout 0.3'],
      ['dropout 0.5'],
      ['dropout 0.7'],
    ]);
  });

  it('has nulls for a run that completed no epoch', () => {
    const failed = makeRecord({
      status: 'failed',
      statusMessage: 'Out of GPU memory',
      epochMetrics: [],
      elapsedMs: 800,
    });
    const [row] = comparisonRows([failed]);
    expect(row).toMatchObject({
      status: 'failed',
      statusMessage: 'Out of GPU memory',
      finalTrainLoss: null,
      finalTrainAccuracy: null,
      finalValLoss: null,
      finalValAccuracy: null,
      bestValAccuracy: null,
      bestValAccuracyEpoch: null,
      imagesPerSecond: null,
      elapsedMs: 800,
      epochsDone: 0,
      epochsPlanned: 10,
    });
  });

  it('keeps a diverged run’s NaN loss, and skips unusable rates and accuracies', () => {
    const diverged = makeRecord({
      status: 'diverged',
      epochMetrics: [
        ...makeEpochMetrics(1, { valAccuracy: 0.3, imagesPerSecond: 500 }),
        ...makeEpochMetrics(1, {
          epoch: 2,
          trainLoss: NaN,
          valLoss: NaN,
          valAccuracy: NaN,
          imagesPerSecond: Infinity,
        }),
      ],
    });
    const [row] = comparisonRows([diverged]);
    expect(row.finalTrainLoss).toBeNaN();
    expect(row.finalValLoss).toBeNaN();
    expect(row.finalValAccuracy).toBeNaN();
    expect(row.bestValAccuracy).toBe(0.3);
    expect(row.bestValAccuracyEpoch).toBe(1);
    expect(row.imagesPerSecond).toBe(500);
  });

  it('takes the first epoch that reached the best accuracy', () => {
    const record = makeRecord({ epochMetrics: makeEpochMetrics(4, { valAccuracy: 0.9 }) });
    expect(comparisonRows([record])[0]).toMatchObject({
      bestValAccuracy: 0.9,
      bestValAccuracyEpoch: 1,
    });
  });

  it('labels and differences of duplicates', () => {
    const a = makeRecord({ settings: small });
    const b = makeRecord({ settings: small });
    const rows = comparisonRows([a, b]);
    expect(rows.map((r) => r.label)).toEqual([
      '3 epochs, 65 px, width 0.1',
      '3 epochs, 65 px, width 0.1 #2',
    ]);
    expect(rows[1].differences).toEqual(['3 epochs', '65 px', 'width 0.1']);
    expect(rows.map((r) => r.color)).toEqual([RUN_COLORS[0], RUN_COLORS[1]]);
  });
});

describe('settingsSummary and the rows’ hover text', () => {
  /** A lone run that differs from the book's in many settings, as a quick tiny run does. */
  const many: Partial<Settings> = {
    learningRate: 0.05,
    batchSize: 32,
    epochs: 2,
    imageSize: 67,
    width: 0.125,
    trainExamples: 256,
    testExamples: 128,
  };
  const manyText = 'lr 0.05, batch 32, 2 epochs, 67 px, width 0.125, 256 train, 128 test';

  it('lists every setting that differs from the book’s, whatever the run is shown with', () => {
    const record = makeRecord({ settings: many });
    expect(settingsSummary(record)).toBe(manyText);
    expect(settingsSummary(makeRecord())).toBe(BOOK_SETTINGS_LABEL);
    expect(settingsSummary(makeRecord({ name: 'mine', settings: { dropConv: 'conv4' } }))).toBe(
      'no conv4',
    );
  });

  it('is a lone run’s whole label, so its title repeats nothing', () => {
    const [row] = comparisonRows([makeRecord({ settings: many })]);
    expect(row.label).toBe(manyText);
    expect(row.title).toBe(manyText);
    expect(comparisonRows([makeRecord()])[0].title).toBe(BOOK_SETTINGS_LABEL);
  });

  it('adds the full settings to a label that names only what differs among the runs', () => {
    const rows = comparisonRows(exerciseRecords('learning-rate', many));
    expect(rows.map((r) => r.label)).toEqual(['lr 0.1', 'lr 0.01', 'lr 0.001', 'lr 0.0001']);
    expect(rows[0].title).toBe(
      'lr 0.1 (lr 0.1, batch 32, 2 epochs, 67 px, width 0.125, 256 train, 128 test)',
    );
    expect(rows[3].title).toBe(
      'lr 0.0001 (lr 0.0001, batch 32, 2 epochs, 67 px, width 0.125, 256 train, 128 test)',
    );
  });

  it('adds the settings to a name, and names a data set other than Fashion-MNIST', () => {
    const named = makeRecord({ name: 'quick', settings: many });
    const digits = makeRecord({
      settings: { ...many, learningRate: 0.1 },
      dataSet: { id: 'upload-1', name: 'MNIST', classNames: Array.from({ length: 10 }, String) },
    });
    const rows = comparisonRows([named, digits]);
    expect(rows.map((r) => r.label)).toEqual(['quick', 'MNIST, lr 0.1']);
    expect(rows[0].title).toBe(`quick (${manyText})`);
    expect(rows[1].title).toBe(
      'MNIST, lr 0.1 (MNIST, lr 0.1, batch 32, 2 epochs, 67 px, width 0.125, 256 train, 128 test)',
    );
  });
});

describe('labels of runs on other data', () => {
  const mnist = {
    id: 'upload-12345678',
    name: 'MNIST',
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
  };

  it('name the data set first when it varies, and a lone run on other data', () => {
    const fashion = makeRecord({ settings: small });
    const digits = makeRecord({ settings: small, dataSet: mnist });
    expect(runLabels([fashion, digits])).toEqual(['Fashion-MNIST', 'MNIST']);
    expect(runLabels([digits])).toEqual(['MNIST, 3 epochs, 65 px, width 0.1']);
    expect(runLabels([fashion])).toEqual(['3 epochs, 65 px, width 0.1']);
    const faster = makeRecord({ settings: { ...small, learningRate: 0.1 }, dataSet: mnist });
    expect(runLabels([digits, faster])).toEqual(['lr 0.01', 'lr 0.1']);
  });
});

describe('runs of the exported PyTorch script', () => {
  const origin = (processes: number, device = 'cpu') => ({
    kind: 'pytorch' as const,
    description: `PyTorch 1.13.1, ${device}${processes > 1 ? `, torchrun ×${processes}` : ''}`,
    device,
    processes,
  });

  it('are named PyTorch beside the browser’s runs of the same settings, and alone', () => {
    const browser = makeRecord({ settings: small });
    const script = makeRecord({ settings: small, origin: origin(2) });
    expect(runLabels([browser, script])).toEqual([BROWSER_LABEL, PYTORCH_LABEL]);
    expect(runLabels([script])).toEqual(['PyTorch, 3 epochs, 65 px, width 0.1']);
    expect(settingsSummary(script)).toBe('PyTorch, 3 epochs, 65 px, width 0.1');
    // Beside runs that differ in settings too, both say where they trained.
    const faster = makeRecord({ settings: { ...small, learningRate: 0.1 } });
    expect(runLabels([faster, script])).toEqual(['browser, lr 0.1', 'PyTorch, lr 0.01']);
    // Among PyTorch runs only, what differs among them.
    const other = makeRecord({ settings: { ...small, learningRate: 0.1 }, origin: origin(1) });
    expect(runLabels([script, other])).toEqual(['lr 0.01', 'lr 0.1']);
  });

  it('say where they ran in the table: device and processes, the description on hover', () => {
    const browser = makeRecord({ settings: small });
    expect(ranOnLabel(browser)).toBe('webgpu');
    expect(ranOnLabel({ ...browser, backend: null })).toBeNull();
    expect(ranOnLabel({ backend: null, origin: origin(2) })).toBe('PyTorch · cpu ×2');
    expect(ranOnLabel({ backend: null, origin: origin(1, 'cuda') })).toBe('PyTorch · cuda');
    const script = makeRecord({
      settings: small,
      backend: null,
      adapter: null,
      origin: origin(4, 'cuda'),
      epochMetrics: makeEpochMetrics(2, { imagesPerSecond: 9000 }),
    });
    const [browserRow, scriptRow] = comparisonRows([browser, script]);
    expect(browserRow).toMatchObject({ ranOn: 'webgpu', ranOnTitle: 'test adapter' });
    expect(scriptRow).toMatchObject({
      label: PYTORCH_LABEL,
      ranOn: 'PyTorch · cuda ×4',
      ranOnTitle: 'PyTorch 1.13.1, cuda, torchrun ×4',
      imagesPerSecond: 9000,
      epochsDone: 2,
    });
  });
});
