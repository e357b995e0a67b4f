/**
 * Renames and the references they rewrite.
 *
 * A widget's name is how code reaches it, so renaming `inp_user` to `inp_username` rewrites
 * every reference in the app: inside the `{{ }}` of every widget property of every page
 * (events included), in query fields that hold templates, and in JS objects' source. Only
 * identifier tokens that refer to a name are rewritten (see `jstokens.ts`): `form.inp_user`,
 * `{ inp_user: 1 }`, `'inp_user'` and comments stay as written; a shorthand `{ inp_user }`
 * becomes `{ inp_user: inp_username }` so the object keeps its key. Where bindings start and
 * end is decided by the viewer's own scanner (`runtime/binding.ts`), so the editor rewrites
 * exactly what the viewer evaluates.
 *
 * A page's name appears in code only as a string: renaming a page rewrites the literal first
 * argument of `navigateTo('OldName')` calls (the same calls the server's validator checks) and
 * `homePage`.
 *
 * Code may already mention the new name (written before the widget got it, or left by a
 * deleted widget): after the rename those mentions reach the widget, which is usually why the
 * builder chose the name. The undo of such a rename keeps them (`keepForUndo`), so undo gives
 * back exactly the app before.
 *
 * Known limits: a name spelled with a Unicode escape (`\u0069np`) or built at run time is not
 * found; a local variable of the new name in some code would be captured by the rename.
 */

import { findBindingEnd } from '../../runtime/binding.ts';
import { identRoles, tokenize } from './jstokens.ts';
import type { Token } from './jstokens.ts';
import type { AppDoc, JsObjectDoc, PageDoc, QueryDoc, WidgetDoc } from './types.ts';

/** Decides, reference by reference in the order of the code, whether to rewrite it. */
export type Decide = () => boolean;

const always: Decide = () => true;

/** Rewrites references to `from` in one piece of code. Returns `code` itself when nothing
 * changed, so callers can keep the old object. */
export function renameInCode(code: string, from: string, to: string, startsAsExpression = true, decide: Decide = always): string {
  if (!code.includes(from)) return code;
  const tokens = tokenize(code);
  const roles = identRoles(tokens, startsAsExpression);
  let out = '';
  let last = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const role = roles[k];
    if (!t || t.kind !== 'ident' || t.text !== from || role === 'other') continue;
    if (!decide()) continue;
    const key = collapsibleKey(tokens, k, to);
    if (key) {
      // `{ b: a }` renamed to b is `{ b }`: the undo of the expansion below, exactly.
      out += code.slice(last, key.end);
    } else {
      out += code.slice(last, t.start);
      out += role === 'shorthand' ? `${from}: ${to}` : to;
    }
    last = t.end;
  }
  return last === 0 ? code : out + code.slice(last);
}

/** Calls `visit` with each reference token of `code` whose name is in `names`, in order. */
function visitReferences(code: string, names: readonly string[], startsAsExpression: boolean, visit: (name: string) => void): void {
  if (!names.some((n) => code.includes(n))) return;
  const tokens = tokenize(code);
  const roles = identRoles(tokens, startsAsExpression);
  tokens.forEach((t, k) => {
    if (t.kind === 'ident' && roles[k] !== 'other' && names.includes(t.text)) visit(t.text);
  });
}

/**
 * A shorthand `{ a }` renamed to b becomes `{ a: b }`; renamed back, `{ a: b }` must become
 * `{ a }` again, or undo would not restore the source. The key token when the reference at `k`
 * is the value of an entry `to: from` on its own (between `{`/`,` and `,`/`}`).
 */
function collapsibleKey(tokens: readonly Token[], k: number, to: string): Token | undefined {
  const colon = tokens[k - 1];
  const key = tokens[k - 2];
  const before = tokens[k - 3];
  const after = tokens[k + 1];
  if (colon?.text !== ':' || key?.kind !== 'ident' || key.text !== to) return undefined;
  if (before?.kind !== 'punct' || (before.text !== '{' && before.text !== ',')) return undefined;
  if (after?.kind !== 'punct' || (after.text !== ',' && after.text !== '}')) return undefined;
  return key;
}

/** Rewrites references inside each `{{ }}` of a property value (text outside is kept). */
export function renameInTemplate(text: string, from: string, to: string, decide: Decide = always): string {
  return mapBindings(text, (code) => renameInCode(code, from, to, true, decide));
}

/** Applies `f` to the code of every binding of `text`; returns `text` itself when nothing
 * changed. */
function mapBindings(text: string, f: (code: string) => string): string {
  let pos = 0;
  let out = '';
  let changed = false;
  for (;;) {
    const open = text.indexOf('{{', pos);
    if (open < 0) break;
    const end = findBindingEnd(text, open + 2);
    if (end < 0) break;
    const code = text.slice(open + 2, end);
    const renamed = f(code);
    if (renamed !== code) changed = true;
    out += text.slice(pos, open + 2) + renamed + '}}';
    pos = end + 2;
  }
  return changed ? out + text.slice(pos) : text;
}

