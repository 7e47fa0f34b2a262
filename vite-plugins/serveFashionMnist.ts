/**
 * Serves the genuine Fashion-MNIST files at /data/fashion-mnist/<file> in `vite` (dev) and
 * `vite preview`, from public/data/fashion-mnist/ when a copy is there, else from the Debian
 * package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/). The data then never has to
 * be committed or copied into dist/.
 *
 * The bytes go out exactly as stored, without Content-Encoding: Vite's own static serving may
 * label .gz files `Content-Encoding: gzip`, which makes browsers decompress them behind the app's
 * back.
 *
 * Only the genuine files are served: a file's decompressed contents must have the SHA-256 the
 * app expects (FASHION_MNIST_SHA256); another file under a known name answers 500 with a message
 * naming it, and the app then looks in its cache or downloads.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Connect, Plugin } from 'vite';
import {
  FASHION_MNIST_FILES,
  FASHION_MNIST_SHA256,
  type FashionMnistFileKey,
} from '../src/data/fashionMnist.ts';

const gunzipAsync = promisify(gunzip);

export const FASHION_MNIST_URL_PATH = '/data/fashion-mnist/';
export const DEFAULT_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

const GZ_NAMES = Object.values(FASHION_MNIST_FILES);

/** The genuine files' decompressed sizes: Fashion-MNIST's 60,000 and 10,000 28×28 images. */
const CONTENT_BYTES: Readonly<Record<FashionMnistFileKey, number>> = {
  trainImages: 16 + 60_000 * 28 * 28,
  trainLabels: 8 + 60_000,
  testImages: 16 + 10_000 * 28 * 28,
  testLabels: 8 + 10_000,
};

export interface FashionMnistMiddlewareOptions {
  /** The project's public folder; files are looked for in <publicDir>/data/fashion-mnist/. */
  publicDir: string;
  /** Folder holding the four files directly (default /usr/share/datasets/fashion-mnist). */
  systemDir?: string;
}

/**
 * A connect middleware for GET/HEAD /data/fashion-mnist/<name>, where <name> is one of the four
 * Fashion-MNIST file names, with or without `.gz`. A name without `.gz` is served from an
 * uncompressed copy when one exists, else from the `.gz` file (the app detects gzip by its magic
 * bytes). Other names under that path answer 404; other paths go to `next`.
 */
export function fashionMnistMiddleware(
  options: FashionMnistMiddlewareOptions,
): Connect.NextHandleFunction {
  const publicDataDir = path.join(options.publicDir, 'data', 'fashion-mnist');
  const systemDir = options.systemDir ?? DEFAULT_SYSTEM_DIR;
  const dirs = [publicDataDir, systemDir];
  const verified = new VerifiedFiles();

  return (req, res, next) => {
    const pathname = (req.url ?? '/').split(/[?#]/, 1)[0];
    if (!pathname.startsWith(FASHION_MNIST_URL_PATH)) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, `${req.method ?? 'This method'} is not allowed here; use GET or HEAD.\n`);
      return;
    }
    // Only the exact known names are accepted, so no request (`..`, encoded slashes, absolute
    // paths) can reach any other file.
    const name = knownName(pathname.slice(FASHION_MNIST_URL_PATH.length));
    if (name === null) {
      sendText(
        res,
        404,
        `Not a Fashion-MNIST file. Known names under ${FASHION_MNIST_URL_PATH}: ` +
          `${GZ_NAMES.join(', ')} (also without .gz).\n`,
      );
      return;
    }
    const candidates = name.endsWith('.gz')
      ? dirs.map((dir) => path.join(dir, name))
      : dirs.flatMap((dir) => [path.join(dir, name), path.join(dir, `${name}.gz`)]);
    serveFirstExisting(req, res, candidates, name, dirs, verified).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `Could not read ${name}: ${String(error)}\n`);
      else res.destroy();
    });
  };
}

/** The Vite plugin: the middleware in both the dev server and `vite preview`. */
export function serveFashionMnist(
  options: { publicDir?: string; systemDir?: string } = {},
): Plugin {
  let middleware: Connect.NextHandleFunction | null = null;
  return {
    name: 'serve-fashion-mnist',
    configResolved(config) {
      // Vite's resolved publicDir is absolute ('' when disabled); an explicit option wins.
      const publicDir = options.publicDir
        ? path.resolve(config.root, options.publicDir)
        : config.publicDir || path.resolve(config.root, 'public');
      middleware = fashionMnistMiddleware({ publicDir, systemDir: options.systemDir });
    },
    configureServer(server) {
      if (middleware) server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      if (middleware) server.middlewares.use(middleware);
    },
  };
}

