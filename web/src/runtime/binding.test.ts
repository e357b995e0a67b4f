import { describe, expect, it } from 'vitest';
import { bindingCodes, parseTemplate } from './binding.ts';

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
