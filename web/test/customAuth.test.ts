/**
 * The guide's flow end to end in the runtime, with the widget models and the example app's
 * Auth.js (unmodified) against a fake provider. The browser e2e test repeats it against the
 * real server; this one pins the runtime's side precisely and runs in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { AppRuntime, storageKey } from '../src/runtime/index.ts';
import { ButtonModel, createPageWidgets, InputModel, TableModel, TextModel } from '../src/widgets/models.ts';
import { customAuthApp } from './customAuthApp.ts';
import { FakeHost, FakeTransport, MemoryStorage, settle, upstream } from './fakes.ts';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

/** A fake GoTrue: one user, rotating refresh tokens, sessions that end at logout. */
function fakeProvider() {
  let n = 0;
  const live = new Map<string, string>(); // access token -> refresh token of its session
  const refreshTokens = new Set<string>();
  const issue = () => {
    n++;
    const tokens = { access_token: `access-${n}`, refresh_token: `refresh-${n}` };
    live.set(tokens.access_token, tokens.refresh_token);
    refreshTokens.add(tokens.refresh_token);
    return tokens;
  };
  const transport = new FakeTransport({
    sign_in: ({ params }) =>
      params['inp_username.text'] === EMAIL && params['inp_password.text'] === PASSWORD
        ? upstream(200, { ...issue(), token_type: 'bearer', user: { email: EMAIL } })
        : upstream(400, { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' }),
    refreshAPI: ({ params }) => {
      const rt = params['this.params.refreshtoken'] as string;
      if (!refreshTokens.delete(rt)) {
        return upstream(400, { code: 400, error_code: 'refresh_token_not_found', msg: 'Invalid Refresh Token: Refresh Token Not Found' });
      }
      return upstream(200, issue());
    },
    get_user: ({ params }) =>
      live.has(params['appsmith.store.accesstoken'] as string)
        ? upstream(200, { id: 'u-1', email: EMAIL, role: 'authenticated' })
        : upstream(403, { code: 403, error_code: 'bad_jwt', msg: 'invalid JWT' }),
    revokeAPI: ({ params }) => {
      const at = params['appsmith.store.accesstoken'] as string;
      const rt = live.get(at);
      if (rt === undefined) return upstream(403, { msg: 'session_not_found' });
      live.delete(at);
      refreshTokens.delete(rt);
      return upstream(204, '');
    },
  });
  return { transport, live, refreshTokens };
}

function boot(path: string, storage = new MemoryStorage()) {
  const provider = fakeProvider();
  const host = new FakeHost(provider.transport, path, storage);
  const runtime = new AppRuntime(customAuthApp(), host, createPageWidgets);
  const widget = <T>(name: string) => {
    const v = runtime.view.value;
    if (v.status !== 'ready') throw new Error(`page not ready (${v.status})`);
    return v.widgets.byName.get(name) as T;
  };
  const page = () => {
    const v = runtime.view.value;
    return v.status === 'ready' || v.status === 'loading' ? `${v.status}:${v.page.name}` : v.status;
  };
  const alerts = () => runtime.toasts.value.map((t) => `${t.type}: ${t.message}`);
  return { provider, host, runtime, widget, page, alerts, storage };
}

async function signIn(app: ReturnType<typeof boot>, password: string) {
  app.widget<InputModel>('inp_username').setText(EMAIL);
  app.widget<InputModel>('inp_password').setText(password);
  await app.widget<ButtonModel>('btn_login').click();
  await settle();
}

describe('the custom-auth example app', () => {
  it('keeps Log in disabled until the form is valid', async () => {
    const app = boot('/app/custom-auth');
    await app.runtime.start();
    expect(app.page()).toBe('ready:LoginPage');
    const button = app.widget<ButtonModel>('btn_login');
    expect(button.isDisabled.value).toBe(true);
    app.widget<InputModel>('inp_username').setText('not an email');
    app.widget<InputModel>('inp_password').setText('x');
    expect(button.isDisabled.value).toBe(true);
    app.widget<InputModel>('inp_username').setText(EMAIL);
    expect(button.isDisabled.value).toBe(false);
  });

  it('shows the provider\'s message on a wrong password and stays on the login page', async () => {
    const app = boot('/app/custom-auth');
    await app.runtime.start();
    await signIn(app, 'wrong password');
    expect(app.alerts()).toEqual(['error: Invalid login credentials']);
    expect(app.runtime.store.values.value).toEqual({});
    expect(app.host.pushed).toEqual([]);
    expect(app.page()).toBe('ready:LoginPage');
  });

  it('signs in, refreshes on the dashboard\'s load, shows the user, and logs out', async () => {
    const app = boot('/app/custom-auth');
    await app.runtime.start();
    await signIn(app, PASSWORD);

    expect(app.host.pushed).toEqual(['/app/custom-auth/dashboard']);
    expect(app.page()).toBe('ready:Dashboard');
    // The dashboard's onLoad swapped the sign-in tokens for fresh ones before loading the user.
    expect(app.provider.transport.runs.map((r) => r.query)).toEqual(['sign_in', 'refreshAPI', 'get_user']);
    expect(app.provider.transport.runs[1]?.params).toEqual({ 'this.params.refreshtoken': 'refresh-1' });
    expect(app.runtime.store.values.value).toEqual({ accesstoken: 'access-2', refreshtoken: 'refresh-2' });
    expect(JSON.parse(app.storage.getItem(storageKey('custom-auth')) ?? '{}')).toEqual({
      accesstoken: 'access-2',
      refreshtoken: 'refresh-2',
    });
    expect(app.widget<TextModel>('txt_user').read('text')).toBe(`Signed in as ${EMAIL}`);
    expect(app.widget<TableModel>('tbl_user').rows.value.rows).toEqual([
      { field: 'Email', value: EMAIL },
      { field: 'User id', value: 'u-1' },
    ]);

    await app.widget<ButtonModel>('btn_logout').click();
    await settle();
    expect(app.provider.transport.runs.at(-1)).toMatchObject({
      query: 'revokeAPI',
      params: { 'appsmith.store.accesstoken': 'access-2' },
    });
    expect(app.runtime.store.values.value).toEqual({});
    expect(app.storage.getItem(storageKey('custom-auth'))).toBeNull();
    expect(app.host.path).toBe('/app/custom-auth/login-page');
    expect(app.page()).toBe('ready:LoginPage');
    expect(app.provider.live.size).toBe(1); // only the first, already-rotated session's token
    expect(app.provider.refreshTokens.size).toBe(0);
  });

  it('sends a reload of the dashboard back to the login page when the session is over', async () => {
    const storage = new MemoryStorage();
    storage.setItem(storageKey('custom-auth'), JSON.stringify({ accesstoken: 'old', refreshtoken: 'revoked' }));
    const app = boot('/app/custom-auth/dashboard', storage);
    await app.runtime.start();
    await settle();
    expect(app.provider.transport.runs.map((r) => r.query)).toEqual(['refreshAPI']); // get_user never ran
    expect(app.alerts()).toEqual(['warning: Your session has ended. Please sign in again.']);
    expect(app.runtime.store.values.value).toEqual({});
    expect(app.host.path).toBe('/app/custom-auth/login-page');
    expect(app.page()).toBe('ready:LoginPage');
  });

  it('goes straight to the dashboard from the login page when still signed in', async () => {
    const app = boot('/app/custom-auth');
    await app.runtime.start();
    await signIn(app, PASSWORD);
    const again = boot('/app/custom-auth', app.storage);
    // The second boot has its own fake provider: seed it with the stored refresh token.
    again.provider.refreshTokens.add('refresh-2');
    await again.runtime.start();
    await settle();
    expect(again.host.pushed).toEqual(['/app/custom-auth/dashboard']);
    expect(again.page()).toBe('ready:Dashboard');
  });
});
