// @vitest-environment happy-dom
// @vitest-environment-options {"url": "http://localhost:8080/app/demo"}
/**
 * A protected app in the viewer against a fake server: the token from the store on every
 * request, locked pages fetched again and opened or sent to the login page, `appsmith.user`.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { storageKey } from '../runtime/index.ts';
import { tokenKeyHint } from './session.ts';
import { Viewer } from './Viewer.tsx';

const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000 });

let root: HTMLElement;
let observer: MutationObserver;
/** Every page the DOM showed, in order (`data-page` of each page element ever added). */
let pagesShown: string[];

beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
  window.localStorage.clear();
  window.history.replaceState(null, '', '/app/demo');
  pagesShown = [];
  observer = new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        for (const el of [n, ...n.querySelectorAll('[data-page]')]) {
          const name = el.getAttribute('data-page');
          if (name !== null) pagesShown.push(name);
        }
      }
    }
  });
  observer.observe(root, { childList: true, subtree: true });
});
afterEach(() => {
  observer.disconnect();
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

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
  ],
};
const DASHBOARD_OPEN = {
  name: 'Dashboard',
  slug: 'dashboard',
  hidden: true,
  access: 'signedIn',
  onLoad: ['get_user'],
  widgets: [text('txt_dash', 'Hello {{ appsmith.user.email }}, {{ get_user.data.plan }}')],
};
const DASHBOARD_LOCKED = { name: 'Dashboard', slug: 'dashboard', hidden: true, access: 'signedIn', locked: true };
const USER = { id: 'u1', email: 'ann@example.com', name: 'Ann', username: 'ann', isAnonymous: false, roles: [], claims: {} };

/** The protected app as the server sends it to an anonymous caller, or to the holder of T1. */
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

/** A fake lowkey server: T1 is the only valid token. Records every request. */
function fakeServer(validToken: string | null = 'T1') {
  const requests: Request[] = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const authorization = new Headers(init?.headers).get('Authorization');
    requests.push({ url, authorization });
    const signedIn = validToken !== null && authorization === `Bearer ${validToken}`;
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
    const requests = fakeServer();
    persistToken('T1');
    window.localStorage.setItem(tokenKeyHint('demo'), 'accesstoken');
    window.history.replaceState(null, '', '/app/demo/dashboard');
    render(<Viewer />, root);
    await waitFor(() => expect(widgetText('txt_dash')).toBe('Hello ann@example.com, pro'));
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
    const requests = fakeServer(null);
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
