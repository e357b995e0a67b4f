/**
 * The evaluator: compiles binding code into functions over the app's named scope.
 *
 * Every name a binding can reach (widgets, queries, JS objects, globals, `appsmith`) is known
 * from the app definition before anything runs. Each piece of code is compiled once, as a
 * function whose parameters are the scope names it mentions (`new Function(...names, body)`,
 * names found by `wordsOf`), and called with the matching values. Compiling over only those
 * names keeps the cost of a compile independent of the app's size: with every name as a
 * parameter, a page of N bindings cost O(N²) to start. Expressions announced with `prepare`
 * (a page's bindings, as their widgets are built) are compiled together, as the functions of
 * one script, when the first of them is evaluated (see `compileTogether`). The values are
 * stable facades whose property getters read signals; that is how the reactive graph learns
 * what an expression depends on, without the evaluator knowing about the graph.
 *
 * Evaluation never throws at its callers that ask for a value: a failure becomes an
 * `Evaluated` error value (see `tryEvaluate`), which widgets show inline.
 */

import type { Template } from './binding.ts';
import { isBalanced } from './balanced.ts';
import { wordsOf } from './names.ts';

export type Evaluated<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error };

export function ok<T>(value: T): Evaluated<T> {
  return { ok: true, value };
}

export function failed(error: unknown): Evaluated<never> {
  return { ok: false, error: toError(error) };
}

/** Anything thrown becomes an Error, so callers can rely on `.message`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown) ?? String(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

export type Compiled = (this: unknown, ...values: unknown[]) => unknown;
export type AsyncCompiled = (this: unknown, ...values: unknown[]) => Promise<unknown>;

// eslint-disable-next-line @typescript-eslint/no-empty-function
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (
  ...args: string[]
) => AsyncCompiled;

export interface ScopeEntry {
  readonly name: string;
  readonly value: unknown;
}

/** Compiled code with the values of its parameters, ready to call. */
export interface CompiledCode<F> {
  readonly fn: F;
  readonly args: readonly unknown[];
}

export class Evaluator {
  readonly names: readonly string[];
  private readonly values: readonly unknown[];
  /** Position of each name in `names`. */
  private readonly index: ReadonlyMap<string, number>;
  private readonly expressions = new Map<string, CompiledCode<Compiled> | Error>();
  private readonly handlers = new Map<string, CompiledCode<AsyncCompiled> | Error>();
  /** Expressions announced by `prepare` and not compiled yet. */
  private pending: string[] = [];

  constructor(scope: readonly ScopeEntry[]) {
    const index = new Map<string, number>();
    for (const [i, entry] of scope.entries()) {
      if (index.has(entry.name)) throw new Error(`Duplicate name in scope: ${entry.name}`);
      index.set(entry.name, i);
    }
    this.index = index;
    this.names = scope.map((e) => e.name);
    this.values = scope.map((e) => e.value);
  }

  /**
   * The scope names code may read, in scope order, with their values: the names in `words`
   * (what the code mentions, `wordsOf`), or all of them for code that may reach names it does
   * not spell out.
   */
  private parameters(words: Iterable<string> | 'all'): { names: string[]; args: unknown[] } {
    if (words === 'all') return { names: [...this.names], args: [...this.values] };
    const positions = new Set<number>();
    for (const w of words) {
      const i = this.index.get(w);
      if (i !== undefined) positions.add(i);
    }
    const sorted = [...positions].sort((a, b) => a - b);
    return { names: sorted.map((i) => this.names[i] ?? ''), args: sorted.map((i) => this.values[i]) };
  }

  /**
   * Announces an expression that is about to be evaluated (a binding of a widget being built).
   * Announced expressions are compiled together at the first evaluation that needs one.
   */
  prepare(code: string): void {
    if (!this.expressions.has(code)) this.pending.push(code);
  }

  /**
   * Compiles the pending expressions as the functions of one script: one `new Function` for a
   * page's bindings instead of one each. A compile has a fixed cost (a new script, the CSP's
   * check for eval, a first lazy compile), which over thousands of bindings was about half of
   * the page's render. Only code that cannot reach outside its own parentheses
   * (`isBalanced`) and names what it reads (not `eval`/`arguments`) goes in; the rest, and any
   * code whose batch turns out not to compile, is compiled alone when it is first evaluated,
   * exactly as before (so a syntax error reads the same).
   */
  private compileTogether(): void {
    const codes = [...new Set(this.pending)].filter((code) => !this.expressions.has(code));
    this.pending = [];
    if (codes.length < 2) return;
    const batch: { code: string; words: ReadonlySet<string> }[] = [];
    for (const code of codes) {
      const words = wordsOf(code);
      if (words !== 'all' && isBalanced(code)) batch.push({ code, words });
    }
    this.compileBatch(batch);
  }

