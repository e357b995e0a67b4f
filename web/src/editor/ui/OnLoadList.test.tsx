// @vitest-environment happy-dom
/**
 * The page's on-load list over a real editing session (the model's operations, history and
 * command builders; saves go to an in-memory draft API): what it offers, add, move, remove,
 * the focus after each, and undo of each as one labelled step.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loginApp } from '../doc/fixture.ts';
import type { AppDoc } from '../doc/types.ts';
import type { EditorContext } from './context.ts';
import { testContext } from './testContext.ts';
import { OnLoadList } from './OnLoadList.tsx';

const DOC: AppDoc = {
  ...loginApp(),
  queries: [...loginApp().queries, { name: 'get_user', url: '/auth/v1/user', method: 'GET' }],
  jsObjects: [
    {
      name: 'Auth',
      source: 'export default {\n  async refreshAccessToken() {},\n  logout: async () => {},\n  get token() { return 1 },\n  count: 2,\n}\n',
    },
  ],
};


let root: HTMLElement;
let ctx: EditorContext;
let notices: string[];

function Host() {
  const doc = ctx.session.doc.value;
  const page = doc.pages.find((p) => p.name === 'Dashboard');
  return page ? <OnLoadList ctx={ctx} doc={doc} page={page} /> : null;
}

beforeEach(async () => {
  ({ ctx, notices } = await testContext(DOC, 'Dashboard'));
  root = document.createElement('div');
  document.body.append(root);
  render(<Host />, root);
});

afterEach(() => {
  ctx.session.dispose();
  render(null, root);
  root.remove();
});

// Preact runs effects (focus moves) after the next frame.
const settle = () => new Promise((r) => setTimeout(r, 50));
/** The list named "On page load" (by its aria-labelledby). */
const list = (): HTMLElement => {
  const l = [...root.querySelectorAll<HTMLElement>('ol, ul')].find((el) => {
    const id = el.getAttribute('aria-labelledby');
    return id !== null && document.getElementById(id)?.textContent === 'On page load';
  });
  if (!l) throw new Error('no list named "On page load"');
  return l;
};
const steps = () => [...list().querySelectorAll('li')].map((li) => li.getAttribute('aria-label'));
const button = (name: string) => {
  const b = [...root.querySelectorAll<HTMLButtonElement>('button')].find((x) => x.getAttribute('aria-label') === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
};
const addSelect = () => root.querySelector<HTMLSelectElement>('select[aria-label="Add on-load step"]')!;
const offered = () => [...addSelect().options].map((o) => o.value).filter((v) => v !== '');
const add = async (step: string) => {
  const s = addSelect();
  s.value = step;
  s.dispatchEvent(new Event('change', { bubbles: true }));
  await settle();
};
const onLoad = () => ctx.session.doc.value.pages.find((p) => p.name === 'Dashboard')!.onLoad;

describe('OnLoadList', () => {
  it('offers the app’s queries and JS functions (not getters nor values), and adds one at the end', async () => {
    expect(steps()).toEqual([]);
    expect(offered()).toEqual(['login', 'get_user', 'Auth.refreshAccessToken', 'Auth.logout']);
    await add('Auth.refreshAccessToken');
    await add('get_user');
    expect(onLoad()).toEqual(['Auth.refreshAccessToken', 'get_user']);
    expect(steps()).toEqual(['Auth.refreshAccessToken', 'get_user']);
    expect(offered()).toEqual(['login', 'Auth.logout']);
    expect(addSelect().value).toBe('');
    expect(document.activeElement).toBe(addSelect());
    expect(ctx.session.undoLabel.value).toBe('Run get_user on load of Dashboard');
  });

  it('moves a step up and down, keeps the focus on it, and each move is one undo step', async () => {
    await add('Auth.refreshAccessToken');
    await add('get_user');
    expect(button('Move up Auth.refreshAccessToken').disabled).toBe(true);
    expect(button('Move down get_user').disabled).toBe(true);
    button('Move up get_user').focus();
    button('Move up get_user').click();
    await settle();
    expect(steps()).toEqual(['get_user', 'Auth.refreshAccessToken']);
    // "Move up get_user" is now disabled: the focus goes to its other move button.
    expect(document.activeElement).toBe(button('Move down get_user'));
    expect(ctx.session.undoLabel.value).toBe('Move get_user up on load of Dashboard');
    button('Move down get_user').click();
    await settle();
    expect(steps()).toEqual(['Auth.refreshAccessToken', 'get_user']);
    ctx.session.undo();
    await settle();
    expect(steps()).toEqual(['get_user', 'Auth.refreshAccessToken']);
    ctx.session.undo();
    await settle();
    expect(steps()).toEqual(['Auth.refreshAccessToken', 'get_user']);
  });

  it('removes a step, offers it again, moves the focus to the next step, and undo brings it back', async () => {
    await add('Auth.refreshAccessToken');
    await add('get_user');
    button('Remove Auth.refreshAccessToken').click();
    await settle();
    expect(steps()).toEqual(['get_user']);
    expect(offered()).toContain('Auth.refreshAccessToken');
    expect(document.activeElement).toBe(button('Remove get_user'));
    expect(ctx.session.undoLabel.value).toBe('Stop running Auth.refreshAccessToken on load of Dashboard');
    button('Remove get_user').click();
    await settle();
    expect(steps()).toEqual([]);
    expect(document.activeElement).toBe(addSelect());
    ctx.session.undo();
    ctx.session.undo();
    await settle();
    expect(steps()).toEqual(['Auth.refreshAccessToken', 'get_user']);
    expect(notices).toEqual([]);
  });
});
