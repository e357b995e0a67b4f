/**
 * Sign-in by redirect (OpenID Connect, authorization code + PKCE) in Chromium, against an
 * OpenID Certified provider nobody on the team wrote (npm `oidc-provider`, fixtures/oidc):
 * a protected page leads through the provider's login page and back to it, with the user's
 * email from `appsmith.user`; a reload keeps the session; a query reaches the provider with
 * `{{session.accessToken}}` and keeps working past the access token's life (the server
 * refreshes, with rotation); logout ends the session here and at the provider. A wrong password,
 * a cancelled sign-in and a tampered state never sign anyone in.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { startOidcProvider, type OidcProvider } from './fixtures/oidc/start.ts';
import { lowkey, startDemo, type DemoServer } from './server.ts';

const SLUG = 'oidc-app';
const PUBLIC_SLUG = 'oidc-public';
const SECRET = 'oidc-client-secret-for-the-browser-tests';
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery';
/** Short-lived access tokens: the server has to refresh during the test. */
const ACCESS_TTL = 20;

let server: DemoServer;
let provider: OidcProvider;
let browser: Browser;
let appDir: string;

beforeAll(async () => {
  server = await startDemo(undefined, 60_000, { LOWKEY_SECRET_IDP_SECRET: SECRET });
  provider = await startOidcProvider(
    [
      {
        client_id: 'lowkey-oidc',
        client_secret: SECRET,
        redirect_uris: [`${server.origin}/app/${SLUG}/_auth/callback`],
        post_logout_redirect_uris: [`${server.origin}/app/${SLUG}`],
      },
      {
        // A public client: PKCE alone, no secret.
        client_id: 'lowkey-oidc-public',
        redirect_uris: [`${server.origin}/app/${PUBLIC_SLUG}/_auth/callback`],
        post_logout_redirect_uris: [`${server.origin}/app/${PUBLIC_SLUG}`],
      },
    ],
    { accessTokenTtl: ACCESS_TTL },
  );
  // The fixture app with the provider's issuer, imported and published into the running server.
  appDir = mkdtempSync(join(tmpdir(), 'lowkey-oidc-app-'));
  cpSync(fileURLToPath(new URL('./fixtures/oidc-app', import.meta.url)), appDir, { recursive: true });
  for (const file of ['app.yaml', 'queries/whoami.yaml']) {
    const path = join(appDir, file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll('__ISSUER__', provider.issuer));
  }
  const imported = lowkey(['app', 'import', appDir, '--publish', '--data-dir', server.dataDir]);
  if (imported.status !== 0) throw new Error(`import failed:\n${imported.stdout}\n${imported.stderr}`);
  // The same app as a public client of the provider: another slug, no client secret.
  const appYaml = join(appDir, 'app.yaml');
  writeFileSync(
    appYaml,
    readFileSync(appYaml, 'utf8')
      .replace(`slug: ${SLUG}`, `slug: ${PUBLIC_SLUG}`)
      .replace('clientId: lowkey-oidc', 'clientId: lowkey-oidc-public')
      .replace(/^\s*clientSecret:.*\n/m, ''),
  );
  const publicApp = lowkey(['app', 'import', appDir, '--publish', '--data-dir', server.dataDir]);
  if (publicApp.status !== 0) throw new Error(`import failed:\n${publicApp.stdout}\n${publicApp.stderr}`);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await provider?.stop();
  await server?.stop();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

const appUrl = (page = '', slug = SLUG) => `${server.origin}/app/${slug}${page === '' ? '' : `/${page}`}`;
const userText = (page: Page) => page.getByText(/^Signed in as /);

async function atProvider(page: Page): Promise<void> {
  await page.waitForURL((u) => u.origin === new URL(provider.issuer).origin);
  await page.getByLabel('Email').waitFor();
}

async function providerSignIn(page: Page, password = PASSWORD): Promise<void> {
  await atProvider(page);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Through the app's login page and the provider, back on the Dashboard. */
async function signIn(context: BrowserContext, slug = SLUG): Promise<Page> {
  const page = await context.newPage();
  await page.goto(appUrl('dashboard', slug));
  await page.waitForURL(`**/app/${slug}/login-page?next=Dashboard`);
  await page.getByRole('button', { name: 'Sign in with the provider' }).click();
  await providerSignIn(page);
  await page.waitForURL(`**/app/${slug}/dashboard`);
  await expect.poll(() => userText(page).textContent()).toBe(`Signed in as ${EMAIL}`);
  return page;
}

/** How many refresh tokens the provider would still accept (a test endpoint of the fixture). */
async function liveRefreshTokens(): Promise<number> {
  const r = await fetch(`${provider.issuer}/__test/refresh-tokens`);
  return ((await r.json()) as { live: number }).live;
}

async function whoami(page: Page, app = SLUG): Promise<{ status: number; body: string }> {
  return page.evaluate(async (slug) => {
    const r = await fetch(`/api/v1/apps/${slug}/queries/whoami/run`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ params: {} }),
    });
    return { status: r.status, body: await r.text() };
  }, app);
}

