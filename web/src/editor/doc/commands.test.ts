import { describe, expect, it } from 'vitest';
import * as cmd from './commands.ts';
import { loginApp, page, pos, widget } from './fixture.ts';
import { overlaps } from './layout.ts';
import { OpError, applyChange } from './ops.ts';
import { findPage, findWidget, widgetsOf } from './query.ts';
import type { AppDoc, Change } from './types.ts';

const run = (doc: AppDoc, change: Change): AppDoc => applyChange(doc, change);
const w = (doc: AppDoc, pageName: string, name: string) => findWidget(findPage(doc, pageName)!, name);

function noOverlaps(list: readonly { position: { col: number; row: number; width: number; height: number }; name: string }[]): void {
  for (const a of list) for (const b of list) if (a !== b) expect(overlaps(a.position, b.position), `${a.name} / ${b.name}`).toBe(false);
}

describe('addWidget', () => {
  it('adds a widget with a fresh name, the default size and the text the viewer shows', () => {
    const doc = loginApp();
    const change = cmd.addWidget(doc, 'Dashboard', 'Button', null);
    const after = run(doc, change);
    const added = w(after, 'Dashboard', 'Button1')!.widget;
    expect(added.props).toEqual({ text: 'Submit' });
    expect(added.position).toEqual(pos(20, 0, 16, 4));
    expect(change.label).toBe('Add Button1');
    expect(change.select).toEqual(['Button1']);
    expect(w(run(after, cmd.addWidget(after, 'LoginPage', 'Button', null)), 'LoginPage', 'Button2')).toBeDefined();
  });

  it('gives a Form no children and no props beyond its title', () => {
    const doc = loginApp();
    const after = run(doc, cmd.addWidget(doc, 'Dashboard', 'Form', null));
    expect(w(after, 'Dashboard', 'Form1')!.widget).toMatchObject({ children: [], props: { title: 'Form' } });
    const input = run(after, cmd.addWidget(after, 'Dashboard', 'Input', 'Form1'));
    expect(w(input, 'Dashboard', 'Input1')!.widget.props).toEqual({});
    expect(w(input, 'Dashboard', 'Input1')!.parent!.name).toBe('Form1');
  });

  it('drops at a spot and pushes what is in the way down', () => {
    const doc = loginApp();
    const after = run(doc, cmd.addWidget(doc, 'LoginPage', 'Text', 'login_form', { col: 1, row: 9 }));
    const form = w(after, 'LoginPage', 'login_form')!.widget;
    noOverlaps(form.children);
    expect(w(after, 'LoginPage', 'Text1')!.widget.position).toEqual(pos(1, 9, 16, 4));
    expect(w(after, 'LoginPage', 'inp_password')!.widget.position.row).toBe(13);
  });

  it('refuses a parent that is not a container', () => {
    expect(() => cmd.addWidget(loginApp(), 'LoginPage', 'Text', 'btn_login')).toThrowError('btn_login is a Button, which cannot hold other widgets.');
  });
});

