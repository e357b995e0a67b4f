/**
 * Command builders: one pure function per thing a builder can do, from a document to the
 * `Change` that does it, with the label undo shows ("Move inp_username"). They decide the
 * details the UI should not (fresh names, free spots, pushing siblings out of the way, what a
 * copy carries) and refuse what cannot be done by throwing `OpError` with a sentence.
 *
 * A command that adds widgets says which ones to select afterwards (`select`).
 */

import { initialProps, isContainerType, propValueProblem, widgetSpec } from './catalogue.ts';
import type { PropSpec } from './catalogue.ts';
import { clampToGrid, firstFreeSpot, overlaps, placeWithoutOverlap } from './layout.ts';
import { identifierProblem } from './names.ts';
import { OpError } from './errors.ts';
import { applyChange, onLoadStepProblem } from './ops.ts';
import {
  allNames,
  childrenOf,
  copyName,
  findPage,
  findWidget,
  nameOwner,
  requirePage,
  requireWidget,
  pageNameProblem,
  subtree,
  uniquePageName,
  uniqueWidgetName,
} from './query.ts';
import { mapTemplates, renameInTemplate } from './rename.ts';
import type { FoundWidget } from './query.ts';
import type { AppDoc, Change, Op, PageDoc, Position, WidgetDoc, WidgetPlace, WidgetType } from './types.ts';

/** A change, and the widgets to select once it is applied (added, pasted, duplicated). */
export interface EditChange extends Change {
  readonly select?: readonly string[];
}

/** Where a widget goes: a page, a parent (null: the page's grid) and optionally a grid spot. */
export interface Target {
  readonly page: string;
  readonly parent: string | null;
  readonly at?: { readonly col: number; readonly row: number };
}

// ---- widgets ------------------------------------------------------------------------------

/**
 * Adds a widget of `type` with the catalogue's default size and the properties the viewer
 * needs to show it (a Form starts empty). At `at` when given (siblings in the way are pushed
 * down), else at the first free spot of the parent's grid.
 */
export function addWidget(doc: AppDoc, page: string, type: WidgetType, parent: string | null, at?: { col: number; row: number }): EditChange {
  const siblings = mustSiblings(doc, page, parent);
  if (parent !== null) mustContainer(mustWidget(doc, page, parent).widget);
  const spec = widgetSpec(type);
  const name = uniqueWidgetName(doc, type);
  const { width, height } = spec.defaultSize;
  const position = at ? clampToGrid({ col: at.col, row: at.row, width, height }) : firstFreeSpot(siblings, width, height);
  const widget: WidgetDoc = { name, type, position, props: initialProps(type), children: [] };
  const place = { page, parent };
  return {
    label: `Add ${name}`,
    ops: [...placeWithoutOverlap(siblings, null, position, place), { kind: 'addWidget', page, parent, widget }],
    select: [name],
  };
}

/** Moves a widget to a spot of its own grid or of another container's (`to.parent`); siblings
 * in the way are pushed down. */
export function moveWidget(doc: AppDoc, page: string, name: string, to: { parent: string | null; col: number; row: number }): EditChange {
  const found = mustWidget(doc, page, name);
  if (to.parent !== null) {
    const target = mustWidget(doc, page, to.parent);
    if (subtree(found.widget).some((w) => w.name === to.parent)) throw new OpError(`${name} cannot be moved inside itself.`);
    mustContainer(target.widget);
  }
  const position = clampToGrid({ ...found.widget.position, col: to.col, row: to.row });
  return placeChange(doc, page, name, to.parent, position, `Move ${name}`);
}

/** Gives a widget a new size (and place: a resize from the left or top edge moves it too). */
export function resizeWidget(doc: AppDoc, page: string, name: string, position: Position): EditChange {
  const found = mustWidget(doc, page, name);
  return placeChange(doc, page, name, found.parent?.name ?? null, clampToGrid(position), `Resize ${name}`);
}

/** Moves the widgets by whole grid units (arrow keys: 1), kept inside their grids; siblings in
 * the way are pushed down. */
