/**
 * Refresh as a platform feature in store mode (issue 10, item 5) in real Chromium against the
 * real server: `fixtures/store-refresh` is the guide's app declaring `auth.refresh` (refreshAPI,
 * reading its refresh token from the store) and no refresh step of its own, imported and
 * published with the CLI into a server whose access tokens live 30 s and which revokes a session
 * at the first reuse of a rotated refresh token (`refresh_reuse_interval: 0`).
 *
 * Tokens of 30 s are always within the viewer's 60 s refresh margin, so a tab refreshes when a
 * token arrives and then every 10 s (its floor between scheduled refreshes).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { freshDataDir, lowkey, startDemo, type DemoServer } from './server.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/store-refresh', import.meta.url));
const SLUG = 'store-refresh';
const STORE_KEY = `lowkey:store:${SLUG}`;
const RUN_PATH = new RegExp(`^/api/v1/apps/${SLUG}/queries/([^/]+)/run$`);

let server: DemoServer;
let browser: Browser;

beforeAll(async () => {
  const dataDir = freshDataDir();
  const r = lowkey(['app', 'import', FIXTURE, '--publish', '--data-dir', dataDir]);
  if (r.status !== 0) throw new Error(`lowkey app import failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const config = join(dataDir, 'e2e-config.yaml');
  writeFileSync(
    config,
    [
      'provider:',
      '  jwt_exp: 30', // the shortest lifetime the server accepts
      '  refresh_reuse_interval: 0', // any reuse of a rotated refresh token ends the session
      '  rate_limit_token_burst: 500', // every refresh of every tab goes to /token
      '',
    ].join('\n'),
  );
  server = await startDemo(dataDir, 60_000, { LOWKEY_CONFIG: config });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** One run of a query as the browser saw it. Times are the browser's (ms since the epoch). */
interface Run {
  readonly tab: string;
  readonly query: string;
  readonly start: number;
  readonly end: number;
  /** Lowkey's HTTP status: 200 when the query ran, 401 `not_signed_in` when refused. */
  readonly httpStatus: number;
  /** The upstream status when the query ran. */
  readonly status: number | undefined;
  /** The binding values the viewer sent. */
  readonly params: Record<string, unknown>;
  /** The upstream answer's body when the query ran. */
  readonly body: Record<string, unknown> | undefined;
}

/** Records every query run `page` makes into `log` once its answer has arrived. */
function record(page: Page, tab: string, log: Run[]): void {
  page.on('requestfinished', (r: Request) => {
    const m = RUN_PATH.exec(new URL(r.url()).pathname);
    if (!m || r.method() !== 'POST') return;
    void (async () => {
      const response = await r.response();
      const json = (await response?.json().catch(() => undefined)) as { status?: number; body?: unknown } | undefined;
      const t = r.timing();
      const sent = r.postDataJSON() as { params?: Record<string, unknown> } | null;
      log.push({
        tab,
        query: m[1]!,
        start: t.startTime,
        end: t.startTime + t.responseEnd,
        httpStatus: response?.status() ?? 0,
        status: json?.status,
        params: sent?.params ?? {},
        body: json?.body !== null && typeof json?.body === 'object' ? (json.body as Record<string, unknown>) : undefined,
      });
    })();
  });
}

const runsOf = (log: readonly Run[], query: string) => log.filter((r) => r.query === query).sort((a, b) => a.start - b.start);
const sentRefreshToken = (run: Run) => run.params['appsmith.store.refreshtoken'];

async function stored(page: Page): Promise<Record<string, unknown> | null> {
  const raw = await page.evaluate((k) => window.localStorage.getItem(k), STORE_KEY);
  return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
}

/** A JWT's lifetime (exp - iat) in seconds, read without verification. */
function lifetime(jwt: string): number {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { exp: number; iat: number };
  return claims.exp - claims.iat;
}

const userText = (page: Page) => page.getByText(`Signed in as ${server.email}`);

/** Signs in on the login page of a new tab of `context`; resolves on the Dashboard showing the user. */
async function signIn(context: BrowserContext, log: Run[], tab = 'A'): Promise<Page> {
  const page = await context.newPage();
  record(page, tab, log);
  await page.goto(`${server.origin}/app/${SLUG}`);
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`**/app/${SLUG}/dashboard`);
  await userText(page).waitFor();
  // The log is written once each answer has been read.
  await expect.poll(() => runsOf(log, 'sign_in').length).toBe(1);
  return page;
}

/** Opens the Dashboard in a new tab of `context` (signed in already: the store is shared). */
async function openDashboard(context: BrowserContext, log: Run[], tab: string): Promise<Page> {
  const page = await context.newPage();
  record(page, tab, log);
  await page.goto(`${server.origin}/app/${SLUG}/dashboard`);
  await userText(page).waitFor();
  return page;
}