describe('moving and resizing', () => {
  it('moves a widget out of its form onto the page and back in', () => {
    const doc = loginApp();
    const out = run(doc, cmd.moveWidget(doc, 'LoginPage', 'btn_login', { parent: null, col: 0, row: 45 }));
    expect(w(out, 'LoginPage', 'btn_login')!.parent).toBeNull();
    const back = run(out, cmd.moveWidget(out, 'LoginPage', 'btn_login', { parent: 'login_form', col: 1, row: 20 }));
    expect(w(back, 'LoginPage', 'btn_login')!.parent!.name).toBe('login_form');
  });

  it('refuses to move a container into itself or into a non-container', () => {
    expect(() => cmd.moveWidget(loginApp(), 'LoginPage', 'login_form', { parent: 'login_form', col: 0, row: 0 })).toThrowError(OpError);
    expect(() => cmd.moveWidget(loginApp(), 'LoginPage', 'txt_hint', { parent: 'btn_login', col: 0, row: 0 })).toThrowError(/cannot hold/);
  });

  it('resizes within the grid and pushes siblings', () => {
    const doc = loginApp();
    const after = run(doc, cmd.resizeWidget(doc, 'LoginPage', 'inp_username', pos(1, 2, 80, 12)));
    expect(w(after, 'LoginPage', 'inp_username')!.widget.position).toEqual(pos(0, 2, 64, 12));
    noOverlaps(w(after, 'LoginPage', 'login_form')!.widget.children);
  });

  it('nudges by one unit and stops at the grid edge', () => {
    const doc = loginApp();
    const right = run(doc, cmd.nudge(doc, 'LoginPage', ['txt_hint'], 1, 0));
    expect(w(right, 'LoginPage', 'txt_hint')!.widget.position.col).toBe(33);
    const up = cmd.nudge(doc, 'LoginPage', ['txt_hint'], 0, -1);
    expect(up.ops).toEqual([]);
    const both = run(doc, cmd.nudge(doc, 'LoginPage', ['inp_username', 'inp_password'], 0, 1));
    expect(w(both, 'LoginPage', 'inp_password')!.widget.position.row).toBe(11);
    noOverlaps(w(both, 'LoginPage', 'login_form')!.widget.children);
  });
});

describe('properties and names', () => {
  it('sets and resets properties of the type only', () => {
    const doc = loginApp();
    const set = run(doc, cmd.setProp(doc, 'LoginPage', 'btn_login', 'text', 'Sign in'));
    expect(w(set, 'LoginPage', 'btn_login')!.widget.props.text).toBe('Sign in');
    const reset = run(set, cmd.unsetProp(set, 'LoginPage', 'btn_login', 'text'));
    expect('text' in w(reset, 'LoginPage', 'btn_login')!.widget.props).toBe(false);
    expect(() => cmd.setProp(doc, 'LoginPage', 'btn_login', 'inputType', 'EMAIL')).toThrowError('A Button has no property inputType.');
  });

  it('refuses a value of the wrong shape, as the server would, but takes any binding', () => {
    const doc = loginApp();
    const refused: [string, string, unknown, string][] = [
      ['inp_username', 'inputType', 'DATE', 'inputType must be one of TEXT, EMAIL, PASSWORD, NUMBER (or a {{ }} binding).'],
      ['inp_username', 'isRequired', 'yes', 'isRequired must be true or false (or a {{ }} binding).'],
      ['inp_username', 'maxChars', -1, 'maxChars must be a whole number ≥ 0 (or a {{ }} binding).'],
      ['inp_username', 'label', ['a'], 'label must be text (or a {{ }} binding).'],
      ['btn_login', 'onClick', 3, 'onClick holds code in {{ }}, such as "{{ MyObject.run() }}".'],
    ];
    for (const [widget, prop, value, message] of refused) {
      expect(() => cmd.setProp(doc, 'LoginPage', widget, prop, value)).toThrowError(message);
    }
    expect(cmd.setProp(doc, 'LoginPage', 'inp_username', 'inputType', '{{ appsmith.store.kind }}').ops).toHaveLength(1);
    expect(cmd.setProp(doc, 'LoginPage', 'inp_username', 'maxChars', 12).ops).toHaveLength(1);
  });

  it('renames with a sentence when the name is invalid or taken', () => {
    const doc = loginApp();
    expect(() => cmd.renameWidget(doc, 'LoginPage', 'btn_login', 'txt_hint')).toThrowError(
      '"txt_hint" is already the name of the widget txt_hint on page LoginPage.',
    );
    expect(() => cmd.renameWidget(doc, 'LoginPage', 'btn_login', 'my button')).toThrowError(/not a valid name/);
    expect(cmd.widgetNameProblem(doc, 'btn_login', 'btn_login')).toBeNull();
    const after = run(doc, cmd.renameWidget(doc, 'LoginPage', 'btn_login', 'btn_signin'));
    expect(w(after, 'LoginPage', 'btn_signin')).toBeDefined();
  });
});

