import { describe, expect, it } from 'vitest';
import { FakeHost, FakeTransport, MemoryStorage, settle, upstream } from '../../test/fakes.ts';
import type { AppDef } from './app.ts';
import type { HostChannel } from './host.ts';
import type { SessionHeader, TransportResponse } from './query.ts';
import { AppRuntime } from './runtime.ts';

/** BroadcastChannel for tabs in one test: a message reaches the other open channels of its name, later. */
class Hub {
  private readonly open = new Set<{ name: string; deliver: (m: unknown) => void }>();
  readonly posted: { name: string; message: string }[] = [];
  channel(name: string, onMessage: (message: unknown) => void): HostChannel {
    const me = { name, deliver: onMessage };
    this.open.add(me);
    return {
      post: (message) => {
        this.posted.push({ name, message });
        for (const other of [...this.open]) {
          if (other !== me && other.name === name) queueMicrotask(() => other.deliver(message));
        }
      },
      close: () => this.open.delete(me),
    };
  }
}

class Tab extends FakeHost {
  constructor(
    transport: FakeTransport,
    path: string,
    private readonly hub: Hub,
  ) {
    super(transport, path, new MemoryStorage());
  }
  openChannel(name: string, onMessage: (message: unknown) => void): HostChannel {
    return this.hub.channel(name, onMessage);
  }
}

const ANN = { id: 'u1', email: 'ann@example.com', isAnonymous: false, roles: [] };

function makeApp(signedIn: boolean): AppDef {
  return {
    name: 'Demo',
    slug: 'demo',
    homePage: 'Login',
    pages: [
      { name: 'Login', slug: 'login', hidden: false, onLoad: [], widgets: [] },
      { name: 'Dashboard', slug: 'dashboard', hidden: false, onLoad: [], widgets: [], access: 'signedIn' },
    ],
    queries: ['sign_in', 'refreshAPI', 'revokeAPI', 'get_user', 'get_plan'].map((name) => ({ name, bindings: [] })),
    jsObjects: [],
    auth: {
      loginPage: 'Login',
      tokenStore: undefined,
      session: { signIn: 'sign_in', refresh: 'refreshAPI', signOut: 'revokeAPI' },
    },
    user: signedIn ? ANN : null,
  };
}

/** Each query answers 200 with the `X-Lowkey-Session` its name says. */
const withHeader = (session?: SessionHeader): TransportResponse => ({ ...upstream(200, { ok: true }), session });
const transport = () =>
  new FakeTransport({
    sign_in: () => withHeader('started'),
    refreshAPI: () => withHeader('refreshed'),
    revokeAPI: () => withHeader('ended'),
    get_user: () => withHeader(),
    // The session expired or was revoked: lowkey refuses and says so.
    get_plan: () => ({ httpStatus: 401, body: { error: { code: 'not_signed_in', message: 'Sign in' } }, session: 'ended' }),
  });

function openTab(signedIn: boolean, hub = new Hub(), path = '/app/demo/dashboard') {
  const host = new Tab(transport(), path, hub);
  const runtime = new AppRuntime(makeApp(signedIn), host, () => ({ roots: [], byName: new Map() }));
  return { runtime, host, hub };
}

const run = (rt: AppRuntime, query: string) => rt.queries.get(query)!.run();
const MARKER = /^lowkey-session#\d+$/;
const viewName = (rt: AppRuntime) => {
  const v = rt.view.value;
  return v.status === 'ready' || v.status === 'loading' ? `${v.status}:${v.page.name}` : v.status;
};

