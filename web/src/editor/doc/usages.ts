/**
 * Go to definition and find usages: where an app-level name (a widget, query, JS object, or a
 * JS object's member such as `Auth.signin`) is defined, and every place code refers to it.
 *
 * References are found as renames find them (`jstokens.ts`: identifier tokens that name
 * something, not properties, keys, strings or comments), inside the bindings the viewer's own
 * scanner finds (`runtime/binding.ts`). On top of that this module knows local scopes roughly:
 * a `const`/`let`/`var`, a function's name or parameters, or an arrow's parameters named like a
 * widget shadow it inside their block, so they are not usages. It is a token-level
 * approximation, not a parser (a default value inside a destructuring pattern can be taken for a
 * declaration), which is enough for a list the builder reads.
 */

import { splitTemplate } from '../../runtime/binding.ts';
import { identRoles, tokenize } from './jstokens.ts';
import type { IdentRole, Token } from './jstokens.ts';
import { jsFunctions } from './ops.ts';
import type { AppDoc, WidgetDoc } from './types.ts';

export type Place =
  /** The definition of a widget, or a usage in one of its properties. */
  | { kind: 'widget'; page: string; widget: string; property?: string }
  /** `field`: 'path', 'params.grant_type', 'headers.Authorization', 'body', 'body.<form field>'. */
  | { kind: 'query'; query: string; field?: string }
  /** Line and column from 1. */
  | { kind: 'jsObject'; object: string; line?: number; column?: number }
  | { kind: 'page'; page: string; onLoad?: boolean };

// ---- the code of an app ---------------------------------------------------------------------

/**
 * Calls `visit` with every piece of code of the app and its place: the code of each binding of
 * every widget property (events included) and query field, and each JS object's source (whose
 * `offset` is 0, so token offsets are offsets in the source). One pass, in document order.
 */
export function forEachCode(doc: AppDoc, visit: (place: Place, code: string, startsAsExpression: boolean) => void): void {
  const bindings = (value: unknown, at: (path: string) => Place, path: string): void => {
    if (typeof value === 'string') {
      if (!value.includes('{{')) return;
      for (const s of splitTemplate(value).segments) if (s.kind === 'binding') visit(at(path), s.code, true);
    } else if (Array.isArray(value)) {
      for (const v of value) bindings(v, at, path);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) bindings(v, at, path === '' ? k : `${path}.${k}`);
    }
  };
  const walkWidget = (page: string, w: WidgetDoc): void => {
    for (const [prop, value] of Object.entries(w.props)) {
      bindings(value, () => ({ kind: 'widget', page, widget: w.name, property: prop }), '');
    }
    for (const c of w.children) walkWidget(page, c);
  };
  for (const p of doc.pages) for (const w of p.widgets) walkWidget(p.name, w);
  for (const q of doc.queries) {
    for (const [k, v] of Object.entries(q)) {
      if (k === 'name') continue;
      // A body's template is `body.content` (or `body.content.<field>` for a form): say `body`.
      bindings(v, (path) => ({ kind: 'query', query: q.name, field: path.replace(/^body\.content/, 'body') }), k);
    }
  }
  for (const j of doc.jsObjects) visit({ kind: 'jsObject', object: j.name }, j.source, false);
}

// ---- references in one piece of code ---------------------------------------------------------

export interface Reference {
  /** The name as written. */
  readonly name: string;
  /** Offsets of the name in the code. */
  readonly start: number;
  readonly end: number;
  /** The property read right after it (`signin` in `Auth.signin()`), if any. */
  readonly member?: string;
}

/** The references to app-level names in `code`: identifier tokens that name something, minus
 * local declarations and what they shadow. `this` is included (for `this.member`). */
export function referencesIn(code: string, startsAsExpression: boolean): Reference[] {
  const tokens = tokenize(code);
  const roles = identRoles(tokens, startsAsExpression);
  const local = localTokens(tokens, roles);
  const refs: Reference[] = [];
  tokens.forEach((t, k) => {
    const isThis = t.kind === 'ident' && t.text === 'this' && !isMemberName(tokens, k);
    if (!isThis && (t.kind !== 'ident' || roles[k] === 'other' || local.has(k))) return;
    const dot = tokens[k + 1];
    const member = tokens[k + 2];
    const ref: Reference = { name: t.text, start: t.start, end: t.end };
    refs.push(dot?.kind === 'punct' && (dot.text === '.' || dot.text === '?.') && member?.kind === 'ident' ? { ...ref, member: member.text } : ref);
  });
  return refs;
}

function isMemberName(tokens: readonly Token[], k: number): boolean {
  const prev = tokens[k - 1];
  return prev?.kind === 'punct' && (prev.text === '.' || prev.text === '?.');
}

