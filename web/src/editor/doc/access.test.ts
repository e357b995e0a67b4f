import { describe, expect, it } from 'vitest';
import * as access from './access.ts';
import * as code from './codeCommands.ts';
import { authApp, loginApp } from './fixture.ts';
import { applyChange, applyWithInverse, OpError } from './ops.ts';
import type { AppDoc, Change } from './types.ts';

function roundTrip(doc: AppDoc, change: Change): AppDoc {
  const { doc: next, inverse } = applyWithInverse(doc, change);
  expect(applyChange(next, inverse)).toEqual(doc);
  return next;
}

const form = (doc: AppDoc, over: Partial<access.AuthForm> = {}): access.AuthForm => ({ ...access.authForm(doc), loginPage: 'LoginPage', ...over });

describe('protection in the editor', () => {
  it('refuses a protected page or query until the app has sign-in', () => {
    const doc = loginApp();
    expect(() => access.setPageAccess(doc, 'Dashboard', 'signedIn')).toThrow(/Set up the app's sign-in first/);
    expect(() => access.queryAccessPatch(doc, 'login', 'signedIn')).toThrow(OpError);
  });

  it('sets up sign-in, protects a page and a query, and undo takes each back', () => {
    let doc = roundTrip(loginApp(), access.setAppAuth(loginApp(), form(loginApp())));
    expect(doc.auth).toEqual({ loginPage: 'LoginPage', verify: 'builtin', token: { store: 'accesstoken' } });
    doc = roundTrip(doc, access.setPageAccess(doc, 'Dashboard', 'signedIn'));
    expect(doc.pages[1]?.access).toBe('signedIn');
    doc = roundTrip(doc, access.setPageAccess(doc, 'Dashboard', { roles: ['admin', 'ops'] }));
    expect(access.describeAccess(access.accessOf(doc.pages[1]?.access))).toBe('Users with the role admin or ops');
    doc = roundTrip(doc, code.updateQuery(doc, 'login', access.queryAccessPatch(doc, 'login', 'signedIn'), 'access'));
    expect(doc.queries[0]?.access).toBe('signedIn');
    // Public again: the field is gone, as the server writes it.
    doc = roundTrip(doc, access.setPageAccess(doc, 'Dashboard', 'public'));
    expect('access' in (doc.pages[1] ?? {})).toBe(false);
  });

  it('keeps the login page and the userinfo query open, and needs roles', () => {
    let doc = applyChange(loginApp(), access.setAppAuth(loginApp(), form(loginApp())));
    expect(() => access.setPageAccess(doc, 'LoginPage', 'signedIn')).toThrow('LoginPage is the login page: it must stay open to everyone.');
    expect(() => access.setPageAccess(doc, 'Dashboard', { roles: [] })).toThrow('Name at least one role.');
    doc = applyChange(doc, access.setAppAuth(doc, form(doc, { verify: 'userinfo', userinfo: 'login' })));
    expect(doc.auth?.verify).toEqual({ userinfo: 'login' });
    expect(() => access.queryAccessPatch(doc, 'login', 'signedIn')).toThrow(/verifies the app's tokens/);
  });

  it('checks a JWKS verifier and reads it back into the form', () => {
    const doc = loginApp();
    expect(() => access.setAppAuth(doc, form(doc, { verify: 'jwks', jwks: 'ftp://x', issuer: 'i' }))).toThrow(/https/);
    expect(() => access.setAppAuth(doc, form(doc, { verify: 'jwks', jwks: 'https://idp.example/jwks', issuer: ' ' }))).toThrow(/issuer/);
    const next = applyChange(doc, access.setAppAuth(doc, form(doc, { verify: 'jwks', jwks: 'https://idp.example/jwks', issuer: 'https://idp.example', rolesClaim: 'realm_access.roles' })));
    expect(access.authForm(next)).toMatchObject({ verify: 'jwks', jwks: 'https://idp.example/jwks', issuer: 'https://idp.example', audience: '', rolesClaim: 'realm_access.roles' });
  });

  it('removes sign-in only when nothing is protected', () => {
    let doc = applyChange(loginApp(), access.setAppAuth(loginApp(), form(loginApp())));
    doc = applyChange(doc, access.setPageAccess(doc, 'Dashboard', 'signedIn'));
    expect(() => access.removeAppAuth(doc)).toThrow('Open the page Dashboard to everyone first: without sign-in nobody could use them.');
    doc = applyChange(doc, access.setPageAccess(doc, 'Dashboard', 'public'));
    expect(roundTrip(doc, access.removeAppAuth(doc)).auth).toBeUndefined();
  });

  it('reads roles typed with commas or spaces', () => {
    expect(access.parseRoles(' admin, ops  support,,')).toEqual(['admin', 'ops', 'support']);
  });
});

describe('session mode (token: session)', () => {
  it('needs a sign-in query, open to everyone', () => {
    const doc = authApp();
    expect(() => access.setAppAuth(doc, form(doc, { token: 'session' }))).toThrow('Choose the sign-in query: in session mode the server keeps the tokens of its answer.');
    expect(() => access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'get_user' }))).toThrow('get_user is protected: the sign-in query must be open to everyone.');
    expect(() => access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login', refresh: 'get_user' }))).toThrow('get_user is protected: the refresh query must be open to everyone.');
    expect(() => access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login', signOut: 'gone' }))).toThrow('There is no query gone to use as the sign-out query.');
    expect(() => access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login', refresh: 'refreshAPI', signOut: 'refreshAPI' }))).toThrow('Sign-in, refresh and sign-out are three different queries.');
  });

  it('writes the queries and leaves the default token paths out, as one undoable edit', () => {
    const doc = authApp();
    const change = access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login', refresh: 'refreshAPI', signOut: 'revokeAPI' }));
    expect(change.label).toBe('Set up sign-in');
    expect(change.ops).toHaveLength(1);
    const next = roundTrip(doc, change);
    expect(next.auth).toEqual({ loginPage: 'LoginPage', verify: 'builtin', token: 'session', session: { signIn: 'login', refresh: 'refreshAPI', signOut: 'revokeAPI' } });
    expect(access.isSessionMode(next)).toBe(true);
    expect(access.authForm(next)).toMatchObject({ token: 'session', signIn: 'login', refresh: 'refreshAPI', signOut: 'revokeAPI', accessTokenPath: 'access_token', refreshTokenPath: 'refresh_token', expiresInPath: 'expires_in' });
  });

  it('keeps token paths that are not the defaults, and refuses a path with an empty part', () => {
    const doc = authApp();
    const next = applyChange(doc, access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login', accessTokenPath: ' data.session.token ', refreshTokenPath: '', expiresInPath: 'expires_in' })));
    expect(next.auth?.session).toEqual({ signIn: 'login', accessToken: 'data.session.token' });
    expect(access.authForm(next).accessTokenPath).toBe('data.session.token');
    expect(() => access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login', expiresInPath: 'a..b' }))).toThrow("The expires-in path is a dot path in the answer's JSON, such as data.access_token, not a..b.");
  });

  it('keeps the OpenID Connect settings the form does not edit', () => {
    const doc = authApp();
    const oidcForm = { token: 'oidc' as const, oidcIssuer: 'https://idp.example.com', clientId: 'app', scopes: 'openid email' };
    const first = applyChange(doc, access.setAppAuth(doc, form(doc, oidcForm)));
    const extra = { authorizationParams: { audience: 'https://api.example.com' }, logoutIdTokenHint: true };
    const withExtra = { ...first, auth: { ...first.auth, oidc: { ...(first.auth?.oidc as object), ...extra } } };
    const next = applyChange(withExtra, access.setAppAuth(withExtra, form(withExtra, { ...oidcForm, clientId: 'app2' })));
    expect(next.auth?.oidc).toMatchObject({ clientId: 'app2', ...extra });
  });

  it('keeps the refresh answer\'s own token paths, which the form does not edit', () => {
    const doc = authApp();
    const first = applyChange(doc, access.setAppAuth(doc, form(doc, { token: 'session', signIn: 'login' })));
    const refreshAnswer = { accessToken: 'id_token', refreshToken: 'refresh_token', expiresIn: 'expires_in' };
    const withAnswer = { ...first, auth: { ...first.auth, session: { ...(first.auth?.session as object), refreshAnswer } } };
    const next = applyChange(withAnswer, access.setAppAuth(withAnswer, form(withAnswer, { token: 'session', signIn: 'login', signOut: 'revokeAPI' })));
    expect(next.auth?.session).toEqual({ signIn: 'login', signOut: 'revokeAPI', refreshAnswer });
  });

  it('keeps the queries the sign-in runs open to everyone', () => {
    const doc = applyChange(authApp(), access.setAppAuth(authApp(), form(authApp(), { token: 'session', signIn: 'login', refresh: 'refreshAPI', signOut: 'revokeAPI' })));
    expect(() => access.queryAccessPatch(doc, 'login', 'signedIn')).toThrow('login signs visitors in: it must stay open to everyone.');
    expect(() => access.queryAccessPatch(doc, 'refreshAPI', 'signedIn')).toThrow("refreshAPI refreshes the app's tokens: it must stay open to everyone.");
    expect(() => access.queryAccessPatch(doc, 'revokeAPI', { roles: ['admin'] })).toThrow('revokeAPI signs visitors out: it must stay open to everyone.');
    expect(access.queryAccessPatch(doc, 'get_user', 'signedIn')).toEqual({ access: 'signedIn' });
    expect(() => code.removeQuery(doc, 'revokeAPI')).toThrow('revokeAPI signs visitors out: choose another in the sign-in settings before deleting it.');
    expect(applyChange(doc, code.removeQuery(doc, 'get_user')).queries.map((q) => q.name)).toEqual(['login', 'refreshAPI', 'revokeAPI']);
  });

  it('goes back to store mode without the session', () => {
    const doc = applyChange(authApp(), access.setAppAuth(authApp(), form(authApp(), { token: 'session', signIn: 'login' })));
    const next = roundTrip(doc, access.setAppAuth(doc, { ...access.authForm(doc), token: 'store' }));
    expect(next.auth).toEqual({ loginPage: 'LoginPage', verify: 'builtin', token: { store: 'accesstoken' } });
    expect(access.isSessionMode(next)).toBe(false);
  });
});

describe('store-mode refresh (auth.refresh)', () => {
  it('starts the refresh rows with the token key, and writes none without a refresh query', () => {
    const doc = authApp();
    expect(access.authForm(doc).refreshStore).toEqual({ accesstoken: 'access_token' });
    expect(applyChange(doc, access.setAppAuth(doc, form(doc))).auth).not.toHaveProperty('refresh');
  });

  it('writes the query, the store keys and the optional lifetime path, and reads them back', () => {
    const doc = authApp();
    const change = access.setAppAuth(doc, form(doc, { refresh: 'refreshAPI', refreshStore: { accesstoken: 'access_token', refreshtoken: 'refresh_token' }, refreshExpiresIn: ' expires_in ' }));
    const next = roundTrip(doc, change);
    expect(next.auth).toEqual({
      loginPage: 'LoginPage',
      verify: 'builtin',
      token: { store: 'accesstoken' },
      refresh: { query: 'refreshAPI', store: { accesstoken: 'access_token', refreshtoken: 'refresh_token' }, expiresIn: 'expires_in' },
    });
    expect(access.authForm(next)).toMatchObject({ token: 'store', refresh: 'refreshAPI', refreshStore: { accesstoken: 'access_token', refreshtoken: 'refresh_token' }, refreshExpiresIn: 'expires_in' });
    const without = applyChange(doc, access.setAppAuth(doc, form(doc, { refresh: 'refreshAPI' })));
    expect(without.auth?.refresh).toEqual({ query: 'refreshAPI', store: { accesstoken: 'access_token' } });
    expect(() => access.queryAccessPatch(next, 'refreshAPI', 'signedIn')).toThrow(/refreshes the app's tokens/);
  });

  it("refuses a store that leaves out the token's key, a bad key or path, and a protected query", () => {
    const doc = authApp();
    expect(() => access.setAppAuth(doc, form(doc, { refresh: 'refreshAPI', refreshStore: { refreshtoken: 'refresh_token' } }))).toThrow(
      "The store keys from the refresh answer must include the token's key accesstoken: it is where the fresh token goes.",
    );
    expect(() => access.setAppAuth(doc, form(doc, { refresh: 'refreshAPI', refreshStore: { accesstoken: 'access_token', '1x': 'a' } }))).toThrow(/^The store key 1x: /);
    expect(() => access.setAppAuth(doc, form(doc, { refresh: 'refreshAPI', refreshStore: { accesstoken: ' ' } }))).toThrow(/^The path of the store key accesstoken is a dot path/);
    expect(() => access.setAppAuth(doc, form(doc, { refresh: 'get_user' }))).toThrow('get_user is protected: the refresh query must be open to everyone.');
  });
});


describe('sign-in by redirect (auth.oidc)', () => {
  const oidc = (doc: AppDoc, over: Partial<access.AuthForm> = {}): access.AuthForm =>
    form(doc, { token: 'oidc', oidcIssuer: 'https://idp.example.com', clientId: 'my-app', ...over });

  it('writes the provider and the client, with the secret as a server secret, as one undoable edit', () => {
    const doc = authApp();
    expect(access.authForm(doc)).toMatchObject({ oidcIssuer: '', clientId: '', clientSecret: '', scopes: 'openid email profile' });
    const change = access.setAppAuth(doc, oidc(doc, { clientSecret: 'IDP_SECRET', scopes: 'openid, email  profile,offline_access', rolesClaim: 'realm_access.roles' }));
    expect(change.label).toBe('Set up sign-in');
    expect(change.ops).toHaveLength(1);
    const next = roundTrip(doc, change);
    expect(next.auth).toEqual({
      loginPage: 'LoginPage',
      token: 'session',
      oidc: { issuer: 'https://idp.example.com', clientId: 'my-app', clientSecret: '{{secrets.IDP_SECRET}}', scopes: ['openid', 'email', 'profile', 'offline_access'] },
      rolesClaim: 'realm_access.roles',
    });
    expect(access.authForm(next)).toMatchObject({
      token: 'oidc',
      loginPage: 'LoginPage',
      oidcIssuer: 'https://idp.example.com',
      clientId: 'my-app',
      clientSecret: 'IDP_SECRET',
      scopes: 'openid email profile offline_access',
      refresh: '',
    });
    // The server keeps the tokens: queries have {{session.…}}; no query of the app signs in.
    expect(access.isSessionMode(next)).toBe(true);
    expect(access.authQueries(next).size).toBe(0);
  });

  it('lets a public client go without a secret and the app without a login page', () => {
    const doc = loginApp();
    const next = roundTrip(doc, access.setAppAuth(doc, oidc(doc, { loginPage: '', oidcIssuer: ' http://127.0.0.1:4010 ' })));
    expect(next.auth).toEqual({ token: 'session', oidc: { issuer: 'http://127.0.0.1:4010', clientId: 'my-app', scopes: ['openid', 'email', 'profile'] } });
    expect(access.authForm(next)).toMatchObject({ loginPage: '', clientSecret: '', token: 'oidc' });
    // Only sign-in by redirect goes without a login page.
    expect(() => access.setAppAuth(next, { ...access.authForm(next), token: 'session', signIn: 'login' })).toThrow('Choose the login page: visitors without a valid token are sent there.');
    // A protected page is fine without one: the visitor goes straight to the provider.
    expect(applyChange(next, access.setPageAccess(next, 'Dashboard', 'signedIn')).pages[1]?.access).toBe('signedIn');
  });

  it('refuses what the server refuses, in words', () => {
    const doc = loginApp();
    const refused = (over: Partial<access.AuthForm>) => () => access.setAppAuth(doc, oidc(doc, over));
    expect(refused({ oidcIssuer: 'http://idp.example.com' })).toThrow(
      'The issuer must be an https URL (http only for localhost or 127.0.0.1) without bindings, such as https://idp.example.com, not http://idp.example.com.',
    );
    expect(refused({ oidcIssuer: 'https://{{ host.text }}' })).toThrow(/^The issuer must be an https URL .* without bindings/);
    expect(refused({ oidcIssuer: '' })).toThrow(/^The issuer must be an https URL/);
    expect(refused({ oidcIssuer: 'idp.example.com' })).toThrow(/not idp\.example\.com\.$/);
    expect(refused({ clientId: '  ' })).toThrow('Give the client ID the provider registered for this app.');
    expect(refused({ clientSecret: 'hunter 2' })).toThrow(/^The client secret is the name of a server secret .*not hunter 2: an app's files are no place for a secret\.$/);
    expect(refused({ clientSecret: '2FA' })).toThrow(/not 2FA/);
    expect(refused({ scopes: 'email profile' })).toThrow('The scopes must include openid: it is what asks the provider for an ID token.');
    expect(refused({ scopes: '' })).toThrow(/must include openid/);
    expect(refused({ loginPage: 'Nope' })).toThrow('There is no page Nope to sign in on.');
    const guarded = applyChange(doc, access.setPageAccess(applyChange(doc, access.setAppAuth(doc, form(doc))), 'Dashboard', 'signedIn'));
    expect(() => access.setAppAuth(guarded, oidc(guarded, { loginPage: 'Dashboard' }))).toThrow('Dashboard is protected: the login page must be open to everyone.');
  });

  it('reads a client secret that is not exactly {{secrets.NAME}} as its text, so saving refuses it', () => {
    const doc: AppDoc = { ...loginApp(), auth: { token: 'session', oidc: { issuer: 'https://idp.example.com', clientId: 'a', clientSecret: ' {{ secrets.S_1 }} ' } } };
    expect(access.authForm(doc).clientSecret).toBe('S_1');
    const odd: AppDoc = { ...doc, auth: { token: 'session', oidc: { issuer: 'https://idp.example.com', clientId: 'a', clientSecret: 'Bearer {{secrets.S}}' } } };
    expect(access.authForm(odd).clientSecret).toBe('Bearer {{secrets.S}}');
    expect(() => access.setAppAuth(odd, access.authForm(odd))).toThrow(/^The client secret is the name of a server secret/);
  });

  it('goes back to store mode without the provider, and checks a JWKS URL by the same rule', () => {
    const doc = applyChange(loginApp(), access.setAppAuth(loginApp(), oidc(loginApp())));
    const next = roundTrip(doc, access.setAppAuth(doc, { ...access.authForm(doc), token: 'store' }));
    expect(next.auth).toEqual({ loginPage: 'LoginPage', verify: 'builtin', token: { store: 'accesstoken' } });
    expect(() => access.setAppAuth(doc, form(doc, { token: 'store', verify: 'jwks', jwks: 'http://idp.example/jwks', issuer: 'i' }))).toThrow(/^The JWKS URL must be an https URL/);
    expect(access.providerUrlProblem('http://localhost:8080/jwks', 'The JWKS URL')).toBeNull();
  });

  it('says which URIs to register at the provider', () => {
    expect(access.oidcRedirectUris('https://lowkey.example', 'crm')).toEqual({
      redirect: 'https://lowkey.example/app/crm/_auth/callback',
      postLogout: 'https://lowkey.example/app/crm',
    });
  });
});
