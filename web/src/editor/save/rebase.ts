/**
 * Re-applying this tab's unsaved changes on top of a draft that someone else changed (the
 * autosave's answer to a 409, and the adoption of a closed tab's journal).
 *
 * Changes are replayed in order. Two rules keep the result what the builder meant:
 * - Names that collided: both tabs added "Text1" (each picked the first free name), or both
 *   added "Page2". The replayed widget or page gets a fresh name ("Text2"), and every later
 *   change that names it follows, so both widgets end up in the draft.
 * - A deletion of what someone else deleted already is done, not a failure.
 * - A change that fails for another reason (its widget was deleted meanwhile) is not applied,
 *   and neither is any later change that touches what it introduced: a property set on a
 *   widget whose adding failed must not land on another widget of the same name.
 */

import { OpError } from '../doc/errors.ts';
import { applyChange } from '../doc/ops.ts';
import { allNames, copyName, findPage, findWidgetInApp, pageNameProblem, subtree } from '../doc/query.ts';
import { mapTemplates, renameInTemplate } from '../doc/rename.ts';
import type { AppDoc, Change, NotAppliedChange, Op, WidgetDoc } from '../doc/types.ts';

/** Old name → new name, for widgets and for pages. */
export interface Renames {
  readonly widgets: ReadonlyMap<string, string>;
  readonly pages: ReadonlyMap<string, string>;
}

export interface RebaseResult {
  readonly doc: AppDoc;
  /** The changes as applied (with the fresh names), in order. */
  readonly applied: readonly Change[];
  readonly failed: readonly NotAppliedChange[];
  /** The names that were changed because they collided (also to remap the undo history). */
  readonly renames: Renames;
}

export function rebaseChanges(base: AppDoc, changes: readonly Change[]): RebaseResult {
  let doc = base;
  const widgets = new Map<string, string>();
  const pages = new Map<string, string>();
  const applied: Change[] = [];
  const failed: NotAppliedChange[] = [];
  // Names introduced by a change that failed: later changes touching them fail too.
  const lost = new Map<string, string>();
  const prepare = (change: Change): Change => withoutDone(doc, renameInChange(change, { widgets, pages }));
  for (const change of changes) {
    let c = prepare(change);
    const dependency = touched(c).find((n) => lost.has(n));
    let outcome: AppDoc | OpError =
      dependency !== undefined ? new OpError(`It depends on "${lost.get(dependency) ?? ''}", which could not be re-applied.`) : tryApply(doc, c);
    if (outcome instanceof OpError && dependency === undefined) {
      // Names another tab took meanwhile: the replayed widgets and pages get fresh ones.
      const fresh = freshNames(doc, c);
      if (fresh.widgets.size > 0 || fresh.pages.size > 0) {
        for (const [from, to] of fresh.widgets) widgets.set(from, to);
        for (const [from, to] of fresh.pages) pages.set(from, to);
        c = prepare(change);
        const again = tryApply(doc, c);
        if (!(again instanceof OpError)) outcome = again;
      }
    }
    if (outcome instanceof OpError) {
      failed.push({ change, reason: outcome.message });
      for (const n of introduced(c)) lost.set(n, change.label);
    } else {
      doc = outcome;
      applied.push(c);
    }
  }
  return { doc, applied, failed, renames: { widgets, pages } };
}

/** The document with the change applied, or the OpError saying why it does not apply. */
function tryApply(doc: AppDoc, change: Change): AppDoc | OpError {
  try {
    return applyChange(doc, change);
  } catch (e) {
    if (e instanceof OpError) return e;
    throw e;
  }
}

/** The change without the deletions someone else already made (the widget or page is gone:
 * what the builder wanted is done). */
function withoutDone(doc: AppDoc, change: Change): Change {
  const ops = change.ops.filter((op) => {
    if (op.kind === 'removeWidget') return findWidgetInApp(doc, op.name) !== undefined;
    if (op.kind === 'removePage') return findPage(doc, op.name) !== undefined;
    return true;
  });
  return ops.length === change.ops.length ? change : { ...change, ops };
}

/** Fresh names for the widgets and pages a change adds whose names `doc` already uses. */
function freshNames(doc: AppDoc, change: Change): { widgets: Map<string, string>; pages: Map<string, string> } {
  const used = allNames(doc);
  const widgets = new Map<string, string>();
  const pages = new Map<string, string>();
  const addedWidgets = (op: Op): readonly WidgetDoc[] => {
    if (op.kind === 'addWidget') return subtree(op.widget);
    if (op.kind === 'addPage') return op.page.widgets.flatMap(subtree);
    return [];
  };
  for (const op of change.ops) {
    for (const w of addedWidgets(op)) {
      if (!used.has(w.name)) continue;
      const name = copyName(w.name, used);
      used.add(name);
      widgets.set(w.name, name);
    }
    if (op.kind === 'addPage' && pageNameProblem(doc, op.page.name, undefined, op.page.slug) !== null) {
      let name = copyName(op.page.name, new Set(doc.pages.map((p) => p.name)));
      while (pageNameProblem(doc, name, undefined, op.page.slug) !== null) name = copyName(name, new Set([name]));
      pages.set(op.page.name, name);
    }
  }
  return { widgets, pages };
}

