/**
 * Applying and inverting operations.
 *
 * `applyOp` returns a new document that shares every page, widget and list it did not touch
 * (a setProp on a 300-widget page copies the page's list of widgets along the path to the
 * widget, not the app), so the UI can compare by identity and re-render only what changed.
 * It checks only what the operation touches (the page, the widget, the names it introduces);
 * the whole app is validated by the server on save.
 *
 * An operation that does not apply throws `OpError` with a sentence for the builder, and
 * `applyChange` applies all of a change's operations or none.
 */

import { GRID_COLUMNS, isContainerType, isWidgetType } from './catalogue.ts';
import { OpError } from './errors.ts';
import { identifierProblem } from './names.ts';
import { tokenize, type Token } from './jstokens.ts';
import { allNames, codeNameProblem, nameOwner, pageIndex, pageNameProblem, requirePage as mustPage, requireWidget as mustFind, subtree } from './query.ts';
import { keepForUndo, renamePageReferences, renameReferences } from './rename.ts';
import type { AppDoc, Change, Op, PageDoc, Position, RenameKeep, WidgetDoc } from './types.ts';

export { OpError };

export function applyChange(doc: AppDoc, change: Change): AppDoc {
  // Each op returns a new document and never mutates its input, so stopping at a throwing op
  // leaves `doc` as it was: all or nothing.
  let out = doc;
  for (const op of change.ops) out = applyOp(out, op);
  return out;
}

/** The change that undoes `change`, computed against the document it applies to. */
export function invertChange(doc: AppDoc, change: Change): Change {
  return applyWithInverse(doc, change).inverse;
}

/** Applies a change (all or nothing) and returns the document with the change's inverse. */
export function applyWithInverse(doc: AppDoc, change: Change): { readonly doc: AppDoc; readonly inverse: Change } {
  const inverse: Op[] = [];
  let cur = doc;
  for (const op of change.ops) {
    inverse.push(invertOp(cur, op));
    cur = applyOp(cur, op);
  }
  return { doc: cur, inverse: { label: change.label, ops: inverse.reverse() } };
}

