/**
 * The oidc-provider fixture (fixtures/oidc) against its contract, with no Lowkey in the way: the
 * test is the relying party. It builds authorization URLs with PKCE itself, drives the provider's
 * login page in Chromium, catches the redirects on a small local server, and talks to the token,
 * userinfo, revocation and end-session endpoints with fetch.
 */
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { startOidcProvider, type OidcClient, type OidcProvider } from './fixtures/oidc/start.ts';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery';
const SECRET = randomBytes(16).toString('hex');

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  revocation_endpoint: string;
  end_session_endpoint: string;
  code_challenge_methods_supported: string[];
  grant_types_supported: string[];
  scopes_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token: string;
  token_type: string;
  scope: string;
}

let provider: OidcProvider;
let rp: Server;
let rpOrigin: string;
let confidential: OidcClient;
let publicClient: OidcClient;
let discovery: Discovery;
let browser: Browser;

beforeAll(async () => {
  // The relying party's redirect targets: a page that only says where it is.
  rp = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>Relying party</title><h1>Relying party</h1>');
  });
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  confidential = {
    client_id: 'lowkey-app',
    client_secret: SECRET,
    redirect_uris: [`${rpOrigin}/cb`],
    post_logout_redirect_uris: [`${rpOrigin}/signed-out`],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  publicClient = {
    client_id: 'lowkey-public',
    redirect_uris: [`${rpOrigin}/cb`],
    post_logout_redirect_uris: [`${rpOrigin}/signed-out`],
    token_endpoint_auth_method: 'none',
  };
  provider = await startOidcProvider([confidential, publicClient]);
  const res = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  discovery = (await res.json()) as Discovery;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await provider?.stop();
  await new Promise<void>((r) => (rp ? rp.close(() => r()) : r()));
});

const b64url = (buf: Buffer) => buf.toString('base64url');
const random = () => b64url(randomBytes(24));

interface Pending {
  url: string;
  state: string;
  nonce: string;
  verifier: string;
}

function authorizeUrl(client: OidcClient, scope: string, extra: Record<string, string> = {}): Pending {
  const verifier = b64url(randomBytes(32));
  const state = random();
  const nonce = random();
  const url = new URL(discovery.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: `${rpOrigin}/cb`,
    scope,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.toString(), state, nonce, verifier };
}

/** Waits until the tab is back at the relying party's callback, and returns its query. */
async function callback(page: Page): Promise<URLSearchParams> {
  await page.waitForURL((u) => u.toString().startsWith(`${rpOrigin}/cb?`));
  return new URL(page.url()).searchParams;
}

async function fillLogin(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

function clientAuth(client: OidcClient, body: URLSearchParams): Record<string, string> {
  if (client.client_secret === undefined) {
    body.set('client_id', client.client_id);
    return {};
  }
  const basic = Buffer.from(
    `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`,
  ).toString('base64');
  return { authorization: `Basic ${basic}` };
}

async function post(url: string, client: OidcClient, fields: Record<string, string>): Promise<Response> {
  const body = new URLSearchParams(fields);
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...clientAuth(client, body) };
  return fetch(url, { method: 'POST', headers, body });
}

async function exchange(client: OidcClient, code: string, verifier: string): Promise<Response> {
  return post(discovery.token_endpoint, client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: `${rpOrigin}/cb`,
    code_verifier: verifier,
  });
}

async function refresh(client: OidcClient, refreshToken: string): Promise<Response> {
  return post(discovery.token_endpoint, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function expectOAuthError(res: Response, error: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toBe(error);
}

function userinfo(accessToken: string): Promise<Response> {
  return fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
}

/** The ID token's claims after checking its signature against the provider's JWKS. */
async function verifiedClaims(idToken: string): Promise<Record<string, unknown>> {
  const [header, payload, signature] = idToken.split('.');
  const { alg, kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { alg: string; kid: string };
  expect(alg).toBe('RS256');
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: (JsonWebKey & { kid: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  expect(jwk, 'the signing key is published at jwks_uri').toBeDefined();
  const key = createPublicKey({ key: jwk!, format: 'jwk' });
  const valid = verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature!, 'base64url'));
  expect(valid, 'ID token signature').toBe(true);
  return JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
}

/** Signs in through the provider's page (unless the context already has a provider session). */
async function signIn(
  context: BrowserContext,
  client: OidcClient,
  scope = 'openid email profile offline_access',
): Promise<{ pending: Pending; code: string; page: Page; visited: string[] }> {
  const pending = authorizeUrl(client, scope);
  const page = await context.newPage();
  const visited: string[] = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) visited.push(new URL(f.url()).pathname);
  });
  await page.goto(pending.url);
  if (!page.url().startsWith(rpOrigin)) await fillLogin(page, EMAIL, PASSWORD);
  const query = await callback(page);
  expect(query.get('state')).toBe(pending.state);
  expect(query.get('iss')).toBe(discovery.issuer);
  const code = query.get('code');
  expect(code).toBeTruthy();
  return { pending, code: code!, page, visited };
}

