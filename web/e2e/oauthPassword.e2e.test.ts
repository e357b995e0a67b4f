/**
 * The `oauth-password` template (`lowkey app new --template oauth-password`) in Chromium against
 * a real OAuth 2.0 server nobody on the team wrote: Django OAuth Toolkit (fixtures/dot), with the
 * password grant, form bodies, HTTP Basic client authentication from the server's secrets,
 * rotating refresh tokens with reuse protection, and RFC 7009 revocation. The template is
 * written with the CLI, only its datasource URL is pointed at DOT, and it is imported and
 * published with `lowkey app import --publish`.
 *
 * The app is in session mode, so the browser never holds a token: the test reads the refresh
 * tokens DOT issued from the fixture's test-only `/test/refresh-tokens` (DOT's own database,
 * behind the fixture client's credentials) and asks DOT's token endpoint itself whether the last
 * one is refused after logout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { startDot, type DotServer } from './fixtures/dot/start.ts';
import { freshDataDir, lowkey, startDemo, type DemoServer } from './server.ts';

const SLUG = 'oauth-password-e2e';
/**
 * DOT's access token lifetime. The server refreshes a session whose token expires within 60 s,
 * so a token of 65 s is due 5 s after it was issued: the test waits that long to force a refresh.
 */
const ACCESS_TOKEN_SECONDS = 65;
const DUE_AFTER_MS = (ACCESS_TOKEN_SECONDS - 60) * 1000 + 1500;
/**
 * A refresh serves every request of the next 10 s (tabs loading at once refresh once: docs/api.md),
 * so a second refresh is waited for longer after the first.
 */
const NEXT_REFRESH_AFTER_MS = 12_000;

let dot: DotServer;
let server: DemoServer;
let browser: Browser;
let workDir: string;