export function applyOp(doc: AppDoc, op: Op): AppDoc {
  switch (op.kind) {
    case 'addWidget':
      return addWidget(doc, op.page, op.parent, op.widget, op.index);
    case 'removeWidget':
      return updatePage(doc, op.page, (page) => {
        const found = mustFind(page, op.name);
        return { ...page, widgets: removeAt(page.widgets, found.path) };
      });
    case 'placeWidget':
      return placeWidget(doc, op.page, op.name, op.parent, op.position, op.index);
    case 'setProp':
      if (op.value === undefined) throw new OpError(`A property value must not be undefined (${op.prop} of ${op.widget}).`);
      return updateWidget(doc, op.page, op.widget, (w) => {
        if (Object.is(w.props[op.prop], op.value)) return w;
        return { ...w, props: setKey(w.props, op.prop, op.value, op.index) };
      });
    case 'unsetProp':
      return updateWidget(doc, op.page, op.widget, (w) => {
        if (!Object.hasOwn(w.props, op.prop)) return w;
        const props: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(w.props)) if (k !== op.prop) props[k] = v;
        return { ...w, props };
      });
    case 'renameWidget': {
      const page = mustPage(doc, op.page);
      mustFind(page, op.from);
      if (op.to === op.from) return doc;
      checkNewName(doc, op.to);
      const renamed = updateWidget(doc, op.page, op.from, (w) => ({ ...w, name: op.to }));
      return renameReferences(renamed, op.from, op.to, op.keep);
    }
    case 'addPage': {
      const problem = pageNameProblem(doc, op.page.name, undefined, op.page.slug);
      if (problem) throw new OpError(problem);
      const taken = allNames(doc);
      const names = new Set<string>();
      for (const w of op.page.widgets) for (const s of subtree(w)) checkFresh(doc, taken, names, s);
      const pages = [...doc.pages];
      pages.splice(clampIndex(op.index, pages.length), 0, op.page);
      return { ...doc, pages };
    }
    case 'removePage': {
      mustPage(doc, op.name);
      if (doc.homePage === op.name) throw new OpError(`${op.name} is the home page: make another page the home page before deleting it.`);
      return { ...doc, pages: doc.pages.filter((p) => p.name !== op.name) };
    }
    case 'renamePage': {
      mustPage(doc, op.from);
      if (op.to === op.from) return doc;
      const problem = pageNameProblem(doc, op.to, op.from);
      if (problem) throw new OpError(problem);
      const renamed = updatePage(doc, op.from, (p) => ({ ...p, name: op.to }));
      const home = renamed.homePage === op.from ? { ...renamed, homePage: op.to } : renamed;
      return renamePageReferences(home, op.from, op.to, op.keep);
    }
    case 'setPageHidden':
      return updatePage(doc, op.name, (p) => (p.hidden === op.hidden ? p : { ...p, hidden: op.hidden }));
    case 'setPageOnLoad':
      return setPageOnLoad(doc, op.page, op.steps);
    case 'setHomePage':
      mustPage(doc, op.name);
      return doc.homePage === op.name ? doc : { ...doc, homePage: op.name };
    case 'setAppName': {
      const name = op.name.trim();
      if (name === '') throw new OpError('An app needs a name.');
      return name === doc.name ? doc : { ...doc, name };
    }
    case 'setPageAccess':
      return updatePage(doc, op.page, (p) => {
        if (JSON.stringify(p.access) === JSON.stringify(op.access)) return p;
        const { access: _old, ...rest } = p;
        return op.access === undefined ? rest : { ...rest, access: op.access };
      });
    case 'setAppAuth': {
      const { auth: _old, ...rest } = doc;
      return op.auth === undefined ? rest : { ...rest, auth: op.auth };
    }
    case 'putQuery':
      return { ...doc, queries: putNamed(doc, doc.queries, op.name, op.value, op.index, 'query') };
    case 'putJsObject':
      return { ...doc, jsObjects: putNamed(doc, doc.jsObjects, op.name, op.value, op.index, 'jsObject') };
    case 'putDatasource':
      return { ...doc, datasources: putNamed(doc, doc.datasources, op.name, op.value, op.index, 'datasource') };
    case 'renameCode':
      return renameCode(doc, op.from, op.to, op.keep);
    case 'renameDatasource': {
      mustDatasource(doc, op.from);
      if (op.to === op.from) return doc;
      const problem = datasourceNameProblem(doc, op.to, op.from);
      if (problem) throw new OpError(problem);
      return {
        ...doc,
        datasources: doc.datasources.map((d) => (d.name === op.from ? { ...d, name: op.to } : d)),
        queries: doc.queries.map((q) => (q.datasource === op.from ? { ...q, datasource: op.to } : q)),
      };
    }
  }
}

/** The operation that undoes `op`, computed against the document `op` applies to. Throws
 * `OpError` when `op` does not apply to `doc`. */
