import { describe, expect, it } from 'vitest';
import { widgetSpec, widgetTypes, type PropSpec } from '../../doc/catalogue.ts';
import {
  columnsOf,
  columnsValue,
  controlOf,
  fitsKind,
  fromBindingText,
  hasJsToggle,
  parseCount,
  parseJson,
  previewText,
  toBindingText,
} from './propControls.ts';

function prop(type: Parameters<typeof widgetSpec>[0], name: string): PropSpec {
  const p = widgetSpec(type).props.find((s) => s.name === name);
  if (!p) throw new Error(`${type} has no ${name}`);
  return p;
}

describe('the pane’s controls come from the catalogue', () => {
  it('gives every property of every type a control of its kind', () => {
    const controls: Record<string, string> = {};
    for (const t of widgetTypes()) for (const p of widgetSpec(t).props) controls[`${t}.${p.name}`] = controlOf(p.kind);
    expect(controls).toMatchObject({
      'Input.label': 'text',
      'Input.inputType': 'select',
      'Input.maxChars': 'number',
      'Input.isRequired': 'toggle',
      'Input.onTextChanged': 'code',
      'Button.onClick': 'code',
      'Table.columns': 'columns',
      'Table.tableData': 'json',
      'Form.title': 'text',
    });
    expect(Object.keys(controls).length).toBe(widgetTypes().reduce((n, t) => n + widgetSpec(t).props.length, 0));
  });

  it('offers the input types of the catalogue as the choices of inputType', () => {
    expect(prop('Input', 'inputType').choices).toEqual(['TEXT', 'EMAIL', 'PASSWORD', 'NUMBER']);
  });

  it('has a JS toggle on every property but events, which are code already', () => {
    expect(hasJsToggle(prop('Input', 'isRequired'))).toBe(true);
    expect(hasJsToggle(prop('Button', 'onClick'))).toBe(false);
  });
});

describe('the JS toggle', () => {
  it('turns the current value into a binding, the default when unset', () => {
    expect(toBindingText(prop('Input', 'isRequired'), true)).toBe('{{true}}');
    expect(toBindingText(prop('Input', 'isVisible'), undefined)).toBe('{{true}}');
    expect(toBindingText(prop('Input', 'inputType'), 'EMAIL')).toBe('{{"EMAIL"}}');
    expect(toBindingText(prop('Input', 'maxChars'), undefined)).toBe('{{ }}');
    // Text is already a template: it is kept as it is.
    expect(toBindingText(prop('Input', 'label'), 'Email')).toBe('Email');
    expect(toBindingText(prop('Input', 'label'), 'Hi {{x}}')).toBe('Hi {{x}}');
  });

  it('turns a binding back into its value when the value fits the property, else unsets it', () => {
    const isRequired = prop('Input', 'isRequired');
    expect(fromBindingText(isRequired, '{{ 1 < 2 }}', { ok: true, value: true })).toBe(true);
    expect(fromBindingText(isRequired, '{{ inp.text }}', { ok: true, value: 'abc' })).toBeUndefined();
    expect(fromBindingText(isRequired, '{{ oops( }}', { ok: false })).toBeUndefined();
    expect(fromBindingText(prop('Input', 'inputType'), '{{"EMAIL"}}', { ok: true, value: 'EMAIL' })).toBe('EMAIL');
    expect(fromBindingText(prop('Input', 'inputType'), '{{"email"}}', { ok: true, value: 'email' })).toBeUndefined();
    expect(fromBindingText(prop('Text', 'text'), 'Hi {{x}}', { ok: true, value: 'Hi 1' })).toBe('Hi {{x}}');
  });

  it('accepts for each kind only what the server’s validator accepts', () => {
    expect(fitsKind(prop('Input', 'maxChars'), 3)).toBe(true);
    expect(fitsKind(prop('Input', 'maxChars'), -1)).toBe(false);
    expect(fitsKind(prop('Input', 'maxChars'), 2.5)).toBe(false);
    expect(fitsKind(prop('Table', 'columns'), [{ key: 'a' }, { key: 'b', label: 'B' }])).toBe(true);
    expect(fitsKind(prop('Table', 'columns'), [{ key: 'a', width: 3 }])).toBe(false);
    expect(fitsKind(prop('Text', 'text'), { a: 1 })).toBe(false);
  });
});

describe('typed text to values', () => {
  it('reads counts as whole numbers, empty as unset', () => {
    expect(parseCount('12')).toEqual({ ok: true, value: 12 });
    expect(parseCount(' ')).toEqual({ ok: true, value: undefined });
    expect(parseCount('1.5').ok).toBe(false);
    expect(parseCount('-2').ok).toBe(false);
  });

  it('reads data as JSON and says why it is not', () => {
    expect(parseJson('[{"a":1}]')).toEqual({ ok: true, value: [{ a: 1 }] });
    const bad = parseJson('[{"a":1}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^Not valid JSON/);
  });

  it('stores columns without empty labels, and no columns as unset', () => {
    expect(columnsValue([{ key: 'id', label: '' }, { key: 'email', label: 'E-mail' }])).toEqual([{ key: 'id' }, { key: 'email', label: 'E-mail' }]);
    expect(columnsValue([])).toBeUndefined();
    expect(columnsOf('{{ x }}')).toEqual([]);
  });

  it('shows a value under a binding as JSON, shortened', () => {
    expect(previewText('a')).toBe('"a"');
    expect(previewText(undefined)).toBe('undefined');
    expect(previewText({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(previewText('x'.repeat(400)).length).toBe(301);
  });
});