describe('delete, copy, paste, duplicate', () => {
  it('deletes a container with its children once', () => {
    const doc = loginApp();
    const change = cmd.deleteWidgets(doc, 'LoginPage', ['inp_username', 'login_form']);
    expect(change.ops).toEqual([{ kind: 'removeWidget', page: 'LoginPage', name: 'login_form' }]);
    expect(widgetsOf(findPage(run(doc, change), 'LoginPage')!).map((x) => x.name)).toEqual(['txt_hint']);
  });

  it('pastes copies with fresh names, references between them rewritten, at free spots', () => {
    let doc = loginApp();
    doc = run(doc, cmd.setProp(doc, 'LoginPage', 'btn_login', 'isDisabled', '{{ !inp_username.text || !Auth }}'));
    const clip = cmd.copy(doc, 'LoginPage', ['login_form']);
    const back = cmd.parseClipboard(cmd.clipboardText(clip));
    expect(back).toEqual(clip);
    const change = cmd.paste(doc, back!, { page: 'LoginPage', parent: null });
    const after = run(doc, change);
    expect(change.select).toEqual(['login_form2']);
    const copyForm = w(after, 'LoginPage', 'login_form2')!.widget;
    expect(copyForm.children.map((c) => c.name)).toEqual(['inp_username2', 'inp_password2', 'btn_login2']);
    expect(copyForm.children[2]!.props.isDisabled).toBe('{{ !inp_username2.text || !Auth }}');
    noOverlaps(findPage(after, 'LoginPage')!.widgets);
  });

  it('pastes into another page at the same spot when it is free', () => {
    const doc = loginApp();
    const clip = cmd.copy(doc, 'LoginPage', ['txt_hint']);
    const after = run(doc, cmd.paste(doc, clip, { page: 'Dashboard', parent: null }));
    expect(w(after, 'Dashboard', 'txt_hint2')!.widget.position).toEqual(pos(32, 0, 16, 4));
  });

  it('pastes what was cut with its names, so cut and paste moves a widget and its references still hold', () => {
    const doc = loginApp();
    const { clipboard, change } = cmd.cut(doc, 'LoginPage', ['inp_username']);
    expect(change.label).toBe('Cut inp_username');
    const gone = run(doc, change);
    expect(w(gone, 'LoginPage', 'inp_username')).toBeUndefined();
    // Through the system clipboard's text too.
    const back = cmd.parseClipboard(cmd.clipboardText(clipboard))!;
    expect(back).toEqual(clipboard);
    const paste = cmd.paste(gone, back, { page: 'LoginPage', parent: null });
    expect(paste.label).toBe('Paste inp_username');
    const moved = run(gone, paste);
    expect(w(moved, 'LoginPage', 'inp_username')!.parent).toBeNull();
    expect(moved.queries).toEqual(doc.queries);
    expect(w(moved, 'LoginPage', 'txt_hint')!.widget.props.text).toBe('Hello {{ inp_username.text }}');
    // Its name is taken now: a second paste is a copy, with a fresh name.
    expect(cmd.paste(moved, back, { page: 'LoginPage', parent: null }).select).toEqual(['inp_username2']);
    // A copy (not a cut) still never keeps a name, even a free one.
    const copied = cmd.copy(doc, 'LoginPage', ['txt_hint']);
    const withoutHint = run(doc, cmd.deleteWidgets(doc, 'LoginPage', ['txt_hint']));
    expect(cmd.paste(withoutHint, copied, { page: 'LoginPage', parent: null }).select).toEqual(['txt_hint2']);
  });

  it('renames only the cut widgets whose names were taken meanwhile, and the references between them', () => {
    let doc = loginApp();
    doc = run(doc, cmd.setProp(doc, 'LoginPage', 'inp_password', 'label', '{{ btn_login.text }}'));
    const { clipboard, change } = cmd.cut(doc, 'LoginPage', ['login_form']);
    doc = run(doc, change);
    doc = run(doc, cmd.addWidget(doc, 'Dashboard', 'Button', null));
    doc = run(doc, cmd.renameWidget(doc, 'Dashboard', 'Button1', 'btn_login'));
    const paste = cmd.paste(doc, clipboard, { page: 'Dashboard', parent: null });
    expect(paste.select).toEqual(['login_form']);
    const after = run(doc, paste);
    const form = w(after, 'Dashboard', 'login_form')!.widget;
    expect(form.children.map((c) => c.name)).toEqual(['inp_username', 'inp_password', 'btn_login2']);
    expect(form.children[1]!.props.label).toBe('{{ btn_login2.text }}');
    noOverlaps(findPage(after, 'Dashboard')!.widgets);
  });

  it('refuses clipboard text that is not widgets', () => {
    expect(cmd.parseClipboard('hello')).toBeNull();
    expect(cmd.parseClipboard('{"kind":"lowkey.widgets","widgets":[{"name":1}]}')).toBeNull();
  });

  it('duplicates several widgets next to their originals', () => {
    const doc = loginApp();
    const change = cmd.duplicateWidgets(doc, 'LoginPage', ['inp_username', 'txt_hint']);
    const after = run(doc, change);
    expect(change.select).toEqual(['inp_username2', 'txt_hint2']);
    expect(w(after, 'LoginPage', 'inp_username2')!.parent!.name).toBe('login_form');
    noOverlaps(w(after, 'LoginPage', 'login_form')!.widget.children);
    noOverlaps(findPage(after, 'LoginPage')!.widgets);
  });
});