export function invertOp(doc: AppDoc, op: Op): Op {
  switch (op.kind) {
    case 'addWidget':
      return { kind: 'removeWidget', page: op.page, name: op.widget.name };
    case 'removeWidget': {
      const found = mustFind(mustPage(doc, op.page), op.name);
      return { kind: 'addWidget', page: op.page, parent: found.parent?.name ?? null, widget: found.widget, index: found.index };
    }
    case 'placeWidget': {
      const found = mustFind(mustPage(doc, op.page), op.name);
      return {
        kind: 'placeWidget',
        page: op.page,
        name: op.name,
        parent: found.parent?.name ?? null,
        position: found.widget.position,
        index: found.index,
      };
    }
    case 'setProp':
    case 'unsetProp': {
      const w = mustFind(mustPage(doc, op.page), op.widget).widget;
      if (!Object.hasOwn(w.props, op.prop)) return { kind: 'unsetProp', page: op.page, widget: op.widget, prop: op.prop };
      const index = Object.keys(w.props).indexOf(op.prop);
      return { kind: 'setProp', page: op.page, widget: op.widget, prop: op.prop, value: w.props[op.prop], index };
    }
    case 'renameWidget': {
      mustFind(mustPage(doc, op.page), op.from);
      // The widget is renamed before its own references, so places are named as in `doc`.
      const keep = keepForUndo(doc, op.from, op.to, op.keep, 'name');
      return { kind: 'renameWidget', page: op.page, from: op.to, to: op.from, ...(keep ? { keep } : {}) };
    }
    case 'addPage':
      return { kind: 'removePage', name: op.page.name };
    case 'removePage': {
      const index = pageIndex(doc, op.name);
      const page = doc.pages[index];
      if (!page) throw new OpError(`There is no page ${op.name}.`);
      return { kind: 'addPage', page, index };
    }
    case 'renamePage': {
      mustPage(doc, op.from);
      const keep = keepForUndo(doc, op.from, op.to, op.keep, 'page');
      return { kind: 'renamePage', from: op.to, to: op.from, ...(keep ? { keep } : {}) };
    }
    case 'setPageHidden':
      return { kind: 'setPageHidden', name: op.name, hidden: mustPage(doc, op.name).hidden };
    case 'setPageOnLoad':
      return { kind: 'setPageOnLoad', page: op.page, steps: mustPage(doc, op.page).onLoad };
    case 'setHomePage':
      return { kind: 'setHomePage', name: doc.homePage };
    case 'setAppName':
      return { kind: 'setAppName', name: doc.name };
    case 'setPageAccess':
      return { kind: 'setPageAccess', page: op.page, access: mustPage(doc, op.page).access };
    case 'setAppAuth':
      return { kind: 'setAppAuth', auth: doc.auth };
    case 'putQuery':
      return { kind: 'putQuery', ...putInverse(doc.queries, op.name) };
    case 'putJsObject':
      return { kind: 'putJsObject', ...putInverse(doc.jsObjects, op.name) };
    case 'putDatasource':
      return { kind: 'putDatasource', ...putInverse(doc.datasources, op.name) };
    case 'renameCode': {
      if (!codeKind(doc, op.from)) throw new OpError(`There is no query or JS object ${op.from}.`);
      const keep = keepForUndo(doc, op.from, op.to, op.keep, 'name');
      return { kind: 'renameCode', from: op.to, to: op.from, ...(keep ? { keep } : {}) };
    }
    case 'renameDatasource':
      mustDatasource(doc, op.from);
      return { kind: 'renameDatasource', from: op.to, to: op.from };
  }
}

// ---- queries, JS objects and datasources ----------------------------------------------------

type Kind = 'query' | 'jsObject' | 'datasource';
const KIND_WORDS: Record<Kind, string> = { query: 'query', jsObject: 'JS object', datasource: 'datasource' };

/** `list` with the item named `name` replaced, added (at `index`) or removed (`value` null). */
function putNamed<T extends { readonly name: string }>(
  doc: AppDoc,
  list: readonly T[],
  name: string,
  value: T | null,
  index: number | undefined,
  kind: Kind,
): readonly T[] {
  const at = list.findIndex((x) => x.name === name);
  if (value === null) {
    if (at < 0) throw new OpError(`There is no ${KIND_WORDS[kind]} ${name}.`);
    return list.filter((_, i) => i !== at);
  }
  if (value.name !== name) throw new OpError(`A ${KIND_WORDS[kind]} is renamed by a rename, not by a replacement (${name} → ${value.name}).`);
  if (at >= 0) return list.map((x, i) => (i === at ? value : x));
  const problem =
    kind === 'datasource' ? datasourceNameProblem(doc, name) : codeNameProblem(doc, kind, name);
  if (problem) throw new OpError(problem);
  const out = [...list];
  out.splice(clampIndex(index, out.length), 0, value);
  return out;
}

/** The put that undoes a put on `name`: the old value in its place, or a removal. */
function putInverse<T extends { readonly name: string }>(list: readonly T[], name: string): { name: string; value: T | null; index?: number } {
  const at = list.findIndex((x) => x.name === name);
  const old = list[at];
  return old === undefined ? { name, value: null } : { name, value: old, index: at };
}

function codeKind(doc: AppDoc, name: string): 'query' | 'jsObject' | null {
  if (doc.queries.some((q) => q.name === name)) return 'query';
  if (doc.jsObjects.some((j) => j.name === name)) return 'jsObject';
  return null;
}

function renameCode(doc: AppDoc, from: string, to: string, keep: RenameKeep | undefined): AppDoc {
  const kind = codeKind(doc, from);
  if (!kind) throw new OpError(`There is no query or JS object ${from}.`);
  if (to === from) return doc;
  const problem = codeNameProblem(doc, kind, to, from);
  if (problem) throw new OpError(problem);
  const renamed: AppDoc =
    kind === 'query'
      ? { ...doc, queries: doc.queries.map((q) => (q.name === from ? { ...q, name: to } : q)) }
      : { ...doc, jsObjects: doc.jsObjects.map((j) => (j.name === from ? { ...j, name: to } : j)) };
  const steps = (s: string): string => {
    if (kind === 'query') return s === from ? to : s;
    return s.startsWith(`${from}.`) ? `${to}${s.slice(from.length)}` : s;
  };
  const pages = renamed.pages.map((p) => (p.onLoad.some((s) => steps(s) !== s) ? { ...p, onLoad: p.onLoad.map(steps) } : p));
  return renameReferences({ ...renamed, pages }, from, to, keep);
}

