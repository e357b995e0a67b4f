/**
 * The editor's code panes in Chromium, against `lowkey serve` with one builder (issue 9, items
 * 2, 3, 6, 7 and 8): the example app `examples/custom-auth`, imported with the CLI, opened in the
 * editor with every part of it there to edit, and one edit of each kind saved; one history
 * across the canvas, the query editor and the JS object editor, while CodeMirror keeps its own
 * typing undo; the reasons a Run failed, in words; a completion picked outside `{{ }}` landing
 * inside.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  allSaved,
  canvas,
  codeText,
  eventually,
  fillCode,
  importApp,
  newEditorContext,
  openInEditor,
  pageItem,
  pageNames,
  properties,
  region,
  seriousViolations,
  useEditorServer,
  widget,
  widgetNames,
} from './editorPage.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/custom-auth', import.meta.url));
const AUTH_SOURCE = readFileSync(join(EXAMPLE, 'js', 'Auth.js'), 'utf8');

const t = useEditorServer();

/** Imports the example (as `slug`: a copy under that slug), opens it in the editor on a fresh
 * page of a fresh context, runs `body`, and closes the context. */
async function withExample(slug: string, body: (page: Page) => Promise<void>): Promise<void> {
  importApp(t, EXAMPLE, slug === 'custom-auth' ? undefined : slug);
  const context = await newEditorContext(t);
  try {
    const page = await context.newPage();
    // A tall window: CodeMirror draws only the lines near its viewport, and the JS object's
    // whole source is compared.
    await page.setViewportSize({ width: 1440, height: 2400 });
    await openInEditor(t, page, slug);
    await body(page);
  } finally {
    await context.close();
  }
}

// ---- What the example holds (examples/custom-auth), as the editor must show it ----

type Props = Readonly<Record<string, string | boolean>>;
const WIDGETS: Readonly<Record<string, readonly (readonly [name: string, type: string, props: Props])[]>> = {
  LoginPage: [
    ['frm_login', 'Form', { title: 'Sign in' }],
    ['txt_intro', 'Text', { text: 'Use your account to open the dashboard.' }],
    ['inp_username', 'Input', { inputType: 'EMAIL', label: 'Email', placeholderText: 'you@example.com', isRequired: true }],
    ['inp_password', 'Input', { inputType: 'PASSWORD', label: 'Password', isRequired: true, onSubmit: '{{Auth.signin()}}' }],
    ['btn_login', 'Button', { text: 'Log in', onClick: '{{Auth.signin()}}' }],
  ],
  Dashboard: [
    ['ctr_dashboard', 'Container', {}],
    ['txt_title', 'Text', { text: 'Dashboard' }],
    ['btn_logout', 'Button', { text: 'Log out', onClick: '{{Auth.logout()}}' }],
    ['txt_user', 'Text', { text: "Signed in as {{get_user.data ? get_user.data.email : '…'}}" }],
    ['tbl_user', 'Table', {}],
  ],
};

interface QuerySpec {
  readonly method: string;
  readonly path: string;
  readonly params: readonly (readonly [string, string])[];
  readonly headers: readonly (readonly [string, string])[];
  /** null: no body. */
  readonly body: string | null;
}
const JSON_TYPE = ['Content-Type', 'application/json'] as const;
const BEARER = ['Authorization', 'Bearer {{appsmith.store.accesstoken}}'] as const;
const QUERIES: Readonly<Record<string, QuerySpec>> = {
  get_user: { method: 'GET', path: '/user', params: [], headers: [BEARER], body: null },
  refreshAPI: {
    method: 'POST',
    path: '/token',
    params: [['grant_type', 'refresh_token']],
    headers: [JSON_TYPE],
    body: '{ "refresh_token": {{this.params.refreshtoken}} }\n',
  },
  revokeAPI: { method: 'POST', path: '/logout', params: [['scope', 'local']], headers: [BEARER], body: null },
  sign_in: {
    method: 'POST',
    path: '/token',
    params: [['grant_type', 'password']],
    headers: [JSON_TYPE],
    body: '{\n  "email": {{inp_username.text}},\n  "password": {{inp_password.text}}\n}\n',
  },
};
const AUTH_FUNCTIONS = ['signin', 'nextPage', 'refreshAccessToken', 'redirectIfSignedIn', 'logout'];

