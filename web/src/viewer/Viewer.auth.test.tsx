// @vitest-environment happy-dom
// @vitest-environment-options {"url": "http://localhost:8080/app/demo"}
/**
 * A protected app in the viewer against a fake server: the token from the store on every
 * request, locked pages fetched again and opened or sent to the login page, `appsmith.user`;
 * in session mode no Authorization ever and nothing in storage, the `X-Lowkey-Session` header
 * moving the session marker, another tab's sign-out; a declared refresh retrying after a 401.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sessionChannelName, storageKey } from '../runtime/index.ts';
import { tokenKeyHint } from './session.ts';
import { Viewer } from './Viewer.tsx';

const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000 });

let root: HTMLElement;
let observer: MutationObserver;
/** Every page the DOM showed, in order (`data-page` of each page element added, or set on one). */
let pagesShown: string[];
/** Every widget the DOM showed, in order (`data-widget`, the same way). */
let widgetsShown: string[];

beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
  window.localStorage.clear();
  window.history.replaceState(null, '', '/app/demo');
  pagesShown = [];
  widgetsShown = [];
  observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target instanceof Element && r.attributeName) {
        const value = r.target.getAttribute(r.attributeName);
        if (value !== null) (r.attributeName === 'data-page' ? pagesShown : widgetsShown).push(value);
      }
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        for (const el of [n, ...n.querySelectorAll('[data-page]')]) {
          const name = el.getAttribute('data-page');
          if (name !== null) pagesShown.push(name);
        }
        for (const el of [n, ...n.querySelectorAll('[data-widget]')]) {
          const name = el.getAttribute('data-widget');
          if (name !== null) widgetsShown.push(name);
        }
      }
    }
  });
  observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-page', 'data-widget'] });
});
afterEach(() => {
  observer.disconnect();
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});

/** A JSON answer; `session`: its `X-Lowkey-Session` header. */
const json = (status: number, body: unknown, session?: string) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...(session ? { 'X-Lowkey-Session': session } : {}) },
  });

const text = (name: string, value: string) => ({
  name,
  type: 'Text',
  position: { col: 0, row: 0, width: 20, height: 4 },
  props: { text: value },
  children: [],
});

const button = (name: string, label: string, onClick: string) => ({
  name,
  type: 'Button',
  position: { col: 0, row: 5, width: 10, height: 4 },
  props: { text: label, onClick },
  children: [],
});

const LOGIN_PAGE = {
  name: 'LoginPage',
  slug: 'login-page',
  hidden: false,
  access: 'public',
  onLoad: [],
  widgets: [
    text('txt_who', "{{ appsmith.user.isAnonymous ? 'anonymous' : appsmith.user.email }}"),
    text('txt_next', '{{ appsmith.URL.queryParams.next }}'),
    button('btn_sign_in', 'Sign in', "{{ storeValue('accesstoken', 'T1'); navigateTo('Dashboard') }}"),
    button('btn_go', 'Go to the dashboard', "{{ navigateTo('Dashboard') }}"),
  ],
};
const DASHBOARD_OPEN = {
  name: 'Dashboard',
  slug: 'dashboard',
  hidden: true,
  access: 'signedIn',
  onLoad: ['get_user'],
  widgets: [
    text('txt_dash', 'Hello {{ appsmith.user.email }}, {{ get_user.data.plan }}'),
    text('txt_dash_who', "{{ appsmith.user.isAnonymous ? 'anonymous' : appsmith.user.email }}"),
    button('btn_forget', 'Forget me', '{{ clearStore() }}'),
    button('btn_sign_out', 'Sign out', "{{ clearStore(); navigateTo('Dashboard') }}"),
    button('btn_refresh', 'Refresh', "{{ storeValue('accesstoken', 'T1b') }}"),
    button('btn_home', 'Home', "{{ navigateTo('LoginPage') }}"),
  ],
};
const DASHBOARD_LOCKED = { name: 'Dashboard', slug: 'dashboard', hidden: true, access: 'signedIn', locked: true };
const USER = { id: 'u1', email: 'ann@example.com', name: 'Ann', username: 'ann', isAnonymous: false, roles: [], claims: {} };
/** Valid tokens and their users: T1b is a refreshed token of T1's session. */
const SESSIONS: Readonly<Record<string, typeof USER>> = { T1: USER, T1b: USER };

