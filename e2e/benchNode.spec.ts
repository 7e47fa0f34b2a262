import { expect, test } from './fixtures/fixtures.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * The benchmark's Node runner (npm run bench -- --runner=node): harness/bench/run.ts under Node.js
 * on Dawn (the npm package `webgpu`), one tiny configuration with our kernels. Without a GPU it
 * runs on Chromium's SwiftShader, the adapter the browser tests use. No page is involved.
 */
const SWIFTSHADER_ICD = `${process.env.CHROMIUM_LIB_DIR ?? '/usr/lib/chromium'}/vk_swiftshader_icd.json`;

interface NodeBenchReport {
  backend: string;
  adapter: string;
  userAgent: string;
  results: { kernels: string; msPerStep: number; usefulGflopsPerSecond: number }[];
}

test('the benchmark runs under Node on Dawn and reports a sane step time', () => {
  test.setTimeout(5 * 60_000);
  const run = spawnSync(
    process.execPath,
    [
      'scripts/bench.mjs',
      '--runner=node',
      ...(existsSync(SWIFTSHADER_ICD) ? ['--swiftshader'] : []),
      '--query=size=65&width=0.1&batch=2&warmup=1&steps=1',
      '--kernels=optimized',
    ],
    { encoding: 'utf8', timeout: 4 * 60_000 },
  );
  console.log(run.stdout.slice(-3000));
  expect(run.status, run.stderr.slice(-3000)).toBe(0);
  expect(run.stdout).toMatch(/backend webgpu; adapter: \S/);
  expect(run.stdout).toMatch(/\| custom \| optimized \| \d+ \|/);
  const file = /JSON: (\S+)/.exec(run.stdout)?.[1];
  expect(file).toBeDefined();
  const report = JSON.parse(readFileSync(file as string, 'utf8')) as NodeBenchReport;
  expect(report.backend).toBe('webgpu');
  expect(report.adapter).not.toBe('no WebGPU adapter');
  expect(report.userAgent).toContain('Node.js');
  expect(report.results).toHaveLength(1);
  const [result] = report.results;
  expect(result.kernels).toBe('optimized');
  // A step of this network takes milliseconds on a GPU and seconds on SwiftShader; over 10
  // minutes something is broken.
  expect(result.msPerStep).toBeGreaterThan(0);
  expect(result.msPerStep).toBeLessThan(600_000);
  expect(result.usefulGflopsPerSecond).toBeGreaterThan(0);
});
