/**
 * The layers import only downward: runtime ← widgets ← viewer ← editor. The runtime is also
 * kept free of the DOM by its own tsconfig (no DOM library); this test pins the import
 * direction. The editor may import every layer below it; nothing imports the editor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const src = new URL('../src/', import.meta.url);
const LAYERS = ['runtime', 'widgets', 'viewer', 'editor'] as const;
const ALLOWED_PACKAGES: Record<(typeof LAYERS)[number], RegExp> = {
  runtime: /^@preact\/signals-core$/,
  widgets: /^(preact|preact\/hooks|@preact\/signals)$/,
  viewer: /^(preact|preact\/hooks)$/,
  // Code editors (CodeMirror) come in with the next part of the builder, imported lazily.
  editor: /^(preact|preact\/hooks|@preact\/signals|@preact\/signals-core|@codemirror\/[\w-]+|codemirror)$/,
};

function files(dir: string): string[] {
  return readdirSync(new URL(`${dir}/`, src), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => `${dir}/${f}`);
}

function imports(file: string): string[] {
  const text = readFileSync(new URL(file, src), 'utf8');
  // An import or re-export statement holds no parentheses or semicolons before its `from`,
  // which keeps the match from running on into code (`differs from "${name}"`).
  const statics = [...text.matchAll(/^\s*(?:import|export)\b[^'";()]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2])!,
  );
  const dynamics = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...statics, ...dynamics];
}

describe('layering', () => {
  for (const [i, layer] of LAYERS.entries()) {
    it(`${layer} imports only from itself, lower layers and its allowed packages`, () => {
      const higher = LAYERS.slice(i + 1);
      for (const file of files(layer)) {
        for (const spec of imports(file)) {
          if (spec.startsWith('.')) {
            for (const h of higher) expect(spec, `${file} imports ${spec}`).not.toMatch(new RegExp(`\\.\\./(?:\\.\\./)*${h}/`));
          } else if (!spec.endsWith('.json')) {
            expect(spec, `${file} imports the package ${spec}`).toMatch(ALLOWED_PACKAGES[layer]);
          }
        }
      }
    });
  }

  it('nothing outside the editor imports it (the viewer entry included)', () => {
    const outside = [...files('runtime'), ...files('widgets'), ...files('viewer'), 'main.ts'];
    for (const file of outside) {
      for (const spec of imports(file)) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)editor\//);
    }
  });
});