  private compileBatch(batch: readonly { code: string; words: ReadonlySet<string> }[]): void {
    if (batch.length < 2) return;
    // Each function alone has the text `new Function` would compile for it, minus the
    // parameters: it reads the scope names from the enclosing function instead. The
    // parentheses around each make V8 compile it now rather than at its first call.
    const sources = batch.map(({ code }) => `function(){return (${code}\n);}`);
    const { names, args } = this.parameters(batch.flatMap(({ words }) => [...words]));
    let fns: unknown;
    try {
      const outer = new Function(...names, `"use strict";\nreturn [\n(${sources.join('),\n(')})\n];`) as Compiled;
      fns = outer.apply(undefined, args);
    } catch {
      fns = undefined;
    }
    if (
      Array.isArray(fns) &&
      fns.length === batch.length &&
      fns.every((f, i) => typeof f === 'function' && Function.prototype.toString.call(f) === sources[i])
    ) {
      for (const [i, { code }] of batch.entries()) this.expressions.set(code, { fn: fns[i] as Compiled, args: [] });
      return;
    }
    // One of them does not compile: halve until it is alone (then it is compiled on its own,
    // with its own error, when evaluated).
    const mid = batch.length >> 1;
    this.compileBatch(batch.slice(0, mid));
    this.compileBatch(batch.slice(mid));
  }

  /** Compiles (once) the expression `code`. A syntax error is returned, not thrown. */
  compileExpression(code: string): CompiledCode<Compiled> | Error {
    let bound = this.expressions.get(code);
    if (bound === undefined && this.pending.length > 0) {
      this.compileTogether();
      bound = this.expressions.get(code);
    }
    if (bound === undefined) {
      const { names, args } = this.parameters(wordsOf(code));
      try {
        // The newline before ")" lets an expression end with a line comment.
        bound = { fn: new Function(...names, `"use strict";\nreturn (${code}\n);`) as Compiled, args };
      } catch (e) {
        bound = new SyntaxError(`${toError(e).message} in {{ ${code} }}`);
      }
      this.expressions.set(code, bound);
    }
    return bound;
  }

  /** Evaluates one expression; throws what the expression throws. */
  evaluate(code: string, thisArg?: unknown): unknown {
    const bound = this.compileExpression(code);
    if (bound instanceof Error) throw bound;
    return bound.fn.apply(thisArg, bound.args as unknown[]);
  }

  /**
   * Evaluates a template: a single binding yields its value of any type, several bindings
   * with text around them yield a string.
   */
  evaluateTemplate(template: Template, thisArg?: unknown): unknown {
    if (template.single) {
      for (const s of template.segments) if (s.kind === 'binding') return this.evaluate(s.code, thisArg);
    }
    let out = '';
    for (const s of template.segments) {
      out += s.kind === 'text' ? s.text : displayString(this.evaluate(s.code, thisArg));
    }
    return out;
  }

  tryEvaluate(template: Template, thisArg?: unknown): Evaluated {
    try {
      return ok(this.evaluateTemplate(template, thisArg));
    } catch (e) {
      return failed(e);
    }
  }

  /**
   * Compiles event-handler code. It may be an expression (`Auth.signin()`) or statements
   * (`storeValue('a', 1); navigateTo('Home')`), and may use `await`.
   */
  compileHandler(code: string): CompiledCode<AsyncCompiled> | Error {
    let bound = this.handlers.get(code);
    if (bound === undefined) {
      const { names, args } = this.parameters(wordsOf(code));
      try {
        bound = { fn: new AsyncFunction(...names, `"use strict";\nreturn (${code}\n);`), args };
      } catch {
        try {
          bound = { fn: new AsyncFunction(...names, `"use strict";\n${code}\n`), args };
        } catch (e) {
          bound = new SyntaxError(`${toError(e).message} in {{ ${code} }}`);
        }
      }
      this.handlers.set(code, bound);
    }
    return bound;
  }

  /** Runs handler code; the promise rejects with what the code throws. */
  async runHandler(code: string, thisArg?: unknown): Promise<unknown> {
    const bound = this.compileHandler(code);
    if (bound instanceof Error) throw bound;
    return bound.fn.apply(thisArg, bound.args as unknown[]);
  }

  /**
   * Runs a function body once with the scope's names in reach and returns its result. Used to
   * load JS objects, whose functions then keep the scope through their closures.
   */
  runBody(body: string): unknown {
    const { names, args } = this.parameters(wordsOf(body));
    const fn = new Function(...names, `"use strict";\n${body}`) as Compiled;
    return fn.apply(undefined, args);
  }
}

/**
 * How a value reads when it is put into text: strings as they are, nothing for null and
 * undefined, JSON for objects and arrays, the message for an Error.
 */
export function displayString(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? '';
    } catch {
      return String(value);
    }
  }
  return String(value);
}
