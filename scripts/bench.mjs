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

/** "conv r3, dW r2 w1, …": the tuned plan's variants per op kind (register, workgroup, subgroup). */
function chosenCell(tuning) {
  if (!tuning) return '';
  const ops = {
    conv2d: 'conv',
    conv2dBackpropFilter: 'dW',
    conv2dBackpropInput: 'dx',
    matMul: 'matmul',
  };
  return Object.entries(tuning.chosenByOp)
    .map(
      ([op, counts]) =>
        `${ops[op] ?? op} ${Object.entries(counts)
          .map(([v, n]) => `${v[0]}${n}`)
          .join(' ')}`,
    )
    .join(', ');
}

function printTables(report) {
  const subgroups = report.subgroups
    ? `; subgroups: adapter ${report.subgroups.adapter ? 'yes' : 'no'}, TF.js device ${report.subgroups.device ? 'yes' : 'no'}`
    : '';
  console.log(
    `\nbackend ${report.backend}; adapter: ${report.adapter}; kernels: ${report.kernels}${subgroups}\n`,
  );
  if (report.results.length > 0) {
    console.log(
      '| configuration | kernels | ms per step (median) | min–max ms | images/s | useful GFLOP/s | stock ÷ this | optimized ÷ this | variants chosen |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    const ratioTo = (r, kernels) => {
      const base = report.results.find((s) => s.name === r.name && s.kernels === kernels);
      return base ? `${(base.msPerStep / r.msPerStep).toFixed(2)}×` : '';
    };
    for (const r of report.results) {
      console.log(
        `| ${r.name} | ${r.kernels ?? 'stock'} | ${r.msPerStep.toFixed(0)} | ` +
          `${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)} | ` +
          `${r.imagesPerSecond.toFixed(2)} | ${r.usefulGflopsPerSecond.toFixed(3)} | ` +
          `${ratioTo(r, 'stock')} | ${ratioTo(r, 'optimized')} | ${chosenCell(r.tuning)} |`,
      );
    }
    for (const r of report.results.filter((x) => x.tuning)) {
      const t = r.tuning;
      console.log(
        `\nTuner, ${r.name}: ${t.timings.length} op shapes in ${(t.tuningMs / 1000).toFixed(1)} s` +
          `${t.complete ? '' : ' (budget ran out)'} (median ms of one run):\n`,
      );
      console.log('| op shape | register ms | workgroup ms | chosen | rejected |');
      console.log('|---|---|---|---|---|');
      for (const s of t.timings) {
        const ms = (v) => (s.msByVariant[v] === undefined ? '' : s.msByVariant[v].toFixed(1));
        const rejected = Object.entries(s.rejected ?? {})
          .map(([v, why]) => `${v}: ${why}`)
          .join('; ');
        console.log(
          `| ${s.label} | ${ms('register')} | ${ms('workgroup')} | ${s.chosen} | ${rejected} |`,
        );
      }
    }
  }
  if (report.ops) {
    // Each conv op beside the stock matrix product of the same FLOPs (its im2col product,
    // m×k×n): the issue's target is ours ÷ that product ≥ 1 in GFLOP/s.
    console.log('\nSingle ops (median ms; GFLOP/s):\n');
    console.log(
      '| layer | op | stock ms | optimized ms | stock ÷ optimized | stock matmul, same FLOPs | optimized ÷ matmul |',
    );
    console.log('|---|---|---|---|---|---|---|');
    const ops = report.ops.filter((o) => o.sameFlopsAs === undefined);
    const keys = [...new Set(ops.map((o) => `${o.layer}|${o.op}`))];
    for (const key of keys) {
      const [layer, op] = key.split('|');
      const of = (k) => ops.find((o) => o.layer === layer && o.op === op && o.kernels === k);
      const stock = of('stock');
      const ours = of('optimized');
      const matmul = report.ops.find((o) => o.layer === layer && o.sameFlopsAs === op);
      const cell = (o) => (o ? `${o.ms.toFixed(1)} (${o.gflops.toPrecision(3)})` : '');
      const ratio = stock && ours ? `${(stock.ms / ours.ms).toFixed(1)}×` : '';
      const matmulCell = matmul ? `${matmul.op}: ${cell(matmul)}` : '';
      const target = ours && matmul ? `${(ours.gflops / matmul.gflops).toFixed(2)}×` : '';
      console.log(
        `| ${layer} | ${op} | ${cell(stock)} | ${cell(ours)} | ${ratio} | ${matmulCell} | ${target} |`,
      );
    }
  }
  const profiled = report.results.filter((r) => r.profile);
  if (profiled.length > 0) {
    console.log('\nPer-kernel ms in one profiled step (tf.profile):\n');
    const names = [...new Set(profiled.flatMap((r) => r.profile.map((k) => k.name)))];
    const totals = (name) =>
      Math.max(...profiled.map((r) => r.profile.find((k) => k.name === name)?.ms ?? 0));
    names.sort((a, b) => totals(b) - totals(a));
    console.log(`| kernel | ${profiled.map((r) => `${r.name} [${r.kernels}]`).join(' | ')} |`);
    console.log(`|---|${profiled.map(() => '---').join('|')}|`);
    for (const name of names.slice(0, 15)) {
      const cells = profiled.map((r) => {
        const k = r.profile.find((p) => p.name === name);
        return k ? `${k.ms.toFixed(1)} (×${k.calls})` : '';
      });
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
  }
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