const CONTROL: ReadonlySet<string> = new Set(['if', 'for', 'while', 'switch', 'with', 'return', 'typeof', 'await', 'new', 'in', 'of']);
const PARAM_BEFORE: ReadonlySet<string> = new Set(['(', ',', '...', '{', '[', ':']);

/**
 * The indices of identifier tokens that are local: declarations (`const x`, parameters,
 * `function f`) and references inside the scope of a declaration of the same name. Scopes are
 * blocks (`{ }`, or the whole code), a function's body for its parameters, and an arrow's
 * expression for a concise arrow's parameters.
 */
function localTokens(tokens: readonly Token[], roles: readonly IdentRole[]): Set<number> {
  const n = tokens.length;
  // The bracket (or template `${`) each token sits in, and where each opener closes.
  const parent: number[] = new Array<number>(n).fill(-1);
  const close: number[] = new Array<number>(n).fill(n);
  const stack: number[] = [];
  tokens.forEach((t, k) => {
    const closes = t.kind === 'punct' ? t.text === '}' || t.text === ')' || t.text === ']' : t.kind === 'template' && t.text.startsWith('}');
    if (closes) {
      const opener = stack.pop();
      if (opener !== undefined) close[opener] = k;
    }
    parent[k] = stack[stack.length - 1] ?? -1;
    const opens = t.kind === 'punct' ? t.text === '{' || t.text === '(' || t.text === '[' : t.kind === 'template' && t.text.endsWith('${');
    if (opens) stack.push(k);
  });
  const closeOf = (k: number): number => close[k] ?? n;
  const text = (k: number): string | undefined => tokens[k]?.text;
  const isPunct = (k: number, p: string): boolean => tokens[k]?.kind === 'punct' && tokens[k]?.text === p;
  const opensGroup = (k: number): boolean => isPunct(k, '{') || isPunct(k, '(') || isPunct(k, '[');
  /** The end of an expression starting at `k`: the first `,`, `;` or closer at its level. */
  const expressionEnd = (k: number): number => {
    let i = k;
    while (i < n) {
      if (opensGroup(i)) {
        i = closeOf(i) + 1;
        continue;
      }
      const t = tokens[i];
      if (isPunct(i, ',') || isPunct(i, ';') || isPunct(i, ')') || isPunct(i, ']') || isPunct(i, '}')) return i;
      if (t?.kind === 'template' && t.text.startsWith('}')) return i;
      i++;
    }
    return n;
  };
  /** The token range of the block around `k`: its innermost `{ }`, or the whole code. */
  const blockOf = (k: number): [number, number] => {
    let p = parent[k] ?? -1;
    while (p >= 0 && !isPunct(p, '{')) {
      // `for (const x of xs) body`: x lives in the loop's head and body.
      if (isPunct(p, '(') && text(p - 1) === 'for') {
        const after = closeOf(p) + 1;
        return [p, isPunct(after, '{') ? closeOf(after) : expressionEnd(after)];
      }
      p = parent[p] ?? -1;
    }
    return p < 0 ? [0, n] : [p, closeOf(p)];
  };
  const decls: { name: string; from: number; to: number }[] = [];
  const local = new Set<number>();
  const declare = (k: number, [from, to]: [number, number]): void => {
    const t = tokens[k];
    if (t?.kind !== 'ident') return;
    local.add(k);
    decls.push({ name: t.text, from, to });
  };
  /** Declares the names of a pattern or parameter list between `from` and `to` (exclusive). */
  const declarePattern = (from: number, to: number, scope: [number, number]): void => {
    for (let i = from + 1; i < to; i++) {
      if (tokens[i]?.kind === 'ident' && roles[i] !== 'other' && PARAM_BEFORE.has(text(i - 1) ?? '')) declare(i, scope);
    }
  };
  /** The scope of a function's parameters: its body after `at` (`{ }` or a concise arrow). */
  const bodyScope = (from: number, at: number): [number, number] => (isPunct(at, '{') ? [from, closeOf(at)] : [from, expressionEnd(at)]);

  for (let k = 0; k < n; k++) {
    const t = tokens[k];
    if (!t) break;
    if (t.kind === 'ident' && (t.text === 'const' || t.text === 'let' || t.text === 'var')) {
      const scope = blockOf(k);
      let j = k + 1;
      for (;;) {
        if (tokens[j]?.kind === 'ident') {
          declare(j, scope);
          j++;
        } else if (isPunct(j, '{') || isPunct(j, '[')) {
          declarePattern(j, closeOf(j), scope);
          j = closeOf(j) + 1;
        } else break;
        if (isPunct(j, '=')) j = expressionEnd(j + 1);
        if (!isPunct(j, ',')) break;
        j++;
      }
    } else if (t.kind === 'ident' && t.text === 'function' && tokens[k + 1]?.kind === 'ident') {
      declare(k + 1, blockOf(k));
    } else if (isPunct(k, '(')) {
      const c = closeOf(k);
      const before = tokens[k - 1];
      const isArrow = isPunct(c + 1, '=>');
      const isFunction =
        isPunct(c + 1, '{') &&
        before?.kind === 'ident' &&
        (before.text === 'function' || before.text === 'catch' || text(k - 2) === 'function' || (roles[k - 1] === 'other' && !CONTROL.has(before.text)));
      if (isArrow) declarePattern(k, c, bodyScope(k, c + 2));
      else if (isFunction) declarePattern(k, c, bodyScope(k, c + 1));
    } else if (t.kind === 'ident' && roles[k] !== 'other' && isPunct(k + 1, '=>')) {
      declare(k, bodyScope(k, k + 2));
    }
  }
  if (decls.length === 0) return local;
  tokens.forEach((t, k) => {
    if (t.kind !== 'ident' || roles[k] === 'other' || local.has(k)) return;
    if (decls.some((d) => d.name === t.text && d.from <= k && k <= d.to)) local.add(k);
  });
  return local;
}

