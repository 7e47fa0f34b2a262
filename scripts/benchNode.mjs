// The benchmark under Node.js on Dawn (the npm package `webgpu`), for a machine with a GPU but
// no browser: installs Dawn as navigator.gpu, then loads harness/bench/run.ts through Vite's module
// runner (TypeScript compiled on the fly, dependencies from node_modules as Node loads them) and
// runs it with the same query the page takes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// Chromium's own Vulkan loader and SwiftShader, the software adapter the browser tests use.
const CHROMIUM_LIB_DIR = process.env.CHROMIUM_LIB_DIR ?? '/usr/lib/chromium';
export const SWIFTSHADER_ICD = join(CHROMIUM_LIB_DIR, 'vk_swiftshader_icd.json');

/**
 * With --swiftshader, reruns this process with Dawn pointed at Chromium's SwiftShader (a machine
 * without a GPU or a system Vulkan loader). The loader's search path is read when the process
 * starts, hence a child process. Returns only in the process that is to run the benchmark.
 */
export function reexecOnSwiftShader() {
  if (process.env.VK_ICD_FILENAMES === SWIFTSHADER_ICD) return;
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new Error(`no SwiftShader at ${SWIFTSHADER_ICD} (set CHROMIUM_LIB_DIR)`);
  }
  const child = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      VK_ICD_FILENAMES: SWIFTSHADER_ICD,
      LD_LIBRARY_PATH: [CHROMIUM_LIB_DIR, process.env.LD_LIBRARY_PATH]
        .filter(Boolean)
        .join(delimiter),
    },
  });
  process.exit(child.status ?? 1);
}

/**
 * Makes Dawn (the `webgpu` package's module: { create, globals }) this process's navigator.gpu,
 * with `dawnOptions` (see its README: 'backend=vulkan', 'adapter=NAME', ...). Must run before
 * @tensorflow/tfjs-backend-webgpu is imported: it registers its backend only where
 * navigator.gpu exists.
 */
export function installDawn({ create, globals }, dawnOptions) {
  Object.assign(globalThis, globals);
  const gpu = create(dawnOptions);
  // Node 21+ has a navigator of its own, without gpu; Node 20 has none.
  if (globalThis.navigator) {
    Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  } else {
    globalThis.navigator = { gpu };
  }
}

/** The runtime line of a Node report. */
export const NODE_RUNTIME = `Node.js ${process.version} on Dawn (npm webgpu)`;

/**
 * Runs the benchmark for `query` (bench.html's query string) on Dawn with `dawnOptions`,
 * printing progress lines.
 */
export async function runInNode(query, dawnOptions) {
  installDawn(await import('webgpu'), dawnOptions);
  const { runnerImport } = await import('vite');
  // configFile: false keeps the app's browser plugins out.
  const { module } = await runnerImport('./harness/bench/run.ts', {
    configFile: false,
    logLevel: 'warn',
  });
  return module.runBench(new URLSearchParams(query), NODE_RUNTIME, (line) => console.log(line));
}
