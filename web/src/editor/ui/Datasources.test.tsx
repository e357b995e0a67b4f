// @vitest-environment happy-dom
/**
 * The datasources list and editor over a real editing session (the model's operations, history
 * and command builders; saves go to an in-memory draft API): adding one, renaming (refused with
 * the reason and the typed text kept, or accepted with its queries following), the URL typed
 * as one undo step, header rows that are not complete shown with their reason and not saved,
 * each secret's status, and deleting (refused while a query uses it).
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { page } from '../doc/fixture.ts';
import type { AppDoc } from '../doc/types.ts';
import { EditorCtx, type EditorContext } from './context.ts';
import { DatasourceEditor, DatasourcesPanel, secretsIn } from './Datasources.tsx';
import { testContext } from './testContext.ts';

const DOC: AppDoc = {
  version: 1,
  name: 'Guide',
  slug: 'guide',
  homePage: 'LoginPage',
  datasources: [
    { name: 'provider', url: '/auth/v1', headers: { apikey: '{{secrets.PROVIDER_KEY}}', 'x-both': '{{ secrets.A }}-{{secrets.B}}' } },
    { name: 'spare', url: 'https://api.example.com' },
  ],
  settings: {},
  pages: [page('LoginPage', [])],
  queries: [{ name: 'login', datasource: 'provider', path: '/token', method: 'POST' }],
  jsObjects: [],
};


let root: HTMLElement;
let ctx: EditorContext;
let notices: string[];
let deleted: number;
const secrets = signal<ReadonlySet<string> | null>(new Set(['PROVIDER_KEY', 'A']));

function Host() {
  const [selected, setSelected] = useState<string | null>('provider');
  const known = secrets.value;
  return (
    <EditorCtx.Provider value={ctx}>
      <DatasourcesPanel selected={selected} onSelect={setSelected} secrets={known} />
      {selected !== null && (
        <DatasourceEditor
          name={selected}
          secrets={known}
          onRenamed={setSelected}
          onDeleted={() => {
            deleted++;
            setSelected(null);
          }}
        />
      )}
    </EditorCtx.Provider>
  );
}

beforeEach(async () => {
  ({ ctx, notices } = await testContext(DOC, 'LoginPage'));
  deleted = 0;
  secrets.value = new Set(['PROVIDER_KEY', 'A']);
  root = document.createElement('div');
  document.body.append(root);
  render(<Host />, root);
});

afterEach(() => {
  ctx.session.dispose();
  render(null, root);
  root.remove();
});

const settle = () => new Promise((r) => setTimeout(r, 30));
const doc = () => ctx.session.doc.value;
const panel = () => root.querySelector<HTMLElement>('section[aria-label="Datasources"]')!;
const editor = (name: string) => {
  const f = root.querySelector<HTMLElement>(`form[aria-label="Datasource ${name}"]`);
  if (!f) throw new Error(`no form named "Datasource ${name}"`);
  return f;
};
const button = (within: HTMLElement, name: string) => {
  const b = [...within.querySelectorAll<HTMLButtonElement>('button')].find((x) => (x.getAttribute('aria-label') ?? x.textContent?.trim()) === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
};
/** The input named `label` (by a wrapping label or one pointing at it with `for`). */
const fields = (within: HTMLElement, label: string): HTMLInputElement[] =>
  [...within.querySelectorAll<HTMLInputElement>('input')].filter((input) => {
    const wrapping = input.closest('label');
    const named = wrapping ? wrapping.querySelector('span')?.textContent : within.querySelector(`label[for="${input.id}"]`)?.textContent;
    return named === label;
  });
