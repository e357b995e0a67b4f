/**
 * Documents for the model layer's tests: the guide's login app in small, and a large page.
 */

import type { AppDoc, PageDoc, Position, WidgetDoc, WidgetType } from './types.ts';

export function pos(col: number, row: number, width = 10, height = 5): Position {
  return { col, row, width, height };
}

export function widget(name: string, type: WidgetType, position: Position, props: Record<string, unknown> = {}, children: WidgetDoc[] = []): WidgetDoc {
  return { name, type, position, props, children };
}

export function page(name: string, widgets: WidgetDoc[], extra: Partial<PageDoc> = {}): PageDoc {
  return { name, hidden: false, onLoad: [], widgets, ...extra };
}

/** LoginPage (home) with a Form of two inputs and a button; a hidden Dashboard; a query and a
 * JS object that refer to the inputs and pages. */
export function loginApp(): AppDoc {
  return {
    version: 1,
    name: 'Custom auth',
    slug: 'custom-auth',
    homePage: 'LoginPage',
    datasources: [],
    settings: {},
    pages: [
      page('LoginPage', [
        widget('login_form', 'Form', pos(0, 0, 30, 40), { title: 'Sign in' }, [
          widget('inp_username', 'Input', pos(1, 2, 20, 7), { label: 'Email', inputType: 'EMAIL' }),
          widget('inp_password', 'Input', pos(1, 10, 20, 7), { label: 'Password', inputType: 'PASSWORD' }),
          widget('btn_login', 'Button', pos(1, 20, 16, 4), { text: 'Log in', onClick: '{{ Auth.signin() }}', disabledWhenInvalid: true }),
        ]),
        widget('txt_hint', 'Text', pos(32, 0, 16, 4), { text: 'Hello {{ inp_username.text }}' }),
      ]),
      page('Dashboard', [widget('txt_welcome', 'Text', pos(0, 0, 20, 4), { text: '{{ appsmith.store.user }}' })], { hidden: true }),
    ],
    queries: [
      {
        name: 'login',
        url: '/auth/v1/token?grant_type=password',
        method: 'POST',
        body: { type: 'json', content: '{"email": {{inp_username.text}}, "password": {{inp_password.text}}}' },
        timeoutMs: 10000,
      },
    ],
    jsObjects: [
      {
        name: 'Auth',
        source:
          "export default {\n  async signin() {\n    // inp_username is checked by the form\n    const r = await login.run({ user: inp_username.text });\n    storeValue('token', r.access_token);\n    navigateTo('Dashboard');\n  },\n}\n",
      },
    ],
  };
}

/** The login app with the queries a sign-in runs besides `login`: a refresh and a revocation,
 * and a protected `get_user`. */
export function authApp(): AppDoc {
  const base = loginApp();
  return {
    ...base,
    queries: [
      ...base.queries,
      { name: 'refreshAPI', url: '/auth/v1/token?grant_type=refresh_token', method: 'POST' },
      { name: 'revokeAPI', url: '/auth/v1/logout', method: 'POST' },
      { name: 'get_user', url: '/auth/v1/user', access: 'signedIn' },
    ],
  };
}

/** An app whose one page holds `n` Text widgets in rows of four. */
export function bigApp(n: number): AppDoc {
  const widgets: WidgetDoc[] = [];
  for (let i = 0; i < n; i++) {
    widgets.push(widget(`Text${i + 1}`, 'Text', pos((i % 4) * 16, Math.floor(i / 4) * 4, 16, 4), { text: `{{ Text${i === 0 ? n : i}.text }} ${i}` }));
  }
  return { ...loginApp(), pages: [page('Big', widgets), ...loginApp().pages] };
}
