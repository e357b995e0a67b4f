/**
 * The viewer's HTTP calls to lowkey's platform API (docs/api.md): loading an app, and the
 * transport the runtime runs queries through. The published app is the default; the editor's
 * preview points both at the draft's endpoints instead (`fetchAppAt`, `queryTransport`).
 */

import type { Transport, TransportResponse } from '../runtime/index.ts';

export type FetchAppResult =
  | { kind: 'ok'; json: unknown }
  | { kind: 'not_found' }
  | { kind: 'http_error'; status: number; message: string }
  | { kind: 'network_error'; message: string };

/** The published app of this slug. */
export function fetchApp(slug: string): Promise<FetchAppResult> {
  return fetchAppAt(`/api/v1/apps/${encodeURIComponent(slug)}`);
}

/** An app definition in the viewer's JSON from any endpoint that answers with one. */
export async function fetchAppAt(url: string): Promise<FetchAppResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
  } catch (e) {
    return { kind: 'network_error', message: e instanceof Error ? e.message : String(e) };
  }
  const body = await readBody(response);
  if (response.status === 404) return { kind: 'not_found' };
  if (!response.ok) {
    return { kind: 'http_error', status: response.status, message: lowkeyMessage(body) ?? response.statusText };
  }
  return { kind: 'ok', json: body };
}

/** Runs queries by posting their binding values to the URL `runUrl` names for a query. */
export function queryTransport(runUrl: (appSlug: string, query: string) => string): Transport {
  return {
    async runQuery(appSlug, query, params): Promise<TransportResponse> {
      let response: Response;
      try {
        response = await fetch(runUrl(appSlug, query), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ params }),
          cache: 'no-store',
        });
      } catch {
        throw new Error('Could not reach the server. Check your connection and try again.');
      }
      return { httpStatus: response.status, body: await readBody(response) };
    },
  };
}

/** The published app's queries. */
export const transport: Transport = queryTransport(
  (appSlug, query) => `/api/v1/apps/${encodeURIComponent(appSlug)}/queries/${encodeURIComponent(query)}/run`,
);

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function lowkeyMessage(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'error' in body) {
    const err = (body as { error: unknown }).error;
    if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  }
  return undefined;
}
