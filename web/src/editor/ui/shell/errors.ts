/**
 * Turning the Builder API client's failures into sentences for the builder. The client throws
 * an error with `status`, `code` and `message` (the server's JSON error); a request that never
 * got an answer is "unreachable".
 */

interface ApiFailure {
  readonly status?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly retryAfter?: unknown;
}

function failure(err: unknown): ApiFailure {
  return err !== null && typeof err === 'object' ? (err as ApiFailure) : {};
}

export function statusOf(err: unknown): number | null {
  const s = failure(err).status;
  return typeof s === 'number' ? s : null;
}

/** No answer from the server (offline, refused connection): fetch's TypeError or status 0. */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  const f = failure(err);
  return f.status === 0 || f.code === 'network_error' || f.code === 'offline' || f.code === 'unreachable';
}

/** The signed-in builder's session is gone (expired, revoked, signed out in another tab). */
export function isSignedOut(err: unknown): boolean {
  return statusOf(err) === 401;
}

/** Seconds to wait, for a 429: from `retryAfter`, else from the server's sentence. */
export function retryAfterSeconds(err: unknown): number | null {
  if (statusOf(err) !== 429) return null;
  const f = failure(err);
  if (typeof f.retryAfter === 'number' && f.retryAfter > 0) return Math.ceil(f.retryAfter);
  const m = typeof f.message === 'string' ? /(\d+)\s*s(?:econds?)?\b/.exec(f.message) : null;
  return m?.[1] ? Number(m[1]) : 60;
}

export function errorMessage(err: unknown): string {
  if (isUnreachable(err)) return 'The server cannot be reached. Check your connection and try again.';
  const m = failure(err).message;
  if (typeof m === 'string' && m !== '') return m;
  return err instanceof Error ? err.message : String(err);
}
