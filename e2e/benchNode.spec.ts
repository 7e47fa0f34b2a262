import { expect, test } from './fixtures/fixtures.ts';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The benchmark's Node runner (npm run bench -- --runner=node): harness/bench/run.ts under Node.js
 * on Dawn (the npm package `webgpu`), one tiny configuration with our kernels. Without a GPU it
 * runs on Chromium's SwiftShader, the adapter the browser tests use. No page is involved.
 */
const CHROMIUM_LIB_DIR = process.env.CHROMIUM_LIB_DIR ?? '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIB_DIR}/vk_swiftshader_icd.json`;
const TINY_QUERY = 'size=65&width=0.1&batch=2&warmup=1&steps=1';

interface NodeBenchReport {
  runner: string;
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
      `--query=${TINY_QUERY}`,
      '--kernels=optimized',
    ],
    { encoding: 'utf8', timeout: 4 * 60_000 },
  );
  expectOneOptimizedResult(run);
});

test('the Node bundle (npm run bench:bundle) runs from a folder of its own, without node_modules', () => {
  test.setTimeout(5 * 60_000);
  const build = spawnSync(process.execPath, ['scripts/benchBundle.mjs'], { encoding: 'utf8' });
  expect(build.status, build.stderr.slice(-3000)).toBe(0);
  // Copied away from the repository, so that nothing can be found in its node_modules.
  const folder = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'dist-bench-node');
  cpSync('dist-bench-node', folder, { recursive: true });
  const swiftShader = existsSync(SWIFTSHADER_ICD)
    ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: CHROMIUM_LIB_DIR }
    : {};
  const run = spawnSync(process.execPath, ['bench.mjs', `${TINY_QUERY}&kernels=optimized`], {
    cwd: folder,
    encoding: 'utf8',
    timeout: 4 * 60_000,
    env: { ...process.env, ...swiftShader, BENCH_OUT: folder },
  });
  const report = expectOneOptimizedResult(run);
  expect(report.runner).toBe('node-bundle');
});

/** The run printed its table and wrote a report of one 'optimized' result; returns the report. */
function expectOneOptimizedResult(run: ReturnType<typeof spawnSync>): NodeBenchReport {
  const stdout = String(run.stdout);
  console.log(stdout.slice(-3000));
  expect(run.status, String(run.stderr).slice(-3000)).toBe(0);
  expect(stdout).toMatch(/backend webgpu; adapter: \S/);
  expect(stdout).toMatch(/\| custom \| optimized \| \d+ \|/);
  const file = /JSON: (\S+)/.exec(stdout)?.[1];
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
  return report;
}
