import { defineConfig } from 'vitest/config';

// The Rust server embeds web/dist and serves index.html for every /app/... URL, so asset
// paths must be absolute (/assets/...), whatever the depth of the page URL.
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    environment: 'node',
  },
});