function mustDatasource(doc: AppDoc, name: string): void {
  if (!doc.datasources.some((d) => d.name === name)) throw new OpError(`There is no datasource ${name}.`);
}

/** Why `name` cannot name a datasource (a new one, or `except` renamed): an identifier, and
 * unique among datasources (they have a namespace of their own). */
export function datasourceNameProblem(doc: AppDoc, name: string, except?: string): string | null {
  const problem = identifierProblem(name);
  if (problem) return problem;
  if (doc.datasources.some((d) => d.name === name && d.name !== except)) return `There is already a datasource named ${name}.`;
  return null;
}

// ---- page load ----------------------------------------------------------------------------

function setPageOnLoad(doc: AppDoc, pageName: string, steps: readonly string[]): AppDoc {
  const seen = new Set<string>();
  for (const step of steps) {
    const problem = onLoadStepProblem(doc, step);
    if (problem) throw new OpError(problem);
    if (seen.has(step)) throw new OpError(`${step} is already in ${pageName}'s on-load list.`);
    seen.add(step);
  }
  return updatePage(doc, pageName, (p) =>
    p.onLoad.length === steps.length && p.onLoad.every((s, i) => s === steps[i]) ? p : { ...p, onLoad: [...steps] },
  );
}

/** Why `step` cannot be an on-load step of this app (the server's rule, crates/app/src/load.rs:
 * a query's name, or `JsObject.function` for a function of that JS object), or null. */
export function onLoadStepProblem(doc: AppDoc, step: string): string | null {
  const dot = step.indexOf('.');
  if (dot < 0) {
    if (doc.queries.some((q) => q.name === step)) return null;
    if (doc.jsObjects.some((o) => o.name === step)) return `${step} is a JS object: choose one of its functions.`;
    return `There is no query ${step}.`;
  }
  const objName = step.slice(0, dot);
  const fnName = step.slice(dot + 1);
  const obj = doc.jsObjects.find((o) => o.name === objName);
  if (!obj) return `There is no JS object ${objName}.`;
  if (!jsFunctions(obj.source).includes(fnName)) return `JS object ${objName} has no function ${fnName}.`;
  return null;
}

/** Every step the app offers for page load: its queries, then each JS object's functions. */
export function onLoadChoices(doc: AppDoc): string[] {
  return [
    ...doc.queries.map((q) => q.name),
    ...doc.jsObjects.flatMap((o) => jsFunctions(o.source).map((f) => `${o.name}.${f}`)),
  ];
}

/**
 * The functions of a JS object's source, in order: the members of its `export default { … }`
 * whose value is a function — a method (`f() {}`, `async f() {}`, `*f() {}`) or a key whose
 * value is a function or arrow expression (`f: function () {}`, `f: async (a) => a`,
 * `f: x => x`). Getters, setters and other values are not functions. The server's rule
 * (crates/app/src/js.rs, `parse_js_object`), read from tokens: a source it cannot read has none.
 */
