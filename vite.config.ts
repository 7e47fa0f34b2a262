import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy } from './vite-plugins/contentSecurityPolicy.ts';
import { serveFashionMnist } from './vite-plugins/serveFashionMnist.ts';
import { serviceWorker } from './vite-plugins/serviceWorker.ts';

export default defineConfig({
  // Relative URLs throughout, so that one build works from any folder of any static server
  // (https://host/ or https://host/alexnet/); see the README's Deploy section.
  base: './',
  plugins: [react(), serveFashionMnist(), contentSecurityPolicy(), serviceWorker()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // The manifest lets scripts/checkEntrySize.mjs measure what index.html loads. The
    // harness pages (benchmark, kernel and variants checks) have a build of their own:
    // vite.harness.config.ts.
    manifest: true,
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