// ---- Finding things ----

function queryEditor(page: Page): Locator {
  return region(page, 'Query');
}

function jsEditor(page: Page): Locator {
  return region(page, 'JS object');
}

function codeField(page: Page): Locator {
  return jsEditor(page).getByRole('textbox', { name: 'Code', exact: true });
}

function pathField(page: Page): Locator {
  return queryEditor(page).getByRole('combobox', { name: 'Path', exact: true });
}

async function selectPage(page: Page, name: string): Promise<void> {
  await pageItem(page, name).getByRole('button', { name, exact: true }).click();
  await eventually(() => pageItem(page, name).getByRole('button', { name, exact: true }).getAttribute('aria-current')).toBeTruthy();
}

/** Selects a widget with its frame on the canvas (a button named "<name> (<type>)"), from the
 * keyboard; the Properties pane then shows it. */
async function selectWidget(page: Page, name: string, type: string): Promise<void> {
  await canvas(page).getByRole('button', { name: `${name} (${type})`, exact: true }).press('Enter');
  await eventually(() => properties(page).getByLabel('name', { exact: true }).inputValue()).toBe(name);
}

/** Escape (from the canvas's selected frame) selects nothing: Properties shows the page's. */
async function clearSelection(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await properties(page).getByRole('list', { name: 'On page load', exact: true }).waitFor();
}

async function openQuery(page: Page, name: string): Promise<void> {
  await region(page, 'Queries').getByRole('button', { name }).click();
  await eventually(() => queryEditor(page).getByLabel('Name', { exact: true }).inputValue()).toBe(name);
}

async function openJsObject(page: Page, name: string): Promise<void> {
  await region(page, 'JS objects').getByRole('button', { name }).click();
  await eventually(() => jsEditor(page).getByLabel('Name', { exact: true }).inputValue()).toBe(name);
}

/** The rows of a key/value list of the query editor ("Params", "Headers"), as [key, value]. */
async function rows(page: Page, list: string): Promise<[string, string][]> {
  const items = await queryEditor(page).getByRole('list', { name: list, exact: true }).getByRole('listitem').all();
  const out: [string, string][] = [];
  for (const item of items) {
    out.push([await item.getByLabel('Key', { exact: true }).inputValue(), await item.getByLabel('Value', { exact: true }).inputValue()]);
  }
  return out;
}

/** Sets a field (an input, or a binding field whose suggestions Escape closes) to `value`. */
async function fillField(field: Locator, value: string): Promise<void> {
  await field.fill(value);
  await field.press('Escape');
}

/** A new query from the "Queries" region (on the app's first datasource); renamed to `name`. */
async function newQuery(page: Page, name: string): Promise<void> {
  await region(page, 'Queries').getByRole('button', { name: 'New query' }).click();
  const field = queryEditor(page).getByLabel('Name', { exact: true });
  await field.fill(name);
  await field.press('Enter');
  await eventually(() => region(page, 'Queries').getByRole('button', { name }).count()).toBe(1);
}

/** Runs the open query with its Run button and gives the Response region's text once answered. */
async function runQuery(page: Page): Promise<string> {
  const response = queryEditor(page).getByRole('region', { name: 'Response', exact: true });
  const before = await response.textContent();
  await queryEditor(page).getByRole('button', { name: 'Run', exact: true }).click();
  await eventually(async () => {
    const text = (await response.textContent()) ?? '';
    return text !== before && !text.includes('Running…');
  }, 20_000).toBe(true);
  return (await response.textContent()) ?? '';
}

