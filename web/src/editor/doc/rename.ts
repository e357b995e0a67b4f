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
 * Known limits: a name spelled with a Unicode escape (`\u0069np`) or built at run time is not
 * found; a local variable of the new name in some code would be captured by the rename.
 */

import { findBindingEnd } from '../../runtime/binding.ts';
import { identRoles, tokenize } from './jstokens.ts';
import type { Token } from './jstokens.ts';
import type { AppDoc, JsObjectDoc, PageDoc, QueryDoc, WidgetDoc } from './types.ts';

/** Rewrites references to `from` in one piece of code. Returns `code` itself when nothing
 * changed, so callers can keep the old object. */
export function renameInCode(code: string, from: string, to: string, startsAsExpression = true): string {
  if (!code.includes(from)) return code;
  const tokens = tokenize(code);
  const roles = identRoles(tokens, startsAsExpression);
  let out = '';
  let last = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const role = roles[k];
    if (!t || t.kind !== 'ident' || t.text !== from || role === 'other') continue;
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
export function renameInTemplate(text: string, from: string, to: string): string {
  return mapBindings(text, (code) => renameInCode(code, from, to));
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

/** A function over every place code lives in an app: binding templates and JS objects' source. */
interface CodeRewrite {
  template(text: string): string;
  jsSource(source: string): string;
}

/** Rewrites every binding and JS object of `doc`, sharing whatever did not change. */
function rewriteApp(doc: AppDoc, rw: CodeRewrite): AppDoc {
  const rewriteWidget = (w: WidgetDoc): WidgetDoc => {
    const props = mapTemplates(w.props, rw.template) as WidgetDoc['props'];
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
    const out: Record<string, unknown> = {};
    let changed = false;
    for (const [k, v] of Object.entries(q)) {
      const r = k === 'name' ? v : mapTemplates(v, rw.template);
      if (r !== v) changed = true;
      out[k] = r;
    }
    return changed ? ({ ...out, name: q.name } as QueryDoc) : q;
  });
  const jsObjects = sameOr(doc.jsObjects, (j: JsObjectDoc) => {
    const source = rw.jsSource(j.source);
    return source === j.source ? j : { ...j, source };
  });
  if (pages === doc.pages && queries === doc.queries && jsObjects === doc.jsObjects) return doc;
  return { ...doc, pages, queries, jsObjects };
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

/** Rewrites every reference to the name `from` (a widget, query or JS object) into `to`. */
export function renameReferences(doc: AppDoc, from: string, to: string): AppDoc {
  return rewriteApp(doc, {
    template: (text) => renameInTemplate(text, from, to),
    // A JS object's source is `export default { … }`: statements, not an expression.
    jsSource: (source) => renameInCode(source, from, to, false),
  });
}

/** Rewrites `navigateTo('from')` into `navigateTo('to')` in every binding and JS object. */
export function renamePageReferences(doc: AppDoc, from: string, to: string): AppDoc {
  return rewriteApp(doc, {
    template: (text) => mapBindings(text, (code) => renameNavigateTargets(code, from, to)),
    jsSource: (source) => renameNavigateTargets(source, from, to),
  });
}

/** Rewrites the page name in `navigateTo('from', …)` calls of one piece of code. */
export function renameNavigateTargets(code: string, from: string, to: string): string {
  if (!code.includes('navigateTo') || !code.includes(from)) return code;
  const tokens = tokenize(code);
  let out = '';
  let last = 0;
  for (let k = 0; k + 2 < tokens.length; k++) {
    const t = tokens[k];
    const prev = tokens[k - 1];
    const paren = tokens[k + 1];
    const arg = tokens[k + 2];
    if (!t || !paren || !arg || t.kind !== 'ident' || t.text !== 'navigateTo') continue;
    if (prev?.kind === 'punct' && (prev.text === '.' || prev.text === '?.')) continue;
    if (paren.text !== '(' || arg.kind !== 'string' || arg.text.slice(1, -1) !== from) continue;
    const quote = arg.text.charAt(0);
    out += code.slice(last, arg.start) + quote + to + quote;
    last = arg.end;
  }
  return last === 0 ? code : out + code.slice(last);
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
