import { describe, expect, it } from 'vitest';
import { Evaluator } from './evaluate.ts';
import { batch, bindValue, effect, signal, type BoundValue, type ReadonlySignal, type Signal } from './graph.ts';

/**
 * A small graph harness: sources are signals, nodes are bound values whose code reads sources
 * (`src.a`) and other nodes (`N.b`) and counts its own evaluations with `hit('b')`.
 */
function harness(sources: Record<string, number>) {
  const src: Record<string, Signal<number>> = {};
  for (const [k, v] of Object.entries(sources)) src[k] = signal(v);
  const calls: Record<string, number> = {};
  const nodes: Record<string, ReadonlySignal<BoundValue>> = {};
  const srcFacade = new Proxy({}, { get: (_t, k) => src[k as string]?.value });
  const nodeFacade = new Proxy(
    {},
    {
      get: (_t, k) => {
        const v = nodes[k as string]?.value;
        return v?.ok ? v.value : undefined;
      },
    },
  );
  const hit = (name: string): true => {
    calls[name] = (calls[name] ?? 0) + 1;
    return true;
  };
  const evaluator = new Evaluator([
    { name: 'src', value: srcFacade },
    { name: 'N', value: nodeFacade },
    { name: 'hit', value: hit },
  ]);
  const node = (name: string, code: string) => {
    nodes[name] = bindValue(`{{ hit('${name}') && (${code}) }}`, evaluator);
    return nodes[name];
  };
  const value = (name: string): unknown => {
    const v = nodes[name]?.value;
    return v?.ok ? v.value : v?.error;
  };
  const reset = () => {
    for (const k of Object.keys(calls)) delete calls[k];
  };
  return { src, calls, nodes, node, value, reset, evaluator };
}

