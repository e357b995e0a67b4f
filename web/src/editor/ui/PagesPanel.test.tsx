// @vitest-environment happy-dom
/**
 * The pages panel with the registry's page commands, over a real editing session (the model's
 * operations, history and command builders; its saves go to an in-memory draft API): names and
 * marks, the menu's keyboard, inline rename, the refused and the confirmed delete, undo.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { page } from '../doc/fixture.ts';
import { CommandRegistry } from '../doc/registry.ts';
import type { AppDoc, DraftApi } from '../doc/types.ts';
import { createEditingSession } from '../save/session.ts';
import { EditorCtx, type EditorContext } from './context.ts';
import { PagesPanel } from './PagesPanel.tsx';
import { registerAppCommands } from './shell/appCommands.ts';
import { editorKeyHandler } from './shell/keys.ts';
import { createScreenState, pushNotice, type ScreenState } from './shell/screenState.ts';

const DOC: AppDoc = {
  version: 1,
  name: 'Guide',
  slug: 'guide',
  homePage: 'LoginPage',
  datasources: [],
  settings: {},
  pages: [page('LoginPage', []), page('Dashboard', [], { hidden: true })],
  queries: [],
  jsObjects: [],
};

/** Every write accepted, in memory. */
const memoryApi: DraftApi = {
  getDraft: () => Promise.resolve({ revision: 1, app: DOC, problems: [] }),
  putDraft: (_slug, revision) => Promise.resolve({ kind: 'saved', revision: revision + 1, problems: [] }),
};

let root: HTMLElement;
let ctx: EditorContext;
let screen: ScreenState;
let stopKeys: () => void;

