import { describe, expect, it } from 'vitest';
import { Evaluator, type ScopeEntry } from './evaluate.ts';

/** A scope as large as a big app's: `n` widget-like names plus the ones given. */
function scope(n: number, extra: Record<string, unknown> = {}): ScopeEntry[] {
  const entries: ScopeEntry[] = Object.entries(extra).map(([name, value]) => ({ name, value }));
  for (let i = 0; i < n; i++) entries.push({ name: `txt_${i}`, value: { text: `t${i}` } });
  return entries;
}

describe('Evaluator', () => {
  it('compiles each binding over the names it mentions, not the whole scope (issue: cost linear in bindings)', () => {
    const ev = new Evaluator(scope(5000, { inp: { text: 'a' } }));
    const compiled = ev.compileExpression("inp.text + ' #1'");
    if (compiled instanceof Error) throw compiled;
    expect(compiled.fn.length).toBe(1);
    expect(compiled.args).toEqual([{ text: 'a' }]);
    const two = ev.compileExpression('txt_4999.text + inp.text');
    if (two instanceof Error) throw two;
    expect(two.fn.length).toBe(2);
    expect(ev.evaluate('txt_4999.text + inp.text')).toBe('t4999a');
  });

  it('a binding that reads only some names still sees the globals of JavaScript and every JS object it names', () => {
    const Utils = { double: (n: number) => n * 2 };
    const ev = new Evaluator(scope(100, { Utils, inp: { text: '21' } }));
    expect(ev.evaluate('Utils.double(Number(inp.text))')).toBe(42);
    expect(ev.evaluate('JSON.stringify([Math.max(1, 2), typeof window, typeof globalThis])')).toBe('[2,"undefined","object"]');
  });

  it('an unknown identifier still throws a ReferenceError', () => {
    const ev = new Evaluator(scope(10));
    expect(() => ev.evaluate('txt_1.text + nope')).toThrow(ReferenceError);
    expect(() => ev.evaluate('txt_1.text + nope')).toThrow('nope is not defined');
  });

  it('a name that appears only as a property or inside a string changes nothing', () => {
    const ev = new Evaluator(scope(3, { text: 'the widget named text' }));
    expect(ev.evaluate("txt_0.text + ' text'")).toBe('t0 text');
    expect(ev.evaluate('({ text: 1 }).text')).toBe(1);
  });

  it('reaches a name spelled with a Unicode escape, and gives eval and arguments the whole scope as before', () => {
    const ev = new Evaluator(scope(3, { inp: { text: 'a' } }));
    expect(ev.evaluate('\\u0069np.text')).toBe('a');
    expect(ev.evaluate('eval("txt_2.text")')).toBe('t2');
    expect(ev.evaluate('(() => arguments.length)()')).toBe(4);
  });

  it('the compile cache does not leak values between bindings or between evaluators', () => {
    const a = new Evaluator([{ name: 'x', value: 1 }, { name: 'y', value: 10 }]);
    const b = new Evaluator([{ name: 'y', value: 20 }, { name: 'x', value: 2 }]);
    expect([a.evaluate('x'), a.evaluate('y'), a.evaluate('x + y')]).toEqual([1, 10, 11]);
    expect([b.evaluate('x'), b.evaluate('y'), b.evaluate('x + y')]).toEqual([2, 20, 22]);
    expect(a.compileExpression('x + y')).toBe(a.compileExpression('x + y'));
    expect(a.evaluate('this.v + x', { v: 5 })).toBe(6);
    expect(a.evaluate('this.v + x', { v: 7 })).toBe(8);
  });

  it('returns a syntax error instead of throwing it, naming the binding', () => {
    const ev = new Evaluator(scope(3));
    const r = ev.compileExpression('txt_0.text +');
    expect(r).toBeInstanceOf(SyntaxError);
    expect((r as Error).message).toMatch(/in \{\{ txt_0\.text \+ \}\}$/);
  });

  it('runs handlers as expressions or statements over the names they mention', async () => {
    const log: string[] = [];
    const ev = new Evaluator(scope(50, { note: (s: string) => log.push(s) }));
    await ev.runHandler('note(txt_3.text)');
    await ev.runHandler('const t = txt_4.text; await null; note(t); return 1');
    expect(log).toEqual(['t3', 't4']);
    await expect(ev.runHandler('note(missing)')).rejects.toThrow(ReferenceError);
  });

  it('runs a body whose functions keep the names they mention through their closures', () => {
    const inp = { text: 'a' };
    const ev = new Evaluator(scope(50, { inp }));
    const obj = ev.runBody('return { read() { return inp.text + txt_7.text } }') as { read(): string };
    inp.text = 'b';
    expect(obj.read()).toBe('bt7');
  });

  it('gives the same value or error as compiling over the whole scope did', () => {
    const values: Record<string, unknown> = { inp: { text: 'a' }, text: 'T', Obj: { n: 2, f: (x: number) => x + 1 } };
    const entries = scope(20, values);
    const ev = new Evaluator(entries);
    const names = entries.map((e) => e.name);
    const whole = (code: string): unknown => {
      try {
        return new Function(...names, `"use strict";\nreturn (${code}\n);`)(...entries.map((e) => e.value)) as unknown;
      } catch (e) {
        return e instanceof Error ? `${e.name}: ${e.message}` : e;
      }
    };
    const subset = (code: string): unknown => {
      try {
        return ev.evaluate(code);
      } catch (e) {
        return e instanceof Error ? `${e.name}: ${e.message}` : e;
      }
    };
    const codes = [
      "inp.text + ' #1'",
      'text',
      '[txt_1, txt_19].map((t) => t.text).join()',
      'Obj.f(Obj.n) // a comment naming txt_3',
      '`${inp.text}-${txt_0.text}`',
      'typeof txt_5 + typeof txt_99',
      'missing',
      '(() => { const inp = 1; return inp })()',
      'inp?.nope?.deeper',
      '((txt_2)) .text',
      'eval("text")',
      "/txt_4/.test('txt_4')",
    ];
    for (const code of codes) expect(subset(code), code).toEqual(whole(code));
    const together = new Evaluator(entries);
    for (const code of codes) together.prepare(code);
    for (const code of codes) {
      let r: unknown;
      try {
        r = together.evaluate(code);
      } catch (e) {
        r = e instanceof Error ? `${e.name}: ${e.message}` : e;
      }
      expect(r, `${code} (compiled together)`).toEqual(whole(code));
    }
  });

  it('compiles announced bindings together, each over the values of its own evaluator', () => {
    const a = new Evaluator(scope(1000, { inp: { text: 'a' } }));
    const codes = Array.from({ length: 50 }, (_, i) => `inp.text + ' #${i}' + txt_${i}.text`);
    for (const code of codes) a.prepare(code);
    expect(a.evaluate(codes[7]!)).toBe('a #7t7');
    const compiled = a.compileExpression(codes[49]!);
    if (compiled instanceof Error) throw compiled;
    expect(compiled.fn.toString()).toBe(`function(){return (${codes[49]}\n);}`);
    expect(a.evaluate(codes[49]!)).toBe('a #49t49');
    const b = new Evaluator(scope(1000, { inp: { text: 'b' } }));
    for (const code of codes) b.prepare(code);
    expect(b.evaluate(codes[49]!)).toBe('b #49t49');
    expect(a.evaluate('this.n + inp.text', { n: 1 })).toBe('1a');
  });

  it('compiles alone, and never runs, code that would reach outside its own function among others', () => {
    let hits = 0;
    const ev = new Evaluator(scope(3, { hit: () => hits++ }));
    const escaping = '1)}), hit(), (function(){return (2';
    for (const code of ['txt_0.text', escaping, 'txt_1.text']) ev.prepare(code);
    expect(ev.evaluate('txt_1.text')).toBe('t1');
    expect(ev.compileExpression(escaping)).toBeInstanceOf(SyntaxError);
    expect(hits).toBe(0);
  });

  it('a syntax error in one announced binding is reported as when compiled alone; the others still work', () => {
    const ev = new Evaluator(scope(10));
    const good = Array.from({ length: 9 }, (_, i) => `txt_${i}.text`);
    const bad = 'txt_0.text +';
    for (const code of [...good.slice(0, 4), bad, ...good.slice(4)]) ev.prepare(code);
    expect(good.map((code) => ev.evaluate(code))).toEqual(good.map((_, i) => `t${i}`));
    const alone = new Evaluator(scope(10)).compileExpression(bad);
    expect(ev.compileExpression(bad)).toBeInstanceOf(SyntaxError);
    expect((ev.compileExpression(bad) as Error).message).toBe((alone as Error).message);
  });
});

