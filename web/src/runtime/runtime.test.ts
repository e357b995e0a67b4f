import { describe, expect, it } from 'vitest';
import { FakeHost, FakeTransport, settle, upstream } from '../../test/fakes.ts';
import type { AppDef, PageDef, WidgetDef } from './app.ts';
import { bindValue, type ReadonlySignal, type BoundValue } from './graph.ts';
import { AppRuntime, INVALID_TARGET, type PageWidgets, type WidgetModel } from './runtime.ts';

/** A minimal widget: exposes its evaluated props, and counts resets. */
class StubWidget implements WidgetModel {
  readonly name: string;
  readonly type: string;
  resets = 0;
  private readonly props: Record<string, ReadonlySignal<BoundValue>> = {};
  constructor(
    readonly def: WidgetDef,
    runtime: AppRuntime,
    readonly children: WidgetModel[],
  ) {
    this.name = def.name;
    this.type = def.type;
    for (const [k, v] of Object.entries(def.props)) this.props[k] = bindValue(v, runtime.evaluator);
  }
  read(key: string): unknown {
    const v = this.props[key]?.value;
    return v?.ok ? v.value : undefined;
  }
  reset(): void {
    this.resets++;
  }
}

function stubFactory(page: PageDef, runtime: AppRuntime): PageWidgets {
  const byName = new Map<string, WidgetModel>();
  const build = (d: WidgetDef): WidgetModel => {
    const m = new StubWidget(d, runtime, d.children.map(build));
    byName.set(d.name, m);
    return m;
  };
  return { roots: page.widgets.map(build), byName };
}

function widget(name: string, props: Record<string, unknown> = {}, children: WidgetDef[] = []): WidgetDef {
  return { name, type: 'Text', position: { col: 0, row: 0, width: 10, height: 4 }, props, children };
}

function page(name: string, extra: Partial<PageDef> = {}): PageDef {
  const slug = name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  return { name, slug, hidden: false, onLoad: [], widgets: [], ...extra };
}

function makeApp(over: Partial<AppDef> = {}): AppDef {
  return {
    name: 'Demo',
    slug: 'demo',
    homePage: 'Home',
    pages: [page('Home', { widgets: [widget('txt_home', { text: 'home' })] }), page('Secret', { hidden: true }), page('Other')],
    queries: [],
    jsObjects: [],
    ...over,
  };
}

function start(app: AppDef, path = '/app/demo', transport = new FakeTransport()) {
  const host = new FakeHost(transport, path);
  const runtime = new AppRuntime(app, host, stubFactory);
  return { host, runtime, transport };
}

const run = (rt: AppRuntime, code: string) => rt.runEvent(`{{ ${code} }}`);
const viewName = (rt: AppRuntime) => {
  const v = rt.view.value;
  return v.status === 'ready' || v.status === 'loading' ? `${v.status}:${v.page.name}` : v.status;
};

