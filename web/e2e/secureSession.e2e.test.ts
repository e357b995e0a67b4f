/**
 * The guide's app in session mode (`examples/secure-session`, published by `lowkey demo`) in a
 * real browser: the same flow as custom-auth, but no token ever reaches the browser — not in
 * `localStorage`, `sessionStorage`, `document.cookie` nor any answer — the server refreshes
 * once however many tabs ask, a sign-out in one tab signs the others out, and the session
 * cookie replayed after logout is refused.
 */
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { startDemo, type DemoServer } from './server.ts';

const SLUG = 'secure-session';

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

function appUrl(page = ''): string {
  return `${server.origin}/app/${SLUG}${page === '' ? '' : `/${page}`}`;
}

async function openLogin(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(appUrl());
  await page.getByRole('textbox', { name: 'Email' }).waitFor();
  return page;
}

async function signIn(page: Page, password = server.password): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(server.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Every answer of the app's API the page receives, as text (to look for tokens in). */
function recordAnswers(page: Page): string[] {
  const bodies: string[] = [];
  page.on('response', (r: Response) => {
    if (new URL(r.url()).pathname.startsWith(`/api/v1/apps/${SLUG}`)) {
      void r.text().then((t) => bodies.push(t), () => undefined);
    }
  });
  return bodies;
}

/** What script on the page can read: both storages and `document.cookie`. */
async function readable(page: Page): Promise<{ local: Record<string, string>; session: Record<string, string>; cookie: string }> {
  return page.evaluate(() => ({
    local: Object.fromEntries(Object.entries(window.localStorage)),
    session: Object.fromEntries(Object.entries(window.sessionStorage)),
    cookie: document.cookie,
  }));
}

async function sessionCookie(context: BrowserContext): Promise<{ value: string; httpOnly: boolean; sameSite: string; path: string }> {
  const cookies = await context.cookies(server.origin + `/api/v1/apps/${SLUG}`);
  const c = cookies.find((x) => x.name === 'lowkey_app_session');
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(cookies.map((x) => x.name))}`);
  return c;
}

/** Runs get_user as a script of the page would (the cookie goes along by itself). */
async function getUserFromPage(page: Page): Promise<number> {
  return page.evaluate(async (slug) => {
    const r = await fetch(`/api/v1/apps/${slug}/queries/get_user/run`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ params: {} }),
    });
    return r.status;
  }, SLUG);
}

const userText = (page: Page) => page.getByText(/^Signed in as /);

describe('the secure-session app (session mode) in Chromium', () => {
  it('shows the provider\'s error for a wrong password and starts no session', async () => {
    const context = await browser.newContext();
    try {
      const page = await openLogin(context);
      await signIn(page, 'definitely-not-the-password');
      await page.getByRole('alert').filter({ hasText: 'Invalid login credentials' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/app/${SLUG}`);
      expect((await context.cookies()).map((c) => c.name)).not.toContain('lowkey_app_session');
    } finally {
      await context.close();
    }
  });

  it('signs in, keeps every token off the browser, reloads signed in, logs out, and the replayed cookie is refused', async () => {
    const context = await browser.newContext();
    try {
      const page = await openLogin(context);
      const answers = recordAnswers(page);
      await signIn(page);
      await page.waitForURL(`**/app/${SLUG}/dashboard`);
      await expect.poll(() => userText(page).textContent()).toContain(server.email);
      const shots = process.env.E2E_SCREENSHOT_DIR;
      if (shots) await page.screenshot({ path: `${shots}/secure-session-dashboard.png` });

      // The cookie: HttpOnly, SameSite=Lax, this app's API only; script sees no token at all.
      const cookie = await sessionCookie(context);
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe('Lax');
      expect(cookie.path).toBe(`/api/v1/apps/${SLUG}`);
      const seen = await readable(page);
      expect(seen.cookie).toBe('');
      expect(Object.keys(seen.session)).toEqual([]);
      const stored = JSON.stringify(seen.local);
      expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
      expect(stored).not.toMatch(/access_?token|refresh_?token/i);
      expect(stored).not.toContain(cookie.value);
      // No answer the browser got holds a token (a JWT) or the cookie's value.
      await expect.poll(() => answers.length).toBeGreaterThanOrEqual(3);
      for (const body of answers) {
        expect(body).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
        expect(body).not.toMatch(/"(access|refresh)_token"/);
        expect(body).not.toContain(cookie.value);
      }

      // Reload: still signed in (the cookie is the session), no token stored meanwhile.
      await page.reload();
      await expect.poll(() => userText(page).textContent()).toContain(server.email);
      expect(JSON.stringify((await readable(page)).local)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);

      // Log out: the sign-out query revokes, the cookie goes, the login page is back.
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/queries/revokeAPI/run')),
        page.getByRole('button', { name: 'Log out' }).click(),
      ]);
      await page.waitForURL(`**/app/${SLUG}/login-page`);
      await page.getByRole('textbox', { name: 'Email' }).waitFor();
      expect((await context.cookies()).map((c) => c.name)).not.toContain('lowkey_app_session');

      // The old cookie, replayed by anyone who kept it: refused, nothing opens.
      const replayed = await fetch(`${server.origin}/api/v1/apps/${SLUG}/queries/get_user/run`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Cookie: `lowkey_app_session=${cookie.value}` },
        body: JSON.stringify({ params: {} }),
      });
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { error: { code: string } }).error.code).toBe('not_signed_in');
      const def = await fetch(`${server.origin}/api/v1/apps/${SLUG}`, {
        headers: { Cookie: `lowkey_app_session=${cookie.value}` },
      });
      const body = (await def.json()) as { user: unknown; pages: { name: string; locked?: boolean }[] };
      expect(body.user).toBeNull();
      expect(body.pages.find((p) => p.name === 'Dashboard')?.locked).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('never shows the dashboard without a session: the login page gets next, and signing in goes on', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.addInitScript(() => {
        const w = window as unknown as { __dashboardSeen: boolean };
        w.__dashboardSeen = false;
        new MutationObserver(() => {
          if (document.querySelector('[data-widget="txt_user"], [data-widget="btn_logout"]')) w.__dashboardSeen = true;
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(appUrl('dashboard'));
      await page.waitForURL(`**/app/${SLUG}/login-page?next=Dashboard`);
      await page.getByRole('textbox', { name: 'Email' }).waitFor();
      expect(await page.evaluate(() => (window as unknown as { __dashboardSeen: boolean }).__dashboardSeen)).toBe(false);
      expect(await getUserFromPage(page)).toBe(401);
      await signIn(page);
      await page.waitForURL(`**/app/${SLUG}/dashboard`);
      await expect.poll(() => userText(page).textContent()).toContain(server.email);
      expect(await getUserFromPage(page)).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('two tabs refreshing at once end with one live session, and a logout in one tab signs the other out', async () => {
    const context = await browser.newContext();
    try {
      const first = await openLogin(context);
      await signIn(first);
      await first.waitForURL(`**/app/${SLUG}/dashboard`);
      const second = await context.newPage();
      await second.goto(appUrl('dashboard'));
      await expect.poll(() => userText(second).textContent()).toContain(server.email);

      // Both tabs open the login page at once: each runs refreshAPI on load (redirectIfSignedIn)
      // with the one cookie they share; the server refreshes once and both go on.
      const refreshes: string[] = [];
      for (const p of [first, second]) {
        p.on('response', (r) => {
          if (r.url().endsWith('/queries/refreshAPI/run')) refreshes.push(r.headers()['x-lowkey-session'] ?? 'none');
        });
      }
      const before = (await sessionCookie(context)).value;
      await Promise.all([first.goto(appUrl('login-page')), second.goto(appUrl('login-page'))]);
      await Promise.all([first.waitForURL(`**/app/${SLUG}/dashboard`), second.waitForURL(`**/app/${SLUG}/dashboard`)]);
      expect(refreshes).toEqual(['refreshed', 'refreshed']);
      // One session: the same cookie, live in both tabs.
      expect((await sessionCookie(context)).value).toBe(before);
      expect(await getUserFromPage(first)).toBe(200);
      expect(await getUserFromPage(second)).toBe(200);
      await expect.poll(() => userText(second).textContent()).toContain(server.email);

      // Log out in the first tab: the second, on the Dashboard, goes to the login page.
      await first.getByRole('button', { name: 'Log out' }).click();
      await first.waitForURL(`**/app/${SLUG}/login-page`);
      await second.waitForURL(`**/app/${SLUG}/login-page?next=Dashboard`);
      await second.getByRole('textbox', { name: 'Email' }).waitFor();
      expect(await getUserFromPage(second)).toBe(401);
    } finally {
      await context.close();
    }
  });
});