const field = (within: HTMLElement, label: string) => {
  const f = fields(within, label)[0];
  if (!f) throw new Error(`no field ${label}`);
  return f;
};
const type = async (input: HTMLInputElement, value: string) => {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await settle();
};
const key = async (target: Element, k: string) => {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  await settle();
};
/** The list named "Headers" and its rows. */
const headerRows = (name: string) => {
  const list = [...editor(name).querySelectorAll<HTMLElement>('ul')].find((ul) => {
    const id = ul.getAttribute('aria-labelledby');
    return id !== null && document.getElementById(id)?.textContent === 'Headers';
  });
  if (!list) throw new Error('no list named Headers');
  return [...list.querySelectorAll<HTMLElement>(':scope > li')];
};

describe('DatasourcesPanel', () => {
  it('lists the datasources, and "New datasource" adds one and opens it', async () => {
    const names = () => [...panel().querySelectorAll('li button')].map((b) => b.textContent);
    expect(panel().querySelector('h2')?.textContent).toBe('Datasources');
    expect(names()).toEqual(['provider', 'spare']);
    expect(button(panel(), 'provider').getAttribute('aria-current')).toBe('true');
    button(panel(), 'New datasource').click();
    await settle();
    expect(doc().datasources.map((d) => d.name)).toEqual(['provider', 'spare', 'api']);
    expect(names()).toEqual(['provider', 'spare', 'api']);
    expect(ctx.session.undoLabel.value).toBe('Add datasource api');
    expect(field(editor('api'), 'URL').value).toBe('https://');
    button(panel(), 'spare').click();
    await settle();
    expect(field(editor('spare'), 'URL').value).toBe('https://api.example.com');
  });

  it('marks a datasource whose headers use a secret the server does not have', async () => {
    expect(panel().querySelector('[role="img"]')?.getAttribute('aria-label')).toBe('Uses a secret this server does not have');
    secrets.value = new Set(['PROVIDER_KEY', 'A', 'B']);
    await settle();
    expect(panel().querySelector('[role="img"]')).toBeNull();
  });
});