/** The protected app as the server sends it to an anonymous caller, or to Ann. */
function definition(signedIn: boolean) {
  return {
    name: 'Demo',
    slug: 'demo',
    homePage: 'LoginPage',
    auth: { loginPage: 'LoginPage', token: { store: 'accesstoken' } },
    user: signedIn ? USER : null,
    pages: [LOGIN_PAGE, signedIn ? DASHBOARD_OPEN : DASHBOARD_LOCKED],
    queries: [
      { name: 'sign_in', access: 'public', bindings: [] },
      signedIn ? { name: 'get_user', access: 'signedIn', bindings: [] } : { name: 'get_user', access: 'signedIn', locked: true },
    ],
    jsObjects: [],
  };
}

interface Request {
  url: string;
  authorization: string | null;
}

/** A fake lowkey server accepting the tokens of `sessions`. Records every request. */
function fakeServer(sessions: Readonly<Record<string, typeof USER>> = SESSIONS) {
  const requests: Request[] = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const authorization = new Headers(init?.headers).get('Authorization');
    requests.push({ url, authorization });
    const token = authorization?.replace(/^Bearer /, '');
    const signedIn = token !== undefined && Object.hasOwn(sessions, token);
    if (url === '/api/v1/apps/demo') return json(200, definition(signedIn));
    if (url === '/api/v1/apps/demo/queries/get_user/run') {
      if (!signedIn) return json(401, { error: { code: 'not_signed_in', message: 'Sign in first' } });
      return json(200, { status: 200, headers: {}, body: { plan: 'pro' }, durationMs: 1 });
    }
    return json(404, { error: { code: 'not_found', message: url } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return requests;
}

function buttonNamed(name: string): HTMLButtonElement {
  const found = [...root.querySelectorAll('button')].find((b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name);
  if (!found) throw new Error(`no button "${name}"`);
  return found;
}

const widgetText = (name: string) => root.querySelector(`[data-widget="${name}"]`)?.textContent;
const persistToken = (token: string) => window.localStorage.setItem(storageKey('demo'), JSON.stringify({ accesstoken: token }));
const here = () => `${window.location.pathname}${window.location.search}`;

/** Opens /app/demo/dashboard with Ann's T1 stored (and its key known); resolves once it shows. */
async function showDashboardAsAnn(): Promise<Request[]> {
  const requests = fakeServer();
  persistToken('T1');
  window.localStorage.setItem(tokenKeyHint('demo'), 'accesstoken');
  window.history.replaceState(null, '', '/app/demo/dashboard');
  render(<Viewer />, root);
  await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
  return requests;
}

describe('Viewer with a protected app', () => {
  it('sends no token while the store has none, and shows appsmith.user as anonymous', async () => {
    const requests = fakeServer();
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_who')).toBe('anonymous'));
    expect(requests).toEqual([{ url: '/api/v1/apps/demo', authorization: null }]);
    // The key is remembered for the next visit; the token itself is only in the store.
    expect(window.localStorage.getItem(tokenKeyHint('demo'))).toBe('accesstoken');
  });

  it('sends the stored token with the definition request and every query run', async () => {
    const requests = await showDashboardAsAnn();
    expect(requests).toEqual([
      { url: '/api/v1/apps/demo', authorization: 'Bearer T1' },
      { url: '/api/v1/apps/demo/queries/get_user/run', authorization: 'Bearer T1' },
    ]);
    expect(pagesShown).toEqual(['Dashboard']);
  });

  it('asks again with the token when the first request could not know its store key', async () => {
    const requests = fakeServer();
    persistToken('T1');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_who')).toBe('ann@example.com'));
    expect(requests.map((r) => r.authorization)).toEqual([null, 'Bearer T1']);
  });

  it('opens a locked page after signing in: the definition is fetched again with the new token', async () => {
    const requests = fakeServer();
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_who')).toBe('anonymous'));
    const before = window.history.length;
    buttonNamed('Sign in').click();
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
    expect(requests).toEqual([
      { url: '/api/v1/apps/demo', authorization: null },
      { url: '/api/v1/apps/demo', authorization: 'Bearer T1' },
      { url: '/api/v1/apps/demo/queries/get_user/run', authorization: 'Bearer T1' },
    ]);
    expect(here()).toBe('/app/demo/dashboard');
    expect(window.history.length).toBe(before + 1);
    expect(pagesShown).toEqual(['LoginPage', 'Dashboard']);
    expect(document.title).toBe('Dashboard · Demo');
  });

  it('sends an anonymous user from a locked page to the login page with ?next=, replacing the entry', async () => {
    const requests = fakeServer();
    window.history.replaceState(null, '', '/app/demo/dashboard');
    const before = window.history.length;
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_next')).toBe('Dashboard'));
    expect(here()).toBe('/app/demo/login-page?next=Dashboard');
    expect(window.history.length).toBe(before);
    expect(requests.map((r) => [r.url, r.authorization])).toEqual([
      ['/api/v1/apps/demo', null],
      ['/api/v1/apps/demo', null],
    ]);
    expect(pagesShown).toEqual(['LoginPage']);
    expect(root.querySelector('[data-widget="txt_dash"]')).toBeNull();
  });

  it('sends the user to the login page when the stored token is no longer accepted', async () => {
    const requests = fakeServer({});
    persistToken('expired');
    window.localStorage.setItem(tokenKeyHint('demo'), 'accesstoken');
    window.history.replaceState(null, '', '/app/demo/dashboard');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_next')).toBe('Dashboard'));
    expect(requests.map((r) => r.authorization)).toEqual(['Bearer expired', 'Bearer expired']);
    expect(pagesShown).toEqual(['LoginPage']);
  });

  it('tells a signed-in user without the role that the page is not for them', async () => {
    fakeServer();
    persistToken('T1');
    const admin = { ...DASHBOARD_LOCKED, name: 'Admin', slug: 'admin', access: { roles: ['admin'] } };
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(200, { ...definition(true), pages: [LOGIN_PAGE, DASHBOARD_OPEN, admin] })),
    );
    window.history.replaceState(null, '', '/app/demo/admin');
    render(<Viewer />, root);
    await waitFor(() => expect(root.querySelector('[role="alert"] h1')?.textContent).toBe('You cannot open this page'));
    expect(root.querySelector('[role="alert"] p')?.textContent).toBe('Your account may not open the page "Admin" of "Demo".');
    expect(here()).toBe('/app/demo/admin');
    expect(pagesShown).toEqual([]);
  });
});

describe('Viewer when the token the definition was fetched with is gone', () => {
  /** Shows the Dashboard as Ann, then forgets what was requested and shown so far. */
  async function openDashboard(): Promise<Request[]> {
    const requests = await showDashboardAsAnn();
    expect(widgetText('txt_dash_who')).toBe('ann@example.com');
    requests.length = 0;
    pagesShown = [];
    widgetsShown = [];
    return requests;
  }

  /** After signing out: the next entry of the Dashboard lands on the login page, no Dashboard widget on the way. */
  async function expectSentToLogin(requests: Request[]): Promise<void> {
    await waitFor(() => expect(widgetText('txt_next')).toBe('Dashboard'));
    expect(here()).toBe('/app/demo/login-page?next=Dashboard');
    expect(widgetText('txt_who')).toBe('anonymous');
    expect(pagesShown).toEqual(['LoginPage']);
    expect(widgetsShown).toEqual(['txt_who', 'txt_next', 'btn_sign_in', 'btn_go']);
    expect(requests).toEqual([{ url: '/api/v1/apps/demo', authorization: null }]);
  }

  it('sends a signed-out user entering a protected page to the login page, never rendering it', async () => {
    const requests = await openDashboard();
    buttonNamed('Sign out').click(); // clearStore(); navigateTo('Dashboard')
    await expectSentToLogin(requests);
  });

  it('makes appsmith.user anonymous at once, keeps the page shown, and locks the page for later', async () => {
    const requests = await openDashboard();
    const shown = root.querySelector('[data-page="Dashboard"]');
    buttonNamed('Forget me').click(); // clearStore()
    await waitFor(() => expect(widgetText('txt_dash_who')).toBe('anonymous'));
    expect(root.querySelector('[data-page="Dashboard"]')).toBe(shown);
    expect(requests).toEqual([]);
    buttonNamed('Home').click();
    await waitFor(() => expect(widgetText('txt_who')).toBe('anonymous'));
    pagesShown = [];
    widgetsShown = [];
    buttonNamed('Go to the dashboard').click();
    await expectSentToLogin(requests);
  });

  it('does the same when another tab signs out (the storage event), and Back to the page goes to login', async () => {
    const requests = await openDashboard();
    window.localStorage.removeItem(storageKey('demo'));
    window.dispatchEvent(new StorageEvent('storage', { key: storageKey('demo') }));
    await waitFor(() => expect(widgetText('txt_dash_who')).toBe('anonymous'));
    expect(pagesShown).toEqual([]);
    buttonNamed('Home').click();
    await waitFor(() => expect(widgetText('txt_who')).toBe('anonymous'));
    pagesShown = [];
    widgetsShown = [];
    // Back (or forward) onto the Dashboard's address.
    window.history.pushState(null, '', '/app/demo/dashboard');
    window.dispatchEvent(new PopStateEvent('popstate'));
    await expectSentToLogin(requests);
  });

  it('keeps the page shown through a refreshed token of the same user, and enters it again without a restart', async () => {
    const requests = await openDashboard();
    const shown = root.querySelector('[data-page="Dashboard"]');
    buttonNamed('Refresh').click(); // storeValue('accesstoken', 'T1b')
    await waitFor(() => expect(requests).toEqual([{ url: '/api/v1/apps/demo', authorization: 'Bearer T1b' }]));
    await waitFor(() => expect(widgetText('txt_dash_who')).toBe('ann@example.com'));
    expect(root.querySelector('[data-page="Dashboard"]')).toBe(shown);
    expect(pagesShown).toEqual([]);

    buttonNamed('Home').click();
    await waitFor(() => expect(widgetText('txt_who')).toBe('ann@example.com'));
    buttonNamed('Go to the dashboard').click();
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
    // Opened by the granted definition: no second definition request, the new token on the query.
    expect(requests).toEqual([
      { url: '/api/v1/apps/demo', authorization: 'Bearer T1b' },
      { url: '/api/v1/apps/demo/queries/get_user/run', authorization: 'Bearer T1b' },
    ]);
    expect(pagesShown).toEqual(['LoginPage', 'Dashboard']);
  });
});

/** A query run's answer (HTTP 200, upstream 200). */
const ran = (body: unknown, session?: string) => json(200, { status: 200, headers: {}, body, durationMs: 1 }, session);

/** `page` with the button `name` doing `onClick` instead. */
const withClick = <P extends { widgets: ReturnType<typeof text>[] }>(page: P, name: string, onClick: string): P => ({
  ...page,
  widgets: page.widgets.map((w) => (w.name === name ? { ...w, props: { ...w.props, onClick } } : w)),
});
/** The same pages for an app in session mode: sign-in and sign-out run the session's queries. */
const SESSION_LOGIN_PAGE = withClick(LOGIN_PAGE, 'btn_sign_in', "{{ await sign_in.run(); navigateTo('Dashboard') }}");
const SESSION_DASHBOARD = withClick(DASHBOARD_OPEN, 'btn_sign_out', "{{ await revokeAPI.run(); navigateTo('LoginPage') }}");

/** The app with `auth` as the server sends it to an anonymous caller, or to Ann. */
function definitionWith(auth: unknown, signedIn: boolean) {
  return {
    name: 'Demo',
    slug: 'demo',
    homePage: 'LoginPage',
    auth,
    user: signedIn ? USER : null,
    pages: [SESSION_LOGIN_PAGE, signedIn ? SESSION_DASHBOARD : DASHBOARD_LOCKED],
    queries: [
      { name: 'sign_in', bindings: [] },
      { name: 'revokeAPI', bindings: [] },
      { name: 'refreshAPI', bindings: ['appsmith.store.refreshtoken'] },
      signedIn ? { name: 'get_user', access: 'signedIn', bindings: [] } : { name: 'get_user', access: 'signedIn', locked: true },
    ],
    jsObjects: [],
  };
}

/** A request by what it calls: `definition` or the query's name. */
interface Call {
  call: string;
  authorization: string | null;
}
const call = (url: string) => url.replace('/api/v1/apps/demo', '').replace(/\/queries\/(\w+)\/run$/, '$1') || 'definition';

/** A lowkey server for an app in session mode: the "cookie" is its `live` flag. */
function sessionServer(live: boolean) {
  const state = { live, requests: [] as Call[] };
  const auth = { loginPage: 'LoginPage', token: 'session', session: { signIn: 'sign_in', signOut: 'revokeAPI' } };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      state.requests.push({ call: call(url), authorization: new Headers(init?.headers).get('Authorization') });
      switch (call(url)) {
        case 'definition':
          return json(200, definitionWith(auth, state.live));
        case 'sign_in':
          state.live = true;
          // The server keeps the tokens: the answer has none.
          return ran({ user: { email: USER.email } }, 'started');
        case 'revokeAPI':
          state.live = false;
          return ran({}, 'ended');
        case 'get_user':
          return state.live
            ? ran({ plan: 'pro' })
            : json(401, { error: { code: 'not_signed_in', message: 'Sign in first' } }, 'ended');
      }
      return json(404, { error: { code: 'not_found', message: url } });
    }),
  );
  return state;
}

