import { describe, expect, it } from 'vitest';
import { appCompleter, type CompletionContext } from './complete.ts';
import type { CompletionResult } from './completion.ts';
import { loginApp } from './fixture.ts';
import { renameWidget, setProp } from './commands.ts';
import { applyChange } from './ops.ts';
import type { AppDoc } from './types.ts';

/** The guide's login app with a second query whose last answer is known, and a JS object with
 * a plain member. */
function app(): AppDoc {
  const base = loginApp();
  return {
    ...base,
    queries: [...base.queries, { name: 'get_user', url: '/auth/v1/user', headers: { Authorization: "{{ storeValue('seen', 1) }}" } }],
    jsObjects: [...base.jsObjects, { name: 'Util', source: 'export default {\n  limit: 3,\n  format(x) { return x },\n}\n' }],
  };
}

const DOC = app();
const answers = new Map<string, unknown>([['get_user', { id: 'u1', user_metadata: { name: 'Ann' }, 'e-mail': 'a@b', roles: [{ role: 'admin', since: 2020 }] }]]);
const complete = appCompleter((): CompletionContext => ({ doc: DOC, lastResponses: answers }));

/** Completes at the `|` of `field`. */
function at(field: string, mode: 'template' | 'code' = 'template', explicit = false): CompletionResult | null {
  const caret = field.indexOf('|');
  return complete(field.replace('|', ''), caret, mode, explicit);
}
const labels = (r: CompletionResult | null) => r?.options.map((o) => o.label) ?? null;
/** The field after picking the option labelled `label`, with `|` at the caret. */
function pick(field: string, label: string, mode: 'template' | 'code' = 'template', explicit = false): string {
  const text = field.replace('|', '');
  const r = at(field, mode, explicit);
  const o = r?.options.find((x) => x.label === label);
  if (!r || !o) throw new Error(`no option ${label}`);
  const caret = r.from + (o.caret ?? o.insert.length);
  const out = text.slice(0, r.from) + o.insert + text.slice(r.to);
  return `${out.slice(0, caret)}|${out.slice(caret)}`;
}

describe('top level', () => {
  it("offers every page's widgets with their type and page, queries, JS objects and globals", () => {
    const r = at('{{ | }}', 'template', true);
    expect(labels(r)).toEqual([
      'login_form', 'inp_username', 'inp_password', 'btn_login', 'txt_hint', 'txt_welcome',
      'login', 'get_user', 'Auth', 'Util',
      'appsmith', 'storeValue', 'removeValue', 'clearStore', 'navigateTo', 'showAlert', 'resetWidget',
    ]);
    expect(r?.options.find((o) => o.label === 'txt_welcome')).toMatchObject({ detail: 'Text on Dashboard', kind: 'widget' });
    expect(r?.options.find((o) => o.label === 'login')).toMatchObject({ kind: 'query' });
  });

  it('lists the current page first when the context names it', () => {
    const onDashboard = appCompleter(() => ({ doc: DOC, page: 'Dashboard' }));
    expect(onDashboard('{{ txt }}', 6, 'template', false)?.options.map((o) => o.label)).toEqual(['txt_welcome', 'txt_hint']);
  });

  it('filters by prefix first, then substring, ignoring case', () => {
    expect(labels(at('{{ LOG| }}'))).toEqual(['login_form', 'login', 'btn_login']);
  });

  it('replaces the whole word around the caret', () => {
    expect(pick('{{ inp|user.text }}', 'inp_username')).toBe('{{ inp_username|.text }}');
  });

  it('inserts a function with the caret inside its parentheses, unless they are there', () => {
    expect(pick('{{ showA| }}', 'showAlert')).toBe('{{ showAlert(|) }}');
    expect(pick('{{ showA|() }}', 'showAlert')).toBe('{{ showAlert|() }}');
  });

  it('offers nothing without a word unless asked, except right after {{', () => {
    expect(at('{{ a + | }}')).toBeNull();
    expect(at('{{ a + | }}', 'template', true)).not.toBeNull();
    expect(at('{{|}}')).not.toBeNull();
  });

  it('offers `this` in code only', () => {
    expect(labels(at('export default { f() { return th| } }', 'code'))).toContain('this');
    expect(labels(at('{{ th| }}'))).not.toContain('this');
  });

  it('offers nothing in strings, comments or a new declaration', () => {
    expect(at("{{ 'inp| }}")).toBeNull();
    expect(at('{{ `x inp| }}')).toBeNull();
    expect(at('{{ a // inp| }}')).toBeNull();
    expect(at('const x = 1; /* inp| ', 'code')).toBeNull();
    expect(at('const inp|', 'code')).toBeNull();
    expect(labels(at("{{ 'a' + inp| }}"))).toEqual(['inp_username', 'inp_password']);
    expect(labels(at('{{ `${inp|}` }}'))).toEqual(['inp_username', 'inp_password']);
  });
});

