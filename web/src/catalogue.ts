/**
 * @module catalogue — the widget catalogue in the browser: the widget types, which of them hold
 * children, and each type's properties with their kind and default.
 *
 * The one source is `schema/widgets.json`, which the server's validator (generated from it at
 * build time), the editor and docs/app-format.md read too. A property's `default` is what its
 * absence means, so the viewer's widget models take their fallbacks from here.
 *
 * The viewer imports `catalogue.slim.json`, the catalogue without its descriptions and outputs,
 * which `node scripts/catalogue.mjs` writes and `catalogue.test.ts` checks is current. The
 * descriptions are for builders: in the viewer they would cost every login page about 0.9 KB
 * gzipped (more than half of the catalogue), growing with each property. The editor, which
 * shows them, parses the full file with `parseCatalogue` (parseCatalogue.ts, kept out of this
 * module so that its checks, ~1.3 KB gzipped, stay out of the viewer too).
 *
 * DOM-free and dependency-free, so every layer may import it.
 */

import slim from './catalogue.slim.json';

export const PROP_KINDS = ['text', 'bool', 'count', 'choice', 'event', 'data', 'columns'] as const;
export type PropKind = (typeof PROP_KINDS)[number];

export interface PropSpec {
  readonly name: string;
  readonly kind: PropKind;
  /** The words a `choice` property accepts. */
  readonly choices?: readonly string[];
  /** What the property's absence means. */
  readonly default?: unknown;
  /** What the editor sets on a new widget, when that differs from the default. */
  readonly initial?: unknown;
  readonly description?: string;
}

export interface OutputSpec {
  readonly name: string;
  readonly description?: string;
}

export interface WidgetSpec {
  readonly type: string;
  readonly container: boolean;
  readonly description?: string;
  /** The size of a new widget, in columns and rows. */
  readonly defaultSize?: { readonly width: number; readonly height: number };
  readonly props: readonly PropSpec[];
  /** What bindings can read besides the properties. */
  readonly outputs?: readonly OutputSpec[];
}

export interface Catalogue {
  readonly gridColumns: number;
  readonly rowHeightPx: number;
  readonly widgets: readonly WidgetSpec[];
}

/**
 * The shape of the slim copy as TypeScript reads it: the assignment below fails to compile when
 * the JSON does not fit. What types cannot say (kinds, choices, defaults that fit their kind)
 * is checked on the full file by crates/app/build.rs and on both files by catalogue.test.ts
 * (`parseCatalogue`), so the viewer does not check again on every page load.
 */
interface SlimJson {
  readonly gridColumns: number;
  readonly rowHeightPx: number;
  readonly widgets: readonly {
    readonly type: string;
    readonly container: boolean;
    readonly props: readonly { readonly name: string; readonly kind: string; readonly choices?: readonly string[]; readonly default?: unknown }[];
  }[];
}
const json: SlimJson = slim;

/** Freezes a value and everything in it. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const inner of Object.values(v)) deepFreeze(inner);
    Object.freeze(v);
  }
  return v;
}

/** The catalogue the viewer runs on, frozen: defaults are shared by every widget. */
export const catalogue: Catalogue = deepFreeze(json as Catalogue);

const byType: ReadonlyMap<string, WidgetSpec> = new Map(catalogue.widgets.map((w) => [w.type, w]));

/** The catalogue's entry for a widget type; undefined for a type it does not know. */
export function widgetSpec(type: string): WidgetSpec | undefined {
  return byType.get(type);
}

/** The names of every event property of any widget type: code run on the event, never a value. */
export const eventProps: ReadonlySet<string> = new Set(
  catalogue.widgets.flatMap((w) => w.props.filter((p) => p.kind === 'event').map((p) => p.name)),
);