describe('sign-in by redirect (OpenID Connect) in Chromium', () => {
  it('leads a protected page through the provider and back, keeps no token in the browser, and survives a reload', async () => {
    const context = await browser.newContext();
    try {
      const authorize: URL[] = [];
      context.on('request', (r) => {
        const u = new URL(r.url());
        if (u.origin === new URL(provider.issuer).origin && u.pathname === '/auth') authorize.push(u);
      });
      const page = await signIn(context);
      // The authorization request: code + PKCE S256, state and nonce, and the app's own extra
      // parameter.
      const asked = authorize[0]!.searchParams;
      expect(asked.get('response_type')).toBe('code');
      expect(asked.get('code_challenge_method')).toBe('S256');
      expect(asked.get('state')?.length).toBeGreaterThan(20);
      expect(asked.get('nonce')?.length).toBeGreaterThan(20);
      expect(asked.get('ui_locales')).toBe('en');
      await expect.poll(() => page.getByText(/^The provider says: /).textContent()).toBe('The provider says: Ada Lovelace');
      const shots = process.env.E2E_SCREENSHOT_DIR;
      if (shots) await page.screenshot({ path: `${shots}/oidc-dashboard.png` });
      const seen = await page.evaluate(() => ({
        cookie: document.cookie,
        local: JSON.stringify(Object.entries(window.localStorage)),
        session: window.sessionStorage.length,
      }));
      expect(seen.cookie).toBe('');
      expect(seen.session).toBe(0);
      expect(seen.local).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      const cookies = await context.cookies();
      const session = cookies.filter((c) => c.name === 'lowkey_app_session');
      expect(session.length).toBeGreaterThan(0);
      for (const c of session) expect(c.httpOnly).toBe(true);

      await page.reload();
      await expect.poll(() => userText(page).textContent()).toBe(`Signed in as ${EMAIL}`);
    } finally {
      await context.close();
    }
  });

  it('keeps the user signed in past the access token\'s life: the server refreshes at the provider', async () => {
    const context = await browser.newContext();
    try {
      const page = await signIn(context);
      const live = await liveRefreshTokens();
      expect((await whoami(page)).status).toBe(200);
      // Past the first access token's life: a query still reaches the provider. The server has
      // refreshed (tokens of 20 s are always within its 60-s margin) at least twice by then, each
      // time with the refresh token the last rotation gave: had it kept an old one, the provider
      // would have revoked the whole grant on its replay.
      await page.waitForTimeout((ACCESS_TTL + 2) * 1000);
      const later = await whoami(page);
      expect(later.status).toBe(200);
      expect(JSON.parse(later.body)).toMatchObject({ status: 200, body: { email: EMAIL } });
      // Rotation: each refresh consumed its token and got one new one.
      expect(await liveRefreshTokens()).toBe(live);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('logs out here and at the provider: the next sign-in asks for the password again', async () => {
    const context = await browser.newContext();
    try {
      const page = await signIn(context);
      const before = await liveRefreshTokens();
      const endSession = page.waitForRequest((r) => new URL(r.url()).pathname === '/session/end');
      await page.getByRole('button', { name: 'Log out' }).click();
      // This app asks for the ID token as the end-session hint (logoutIdTokenHint).
      expect(new URL((await endSession).url()).searchParams.get('id_token_hint')).toMatch(/^eyJ/);
      await page.waitForURL((u) => u.pathname === `/app/${SLUG}` || u.pathname === `/app/${SLUG}/login-page`);
      await page.getByRole('button', { name: 'Sign in with the provider' }).waitFor();
      expect((await whoami(page)).status).toBe(401);
      // The session's refresh token was revoked at the provider (RFC 7009).
      expect(await liveRefreshTokens()).toBe(before - 1);
      // The provider's session is over too: signing in shows its login page again.
      await page.getByRole('button', { name: 'Sign in with the provider' }).click();
      await atProvider(page);
    } finally {
      await context.close();
    }
  });

  it('signs a public client in with PKCE alone, and out with its refresh token revoked', async () => {
    const context = await browser.newContext();
    try {
      const page = await signIn(context, PUBLIC_SLUG);
      expect((await whoami(page, PUBLIC_SLUG)).status).toBe(200);
      const before = await liveRefreshTokens();
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('button', { name: 'Sign in with the provider' }).waitFor();
      expect((await whoami(page, PUBLIC_SLUG)).status).toBe(401);
      expect(await liveRefreshTokens()).toBe(before - 1);
    } finally {
      await context.close();
    }
  });

  it('never signs in on a wrong password, a cancelled sign-in or a tampered state', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(appUrl());
      await page.getByRole('button', { name: 'Sign in with the provider' }).click();
      await providerSignIn(page, 'not the password');
      await page.getByText('Invalid email or password').waitFor();
      // Cancel at the provider: back at the app's login page with the provider's code.
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.waitForURL(`**/app/${SLUG}/login-page?auth_error=access_denied`);
      await page.getByText('Sign-in did not complete: access_denied').waitFor();
      expect((await whoami(page)).status).toBe(401);
      // A callback whose state is not the one this browser was sent with.
      await page.goto(`${appUrl('_auth/callback')}?code=forged&state=tampered`);
      await page.waitForURL(`**/app/${SLUG}/login-page?auth_error=invalid_state`);
      expect((await whoami(page)).status).toBe(401);
      // A callback with the right state cookie but another state value is refused the same way.
      await page.goto(`${appUrl('_auth/login')}?next=Dashboard`);
      await atProvider(page);
      await page.goto(`${appUrl('_auth/callback')}?code=forged&state=not-the-state`);
      await page.waitForURL(`**/app/${SLUG}/login-page?auth_error=invalid_state`);
      expect((await context.cookies()).some((c) => c.name === 'lowkey_app_session')).toBe(false);
    } finally {
      await context.close();
    }
  });
});
