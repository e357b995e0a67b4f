/**
 * The viewer's own behaviour on a fixture app (e2e/fixtures/bindings-app) imported and
 * published with the CLI: a binding that throws is shown inline while the rest of the page
 * works, and navigateTo, back and forward move between pages through the History API.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browser.ts';
import { freshDataDir, lowkey, startDemo, type DemoServer } from './server.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/bindings-app', import.meta.url));

let server: DemoServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const dataDir = freshDataDir();
  for (const args of [
    ['app', 'import', FIXTURE, '--data-dir', dataDir],
    ['app', 'publish', 'e2e-bindings', '--data-dir', dataDir],
  ]) {
    const r = lowkey(args);
    if (r.status !== 0) throw new Error(`lowkey ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  server = await startDemo(dataDir);
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const text = (name: string) => page.locator(`[data-widget="${name}"] .lk-text`).textContent();

describe('the viewer in Chromium', () => {
  it('shows a binding that throws as an inline error, and the rest of the page still works', async () => {
    await page.goto(`${server.origin}/app/e2e-bindings`);
    const error = page.locator('[data-widget="txt_parsed"] .lk-widget-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^text: .*JSON/);
    expect(await text('txt_ok')).toBe('Still rendering: 8 characters');

    // Fix the input: the error goes away and the value shows.
    await page.locator('[data-widget="inp_json"] input').fill('{"name":"Ada"}');
    await expect.poll(() => text('txt_parsed')).toBe('Ada');
    expect(await error.count()).toBe(0);
    expect(await text('txt_ok')).toBe('Still rendering: 14 characters');
  });

  it('moves between pages with navigateTo, back and forward', async () => {
    await page.locator('[data-widget="btn_next"] button').click();
    await page.waitForURL('**/app/e2e-bindings/second?from=home');
    await expect.poll(() => text('txt_param')).toBe('from=home');

    await page.goBack();
    await page.waitForURL((u) => u.pathname === '/app/e2e-bindings');
    await expect.poll(() => text('txt_ok')).toBe('Still rendering: 8 characters');

    await page.goForward();
    await page.waitForURL('**/app/e2e-bindings/second?from=home');
    await expect.poll(() => text('txt_param')).toBe('from=home');
  });

  it('shows a page-not-found screen for an unknown page of a known app', async () => {
    await page.goto(`${server.origin}/app/e2e-bindings/nope`);
    const screen = page.locator('[data-error-screen] h1');
    await screen.waitFor();
    expect(await screen.textContent()).toBe('Page not found');
  });
});