beforeAll(async () => {
  dot = await startDot({ accessTokenSeconds: ACCESS_TOKEN_SECONDS });
  workDir = mkdtempSync(join(tmpdir(), 'lowkey-oauth-password-'));
  const appDir = join(workDir, 'app');
  const made = lowkey(['app', 'new', appDir, '--template', 'oauth-password', '--slug', SLUG]);
  if (made.status !== 0) throw new Error(`lowkey app new failed (${made.status}):\n${made.stdout}\n${made.stderr}`);
  // What a builder edits: the provider's address (DOT's endpoint paths are the template's own).
  const appYaml = join(appDir, 'app.yaml');
  const written = readFileSync(appYaml, 'utf8');
  const pointed = written.replace('url: https://auth.example.com', `url: ${dot.origin}`);
  if (pointed === written) throw new Error('the template has no datasource url to point at DOT');
  writeFileSync(appYaml, pointed);
  const dataDir = freshDataDir();
  const imported = lowkey(['app', 'import', appDir, '--publish', '--data-dir', dataDir]);
  if (imported.status !== 0) {
    throw new Error(`lowkey app import failed (${imported.status}):\n${imported.stdout}\n${imported.stderr}`);
  }
  server = await startDemo(dataDir, 60_000, {
    LOWKEY_SECRET_OAUTH_CLIENT_ID: dot.clientId,
    LOWKEY_SECRET_OAUTH_CLIENT_SECRET: dot.clientSecret,
  });
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await dot?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function appUrl(page = ''): string {
  return `${server.origin}/app/${SLUG}${page === '' ? '' : `/${page}`}`;
}

const basic = (): string => `Basic ${Buffer.from(`${dot.clientId}:${dot.clientSecret}`).toString('base64')}`;

interface IssuedRefreshToken {
  token: string;
  user: string;
  family: string | null;
  revoked: boolean;
}

/** The refresh tokens DOT issued, oldest first, from its database (the fixture's test view). */
async function refreshTokens(): Promise<IssuedRefreshToken[]> {
  const r = await fetch(`${dot.origin}/test/refresh-tokens`, { headers: { authorization: basic() } });
  if (r.status !== 200) throw new Error(`GET /test/refresh-tokens answered ${r.status}`);
  return ((await r.json()) as { refresh_tokens: IssuedRefreshToken[] }).refresh_tokens;
}

/** DOT's own answer to a refresh with `token`, as any client of it would ask. */
async function refreshAtDot(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${dot.origin}/o/token/`, {
    method: 'POST',
    headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function openLogin(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(appUrl());
  await page.getByRole('textbox', { name: 'Email' }).waitFor();
  return page;
}

async function signIn(page: Page, password = dot.password): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(dot.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Every answer of the app's API the page receives, as text (to look for tokens in). */
function recordAnswers(page: Page): { bodies: string[] } {
  const seen = { bodies: [] as string[] };
  page.on('response', (r: Response) => {
    if (!new URL(r.url()).pathname.startsWith(`/api/v1/apps/${SLUG}`)) return;
    void r.text().then((t) => seen.bodies.push(t), () => undefined);
  });
  return seen;
}

const userText = (page: Page) => page.getByText(/^Signed in as /);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the oauth-password template against Django OAuth Toolkit in Chromium', () => {
  it('shows DOT\'s error_description for a wrong password and starts no session', async () => {
    const context = await browser.newContext();
    try {
      const before = (await refreshTokens()).length;
      const page = await openLogin(context);
      await signIn(page, 'not the password');
      await page.getByRole('alert').filter({ hasText: 'Invalid credentials given.' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/app/${SLUG}`);
      expect((await context.cookies()).map((c) => c.name)).not.toContain('lowkey_app_session');
      expect((await refreshTokens()).length).toBe(before);
    } finally {
      await context.close();
    }
  });

  it('signs in, refreshes along one rotated chain, and logout revokes at DOT', async () => {
    const context = await browser.newContext();
    try {
      const page = await openLogin(context);
      const seen = recordAnswers(page);
      const before = (await refreshTokens()).length;
      await signIn(page);
      const signedInAt = Date.now();
      await page.waitForURL(`**/app/${SLUG}/dashboard`);
      // appsmith.user is DOT's userinfo answer for the session's access token.
      await expect.poll(() => userText(page).textContent()).toBe(`Signed in as ${dot.email}`);
      await page.getByRole('cell', { name: 'Ada Lovelace' }).waitFor();

      const issued = (await refreshTokens()).slice(before);
      expect(issued).toHaveLength(1);
      const first = issued[0]!;
      expect(first.user).toBe(dot.email);
      expect(first.revoked).toBe(false);
      const chain = [first.token];

      // Twice: wait until the access token is within the server's refresh margin, reload; the
      // server refreshes with the refresh token it holds and keeps the rotated one. Had it
      // sent an old one again, DOT's reuse protection would have revoked the whole family and
      // the session would be over.
      let due = signedInAt + DUE_AFTER_MS;
      for (let round = 1; round <= 2; round++) {
        await sleep(Math.max(0, due - Date.now()));
        const refreshedAt = Date.now();
        await page.reload();
        await expect.poll(() => userText(page).textContent()).toBe(`Signed in as ${dot.email}`);
        const tokens = (await refreshTokens()).slice(before);
        expect(tokens, `round ${round}`).toHaveLength(round + 1);
        const newest = tokens[tokens.length - 1]!;
        chain.push(newest.token);
        expect(new Set(chain).size).toBe(chain.length);
        expect(tokens.every((t) => t.family === first.family)).toBe(true);
        // Every earlier token revoked by the rotation, the newest one live.
        expect(tokens.map((t) => t.revoked)).toEqual([...tokens.slice(0, -1).map(() => true), false]);
        due = refreshedAt + Math.max(DUE_AFTER_MS, NEXT_REFRESH_AFTER_MS);
      }
      // The access token of the newest refresh works at DOT: the Dashboard's user came from it.
      await page.getByRole('cell', { name: 'Ada Lovelace' }).waitFor();

      // No token of DOT's ever reached the browser: not in an answer, nor in the storages.
      await expect.poll(() => seen.bodies.length).toBeGreaterThan(2);
      const storages = await page.evaluate(() => JSON.stringify([window.localStorage, window.sessionStorage, document.cookie]));
      for (const token of chain) {
        for (const body of seen.bodies) expect(body).not.toContain(token);
        expect(storages).not.toContain(token);
      }

      // Log out: the template's revoke query (RFC 7009) runs, the session ends, and the login
      // page is back.
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/api/v1/apps/${SLUG}/queries/revoke/run`) && r.status() === 200),
        page.getByRole('button', { name: 'Log out' }).click(),
      ]);
      await page.waitForURL(`**/app/${SLUG}/login-page`);
      await page.getByRole('textbox', { name: 'Email' }).waitFor();
      expect((await context.cookies()).map((c) => c.name)).not.toContain('lowkey_app_session');

      // At DOT: every token of the chain is revoked, and the last one, the session's, is refused.
      const after = (await refreshTokens()).slice(before);
      expect(after.map((t) => t.token)).toEqual(chain);
      expect(after.every((t) => t.revoked)).toBe(true);
      const replay = await refreshAtDot(chain[chain.length - 1]!);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');

      // And the Dashboard is closed again: it sends the visitor back to the login page.
      await page.goto(appUrl('dashboard'));
      await page.waitForURL(`**/app/${SLUG}/login-page?next=Dashboard`);
      await page.getByRole('textbox', { name: 'Email' }).waitFor();
    } catch (e) {
      throw new Error(`${(e as Error).message}\nDOT output:\n${dot.output().slice(-3000)}`, { cause: e });
    } finally {
      await context.close();
    }
  }, 120_000);
});