describe('the reactive graph', () => {
  it('keeps plain property values as constants', () => {
    const { evaluator } = harness({});
    expect(bindValue('Sign in', evaluator).value).toMatchObject({ ok: true, value: 'Sign in' });
    expect(bindValue([{ key: 'a' }], evaluator).value).toMatchObject({ ok: true, value: [{ key: 'a' }] });
  });

  it('evaluates a diamond once per node after its root changes', () => {
    //      a
    //    /   \
    //   b     c
    //    \   /
    //      d
    const g = harness({ a: 1 });
    g.node('b', 'src.a + 1');
    g.node('c', 'src.a * 10');
    g.node('d', 'N.b + N.c');
    expect(g.value('d')).toBe(12);
    g.reset();
    g.src.a!.value = 2;
    expect(g.value('d')).toBe(23);
    expect(g.calls).toEqual({ b: 1, c: 1, d: 1 });
  });

  it('notifies an observer of a diamond once per change, never with a half-updated value', () => {
    const g = harness({ a: 1 });
    g.node('b', 'src.a + 1');
    g.node('c', 'src.a * 10');
    g.node('d', 'N.b + N.c');
    const seen: unknown[] = [];
    const stop = effect(() => {
      seen.push(g.value('d'));
    });
    g.src.a!.value = 2;
    g.src.a!.value = 3;
    stop();
    expect(seen).toEqual([12, 23, 34]);
  });

  it('handles a jagged diamond (paths of different lengths) without glitches', () => {
    //   a → b → c → e
    //   a → d ------→ e
    const g = harness({ a: 1 });
    g.node('b', 'src.a + 1');
    g.node('c', 'N.b + 1');
    g.node('d', 'src.a * 100');
    g.node('e', '`${N.c}/${N.d}`');
    const seen: unknown[] = [];
    const stop = effect(() => {
      seen.push(g.value('e'));
    });
    g.reset();
    g.src.a!.value = 5;
    stop();
    expect(seen).toEqual(['3/100', '7/500']);
    expect(g.calls).toEqual({ b: 1, c: 1, d: 1, e: 1 });
  });

  it('re-evaluates only the dependents of what changed', () => {
    const g = harness({ a: 1, x: 1 });
    g.node('fromA', 'src.a * 2');
    g.node('fromX', 'src.x * 3');
    g.node('both', 'N.fromA + N.fromX');
    expect(g.value('both')).toBe(5);
    g.reset();
    g.src.x!.value = 2;
    expect([g.value('fromA'), g.value('fromX'), g.value('both')]).toEqual([2, 6, 8]);
    expect(g.calls).toEqual({ fromX: 1, both: 1 });
  });

  it('does not re-evaluate when a node it reads recomputes to the same value', () => {
    const g = harness({ a: 1 });
    g.node('parity', 'src.a % 2');
    g.node('label', "N.parity === 1 ? 'odd' : 'even'");
    expect(g.value('label')).toBe('odd');
    g.reset();
    g.src.a!.value = 3;
    expect(g.value('label')).toBe('odd');
    expect(g.calls).toEqual({ parity: 1 });
  });

  it('stores a throwing expression as an error value; its neighbours keep working', () => {
    const g = harness({ a: 1 });
    const bad = g.node('bad', 'src.a > 1 ? null.boom : src.a');
    g.node('good', 'src.a + 1');
    g.node('reader', 'N.bad === undefined ? "bad failed" : N.bad');
    expect(g.value('bad')).toBe(1);
    g.src.a!.value = 2;
    const v = bad.value;
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.error).toBeInstanceOf(TypeError);
    expect(g.value('good')).toBe(3);
    expect(g.value('reader')).toBe('bad failed');
    // And it recovers once its input does.
    g.src.a!.value = 1;
    expect(g.value('bad')).toBe(1);
  });

  it('reports a syntax error and an unclosed binding as error values', () => {
    const { evaluator } = harness({});
    const syntax = bindValue('{{ 1 + }}', evaluator).value;
    expect(syntax.ok).toBe(false);
    expect(syntax.ok ? '' : syntax.error.message).toMatch(/\{\{ 1 \+ \}\}/);
    const unclosed = bindValue('Hi {{ name', evaluator).value;
    expect(unclosed.ok ? '' : unclosed.error.message).toMatch(/Unclosed binding/);
  });

  it('turns a dependency cycle into error values instead of hanging or throwing', () => {
    const g = harness({});
    g.node('x', 'N.y + 1');
    g.node('y', 'N.x + 1');
    // Each node reads the other through the facade, which hides the error: no exception
    // escapes, and the cycle shows up as an error value on the node that closed it.
    const vx = g.nodes.x!.value;
    const vy = g.nodes.y!.value;
    expect([vx.ok, vy.ok]).toContain(false);
    const failure = !vx.ok ? vx.error : !vy.ok ? vy.error : null;
    expect(failure?.message).toMatch(/cycle/i);
  });

  it('refuses a binding that evaluates to a Promise, with an explanation', () => {
    const { evaluator } = harness({});
    const v = bindValue('{{ Promise.resolve(1) }}', evaluator).value;
    expect(v.ok ? '' : v.error.message).toMatch(/returned a Promise/);
  });

  it('evaluates bindings nested in lists and maps', () => {
    const g = harness({ a: 2 });
    const cols = bindValue([{ key: 'id', label: '{{ "Id " + src.a }}' }, 'plain'], g.evaluator);
    expect(cols.value).toMatchObject({ ok: true, value: [{ key: 'id', label: 'Id 2' }, 'plain'] });
    g.src.a!.value = 3;
    expect(cols.value).toMatchObject({ ok: true, value: [{ key: 'id', label: 'Id 3' }, 'plain'] });
  });

  it('matches naive recomputation on random graphs (seeded)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed);
      const sourceNames = ['s0', 's1', 's2', 's3'];
      const g = harness(Object.fromEntries(sourceNames.map((s) => [s, Math.floor(rand() * 10)])));
      // Each node: a constant plus the sum of some sources and some earlier nodes.
      const defs: { name: string; sources: string[]; nodes: string[]; k: number }[] = [];
      for (let i = 0; i < 25; i++) {
        const sources = sourceNames.filter(() => rand() < 0.3);
        const nodes = defs.map((d) => d.name).filter(() => rand() < 0.25);
        const k = Math.floor(rand() * 5);
        const name = `n${i}`;
        defs.push({ name, sources, nodes, k });
        const terms = [String(k), ...sources.map((s) => `src.${s}`), ...nodes.map((n) => `N.${n}`)];
        g.node(name, terms.join(' + '));
      }
      const naive = (): Record<string, number> => {
        const out: Record<string, number> = {};
        for (const d of defs) {
          out[d.name] =
            d.k + d.sources.reduce((s, x) => s + g.src[x]!.peek(), 0) + d.nodes.reduce((s, n) => s + out[n]!, 0);
        }
        return out;
      };
      for (let step = 0; step < 30; step++) {
        batch(() => {
          for (const s of sourceNames) if (rand() < 0.4) g.src[s]!.value = Math.floor(rand() * 10);
        });
        const expected = naive();
        // Read in a random order: laziness must not depend on who asks first.
        const order = defs.map((d) => d.name).sort(() => rand() - 0.5);
        for (const n of order) expect(g.value(n), `seed ${seed} step ${step} ${n}`).toBe(expected[n]);
      }
    }
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
