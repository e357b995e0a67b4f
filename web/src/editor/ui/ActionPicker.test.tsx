// @vitest-environment happy-dom
/**
 * The action picker as a person uses it, by roles and accessible names: open it from its
 * button, choose "Run a query", a query, a follow-up "Navigate to" Dashboard, Apply; open it
 * again and find it filled in; custom code and hand-written code; Esc and Cancel.
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loginApp } from '../doc/fixture.ts';
import type { AppDoc } from '../doc/types.ts';
import { ActionButton, ActionDialog, ActionSummary } from './ActionPicker.tsx';

const DOC: AppDoc = {
  ...loginApp(),
  queries: [...loginApp().queries, { name: 'sign_in', url: '/auth/v1/token', method: 'POST' }],
};

let root: HTMLElement;
let applied: string[];

/** A property row as the pane has it: the button, the dialog while open, the summary. */
function Host({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  const [open, setOpen] = useState(false);
  return (
    <div>
      <ActionButton property="onClick" onOpen={() => setOpen(true)} />
      <ActionSummary doc={DOC} value={value} />
      {open && (
        <ActionDialog
          doc={DOC}
          property="onClick"
          value={value}
          onApply={(v) => {
            applied.push(v);
            setValue(v);
            setOpen(false);
          }}
          onClose={() => setOpen(false)}
        />
      )}
    </div>
  );
}

const settle = () => new Promise((r) => setTimeout(r, 50));

async function mount(initial: string): Promise<void> {
  render(<Host initial={initial} />, root);
  await settle();
}

beforeEach(() => {
  applied = [];
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

const ROLES: Record<string, string> = { button: 'button', select: 'combobox', textarea: 'textbox', input: 'textbox', dialog: 'dialog' };

function roleOf(el: Element): string | undefined {
  return el.getAttribute('role') ?? ROLES[el.tagName.toLowerCase()];
}

/** The accessible name, for the ways this UI names things. */
function nameOf(el: Element): string {
  const label = el.getAttribute('aria-label');
  if (label !== null) return label;
  const by = el.getAttribute('aria-labelledby');
  if (by !== null) return by.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
  if (el.tagName === 'BUTTON') return (el.textContent ?? '').trim();
  const holder = el.closest('label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`) : null);
  if (!holder) return '';
  const copy = holder.cloneNode(true) as Element;
  copy.querySelectorAll('select, input, textarea').forEach((c) => c.remove());
  return (copy.textContent ?? '').trim();
}

function all(role: string, name: string, within: Element = root): HTMLElement[] {
  return [...within.querySelectorAll<HTMLElement>('*')].filter((el) => roleOf(el) === role && nameOf(el) === name);
}

function get<T extends HTMLElement = HTMLElement>(role: string, name: string, within: Element = root): T {
  const found = all(role, name, within);
  if (found.length !== 1) throw new Error(`${found.length} elements with role ${role} named "${name}"`);
  return found[0] as T;
}

/** Picks the option shown as `label`. */
async function choose(select: HTMLSelectElement, label: string): Promise<void> {
  const option = [...select.options].find((o) => o.textContent === label);
  if (!option) throw new Error(`no option "${label}" in ${[...select.options].map((o) => o.textContent).join(', ')}`);
  select.value = option.value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  await settle();
}

async function type(input: HTMLInputElement | HTMLTextAreaElement, text: string): Promise<void> {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await settle();
}

async function click(el: HTMLElement): Promise<void> {
  el.click();
  await settle();
}

const selected = (select: HTMLSelectElement): string => select.selectedOptions[0]?.textContent ?? '';

describe('ActionPicker', () => {
  it('writes a query run with a follow-up, and reads it back when opened again', async () => {
    await mount('');
    await click(get('button', 'Action for onClick'));
    const dialog = get('dialog', 'Action for onClick');
    const action = get<HTMLSelectElement>('combobox', 'Action', dialog);
    // The first field has the focus (the effect runs after a frame).
    await vi.waitFor(() => expect(document.activeElement).toBe(action));
    expect([...action.options].map((o) => o.textContent)).toEqual([
      'Execute a JS function',
      'Run a query',
      'Navigate to',
      'Store value',
      'Remove value',
      'Clear store',
      'Show alert',
      'Sign in with the provider',
      'Sign out',
      'Custom code',
    ]);

    await choose(action, 'Run a query');
    await choose(get('combobox', 'Query', dialog), 'sign_in');
    await choose(get('combobox', 'On success', dialog), 'Navigate to');
    const success = get('group', 'On success', dialog);
    await choose(get('combobox', 'Page', success), 'Dashboard');
    expect(all('group', 'On failure', dialog)).toEqual([]);
    await click(get('button', 'Apply', dialog));

    expect(applied).toEqual(["{{sign_in.run().then(() => { navigateTo('Dashboard', {}, 'SAME_WINDOW'); })}}"]);
    expect(all('dialog', 'Action for onClick')).toEqual([]);
    expect(root.textContent).toContain('Runs sign_in, then navigates to Dashboard');

    await click(get('button', 'Action for onClick'));
    const again = get('dialog', 'Action for onClick');
    expect(selected(get('combobox', 'Action', again))).toBe('Run a query');
    expect(selected(get('combobox', 'Query', again))).toBe('sign_in');
    expect(selected(get('combobox', 'On success', again))).toBe('Navigate to');
    expect(selected(get('combobox', 'Page', get('group', 'On success', again)))).toBe('Dashboard');
    expect(selected(get('combobox', 'Target', get('group', 'On success', again)))).toBe('Same window');
    expect(selected(get('combobox', 'On failure', again))).toBe('None');
  });

  it('pre-fills a JS function from the document, and lists the object\'s functions', async () => {
    await mount('{{ Auth.signin() }}');
    expect(root.textContent).toContain('Runs Auth.signin');
    await click(get('button', 'Action for onClick'));
    const dialog = get('dialog', 'Action for onClick');
    expect(selected(get('combobox', 'Action', dialog))).toBe('Execute a JS function');
    expect(selected(get('combobox', 'JS object', dialog))).toBe('Auth');
    expect([...get<HTMLSelectElement>('combobox', 'Function', dialog).options].map((o) => o.textContent)).toEqual(['signin']);
  });

  it('writes sign-in and sign-out by redirect, and reads them back', async () => {
    await mount('{{appsmith.signIn()}}');
    expect(root.textContent).toContain("Signs in at the app's provider");
    await click(get('button', 'Action for onClick'));
    const dialog = get('dialog', 'Action for onClick');
    const action = get<HTMLSelectElement>('combobox', 'Action', dialog);
    expect(selected(action)).toBe('Sign in with the provider');
    await choose(action, 'Sign out');
    await click(get('button', 'Apply', dialog));
    expect(applied).toEqual(['{{appsmith.signOut()}}']);
  });

  it('opens hand-written code as custom code, and Apply keeps it as it was', async () => {
    const code = '{{ const r = await login.run(); storeValue("t", r.token) }}';
    await mount(code);
    expect(root.textContent).not.toContain('Runs');
    await click(get('button', 'Action for onClick'));
    const dialog = get('dialog', 'Action for onClick');
    expect(selected(get('combobox', 'Action', dialog))).toBe('Custom code');
    expect(get<HTMLTextAreaElement>('textbox', 'Code', dialog).value).toBe(' const r = await login.run(); storeValue("t", r.token) ');
    await click(get('button', 'Apply', dialog));
    expect(applied).toEqual([code]);
  });

  it('says what is missing instead of applying', async () => {
    await mount('');
    await click(get('button', 'Action for onClick'));
    const dialog = get('dialog', 'Action for onClick');
    await choose(get('combobox', 'Action', dialog), 'Store value');
    await type(get('textbox', 'Key', dialog), "it's");
    await click(get('button', 'Apply', dialog));
    expect(applied).toEqual([]);
    expect(dialog.querySelector('[role="alert"]')?.textContent).toMatch(/value/);
    await type(get('textbox', 'Value', dialog), 'inp_username.text');
    await click(get('button', 'Apply', dialog));
    expect(applied).toEqual(["{{storeValue('it\\'s', inp_username.text)}}"]);
  });

  it('keeps what was typed for a kind when the choice changes and comes back', async () => {
    await mount('');
    await click(get('button', 'Action for onClick'));
    const dialog = get('dialog', 'Action for onClick');
    await choose(get('combobox', 'Action', dialog), 'Show alert');
    await type(get('textbox', 'Message', dialog), 'Line "one"\nline two');
    await choose(get('combobox', 'Type', dialog), 'warning');
    await choose(get('combobox', 'Action', dialog), 'Clear store');
    await choose(get('combobox', 'Action', dialog), 'Show alert');
    await click(get('button', 'Apply', dialog));
    expect(applied).toEqual(["{{showAlert('Line \"one\"\\nline two', 'warning')}}"]);
  });

  it('closes without applying on Escape and on Cancel', async () => {
    await mount("{{navigateTo('Dashboard')}}");
    await click(get('button', 'Action for onClick'));
    const select = get<HTMLSelectElement>('combobox', 'Action', get('dialog', 'Action for onClick'));
    select.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(all('dialog', 'Action for onClick')).toEqual([]);
    await click(get('button', 'Action for onClick'));
    await click(get('button', 'Cancel', get('dialog', 'Action for onClick')));
    expect(all('dialog', 'Action for onClick')).toEqual([]);
    expect(applied).toEqual([]);
  });
});