describe('templates: a pick always lands inside {{ }}', () => {
  it('outside a binding, wraps the pick and replaces the typed word', () => {
    expect(pick('Hello inp_u|', 'inp_username')).toBe('Hello {{inp_username|}}');
    expect(pick('Hi |', 'showAlert', 'template', true)).toBe('Hi {{showAlert(|)}}');
  });

  it('outside a binding, offers prefix matches only unless asked', () => {
    expect(labels(at('Hello user|'))).toBeNull();
    expect(labels(at('Hello user|', 'template', true))).toEqual(['inp_username', 'get_user']);
    expect(at('Hello |')).toBeNull();
  });

  it('completes code in a binding that follows another one', () => {
    expect(pick('{{ a }} and {{ inp_p| }}', 'inp_password')).toBe('{{ a }} and {{ inp_password| }}');
  });

  it('closes an unclosed {{ when no }} follows, and leaves it otherwise', () => {
    expect(pick('Hi {{inp_u|', 'inp_username')).toBe('Hi {{inp_username|}}');
    expect(pick('{{showA|', 'showAlert')).toBe('{{showAlert(|)}}');
    expect(pick("{{ inp_u| + '}}", 'inp_username')).toBe("{{ inp_username| + '}}");
  });

  it('does not take a }} inside a string for the end of the binding', () => {
    expect(at("{{ '}}' + inp_u| }}")).not.toBeNull();
  });
});

describe('after a dot', () => {
  it("offers a widget's outputs and readable properties, never its events", () => {
    const names = labels(at('{{ inp_username.| }}'));
    expect(names?.slice(0, 4)).toEqual(['text', 'value', 'isValid', 'isDirty']);
    expect(names).toContain('label');
    expect(names).toContain('isVisible');
    expect(names).not.toContain('onSubmit');
    expect(labels(at('{{ btn_login.| }}'))).not.toContain('onClick');
    expect(labels(at('{{ login_form.is| }}'))).toEqual(['isValid', 'isVisible']);
  });

  it("offers a query's data, run() and state", () => {
    expect(labels(at('{{ login.| }}'))).toEqual(['data', 'run', 'isLoading', 'responseMeta', 'error']);
    expect(pick('{{ login.r| }}', 'run')).toBe('{{ login.run(|) }}');
    expect(labels(at('{{ login?.| }}'))).toContain('data');
  });

  it("offers a JS object's functions and other members", () => {
    expect(at('{{ Util.| }}')?.options.map((o) => [o.label, o.kind])).toEqual([
      ['limit', 'property'],
      ['format', 'function'],
    ]);
    expect(pick('{{ Auth.s| }}', 'signin')).toBe('{{ Auth.signin(|) }}');
  });

  it("offers `this.` the members of the JS object being edited", () => {
    const source = 'export default {\n  a: 1,\n  b() { return this.| },\n}';
    expect(labels(at(source, 'code'))).toEqual(['a', 'b']);
  });

  it("offers appsmith's members, the app's store keys and the URL's fields", () => {
    expect(labels(at('{{ appsmith.| }}'))).toEqual(['store', 'user', 'URL', 'mode', 'signIn', 'signOut']);
    expect(labels(at('{{ appsmith.store.| }}'))).toEqual(['seen', 'token']);
    expect(at('{{ appsmith.store.| }}')?.options[1]).toMatchObject({ kind: 'storeKey', insert: 'token' });
    expect(labels(at('{{ appsmith.URL.query| }}'))).toEqual(['queryParams']);
  });

  it("offers the fields of a query's last answer, deeper paths and list items", () => {
    expect(labels(at('{{ get_user.data.| }}'))).toEqual(['id', 'user_metadata', 'e-mail', 'roles']);
    expect(labels(at('{{ get_user.data.user_metadata.| }}'))).toEqual(['name']);
    expect(pick('{{ get_user.data.e| }}', 'e-mail')).toBe('{{ get_user.data["e-mail"]| }}');
    expect(pick('{{ get_user.data.i| }}', 'id')).toBe('{{ get_user.data.id| }}');
    expect(pick('{{ get_user.data.roles.| }}', '[0]')).toBe('{{ get_user.data.roles[0]| }}');
    expect(pick('{{ get_user.data.roles.| }}', 'length')).toBe('{{ get_user.data.roles.length| }}');
    expect(labels(at('{{ get_user.data.roles[0].| }}'))).toEqual(['role', 'since']);
    expect(at('{{ get_user.data.roles[0].| }}')?.options[1]?.detail).toBe('number');
  });

  it('offers nothing for unknown paths or a query without a known answer', () => {
    expect(at('{{ login.data.| }}')).toBeNull();
    expect(at('{{ nobody.| }}')).toBeNull();
    expect(at('{{ f().| }}')).toBeNull();
    expect(at('{{ 1.| }}')).toBeNull();
    expect(at('{{ inp_username.text.| }}')).toBeNull();
  });
});

