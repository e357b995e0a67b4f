/**
 * Completion that knows the app (the `Completer` of completion.ts): the names code can reach —
 * widgets, queries, JS objects, Appsmith's globals — and, after a dot, what each of them has:
 * a widget's properties and outputs (the widget catalogue), a query's `data`, `run()` and state,
 * a JS object's members, `appsmith.store`'s keys (every `storeValue('key', …)` of the app), and
 * the fields of a query's last Run answer under `<query>.data.`. In an app whose server keeps
 * the tokens (`token: session`), a query's fields also offer `session` and its `accessToken` and
 * `refreshToken` (bindings the server fills in; widgets and JS code never have them).
 *
 * Where a binding starts and ends is the viewer's own scanner's decision (`runtime/binding.ts`),
 * and a pick always lands inside `{{ }}`:
 * - in a binding, code is completed as in a JS source;
 * - outside any binding, a pick inserts `{{name}}` (replacing the word typed) with the caret
 *   after the name, inside the braces, so a `.` goes on to its members; when the builder did not
 *   ask (Ctrl+Space), only names that start with the word are offered there, so prose typed in a
 *   text property does not keep opening the list;
 * - after a `{{` that nothing closes yet, code is completed too, and the pick closes the binding
 *   (`name}}`, caret before the `}}`) when no `}}` follows the caret at all: the builder is
 *   typing a new binding. When a `}}` follows (one the scanner does not take as the end, such as
 *   after an unclosed string), the pick adds nothing, to leave the builder's braces alone.
 * Nothing is offered inside a string or a comment.
 *
 * Runs on every keystroke: what depends only on the document is computed once per document
 * (documents are immutable, so identity is content) in one pass, and the rest is proportional to
 * the field's text.
 */

import raw from '../../../../schema/widgets.json';
import { parseCatalogue } from '../../parseCatalogue.ts';
import { splitTemplate } from '../../runtime/binding.ts';
import { GLOBAL_NAMES } from '../../runtime/runtime.ts';
import { isSessionMode } from './access.ts';
import { widgetSpec } from './catalogue.ts';
import type { Completer, Suggestion, SuggestionKind } from './completion.ts';
import { tokenize } from './jstokens.ts';
import type { AppDoc, WidgetDoc, WidgetType } from './types.ts';
import { firstStringArguments, forEachCode, jsMembers } from './usages.ts';

export interface CompletionContext {
  readonly doc: AppDoc;
  /** The last Run answer's body per query name (from the query editor), for `<query>.data.` fields. */
  readonly lastResponses?: ReadonlyMap<string, unknown>;
  /** The page whose field is being edited: its widgets are listed before other pages'. */
  readonly page?: string;
  /** The field is a query's (URL, path, params, headers, body): the bindings the server fills
   * in itself (`session.*` in session mode) are offered there, and only there. */
  readonly inQuery?: boolean;
}

/** One thing that may be offered, before filtering. */
interface Entry {
  readonly label: string;
  readonly detail?: string;
  readonly kind: SuggestionKind;
  /** Inserted as `label()`, caret inside the parentheses. */
  readonly fn?: boolean;
  /** How to write the access when the range starts at the dot (`.key`, `['a-b']`, `[0]`). */
  readonly access?: string;
}

// ---- what the document offers (memoised per document) ----------------------------------------

interface AppIndex {
  readonly widgets: ReadonlyMap<string, { readonly type: WidgetType; readonly page: string }>;
  readonly queries: ReadonlySet<string>;
  readonly jsSources: ReadonlyMap<string, string>;
  /** Filled on first use: only `appsmith.store.` needs a pass over all the app's code. */
  storeKeys?: readonly Entry[];
  /** Widgets of the page named first (by context.page), then queries, JS objects, globals. */
  topFor?: { readonly page: string | undefined; readonly entries: readonly Entry[] };
}

const indexes = new WeakMap<AppDoc, AppIndex>();
/** The last document indexed: a keystroke in a property makes a new document with the same
 * names, whose index (and its sorted top-level list) is the last one's. */
