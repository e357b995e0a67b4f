/**
 * The editor in a real browser against the real server, found the way a person finds things:
 * by role and accessible name (DESIGN.md §4), and placed with a real pointer.
 *
 * It is issue 8's "Done when": from `lowkey serve` on an empty database with one builder, sign
 * in at /edit, build the guide's login page by dragging widgets from the palette, add and hide a
 * Dashboard, make LoginPage the home page, undo and redo a move, publish, and see the result in
 * the viewer and in `lowkey app export` / `lowkey app validate`. Then two tabs on one app (the
 * second write gets the conflict, no edit is lost), a wrong password, and an axe-core check of
 * the editor's main screen. Then the loose ends: a change another tab made impossible, listed
 * next to the save state until dismissed; and a session that ends while editing (revoked from
 * the CLI): the sign-in dialog over the editor, and every edit on the server after signing in
 * again (both checked with axe-core as they show).
 *
 * With E2E_SCREENSHOT_DIR set it also saves the README's screenshots there.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { lowkey, startServeWithBuilder, type BuilderServer } from './server.ts';

let server: BuilderServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServeWithBuilder();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const SHOTS = process.env.E2E_SCREENSHOT_DIR;

/** expect.poll with room for a loaded machine (its default gives up after one second). */
function eventually<T>(fn: () => T | Promise<T>, timeout = 10_000) {
  return expect.poll(fn, { timeout });
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function newEditorContext(options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
}

async function signIn(page: Page, password = server.password): Promise<void> {
  await page.goto(`${server.origin}/edit`);
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * What axe-core finds serious or critical on the page as it is. axe is injected as an inline
 * script, which the editor's Content-Security-Policy forbids: the page's context must be made
 * with `bypassCSP`.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run(document);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
}

/** Signs in with the right password and waits for the app list. */
async function signInToAppList(page: Page): Promise<void> {
  await signIn(page);
  await page.getByRole('button', { name: 'New app' }).waitFor();
}

/** Creates an app from the app list; the editor opens on it. Returns its slug. */
async function createApp(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'New app' }).click();
  const dialog = page.getByRole('dialog', { name: 'New app' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/edit\/[^/]+$/);
  await saveState(page).waitFor();
  return decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
}

function saveState(page: Page): Locator {
  return page.getByRole('status').filter({ hasText: /saved|Saving|Offline|Conflict|Not saved|Unsaved/ });
}

async function allSaved(page: Page): Promise<void> {
  await eventually(() => saveState(page).textContent(), 15_000).toBe('All changes saved');
}

function pagesPanel(page: Page): Locator {
  return page.getByRole('region', { name: 'Pages' });
}

function pageItem(page: Page, name: string): Locator {
  return pagesPanel(page).getByRole('listitem', { name, exact: true });
}

async function addPage(page: Page, name: string): Promise<void> {
  await pagesPanel(page).getByRole('button', { name: 'Add page' }).click();
  const field = pagesPanel(page).getByRole('textbox', { name: 'Page name' });
  await field.fill(name);
  await field.press('Enter');
  await pageItem(page, name).waitFor();
}

/** The pages' names, as the list names its items. */
async function pageNames(page: Page): Promise<string[]> {
  return pagesPanel(page)
    .getByRole('listitem')
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

async function setProperty(page: Page, prop: string, value: string): Promise<void> {
  const field = properties(page).getByLabel(prop, { exact: true });
  await field.fill(value);
  await field.press('Tab');
}

async function pageMenu(page: Page, pageName: string, item: string): Promise<void> {
  await pagesPanel(page).getByRole('button', { name: `Page options for ${pageName}` }).click();
  await page.getByRole('menu').getByRole('menuitem', { name: item }).click();
}

function canvas(page: Page): Locator {
  return page.getByRole('region', { name: 'Canvas' });
}

async function widgetNames(page: Page): Promise<string[]> {
  return canvas(page)
    .locator('[data-widget]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-widget') ?? ''));
}

