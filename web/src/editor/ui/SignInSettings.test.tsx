// @vitest-environment happy-dom
/**
 * The app's sign-in and a page's access in the editor, over a real editing session: set up
 * sign-in, protect a page (refused before, with the reason shown), undo.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loginApp } from '../doc/fixture.ts';
import { AccessField } from './AccessField.tsx';
import { EditorCtx, type EditorContext } from './context.ts';
import { SignInSettings } from './SignInSettings.tsx';
import { testContext } from './testContext.ts';
import { setPageAccess } from '../doc/access.ts';

let root: HTMLElement;
let ctx: EditorContext;

beforeEach(async () => {
  ({ ctx } = await testContext(loginApp(), 'Dashboard'));
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

const settle = () => new Promise((r) => setTimeout(r, 20));

function Host() {
  const page = ctx.session.doc.value.pages.find((p) => p.name === 'Dashboard')!;
  return (
    <EditorCtx.Provider value={ctx}>
      <SignInSettings />
      <AccessField id="acc" value={page.access} onChange={(a) => ctx.session.apply(setPageAccess(ctx.session.doc.peek(), 'Dashboard', a))} />
    </EditorCtx.Provider>
  );
}

function labelled(text: string): HTMLInputElement | HTMLSelectElement {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent === text);
  const el = label ? root.querySelector<HTMLInputElement | HTMLSelectElement>(`#${label.htmlFor}`) : null;
  if (!el) throw new Error(`no field labelled ${text}`);
  return el;
}

function choose(select: HTMLInputElement | HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

function button(name: string): HTMLButtonElement {
  const b = [...root.querySelectorAll('button')].find((x) => x.textContent === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
}

describe('sign-in and access in the editor', () => {
  it('refuses to protect a page before sign-in is set up, then protects it, and undo takes both back', async () => {
    render(<Host />, root);
    choose(labelled('Access'), 'signedIn');
    await settle();
    expect(root.querySelector('[role="alert"]')?.textContent).toMatch(/Set up the app's sign-in first/);
    expect(ctx.session.doc.value.pages[1]?.access).toBeUndefined();

    expect(labelled('Login page').value).toBe('LoginPage');
    expect(labelled('Token store key').value).toBe('accesstoken');
    button('Save sign-in').click();
    await settle();
    expect(ctx.session.doc.value.auth).toEqual({ loginPage: 'LoginPage', verify: 'builtin', token: { store: 'accesstoken' } });

    choose(labelled('Access'), 'signedIn');
    await settle();
    expect(ctx.session.doc.value.pages[1]?.access).toBe('signedIn');
    expect(root.querySelector('.ed-access [role="alert"]')).toBeNull();

    expect(ctx.session.undoLabel.value).toBe('Set who may open Dashboard');
    ctx.session.undo();
    ctx.session.undo();
    await settle();
    expect(ctx.session.doc.value.auth).toBeUndefined();
    expect(ctx.session.doc.value.pages[1]?.access).toBeUndefined();
  });

  it('asks for roles, and protects with them once typed', async () => {
    render(<Host />, root);
    button('Save sign-in').click();
    await settle();
    choose(labelled('Access'), 'roles');
    await settle();
    const roles = labelled('Roles') as HTMLInputElement;
    roles.value = 'admin, ops';
    roles.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    roles.dispatchEvent(new FocusEvent('blur'));
    await settle();
    expect(ctx.session.doc.value.pages[1]?.access).toEqual({ roles: ['admin', 'ops'] });
  });
});
