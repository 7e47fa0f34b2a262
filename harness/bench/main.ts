import { runDataBench } from './dataLoad.ts';
import { runBench } from './run.ts';
import type { BenchReport } from './presets.ts';

/**
 * The benchmark page (bench.html): runs harness/bench/run.ts with the page's query and leaves the
 * report in `window.benchReport` for `scripts/bench.mjs`, which drives it in headless Chromium.
 * With data=1 it times loading the data set instead (dataLoad.ts; repeats=N, default 5), whose
 * report goes to `window.dataBenchReport`.
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

const params = new URLSearchParams(location.search);
if (params.get('data') === '1') {
  runDataBench(Number(params.get('repeats') ?? 5), log).catch((error: unknown) => {
    log(`error ${error instanceof Error ? error.message : String(error)}`);
    window.dataBenchReport = { error: String(error) };
  });
} else {
  runBench(params, navigator.userAgent, log)
    .then((report) => {
      window.benchReport = report;
    })
    .catch((error: unknown) => {
      log(`error ${error instanceof Error ? error.message : String(error)}`);
      window.benchReport = { error: String(error) } as BenchReport;
    });
}
