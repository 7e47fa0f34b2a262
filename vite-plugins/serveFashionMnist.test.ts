import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createServer as createViteServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionMnistMiddleware, serveFashionMnist } from './serveFashionMnist.ts';

const SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
const BASE = '/data/fashion-mnist/';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with the path sent exactly as written (fetch would normalise `..` away). */
function rawRequest(port: number, rawPath: string, method = 'GET'): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('fashionMnistMiddleware', () => {
  let tmp: string;
  let server: Server;
  let port: number;
  let emptyServer: Server;
  let emptyPort: number;
  // The genuine contents in another gzip wrapping: other bytes, the same data.
  const publicCopy = gzipSync(
    gunzipSync(readFileSync(path.join(SYSTEM_DIR, 't10k-labels-idx1-ubyte.gz'))),
    { level: 1 },
  );
  let badServer: Server;
  let badPort: number;
  let badDir: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'fmnist-mw-'));
    const publicDir = path.join(tmp, 'public');
    mkdirSync(path.join(publicDir, 'data', 'fashion-mnist'), { recursive: true });
    writeFileSync(
      path.join(publicDir, 'data', 'fashion-mnist', 't10k-labels-idx1-ubyte.gz'),
      publicCopy,
    );
    const next = (res: ServerResponse): void => {
      res.statusCode = 418;
      res.end('next');
    };
    const mw = fashionMnistMiddleware({ publicDir, systemDir: SYSTEM_DIR });
    server = createServer((req, res) => mw(req, res, () => next(res)));
    port = await listen(server);
    // Neither folder has the files.
    const missing = fashionMnistMiddleware({
      publicDir: path.join(tmp, 'nothing'),
      systemDir: path.join(tmp, 'nowhere'),
    });
    emptyServer = createServer((req, res) => missing(req, res, () => next(res)));
    emptyPort = await listen(emptyServer);
    // Files under the known names that are not the genuine ones: a label changed (still valid
    // IDX), the training labels under the test labels' name, and a text file.
    badDir = path.join(tmp, 'bad', 'data', 'fashion-mnist');
    mkdirSync(badDir, { recursive: true });
    const labels = gunzipSync(readFileSync(path.join(SYSTEM_DIR, 'train-labels-idx1-ubyte.gz')));
    labels[8] = (labels[8] + 1) % 10;
    writeFileSync(path.join(badDir, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
    writeFileSync(
      path.join(badDir, 't10k-labels-idx1-ubyte.gz'),
      readFileSync(path.join(SYSTEM_DIR, 'train-labels-idx1-ubyte.gz')),
    );
    writeFileSync(path.join(badDir, 't10k-images-idx3-ubyte'), 'not the images\n');
    const bad = fashionMnistMiddleware({ publicDir: path.join(tmp, 'bad'), systemDir: SYSTEM_DIR });
    badServer = createServer((req, res) => bad(req, res, () => next(res)));
    badPort = await listen(badServer);
  });

  afterAll(() => {
    server.close();
    emptyServer.close();
    badServer.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves a system file byte-identical, without Content-Encoding', async () => {
    for (const name of ['train-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz']) {
      const reply = await rawRequest(port, BASE + name);
      const onDisk = readFileSync(path.join(SYSTEM_DIR, name));
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/octet-stream');
      expect(reply.headers['content-length']).toBe(String(onDisk.length));
      expect(reply.headers['cache-control']).toBe('no-cache');
      expect(reply.headers['content-encoding']).toBeUndefined();
      expect(sha256(reply.body)).toBe(sha256(onDisk));
    }
  });

  it('prefers the copy in public/data/fashion-mnist/ (genuine contents, another gzip header)', async () => {
    const reply = await rawRequest(port, `${BASE}t10k-labels-idx1-ubyte.gz?v=1`);
    expect(reply.status).toBe(200);
    expect(reply.body.equals(publicCopy)).toBe(true);
    expect(
      publicCopy.equals(readFileSync(path.join(SYSTEM_DIR, 't10k-labels-idx1-ubyte.gz'))),
    ).toBe(false);
  });

  it('refuses a file whose decompressed contents are not the genuine Fashion-MNIST, naming it', async () => {
    const problems = {
      'train-labels-idx1-ubyte.gz':
        /SHA-256 of the decompressed contents [0-9a-f]{64}, expected bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9\); replace it/,
      't10k-labels-idx1-ubyte.gz':
        /it decompresses to more than the genuine contents' 10008 bytes\)$/,
      't10k-images-idx3-ubyte':
        /SHA-256 of the decompressed contents [0-9a-f]{64}, expected 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b\); replace it/,
    };
    for (const [name, problem] of Object.entries(problems)) {
      for (const method of ['GET', 'HEAD']) {
        const reply = await rawRequest(badPort, BASE + name, method);
        expect(reply.status, `${method} ${name}`).toBe(500);
        if (method === 'HEAD') continue;
        expect(reply.headers['content-type']).toMatch(/^text\/plain/);
        const text = reply.body.toString().trim();
        expect(
          text.startsWith(
            `${name} (${path.join(badDir, name)}): its contents are not the genuine Fashion-MNIST (`,
          ),
        ).toBe(true);
        expect(text).toMatch(problem);
      }
    }
    // The genuine files beside them are still served.
    expect((await rawRequest(badPort, `${BASE}train-images-idx3-ubyte.gz`)).status).toBe(200);
  });

  it('accepts a name without .gz (serving the .gz file when no raw copy exists)', async () => {
    const reply = await rawRequest(port, `${BASE}t10k-images-idx3-ubyte`);
    expect(reply.status).toBe(200);
    expect(sha256(reply.body)).toBe(
      sha256(readFileSync(path.join(SYSTEM_DIR, 't10k-images-idx3-ubyte.gz'))),
    );
  });

  it('answers HEAD with the headers only', async () => {
    const reply = await rawRequest(port, `${BASE}train-labels-idx1-ubyte.gz`, 'HEAD');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe('29491');
    expect(reply.body.length).toBe(0);
  });

  it('404s an unknown name and every traversal attempt', async () => {
    for (const rawPath of [
      `${BASE}secret.gz`,
      `${BASE}`,
      `${BASE}../../../../etc/passwd`,
      `${BASE}..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
      `${BASE}%2e%2e/%2e%2e/etc/passwd`,
      `${BASE}sub/train-labels-idx1-ubyte.gz`,
      `${BASE}%2Fusr%2Fshare%2Fdatasets%2Ffashion-mnist%2Ftrain-labels-idx1-ubyte.gz`,
      `${BASE}%E0%A4%A`,
    ]) {
      const reply = await rawRequest(port, rawPath);
      expect(reply.status, rawPath).toBe(404);
      expect(reply.body.toString()).toMatch(/Not a Fashion-MNIST file/);
    }
  });

  it('404s with a helpful text when the file is in neither folder', async () => {
    const reply = await rawRequest(emptyPort, `${BASE}train-images-idx3-ubyte.gz`);
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    const text = reply.body.toString();
    expect(text).toContain(path.join(tmp, 'nothing', 'data', 'fashion-mnist'));
    expect(text).toContain(path.join(tmp, 'nowhere'));
    expect(text).toContain('apt-get install dataset-fashion-mnist');
  });

  it('passes other paths on and refuses other methods', async () => {
    expect((await rawRequest(port, '/index.html')).status).toBe(418);
    expect((await rawRequest(port, '/data/fashion-mnist-other/x')).status).toBe(418);
    const post = await rawRequest(port, `${BASE}train-labels-idx1-ubyte.gz`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

describe('serveFashionMnist plugin', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'fmnist-vite-'));
    mkdirSync(path.join(root, 'dist'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(path.join(root, 'dist', 'index.html'), '<!doctype html><title>app</title>');
    // A .gz in Vite's own public folder path must still come out without Content-Encoding.
    mkdirSync(path.join(root, 'public', 'data', 'fashion-mnist'), { recursive: true });
    writeFileSync(
      path.join(root, 'public', 'data', 'fashion-mnist', 'train-labels-idx1-ubyte.gz'),
      readFileSync(path.join(SYSTEM_DIR, 'train-labels-idx1-ubyte.gz')),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves the files in the dev server', async () => {
    const vite = await createViteServer({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [serveFashionMnist()],
      server: { port: 0, host: '127.0.0.1', ws: false },
    });
    await vite.listen();
    try {
      const port = (vite.httpServer?.address() as AddressInfo).port;
      for (const name of ['train-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
        const reply = await rawRequest(port, BASE + name);
        expect(reply.status).toBe(200);
        expect(reply.headers['content-encoding']).toBeUndefined();
        expect(reply.body.equals(readFileSync(path.join(SYSTEM_DIR, name)))).toBe(true);
      }
      expect((await rawRequest(port, `${BASE}nope.gz`)).status).toBe(404);
    } finally {
      await vite.close();
    }
  });

  it('serves the files in `vite preview`', async () => {
    const server = await preview({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [serveFashionMnist()],
      preview: { port: 0, host: '127.0.0.1' },
    });
    try {
      const port = (server.httpServer.address() as AddressInfo).port;
      const reply = await rawRequest(port, `${BASE}t10k-labels-idx1-ubyte.gz`);
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/octet-stream');
      expect(
        reply.body.equals(readFileSync(path.join(SYSTEM_DIR, 't10k-labels-idx1-ubyte.gz'))),
      ).toBe(true);
      expect((await rawRequest(port, `${BASE}../index.html`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