/** Applies `f` to every string inside a JSON value that holds a binding. Identity-preserving:
 * what `f` left unchanged is returned as it was. */
export function mapTemplates(value: unknown, f: (text: string) => string): unknown {
  if (typeof value === 'string') return value.includes('{{') ? f(value) : value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v: unknown) => {
      const r = mapTemplates(v, f);
      if (r !== v) changed = true;
      return r;
    });
    return changed ? out : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = mapTemplates(v, f);
      if (r !== v) changed = true;
      out[k] = r;
    }
    return changed ? out : value;
  }
  return value;
}

/** What to do with the code of one place: its binding templates and its JS source. */
interface CodeRewrite {
  template(text: string): string;
  jsSource(source: string): string;
}

/**
 * Rewrites every binding and JS object of `doc`, sharing whatever did not change. Code lives
 * in places — a widget's properties (`widget:<name>`), a query (`query:<name>`), a JS object
 * (`js:<name>`) — and `rewriteFor` gives the rewrite of each, so a rewrite can count what it
 * meets within one place. Within a place, code is visited in a fixed order.
 */
function rewriteApp(doc: AppDoc, rewriteFor: (place: string) => CodeRewrite): AppDoc {
  const rewriteWidget = (w: WidgetDoc): WidgetDoc => {
    const rw = rewriteFor(`widget:${w.name}`);
    const props = mapTemplates(w.props, (t) => rw.template(t)) as WidgetDoc['props'];
    let childrenChanged = false;
    const children = w.children.map((c) => {
      const r = rewriteWidget(c);
      if (r !== c) childrenChanged = true;
      return r;
    });
    if (props === w.props && !childrenChanged) return w;
    return { ...w, props, children: childrenChanged ? children : w.children };
  };
  const pages = sameOr(doc.pages, (p: PageDoc) => {
    const widgets = sameOr(p.widgets, rewriteWidget);
    return widgets === p.widgets ? p : { ...p, widgets };
  });
  const queries = sameOr(doc.queries, (q: QueryDoc) => {
    const rw = rewriteFor(`query:${q.name}`);
    const out: Record<string, unknown> = {};
    let changed = false;
    for (const [k, v] of Object.entries(q)) {
      const r = k === 'name' ? v : mapTemplates(v, (t) => rw.template(t));
      if (r !== v) changed = true;
      out[k] = r;
    }
    return changed ? ({ ...out, name: q.name } as QueryDoc) : q;
  });
  const jsObjects = sameOr(doc.jsObjects, (j: JsObjectDoc) => {
    const source = rewriteFor(`js:${j.name}`).jsSource(j.source);
    return source === j.source ? j : { ...j, source };
  });
  if (pages === doc.pages && queries === doc.queries && jsObjects === doc.jsObjects) return doc;
  return { ...doc, pages, queries, jsObjects };
}

/** References to leave as they are, by place: ordinals among the place's references to the old
 * name, from 0 (see `RenameKeep` in types.ts). */
export type Keep = Readonly<Record<string, readonly number[]>>;

/** A Decide for one place that skips the ordinals `keep` lists there. */
function skipping(keep: Keep | undefined, place: string): Decide {
  const skip = keep?.[place];
  if (!skip || skip.length === 0) return always;
  let n = 0;
  return () => !skip.includes(n++);
}

/** Maps a list, returning the same list when every element came back unchanged. */
function sameOr<T>(list: readonly T[], f: (t: T) => T): readonly T[] {
  let changed = false;
  const out = list.map((t) => {
    const r = f(t);
    if (r !== t) changed = true;
    return r;
  });
  return changed ? out : list;
}

/** Rewrites every reference to the name `from` (a widget, query or JS object) into `to`,
 * except those `keep` lists. */
export function renameReferences(doc: AppDoc, from: string, to: string, keep?: Keep): AppDoc {
  return rewriteApp(doc, (place) => {
    const decide = skipping(keep, place);
    return {
      template: (text) => renameInTemplate(text, from, to, decide),
      // A JS object's source is `export default { … }`: statements, not an expression.
      jsSource: (source) => renameInCode(source, from, to, false, decide),
    };
  });
}

/** Rewrites `navigateTo('from')` into `navigateTo('to')` in every binding and JS object,
 * except the calls `keep` lists. */
export function renamePageReferences(doc: AppDoc, from: string, to: string, keep?: Keep): AppDoc {
  return rewriteApp(doc, (place) => {
    const decide = skipping(keep, place);
    return {
      template: (text) => mapBindings(text, (code) => renameNavigateTargets(code, from, to, decide)),
      jsSource: (source) => renameNavigateTargets(source, from, to, decide),
    };
  });
}

