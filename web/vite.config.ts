import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Rust server embeds web/dist and serves index.html for every /app/... URL and edit.html
// for every /edit/... URL, so asset paths must be absolute (/assets/...), whatever the depth of
// the page URL.
//
// Two entries, two bundles: index.html is the viewer, edit.html the editor. Rollup splits what
// both use (Preact, the runtime, the widgets) into shared chunks, so the viewer's pages never
// load a byte of the editor (test/bundle-size.test.ts checks it).
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        edit: fileURLToPath(new URL('edit.html', import.meta.url)),
      },
    },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    environment: 'node',
  },
});
