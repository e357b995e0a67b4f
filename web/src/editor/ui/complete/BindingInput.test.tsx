// @vitest-environment happy-dom
/**
 * The binding field over the app's real completer (the guide's login app): when the list
 * opens, moving in it, accepting by key and by click, where the caret lands, Escape, and which
 * keys reach the owner.
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appCompleter } from '../../doc/complete.ts';
import type { Completer } from '../../doc/completion.ts';
import { loginApp } from '../../doc/fixture.ts';
import { BindingInput, MAX_OPTIONS } from './BindingInput.tsx';

const DOC = loginApp();
let root: HTMLElement;
let values: string[];
let passed: string[];

function Host({ complete = appCompleter(() => ({ doc: DOC })), multiline = false }: { complete?: Completer; multiline?: boolean }) {
  const [value, setValue] = useState('');
  return (
    <BindingInput
      label="Text"
      value={value}
      multiline={multiline}
      complete={complete}
      onInput={(v) => {
        values.push(v);
        setValue(v);
      }}
      onKeyDown={(e) => passed.push(e.key)}
    />
  );
}

beforeEach(() => {
  values = [];
  passed = [];
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

const settle = () => new Promise((r) => setTimeout(r, 10));
const field = (): HTMLInputElement => {
  const f = root.querySelector<HTMLInputElement>('[role="combobox"]') ?? root.querySelector<HTMLInputElement>('textarea');
  if (!f) throw new Error('no field');
  return f;
};
const listbox = (): HTMLElement => {
  const l = root.querySelector<HTMLElement>('[role="listbox"]');
  if (!l) throw new Error('no listbox');
  return l;
};
const options = (): HTMLElement[] => (listbox().hidden ? [] : [...listbox().querySelectorAll<HTMLElement>('[role="option"]')]);
const optionNames = () => options().map((o) => o.querySelector('.ed-bi-label')?.textContent);
const activeOption = () => {
  const id = field().getAttribute('aria-activedescendant');
  return id ? document.getElementById(id)?.querySelector('.ed-bi-label')?.textContent : null;
};

/** Types `text` as if the builder had, leaving the caret at its `|` (default: the end). */
async function type(text: string): Promise<void> {
  const f = field();
  const caret = text.includes('|') ? text.indexOf('|') : text.length;
  f.value = text.replace('|', '');
  f.setSelectionRange(caret, caret);
  f.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: text.charAt(caret - 1) }));
  await settle();
}
async function key(k: string, init: KeyboardEventInit = {}): Promise<KeyboardEvent> {
  const e = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init });
  field().dispatchEvent(e);
  await settle();
  return e;
}

describe('BindingInput', () => {
  it('is a named combobox whose list is closed at first', async () => {
    render(<Host />, root);
    await settle();
    expect(field().getAttribute('aria-label')).toBe('Text');
    expect(field().getAttribute('aria-autocomplete')).toBe('list');
    expect(field().getAttribute('aria-controls')).toBe(listbox().id);
    expect(field().getAttribute('aria-expanded')).toBe('false');
    expect(options()).toEqual([]);
  });

  it('opens while typing an identifier in a binding, with labels and details', async () => {
    render(<Host />, root);
    await type('{{ inp');
    expect(field().getAttribute('aria-expanded')).toBe('true');
    expect(optionNames()).toEqual(['inp_username', 'inp_password']);
    expect(options()[0]?.textContent).toContain('Input on LoginPage');
    expect(options()[0]?.getAttribute('aria-selected')).toBe('true');
    expect(activeOption()).toBe('inp_username');
  });

  it('opens after a dot with the members', async () => {
    render(<Host />, root);
    await type('{{ inp_username.| }}');
    expect(optionNames()).toContain('text');
    expect(optionNames()).not.toContain('onSubmit');
  });

  it('moves with the arrows (wrapping) and accepts with Enter, caret after the pick', async () => {
    render(<Host />, root);
    await type('{{ inp| }}');
    await key('ArrowDown');
    expect(activeOption()).toBe('inp_password');
    await key('ArrowDown');
    expect(activeOption()).toBe('inp_username');
    await key('ArrowUp');
    const enter = await key('Enter');
    expect(enter.defaultPrevented).toBe(true);
    expect(values[values.length - 1]).toBe('{{ inp_password }}');
    expect(field().value).toBe('{{ inp_password }}');
    expect(field().selectionStart).toBe('{{ inp_password'.length);
    expect(options()).toEqual([]);
    expect(passed).toEqual([]);
  });

  it('accepts with Tab only while the list is open, and puts a function’s caret in its parentheses', async () => {
    render(<Host />, root);
    await type('{{ showA| }}');
    const tab = await key('Tab');
    expect(tab.defaultPrevented).toBe(true);
    expect(field().value).toBe('{{ showAlert() }}');
    expect(field().selectionStart).toBe('{{ showAlert('.length);
    const tabAgain = await key('Tab');
    expect(tabAgain.defaultPrevented).toBe(false);
    expect(passed).toEqual(['Tab']);
  });

  it('wraps a pick outside a binding in {{ }}', async () => {
    render(<Host />, root);
    await type('Hello inp_u');
    await key('Enter');
    expect(field().value).toBe('Hello {{inp_username}}');
  });

  it('accepts a clicked option', async () => {
    render(<Host />, root);
    await type('{{ Auth.| }}');
    const signin = options().find((o) => o.textContent?.includes('signin'));
    signin?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settle();
    expect(field().value).toBe('{{ Auth.signin() }}');
  });

  it('closes on Escape without letting it reach the editor; Escape passes when closed', async () => {
    render(<Host />, root);
    let bubbled = 0;
    root.addEventListener('keydown', () => bubbled++);
    await type('{{ inp');
    await key('Escape');
    expect(options()).toEqual([]);
    expect(field().getAttribute('aria-expanded')).toBe('false');
    expect(bubbled).toBe(0);
    expect(passed).toEqual([]);
    await key('Escape');
    expect(bubbled).toBe(1);
    expect(passed).toEqual(['Escape']);
  });

  it('opens on Ctrl+Space with nothing typed', async () => {
    render(<Host />, root);
    await type('{{ a + | }}');
    expect(options()).toEqual([]);
    const e = await key(' ', { ctrlKey: true });
    expect(e.defaultPrevented).toBe(true);
    expect(optionNames()).toContain('txt_welcome');
  });

  it('passes Mod+Enter through even while the list is open, and Enter when it is closed', async () => {
    render(<Host />, root);
    await type('{{ inp');
    await key('Enter', { ctrlKey: true });
    expect(passed).toEqual(['Enter']);
    expect(field().value).toBe('{{ inp');
    await key('Escape');
    await key('Enter');
    expect(passed).toEqual(['Enter', 'Enter']);
  });

  it(`shows at most ${MAX_OPTIONS} options`, async () => {
    const many: Completer = (_t, caret) => ({
      from: caret,
      to: caret,
      options: Array.from({ length: 80 }, (_, i) => ({ label: `w${i}`, kind: 'widget' as const, insert: `w${i}` })),
    });
    render(<Host complete={many} />, root);
    await type('w');
    expect(options()).toHaveLength(MAX_OPTIONS);
  });

  it('works as a textarea too', async () => {
    render(<Host multiline />, root);
    await type('line one\n{{ login.');
    expect(field().tagName).toBe('TEXTAREA');
    expect(optionNames()).toContain('data');
    await key('Enter');
    expect(field().value).toBe('line one\n{{ login.data}}');
  });
});
