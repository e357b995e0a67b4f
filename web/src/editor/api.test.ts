/**
 * The Builder API client against a real HTTP server on a random port that answers as
 * docs/api.md describes (the Rust server's own behaviour is tested in crates/server/tests).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createBuilderApi, createDraftApi } from './api.ts';
import { loginApp } from './doc/fixture.ts';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

const seen: Seen[] = [];
let server: Server;
let base = '';
let revision = 3;

/** An error answer as docs/api.md writes it: {"error": {"code", "message"}, …more}. */
function error(code: string, message: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: { code, message }, ...more };
}

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  const body: unknown = text ? JSON.parse(text) : undefined;
  seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
  const b = (body ?? {}) as Record<string, unknown>;
  const route = `${req.method} ${req.url}`;
  switch (route) {
    case 'POST /api/v1/builder/session':
      if (b.password === 'right') return reply(res, 200, { builder: { id: 'b1', email: b.email, role: 'admin' } });
      if (b.password === 'often') return reply(res, 429, error('over_request_rate_limit', 'Too many attempts'), { 'retry-after': '17' });
      return reply(res, 400, error('invalid_credentials', 'Invalid login credentials'));
    case 'GET /api/v1/builder/session':
      return reply(res, 401, error('not_signed_in', 'Sign in first'));
    case 'DELETE /api/v1/builder/session':
      return reply(res, 204);
    case 'GET /api/v1/edit/apps':
      return reply(res, 200, {
        apps: [{ slug: 'a', name: 'A', revision: 2, draftUpdatedAt: '2026-12-02T08:00:00Z', publishedVersion: null, publishedAt: null }],
      });
    case 'POST /api/v1/edit/apps':
      if (b.name === 'Taken') return reply(res, 409, error('app_exists', 'An app with the slug taken exists'));
      return reply(res, 201, { slug: 'new-app', name: b.name, revision: 1, app: loginApp(), problems: [] });
    case 'DELETE /api/v1/edit/apps/my%20app':
      return reply(res, 204);
    case 'GET /api/v1/edit/apps/a/draft':
      return reply(res, 200, { revision, app: loginApp(), problems: [{ message: 'm', file: 'pages/P.yaml', line: 3, column: 5, page: 'P' }] });
    case 'PUT /api/v1/edit/apps/a/draft':
      if (b.revision !== revision) {
        return reply(res, 409, error('revision_conflict', 'The draft changed', { revision, app: loginApp() }));
      }
      // An older flat error shape, {"error", "message"}: the client reads it too.
      if ((b.app as { name?: string }).name === '') return reply(res, 400, { error: 'invalid_draft', message: 'The app needs a name' });
      revision++;
      return reply(res, 200, { revision, problems: [] });
    case 'PUT /api/v1/edit/apps/busy/draft':
      return reply(res, 503);
    case 'POST /api/v1/edit/apps/a/publish':
      if (b.revision === 0) {
        return reply(res, 422, error('invalid_app', 'The app has problems', { problems: [{ message: 'bad', file: 'app.yaml', line: 1, column: 1 }] }));
      }
      return reply(res, 200, { version: 4, publishedAt: '2026-12-02T08:01:00Z', publishedBy: 'b@x.dev' });
    case 'GET /api/v1/edit/apps/a/versions':
      return reply(res, 200, { versions: [{ version: 4, publishedAt: '2026-12-02T08:01:00Z', publishedBy: 'b@x.dev' }] });
    case 'POST /api/v1/edit/apps/a/versions/4/restore':
      return reply(res, 200, { revision: 9, app: loginApp(), problems: [] });
    default:
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>not here</h1>');
  }
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('the Builder API client', () => {
  it('signs in with JSON and reads the builder; refusals are ApiErrors with the code and message', async () => {
    const api = createBuilderApi({ base });
    expect(await api.signIn('b@x.dev', 'right')).toEqual({ id: 'b1', email: 'b@x.dev', role: 'admin' });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', contentType: 'application/json', body: { email: 'b@x.dev', password: 'right' } });
    const wrong = await failure(api.signIn('b@x.dev', 'wrong'));
    expect([wrong.status, wrong.code, wrong.message]).toEqual([400, 'invalid_credentials', 'Invalid login credentials']);
    const often = await failure(api.signIn('b@x.dev', 'often'));
    expect([often.status, often.retryAfter]).toEqual([429, 17]);
    expect(await api.currentBuilder()).toBeNull();
    await api.signOut();
  });

  it('lists, creates and deletes apps', async () => {
    const api = createBuilderApi({ base });
    expect((await api.listApps())[0]).toMatchObject({ slug: 'a', publishedVersion: null });
    expect((await api.createApp('New app')).slug).toBe('new-app');
    expect((await failure(api.createApp('Taken'))).code).toBe('app_exists');
    await api.deleteApp('my app');
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/edit/apps/my%20app' });
  });

  it('reads and writes drafts: saved, conflict with the current draft, refused, offline', async () => {
    const drafts = createDraftApi({ base });
    const snapshot = await drafts.getDraft('a');
    expect(snapshot.problems[0]).toEqual({ message: 'm', file: 'pages/P.yaml', line: 3, column: 5, page: 'P' });
    expect(await drafts.putDraft('a', snapshot.revision, snapshot.app)).toEqual({ kind: 'saved', revision: 4, problems: [] });
    const conflict = await drafts.putDraft('a', snapshot.revision, snapshot.app);
    expect(conflict).toMatchObject({ kind: 'conflict', current: { revision: 4, app: { name: 'Custom auth' } } });
    expect(await drafts.putDraft('a', 4, { ...snapshot.app, name: '' })).toEqual({ kind: 'refused', status: 400, message: 'The app needs a name' });
    expect(await drafts.putDraft('busy', 1, snapshot.app)).toEqual({ kind: 'offline' });
    expect(await drafts.putDraft('nope', 1, snapshot.app)).toEqual({ kind: 'refused', status: 404, message: 'The server answered 404.' });
    const nowhere = createDraftApi({ base: 'http://127.0.0.1:1' });
    expect(await nowhere.putDraft('a', 1, snapshot.app)).toEqual({ kind: 'offline' });
    expect((await failure(nowhere.getDraft('a'))).status).toBe(0);
  });

  it('publishes, lists versions and restores; a draft with problems is refused with them', async () => {
    const api = createBuilderApi({ base });
    expect(await api.publish('a', 4)).toEqual({ version: 4, publishedAt: '2026-12-02T08:01:00Z', publishedBy: 'b@x.dev' });
    const refused = await failure(api.publish('a', 0));
    expect([refused.status, refused.code, refused.problems]).toEqual([422, 'invalid_app', [{ message: 'bad', file: 'app.yaml', line: 1, column: 1 }]]);
    expect(await api.listVersions('a')).toHaveLength(1);
    expect((await api.restoreVersion('a', 4, 9)).revision).toBe(9);
    expect(seen.at(-1)!.body).toEqual({ revision: 9 });
  });
});
