/**
 * The viewer's HTTP calls to lowkey's platform API (docs/api.md): loading an app, and the
 * transport the runtime runs queries through. The published app is the default; the editor's
 * preview points both at the draft's endpoints instead (`fetchAppAt`, `queryTransport`).
 *
 * A protected app's signed-in user is recognised by the token its store holds: both calls
 * send it as `Authorization: Bearer <token>` when there is one, and only then. In session mode
 * there is no token in the browser: the app's HttpOnly cookie goes with every same-origin
 * request, and query answers tell of the session in `X-Lowkey-Session`.
 */

import type { SessionHeader, Transport, TransportResponse } from '../runtime/index.ts';

export type FetchAppResult =
  | { kind: 'ok'; json: unknown }
  | { kind: 'not_found' }
  | { kind: 'http_error'; status: number; message: string }
  | { kind: 'network_error'; message: string };

/** The current token of the app's signed-in user, or undefined when there is none. */
export type TokenSource = () => string | undefined;

function withAuth(headers: Record<string, string>, token: string | undefined): Record<string, string> {
  return token === undefined || token === '' ? headers : { ...headers, Authorization: `Bearer ${token}` };
}

/** The published app of this slug, as the holder of `token` (if any) may see it. */
export function fetchApp(slug: string, token?: string): Promise<FetchAppResult> {
  return fetchAppAt(`/api/v1/apps/${encodeURIComponent(slug)}`, token);
}

/** An app definition in the viewer's JSON from any endpoint that answers with one. */
export async function fetchAppAt(url: string, token?: string): Promise<FetchAppResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: withAuth({ Accept: 'application/json' }, token),
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

/**
 * Runs queries by posting their binding values to the URL `runUrl` names for a query, with
 * the token `token` gives at the time of each run.
 */
export function queryTransport(
  runUrl: (appSlug: string, query: string) => string,
  token: TokenSource = () => undefined,
): Transport {
  return {
    async runQuery(appSlug, query, params): Promise<TransportResponse> {
      let response: Response;
      try {
        response = await fetch(runUrl(appSlug, query), {
          method: 'POST',
          headers: withAuth({ 'Content-Type': 'application/json', Accept: 'application/json' }, token()),
          body: JSON.stringify({ params }),
          cache: 'no-store',
        });
      } catch {
        throw new Error('Could not reach the server. Check your connection and try again.');
      }
      return { httpStatus: response.status, body: await readBody(response), session: sessionHeader(response) };
    },
  };
}

/** The published app's queries. */
export function publishedTransport(token: TokenSource): Transport {
  return queryTransport(
    (appSlug, query) => `/api/v1/apps/${encodeURIComponent(appSlug)}/queries/${encodeURIComponent(query)}/run`,
    token,
  );
}

const SESSION_HEADERS: readonly SessionHeader[] = ['started', 'refreshed', 'ended'];

function sessionHeader(response: Response): SessionHeader | undefined {
  const value = response.headers.get('X-Lowkey-Session')?.trim();
  return SESSION_HEADERS.find((h) => h === value);
}

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
