/**
 * Issue 9's "Done when": the guide's app built **through the editor only**, in Chromium,
 * against `lowkey serve` on an empty database with one builder and one end user — pages and
 * widgets by dragging, the datasource, the four queries (each run from the editor with the
 * canvas's values), the JS object in the code editor (its functions run from there too), the
 * buttons' actions with the action picker, the Dashboard's on-load list — then published, and
 * the guide's flow passed in the viewer: a wrong password's alert, sign-in, a reload that
 * refreshes, a logout that revokes. The exported folder passes `lowkey app validate`.
 *
 * With E2E_SCREENSHOT_DIR set it saves the README walkthrough's screenshots there.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page, Request } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addPage,
  allSaved,
  buildLoginForm,
  canvas,
  createApp,
  dragFromPalette,
  eventually,
  exportAndValidate,
  fillCode,
  newEditorContext,
  pageItem,
  pageMenu,
  pageNames,
  properties,
  region,
  renameSelected,
  screenshot,
  setProperty,
  signInToAppList,
  widget,
  useEditorServer,
} from './editorPage.ts';
import { lowkey } from './server.ts';

const USER_EMAIL = 'ada@example.com';
const USER_PASSWORD = 'analytical engine 1843';

const t = useEditorServer();

/** The app's one end user, in the built-in provider. */
beforeAll(() => {
  const added = lowkey(['user', 'add', USER_EMAIL, '--data-dir', t.server.dataDir], `${USER_PASSWORD}\n`);
  if (added.status !== 0) throw new Error(`lowkey user add failed: ${added.stderr}`);
});

/** The guide's JS object, as the example app has it (examples/custom-auth/js/Auth.js), typed
 * into the editor's code field. */
const AUTH_SOURCE = readFileSync(fileURLToPath(new URL('../../examples/custom-auth/js/Auth.js', import.meta.url)), 'utf8');


function queryEditor(page: Page): Locator {
  return region(page, 'Query');
}


/** Fills a field of the query editor and leaves it. */
async function fillQueryField(page: Page, label: string, value: string): Promise<void> {
  const field = queryEditor(page).getByLabel(label, { exact: true });
  await field.fill(value);
  await field.press('Escape');
}

/** Adds a key/value row to a list of the query editor ("Params", "Headers"). */
async function addRow(page: Page, list: 'Params' | 'Headers', key: string, value: string): Promise<void> {
  const editor = queryEditor(page);
  const button = list === 'Params' ? 'Add param' : 'Add header';
  await editor.getByRole('button', { name: button }).click();
  const rows = editor.getByRole('list', { name: list }).getByRole('listitem');
  const row = rows.last();
  await row.getByLabel('Key', { exact: true }).fill(key);
  const v = row.getByLabel('Value', { exact: true });
  await v.fill(value);
  await v.press('Escape');
}

/** Creates a query on the datasource `provider` through the editor. */
async function newQuery(page: Page, spec: { name: string; method: string; path: string; params?: [string, string][]; headers?: [string, string][]; body?: string }): Promise<void> {
  await region(page, 'Queries').getByRole('button', { name: 'New query' }).click();
  const editor = queryEditor(page);
  await editor.waitFor();
  const name = editor.getByLabel('Name', { exact: true });
  await name.fill(spec.name);
  await name.press('Enter');
  await eventually(() => region(page, 'Queries').getByRole('button', { name: spec.name }).count()).toBe(1);
  await editor.getByLabel('Datasource', { exact: true }).selectOption('provider');
  await editor.getByLabel('Method', { exact: true }).selectOption(spec.method);
  await fillQueryField(page, 'Path', spec.path);
  for (const [k, v] of spec.params ?? []) await addRow(page, 'Params', k, v);
  for (const [k, v] of spec.headers ?? []) await addRow(page, 'Headers', k, v);
  if (spec.body !== undefined) {
    await editor.getByLabel('Body type', { exact: true }).selectOption('json');
    await fillCode(editor.getByRole('textbox', { name: 'Body', exact: true }), spec.body);
  }
  await allSaved(page);
}

