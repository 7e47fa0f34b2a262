/**
 * The exported script as one process or many, with Debian's PyTorch on the CPU: two processes
 * started as torchrun starts them (gloo), one started with plain python, and the run file each
 * writes, read by the page's import. Tiny settings, so each run takes seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.ts';
import { parseRunsJson } from '../history/exportImport.ts';
import type { RunRecord } from '../history/runRecord.ts';
import { MAX_BATCH_LOSS_POINTS, decimate } from '../session/trainerState.ts';
import { EXPLODED_LOSS, LOSS_WINDOW_BATCHES } from '../worker/trainingLoop.ts';
import { pytorchScript } from './pytorchExport.ts';
import { totalParameters } from '../../test/fixtures/parameters.ts';
import { validateSettings } from './settingsCheck.ts';
import {
  PYTHON_WITH_TORCH,
  runLikeTorchrun,
  stageFashionMnist,
  torchMissing,
  type ProcessResult,
} from '../../test/fixtures/torchPython.ts';

/**
 * Uneven on purpose: 201 training images over two processes are shares of 101 and 100 (the
 * DistributedSampler repeats one image to even them, which must not count), 99 test images are
 * 50 and 49, and the global batch of 32 is 16 a process: 7 steps an epoch, loss points after
 * steps 4 and 7.
 */
const TINY: Settings = {
  ...DEFAULT_SETTINGS,
  width: 0.1,
  imageSize: 65,
  trainExamples: 201,
  testExamples: 99,
  batchSize: 32,
  epochs: 2,
  learningRate: 0.1,
  dropout: 0,
};