describe('pages', () => {
  it('adds Page1, Page2… and makes the first page of an empty app its home', () => {
    const empty: AppDoc = { ...loginApp(), pages: [], homePage: '' };
    const one = run(empty, cmd.addPage(empty));
    expect(one.homePage).toBe('Page1');
    const two = run(one, cmd.addPage(one));
    expect(two.pages.map((p) => p.name)).toEqual(['Page1', 'Page2']);
    expect(two.homePage).toBe('Page1');
  });

  it('duplicates a page after it with fresh widget names', () => {
    const doc = loginApp();
    const after = run(doc, cmd.duplicatePage(doc, 'LoginPage'));
    expect(after.pages.map((p) => p.name)).toEqual(['LoginPage', 'LoginPageCopy', 'Dashboard']);
    const names = widgetsOf(findPage(after, 'LoginPageCopy')!).map((x) => x.name);
    expect(names).toEqual(['login_form2', 'inp_username2', 'inp_password2', 'btn_login2', 'txt_hint2']);
    expect(w(after, 'LoginPageCopy', 'txt_hint2')!.widget.props.text).toBe('Hello {{ inp_username2.text }}');
    const again = run(after, cmd.duplicatePage(after, 'LoginPage'));
    expect(again.pages.map((p) => p.name)).toContain('LoginPageCopy2');
  });

  it('keeps the access of a duplicated page, so a copy of a protected page is protected', () => {
    const base = loginApp();
    const doc: AppDoc = { ...base, pages: base.pages.map((p) => (p.name === 'Dashboard' ? { ...p, access: { roles: ['admin'] } } : p)) };
    const after = run(doc, cmd.duplicatePage(doc, 'Dashboard'));
    expect(findPage(after, 'DashboardCopy')!.access).toEqual({ roles: ['admin'] });
    const login = run(doc, cmd.duplicatePage(doc, 'LoginPage'));
    expect('access' in findPage(login, 'LoginPageCopy')!).toBe(false);
  });

  it('refuses to set the home page again, or to delete it', () => {
    const doc = loginApp();
    expect(() => cmd.setHomePage(doc, 'LoginPage')).toThrowError('LoginPage is already the home page.');
    expect(() => cmd.deletePage(doc, 'LoginPage')).toThrowError(/home page/);
    const after = run(doc, cmd.setHomePage(doc, 'Dashboard'));
    expect(run(after, cmd.deletePage(after, 'LoginPage')).pages.map((p) => p.name)).toEqual(['Dashboard']);
  });

  it('hides, shows and renames pages, and renames the app', () => {
    let doc = loginApp();
    doc = run(doc, cmd.setPageHidden(doc, 'Dashboard', false));
    expect(findPage(doc, 'Dashboard')!.hidden).toBe(false);
    doc = run(doc, cmd.renamePage(doc, 'LoginPage', 'SignIn'));
    expect(doc.homePage).toBe('SignIn');
    expect(() => cmd.renamePage(doc, 'SignIn', 'Dashboard')).toThrowError(/already a page named Dashboard/);
    doc = run(doc, cmd.setAppName(doc, '  Ops  '));
    expect(doc.name).toBe('Ops');
  });

  it('keeps names unique across pages', () => {
    const doc: AppDoc = { ...loginApp(), pages: [...loginApp().pages, page('Third', [widget('Text1', 'Text', pos(0, 0))])] };
    const change = cmd.addWidget(doc, 'Dashboard', 'Text', null);
    expect(change.select).toEqual(['Text2']);
  });
});