function knownName(encoded: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  for (const gz of GZ_NAMES) {
    if (name === gz || name === gz.slice(0, -'.gz'.length)) return name;
  }
  return null;
}

async function serveFirstExisting(
  req: IncomingMessage,
  res: ServerResponse,
  candidates: string[],
  name: string,
  dirs: string[],
  verified: VerifiedFiles,
): Promise<void> {
  for (const file of candidates) {
    let size: number;
    let mtimeMs: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      size = info.size;
      mtimeMs = info.mtimeMs;
    } catch {
      continue;
    }
    const problem = await verified.problemOf(file, size, mtimeMs);
    if (problem !== null) {
      sendText(res, 500, `${name} (${file}): ${problem}\n`);
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(size));
    res.setHeader('Cache-Control', 'no-cache');
    res.removeHeader('Content-Encoding');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', (error) => {
      if (!res.headersSent) sendText(res, 500, `Could not read ${file}: ${error.message}\n`);
      else res.destroy(error);
    });
    res.on('close', () => stream.destroy());
    stream.pipe(res);
    return;
  }
  sendText(
    res,
    404,
    `Fashion-MNIST file ${name} not found. Looked in:\n` +
      dirs.map((dir) => `  ${dir}/\n`).join('') +
      'Install the data set with `apt-get install dataset-fashion-mnist` (Debian), or copy the ' +
      `four .gz files into ${dirs[0]}/.\n`,
  );
}

/**
 * Whether each file holds the genuine contents, worked out once per file version (path, size,
 * modification time): the largest takes a fraction of a second to decompress and hash.
 */
class VerifiedFiles {
  private readonly results = new Map<string, Promise<string | null>>();

  problemOf(file: string, size: number, mtimeMs: number): Promise<string | null> {
    const id = `${file}\0${size}\0${mtimeMs}`;
    let result = this.results.get(id);
    if (result === undefined) {
      result = genuineProblem(file, size);
      this.results.set(id, result);
      // A read error is not remembered: the next request tries again.
      result.catch(() => this.results.delete(id));
    }
    return result;
  }
}

/** Null when the file's decompressed contents are the genuine Fashion-MNIST file's, else why not. */
async function genuineProblem(file: string, size: number): Promise<string | null> {
  const base = path.basename(file);
  const key = (Object.keys(FASHION_MNIST_FILES) as FashionMnistFileKey[]).find(
    (k) => FASHION_MNIST_FILES[k] === base || FASHION_MNIST_FILES[k] === `${base}.gz`,
  );
  if (key === undefined) throw new Error(`internal error: ${base} is not a Fashion-MNIST name`);
  // Neither the raw contents nor any gzip of them is this large: refused without reading it.
  if (size > CONTENT_BYTES[key] + 64 * 1024) {
    return (
      `its contents are not the genuine Fashion-MNIST (the file has ${size} bytes; the genuine ` +
      `contents have ${CONTENT_BYTES[key]})`
    );
  }
  const stored = await readFile(file);
  let contents: Buffer;
  if (stored[0] === 0x1f && stored[1] === 0x8b) {
    try {
      // Bounded: a file that decompresses past the genuine size is refused, not held in memory.
      contents = await gunzipAsync(stored, { maxOutputLength: CONTENT_BYTES[key] + 1 });
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      const reason = tooLarge
        ? `it decompresses to more than the genuine contents' ${CONTENT_BYTES[key]} bytes`
        : `it is not a complete gzip file: ${error instanceof Error ? error.message : String(error)}`;
      return `its contents are not the genuine Fashion-MNIST (${reason})`;
    }
  } else {
    contents = stored;
  }
  const digest = createHash('sha256').update(contents).digest('hex');
  if (digest === FASHION_MNIST_SHA256[key]) return null;
  return (
    `its contents are not the genuine Fashion-MNIST (SHA-256 of the decompressed contents ` +
    `${digest}, expected ${FASHION_MNIST_SHA256[key]}); replace it with the file from ` +
    'https://github.com/zalandoresearch/fashion-mnist or remove it'
  );
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  res.setHeader('Cache-Control', 'no-cache');
  res.end(text);
}