describe('pages and navigateTo', () => {
  it('opens the home page at /app/<slug> and a page by slug at /app/<slug>/<page>', async () => {
    const a = start(makeApp());
    await a.runtime.start();
    expect(viewName(a.runtime)).toBe('ready:Home');
    const b = start(makeApp(), '/app/demo/secret');
    await b.runtime.start();
    expect(viewName(b.runtime)).toBe('ready:Secret');
    const c = start(makeApp(), '/app/demo/nope');
    await c.runtime.start();
    expect(c.runtime.view.value).toEqual({ status: 'not_found', pageSlug: 'nope' });
  });

  it('navigates to a page by name (hidden pages included) with params as the query string', async () => {
    const { runtime, host } = start(makeApp());
    await runtime.start();
    await run(runtime, "navigateTo('Secret', { id: 7, q: 'a b' })");
    expect(host.pushed).toEqual(['/app/demo/secret?id=7&q=a%20b']);
    await settle();
    expect(viewName(runtime)).toBe('ready:Secret');
    expect(runtime.evaluator.evaluate('appsmith.URL.queryParams')).toEqual({ id: '7', q: 'a b' });
    expect(runtime.evaluator.evaluate('appsmith.URL.pathname')).toBe('/app/demo/secret');
  });

  it('lists only visible pages in the navigation, or only the current page when it is hidden', () => {
    const { runtime } = start(makeApp());
    const [home, secret] = runtime.app.pages;
    expect(runtime.navPages(home).map((p) => p.name)).toEqual(['Home', 'Other']);
    expect(runtime.navPages(secret).map((p) => p.name)).toEqual(['Secret']);
  });

  it('treats a target that is not a page as a URL (a bare host gets https://)', async () => {
    const { runtime, host } = start(makeApp());
    await run(runtime, "navigateTo('example.com/docs', { a: 1 })");
    await run(runtime, "navigateTo('https://example.org/x?y=1', { a: 'b' }, 'NEW_WINDOW')");
    await run(runtime, "navigateTo('Other', {}, 'NEW_WINDOW')");
    expect(host.opened).toEqual([
      { url: 'https://example.com/docs?a=1', target: 'SAME_WINDOW' },
      { url: 'https://example.org/x?y=1&a=b', target: 'NEW_WINDOW' },
      { url: '/app/demo/other', target: 'APP_NEW_WINDOW' },
    ]);
  });

  it('rejects a target that is neither a page nor a URL', async () => {
    const { runtime, host } = start(makeApp());
    for (const target of ["'Dashbord'", "'javascript:alert(1)'", "''", '42']) {
      await run(runtime, `navigateTo(${target})`);
    }
    expect(runtime.toasts.value.map((t) => [t.message, t.type])).toEqual(
      Array(4).fill([INVALID_TARGET, 'error']),
    );
    expect(host.pushed).toEqual([]);
    expect(host.opened).toEqual([]);
  });

  it('keeps the page (no second on-load run) when only the #fragment changes', async () => {
    const transport = new FakeTransport({ q: () => upstream(200, 1) });
    const app = makeApp({ pages: [page('Home', { onLoad: ['q'] })], queries: [{ name: 'q', bindings: [] }] });
    const { runtime, host } = start(app, '/app/demo', transport);
    await runtime.start();
    host.setPath('/app/demo#section');
    await runtime.followLocation();
    expect(transport.runs).toHaveLength(1);
    expect(runtime.evaluator.evaluate('appsmith.URL.hash')).toBe('#section');
  });

  it('follows the URL on back/forward', async () => {
    const { runtime, host } = start(makeApp());
    await runtime.start();
    await run(runtime, "navigateTo('Other')");
    await settle();
    host.setPath('/app/demo');
    await runtime.followLocation();
    expect(viewName(runtime)).toBe('ready:Home');
  });
});

describe('run on page load', () => {
  function deferredApp(log: string[], gates: Record<string, Promise<void>>) {
    const app = makeApp({
      pages: [
        page('Home', { onLoad: ['Load.first', 'q_data', 'Load.last'] }),
        page('Other', { onLoad: ['Load.other'] }),
        page('Guarded', { onLoad: ['Load.guard', 'Load.after'] }),
      ],
      queries: [{ name: 'q_data', bindings: [] }],
      jsObjects: [
        {
          name: 'Load',
          source: `export default {
            async first() { log('first:start'); await gates.first; log('first:end'); },
            async last() { log('last'); },
            async other() { log('other'); },
            async guard() { log('guard'); await navigateTo('Other'); },
            async after() { log('after'); },
          }`,
        },
      ],
    });
    return app;
  }

  it('runs queries and JS functions in the declared order, each awaited, then shows the page', async () => {
    const log: string[] = [];
    let open!: () => void;
    const gates = { first: new Promise<void>((r) => (open = r)) };
    const transport = new FakeTransport({ q_data: () => (log.push('q_data'), upstream(200, [])) });
    const host = new FakeHost(transport, '/app/demo');
    const app = deferredApp(log, gates);
    const runtime = new AppRuntime(app, host, (p, rt) => {
      log.push(`widgets:${p.name}`);
      return stubFactory(p, rt);
    });
    // Inject the test's log and gates as globals the JS object can see.
    Object.assign(globalThis, { log: (s: string) => log.push(s), gates });
    try {
      const started = runtime.start();
      await settle();
      expect(log).toEqual(['widgets:Home', 'first:start']);
      expect(viewName(runtime)).toBe('loading:Home');
      open();
      await started;
      expect(log).toEqual(['widgets:Home', 'first:start', 'first:end', 'q_data', 'last']);
      expect(viewName(runtime)).toBe('ready:Home');
    } finally {
      delete (globalThis as Record<string, unknown>).log;
      delete (globalThis as Record<string, unknown>).gates;
    }
  });

  it('stops a page\'s remaining steps once a step navigated away, and never shows that page', async () => {
    const log: string[] = [];
    Object.assign(globalThis, { log: (s: string) => log.push(s), gates: {} });
    try {
      const { runtime, host } = start(deferredApp(log, {}), '/app/demo/guarded');
      const seen: string[] = [];
      const stop = (await import('./graph.ts')).effect(() => {
        seen.push(viewName(runtime));
      });
      await runtime.start();
      await settle();
      stop();
      expect(log).toEqual(['guard', 'other']);
      expect(host.pushed).toEqual(['/app/demo/other']);
      expect(seen).not.toContain('ready:Guarded');
      expect(viewName(runtime)).toBe('ready:Other');
    } finally {
      delete (globalThis as Record<string, unknown>).log;
      delete (globalThis as Record<string, unknown>).gates;
    }
  });

  it('shows an error alert for a failing step and goes on with the next', async () => {
    const transport = new FakeTransport({ q_fail: () => upstream(500, { message: 'db down' }) });
    const app = makeApp({
      pages: [page('Home', { onLoad: ['q_fail', 'Missing.fn', 'q_ok'] })],
      queries: [
        { name: 'q_fail', bindings: [] },
        { name: 'q_ok', bindings: [] },
      ],
    });
    transport.on('q_ok', () => upstream(200, 'fine'));
    const { runtime } = start(app, '/app/demo', transport);
    await runtime.start();
    expect(runtime.toasts.value.map((t) => t.message)).toEqual([
      'q_fail failed on page load: db down',
      'Missing.fn failed on page load: Missing has no function fn',
    ]);
    expect(runtime.queries.get('q_ok')?.data.value).toBe('fine');
    expect(viewName(runtime)).toBe('ready:Home');
  });
});