let last: { readonly doc: AppDoc; readonly index: AppIndex } | null = null;

/** Whether two documents have the same widgets (name, type, page, in order), the same query
 * list and the same JS objects: what the index holds, except store keys (read from code). */
function sameNames(a: AppDoc, b: AppDoc): boolean {
  if (a.queries !== b.queries || a.jsObjects !== b.jsObjects || a.pages.length !== b.pages.length) return false;
  const same = (x: readonly WidgetDoc[], y: readonly WidgetDoc[]): boolean =>
    x === y || (x.length === y.length && x.every((w, i) => w.name === y[i]?.name && w.type === y[i]?.type && same(w.children, y[i]?.children ?? [])));
  return a.pages.every((p, i) => {
    const q = b.pages[i];
    return q !== undefined && p.name === q.name && same(p.widgets, q.widgets);
  });
}

function indexOf(doc: AppDoc): AppIndex {
  let index = indexes.get(doc);
  if (!index && last && sameNames(last.doc, doc)) {
    // The store keys are read from code, which may have changed: not carried over.
    const { storeKeys: _fromCode, ...names } = last.index;
    index = names;
  }
  if (!index) {
    const widgets = new Map<string, { type: WidgetType; page: string }>();
    const walk = (page: string, ws: readonly WidgetDoc[]): void => {
      for (const w of ws) {
        widgets.set(w.name, { type: w.type, page });
        walk(page, w.children);
      }
    };
    for (const p of doc.pages) walk(p.name, p.widgets);
    index = {
      widgets,
      queries: new Set(doc.queries.map((q) => q.name)),
      jsSources: new Map(doc.jsObjects.map((j) => [j.name, j.source])),
    };
  }
  indexes.set(doc, index);
  last = { doc, index };
  return index;
}

const GLOBALS: readonly Entry[] = [
  { label: 'appsmith', detail: 'store, user, URL, mode, signIn, signOut', kind: 'global' },
  ...GLOBAL_NAMES.map((name): Entry => ({ label: name, detail: 'global function', kind: 'function', fn: true })),
];

function topEntries(doc: AppDoc, page: string | undefined): readonly Entry[] {
  const index = indexOf(doc);
  if (index.topFor && index.topFor.page === page) return index.topFor.entries;
  const widgets: Entry[] = [];
  for (const [name, w] of index.widgets) widgets.push({ label: name, detail: `${w.type} on ${w.page}`, kind: 'widget' });
  if (page !== undefined) widgets.sort((a, b) => Number(b.detail?.endsWith(` on ${page}`)) - Number(a.detail?.endsWith(` on ${page}`)));
  const entries: Entry[] = [
    ...widgets,
    ...doc.queries.map((q): Entry => ({ label: q.name, detail: `${q.method ?? 'GET'} query`, kind: 'query' })),
    ...doc.jsObjects.map((j): Entry => ({ label: j.name, detail: 'JS object', kind: 'jsObject' })),
    ...GLOBALS,
  ];
  index.topFor = { page, entries };
  return entries;
}

function storeKeys(doc: AppDoc): readonly Entry[] {
  const index = indexOf(doc);
  if (!index.storeKeys) {
    const keys = new Set<string>();
    forEachCode(doc, (_place, code) => {
      for (const key of firstStringArguments(code, 'storeValue')) keys.add(key);
    });
    index.storeKeys = [...keys].map((key) => ({ label: key, detail: 'store key', kind: 'storeKey' }));
  }
  return index.storeKeys;
}

// ---- members after a dot ---------------------------------------------------------------------

/** Widget outputs (what bindings read besides properties) live in the full catalogue only. */
let outputs: ReadonlyMap<string, readonly Entry[]> | undefined;
function widgetOutputs(type: WidgetType): readonly Entry[] {
  outputs ??= new Map(
    parseCatalogue(raw, 'schema/widgets.json').widgets.map((w) => [
      w.type,
      (w.outputs ?? []).map((o): Entry => ({ label: o.name, detail: o.description ?? 'output', kind: 'property' })),
    ]),
  );
  return outputs.get(type) ?? [];
}