describe('DatasourceEditor', () => {
  it('refuses a taken or invalid name with the reason, keeping the typed text', async () => {
    const name = field(editor('provider'), 'Name');
    await type(name, 'spare');
    await key(name, 'Enter');
    expect(editor('provider').querySelector('[role="alert"]')?.textContent).toBe('There is already a datasource named spare.');
    expect(field(editor('provider'), 'Name').value).toBe('spare');
    expect(field(editor('provider'), 'Name').getAttribute('aria-invalid')).toBe('true');
    await type(name, '2 bad');
    name.dispatchEvent(new Event('blur'));
    await settle();
    expect(editor('provider').querySelector('[role="alert"]')?.textContent).toBe('"2 bad" is not a valid name: use letters, digits and _, not starting with a digit.');
    expect(field(editor('provider'), 'Name').value).toBe('2 bad');
    expect(doc().datasources.map((d) => d.name)).toEqual(['provider', 'spare']);
  });

  it('renames on Enter: the queries follow, and the editor shows the new name', async () => {
    const name = field(editor('provider'), 'Name');
    await type(name, 'auth');
    await key(name, 'Enter');
    expect(doc().datasources.map((d) => d.name)).toEqual(['auth', 'spare']);
    expect(doc().queries[0]?.datasource).toBe('auth');
    expect(field(editor('auth'), 'Name').value).toBe('auth');
    expect(editor('auth').querySelector('[role="alert"]')).toBeNull();
    expect(ctx.session.undoLabel.value).toBe('Rename datasource provider to auth');
  });

  it('saves the URL at each keystroke as one undo step, with the hint and a problem for what is not a URL yet', async () => {
    const url = field(editor('provider'), 'URL');
    const hint = document.getElementById(url.getAttribute('aria-describedby')!)!;
    expect(hint.textContent).toMatch(/absolute http\(s\) URL.*path of this server starting with "\/"/);
    expect(url.getAttribute('aria-invalid')).toBeNull();
    await type(url, 'h');
    expect(doc().datasources[0]?.url).toBe('h');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(hint.textContent).toContain('Not a complete URL yet.');
    await type(url, 'https://auth.example.com');
    expect(doc().datasources[0]?.url).toBe('https://auth.example.com');
    expect(url.getAttribute('aria-invalid')).toBeNull();
    ctx.session.undo();
    await settle();
    expect(doc().datasources[0]?.url).toBe('/auth/v1');
    expect(field(editor('provider'), 'URL').value).toBe('/auth/v1');
  });

  it('keeps a header row without a key or with a key already above, with its reason, unsaved', async () => {
    const headers = () => doc().datasources[0]?.headers;
    const before = headers();
    expect(headerRows('provider')).toHaveLength(2);
    button(editor('provider'), 'Add header').click();
    await settle();
    let rows = headerRows('provider');
    expect(rows).toHaveLength(3);
    const row = rows[2]!;
    await type(field(row, 'Value'), 'text/plain');
    expect(headers()).toEqual(before);
    expect(row.textContent).toContain('Give this row a key');
    expect(field(row, 'Key').getAttribute('aria-invalid')).toBe('true');

    await type(field(row, 'Key'), 'apikey');
    expect(row.textContent).toContain('"apikey" is already above');
    expect(headers()).toEqual(before);

    await type(field(row, 'Key'), 'accept');
    expect(field(row, 'Key').getAttribute('aria-invalid')).toBeNull();
    expect(headers()).toEqual({ ...before, accept: 'text/plain' });
    expect(Object.keys(headers() ?? {})).toEqual(['apikey', 'x-both', 'accept']);

    rows = headerRows('provider');
    const remove = [...rows[0]!.querySelectorAll('button')].find((b) => b.getAttribute('aria-label')?.startsWith('Remove header'))!;
    remove.click();
    await settle();
    expect(Object.keys(headers() ?? {})).toEqual(['x-both', 'accept']);
  });

  it('says for each secret a header uses whether the server has it, never a value', async () => {
    const rows = headerRows('provider');
    expect(rows[0]!.textContent).toContain('Secret PROVIDER_KEY: configured');
    expect(rows[1]!.textContent).toContain('Secret A: configured');
    expect(rows[1]!.textContent).toContain('Secret B: not configured on this server (set LOWKEY_SECRET_B)');
    secrets.value = null;
    await settle();
    expect(headerRows('provider')[0]!.textContent).toMatch(/Secret PROVIDER_KEY: not known yet/);
    await type(field(headerRows('provider')[0]!, 'Value'), 'Bearer {{secrets.OTHER}}');
    expect(doc().datasources[0]?.headers?.apikey).toBe('Bearer {{secrets.OTHER}}');
    expect(headerRows('provider')[0]!.textContent).toMatch(/Secret OTHER: not known yet/);
  });

  it('refuses to delete a datasource a query uses, in words, and deletes an unused one', async () => {
    button(editor('provider'), 'Delete datasource').click();
    await settle();
    expect(editor('provider').querySelector('[role="alert"]')?.textContent).toBe('login uses provider: point it elsewhere first.');
    expect(doc().datasources).toHaveLength(2);
    expect(deleted).toBe(0);

    button(panel(), 'spare').click();
    await settle();
    expect(editor('spare').querySelector('[role="alert"]')).toBeNull();
    button(editor('spare'), 'Delete datasource').click();
    await settle();
    expect(doc().datasources.map((d) => d.name)).toEqual(['provider']);
    expect(deleted).toBe(1);
    expect(notices).toEqual(['Deleted datasource spare. Undo brings it back.']);
    expect(root.querySelector('form')).toBeNull();
  });
});

describe('secretsIn', () => {
  it('finds the secrets.NAME bindings by the binding scanner, once each, and nothing else', () => {
    expect(secretsIn('Bearer {{ secrets.TOKEN }} and {{secrets.TOKEN}} {{secrets.X_2}}')).toEqual(['TOKEN', 'X_2']);
    expect(secretsIn('{{ "}}" + secrets.NOT }}')).toEqual([]);
    expect(secretsIn('secrets.PLAIN {{secrets["Q"]}} {{secrets.}} {{ secrets.OPEN')).toEqual([]);
  });
});
