// @vitest-environment happy-dom
/**
 * The app's sign-in and a page's access in the editor, over a real editing session: set up
 * sign-in, protect a page (refused before, with the reason shown), undo.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authApp, loginApp } from '../doc/fixture.ts';
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

/** Every field labelled `text`, in order. */
function allLabelled(text: string): (HTMLInputElement | HTMLSelectElement)[] {
  return [...root.querySelectorAll('label')]
    .filter((l) => l.textContent === text)
    .map((l) => root.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(l.htmlFor)}`))
    .filter((el): el is HTMLInputElement | HTMLSelectElement => el !== null);
}

function labelled(text: string): HTMLInputElement | HTMLSelectElement {
  const el = allLabelled(text)[0];
  if (!el) throw new Error(`no field labelled ${text}`);
  return el;
}

function type(input: HTMLInputElement | HTMLSelectElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

const alert = (): string | null | undefined => root.querySelector('form[aria-label="Sign-in settings"] > div > [role="alert"]')?.textContent;

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

describe('where the token is kept', () => {
  beforeEach(async () => {
    ({ ctx } = await testContext(authApp(), 'Dashboard'));
  });

  it('sets up session mode: the sign-in query is asked for, the default paths are left out, and one undo takes it back', async () => {
    render(<Host />, root);
    expect(labelled('Token').value).toBe('store');
    choose(labelled('Token'), 'session');
    await settle();
    expect(allLabelled('Token store key')).toEqual([]);
    expect(labelled('Access token path').value).toBe('access_token');
    expect(labelled('Refresh token path').value).toBe('refresh_token');
    expect(labelled('Expires-in path').value).toBe('expires_in');

    button('Save sign-in').click();
    await settle();
    expect(alert()).toBe('Choose the sign-in query: in session mode the server keeps the tokens of its answer.');
    expect(ctx.session.doc.value.auth).toBeUndefined();

    choose(labelled('Sign-in query'), 'get_user');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBe('get_user is protected: the sign-in query must be open to everyone.');

    choose(labelled('Sign-in query'), 'login');
    await settle();
    choose(labelled('Refresh query'), 'refreshAPI');
    await settle();
    choose(labelled('Sign-out query'), 'revokeAPI');
    await settle();
    type(labelled('Access token path'), 'data.token');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBeUndefined();
    expect(ctx.session.doc.value.auth).toEqual({
      loginPage: 'LoginPage',
      verify: 'builtin',
      token: 'session',
      session: { signIn: 'login', refresh: 'refreshAPI', signOut: 'revokeAPI', accessToken: 'data.token' },
    });
    expect(ctx.session.undoLabel.value).toBe('Set up sign-in');
    ctx.session.undo();
    await settle();
    expect(ctx.session.doc.value.auth).toBeUndefined();
  });

  it("declares a store-mode refresh with its store keys, and refuses one that would not store the token", async () => {
    render(<Host />, root);
    expect(allLabelled('Store key')).toEqual([]);
    choose(labelled('Refresh query'), 'refreshAPI');
    await settle();
    const list = root.querySelector('ul[aria-labelledby]');
    expect(root.querySelector(`#${list?.getAttribute('aria-labelledby') ?? 'none'}`)?.textContent).toBe('Store keys from the refresh answer');
    expect(allLabelled('Store key').map((i) => i.value)).toEqual(['accesstoken']);
    expect(allLabelled('Path').map((i) => i.value)).toEqual(['access_token']);

    button('Add store key').click();
    await settle();
    type(allLabelled('Store key')[1]!, 'refreshtoken');
    await settle();
    type(allLabelled('Path')[1]!, 'refresh_token');
    await settle();
    type(labelled('Expires-in path'), 'expires_in');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(ctx.session.doc.value.auth).toEqual({
      loginPage: 'LoginPage',
      verify: 'builtin',
      token: { store: 'accesstoken' },
      refresh: { query: 'refreshAPI', store: { accesstoken: 'access_token', refreshtoken: 'refresh_token' }, expiresIn: 'expires_in' },
    });

    [...root.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === 'Remove store key accesstoken')!.click();
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBe("The store keys from the refresh answer must include the token's key accesstoken: it is where the fresh token goes.");
    expect(ctx.session.doc.value.auth?.refresh).toMatchObject({ store: { accesstoken: 'access_token', refreshtoken: 'refresh_token' } });
    expect(ctx.session.undoLabel.value).toBe('Set up sign-in');
  });
});

