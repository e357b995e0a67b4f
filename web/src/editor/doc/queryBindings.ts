/**
 * The bindings of a query as the browser must send them to the run endpoint: the server's
 * rule (crates/app/src/substitute.rs `query_bindings`), so a draft query run from the editor
 * sends exactly the values the server asks for. Trimmed codes in order of first appearance
 * (url or path, params, the datasource's headers, the query's headers, body), without
 * duplicates and without `secrets.*` (resolved on the server only).
 */

import { splitTemplate } from '../../runtime/binding.ts';
import type { AppDoc, QueryDoc } from './types.ts';

export function mentionsSecrets(code: string): boolean {
  return code === 'secrets' || code.startsWith('secrets.') || code.startsWith('secrets[') || code.startsWith('secrets?');
}

export function queryBindings(doc: AppDoc, query: QueryDoc): string[] {
  const templates: string[] = [];
  if (query.url !== undefined) templates.push(query.url);
  if (query.path !== undefined) templates.push(query.path);
  templates.push(...Object.values(query.params ?? {}));
  const ds = query.datasource === undefined ? undefined : doc.datasources.find((d) => d.name === query.datasource);
  if (ds) templates.push(...Object.values(ds.headers ?? {}));
  templates.push(...Object.values(query.headers ?? {}));
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
      if (!mentionsSecrets(code) && !out.includes(code)) out.push(code);
    }
  }
  return out;
}
