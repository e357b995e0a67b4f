/**
 * The layers import only downward: runtime ← widgets ← viewer. The runtime is also kept free
 * of the DOM by its own tsconfig (no DOM library); this test pins the import direction.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const src = new URL('../src/', import.meta.url);
const LAYERS = ['runtime', 'widgets', 'viewer'] as const;
const ALLOWED_PACKAGES: Record<(typeof LAYERS)[number], RegExp> = {
  runtime: /^@preact\/signals-core$/,
  widgets: /^(preact|preact\/hooks|@preact\/signals)$/,
  viewer: /^(preact|preact\/hooks)$/,
};

function files(layer: string): string[] {
  return readdirSync(new URL(`${layer}/`, src), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => `${layer}/${f}`);
}

function imports(file: string): string[] {
  const text = readFileSync(new URL(file, src), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2])!,
  );
}

describe('layering', () => {
  for (const [i, layer] of LAYERS.entries()) {
    it(`${layer} imports only from itself, lower layers and its allowed packages`, () => {
      const higher = LAYERS.slice(i + 1);
      for (const file of files(layer)) {
        for (const spec of imports(file)) {
          if (spec.startsWith('.')) {
            for (const h of higher) expect(spec, `${file} imports ${spec}`).not.toMatch(new RegExp(`\\.\\./${h}/`));
          } else {
            expect(spec, `${file} imports the package ${spec}`).toMatch(ALLOWED_PACKAGES[layer]);
          }
        }
      }
    });
  }
});