describe('globals', () => {
  it('storeValue updates appsmith.store at once, visible to code later in the same run', async () => {
    const { runtime, host } = start(makeApp());
    await run(runtime, "storeValue('a', 1); showAlert('a is ' + appsmith.store.a, 'success')");
    expect(runtime.toasts.value.map((t) => [t.message, t.type])).toEqual([['a is 1', 'success']]);
    expect(host.storage.getItem('lowkey:store:demo')).toBe('{"a":1}');
  });

  it('storeValue of a value JSON cannot hold is an error the app sees', async () => {
    const { runtime } = start(makeApp());
    await run(runtime, "storeValue('f', () => 1)");
    expect(runtime.toasts.value[0]?.message).toMatch(/storeValue\('f'\): the value is a function/);
    expect(runtime.store.values.value).toEqual({});
  });

  it('showAlert falls back to info for an unknown type and shows objects as JSON', async () => {
    const { runtime } = start(makeApp());
    await run(runtime, "showAlert({ a: 1 }, 'loud')");
    expect(runtime.toasts.value[0]).toMatchObject({ message: '{"a":1}', type: 'info' });
  });

  it('resetWidget resets a widget and (by default) its children, and refuses unknown names', async () => {
    const app = makeApp({
      pages: [page('Home', { widgets: [widget('box', {}, [widget('inner')])] })],
    });
    const { runtime } = start(app);
    await runtime.start();
    const byName = runtime.view.value.status === 'ready' ? runtime.view.value.widgets.byName : new Map();
    await run(runtime, "resetWidget('box')");
    await run(runtime, "resetWidget('box', false)");
    expect([(byName.get('box') as StubWidget).resets, (byName.get('inner') as StubWidget).resets]).toEqual([2, 1]);
    await run(runtime, "resetWidget('nope')");
    expect(runtime.toasts.value[0]?.message).toMatch(/no widget named nope/);
  });

  it('exposes appsmith.mode and the current page\'s widgets by name', async () => {
    const { runtime } = start(makeApp());
    await runtime.start();
    expect(runtime.evaluator.evaluate('appsmith.mode')).toBe('VIEW');
    expect(runtime.evaluator.evaluate('txt_home.text')).toBe('home');
  });

  it('reports an event without {{ }} and a syntax error as alerts, never throwing', async () => {
    const { runtime } = start(makeApp());
    expect(await runtime.runEvent('Auth.signin()')).toBe(false);
    expect(await runtime.runEvent('{{ 1 + }}')).toBe(false);
    expect(runtime.toasts.value).toHaveLength(2);
  });
});

