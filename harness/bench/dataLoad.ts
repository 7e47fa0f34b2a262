import type { FashionMnistFileKey } from '../../src/data/fashionMnist.ts';
import { median } from '../../src/model/metrics.ts';

/**
 * The data-load benchmark (bench.html?data=1, `npm run bench -- --data`): in a Web Worker, as
 * the app loads data, the time from the four Fashion-MNIST files' bytes (fetched from the app's
 * server beforehand, not timed) to both parsed and validated splits, 70,000 images. The issue's
 * target is under 2 s.
 */

export interface DataBenchRequest {
  repeats: number;
}

export interface DataBenchResult {
  /** Images in both splits (70,000 for Fashion-MNIST). */
  images: number;
  /** Bytes of the four files as fetched. */
  compressedBytes: number;
  /** Whether all four arrived gzip-compressed (then each parse includes the gunzip). */
  allGzip: boolean;
  /** Fetching the four files, once (not part of the parse times). */
  fetchMs: number;
  /** Each timed parseFashionMnist: bytes in hand → both splits, every check included. */
  parseMs: number[];
  /** Gunzip alone of each file, once after the timed runs. */
  gunzipMs: Record<FashionMnistFileKey, number>;
}

export interface DataBenchReport extends DataBenchResult {
  userAgent: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

declare global {
  interface Window {
    dataBenchReport?: DataBenchReport | { error: string };
  }
}

/** Runs the benchmark in a new worker; logs each timing and sets window.dataBenchReport. */
export async function runDataBench(repeats: number, log: (line: string) => void): Promise<void> {
  const worker = new Worker(new URL('./dataLoadWorker.ts', import.meta.url), { type: 'module' });
  try {
    const answer = await new Promise<DataBenchResult | { error: string }>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<DataBenchResult | { error: string }>) =>
        resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      const request: DataBenchRequest = { repeats };
      worker.postMessage(request);
    });
    if ('error' in answer) {
      log(`error ${answer.error}`);
      window.dataBenchReport = answer;
      return;
    }
    log(
      `fetched 4 files, ${answer.compressedBytes} bytes (gzip: ${answer.allGzip}), ` +
        `in ${answer.fetchMs.toFixed(0)} ms`,
    );
    answer.parseMs.forEach((ms, i) => log(`parse ${i + 1}: ${ms.toFixed(0)} ms`));
    for (const [key, ms] of Object.entries(answer.gunzipMs)) {
      log(`gunzip ${key}: ${ms.toFixed(0)} ms`);
    }
    window.dataBenchReport = {
      ...answer,
      userAgent: navigator.userAgent,
      medianMs: median(answer.parseMs),
      minMs: Math.min(...answer.parseMs),
      maxMs: Math.max(...answer.parseMs),
    };
    log('done');
  } finally {
    worker.terminate();
  }
}
