/**
 * The widget catalogue (schema/widgets.json, the one source of truth for widget types) as the
 * model layer needs it: which types hold children, their default sizes and the properties a new
 * widget starts with. Read once, typed here, so the rest of `doc/` never touches raw JSON.
 */

import raw from '../../../../schema/widgets.json';
import type { WidgetType } from './types.ts';

export type PropKind = 'text' | 'bool' | 'count' | 'choice' | 'event' | 'data' | 'columns';

export interface PropSpec {
  readonly name: string;
  readonly kind: PropKind;
  /** What the property's absence means. */
  readonly default?: unknown;
  /** What a new widget is created with, when that differs from the default. */
  readonly initial?: unknown;
  readonly choices?: readonly string[];
  readonly description: string;
}

export interface WidgetSpec {
  readonly type: WidgetType;
  readonly container: boolean;
  readonly description: string;
  readonly defaultSize: { readonly width: number; readonly height: number };
  readonly props: readonly PropSpec[];
}

const WIDGET_TYPES: readonly WidgetType[] = ['Form', 'Container', 'Input', 'Button', 'Text', 'Table'];

/** Columns of every grid (the page's and each container's). */
export const GRID_COLUMNS: number = typeof raw.gridColumns === 'number' ? raw.gridColumns : 64;
/** Height of one grid row in pixels. */
export const ROW_HEIGHT_PX: number = typeof raw.rowHeightPx === 'number' ? raw.rowHeightPx : 10;

const SPECS: ReadonlyMap<string, WidgetSpec> = new Map(
  (raw.widgets as readonly WidgetSpec[]).map((w) => [w.type, w]),
);

export function isWidgetType(type: string): type is WidgetType {
  return (WIDGET_TYPES as readonly string[]).includes(type) && SPECS.has(type);
}

/** Every widget type of the catalogue, in its order (the palette's order). */
export function widgetTypes(): readonly WidgetType[] {
  return [...SPECS.keys()].filter(isWidgetType);
}

export function widgetSpec(type: WidgetType): WidgetSpec {
  const spec = SPECS.get(type);
  // The catalogue and the WidgetType union are the same list; a missing entry is a build bug.
  if (!spec) throw new Error(`widget type ${type} is missing from the catalogue`);
  return spec;
}

export function isContainerType(type: WidgetType): boolean {
  return widgetSpec(type).container;
}

/**
 * The properties a new widget is created with: those whose catalogue entry has an `initial`
 * value (a Button's "Submit", a Form's title). Every other property is left out, so the
 * viewer applies its default (what absence means); that keeps the saved draft and its git
 * diff small.
 */
export function initialProps(type: WidgetType): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const p of widgetSpec(type).props) if (p.initial !== undefined) props[p.name] = p.initial;
  return props;
}

/**
 * Why `value` cannot be the value of property `prop` (the shape the server's validator asks
 * for, crates/app/src/load.rs `check_prop`); null when it can. A text with a `{{ }}` binding
 * fits every kind: its type is known only when it runs.
 */
export function propValueProblem(prop: PropSpec, value: unknown): string | null {
  if (prop.kind === 'event') {
    return typeof value === 'string' ? null : `${prop.name} holds code in {{ }}, such as "{{ MyObject.run() }}".`;
  }
  if (typeof value === 'string' && value.includes('{{')) return null;
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  let ok: boolean;
  let expected: string;
  switch (prop.kind) {
    case 'text':
      ok = value === null || ['string', 'number', 'boolean'].includes(typeof value);
      expected = 'text';
      break;
    case 'bool':
      ok = typeof value === 'boolean';
      expected = 'true or false';
      break;
    case 'count':
      ok = typeof value === 'number' && Number.isInteger(value) && value >= 0;
      expected = 'a whole number ≥ 0';
      break;
    case 'choice':
      ok = typeof value === 'string' && (prop.choices ?? []).includes(value);
      expected = `one of ${(prop.choices ?? []).join(', ')}`;
      break;
    case 'columns':
      ok =
        Array.isArray(value) &&
        value.every(
          (c: unknown) =>
            isRecord(c) &&
            typeof c.key === 'string' &&
            (c.label === undefined || typeof c.label === 'string') &&
            Object.keys(c).every((k) => k === 'key' || k === 'label'),
        );
      expected = 'a list of {key, label}';
      break;
    case 'data':
      ok = true;
      expected = 'a value';
      break;
  }
  return ok ? null : `${prop.name} must be ${expected} (or a {{ }} binding).`;
}