export function nudge(doc: AppDoc, page: string, names: readonly string[], dCol: number, dRow: number): EditChange {
  const ops: Op[] = [];
  const moved = new Set(names);
  for (const name of names) {
    const found = mustWidget(doc, page, name);
    const parent = found.parent?.name ?? null;
    const p = found.widget.position;
    const position = clampToGrid({ ...p, col: p.col + dCol, row: p.row + dRow });
    if (position.col === p.col && position.row === p.row) continue;
    const siblings = mustSiblings(doc, page, parent).filter((s) => s.name === name || !moved.has(s.name));
    ops.push(...placeWithoutOverlap(siblings, name, position, { page, parent }));
    ops.push({ kind: 'placeWidget', page, name, parent, position });
  }
  return { label: names.length === 1 ? `Move ${names[0] ?? ''}` : `Move ${names.length} widgets`, ops };
}

/** Sets a property of the widget's type (the catalogue's list) to a value or a `{{ }}` text. */
export function setProp(doc: AppDoc, page: string, widget: string, prop: string, value: unknown): EditChange {
  const w = mustWidget(doc, page, widget).widget;
  const spec = mustKnowProp(w, prop);
  if (value === undefined) return unsetProp(doc, page, widget, prop);
  const problem = propValueProblem(spec, value);
  if (problem) throw new OpError(problem);
  return { label: `Set ${prop} of ${widget}`, ops: [{ kind: 'setProp', page, widget, prop, value }] };
}

/** Removes a property, so the catalogue's default applies again. */
export function unsetProp(doc: AppDoc, page: string, widget: string, prop: string): EditChange {
  const w = mustWidget(doc, page, widget).widget;
  mustKnowProp(w, prop);
  return { label: `Reset ${prop} of ${widget}`, ops: [{ kind: 'unsetProp', page, widget, prop }] };
}

/** Why `to` cannot be the new name of widget `from`; null when it can. For the name field. */
export function widgetNameProblem(doc: AppDoc, from: string, to: string): string | null {
  if (to === from) return null;
  const problem = identifierProblem(to);
  if (problem) return problem;
  const owner = nameOwner(doc, to);
  return owner ? `"${to}" is already the name of ${owner}.` : null;
}

/** Renames a widget and every reference to it in the app. */
export function renameWidget(doc: AppDoc, page: string, from: string, to: string): EditChange {
  mustWidget(doc, page, from);
  const problem = widgetNameProblem(doc, from, to);
  if (problem) throw new OpError(problem);
  return { label: `Rename ${from} to ${to}`, ops: to === from ? [] : [{ kind: 'renameWidget', page, from, to }], select: [to] };
}

/** Deletes widgets (with what they hold). */
export function deleteWidgets(doc: AppDoc, page: string, names: readonly string[]): EditChange {
  const roots = topmost(doc, page, names);
  if (roots.length === 0) throw new OpError('Nothing is selected.');
  return {
    label: roots.length === 1 ? `Delete ${roots[0]?.name ?? ''}` : `Delete ${roots.length} widgets`,
    ops: roots.map((w): Op => ({ kind: 'removeWidget', page, name: w.name })),
    select: [],
  };
}

// ---- clipboard ----------------------------------------------------------------------------

/** What copy puts on the clipboard: the copied widgets with their children, as they were. */
export interface Clipboard {
  readonly kind: 'lowkey.widgets';
  readonly widgets: readonly WidgetDoc[];
  /** The widgets were cut, not copied: a paste moves them, so each keeps its name while the
   * name is free (the references to it elsewhere in the app stay right). */
  readonly cut?: boolean;
}

/** The selected widgets, leaving out those inside another selected widget (they come along). */
export function copy(doc: AppDoc, page: string, names: readonly string[]): Clipboard {
  const widgets = topmost(doc, page, names);
  if (widgets.length === 0) throw new OpError('Nothing is selected.');
  return { kind: 'lowkey.widgets', widgets };
}

/**
 * Cut: the clipboard (marked as cut) and the change that deletes the widgets. Pasting it keeps
 * the widgets' names, so cut and paste into a Form is how the keyboard moves a widget into a
 * container without breaking what refers to it.
 */