beforeEach(async () => {
  const session = await createEditingSession('guide', memoryApi, {
    storage: null,
    events: null,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  root = document.createElement('div');
  document.body.append(root);
  screen = createScreenState();
  const commands = new CommandRegistry<EditorContext>({ mac: false });
  ctx = {
    slug: 'guide',
    session,
    currentPage: signal('LoginPage'),
    open: signal(null),
    selection: signal([]),
    commands,
    notify: (m) => pushNotice(screen, m),
  };
  registerAppCommands(commands, screen);
  const onKey = editorKeyHandler(ctx, screen);
  document.addEventListener('keydown', onKey);
  stopKeys = () => document.removeEventListener('keydown', onKey);
  render(
    <EditorCtx.Provider value={ctx}>
      <PagesPanel screen={screen} />
    </EditorCtx.Provider>,
    root,
  );
});

afterEach(() => {
  stopKeys();
  ctx.session.dispose();
  render(null, root);
  root.remove();
});

const $ = <T extends Element = HTMLElement>(sel: string): T | null => root.querySelector<T>(sel);
const item = (name: string) => $(`li[aria-label="${name}"]`);
const optionsFor = (name: string) => $<HTMLButtonElement>(`button[aria-label="Page options for ${name}"]`)!;
const menuItem = (label: string) =>
  [...root.querySelectorAll<HTMLButtonElement>('[role="menu"] [role="menuitem"]')].find((b) => b.textContent === label);
const key = (target: Element, k: string, init: KeyboardEventInit = {}) =>
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }));
// Preact runs effects (focus moves) after the next frame.
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('PagesPanel', () => {
  it('is a region named Pages listing each page by name, with the home and hidden marks', () => {
    const region = $('section')!;
    expect(region.getAttribute('aria-labelledby')).toBe('ed-pages-title');
    expect($('#ed-pages-title')?.textContent).toBe('Pages');
    expect([...root.querySelectorAll('li')].map((li) => li.getAttribute('aria-label'))).toEqual(['LoginPage', 'Dashboard']);
    expect(item('LoginPage')!.querySelector('[role="img"][aria-label="Home page"]')).not.toBeNull();
    expect(item('LoginPage')!.querySelector('[aria-label="Hidden"]')).toBeNull();
    expect(item('Dashboard')!.querySelector('[role="img"][aria-label="Hidden"]')).not.toBeNull();
  });

  it('opens a page menu on its first item, moves with the arrows and closes on Esc', async () => {
    optionsFor('Dashboard').click();
    await settle();
    expect([...root.querySelectorAll('[role="menuitem"]')].map((b) => b.textContent)).toEqual([
      'Rename',
      'Duplicate',
      'Show',
      'Set as home page',
      'Delete',
    ]);
    expect(document.activeElement).toBe(menuItem('Rename'));
    key(document.activeElement!, 'ArrowDown');
    expect(document.activeElement).toBe(menuItem('Duplicate'));
    key(document.activeElement!, 'ArrowUp');
    key(document.activeElement!, 'ArrowUp');
    expect(document.activeElement).toBe(menuItem('Delete'));
    key(document.activeElement!, 'Escape');
    await settle();
    expect($('[role="menu"]')).toBeNull();
    expect(document.activeElement).toBe(optionsFor('Dashboard'));
  });

  it('disables "Set as home page" on the home page, and sets another page as home', async () => {
    optionsFor('LoginPage').click();
    await settle();
    expect(menuItem('Set as home page')?.getAttribute('aria-disabled')).toBe('true');
    menuItem('Set as home page')!.click();
    expect(ctx.session.doc.value.homePage).toBe('LoginPage');
    key(document.activeElement!, 'Escape');
    await settle();

    optionsFor('Dashboard').click();
    await settle();
    menuItem('Set as home page')!.click();
    await settle();
    expect(ctx.session.doc.value.homePage).toBe('Dashboard');
    expect(item('Dashboard')!.querySelector('[aria-label="Home page"]')).not.toBeNull();
  });

  it('shows and hides a page, and Mod+Z outside a text field undoes it', async () => {
    optionsFor('Dashboard').click();
    await settle();
    menuItem('Show')!.click();
    await settle();
    expect(ctx.session.doc.value.pages[1]?.hidden).toBe(false);
    expect(item('Dashboard')!.querySelector('[aria-label="Hidden"]')).toBeNull();
    key(document.body, 'z', { ctrlKey: true });
    await settle();
    expect(ctx.session.doc.value.pages[1]?.hidden).toBe(true);
  });

  it('renames inline: Enter commits, Esc cancels, a taken name is refused with a reason', async () => {
    optionsFor('Dashboard').click();
    await settle();
    menuItem('Rename')!.click();
    await settle();
    let field = $<HTMLInputElement>('input[aria-label="Page name"]')!;
    expect(document.activeElement).toBe(field);
    field.value = 'Elsewhere';
    field.dispatchEvent(new Event('input', { bubbles: true }));
    key(field, 'Escape');
    await settle();
    expect(ctx.session.doc.value.pages.map((p) => p.name)).toEqual(['LoginPage', 'Dashboard']);

    screen.renamingPage.value = 'Dashboard';
    await settle();
    field = $<HTMLInputElement>('input[aria-label="Page name"]')!;
    field.value = 'LoginPage';
    field.dispatchEvent(new Event('input', { bubbles: true }));
    key(field, 'Enter');
    await settle();
    expect($('[role="alert"]')?.textContent).toMatch(/LoginPage/);
    expect(ctx.session.doc.value.pages.map((p) => p.name)).toEqual(['LoginPage', 'Dashboard']);

    field = $<HTMLInputElement>('input[aria-label="Page name"]')!;
    field.value = 'Reports';
    field.dispatchEvent(new Event('input', { bubbles: true }));
    key(field, 'Enter');
    await settle();
    expect(ctx.session.doc.value.pages.map((p) => p.name)).toEqual(['LoginPage', 'Reports']);
    expect($('input[aria-label="Page name"]')).toBeNull();
  });

  it('refuses to delete the home page with a reason, and deletes another page only once confirmed', async () => {
    optionsFor('LoginPage').click();
    await settle();
    menuItem('Delete')!.click();
    await settle();
    expect(screen.notices.value.map((n) => n.message).join(' ')).toMatch(/home page/);
    expect(root.querySelector('dialog')).toBeNull();

    optionsFor('Dashboard').click();
    await settle();
    menuItem('Delete')!.click();
    await settle();
    const dialog = root.querySelector('dialog')!;
    expect(dialog.textContent).toContain('Delete Dashboard?');
    [...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Cancel')!.click();
    await settle();
    expect(ctx.session.doc.value.pages).toHaveLength(2);

    optionsFor('Dashboard').click();
    await settle();
    menuItem('Delete')!.click();
    await settle();
    [...root.querySelector('dialog')!.querySelectorAll('button')].find((b) => b.textContent === 'Delete')!.click();
    await settle();
    expect(ctx.session.doc.value.pages.map((p) => p.name)).toEqual(['LoginPage']);
  });

  it('adds a page and names it right away', async () => {
    [...root.querySelectorAll('button')].find((b) => b.textContent === 'Add page')!.click();
    await settle();
    const field = $<HTMLInputElement>('input[aria-label="Page name"]')!;
    expect(document.activeElement).toBe(field);
    field.value = 'Settings';
    field.dispatchEvent(new Event('input', { bubbles: true }));
    key(field, 'Enter');
    await settle();
    expect(ctx.session.doc.value.pages.map((p) => p.name)).toEqual(['LoginPage', 'Dashboard', 'Settings']);
    expect(ctx.currentPage.value).toBe('Settings');
  });
});
