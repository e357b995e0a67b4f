import { describe, expect, it } from 'vitest';
import { parseAppDef, storeToken, type AppDef } from './app.ts';

/** An app as a server without declared protection sends it (format version 1). */
const OLD = {
  name: 'Demo',
  slug: 'demo',
  homePage: 'Home',
  pages: [{ name: 'Home', slug: 'home', hidden: false, onLoad: [], widgets: [] }],
  queries: [{ name: 'q', bindings: ['x'] }],
  jsObjects: [],
};

/** The same app protected, as an anonymous caller gets it. */
const PROTECTED = {
  ...OLD,
  homePage: 'LoginPage',
  auth: { loginPage: 'LoginPage', token: { store: 'accesstoken' } },
  user: null,
  pages: [
    { name: 'LoginPage', slug: 'login-page', hidden: false, access: 'public', onLoad: [], widgets: [] },
    { name: 'Dashboard', slug: 'dashboard', hidden: true, access: 'signedIn', locked: true },
    { name: 'Admin', slug: 'admin', hidden: false, access: { roles: ['admin'] }, locked: true },
  ],
  queries: [
    { name: 'sign_in', access: 'public', bindings: ['inp.text'] },
    { name: 'get_user', access: 'signedIn', locked: true },
  ],
};

function parsed(json: unknown): AppDef {
  const r = parseAppDef(json);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.app;
}

