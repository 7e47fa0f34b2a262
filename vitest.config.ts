import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'harness/**/*.test.ts', 'vite-plugins/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
