import { describe, expect, it } from 'vitest';
import { FakeHost, FakeTransport, MemoryStorage, settle, upstream } from '../../test/fakes.ts';
import type { AppDef, AuthDef, PageDef } from './app.ts';
import type { TransportResponse } from './query.ts';
import { expiryKey, jwtExpiry, REFRESH_MARGIN_MS } from './refresh.ts';
import { AppRuntime } from './runtime.ts';
import { storageKey } from './store.ts';

/** A clock whose time moves only when told, with the timers set on it. */
class Clock {
  t = 1_800_000_000_000;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return () => this.timers.delete(id);
  }
  /** When the pending timers fire. */
  due(): number[] {
    return [...this.timers.values()].map((x) => x.at).sort((a, b) => a - b);
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.t) continue;
      this.timers.delete(id);
      timer.fn();
    }
    await settle();
  }
}

/** Web Locks for tabs in one test: callers of one name run one after the other. */
class Locks {
  private readonly tails = new Map<string, Promise<unknown>>();
  readonly requested: string[] = [];
  request<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.requested.push(name);
    const result = (this.tails.get(name) ?? Promise.resolve()).then(fn);
    this.tails.set(name, result.catch(() => undefined));
    return result;
  }
}

/** A tab: the fake host with a clock and, when given, the locks its tabs share. */
class Tab extends FakeHost {
  constructor(
    transport: FakeTransport,
    path: string,
    storage: MemoryStorage,
    private readonly clock: Clock,
    private readonly locks?: Locks,
  ) {
    super(transport, path, storage);
  }
  setTimer(fn: () => void, ms: number): () => void {
    return this.clock.setTimer(fn, ms);
  }
  now(): number {
    return this.clock.t;
  }
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.locks ? this.locks.request(name, fn) : fn();
  }
}

const page = (name: string, slug: string, extra: Partial<PageDef> = {}): PageDef => ({
  name,
  slug,
  hidden: false,
  onLoad: [],
  widgets: [],
  ...extra,
});
const ANN = { id: 'u1', email: 'ann@example.com', isAnonymous: false, roles: [] };
const REFRESH = {
  query: 'refreshAPI',
  store: { tok: 'access_token', rt: 'refresh_token' },
  expiresIn: 'expires_in',
};

function makeApp(auth: Partial<AuthDef> = {}, dashboard: Partial<PageDef> = {}): AppDef {
  return {
    name: 'Demo',
    slug: 'demo',
    homePage: 'Login',
    pages: [page('Login', 'login'), page('Dashboard', 'dashboard', { access: 'signedIn', ...dashboard })],
    queries: [
      { name: 'get_user', bindings: ['appsmith.store.tok'] },
      { name: 'get_plan', bindings: ['appsmith.store.tok'] },
      { name: 'refreshAPI', bindings: ['appsmith.store.rt'] },
    ],
    jsObjects: [],
    auth: { loginPage: 'Login', tokenStore: 'tok', refresh: REFRESH, ...auth },
    user: ANN,
  };
}

/** A JWT (unsigned: only its `exp` matters here) expiring at `ms`. */
const jwt = (ms: number, extra: object = {}) =>
  `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp: ms / 1000, ...extra })).toString('base64url')}.sig`;

const persisted = (storage: MemoryStorage) => JSON.parse(storage.getItem(storageKey('demo')) ?? '{}') as Record<string, unknown>;
const runsOf = (transport: FakeTransport, query: string) => transport.runs.filter((r) => r.query === query);
const viewName = (rt: AppRuntime) => {
  const v = rt.view.value;
  return v.status === 'ready' || v.status === 'loading' ? `${v.status}:${v.page.name}` : v.status;
};

/** One app tab whose store holds `stored` before it starts. */
function openTab(opts: {
  stored: Record<string, unknown>;
  transport: FakeTransport;
  clock?: Clock;
  storage?: MemoryStorage;
  locks?: Locks;
  path?: string;
  app?: AppDef;
}) {
  const storage = opts.storage ?? new MemoryStorage();
  if (!opts.storage) storage.setItem(storageKey('demo'), JSON.stringify(opts.stored));
  const clock = opts.clock ?? new Clock();
  const host = new Tab(opts.transport, opts.path ?? '/app/demo/dashboard', storage, clock, opts.locks);
  const runtime = new AppRuntime(opts.app ?? makeApp(), host, () => ({ roots: [], byName: new Map() }));
  return { runtime, host, storage, clock };
}

