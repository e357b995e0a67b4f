/** The viewer's HTTP calls: what the query transport sends and what it passes on. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishedTransport } from './api.ts';

afterEach(() => vi.unstubAllGlobals());

/** Stubs fetch with one answer carrying `headers`; gives the requests made. */
function answerWith(headers: Record<string, string>) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ status: 200, headers: {}, body: {}, durationMs: 1 }), {
        status: 200,
        headers: { 'content-type': 'application/json', ...headers },
      });
    }),
  );
  return calls;
}

describe('the published query transport', () => {
  it('passes the X-Lowkey-Session header on, and only its known values', async () => {
    const transport = publishedTransport(() => undefined);
    for (const value of ['started', 'refreshed', 'ended']) {
      answerWith({ 'X-Lowkey-Session': value });
      expect((await transport.runQuery('demo', 'q', {})).session).toBe(value);
    }
    answerWith({ 'X-Lowkey-Session': 'hijacked' });
    expect((await transport.runQuery('demo', 'q', {})).session).toBeUndefined();
    answerWith({});
    expect((await transport.runQuery('demo', 'q', {})).session).toBeUndefined();
  });

  it('sends Authorization only when there is a token', async () => {
    let token: string | undefined;
    const transport = publishedTransport(() => token);
    const calls = answerWith({});
    await transport.runQuery('demo', 'q', { a: 1 });
    token = 'T1';
    await transport.runQuery('demo', 'q', { a: 1 });
    expect(calls.map((c) => new Headers(c.init?.headers).get('Authorization'))).toEqual([null, 'Bearer T1']);
    expect(calls[0]?.url).toBe('/api/v1/apps/demo/queries/q/run');
  });
});
