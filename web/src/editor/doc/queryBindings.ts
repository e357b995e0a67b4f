/**
 * The bindings of a query as the browser must send them to the run endpoint: the server's
 * rule (crates/app/src/substitute.rs `query_bindings`), so a draft query run from the editor
 * sends exactly the values the server asks for. Trimmed codes in order of first appearance
 * (url or path, params, the datasource's headers, the query's headers, basicAuth's username and
 * password, body), without
 * duplicates and without `secrets.*` and `session.*` (resolved on the server only: the browser
 * never sends nor receives their values).
 */

import { splitTemplate } from '../../runtime/binding.ts';
import type { AppDoc, QueryDoc } from './types.ts';

/** Whether a binding's code starts with the global `root` (`secrets`, `secrets.KEY`, `secrets['KEY']`, `secrets?.KEY`). */
function mentions(code: string, root: string): boolean {
  if (!code.startsWith(root)) return false;
  const next = code.charAt(root.length);
  return next === '' || next === '.' || next === '[' || next === '?';
}

/** Bindings whose values only the server has: `{{secrets.NAME}}` and, in session mode,
 * `{{session.accessToken}}` / `{{session.refreshToken}}`. */
export function resolvedOnServer(code: string): boolean {
  return mentions(code, 'secrets') || mentions(code, 'session');
}

export function queryBindings(doc: AppDoc, query: QueryDoc): string[] {
  const templates: string[] = [];
  if (query.url !== undefined) templates.push(query.url);
  if (query.path !== undefined) templates.push(query.path);
  templates.push(...Object.values(query.params ?? {}));
  const ds = query.datasource === undefined ? undefined : doc.datasources.find((d) => d.name === query.datasource);
  if (ds) templates.push(...Object.values(ds.headers ?? {}));
  templates.push(...Object.values(query.headers ?? {}));
  if (query.basicAuth) templates.push(query.basicAuth.username, query.basicAuth.password);
  const body = query.body;
  if (body) {
    if (body.type === 'form') templates.push(...Object.values(body.content));
    else templates.push(body.content);
  }
  const out: string[] = [];
  for (const t of templates) {
    const split = splitTemplate(t);
    // The server skips a template with an unclosed `{{` altogether.
    if (split.unclosedAt !== undefined) continue;
    for (const s of split.segments) {
      if (s.kind !== 'binding') continue;
      const code = s.code.trim();
      if (!resolvedOnServer(code) && !out.includes(code)) out.push(code);
    }
  }
  return out;
}