export function jsFunctions(source: string): string[] {
  const tokens = tokenize(source);
  const at = (k: number): Token | undefined => tokens[k];
  const is = (k: number, text: string): boolean => {
    const t = at(k);
    return t !== undefined && t.kind === 'punct' && t.text === text;
  };
  const word = (k: number, text: string): boolean => at(k)?.kind === 'ident' && at(k)?.text === text;
  if (!word(0, 'export') || !word(1, 'default') || !is(2, '{')) return [];
  /** The index after the bracket that closes the one at `k`. */
  const skipGroup = (k: number): number => {
    let depth = 0;
    for (let i = k; i < tokens.length; i++) {
      const t = at(i);
      if (t?.kind !== 'punct') continue;
      if (t.text === '{' || t.text === '(' || t.text === '[') depth++;
      else if (t.text === '}' || t.text === ')' || t.text === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return tokens.length;
  };
  /** Whether the value starting at `k` is a function or arrow expression. */
  const isFunctionValue = (k: number): boolean => {
    let i = k;
    if (word(i, 'async') && !is(i + 1, ',') && !is(i + 1, '}')) i++;
    if (word(i, 'function')) return true;
    if (at(i)?.kind === 'ident') return is(i + 1, '=>');
    if (is(i, '(')) return is(skipGroup(i), '=>');
    return false;
  };
  const names: string[] = [];
  let k = 3;
  while (k < tokens.length && !is(k, '}')) {
    let i = k;
    let method = false;
    const keyLike = (j: number): boolean => at(j)?.kind === 'ident' || at(j)?.kind === 'string' || is(j, '*');
    if ((word(i, 'get') || word(i, 'set')) && (at(i + 1)?.kind === 'ident' || at(i + 1)?.kind === 'string')) {
      i += 2; // an accessor: a member, not a function
    } else {
      if (word(i, 'async') && keyLike(i + 1)) i++;
      if (is(i, '*')) i++;
      const key = at(i);
      const name = key?.kind === 'string' ? key.text.slice(1, -1) : key?.kind === 'ident' ? key.text : undefined;
      i++;
      if (name !== undefined && is(i, '(')) method = true;
      else if (name !== undefined && is(i, ':') && isFunctionValue(i + 1)) method = true;
      if (method && name !== undefined) names.push(name);
    }
    // Skip to the `,` or `}` that ends this member at the object's own depth.
    while (i < tokens.length && !is(i, ',') && !is(i, '}')) {
      const t = at(i);
      i = t?.kind === 'punct' && (t.text === '{' || t.text === '(' || t.text === '[') ? skipGroup(i) : i + 1;
    }
    k = is(i, ',') ? i + 1 : i;
  }
  return names;
}

// ---- widgets ------------------------------------------------------------------------------

function addWidget(doc: AppDoc, pageName: string, parent: string | null, widget: WidgetDoc, index?: number): AppDoc {
  const page = mustPage(doc, pageName);
  const taken = allNames(doc);
  const names = new Set<string>();
  for (const w of subtree(widget)) checkFresh(doc, taken, names, w);
  checkPosition(widget.position);
  if (parent === null) {
    const widgets = [...page.widgets];
    widgets.splice(clampIndex(index, widgets.length), 0, widget);
    return replacePage(doc, page, { ...page, widgets });
  }
  const target = mustFind(page, parent);
  mustBeContainer(target.widget);
  return replacePage(doc, page, {
    ...page,
    widgets: updateAt(page.widgets, target.path, (p) => {
      const children = [...p.children];
      children.splice(clampIndex(index, children.length), 0, widget);
      return { ...p, children };
    }),
  });
}

function placeWidget(doc: AppDoc, pageName: string, name: string, parent: string | null, position: Position, index?: number): AppDoc {
  const page = mustPage(doc, pageName);
  const found = mustFind(page, name);
  checkPosition(position);
  const oldParent = found.parent?.name ?? null;
  if (parent === oldParent && (index === undefined || index === found.index)) {
    if (samePosition(found.widget.position, position)) return doc;
    return replacePage(doc, page, { ...page, widgets: updateAt(page.widgets, found.path, (w) => ({ ...w, position })) });
  }
  if (parent !== null) {
    if (subtree(found.widget).some((w) => w.name === parent)) {
      throw new OpError(`${name} cannot be placed inside itself.`);
    }
    mustBeContainer(mustFind(page, parent).widget);
  }
  const moved: WidgetDoc = { ...found.widget, position };
  const without = removeAt(page.widgets, found.path);
  const pageWithout: PageDoc = { ...page, widgets: without };
  let widgets: readonly WidgetDoc[];
  if (parent === null) {
    const list = [...without];
    list.splice(clampIndex(index, list.length), 0, moved);
    widgets = list;
  } else {
    const target = mustFind(pageWithout, parent);
    widgets = updateAt(without, target.path, (p) => {
      const children = [...p.children];
      children.splice(clampIndex(index, children.length), 0, moved);
      return { ...p, children };
    });
  }
  return replacePage(doc, page, { ...page, widgets });
}

function checkFresh(doc: AppDoc, taken: ReadonlySet<string>, adding: Set<string>, w: WidgetDoc): void {
  if (!isWidgetType(w.type)) throw new OpError(`There is no widget type ${String(w.type)}.`);
  const problem = identifierProblem(w.name);
  if (problem) throw new OpError(problem);
  if (taken.has(w.name)) throw new OpError(`"${w.name}" is already the name of ${nameOwner(doc, w.name) ?? 'something else'}.`);
  if (adding.has(w.name)) throw new OpError(`Two new widgets are both named ${w.name}.`);
  adding.add(w.name);
  if (w.children.length > 0 && !isContainerType(w.type)) throw new OpError(`A ${w.type} cannot hold other widgets.`);
}

function checkNewName(doc: AppDoc, name: string): void {
  const problem = identifierProblem(name);
  if (problem) throw new OpError(problem);
  const owner = nameOwner(doc, name);
  if (owner) throw new OpError(`"${name}" is already the name of ${owner}.`);
}

/** The server's rule (crates/app/src/load.rs): whole numbers, at least 1×1, inside the grid's
 * columns (rows are unbounded). */
function checkPosition(p: Position): void {
  const ok = [p.col, p.row, p.width, p.height].every((n) => Number.isInteger(n) && n >= 0);
  if (!ok || p.width < 1 || p.height < 1) {
    throw new OpError(`A position needs whole numbers, and a width and height of at least 1 (got ${JSON.stringify(p)}).`);
  }
  if (p.col + p.width > GRID_COLUMNS) {
    throw new OpError(`A widget must fit the grid's ${GRID_COLUMNS} columns (column ${p.col} + width ${p.width} is more).`);
  }
}

function samePosition(a: Position, b: Position): boolean {
  return a.col === b.col && a.row === b.row && a.width === b.width && a.height === b.height;
}

function mustBeContainer(w: WidgetDoc): void {
  if (!isContainerType(w.type)) throw new OpError(`${w.name} is a ${w.type}, which cannot hold other widgets.`);
}

// ---- immutable updates ----------------------------------------------------------------------

function replacePage(doc: AppDoc, old: PageDoc, page: PageDoc): AppDoc {
  return { ...doc, pages: doc.pages.map((p) => (p === old ? page : p)) };
}

function updatePage(doc: AppDoc, name: string, f: (p: PageDoc) => PageDoc): AppDoc {
  const page = mustPage(doc, name);
  const next = f(page);
  return next === page ? doc : replacePage(doc, page, next);
}

function updateWidget(doc: AppDoc, pageName: string, name: string, f: (w: WidgetDoc) => WidgetDoc): AppDoc {
  return updatePage(doc, pageName, (page) => {
    const found = mustFind(page, name);
    const next = f(found.widget);
    if (next === found.widget) return page;
    return { ...page, widgets: updateAt(page.widgets, found.path, () => next) };
  });
}

/** A copy of `list` with the widget at `path` replaced by `f(widget)`; only the lists along the
 * path are copied. */
function updateAt(list: readonly WidgetDoc[], path: readonly number[], f: (w: WidgetDoc) => WidgetDoc): readonly WidgetDoc[] {
  const [i, ...rest] = path;
  if (i === undefined) return list;
  const w = list[i];
  if (!w) return list;
  const next = rest.length === 0 ? f(w) : { ...w, children: updateAt(w.children, rest, f) };
  const out = [...list];
  out[i] = next;
  return out;
}

function removeAt(list: readonly WidgetDoc[], path: readonly number[]): readonly WidgetDoc[] {
  const [i, ...rest] = path;
  if (i === undefined) return list;
  if (rest.length === 0) return list.filter((_, k) => k !== i);
  const w = list[i];
  if (!w) return list;
  const out = [...list];
  out[i] = { ...w, children: removeAt(w.children, rest) };
  return out;
}

function clampIndex(index: number | undefined, length: number): number {
  if (index === undefined || !Number.isInteger(index)) return length;
  return Math.max(0, Math.min(length, index));
}

/** `props` with `key` set; a new key goes at `index` (default: last), an existing one keeps its
 * place, so the saved file's key order follows the builder's edits. */
function setKey(props: Readonly<Record<string, unknown>>, key: string, value: unknown, index?: number): Record<string, unknown> {
  if (Object.hasOwn(props, key) || index === undefined) return { ...props, [key]: value };
  const entries = Object.entries(props);
  entries.splice(clampIndex(index, entries.length), 0, [key, value]);
  return Object.fromEntries(entries);
}
