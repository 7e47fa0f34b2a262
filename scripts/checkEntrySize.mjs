#!/usr/bin/env node
// Keeps TensorFlow.js off the main thread: reads the production build's manifest
// (dist/.vite/manifest.json, build.manifest in vite.config.ts), follows index.html's entry
// chunk and its static imports (the modulepreloads), and fails when that JavaScript is over
// MAX_ENTRY_GZIP_BYTES gzip or contains TensorFlow.js. Only the worker trains; its chunk is
// loaded by `new Worker`, not by the page. It also fails when the build holds a test harness
// (the benchmark, kernel self-test and variants pages have their own build,
// vite.harness.config.ts). Run by `npm test` after `npm run build`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

export const MAX_ENTRY_GZIP_BYTES = 200 * 1024;
/** tfjs-core reads its flags from this URL parameter: the string is in every build of TF.js. */
export const TFJS_MARKER = 'tfjsflags';

/**
 * The JavaScript files `entry` loads before it runs: its own chunk and, transitively, the
 * chunks it imports statically. Dynamic imports and worker assets are left out (loaded later,
 * or in another thread).
 */
export function entryChunkFiles(manifest, entry = 'index.html') {
  if (!manifest[entry]) throw new Error(`the manifest has no entry ${entry}`);
  const files = [];
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`the manifest has no chunk ${key}`);
    if (chunk.file.endsWith('.js')) files.push(chunk.file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit(entry);
  return files;
}

/** Problems with what `entry` loads from `distDir` (none: an empty list), and the sizes. */
export function checkEntry(distDir = 'dist', entry = 'index.html') {
  const manifest = JSON.parse(readFileSync(join(distDir, '.vite', 'manifest.json'), 'utf8'));
  const chunks = entryChunkFiles(manifest, entry).map((file) => {
    const code = readFileSync(join(distDir, file));
    return {
      file,
      gzipBytes: gzipSync(code).length,
      hasTfjs: code.includes(TFJS_MARKER),
    };
  });
  const totalGzipBytes = chunks.reduce((sum, chunk) => sum + chunk.gzipBytes, 0);
  const problems = chunks
    .filter((chunk) => chunk.hasTfjs)
    .map((chunk) => `${chunk.file} contains TensorFlow.js (it must load only in the worker)`);
  // The product has one page; the harness pages and their code are built only for the tests.
  const harness = [
    ...readdirSync(distDir).filter((name) => name.endsWith('.html') && name !== entry),
    ...Object.keys(manifest).filter((key) => key.startsWith('harness/')),
  ];
  for (const item of harness) {
    problems.push(`${item} is a test harness in the production build (npm run build:harness)`);
  }
  if (totalGzipBytes > MAX_ENTRY_GZIP_BYTES) {
    problems.push(
      `${entry} loads ${kilobytes(totalGzipBytes)} of JavaScript gzip, over ` +
        `${kilobytes(MAX_ENTRY_GZIP_BYTES)}`,
    );
  }
  return { chunks, totalGzipBytes, problems };
}

function kilobytes(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { chunks, totalGzipBytes, problems } = checkEntry(process.argv[2] ?? 'dist');
  for (const chunk of chunks) console.log(`${chunk.file}: ${kilobytes(chunk.gzipBytes)} gzip`);
  console.log(
    `index.html loads ${kilobytes(totalGzipBytes)} of JavaScript gzip ` +
      `(at most ${kilobytes(MAX_ENTRY_GZIP_BYTES)})`,
  );
  for (const problem of problems) console.error(`FAIL: ${problem}`);
  process.exit(problems.length === 0 ? 0 : 1);
}