/** Every widget and page name a change acts on. */
function touched(change: Change): string[] {
  return change.ops.flatMap((op): string[] => {
    switch (op.kind) {
      case 'addWidget':
        return [op.page, ...(op.parent === null ? [] : [op.parent]), ...subtree(op.widget).map((w) => w.name)];
      case 'removeWidget':
        return [op.page, op.name];
      case 'placeWidget':
        return [op.page, op.name, ...(op.parent === null ? [] : [op.parent])];
      case 'setProp':
      case 'unsetProp':
        return [op.page, op.widget];
      case 'renameWidget':
        return [op.page, op.from, op.to];
      case 'addPage':
        return [op.page.name, ...op.page.widgets.flatMap(subtree).map((w) => w.name)];
      case 'removePage':
      case 'setPageHidden':
      case 'setHomePage':
        return [op.name];
      case 'setPageOnLoad':
      case 'setPageAccess':
        return [op.page];
      case 'setAppAuth':
        return [];
      case 'renamePage':
      case 'renameCode':
      case 'renameDatasource':
        return [op.from, op.to];
      case 'putQuery':
      case 'putJsObject':
      case 'putDatasource':
        return [op.name];
      case 'setAppName':
        return [];
    }
  });
}

/** The names a change brings into being (what later changes may depend on). */
function introduced(change: Change): string[] {
  return change.ops.flatMap((op): string[] => {
    switch (op.kind) {
      case 'addWidget':
        return subtree(op.widget).map((w) => w.name);
      case 'addPage':
        return [op.page.name, ...op.page.widgets.flatMap(subtree).map((w) => w.name)];
      case 'renameWidget':
      case 'renamePage':
      case 'renameCode':
        return [op.to];
      case 'putQuery':
      case 'putJsObject':
        return op.value === null ? [] : [op.name];
      default:
        return [];
    }
  });
}

/** A change with widget and page names replaced by `renames` — in its operations' fields and
 * in the bindings of the widgets and values it carries. */
export function renameInChange(change: Change, renames: Renames): Change {
  if (renames.widgets.size === 0 && renames.pages.size === 0) return change;
  const w = (name: string): string => renames.widgets.get(name) ?? name;
  const p = (name: string): string => renames.pages.get(name) ?? name;
  const parent = (name: string | null): string | null => (name === null ? null : w(name));
  const value = (v: unknown): unknown =>
    mapTemplates(v, (text) => {
      let out = text;
      for (const [from, to] of renames.widgets) out = renameInTemplate(out, from, to);
      return out;
    });
  const widget = (x: WidgetDoc): WidgetDoc => ({
    ...x,
    name: w(x.name),
    props: value(x.props) as WidgetDoc['props'],
    children: x.children.map(widget),
  });
  const ops = change.ops.map((op): Op => {
    switch (op.kind) {
      case 'addWidget':
        return { ...op, page: p(op.page), parent: parent(op.parent), widget: widget(op.widget) };
      case 'removeWidget':
        return { ...op, page: p(op.page), name: w(op.name) };
      case 'placeWidget':
        return { ...op, page: p(op.page), name: w(op.name), parent: parent(op.parent) };
      case 'setProp':
        return { ...op, page: p(op.page), widget: w(op.widget), value: value(op.value) };
      case 'unsetProp':
        return { ...op, page: p(op.page), widget: w(op.widget) };
      case 'renameWidget':
        return { ...op, page: p(op.page), from: w(op.from) };
      case 'addPage':
        return { ...op, page: { ...op.page, name: p(op.page.name), widgets: op.page.widgets.map(widget) } };
      case 'removePage':
      case 'setPageHidden':
      case 'setHomePage':
        return { ...op, name: p(op.name) };
      case 'renamePage':
        return { ...op, from: p(op.from) };
      case 'setPageOnLoad':
      case 'setPageAccess':
        return { ...op, page: p(op.page) };
      case 'setAppAuth':
        return op;
      case 'putQuery':
        return op.value === null ? op : { ...op, value: value(op.value) as typeof op.value };
      case 'putJsObject':
      case 'putDatasource':
      case 'renameCode':
      case 'renameDatasource':
      case 'setAppName':
        return op;
    }
  });
  return { ...change, ops };
}
