/**
 * The reactive graph: @preact/signals-core's signals and computeds, plus the glue that turns
 * a widget property (a plain value or a `{{ }}` binding, possibly nested in lists and maps)
 * into a node of that graph.
 *
 * Dependencies are tracked as an expression reads nodes (through the facades' getters), so a
 * change re-evaluates only the nodes that read it. A binding that throws is stored as an
 * error value (`Evaluated`) in its node: reading it never throws, and its neighbours are
 * unaffected.
 */

import { computed, signal, type ReadonlySignal } from '@preact/signals-core';
import { hasBinding, parseTemplate, type Template } from './binding.ts';
import { failed, ok, type Evaluated, type Evaluator } from './evaluate.ts';

export { batch, computed, effect, signal, untracked } from '@preact/signals-core';
export type { ReadonlySignal, Signal } from '@preact/signals-core';

/** A graph node holding an evaluated property, with the queries its evaluation read. */
export type BoundValue = Evaluated & { readonly reads: ReadonlySet<string> };

const NO_READS: ReadonlySet<string> = new Set();

// Read log: facades note reads of interest (e.g. `query:get_user`) while a binding evaluates,
// so a widget can tell which queries it depends on (a Table shows a loading state while one of
// them runs). Only the innermost evaluation collects.
let readLog: Set<string> | null = null;

export function noteRead(key: string): void {
  readLog?.add(key);
}

function withReadLog<T>(log: Set<string>, fn: () => T): T {
  const outer = readLog;
  readLog = log;
  try {
    return fn();
  } finally {
    readLog = outer;
    if (outer) for (const k of log) outer.add(k);
  }
}

type Shape =
  | { kind: 'const'; value: unknown }
  | { kind: 'template'; template: Template; problem: string | null }
  | { kind: 'array'; items: Shape[] }
  | { kind: 'object'; entries: [string, Shape][] };

function shapeOf(raw: unknown): Shape {
  if (typeof raw === 'string' && hasBinding(raw)) {
    const { template, diagnostics } = parseTemplate(raw);
    return { kind: 'template', template, problem: diagnostics[0]?.message ?? null };
  }
  if (Array.isArray(raw)) {
    const items = raw.map(shapeOf);
    if (items.every((s) => s.kind === 'const')) return { kind: 'const', value: raw };
    return { kind: 'array', items };
  }
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw).map(([k, v]): [string, Shape] => [k, shapeOf(v)]);
    if (entries.every(([, s]) => s.kind === 'const')) return { kind: 'const', value: raw };
    return { kind: 'object', entries };
  }
  return { kind: 'const', value: raw };
}

function evaluateShape(shape: Shape, evaluator: Evaluator): unknown {
  switch (shape.kind) {
    case 'const':
      return shape.value;
    case 'template': {
      if (shape.problem) throw new SyntaxError(shape.problem);
      const value = evaluator.evaluateTemplate(shape.template);
      if (isThenable(value)) {
        // A property cannot wait; showing "[object Promise]" would hide the mistake.
        throw new TypeError(
          'This binding returned a Promise (the result of an async function or run()): bind to a query\'s .data or a JS object\'s variable instead',
        );
      }
      return value;
    }
    case 'array':
      return shape.items.map((s) => evaluateShape(s, evaluator));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of shape.entries) out[k] = evaluateShape(s, evaluator);
      return out;
    }
  }
}

/**
 * Makes a graph node for a property value. Plain values become constants; values holding
 * bindings become computeds that re-run when something they read changes.
 */
export function bindValue(raw: unknown, evaluator: Evaluator): ReadonlySignal<BoundValue> {
  const shape = shapeOf(raw);
  prepareShape(shape, evaluator);
  if (shape.kind === 'const') return signal({ ...ok(shape.value), reads: NO_READS });
  // The previous result is returned when nothing observable changed, so nodes reading this
  // one are not re-evaluated for an equal value (the result object itself is always new).
  let last: BoundValue | undefined;
  return computed(() => {
    const reads = new Set<string>();
    let next: BoundValue;
    try {
      next = { ...ok(withReadLog(reads, () => evaluateShape(shape, evaluator))), reads };
    } catch (e) {
      next = { ...failed(e), reads };
    }
    if (last !== undefined && sameResult(last, next)) return last;
    last = next;
    return next;
  });
}

/** Announces the shape's binding code, so the evaluator compiles a page's bindings together. */
function prepareShape(shape: Shape, evaluator: Evaluator): void {
  switch (shape.kind) {
    case 'const':
      return;
    case 'template':
      for (const s of shape.template.segments) if (s.kind === 'binding') evaluator.prepare(s.code);
      return;
    case 'array':
      for (const item of shape.items) prepareShape(item, evaluator);
      return;
    case 'object':
      for (const [, entry] of shape.entries) prepareShape(entry, evaluator);
      return;
  }
}

function isThenable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function sameResult(a: BoundValue, b: BoundValue): boolean {
  if (a.reads.size !== b.reads.size) return false;
  for (const r of a.reads) if (!b.reads.has(r)) return false;
  if (a.ok && b.ok) return Object.is(a.value, b.value);
  if (!a.ok && !b.ok) return a.error.constructor === b.error.constructor && a.error.message === b.error.message;
  return false;
}