function widgetMembers(type: WidgetType): Entry[] {
  const entries = [...widgetOutputs(type)];
  for (const p of widgetSpec(type).props) {
    if (p.kind === 'event' || entries.some((e) => e.label === p.name)) continue;
    entries.push({ label: p.name, detail: p.description, kind: 'property' });
  }
  return entries;
}

const QUERY_MEMBERS: readonly Entry[] = [
  { label: 'data', detail: "the last answer's body", kind: 'property' },
  { label: 'run', detail: 'sends the request', kind: 'function', fn: true },
  { label: 'isLoading', detail: 'whether a request is in flight', kind: 'property' },
  { label: 'responseMeta', detail: "the last answer's status and headers", kind: 'property' },
  { label: 'error', detail: "the last run's error", kind: 'property' },
];

const APPSMITH_MEMBERS: readonly Entry[] = [
  { label: 'store', detail: 'values kept with storeValue', kind: 'property' },
  { label: 'user', detail: 'the signed-in user', kind: 'property' },
  { label: 'URL', detail: "the page's address", kind: 'property' },
  { label: 'mode', detail: "'VIEW' or 'EDIT'", kind: 'property' },
  { label: 'signIn', detail: "signs in at the app's provider (auth.oidc)", kind: 'function', fn: true },
  { label: 'signOut', detail: "signs out here and at the app's provider", kind: 'function', fn: true },
];

const SESSION: Entry = { label: 'session', detail: "the session's tokens, filled in by the server", kind: 'global' };

/** `session.` of session mode: bindings only the server resolves. */
const SESSION_MEMBERS: readonly Entry[] = [
  { label: 'accessToken', detail: 'the access token (filled in by the server)', kind: 'property' },
  { label: 'refreshToken', detail: 'the refresh token (filled in by the server)', kind: 'property' },
];

/** The fields of `appsmith.URL` (runtime/url.ts `AppUrl`). */
const URL_MEMBERS: readonly Entry[] = ['fullPath', 'pathname', 'queryParams', 'hash', 'host', 'hostname', 'port', 'protocol'].map(
  (label): Entry => ({ label, detail: 'URL', kind: 'property' }),
);

function jsObjectMembers(source: string): Entry[] {
  return jsMembers(source).map((m) => (m.isFunction ? { label: m.name, detail: 'function', kind: 'function', fn: true } : { label: m.name, detail: 'member', kind: 'property' }));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function describe(value: unknown): string {
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}

/**
 * The fields of a value from a query's last answer. An object offers its keys; a list offers
 * `[0]` (its first item, whose fields come after `[0].`) and `length`. Keys that are not
 * identifiers are written `['a-b']`. `op` is the `.` or `?.` before the field.
 */
function valueFields(value: unknown, op: string): Entry[] | null {
  const bracket = op === '?.' ? '?.' : '';
  if (Array.isArray(value)) {
    return [
      { label: '[0]', detail: value.length > 0 ? `first of ${value.length}` : 'empty list', kind: 'field', access: `${bracket}[0]` },
      { label: 'length', detail: 'number', kind: 'field', access: `${op}length` },
    ];
  }
  if (value === null || typeof value !== 'object') return null;
  return Object.entries(value).map(([key, v]) => ({
    label: key,
    detail: describe(v),
    kind: 'field',
    access: IDENTIFIER.test(key) ? `${op}${key}` : `${bracket}[${JSON.stringify(key)}]`,
  }));
}

/** Walks a member path into a value; a list's items all have the shape of the first. */
function walkValue(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const seg of path) {
    if (Array.isArray(v)) v = typeof seg === 'number' ? (v[seg] ?? v[0]) : undefined;
    else if (v !== null && typeof v === 'object' && typeof seg === 'string') v = (v as Record<string, unknown>)[seg];
    else return undefined;
  }
  return v;
}

/**
 * What `path` (`['inp_username']`, `['login', 'data', 0]`) has after a dot, or null when
 * nothing is known. Entries with `access` need the range to start at the dot.
 */