export function cut(doc: AppDoc, page: string, names: readonly string[]): { readonly clipboard: Clipboard; readonly change: EditChange } {
  const clipboard: Clipboard = { ...copy(doc, page, names), cut: true };
  const deleted = deleteWidgets(doc, page, names);
  return { clipboard, change: { ...deleted, label: deleted.label.replace(/^Delete/, 'Cut') } };
}

/** The clipboard as text for the system clipboard (pasting into another tab or app). */
export function clipboardText(clip: Clipboard): string {
  return JSON.stringify(clip);
}

/** A clipboard read back from text; null when the text is not one. */
export function parseClipboard(text: string): Clipboard | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || value.kind !== 'lowkey.widgets' || !Array.isArray(value.widgets)) return null;
  const widgets: unknown[] = value.widgets;
  if (!widgets.every(isWidgetDoc)) return null;
  return value.cut === true ? { kind: 'lowkey.widgets', widgets, cut: true } : { kind: 'lowkey.widgets', widgets };
}

/**
 * Pastes copies of the clipboard's widgets into `target.parent` (null: the page), each with a
 * fresh name (`Input1` → `Input2`, `inp_user` → `inp_user2`) and, inside the pasted widgets,
 * references between them rewritten to the new names. A cut clipboard's widgets keep the
 * names that are free (the cut widgets are gone, so their first paste is a move); a second
 * paste of it gets fresh names, as a copy does. Each lands at its old spot, or the
 * first free spot straight below it; at `target.at` (the first widget's spot, the others
 * keeping their offsets) when given.
 */
export function paste(doc: AppDoc, clip: Clipboard, target: Target): EditChange {
  const siblings = [...mustSiblings(doc, target.page, target.parent)];
  if (target.parent !== null) mustContainer(mustWidget(doc, target.page, target.parent).widget);
  const copies = freshCopies(doc, clip.widgets, clip.cut === true);
  const first = clip.widgets[0]?.position;
  const ops: Op[] = [];
  for (const w of copies) {
    const shifted =
      target.at && first ? { ...w.position, col: w.position.col - first.col + target.at.col, row: w.position.row - first.row + target.at.row } : w.position;
    const position = freeSpotBelow(siblings, clampToGrid(shifted));
    const placed = { ...w, position };
    siblings.push(placed);
    ops.push({ kind: 'addWidget', page: target.page, parent: target.parent, widget: placed });
  }
  const n = copies.length;
  return { label: n === 1 ? `Paste ${copies[0]?.name ?? ''}` : `Paste ${n} widgets`, ops, select: copies.map((w) => w.name) };
}

/** Copies of the widgets next to the originals, in their own parents. */
export function duplicateWidgets(doc: AppDoc, page: string, names: readonly string[]): EditChange {
  const roots = topmost(doc, page, names);
  if (roots.length === 0) throw new OpError('Nothing is selected.');
  const ops: Op[] = [];
  const select: string[] = [];
  let cur = doc;
  for (const w of roots) {
    const parent = findWidget(requirePage(doc, page), w.name)?.parent?.name ?? null;
    const change = paste(cur, { kind: 'lowkey.widgets', widgets: [w] }, { page, parent });
    // Later copies must see the names and spots of earlier ones.
    cur = applyChange(cur, change);
    ops.push(...change.ops);
    select.push(...(change.select ?? []));
  }
  return { label: roots.length === 1 ? `Duplicate ${roots[0]?.name ?? ''}` : `Duplicate ${roots.length} widgets`, ops, select };
}

// ---- pages --------------------------------------------------------------------------------

/** Adds an empty page ("Page2"…), made the home page when the app has none. */
export function addPage(doc: AppDoc, name?: string): EditChange {
  const pageName = name ?? uniquePageName(doc);
  const problem = pageNameProblem(doc, pageName);
  if (problem) throw new OpError(problem);
  const page: PageDoc = { name: pageName, hidden: false, onLoad: [], widgets: [] };
  const ops: Op[] = [{ kind: 'addPage', page }];
  if (!findPage(doc, doc.homePage)) ops.push({ kind: 'setHomePage', name: pageName });
  return { label: `Add page ${pageName}`, ops };
}

export function renamePage(doc: AppDoc, from: string, to: string): EditChange {
  requirePage(doc, from);
  if (to === from) return { label: `Rename page ${from}`, ops: [] };
  const problem = pageNameProblem(doc, to, from);
  if (problem) throw new OpError(problem);
  return { label: `Rename page ${from} to ${to}`, ops: [{ kind: 'renamePage', from, to }] };
}

