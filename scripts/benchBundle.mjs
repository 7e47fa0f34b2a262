#!/usr/bin/env node
// npm run bench:bundle: the Node benchmark as a folder that runs with Node alone
// (dist-bench-node/, about 30 MB): harness/bench/run.ts and TF.js bundled into run.mjs by Vite,
// Dawn's Node bindings for linux-x64 (the `webgpu` package) in webgpu/, and the runner
// (benchStandalone.mjs as bench.mjs). For a GPU machine with no npm registry and no browser:
// copy the folder there and run `node dist-bench-node/bench.mjs "preset=standard&kernels=all"`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}dist-bench-node`;
const DAWN_PLATFORM = 'linux-x64';

await build({
  root,
  configFile: false,
  publicDir: false,
  logLevel: 'warn',
  // Everything bundled (noExternal) but Dawn, which the runner loads from webgpu/.
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: `${root}harness/bench/run.ts`,
    outDir,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: { output: { entryFileNames: 'run.mjs', format: 'es' } },
  },
});

const webgpu = `${root}node_modules/webgpu`;
mkdirSync(`${outDir}/webgpu/dist/${DAWN_PLATFORM}`, { recursive: true });
for (const file of ['index.js', 'package.json', `dist/${DAWN_PLATFORM}/dawn.node`]) {
  copyFileSync(`${webgpu}/${file}`, `${outDir}/webgpu/${file}`);
}
copyFileSync(`${root}scripts/benchStandalone.mjs`, `${outDir}/bench.mjs`);
for (const file of ['benchNode.mjs', 'benchTables.mjs']) {
  copyFileSync(`${root}scripts/${file}`, `${outDir}/${file}`);
}
console.log(`${outDir}: node ${outDir}/bench.mjs "preset=quick&kernels=all"`);