function membersOf(ctx: CompletionContext, path: readonly (string | number)[], op: string, codeSource: string | null): readonly Entry[] | null {
  const [root, ...rest] = path;
  if (typeof root !== 'string') return null;
  const index = indexOf(ctx.doc);
  if (root === 'this') return codeSource !== null && rest.length === 0 ? jsObjectMembers(codeSource) : null;
  if (root === 'appsmith') {
    if (rest.length === 0) return APPSMITH_MEMBERS;
    if (rest.length === 1 && rest[0] === 'store') return storeKeys(ctx.doc);
    if (rest.length === 1 && rest[0] === 'URL') return URL_MEMBERS;
    return null;
  }
  if (root === 'session') return codeSource === null && rest.length === 0 && ctx.inQuery === true && isSessionMode(ctx.doc) ? SESSION_MEMBERS : null;
  const widget = index.widgets.get(root);
  if (widget) return rest.length === 0 ? widgetMembers(widget.type) : null;
  if (index.queries.has(root)) {
    if (rest.length === 0) return QUERY_MEMBERS;
    if (rest[0] !== 'data' || !ctx.lastResponses?.has(root)) return null;
    return valueFields(walkValue(ctx.lastResponses.get(root), rest.slice(1)), op);
  }
  const source = index.jsSources.get(root);
  if (source !== undefined && rest.length === 0) return jsObjectMembers(source);
  return null;
}

/**
 * The member path before a trailing `.`/`?.` token at `tokens[end]`: `a.b[0].c` →
 * `['a', 'b', 0, 'c']`; null when it is not a plain path (a call, a number, a string).
 */
function pathBefore(tokens: readonly { kind: string; text: string }[], end: number): (string | number)[] | null {
  const path: (string | number)[] = [];
  let k = end - 1;
  for (;;) {
    const t = tokens[k];
    if (t?.kind === 'ident') {
      path.unshift(t.text);
      k--;
    } else if (t?.text === ']' && tokens[k - 2]?.text === '[') {
      const inner = tokens[k - 1];
      if (inner?.kind === 'number' && /^\d+$/.test(inner.text)) path.unshift(Number(inner.text));
      else if (inner?.kind === 'string' && inner.text.length >= 2) path.unshift(inner.text.slice(1, -1));
      else return null;
      k -= 3;
      continue;
    } else return null;
    const sep = tokens[k];
    if (sep?.kind !== 'punct' || (sep.text !== '.' && sep.text !== '?.')) return path;
    k--;
  }
}

// ---- where the caret is ----------------------------------------------------------------------

/** The part of a template field that is code around the caret. */
interface Region {
  readonly code: string;
  /** Offset of `code` in the field's text. */
  readonly base: number;
  /** Append `}}` to a pick (an unclosed `{{` the builder is typing). */
  readonly close: boolean;
}

function templateRegion(text: string, caret: number): Region | null {
  const split = splitTemplate(text);
  for (const s of split.segments) {
    if (s.kind === 'binding' && s.offset + 2 <= caret && caret <= s.offset + 2 + s.code.length) {
      return { code: s.code, base: s.offset + 2, close: false };
    }
  }
  if (split.unclosedAt !== undefined && caret >= split.unclosedAt + 2) {
    const base = split.unclosedAt + 2;
    return { code: text.slice(base), base, close: !text.slice(caret).includes('}}') };
  }
  return null;
}

/** Whether the end of `prefix` (code up to the caret) is inside a string, template text or comment. */
function inStringOrComment(prefix: string): boolean {
  const tokens = tokenize(prefix);
  const last = tokens[tokens.length - 1];
  const gap = prefix.slice(last?.end ?? 0);
  if (gap.includes('//') || (gap.includes('/*') && !gap.slice(gap.indexOf('/*') + 2).includes('*/'))) return true;
  if (!last || last.end !== prefix.length) return false;
  const t = last.text;
  if (last.kind === 'string') return t.length < 2 || t.charAt(t.length - 1) !== t.charAt(0);
  if (last.kind === 'template') return !t.endsWith('${') && (t.length < 2 || !t.endsWith('`'));
  return last.kind === 'regex';
}

