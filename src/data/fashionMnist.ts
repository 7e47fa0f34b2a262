/**
 * Loads the genuine Fashion-MNIST files (Zalando, MIT licence) from, in this order: the app's own
 * server, this browser's Cache Storage, or the Zalando GitHub repository (then cached).
 *
 * Pure code: no DOM, no React, no tfjs — it runs in a Web Worker and in Node 20 (tests pass a
 * fake fetch and an in-memory Cache Storage).
 */

import {
  DataFileError,
  gunzipIfNeeded,
  parseIdxImages,
  parseIdxLabels,
  type IdxImages,
  type IdxLabels,
} from './idx.ts';
import type { Split } from '../common/types.ts';
import { sha256Hex } from './sha256.ts';

export const CLASS_NAMES: readonly string[] = [
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
];

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export type FashionMnistFileKey = keyof typeof FASHION_MNIST_FILES;

/**
 * SHA-256 of each file's decompressed contents (the IDX bytes). Gzip headers (stored name, time,
 * compression level) differ between distributions of the same data, so the .gz bytes cannot be
 * pinned; the contents can. Whatever the source (the app's server, Cache Storage, a download),
 * a file whose contents hash otherwise is not the genuine Fashion-MNIST and is refused.
 */
export const FASHION_MNIST_SHA256: Readonly<Record<FashionMnistFileKey, string>> = {
  trainImages: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  trainLabels: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  testImages: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  testLabels: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

/** Order of work: small label files first, so a missing file is noticed before big downloads. */
export const FASHION_MNIST_FILE_KEYS: readonly FashionMnistFileKey[] = [
  'trainLabels',
  'testLabels',
  'testImages',
  'trainImages',
];

/**
 * Where the app itself serves the files (the Vite plugin in dev/preview, or public/), under the
 * site's base: /data/fashion-mnist/ at the root, /alexnet/data/fashion-mnist/ from a sub-path.
 */
export const APP_DATA_PATH = '/data/fashion-mnist/';
/**
 * Set by the service worker (src/offline/, the same name there) on a file it answers from this
 * browser's copy, so the page can say the data did not come over the network.
 */
export const OFFLINE_COPY_HEADER = 'X-Offline-Copy';
export const REMOTE_DATA_URL =
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/';
export const DATA_CACHE_NAME = 'fashion-mnist-v1';
/** Fashion-MNIST images are 28×28 grey levels. */
export const IMAGE_SIZE = 28;

export type DataSourceKind = 'app' | 'cache' | 'download';

export interface Dataset {
  train: Split;
  test: Split;
  /** 'download' when any file came over the network from remoteBaseUrl. */
  source: DataSourceKind;
  /** Human text, e.g. 'served by the app at /data/fashion-mnist/'. */
  sourceDescription: string;
}

export type LoadProgress = {
  stage: 'download' | 'parse';
  file: string;
  loadedBytes: number;
  totalBytes: number | null;
};

export interface LoadOptions {
  /** Absolute URL of the app's data folder: appDataUrl(import.meta.env.BASE_URL, location.href). */
  appBaseUrl: string;
  /** Defaults to REMOTE_DATA_URL. */
  remoteBaseUrl?: string;
  onProgress?: (p: LoadProgress) => void;
  fetchImpl?: typeof fetch;
  /** Defaults to globalThis.caches, or null where there is none (Node, insecure origins). */
  cacheStorage?: CacheStorage | null;
  signal?: AbortSignal;
  /** A download that delivers no bytes for this long is abandoned as stalled. */
  stallTimeoutMs?: number;
}

/** No byte of a download for this long means it has stalled (a dead connection or proxy). */
export const DOWNLOAD_STALL_TIMEOUT_MS = 30_000;

type FileBytes = Record<FashionMnistFileKey, Uint8Array>;
type ParsedFile = IdxImages | IdxLabels;

/**
 * The absolute URL of the app's data folder (APP_DATA_PATH under the site's base), for a script
 * at `scriptUrl`. `baseUrl` is Vite's base (import.meta.env.BASE_URL): an absolute one ('/' in
 * dev, or '/alexnet/' from `vite build --base=/alexnet/`) is a path on the script's origin. The
 * build's relative base ('./', so that one build works from any sub-path) is relative to
 * index.html, whose folder is the one above the built scripts' (Vite's assets/ folder).
 */
export function appDataUrl(baseUrl: string, scriptUrl: string): string {
  const relative = baseUrl === '' || baseUrl.startsWith('.');
  const siteUrl = new URL(baseUrl, relative ? new URL('../', scriptUrl) : scriptUrl);
  return new URL(APP_DATA_PATH.slice(1), withSlash(siteUrl)).href;
}

function withSlash(url: URL): URL {
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

export interface ParseOptions {
  onProgress?: (p: LoadProgress) => void;
  /**
   * Refuse a file whose decompressed contents are not the genuine Fashion-MNIST's
   * (FASHION_MNIST_SHA256). On by default; only tests of the parsing itself, on small made-up
   * files, turn it off.
   */
  genuineOnly?: boolean;
}

/** Gunzips (when gzip), parses, checks against the genuine contents and cross-checks the files. */
export async function parseFashionMnist(
  files: FileBytes,
  { onProgress, genuineOnly = true }: ParseOptions = {},
): Promise<{ train: Split; test: Split }> {
  const parsed: Partial<Record<FashionMnistFileKey, ParsedFile>> = {};
  for (const key of FASHION_MNIST_FILE_KEYS) {
    parsed[key] = await parseFile(key, files[key], onProgress, genuineOnly);
  }
  return buildSplits(parsed as Record<FashionMnistFileKey, ParsedFile>);
}

/**
 * Loads both splits: from the app's server when it serves all four files, else from Cache Storage,
 * else by downloading from remoteBaseUrl (and caching). Throws DataFileError naming the file, URL
 * and problem; an abort through `signal` rejects with the signal's reason.
 */
export async function loadFashionMnist(options: LoadOptions): Promise<Dataset> {
  const fetchImpl = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
  const appBase = resolveBase(options.appBaseUrl);
  const remoteBase = resolveBase(options.remoteBaseUrl ?? REMOTE_DATA_URL);
  const { onProgress, signal } = options;
  const cacheStorage =
    options.cacheStorage !== undefined
      ? options.cacheStorage
      : 'caches' in globalThis
        ? globalThis.caches
        : null;

  // 1. The app's own server (dev/preview plugin, or files copied into public/).
  const app = await fetchFromApp(fetchImpl, appBase, signal, onProgress);
  if (app.ok) {
    try {
      const splits = await parseFashionMnist(app.files, { onProgress });
      return {
        ...splits,
        source: 'app',
        sourceDescription:
          `served by the app at ${shortUrl(appBase)}` +
          (app.offlineCopy ? ", from this browser's offline copy" : ''),
      };
    } catch (error) {
      if (error instanceof DataFileError) {
        throw new DataFileError(
          error.fileName,
          `${error.problem} (served by the app at ${new URL(error.fileName, appBase).href})`,
        );
      }
      throw error;
    }
  }

  // 2./3. Cache Storage, then the remote repository.
  const cache = await openCache(cacheStorage);
  // One failed download cancels the others (and so does the caller's signal).
  const controller = new AbortController();
  const unlink = linkAbort(signal, controller);
  const ctx: RemoteContext = {
    fetchImpl,
    remoteBase,
    cache,
    signal: controller.signal,
    onProgress,
    appFailure: app.reason,
    cacheWriteFailures: 0,
    stallTimeoutMs: options.stallTimeoutMs ?? DOWNLOAD_STALL_TIMEOUT_MS,
  };
  const obtainAll = (c: RemoteContext): Promise<ObtainedFile[]> =>
    Promise.all(
      FASHION_MNIST_FILE_KEYS.map((key) =>
        cachedOrDownloaded(c, key).catch((error: unknown) => {
          controller.abort();
          throw error;
        }),
      ),
    );
  try {
    // Every file, cached or downloaded, is the genuine one (checked by its SHA-256), so the four
    // belong together; the cross-check in buildSplits stays as a guard.
    const files = await obtainAll(ctx);
    const splits = buildSplits(collect(files));
    // Cache only a set that parsed and matched, so bad data is never served again from the cache.
    for (const f of files) await cachePut(ctx, f);
    return { ...splits, ...describeRemote(ctx, files) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    unlink();
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing and cross-checks

async function parseFile(
  key: FashionMnistFileKey,
  bytes: Uint8Array,
  onProgress: ((p: LoadProgress) => void) | undefined,
  genuineOnly = true,
): Promise<ParsedFile> {
  const file = FASHION_MNIST_FILES[key];
  onProgress?.({ stage: 'parse', file, loadedBytes: bytes.length, totalBytes: bytes.length });
  const raw = await gunzipIfNeeded(bytes, file);
  // Parsed first: a truncated file or an HTML page gets its specific message, not only "not
  // genuine".
  let parsed: ParsedFile;
  if (key === 'trainLabels' || key === 'testLabels') {
    parsed = parseIdxLabels(raw, file, CLASS_NAMES.length);
  } else {
    parsed = parseIdxImages(raw, file);
    if (parsed.rows !== IMAGE_SIZE || parsed.cols !== IMAGE_SIZE) {
      throw new DataFileError(
        file,
        `images are ${parsed.rows}×${parsed.cols} pixels; Fashion-MNIST images are ` +
          `${IMAGE_SIZE}×${IMAGE_SIZE}`,
      );
    }
  }
  if (genuineOnly) {
    const digest = await sha256Hex(raw);
    if (digest !== FASHION_MNIST_SHA256[key]) {
      throw new DataFileError(
        file,
        `its contents are not the genuine Fashion-MNIST (SHA-256 of the decompressed contents ` +
          `${digest}, expected ${FASHION_MNIST_SHA256[key]})`,
      );
    }
  }
  return parsed;
}

function buildSplits(parsed: Record<FashionMnistFileKey, ParsedFile>): {
  train: Split;
  test: Split;
} {
  return {
    train: buildSplit(parsed.trainImages, parsed.trainLabels, 'trainImages', 'trainLabels'),
    test: buildSplit(parsed.testImages, parsed.testLabels, 'testImages', 'testLabels'),
  };
}

function buildSplit(
  images: ParsedFile,
  labels: ParsedFile,
  imagesKey: FashionMnistFileKey,
  labelsKey: FashionMnistFileKey,
): Split {
  // parseFile returns the right kind per key; these checks only narrow the types.
  if (!('pixels' in images) || !('labels' in labels)) {
    throw new Error(`internal error: ${imagesKey}/${labelsKey} parsed as the wrong kind`);
  }
  if (images.count !== labels.count) {
    throw new DataFileError(
      FASHION_MNIST_FILES[labelsKey],
      `has ${labels.count} labels but ${FASHION_MNIST_FILES[imagesKey]} has ${images.count} ` +
        'images; expected one label per image (files from different versions?)',
    );
  }
  return {
    count: images.count,
    imageSize: IMAGE_SIZE,
    pixels: images.pixels,
    labels: labels.labels,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. The app's server

type AppResult =
  { ok: true; files: FileBytes; offlineCopy: boolean } | { ok: false; reason: string };

/** Fetches all four files from the app; on the first miss cancels the rest and says why. */
async function fetchFromApp(
  fetchImpl: typeof fetch,
  base: string,
  signal: AbortSignal | undefined,
  onProgress: ((p: LoadProgress) => void) | undefined,
): Promise<AppResult> {
  const controller = new AbortController();
  const unlink = linkAbort(signal, controller);
  let reason: string | null = null;
  let offlineCopies = 0;
  try {
    const entries = await Promise.all(
      FASHION_MNIST_FILE_KEYS.map(async (key) => {
        const file = FASHION_MNIST_FILES[key];
        const url = new URL(file, base).href;
        try {
          const response = await fetchImpl(url, { signal: controller.signal });
          if (!response.ok) {
            await cancelBody(response);
            throw new Error(`${url} answered HTTP ${response.status}`);
          }
          if (isHtmlContentType(response.headers.get('content-type'))) {
            await cancelBody(response);
            throw new Error(`${url} answered with an HTML page (a single-page-app fallback?)`);
          }
          const bytes = await readBody(response, file, controller.signal, onProgress);
          if (startsLikeHtml(bytes)) {
            throw new Error(`${url} answered with an HTML page (a single-page-app fallback?)`);
          }
          if (response.headers.has(OFFLINE_COPY_HEADER)) offlineCopies++;
          return [key, bytes] as const;
        } catch (error) {
          reason ??= signal?.aborted ? 'aborted' : errorText(error);
          controller.abort();
          throw error;
        }
      }),
    );
    return {
      ok: true,
      files: Object.fromEntries(entries) as FileBytes,
      offlineCopy: offlineCopies === entries.length,
    };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return { ok: false, reason: reason ?? errorText(error) };
  } finally {
    unlink();
  }
}

function isHtmlContentType(contentType: string | null): boolean {
  return contentType !== null && /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType);
}

/** Gzip starts with 1f 8b and IDX with 00 00; an HTML page starts with '<' (maybe after blanks). */
function startsLikeHtml(bytes: Uint8Array): boolean {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  while (
    i < bytes.length &&
    i < 64 &&
    (bytes[i] === 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0d))
  ) {
    i++;
  }
  return bytes[i] === 0x3c; // '<'
}

// ---------------------------------------------------------------------------------------------
// 2./3. Cache Storage and the remote repository

interface RemoteContext {
  fetchImpl: typeof fetch;
  remoteBase: string;
  cache: Cache | null;
  signal: AbortSignal | undefined;
  onProgress: ((p: LoadProgress) => void) | undefined;
  /** Why the app's server did not provide the files, for error messages. */
  appFailure: string;
  cacheWriteFailures: number;
  stallTimeoutMs: number;
}

interface ObtainedFile {
  key: FashionMnistFileKey;
  parsed: ParsedFile;
  origin: 'cache' | 'download';
  /** The bytes as downloaded, kept only until they are put in the cache. */
  bytes: Uint8Array | null;
  /** The cache held a copy that failed to parse; it was deleted and the file downloaded again. */
  replacedDamagedCopy: boolean;
}

function remoteUrl(ctx: RemoteContext, key: FashionMnistFileKey): string {
  return new URL(FASHION_MNIST_FILES[key], ctx.remoteBase).href;
}

async function cachedOrDownloaded(
  ctx: RemoteContext,
  key: FashionMnistFileKey,
): Promise<ObtainedFile> {
  const file = FASHION_MNIST_FILES[key];
  const url = remoteUrl(ctx, key);
  let replacedDamagedCopy = false;
  const hit = await cacheMatch(ctx.cache, url);
  if (hit) {
    try {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      const parsed = await parseFile(key, bytes, ctx.onProgress);
      return { key, parsed, origin: 'cache', bytes: null, replacedDamagedCopy: false };
    } catch {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      // A damaged or not genuine cached copy (storage trouble mid-write, an older broken or
      // different version): forget it and download the file again.
      await cacheDelete(ctx.cache, url);
      replacedDamagedCopy = true;
    }
  }
  const bytes = await download(ctx, file, url);
  let parsed: ParsedFile;
  try {
    parsed = await parseFile(key, bytes, ctx.onProgress);
  } catch (error) {
    if (error instanceof DataFileError) {
      throw new DataFileError(file, `${error.problem} (downloaded from ${url})`);
    }
    throw error;
  }
  return { key, parsed, origin: 'download', bytes, replacedDamagedCopy };
}

async function download(ctx: RemoteContext, file: string, url: string): Promise<Uint8Array> {
  const appNote = `; the app does not serve it either (${ctx.appFailure})`;
  let response: Response;
  try {
    response = await withStallTimeout(
      ctx.fetchImpl(url, { signal: ctx.signal }),
      ctx.stallTimeoutMs,
    );
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw new DataFileError(
      file,
      `download from ${url} failed: ${errorText(error)} (offline, or blocked?)${appNote}`,
    );
  }
  if (!response.ok) {
    await cancelBody(response);
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new DataFileError(file, `download from ${url} failed: ${status}${appNote}`);
  }
  try {
    return await readBody(response, file, ctx.signal, ctx.onProgress, ctx.stallTimeoutMs);
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw new DataFileError(
      file,
      `download from ${url} broke off: ${errorText(error)} (connection lost?)`,
    );
  }
}

async function openCache(cacheStorage: CacheStorage | null): Promise<Cache | null> {
  if (!cacheStorage) return null;
  try {
    return await cacheStorage.open(DATA_CACHE_NAME);
  } catch {
    // Cache Storage can be refused (private browsing, storage disabled): work without it.
    return null;
  }
}

async function cacheMatch(cache: Cache | null, url: string): Promise<Response | undefined> {
  if (!cache) return undefined;
  try {
    return await cache.match(url);
  } catch {
    return undefined;
  }
}

async function cacheDelete(cache: Cache | null, url: string): Promise<void> {
  if (!cache) return;
  try {
    await cache.delete(url);
  } catch {
    // Nothing more to do: a stale entry is detected and replaced again next time.
  }
}

async function cachePut(ctx: RemoteContext, obtained: ObtainedFile): Promise<void> {
  const { cache } = ctx;
  const { bytes } = obtained;
  if (!cache || !bytes) return;
  obtained.bytes = null;
  try {
    await cache.put(
      remoteUrl(ctx, obtained.key),
      new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(bytes.length),
        },
      }),
    );
  } catch {
    // Quota exceeded or storage refused: the data is still usable, only not kept for next time.
    ctx.cacheWriteFailures++;
  }
}

function collect(files: ObtainedFile[]): Record<FashionMnistFileKey, ParsedFile> {
  const parsed: Partial<Record<FashionMnistFileKey, ParsedFile>> = {};
  for (const f of files) parsed[f.key] = f.parsed;
  return parsed as Record<FashionMnistFileKey, ParsedFile>;
}

function describeRemote(
  ctx: RemoteContext,
  files: ObtainedFile[],
): Pick<Dataset, 'source' | 'sourceDescription'> {
  const host = hostOf(ctx.remoteBase);
  const downloaded = files.filter((f) => f.origin === 'download');
  const damaged = files.filter((f) => f.replacedDamagedCopy).length;
  const cachedNote = !ctx.cache
    ? 'not cached: this browser offers no Cache Storage here'
    : ctx.cacheWriteFailures > 0
      ? 'could not be fully cached in this browser'
      : 'now cached in this browser';
  if (downloaded.length === 0) {
    return {
      source: 'cache',
      sourceDescription: `this browser's Cache Storage (downloaded earlier from ${host})`,
    };
  }
  if (downloaded.length === files.length) {
    return { source: 'download', sourceDescription: `downloaded from ${host} (${cachedNote})` };
  }
  const why = damaged > 0 ? `, replacing ${plural(damaged, 'damaged copy', 'damaged copies')}` : '';
  return {
    source: 'download',
    sourceDescription:
      `this browser's Cache Storage, with ${plural(downloaded.length, 'file', 'files')} ` +
      `downloaded from ${host}${why} (${cachedNote})`,
  };
}

// ---------------------------------------------------------------------------------------------
// Streaming with progress

/** Progress is reported about every 1% of a file (at least every 256 KiB), plus start and end. */
const PROGRESS_STEP_BYTES = 256 * 1024;

async function readBody(
  response: Response,
  file: string,
  signal: AbortSignal | undefined,
  onProgress: ((p: LoadProgress) => void) | undefined,
  stallTimeoutMs = Infinity,
): Promise<Uint8Array> {
  // With Content-Encoding, Content-Length counts the compressed bytes while the stream yields
  // decompressed ones, so the total is unknown.
  const encoding = response.headers.get('content-encoding');
  const lengthHeader = response.headers.get('content-length');
  const declared =
    lengthHeader !== null && /^\d+$/.test(lengthHeader.trim()) ? Number(lengthHeader) : null;
  let totalBytes = encoding && encoding.toLowerCase() !== 'identity' ? null : declared;
  const report = (loadedBytes: number): void => {
    if (totalBytes !== null && loadedBytes > totalBytes) totalBytes = null;
    onProgress?.({ stage: 'download', file, loadedBytes, totalBytes });
  };

  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    report(bytes.length);
    return bytes;
  }
  const step = Math.max(PROGRESS_STEP_BYTES, totalBytes === null ? 0 : Math.ceil(totalBytes / 100));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let reported = 0;
  report(0);
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { done, value } = await withStallTimeout(reader.read(), stallTimeoutMs);
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (loaded - reported >= step) {
        reported = loaded;
        report(loaded);
      }
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  }
  if (loaded !== reported) report(loaded);
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Rejects with "stalled" when `promise` has not settled within `timeoutMs`. */
function withStallTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  if (!Number.isFinite(timeoutMs)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const waited = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      reject(new Error(`no data arrived for ${waited} (stalled)`));
    }, timeoutMs);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

async function cancelBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The body was already closed or errored; nothing to release.
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function linkAbort(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** An absolute base URL that ends in '/', so file names resolve inside it. */
function resolveBase(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    const here = (globalThis as { location?: { href: string } }).location?.href;
    if (!here) throw new TypeError(`data base URL ${JSON.stringify(base)} must be absolute`);
    url = new URL(base, here);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** The path alone for same-origin app URLs, to match how people read them. */
function shortUrl(href: string): string {
  const url = new URL(href);
  const here = (globalThis as { location?: { origin: string } }).location?.origin;
  return here === undefined || here === url.origin ? url.pathname : href;
}

function hostOf(href: string): string {
  return new URL(href).host;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
