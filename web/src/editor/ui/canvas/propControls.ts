/**
 * The property pane's rules, without the DOM: which control a property of the catalogue gets,
 * when it shows as a `{{ }}` binding, what the `JS` toggle turns a value into, and how typed
 * text becomes a value of the property's kind (what the server's validator accepts:
 * crates/app's `check_prop`).
 */

import { hasBinding } from '../../../runtime/index.ts';
import { propValueProblem, type PropKind, type PropSpec } from '../../doc/catalogue.ts';

/** How a property is edited when it is not a binding. */
export type Control = 'text' | 'number' | 'toggle' | 'select' | 'json' | 'columns' | 'code';

const CONTROLS: Readonly<Record<PropKind, Control>> = {
  text: 'text',
  count: 'number',
  bool: 'toggle',
  choice: 'select',
  data: 'json',
  columns: 'columns',
  event: 'code',
};

export function controlOf(kind: PropKind): Control {
  // A kind this editor does not know yet is edited as text (the server's validator says more).
  return (CONTROLS as Partial<Record<string, Control>>)[kind] ?? 'text';
}

export function isBindingValue(value: unknown): value is string {
  return typeof value === 'string' && hasBinding(value);
}

/** Event properties are code already: they have no JS toggle. */
export function hasJsToggle(spec: PropSpec): boolean {
  return spec.kind !== 'event';
}

/** The value shown when the property is not set: the catalogue's default. */
export function effectiveValue(spec: PropSpec, raw: unknown): unknown {
  return raw === undefined ? spec.default : raw;
}

/** Whether a plain value (not a binding) fits the property's kind: the model's rule, which is
 * the server's. */
export function fitsKind(spec: PropSpec, value: unknown): boolean {
  return !isBindingValue(value) && propValueProblem(spec, value) === null;
}

/** The binding text the JS toggle starts from: the value the property has now, as code. */
export function toBindingText(spec: PropSpec, raw: unknown): string {
  if (isBindingValue(raw)) return raw;
  const value = effectiveValue(spec, raw);
  if (value === undefined) return '{{ }}';
  if (spec.kind === 'text' && typeof value === 'string') return value;
  return `{{${JSON.stringify(value)}}}`;
}

/**
 * What switching the JS toggle off leaves: the binding's evaluated value when it fits the
 * property (`{{true}}` becomes `true`), else the property is unset (undefined: the default
 * applies) so that what remains is always valid. A text property keeps its text.
 */
export function fromBindingText(spec: PropSpec, raw: unknown, evaluated: { ok: boolean; value?: unknown }): unknown {
  if (!isBindingValue(raw)) return raw;
  if (spec.kind === 'text') return raw;
  if (evaluated.ok && evaluated.value !== undefined && fitsKind(spec, evaluated.value)) return evaluated.value;
  return undefined;
}

export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * A code field's text (a binding, or an event's code): empty unsets the property; text the
 * property cannot hold yet ("{" on the way to "{{ … }}" in a toggle) waits, with the reason.
 */
export function parseCode(spec: PropSpec, text: string): Parsed {
  if (text === '') return { ok: true, value: undefined };
  const problem = propValueProblem(spec, text);
  return problem ? { ok: false, message: problem } : { ok: true, value: text };
}

/** What a code field shows for a value. */
export function codeText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A count field's text: empty unsets the property. */
export function parseCount(text: string): Parsed {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const n = Number(t);
  if (!Number.isInteger(n) || n < 0) return { ok: false, message: 'Enter a whole number, 0 or more.' };
  return { ok: true, value: n };
}

/** A data field's text (JSON): empty unsets the property. */
export function parseJson(text: string): Parsed {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export function jsonText(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

export interface Column {
  readonly key: string;
  readonly label?: string;
}

function isColumn(c: unknown): c is Column {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return false;
  const o = c as Record<string, unknown>;
  return typeof o.key === 'string' && (o.label === undefined || typeof o.label === 'string') && Object.keys(o).every((k) => k === 'key' || k === 'label');
}

/** The columns of a `columns` value, or none when it is not a list of columns. */
export function columnsOf(value: unknown): Column[] {
  return Array.isArray(value) ? value.filter(isColumn) : [];
}

/** Columns as stored: an empty label is left out (the key is shown), no columns unsets. */
export function columnsValue(columns: readonly Column[]): unknown {
  if (columns.length === 0) return undefined;
  return columns.map((c) => (c.label === undefined || c.label === '' ? { key: c.key } : { key: c.key, label: c.label }));
}

/** A short text of an evaluated value, for the line under a binding. */
export function previewText(value: unknown, max = 300): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'string') text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