/** Runs `fn` in a fresh browser context (no provider session), closed afterwards. */
async function inContext<T>(fn: (context: BrowserContext) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

function signInForTokens(client: OidcClient): Promise<Tokens> {
  return inContext(async (context) => {
    const { pending, code } = await signIn(context, client);
    const res = await exchange(client, code, pending.verifier);
    expect(res.status).toBe(200);
    return (await res.json()) as Tokens;
  });
}

describe('the oidc-provider fixture', () => {
  it('publishes discovery with the endpoints and S256 PKCE', async () => {
    expect(discovery.issuer).toBe(provider.issuer);
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'revocation_endpoint',
      'end_session_endpoint',
    ] as const) {
      expect(discovery[endpoint], endpoint).toMatch(new RegExp(`^${provider.issuer}/`));
    }
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.grant_types_supported).toContain('refresh_token');
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'offline_access']));
    expect(discovery.id_token_signing_alg_values_supported).toContain('RS256');
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key.d, 'no private key material').toBeUndefined();
  });

  it('refuses an authorization request without a PKCE challenge, even from a confidential client', async () => {
    const url = new URL(authorizeUrl(confidential, 'openid').url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(`${rpOrigin}/cb`);
    expect(back.searchParams.get('error')).toBe('invalid_request');
  });

  it('runs the code flow with PKCE: login page, no consent page, verified ID token, userinfo', async () => {
    await inContext(async (context) => {
      const { pending, code, page, visited } = await signIn(context, confidential);
      // authorize → the fixture's login page → resume → the relying party, and nothing else.
      expect(visited.filter((p) => p.startsWith('/interaction/'))).toHaveLength(1);
      await expect(page.getByRole('heading', { name: 'Relying party' }).isVisible()).resolves.toBe(true);

      const res = await exchange(confidential, code, pending.verifier);
      expect(res.status).toBe(200);
      const tokens = (await res.json()) as Tokens;
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.refresh_token, 'offline_access gives a refresh token').toBeTruthy();
      expect(tokens.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);

      const claims = await verifiedClaims(tokens.id_token);
      expect(claims).toMatchObject({
        iss: provider.issuer,
        aud: confidential.client_id,
        sub: 'ada',
        nonce: pending.nonce,
        email: EMAIL,
        email_verified: true,
        name: 'Ada Lovelace',
        preferred_username: 'ada',
      });
      expect(claims.exp as number).toBeGreaterThan(Date.now() / 1000);

      const info = await userinfo(tokens.access_token);
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({
        sub: 'ada',
        email: EMAIL,
        email_verified: true,
        name: 'Ada Lovelace',
        preferred_username: 'ada',
      });

      // The code is single-use.
      await expectOAuthError(await exchange(confidential, code, pending.verifier), 'invalid_grant');

      // A second authorization in the same browser needs no login (provider session), and its
      // code is refused with a verifier that does not match the challenge.
      const again = await signIn(context, confidential);
      expect(again.visited.some((p) => p.startsWith('/interaction/'))).toBe(false);
      await expectOAuthError(await exchange(confidential, again.code, b64url(randomBytes(32))), 'invalid_grant');
    });
  });

  it('shows "Invalid email or password" on its own page for a wrong password, then accepts the right one', async () => {
    await inContext(async (context) => {
      const pending = authorizeUrl(confidential, 'openid email');
      const page = await context.newPage();
      await page.goto(pending.url);
      await fillLogin(page, EMAIL, 'not the password');
      await expect(page.getByRole('alert').textContent()).resolves.toBe('Invalid email or password');
      expect(page.url().startsWith(provider.issuer)).toBe(true);
      await fillLogin(page, EMAIL, PASSWORD);
      const query = await callback(page);
      expect(query.get('state')).toBe(pending.state);
      expect(query.get('code')).toBeTruthy();
    });
  });

  it('sends Cancel back to the client as error=access_denied with the state', async () => {
    await inContext(async (context) => {
      const pending = authorizeUrl(confidential, 'openid email');
      const page = await context.newPage();
      await page.goto(pending.url);
      await page.getByRole('button', { name: 'Cancel' }).click();
      const query = await callback(page);
      expect(query.get('error')).toBe('access_denied');
      expect(query.get('state')).toBe(pending.state);
      expect(query.get('code')).toBeNull();
    });
  });

  it('rotates refresh tokens; replaying a used one revokes the grant', async () => {
    const first = await signInForTokens(confidential);
    const res = await refresh(confidential, first.refresh_token!);
    expect(res.status).toBe(200);
    const second = (await res.json()) as Tokens;
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await userinfo(second.access_token)).status).toBe(200);

    await expectOAuthError(await refresh(confidential, first.refresh_token!), 'invalid_grant');
    // The replay revoked the whole grant: the newest refresh token and its access token are dead too.
    await expectOAuthError(await refresh(confidential, second.refresh_token!), 'invalid_grant');
    expect((await userinfo(second.access_token)).status).toBe(401);
  });

  it('revokes a refresh token (RFC 7009): 200, then refresh with it is refused', async () => {
    const tokens = await signInForTokens(confidential);
    const res = await post(discovery.revocation_endpoint, confidential, {
      token: tokens.refresh_token!,
      token_type_hint: 'refresh_token',
    });
    expect(res.status).toBe(200);
    await expectOAuthError(await refresh(confidential, tokens.refresh_token!), 'invalid_grant');
    expect((await userinfo(tokens.access_token)).status).toBe(401);
  });

  it('serves a public client with PKCE alone, rotation included', async () => {
    const tokens = await signInForTokens(publicClient);
    expect((await verifiedClaims(tokens.id_token)).aud).toBe(publicClient.client_id);
    const res = await refresh(publicClient, tokens.refresh_token!);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Tokens).refresh_token).not.toBe(tokens.refresh_token);
    // Without client authentication the confidential client is refused.
    const anonymous = await post(discovery.token_endpoint, { ...confidential, client_secret: undefined }, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    expect(anonymous.status).toBe(401);
  });

  it('ends the provider session by RP-initiated logout and returns to post_logout_redirect_uri', async () => {
    await inContext(async (context) => {
      const { pending, code, page } = await signIn(context, confidential);
      const tokens = (await (await exchange(confidential, code, pending.verifier)).json()) as Tokens;
      const logout = new URL(discovery.end_session_endpoint);
      logout.searchParams.set('id_token_hint', tokens.id_token);
      logout.searchParams.set('post_logout_redirect_uri', `${rpOrigin}/signed-out`);
      logout.searchParams.set('client_id', confidential.client_id);
      logout.searchParams.set('state', 'bye');
      await page.goto(logout.toString());
      await page.waitForURL((u) => u.toString().startsWith(`${rpOrigin}/signed-out`));
      expect(new URL(page.url()).searchParams.get('state')).toBe('bye');

      // The provider session is gone: a new authorization asks for the password again.
      await page.goto(authorizeUrl(confidential, 'openid').url);
      await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
      // An offline_access grant outlives the provider session (OpenID Connect Core 11): a relying
      // party that wants the refresh token dead revokes it (RFC 7009) itself.
      expect((await refresh(confidential, tokens.refresh_token!)).status).toBe(200);
    });
  });

  it('can leave email and name out of the ID token (userinfo only) and shorten access tokens', async () => {
    const lean = await startOidcProvider([confidential], { idTokenScopeClaims: false, accessTokenTtl: 60 });
    try {
      const leanDiscovery = (await (await fetch(`${lean.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
      const saved = discovery; // the helpers talk to the provider that `discovery` describes
      discovery = leanDiscovery;
      try {
        const tokens = await signInForTokens(confidential);
        expect((tokens as Tokens & { expires_in: number }).expires_in).toBe(60);
        const claims = await verifiedClaims(tokens.id_token);
        expect(claims.sub).toBe('ada');
        expect(claims.email).toBeUndefined();
        expect(claims.name).toBeUndefined();
        expect(await (await userinfo(tokens.access_token)).json()).toMatchObject({ email: EMAIL, name: 'Ada Lovelace' });
      } finally {
        discovery = saved;
      }
    } finally {
      await lean.stop();
    }
  });
});
