import { describe, expect, it } from 'vitest';
import { authSource } from '../../test/customAuthApp.ts';
import { Evaluator } from './evaluate.ts';
import { bindValue, signal } from './graph.ts';
import { createJsObjectFacade, extractDefaultExport, loadJsObject } from './jsobject.ts';

function load(sources: Record<string, string>, extra: { name: string; value: unknown }[] = []) {
  const facades: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(sources)) facades[name] = createJsObjectFacade();
  const evaluator = new Evaluator([...Object.entries(facades).map(([name, value]) => ({ name, value })), ...extra]);
  for (const [name, source] of Object.entries(sources)) loadJsObject(name, source, evaluator, facades[name]!);
  return { facades, evaluator };
}

describe('JS objects', () => {
  it('finds `export default` after leading comments', () => {
    expect(extractDefaultExport('// a\n/* b */\nexport default { a: 1 }')).toEqual({ ok: true, body: 'return { a: 1 }' });
    expect(extractDefaultExport('export default\n{ a: 1 }')).toEqual({ ok: true, body: 'return { a: 1 }' });
    expect(extractDefaultExport('const x = 1; export default {}').ok).toBe(false);
  });

  it('runs sync and async functions that reach other members through `this`', async () => {
    const { facades } = load({
      Counter: `export default {
        step: 2,
        double(n) { return n * this.step; },
        async later(n) { await null; return this.double(n) + 1; },
      }`,
    });
    const c = facades.Counter as { step: number; double(n: number): number; later(n: number): Promise<number> };
    expect(c.double(3)).toBe(6);
    await expect(c.later(3)).resolves.toBe(7);
  });

  it('sees widgets, queries, globals and other JS objects by name, whatever the load order', () => {
    const text = signal('ada');
    const { facades } = load(
      {
        First: 'export default { greet() { return Second.prefix + inp_name.text + suffix(); } }',
        Second: "export default { prefix: 'hi ' }",
      },
      [
        { name: 'inp_name', value: { get text() { return text.value; } } },
        { name: 'suffix', value: () => '!' },
      ],
    );
    const first = facades.First as { greet(): string };
    expect(first.greet()).toBe('hi ada!');
    text.value = 'bob';
    expect(first.greet()).toBe('hi bob!');
  });

  it('makes variables reactive: a binding reading one re-evaluates when a function sets it', () => {
    const { facades, evaluator } = load({
      Counter: 'export default { count: 0, bump() { this.count = this.count + 1; } }',
    });
    const node = bindValue('Clicked {{Counter.count}} times', evaluator);
    expect(node.value).toMatchObject({ ok: true, value: 'Clicked 0 times' });
    (facades.Counter as { bump(): void }).bump();
    expect(node.value).toMatchObject({ ok: true, value: 'Clicked 1 times' });
  });

  it('reports a source that does not load, naming the object', () => {
    expect(() => load({ Broken: 'export default { a: }' })).toThrow(/JS object Broken failed to load/);
    expect(() => load({ Arr: 'export default [1]' })).toThrow(/Arr: the default export is not an object/);
    expect(() => load({ Mod: 'import x from "y"' })).toThrow(/must start with `export default/);
  });

  it('loads the example app\'s Auth.js unmodified, with its five functions', () => {
    const globals = ['sign_in', 'refreshAPI', 'revokeAPI', 'storeValue', 'navigateTo', 'showAlert', 'clearStore', 'appsmith'];
    const { facades } = load({ Auth: authSource }, globals.map((name) => ({ name, value: {} })));
    expect(Object.keys(facades.Auth!).sort()).toEqual(['logout', 'nextPage', 'redirectIfSignedIn', 'refreshAccessToken', 'signin']);
  });
});