/** Each string literal passed as the first argument of a call to the global `fn` (not a
 * method `x.fn`), without its quotes. */
export function firstStringArguments(code: string, fn: string): string[] {
  if (!code.includes(fn)) return [];
  const tokens = tokenize(code);
  const out: string[] = [];
  tokens.forEach((t, k) => {
    const arg = tokens[k + 2];
    if (t.kind !== 'ident' || t.text !== fn || isMemberName(tokens, k)) return;
    if (tokens[k + 1]?.text !== '(' || arg?.kind !== 'string' || arg.text.length < 2) return;
    out.push(arg.text.slice(1, -1));
  });
  return out;
}

// ---- JS object members ----------------------------------------------------------------------

export interface JsMember {
  readonly name: string;
  readonly isFunction: boolean;
  /** Offset of the member's key in the source. */
  readonly offset: number;
}

/** The members of a JS object's `export default { … }`, in order, with where each is defined.
 * Functions as `jsFunctions` (the server's rule) decides. */
export function jsMembers(source: string): JsMember[] {
  const tokens = tokenize(source);
  const roles = identRoles(tokens, false);
  if (tokens[0]?.text !== 'export' || tokens[1]?.text !== 'default' || tokens[2]?.text !== '{') return [];
  const functions = new Set(jsFunctions(source));
  const members: JsMember[] = [];
  let depth = 0;
  for (let k = 2; k < tokens.length; k++) {
    const t = tokens[k];
    if (!t) break;
    if (t.kind === 'punct' && (t.text === '{' || t.text === '(' || t.text === '[')) depth++;
    else if (t.kind === 'punct' && (t.text === '}' || t.text === ')' || t.text === ']')) {
      depth--;
      if (depth === 0) break;
    } else if (t.kind === 'template') {
      if (t.text.startsWith('}')) depth--;
      if (t.text.endsWith('${')) depth++;
    }
    if (depth !== 1 || k === 2) continue;
    const next = tokens[k + 1]?.text;
    const isKey = (t.kind === 'ident' && (roles[k] === 'other' || roles[k] === 'shorthand')) || t.kind === 'string';
    if (!isKey || (next !== ':' && next !== '(' && next !== ',' && next !== '}')) continue;
    const prev = tokens[k - 1]?.text;
    // A key follows `{`, `,`, a modifier (`async`, `get`, `set`) or a generator's `*`.
    if (prev !== '{' && prev !== ',' && prev !== '*' && prev !== 'async' && prev !== 'get' && prev !== 'set') continue;
    const name = t.kind === 'string' ? t.text.slice(1, -1) : t.text;
    members.push({ name, isFunction: functions.has(name), offset: t.start });
  }
  return members;
}

// ---- definitions and usages -----------------------------------------------------------------

/** Line and column (from 1) of an offset. */
function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function findWidget(doc: AppDoc, name: string): { page: string; widget: WidgetDoc } | null {
  const inList = (ws: readonly WidgetDoc[]): WidgetDoc | null => {
    for (const w of ws) {
      if (w.name === name) return w;
      const inner = inList(w.children);
      if (inner) return inner;
    }
    return null;
  };
  for (const p of doc.pages) {
    const w = inList(p.widgets);
    if (w) return { page: p.name, widget: w };
  }
  return null;
}

