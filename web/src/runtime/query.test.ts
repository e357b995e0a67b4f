import { describe, expect, it } from 'vitest';
import { FakeTransport, upstream } from '../../test/fakes.ts';
import { Evaluator } from './evaluate.ts';
import { signal } from './graph.ts';
import { errorMessage, QueryError, QueryModel } from './query.ts';

function setup(bindings: string[], transport: FakeTransport) {
  const username = signal('ada@example.com');
  const store = signal<Record<string, unknown>>({ accesstoken: 'tok' });
  const evaluator = new Evaluator([
    { name: 'inp_username', value: { get text() { return username.value; } } },
    { name: 'appsmith', value: { get store() { return store.value; } } },
  ]);
  const query = new QueryModel(
    { name: 'sign_in', bindings },
    'demo',
    (code, self) => evaluator.evaluate(code, self),
    transport,
  );
  return { query, username, store };
}

describe('QueryModel.run', () => {
  it('evaluates each binding (this.params included) and posts the values by binding text', async () => {
    const transport = new FakeTransport({ sign_in: () => upstream(200, { ok: true }) });
    const { query } = setup(
      ['inp_username.text', 'this.params.refreshtoken', 'appsmith.store.accesstoken', 'this.params.missing'],
      transport,
    );
    await query.run({ refreshtoken: 'r-1' });
    expect(transport.runs).toEqual([
      {
        app: 'demo',
        query: 'sign_in',
        params: {
          'inp_username.text': 'ada@example.com',
          'this.params.refreshtoken': 'r-1',
          'appsmith.store.accesstoken': 'tok',
          // JSON has no undefined: an unset value goes as null rather than missing.
          'this.params.missing': null,
        },
      },
    ]);
  });

  it('keeps typed values (numbers, objects) for the server to substitute as JSON', async () => {
    const transport = new FakeTransport({ sign_in: () => upstream(200, {}) });
    const { query } = setup(['this.params.n', 'this.params.o'], transport);
    await query.run({ n: 3, o: { a: [1, 'x'] } });
    expect(transport.runs[0]?.params).toEqual({ 'this.params.n': 3, 'this.params.o': { a: [1, 'x'] } });
  });

  it('resolves with the response body and sets data, responseMeta and isLoading', async () => {
    let release!: () => void;
    const transport = new FakeTransport({
      sign_in: () => new Promise((resolve) => (release = () => resolve(upstream(200, { access_token: 'A' })))),
    });
    const { query } = setup([], transport);
    expect(query.isLoading.value).toBe(false);
    const pending = query.run();
    expect(query.isLoading.value).toBe(true);
    await Promise.resolve();
    release();
    await expect(pending).resolves.toEqual({ access_token: 'A' });
    expect(query.isLoading.value).toBe(false);
    expect(query.data.value).toEqual({ access_token: 'A' });
    expect(query.responseMeta.value).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      isExecutionSuccess: true,
    });
    expect(query.error.value).toBeUndefined();
  });

  it('rejects a non-2xx upstream answer with the provider\'s message and keeps the last data', async () => {
    const transport = new FakeTransport({ sign_in: () => upstream(200, { access_token: 'A' }) });
    const { query } = setup([], transport);
    await query.run();
    transport.on('sign_in', () =>
      upstream(400, { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' }),
    );
    const error = await query.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toBe('Invalid login credentials');
    expect((error as QueryError).statusCode).toBe(400);
    expect(query.data.value).toEqual({ access_token: 'A' });
    expect(query.responseMeta.value?.isExecutionSuccess).toBe(false);
    expect(query.responseMeta.value?.statusCode).toBe(400);
    expect(query.error.value).toBe('Invalid login credentials');
    expect(query.isLoading.value).toBe(false);
  });

  it('rejects with lowkey\'s own error message when the server refuses the run', async () => {
    const transport = new FakeTransport({
      sign_in: () => ({ httpStatus: 400, body: { error: { code: 'missing_param', message: 'missing param x' } } }),
    });
    const { query } = setup([], transport);
    await expect(query.run()).rejects.toThrow('missing param x');
    expect(query.responseMeta.value?.statusCode).toBe(400);
  });

  it('rejects when the server cannot be reached, and when a binding throws (nothing is sent)', async () => {
    const offline = new FakeTransport({
      sign_in: () => Promise.reject(new Error('Could not reach the server.')),
    });
    await expect(setup([], offline).query.run()).rejects.toThrow('Could not reach the server.');

    const transport = new FakeTransport({ sign_in: () => upstream(200, {}) });
    const { query } = setup(['this.params.a.b'], transport);
    await expect(query.run()).rejects.toThrow(/\{\{ this\.params\.a\.b \}\} failed/);
    expect(transport.runs).toHaveLength(0);
    expect(query.isLoading.value).toBe(false);
  });

  it('lets only the latest of overlapping runs set data', async () => {
    const releases: (() => void)[] = [];
    const transport = new FakeTransport({
      sign_in: (run) =>
        new Promise((resolve) => releases.push(() => resolve(upstream(200, { n: run.params['this.params.n'] })))),
    });
    const { query } = setup(['this.params.n'], transport);
    const first = query.run({ n: 1 });
    const second = query.run({ n: 2 });
    await Promise.resolve();
    await Promise.resolve();
    releases[1]?.();
    await second;
    releases[0]?.();
    await expect(first).resolves.toEqual({ n: 1 });
    expect(query.data.value).toEqual({ n: 2 });
  });
});