/** The run file's one run, as the page's "Import runs" reads it (or the reason it refuses). */
function importedRun(file: string): RunRecord {
  expect(existsSync(file), `${file} was written`).toBe(true);
  const parsed = parseRunsJson(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  expect(parsed.runs).toHaveLength(1);
  return parsed.runs[0]!;
}

/** The epoch lines of the script's table: epoch, the four metrics, images/s. */
function epochRows(lines: readonly string[]): number[][] {
  return lines.map((line) => {
    const match = /^ +(\d+) +(\S+) +(\S+)% +(\S+) +(\S+)% +(\S+) +(\S+)s$/.exec(line);
    expect(match, line).not.toBeNull();
    return match!.slice(1, 7).map(Number);
  });
}

/** Checks what every run file of TINY holds, whatever ran it. */
function expectTinyRun(run: RunRecord, epochs: number): void {
  expect(run.settings).toEqual({ ...TINY, epochs });
  expect(validateSettings(run.settings).ok).toBe(true);
  expect(run).toMatchObject({
    name: '',
    status: 'done',
    statusMessage: null,
    backend: null,
    adapter: null,
    kernels: null,
    learningRateChanges: [],
    peakTensorBytes: null,
    exercise: null,
  });
  expect(run.id).toMatch(/^pytorch-\d+-[0-9a-f]{8}$/);
  expect(run.endedAt).toBeGreaterThanOrEqual(run.startedAt);
  expect(run.epochMetrics.map((m) => m.epoch)).toEqual(
    Array.from({ length: epochs }, (_, i) => i + 1),
  );
  for (const m of run.epochMetrics) {
    for (const loss of [m.trainLoss, m.valLoss])
      expect(Number.isFinite(loss) && loss > 0).toBe(true);
    // Accuracies over every image of all processes: k/201 and k/99, not a share's k/101 or k/50.
    expect(m.trainAccuracy * 201).toBeCloseTo(Math.round(m.trainAccuracy * 201), 9);
    expect(m.valAccuracy * 99).toBeCloseTo(Math.round(m.valAccuracy * 99), 9);
    expect(m.imagesPerSecond).toBeGreaterThan(0);
    expect(m.elapsedMs).toBeGreaterThan(0);
  }
  expect(run.elapsedMs).toBeGreaterThanOrEqual(run.epochMetrics.at(-1)!.elapsedMs);
}

describe('the exported script as torchrun runs it, and alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pytorch-torchrun-'));
  const script = join(dir, 'tiny.py');
  let data = '';
  beforeAll(() => {
    // Fails, never skips, without torch: a silent skip would let the export break unseen.
    const missing = torchMissing();
    if (missing !== null) throw new Error(missing);
    data = stageFashionMnist(join(dir, 'data'));
    writeFileSync(script, pytorchScript(TINY));
  }, 100_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const failure = (runs: ProcessResult[]) =>
    runs.map((r, rank) => `rank ${rank}: ${r.status ?? r.signal}\n${r.stderr}`).join('\n');

  it('trains in two gloo processes: finite losses, the table’s parameters, one run file of every image', async () => {
    const out = join(dir, 'two.json');
    // Generous: CI's two cores also run other test files; idle, this takes about 15 s.
    const runs = await runLikeTorchrun(script, ['--data', data, '--out', out], {
      processes: 2,
      cwd: dir,
      timeoutMs: 200_000,
    });
    expect(
      runs.map((r) => r.status),
      failure(runs),
    ).toEqual([0, 0]);
    // No warnings, and only the main process prints.
    expect(runs.map((r) => r.stderr)).toEqual(['', '']);
    expect(runs[1]!.stdout).toBe('');
    const lines = runs[0]!.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `Total parameters: ${totalParameters(TINY).toLocaleString('en-US')}`,
      'Training on cpu, 2 processes: 201 training, 99 test images',
      'Batch: 32 images a step, 16 in each process',
      'Epoch Train loss Train acc  Val loss  Val acc  Images/s  Elapsed',
    ]);
    const rows = epochRows(lines.slice(4, -2));
    expect(rows.map((row) => row[0])).toEqual([1, 2]);
    for (const [, trainLoss, , valLoss] of rows) {
      expect(Number.isFinite(trainLoss) && Number.isFinite(valLoss)).toBe(true);
    }
    // Both processes' images, each once: not 101 + 101 with the sampler's repeat, not one share.
    expect(lines.slice(-2)).toEqual([
      'Images an epoch, all processes together: 201 training, 99 validation',
      `Run file: ${out}`,
    ]);

    const run = importedRun(out);
    expectTinyRun(run, 2);
    expect(run.origin).toEqual({
      kind: 'pytorch',
      description: expect.stringMatching(/^PyTorch \d+\.\d+\S*, cpu, torchrun ×2$/),
      device: 'cpu',
      processes: 2,
    });
    // The table's losses are the file's, rounded: one reduction for both.
    run.epochMetrics.forEach((m, i) => {
      expect(m.trainLoss).toBeCloseTo(rows[i]![1]!, 4);
      expect(m.valLoss).toBeCloseTo(rows[i]![3]!, 4);
    });
    // 101 images in batches of 16: 7 steps, a point after 4 batches and after the last.
    expect(run.batchesPerEpoch).toBe(7);
    expect(run.batchLoss.map((p) => p.x)).toEqual([4 / 7, 1, 1 + 4 / 7, 2]);
    for (const point of run.batchLoss) expect(Number.isFinite(point.y)).toBe(true);
  }, 240_000);

  it('trains as one process without torchrun: the same parameters, and a run file', () => {
    const out = join(dir, 'one.json');
    const result = spawnSync(
      PYTHON_WITH_TORCH,
      [script, '--data', data, '--out', out, '--epochs', '1'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 200_000,
      },
    );
    expect(result.status, `${result.error?.message ?? ''}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `Total parameters: ${totalParameters(TINY).toLocaleString('en-US')}`,
      'Training on cpu: 201 training, 99 test images',
      'Epoch Train loss Train acc  Val loss  Val acc  Images/s  Elapsed',
      expect.stringMatching(/^ +1 /),
      'Images an epoch, all processes together: 201 training, 99 validation',
      `Run file: ${out}`,
    ]);
    const run = importedRun(out);
    // --epochs 1 instead of the exported 2: the run file says what ran.
    expectTinyRun(run, 1);
    expect(run.origin).toEqual({
      kind: 'pytorch',
      description: expect.stringMatching(/^PyTorch \d+\.\d+\S*, cpu$/),
      device: 'cpu',
      processes: 1,
    });
    expect(run.batchesPerEpoch).toBe(Math.ceil(201 / 32));
    // Points after batches 4 and 7 of 7.
    expect(run.batchLoss.map((p) => p.x)).toEqual([4 / 7, 1]);
  }, 240_000);

  it('ends a run whose loss blows up as the page does: diverged, with the page’s message', () => {
    const settings: Settings = { ...TINY, learningRate: 1000 };
    const blowUp = join(dir, 'blow_up.py');
    writeFileSync(blowUp, pytorchScript(settings));
    const out = join(dir, 'blow-up.json');
    const result = spawnSync(PYTHON_WITH_TORCH, [blowUp, '--data', data, '--out', out], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 200_000,
    });
    expect(result.status, `${result.error?.message ?? ''}\n${result.stderr}`).toBe(0);
    const run = importedRun(out);
    expect(run.status).toBe('diverged');
    expect(run.statusMessage).toMatch(
      /^Training diverged at epoch 1, batch \d+: the loss (reached \S+, more than ten times the loss of guessing|became NaN)\. Everything up to there is kept\. Try a smaller learning rate, e\.g\. 100\.$/,
    );
    expect(result.stdout).toContain(run.statusMessage!);
    // No epoch completed; the points before the blow-up are kept, all finite.
    expect(run.epochMetrics).toEqual([]);
    for (const point of run.batchLoss) expect(Number.isFinite(point.y) && point.x < 1).toBe(true);
  }, 240_000);

  it('thins its loss series as the page does, with the page’s window and divergence limit', () => {
    const runner = [
      'import importlib.util, json, sys',
      "spec = importlib.util.spec_from_file_location('tiny', sys.argv[1])",
      'm = importlib.util.module_from_spec(spec)',
      'spec.loader.exec_module(m)',
      'points = []',
      'for i in range(5000):',
      '    m.add_loss_point(points, i / 7, i + 0.5)',
      "print(json.dumps({'points': points, 'window': m.LOSS_WINDOW_BATCHES,",
      "                  'max': m.MAX_BATCH_LOSS_POINTS, 'exploded': m.EXPLODED_LOSS}))",
    ].join('\n');
    const result = spawnSync(PYTHON_WITH_TORCH, ['-c', runner, script], {
      encoding: 'utf8',
      timeout: 100_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const python = JSON.parse(result.stdout) as {
      points: { x: number; y: number }[];
      window: number;
      max: number;
      exploded: number;
    };
    expect(python.window).toBe(LOSS_WINDOW_BATCHES);
    expect(python.max).toBe(MAX_BATCH_LOSS_POINTS);
    expect(python.exploded).toBeCloseTo(EXPLODED_LOSS, 12);
    // The page, given one point at a time.
    let series: { x: number; y: number }[] = [];
    for (let i = 0; i < 5000; i++) {
      series.push({ x: i / 7, y: i + 0.5 });
      if (series.length > MAX_BATCH_LOSS_POINTS) series = decimate(series);
    }
    expect(python.points).toEqual(series);
    expect(python.points.length).toBeLessThanOrEqual(MAX_BATCH_LOSS_POINTS);
  }, 120_000);
});
