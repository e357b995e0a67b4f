// @vitest-environment happy-dom
/**
 * The app's sign-in and a page's access in the editor, over a real editing session: set up
 * sign-in, protect a page (refused before, with the reason shown), undo.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authApp, loginApp } from '../doc/fixture.ts';
import { AccessField } from './AccessField.tsx';
import { EditorCtx, type EditorContext } from './context.ts';
import { SignInSettings } from './SignInSettings.tsx';
import { testContext } from './testContext.ts';
import { setPageAccess } from '../doc/access.ts';

let root: HTMLElement;
let ctx: EditorContext;
/** The names of the server's secrets (GET /api/v1/edit/secrets); null until known. */
const secrets = signal<ReadonlySet<string> | null>(null);

beforeEach(async () => {
  ({ ctx } = await testContext(loginApp(), 'Dashboard'));
  secrets.value = null;
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
      <SignInSettings secrets={secrets.value} />
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


describe('sign-in by redirect (OpenID Connect)', () => {
  beforeEach(async () => {
    ({ ctx } = await testContext(authApp(), 'Dashboard'));
    secrets.value = new Set(['OTHER', 'IDP_SECRET']);
  });

  const options = (select: HTMLInputElement | HTMLSelectElement) => [...(select as HTMLSelectElement).options].map((o) => o.textContent);
  const status = () => root.querySelector('form[aria-label="Sign-in settings"] [role="status"]')?.textContent;
  const secretNotes = () => [...root.querySelectorAll('.ed-ds-secrets li')].map((li) => li.textContent);

  it('asks for the provider and the client instead of the verification, and shows the URIs to register', async () => {
    render(<Host />, root);
    expect(options(labelled('Token'))).toEqual(['Kept in the browser (appsmith.store)', 'Kept by the server (session)', 'Sign-in by redirect (OpenID Connect)']);
    expect(options(labelled('Login page'))).toEqual(['LoginPage', 'Dashboard']);
    choose(labelled('Token'), 'oidc');
    await settle();
    expect(allLabelled('Verification')).toEqual([]);
    expect(allLabelled('Token store key')).toEqual([]);
    expect(allLabelled('Sign-in query')).toEqual([]);
    expect(labelled('Issuer').value).toBe('');
    expect(labelled('Client ID').value).toBe('');
    expect(labelled('Scopes').value).toBe('openid email profile');
    expect(labelled('Roles claim').value).toBe('');
    expect(options(labelled('Login page'))).toEqual(['None (straight to the provider)', 'LoginPage', 'Dashboard']);
    // The server's secrets by name, sorted, and a way to name one it does not have yet.
    expect(options(labelled('Client secret'))).toEqual(['None (public client)', 'IDP_SECRET', 'OTHER', 'Another secret name…']);
    expect(labelled('Client secret').value).toBe('');

    const redirect = labelled('Redirect URI') as HTMLInputElement;
    expect(redirect.value).toBe(`${location.origin}/app/custom-auth/_auth/callback`);
    expect(redirect.readOnly).toBe(true);
    expect(labelled('Post-logout redirect URI').value).toBe(`${location.origin}/app/custom-auth`);

    const writeText = vi.fn((_: string) => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    button('Copy redirect URI').click();
    await settle();
    expect(writeText).toHaveBeenCalledWith(`${location.origin}/app/custom-auth/_auth/callback`);
    expect(status()).toBe('Copied the redirect URI.');
    writeText.mockImplementationOnce(() => Promise.reject(new Error('denied')));
    button('Copy post-logout URI').click();
    await settle();
    expect(writeText).toHaveBeenLastCalledWith(`${location.origin}/app/custom-auth`);
    expect(status()).toBe('Could not copy the post-logout URI: select it and copy it.');
  });

  it('refuses what the server refuses, then saves the provider as one undo step', async () => {
    render(<Host />, root);
    choose(labelled('Token'), 'oidc');
    await settle();
    type(labelled('Issuer'), 'http://idp.example.com');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBe('The issuer must be an https URL (http only for localhost or 127.0.0.1) without bindings, such as https://idp.example.com, not http://idp.example.com.');
    type(labelled('Issuer'), 'https://idp.example.com');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBe('Give the client ID the provider registered for this app.');
    type(labelled('Client ID'), 'my-app');
    await settle();
    type(labelled('Scopes'), 'email, profile');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBe('The scopes must include openid: it is what asks the provider for an ID token.');
    expect(ctx.session.doc.value.auth).toBeUndefined();

    type(labelled('Scopes'), 'openid, email, offline_access');
    await settle();
    choose(labelled('Client secret'), 'IDP_SECRET');
    await settle();
    expect(secretNotes()).toEqual(['Secret IDP_SECRET: configured']);
    choose(labelled('Login page'), '');
    await settle();
    button('Save sign-in').click();
    await settle();
    expect(alert()).toBeUndefined();
    expect(ctx.session.doc.value.auth).toEqual({
      token: 'session',
      oidc: { issuer: 'https://idp.example.com', clientId: 'my-app', clientSecret: '{{secrets.IDP_SECRET}}', scopes: ['openid', 'email', 'offline_access'] },
    });
    expect(ctx.session.undoLabel.value).toBe('Set up sign-in');
    ctx.session.undo();
    await settle();
    expect(ctx.session.doc.value.auth).toBeUndefined();
  });

  it('takes a secret name the server does not have yet, marked as not configured', async () => {
    render(<Host />, root);
    choose(labelled('Token'), 'oidc');
    await settle();
    type(labelled('Issuer'), 'http://127.0.0.1:4010');
    await settle();
    type(labelled('Client ID'), 'app');
    await settle();
    expect(allLabelled('Secret name')).toEqual([]);
    choose(labelled('Client secret'), '*another*');
    await settle();
    type(labelled('Secret name'), 'NEW_ONE');
    await settle();
    expect(labelled('Client secret').value).toBe('*another*');
    expect(secretNotes()).toEqual(['Secret NEW_ONE: not configured on this server (set LOWKEY_SECRET_NEW_ONE)']);
    button('Save sign-in').click();
    await settle();
    expect(ctx.session.doc.value.auth?.oidc).toEqual({ issuer: 'http://127.0.0.1:4010', clientId: 'app', clientSecret: '{{secrets.NEW_ONE}}', scopes: ['openid', 'email', 'profile'] });
    expect(ctx.session.doc.value.auth?.loginPage).toBe('LoginPage');

    // "None (public client)" writes no secret.
    choose(labelled('Client secret'), '');
    await settle();
    expect(allLabelled('Secret name')).toEqual([]);
    button('Save sign-in').click();
    await settle();
    expect(ctx.session.doc.value.auth?.oidc).not.toHaveProperty('clientSecret');
    expect(ctx.session.undoLabel.value).toBe('Edit sign-in');
  });

  it("reads an app's provider back, and a login page comes back when leaving sign-in by redirect", async () => {
    const oidcApp = { ...authApp(), auth: { token: 'session', oidc: { issuer: 'https://idp.example.com', clientId: 'app', clientSecret: '{{secrets.LATER}}', scopes: ['openid', 'email'] } } };
    ({ ctx } = await testContext(oidcApp, 'Dashboard'));
    render(<Host />, root);
    expect(labelled('Token').value).toBe('oidc');
    expect(labelled('Login page').value).toBe('');
    expect(labelled('Issuer').value).toBe('https://idp.example.com');
    expect(labelled('Scopes').value).toBe('openid email');
    // Not one of the server's secrets: shown by its name, in the text field.
    expect(labelled('Client secret').value).toBe('*another*');
    expect(labelled('Secret name').value).toBe('LATER');
    expect(secretNotes()).toEqual(['Secret LATER: not configured on this server (set LOWKEY_SECRET_LATER)']);
    secrets.value = null;
    await settle();
    expect(secretNotes()).toEqual(["Secret LATER: not known yet (the server's list of secrets has not loaded)"]);

    choose(labelled('Token'), 'store');
    await settle();
    expect(labelled('Login page').value).toBe('LoginPage');
    expect(allLabelled('Client ID')).toEqual([]);
    expect(labelled('Verification').value).toBe('builtin');
  });
});