describe('QueryModel.run with providers\' answers', () => {
  async function rejection(status: number, body: unknown): Promise<QueryError> {
    const transport = new FakeTransport({ sign_in: () => upstream(status, body) });
    const error = await setup([], transport).query.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    return error as QueryError;
  }

  it('rejects with OAuth 2.0\'s error_description (Keycloak, Django OAuth Toolkit)', async () => {
    const e = await rejection(400, { error: 'invalid_grant', error_description: 'Invalid credentials given.' });
    expect(e.message).toBe('Invalid credentials given.');
    expect(e.statusCode).toBe(400);
    expect(e.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid credentials given.' });
  });

  it('rejects with the OAuth error code when there is no description', async () => {
    expect((await rejection(401, { error: 'invalid_client' })).message).toBe('invalid_client');
  });

  it('rejects with GoTrue\'s msg, and with message', async () => {
    expect((await rejection(400, { code: 400, msg: 'Invalid login credentials' })).message).toBe('Invalid login credentials');
    expect((await rejection(422, { code: 'weak_password', message: 'Password is too weak' })).message).toBe('Password is too weak');
  });

  it('rejects with Firebase\'s error.message', async () => {
    const e = await rejection(400, { error: { code: 400, message: 'INVALID_PASSWORD', errors: [] } });
    expect(e.message).toBe('INVALID_PASSWORD');
  });

  it('rejects a body that is not JSON with the status', async () => {
    expect((await rejection(503, '<html>Service Unavailable</html>')).message).toBe('Request failed with status 503');
  });

  it('resolves an empty 204 or 200 answer with data null', async () => {
    for (const [status, body] of [[204, null], [204, ''], [200, ''], [200, null]] as const) {
      const transport = new FakeTransport({ sign_in: () => upstream(status, body) });
      const { query } = setup([], transport);
      await expect(query.run()).resolves.toBeNull();
      expect(query.data.value).toBeNull();
      expect(query.error.value).toBeUndefined();
      expect(query.responseMeta.value).toMatchObject({ statusCode: status, isExecutionSuccess: true });
    }
  });
});

describe('errorMessage', () => {
  it('reads the shapes providers use, in order', () => {
    expect(errorMessage({ error: 'invalid_grant', error_description: 'c', msg: 'm', message: 'b' }, 400)).toBe('c');
    expect(errorMessage({ error: 'invalid_grant', msg: 'm', message: 'b' }, 400)).toBe('invalid_grant');
    expect(errorMessage({ msg: 'a', message: 'b' }, 400)).toBe('a');
    expect(errorMessage({ code: 'x', message: 'b' }, 400)).toBe('b');
    expect(errorMessage({ error: { code: 'x', message: 'd' }, message: 'b' }, 400)).toBe('b');
    expect(errorMessage({ error: { code: 'x', message: 'd' } }, 400)).toBe('d');
    expect(errorMessage({ error: '', error_description: '' }, 400)).toBe('Request failed with status 400');
    expect(errorMessage('Bad gateway', 502)).toBe('Request failed with status 502');
    expect(errorMessage(undefined, 500)).toBe('Request failed with status 500');
  });
});
