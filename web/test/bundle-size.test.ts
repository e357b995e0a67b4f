/**
 * The JavaScript budgets (DESIGN.md §6), read from the build output (`npm run build` first):
 * - the viewer (index.html: its module scripts and their preloaded imports) stays under 30 KB
 *   gzipped, and loads none of the editor;
 * - the editor (edit.html) loads at most 250 KB gzipped before a code field is focused: code
 *   editors are imported lazily, so they are not among its scripts and preloads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const VIEWER_BUDGET_BYTES = 30 * 1024;
const EDITOR_BUDGET_BYTES = 250 * 1024;
const dist = new URL('../dist/', import.meta.url);

function loadedScripts(html: string): string[] {
  const srcs = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  return [...new Set([...srcs, ...preloads])];
}

/** Every script a page loads up front: its scripts, preloads and their static imports. */
function staticGraph(htmlFile: string): string[] {
  const seen = new Set<string>();
  const queue = loadedScripts(readFileSync(new URL(htmlFile, dist), 'utf8'));
  while (queue.length > 0) {
    const src = queue.shift()!;
    if (seen.has(src)) continue;
    seen.add(src);
    const code = readFileSync(new URL(`.${src}`, dist), 'utf8');
    // Static imports only (`import{…}from"./x.js"`, `import"./x.js"`), not `import("./x.js")`.
    for (const [, spec] of code.matchAll(/\bimport\s*(?:[\w*{}\s,$]+?\s*from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
      queue.push(new URL(spec!, new URL(`.${src}`, dist)).pathname.replace(new URL(dist).pathname, '/'));
    }
  }
  return [...seen];
}

function gzippedTotal(scripts: string[]): { total: number; sizes: Record<string, number> } {
  const sizes: Record<string, number> = {};
  let total = 0;
  for (const src of scripts) {
    sizes[src] = gzipSync(readFileSync(new URL(`.${src}`, dist))).length;
    total += sizes[src];
  }
  return { total, sizes };
}

for (const [page, what] of [
  ['index.html', 'viewer'],
  ['edit.html', 'editor'],
] as const) {
  describe(`the built ${what} (${page})`, () => {
    it('exists (run `npm run build` before `npm test`)', () => {
      expect(existsSync(new URL(page, dist)), `web/dist/${page} is missing: run \`npm run build\` first`).toBe(true);
    });

    it('references its assets by absolute /assets/ paths', () => {
      const html = readFileSync(new URL(page, dist), 'utf8');
      const scripts = loadedScripts(html);
      expect(scripts.length).toBeGreaterThan(0);
      for (const s of scripts) expect(s).toMatch(/^\/assets\/[\w.-]+\.js$/);
      for (const [, href] of html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)) {
        expect(href).toMatch(/^\/assets\//);
      }
    });
  });
}

describe('JavaScript budgets', () => {
  it('the viewer loads under 30 KB of gzipped JavaScript for a page', () => {
    const { total, sizes } = gzippedTotal(staticGraph('index.html'));
    console.log(`viewer JavaScript: ${(total / 1024).toFixed(1)} KB gzipped`, sizes);
    expect(total).toBeLessThan(VIEWER_BUDGET_BYTES);
  });

  it('the viewer loads none of the editor', () => {
    // Strings only the editor's code holds (its sign-in, its pages panel, its save state).
    const editorOnly = ['Page options for ', 'All changes saved', 'Sign in with your builder account'];
    for (const src of staticGraph('index.html')) {
      const code = readFileSync(new URL(`.${src}`, dist), 'utf8');
      for (const marker of editorOnly) expect(code, `${src} holds editor code ("${marker}")`).not.toContain(marker);
    }
    // And the markers are really in the editor's bundle, or the check above proves nothing.
    const editorCode = staticGraph('edit.html')
      .map((src) => readFileSync(new URL(`.${src}`, dist), 'utf8'))
      .join('\n');
    for (const marker of editorOnly) expect(editorCode).toContain(marker);
  });

  it('the editor loads at most 250 KB of gzipped JavaScript before a code field is focused', () => {
    const { total, sizes } = gzippedTotal(staticGraph('edit.html'));
    console.log(`editor JavaScript: ${(total / 1024).toFixed(1)} KB gzipped`, sizes);
    expect(total).toBeLessThanOrEqual(EDITOR_BUDGET_BYTES);
  });
});
