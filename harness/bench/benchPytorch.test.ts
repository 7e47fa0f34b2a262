import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON_WITH_TORCH } from '../../test/fixtures/torchPython.ts';
import { BENCH_PRESETS } from './presets.ts';

/**
 * scripts/bench_pytorch.py, the book's PyTorch step timed beside `npm run bench`: it runs under
 * real PyTorch (on the CPU here) and times the same configurations as the browser bench.
 */
interface TorchBenchReport {
  runtime: string;
  results: {
    name: string;
    imageSize: number;
    width: number;
    batchSize: number;
    msPerStep: number;
  }[];
}

describe('bench_pytorch.py', () => {
  it('times the quick preset, the same configurations as the browser bench', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-pytorch-')), 'torch.json');
    const run = spawnSync(
      PYTHON_WITH_TORCH,
      ['scripts/bench_pytorch.py', '--preset=quick', '--device=cpu', `--json=${out}`],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\| tiny 65px w0\.1 b32 \| PyTorch \S+ on CPU \| [\d.]+ \|/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as TorchBenchReport;
    expect(
      report.results.map(({ name, imageSize, width, batchSize }) => ({
        name,
        imageSize,
        width,
        batchSize,
      })),
    ).toEqual(
      BENCH_PRESETS.quick.map(({ name, imageSize, width, batchSize }) => ({
        name,
        imageSize,
        width,
        batchSize,
      })),
    );
    for (const result of report.results) expect(result.msPerStep).toBeGreaterThan(0);
  });

  it('has the browser bench presets, configuration for configuration', () => {
    const run = spawnSync(PYTHON_WITH_TORCH, ['scripts/bench_pytorch.py', '--list'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const presets = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(presets.quick).toEqual(BENCH_PRESETS.quick);
    expect(presets.standard).toEqual(BENCH_PRESETS.standard);
  });

  it('names the allowed presets when given an unknown one', () => {
    const run = spawnSync(PYTHON_WITH_TORCH, ['scripts/bench_pytorch.py', '--preset=huge'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('unknown preset huge; allowed: quick, standard, book');
  });
});
