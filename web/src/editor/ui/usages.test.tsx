// @vitest-environment happy-dom
/**
 * Go to definition and find usages over a real editing session: F12 in a binding field goes
 * to what the name under the caret is; "Find usages" lists the places and goes to one.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loginApp } from '../doc/fixture.ts';
import type { EditorContext } from './context.ts';
import { EditorCtx } from './context.ts';
import { testContext } from './testContext.ts';
import { definitionKey, FindUsages, goToDefinition } from './usages.tsx';

let root: HTMLElement;
let ctx: EditorContext;
let notices: string[];

beforeEach(async () => {
  ({ ctx, notices } = await testContext(loginApp(), 'Dashboard'));
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

const settle = () => new Promise((r) => setTimeout(r, 30));

function button(name: string): HTMLButtonElement {
  const found = [...root.querySelectorAll('button')].filter((b) => b.textContent?.trim() === name);
  if (found.length !== 1) throw new Error(`${found.length} buttons named ${name}`);
  return found[0]!;
}

describe('go to definition', () => {
  it('shows the widget under the caret: its page on the canvas, selected', () => {
    goToDefinition(ctx, 'Hello {{ inp_username.text }}', 12, 'template');
    expect(ctx.currentPage.value).toBe('LoginPage');
    expect(ctx.selection.value).toEqual(['inp_username']);
  });

  it('opens a query or JS object in the code pane', () => {
    goToDefinition(ctx, 'const r = await login.run();', 18, 'code');
    expect(ctx.open.value).toEqual({ kind: 'query', name: 'login' });
    goToDefinition(ctx, '{{ Auth.signin() }}', 4, 'template');
    expect(ctx.open.value).toEqual({ kind: 'jsObject', name: 'Auth' });
  });

  it('says so when the caret is on nothing of the app', () => {
    goToDefinition(ctx, 'plain text', 3, 'template');
    expect(notices).toEqual(['Put the caret on a name of the app to go to its definition.']);
    goToDefinition(ctx, '{{ nobody.x }}', 5, 'template');
    expect(notices.at(-1)).toBe('The app has nothing named nobody.');
  });

  it('is F12 in a binding field of a pane', () => {
    render(
      <div onKeyDown={definitionKey(ctx)}>
        <input id="f" value="{{ txt_hint.text }}" />
      </div>,
      root,
    );
    const input = root.querySelector<HTMLInputElement>('#f')!;
    input.setSelectionRange(5, 5);
    const event = new KeyboardEvent('keydown', { key: 'F12', bubbles: true, cancelable: true, composed: true });
    input.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(ctx.selection.value).toEqual(['txt_hint']);
    expect(ctx.currentPage.value).toBe('LoginPage');
  });
});

describe('find usages', () => {
  it('lists where a name is used and goes to the place picked', async () => {
    render(
      <EditorCtx.Provider value={ctx}>
        <FindUsages ctx={ctx} name="inp_username" />
      </EditorCtx.Provider>,
      root,
    );
    button('Find usages').click();
    await settle();
    const dialog = document.querySelector('dialog[open], [role="dialog"]');
    expect(dialog?.textContent).toContain('Usages of inp_username');
    const places = [...document.querySelectorAll('.ed-usages button')].map((b) => b.textContent);
    expect(places).toEqual(expect.arrayContaining(['txt_hint, text on LoginPage', 'query login, body', 'JS object Auth, line 4']));
    const toQuery = [...document.querySelectorAll<HTMLButtonElement>('.ed-usages button')].find((b) => b.textContent === 'query login, body')!;
    toQuery.click();
    await settle();
    expect(ctx.open.value).toEqual({ kind: 'query', name: 'login' });
    expect(document.querySelector('.ed-usages')).toBeNull();
  });
});