describe('memoisation', () => {
  it('reads the document anew when it changes', () => {
    let doc = DOC;
    const c = appCompleter(() => ({ doc }));
    expect(c('{{ x }}', 4, 'template', false)?.options.map((o) => o.label)).not.toContain('xq');
    doc = { ...DOC, queries: [...DOC.queries, { name: 'xq', url: '/x' }] };
    expect(c('{{ x }}', 4, 'template', false)?.options.map((o) => o.label)).toContain('xq');
  });

  it('stays fast on a large app', () => {
    const widgets = Array.from({ length: 2000 }, (_, i) => ({ name: `w${i}`, type: 'Text' as const, position: { col: 0, row: i, width: 4, height: 4 }, props: { text: `{{ storeValue('k${i}', 1) }}` }, children: [] }));
    const big: AppDoc = { ...DOC, pages: [{ name: 'Big', hidden: false, onLoad: [], widgets }] };
    const c = appCompleter(() => ({ doc: big }));
    c('{{ w1 }}', 5, 'template', false);
    c('{{ appsmith.store. }}', 18, 'template', false);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      c('{{ w1 }}', 5, 'template', false);
      c('{{ appsmith.store.k1 }}', 20, 'template', false);
    }
    // 200 keystrokes; generous for a shared CI machine, tight enough to catch a per-call rescan.
    expect(performance.now() - t0).toBeLessThan(400);
  });
});

describe('the index across keystrokes', () => {
  it('keeps names across a property edit, but reads store keys from the new code', () => {
    const complete = appCompleter(() => ({ doc: current }));
    let current: AppDoc = loginApp();
    const top = (): string[] => (complete('{{ inp', 6, 'template', false)?.options ?? []).map((o) => o.label).filter((l) => l.startsWith('inp'));
    expect(top()).toEqual(['inp_username', 'inp_password']);
    // A property edit: a new document with the same names; a storeValue typed into it counts.
    current = applyChange(current, setProp(current, 'LoginPage', 'txt_hint', 'text', "{{ storeValue('fresh_key', 1) }}"));
    expect(top()).toEqual(['inp_username', 'inp_password']);
    const keys = complete('{{ appsmith.store. }}', 18, 'template', true)?.options.map((o) => o.label) ?? [];
    expect(keys).toContain('fresh_key');
    // A rename is a new name: offered at once.
    current = applyChange(current, renameWidget(current, 'LoginPage', 'inp_password', 'inp_secret'));
    expect(top()).toEqual(['inp_username', 'inp_secret']);
  });
});

describe('session bindings', () => {
  const sessionApp: AppDoc = { ...DOC, auth: { loginPage: 'LoginPage', verify: 'builtin', token: 'session', session: { signIn: 'login' } } };
  const storeApp: AppDoc = { ...DOC, auth: { loginPage: 'LoginPage', verify: 'builtin', token: { store: 'accesstoken' } } };
  const inSession = appCompleter(() => ({ doc: sessionApp, inQuery: true }));
  const inStore = appCompleter(() => ({ doc: storeApp, inQuery: true }));
  const inWidget = appCompleter(() => ({ doc: sessionApp }));

  it("offers session.accessToken and session.refreshToken in a session-mode app's queries", () => {
    expect(inSession('{{ sess }}', 7, 'template', false)?.options.map((o) => o.label)).toEqual(['session']);
    expect(inSession('{{ session. }}', 11, 'template', false)?.options.map((o) => o.label)).toEqual(['accessToken', 'refreshToken']);
    expect(inSession('Bearer sess', 11, 'template', false)?.options[0]).toMatchObject({ label: 'session', insert: '{{session}}' });
  });

  it('offers them in no other app, not in a widget property and not in JS code', () => {
    const noAuth = appCompleter(() => ({ doc: DOC, inQuery: true }));
    for (const c of [inStore, noAuth, inWidget]) {
      expect(c('{{ sess }}', 7, 'template', true)?.options.map((o) => o.label) ?? []).not.toContain('session');
      expect(c('{{ session. }}', 11, 'template', true)).toBeNull();
    }
    expect(inSession('session', 7, 'code', true)?.options.map((o) => o.label) ?? []).not.toContain('session');
    expect(inSession('session.', 8, 'code', true)).toBeNull();
  });

  it('follows the app when its token mode changes, with the same names', () => {
    let doc: AppDoc = storeApp;
    const c = appCompleter(() => ({ doc, inQuery: true }));
    expect(c('{{ session. }}', 11, 'template', false)).toBeNull();
    doc = sessionApp;
    expect(c('{{ session. }}', 11, 'template', false)?.options.map((o) => o.label)).toEqual(['accessToken', 'refreshToken']);
    expect(c('{{ sess }}', 7, 'template', false)?.options.map((o) => o.label)).toEqual(['session']);
  });
});
