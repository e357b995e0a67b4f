/**
 * The browser side of the hardened edge, in Chromium against `lowkey demo`:
 * - the viewer runs the guide's sign-in under its Content-Security-Policy without a violation;
 * - another site's page cannot frame the viewer (clickjacking);
 * - another site's page cannot make the server run a query (CSRF), by any simple request a
 *   browser allows without a preflight, nor by a CORS request.
 * The "other site" is a page served on `localhost:<other port>`: another origin on loopback,
 * as in the security findings (F7, F9), so Chromium's private-network rules do not interfere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { startDemo, type DemoServer } from './server.ts';

let server: DemoServer;
let browser: Browser;
let evil: Server;
let evilOrigin: string;
let evilPage = '';

beforeAll(async () => {
  server = await startDemo();
  browser = await launchChromium();
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(evilPage);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  evilOrigin = `http://localhost:${(evil.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
});

/** The server's count of query runs (success + failure), from /metrics. */
async function queryRuns(): Promise<number> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^lowkey_query_runs_total\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

describe('the viewer in Chromium, as another site would attack it', () => {
  it('runs the guide\'s sign-in under its Content-Security-Policy without a violation', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      const response = await page.goto(server.appUrl);
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      await page.locator('[data-widget="inp_username"] input').fill(server.email);
      await page.locator('[data-widget="inp_password"] input').fill(server.password);
      await page.locator('[data-widget="btn_login"] button').click();
      await page.waitForURL('**/app/custom-auth/dashboard');
      await expect.poll(() => page.locator('[data-widget="txt_user"]').textContent()).toContain(server.email);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('cannot be framed by another site\'s page', async () => {
    evilPage = `<!doctype html><title>evil</title><iframe id="f" src="${server.appUrl}" width="800" height="600"></iframe>`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${evilOrigin}/frame`);
      await page.waitForLoadState('load');
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame).toBeDefined();
      // A refused frame holds Chromium's error page, never the app.
      await page.waitForTimeout(500);
      expect(await frame!.locator('[data-widget="inp_username"]').count()).toBe(0);
      expect(frame!.url().startsWith(server.origin) && (await frame!.locator('#root').count()) > 0).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('does not run a query because another site\'s page asked, by any request a browser can send', async () => {
    const run = `${server.origin}/api/v1/apps/custom-auth/queries/sign_in/run`;
    const params = JSON.stringify({ params: { 'inp_username.text': 'x@example.com', 'inp_password.text': 'y' } });
    evilPage = `<!doctype html><title>evil</title>
      <form id="form" method="POST" action="${run}" target="sink" enctype="text/plain">
        <input name='${params.slice(0, -2)}' value='"}}'>
      </form>
      <iframe name="sink"></iframe>
      <script>
        window.results = {};
        (async () => {
          try {
            const r = await fetch(${JSON.stringify(run)}, { method: 'POST', mode: 'no-cors',
              headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(params)} });
            window.results.noCors = r.type;
          } catch (e) { window.results.noCors = 'error: ' + e; }
          try {
            await fetch(${JSON.stringify(run)}, { method: 'POST',
              headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(params)} });
            window.results.cors = 'readable';
          } catch (e) { window.results.cors = 'blocked'; }
          document.getElementById('form').submit();
          window.results.done = true;
        })();
      </script>`;
    const before = await queryRuns();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const reached: number[] = [];
      page.on('response', (r) => {
        if (r.url() === run) reached.push(r.status());
      });
      await page.goto(`${evilOrigin}/csrf`);
      await page.waitForFunction(() => (window as unknown as { results: { done?: boolean } }).results.done === true);
      const results = await page.evaluate(() => (window as unknown as { results: Record<string, string> }).results);
      expect(results.cors).toBe('blocked');
      // Let the form post land.
      await expect.poll(() => reached.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
      for (const status of reached) expect([403, 415]).toContain(status);
      expect(await queryRuns()).toBe(before);
    } finally {
      await context.close();
    }
  });
});
