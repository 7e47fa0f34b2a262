import { describe, expect, it } from 'vitest';
import {
  assignFreshIds,
  csvNumberCell,
  csvTextCell,
  exportRunsJson,
  importSizeProblem,
  MAX_BATCH_LOSS_POINTS,
  MAX_EPOCH_METRICS,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_RUNS,
  METRICS_CSV_COLUMNS,
  parseRunsJson,
  runsMetricsCsv,
  RUNS_EXPORT_FORMAT,
  type ParseRunsResult,
} from './exportImport.ts';
import type { RunRecord } from './runRecord.ts';
import { makeBatchLoss, makeEpochMetrics, makeRecord } from '../../test/fixtures/runRecords.ts';

const NOW = new Date('2025-11-26T10:00:00.000Z');

function sampleRuns(): RunRecord[] {
  return [
    makeRecord({ settings: { learningRate: 0.1, imageSize: 65, width: 0.1 } }),
    makeRecord({
      name: 'Quotes "and", commas — and ünïcode ✓',
      settings: { learningRate: 0.0001, dropConv: 'conv4', batchNorm: 'on', lrn: 'on' },
      status: 'stopped',
      statusMessage: 'Stopped by you after epoch 2.',
      endedAt: null,
      backend: null,
      adapter: null,
      kernels: null,
      batchesPerEpoch: null,
      epochMetrics: makeEpochMetrics(2),
      batchLoss: makeBatchLoss(2, 50),
      learningRateChanges: [{ x: 1.25, learningRate: 0.001 }],
      exercise: { id: 'learning-rate', title: 'Learning rate' },
    }),
    makeRecord({ status: 'failed', statusMessage: 'GPU lost', epochMetrics: [], batchLoss: [] }),
  ];
}

/** The envelope of a valid export, as a plain object a test can break. */
function envelope(runs: RunRecord[] = sampleRuns()): Record<string, unknown> & {
  runs: Record<string, unknown>[];
} {
  return JSON.parse(exportRunsJson(runs, NOW));
}

function refused(result: ParseRunsResult): string {
  if (result.ok) throw new Error('expected the import to be refused');
  return result.message;
}

function parseObject(value: unknown): ParseRunsResult {
  return parseRunsJson(JSON.stringify(value));
}