describe('session mode: the session marker', () => {
  it("starts as a marker when the definition has a user, as none when it has not; never a Bearer token", () => {
    const ann = openTab(true).runtime;
    expect(ann.currentToken()).toMatch(MARKER);
    expect(ann.bearerToken()).toBeUndefined();
    const anonymous = openTab(false).runtime;
    expect(anonymous.currentToken()).toBeUndefined();
    expect(anonymous.bearerToken()).toBeUndefined();
  });

  it('takes a new marker on started, one on refreshed only when there was none, and none on ended', async () => {
    const { runtime } = openTab(false);
    await run(runtime, 'refreshAPI');
    const first = runtime.currentToken();
    expect(first).toMatch(MARKER);
    await run(runtime, 'refreshAPI');
    expect(runtime.currentToken()).toBe(first);
    await run(runtime, 'get_user');
    expect(runtime.currentToken()).toBe(first);
    await run(runtime, 'sign_in');
    const second = runtime.currentToken();
    expect(second).toMatch(MARKER);
    expect(second).not.toBe(first);
    await run(runtime, 'revokeAPI');
    expect(runtime.currentToken()).toBeUndefined();
    expect(runtime.bearerToken()).toBeUndefined();
  });

  it('locks protected pages and makes appsmith.user anonymous when the session ends', async () => {
    const { runtime } = openTab(true);
    const app = runtime.app;
    runtime.grant(app, runtime.currentToken());
    await runtime.start();
    const dashboard = app.pages[1]!;
    expect([viewName(runtime), runtime.isOpen(dashboard), runtime.evaluator.evaluate('appsmith.user.email')]).toEqual([
      'ready:Dashboard',
      true,
      'ann@example.com',
    ]);
    await run(runtime, 'revokeAPI');
    expect([runtime.isOpen(dashboard), runtime.evaluator.evaluate('appsmith.user.isAnonymous')]).toEqual([false, true]);
    // This tab's own sign-out leaves the navigation to the app (it goes to its login page itself).
    expect(viewName(runtime)).toBe('ready:Dashboard');
  });

  it('sends a protected page to the login page with ?next= when the session is lost (not signed out here)', async () => {
    const { runtime, host, hub } = openTab(true);
    runtime.grant(runtime.app, runtime.currentToken());
    await runtime.start();
    await expect(run(runtime, 'get_plan')).rejects.toMatchObject({ statusCode: 401 });
    expect(runtime.currentToken()).toBeUndefined();
    expect(hub.posted.map((p) => p.message)).toEqual(['ended']);
    expect([host.path, viewName(runtime)]).toEqual(['/app/demo/login?next=Dashboard', 'ready:Login']);
  });

  it('writes nothing to storage', async () => {
    const { runtime, host } = openTab(false);
    await run(runtime, 'sign_in');
    await run(runtime, 'refreshAPI');
    await run(runtime, 'revokeAPI');
    expect(host.storage.items.size).toBe(0);
  });
});

describe('session mode across tabs', () => {
  it("tells the app's other tabs of a sign-in: each takes a new marker", async () => {
    const hub = new Hub();
    const a = openTab(false, hub, '/app/demo/login');
    const b = openTab(false, hub, '/app/demo/login');
    const other = new Hub().channel('lowkey-session:other-app', () => {
      throw new Error('another app heard it');
    });
    await run(a.runtime, 'sign_in');
    await settle();
    expect(hub.posted).toEqual([{ name: 'lowkey-session:demo', message: 'started' }]);
    expect(b.runtime.currentToken()).toMatch(MARKER);
    expect(b.runtime.currentToken()).not.toBe(a.runtime.currentToken());
    other.close();
  });

  it('sends a tab showing a protected page to the login page with ?next= when another tab signs out', async () => {
    const hub = new Hub();
    const a = openTab(true, hub, '/app/demo/login');
    const b = openTab(true, hub);
    b.runtime.grant(b.runtime.app, b.runtime.currentToken());
    await Promise.all([a.runtime.start(), b.runtime.start()]);
    expect(viewName(b.runtime)).toBe('ready:Dashboard');
    await run(a.runtime, 'revokeAPI');
    await settle();
    expect(hub.posted.map((p) => p.message)).toEqual(['ended']);
    expect(b.runtime.currentToken()).toBeUndefined();
    expect(b.host.path).toBe('/app/demo/login?next=Dashboard');
    expect(viewName(b.runtime)).toBe('ready:Login');
    // A tab on a public page stays where it is.
    expect(a.host.path).toBe('/app/demo/login');
  });

  it('stops listening once disposed', async () => {
    const hub = new Hub();
    const a = openTab(false, hub, '/app/demo/login');
    const b = openTab(false, hub, '/app/demo/login');
    b.runtime.dispose();
    await run(a.runtime, 'sign_in');
    await settle();
    expect(b.runtime.currentToken()).toBeUndefined();
  });
});
