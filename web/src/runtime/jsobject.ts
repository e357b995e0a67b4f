/**
 * JS objects: files of the form `export default { … }`.
 *
 * The object literal is evaluated once, as the body `return { … }` of a function whose
 * parameters are the app's names, so its functions see every widget, query, JS object and
 * global by name through their closures. Its members are then copied onto a facade object
 * that was handed out before evaluation (so JS objects can reach each other whatever their
 * order): functions as they are (`this` is the facade when called as `Auth.signin()`), and
 * other members as getter/setter pairs over signals, so `this.count = 2` re-evaluates the
 * bindings that read `Obj.count`.
 */

import { signal } from './graph.ts';
import type { Evaluator } from './evaluate.ts';
import { toError } from './evaluate.ts';

export type ExtractResult = { ok: true; body: string } | { ok: false; message: string };

/**
 * Finds `export default` after any leading comments and whitespace and returns the source
 * with it replaced by `return`. Anything else before it is refused: a JS object is an object
 * literal, not a module with helpers around it.
 */
export function extractDefaultExport(source: string): ExtractResult {
  let i = 0;
  for (;;) {
    while (i < source.length && /\s/.test(source[i] ?? '')) i++;
    if (source.startsWith('//', i)) {
      const nl = source.indexOf('\n', i);
      i = nl < 0 ? source.length : nl + 1;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) return { ok: false, message: 'unterminated comment' };
      i = end + 2;
      continue;
    }
    break;
  }
  const m = /^export\s+default\b\s*/.exec(source.slice(i));
  if (!m) return { ok: false, message: 'a JS object must start with `export default {`' };
  // "return " and the value on one line: `return` followed by a newline would return undefined.
  return { ok: true, body: `return ${source.slice(i + m[0].length)}` };
}

/** Creates the facade that bindings and other JS objects hold before the object is loaded. */
export function createJsObjectFacade(): Record<string, unknown> {
  return {};
}

/**
 * Evaluates the source and fills `facade` with its members. Throws an Error naming the object
 * when the source does not evaluate to an object.
 */
export function loadJsObject(
  name: string,
  source: string,
  evaluator: Evaluator,
  facade: Record<string, unknown>,
): void {
  const extracted = extractDefaultExport(source);
  if (!extracted.ok) throw new Error(`JS object ${name}: ${extracted.message}`);
  let value: unknown;
  try {
    value = evaluator.runBody(extracted.body);
  } catch (e) {
    throw new Error(`JS object ${name} failed to load: ${toError(e).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`JS object ${name}: the default export is not an object`);
  }
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    if (typeof member === 'function') {
      Object.defineProperty(facade, key, { value: member, writable: true, enumerable: true, configurable: true });
    } else {
      const s = signal(member);
      Object.defineProperty(facade, key, {
        get: () => s.value,
        set: (v: unknown) => {
          s.value = v;
        },
        enumerable: true,
        configurable: true,
      });
    }
  }
}
