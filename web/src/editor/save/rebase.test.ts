import { describe, expect, it } from 'vitest';
import * as cmd from '../doc/commands.ts';
import { loginApp } from '../doc/fixture.ts';
import { applyChange } from '../doc/ops.ts';
import { findPage, findWidget } from '../doc/query.ts';
import type { AppDoc, Change } from '../doc/types.ts';
import { rebaseChanges } from './rebase.ts';

/** The changes made one after another on `doc`, as a tab makes them. */
function session(doc: AppDoc, ...steps: ((d: AppDoc) => Change)[]): Change[] {
  const changes: Change[] = [];
  let cur = doc;
  for (const step of steps) {
    const c = step(cur);
    cur = applyChange(cur, c);
    changes.push(c);
  }
  return changes;
}

const widgetOf = (doc: AppDoc, page: string, name: string) => findWidget(findPage(doc, page)!, name)?.widget;

describe('rebaseChanges', () => {
  it('gives a widget both tabs named alike a fresh name, and later changes follow it', () => {
    const base = loginApp();
    const theirs = applyChange(base, cmd.addWidget(base, 'Dashboard', 'Text', null));
    const ours = session(
      base,
      (d) => cmd.addWidget(d, 'Dashboard', 'Text', null),
      (d) => cmd.setProp(d, 'Dashboard', 'Text1', 'text', 'Mine: {{ Text1.text }}'),
      (d) => cmd.moveWidget(d, 'Dashboard', 'Text1', { parent: null, col: 40, row: 20 }),
    );
    const result = rebaseChanges(theirs, ours);
    expect(result.failed).toEqual([]);
    expect(result.renames.widgets).toEqual(new Map([['Text1', 'Text2']]));
    expect(widgetOf(result.doc, 'Dashboard', 'Text1')!.props).toEqual({ text: 'Text' });
    expect(widgetOf(result.doc, 'Dashboard', 'Text2')!.props).toEqual({ text: 'Mine: {{ Text2.text }}' });
    expect(widgetOf(result.doc, 'Dashboard', 'Text2')!.position).toMatchObject({ col: 40, row: 20 });
  });

  it('gives a page both tabs added a fresh name', () => {
    const base = loginApp();
    const theirs = applyChange(base, cmd.addPage(base));
    const ours = session(
      base,
      (d) => cmd.addPage(d),
      (d) => cmd.setPageHidden(d, 'Page1', true),
    );
    const result = rebaseChanges(theirs, ours);
    expect(result.failed).toEqual([]);
    expect(result.doc.pages.map((p) => [p.name, p.hidden])).toEqual([
      ['LoginPage', false],
      ['Dashboard', true],
      ['Page1', false],
      ['Page2', true],
    ]);
  });

  it('counts a deletion someone else already made as done', () => {
    const base = loginApp();
    const theirs = applyChange(base, cmd.deleteWidgets(base, 'LoginPage', ['txt_hint']));
    const result = rebaseChanges(theirs, session(base, (d) => cmd.deleteWidgets(d, 'LoginPage', ['txt_hint', 'btn_login'])));
    expect(result.failed).toEqual([]);
    expect(widgetOf(result.doc, 'LoginPage', 'btn_login')).toBeUndefined();
  });

  it('does not apply what depends on a change that failed', () => {
    const base = loginApp();
    const theirs = applyChange(base, cmd.deleteWidgets(base, 'LoginPage', ['login_form']));
    const ours = session(
      base,
      (d) => cmd.addWidget(d, 'LoginPage', 'Input', 'login_form'),
      (d) => cmd.setProp(d, 'LoginPage', 'Input1', 'label', 'Code'),
      (d) => cmd.setAppName(d, 'Still here'),
    );
    const result = rebaseChanges(theirs, ours);
    expect(result.failed.map((f) => [f.change.label, f.reason])).toEqual([
      ['Add Input1', 'There is no widget login_form on page LoginPage.'],
      ['Set label of Input1', 'It depends on "Add Input1", which could not be re-applied.'],
    ]);
    expect(result.doc.name).toBe('Still here');
  });
});