/** Everything the tab keeps where JavaScript can read it. */
function browserState(): string {
  const items = (s: Storage) => Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i) ?? '')]);
  return JSON.stringify({ local: items(window.localStorage), session: items(window.sessionStorage), cookie: document.cookie });
}

describe('Viewer in session mode', () => {
  it('signs in with the cookie alone: no Authorization, the definition fetched again, the Dashboard open', async () => {
    const server = sessionServer(false);
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_who')).toBe('anonymous'));
    buttonNamed('Sign in').click();
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
    expect(here()).toBe('/app/demo/dashboard');
    expect(server.requests).toEqual([
      { call: 'definition', authorization: null },
      { call: 'sign_in', authorization: null },
      { call: 'definition', authorization: null },
      { call: 'get_user', authorization: null },
    ]);
    expect(browserState()).not.toMatch(/lowkey-session|access_token|Bearer/);
  });

  it('opens the Dashboard of a live session at once, and signs out: the user anonymous, no Authorization', async () => {
    const server = sessionServer(true);
    window.history.replaceState(null, '', '/app/demo/dashboard');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
    buttonNamed('Sign out').click();
    await waitFor(() => expect(widgetText('txt_who')).toBe('anonymous'));
    expect(here()).toBe('/app/demo/login-page');
    expect(server.requests).toEqual([
      { call: 'definition', authorization: null },
      { call: 'get_user', authorization: null },
      { call: 'revokeAPI', authorization: null },
    ]);
    expect(window.localStorage.length).toBe(0);
  });

  it("follows another tab's sign-out: the Dashboard gives way to the login page with ?next=", async () => {
    sessionServer(true);
    window.history.replaceState(null, '', '/app/demo/dashboard');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_dash_who')).toBe('ann@example.com'));
    const otherTab = new BroadcastChannel(sessionChannelName('demo'));
    otherTab.postMessage('ended');
    otherTab.close();
    await waitFor(() => expect(widgetText('txt_next')).toBe('Dashboard'));
    expect(here()).toBe('/app/demo/login-page?next=Dashboard');
    expect(widgetText('txt_who')).toBe('anonymous');
    expect(root.querySelector('[data-widget="txt_dash"]')).toBeNull();
  });
});

