import { encodeIdxImages, encodeIdxLabels } from './idxWriter.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_DATA_PATH,
  CLASS_NAMES,
  DATA_CACHE_NAME,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SHA256,
  OFFLINE_COPY_HEADER,
  REMOTE_DATA_URL,
  appDataUrl,
  loadFashionMnist,
  parseFashionMnist,
  type LoadProgress,
} from './fashionMnist.ts';
import { DataFileError } from './idx.ts';

const DATA_DIR = '/usr/share/datasets/fashion-mnist/';
const APP_BASE = new URL(APP_DATA_PATH, 'http://localhost:5173').href;
const NAMES = Object.values(FASHION_MNIST_FILES);

type FileMap = Record<string, Uint8Array>;

/** The genuine .gz files, read once. */
const real: FileMap = {};
beforeAll(() => {
  for (const name of NAMES) real[name] = new Uint8Array(readFileSync(DATA_DIR + name));
});

interface Reply {
  status?: number;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** Reject like fetch does on a network failure. */
  networkError?: boolean;
  /** Deliver this many bytes of the body, then nothing more, ever (a dead connection). */
  stallAfterBytes?: number;
}

/**
 * A stand-in for the network: `route(url)` says how each URL answers. Bodies stream in 64 KiB
 * chunks, with Content-Length, so progress reporting is exercised. Records every requested URL.
 */
function fakeFetch(route: (url: string) => Reply): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    requests.push(url);
    if (init?.signal?.aborted) throw init.signal.reason;
    const reply = route(url);
    if (reply.networkError) throw new TypeError('fetch failed');
    const body = typeof reply.body === 'string' ? new TextEncoder().encode(reply.body) : reply.body;
    const headers = new Headers(reply.headers);
    if (body && !headers.has('content-length')) headers.set('content-length', String(body.length));
    let offset = 0;
    const stream =
      body &&
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (reply.stallAfterBytes !== undefined && offset >= reply.stallAfterBytes) {
            return new Promise<void>(() => {});
          }
          if (offset >= body.length) return controller.close();
          controller.enqueue(body.slice(offset, offset + 65536));
          offset += 65536;
        },
      });
    return new Response(stream ?? null, { status: reply.status ?? 200, headers });
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

const notFound: Reply = {
  status: 404,
  body: 'Not found',
  headers: { 'content-type': 'text/plain' },
};

/** Serves `files` by name under `base`; anything else 404s. */
function serveUnder(base: string, files: FileMap): (url: string) => Reply | null {
  return (url) => {
    if (!url.startsWith(base)) return null;
    const body = files[url.slice(base.length)];
    return body ? { body, headers: { 'content-type': 'application/octet-stream' } } : notFound;
  };
}

function routes(...handlers: ((url: string) => Reply | null)[]): (url: string) => Reply {
  return (url) => {
    for (const handler of handlers) {
      const reply = handler(url);
      if (reply) return reply;
    }
    return notFound;
  };
}

/** A minimal in-memory Cache Storage: enough of the API for the loader (open/match/put/delete). */
class MemoryCache {
  readonly entries = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  async match(request: RequestInfo | URL): Promise<Response | undefined> {
    const entry = this.entries.get(keyOf(request));
    return entry && new Response(entry.body.slice(), { headers: entry.headers });
  }
  async put(request: RequestInfo | URL, response: Response): Promise<void> {
    const body = new Uint8Array(await response.arrayBuffer());
    this.entries.set(keyOf(request), { body, headers: [...response.headers] });
  }
  async delete(request: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(keyOf(request));
  }
}

class MemoryCacheStorage {
  readonly caches = new Map<string, MemoryCache>();
  async open(name: string): Promise<MemoryCache> {
    let cache = this.caches.get(name);
    if (!cache) this.caches.set(name, (cache = new MemoryCache()));
    return cache;
  }
  async has(name: string): Promise<boolean> {
    return this.caches.has(name);
  }
  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }
  async keys(): Promise<string[]> {
    return [...this.caches.keys()];
  }
  async match(request: RequestInfo | URL): Promise<Response | undefined> {
    for (const cache of this.caches.values()) {
      const hit = await cache.match(request);
      if (hit) return hit;
    }
    return undefined;
  }
  asCacheStorage(): CacheStorage {
    return this as unknown as CacheStorage;
  }
}

function keyOf(request: RequestInfo | URL): string {
  return request instanceof Request ? request.url : String(request);
}

/** Byte equality; Vitest's toEqual walks typed arrays element by element, far too slowly at 47 MB. */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.compare(a, b) === 0;
}

