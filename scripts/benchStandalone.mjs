// The benchmark under Node.js on Dawn without node_modules, for a machine with a GPU and Node but
// nothing installed (no npm registry, no browser). `npm run bench:bundle` copies this file as
// bench.mjs into dist-bench-node/, beside run.mjs (harness/bench/run.ts with TF.js bundled),
// benchNode.mjs, benchTables.mjs and webgpu/ (Dawn's Node bindings for linux-x64). There:
//
//   node dist-bench-node/bench.mjs "preset=standard&kernels=all" [Dawn options ...]
//
// prints the same tables as `npm run bench` and writes the JSON to $BENCH_OUT (default: the
// current folder).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDawn, NODE_RUNTIME } from './benchNode.mjs';
import { printTables } from './benchTables.mjs';

const [query = 'preset=quick', ...dawnOptions] = process.argv.slice(2);
installDawn(await import('./webgpu/index.js'), dawnOptions);
const { runBench } = await import('./run.mjs');
const report = await runBench(new URLSearchParams(query), NODE_RUNTIME, (line) =>
  console.log(line),
);
if (report.error) throw new Error(report.error);
printTables(report);
const outDir = process.env.BENCH_OUT ?? '.';
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ query, runner: 'node-bundle', ...report }, null, 2));
console.log(`\nJSON: ${file}`);
// Dawn keeps Node alive while its GPU object exists (the webgpu package's README, "Lifetime").
process.exit(0);