describe('exportRunsJson', () => {
  it('writes the versioned envelope', () => {
    const runs = sampleRuns();
    const parsed = JSON.parse(exportRunsJson(runs, NOW));
    expect(Object.keys(parsed)).toEqual(['format', 'version', 'exportedAt', 'runs']);
    expect(parsed.format).toBe(RUNS_EXPORT_FORMAT);
    expect(parsed.version).toBe(1);
    expect(parsed.exportedAt).toBe('2025-11-26T10:00:00.000Z');
    expect(parsed.runs).toHaveLength(3);
    expect(parsed.runs[0].id).toBe(runs[0].id);
  });

  it('is readable: one key per line, one point or epoch per line, and compact', () => {
    const text = exportRunsJson(sampleRuns(), NOW);
    expect(text.startsWith('{\n  "format": "alexnet-playground-runs",\n  "version": 1,')).toBe(
      true,
    );
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n        {"x":0.02,"y":');
    expect(text).toContain('\n        {"epoch":1,"trainLoss":0.5,');
    expect(text).toContain('\n        "learningRate": 0.1,\n');
    expect(text).toContain('"epochMetrics": [],');
    expect(text.length).toBeLessThan(JSON.stringify(JSON.parse(text), null, 2).length * 0.7);
  });

  it('writes an empty list of runs', () => {
    const text = exportRunsJson([], NOW);
    expect(JSON.parse(text).runs).toEqual([]);
    expect(parseRunsJson(text)).toEqual({ ok: true, runs: [] });
  });

  it('does not change the records', () => {
    const runs = sampleRuns();
    const copy = structuredClone(runs);
    exportRunsJson(runs, NOW);
    expect(runs).toEqual(copy);
  });
});

describe('parseRunsJson round trip', () => {
  it('reads back what was exported, equal field by field', () => {
    const runs = sampleRuns();
    const result = parseRunsJson(exportRunsJson(runs, NOW));
    expect(result).toEqual({ ok: true, runs });
  });

  it('keeps a record’s revision, and reads a record without one (older files) without it', () => {
    const [withRevision, without] = sampleRuns();
    const result = parseRunsJson(exportRunsJson([{ ...withRevision, revision: 12 }, without], NOW));
    if (!result.ok) throw new Error(result.message);
    expect(result.runs[0].revision).toBe(12);
    expect('revision' in result.runs[1]).toBe(false);
  });

  it('round-trips every status but running, and large, tiny and negative numbers', () => {
    const runs = (['done', 'stopped', 'diverged', 'failed', 'interrupted'] as const).map((status) =>
      makeRecord({
        status,
        settings: { learningRate: 1e-7, seed: 2 ** 31 - 1, width: 0.123456789 },
        batchLoss: [
          { x: 0.1 + 0.2, y: 1e-300 },
          { x: 0, y: -123456789.123 },
        ],
        learningRateChanges: [{ x: 0.5, learningRate: 3e-5 }],
      }),
    );
    expect(parseRunsJson(exportRunsJson(runs, NOW))).toEqual({ ok: true, runs });
  });

  it('writes non-finite metrics as null and reads them back as NaN', () => {
    const diverged = makeRecord({
      status: 'diverged',
      statusMessage: 'The loss is not a number.',
      batchLoss: [
        { x: 0.5, y: 2.3 },
        { x: 1, y: NaN },
        { x: 1.5, y: Infinity },
      ],
      epochMetrics: makeEpochMetrics(1, {
        trainLoss: NaN,
        valLoss: -Infinity,
        imagesPerSecond: Infinity,
      }),
    });
    const text = exportRunsJson([diverged], NOW);
    expect(text).toContain('{"x":1,"y":null}');
    expect(text).toContain('"trainLoss":null');
    expect(text).not.toMatch(/NaN|Infinity/);
    const result = parseRunsJson(text);
    if (!result.ok) throw new Error(result.message);
    const [run] = result.runs;
    expect(run.batchLoss[0].y).toBe(2.3);
    expect(run.batchLoss[1].y).toBeNaN();
    expect(run.batchLoss[2].y).toBeNaN(); // Infinity is not kept: NaN stands for both.
    expect(run.epochMetrics[0].trainLoss).toBeNaN();
    expect(run.epochMetrics[0].valLoss).toBeNaN();
    expect(run.epochMetrics[0].imagesPerSecond).toBeNaN();
    expect(run.epochMetrics[0].trainAccuracy).toBe(diverged.epochMetrics[0].trainAccuracy);
  });

  it('keeps where a run trained outside the page, and reads runs without it as the page’s', () => {
    const origin = {
      kind: 'pytorch' as const,
      description: 'PyTorch 1.13.1, cpu, torchrun ×2',
      device: 'cpu',
      processes: 2,
    };
    const [outside, browser] = [makeRecord({ backend: null, adapter: null, origin }), makeRecord()];
    const result = parseRunsJson(exportRunsJson([outside, browser], NOW));
    expect(result).toEqual({ ok: true, runs: [outside, browser] });
    if (!result.ok) return;
    expect('origin' in result.runs[1]).toBe(false);
    // Unknown fields of the origin are dropped, as everywhere.
    const file = envelope([outside]);
    (file.runs[0].origin as Record<string, unknown>).hostname = 'gpu-7';
    const read = parseObject(file);
    if (!read.ok) throw new Error(read.message);
    expect(read.runs[0].origin).toEqual(origin);
  });

  it('turns a run exported while running into an interrupted one', () => {
    const running = makeRecord({ status: 'running', endedAt: null });
    const result = parseRunsJson(exportRunsJson([running], NOW));
    expect(result).toEqual({ ok: true, runs: [{ ...running, status: 'interrupted' }] });
  });

  it('drops fields it does not know, at every level', () => {
    const file = envelope();
    file.extra = 'ignored';
    file.runs[0].colour = 'red';
    (file.runs[0].settings as Record<string, unknown>).momentum = 0.9;
    (file.runs[0].epochMetrics as Record<string, unknown>[])[0].note = 'x';
    (file.runs[0].batchLoss as Record<string, unknown>[])[0].z = 1;
    const result = parseObject(file);
    expect(result).toEqual({ ok: true, runs: sampleRuns().map(() => expect.anything()) });
    if (!result.ok) return;
    expect(result.runs[0]).not.toHaveProperty('colour');
    expect(result.runs[0].settings).not.toHaveProperty('momentum');
    expect(result.runs[0].epochMetrics[0]).not.toHaveProperty('note');
    expect(result.runs[0].batchLoss[0]).not.toHaveProperty('z');
  });

  it('lets no __proto__, constructor or prototype key into the records', () => {
    const run = JSON.stringify(makeRecord()).replace(
      /^\{/,
      '{"__proto__":{"polluted":true,"status":"running"},"constructor":{"prototype":{"polluted":true}},',
    );
    const withNested = run
      .replace('"settings":{', '"settings":{"__proto__":{"polluted":true},')
      .replace('"epochMetrics":[{', '"epochMetrics":[{"__proto__":{"polluted":true},');
    const text = `{"__proto__":{"polluted":true},"format":"${RUNS_EXPORT_FORMAT}","version":1,"runs":[${withNested}]}`;
    const result = parseRunsJson(text);
    if (!result.ok) throw new Error(result.message);
    const [record] = result.runs;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.hasOwn(record, '__proto__')).toBe(false);
    expect(Object.hasOwn(record.settings, '__proto__')).toBe(false);
    expect(Object.hasOwn(record.epochMetrics[0], '__proto__')).toBe(false);
    expect((record as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect((record.settings as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(record.status).toBe('done');
  });

  it('does not take a missing field from a __proto__ key', () => {
    const file = envelope();
    delete file.runs[0].name;
    const text = JSON.stringify(file).replace('"runs":[{', '"runs":[{"__proto__":{"name":"x"},');
    expect(refused(parseRunsJson(text))).toContain('Run 1: name is missing');
  });
});

describe('parseRunsJson refusals', () => {
  it('refuses text that is not JSON, with the parser’s reason', () => {
    expect(refused(parseRunsJson('{"format": '))).toMatch(/^The file is not JSON: .+\.$/);
    expect(refused(parseRunsJson(''))).toMatch(/^The file is not JSON: /);
    expect(refused(parseRunsJson('runs,epoch\n1,2'))).toMatch(/^The file is not JSON: /);
  });

  it('refuses text over the size limit before parsing, giving size and limit', () => {
    const tooLong = ' '.repeat(MAX_IMPORT_BYTES + 1);
    expect(refused(parseRunsJson(tooLong))).toBe(
      'The file is 20000001 bytes; files up to 20.0 MB can be imported.',
    );
    // Under the limit in characters, over it in UTF-8 bytes (3 bytes each).
    const wide = `"${'€'.repeat(7_000_000)}"`;
    expect(refused(parseRunsJson(wide))).toBe(
      'The file is 21.0 MB; files up to 20.0 MB can be imported.',
    );
    // Exactly at the limit is parsed (and then refused for what it holds, not its size).
    const atLimit = `"${'x'.repeat(MAX_IMPORT_BYTES - 2)}"`;
    expect(refused(parseRunsJson(atLimit))).toMatch(/^The file holds the text/);
  });

  it('importSizeProblem checks a file size before reading it', () => {
    expect(importSizeProblem(0)).toBeNull();
    expect(importSizeProblem(MAX_IMPORT_BYTES)).toBeNull();
    expect(importSizeProblem(25_300_000)).toBe(
      'The file is 25.3 MB; files up to 20.0 MB can be imported.',
    );
  });

  it.each([
    ['null', /^The file holds null; expected an export of runs from this app/],
    ['[]', /^The file holds a list; expected an export/],
    ['"runs"', /^The file holds the text "runs"; expected/],
    ['{}', /^The file's format is missing; expected .*"format": "alexnet-playground-runs"/],
    ['{"format":"other"}', /^The file's format is the text "other"; expected/],
  ])('refuses %s as not an export', (text, message) => {
    expect(refused(parseRunsJson(text))).toMatch(message);
  });

  it('refuses another version of the export', () => {
    const file = envelope();
    file.version = 2;
    expect(refused(parseObject(file))).toBe(
      "The file's version is 2; this app reads version 1 of the runs export.",
    );
    file.version = '1';
    expect(refused(parseObject(file))).toMatch(/version is the text "1"/);
  });

  it('refuses runs that are not a list', () => {
    const file = envelope();
    file.runs = {} as never;
    expect(refused(parseObject(file))).toBe(
      "The file's runs is an object; allowed: a list of runs.",
    );
    delete (file as Record<string, unknown>).runs;
    expect(refused(parseObject(file))).toMatch(/runs is missing/);
  });

  it('refuses more runs than the limit', () => {
    const file = envelope([]);
    file.runs = Array.from({ length: MAX_IMPORT_RUNS + 1 }, () => ({}));
    expect(refused(parseObject(file))).toBe(
      `The file has ${MAX_IMPORT_RUNS + 1} runs; at most ${MAX_IMPORT_RUNS} can be imported at once.`,
    );
  });

  it('names the run (counting from 1), the field and what is allowed', () => {
    const file = envelope();
    delete file.runs[1].elapsedMs;
    file.runs[2].status = 'paused';
    const message = refused(parseObject(file));
    expect(message).toBe(
      'This file cannot be imported. Run 2: elapsedMs is missing; allowed: a finite number of ' +
        '0 or more. Run 3: status is the text "paused"; allowed: one of running, done, stopped, ' +
        'diverged, failed, interrupted.',
    );
  });

  it.each<[string, (run: Record<string, unknown>) => void, string | RegExp]>([
    [
      'another record version',
      (r) => (r.version = 2),
      'Run 1: version is 2; allowed: 1 (the run format this app reads)',
    ],
    ['an empty id', (r) => (r.id = ''), 'Run 1: id is the text ""; allowed: non-empty text'],
    [
      'an origin that is not an object',
      (r) => (r.origin = 'pytorch'),
      'Run 1: origin is the text "pytorch"; allowed: an object with kind, description',
    ],
    [
      'an origin of another kind',
      (r) => (r.origin = { kind: 'jax', description: 'x', device: 'tpu', processes: 1 }),
      'Run 1: origin.kind is the text "jax"; allowed: one of pytorch',
    ],
    [
      'an origin whose description is too long',
      (r) =>
        (r.origin = { kind: 'pytorch', description: 'x'.repeat(201), device: 'cpu', processes: 1 }),
      'Run 1: origin.description is 201 characters long; allowed: non-empty text of at most 200',
    ],
    [
      'an origin with an empty device',
      (r) => (r.origin = { kind: 'pytorch', description: 'x', device: '', processes: 1 }),
      'Run 1: origin.device is the text ""; allowed: non-empty text of at most 20 characters',
    ],
    [
      'an origin of no processes',
      (r) => (r.origin = { kind: 'pytorch', description: 'x', device: 'cpu', processes: 0 }),
      'Run 1: origin.processes is 0; allowed: a whole number of 1 or more',
    ],
    [
      'an origin of too many processes',
      (r) => (r.origin = { kind: 'pytorch', description: 'x', device: 'cpu', processes: 2e6 }),
      'Run 1: origin.processes is 2000000; allowed: a whole number from 1 to 1000000',
    ],
    [
      'a fractional revision',
      (r) => (r.revision = 1.5),
      'Run 1: revision is 1.5; allowed: a whole number of 0 or more',
    ],
    ['a numeric id', (r) => (r.id = 7), 'Run 1: id is 7; allowed: non-empty text'],
    [
      'a name too long',
      (r) => (r.name = 'n'.repeat(201)),
      'Run 1: name is 201 characters long; allowed: text of at most 200 characters',
    ],
    [
      'a status message too long',
      (r) => (r.statusMessage = 'm'.repeat(2001)),
      'Run 1: statusMessage is 2001 characters long; allowed: text of at most 2000 characters',
    ],
    ['a text startedAt', (r) => (r.startedAt = '2025'), 'Run 1: startedAt is the text "2025"'],
    ['a null elapsedMs (NaN)', (r) => (r.elapsedMs = null), 'Run 1: elapsedMs is null'],
    ['a negative elapsedMs', (r) => (r.elapsedMs = -1), 'Run 1: elapsedMs is -1'],
    [
      'a fractional batchesPerEpoch',
      (r) => (r.batchesPerEpoch = 1.5),
      'Run 1: batchesPerEpoch is 1.5; allowed: a whole number of 0 or more',
    ],
    [
      'an unknown backend',
      (r) => (r.backend = 'wasm'),
      'Run 1: backend is the text "wasm"; allowed: one of webgpu, webgl, cpu',
    ],
    [
      'auto kernels (the setting, not what ran)',
      (r) => (r.kernels = 'auto'),
      'Run 1: kernels is the text "auto"; allowed: one of optimized, stock',
    ],
    [
      'a batch-loss list that is not a list',
      (r) => (r.batchLoss = 'none'),
      'Run 1: batchLoss is the text "none"; allowed: a list of at most 20000 entries',
    ],
    [
      'a batch-loss point without x',
      (r) => (r.batchLoss = [{ x: 0.5, y: 1 }, { y: 1 }]),
      'Run 1: batchLoss[1].x is missing; allowed: a finite number',
    ],
    [
      'a batch-loss point that is a number',
      (r) => (r.batchLoss = [3]),
      'Run 1: batchLoss[0] is 3; allowed: an object',
    ],
    [
      'a null x (positions must be finite)',
      (r) => (r.batchLoss = [{ x: null, y: 1 }]),
      'Run 1: batchLoss[0].x is null; allowed: a finite number',
    ],
    [
      'a text loss',
      (r) => (r.epochMetrics = makeEpochMetrics(1, { valLoss: '0.5' as never })),
      'Run 1: epochMetrics[0].valLoss is the text "0.5"; allowed: a number, or null for one that was not finite',
    ],
    [
      'epoch 0',
      (r) => (r.epochMetrics = makeEpochMetrics(1, { epoch: 0 })),
      'Run 1: epochMetrics[0].epoch is 0; allowed: a whole number of 1 or more',
    ],
    [
      'a learning-rate change without a rate',
      (r) => (r.learningRateChanges = [{ x: 1 }]),
      'Run 1: learningRateChanges[0].learningRate is missing',
    ],
    [
      'an exercise that is text',
      (r) => (r.exercise = 'lr'),
      'Run 1: exercise is the text "lr"; allowed: null or {id, title}',
    ],
    [
      'an exercise without a title',
      (r) => (r.exercise = { id: 'dropout' }),
      'Run 1: exercise.title is missing',
    ],
    ['settings missing', (r) => delete r.settings, 'Run 1: settings is missing'],
    [
      'a setting missing',
      (r) => delete (r.settings as Record<string, unknown>).dropout,
      'Run 1: settings.dropout is missing; allowed: a finite number',
    ],
    [
      'a setting as text',
      (r) => ((r.settings as Record<string, unknown>).batchSize = '128'),
      'Run 1: settings.batchSize is the text "128"',
    ],
    [
      'a setting out of range (validateSettings’ message)',
      (r) => ((r.settings as Record<string, unknown>).dropout = 1),
      'Run 1: settings are invalid: Dropout 1 is too large; allowed: a number from 0 up to, but not including, 1',
    ],
    [
      'settings that break a rule between fields',
      (r) => Object.assign(r.settings as object, { batchSize: 256, trainExamples: 128 }),
      'Run 1: settings are invalid: Batch size 256 is larger than the 128 training examples',
    ],
    [
      'an unknown choice',
      (r) => ((r.settings as Record<string, unknown>).activation = 'tanh'),
      'Run 1: settings are invalid: Activation "tanh" is unknown; allowed: relu, sigmoid',
    ],
  ])('refuses %s', (_case, breakRun, message) => {
    const file = envelope([makeRecord()]);
    breakRun(file.runs[0]);
    const text = refused(parseObject(file));
    expect(text.startsWith('This file cannot be imported. ')).toBe(true);
    expect(text).toContain(message);
  });

  it('refuses a run that is not an object', () => {
    const file = envelope([]);
    file.runs = [null, 'run', []] as never;
    expect(refused(parseObject(file))).toBe(
      'This file cannot be imported. Run 1 is null; allowed: an object. Run 2 is the text ' +
        '"run"; allowed: an object. Run 3 is a list; allowed: an object.',
    );
  });

  it('refuses lists longer than their limits', () => {
    const file = envelope([makeRecord()]);
    file.runs[0].batchLoss = makeBatchLoss(1, MAX_BATCH_LOSS_POINTS + 1);
    file.runs[0].epochMetrics = makeEpochMetrics(MAX_EPOCH_METRICS + 1);
    const message = refused(parseObject(file));
    expect(message).toContain(
      'Run 1: batchLoss is a list of 20001 entries; allowed: a list of at most 20000 entries',
    );
    expect(message).toContain(
      'Run 1: epochMetrics is a list of 1001 entries; allowed: a list of at most 1000 entries',
    );
    file.runs[0].batchLoss = makeBatchLoss(1, MAX_BATCH_LOSS_POINTS);
    file.runs[0].epochMetrics = makeEpochMetrics(MAX_EPOCH_METRICS);
    expect(parseObject(file).ok).toBe(true);
  });

  it('refuses duplicate ids inside the file', () => {
    const runs = sampleRuns();
    runs[2] = { ...runs[2], id: runs[0].id };
    expect(refused(parseRunsJson(exportRunsJson(runs, NOW)))).toBe(
      `This file cannot be imported. Run 3 has the same id "${runs[0].id}" as run 1; ` +
        'allowed: a different id for every run in the file.',
    );
  });

  it('lists ten problems and counts the rest', () => {
    const file = envelope([makeRecord()]);
    file.runs[0].batchLoss = Array.from({ length: 25 }, () => ({ x: 'a', y: 1 }));
    const message = refused(parseObject(file));
    expect(message.match(/batchLoss\[\d+\]\.x is the text "a"/g)).toHaveLength(10);
    expect(message).toMatch(/\. And 15 more problems\.$/);
  });

  it('shortens long text it quotes', () => {
    const file = envelope([makeRecord()]);
    file.runs[0].status = 'x'.repeat(5000);
    const message = refused(parseObject(file));
    expect(message).toContain(`status is the text "${'x'.repeat(40)}…"`);
    expect(message.length).toBeLessThan(300);
  });

  it('never throws, whatever the file holds', () => {
    const valid = JSON.stringify(envelope());
    const odd: unknown[] = [null, true, 0, -1, 1e308, '', 'x', [], {}, [null], { a: [] }];
    // Deterministic pseudo-random damage: replace or delete one field at a time, anywhere.
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const damage = (value: unknown, depth: number): unknown => {
      if (typeof value !== 'object' || value === null) return value;
      const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
      const keys = Object.keys(copy);
      if (keys.length === 0) return copy;
      const key = keys[Math.floor(random() * keys.length)];
      if (depth > 0 && random() < 0.6) copy[key] = damage(copy[key], depth - 1);
      else if (random() < 0.2) Reflect.deleteProperty(copy, key);
      else copy[key] = odd[Math.floor(random() * odd.length)];
      return copy;
    };
    for (let i = 0; i < 500; i++) {
      const text = JSON.stringify(damage(JSON.parse(valid), 5));
      const result = parseRunsJson(text);
      if (!result.ok) expect(result.message).toMatch(/^(This file|The file)/);
    }
    for (const text of ['{"runs":', '\u0000', '[[[[[[[[[[', '{"__proto__":null}', 'NaN']) {
      expect(() => parseRunsJson(text)).not.toThrow();
    }
    expect(() => parseRunsJson('['.repeat(100_000) + ']'.repeat(100_000))).not.toThrow();
  });
});

describe('assignFreshIds', () => {
  const counter = () => {
    let n = 0;
    return () => `fresh-${++n}`;
  };

  it('keeps runs whose ids are new, unchanged', () => {
    const runs = sampleRuns();
    const result = assignFreshIds(runs, ['other'], counter());
    expect(result.runs).toEqual(runs);
    expect(result.runs[0]).toBe(runs[0]);
    expect(result.renamed).toEqual([]);
  });

  it('gives clashing runs fresh ids and reports them, without changing the input', () => {
    const runs = sampleRuns();
    const ids = runs.map((r) => r.id);
    const result = assignFreshIds(runs, new Set([ids[0], ids[2]]), counter());
    expect(result.runs.map((r) => r.id)).toEqual(['fresh-1', ids[1], 'fresh-2']);
    expect(result.runs[0]).toEqual({ ...runs[0], id: 'fresh-1' });
    expect(result.renamed).toEqual([
      { from: ids[0], to: 'fresh-1' },
      { from: ids[2], to: 'fresh-2' },
    ]);
    expect(runs.map((r) => r.id)).toEqual(ids);
  });

  it('also separates repeats within the imported runs', () => {
    const a = makeRecord();
    const result = assignFreshIds([a, { ...a }], [], counter());
    expect(result.runs.map((r) => r.id)).toEqual([a.id, 'fresh-1']);
  });

  it('skips fresh ids that are taken, and gives up on a broken makeId', () => {
    const a = makeRecord({ id: 'a' });
    const ids = ['a', 'b', 'c'];
    const makeId = () => ids.shift() ?? 'd';
    expect(assignFreshIds([a], ['a', 'b', 'c'], makeId).runs[0].id).toBe('d');
    expect(() => assignFreshIds([a], ['a'], () => 'a')).toThrow(/taken id 1000 times/);
  });

  it('accepts any iterable of existing ids', () => {
    const a = makeRecord({ id: 'a' });
    const existing = new Map([['a', 1]]).keys();
    expect(assignFreshIds([a], existing, () => 'z').runs[0].id).toBe('z');
  });
});

/** RFC 4180 reader, enough to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(cell).toBe('');
  expect(row).toEqual([]);
  return rows;
}

describe('runsMetricsCsv', () => {
  it('writes a header and one row per epoch per run', () => {
    const runs = [
      makeRecord({ settings: { learningRate: 0.1 }, epochMetrics: makeEpochMetrics(2) }),
      makeRecord({ settings: { learningRate: 0.01 }, epochMetrics: makeEpochMetrics(3) }),
      makeRecord({ settings: { learningRate: 0.001 }, epochMetrics: [] }),
    ];
    const text = runsMetricsCsv(runs);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...METRICS_CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + 2 + 3);
    expect(rows[1]).toEqual([
      runs[0].id,
      'lr 0.1',
      'lr 0.1',
      '1',
      '0.5',
      '0.5',
      String(1.1 / 2),
      '0.48',
      '1200',
      '50',
    ]);
    expect(rows[5].slice(0, 4)).toEqual([runs[1].id, 'lr 0.01', 'lr 0.01', '3']);
  });

  it('joins several differing settings with "; " and uses names as labels', () => {
    const runs = [
      makeRecord({ name: 'first', settings: { learningRate: 0.1, seed: 2 } }),
      makeRecord({ settings: { learningRate: 0.01, seed: 3 } }),
    ];
    const rows = parseCsv(runsMetricsCsv(runs));
    expect(rows[1].slice(1, 3)).toEqual(['first', 'lr 0.1; seed 2']);
    expect(rows[4].slice(1, 3)).toEqual(['lr 0.01, seed 3', 'lr 0.01; seed 3']);
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    const name = 'a, "b"\nc\r\nd';
    const text = runsMetricsCsv([makeRecord({ name, epochMetrics: makeEpochMetrics(1) })]);
    expect(text).toContain('"a, ""b""\nc\r\nd"');
    expect(parseCsv(text)[1][1]).toBe(name);
  });

  it('guards text cells against formula injection, but not numbers', () => {
    const names = ['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', 'plain'];
    const runs = names.map((name) =>
      makeRecord({ name, epochMetrics: makeEpochMetrics(1, { trainLoss: -0.25 }) }),
    );
    const rows = parseCsv(runsMetricsCsv(runs));
    expect(rows.slice(1).map((r) => r[1])).toEqual([
      `'=HYPERLINK("http://x")`,
      "'+1",
      "'-2+3",
      "'@SUM(A1)",
      'plain',
    ]);
    expect(rows[1][4]).toBe('-0.25');
    expect(csvTextCell('-1')).toBe("'-1");
    expect(csvNumberCell(-1)).toBe('-1');
    expect(csvTextCell('=1,2')).toBe(`"'=1,2"`);
    expect(csvTextCell('')).toBe('');
    // Spreadsheets strip a leading tab or carriage return before looking for a formula.
    expect(csvTextCell('\t=1')).toBe("'\t=1");
    expect(csvTextCell('\r=1')).toBe(`"'\r=1"`);
  });

  it('guards text that starts with a NUL or a line feed, which spreadsheets also skip', () => {
    expect(csvTextCell('\0=1+1')).toBe("'\0=1+1");
    expect(csvTextCell('\n=1+1')).toBe(`"'\n=1+1"`);
    // Run ids are written as they are (names become labels, trimmed).
    const runs = ['\0=SUM(A1)', '\n@cmd'].map((id) =>
      makeRecord({ id, epochMetrics: makeEpochMetrics(1) }),
    );
    const rows = parseCsv(runsMetricsCsv(runs));
    expect(rows.slice(1).map((r) => r[0])).toEqual(["'\0=SUM(A1)", "'\n@cmd"]);
  });

  it('writes NaN and Infinity as such, and seconds with at most three decimals', () => {
    const run = makeRecord({
      epochMetrics: makeEpochMetrics(1, {
        trainLoss: NaN,
        valLoss: Infinity,
        imagesPerSecond: 1234.5,
        elapsedMs: 12_345.6789,
      }),
    });
    const [, row] = parseCsv(runsMetricsCsv([run]));
    expect(row[4]).toBe('NaN');
    expect(row[6]).toBe('Infinity');
    expect(row[8]).toBe('1234.5');
    expect(row[9]).toBe('12.346');
  });

  it('writes only the header for no runs', () => {
    expect(runsMetricsCsv([])).toBe(`${METRICS_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('gives a single run its differences from the book', () => {
    const rows = parseCsv(runsMetricsCsv([makeRecord({ settings: { batchNorm: 'on' } })]));
    expect(rows[1].slice(1, 3)).toEqual(['batch norm', 'batch norm']);
  });
});

describe('the data set a run trained on', () => {
  const mnist = {
    id: 'upload-12345678',
    name: 'MNIST',
    classNames: Array.from({ length: 10 }, (_, i) => `digit ${i}`),
  };

  it('round-trips, and is absent for Fashion-MNIST records written before uploads', () => {
    const runs = [makeRecord({ dataSet: mnist }), makeRecord({})];
    const result = parseRunsJson(exportRunsJson(runs, NOW));
    if (!result.ok) throw new Error(result.message);
    expect(result.runs[0].dataSet).toEqual(mnist);
    expect('dataSet' in result.runs[1]).toBe(false);
  });

  it('refuses class names that are not ten distinct names, and an empty name', () => {
    const file = envelope([makeRecord({ dataSet: mnist })]);
    file.runs[0].dataSet = { ...mnist, classNames: mnist.classNames.slice(0, 9) };
    expect(refused(parseObject(file))).toMatch(/Run 1: dataSet: Give 10 class names/);
    file.runs[0].dataSet = { ...mnist, classNames: [...mnist.classNames.slice(0, 9), 'digit 0'] };
    expect(refused(parseObject(file))).toMatch(/Classes 0 and 9 are both called "digit 0"/);
    file.runs[0].dataSet = { ...mnist, name: '' };
    expect(refused(parseObject(file))).toMatch(/Run 1: dataSet.name is the text ""/);
    file.runs[0].dataSet = 'MNIST';
    expect(refused(parseObject(file))).toMatch(
      /Run 1: dataSet is the text "MNIST"; allowed: \{id, name/,
    );
  });
});
