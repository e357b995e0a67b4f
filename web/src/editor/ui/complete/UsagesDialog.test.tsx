// @vitest-environment happy-dom
/** The usages dialog over the guide's login app: its title, the places in words, and going. */
import { render } from 'preact';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loginApp } from '../../doc/fixture.ts';
import type { Place } from '../../doc/usages.ts';
import { UsagesDialog } from './UsagesDialog.tsx';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

it('lists the definition and each usage as a button that goes there', async () => {
  const went: Place[] = [];
  let closed = 0;
  render(<UsagesDialog doc={loginApp()} name="inp_username" onGo={(p) => went.push(p)} onClose={() => closed++} />, root);
  await new Promise((r) => setTimeout(r, 10));
  const dialog = root.querySelector('dialog');
  const titleId = dialog?.getAttribute('aria-labelledby');
  expect(titleId && document.getElementById(titleId)?.textContent).toBe('Usages of inp_username');
  const buttons = [...root.querySelectorAll('button')].map((b) => b.textContent);
  expect(buttons).toEqual(['widget inp_username on LoginPage', 'txt_hint, text on LoginPage', 'query login, body', 'JS object Auth, line 4', 'Close']);
  [...root.querySelectorAll('button')].find((b) => b.textContent === 'JS object Auth, line 4')?.click();
  expect(went).toEqual([{ kind: 'jsObject', object: 'Auth', line: 4, column: 39 }]);
  [...root.querySelectorAll('button')].find((b) => b.textContent === 'Close')?.click();
  expect(closed).toBe(1);
});

it('says so when nothing refers to the name', async () => {
  render(<UsagesDialog doc={loginApp()} name="txt_welcome" onGo={() => undefined} onClose={() => undefined} />, root);
  await new Promise((r) => setTimeout(r, 10));
  expect(root.textContent).toContain('Nothing refers to txt_welcome.');
});