describe("the guide's own code", () => {
  // The refresh snippet of Appsmith's "Integrate Custom Authentication" guide, verbatim
  // (comments and all), as a reader would paste it into a JS object.
  const GUIDE_REFRESH = `export default {
    refreshAccessToken: () => {
        // Retrieving the refresh token from the appsmith store
        const refreshToken = appsmith.store.refreshtoken;
        // Checking if a refresh token exists
        if (refreshToken) {
            // Executing the refresh API with the retrieved refresh token
            return refreshAPI.run({ refreshtoken: refreshToken })
                .then(newTokens => {
                    // Updating the access token in the appsmith store
                    storeValue('accesstoken', newTokens.accesstoken);
                    // Checking if a new refresh token is provided and updating it
                    if (newTokens.refreshtoken) {
                        storeValue('refreshtoken', newTokens.refresh_token);
                    }
                })
                .catch(error => {
                    console.log('Error refreshing token:', error);
                });
        }
    }
};`;

  function guideApp() {
    return makeApp({
      queries: [{ name: 'refreshAPI', bindings: ['this.params.refreshtoken'] }],
      jsObjects: [{ name: 'JSObject1', source: GUIDE_REFRESH }],
    });
  }

  it('runs unmodified: refreshAPI gets this.params, the store takes the answer as the code says', async () => {
    const transport = new FakeTransport({
      // An answer carrying the field names the guide's code reads.
      refreshAPI: () => upstream(200, { accesstoken: 'A2', refreshtoken: 'R2', refresh_token: 'R2-snake' }),
    });
    const { runtime } = start(guideApp(), '/app/demo', transport);
    await runtime.start();
    await run(runtime, "storeValue('refreshtoken', 'R1')");
    await run(runtime, 'JSObject1.refreshAccessToken()');
    await settle();
    expect(transport.runs).toEqual([{ app: 'demo', query: 'refreshAPI', params: { 'this.params.refreshtoken': 'R1' } }]);
    // The guide checks `refreshtoken` but stores `refresh_token`: its bug, faithfully run.
    expect(runtime.store.values.value).toEqual({ refreshtoken: 'R2-snake', accesstoken: 'A2' });
  });

  it('runs unmodified when the refresh fails: the catch logs and the store is untouched', async () => {
    const transport = new FakeTransport({ refreshAPI: () => upstream(400, { msg: 'Invalid Refresh Token' }) });
    const { runtime } = start(guideApp(), '/app/demo', transport);
    await runtime.start();
    await run(runtime, "storeValue('refreshtoken', 'R1')");
    const logged: unknown[][] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void logged.push(args);
    try {
      await run(runtime, 'JSObject1.refreshAccessToken()');
      await settle();
    } finally {
      console.log = original;
    }
    expect(logged.length).toBe(1);
    expect(logged[0]?.[0]).toBe('Error refreshing token:');
    expect(String((logged[0]?.[1] as Error).message)).toContain('Invalid Refresh Token');
    expect(runtime.store.values.value).toEqual({ refreshtoken: 'R1' });
  });

  it('does nothing without a stored refresh token', async () => {
    const transport = new FakeTransport();
    const { runtime } = start(guideApp(), '/app/demo', transport);
    await runtime.start();
    await run(runtime, 'JSObject1.refreshAccessToken()');
    expect(transport.runs).toEqual([]);
  });
});

describe('widget invalidation', () => {
  /** A model whose `text` is fixed, counting how often bindings read it. */
  class Counted implements WidgetModel {
    readonly type = 'Text';
    readonly children: WidgetModel[] = [];
    reads = 0;
    constructor(
      readonly def: WidgetDef,
      private readonly text: string,
    ) {}
    get name(): string {
      return this.def.name;
    }
    read(key: string): unknown {
      this.reads++;
      return key === 'text' ? this.text : undefined;
    }
    reset(): void {}
  }

  it("re-runs a binding only when the model of a widget it reads is replaced, not when another's is", async () => {
    const home = page('Home', { widgets: [widget('a'), widget('b')] });
    const models = new Map<string, Counted>([
      ['a', new Counted(widget('a'), 'A1')],
      ['b', new Counted(widget('b'), 'B1')],
    ]);
    const app = makeApp({ pages: [home] });
    const runtime = new AppRuntime(app, new FakeHost(new FakeTransport(), '/app/demo'), () => ({
      roots: [...models.values()],
      byName: new Map(models),
    }));
    await runtime.start();
    const node = runtime.bind('{{a.text}}');
    expect(node.value).toMatchObject({ ok: true, value: 'A1' });
    const a = models.get('a')!;
    expect(a.reads).toBe(1);

    // The editor's canvas after an edit of b: a new page set in which only b's model is new.
    models.set('b', new Counted(widget('b'), 'B2'));
    await runtime.enterPage(home);
    expect(node.value).toMatchObject({ ok: true, value: 'A1' });
    expect(a.reads).toBe(1);

    models.set('a', new Counted(widget('a'), 'A2'));
    await runtime.enterPage(home);
    expect(node.value).toMatchObject({ ok: true, value: 'A2' });
  });
});

