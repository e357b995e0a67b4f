/**
 * Command builders for the app's code: queries, JS objects and datasources (the counterpart
 * of commands.ts for widgets and pages). Each returns the `Change` that does one thing a
 * builder asks for, with the label undo shows, or throws `OpError` with a sentence.
 *
 * Edits put a whole new value (`putQuery`…): the history merges consecutive edits of one
 * field of one item (the label names the field), so typing a path is one undo step.
 */

import { authQueries } from './access.ts';
import { OpError } from './errors.ts';
import { datasourceNameProblem, jsFunctions } from './ops.ts';
import { allNames, codeNameProblem, copyName } from './query.ts';
import type { AppDoc, DatasourceDoc, JsObjectDoc, Op, QueryDoc } from './types.ts';
import type { EditChange } from './commands.ts';

// ---- queries ------------------------------------------------------------------------------

export function findQuery(doc: AppDoc, name: string): QueryDoc | undefined {
  return doc.queries.find((q) => q.name === name);
}

function mustQuery(doc: AppDoc, name: string): QueryDoc {
  const q = findQuery(doc, name);
  if (!q) throw new OpError(`There is no query ${name}.`);
  return q;
}

/** A fresh name `<base><n>` free in the shared namespace. */
function freshName(doc: AppDoc, base: string, kind: 'query' | 'jsObject'): string {
  for (let n = 1; ; n++) {
    const name = `${base}${n}`;
    if (codeNameProblem(doc, kind, name) === null) return name;
  }
}

/** A new GET query: on the app's first datasource (path "/") when it has one, else an
 * absolute URL for the builder to fill in. */
export function addQuery(doc: AppDoc): EditChange & { readonly name: string } {
  const name = freshName(doc, 'Query', 'query');
  const ds = doc.datasources[0];
  const value: QueryDoc = ds
    ? { name, datasource: ds.name, path: '/', method: 'GET' }
    : { name, url: 'https://', method: 'GET' };
  return { label: `Add ${name}`, ops: [{ kind: 'putQuery', name, value }], name };
}

export function duplicateQuery(doc: AppDoc, name: string): EditChange & { readonly name: string } {
  const q = mustQuery(doc, name);
  const copy = copyName(name, allNames(doc));
  const index = doc.queries.indexOf(q) + 1;
  return { label: `Duplicate ${name}`, ops: [{ kind: 'putQuery', name: copy, value: { ...q, name: copy }, index }], name: copy };
}

/** Deletes a query, and its steps from every page's on-load list. */
export function removeQuery(doc: AppDoc, name: string): EditChange {
  mustQuery(doc, name);
  // The sign-in would name a query that is gone: the server would refuse the app.
  const role = authQueries(doc).get(name);
  if (role !== undefined) throw new OpError(`${name} ${role}: choose another in the sign-in settings before deleting it.`);
  return { label: `Delete ${name}`, ops: [...withoutOnLoadSteps(doc, (s) => s === name), { kind: 'putQuery', name, value: null }] };
}

export function renameCode(doc: AppDoc, from: string, to: string): EditChange {
  const trimmed = to.trim();
  const kind = doc.queries.some((q) => q.name === from) ? 'query' : 'jsObject';
  const problem = codeNameProblem(doc, kind, trimmed, from);
  if (problem) throw new OpError(problem);
  return { label: `Rename ${from} to ${trimmed}`, ops: trimmed === from ? [] : [{ kind: 'renameCode', from, to: trimmed }] };
}

/** The fields a builder edits one at a time; `field` names the edit for undo ("path"). */
export type QueryPatch = { readonly [K in Exclude<keyof QueryDoc, 'name'>]?: QueryDoc[K] | undefined };

/**
 * Sets fields of a query; a field set to undefined is removed (an empty params list, no
 * body). Choosing a datasource drops the absolute URL and the other way round.
 */
export function updateQuery(doc: AppDoc, name: string, patch: QueryPatch, field: string): EditChange {
  const q = mustQuery(doc, name);
  const merged: Record<string, unknown> = { ...q };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  if ('datasource' in patch && patch.datasource !== undefined) {
    delete merged.url;
    if (merged.path === undefined) merged.path = '/';
  }
  if ('url' in patch && patch.url !== undefined) {
    delete merged.datasource;
    delete merged.path;
  }
  return { label: `Edit ${name} ${field}`, ops: [{ kind: 'putQuery', name, value: merged as unknown as QueryDoc }] };
}

// ---- JS objects ---------------------------------------------------------------------------

export function findJsObject(doc: AppDoc, name: string): JsObjectDoc | undefined {
  return doc.jsObjects.find((j) => j.name === name);
}

function mustJsObject(doc: AppDoc, name: string): JsObjectDoc {
  const j = findJsObject(doc, name);
  if (!j) throw new OpError(`There is no JS object ${name}.`);
  return j;
}

/** What a new JS object starts with: one empty function to write in. */
export const NEW_JS_SOURCE = 'export default {\n  myFun1() {\n    \n  },\n};\n';