/** Runs the open query from the editor and gives the Response region's text. */
async function runQuery(page: Page, how: 'button' | 'keys' = 'button'): Promise<string> {
  const editor = queryEditor(page);
  const response = page.getByRole('region', { name: 'Response' });
  const before = await response.textContent();
  if (how === 'button') await editor.getByRole('button', { name: 'Run', exact: true }).click();
  else {
    await editor.getByLabel('Method', { exact: true }).focus();
    await page.keyboard.press('ControlOrMeta+Enter');
  }
  await eventually(async () => {
    const text = (await response.textContent()) ?? '';
    return text !== before && !/Running/.test(text) && /\d{3}|error|refused|could not/i.test(text);
  }, 20_000).toBe(true);
  return (await response.textContent()) ?? '';
}

/** Opens the action picker of an event property and applies "Execute a JS function". */
async function setJsAction(page: Page, property: string, object: string, fn: string, shot?: string): Promise<void> {
  await properties(page).getByRole('button', { name: `Action for ${property}` }).click();
  const dialog = page.getByRole('dialog', { name: `Action for ${property}` });
  await dialog.getByLabel('Action', { exact: true }).selectOption({ label: 'Execute a JS function' });
  await dialog.getByLabel('JS object', { exact: true }).selectOption(object);
  await dialog.getByLabel('Function', { exact: true }).selectOption(fn);
  if (shot) await screenshot(page, shot);
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await dialog.waitFor({ state: 'detached' });
}

async function typeIntoCanvasInput(page: Page, name: string, value: string): Promise<void> {
  await widget(page, name).locator('input').fill(value);
}