/** `Obj.member` split, when `Obj` is a JS object that has that member. */
function jsMemberName(doc: AppDoc, name: string): { object: string; member: JsMember; source: string } | null {
  const dot = name.indexOf('.');
  if (dot < 0) return null;
  const object = doc.jsObjects.find((j) => j.name === name.slice(0, dot));
  const member = object && jsMembers(object.source).find((m) => m.name === name.slice(dot + 1));
  return object && member ? { object: object.name, member, source: object.source } : null;
}

/** The root of a dotted name that is not a JS object's member (`inp_username.text` → `inp_username`). */
const rootOf = (name: string): string => name.split('.')[0] ?? name;

/**
 * Where `name` is defined: a widget (its page), a query, a JS object, a JS object's member
 * (`Auth.signin`: line and column of its key), or a page. Null when the app has no such name.
 */
export function definitionOf(doc: AppDoc, name: string): Place | null {
  const member = jsMemberName(doc, name);
  if (member) return { kind: 'jsObject', object: member.object, ...lineColumn(member.source, member.member.offset) };
  const root = rootOf(name);
  const w = findWidget(doc, root);
  if (w) return { kind: 'widget', page: w.page, widget: root };
  if (doc.queries.some((q) => q.name === root)) return { kind: 'query', query: root };
  if (doc.jsObjects.some((j) => j.name === root)) return { kind: 'jsObject', object: root };
  if (doc.pages.some((p) => p.name === root)) return { kind: 'page', page: root };
  return null;
}

/**
 * Every reference to `name` in the app, in document order: widget properties (bindings and
 * event code), query fields, JS object sources (line and column of each reference), and pages
 * whose on-load list runs it. For a JS object's member (`Auth.signin`): `Auth.signin` anywhere,
 * `this.signin` in Auth's own source, and on-load steps `Auth.signin`. A page's usages are the
 * `navigateTo('Page')` calls. The same field is listed once however often it mentions the name;
 * a JS object once per reference.
 */
export function usagesOf(doc: AppDoc, name: string): Place[] {
  const member = jsMemberName(doc, name);
  const root = member ? member.object : rootOf(name);
  const isPage = !member && doc.pages.some((p) => p.name === root) && !findWidget(doc, root);
  const places: Place[] = [];
  let last = '';
  const add = (place: Place): void => {
    const key = JSON.stringify(place);
    if (key !== last || place.kind === 'jsObject') places.push(place);
    last = key;
  };
  forEachCode(doc, (place, code, startsAsExpression) => {
    if (!code.includes(isPage ? 'navigateTo' : member ? member.member.name : root)) return;
    if (isPage) {
      if (firstStringArguments(code, 'navigateTo').includes(root)) add(place);
      return;
    }
    const inOwnSource = place.kind === 'jsObject' && place.object === root;
    for (const ref of referencesIn(code, startsAsExpression)) {
      const hit = member
        ? ref.member === member.member.name && (ref.name === root || (ref.name === 'this' && inOwnSource))
        : ref.name === root;
      if (!hit) continue;
      add(place.kind === 'jsObject' ? { ...place, ...lineColumn(code, ref.start) } : place);
    }
  });
  if (!isPage) {
    for (const p of doc.pages) {
      const runs = p.onLoad.some((step) => (member ? step === `${root}.${member.member.name}` : step === root || step.startsWith(`${root}.`)));
      if (runs) places.push({ kind: 'page', page: p.name, onLoad: true });
    }
  }
  return places;
}

/**
 * The app-level name under the caret, or null (text, a string, a comment, a property of
 * something local, or outside any binding in a template). On a member right after a name it is
 * `Name.member` (`Auth.signin`); `definitionOf` and `usagesOf` resolve that to a JS object's
 * member, or to `Name` when it is not one. `this.member` gives null: the caller knows which JS
 * object it is editing, and can ask for `Obj.member` itself.
 */
export function nameAt(text: string, caret: number, mode: 'template' | 'code'): string | null {
  let code = text;
  let base = 0;
  if (mode === 'template') {
    const binding = splitTemplate(text).segments.find((s) => s.kind === 'binding' && s.offset + 2 <= caret && caret <= s.offset + 2 + s.code.length);
    if (!binding || binding.kind !== 'binding') return null;
    code = binding.code;
    base = binding.offset + 2;
  }
  const at = caret - base;
  for (const ref of referencesIn(code, mode === 'template')) {
    if (ref.name === 'this') continue;
    if (ref.start <= at && at <= ref.end) return ref.name;
    if (ref.member !== undefined) {
      const memberStart = code.indexOf(ref.member, ref.end);
      if (memberStart <= at && at <= memberStart + ref.member.length) return `${ref.name}.${ref.member}`;
    }
  }
  return null;
}
