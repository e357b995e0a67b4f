/**
 * Event actions: the structured form of an event property's `{{ code }}` that the action
 * picker edits. `actionCode` writes an action as the code a person would write
 * (`{{sign_in.run().then(() => { showAlert('Signed in', 'success'); })}}`), and `parseAction`
 * reads back exactly what it wrote.
 *
 * The value stays code in the document: the picker is a way of writing it, not a second
 * format. So reading is strict: a value is structured only when writing the structure again
 * gives the same code (whitespace just inside the `{{ }}` aside); anything else, however close,
 * is custom code and is kept as it is, never misread and rewritten.
 */

import { splitTemplate } from '../../runtime/index.ts';
import { tokenize, type Token } from './jstokens.ts';
import type { AppDoc } from './types.ts';

export type NavigateTarget = 'SAME_WINDOW' | 'NEW_WINDOW';
export type AlertType = 'info' | 'success' | 'warning' | 'error';

export type Action =
  | { readonly kind: 'js'; readonly object: string; readonly fn: string }
  | {
      readonly kind: 'query';
      readonly query: string;
      /** The parameters: a JS object literal's text; absent (or '') for none. */
      readonly params?: string;
      readonly onSuccess?: Action;
      readonly onFailure?: Action;
    }
  | { readonly kind: 'navigate'; readonly page: string; readonly params?: string; readonly target?: NavigateTarget }
  | { readonly kind: 'storeValue'; readonly key: string; /** A JS expression's text. */ readonly value: string }
  | { readonly kind: 'removeValue'; readonly key: string }
  | { readonly kind: 'clearStore' }
  /** `appsmith.signIn()`: the app's sign-in by redirect (auth.oidc), and its sign-out. */
  | { readonly kind: 'signIn' }
  | { readonly kind: 'signOut' }
  | { readonly kind: 'alert'; /** Plain text. */ readonly message: string; readonly type: AlertType }
  | { readonly kind: 'code'; /** The code inside the `{{ }}`. */ readonly code: string };

export type ActionKind = Action['kind'];

export const ACTION_CHOICES: readonly { readonly kind: ActionKind; readonly label: string }[] = [
  { kind: 'js', label: 'Execute a JS function' },
  { kind: 'query', label: 'Run a query' },
  { kind: 'navigate', label: 'Navigate to' },
  { kind: 'storeValue', label: 'Store value' },
  { kind: 'removeValue', label: 'Remove value' },
  { kind: 'clearStore', label: 'Clear store' },
  { kind: 'alert', label: 'Show alert' },
  { kind: 'signIn', label: 'Sign in with the provider' },
  { kind: 'signOut', label: 'Sign out' },
  { kind: 'code', label: 'Custom code' },
];

export const ALERT_TYPES: readonly AlertType[] = ['info', 'success', 'warning', 'error'];

/** The property's value for an action: its code in `{{ }}`. */
export function actionCode(action: Action): string {
  return `{{${codeOf(action)}}}`;
}

/** An action's code without the braces; follow-ups nest inside their query's. */
function codeOf(a: Action): string {
  switch (a.kind) {
    case 'js':
      return `${a.object}.${a.fn}()`;
    case 'query': {
      let code = `${a.query}.run(${a.params ?? ''})`;
      if (a.onSuccess) code += `.then(${followUp(a.onSuccess)})`;
      if (a.onFailure) code += `.catch(${followUp(a.onFailure)})`;
      return code;
    }
    case 'navigate': {
      const params = a.params ? a.params : '{}';
      if (a.target) return `navigateTo(${quote(a.page)}, ${params}, ${quote(a.target)})`;
      return a.params ? `navigateTo(${quote(a.page)}, ${params})` : `navigateTo(${quote(a.page)})`;
    }
    case 'storeValue':
      return `storeValue(${quote(a.key)}, ${a.value === '' ? 'undefined' : a.value})`;
    case 'removeValue':
      return `removeValue(${quote(a.key)})`;
    case 'clearStore':
      return 'clearStore()';
    case 'alert':
      return `showAlert(${quote(a.message)}, ${quote(a.type)})`;
    case 'signIn':
      return 'appsmith.signIn()';
    case 'signOut':
      return 'appsmith.signOut()';
    case 'code':
      return a.code;
  }
}

/** A follow-up's function. Custom code may `await`, as event code may, so its function is
 * async; and it goes on lines of its own, so that a `//` comment on its last line cannot
 * swallow the closing brace. */
function followUp(a: Action): string {
  return a.kind === 'code' ? `async () => {\n${a.code}\n}` : `() => { ${codeOf(a)}; }`;
}

/**
 * A string literal in single quotes, escaped as JSON escapes (plus `\'`): backslashes,
 * control characters, line separators and unpaired surrogates, so that any text survives.
 */