describe('Viewer with sign-in by redirect (oidc) and no login page', () => {
  /** The server's definition of such an app (session mode without queries), for Ann or anonymous. */
  function oidcServer(live: boolean) {
    const requests: string[] = [];
    const def = (signedIn: boolean) => ({
      ...definitionWith({ token: 'session', oidc: true }, signedIn),
      homePage: 'Dashboard',
      pages: [signedIn ? DASHBOARD_OPEN : DASHBOARD_LOCKED],
      queries: [signedIn ? { name: 'get_user', access: 'signedIn', bindings: [] } : { name: 'get_user', access: 'signedIn', locked: true }],
    });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        requests.push(call(url));
        if (call(url) === 'definition') return json(200, def(live));
        if (call(url) === 'get_user') return live ? ran({ plan: 'pro' }) : json(401, { error: { code: 'not_signed_in', message: 'Sign in first' } }, 'ended');
        return json(404, { error: { code: 'not_found', message: url } });
      }),
    );
    return requests;
  }

  it('sends an anonymous visitor of a protected page to the provider, back to that page, never rendering it', async () => {
    const requests = oidcServer(false);
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    try {
      window.history.replaceState(null, '', '/app/demo/dashboard');
      render(<Viewer />, root);
      await waitFor(() => expect(assign).toHaveBeenCalledWith('/app/demo/_auth/login?next=Dashboard'));
      expect(assign).toHaveBeenCalledTimes(1);
      expect(requests).toEqual(['definition', 'definition']);
      expect(pagesShown).toEqual([]);
      expect(root.querySelector('[data-error-screen]')).toBeNull();
    } finally {
      assign.mockRestore();
    }
  });

  it('opens the page for a live session', async () => {
    oidcServer(true);
    window.history.replaceState(null, '', '/app/demo/dashboard');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
  });

  it('does not go again at once after a failed sign-in (?auth_error=): says so, with a link to try again', async () => {
    oidcServer(false);
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    try {
      window.history.replaceState(null, '', '/app/demo?auth_error=access_denied');
      render(<Viewer />, root);
      await waitFor(() => expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('You are not signed in'));
      expect(root.querySelector('[data-error-screen] p')?.textContent).toContain('access_denied');
      const link = [...root.querySelectorAll('a')].find((a) => a.textContent === 'Sign in');
      expect(link?.getAttribute('href')).toBe('/app/demo/_auth/login?next=Dashboard');
      expect(assign).not.toHaveBeenCalled();
    } finally {
      assign.mockRestore();
    }
  });
});