describe('page load commands', () => {
  const onLoad = (doc: AppDoc) => findPage(doc, 'Dashboard')!.onLoad;

  it('adds, moves and removes steps, each one labelled change', () => {
    let doc = loginApp();
    const add = cmd.addOnLoadStep(doc, 'Dashboard', 'Auth.signin');
    expect(add.label).toBe('Run Auth.signin on load of Dashboard');
    doc = run(doc, add);
    doc = run(doc, cmd.addOnLoadStep(doc, 'Dashboard', 'login'));
    expect(onLoad(doc)).toEqual(['Auth.signin', 'login']);
    const up = cmd.moveOnLoadStep(doc, 'Dashboard', 'login', 'up');
    expect(up.label).toBe('Move login up on load of Dashboard');
    doc = run(doc, up);
    expect(onLoad(doc)).toEqual(['login', 'Auth.signin']);
    doc = run(doc, cmd.moveOnLoadStep(doc, 'Dashboard', 'login', 'down'));
    expect(onLoad(doc)).toEqual(['Auth.signin', 'login']);
    const remove = cmd.removeOnLoadStep(doc, 'Dashboard', 'Auth.signin');
    expect(remove.label).toBe('Stop running Auth.signin on load of Dashboard');
    doc = run(doc, remove);
    expect(onLoad(doc)).toEqual(['login']);
    expect(findPage(doc, 'LoginPage')!.onLoad).toEqual([]);
  });

  it('refuses what cannot be done, with a sentence', () => {
    const doc = run(loginApp(), cmd.addOnLoadStep(loginApp(), 'Dashboard', 'login'));
    expect(() => cmd.addOnLoadStep(doc, 'Dashboard', 'login')).toThrow(new OpError('login already runs when Dashboard loads.'));
    expect(() => cmd.addOnLoadStep(doc, 'Dashboard', 'Auth.nope')).toThrow(new OpError('JS object Auth has no function nope.'));
    expect(() => cmd.moveOnLoadStep(doc, 'Dashboard', 'login', 'up')).toThrow(new OpError('login already runs first when Dashboard loads.'));
    expect(() => cmd.moveOnLoadStep(doc, 'Dashboard', 'login', 'down')).toThrow(new OpError('login already runs last when Dashboard loads.'));
    expect(() => cmd.removeOnLoadStep(doc, 'LoginPage', 'login')).toThrow(new OpError('login does not run when LoginPage loads.'));
    expect(() => cmd.addOnLoadStep(doc, 'Nowhere', 'login')).toThrow(OpError);
  });
});