export function quote(text: string): string {
  let out = "'";
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c === "'" || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x2028 || code === 0x2029) out += unicodeEscape(code);
    else if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += c + text.charAt(i + 1);
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) out += unicodeEscape(code);
    else out += c;
  }
  return `${out}'`;
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** The text of a quoted string token; null for anything else. Only needs to be right for what
 * `quote` writes: the caller checks that writing the action again gives the same code. */
function unquote(token: Token | undefined): string | null {
  if (token?.kind !== 'string') return null;
  const body = token.text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body.charAt(++i);
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else out += SIMPLE_ESCAPES[e] ?? e;
  }
  return out;
}

/** The names that tell a query's `X.run()` from a JS function named `run`. */
export type ActionNames = Pick<AppDoc, 'jsObjects'>;

/**
 * The action a property's value holds: null for an empty value, the structured action when
 * the value is exactly what `actionCode` writes for it, else custom code (the code inside the
 * `{{ }}`, or the whole value when it is not one binding). With `names`, `X.run()` is a JS
 * function when X is a JS object; otherwise it is a query's run.
 */
export function parseAction(value: string, names?: ActionNames): Action | null {
  if (value.trim() === '') return null;
  const split = splitTemplate(value);
  const only = split.segments[0];
  if (split.unclosedAt !== undefined || split.segments.length !== 1 || only?.kind !== 'binding') {
    return { kind: 'code', code: value };
  }
  const inner = only.code.trim();
  const structured = parseCode(inner, names);
  return structured && codeOf(structured) === inner ? structured : { kind: 'code', code: only.code };
}

/** A reader over the tokens of one piece of code. Each method returns null when the code is
 * not the shape it reads (it never throws). */
class Reader {
  readonly tokens: Token[];
  constructor(
    readonly code: string,
    private readonly names: ActionNames | undefined,
  ) {
    this.tokens = tokenize(code);
  }

  private punct(i: number, text: string): boolean {
    const t = this.tokens[i];
    return t?.kind === 'punct' && t.text === text;
  }

  private ident(i: number): string | null {
    const t = this.tokens[i];
    return t?.kind === 'ident' ? t.text : null;
  }

  /** The index of the bracket closing the one at `open`, or -1. */
  private close(open: number): number {
    let depth = 0;
    for (let i = open; i < this.tokens.length; i++) {
      const t = this.tokens[i];
      if (t?.kind !== 'punct') continue;
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      else if (t.text === ')' || t.text === ']' || t.text === '}') {
        depth--;
        if (depth === 0) return i;
      }
    }
    return -1;
  }

  /** The arguments of the call whose `(` is at `open` and `)` at `close`, as token ranges. */
  private args(open: number, close: number): [number, number][] {
    if (close === open + 1) return [];
    const ranges: [number, number][] = [];
    let depth = 0;
    let start = open + 1;
    for (let i = open + 1; i < close; i++) {
      const t = this.tokens[i];
      if (t?.kind !== 'punct') continue;
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
      else if (t.text === ',' && depth === 0) {
        ranges.push([start, i]);
        start = i + 1;
      }
    }
    ranges.push([start, close]);
    return ranges;
  }

  /** The text of one expression over tokens [from, to): balanced, no top-level `;`, and no
   * comment anywhere (one could hide what follows it). */
  private expression([from, to]: [number, number]): string | null {
    if (from >= to) return null;
    let depth = 0;
    for (let i = from; i < to; i++) {
      const t = this.tokens[i];
      if (!t) return null;
      if (i > from && this.code.slice(this.tokens[i - 1]?.end, t.start).trim() !== '') return null;
      if (t.kind !== 'punct') continue;
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
      else if (t.text === ';' && depth === 0) return null;
      if (depth < 0) return null;
    }
    if (depth !== 0) return null;
    return this.code.slice(this.tokens[from]?.start, this.tokens[to - 1]?.end);
  }

  private string([from, to]: [number, number]): string | null {
    return to === from + 1 ? unquote(this.tokens[from]) : null;
  }

  /** The action over tokens [from, to). */
  action(from: number, to: number): Action | null {
    const head = this.ident(from);
    if (head === null) return null;
    if (this.punct(from + 1, '(')) {
      const close = this.close(from + 1);
      if (close !== to - 1) return null;
      return this.globalCall(head, this.args(from + 1, close));
    }
    const member = this.ident(from + 2);
    if (!this.punct(from + 1, '.') || member === null || !this.punct(from + 3, '(')) return null;
    const close = this.close(from + 3);
    if (close < 0) return null;
    if (head === 'appsmith') {
      const bare = close === from + 4 && to === close + 1;
      return bare && (member === 'signIn' || member === 'signOut') ? { kind: member } : null;
    }
    const isJs = member !== 'run' || (this.names?.jsObjects.some((o) => o.name === head) ?? false);
    if (isJs) return close === from + 4 && to === close + 1 ? { kind: 'js', object: head, fn: member } : null;
    return this.queryRun(head, from + 3, close, to);
  }