describe('declared protection', () => {
  it('enters a locked page without building it or running its steps: it stays locked', async () => {
    const built: string[] = [];
    const transport = new FakeTransport({ q: () => upstream(200, 1) });
    const locked = page('Secret', { hidden: true, locked: true, onLoad: ['q'] });
    const runtime = new AppRuntime(makeApp({ pages: [page('Home'), locked] }), new FakeHost(transport), (p, rt) => {
      built.push(p.name);
      return stubFactory(p, rt);
    });
    await runtime.start();
    await run(runtime, "navigateTo('Secret', { a: 1 })");
    await settle();
    expect(runtime.view.value).toEqual({ status: 'locked', page: locked });
    expect(built).toEqual(['Home']);
    expect(transport.runs).toEqual([]);
    expect(runtime.evaluator.evaluate('appsmith.URL.queryParams.a')).toBe('1');
  });

  it('locks protected pages and forgets the user once the token the definition was fetched with is gone', async () => {
    const ann = { id: 'u1', email: 'ann@example.com', isAnonymous: false, roles: [] };
    const bob = { id: 'u2', email: 'bob@example.com', isAnonymous: false, roles: [] };
    const secret = page('Secret', { hidden: true, access: 'signedIn' });
    const other = page('Other', { access: 'public' });
    const app = makeApp({ pages: [page('Home'), secret, other], auth: { loginPage: 'Home', tokenStore: 'tok' }, user: ann });
    const { runtime } = start(app);
    await run(runtime, "storeValue('tok', 'A1')");
    runtime.grant(app, 'A1');
    await runtime.start();
    const who = () => runtime.evaluator.evaluate('appsmith.user.email');
    expect([runtime.isOpen(secret), who()]).toEqual([true, 'ann@example.com']);

    await run(runtime, "removeValue('tok')");
    expect([runtime.isOpen(secret), runtime.isOpen(other), who()]).toEqual([false, true, undefined]);
    await run(runtime, "navigateTo('Secret')");
    expect(runtime.view.value).toEqual({ status: 'locked', page: secret });

    // A refreshed token of the same user: open again once its definition is granted.
    await run(runtime, "storeValue('tok', 'A2')");
    expect(runtime.isOpen(secret)).toBe(false);
    runtime.grant(app, 'A2');
    expect([runtime.isOpen(secret), who()]).toEqual([true, 'ann@example.com']);

    // Another user's definition gives the user, but no protected page of this runtime.
    await run(runtime, "storeValue('tok', 'B1')");
    runtime.grant({ ...app, user: bob }, 'B1');
    expect([runtime.isOpen(secret), runtime.isOpen(other), who()]).toEqual([false, true, 'bob@example.com']);
  });

  it('gives appsmith.user: the definition\'s user, or { isAnonymous: true }', () => {
    const user = { id: 'u1', email: 'ann@example.com', isAnonymous: false, roles: ['admin'] };
    expect(start(makeApp({ user })).runtime.evaluator.evaluate('appsmith.user')).toEqual(user);
    expect(start(makeApp({ user: null })).runtime.evaluator.evaluate('appsmith.user')).toEqual({ isAnonymous: true });
    expect(start(makeApp()).runtime.evaluator.evaluate('appsmith.user.isAnonymous')).toBe(true);
    expect(start(makeApp()).runtime.evaluator.evaluate('appsmith.mode')).toBe('VIEW');
  });
});