/**
 * Waits until the tab's refreshes have come to rest (none for a second) with the last one's
 * tokens in the store: a sign-in refreshes once on the login page and once more when the
 * Dashboard's definition starts a new runtime, each a token within the refresh margin.
 */
async function settle(page: Page, log: readonly Run[]): Promise<Run> {
  for (let tries = 0; tries < 20; tries++) {
    await expect.poll(() => runsOf(log, 'refreshAPI').length).toBeGreaterThanOrEqual(1);
    const seen = runsOf(log, 'refreshAPI').length;
    await new Promise((r) => setTimeout(r, 1_000));
    const last = runsOf(log, 'refreshAPI').at(-1)!;
    if (runsOf(log, 'refreshAPI').length === seen && (await stored(page))?.refreshtoken === last.body?.refresh_token) return last;
  }
  throw new Error('the refreshes did not come to rest, or the store does not hold the last one\'s tokens');
}

/** Refreshes never overlap, and each one sends the refresh token the previous one got. */
function expectOneChain(refreshes: readonly Run[], firstRefreshToken: unknown): void {
  let expected = firstRefreshToken;
  let previousEnd = -Infinity;
  for (const [i, r] of refreshes.entries()) {
    expect(r.start, `refresh ${i} (tab ${r.tab}) started before refresh ${i - 1} ended`).toBeGreaterThanOrEqual(previousEnd);
    expect(sentRefreshToken(r) === expected, `refresh ${i} (tab ${r.tab}) did not send the last rotated refresh token`).toBe(true);
    expect(r.status, `refresh ${i} (tab ${r.tab}) was refused upstream`).toBe(200);
    expect(r.body?.refresh_token, `refresh ${i} (tab ${r.tab}) did not rotate the refresh token`).not.toBe(expected);
    expect(r.body?.refresh_token).toEqual(expect.any(String));
    expected = r.body?.refresh_token;
    previousEnd = r.end;
  }
}

async function withContext(fn: (context: BrowserContext) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  try {
    await fn(context);
  } finally {
    await context.close();
  }
}

