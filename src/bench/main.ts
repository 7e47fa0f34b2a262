import { runBench } from './run.ts';
import type { BenchReport } from './presets.ts';

/**
 * The benchmark page (bench.html): runs src/bench/run.ts with the page's query and leaves the
 * report in `window.benchReport` for `scripts/bench.mjs`, which drives it in headless Chromium.
 */

declare global {
  interface Window {
    benchReport?: BenchReport;
  }
}

const out = document.getElementById('out') as HTMLPreElement;
const log = (line: string) => {
  out.textContent += `${line}\n`;
};

runBench(new URLSearchParams(location.search), navigator.userAgent, log)
  .then((report) => {
    window.benchReport = report;
  })
  .catch((error: unknown) => {
    log(`error ${error instanceof Error ? error.message : String(error)}`);
    window.benchReport = { error: String(error) } as BenchReport;
  });
