/**
 * Checks a widget catalogue file (schema/widgets.json, or the viewer's slim copy) and returns
 * it typed and frozen, or throws a `CatalogueError` naming the bad field. The same checks as
 * crates/app/build.rs makes on the Rust side. For the editor and the tests: the viewer imports
 * its generated copy without checking it again (catalogue.ts says why).
 */

import { deepFreeze, PROP_KINDS, type Catalogue, type PropKind, type PropSpec, type WidgetSpec } from './catalogue.ts';

/** A catalogue file that does not have the catalogue's shape; the message names the field. */
export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

type Rec = Record<string, unknown>;

function rec(v: unknown, at: string): Rec {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CatalogueError(`${at} must be an object`);
  return v as Rec;
}

function list(v: unknown, at: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new CatalogueError(`${at} must be a list`);
  return v;
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new CatalogueError(`${at} must be a non-empty string`);
  return v;
}

function positive(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new CatalogueError(`${at} must be a whole number ≥ 1`);
  return v;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;

function unique<T>(items: readonly T[], key: (t: T) => string, at: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw new CatalogueError(`${at}: \`${k}\` is listed twice`);
    seen.add(k);
  }
}

/** Whether `value` is one a property of `kind` accepts (the validator's rule, build.rs's check). */
function fits(value: unknown, kind: PropKind, choices: readonly string[] | undefined): boolean {
  switch (kind) {
    case 'text':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0;
    case 'choice':
      return typeof value === 'string' && (choices ?? []).includes(value);
    case 'event':
      return false;
    case 'data':
      return true;
    case 'columns':
      return Array.isArray(value) && value.every((c) => c !== null && typeof c === 'object' && typeof (c as Rec).key === 'string');
  }
}

function parseProp(raw: unknown, at: string): PropSpec {
  const p = rec(raw, at);
  const name = str(p.name, `${at}.name`);
  if (!IDENTIFIER.test(name)) throw new CatalogueError(`${at}.name: \`${name}\` is not an identifier`);
  const here = `${at} (${name})`;
  const kind = p.kind;
  if (!PROP_KINDS.includes(kind as PropKind)) {
    throw new CatalogueError(`${here}.kind: unknown kind \`${String(kind)}\`; known kinds: ${PROP_KINDS.join(', ')}`);
  }
  const spec: { -readonly [K in keyof PropSpec]: PropSpec[K] } = { name, kind: kind as PropKind };
  if (kind === 'choice') {
    const choices = list(p.choices, `${here}.choices`).map((c, i) => str(c, `${here}.choices[${i}]`));
    if (choices.length === 0) throw new CatalogueError(`${here}.choices must not be empty`);
    unique(choices, (c) => c, `${here}.choices`);
    spec.choices = choices;
  } else if ('choices' in p) {
    throw new CatalogueError(`${here}.choices is only for kind \`choice\``);
  }
  for (const field of ['default', 'initial'] as const) {
    if (!(field in p)) continue;
    if (!fits(p[field], spec.kind, spec.choices)) {
      throw new CatalogueError(`${here}.${field}: ${JSON.stringify(p[field])} is not a value of kind \`${spec.kind}\``);
    }
    spec[field] = p[field];
  }
  if ('description' in p) spec.description = str(p.description, `${here}.description`);
  return spec;
}

function parseWidget(raw: unknown, at: string): WidgetSpec {
  const w = rec(raw, at);
  const type = str(w.type, `${at}.type`);
  if (!IDENTIFIER.test(type)) throw new CatalogueError(`${at}.type: \`${type}\` is not an identifier`);
  const here = `${at} (${type})`;
  if (typeof w.container !== 'boolean') throw new CatalogueError(`${here}.container must be true or false`);
  const props = list(w.props, `${here}.props`).map((p, i) => parseProp(p, `${here}.props[${i}]`));
  unique(props, (p) => p.name, `${here}.props`);
  const spec: { -readonly [K in keyof WidgetSpec]: WidgetSpec[K] } = { type, container: w.container, props };
  if ('description' in w) spec.description = str(w.description, `${here}.description`);
  if ('defaultSize' in w) {
    const size = rec(w.defaultSize, `${here}.defaultSize`);
    spec.defaultSize = {
      width: positive(size.width, `${here}.defaultSize.width`),
      height: positive(size.height, `${here}.defaultSize.height`),
    };
  }
  if ('outputs' in w) {
    spec.outputs = list(w.outputs, `${here}.outputs`).map((o, i) => {
      const out = rec(o, `${here}.outputs[${i}]`);
      const name = str(out.name, `${here}.outputs[${i}].name`);
      return 'description' in out ? { name, description: str(out.description, `${here}.outputs[${i}].description`) } : { name };
    });
  }
  return spec;
}

/** Checks a catalogue file and returns it typed and frozen (`source` names it in errors). */
export function parseCatalogue(raw: unknown, source = 'the widget catalogue'): Catalogue {
  try {
    const root = rec(raw, 'the file');
    const widgets = list(root.widgets, 'widgets').map((w, i) => parseWidget(w, `widgets[${i}]`));
    if (widgets.length === 0) throw new CatalogueError('widgets must not be empty');
    unique(widgets, (w) => w.type, 'widgets');
    return deepFreeze({
      gridColumns: positive(root.gridColumns, 'gridColumns'),
      rowHeightPx: positive(root.rowHeightPx, 'rowHeightPx'),
      widgets,
    });
  } catch (e) {
    if (e instanceof CatalogueError) throw new CatalogueError(`${source}: ${e.message}`);
    throw e;
  }
}