describe('store-mode refresh declared by the app (auth.refresh), in Chromium', () => {
  it('refreshes the stored tokens before they expire, without any code of the app, and the user stays signed in', () =>
    withContext(async (context) => {
      const log: Run[] = [];
      const page = await signIn(context, log);
      const signInRun = runsOf(log, 'sign_in')[0];
      const first = signInRun?.body;
      expect(typeof first?.access_token).toBe('string');
      expect(lifetime(first?.access_token as string)).toBe(30);

      // On the Dashboard, nobody touches anything: the viewer runs refreshAPI when the token
      // arrives and again 10 s later (the Dashboard's onLoad runs get_user only).
      const settled = await settle(page, log);
      const isTimed = (r: Run) => r.start - settled.end >= 9_000;
      await expect.poll(() => runsOf(log, 'refreshAPI').some(isTimed), { timeout: 20_000 }).toBe(true);
      await userText(page).waitFor();
      const refreshes = runsOf(log, 'refreshAPI');
      expect(refreshes[0]!.start).toBeGreaterThan(signInRun!.end);
      expect(refreshes.filter(isTimed)).toHaveLength(1);
      expectOneChain(refreshes, first?.refresh_token);
      const latest = refreshes.at(-1)!.body!;
      expect(latest.access_token).not.toBe(first?.access_token);
      await expect.poll(() => stored(page)).toMatchObject({ accesstoken: latest.access_token, refreshtoken: latest.refresh_token });

      // The fresh token works: after a reload the Dashboard opens and get_user answers.
      log.length = 0;
      await page.reload();
      await userText(page).waitFor();
      await expect.poll(() => runsOf(log, 'get_user').map((r) => r.status)).toEqual([200]);
      expect(runsOf(log, 'get_user')[0]!.httpStatus).toBe(200);
    }));

  it('two tabs never refresh at the same time, and the session outlives them', () =>
    withContext(async (context) => {
      const log: Run[] = [];
      const a = await signIn(context, log, 'A');
      const signedIn = runsOf(log, 'sign_in')[0]!.body!;
      // Wait for A's refreshes at sign-in, then start both tabs at once: both find a token
      // within the refresh margin and want to refresh at the same moment.
      await settle(a, log);
      const bPage = await context.newPage();
      record(bPage, 'B', log);
      await Promise.all([a.reload(), bPage.goto(`${server.origin}/app/${SLUG}/dashboard`)]);
      await Promise.all([userText(a).waitFor(), userText(bPage).waitFor()]);

      // Both tabs stay on the Dashboard for a while, each refreshing every 10 s.
      await new Promise((r) => setTimeout(r, 22_000));
      const last = await settle(a, log);
      const refreshes = runsOf(log, 'refreshAPI');
      const perTab = (tab: string) => refreshes.filter((r) => r.tab === tab).length;
      expect(perTab('A'), 'refreshes in tab A').toBeGreaterThanOrEqual(2);
      expect(perTab('B'), 'refreshes in tab B').toBeGreaterThanOrEqual(2);
      expectOneChain(refreshes, signedIn.refresh_token);

      // The session is alive at the provider (a reused refresh token would have ended it)…
      const token = (await stored(a))?.accesstoken;
      expect(token).toBe(last.body!.access_token);
      const user = await fetch(`${server.origin}/auth/v1/user`, { headers: { Authorization: `Bearer ${String(token)}` } });
      expect(user.status).toBe(200);
      // …and both tabs still run get_user.
      log.length = 0;
      for (const page of [a, bPage]) await page.getByRole('button', { name: 'Reload user' }).click();
      await expect
        .poll(() => runsOf(log, 'get_user').map((r) => `${r.tab}:${r.httpStatus}:${r.status}`).sort())
        .toEqual(['A:200:200', 'B:200:200']);
    }));

  it('runs a query refused with 401 once more after a refresh, with the fresh token', () =>
    withContext(async (context) => {
      const log: Run[] = [];
      const page = await signIn(context, log);
      await settle(page, log);
      const valid = await stored(page);

      // Another tab of the same origin spoils the stored access token (the refresh token stays
      // valid); the Dashboard's tab reads it from the storage event.
      const other = await context.newPage();
      await other.goto(`${server.origin}/health`);
      await other.evaluate(
        ([key, value]) => window.localStorage.setItem(key, value),
        [STORE_KEY, JSON.stringify({ ...valid, accesstoken: 'not-a-valid-token' })] as const,
      );
      await other.close();

      log.length = 0;
      await page.getByRole('button', { name: 'Reload user' }).click();
      await expect.poll(() => runsOf(log, 'get_user').length).toBe(2);
      const [refused, retried] = runsOf(log, 'get_user');
      expect(refused!.params['appsmith.store.accesstoken']).toBe('not-a-valid-token');
      expect(refused!.httpStatus).toBe(401);
      expect(retried!.httpStatus).toBe(200);
      expect(retried!.status).toBe(200);
      const refreshes = runsOf(log, 'refreshAPI');
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]!.start).toBeGreaterThanOrEqual(refused!.end);
      expect(retried!.start).toBeGreaterThanOrEqual(refreshes[0]!.end);
      expect(retried!.params['appsmith.store.accesstoken']).toBe(refreshes[0]!.body!.access_token);
      await userText(page).waitFor();
      // Exactly one retry: no further run of get_user follows.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(runsOf(log, 'get_user')).toHaveLength(2);
    }));

  it('a logout in one tab sends the other tab from the Dashboard to the login page', () =>
    withContext(async (context) => {
      const log: Run[] = [];
      const a = await signIn(context, log, 'A');
      const b = await openDashboard(context, log, 'B');
      // B refreshes when it opens; the logout comes after, as a user's would.
      await settle(b, log);

      await a.getByRole('button', { name: 'Log out' }).click();
      await a.waitForURL(`**/app/${SLUG}/login-page`);
      await b.waitForURL(`**/app/${SLUG}/login-page?next=Dashboard`);
      await b.getByLabel('Email').waitFor();
      expect(await userText(b).count()).toBe(0);
      expect(await stored(b)).toBeNull();
      expect(runsOf(log, 'revokeAPI').map((r) => `${r.tab}:${r.status}`)).toEqual(['A:204']);
    }));

  it('a refused refresh clears the tokens and sends the user to the login page with next', () =>
    withContext(async (context) => {
      const log: Run[] = [];
      const page = await signIn(context, log);
      const settled = await settle(page, log);

      // The session ends at the provider behind the page's back.
      const token = (await stored(page))?.accesstoken;
      const revoked = await fetch(`${server.origin}/auth/v1/logout?scope=local`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${String(token)}` },
      });
      expect(revoked.status).toBe(204);

      // The next scheduled refresh (10 s after the last) is refused: to the login page.
      await page.waitForURL(`**/app/${SLUG}/login-page?next=Dashboard`, { timeout: 20_000 });
      await page.getByLabel('Email').waitFor();
      await expect.poll(() => runsOf(log, 'refreshAPI').filter((r) => r.start > settled.end).map((r) => r.status)).toEqual([400]);
      const left = await stored(page);
      expect(left?.accesstoken).toBeUndefined();
      expect(left?.refreshtoken).toBeUndefined();
    }));
});
