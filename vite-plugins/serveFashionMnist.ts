/**
 * Serves the genuine Fashion-MNIST files at /data/fashion-mnist/<file> in `vite` (dev) and
 * `vite preview`, from public/data/fashion-mnist/ when a copy is there, else from the Debian
 * package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/). The data then never has to
 * be committed or copied into dist/.
 *
 * The bytes go out exactly as stored, without Content-Encoding: Vite's own static serving may
 * label .gz files `Content-Encoding: gzip`, which makes browsers decompress them behind the app's
 * back.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Connect, Plugin } from 'vite';

export const FASHION_MNIST_URL_PATH = '/data/fashion-mnist/';
export const DEFAULT_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

const GZ_NAMES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
] as const;

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
    serveFirstExisting(req, res, candidates, name, dirs).catch((error: unknown) => {
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
): Promise<void> {
  for (const file of candidates) {
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      size = info.size;
    } catch {
      continue;
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

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  res.setHeader('Cache-Control', 'no-cache');
  res.end(text);
}
