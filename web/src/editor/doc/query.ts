/**
 * Reading a document: pages and widgets by name, the names in use, fresh names.
 *
 * Names follow the server's rule (crates/app/src/load.rs): widgets of every page, queries and
 * JS objects share one namespace (a binding reaches each of them by its bare name); pages have
 * their own, since code names a page only inside a string (`navigateTo('Dashboard')`), and two
 * pages may not share a URL slug either. Pages, queries and JS objects are files of an exported
 * folder: two of one kind may not differ only in letter case.
 */

import { OpError } from './errors.ts';
import { identifierProblem, kebabCase, MAX_SLUG_LENGTH, pageIdentifierProblem, pageNameIssue } from './names.ts';
import type { AppDoc, PageDoc, WidgetDoc, WidgetType } from './types.ts';

export function findPage(doc: AppDoc, name: string): PageDoc | undefined {
  return doc.pages.find((p) => p.name === name);
}

export function pageIndex(doc: AppDoc, name: string): number {
  return doc.pages.findIndex((p) => p.name === name);
}

/** The page named `name`, or an OpError saying there is none. */
export function requirePage(doc: AppDoc, name: string): PageDoc {
  const page = findPage(doc, name);
  if (!page) throw new OpError(`There is no page ${name}.`);
  return page;
}

/** The widget named `name` on `page`, or an OpError saying there is none. */
export function requireWidget(page: PageDoc, name: string): FoundWidget {
  const found = findWidget(page, name);
  if (!found) throw new OpError(`There is no widget ${name} on page ${page.name}.`);
  return found;
}

/** A widget and where it sits: its parent (null: the page's grid), its index among its siblings
 * and the path of indices from the page's widget list down to it. */
export interface FoundWidget {
  readonly widget: WidgetDoc;
  readonly parent: WidgetDoc | null;
  readonly index: number;
  readonly path: readonly number[];
}