/** A server: get_user/get_plan accept only the tokens in `valid` (upstream 401 otherwise). */
function server(valid: Set<string>, refresh: (rt: unknown) => TransportResponse | Promise<TransportResponse>) {
  const guarded = (run: { params: Record<string, unknown> }) =>
    valid.has(run.params['appsmith.store.tok'] as string) ? upstream(200, { ok: true }) : upstream(401, { msg: 'JWT expired' });
  return new FakeTransport({
    get_user: guarded,
    get_plan: guarded,
    refreshAPI: (run) => refresh(run.params['appsmith.store.rt']),
  });
}

/** A promise resolved from outside, to hold an answer back. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('jwtExpiry', () => {
  it("reads a JWT's exp in milliseconds, whatever else its payload holds", () => {
    expect(jwtExpiry(jwt(1_800_000_000_000))).toBe(1_800_000_000_000);
    expect(jwtExpiry(jwt(1_800_000_000_000, { name: 'Zoë 東京 ✓' }))).toBe(1_800_000_000_000);
  });
  it('gives undefined for anything that is not a JWT with a numeric exp', () => {
    expect(jwtExpiry('opaque-token')).toBeUndefined();
    expect(jwtExpiry('a.b.c')).toBeUndefined();
    expect(jwtExpiry(`x.${Buffer.from('{"exp":"soon"}').toString('base64url')}.y`)).toBeUndefined();
    expect(jwtExpiry(`x.${Buffer.from('{"sub":"u1"}').toString('base64url')}.y`)).toBeUndefined();
    expect(jwtExpiry('x.!!!.y')).toBeUndefined();
  });
});

describe('store-mode refresh before expiry', () => {
  it("refreshes a minute before the stored JWT's exp, stores the answer's keys, and schedules the next", async () => {
    const clock = new Clock();
    const t0 = clock.t;
    const t1 = jwt(t0 + 10 * 60_000);
    const t2 = jwt(t0 + 70 * 60_000);
    const transport = server(new Set(), () => upstream(200, { access_token: t2, refresh_token: 'R2' }));
    const { runtime, storage } = openTab({ stored: { tok: t1, rt: 'R1' }, transport, clock });
    expect(clock.due()).toEqual([t0 + 10 * 60_000 - REFRESH_MARGIN_MS]);

    await clock.advance(9 * 60_000 - 1);
    expect(runsOf(transport, 'refreshAPI')).toEqual([]);
    await clock.advance(1);
    expect(runsOf(transport, 'refreshAPI').map((r) => r.params)).toEqual([{ 'appsmith.store.rt': 'R1' }]);
    expect(runtime.currentToken()).toBe(t2);
    expect(persisted(storage)).toEqual({ tok: t2, rt: 'R2' });
    expect(clock.due()).toEqual([t0 + 70 * 60_000 - REFRESH_MARGIN_MS]);
  });

  it('refreshes at once when the stored token expires within the margin (or already did)', async () => {
    const clock = new Clock();
    const transport = server(new Set(), () => upstream(200, { access_token: jwt(clock.t + 3_600_000) }));
    openTab({ stored: { tok: jwt(clock.t - 5_000), rt: 'R1' }, transport, clock });
    expect(clock.due()).toEqual([clock.t]);
    await clock.advance(0);
    expect(runsOf(transport, 'refreshAPI')).toHaveLength(1);
  });

  it("uses expiresIn for a token that is not a JWT, remembered across a reload; a missing refresh token keeps the old one", async () => {
    const clock = new Clock();
    const valid = new Set(['opaque-2']);
    const transport = server(valid, () => upstream(200, { access_token: 'opaque-2', expires_in: 3600 }));
    const { runtime, storage } = openTab({ stored: { tok: 'opaque-1', rt: 'R1' }, transport, clock });
    // Nothing tells when opaque-1 expires: no timer, the first 401 refreshes.
    expect(clock.due()).toEqual([]);
    await expect(runtime.queries.get('get_user')!.run()).resolves.toEqual({ ok: true });
    expect(persisted(storage)).toEqual({ tok: 'opaque-2', rt: 'R1' });
    expect(clock.due()).toEqual([clock.t + 3_600_000 - REFRESH_MARGIN_MS]);
    // What is remembered names the token by a fingerprint, not the token itself.
    expect(storage.getItem(expiryKey('demo'))).not.toContain('opaque');
    runtime.dispose();

    const reloaded = openTab({ stored: {}, storage, transport, clock });
    expect(clock.due()).toEqual([clock.t + 3_600_000 - REFRESH_MARGIN_MS]);
    reloaded.runtime.dispose();
    expect(clock.due()).toEqual([]);
  });

  it('waits at least 10 s before refreshing again when a fresh token already looks expired (clock skew)', async () => {
    const clock = new Clock();
    const transport = server(new Set(), () => upstream(200, { access_token: jwt(clock.t - 1000) }));
    openTab({ stored: { tok: jwt(clock.t - 2000), rt: 'R1' }, transport, clock });
    await clock.advance(0);
    expect(runsOf(transport, 'refreshAPI')).toHaveLength(1);
    expect(clock.due()).toEqual([clock.t + 10_000]);
    await clock.advance(9_999);
    expect(runsOf(transport, 'refreshAPI')).toHaveLength(1);
    await clock.advance(1);
    expect(runsOf(transport, 'refreshAPI')).toHaveLength(2);
  });

  it('stops its timer when the runtime is disposed', async () => {
    const clock = new Clock();
    const transport = server(new Set(), () => upstream(200, {}));
    const { runtime } = openTab({ stored: { tok: jwt(clock.t + 600_000), rt: 'R1' }, transport, clock });
    expect(clock.due()).toHaveLength(1);
    runtime.dispose();
    expect(clock.due()).toEqual([]);
    await clock.advance(3_600_000);
    expect(transport.runs).toEqual([]);
  });
});

describe('store-mode refresh after a 401', () => {
  it('refreshes once for two queries refused at the same time, then runs each again with the fresh token', async () => {
    const answer = deferred<TransportResponse>();
    const transport = server(new Set(['T2']), () => answer.promise);
    const { runtime } = openTab({ stored: { tok: 'T1', rt: 'R1' }, transport });
    const both = Promise.all([runtime.queries.get('get_user')!.run(), runtime.queries.get('get_plan')!.run()]);
    await settle();
    expect(transport.runs.map((r) => r.query)).toEqual(['get_user', 'get_plan', 'refreshAPI']);
    answer.resolve(upstream(200, { access_token: 'T2', refresh_token: 'R2' }));
    await expect(both).resolves.toEqual([{ ok: true }, { ok: true }]);
    expect(transport.runs.map((r) => [r.query, Object.values(r.params)[0]])).toEqual([
      ['get_user', 'T1'],
      ['get_plan', 'T1'],
      ['refreshAPI', 'R1'],
      ['get_user', 'T2'],
      ['get_plan', 'T2'],
    ]);
  });

  it("retries on lowkey's own 401 (not_signed_in) as well", async () => {
    const transport = server(new Set(), () => upstream(200, { access_token: 'T2' }));
    transport.on('get_user', (run) =>
      run.params['appsmith.store.tok'] === 'T2'
        ? upstream(200, { id: 'u1' })
        : { httpStatus: 401, body: { error: { code: 'not_signed_in', message: 'Sign in first' } } },
    );
    const { runtime } = openTab({ stored: { tok: 'T1', rt: 'R1' }, transport });
    await expect(runtime.queries.get('get_user')!.run()).resolves.toEqual({ id: 'u1' });
    expect(transport.runs.map((r) => r.query)).toEqual(['get_user', 'refreshAPI', 'get_user']);
  });

  it('retries once, not twice: a second 401 is the answer', async () => {
    const transport = server(new Set(), () => upstream(200, { access_token: 'T2' }));
    const { runtime } = openTab({ stored: { tok: 'T1', rt: 'R1' }, transport });
    await expect(runtime.queries.get('get_user')!.run()).rejects.toMatchObject({ statusCode: 401, message: 'JWT expired' });
    expect(transport.runs.map((r) => r.query)).toEqual(['get_user', 'refreshAPI', 'get_user']);
    expect(runtime.currentToken()).toBe('T2');
  });

  it('does not refresh for a run sent without a token, and does not retry the refresh query itself', async () => {
    const transport = server(new Set(), () => upstream(401, { msg: 'bad refresh token' }));
    const { runtime } = openTab({ stored: { rt: 'R1' }, transport, path: '/app/demo/login' });
    await expect(runtime.queries.get('get_user')!.run()).rejects.toMatchObject({ statusCode: 401 });
    await expect(runtime.queries.get('refreshAPI')!.run()).rejects.toMatchObject({ statusCode: 401 });
    expect(transport.runs.map((r) => r.query)).toEqual(['get_user', 'refreshAPI']);
  });

  it('leaves an app without auth.refresh as it was: a 401 is the answer, no timer', async () => {
    const clock = new Clock();
    const transport = server(new Set(), () => upstream(200, { access_token: 'T2' }));
    const { runtime } = openTab({
      stored: { tok: jwt(clock.t + 60_000), rt: 'R1' },
      transport,
      clock,
      app: makeApp({ refresh: undefined }),
    });
    await expect(runtime.queries.get('get_user')!.run()).rejects.toMatchObject({ statusCode: 401 });
    expect(transport.runs.map((r) => r.query)).toEqual(['get_user']);
    expect(clock.due()).toEqual([]);
  });
});

describe('store-mode refresh failing', () => {
  it('clears the declared keys and sends a protected page to the login page with ?next=', async () => {
    const transport = server(new Set(), () => upstream(400, { error: 'invalid_grant', error_description: 'Refresh token revoked' }));
    const app = makeApp({}, { onLoad: ['get_user'] });
    const { runtime, host, storage } = openTab({ stored: { tok: 'T1', rt: 'R1', theme: 'dark' }, transport, app });
    await runtime.start();
    await settle();
    expect(transport.runs.map((r) => r.query)).toEqual(['get_user', 'refreshAPI']);
    expect(persisted(storage)).toEqual({ theme: 'dark' });
    expect(host.path).toBe('/app/demo/login?next=Dashboard');
    expect(viewName(runtime)).toBe('ready:Login');
    // The page left has no say any more: no alert of its failed on-load step.
    expect(runtime.toasts.value).toEqual([]);
  });

  it('stays on a public page when the refresh fails (network), the keys cleared all the same', async () => {
    const transport = server(new Set(), () => Promise.reject(new Error('offline')));
    const { runtime, host, storage } = openTab({ stored: { tok: 'T1', rt: 'R1' }, transport, path: '/app/demo/login' });
    await runtime.start();
    await expect(runtime.queries.get('get_user')!.run()).rejects.toMatchObject({ statusCode: 401 });
    expect(persisted(storage)).toEqual({});
    expect(host.path).toBe('/app/demo/login');
  });

  it('counts an answer without the access token as a failure', async () => {
    const transport = server(new Set(), () => upstream(200, { refresh_token: 'R2' }));
    const { runtime, storage } = openTab({ stored: { tok: 'T1', rt: 'R1' }, transport });
    await expect(runtime.queries.get('get_user')!.run()).rejects.toMatchObject({ statusCode: 401 });
    expect(persisted(storage)).toEqual({});
  });
});

describe('store-mode refresh across tabs', () => {
  it('refreshes once for two tabs due at the same time: the second finds the fresh token in the lock', async () => {
    const clock = new Clock();
    const locks = new Locks();
    const storage = new MemoryStorage();
    storage.setItem(storageKey('demo'), JSON.stringify({ tok: jwt(clock.t + 30_000), rt: 'R1' }));
    const fresh = jwt(clock.t + 3_600_000);
    const answer = deferred<TransportResponse>();
    const transport = server(new Set(), () => answer.promise);
    const a = openTab({ stored: {}, storage, transport, clock, locks });
    const b = openTab({ stored: {}, storage, transport, clock, locks });
    await clock.advance(0);
    expect(locks.requested).toEqual(['lowkey-refresh:demo', 'lowkey-refresh:demo']);
    expect(runsOf(transport, 'refreshAPI')).toHaveLength(1);
    answer.resolve(upstream(200, { access_token: fresh, refresh_token: 'R2' }));
    await settle();
    expect(runsOf(transport, 'refreshAPI')).toHaveLength(1);
    expect([a.runtime.currentToken(), b.runtime.currentToken()]).toEqual([fresh, fresh]);
  });

  it("sends a tab on a protected page to the login page when another tab signs out", async () => {
    const storage = new MemoryStorage();
    storage.setItem(storageKey('demo'), JSON.stringify({ tok: 'T1', rt: 'R1' }));
    const transport = server(new Set(['T1']), () => upstream(200, {}));
    const a = openTab({ stored: {}, storage, transport, path: '/app/demo/login' });
    const b = openTab({ stored: {}, storage, transport });
    await Promise.all([a.runtime.start(), b.runtime.start()]);
    expect(viewName(b.runtime)).toBe('ready:Dashboard');
    await a.runtime.runEvent('{{ clearStore() }}');
    b.runtime.followStorage(); // the storage event
    await settle();
    expect(b.host.path).toBe('/app/demo/login?next=Dashboard');
    expect(viewName(b.runtime)).toBe('ready:Login');
  });

  it('keeps the page of an app without auth.refresh when another tab signs out, as before', async () => {
    const storage = new MemoryStorage();
    storage.setItem(storageKey('demo'), JSON.stringify({ tok: 'T1' }));
    const transport = server(new Set(['T1']), () => upstream(200, {}));
    const b = openTab({ stored: {}, storage, transport, app: makeApp({ refresh: undefined }) });
    await b.runtime.start();
    storage.removeItem(storageKey('demo'));
    b.runtime.followStorage();
    await settle();
    expect([b.host.path, viewName(b.runtime)]).toEqual(['/app/demo/dashboard', 'ready:Dashboard']);
    expect(b.runtime.evaluator.evaluate('appsmith.user.isAnonymous')).toBe(true);
  });
});
