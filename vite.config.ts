import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy } from './vite-plugins/contentSecurityPolicy.ts';
import { serveFashionMnist } from './vite-plugins/serveFashionMnist.ts';

export default defineConfig({
  plugins: [react(), serveFashionMnist(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // bench.html is the training-step benchmark page (npm run bench); kernels-test.html and
    // variants-test.html are checked on WebGPU by e2e/kernels.spec.ts and e2e/variants.spec.ts.
    rollupOptions: {
      input: {
        main: 'index.html',
        bench: 'bench.html',
        kernelsTest: 'kernels-test.html',
        variantsTest: 'variants-test.html',
      },
    },
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
