/**
 * What one Run of a draft query came to, read from the run endpoint's answer: the upstream's
 * response (whatever its status: a 404 from the API is still a response), or lowkey's refusal
 * with a sentence for the builder saying what went wrong and what to do about it. The server's
 * error codes are docs/api.md's ("POST /api/v1/apps/{slug}/queries/{name}/run", "Builder API").
 */

export type RunOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: unknown;
      readonly bodyEncoding?: 'base64';
      readonly durationMs: number;
      readonly sizeBytes: number;
    }
  | {
      readonly kind: 'error';
      /** null: no answer from lowkey at all. */
      readonly httpStatus: number | null;
      readonly code: string;
      readonly message: string;
      readonly explained: string;
    };

const utf8 = new TextEncoder();

/** Bytes of `text` in UTF-8. */
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Reads the run endpoint's answer: `httpStatus` and its parsed body. `measuredBytes` is the
 * size of what was received; without it, the size is that of the upstream body as JSON text
 * (a text body: the text itself) in UTF-8.
 */
export function outcomeOf(httpStatus: number, body: unknown, measuredBytes?: number): RunOutcome {
  if (httpStatus === 200) {
    if (isRecord(body) && typeof body.status === 'number') return responseOf(body, body.status, measuredBytes);
    return errorOutcome(httpStatus, 'bad_response', 'The server answered 200 without a response of the query.');
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  const code = typeof error?.code === 'string' ? error.code : httpStatus === 401 ? 'not_signed_in' : 'bad_response';
  let message = typeof error?.message === 'string' ? error.message : `The server answered ${httpStatus}${typeof body === 'string' && body !== '' ? `: ${body}` : '.'}`;
  const problems = isRecord(body) && Array.isArray(body.problems) ? body.problems.map(problemText).filter((p) => p !== '') : [];
  if (problems.length > 0) message = `${message}\n${problems.map((p) => `• ${p}`).join('\n')}`;
  return errorOutcome(httpStatus, code, message);
}

function responseOf(answer: Record<string, unknown>, status: number, measuredBytes: number | undefined): RunOutcome {
  const headers: Record<string, string> = {};
  if (isRecord(answer.headers)) {
    for (const [k, v] of Object.entries(answer.headers)) if (typeof v === 'string') headers[k] = v;
  }
  const base64 = answer.bodyEncoding === 'base64';
  const body = answer.body;
  const sizeBytes =
    measuredBytes ??
    (base64 && typeof body === 'string'
      ? base64Bytes(body)
      : body === undefined
        ? 0
        : utf8Length(typeof body === 'string' ? body : JSON.stringify(body)));
  return {
    kind: 'response',
    status,
    headers,
    body,
    ...(base64 ? { bodyEncoding: 'base64' as const } : {}),
    durationMs: typeof answer.durationMs === 'number' && answer.durationMs >= 0 ? answer.durationMs : 0,
    sizeBytes,
  };
}

/** The decoded size of base64 text. */
function base64Bytes(text: string): number {
  const clean = text.replace(/\s/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

/** A located problem of the draft ("pages/Login.yaml:12: …"), as the publish dialog would say it. */
function problemText(p: unknown): string {
  if (typeof p === 'string') return p;
  if (!isRecord(p) || typeof p.message !== 'string') return '';
  const where = typeof p.file === 'string' ? `${p.file}${typeof p.line === 'number' ? `:${p.line}` : ''}: ` : '';
  return `${where}${p.message}`;
}

function errorOutcome(httpStatus: number | null, code: string, message: string): RunOutcome {
  return { kind: 'error', httpStatus, code, message, explained: explain(code, message) };
}

/** No answer from lowkey at all (offline, the server stopped, the request was cut). */
export function networkOutcome(err: unknown): RunOutcome {
  const message = err instanceof Error ? err.message : String(err);
  return errorOutcome(null, 'network_error', message);
}

/** The server's message as a clause inside a sentence: without its closing full stop. */
function clause(message: string): string {
  return message.trim().replace(/\.$/, '');
}

/** What an error code means for the builder, in words, with what to do about it. */
export function explain(code: string, message: string): string {
  const m = clause(message);
  switch (code) {
    case 'address_refused':
      return `The server refused to send this request to that address: ${m}. Link-local and cloud metadata addresses are refused unless the server's configuration allows them (queries.allow_link_local); this server's own address always is.`;
    case 'upstream_timeout':
      return "No answer within the query's timeout: the service is slow or not answering. Check the URL, or give the query a longer timeout (at most 60 s).";
    case 'missing_param':
      return `A binding has no value: ${m} — give the widget a value on the canvas, or check that the binding names something that exists on this page.`;
    case 'invalid_query':
      return `After the bindings were filled in, the request is not valid: ${m} (a value made the URL or a header invalid, or a JSON body repeats a key).`;
    case 'upstream_unreachable':
      return 'The address could not be reached (connection refused or the name does not resolve). Check the URL, and that the service is running and reachable from the lowkey server.';
    case 'response_too_large':
      return "The response is larger than the server accepts (queries.max_response_bytes, 5 MiB by default): ask the API for less, with a filter or a page size.";
    case 'redirect_refused':
      return `The service answered with a redirect the server will not follow: ${m}. Use the address it redirects to.`;
    case 'invalid_app':
      return 'The draft has problems, and the server runs none of its queries until they are fixed: see the list below.';
    case 'secret_not_configured':
      return `The query uses a secret this server does not have: ${m}. Set the environment variable LOWKEY_SECRET_<NAME> on the server and restart it.`;
    case 'too_many_runs':
      return 'You already have as many queries running as the server allows one client: wait for them to finish, then run again.';
    case 'server_busy':
      return 'The server is running as many queries as it allows right now: try again in a moment.';
    case 'not_signed_in':
      return 'You are signed out (the session expired or was ended): sign in again, then run the query.';
    case 'query_not_found':
    case 'app_not_found':
      return `The server does not know this query: ${m}. The draft may not be saved yet, or the query was renamed or deleted meanwhile.`;
    case 'network_error':
      return "Lowkey's server could not be reached, so nothing was run: check your connection and that the server is running, then try again.";
    case 'bad_response':
      return `The server's answer could not be read: ${m}.`;
    default:
      return `The server did not run the query (${code}): ${m}.`;
  }
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  410: 'Gone', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** "200 OK", "418" (a code without a well-known reason). */
export function statusText(status: number): string {
  const reason = REASONS[status];
  return reason ? `${status} ${reason}` : String(status);
}

/** "850 B", "1.2 KB", "3.4 MB" (powers of 1000, as browsers' network panels count). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${round(n / 1000)} KB`;
  return `${round(n / 1_000_000)} MB`;
}

/** "0.4 ms", "12 ms", "1.25 s". */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Math.round(ms / 10) / 100} s`;
}

function round(x: number): string {
  return x < 10 ? (Math.round(x * 10) / 10).toString() : Math.round(x).toString();
}
