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
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { lowkey } from './server.ts';
import {
  eventually,
  screenshot,
  newEditorContext,
  signIn,
  seriousViolations,
  signInToAppList,
  createApp,
  saveState,
  allSaved,
  pagesPanel,
  pageItem,
  addPage,
  pageNames,
  pageMenu,
  canvas,
  centre,
  dragFromPalette,
  widget,
  buildLoginForm,
  exportAndValidate,
  useEditorServer,
} from './editorPage.ts';

const t = useEditorServer();

describe('the editor in Chromium', () => {
  it('refuses a wrong password at sign-in', async () => {
    const context = await newEditorContext(t);
    try {
      const page = await context.newPage();
      await signIn(t, page, 'not the password');
      await eventually(() => page.getByRole('alert').textContent()).toMatch(/wrong email or password/i);
      expect(await page.getByRole('button', { name: 'New app' }).count()).toBe(0);
      await screenshot(page, 'editor-sign-in');
    } finally {
      await context.close();
    }
  });

  it("builds the guide's login page by dragging, publishes it, and the viewer and the CLI agree", async () => {
    const context = await newEditorContext(t);
    try {
      const page = await context.newPage();
      await signInToAppList(t, page);
      const slug = await createApp(page, 'Guide app');
      await allSaved(page);
      const firstPages = await pageNames(page);

      // Pages: LoginPage and Dashboard.
      await addPage(page, 'LoginPage');
      await pageItem(page, 'LoginPage').getByRole('button', { name: 'LoginPage', exact: true }).click();

      // The form and its fields, each dragged from the palette with the pointer.
      await buildLoginForm(page);
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
      await viewer.goto(`${t.server.origin}/app/${encodeURIComponent(slug)}`);
      await viewer.locator('[data-widget="inp_username"] input[type="email"]').waitFor();
      await viewer.locator('[data-widget="inp_password"] input[type="password"]').waitFor();
      expect(await viewer.locator('[data-widget="btn_login"] button').textContent()).toContain('Login');
      const nav = viewer.getByRole('navigation', { name: 'Pages' });
      expect(await nav.getByRole('link', { name: 'LoginPage' }).getAttribute('aria-current')).toBe('page');
      expect(await nav.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);

      // The CLI exports the draft as a folder that validates.
      exportAndValidate(t, slug);

      // A later change, then Versions: version 1 with who published it, restored after asking.
      await addPage(page, 'Later');
      await allSaved(page);
      await page.getByRole('button', { name: 'Versions' }).click();
      const versions = page.getByRole('dialog', { name: 'Versions' });
      await eventually(() => versions.textContent()).toContain(t.server.email);
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
    const context = await newEditorContext(t);
    try {
      const a = await context.newPage();
      await signInToAppList(t, a);
      const slug = await createApp(a, 'Two tabs');
      await allSaved(a);
      const b = await context.newPage();
      await b.goto(`${t.server.origin}/edit/${encodeURIComponent(slug)}`);
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
      await c.goto(`${t.server.origin}/edit/${encodeURIComponent(slug)}`);
      await pageItem(c, 'FromA').waitFor();
      await pageItem(c, 'FromB').waitFor();
    } finally {
      await context.close();
    }
  });

  it('lists a change another tab made impossible next to the save state, until the builder dismisses it', async () => {
    const context = await newEditorContext(t, { bypassCSP: true });
    try {
      const a = await context.newPage();
      await signInToAppList(t, a);
      const slug = await createApp(a, 'Not applied');
      await addPage(a, 'Gone');
      await allSaved(a);
      const b = await context.newPage();
      await b.goto(`${t.server.origin}/edit/${encodeURIComponent(slug)}`);
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
    const context = await newEditorContext(t, { bypassCSP: true });
    try {
      const page = await context.newPage();
      await signInToAppList(t, page);
      const slug = await createApp(page, 'Session ends');
      await addPage(page, 'Kept');
      await allSaved(page);

      // The session ends on the server (as `lowkey admin revoke` does for a lost laptop).
      const revoked = lowkey(['admin', 'revoke', t.server.email, '--data-dir', t.server.dataDir]);
      expect(revoked.status, revoked.stderr).toBe(0);

      // The next edit cannot be saved: the editor says so and asks to sign in, over the editor.
      await pageMenu(page, 'Kept', 'Hide');
      const dialog = page.getByRole('dialog', { name: 'Sign in again' });
      await dialog.waitFor();
      await eventually(() => saveState(page).textContent()).toMatch(/^Not saved: you are signed out/);
      expect(await dialog.getByLabel('Email').inputValue()).toBe(t.server.email);
      // The password is what is left to type: the dialog starts there.
      expect(await dialog.getByLabel('Password').evaluate((e) => e === document.activeElement)).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      await dialog.getByLabel('Password').fill(t.server.password);
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
    const context = await newEditorContext(t, { bypassCSP: true });
    try {
      const page = await context.newPage();
      await signInToAppList(t, page);
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
