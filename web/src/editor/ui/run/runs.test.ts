import { describe, expect, it } from 'vitest';
import { InputModel } from '../../../widgets/index.ts';
import type { AppDoc } from '../../doc/types.ts';
import { LiveCanvas } from '../canvas/live.ts';
import { app, w } from '../canvas/testDocs.ts';
import { QueryRuns, type FetchFn } from './runs.ts';

interface Sent {
  readonly url: string;
  readonly params: Record<string, unknown>;
}

/** A fake run endpoint answering `reply(params)` and recording what was posted. */
function endpoint(reply: (params: Record<string, unknown>) => { status: number; body: string }): { fetchFn: FetchFn; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchFn: FetchFn = (url, init) => {
    const params = (JSON.parse(String(init.body)) as { params: Record<string, unknown> }).params;
    sent.push({ url, params });
    const r = reply(params);
    return Promise.resolve(new Response(r.body, { status: r.status, headers: { 'Content-Type': 'application/json' } }));
  };
  return { fetchFn, sent };
}

function withCode(doc: AppDoc): AppDoc {
  return {
    ...doc,
    queries: [
      {
        name: 'sign_in',
        url: 'https://idp.example/token',
        method: 'POST',
        body: { type: 'json', content: '{"email": {{inp.text}}, "password": {{ secrets.X }}}' },
      },
    ],
    jsObjects: [
      {
        name: 'Auth',
        source:
          "export default {\n  async signin() {\n    const r = await sign_in.run();\n    storeValue('token', r.t);\n    navigateTo('Dashboard');\n    return appsmith.store.token;\n  },\n}\n",
      },
    ],
  };
}

describe('runs from the editor', () => {
  it('posts the canvas values of exactly the query\'s bindings, and keeps the answer by query', async () => {
    const { fetchFn, sent } = endpoint(() => ({ status: 200, body: JSON.stringify({ status: 200, headers: {}, body: { t: 'tok' }, durationMs: 1 }) }));
    const runs = new QueryRuns((q) => `/run/${q}`, fetchFn);
    const navigations: string[] = [];
    const live = new LiveCanvas(runs.transport, (target) => navigations.push(target));
    const doc = withCode(app([w('inp', 'Input')]));
    live.update(doc, 'Home');
    const inp = live.models.value.get('inp');
    if (!(inp instanceof InputModel)) throw new Error('inp is not an Input');
    inp.setText('ada@example.com');

    const value = await live.run(doc, 'Home', 'return Auth.signin();');
    expect(sent).toEqual([{ url: '/run/sign_in', params: { 'inp.text': 'ada@example.com' } }]);
    expect(value).toBe('tok');
    // navigateTo is reported; the canvas stays on its page.
    expect(navigations).toEqual(['Dashboard']);
    expect(live.models.value.has('inp')).toBe(true);
    const last = runs.last.value.get('sign_in');
    expect(last?.httpStatus).toBe(200);
    expect(last?.bytes).toBeGreaterThan(10);
    expect(runs.bodies().get('sign_in')).toEqual({ t: 'tok' });
    expect(runs.running.value.size).toBe(0);
  });

  it('keeps the store across runtimes: a token stored by one Run is there after an edit', async () => {
    const { fetchFn } = endpoint(() => ({ status: 200, body: JSON.stringify({ status: 200, headers: {}, body: { t: 'tok-1' }, durationMs: 1 }) }));
    const live = new LiveCanvas(new QueryRuns(() => '/run', fetchFn).transport);
    const doc = withCode(app([w('inp', 'Input')]));
    await live.run(doc, 'Home', 'return Auth.signin();');
    // A new JS object makes a new runtime.
    const edited: AppDoc = { ...doc, jsObjects: [...doc.jsObjects, { name: 'Other', source: 'export default { f() { return appsmith.store.token; } }' }] };
    expect(await live.run(edited, 'Home', 'return Other.f();')).toBe('tok-1');
  });

  it('records an error answer and a server that cannot be reached', async () => {
    const { fetchFn } = endpoint(() => ({ status: 422, body: JSON.stringify({ error: { code: 'invalid_query', message: 'bad JSON' } }) }));
    const runs = new QueryRuns(() => '/run', fetchFn);
    const live = new LiveCanvas(runs.transport);
    const doc = withCode(app([w('inp', 'Input')]));
    await expect(live.run(doc, 'Home', 'return sign_in.run();')).rejects.toThrow();
    expect(runs.last.value.get('sign_in')?.httpStatus).toBe(422);

    const down = new QueryRuns(() => '/run', () => Promise.reject(new TypeError('Failed to fetch')));
    const live2 = new LiveCanvas(down.transport);
    await expect(live2.run(doc, 'Home', 'return sign_in.run();')).rejects.toThrow(/Could not reach the server/);
    expect(down.last.value.get('sign_in')?.httpStatus).toBeNull();
  });
});
