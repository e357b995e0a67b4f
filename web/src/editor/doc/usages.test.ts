import { describe, expect, it } from 'vitest';
import { loginApp } from './fixture.ts';
import type { AppDoc } from './types.ts';
import { definitionOf, jsMembers, nameAt, referencesIn, usagesOf } from './usages.ts';

/** The guide's login app, plus: a query with params and headers, an on-load list, a local that
 * shadows a widget's name, and a JS member used through `this`. */
function app(): AppDoc {
  const base = loginApp();
  return {
    ...base,
    pages: base.pages.map((p) => (p.name === 'Dashboard' ? { ...p, onLoad: ['get_user', 'Auth.signin'] } : p)),
    queries: [
      ...base.queries,
      {
        name: 'get_user',
        url: '/auth/v1/user',
        params: { who: '{{ inp_username.text }}', other: "{{ 'inp_username' }}" },
        headers: { Authorization: 'Bearer {{ appsmith.store.token }}' },
      },
    ],
    jsObjects: [
      ...base.jsObjects,
      {
        name: 'Util',
        source:
          'export default {\n  label: "x",\n  check(inp_password) {\n    return inp_password.length > 0;\n  },\n  run() {\n    const inp_username = 1;\n    return this.check(inp_username) && Auth.signin();\n  },\n}\n',
      },
    ],
  };
}

describe('definitionOf', () => {
  it('finds widgets (nested ones too) on their page, queries, JS objects and pages', () => {
    const doc = app();
    expect(definitionOf(doc, 'inp_username')).toEqual({ kind: 'widget', page: 'LoginPage', widget: 'inp_username' });
    expect(definitionOf(doc, 'txt_welcome')).toEqual({ kind: 'widget', page: 'Dashboard', widget: 'txt_welcome' });
    expect(definitionOf(doc, 'login')).toEqual({ kind: 'query', query: 'login' });
    expect(definitionOf(doc, 'Auth')).toEqual({ kind: 'jsObject', object: 'Auth' });
    expect(definitionOf(doc, 'Dashboard')).toEqual({ kind: 'page', page: 'Dashboard' });
    expect(definitionOf(doc, 'nobody')).toBeNull();
  });

  it("locates a JS object's member by line and column, and reads other dotted names as their root", () => {
    const doc = app();
    expect(definitionOf(doc, 'Auth.signin')).toEqual({ kind: 'jsObject', object: 'Auth', line: 2, column: 9 });
    expect(definitionOf(doc, 'Util.label')).toEqual({ kind: 'jsObject', object: 'Util', line: 2, column: 3 });
    expect(definitionOf(doc, 'inp_username.text')).toEqual({ kind: 'widget', page: 'LoginPage', widget: 'inp_username' });
  });
});

describe('usagesOf', () => {
  it('lists widget properties, query fields, JS code by line and on-load steps', () => {
    expect(usagesOf(app(), 'inp_username')).toEqual([
      { kind: 'widget', page: 'LoginPage', widget: 'txt_hint', property: 'text' },
      { kind: 'query', query: 'login', field: 'body' },
      { kind: 'query', query: 'get_user', field: 'params.who' },
      { kind: 'jsObject', object: 'Auth', line: 4, column: 39 },
    ]);
  });

  it('skips strings, comments, keys, properties and locals that shadow the name', () => {
    const places = usagesOf(app(), 'inp_username');
    expect(places.some((p) => p.kind === 'query' && p.field === 'params.other')).toBe(false);
    expect(places.some((p) => p.kind === 'jsObject' && p.object === 'Util')).toBe(false);
    expect(places.some((p) => p.kind === 'jsObject' && p.line === 3)).toBe(false);
    // A parameter named like a widget is the parameter inside its function.
    expect(usagesOf(app(), 'inp_password')).toEqual([{ kind: 'query', query: 'login', field: 'body' }]);
  });

  it('counts event code and on-load steps, and a member through its object or `this`', () => {
    expect(usagesOf(app(), 'Auth')).toEqual([
      { kind: 'widget', page: 'LoginPage', widget: 'btn_login', property: 'onClick' },
      { kind: 'jsObject', object: 'Util', line: 8, column: 40 },
      { kind: 'page', page: 'Dashboard', onLoad: true },
    ]);
    expect(usagesOf(app(), 'Util.check')).toEqual([{ kind: 'jsObject', object: 'Util', line: 8, column: 12 }]);
    expect(usagesOf(app(), 'Auth.signin')).toEqual([
      { kind: 'widget', page: 'LoginPage', widget: 'btn_login', property: 'onClick' },
      { kind: 'jsObject', object: 'Util', line: 8, column: 40 },
      { kind: 'page', page: 'Dashboard', onLoad: true },
    ]);
    expect(usagesOf(app(), 'get_user')).toEqual([{ kind: 'page', page: 'Dashboard', onLoad: true }]);
  });

  it("finds a page's navigateTo calls", () => {
    expect(usagesOf(app(), 'Dashboard')).toEqual([{ kind: 'jsObject', object: 'Auth' }]);
  });
});

describe('referencesIn', () => {
  it('knows block scopes, arrow parameters and destructuring', () => {
    const names = (code: string) => referencesIn(code, true).map((r) => r.name);
    expect(names('items.map((row) => row.id + a)')).toEqual(['items', 'a']);
    expect(names('items.map(row => row.id).concat(row)')).toEqual(['items', 'row']);
    expect(names('(() => { const { a, b: c } = x; return a + c + b; })()')).toEqual(['x', 'b']);
    expect(names('`${a} and ${b}`')).toEqual(['a', 'b']);
  });
});

describe('jsMembers', () => {
  it('lists functions and other members with their offsets', () => {
    const source = 'export default {\n  n: 1,\n  async f() {},\n  g: (x) => x,\n  get h() { return { k: 1 } },\n  "s": 2,\n}';
    expect(jsMembers(source).map((m) => [m.name, m.isFunction])).toEqual([
      ['n', false],
      ['f', true],
      ['g', true],
      ['h', false],
      ['s', false],
    ]);
    expect(source.slice(jsMembers(source)[1]?.offset)).toMatch(/^f\(\)/);
  });
});

describe('nameAt', () => {
  it('gives the name under the caret inside a binding, or null outside', () => {
    const text = 'Hi inp_username {{ inp_username.text }}';
    expect(nameAt(text, text.indexOf('inp_username'), 'template')).toBeNull();
    expect(nameAt(text, text.indexOf('{{') + 5, 'template')).toBe('inp_username');
    expect(nameAt(text, text.indexOf('.text') + 2, 'template')).toBe('inp_username.text');
  });

  it('is null on strings, keys and locals in code', () => {
    const code = "const a = 'login';\nreturn { login: a, b: Auth.signin() };";
    expect(nameAt(code, code.indexOf('login'), 'code')).toBeNull();
    expect(nameAt(code, code.indexOf('login:') + 1, 'code')).toBeNull();
    expect(nameAt(code, code.indexOf('a,'), 'code')).toBeNull();
    expect(nameAt(code, code.indexOf('Auth') + 1, 'code')).toBe('Auth');
    expect(nameAt(code, code.indexOf('signin') + 3, 'code')).toBe('Auth.signin');
  });
});
