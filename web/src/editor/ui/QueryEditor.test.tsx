// @vitest-environment happy-dom
/**
 * The query editor's client authentication over a real editing session: "Client
 * authentication (Basic)" writes `basicAuth` (both empty: none), one undo step per field, each
 * secret marked configured or not, and completion as in the other binding fields.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authApp } from '../doc/fixture.ts';
import type { AppDoc } from '../doc/types.ts';
import { EditorCtx, type EditorContext } from './context.ts';
import { QueryEditor } from './QueryEditor.tsx';
import { testContext } from './testContext.ts';

const DOC: AppDoc = {
  ...authApp(),
  datasources: [{ name: 'idp', url: 'https://idp.example.com' }],
  queries: [{ name: 'revoke', datasource: 'idp', path: '/revoke', method: 'POST', body: { type: 'form', content: { token: '{{ this.params.token }}' } } }],
};

let root: HTMLElement;
let ctx: EditorContext;
const secrets = signal<ReadonlySet<string> | null>(new Set(['CLIENT_ID']));

function Host() {
  return (
    <EditorCtx.Provider value={ctx}>
      <QueryEditor name="revoke" secrets={secrets.value} />
    </EditorCtx.Provider>
  );
}

beforeEach(async () => {
  ({ ctx } = await testContext(DOC, 'LoginPage'));
  secrets.value = new Set(['CLIENT_ID']);
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
const query = () => ctx.session.doc.value.queries.find((q) => q.name === 'revoke')!;
/** The group named "Client authentication (Basic)". */
const group = (): HTMLElement => {
  const g = [...root.querySelectorAll<HTMLFieldSetElement>('fieldset')].find((f) => f.querySelector('legend')?.textContent === 'Client authentication (Basic)');
  if (!g) throw new Error('no group named Client authentication (Basic)');
  return g;
};
const field = (label: string): HTMLInputElement => {
  const l = [...group().querySelectorAll('label')].find((x) => x.textContent === label);
  const input = l ? group().querySelector<HTMLInputElement>(`#${CSS.escape(l.htmlFor)}`) : null;
  if (!input) throw new Error(`no field ${label}`);
  return input;
};
const type = async (input: HTMLInputElement, value: string) => {
  input.value = value;
  input.setSelectionRange(value.length, value.length);
  input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: value.slice(-1) }));
  await settle();
};
const notes = () => [...group().querySelectorAll('.ed-ds-secrets li')].map((li) => li.textContent);

describe('client authentication (basicAuth)', () => {
  it('writes the user name and password, one undo step per field, and none when both are empty', async () => {
    expect(field('Username').value).toBe('');
    expect(field('Password').value).toBe('');
    expect(query()).not.toHaveProperty('basicAuth');

    await type(field('Username'), '{{secrets.CLI');
    await type(field('Username'), '{{secrets.CLIENT_ID}}');
    expect(query().basicAuth).toEqual({ username: '{{secrets.CLIENT_ID}}', password: '' });
    expect(ctx.session.undoLabel.value).toBe('Edit revoke basic auth username');
    expect(notes()).toEqual(['Secret CLIENT_ID: configured']);

    await type(field('Password'), '{{secrets.CLIENT_SECRET}}');
    expect(query().basicAuth).toEqual({ username: '{{secrets.CLIENT_ID}}', password: '{{secrets.CLIENT_SECRET}}' });
    expect(ctx.session.undoLabel.value).toBe('Edit revoke basic auth password');
    expect(notes()).toEqual(['Secret CLIENT_ID: configured', 'Secret CLIENT_SECRET: not configured on this server (set LOWKEY_SECRET_CLIENT_SECRET)']);
    secrets.value = new Set(['CLIENT_ID', 'CLIENT_SECRET']);
    await settle();
    expect(notes()).toEqual(['Secret CLIENT_ID: configured', 'Secret CLIENT_SECRET: configured']);

    // Undo takes the password back in one step, then the user name (its keystrokes merged).
    ctx.session.undo();
    await settle();
    expect(query().basicAuth).toEqual({ username: '{{secrets.CLIENT_ID}}', password: '' });
    expect(field('Password').value).toBe('');
    ctx.session.undo();
    await settle();
    expect(query()).not.toHaveProperty('basicAuth');
    expect(field('Username').value).toBe('');
    ctx.session.redo();
    ctx.session.redo();
    await settle();

    await type(field('Username'), '');
    expect(query().basicAuth).toEqual({ username: '', password: '{{secrets.CLIENT_SECRET}}' });
    await type(field('Password'), '');
    expect(query()).not.toHaveProperty('basicAuth');
    // The rest of the query is untouched.
    expect(query()).toEqual(DOC.queries[0]);
  });

  it('completes the app\'s names in both fields, as in the other binding fields', async () => {
    for (const label of ['Username', 'Password']) {
      const input = field(label);
      expect(input.getAttribute('role')).toBe('combobox');
      await type(input, '{{ inp_user');
      const list = document.getElementById(input.getAttribute('aria-controls') ?? '');
      expect(list?.hidden).toBe(false);
      expect([...(list?.querySelectorAll('[role="option"] .ed-bi-label') ?? [])].map((o) => o.textContent)).toContain('inp_username');
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      await settle();
    }
    expect(query().basicAuth).toEqual({ username: '{{ inp_username}}', password: '{{ inp_username}}' });
  });
});
