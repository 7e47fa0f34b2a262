// The cold-start benchmark (npm run bench -- --cold-start): the time from a Train click to the
// first point on the loss chart, in the production build (dist/) served by `vite preview`, in
// headless Chromium, as a person meets it:
//
//   first visit      a new browser profile; Train as soon as the backend is up
//   same page again  a second run of the same shape in that page
//   return visit     the same profile in a new browser; Train as soon as the backend is up
//   return, waited   the same; Train once the page has timed the device ("Quick: ≈ …")
//
// Each row gives the time the page saw (click → the status bar counts a batch) and, from the
// worker's startupTimed message (src/worker/startupTimer.ts, shown under the status bar), where
// it went. --dist=DIR serves another build; --dist=OLD,dist times an older commit's build and
// this one in one run (before/after). A build without the startup line gives the page's time
// alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';
import { startPreview } from './previewServer.mjs';

/** The tiny configuration: 2 epochs of 256 images at 67 px, width 0.125. */
export const COLD_START_QUERY = 'size=67&width=0.125&train=256&test=128&batch=32&epochs=2&lr=0.05';
const RUN_TIMEOUT_MS = 10 * 60_000;

/** Clicks Train and waits for the first loss point; the page's and the worker's timings. */
async function timeTrain(page, label) {
  const startedAt = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // The new run first: until it shows, the status still counts the previous run's batches.
  await page.waitForFunction(
    () =>
      /loading data|training/.test(
        globalThis.document.querySelector('[data-testid=run-state]')?.textContent ?? '',
      ),
    null,
    { timeout: RUN_TIMEOUT_MS, polling: 20 },
  );
  await page.waitForFunction(
    () => /batch [1-9]/.test(globalThis.document.querySelector('[role=status]')?.textContent ?? ''),
    null,
    { timeout: RUN_TIMEOUT_MS, polling: 50 },
  );
  const pageMs = Date.now() - startedAt;
  const line = page.getByTestId('startup-time');
  const timings =
    (await line.count()) > 0 ? JSON.parse(await line.getAttribute('data-timings')) : null;
  console.log(`${label}: click → first loss point ${pageMs} ms`);
  if (timings !== null) console.log(`  ${await line.textContent()}`);
  // Let the run finish, so that the next one starts from an idle worker.
  await page.waitForFunction(
    () =>
      /done|stopped|failed|diverged/.test(
        globalThis.document.querySelector('[data-testid=run-state]')?.textContent ?? '',
      ),
    null,
    { timeout: RUN_TIMEOUT_MS },
  );
  return { scenario: label, pageMs, timings };
}

async function openPage(context, baseUrl, query) {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  await page.goto(`${baseUrl}/?${query}`);
  await page
    .getByTestId('backend-name')
    .filter({ hasText: /webgpu|webgl|cpu/ })
    .waitFor();
  return page;
}

/** Every build --dist names (comma-separated), one after the other. */
export async function runColdStart(args) {
  const reports = [];
  for (const dist of (args.dist ?? 'dist').split(',')) reports.push(await runOneBuild(args, dist));
  return reports;
}

async function runOneBuild(args, dist) {
  const port = Number(args.port ?? process.env.BENCH_PORT ?? 4174);
  const query = args.query ?? COLD_START_QUERY;
  if (dist === 'dist' && (args.build === 'true' || !existsSync('dist/index.html'))) {
    const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const stopServer = await startPreview(port, ['--outDir', dist], '/');
  const baseUrl = `http://localhost:${port}`;
  const profile = mkdtempSync(join(tmpdir(), 'alexnet-cold-'));
  const launch = () =>
    chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
    });
  const rows = [];
  try {
    let context = await launch();
    let page = await openPage(context, baseUrl, query);
    const adapter = (await page.getByRole('status').textContent())?.replace(/\s+/g, ' ') ?? '';
    rows.push(await timeTrain(page, 'first visit'));
    rows.push(await timeTrain(page, 'same page again'));
    await context.close();

    context = await launch();
    page = await openPage(context, baseUrl, query);
    rows.push(await timeTrain(page, 'return visit'));
    await context.close();

    context = await launch();
    page = await openPage(context, baseUrl, query);
    await page
      .getByText(/Quick: ≈/)
      .first()
      .waitFor({ timeout: RUN_TIMEOUT_MS });
    rows.push(await timeTrain(page, 'return visit, Train after the device timing'));
    await context.close();
    return { query, dist, adapter, userAgent: await browserVersion(), rows };
  } finally {
    stopServer();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function browserVersion() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const version = browser.version();
  await browser.close();
  return `Chromium ${version}`;
}

const seconds = (ms) => (ms === undefined ? '' : (ms / 1000).toFixed(1));

export function printColdStart(reports) {
  for (const report of reports) printOne(report);
  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/coldstart-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(reports, null, 2));
  console.log(`\nJSON: ${file}`);
}

/**
 * The phases any row went through, in the order the worker marks them (its timings keep that
 * order: src/worker/startupTimer.ts STARTUP_PHASES).
 */
function phasesOf(report) {
  const phases = [];
  for (const row of report.rows) {
    for (const phase of Object.keys(row.timings?.phasesMs ?? {})) {
      if (!phases.includes(phase)) phases.push(phase);
    }
  }
  return phases;
}

function printOne(report) {
  const phases = phasesOf(report);
  console.log(`\n${report.userAgent}; ${report.adapter}; ${report.dist}; ?${report.query}\n`);
  console.log(
    `| scenario | click → first point, s | worker total, s | ${phases.join(' | ')} | pipelines compiled |`,
  );
  console.log(`|---|---|---|${phases.map(() => '---').join('|')}|---|`);
  for (const row of report.rows) {
    const t = row.timings;
    const cells = phases.map((phase) => seconds(t?.phasesMs[phase]));
    console.log(
      `| ${row.scenario} | ${seconds(row.pageMs)} | ${seconds(t?.totalMs)} | ${cells.join(' | ')} | ${t?.pipelinesCompiled ?? ''} |`,
    );
  }
}