describe('parseAppDef: declared protection', () => {
  it('reads an old-shape definition as unprotected, everything public and open', () => {
    const app = parsed(OLD);
    expect(app.auth).toBeNull();
    expect(app.user).toBeNull();
    expect(app.pages[0]).toMatchObject({ access: 'public', locked: false, onLoad: [], widgets: [] });
    expect(app.queries[0]).toEqual({ name: 'q', bindings: ['x'], access: 'public', locked: false });
  });

  it('reads auth, per-page and per-query access and locked, with no widgets for a locked page', () => {
    const app = parsed(PROTECTED);
    expect(app.auth).toEqual({ loginPage: 'LoginPage', tokenStore: 'accesstoken' });
    expect(app.pages.map((p) => [p.name, p.access, p.locked])).toEqual([
      ['LoginPage', 'public', false],
      ['Dashboard', 'signedIn', true],
      ['Admin', { roles: ['admin'] }, true],
    ]);
    expect(app.pages[1]).toMatchObject({ onLoad: [], widgets: [] });
    expect(app.queries).toEqual([
      { name: 'sign_in', bindings: ['inp.text'], access: 'public', locked: false },
      { name: 'get_user', bindings: [], access: 'signedIn', locked: true },
    ]);
  });

  it('keeps every field of the user, frozen, with isAnonymous and roles checked', () => {
    const app = parsed({
      ...PROTECTED,
      user: { id: 'u1', email: 'ann@example.com', name: 'Ann', username: 'ann', isAnonymous: false, roles: ['admin'], claims: { role: 'admin' } },
    });
    expect(app.user).toEqual({
      id: 'u1',
      email: 'ann@example.com',
      name: 'Ann',
      username: 'ann',
      isAnonymous: false,
      roles: ['admin'],
      claims: { role: 'admin' },
    });
    expect(Object.isFrozen(app.user)).toBe(true);
    expect(Object.isFrozen(app.user?.claims)).toBe(true);
    // Missing fields get their defaults.
    expect(parsed({ ...PROTECTED, user: { id: 'u2' } }).user).toEqual({ id: 'u2', isAnonymous: false, roles: [] });
  });

  it('reads session mode: no token key, the session queries, optional ones undefined', () => {
    const session = (s: unknown) => parsed({ ...PROTECTED, auth: { loginPage: 'LoginPage', token: 'session', session: s } }).auth;
    expect(session({ signIn: 'sign_in', refresh: 'refreshAPI', signOut: 'revokeAPI' })).toEqual({
      loginPage: 'LoginPage',
      tokenStore: undefined,
      refresh: undefined,
      session: { signIn: 'sign_in', refresh: 'refreshAPI', signOut: 'revokeAPI' },
    });
    expect(session({ signIn: 'sign_in' })?.session).toStrictEqual({ signIn: 'sign_in', refresh: undefined, signOut: undefined });
  });

  it('reads store mode\'s declared refresh, with or without expiresIn', () => {
    const store = { accesstoken: 'access_token', refreshtoken: 'refresh_token' };
    const auth = (refresh: unknown) =>
      parsed({ ...PROTECTED, auth: { loginPage: 'LoginPage', token: { store: 'accesstoken' }, refresh } }).auth;
    expect(auth({ query: 'refreshAPI', store, expiresIn: 'expires_in' })).toEqual({
      loginPage: 'LoginPage',
      tokenStore: 'accesstoken',
      refresh: { query: 'refreshAPI', store, expiresIn: 'expires_in' },
      session: undefined,
    });
    expect(auth({ query: 'refreshAPI', store })?.refresh).toStrictEqual({ query: 'refreshAPI', store, expiresIn: undefined });
    expect(parsed(PROTECTED).auth?.refresh).toBeUndefined();
  });

  it('reads sign-in by redirect (oidc): session mode without queries, the login page optional', () => {
    const auth = (a: unknown) => parsed({ ...PROTECTED, auth: a }).auth;
    expect(auth({ token: 'session', oidc: true })).toStrictEqual({
      loginPage: undefined,
      tokenStore: undefined,
      refresh: undefined,
      session: { signIn: undefined, refresh: undefined, signOut: undefined },
      oidc: true,
    });
    expect(auth({ loginPage: 'LoginPage', token: 'session', oidc: true })?.loginPage).toBe('LoginPage');
    expect(auth({ loginPage: 'LoginPage', token: 'session', session: { signIn: 'sign_in' } })?.oidc).toBeUndefined();
    const r = parseAppDef({ ...PROTECTED, auth: { loginPage: 3, token: 'session', oidc: true } });
    expect(!r.ok && r.problems).toEqual(['auth.loginPage is not a string']);
  });

  it('refuses a session without its sign-in query, and a refresh that cannot store the token', () => {
    const problems = (auth: unknown) => {
      const r = parseAppDef({ ...PROTECTED, auth });
      return r.ok ? [] : r.problems;
    };
    expect(problems({ loginPage: 'LoginPage', token: 'session' })).toEqual(['auth.session is not an object', 'auth.session.signIn is not a string']);
    expect(problems({ loginPage: 'LoginPage', token: 'session', session: { signIn: 'sign_in', signOut: 3 } })).toEqual([
      'auth.session.signOut is not a string',
    ]);
    expect(
      problems({ loginPage: 'LoginPage', token: { store: 'accesstoken' }, refresh: { query: 'r', store: { refreshtoken: 'refresh_token' } } }),
    ).toEqual(['auth.refresh.store has no "accesstoken"']);
    expect(problems({ loginPage: 'LoginPage', token: 'session', session: { signIn: 's' }, refresh: { query: 'r', store: { a: 'b' } } })).toEqual([
      'auth.refresh needs token: { store: <key> }',
    ]);
    expect(problems({ loginPage: 'LoginPage', token: { store: 'a' }, refresh: { store: { a: 1 } } })).toEqual([
      'auth.refresh.query is not a string',
      'auth.refresh.store.a is not a string',
    ]);
  });

  it('refuses malformed protection fields, saying where', () => {
    const r = parseAppDef({
      ...PROTECTED,
      auth: { token: { store: 'accesstoken' } },
      pages: [{ ...PROTECTED.pages[0], access: 'everyone' }],
      queries: [{ name: 'q', access: { roles: [1] } }],
      user: { roles: 'admin' },
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([
      'pages[0].access is not "public", "signedIn" or { roles: [...] }',
      'queries[0].access.roles[0] is not a string',
      'auth.loginPage is not a string',
      'user.roles is not a list',
    ]);
  });
});

describe('storeToken', () => {
  it('is the store value under the key when it is a non-empty string', () => {
    expect(storeToken({ accesstoken: 'T1' }, 'accesstoken')).toBe('T1');
    expect(storeToken({ accesstoken: '' }, 'accesstoken')).toBeUndefined();
    expect(storeToken({ accesstoken: 42 }, 'accesstoken')).toBeUndefined();
    expect(storeToken({}, 'accesstoken')).toBeUndefined();
    expect(storeToken({ accesstoken: 'T1' }, undefined)).toBeUndefined();
  });
});