const isWordChar = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);

/** Orders matches: case-insensitive prefix first, then substring (or prefix only). */
function filter(entries: readonly Entry[], word: string, prefixOnly: boolean): Entry[] {
  if (word === '') return [...entries];
  const w = word.toLowerCase();
  const prefix: Entry[] = [];
  const inside: Entry[] = [];
  for (const e of entries) {
    const l = e.label.toLowerCase();
    if (l.startsWith(w)) prefix.push(e);
    else if (!prefixOnly && l.includes(w)) inside.push(e);
  }
  return [...prefix, ...inside];
}

/** The suggestion of an entry: `name`, `name()` with the caret inside (unless a `(` follows). */
function suggestion(e: Entry, text: string, wrap: { before: string; after: string }, to: number, fromDot: boolean): Suggestion {
  const name = fromDot ? (e.access ?? e.label) : e.label;
  const call = e.fn === true && text.charAt(to) !== '(';
  const body = call ? `${name}()` : name;
  const caret = wrap.before.length + (call ? body.length - 1 : body.length);
  const insert = wrap.before + body + wrap.after;
  const s: Suggestion = { label: e.label, kind: e.kind, insert, ...(e.detail === undefined ? {} : { detail: e.detail }) };
  return caret === insert.length ? s : { ...s, caret };
}

/**
 * The completer of an app. `context` is read on each call, so the field always completes
 * against the current document and the last Run answers.
 */
export function appCompleter(context: () => CompletionContext): Completer {
  return (text, caret, mode, explicit) => {
    const ctx = context();
    let start = caret;
    while (start > 0 && isWordChar(text.charAt(start - 1))) start--;
    let end = caret;
    while (end < text.length && isWordChar(text.charAt(end))) end++;
    const word = text.slice(start, caret);
    if (/^[0-9]/.test(word)) return null;

    const region: Region | null = mode === 'code' ? { code: text, base: 0, close: false } : templateRegion(text, caret);
    const top = (): readonly Entry[] =>
      mode === 'template' && ctx.inQuery === true && isSessionMode(ctx.doc) ? [...topEntries(ctx.doc, ctx.page), SESSION] : topEntries(ctx.doc, ctx.page);
    if (!region) {
      // Outside any binding: a pick becomes a binding of its own.
      if (word === '' && !explicit) return null;
      const options = filter(top(), word, !explicit).map((e) => suggestion(e, text, { before: '{{', after: '}}' }, end, false));
      return options.length > 0 ? { from: start, to: end, options } : null;
    }

    const prefix = text.slice(region.base, start);
    if (inStringOrComment(text.slice(region.base, caret))) return null;
    const wrap = { before: '', after: region.close ? '}}' : '' };
    const tokens = tokenize(prefix);
    const last = tokens[tokens.length - 1];
    const afterDot = last?.kind === 'punct' && (last.text === '.' || last.text === '?.') && last.end === prefix.length;
    let entries: readonly Entry[] | null;
    let from = start;
    let fromDot = false;
    if (afterDot) {
      const path = pathBefore(tokens, tokens.length - 1);
      entries = path && membersOf(ctx, path, last.text, mode === 'code' ? text : null);
      if (entries?.some((e) => e.access !== undefined)) {
        fromDot = true;
        from = region.base + last.start;
      }
    } else {
      // A declaration's new name is not a reference; nothing to offer there.
      if (last?.kind === 'ident' && /^(const|let|var|function|class)$/.test(last.text)) return null;
      const rightAfterOpen = mode === 'template' && prefix.trim() === '';
      if (word === '' && !explicit && !rightAfterOpen) return null;
      entries = mode === 'code' ? [...topEntries(ctx.doc, ctx.page), { label: 'this', detail: 'this JS object', kind: 'global' }] : top();
    }
    if (!entries) return null;
    const options = filter(entries, word, false).map((e) => suggestion(e, text, wrap, end, fromDot));
    return options.length > 0 ? { from, to: end, options } : null;
  };
}