/** A copy of a page after it ("LoginPageCopy"), its widgets with fresh names; never the home
 * page, and without the original's explicit slug (two pages cannot share one). */
export function duplicatePage(doc: AppDoc, name: string): EditChange {
  const page = requirePage(doc, name);
  let copyNameOfPage = `${name}Copy`;
  for (let n = 2; pageNameProblem(doc, copyNameOfPage) !== null; n++) copyNameOfPage = `${name}Copy${n}`;
  const copy: PageDoc = {
    name: copyNameOfPage,
    hidden: page.hidden,
    // A copy of a protected page is protected too (docs/app-format.md, "Protection").
    ...(page.access === undefined ? {} : { access: page.access }),
    onLoad: page.onLoad,
    widgets: freshCopies(doc, page.widgets),
  };
  const index = doc.pages.indexOf(page) + 1;
  return { label: `Duplicate page ${name}`, ops: [{ kind: 'addPage', page: copy, index }] };
}

export function setPageHidden(doc: AppDoc, name: string, hidden: boolean): EditChange {
  requirePage(doc, name);
  return { label: `${hidden ? 'Hide' : 'Show'} page ${name}`, ops: [{ kind: 'setPageHidden', name, hidden }] };
}

export function setHomePage(doc: AppDoc, name: string): EditChange {
  requirePage(doc, name);
  if (doc.homePage === name) throw new OpError(`${name} is already the home page.`);
  return { label: `Set ${name} as home page`, ops: [{ kind: 'setHomePage', name }] };
}

export function deletePage(doc: AppDoc, name: string): EditChange {
  requirePage(doc, name);
  if (doc.homePage === name) throw new OpError(`${name} is the home page: make another page the home page before deleting it.`);
  return { label: `Delete page ${name}`, ops: [{ kind: 'removePage', name }] };
}

export function setAppName(doc: AppDoc, name: string): EditChange {
  const trimmed = name.trim();
  if (trimmed === '') throw new OpError('An app needs a name.');
  return { label: `Rename the app to ${trimmed}`, ops: trimmed === doc.name ? [] : [{ kind: 'setAppName', name: trimmed }] };
}

// ---- helpers ------------------------------------------------------------------------------

function placeChange(doc: AppDoc, page: string, name: string, parent: string | null, position: Position, label: string): EditChange {
  const siblings = mustSiblings(doc, page, parent);
  const place: WidgetPlace = { page, parent };
  return { label, ops: [...placeWithoutOverlap(siblings, name, position, place), { kind: 'placeWidget', page, name, parent, position }] };
}

/** The first spot at `p`'s column, at `p`'s row or below, that overlaps no sibling. */
function freeSpotBelow(siblings: readonly WidgetDoc[], p: Position): Position {
  let spot = p;
  for (;;) {
    const hits = siblings.filter((s) => overlaps(s.position, spot));
    if (hits.length === 0) return spot;
    spot = { ...spot, row: Math.max(...hits.map((s) => s.position.row + s.position.height)) };
  }
}

/** Copies of widgets (and their children) with names free in `doc` and among each other;
 * references between the copies are rewritten to the new names. `keepFree`: a widget whose
 * name is free in `doc` keeps it (a paste after a cut). */
function freshCopies(doc: AppDoc, widgets: readonly WidgetDoc[], keepFree = false): WidgetDoc[] {
  const inDoc = allNames(doc);
  const used = new Set(inDoc);
  // A fresh name never takes one a copied widget has, which another copy may keep.
  for (const w of widgets) for (const s of subtree(w)) used.add(s.name);
  const renames = new Map<string, string>();
  for (const w of widgets) {
    for (const s of subtree(w)) {
      if (keepFree && !inDoc.has(s.name)) continue;
      const fresh = copyName(s.name, used);
      used.add(fresh);
      renames.set(s.name, fresh);
    }
  }
  const rewrite = (text: string): string => {
    let out = text;
    for (const [from, to] of renames) out = renameInTemplate(out, from, to);
    return out;
  };
  const copyWidget = (w: WidgetDoc): WidgetDoc => ({
    ...w,
    name: renames.get(w.name) ?? w.name,
    props: mapTemplates(w.props, rewrite) as WidgetDoc['props'],
    children: w.children.map(copyWidget),
  });
  return widgets.map(copyWidget);
}

