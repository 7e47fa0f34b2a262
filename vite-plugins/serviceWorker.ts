/**
 * Builds the service worker (src/offline/serviceWorker.ts) as sw.js at the root of dist/, next
 * to index.html, so that its scope is the folder the site is served from, and writes into it
 * what to precache: every file of the build (public/ included) but the data, the build's
 * manifest and sw.js itself, and a version hashed from those files' contents. A new deploy
 * changes the version, so browsers install the new worker, which replaces the old cache.
 *
 * Build only: the dev server and `vite preview` of the harness have no service worker.
 */

import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'vite';
import { MANIFEST_GLOBAL, type OfflineManifest } from '../src/offline/policy.ts';
import { FASHION_MNIST_URL_PATH } from './serveFashionMnist.ts';

export const SERVICE_WORKER_FILE = 'sw.js';
const SERVICE_WORKER_ENTRY = 'src/offline/serviceWorker.ts';
/** The data folder relative to the site's root: 'data/fashion-mnist/'. */
export const DATA_PATH = FASHION_MNIST_URL_PATH.slice(1);

export interface BuiltFile {
  /** Relative to the output folder, with '/' separators. */
  path: string;
  bytes: Uint8Array;
}

/**
 * The manifest for a build's files: the paths to precache, sorted, and a version hashed from
 * their paths and contents. Left out: the data folder (30 MB that a visitor may never use; the
 * worker keeps the data when the page first fetches it), dot-folders (Vite's .vite/manifest.json),
 * source maps and the service worker itself.
 */
export function offlineManifest(
  files: readonly BuiltFile[],
  dataPath: string = DATA_PATH,
): OfflineManifest {
  const kept = files
    .filter(
      (file) =>
        file.path !== SERVICE_WORKER_FILE &&
        !file.path.startsWith(dataPath) &&
        !file.path.split('/').some((part) => part.startsWith('.')) &&
        !file.path.endsWith('.map'),
    )
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  for (const file of kept) {
    hash.update(`${file.path}\0${file.bytes.length}\0`);
    hash.update(file.bytes);
  }
  return {
    version: hash.digest('hex').slice(0, 16),
    precache: kept.map((file) => file.path),
    dataPath,
  };
}

/** The service worker's code with the manifest set before it runs. */
export function withManifest(code: string, manifest: OfflineManifest): string {
  return `self.${MANIFEST_GLOBAL} = ${JSON.stringify(manifest)};\n${code}`;
}

export function serviceWorker(): Plugin {
  let outDir = '';
  let entry = '';
  return {
    name: 'offline-service-worker',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
      entry = path.resolve(config.root, SERVICE_WORKER_ENTRY);
    },
    buildStart() {
      // A chunk of its own, at a fixed name: browsers look for the same URL on every visit.
      this.emitFile({ type: 'chunk', id: entry, fileName: SERVICE_WORKER_FILE });
    },
    // After the files are written, public/ copied included: the list is what dist/ holds.
    async writeBundle() {
      const files = await listFiles(outDir);
      const manifest = offlineManifest(files);
      const swPath = path.join(outDir, SERVICE_WORKER_FILE);
      const code = await readFile(swPath, 'utf8');
      if (/^\s*(import|export)\b/m.test(code)) {
        // A classic service worker cannot import: a module shared with the page would land here.
        this.error(`${SERVICE_WORKER_FILE} imports or exports; it must be one self-contained file`);
      }
      await writeFile(swPath, withManifest(code, manifest));
    },
  };
}

async function listFiles(root: string): Promise<BuiltFile[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: BuiltFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, full).split(path.sep).join('/');
    files.push({ path: relative, bytes: new Uint8Array(await readFile(full)) });
  }
  return files;
}