describe("the guide's app, built by clicking", () => {
  it('is built, run and published from the editor, and passes the guide in the viewer', async () => {
    const context = await newEditorContext(t);
    try {
      const page = await context.newPage();
      await signInToAppList(t, page);
      const slug = await createApp(page, 'Custom auth');
      await allSaved(page);
      const firstPages = await pageNames(page);

      // Pages: LoginPage (home) and a hidden Dashboard.
      await addPage(page, 'LoginPage');
      await addPage(page, 'Dashboard');
      await pageMenu(page, 'LoginPage', 'Set as home page');
      await pageItem(page, 'LoginPage').getByRole('img', { name: 'Home page' }).waitFor();
      for (const name of firstPages) {
        await pageMenu(page, name, 'Delete');
        await page.getByRole('alertdialog', { name: `Delete ${name}?` }).getByRole('button', { name: 'Delete' }).click();
        await pageItem(page, name).waitFor({ state: 'detached' });
      }
      await pageMenu(page, 'Dashboard', 'Hide');
      await pageItem(page, 'LoginPage').getByRole('button', { name: 'LoginPage', exact: true }).click();

      // The login form.
      await buildLoginForm(page);
      await allSaved(page);
      await screenshot(page, 'guide-1-login-page');

      // The datasource: this server's built-in provider.
      await region(page, 'Datasources').getByRole('button', { name: 'New datasource' }).click();
      const ds = page.getByRole('form', { name: /^Datasource / });
      const dsName = ds.getByLabel('Name', { exact: true });
      await dsName.fill('provider');
      await dsName.press('Enter');
      await ds.getByLabel('URL', { exact: true }).fill('/auth/v1');
      await allSaved(page);
      await screenshot(page, 'guide-2-datasource');

      // The four queries of the guide.
      await newQuery(page, {
        name: 'sign_in',
        method: 'POST',
        path: '/token',
        params: [['grant_type', 'password']],
        body: '{"email": {{inp_username.text}}, "password": {{inp_password.text}}}',
      });
      // Run with a wrong password typed into the canvas: the provider's 400 is shown.
      await typeIntoCanvasInput(page, 'inp_username', USER_EMAIL);
      await typeIntoCanvasInput(page, 'inp_password', 'wrong password');
      expect(await runQuery(page)).toMatch(/400 Bad Request/);
      // And with the right one, by Mod+Enter: 200 and the tokens in the JSON tree.
      await typeIntoCanvasInput(page, 'inp_password', USER_PASSWORD);
      const signedIn = await runQuery(page, 'keys');
      expect(signedIn).toMatch(/200 OK/);
      expect(signedIn).toContain('access_token');
      await screenshot(page, 'guide-3-query-run');

      await newQuery(page, {
        name: 'refreshAPI',
        method: 'POST',
        path: '/token',
        params: [['grant_type', 'refresh_token']],
        body: '{"refresh_token": {{this.params.refreshtoken}}}',
      });
      await newQuery(page, {
        name: 'revokeAPI',
        method: 'POST',
        path: '/logout',
        headers: [['Authorization', 'Bearer {{appsmith.store.accesstoken}}']],
      });
      await newQuery(page, {
        name: 'get_user',
        method: 'GET',
        path: '/user',
        headers: [['Authorization', 'Bearer {{appsmith.store.accesstoken}}']],
      });
      // Without a token in the canvas's store yet, the provider refuses.
      expect(await runQuery(page)).toMatch(/40[13] (Unauthorized|Forbidden)/);

      // The JS object, written in the code editor.
      await region(page, 'JS objects').getByRole('button', { name: 'New JS object' }).click();
      const js = region(page, 'JS object');
      const jsName = js.getByLabel('Name', { exact: true });
      await jsName.fill('Auth');
      await jsName.press('Enter');
      // A syntax error is marked where the server's parser finds it, then fixed.
      await fillCode(js.getByRole('textbox', { name: 'Code' }), 'export default {\n  signin() {\n    return 1 +;\n  },\n};\n');
      await eventually(() => js.getByRole('list', { name: 'Syntax errors' }).textContent()).toMatch(/Line 3, column \d+/);
      await fillCode(js.getByRole('textbox', { name: 'Code' }), AUTH_SOURCE);
      await eventually(() => js.getByRole('list', { name: 'Syntax errors' }).count()).toBe(0);
      await js.getByRole('button', { name: 'Run logout' }).waitFor();
      await allSaved(page);

      // Run signin from the editor: the query runs with the canvas's values, the tokens are
      // stored, and the navigation is reported.
      await js.getByRole('button', { name: 'Run signin' }).click();
      await eventually(() => js.getByRole('status', { name: 'Result of signin' }).textContent(), 20_000).toMatch(/Asked to go to Dashboard/);
      await js.getByRole('textbox', { name: 'Code' }).press('ControlOrMeta+Home');
      await screenshot(page, 'guide-4-js-object');
      // get_user now runs with the stored access token.
      await region(page, 'Queries').getByRole('button', { name: 'get_user' }).click();
      const user = await runQuery(page);
      expect(user).toMatch(/200 OK/);
      expect(user).toContain(USER_EMAIL);

      // The Login button signs in.
      await widget(page, 'btn_login').click();
      await setJsAction(page, 'onClick', 'Auth', 'signin', 'guide-4a-action-picker');
      await eventually(() => properties(page).getByText('Auth.signin').count()).toBeGreaterThan(0);

      // Dashboard: refresh on load before get_user, a greeting and a Log out button.
      await pageItem(page, 'Dashboard').getByRole('button', { name: 'Dashboard', exact: true }).click();
      await region(page, 'JS objects').getByRole('button', { name: 'Auth' }).click();
      await js.getByLabel('Run behaviour for refreshAccessToken').selectOption('On page load');
      await region(page, 'Queries').getByRole('button', { name: 'get_user' }).click();
      await queryEditor(page).getByLabel('Run behaviour', { exact: true }).selectOption('On page load');
      await page.getByRole('button', { name: 'Close get_user' }).click();
      const onLoad = page.getByRole('list', { name: 'On page load' });
      await eventually(() => onLoad.getByRole('listitem').allTextContents()).toEqual([
        expect.stringContaining('Auth.refreshAccessToken'),
        expect.stringContaining('get_user'),
      ]);
      await screenshot(page, 'guide-5a-on-page-load');
      await dragFromPalette(page, 'Text', canvas(page), 40, 30);
      await renameSelected(page, 'txt_user');
      await setProperty(page, 'text', 'Signed in as {{get_user.data ? get_user.data.email : "…"}}');
      await dragFromPalette(page, 'Button', canvas(page), 40, 120);
      await renameSelected(page, 'btn_logout');
      await setProperty(page, 'text', 'Log out');
      await setJsAction(page, 'onClick', 'Auth', 'logout');
      await allSaved(page);
      await screenshot(page, 'guide-5-dashboard');

      // Protection, enforced by the server: sign-in on LoginPage with the built-in provider,
      // the Dashboard and get_user for signed-in users only.
      await region(page, 'Sign-in').getByRole('button', { name: 'Sign-in settings' }).click();
      const signIn = page.getByRole('form', { name: 'Sign-in settings' });
      await signIn.getByLabel('Login page', { exact: true }).selectOption('LoginPage');
      await signIn.getByRole('button', { name: 'Save sign-in' }).click();
      await eventually(() => region(page, 'Sign-in').textContent()).toContain('Visitors sign in on LoginPage');
      await page.getByRole('button', { name: 'Close sign-in settings' }).click();
      await pageItem(page, 'Dashboard').getByRole('button', { name: 'Dashboard', exact: true }).click();
      await canvas(page).click({ position: { x: 600, y: 500 } });
      await properties(page).getByLabel('Access', { exact: true }).selectOption('signedIn');
      await region(page, 'Queries').getByRole('button', { name: 'get_user' }).click();
      await queryEditor(page).getByLabel('Access', { exact: true }).selectOption('signedIn');
      await allSaved(page);

      // Publish.
      await page.getByRole('button', { name: 'Publish' }).click();
      const published = page.getByRole('dialog', { name: 'Publish' });
      await eventually(() => published.textContent(), 15_000).toMatch(/Published version 1\b/);
      await published.getByRole('button', { name: 'Close' }).click();

      // The exported folder validates.
      exportAndValidate(t, slug);

      // The guide's flow in the viewer. First, as a visitor without a session: the Dashboard is
      // locked by the server, and the viewer goes to the login page with next.
      const visitor = await t.browser.newContext();
      try {
        const v = await visitor.newPage();
        await v.goto(`${t.server.origin}/app/${encodeURIComponent(slug)}/dashboard`);
        await v.waitForURL(`**/app/${slug}/login-page?next=Dashboard`);
        expect(await v.locator('[data-widget="txt_user"]').count()).toBe(0);
      } finally {
        await visitor.close();
      }
      const viewer = await context.newPage();
      const runs: string[] = [];
      viewer.on('request', (r: Request) => {
        const m = /\/api\/v1\/apps\/[^/]+\/queries\/([^/]+)\/run$/.exec(new URL(r.url()).pathname);
        if (m && r.method() === 'POST') runs.push(m[1]!);
      });
      await viewer.goto(`${t.server.origin}/app/${encodeURIComponent(slug)}`);
      const fill = async (password: string): Promise<void> => {
        await viewer.locator('[data-widget="inp_username"] input').fill(USER_EMAIL);
        await viewer.locator('[data-widget="inp_password"] input').fill(password);
        await viewer.locator('[data-widget="btn_login"] button').click();
      };
      await fill('not the password');
      await viewer.locator('[role="alert"]', { hasText: 'Invalid login credentials' }).waitFor();
      await fill(USER_PASSWORD);
      await viewer.waitForURL(`**/app/${slug}/dashboard`);
      await eventually(() => viewer.locator('[data-widget="txt_user"]').textContent()).toContain(USER_EMAIL);
      expect(runs).toEqual(['sign_in', 'sign_in', 'refreshAPI', 'get_user']);
      const storeKey = `lowkey:store:${slug}`;
      const stored = async (): Promise<Record<string, string> | null> => {
        const raw = await viewer.evaluate((k) => window.localStorage.getItem(k), storeKey);
        return raw === null ? null : (JSON.parse(raw) as Record<string, string>);
      };
      const afterSignIn = await stored();

      // A reload refreshes: new tokens.
      runs.length = 0;
      await viewer.reload();
      await eventually(() => viewer.locator('[data-widget="txt_user"]').textContent()).toContain(USER_EMAIL);
      expect(runs).toEqual(['refreshAPI', 'get_user']);
      await screenshot(viewer, 'guide-6-viewer-dashboard');
      const afterReload = await stored();
      expect(afterReload?.refreshtoken).toBeTruthy();
      expect(afterReload?.refreshtoken).not.toBe(afterSignIn?.refreshtoken);

      // Log out revokes: the login page, an empty store, and the provider refuses the tokens.
      await viewer.locator('[data-widget="btn_logout"] button').click();
      await viewer.waitForURL(`**/app/${slug}/login-page`);
      expect(await stored()).toBeNull();
      const refused = await fetch(`${t.server.origin}/auth/v1/user`, { headers: { Authorization: `Bearer ${afterReload?.accesstoken}` } });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.status).toBeLessThan(500);
    } catch (e) {
      if (process.env.E2E_DEBUG_DIR) {
        for (const [i, p] of context.pages().entries()) {
          await p.screenshot({ path: `${process.env.E2E_DEBUG_DIR}/fail-${i}.png` });
          (await import('node:fs')).writeFileSync(`${process.env.E2E_DEBUG_DIR}/fail-${i}.html`, await p.content());
        }
      }
      throw e;
    } finally {
      await context.close();
    }
  });
});