/**
 * What the undo of a rename `from` → `to` (that kept `keep`) must keep, computed against the
 * document before the rename. References to `to` that were there already (code written for a
 * widget that did not exist yet) point at the renamed widget after the rename; its undo must
 * leave them as they were rather than rename them to `from`, so each such reference is kept
 * by its ordinal among the references to `to` after the rename.
 */
export function keepForUndo(doc: AppDoc, from: string, to: string, keep: Keep | undefined, kind: 'name' | 'page'): Keep | undefined {
  const out: Record<string, number[]> = {};
  const seen = new Map<string, string[]>();
  const record = (place: string) => (name: string) => {
    const list = seen.get(place) ?? [];
    list.push(name);
    seen.set(place, list);
  };
  const names = [from, to];
  rewriteApp(doc, (place) => ({
    template: (text) => {
      mapBindings(text, (code) => {
        if (kind === 'name') visitReferences(code, names, true, record(place));
        else visitNavigateTargets(code, names, record(place));
        return code;
      });
      return text;
    },
    jsSource: (source) => {
      if (kind === 'name') visitReferences(source, names, false, record(place));
      else visitNavigateTargets(source, names, record(place));
      return source;
    },
  }));
  for (const [place, list] of seen) {
    const skip = keep?.[place] ?? [];
    let fromOrdinal = 0;
    let toOrdinal = 0;
    const kept: number[] = [];
    for (const name of list) {
      if (name === to) {
        kept.push(toOrdinal++);
      } else if (!skip.includes(fromOrdinal++)) {
        toOrdinal++;
      }
    }
    if (kept.length > 0) out[place] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Rewrites the page name in `navigateTo('from', …)` calls of one piece of code. */
export function renameNavigateTargets(code: string, from: string, to: string, decide: Decide = always): string {
  if (!code.includes('navigateTo') || !code.includes(from)) return code;
  let out = '';
  let last = 0;
  forEachNavigateTarget(code, (arg, name) => {
    if (name !== from || !decide()) return;
    const quote = arg.text.charAt(0);
    out += code.slice(last, arg.start) + quote + to + quote;
    last = arg.end;
  });
  return last === 0 ? code : out + code.slice(last);
}

function visitNavigateTargets(code: string, names: readonly string[], visit: (name: string) => void): void {
  if (!code.includes('navigateTo')) return;
  forEachNavigateTarget(code, (_arg, name) => {
    if (names.includes(name)) visit(name);
  });
}

/** Each string literal given as the first argument of a `navigateTo(…)` call (not a method
 * `x.navigateTo`), with its text between the quotes. */
function forEachNavigateTarget(code: string, visit: (arg: Token, name: string) => void): void {
  const tokens = tokenize(code);
  for (let k = 0; k + 2 < tokens.length; k++) {
    const t = tokens[k];
    const prev = tokens[k - 1];
    const paren = tokens[k + 1];
    const arg = tokens[k + 2];
    if (!t || !paren || !arg || t.kind !== 'ident' || t.text !== 'navigateTo') continue;
    if (prev?.kind === 'punct' && (prev.text === '.' || prev.text === '?.')) continue;
    if (paren.text !== '(' || arg.kind !== 'string') continue;
    visit(arg, arg.text.slice(1, -1));
  }
}

/** Where code of the app refers to `name` as an identifier, in words (for messages); empty when
 * nowhere. */
export function referencesTo(doc: AppDoc, name: string): string[] {
  const places: string[] = [];
  const marker = `${name}\u0000`;
  const probe = (text: string, startsAsExpression: boolean): boolean =>
    renameInCode(text, name, marker, startsAsExpression) !== text;
  const probeTemplate = (text: string): boolean => renameInTemplate(text, name, marker) !== text;
  const walkWidget = (page: string, w: WidgetDoc): void => {
    for (const [prop, value] of Object.entries(w.props)) {
      let hit = false;
      mapTemplates(value, (t) => {
        if (probeTemplate(t)) hit = true;
        return t;
      });
      if (hit) places.push(`${w.name}.${prop} on page ${page}`);
    }
    for (const c of w.children) walkWidget(page, c);
  };
  for (const p of doc.pages) for (const w of p.widgets) walkWidget(p.name, w);
  for (const q of doc.queries) {
    let hit = false;
    for (const [k, v] of Object.entries(q)) {
      if (k === 'name') continue;
      mapTemplates(v, (t) => {
        if (probeTemplate(t)) hit = true;
        return t;
      });
    }
    if (hit) places.push(`the query ${q.name}`);
  }
  for (const j of doc.jsObjects) if (probe(j.source, false)) places.push(`the JS object ${j.name}`);
  return places;
}