/** The named widgets of a page that are not inside another named one, in page order. */
function topmost(doc: AppDoc, page: string, names: readonly string[]): WidgetDoc[] {
  const p = requirePage(doc, page);
  const wanted = new Set(names);
  for (const n of names) mustWidget(doc, page, n);
  const out: WidgetDoc[] = [];
  const walk = (list: readonly WidgetDoc[]): void => {
    for (const w of list) {
      if (wanted.has(w.name)) out.push(w);
      else walk(w.children);
    }
  };
  walk(p.widgets);
  return out;
}

function mustWidget(doc: AppDoc, page: string, name: string): FoundWidget {
  return requireWidget(requirePage(doc, page), name);
}

function mustSiblings(doc: AppDoc, page: string, parent: string | null): readonly WidgetDoc[] {
  const list = childrenOf(requirePage(doc, page), parent);
  if (!list) throw new OpError(`There is no widget ${parent ?? ''} on page ${page}.`);
  return list;
}

function mustContainer(w: WidgetDoc): void {
  if (!isContainerType(w.type)) throw new OpError(`${w.name} is a ${w.type}, which cannot hold other widgets.`);
}

function mustKnowProp(w: WidgetDoc, prop: string): PropSpec {
  const spec = widgetSpec(w.type).props.find((p) => p.name === prop);
  if (!spec) throw new OpError(`A ${w.type} has no property ${prop}.`);
  return spec;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isWidgetDoc(v: unknown): v is WidgetDoc {
  if (!isRecord(v)) return false;
  const p = v.position;
  return (
    typeof v.name === 'string' &&
    typeof v.type === 'string' &&
    isRecord(p) &&
    ['col', 'row', 'width', 'height'].every((k) => typeof p[k] === 'number') &&
    isRecord(v.props) &&
    Array.isArray(v.children) &&
    (v.children as unknown[]).every(isWidgetDoc)
  );
}


// ---- page load ------------------------------------------------------------------------------

/** Adds a step (a query's name or `JsObject.function`) at the end of a page's on-load list. */
export function addOnLoadStep(doc: AppDoc, pageName: string, step: string): EditChange {
  const page = requirePage(doc, pageName);
  const problem = onLoadStepProblem(doc, step);
  if (problem) throw new OpError(problem);
  if (page.onLoad.includes(step)) throw new OpError(`${step} already runs when ${pageName} loads.`);
  return { label: `Run ${step} on load of ${pageName}`, ops: [{ kind: 'setPageOnLoad', page: pageName, steps: [...page.onLoad, step] }] };
}

export function removeOnLoadStep(doc: AppDoc, pageName: string, step: string): EditChange {
  const page = requirePage(doc, pageName);
  if (!page.onLoad.includes(step)) throw new OpError(`${step} does not run when ${pageName} loads.`);
  return {
    label: `Stop running ${step} on load of ${pageName}`,
    ops: [{ kind: 'setPageOnLoad', page: pageName, steps: page.onLoad.filter((s) => s !== step) }],
  };
}

/** Moves a step one place earlier (`up`) or later in a page's on-load list. */
export function moveOnLoadStep(doc: AppDoc, pageName: string, step: string, direction: 'up' | 'down'): EditChange {
  const page = requirePage(doc, pageName);
  const from = page.onLoad.indexOf(step);
  if (from < 0) throw new OpError(`${step} does not run when ${pageName} loads.`);
  const to = direction === 'up' ? from - 1 : from + 1;
  if (to < 0 || to >= page.onLoad.length) {
    throw new OpError(`${step} already runs ${direction === 'up' ? 'first' : 'last'} when ${pageName} loads.`);
  }
  const steps = [...page.onLoad];
  steps.splice(from, 1);
  steps.splice(to, 0, step);
  return { label: `Move ${step} ${direction} on load of ${pageName}`, ops: [{ kind: 'setPageOnLoad', page: pageName, steps }] };
}