/**
 * A valid IDX file that is not the genuine one: the file's contents with label (or pixel) 0
 * changed, gzipped again. It parses; only its SHA-256 tells it apart.
 */
function altered(name: string): Uint8Array {
  const raw = new Uint8Array(gunzipSync(real[name]));
  const first = name.includes('labels') ? 8 : 16;
  raw[first] = (raw[first] + 1) % 10;
  return new Uint8Array(gzipSync(raw, { level: 1 }));
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function remoteUrl(name: string): string {
  return REMOTE_DATA_URL + name;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function expectGenuineSplits(dataset: {
  train: { count: number; imageSize: number; pixels: Uint8Array; labels: Uint8Array };
  test: { count: number; imageSize: number; pixels: Uint8Array; labels: Uint8Array };
}): void {
  expect(dataset.train.count).toBe(60000);
  expect(dataset.test.count).toBe(10000);
  expect(dataset.train.imageSize).toBe(28);
  expect(dataset.train.pixels.length).toBe(60000 * 784);
  expect(dataset.test.pixels.length).toBe(10000 * 784);
  expect(dataset.train.labels.length).toBe(60000);
  expect(dataset.test.labels.length).toBe(10000);
}

describe('constants', () => {
  it('name the ten classes in label order', () => {
    expect(CLASS_NAMES).toEqual([
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ]);
  });
});

describe('appDataUrl', () => {
  it('puts an absolute base on the script’s origin', () => {
    const worker = 'http://localhost:5173/src/worker/worker.ts?worker_file&type=module';
    expect(appDataUrl('/', worker)).toBe('http://localhost:5173/data/fashion-mnist/');
    expect(appDataUrl('/alexnet/', 'https://example.org/alexnet/assets/worker-1.js')).toBe(
      'https://example.org/alexnet/data/fashion-mnist/',
    );
    expect(appDataUrl('/alexnet', 'https://example.org/alexnet/assets/worker-1.js')).toBe(
      'https://example.org/alexnet/data/fashion-mnist/',
    );
  });

  it('resolves the build’s relative base from the built worker’s folder, at any sub-path', () => {
    expect(appDataUrl('./', 'https://example.org/alexnet/assets/worker-1.js')).toBe(
      'https://example.org/alexnet/data/fashion-mnist/',
    );
    expect(appDataUrl('./', 'http://localhost:4173/assets/worker-1.js')).toBe(
      'http://localhost:4173/data/fashion-mnist/',
    );
    expect(appDataUrl('', 'https://example.org/a/b/assets/worker-1.js')).toBe(
      'https://example.org/a/b/data/fashion-mnist/',
    );
  });
});

describe('loadFashionMnist', () => {
  it('uses the app server when it serves all four files, with progress', async () => {
    const net = fakeFetch(routes(serveUnder(APP_BASE, real)));
    const events: LoadProgress[] = [];
    const dataset = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: net.fetch,
      cacheStorage: null,
      onProgress: (p) => events.push(p),
    });
    expect(dataset.source).toBe('app');
    expect(dataset.sourceDescription).toBe('served by the app at /data/fashion-mnist/');
    expectGenuineSplits(dataset);
    expect(net.requests.every((url) => url.startsWith(APP_BASE))).toBe(true);
    expect(net.requests).toHaveLength(4);

    for (const name of NAMES) {
      const downloads = events.filter((e) => e.stage === 'download' && e.file === name);
      expect(downloads.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < downloads.length; i++) {
        expect(downloads[i].loadedBytes).toBeGreaterThan(downloads[i - 1].loadedBytes);
      }
      expect(downloads.at(-1)).toMatchObject({
        loadedBytes: real[name].length,
        totalBytes: real[name].length,
      });
      const parses = events.filter((e) => e.stage === 'parse' && e.file === name);
      expect(parses).toHaveLength(1);
    }
    // Not one event per 64 KiB chunk: the 26 MB file reports about a hundred times.
    const big = events.filter((e) => e.file === FASHION_MNIST_FILES.trainImages);
    expect(big.length).toBeLessThan(150);
  });

  it('says so when the service worker answered every file from its offline copy', async () => {
    const offline = (copies: number) => {
      let served = 0;
      return fakeFetch((url) => {
        const name = url.slice(APP_BASE.length);
        const headers: Record<string, string> = { 'content-type': 'application/gzip' };
        if (served++ < copies) headers[OFFLINE_COPY_HEADER] = '1';
        return { body: real[name], headers };
      });
    };
    const all = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: offline(4).fetch,
      cacheStorage: null,
    });
    expect(all.source).toBe('app');
    expect(all.sourceDescription).toBe(
      "served by the app at /data/fashion-mnist/, from this browser's offline copy",
    );
    const some = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: offline(2).fetch,
      cacheStorage: null,
    });
    expect(some.sourceDescription).toBe('served by the app at /data/fashion-mnist/');
  });

  it('falls back to downloading when the app 404s, caches, and then loads from the cache', async () => {
    const net = fakeFetch(routes(serveUnder(REMOTE_DATA_URL, real)));
    const storage = new MemoryCacheStorage();
    const first = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: net.fetch,
      cacheStorage: storage.asCacheStorage(),
    });
    expect(first.source).toBe('download');
    expect(first.sourceDescription).toBe(
      'downloaded from raw.githubusercontent.com (now cached in this browser)',
    );
    expectGenuineSplits(first);
    const cache = storage.caches.get(DATA_CACHE_NAME);
    expect([...(cache?.entries.keys() ?? [])].sort()).toEqual(NAMES.map(remoteUrl).sort());
    for (const name of NAMES)
      expect(sameBytes(cache?.entries.get(remoteUrl(name))?.body, real[name])).toBe(true);

    const second = fakeFetch(routes());
    const again = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: second.fetch,
      cacheStorage: storage.asCacheStorage(),
    });
    expect(again.source).toBe('cache');
    expect(again.sourceDescription).toMatch(/this browser's Cache Storage/);
    expect(sameBytes(again.test.labels, first.test.labels)).toBe(true);
    expect(sameBytes(again.train.pixels, first.train.pixels)).toBe(true);
    // Only the app was asked (and 404'd); nothing was downloaded.
    expect(second.requests.filter((url) => url.startsWith(REMOTE_DATA_URL))).toEqual([]);
  });

  it('detects an HTML single-page-app fallback by content type and by its first byte', async () => {
    const indexHtml = '<!doctype html><html><body><div id="root"></div></body></html>';
    const variants: Record<string, string>[] = [{ 'content-type': 'text/html; charset=utf-8' }, {}];
    for (const headers of variants) {
      const net = fakeFetch(
        routes(
          (url) => (url.startsWith(APP_BASE) ? { body: `\n  ${indexHtml}`, headers } : null),
          serveUnder(REMOTE_DATA_URL, real),
        ),
      );
      const dataset = await loadFashionMnist({
        appBaseUrl: APP_BASE,
        fetchImpl: net.fetch,
        cacheStorage: null,
      });
      expect(dataset.source).toBe('download');
      expect(dataset.sourceDescription).toMatch(/not cached/);
      expectGenuineSplits(dataset);
    }
  });

  it('accepts files a server already decompressed (Content-Encoding: gzip)', async () => {
    const decompressed: FileMap = {};
    for (const name of NAMES) decompressed[name] = new Uint8Array(gunzipSync(real[name]));
    const net = fakeFetch((url) => {
      const body = decompressed[url.slice(APP_BASE.length)];
      return { body, headers: { 'content-encoding': 'gzip', 'content-length': '1' } };
    });
    const events: LoadProgress[] = [];
    const dataset = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: net.fetch,
      cacheStorage: null,
      onProgress: (p) => events.push(p),
    });
    expect(dataset.source).toBe('app');
    expectGenuineSplits(dataset);
    // The Content-Length of an encoded body does not count the decompressed bytes.
    expect(events.filter((e) => e.stage === 'download').every((e) => e.totalBytes === null)).toBe(
      true,
    );
  });

  it('names the file, URL and status when a download fails', async () => {
    const failing = FASHION_MNIST_FILES.testImages;
    const net = fakeFetch(
      routes(
        (url) => (url === remoteUrl(failing) ? { status: 503, body: 'busy' } : null),
        serveUnder(REMOTE_DATA_URL, real),
      ),
    );
    const error = await rejection(
      loadFashionMnist({ appBaseUrl: APP_BASE, fetchImpl: net.fetch, cacheStorage: null }),
    );
    expect(error).toBeInstanceOf(DataFileError);
    const message = (error as DataFileError).message;
    expect((error as DataFileError).fileName).toBe(failing);
    expect(message).toContain(remoteUrl(failing));
    expect(message).toContain('HTTP 503');
    expect(message).toContain('the app does not serve it either');
  });

  it('abandons a download that stops delivering bytes, naming the file and the stall', async () => {
    const stalling = FASHION_MNIST_FILES.trainImages;
    const net = fakeFetch(
      routes(
        (url) =>
          url === remoteUrl(stalling) ? { body: real[stalling], stallAfterBytes: 65536 } : null,
        serveUnder(REMOTE_DATA_URL, real),
      ),
    );
    const error = await rejection(
      loadFashionMnist({
        appBaseUrl: APP_BASE,
        fetchImpl: net.fetch,
        cacheStorage: null,
        stallTimeoutMs: 50,
      }),
    );
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as DataFileError).fileName).toBe(stalling);
    expect((error as DataFileError).message).toMatch(
      /broke off: no data arrived for 50 ms \(stalled\)/,
    );
  });

  it('names the file and URL on a network error', async () => {
    const net = fakeFetch(() => ({ networkError: true }));
    const error = await rejection(
      loadFashionMnist({ appBaseUrl: APP_BASE, fetchImpl: net.fetch, cacheStorage: null }),
    );
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as DataFileError).message).toMatch(/download from https:\/\/raw\.github/);
    expect((error as DataFileError).message).toMatch(/fetch failed/);
  });

  it('deletes a corrupt cached file and downloads it again', async () => {
    const storage = new MemoryCacheStorage();
    const cache = await storage.open(DATA_CACHE_NAME);
    const damaged = FASHION_MNIST_FILES.trainLabels;
    for (const name of NAMES) {
      const body = name === damaged ? real[name].slice(0, 5000) : real[name];
      await cache.put(remoteUrl(name), new Response(body as Uint8Array<ArrayBuffer>));
    }
    const net = fakeFetch(routes(serveUnder(REMOTE_DATA_URL, real)));
    const dataset = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: net.fetch,
      cacheStorage: storage.asCacheStorage(),
    });
    expectGenuineSplits(dataset);
    expect(net.requests.filter((url) => url.startsWith(REMOTE_DATA_URL))).toEqual([
      remoteUrl(damaged),
    ]);
    expect(sameBytes(cache.entries.get(remoteUrl(damaged))?.body, real[damaged])).toBe(true);
    expect(dataset.source).toBe('download');
    expect(dataset.sourceDescription).toMatch(/Cache Storage, with 1 file downloaded/);
    expect(dataset.sourceDescription).toMatch(/replacing 1 damaged copy/);
  });

  it('replaces cached files that parse but are not the genuine contents (another file, an altered one)', async () => {
    const storage = new MemoryCacheStorage();
    const cache = await storage.open(DATA_CACHE_NAME);
    const { testLabels, trainLabels, testImages } = FASHION_MNIST_FILES;
    for (const name of NAMES) {
      // The test labels slot holds the training labels (valid IDX, 60,000 labels), and the test
      // images have one pixel changed.
      const body =
        name === testLabels ? real[trainLabels] : name === testImages ? altered(name) : real[name];
      await cache.put(remoteUrl(name), new Response(body as Uint8Array<ArrayBuffer>));
    }
    const net = fakeFetch(routes(serveUnder(REMOTE_DATA_URL, real)));
    const dataset = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: net.fetch,
      cacheStorage: storage.asCacheStorage(),
    });
    expectGenuineSplits(dataset);
    expect(dataset.source).toBe('download');
    expect(dataset.sourceDescription).toMatch(/with 2 files downloaded .*replacing 2 damaged/);
    expect(net.requests.filter((url) => url.startsWith(REMOTE_DATA_URL)).sort()).toEqual(
      [testLabels, testImages].map(remoteUrl).sort(),
    );
    for (const name of [testLabels, testImages]) {
      expect(sameBytes(cache.entries.get(remoteUrl(name))?.body, real[name])).toBe(true);
    }
  });

  it('refuses files the app serves whose decompressed contents are not genuine, naming the file', async () => {
    for (const [slot, body] of [
      [FASHION_MNIST_FILES.testLabels, altered(FASHION_MNIST_FILES.testLabels)],
      // Another genuine file in the wrong place is not genuine either.
      [FASHION_MNIST_FILES.testLabels, real[FASHION_MNIST_FILES.trainLabels]],
      [FASHION_MNIST_FILES.trainImages, altered(FASHION_MNIST_FILES.trainImages)],
    ] as const) {
      const net = fakeFetch(routes(serveUnder(APP_BASE, { ...real, [slot]: body })));
      const error = await rejection(
        loadFashionMnist({ appBaseUrl: APP_BASE, fetchImpl: net.fetch, cacheStorage: null }),
      );
      expect(error).toBeInstanceOf(DataFileError);
      expect((error as DataFileError).fileName).toBe(slot);
      const key = slot === FASHION_MNIST_FILES.testLabels ? 'testLabels' : 'trainImages';
      expect((error as DataFileError).message).toBe(
        `${slot}: its contents are not the genuine Fashion-MNIST (SHA-256 of the decompressed ` +
          `contents ${sha256(gunzipSync(body))}, expected ${FASHION_MNIST_SHA256[key]}) ` +
          `(served by the app at ${APP_BASE}${slot})`,
      );
    }
  });

  it('refuses a downloaded file whose contents are not genuine, naming the file and URL', async () => {
    const name = FASHION_MNIST_FILES.trainLabels;
    const net = fakeFetch(routes(serveUnder(REMOTE_DATA_URL, { ...real, [name]: altered(name) })));
    const storage = new MemoryCacheStorage();
    const error = await rejection(
      loadFashionMnist({
        appBaseUrl: APP_BASE,
        fetchImpl: net.fetch,
        cacheStorage: storage.asCacheStorage(),
      }),
    );
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as DataFileError).message).toMatch(
      new RegExp(
        `^train-labels-idx1-ubyte\\.gz: its contents are not the genuine Fashion-MNIST .*` +
          `expected ${FASHION_MNIST_SHA256.trainLabels}\\) \\(downloaded from ${remoteUrl(name)}\\)$`,
      ),
    );
    // Nothing of a refused set is cached.
    expect(storage.caches.get(DATA_CACHE_NAME)?.entries.size ?? 0).toBe(0);
  });

  it('accepts the genuine contents under another gzip header, and uncompressed', async () => {
    const rewrapped: FileMap = {};
    for (const [i, name] of NAMES.entries()) {
      const raw = gunzipSync(real[name]);
      rewrapped[name] = new Uint8Array(i % 2 === 0 ? gzipSync(raw, { level: 1 }) : raw);
      expect(sameBytes(rewrapped[name], real[name])).toBe(false);
    }
    const net = fakeFetch(routes(serveUnder(APP_BASE, rewrapped)));
    const dataset = await loadFashionMnist({
      appBaseUrl: APP_BASE,
      fetchImpl: net.fetch,
      cacheStorage: null,
    });
    expect(dataset.source).toBe('app');
    expectGenuineSplits(dataset);
  });

  it('rejects with the abort reason when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const net = fakeFetch(routes(serveUnder(REMOTE_DATA_URL, real)));
    const error = await rejection(
      loadFashionMnist({
        appBaseUrl: APP_BASE,
        fetchImpl: net.fetch,
        cacheStorage: null,
        signal: controller.signal,
      }),
    );
    expect((error as Error).name).toBe('AbortError');
  });
});