/** The app's draft as the server has it, read with the page's session cookie. */
async function draftOf(page: Page, slug: string): Promise<Draft> {
  const res = await page.request.get(`${t.server.origin}/api/v1/edit/apps/${encodeURIComponent(slug)}/draft`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { app: Draft }).app;
}

interface DraftWidget {
  name: string;
  props: Record<string, unknown>;
  children?: DraftWidget[];
}
interface Draft {
  datasources: { name: string; url: string }[];
  pages: { name: string; widgets: DraftWidget[] }[];
  queries: { name: string; path?: string }[];
  jsObjects: { name: string; source: string }[];
}

function findDraftWidget(widgets: readonly DraftWidget[], name: string): DraftWidget | undefined {
  for (const w of widgets) {
    if (w.name === name) return w;
    const inner = findDraftWidget(w.children ?? [], name);
    if (inner) return inner;
  }
  return undefined;
}

// ---- The tests ----

describe('the example, opened in the editor', () => {
  it('shows every part of examples/custom-auth for editing, and saves an edit of each kind', { timeout: 240_000 }, async () => {
    await withExample('custom-auth', async (page) => {
      expect((await pageNames(page)).sort()).toEqual(['Dashboard', 'LoginPage']);

      // Each page, each widget with its properties.
      for (const [pageName, widgets] of Object.entries(WIDGETS)) {
        await selectPage(page, pageName);
        await eventually(async () => (await widgetNames(page)).sort()).toEqual(widgets.map(([n]) => n).sort());
        for (const [name, type, props] of widgets) {
          await selectWidget(page, name, type);
          expect(await properties(page).getByText(type, { exact: true }).count()).toBeGreaterThan(0);
          for (const [prop, value] of Object.entries(props)) {
            const field = properties(page).getByLabel(prop, { exact: true });
            if (typeof value === 'boolean') expect(await field.isChecked(), `${name}.${prop}`).toBe(value);
            else expect(await field.inputValue(), `${name}.${prop}`).toBe(value);
          }
        }
      }
      await selectWidget(page, 'tbl_user', 'Table');
      expect(await properties(page).getByLabel('tableData', { exact: true }).inputValue()).toContain('get_user.data.email');

      // Dashboard's on-load list (the page's properties, with no widget selected): the refresh
      // first, then the user.
      await clearSelection(page);
      const onLoad = properties(page).getByRole('list', { name: 'On page load' });
      await eventually(() => onLoad.getByRole('listitem').allTextContents()).toEqual([
        expect.stringContaining('Auth.refreshAccessToken'),
        expect.stringContaining('get_user'),
      ]);
      await onLoad.getByRole('listitem', { name: 'get_user' }).getByRole('button', { name: 'Move up get_user' }).waitFor();

      // The datasource.
      await region(page, 'Datasources').getByRole('button', { name: 'provider', exact: true }).click();
      const ds = page.getByRole('form', { name: 'Datasource provider' });
      expect(await ds.getByLabel('Name', { exact: true }).inputValue()).toBe('provider');
      expect(await ds.getByLabel('URL', { exact: true }).inputValue()).toBe('/auth/v1');

      // The four queries, each with its fields.
      for (const [name, q] of Object.entries(QUERIES)) {
        await openQuery(page, name);
        const editor = queryEditor(page);
        expect(await editor.getByLabel('Datasource', { exact: true }).inputValue(), name).toBe('provider');
        expect(await editor.getByLabel('URL', { exact: true }).inputValue(), name).toBe('/auth/v1');
        expect(await editor.getByLabel('Method', { exact: true }).inputValue(), name).toBe(q.method);
        expect(await pathField(page).inputValue(), name).toBe(q.path);
        expect(await rows(page, 'Params'), name).toEqual(q.params);
        expect(await rows(page, 'Headers'), name).toEqual(q.headers);
        const body = editor.getByRole('textbox', { name: 'Body', exact: true });
        if (q.body === null) {
          expect(await editor.getByLabel('Body type', { exact: true }).inputValue(), name).toBe('none');
          expect(await body.count(), name).toBe(0);
        } else {
          expect(await editor.getByLabel('Body type', { exact: true }).inputValue(), name).toBe('json');
          expect(await codeText(body), name).toBe(q.body);
        }
        // Dashboard is the page selected: get_user runs on its load, the others are manual.
        expect(await editor.getByLabel('Run behaviour', { exact: true }).inputValue(), name).toBe(name === 'get_user' ? 'onLoad' : 'manual');
      }

      // The JS object: its source in the code editor, its functions listed with Run and run behaviour.
      await openJsObject(page, 'Auth');
      const js = jsEditor(page);
      expect(await codeText(codeField(page))).toBe(AUTH_SOURCE);
      const functions = js.getByRole('region', { name: 'Functions' });
      expect(await functions.getByRole('listitem').count()).toBe(AUTH_FUNCTIONS.length);
      for (const fn of AUTH_FUNCTIONS) {
        await functions.getByRole('button', { name: `Run ${fn}`, exact: true }).waitFor();
        const behaviour = functions.getByLabel(`Run behaviour for ${fn}`, { exact: true });
        expect(await behaviour.inputValue(), fn).toBe(fn === 'refreshAccessToken' ? 'onLoad' : 'manual');
      }
      expect(await js.getByRole('list', { name: 'Syntax errors' }).count()).toBe(0);

      // One edit of each kind: a widget property, a query path, the JS object's code, the datasource URL.
      await selectPage(page, 'LoginPage');
      await selectWidget(page, 'btn_login', 'Button');
      await fillField(properties(page).getByLabel('text', { exact: true }), 'Sign in now');
      await eventually(() => widget(page, 'btn_login').textContent()).toContain('Sign in now');

      await openQuery(page, 'get_user');
      await fillField(pathField(page), '/user/profile');

      await openJsObject(page, 'Auth');
      const edited = AUTH_SOURCE.replace("showAlert(error.message, 'error');", "showAlert(`Sign-in failed: ${error.message}`, 'error');");
      expect(edited).not.toBe(AUTH_SOURCE);
      await fillCode(codeField(page), edited);
      await eventually(() => codeText(codeField(page))).toBe(edited);

      await region(page, 'Datasources').getByRole('button', { name: 'provider', exact: true }).click();
      await fillField(ds.getByLabel('URL', { exact: true }), 'https://auth.example.test/auth/v1');

      await allSaved(page);
      const draft = await draftOf(page, 'custom-auth');
      const login = draft.pages.find((p) => p.name === 'LoginPage');
      expect(findDraftWidget(login?.widgets ?? [], 'btn_login')?.props.text).toBe('Sign in now');
      expect(draft.queries.find((q) => q.name === 'get_user')?.path).toBe('/user/profile');
      expect(draft.jsObjects.find((j) => j.name === 'Auth')?.source).toBe(edited);
      expect(draft.datasources.find((d) => d.name === 'provider')?.url).toBe('https://auth.example.test/auth/v1');
    });
  });
});

