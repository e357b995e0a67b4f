/**
 * The example app (examples/custom-auth) as `GET /api/v1/apps/custom-auth` serves it, for
 * runtime tests without a server. Its JS object is read from the example folder itself, so the
 * tests run the very file users see, unmodified.
 */

import { readFileSync } from 'node:fs';
import type { AppDef } from '../src/runtime/index.ts';

export const authSource = readFileSync(new URL('../../examples/custom-auth/js/Auth.js', import.meta.url), 'utf8');

export function customAuthApp(): AppDef {
  return {
    name: 'Custom auth',
    slug: 'custom-auth',
    homePage: 'LoginPage',
    pages: [
      {
        name: 'LoginPage',
        slug: 'login-page',
        hidden: false,
        onLoad: ['Auth.redirectIfSignedIn'],
        widgets: [
          {
            name: 'frm_login',
            type: 'Form',
            position: { col: 20, row: 6, width: 24, height: 40 },
            props: { title: 'Sign in' },
            children: [
              w('txt_intro', 'Text', [2, 5, 60, 4], { text: 'Use your account to open the dashboard.' }),
              w('inp_username', 'Input', [2, 10, 60, 8], { inputType: 'EMAIL', label: 'Email', isRequired: true }),
              w('inp_password', 'Input', [2, 19, 60, 8], {
                inputType: 'PASSWORD',
                label: 'Password',
                isRequired: true,
                onSubmit: '{{Auth.signin()}}',
              }),
              w('btn_login', 'Button', [2, 30, 60, 5], { text: 'Log in', disabledWhenInvalid: true, onClick: '{{Auth.signin()}}' }),
            ],
          },
        ],
      },
      {
        name: 'Dashboard',
        slug: 'dashboard',
        hidden: true,
        onLoad: ['Auth.refreshAccessToken', 'get_user'],
        widgets: [
          {
            name: 'ctr_dashboard',
            type: 'Container',
            position: { col: 12, row: 4, width: 40, height: 44 },
            props: {},
            children: [
              w('btn_logout', 'Button', [48, 1, 14, 5], { text: 'Log out', onClick: '{{Auth.logout()}}' }),
              w('txt_user', 'Text', [2, 8, 60, 4], { text: "Signed in as {{get_user.data ? get_user.data.email : '…'}}" }),
              w('tbl_user', 'Table', [2, 14, 60, 28], {
                columns: [
                  { key: 'field', label: 'Field' },
                  { key: 'value', label: 'Value' },
                ],
                tableData:
                  "{{ get_user.data ? [ { field: 'Email', value: get_user.data.email }, { field: 'User id', value: get_user.data.id } ] : [] }}",
              }),
            ],
          },
        ],
      },
    ],
    queries: [
      { name: 'get_user', bindings: ['appsmith.store.accesstoken'] },
      { name: 'refreshAPI', bindings: ['this.params.refreshtoken'] },
      { name: 'revokeAPI', bindings: ['appsmith.store.accesstoken'] },
      { name: 'sign_in', bindings: ['inp_username.text', 'inp_password.text'] },
    ],
    jsObjects: [{ name: 'Auth', source: authSource }],
  };
}

function w(name: string, type: string, [col, row, width, height]: number[], props: Record<string, unknown>) {
  return { name, type, position: { col: col!, row: row!, width: width!, height: height! }, props, children: [] };
}
