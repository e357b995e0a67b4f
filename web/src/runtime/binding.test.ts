import { describe, expect, it } from 'vitest';
import vectorFile from '../../../schema/binding-vectors.json';
import { bindingCodes, parseTemplate, splitTemplate } from './binding.ts';

const codes = (s: string) => bindingCodes(parseTemplate(s).template);

describe('parseTemplate', () => {
  it('returns plain text as one text segment and no binding', () => {
    const { template, diagnostics } = parseTemplate('Log in');
    expect(template.segments).toEqual([{ kind: 'text', text: 'Log in' }]);
    expect(template.single).toBe(false);
    expect(diagnostics).toEqual([]);
  });

  it('marks a lone binding (whitespace around allowed) as single', () => {
    expect(parseTemplate('{{inp_username.text}}').template.single).toBe(true);
    expect(parseTemplate('  {{ a }}\n').template.single).toBe(true);
    expect(codes('{{  inp_username.text  }}')).toEqual(['inp_username.text']);
  });

  it('splits text around several bindings', () => {
    const { template } = parseTemplate('Hello {{user.first}} {{user.last}}!');
    expect(template.single).toBe(false);
    expect(template.segments.map((s) => (s.kind === 'text' ? s.text : `<${s.code}>`))).toEqual([
      'Hello ',
      '<user.first>',
      ' ',
      '<user.last>',
      '!',
    ]);
  });

  it('does not end a binding at braces of a nested object literal', () => {
    expect(codes('{{ {a: {b: 1}} }}')).toEqual(['{a: {b: 1}}']);
    expect(codes('{{ {a: 1}}}')).toEqual(['{a: 1}']);
  });

  it('does not end a binding at "}}" inside strings', () => {
    expect(codes(`{{ "}}" + '}}' }}`)).toEqual([`"}}" + '}}'`]);
    expect(codes(`{{ 'it\\'s }}' }} tail`)).toEqual([`'it\\'s }}'`]);
  });

  it('handles template literals with nested interpolations', () => {
    expect(codes('{{ `a ${ {x: `}}${1}`}.x } b` }}')).toEqual(['`a ${ {x: `}}${1}`}.x } b`']);
  });

  it('handles the example app\'s multi-line table binding', () => {
    const src = `{{ get_user.data ? [\n { field: 'Email', value: get_user.data.email },\n] : [] }}`;
    const { template } = parseTemplate(src);
    expect(template.single).toBe(true);
    expect(codes(src)[0]).toContain("field: 'Email'");
  });

  it('skips block comments and lets a line comment end at the closing braces', () => {
    expect(codes('{{ a /* }} */ + 1 }}')).toEqual(['a /* }} */ + 1']);
    expect(codes('{{ a // note }}')).toEqual(['a // note']);
  });

  it('reports an unclosed binding as a diagnostic and keeps the text', () => {
    const { template, diagnostics } = parseTemplate('Hi {{ name');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.offset).toBe(3);
    expect(template.segments).toEqual([{ kind: 'text', text: 'Hi {{ name' }]);
  });

  it('reports an empty binding', () => {
    expect(parseTemplate('{{ }}').diagnostics[0]?.message).toMatch(/Empty binding/);
  });
});

interface Vector {
  readonly name: string;
  readonly input: string;
  readonly expect: { readonly segments?: readonly object[]; readonly unclosedAt?: number };
}

/** The vectors the server's scanner runs too (crates/app/src/template.rs). */
const vectors = (vectorFile as unknown as { vectors: readonly Vector[] }).vectors;

describe('the shared binding vectors (schema/binding-vectors.json)', () => {
  it('are at least 30, each expecting segments or an unclosed binding', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(30);
    for (const v of vectors) {
      expect(typeof v.input, v.name).toBe('string');
      expect(Array.isArray(v.expect.segments) !== (typeof v.expect.unclosedAt === 'number'), v.name).toBe(true);
    }
  });

  for (const v of vectors) {
    it(v.name, () => {
      const { segments, unclosedAt } = splitTemplate(v.input);
      if (v.expect.unclosedAt !== undefined) {
        // The vectors count Unicode characters; the scanner's offsets are UTF-16 units.
        const at = unclosedAt === undefined ? undefined : [...v.input.slice(0, unclosedAt)].length;
        expect(at).toBe(v.expect.unclosedAt);
      } else {
        expect(unclosedAt).toBeUndefined();
        expect(segments.map((s) => (s.kind === 'text' ? { text: s.text } : { binding: s.code }))).toEqual(v.expect.segments);
      }
    });
  }
});
