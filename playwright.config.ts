import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.mjs';
import { APP_PORT as PORT, HARNESS_PORT } from './e2e/ports.ts';

/**
 * End-to-end tests run the production build (vite preview) in Debian's Chromium, which has
 * real WebGPU through SwiftShader when started with these flags (docs/reference.md). The harness
 * pages (kernel self-test, variants check) are served from their own build (npm run
 * build:harness) on the next port.
 */

export default defineConfig({
  testDir: 'e2e',
  timeout: 5 * 60_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['html', { open: 'never' }]],
  outputDir: 'test-results',
  use: {
    baseURL: `http://localhost:${PORT}`,
    // An action whose target never appears fails within minutes, not at the test's timeout.
    actionTimeout: 120_000,
    // The production page registers a service worker, which would answer later requests from
    // its cache, out of reach of page.route (the fault injections). Only deploy.spec.ts, which
    // tests it, allows it.
    serviceWorkers: 'block',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: [
    {
      command: `npx vite preview --port ${PORT} --strictPort`,
      url: `http://localhost:${PORT}`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `npx vite preview --config vite.harness.config.ts --port ${HARNESS_PORT} --strictPort`,
      url: `http://localhost:${HARNESS_PORT}/kernels-test.html`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
});
