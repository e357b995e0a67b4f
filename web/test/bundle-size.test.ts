/**
 * The viewer's JavaScript budget (DESIGN.md §6): what index.html loads for a page (its module
 * scripts and their preloaded imports) must stay under 100 KB gzipped. Reads the build output,
 * so `npm run build` must run first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const BUDGET_BYTES = 100 * 1024;
const dist = new URL('../dist/', import.meta.url);

function loadedScripts(html: string): string[] {
  const srcs = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  return [...new Set([...srcs, ...preloads])];
}

describe('the built viewer', () => {
  const indexUrl = new URL('index.html', dist);
  it('exists (run `npm run build` before `npm test`)', () => {
    expect(existsSync(indexUrl), 'web/dist/index.html is missing: run `npm run build` first').toBe(true);
  });

  it('references its assets by absolute /assets/ paths', () => {
    const html = readFileSync(indexUrl, 'utf8');
    const scripts = loadedScripts(html);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toMatch(/^\/assets\/[\w.-]+\.js$/);
    for (const [, href] of html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)) {
      expect(href).toMatch(/^\/assets\//);
    }
  });

  it('loads under 100 KB of gzipped JavaScript for a page', () => {
    const html = readFileSync(indexUrl, 'utf8');
    let total = 0;
    const sizes: Record<string, number> = {};
    for (const src of loadedScripts(html)) {
      const bytes = readFileSync(new URL(`.${src}`, dist));
      sizes[src] = gzipSync(bytes).length;
      total += sizes[src];
    }
    console.log(`viewer JavaScript: ${(total / 1024).toFixed(1)} KB gzipped`, sizes);
    expect(total).toBeLessThan(BUDGET_BYTES);
  });
});
