/**
 * The editor as a person uses it, for the end-to-end tests: sign in, create an app, find the
 * panes and their fields by role and accessible name, drag from the palette with a real
 * pointer. Shared by editor.e2e.test.ts (part 1), guide.e2e.test.ts (the guide built by
 * clicking) and editorCode.e2e.test.ts (the code panes on the imported example).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { launchChromium } from './browser.ts';
import { lowkey, startServeWithBuilder, type BuilderServer } from './server.ts';

export interface EditorTest {
  readonly server: BuilderServer;
  readonly browser: Browser;
}

export const SHOTS = process.env.E2E_SCREENSHOT_DIR;

/** expect.poll with room for a loaded machine (its default gives up after one second). */
export function eventually<T>(fn: () => T | Promise<T>, timeout = 10_000) {
  return expect.poll(fn, { timeout });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export async function newEditorContext(t: EditorTest, options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  return t.browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
}

export async function signIn(t: EditorTest, page: Page, password = t.server.password): Promise<void> {
  await page.goto(`${t.server.origin}/edit`);
  await page.getByLabel('Email').fill(t.server.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * What axe-core finds serious or critical on the page as it is. axe is injected as an inline
 * script, which the editor's Content-Security-Policy forbids: the page's context must be made
 * with `bypassCSP`.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
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
export async function signInToAppList(t: EditorTest, page: Page): Promise<void> {
  await signIn(t, page);
  await page.getByRole('button', { name: 'New app' }).waitFor();
}

/** Creates an app from the app list; the editor opens on it. Returns its slug. */
export async function createApp(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'New app' }).click();
  const dialog = page.getByRole('dialog', { name: 'New app' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/edit\/[^/]+$/);
  await saveState(page).waitFor();
  return decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
}

export function saveState(page: Page): Locator {
  return page.getByRole('status').filter({ hasText: /saved|Saving|Offline|Conflict|Not saved|Unsaved/ });
}

export async function allSaved(page: Page): Promise<void> {
  await eventually(() => saveState(page).textContent(), 15_000).toBe('All changes saved');
}

export function pagesPanel(page: Page): Locator {
  return page.getByRole('region', { name: 'Pages' });
}

export function pageItem(page: Page, name: string): Locator {
  return pagesPanel(page).getByRole('listitem', { name, exact: true });
}

export async function addPage(page: Page, name: string): Promise<void> {
  await pagesPanel(page).getByRole('button', { name: 'Add page' }).click();
  const field = pagesPanel(page).getByRole('textbox', { name: 'Page name' });
  await field.fill(name);
  await field.press('Enter');
  await pageItem(page, name).waitFor();
}

/** The pages' names, as the list names its items. */
export async function pageNames(page: Page): Promise<string[]> {
  return pagesPanel(page)
    .getByRole('listitem')
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

export async function setProperty(page: Page, prop: string, value: string): Promise<void> {
  const field = properties(page).getByLabel(prop, { exact: true });
  await field.fill(value);
  await field.press('Tab');
}

export async function pageMenu(page: Page, pageName: string, item: string): Promise<void> {
  await pagesPanel(page).getByRole('button', { name: `Page options for ${pageName}` }).click();
  await page.getByRole('menu').getByRole('menuitem', { name: item }).click();
}

export function canvas(page: Page): Locator {
  return page.getByRole('region', { name: 'Canvas' });
}

export async function widgetNames(page: Page): Promise<string[]> {
  return canvas(page)
    .locator('[data-widget]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-widget') ?? ''));
}

export async function centre(l: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await l.boundingBox();
  if (!box) throw new Error('element has no box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2, width: box.width, height: box.height };
}

/**
 * Drags a widget type from the palette with the mouse (press, move in steps, release) to a
 * point inside `target`, at (dx, dy) from its top-left corner. Returns the new widget's name.
 */
export async function dragFromPalette(page: Page, type: string, target: Locator, dx: number, dy: number): Promise<string> {
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

export function widget(page: Page, name: string): Locator {
  return canvas(page).locator(`[data-widget="${name}"]`);
}

export function properties(page: Page): Locator {
  return page.getByRole('region', { name: 'Properties' });
}

/** Renames the selected widget through the Properties pane's `name` field. */
export async function renameSelected(page: Page, to: string): Promise<void> {
  const field = properties(page).getByLabel('name', { exact: true });
  await field.fill(to);
  await field.press('Enter');
  await widget(page, to).waitFor();
}

/**
 * The guide's login form on the current page, each widget dragged from the palette with the
 * pointer: frm_login holding inp_username (EMAIL, "Email"), inp_password (PASSWORD,
 * "Password") and btn_login ("Login").
 */
export async function buildLoginForm(page: Page): Promise<void> {
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
  await setProperty(page, 'text', 'Login');
}

/** `lowkey app export` of the app's draft, then `lowkey app validate` of the folder: both pass. */
export function exportAndValidate(t: EditorTest, slug: string): void {
  const out = mkdtempSync(join(tmpdir(), 'lowkey-export-'));
  try {
    const dir = join(out, slug);
    const exported = lowkey(['app', 'export', slug, dir, '--data-dir', t.server.dataDir]);
    expect(exported.status, exported.stderr).toBe(0);
    const validated = lowkey(['app', 'validate', dir]);
    expect(validated.status, `${validated.stdout}\n${validated.stderr}`).toBe(0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A region of the editor by its exact accessible name ("Query", "JS object", "Queries"…). */
export function region(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

/**
 * Stores an app folder as a draft with `lowkey app import`, next to the running server (the
 * server reads it from the same data directory). With `slug`, a copy of the folder whose
 * app.yaml names that slug (and app name) is imported, so one folder can make several apps.
 */
export function importApp(t: EditorTest, folder: string, slug?: string): void {
  const tmp = mkdtempSync(join(tmpdir(), 'lowkey-import-'));
  try {
    let dir = folder;
    if (slug !== undefined) {
      dir = join(tmp, slug);
      cpSync(folder, dir, { recursive: true });
      const yaml = readFileSync(join(dir, 'app.yaml'), 'utf8');
      writeFileSync(join(dir, 'app.yaml'), yaml.replace(/^slug: .*$/m, `slug: ${slug}`).replace(/^name: .*$/m, `name: ${slug}`));
    }
    const imported = lowkey(['app', 'import', dir, '--data-dir', t.server.dataDir]);
    expect(imported.status, `${imported.stdout}\n${imported.stderr}`).toBe(0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Signs in and opens the editor on the app `slug`; waits until its draft is loaded. */
export async function openInEditor(t: EditorTest, page: Page, slug: string): Promise<void> {
  await signInToAppList(t, page);
  await page.goto(`${t.server.origin}/edit/${encodeURIComponent(slug)}`);
  await allSaved(page);
}

/** Waits for CodeMirror to replace a code field's placeholder textarea (it loads lazily). */
async function codeMirrorReady(field: Locator): Promise<void> {
  await field.waitFor();
  await eventually(() => field.getAttribute('contenteditable')).toBe('true');
}

/** Replaces the text of a code field (CodeMirror, loaded lazily) as typing would insert it. */
export async function fillCode(field: Locator, text: string): Promise<void> {
  await codeMirrorReady(field);
  await field.click();
  await field.press('ControlOrMeta+a');
  await field.page().keyboard.insertText(text);
}

/**
 * The text a code field shows, its lines joined with "\n" (CodeMirror draws one element per
 * line, and only the lines in or near its viewport: a long text is whole only in a tall window).
 */
export async function codeText(field: Locator): Promise<string> {
  await codeMirrorReady(field);
  return field.evaluate((el) => Array.from(el.querySelectorAll('.cm-line'), (line) => line.textContent ?? '').join('\n'));
}

/**
 * The file's server and browser: `lowkey serve` with one builder and Chromium, started before
 * its tests and stopped after them (registers the file's beforeAll and afterAll).
 */
export function useEditorServer(): EditorTest {
  let server: BuilderServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServeWithBuilder();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('the editor server is not started: call useEditorServer() at the top of the test file');
    return x;
  };
  return {
    get server() {
      return started(server);
    },
    get browser() {
      return started(browser);
    },
  };
}