async function centre(l: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await l.boundingBox();
  if (!box) throw new Error('element has no box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2, width: box.width, height: box.height };
}

/**
 * Drags a widget type from the palette with the mouse (press, move in steps, release) to a
 * point inside `target`, at (dx, dy) from its top-left corner. Returns the new widget's name.
 */
async function dragFromPalette(page: Page, type: string, target: Locator, dx: number, dy: number): Promise<string> {
  const before = new Set(await widgetNames(page));
  const from = await centre(page.getByRole('region', { name: 'Widgets' }).getByRole('button', { name: type, exact: true }));
  const box = await target.boundingBox();
  if (!box) throw new Error('drop target has no box');
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 20, from.y + 10, { steps: 4 });
  await page.mouse.move(box.x + dx, box.y + dy, { steps: 12 });
  await page.mouse.up();
  let added: string[] = [];
  await eventually(async () => {
    added = (await widgetNames(page)).filter((n) => !before.has(n));
    return added.length;
  }).toBe(1);
  return added[0]!;
}

function widget(page: Page, name: string): Locator {
  return canvas(page).locator(`[data-widget="${name}"]`);
}

function properties(page: Page): Locator {
  return page.getByRole('region', { name: 'Properties' });
}

/** Renames the selected widget through the Properties pane's `name` field. */
async function renameSelected(page: Page, to: string): Promise<void> {
  const field = properties(page).getByLabel('name', { exact: true });
  await field.fill(to);
  await field.press('Enter');
  await widget(page, to).waitFor();
}