  private globalCall(fn: string, args: [number, number][]): Action | null {
    const [a, b, c] = args;
    switch (fn) {
      case 'clearStore':
        return args.length === 0 ? { kind: 'clearStore' } : null;
      case 'removeValue': {
        const key = a && args.length === 1 ? this.string(a) : null;
        return key === null ? null : { kind: 'removeValue', key };
      }
      case 'storeValue': {
        const key = a && args.length === 2 ? this.string(a) : null;
        const value = b ? this.expression(b) : null;
        return key === null || value === null ? null : { kind: 'storeValue', key, value };
      }
      case 'showAlert': {
        const message = a && args.length === 2 ? this.string(a) : null;
        const type = b ? this.string(b) : null;
        const known = ALERT_TYPES.find((t) => t === type);
        return message === null || !known ? null : { kind: 'alert', message, type: known };
      }
      case 'navigateTo': {
        const page = a && args.length <= 3 ? this.string(a) : null;
        if (page === null) return null;
        const params = b ? this.expression(b) : undefined;
        if (params === null) return null;
        if (!c) return params === undefined ? { kind: 'navigate', page } : { kind: 'navigate', page, params };
        const target = this.string(c);
        if (target !== 'SAME_WINDOW' && target !== 'NEW_WINDOW') return null;
        return params === '{}' || params === undefined ? { kind: 'navigate', page, target } : { kind: 'navigate', page, params, target };
      }
      default:
        return null;
    }
  }

  /** `q.run(params)` with its optional `.then(() => { … })` and `.catch(() => { … })`. */
  private queryRun(query: string, open: number, close: number, to: number): Action | null {
    const args = this.args(open, close);
    const [first] = args;
    if (args.length > 1) return null;
    const params = first ? this.expression(first) : undefined;
    if (params === null) return null;
    let at = close + 1;
    const followUp = (name: string): Action | null | undefined => {
      if (at >= to || this.ident(at + 1) !== name || !this.punct(at, '.')) return undefined;
      // . name ( [async] ( ) => { body } )
      const fn = this.ident(at + 3) === 'async' ? at + 4 : at + 3;
      const ok = this.punct(at + 2, '(') && this.punct(fn, '(') && this.punct(fn + 1, ')') && this.punct(fn + 2, '=>') && this.punct(fn + 3, '{');
      const end = ok ? this.close(fn + 3) : -1;
      if (end < 0 || !this.punct(end + 1, ')') || this.close(at + 2) !== end + 1) return null;
      const body = this.body(fn + 3, end);
      at = end + 2;
      return body;
    };
    const onSuccess = followUp('then');
    const onFailure = followUp('catch');
    if (onSuccess === null || onFailure === null || at !== to) return null;
    return {
      kind: 'query',
      query,
      ...(params !== undefined && { params }),
      ...(onSuccess && { onSuccess }),
      ...(onFailure && { onFailure }),
    };
  }

  /** A follow-up's block between the braces at `open` and `close`. */
  private body(open: number, close: number): Action | null {
    const text = this.code.slice(this.tokens[open]?.end, this.tokens[close]?.start);
    if (text.startsWith('\n')) return text.length >= 2 && text.endsWith('\n') ? { kind: 'code', code: text.slice(1, -1) } : null;
    return this.punct(close - 1, ';') ? this.action(open + 1, close - 1) : null;
  }
}

function parseCode(code: string, names: ActionNames | undefined): Action | null {
  const reader = new Reader(code, names);
  return reader.tokens.length === 0 ? null : reader.action(0, reader.tokens.length);
}

/**
 * A short sentence for an action ("Runs sign_in, then navigates to Dashboard"), shown under
 * the property; null for custom code, which speaks for itself.
 */
export function describeAction(action: Action): string | null {
  if (action.kind === 'code') return null;
  const text = clause(action);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function clause(a: Action): string {
  switch (a.kind) {
    case 'js':
      return `runs ${a.object}.${a.fn}`;
    case 'query': {
      let text = `runs ${a.query}`;
      if (a.onSuccess) text += `, then ${clause(a.onSuccess)}`;
      if (a.onFailure) text += `; if it fails, ${clause(a.onFailure)}`;
      return text;
    }
    case 'navigate':
      return `navigates to ${a.page}${a.target === 'NEW_WINDOW' ? ' in a new window' : ''}`;
    case 'storeValue':
      return `stores ${a.key}`;
    case 'removeValue':
      return `removes ${a.key}`;
    case 'clearStore':
      return 'clears the store';
    case 'alert':
      return `shows "${a.message.length > 40 ? `${a.message.slice(0, 39)}…` : a.message}"`;
    case 'signIn':
      return "signs in at the app's provider";
    case 'signOut':
      return 'signs out';
    case 'code':
      return 'runs custom code';
  }
}
