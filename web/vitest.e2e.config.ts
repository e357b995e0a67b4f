import { defineConfig } from 'vitest/config';

// Browser tests: real Chromium against the real server; one file at a time (2 cores).
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