describe('appsmith.signIn and appsmith.signOut', () => {
  /** A tab that can load a server route as a new document (the browser's host). */
  class TabHost extends FakeHost {
    readonly loaded: string[] = [];
    loadDocument(pathAndQuery: string): void {
      this.loaded.push(pathAndQuery);
    }
  }

  /** An app that signs in by redirect, as the server describes it (no login page, no queries). */
  const OIDC = { loginPage: undefined, tokenStore: undefined, session: { signIn: undefined, refresh: undefined, signOut: undefined }, oidc: true } as const;

  function startInTab(path: string, over: Partial<AppDef> = {}, transport = new FakeTransport()) {
    const host = new TabHost(transport, path);
    const runtime = new AppRuntime(makeApp({ slug: 'my app', auth: OIDC, ...over }), host, stubFactory);
    return { host, runtime };
  }

  it('loads the sign-in route, back to the page named by the argument', async () => {
    const { runtime, host } = startInTab('/app/my%20app/other?next=Home');
    await runtime.start();
    expect(await run(runtime, "appsmith.signIn('Secret')")).toBe(true);
    expect(host.loaded).toEqual(['/app/my%20app/_auth/login?next=Secret']);
    // A full page load, not a page change of the running app.
    expect(host.pushed).toEqual([]);
    expect(viewName(runtime)).toBe('ready:Other');
  });

  it('without an argument, goes back to the page the URL\'s ?next= names, or lets the server choose', async () => {
    const a = startInTab('/app/my%20app/other?next=Secret');
    await a.runtime.start();
    await run(a.runtime, 'appsmith.signIn()');
    expect(a.host.loaded).toEqual(['/app/my%20app/_auth/login?next=Secret']);

    const b = startInTab('/app/my%20app/other?next=https%3A%2F%2Fevil.example');
    await b.runtime.start();
    await run(b.runtime, 'appsmith.signIn()');
    expect(b.host.loaded).toEqual(['/app/my%20app/_auth/login']);

    const c = startInTab('/app/my%20app');
    await c.runtime.start();
    await run(c.runtime, 'appsmith.signIn(appsmith.URL.queryParams.next)');
    expect(c.host.loaded).toEqual(['/app/my%20app/_auth/login']);
  });

  it('refuses a next that is not a page of the app', async () => {
    const { runtime, host } = startInTab('/app/my%20app');
    await runtime.start();
    expect(await run(runtime, "appsmith.signIn('https://evil.example')")).toBe(false);
    expect(runtime.toasts.value.map((t) => [t.type, t.message])).toEqual([
      ['error', 'appsmith.signIn: there is no page named https://evil.example'],
    ]);
    expect(host.loaded).toEqual([]);
  });

  it('loads the sign-out route', async () => {
    const { runtime, host } = startInTab('/app/my%20app/secret');
    await runtime.start();
    await run(runtime, 'appsmith.signOut()');
    expect(host.loaded).toEqual(['/app/my%20app/_auth/logout']);
  });

  it('refuses in an app without sign-in by redirect', async () => {
    const { runtime, host } = startInTab('/app/my%20app', { auth: null });
    await runtime.start();
    expect(await run(runtime, 'appsmith.signIn()')).toBe(false);
    expect(await run(runtime, 'appsmith.signOut()')).toBe(false);
    expect(runtime.toasts.value.map((t) => t.message)).toEqual([
      'appsmith.signIn and appsmith.signOut need sign-in by redirect: auth.oidc in app.yaml',
      'appsmith.signIn and appsmith.signOut need sign-in by redirect: auth.oidc in app.yaml',
    ]);
    expect(host.loaded).toEqual([]);
  });

  it('sends a protected page whose session ended to the provider when the app has no login page', async () => {
    const transport = new FakeTransport({ q: () => ({ ...upstream(200, {}), session: 'ended' }) });
    const user = { id: 'u1', isAnonymous: false, roles: [] };
    const pages = [page('Home'), page('Secret', { access: 'signedIn' })];
    const { runtime, host } = startInTab('/app/my%20app/secret', { pages, user, queries: [{ name: 'q', bindings: [] }] }, transport);
    await runtime.start();
    expect(viewName(runtime)).toBe('ready:Secret');
    await run(runtime, 'q.run()');
    expect(host.loaded).toEqual(['/app/my%20app/_auth/login?next=Secret']);
  });

  it('in a host without full page loads (the editor\'s preview), says where it runs and stays', async () => {
    const { runtime, host } = start(makeApp({ auth: OIDC }));
    await runtime.start();
    expect(await run(runtime, 'appsmith.signIn()')).toBe(true);
    expect(await run(runtime, 'appsmith.signOut()')).toBe(true);
    expect(runtime.toasts.value.map((t) => [t.type, t.message])).toEqual([
      ['info', 'Sign-in by redirect runs in the published app'],
      ['info', 'Sign-out by redirect runs in the published app'],
    ]);
    expect(host.pushed).toEqual([]);
    expect(host.opened).toEqual([]);
    expect(viewName(runtime)).toBe('ready:Home');
  });
});