describe('parseFashionMnist', () => {
  /** A tiny valid set: `count` images of side `size` per split. */
  function tinySet(count: number, size = 28): Record<keyof typeof FASHION_MNIST_FILES, Uint8Array> {
    const images = encodeIdxImages(count, size);
    const labels = encodeIdxLabels(Array.from({ length: count }, (_, i) => i % 10));
    const gz = (b: Uint8Array): Uint8Array => new Uint8Array(gzipSync(b));
    return {
      trainImages: gz(images),
      trainLabels: gz(labels),
      testImages: images,
      testLabels: labels,
    };
  }

  it('accepts any count ≥ 1, gzipped or raw, when not asked for the genuine contents', async () => {
    const { train, test } = await parseFashionMnist(tinySet(3), { genuineOnly: false });
    expect(train).toMatchObject({ count: 3, imageSize: 28 });
    expect(test.labels).toEqual(new Uint8Array([0, 1, 2]));
    expect(test.pixels.length).toBe(3 * 784);
  });

  it('refuses made-up files by default, naming the first', async () => {
    const error = await rejection(parseFashionMnist(tinySet(3)));
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as Error).message).toMatch(
      /^train-labels-idx1-ubyte\.gz: its contents are not the genuine Fashion-MNIST \(SHA-256/,
    );
  });

  it('reports a cross-check failure (label and image counts differ) naming both files', async () => {
    const files = tinySet(3);
    files.testLabels = encodeIdxLabels([1, 2]);
    const error = await rejection(parseFashionMnist(files, { genuineOnly: false }));
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as DataFileError).message).toMatch(
      /t10k-labels-idx1-ubyte\.gz: has 2 labels but t10k-images-idx3-ubyte\.gz has 3 images/,
    );
  });

  it('rejects images that are not 28×28', async () => {
    const error = await rejection(parseFashionMnist(tinySet(2, 32), { genuineOnly: false }));
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as Error).message).toMatch(
      /images are 32×32 pixels; Fashion-MNIST images are 28×28/,
    );
  });
});
