/**
 * The evaluator: compiles binding code into functions over the app's named scope.
 *
 * Every name a binding can reach (widgets, queries, JS objects, globals, `appsmith`) is known
 * from the app definition before anything runs, so code is compiled once with those names as
 * parameters (`new Function(...names, body)`) and called with the matching values. The values
 * are stable facades whose property getters read signals; that is how the reactive graph learns
 * what an expression depends on, without the evaluator knowing about the graph.
 *
 * Evaluation never throws at its callers that ask for a value: a failure becomes an
 * `Evaluated` error value (see `tryEvaluate`), which widgets show inline.
 */

import type { Template } from './binding.ts';

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

type Compiled = (this: unknown, ...values: unknown[]) => unknown;
type AsyncCompiled = (this: unknown, ...values: unknown[]) => Promise<unknown>;

// eslint-disable-next-line @typescript-eslint/no-empty-function
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (
  ...args: string[]
) => AsyncCompiled;

export interface ScopeEntry {
  readonly name: string;
  readonly value: unknown;
}

export class Evaluator {
  readonly names: readonly string[];
  private readonly values: readonly unknown[];
  private readonly expressions = new Map<string, Compiled | Error>();
  private readonly handlers = new Map<string, AsyncCompiled | Error>();

  constructor(scope: readonly ScopeEntry[]) {
    const seen = new Set<string>();
    for (const entry of scope) {
      if (seen.has(entry.name)) throw new Error(`Duplicate name in scope: ${entry.name}`);
      seen.add(entry.name);
    }
    this.names = scope.map((e) => e.name);
    this.values = scope.map((e) => e.value);
  }

  /** Compiles (once) the expression `code`. A syntax error is returned, not thrown. */
  compileExpression(code: string): Compiled | Error {
    let fn = this.expressions.get(code);
    if (fn === undefined) {
      try {
        // The newline before ")" lets an expression end with a line comment.
        fn = new Function(...this.names, `"use strict";\nreturn (${code}\n);`) as Compiled;
      } catch (e) {
        fn = new SyntaxError(`${toError(e).message} in {{ ${code} }}`);
      }
      this.expressions.set(code, fn);
    }
    return fn;
  }

  /** Evaluates one expression; throws what the expression throws. */
  evaluate(code: string, thisArg?: unknown): unknown {
    const fn = this.compileExpression(code);
    if (fn instanceof Error) throw fn;
    return fn.apply(thisArg, this.values as unknown[]);
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
  compileHandler(code: string): AsyncCompiled | Error {
    let fn = this.handlers.get(code);
    if (fn === undefined) {
      try {
        fn = new AsyncFunction(...this.names, `"use strict";\nreturn (${code}\n);`);
      } catch {
        try {
          fn = new AsyncFunction(...this.names, `"use strict";\n${code}\n`);
        } catch (e) {
          fn = new SyntaxError(`${toError(e).message} in {{ ${code} }}`);
        }
      }
      this.handlers.set(code, fn);
    }
    return fn;
  }

  /** Runs handler code; the promise rejects with what the code throws. */
  async runHandler(code: string, thisArg?: unknown): Promise<unknown> {
    const fn = this.compileHandler(code);
    if (fn instanceof Error) throw fn;
    return fn.apply(thisArg, this.values as unknown[]);
  }

  /**
   * Runs a function body once with the scope's names in reach and returns its result. Used to
   * load JS objects, whose functions then keep the scope through their closures.
   */
  runBody(body: string): unknown {
    const fn = new Function(...this.names, `"use strict";\n${body}`) as Compiled;
    return fn.apply(undefined, this.values as unknown[]);
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