describe('Viewer in store mode with a declared refresh', () => {
  it('refreshes after a 401 and runs the query again with the fresh Bearer token', async () => {
    const requests: Call[] = [];
    const valid = new Set(['T2']);
    const auth = {
      loginPage: 'LoginPage',
      token: { store: 'accesstoken' },
      refresh: { query: 'refreshAPI', store: { accesstoken: 'access_token', refreshtoken: 'refresh_token' } },
    };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        const authorization = new Headers(init?.headers).get('Authorization');
        requests.push({ call: call(url), authorization });
        const token = authorization?.replace('Bearer ', '') ?? '';
        switch (call(url)) {
          case 'definition':
            // T1 is still accepted for the definition (it expires between the two requests).
            return json(200, definitionWith(auth, token === 'T1' || valid.has(token)));
          case 'refreshAPI': {
            const sent = (JSON.parse(String(init?.body)) as { params: Record<string, unknown> }).params;
            return sent['appsmith.store.refreshtoken'] === 'R1'
              ? ran({ access_token: 'T2', refresh_token: 'R2' })
              : ran({ error: 'invalid_grant' });
          }
          case 'get_user':
            return valid.has(token) ? ran({ plan: 'pro' }) : json(401, { error: { code: 'not_signed_in', message: 'expired' } });
        }
        return json(404, {});
      }),
    );
    window.localStorage.setItem(storageKey('demo'), JSON.stringify({ accesstoken: 'T1', refreshtoken: 'R1' }));
    window.history.replaceState(null, '', '/app/demo/dashboard');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
    await waitFor(() => expect(requests).toHaveLength(6));
    expect(requests).toEqual([
      { call: 'definition', authorization: null },
      { call: 'definition', authorization: 'Bearer T1' },
      { call: 'get_user', authorization: 'Bearer T1' },
      { call: 'refreshAPI', authorization: 'Bearer T1' },
      // The new token's definition, granted in the background (the page stays), then the retry.
      { call: 'definition', authorization: 'Bearer T2' },
      { call: 'get_user', authorization: 'Bearer T2' },
    ]);
    expect(JSON.parse(window.localStorage.getItem(storageKey('demo')) ?? '{}')).toEqual({ accesstoken: 'T2', refreshtoken: 'R2' });
  });
});
