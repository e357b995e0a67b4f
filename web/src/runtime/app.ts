/**
 * The app definition as `GET /api/v1/apps/{slug}` returns it (docs/api.md), parsed from
 * untrusted JSON into typed values in one place, so the rest of the runtime can rely on them.
 * Like the binding parser it reports problems instead of throwing.
 */

import type { QueryDef } from './query.ts';

export interface Position {
  readonly col: number;
  readonly row: number;
  readonly width: number;
  readonly height: number;
}

export interface WidgetDef {
  readonly name: string;
  readonly type: string;
  readonly position: Position;
  readonly props: Readonly<Record<string, unknown>>;
  readonly children: readonly WidgetDef[];
}

export interface PageDef {
  readonly name: string;
  readonly slug: string;
  readonly hidden: boolean;
  /** `"<JSObject>.<function>"` or `"<query>"`, run in this order, each awaited. */
  readonly onLoad: readonly string[];
  readonly widgets: readonly WidgetDef[];
}

export interface JsObjectDef {
  readonly name: string;
  readonly source: string;
}

export interface AppDef {
  readonly name: string;
  readonly slug: string;
  readonly homePage: string;
  readonly pages: readonly PageDef[];
  readonly queries: readonly QueryDef[];
  readonly jsObjects: readonly JsObjectDef[];
}

export type ParseAppResult = { ok: true; app: AppDef } | { ok: false; problems: string[] };

export function parseAppDef(json: unknown): ParseAppResult {
  const problems: string[] = [];
  const r = new Reader(problems);
  if (!isRecord(json)) return { ok: false, problems: ['the app is not a JSON object'] };
  const app: AppDef = {
    name: r.str(json, 'name', 'app'),
    slug: r.str(json, 'slug', 'app'),
    homePage: r.str(json, 'homePage', 'app'),
    pages: r.list(json, 'pages', 'app').map((p, i) => parsePage(p, `pages[${i}]`, r)),
    queries: r.list(json, 'queries', 'app', true).map((q, i) => {
      const at = `queries[${i}]`;
      const rec = r.rec(q, at);
      return {
        name: r.str(rec, 'name', at),
        bindings: r.list(rec, 'bindings', at, true).map((b, j) => r.strValue(b, `${at}.bindings[${j}]`)),
      };
    }),
    jsObjects: r.list(json, 'jsObjects', 'app', true).map((o, i) => {
      const at = `jsObjects[${i}]`;
      const rec = r.rec(o, at);
      return { name: r.str(rec, 'name', at), source: r.str(rec, 'source', at) };
    }),
  };
  if (problems.length === 0 && !app.pages.some((p) => p.name === app.homePage)) {
    problems.push(`the home page "${app.homePage}" is not one of the app's pages`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, app };
}

function parsePage(raw: unknown, at: string, r: Reader): PageDef {
  const rec = r.rec(raw, at);
  return {
    name: r.str(rec, 'name', at),
    slug: r.str(rec, 'slug', at),
    hidden: rec.hidden === true,
    onLoad: r.list(rec, 'onLoad', at, true).map((s, i) => r.strValue(s, `${at}.onLoad[${i}]`)),
    widgets: r.list(rec, 'widgets', at, true).map((w, i) => parseWidget(w, `${at}.widgets[${i}]`, r)),
  };
}

function parseWidget(raw: unknown, at: string, r: Reader): WidgetDef {
  const rec = r.rec(raw, at);
  const pos = r.rec(rec.position, `${at}.position`);
  const num = (k: string): number => {
    const v = pos[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    r.problems.push(`${at}.position.${k} is not a number`);
    return 0;
  };
  const props = rec.props === undefined ? {} : r.rec(rec.props, `${at}.props`);
  return {
    name: r.str(rec, 'name', at),
    type: r.str(rec, 'type', at),
    position: { col: num('col'), row: num('row'), width: num('width'), height: num('height') },
    props,
    children: r.list(rec, 'children', at, true).map((c, i) => parseWidget(c, `${at}.children[${i}]`, r)),
  };
}

class Reader {
  constructor(readonly problems: string[]) {}

  rec(v: unknown, at: string): Record<string, unknown> {
    if (isRecord(v)) return v;
    this.problems.push(`${at} is not an object`);
    return {};
  }

  str(rec: Record<string, unknown>, key: string, at: string): string {
    return this.strValue(rec[key], `${at}.${key}`);
  }

  strValue(v: unknown, at: string): string {
    if (typeof v === 'string') return v;
    this.problems.push(`${at} is not a string`);
    return '';
  }

  list(rec: Record<string, unknown>, key: string, at: string, optional = false): unknown[] {
    const v = rec[key];
    if (Array.isArray(v)) return v;
    if (v === undefined && optional) return [];
    this.problems.push(`${at}.${key} is not a list`);
    return [];
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every widget of a tree, depth first. */
export function* walkWidgets(widgets: readonly WidgetDef[]): Generator<WidgetDef> {
  for (const w of widgets) {
    yield w;
    yield* walkWidgets(w.children);
  }
}