export function addJsObject(doc: AppDoc): EditChange & { readonly name: string } {
  const name = freshName(doc, 'JSObject', 'jsObject');
  return { label: `Add ${name}`, ops: [{ kind: 'putJsObject', name, value: { name, source: NEW_JS_SOURCE } }], name };
}

export function setJsSource(doc: AppDoc, name: string, source: string): EditChange {
  mustJsObject(doc, name);
  return { label: `Edit ${name} code`, ops: [{ kind: 'putJsObject', name, value: { name, source } }] };
}

export function duplicateJsObject(doc: AppDoc, name: string): EditChange & { readonly name: string } {
  const j = mustJsObject(doc, name);
  const copy = copyName(name, allNames(doc));
  const index = doc.jsObjects.indexOf(j) + 1;
  return { label: `Duplicate ${name}`, ops: [{ kind: 'putJsObject', name: copy, value: { ...j, name: copy }, index }], name: copy };
}

/** Deletes a JS object, and its functions from every page's on-load list. */
export function removeJsObject(doc: AppDoc, name: string): EditChange {
  mustJsObject(doc, name);
  return {
    label: `Delete ${name}`,
    ops: [...withoutOnLoadSteps(doc, (s) => s.startsWith(`${name}.`)), { kind: 'putJsObject', name, value: null }],
  };
}

/** The functions of a JS object (in source order), as the server reads them. */
export function functionsOf(doc: AppDoc, name: string): string[] {
  const j = findJsObject(doc, name);
  return j ? jsFunctions(j.source) : [];
}

// ---- datasources --------------------------------------------------------------------------

export function findDatasource(doc: AppDoc, name: string): DatasourceDoc | undefined {
  return doc.datasources.find((d) => d.name === name);
}

function mustDatasource(doc: AppDoc, name: string): DatasourceDoc {
  const d = findDatasource(doc, name);
  if (!d) throw new OpError(`There is no datasource ${name}.`);
  return d;
}

export function addDatasource(doc: AppDoc): EditChange & { readonly name: string } {
  let name = 'api';
  for (let n = 1; datasourceNameProblem(doc, name) !== null; n++) name = `api${n}`;
  return { label: `Add datasource ${name}`, ops: [{ kind: 'putDatasource', name, value: { name, url: 'https://' } }], name };
}

export function updateDatasource(doc: AppDoc, name: string, patch: { url?: string; headers?: Record<string, string> }, field: string): EditChange {
  const d = mustDatasource(doc, name);
  const next: Record<string, unknown> = { ...d };
  if (patch.url !== undefined) next.url = patch.url;
  if (patch.headers !== undefined) {
    if (Object.keys(patch.headers).length === 0) delete next.headers;
    else next.headers = patch.headers;
  }
  return { label: `Edit datasource ${name} ${field}`, ops: [{ kind: 'putDatasource', name, value: next as unknown as DatasourceDoc }] };
}

export function renameDatasource(doc: AppDoc, from: string, to: string): EditChange {
  const trimmed = to.trim();
  mustDatasource(doc, from);
  const problem = datasourceNameProblem(doc, trimmed, from);
  if (problem) throw new OpError(problem);
  return { label: `Rename datasource ${from} to ${trimmed}`, ops: trimmed === from ? [] : [{ kind: 'renameDatasource', from, to: trimmed }] };
}

/** Deletes a datasource no query uses (a used one is refused, naming the queries). */
export function removeDatasource(doc: AppDoc, name: string): EditChange {
  mustDatasource(doc, name);
  const users = doc.queries.filter((q) => q.datasource === name).map((q) => q.name);
  if (users.length > 0) {
    throw new OpError(`${users.join(', ')} ${users.length === 1 ? 'uses' : 'use'} ${name}: point ${users.length === 1 ? 'it' : 'them'} elsewhere first.`);
  }
  return { label: `Delete datasource ${name}`, ops: [{ kind: 'putDatasource', name, value: null }] };
}

// ---- headers --------------------------------------------------------------------------------

/** Headers the server sets itself and refuses in a query or datasource (docs/app-format.md,
 * "What bindings may not do"). */
const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer',
  'upgrade', 'expect', 'proxy-authorization', 'proxy-authenticate', 'x-lowkey-hop',
]);

/** Why a header of this name cannot be in a query or datasource, or null. */
export function headerProblem(key: string): string | null {
  return FRAMING_HEADERS.has(key.toLowerCase()) ? `The server sets ${key} itself: a query may not.` : null;
}

// ---- run behaviour --------------------------------------------------------------------------

/** Whether `step` (a query's name or `JsObject.function`) runs when `page` loads. */
export function runsOnLoad(doc: AppDoc, page: string, step: string): boolean {
  return doc.pages.find((p) => p.name === page)?.onLoad.includes(step) ?? false;
}

function withoutOnLoadSteps(doc: AppDoc, drop: (step: string) => boolean): Op[] {
  return doc.pages
    .filter((p) => p.onLoad.some(drop))
    .map((p): Op => ({ kind: 'setPageOnLoad', page: p.name, steps: p.onLoad.filter((s) => !drop(s)) }));
}