describe('the editor in Chromium', () => {
  it('refuses a wrong password at sign-in', async () => {
    const context = await newEditorContext();
    try {
      const page = await context.newPage();
      await signIn(page, 'not the password');
      await eventually(() => page.getByRole('alert').textContent()).toMatch(/wrong email or password/i);
      expect(await page.getByRole('button', { name: 'New app' }).count()).toBe(0);
      await screenshot(page, 'editor-sign-in');
    } finally {
      await context.close();
    }
  });

  it("builds the guide's login page by dragging, publishes it, and the viewer and the CLI agree", async () => {
    const context = await newEditorContext();
    try {
      const page = await context.newPage();
      await signInToAppList(page);
      const slug = await createApp(page, 'Guide app');
      await allSaved(page);
      const firstPages = await pageNames(page);

      // Pages: LoginPage and Dashboard.
      await addPage(page, 'LoginPage');
      await pageItem(page, 'LoginPage').getByRole('button', { name: 'LoginPage', exact: true }).click();

      // The form and its fields, each dragged from the palette with the pointer.
      const form = await dragFromPalette(page, 'Form', canvas(page), 40, 40);
      await renameSelected(page, 'frm_login');
      const user = await dragFromPalette(page, 'Input', widget(page, 'frm_login'), 30, 60);
      expect(user).not.toBe(form);
      await renameSelected(page, 'inp_username');
      await properties(page).getByLabel('inputType', { exact: true }).selectOption('EMAIL');
      await setProperty(page, 'label', 'Email');
      await dragFromPalette(page, 'Input', widget(page, 'frm_login'), 30, 150);
      await renameSelected(page, 'inp_password');
      await properties(page).getByLabel('inputType', { exact: true }).selectOption('PASSWORD');
      await setProperty(page, 'label', 'Password');
      await dragFromPalette(page, 'Button', widget(page, 'frm_login'), 30, 240);
      await renameSelected(page, 'btn_login');
      const text = properties(page).getByLabel('text', { exact: true });
      await text.fill('Login');
      await text.press('Tab');
      // The inputs show their labels, as the viewer will.
      await eventually(() => widget(page, 'inp_password').textContent()).toContain('Password');
      await eventually(() => widget(page, 'btn_login').textContent()).toContain('Login');
      // The inputs live inside the form.
      expect(await widget(page, 'frm_login').locator('[data-widget="inp_username"]').count()).toBe(1);

      // Undo and redo a move of the button.
      await allSaved(page);
      const undo = page.getByRole('button', { name: 'Undo' });
      const redo = page.getByRole('button', { name: 'Redo' });
      expect(await redo.isDisabled()).toBe(true);
      const start = await centre(widget(page, 'btn_login'));
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      await page.mouse.move(start.x + 60, start.y + 40, { steps: 10 });
      await page.mouse.up();
      await eventually(async () => (await centre(widget(page, 'btn_login'))).y).toBeGreaterThan(start.y + 10);
      const moved = await centre(widget(page, 'btn_login'));
      expect(await undo.getAttribute('title')).toMatch(/Undo .*\(.+\)/);
      await undo.click();
      await eventually(async () => (await centre(widget(page, 'btn_login'))).y).toBeCloseTo(start.y, 0);
      await redo.click();
      await eventually(async () => (await centre(widget(page, 'btn_login'))).y).toBeCloseTo(moved.y, 0);
      await allSaved(page);
      await screenshot(page, 'editor-screen');

      await addPage(page, 'Dashboard');

      // LoginPage becomes the home page; its own "Set as home page" is then disabled.
      await pageMenu(page, 'LoginPage', 'Set as home page');
      await pageItem(page, 'LoginPage').getByRole('img', { name: 'Home page' }).waitFor();
      await pagesPanel(page).getByRole('button', { name: 'Page options for LoginPage' }).click();
      const menu = page.getByRole('menu');
      expect(await menu.getByRole('menuitem', { name: 'Set as home page' }).getAttribute('aria-disabled')).toBe('true');
      await screenshot(page, 'editor-page-menu');
      // The home page cannot be deleted: the editor says why, and the page stays.
      await menu.getByRole('menuitem', { name: 'Delete' }).click();
      await eventually(() => page.getByRole('alert').allTextContents()).toContainEqual(expect.stringMatching(/home page/i));
      expect(await pageItem(page, 'LoginPage').count()).toBe(1);

      // The pages the new app came with are deleted, each after a confirmation.
      for (const name of firstPages) {
        await pageMenu(page, name, 'Delete');
        const confirm = page.getByRole('alertdialog', { name: `Delete ${name}?` });
        await confirm.getByRole('button', { name: 'Delete' }).click();
        await pageItem(page, name).waitFor({ state: 'detached' });
      }
      expect(await pageNames(page)).toEqual(['LoginPage', 'Dashboard']);

      // Dashboard is hidden from its menu, and the list marks it.
      await pageMenu(page, 'Dashboard', 'Hide');
      await pageItem(page, 'Dashboard').getByRole('img', { name: 'Hidden' }).waitFor();
      await allSaved(page);
      await pageItem(page, 'LoginPage').getByRole('button', { name: 'LoginPage', exact: true }).click();

      // The notices so far are read: dismissed.
      for (const dismiss of await page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();

      // Preview: the draft as the viewer runs it, and back.
      await page.getByRole('button', { name: 'Preview' }).click();
      await page.locator('[data-widget="inp_username"] input[type="email"]').waitFor();
      expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).count()).toBe(0);
      await screenshot(page, 'editor-preview');
      await page.getByRole('button', { name: 'Back to editor' }).click();
      await canvas(page).waitFor();

      // Publish: the new version is announced.
      await page.getByRole('button', { name: 'Publish' }).click();
      const published = page.getByRole('dialog', { name: 'Publish' });
      await eventually(() => published.textContent(), 15_000).toMatch(/Published version 1\b/);
      await screenshot(page, 'editor-publish');
      await published.getByRole('button', { name: 'Close' }).click();

      // The viewer opens the login page; its navigation leaves Dashboard out.
      const viewer = await context.newPage();
      await viewer.goto(`${server.origin}/app/${encodeURIComponent(slug)}`);
      await viewer.locator('[data-widget="inp_username"] input[type="email"]').waitFor();
      await viewer.locator('[data-widget="inp_password"] input[type="password"]').waitFor();
      expect(await viewer.locator('[data-widget="btn_login"] button').textContent()).toContain('Login');
      const nav = viewer.getByRole('navigation', { name: 'Pages' });
      expect(await nav.getByRole('link', { name: 'LoginPage' }).getAttribute('aria-current')).toBe('page');
      expect(await nav.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);

      // The CLI exports the draft as a folder that validates.
      const out = mkdtempSync(join(tmpdir(), 'lowkey-export-'));
      try {
        const dir = join(out, slug);
        const exported = lowkey(['app', 'export', slug, dir, '--data-dir', server.dataDir]);
        expect(exported.status, exported.stderr).toBe(0);
        const validated = lowkey(['app', 'validate', dir]);
        expect(validated.status, `${validated.stdout}\n${validated.stderr}`).toBe(0);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }

      // A later change, then Versions: version 1 with who published it, restored after asking.
      await addPage(page, 'Later');
      await allSaved(page);
      await page.getByRole('button', { name: 'Versions' }).click();
      const versions = page.getByRole('dialog', { name: 'Versions' });
      await eventually(() => versions.textContent()).toContain(server.email);
      await versions.getByRole('button', { name: 'Restore version 1' }).click();
      const restore = page.getByRole('alertdialog', { name: 'Restore version 1?' });
      await restore.getByRole('button', { name: 'Restore' }).click();
      await pageItem(page, 'LoginPage').waitFor();
      await eventually(() => pageNames(page)).toEqual(['LoginPage', 'Dashboard']);
      await allSaved(page);
    } finally {
      await context.close();
    }
  });

  it('gives the second of two tabs the conflict, and loses neither edit', async () => {
    const context = await newEditorContext();
    try {
      const a = await context.newPage();
      await signInToAppList(a);
      const slug = await createApp(a, 'Two tabs');
      await allSaved(a);
      const b = await context.newPage();
      await b.goto(`${server.origin}/edit/${encodeURIComponent(slug)}`);
      await allSaved(b);
      const statuses: number[] = [];
      b.on('response', (r) => {
        if (r.request().method() === 'PUT' && new URL(r.url()).pathname.endsWith('/draft')) statuses.push(r.status());
      });

      await addPage(a, 'FromA');
      await allSaved(a);
      await addPage(b, 'FromB');
      await eventually(() => statuses).toContain(409);
      await eventually(() => saveState(b).textContent(), 15_000).toMatch(/All changes saved|Conflict/);

      // A fresh tab sees both edits.
      const c = await context.newPage();
      await c.goto(`${server.origin}/edit/${encodeURIComponent(slug)}`);
      await pageItem(c, 'FromA').waitFor();
      await pageItem(c, 'FromB').waitFor();
    } finally {
      await context.close();
    }
  });

  it('lists a change another tab made impossible next to the save state, until the builder dismisses it', async () => {
    const context = await newEditorContext({ bypassCSP: true });
    try {
      const a = await context.newPage();
      await signInToAppList(a);
      const slug = await createApp(a, 'Not applied');
      await addPage(a, 'Gone');
      await allSaved(a);
      const b = await context.newPage();
      await b.goto(`${server.origin}/edit/${encodeURIComponent(slug)}`);
      await pageItem(b, 'Gone').waitFor();

      // The first tab deletes the page; the second, not knowing, hides it.
      await pageMenu(a, 'Gone', 'Delete');
      await a.getByRole('alertdialog', { name: 'Delete Gone?' }).getByRole('button', { name: 'Delete' }).click();
      await allSaved(a);
      await pageMenu(b, 'Gone', 'Hide');

      await eventually(() => saveState(b).textContent(), 15_000).toBe('Conflict: 1 change not applied');
      const list = b.getByRole('region', { name: 'Changes not applied' });
      await eventually(() => list.getByRole('listitem').allTextContents()).toEqual([expect.stringMatching(/^Hide page Gone: /)]);
      expect(await b.getByRole('button', { name: '1 change not applied' }).getAttribute('aria-expanded')).toBe('true');
      expect(await seriousViolations(b)).toEqual([]);
      await list.getByRole('button', { name: 'Dismiss' }).click();
      await allSaved(b);
      expect(await b.getByRole('button', { name: '1 change not applied' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('asks the builder to sign in again when the session ends while editing, and then saves every edit', async () => {
    const context = await newEditorContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await signInToAppList(page);
      const slug = await createApp(page, 'Session ends');
      await addPage(page, 'Kept');
      await allSaved(page);

      // The session ends on the server (as `lowkey admin revoke` does for a lost laptop).
      const revoked = lowkey(['admin', 'revoke', server.email, '--data-dir', server.dataDir]);
      expect(revoked.status, revoked.stderr).toBe(0);

      // The next edit cannot be saved: the editor says so and asks to sign in, over the editor.
      await pageMenu(page, 'Kept', 'Hide');
      const dialog = page.getByRole('dialog', { name: 'Sign in again' });
      await dialog.waitFor();
      await eventually(() => saveState(page).textContent()).toMatch(/^Not saved: you are signed out/);
      expect(await dialog.getByLabel('Email').inputValue()).toBe(server.email);
      // The password is what is left to type: the dialog starts there.
      expect(await dialog.getByLabel('Password').evaluate((e) => e === document.activeElement)).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      await dialog.getByLabel('Password').fill(server.password);
      await dialog.getByRole('button', { name: 'Sign in', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await allSaved(page);

      // Both edits are on the server, and the editor kept its place and its undo history.
      const draft = await page.evaluate(async (s) => {
        const res = await fetch(`/api/v1/edit/apps/${encodeURIComponent(s)}/draft`);
        return (await res.json()) as { app: { pages: { name: string; hidden: boolean }[] } };
      }, slug);
      expect(draft.app.pages.find((p) => p.name === 'Kept')?.hidden).toBe(true);
      await pageItem(page, 'Kept').getByRole('img', { name: 'Hidden' }).waitFor();
      expect(await page.getByRole('button', { name: 'Undo' }).getAttribute('title')).toMatch(/^Undo Hide page Kept/);
    } finally {
      await context.close();
    }
  });

  it('works from the keyboard and has no serious accessibility violation (axe-core)', async () => {
    // axe is injected as an inline script, which the editor's Content-Security-Policy forbids.
    const context = await newEditorContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await signInToAppList(page);
      await screenshot(page, 'editor-apps');
      await createApp(page, 'Accessible');
      await allSaved(page);
      await dragFromPalette(page, 'Form', canvas(page), 40, 40);

      // A page menu from the keyboard: Enter opens it on its first item, arrows move, Esc
      // closes it and gives the focus back to its button.
      const options = pagesPanel(page).getByRole('button', { name: /^Page options for / }).first();
      await options.focus();
      await page.keyboard.press('Enter');
      const menu = page.getByRole('menu');
      await eventually(() => menu.getByRole('menuitem', { name: 'Rename' }).evaluate((e) => e === document.activeElement)).toBe(true);
      await page.keyboard.press('ArrowDown');
      await eventually(() => menu.getByRole('menuitem', { name: 'Duplicate' }).evaluate((e) => e === document.activeElement)).toBe(true);
      await page.keyboard.press('Escape');
      expect(await menu.count()).toBe(0);
      expect(await options.evaluate((e) => e === document.activeElement)).toBe(true);
      // Duplicate from the keyboard adds a page, and Mod+Z (outside a text field) undoes it.
      const before = await pagesPanel(page).getByRole('listitem').count();
      await page.keyboard.press('Enter');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await eventually(() => pagesPanel(page).getByRole('listitem').count()).toBe(before + 1);
      await page.keyboard.press('ControlOrMeta+z');
      await eventually(() => pagesPanel(page).getByRole('listitem').count()).toBe(before);

      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