describe('one history across the panes', () => {
  it('undoes the JS edit, then the query path, then the widget property, and redoes them; CodeMirror undo stays in its field', { timeout: 180_000 }, async () => {
    await withExample('history-app', async (page) => {
      const undo = page.getByRole('button', { name: 'Undo', exact: true });
      const redo = page.getByRole('button', { name: 'Redo', exact: true });
      const textProp = () => properties(page).getByLabel('text', { exact: true }).inputValue();

      // 1. A widget property.
      await selectWidget(page, 'btn_login', 'Button');
      await fillField(properties(page).getByLabel('text', { exact: true }), 'Enter');
      await eventually(() => undo.getAttribute('title')).toMatch(/^Undo Set text of btn_login/);

      // 2. A query's path.
      await openQuery(page, 'sign_in');
      await fillField(pathField(page), '/token-v2');
      await eventually(() => undo.getAttribute('title')).toMatch(/^Undo Edit sign_in path/);

      // 3. The JS object's code, typed into CodeMirror at its first line. (A long text is drawn
      // around the viewport only, so the field's first lines are what is compared.)
      await openJsObject(page, 'Auth');
      const code = codeField(page);
      const head = async (): Promise<string[]> => (await codeText(code)).split('\n').slice(0, 2);
      const [first, second] = AUTH_SOURCE.split('\n');
      await code.click();
      await code.press('ControlOrMeta+Home');
      await page.keyboard.type('// one\n');
      await eventually(head).toEqual(['// one', first]);
      await eventually(() => undo.getAttribute('title')).toMatch(/^Undo Edit Auth code/);
      await allSaved(page);
      expect((await draftOf(page, 'history-app')).jsObjects.find((j) => j.name === 'Auth')?.source).toBe(`// one\n${AUTH_SOURCE}`);

      // Undo, newest first: each pane shows what it had.
      await undo.click();
      await eventually(head).toEqual([first, second]);
      expect(await undo.getAttribute('title')).toMatch(/^Undo Edit sign_in path/);
      expect(await redo.getAttribute('title')).toMatch(/^Redo Edit Auth code/);

      await undo.click();
      await openQuery(page, 'sign_in');
      await eventually(() => pathField(page).inputValue()).toBe('/token');
      expect(await undo.getAttribute('title')).toMatch(/^Undo Set text of btn_login/);

      await undo.click();
      await eventually(() => widget(page, 'btn_login').textContent()).toContain('Log in');
      await selectWidget(page, 'btn_login', 'Button');
      expect(await textProp()).toBe('Log in');
      await allSaved(page);
      const undone = await draftOf(page, 'history-app');
      expect(undone.jsObjects.find((j) => j.name === 'Auth')?.source).toBe(AUTH_SOURCE);
      expect(undone.queries.find((q) => q.name === 'sign_in')?.path).toBe('/token');

      // Redo, oldest first.
      await redo.click();
      await eventually(textProp).toBe('Enter');
      await eventually(() => widget(page, 'btn_login').textContent()).toContain('Enter');
      await redo.click();
      await eventually(() => pathField(page).inputValue()).toBe('/token-v2');
      await redo.click();
      await openJsObject(page, 'Auth');
      await eventually(head).toEqual(['// one', first]);
      expect(await redo.isDisabled()).toBe(true);
      await allSaved(page);

      // Ctrl+Z typed inside CodeMirror undoes its own typing, and only that.
      await code.click();
      await code.press('ControlOrMeta+Home');
      await page.keyboard.type('/* two */');
      await eventually(head).toEqual(['/* two */// one', first]);
      await page.keyboard.press('ControlOrMeta+z');
      await eventually(head).toEqual(['// one', first]);
      // More presses go on through the field's own history, never into the app's.
      for (let i = 0; i < 4; i++) await page.keyboard.press('ControlOrMeta+z');
      await allSaved(page);
      await openQuery(page, 'sign_in');
      expect(await pathField(page).inputValue()).toBe('/token-v2');
      await selectWidget(page, 'btn_login', 'Button');
      expect(await textProp()).toBe('Enter');
      const draft = await draftOf(page, 'history-app');
      expect(draft.queries.find((q) => q.name === 'sign_in')?.path).toBe('/token-v2');
      expect(findDraftWidget(draft.pages.find((p) => p.name === 'LoginPage')?.widgets ?? [], 'btn_login')?.props.text).toBe('Enter');
    });
  });
});

