#!/usr/bin/env node
// Runs the benchmark (harness/bench/run.ts) and prints the training-step timings as a table and
// JSON (also saved under bench-results/): by default the harness build's benchmark page
// (bench.html in dist-harness/, built by npm run build:harness when missing or with --build)
// in headless Chromium on WebGPU; with --runner=node the same code under Node.js on Dawn (the
// npm package `webgpu`), for a machine with a GPU but no browser.
//
//   npm run bench                      # preset "quick" (a few minutes on a software adapter)
//   npm run bench -- --preset=standard # the book's network at 96 px b16, 224 px b8; w0.25 224 px b32
//   npm run bench -- --query="size=65&width=0.1&batch=32&steps=3"
//   npm run bench -- --kernels=both --profile   # stock vs our conv kernels, per-kernel profile
//   npm run bench -- --kernels=all     # stock, optimized, and tuned (ours with the variant plan
//                                      # src/kernels/tuning.ts picks on this adapter)
//   npm run bench -- --runner=node --kernels=both          # Node + Dawn, the first adapter it finds
//   npm run bench -- --runner=node --swiftshader           # Node + Dawn on Chromium's SwiftShader
//   npm run bench -- --runner=node --dawn="backend=vulkan" # Dawn options, space-separated
//   --port=N: the preview server's port (Chromium runner)
//   npm run bench -- --data            # loading the data: bytes → 70,000 parsed images, in a worker
//   npm run bench -- --cold-start      # Train click → first loss point, by phase (benchColdStart.mjs)
//   npm run bench -- --cold-start --dist=/tmp/old/dist   # the same for another build
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';
import { reexecOnSwiftShader, runInNode } from './benchNode.mjs';
import { printColdStart, runColdStart } from './benchColdStart.mjs';
import { startPreview } from './previewServer.mjs';
import { printTables } from './benchTables.mjs';

const BENCH_TIMEOUT_MS = 60 * 60_000;

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...rest] = arg.replace(/^--/, '').split('=');
    return [key, rest.join('=') || 'true'];
  }),
);
// --port lets a second checkout benchmark beside a running preview server.
const PORT = Number(args.port ?? process.env.BENCH_PORT ?? 4174);
const query = [
  args.data === 'true'
    ? `data=1${args.repeats ? `&repeats=${args.repeats}` : ''}`
    : (args.query ?? `preset=${args.preset ?? 'quick'}`),
  ...(args.kernels ? [`kernels=${args.kernels}`] : []),
  ...(args.profile === 'true' ? ['profile=1'] : []),
].join('&');
const runner = args.runner ?? 'chromium';
if (runner !== 'chromium' && runner !== 'node') {
  throw new Error(`--runner must be chromium or node, not ${runner}`);
}

async function runInChromium() {
  if (args.build === 'true' || !existsSync('dist-harness/bench.html')) {
    const build = spawnSync('npx', ['vite', 'build', '--config', 'vite.harness.config.ts'], {
      stdio: 'inherit',
    });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }

  const stopServer = await startPreview(
    PORT,
    ['--config', 'vite.harness.config.ts'],
    '/bench.html',
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') console.error(`page: ${message.text()}`);
    });
    await page.goto(`http://localhost:${PORT}/bench.html?${query}`);
    // Progress lines as they appear.
    let shown = 0;
    const timer = setInterval(async () => {
      const text = await page
        .locator('#out')
        .innerText()
        .catch(() => '');
      const lines = text.split('\n').filter(Boolean);
      for (const line of lines.slice(shown)) console.log(line);
      shown = lines.length;
    }, 1000);
    // --data leaves its report in dataBenchReport instead (harness/bench/dataLoad.ts).
    await page.waitForFunction(
      () => globalThis.benchReport !== undefined || globalThis.dataBenchReport !== undefined,
      null,
      { timeout: BENCH_TIMEOUT_MS, polling: 500 },
    );
    clearInterval(timer);
    const finalText = await page.locator('#out').innerText();
    for (const line of finalText.split('\n').filter(Boolean).slice(shown)) console.log(line);
    const dataReport = await page.evaluate(() => globalThis.dataBenchReport);
    if (dataReport !== undefined) return { dataReport };
    const report = await page.evaluate(() => globalThis.benchReport);
    return report;
  } finally {
    await browser.close();
    stopServer();
  }
}

/** The data-load benchmark's table (bench.html?data=1, harness/bench/dataLoad.ts), and its JSON. */
function printDataReport(report) {
  if (report.error) throw new Error(report.error);
  const ms = (value) => value.toFixed(0);
  console.log(`\n${report.userAgent}\n`);
  console.log(
    '| data | images | bytes fetched | gzip | ms to parse (median) | min–max ms | runs | target |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| Fashion-MNIST, 4 files, in a worker | ${report.images} | ${report.compressedBytes} | ` +
      `${report.allGzip ? 'yes' : 'no'} | ${ms(report.medianMs)} | ` +
      `${ms(report.minMs)}–${ms(report.maxMs)} | ${report.parseMs.length} | ` +
      `${report.medianMs < 2000 ? 'under' : 'OVER'} 2000 ms |`,
  );
  const gunzip = Object.entries(report.gunzipMs).map(([key, value]) => `${key} ${ms(value)} ms`);
  console.log(
    `\ngunzip alone: ${gunzip.join(', ')}; fetch (not timed above): ${ms(report.fetchMs)} ms`,
  );
  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/data-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ query, ...report }, null, 2));
  console.log(`\nJSON: ${file}`);
}

if (args['cold-start'] === 'true') {
  printColdStart(await runColdStart(args));
  process.exit(0);
}
if (runner === 'node' && args.swiftshader === 'true') reexecOnSwiftShader();
const report =
  runner === 'node'
    ? await runInNode(query, args.dawn ? args.dawn.split(/\s+/).filter(Boolean) : [])
    : await runInChromium();
if (report.dataReport !== undefined) {
  printDataReport(report.dataReport);
  process.exit(0);
}
if (report.error) throw new Error(report.error);
printTables(report);
mkdirSync('bench-results', { recursive: true });
const file = `bench-results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ query, runner, ...report }, null, 2));
console.log(`\nJSON: ${file}`);
// Dawn keeps Node alive while its GPU object exists (the webgpu package's README, "Lifetime").
process.exit(0);
