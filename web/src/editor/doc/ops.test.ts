import { describe, expect, it } from 'vitest';
import { bigApp, loginApp, page, pos, widget } from './fixture.ts';
import { OpError, applyChange, applyOp, applyWithInverse, invertOp, jsFunctions, onLoadChoices, onLoadStepProblem } from './ops.ts';
import { findPage, findWidget } from './query.ts';
import type { AppDoc, Op } from './types.ts';

/** Applies `op`, then its inverse, and expects the original document back. */
function roundTrip(doc: AppDoc, op: Op): AppDoc {
  const inverse = invertOp(doc, op);
  const after = applyOp(doc, op);
  expect(after).not.toEqual(doc);
  expect(applyOp(after, inverse)).toEqual(doc);
  return after;
}

const home = (doc: AppDoc) => findPage(doc, 'LoginPage')!;

describe('applyOp and invertOp', () => {
  it('undo of each kind of operation restores the document exactly', () => {
    const doc = loginApp();
    const ops: Op[] = [
      { kind: 'addWidget', page: 'LoginPage', parent: 'login_form', widget: widget('Text1', 'Text', pos(1, 30)), index: 1 },
      { kind: 'addWidget', page: 'Dashboard', parent: null, widget: widget('Text1', 'Text', pos(0, 10)) },
      { kind: 'removeWidget', page: 'LoginPage', name: 'inp_password' },
      { kind: 'removeWidget', page: 'LoginPage', name: 'login_form' },
      { kind: 'placeWidget', page: 'LoginPage', name: 'btn_login', parent: null, position: pos(40, 40) },
      { kind: 'placeWidget', page: 'LoginPage', name: 'txt_hint', parent: 'login_form', position: pos(0, 30), index: 0 },
      { kind: 'placeWidget', page: 'LoginPage', name: 'inp_username', parent: 'login_form', position: pos(2, 2, 20, 7) },
      { kind: 'setProp', page: 'LoginPage', widget: 'inp_username', prop: 'label', value: 'E-mail' },
      { kind: 'setProp', page: 'LoginPage', widget: 'inp_username', prop: 'isRequired', value: true },
      { kind: 'unsetProp', page: 'LoginPage', widget: 'inp_username', prop: 'label' },
      { kind: 'renameWidget', page: 'LoginPage', from: 'inp_username', to: 'inp_email' },
      { kind: 'addPage', page: page('Settings', [widget('Text9', 'Text', pos(0, 0))]), index: 1 },
      { kind: 'removePage', name: 'Dashboard' },
      { kind: 'renamePage', from: 'Dashboard', to: 'Home' },
      { kind: 'renamePage', from: 'LoginPage', to: 'SignIn' },
      { kind: 'setPageHidden', name: 'Dashboard', hidden: false },
      { kind: 'setHomePage', name: 'Dashboard' },
      { kind: 'setAppName', name: 'Other' },
    ];
    for (const op of ops) roundTrip(doc, op);
  });

  it('puts an unset property back at its place among the others on undo', () => {
    const doc = loginApp();
    const op: Op = { kind: 'unsetProp', page: 'LoginPage', widget: 'btn_login', prop: 'text' };
    const after = applyOp(doc, op);
    const back = applyOp(after, invertOp(doc, op));
    expect(Object.keys(findWidget(home(back), 'btn_login')!.widget.props)).toEqual(['text', 'onClick', 'disabledWhenInvalid']);
  });

  it('shares everything a property change does not touch', () => {
    const doc = bigApp(300);
    const after = applyOp(doc, { kind: 'setProp', page: 'Big', widget: 'Text150', prop: 'text', value: 'x' });
    const [bigBefore, ...restBefore] = doc.pages;
    const [bigAfter, ...restAfter] = after.pages;
    restAfter.forEach((p, i) => expect(p).toBe(restBefore[i]));
    expect(after.queries).toBe(doc.queries);
    expect(after.jsObjects).toBe(doc.jsObjects);
    bigAfter!.widgets.forEach((w, i) => {
      if (w.name === 'Text150') expect(w).not.toBe(bigBefore!.widgets[i]);
      else expect(w).toBe(bigBefore!.widgets[i]);
    });
  });

  it('copies only the lists on the path to a nested widget', () => {
    const doc = loginApp();
    const after = applyOp(doc, { kind: 'setProp', page: 'LoginPage', widget: 'inp_password', prop: 'label', value: 'Secret' });
    const form = findWidget(home(after), 'login_form')!.widget;
    const formBefore = findWidget(home(doc), 'login_form')!.widget;
    expect(form.children[0]).toBe(formBefore.children[0]);
    expect(form.children[2]).toBe(formBefore.children[2]);
    expect(findWidget(home(after), 'txt_hint')!.widget).toBe(findWidget(home(doc), 'txt_hint')!.widget);
  });

  it('returns the same document when an operation changes nothing', () => {
    const doc = loginApp();
    expect(applyOp(doc, { kind: 'setProp', page: 'LoginPage', widget: 'btn_login', prop: 'text', value: 'Log in' })).toBe(doc);
    expect(applyOp(doc, { kind: 'unsetProp', page: 'LoginPage', widget: 'btn_login', prop: 'regex' })).toBe(doc);
    expect(applyOp(doc, { kind: 'setPageHidden', name: 'Dashboard', hidden: true })).toBe(doc);
  });

  it('renames a widget together with every reference to it', () => {
    const after = applyOp(loginApp(), { kind: 'renameWidget', page: 'LoginPage', from: 'inp_username', to: 'inp_email' });
    expect(findWidget(home(after), 'inp_email')).toBeDefined();
    expect(findWidget(home(after), 'txt_hint')!.widget.props.text).toBe('Hello {{ inp_email.text }}');
    expect(after.queries[0]!.body).toEqual({ type: 'json', content: '{"email": {{inp_email.text}}, "password": {{inp_password.text}}}' });
    expect(after.jsObjects[0]!.source).toContain('login.run({ user: inp_email.text })');
    // A comment is text, not a reference.
    expect(after.jsObjects[0]!.source).toContain('// inp_username is checked');
  });

  it('connects code written for the new name before the rename, and its undo disconnects it again', () => {
    let doc = loginApp();
    doc = applyOp(doc, { kind: 'setProp', page: 'LoginPage', widget: 'txt_hint', prop: 'text', value: '{{ inp_email.text + inp_username.text + { inp_email } }}' });
    const rename: Op = { kind: 'renameWidget', page: 'LoginPage', from: 'inp_username', to: 'inp_email' };
    const after = applyOp(doc, rename);
    expect(findWidget(home(after), 'txt_hint')!.widget.props.text).toBe('{{ inp_email.text + inp_email.text + { inp_email } }}');
    expect(applyOp(after, invertOp(doc, rename))).toEqual(doc);
  });

  it('renames a page with the home page and navigateTo targets', () => {
    const after = applyOp(loginApp(), { kind: 'renamePage', from: 'Dashboard', to: 'Overview' });
    expect(after.pages.map((p) => p.name)).toEqual(['LoginPage', 'Overview']);
    expect(after.jsObjects[0]!.source).toContain("navigateTo('Overview')");
    const home2 = applyOp(loginApp(), { kind: 'renamePage', from: 'LoginPage', to: 'SignIn' });
    expect(home2.homePage).toBe('SignIn');
  });

  it('refuses what does not apply, with a sentence', () => {
    const doc = loginApp();
    const refused: [Op, RegExp][] = [
      [{ kind: 'removeWidget', page: 'LoginPage', name: 'nope' }, /no widget nope on page LoginPage/],
      [{ kind: 'removeWidget', page: 'Nope', name: 'x' }, /no page Nope/],
      [{ kind: 'addWidget', page: 'Dashboard', parent: null, widget: widget('inp_username', 'Text', pos(0, 0)) }, /already the name of the widget inp_username on page LoginPage/],
      [{ kind: 'addWidget', page: 'Dashboard', parent: null, widget: widget('login', 'Text', pos(0, 0)) }, /already the name of the query login/],
      [{ kind: 'addWidget', page: 'LoginPage', parent: 'btn_login', widget: widget('t', 'Text', pos(0, 0)) }, /btn_login is a Button, which cannot hold/],
      [{ kind: 'addWidget', page: 'LoginPage', parent: null, widget: widget('class', 'Text', pos(0, 0)) }, /reserved word/],
      [{ kind: 'addWidget', page: 'LoginPage', parent: null, widget: widget('t', 'Text', pos(0, 0, 0, 1)) }, /width and height of at least 1/],
      [{ kind: 'placeWidget', page: 'LoginPage', name: 'login_form', parent: 'login_form', position: pos(0, 0) }, /inside itself/],
      [{ kind: 'placeWidget', page: 'LoginPage', name: 'txt_hint', parent: null, position: pos(60, 0, 5, 1) }, /fit the grid's 64 columns/],
      [{ kind: 'renameWidget', page: 'LoginPage', from: 'inp_username', to: 'Auth' }, /already the name of the JS object Auth/],
      [{ kind: 'renameWidget', page: 'LoginPage', from: 'inp_username', to: '1x' }, /not a valid name/],
      [{ kind: 'renameWidget', page: 'LoginPage', from: 'inp_username', to: 'storeValue' }, /global of the runtime/],
      [{ kind: 'renamePage', from: 'Dashboard', to: 'LoginPage' }, /already a page named LoginPage/],
      [{ kind: 'renamePage', from: 'Dashboard', to: 'loginpage' }, /only in letter case/],
      [{ kind: 'addPage', page: page('Login_Page', []) }, /already has the URL \/login-page/],
      [{ kind: 'removePage', name: 'LoginPage' }, /home page/],
      [{ kind: 'setHomePage', name: 'Nope' }, /no page Nope/],
      [{ kind: 'setAppName', name: '  ' }, /needs a name/],
    ];
    for (const [op, message] of refused) {
      expect(() => applyOp(doc, op), JSON.stringify(op)).toThrowError(OpError);
      expect(() => applyOp(doc, op)).toThrowError(message);
    }
  });
});

describe('pages with their own slug', () => {
  it('a page whose name gives no slug but which has its own can be added, and its removal undone', () => {
    const doc = loginApp();
    const added = applyOp(doc, { kind: 'addPage', page: page('_', [], { slug: 'underscore' }) });
    const remove: Op = { kind: 'removePage', name: '_' };
    const inverse = invertOp(added, remove);
    const restored = applyOp(applyOp(added, remove), inverse);
    expect(restored).toEqual(added);
    expect(() => applyOp(doc, { kind: 'addPage', page: page('_', []) })).toThrow(OpError);
  });
});

describe('applyChange', () => {
  it('applies all operations or none', () => {
    const doc = loginApp();
    const change = {
      label: 'Two',
      ops: [
        { kind: 'setProp', page: 'LoginPage', widget: 'btn_login', prop: 'text', value: 'Go' },
        { kind: 'removeWidget', page: 'LoginPage', name: 'nope' },
      ] satisfies Op[],
    };
    expect(() => applyChange(doc, change)).toThrowError(/no widget nope/);
    expect(findWidget(home(doc), 'btn_login')!.widget.props.text).toBe('Log in');
  });

  it('inverts a change of several dependent operations in reverse order', () => {
    const doc = loginApp();
    const change = {
      label: 'Add and move',
      ops: [
        { kind: 'addWidget', page: 'LoginPage', parent: null, widget: widget('Text1', 'Text', pos(0, 50)) },
        { kind: 'placeWidget', page: 'LoginPage', name: 'Text1', parent: 'login_form', position: pos(0, 30) },
        { kind: 'renameWidget', page: 'LoginPage', from: 'Text1', to: 'txt_note' },
      ] satisfies Op[],
    };
    const { doc: after, inverse } = applyWithInverse(doc, change);
    expect(findWidget(home(after), 'txt_note')!.parent!.name).toBe('login_form');
    expect(applyChange(after, inverse)).toEqual(doc);
  });
});

describe('setPageOnLoad', () => {
  const withJs = (source: string): AppDoc => ({ ...loginApp(), jsObjects: [{ name: 'Auth', source }] });

  it('sets a page on-load list and its inverse puts the old list back', () => {
    const doc = loginApp();
    const op: Op = { kind: 'setPageOnLoad', page: 'Dashboard', steps: ['Auth.signin', 'login'] };
    const after = roundTrip(doc, op);
    expect(findPage(after, 'Dashboard')!.onLoad).toEqual(['Auth.signin', 'login']);
    expect(applyOp(after, op)).toBe(after);
  });

  it('refuses a step that names no query and no function of a JS object, with a sentence', () => {
    const doc = loginApp();
    const set = (steps: string[]) => () => applyOp(doc, { kind: 'setPageOnLoad', page: 'Dashboard', steps });
    expect(set(['nope'])).toThrow(new OpError('There is no query nope.'));
    expect(set(['Auth'])).toThrow(new OpError('Auth is a JS object: choose one of its functions.'));
    expect(set(['Nope.run'])).toThrow(new OpError('There is no JS object Nope.'));
    expect(set(['Auth.signout'])).toThrow(new OpError('JS object Auth has no function signout.'));
    expect(set(['login', 'login'])).toThrow(OpError);
    expect(() => applyOp(doc, { kind: 'setPageOnLoad', page: 'Nowhere', steps: [] })).toThrow(OpError);
  });

  it('finds a JS object’s functions as the server does: methods and function values, not getters or values', () => {
    const source = [
      '// c',
      'export default {',
      "  greeting: 'hi',",
      '  async signin() { if (x) { return `${a}}` } },',
      '  f: () => 1,',
      '  g: function () {},',
      '  get h() { return 1 },',
      '  k: async (a, b) => ({ a: [a, b] }),',
      '  m: x => x,',
      '  n: [() => 1],',
      '  o: (1, 2),',
      '  *gen() {},',
      '  "quoted"() {},',
      '  async: 1,',
      '};',
    ].join('\n');
    expect(jsFunctions(source)).toEqual(['signin', 'f', 'g', 'k', 'm', 'gen', 'quoted']);
    expect(jsFunctions('export default function () {}')).toEqual([]);
    expect(onLoadChoices(withJs(source))).toEqual(['login', 'Auth.signin', 'Auth.f', 'Auth.g', 'Auth.k', 'Auth.m', 'Auth.gen', 'Auth.quoted']);
    expect(onLoadStepProblem(withJs(source), 'Auth.h')).toBe('JS object Auth has no function h.');
    expect(onLoadStepProblem(withJs(source), 'Auth.k')).toBeNull();
  });
});
