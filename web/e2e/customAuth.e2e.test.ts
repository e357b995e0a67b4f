/**
 * The guide's flow in a real browser against the real server (`lowkey demo`): sign-in with a
 * wrong and a right password, the refresh on the dashboard's load, logout and what the
 * provider thinks of the old tokens afterwards.
 */
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { startDemo, type DemoServer } from './server.ts';

const STORE_KEY = 'lowkey:store:custom-auth';

let server: DemoServer;
let browser: Browser;

beforeAll(async () => {
  server = await startDemo();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function stored(page: Page): Promise<Record<string, string> | null> {
  const raw = await page.evaluate((k) => window.localStorage.getItem(k), STORE_KEY);
  return raw === null ? null : (JSON.parse(raw) as Record<string, string>);
}

async function openLogin(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(server.appUrl);
  await page.locator('[data-widget="inp_username"] input').waitFor();
  return page;
}

async function fillAndSubmit(page: Page, email: string, password: string): Promise<void> {
  await page.locator('[data-widget="inp_username"] input').fill(email);
  await page.locator('[data-widget="inp_password"] input').fill(password);
  await page.locator('[data-widget="btn_login"] button').click();
}

function queryRuns(page: Page): string[] {
  const runs: string[] = [];
  page.on('request', (r: Request) => {
    const m = /\/api\/v1\/apps\/custom-auth\/queries\/([^/]+)\/run$/.exec(new URL(r.url()).pathname);
    if (m && r.method() === 'POST') runs.push(m[1]!);
  });
  return runs;
}

describe('the custom-auth app in Chromium', () => {
  it('shows the provider\'s error in an alert for a wrong password', async () => {
    const context = await browser.newContext();
    try {
      const page = await openLogin(context);
      await fillAndSubmit(page, server.email, 'definitely-not-the-password');
      const alert = page.locator('[role="alert"]', { hasText: 'Invalid login credentials' });
      await alert.waitFor();
      expect(await alert.getAttribute('data-alert-type')).toBe('error');
      expect(new URL(page.url()).pathname).toBe('/app/custom-auth');
      expect(await stored(page)).toBeNull();
    } finally {
      await context.close();
    }
  });

  it('signs in, refreshes on reload, logs out, and the old tokens are refused afterwards', async () => {
    const context = await browser.newContext();
    try {
      const page = await openLogin(context);
      const runs = queryRuns(page);

      // Sign in: the dashboard with the user's email.
      await fillAndSubmit(page, server.email, server.password);
      await page.waitForURL('**/app/custom-auth/dashboard');
      await expect.poll(() => page.locator('[data-widget="txt_user"]').textContent()).toContain(server.email);
      expect(runs).toEqual(['sign_in', 'refreshAPI', 'get_user']);
      // A hidden page is listed in the navigation only while it is the current page.
      expect(await page.locator('nav[aria-label="Pages"] a').allTextContents()).toEqual(['Dashboard']);
      const shots = process.env.E2E_SCREENSHOT_DIR;
      if (shots) await page.screenshot({ path: `${shots}/dashboard.png` });
      const afterSignIn = await stored(page);
      expect(afterSignIn?.refreshtoken).toBeTruthy();
      expect(afterSignIn?.accesstoken).toBeTruthy();

      // Reload: the dashboard's onLoad refreshes, and the stored refresh token changes.
      runs.length = 0;
      await page.reload();
      await expect.poll(() => page.locator('[data-widget="txt_user"]').textContent()).toContain(server.email);
      expect(runs).toEqual(['refreshAPI', 'get_user']);
      const afterReload = await stored(page);
      expect(afterReload?.refreshtoken).toBeTruthy();
      expect(afterReload?.refreshtoken).not.toBe(afterSignIn?.refreshtoken);
      expect(afterReload?.accesstoken).not.toBe(afterSignIn?.accesstoken);

      // Log out: the revoke API runs, the store empties, and the login page is back.
      runs.length = 0;
      const [revoke] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/queries/revokeAPI/run')),
        page.locator('[data-widget="btn_logout"] button').click(),
      ]);
      const revokeBody = (await revoke.json()) as { status: number };
      expect(revokeBody.status).toBe(204);
      await page.waitForURL('**/app/custom-auth/login-page');
      await page.locator('[data-widget="inp_username"] input').waitFor();
      expect(runs).toEqual(['revokeAPI']);
      expect(await stored(page)).toBeNull();
      // Nothing of the session is left in the browser: only the name of the store key the
      // app's token lives under, which the viewer remembers to send it on the first request.
      expect(await page.evaluate(() => Object.fromEntries(Object.entries(window.localStorage)))).toEqual({
        'lowkey:auth-token-key:custom-auth': 'accesstoken',
      });

      // The provider refuses the session's last tokens.
      const refresh = await fetch(`${server.origin}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: afterReload?.refreshtoken }),
      });
      expect(refresh.status).toBeGreaterThanOrEqual(400);
      expect(refresh.status).toBeLessThan(500);
      const user = await fetch(`${server.origin}/auth/v1/user`, {
        headers: { Authorization: `Bearer ${afterReload?.accesstoken}` },
      });
      expect(user.status).toBeGreaterThanOrEqual(400);
      expect(user.status).toBeLessThan(500);

      // Back to the dashboard's URL: the page follows the URL, its guard finds no session and
      // returns to the login page.
      const visited: string[] = [];
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) visited.push(new URL(f.url()).pathname);
      });
      await page.goBack();
      await expect
        .poll(() => visited)
        .toEqual(['/app/custom-auth/dashboard', '/app/custom-auth/login-page']);
      await page.locator('[data-widget="inp_username"] input').waitFor();
      expect(await page.locator('[data-widget="txt_user"]').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('never shows the dashboard to a visitor without a session, not even for a moment: the server locks it, the login page gets next', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // Record whether the dashboard's widgets were ever attached to the document.
      await page.addInitScript(() => {
        const w = window as unknown as { __dashboardSeen: boolean };
        w.__dashboardSeen = false;
        new MutationObserver(() => {
          if (document.querySelector('[data-widget="txt_user"], [data-widget="btn_logout"]')) w.__dashboardSeen = true;
        }).observe(document, { childList: true, subtree: true });
      });
      // The server sends the Dashboard locked (a name, no widgets): the viewer goes to the
      // login page with where the visitor wanted to go.
      const [definition] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/apps/custom-auth'),
        page.goto(`${server.origin}/app/custom-auth/dashboard`),
      ]);
      const def = (await definition.json()) as { pages: { name: string; locked?: boolean; widgets?: unknown }[] };
      const dashboard = def.pages.find((p) => p.name === 'Dashboard');
      expect(dashboard?.locked).toBe(true);
      expect(dashboard?.widgets).toBeUndefined();
      expect(JSON.stringify(def)).not.toContain('txt_user');
      await page.waitForURL('**/app/custom-auth/login-page?next=Dashboard');
      await page.locator('[data-widget="inp_username"] input').waitFor();
      expect(await page.evaluate(() => (window as unknown as { __dashboardSeen: boolean }).__dashboardSeen)).toBe(false);
      // get_user is refused by the server without a token, before any upstream request.
      const refused = await page.evaluate(async () => {
        const r = await fetch('/api/v1/apps/custom-auth/queries/get_user/run', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ params: { 'appsmith.store.accesstoken': 'forged' } }),
        });
        return { status: r.status, body: (await r.json()) as { error: { code: string } } };
      });
      expect(refused).toEqual({ status: 401, body: { error: expect.objectContaining({ code: 'not_signed_in' }) } });
      // Signing in from there goes on to the Dashboard.
      await fillAndSubmit(page, server.email, server.password);
      await page.waitForURL('**/app/custom-auth/dashboard');
      await expect.poll(() => page.locator('[data-widget="txt_user"]').textContent()).toContain(server.email);
    } finally {
      await context.close();
    }
  });

  it('leaves the hidden dashboard out of the login page\'s navigation', async () => {
    const context = await browser.newContext();
    try {
      const page = await openLogin(context);
      expect(await page.locator('nav[aria-label="Pages"] a').allTextContents()).toEqual(['LoginPage']);
    } finally {
      await context.close();
    }
  });

  it('shows a clear error screen for an unknown app', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.origin}/app/no-such-app`);
      const screen = page.locator('[data-error-screen]');
      await screen.waitFor();
      expect(await screen.locator('h1').textContent()).toBe('App not found');
    } finally {
      await context.close();
    }
  });
});
