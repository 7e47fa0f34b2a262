import {
  appDataUrl,
  FASHION_MNIST_FILE_KEYS,
  FASHION_MNIST_FILES,
  parseFashionMnist,
  type FashionMnistFileKey,
} from '../../src/data/fashionMnist.ts';
import { gunzipIfNeeded, isGzip } from '../../src/data/idx.ts';
import type { DataBenchRequest, DataBenchResult } from './dataLoad.ts';

/**
 * The data-load benchmark's worker (dataLoad.ts starts it): the same place and code as the
 * app's worker. It fetches the four files once, then times parseFashionMnist — gunzip, IDX
 * parse and every validation — from the bytes in hand to both splits, `repeats` times.
 */

interface WorkerScope {
  postMessage(message: DataBenchResult | { error: string }): void;
  onmessage: ((event: MessageEvent<DataBenchRequest>) => void) | null;
  location: { href: string };
}

const scope = self as unknown as WorkerScope;

async function fetchAll(): Promise<Record<FashionMnistFileKey, Uint8Array>> {
  const base = appDataUrl(import.meta.env.BASE_URL, scope.location.href);
  const entries = await Promise.all(
    FASHION_MNIST_FILE_KEYS.map(async (key) => {
      const url = new URL(FASHION_MNIST_FILES[key], base).href;
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
      return [key, new Uint8Array(await response.arrayBuffer())] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FashionMnistFileKey, Uint8Array>;
}

async function run(request: DataBenchRequest): Promise<DataBenchResult> {
  const fetchStartedAt = performance.now();
  const files = await fetchAll();
  const fetchMs = performance.now() - fetchStartedAt;
  const parseMs: number[] = [];
  let images = 0;
  for (let r = 0; r < request.repeats; r++) {
    const startedAt = performance.now();
    const { train, test } = await parseFashionMnist(files);
    parseMs.push(performance.now() - startedAt);
    images = train.count + test.count;
  }
  // Where the time goes, once: gunzip alone of each file.
  const gunzipMs: Partial<Record<FashionMnistFileKey, number>> = {};
  for (const key of FASHION_MNIST_FILE_KEYS) {
    const startedAt = performance.now();
    await gunzipIfNeeded(files[key], FASHION_MNIST_FILES[key]);
    gunzipMs[key] = performance.now() - startedAt;
  }
  return {
    images,
    compressedBytes: FASHION_MNIST_FILE_KEYS.reduce((sum, key) => sum + files[key].length, 0),
    allGzip: FASHION_MNIST_FILE_KEYS.every((key) => isGzip(files[key])),
    fetchMs,
    parseMs,
    gunzipMs: gunzipMs as Record<FashionMnistFileKey, number>,
  };
}

scope.onmessage = (event) => {
  run(event.data).then(
    (result) => scope.postMessage(result),
    (error: unknown) =>
      scope.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
};
