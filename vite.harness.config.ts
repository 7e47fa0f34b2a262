import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { contentSecurityPolicy } from './vite-plugins/contentSecurityPolicy.ts';
import { serveFashionMnist } from './vite-plugins/serveFashionMnist.ts';

/**
 * The harness build (npm run build:harness → dist-harness/), kept apart from the product's
 * (npm run build → dist/, what a deployment serves): the training-step benchmark page
 * (bench.html, npm run bench) and the WebGPU checks of e2e/kernels.spec.ts (kernels-test.html)
 * and e2e/variants.spec.ts (variants-test.html). Their code lives in harness/ and imports the
 * product's modules from src/; the product never imports harness/.
 */
const harnessDir = fileURLToPath(new URL('./harness/', import.meta.url));

export default defineConfig({
  root: harnessDir,
  publicDir: fileURLToPath(new URL('./public/', import.meta.url)),
  plugins: [serveFashionMnist(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('./dist-harness/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        bench: `${harnessDir}bench.html`,
        kernelsTest: `${harnessDir}kernels-test.html`,
        variantsTest: `${harnessDir}variants-test.html`,
      },
    },
  },
  // The harness imports ../src: let the dev server read the whole project.
  server: {
    port: 5174,
    strictPort: true,
    fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] },
  },
  preview: { port: 4174, strictPort: true },
});