describe('errors in words', () => {
  it('explains an address that refuses, a body that is not JSON, a request invalid after substitution, a failing binding, and a JS syntax error', { timeout: 180_000 }, async () => {
    await withExample('errors-app', async (page) => {

      // An address where nothing listens.
      await newQuery(page, 'nowhere');
      await queryEditor(page).getByLabel('Datasource', { exact: true }).selectOption({ label: 'None (an absolute URL)' });
      await fillField(queryEditor(page).getByLabel('URL', { exact: true }), 'http://127.0.0.1:9/');
      await allSaved(page);
      expect(await runQuery(page)).toContain('The address could not be reached (connection refused or the name does not resolve).');

      // A JSON body that is not JSON: the server checks it with its bindings filled in before
      // any run, so the draft's problem is what the Response explains, in words.
      await newQuery(page, 'bad_json');
      await queryEditor(page).getByLabel('Method', { exact: true }).selectOption('POST');
      await fillField(pathField(page), '/token');
      const body = queryEditor(page).getByRole('textbox', { name: 'Body', exact: true });
      await fillCode(body, '{"a": }');
      await allSaved(page);
      const refused = await runQuery(page);
      expect(refused).toContain('The draft has problems, and the server runs none of its queries until they are fixed');
      expect(refused).toMatch(/queries\/bad_json\.yaml:\d+: the JSON body is not valid JSON even with its bindings filled in/);
      // Valid with a binding in it: sent, and the provider answers.
      await fillCode(body, '{"email": {{inp_username.text}}, "password": "not the password"}');
      await allSaved(page);
      expect(await runQuery(page)).toContain('400 Bad Request');

      // A request that is only invalid once a value from the canvas is in it: a path segment "..".
      await newQuery(page, 'bad_path');
      await fillField(pathField(page), '/files/{{inp_username.text}}');
      await canvas(page).getByRole('textbox', { name: 'Email', exact: true }).fill('..');
      await allSaved(page);
      expect(await runQuery(page)).toMatch(/After the bindings were filled in, the request is not valid: .*`\.` or `\.\.`/);

      // A binding that throws.
      await newQuery(page, 'bad_binding');
      await fillField(pathField(page), '/{{ nope.x }}');
      await allSaved(page);
      expect(await runQuery(page)).toMatch(/A binding could not be evaluated with the canvas's values: .*nope/);

      // A JS object with a syntax error: its line and column, listed.
      await region(page, 'JS objects').getByRole('button', { name: 'New JS object' }).click();
      await fillCode(codeField(page), 'export default {\n  go() {\n    return 1 +;\n  },\n};\n');
      await eventually(() => jsEditor(page).getByRole('list', { name: 'Syntax errors' }).textContent()).toMatch(/Line 3, column \d+/);
    });
  });
});

describe('completion in a binding field', () => {
  it('puts a suggestion picked outside {{ }} inside one, then completes a property', { timeout: 120_000 }, async () => {
    await withExample('complete-app', async (page) => {
      await newQuery(page, 'lookup');
      const path = pathField(page);
      await fillField(path, '');
      const suggestions = queryEditor(page).getByRole('listbox', { name: 'Suggestions' });

      /** Moves through the open list with ArrowDown until `label` is the active option, then Enter. */
      const pick = async (label: string): Promise<void> => {
        await eventually(() => path.getAttribute('aria-expanded')).toBe('true');
        const count = await suggestions.getByRole('option').count();
        for (let i = 0; i <= count; i++) {
          const active = await suggestions.getByRole('option', { selected: true }).textContent();
          if (active?.startsWith(label)) {
            await path.press('Enter');
            return;
          }
          await path.press('ArrowDown');
        }
        throw new Error(`no suggestion ${label} among ${JSON.stringify(await suggestions.getByRole('option').allTextContents())}`);
      };

      await path.pressSequentially('inp_');
      await pick('inp_username');
      await eventually(() => path.inputValue()).toBe('{{inp_username}}');
      await path.press('.');
      await pick('text');
      await eventually(() => path.inputValue()).toBe('{{inp_username.text}}');
      await allSaved(page);
      expect((await draftOf(page, 'complete-app')).queries.find((q) => q.name === 'lookup')?.path).toBe('{{inp_username.text}}');
    });
  });

});

describe('accessibility of the code panes', () => {
  it('has no serious accessibility violation in the query, JS object and datasource editors and their dialogs (axe-core)', async () => {
    importApp(t, EXAMPLE, 'axe-app');
    // axe is injected as an inline script, which the editor's CSP forbids.
    const context = await newEditorContext(t, { bypassCSP: true });
    try {
      const page = await context.newPage();
      await openInEditor(t, page, 'axe-app');
      const check = async (what: string): Promise<void> => {
        expect(await seriousViolations(page), what).toEqual([]);
      };
      await region(page, 'Queries').getByRole('button', { name: 'sign_in' }).click();
      await region(page, 'Query').getByRole('textbox', { name: 'Body' }).waitFor();
      await check('the query editor');
      await region(page, 'JS objects').getByRole('button', { name: 'Auth' }).click();
      await eventually(() => region(page, 'JS object').getByRole('textbox', { name: 'Code' }).getAttribute('contenteditable')).toBe('true');
      await check('the JS object editor');
      await region(page, 'JS object').getByRole('button', { name: 'Find usages' }).click();
      await page.getByRole('dialog', { name: 'Usages of Auth' }).waitFor();
      await check('the usages dialog');
      await page.getByRole('dialog', { name: 'Usages of Auth' }).getByRole('button', { name: 'Close' }).click();
      await region(page, 'Datasources').getByRole('button', { name: 'provider' }).click();
      await page.getByRole('form', { name: 'Datasource provider' }).waitFor();
      await check('the datasource editor');
      await widget(page, 'btn_login').click();
      await properties(page).getByRole('button', { name: 'Action for onClick' }).click();
      await page.getByRole('dialog', { name: 'Action for onClick' }).waitFor();
      await check('the action picker');
    } finally {
      await context.close();
    }
  });
});

describe('protection in the editor', () => {
  it("shows the example's sign-in and who may open each part, and saves a change of access", async () => {
    await withExample('access-app', async (page) => {
      await region(page, 'Sign-in').getByRole('button', { name: 'Sign-in settings' }).click();
      const settings = page.getByRole('form', { name: 'Sign-in settings' });
      expect(await settings.getByLabel('Login page', { exact: true }).inputValue()).toBe('LoginPage');
      expect(await settings.getByLabel('Verification', { exact: true }).inputValue()).toBe('builtin');
      expect(await settings.getByLabel('Token store key', { exact: true }).inputValue()).toBe('accesstoken');

      await pageItem(page, 'Dashboard').getByRole('button', { name: 'Dashboard', exact: true }).click();
      await eventually(() => properties(page).getByLabel('Access', { exact: true }).inputValue()).toBe('signedIn');
      await region(page, 'Queries').getByRole('button', { name: 'get_user' }).click();
      expect(await region(page, 'Query').getByLabel('Access', { exact: true }).inputValue()).toBe('signedIn');

      // The login page cannot be protected: refused, with the reason.
      await pageItem(page, 'LoginPage').getByRole('button', { name: 'LoginPage', exact: true }).click();
      await properties(page).getByLabel('Access', { exact: true }).selectOption('signedIn');
      await eventually(() => properties(page).getByRole('alert').textContent()).toMatch(/login page: it must stay open/);

      // revokeAPI protected too, and saved to the server.
      await region(page, 'Queries').getByRole('button', { name: 'revokeAPI' }).click();
      await region(page, 'Query').getByLabel('Access', { exact: true }).selectOption('signedIn');
      await allSaved(page);
      const draft = (await page.evaluate(async () => (await fetch('/api/v1/edit/apps/access-app/draft')).json())) as {
        app: { queries: { name: string; access?: unknown }[]; pages: { name: string; access?: unknown }[] };
      };
      expect(draft.app.queries.find((q) => q.name === 'revokeAPI')?.access).toBe('signedIn');
      expect(draft.app.pages.find((p) => p.name === 'LoginPage')?.access).toBeUndefined();
    });
  });
});