export function findWidget(page: PageDoc, name: string): FoundWidget | undefined {
  const walk = (list: readonly WidgetDoc[], parent: WidgetDoc | null, prefix: readonly number[]): FoundWidget | undefined => {
    for (let i = 0; i < list.length; i++) {
      const w = list[i];
      if (!w) continue;
      if (w.name === name) return { widget: w, parent, index: i, path: [...prefix, i] };
      if (w.children.length > 0) {
        const found = walk(w.children, w, [...prefix, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(page.widgets, null, []);
}

/** Finds a widget on any page. */
export function findWidgetInApp(doc: AppDoc, name: string): (FoundWidget & { readonly page: PageDoc }) | undefined {
  for (const page of doc.pages) {
    const found = findWidget(page, name);
    if (found) return { ...found, page };
  }
  return undefined;
}

/** The widgets of a page, depth first (a container before its children). */
export function widgetsOf(page: PageDoc): WidgetDoc[] {
  const out: WidgetDoc[] = [];
  const walk = (list: readonly WidgetDoc[]): void => {
    for (const w of list) {
      out.push(w);
      walk(w.children);
    }
  };
  walk(page.widgets);
  return out;
}

/** A widget and everything inside it, depth first. */
export function subtree(widget: WidgetDoc): WidgetDoc[] {
  const out: WidgetDoc[] = [widget];
  for (const c of widget.children) out.push(...subtree(c));
  return out;
}

/** The siblings a widget placed in `parent` would share the grid with. */
export function childrenOf(page: PageDoc, parent: string | null): readonly WidgetDoc[] | undefined {
  if (parent === null) return page.widgets;
  return findWidget(page, parent)?.widget.children;
}

/** Every name of the shared namespace: widgets of every page, queries and JS objects. */
export function allNames(doc: AppDoc): Set<string> {
  const names = new Set<string>();
  for (const page of doc.pages) for (const w of widgetsOf(page)) names.add(w.name);
  for (const q of doc.queries) names.add(q.name);
  for (const j of doc.jsObjects) names.add(j.name);
  return names;
}

/** What already carries `name` in the shared namespace, in words ("the widget Input1 on page
 * Home"), or null when the name is free. */
export function nameOwner(doc: AppDoc, name: string): string | null {
  const w = findWidgetInApp(doc, name);
  if (w) return `the widget ${name} on page ${w.page.name}`;
  if (doc.queries.some((q) => q.name === name)) return `the query ${name}`;
  if (doc.jsObjects.some((j) => j.name === name)) return `the JS object ${name}`;
  return null;
}

/**
 * The first free name `<prefix><n>` (n from 1): "Input1", "Input2"… The prefix is the widget
 * type; `taken` adds names reserved by the caller (widgets being added in the same change).
 */
export function uniqueWidgetName(doc: AppDoc, type: WidgetType | string, taken: ReadonlySet<string> = new Set()): string {
  return uniqueName(type, mergedNames(doc, taken));
}

/** A fresh name derived from an existing one for a copy: `inp_username` → `inp_username2`,
 * `Input1` → `Input2`. */
export function copyName(name: string, used: ReadonlySet<string>): string {
  const m = /^(.*?)(\d+)$/.exec(name);
  const stem = m?.[1] !== undefined && m[1] !== '' ? m[1] : name;
  const start = m?.[1] !== undefined && m[1] !== '' ? Number(m[2]) + 1 : 2;
  for (let n = start; ; n++) {
    const candidate = `${stem}${n}`;
    if (!used.has(candidate) && identifierProblem(candidate) === null) return candidate;
  }
}

function uniqueName(prefix: string, used: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const candidate = `${prefix}${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

function mergedNames(doc: AppDoc, extra: ReadonlySet<string>): Set<string> {
  const names = allNames(doc);
  for (const n of extra) names.add(n);
  return names;
}

// ---- pages --------------------------------------------------------------------------------

/** A page's URL segment: its slug, or its name in kebab case. */
export function pageSlug(page: Pick<PageDoc, 'name' | 'slug'>): string {
  return page.slug ?? kebabCase(page.name);
}

/** The first free page name `<base><n>` ("Page2" when "Page1" exists), with a free slug. */
export function uniquePageName(doc: AppDoc, base = 'Page'): string {
  for (let n = 1; ; n++) {
    const candidate = `${base}${n}`;
    if (pageNameProblem(doc, candidate) === null) return candidate;
  }
}

/**
 * Why `name` cannot name a page of `doc` (a new page, or `except` renamed); null when it can.
 * The server's rule (crates/app/src/load.rs): an identifier; when the page has no slug of its
 * own (`slug`, for a new page; a renamed page keeps its own), one whose kebab case is a valid
 * URL slug; no other page of that name in any letter case (pages are files of an exported
 * folder, and some file systems ignore case) or of that URL slug.
 */
export function pageNameProblem(doc: AppDoc, name: string, except?: string, slug?: string): string | null {
  const ownSlug = except === undefined ? slug : findPage(doc, except)?.slug;
  const problem = ownSlug === undefined ? derivedSlugProblem(name) : identifierProblem(name);
  if (problem) return problem;
  const url = ownSlug ?? kebabCase(name);
  for (const p of doc.pages) {
    if (p.name === except) continue;
    if (p.name === name) return `There is already a page named ${name}.`;
    if (p.name.toLowerCase() === name.toLowerCase()) return `The page ${p.name} differs from "${name}" only in letter case.`;
    if (pageSlug(p) === url) return `The page ${p.name} already has the URL /${url}.`;
  }
  return null;
}

/** `pageIdentifierProblem`, saying so when a name gives a URL slug, but one too long. */
function derivedSlugProblem(name: string): string | null {
  const url = kebabCase(name);
  if (pageNameIssue(name) !== 'no_slug' || url === '') return pageIdentifierProblem(name);
  return `The URL of the page "${name}" would be /${url}, longer than ${MAX_SLUG_LENGTH} characters.`;
}

// ---- queries and JS objects ---------------------------------------------------------------

/**
 * Why `name` cannot name a query (`kind` 'query') or a JS object of `doc` (a new one, or
 * `except` renamed); null when it can: an identifier, free in the shared namespace, and no
 * other of its kind whose name differs only in letter case (each is a file of the exported
 * folder, `queries/<name>.yaml` or `js/<name>.js`, and some file systems ignore case).
 */
export function codeNameProblem(doc: AppDoc, kind: 'query' | 'jsObject', name: string, except?: string): string | null {
  const problem = identifierProblem(name);
  if (problem) return problem;
  const owner = name === except ? null : nameOwner(doc, name);
  if (owner) return `"${name}" is already the name of ${owner}.`;
  const lower = name.toLowerCase();
  const twin = (kind === 'query' ? doc.queries : doc.jsObjects).find((o) => o.name !== except && o.name.toLowerCase() === lower);
  if (twin) return `The ${kind === 'query' ? 'query' : 'JS object'} ${twin.name} differs from "${name}" only in letter case.`;
  return null;
}
