/**
 * The editor's client of the Builder API (docs/api.md): builder sign-in, apps, drafts,
 * publishing and versions, over `fetch`.
 *
 * Every request stays on this origin with its cookie (`credentials: 'same-origin'`); every
 * request with a body sends `content-type: application/json`, which together with the Origin
 * header the browser adds is what the server's CSRF check asks for. Failures are `ApiError`s
 * carrying the HTTP status, the server's error code and its message (docs/api.md: `{"error":
 * {"code", "message"}}`) — except the draft write, whose outcomes (saved, conflict, refused,
 * offline) are ordinary results for autosave.
 */

import type { AppDoc, DraftApi, DraftSnapshot, Problem, PutDraftResult } from './doc/types.ts';

export interface Builder {
  readonly id: string;
  readonly email: string;
  readonly role: string;
}

export interface AppSummary {
  readonly slug: string;
  readonly name: string;
  readonly revision: number;
  readonly draftUpdatedAt: string;
  readonly publishedVersion: number | null;
  readonly publishedAt: string | null;
}

export interface CreatedApp extends DraftSnapshot {
  readonly slug: string;
  readonly name: string;
}

export interface Published {
  readonly version: number;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

/** A published version in the list of versions. */
export type PublishedVersion = Published;

/** A request the server refused, or could not be made (`status` 0: the network failed). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The validator's problems (a publish refused with 422 `invalid_app`). */
    readonly problems: readonly Problem[] = [],
    /** Seconds to wait before trying again (429's Retry-After). */
    readonly retryAfter: number | null = null,
    /** The whole JSON answer (a conflict's current draft), or null. */
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  /** Prefix of every path ('' on this origin). */
  readonly base?: string;
  readonly fetch?: typeof fetch;
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export function createBuilderApi(options: ApiOptions = {}) {
  const base = options.base ?? '';
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : JSON_HEADERS,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    try {
      return await doFetch(`${base}${path}`, init);
    } catch {
      throw new ApiError(0, 'offline', 'The server cannot be reached.');
    }
  }

  /** The JSON body of a successful answer, or the ApiError of a failed one. */
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await send(method, path, body);
    if (!res.ok) throw await errorOf(res);
    if (res.status === 204) return null;
    return readJson(res);
  }

  const app = (slug: string): string => `/api/v1/edit/apps/${encodeURIComponent(slug)}`;

  return {
    /** Signs a builder in; the session is an HttpOnly cookie the browser keeps. */
    async signIn(email: string, password: string): Promise<Builder> {
      const body = await call('POST', '/api/v1/builder/session', { email, password });
      return builderOf(field(body, 'builder'));
    },
    /** The signed-in builder, or null when there is none. */
    async currentBuilder(): Promise<Builder | null> {
      try {
        return builderOf(field(await call('GET', '/api/v1/builder/session'), 'builder'));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    async signOut(): Promise<void> {
      await call('DELETE', '/api/v1/builder/session');
    },

    async listApps(): Promise<AppSummary[]> {
      const apps = field(await call('GET', '/api/v1/edit/apps'), 'apps');
      return arrayOf(apps).map(appSummaryOf);
    },
    async createApp(name: string, slug?: string): Promise<CreatedApp> {
      const body = await call('POST', '/api/v1/edit/apps', slug === undefined ? { name } : { name, slug });
      return { ...snapshotOf(body), slug: str(field(body, 'slug')), name: str(field(body, 'name')) };
    },
    async renameApp(slug: string, name: string): Promise<void> {
      await call('PATCH', app(slug), { name });
    },
    async deleteApp(slug: string): Promise<void> {
      await call('DELETE', app(slug));
    },

    async getDraft(slug: string): Promise<DraftSnapshot> {
      return snapshotOf(await call('GET', `${app(slug)}/draft`));
    },
    /** Writes the draft; never throws: every outcome is a result autosave acts on. */
    async putDraft(slug: string, revision: number, doc: AppDoc): Promise<PutDraftResult> {
      let res: Response;
      try {
        res = await send('PUT', `${app(slug)}/draft`, { revision, app: doc });
      } catch {
        return { kind: 'offline' };
      }
      // A proxy's answer while the server restarts: try again later, like no answer.
      if (res.status === 502 || res.status === 503 || res.status === 504) return { kind: 'offline' };
      if (res.ok) {
        const body = await readJson(res).catch(() => null);
        if (body === null) return { kind: 'refused', status: res.status, message: 'The server answered with something that is not JSON.' };
        return { kind: 'saved', revision: num(field(body, 'revision')), problems: problemsOf(optionalField(body, 'problems')) };
      }
      const err = await errorOf(res);
      if (err.status === 409 && err.code === 'revision_conflict' && err.body !== null) {
        return { kind: 'conflict', current: snapshotOf(err.body) };
      }
      return { kind: 'refused', status: err.status, message: err.message };
    },

    /** Publishes the draft at `revision`. A draft with problems is refused: an ApiError 422
     * `invalid_app` whose `problems` lists them. */
    async publish(slug: string, revision: number): Promise<Published> {
      return publishedOf(await call('POST', `${app(slug)}/publish`, { revision }));
    },
    async listVersions(slug: string): Promise<PublishedVersion[]> {
      return arrayOf(field(await call('GET', `${app(slug)}/versions`), 'versions')).map(publishedOf);
    },
    /** Makes a published version the draft again; `revision` is the draft revision the
     * builder saw (a newer draft gets 409 and nothing changes). */
    async restoreVersion(slug: string, version: number, revision: number): Promise<DraftSnapshot> {
      return snapshotOf(await call('POST', `${app(slug)}/versions/${version}/restore`, { revision }));
    },
    /** The draft as the viewer's app JSON (for the preview; `runtime/app.ts` parses it). */
    async viewerApp(slug: string): Promise<unknown> {
      return call('GET', `${app(slug)}/viewer`);
    },

    /** The names of the secrets this server has configured (never their values). */
    async listSecrets(): Promise<string[]> {
      return arrayOf(field(await call('GET', '/api/v1/edit/secrets'), 'secrets')).map(str);
    },
    /** The server's syntax check of a JS object's source, a binding's or an event's code. */
    async checkJs(kind: 'jsObject' | 'expression' | 'event', source: string): Promise<JsCheck> {
      const body = await call('POST', '/api/v1/edit/check-js', { kind, source });
      const errors = arrayOf(field(body, 'errors')).map((e) => ({
        message: str(field(e, 'message')),
        line: num(field(e, 'line')),
        column: num(field(e, 'column')),
      }));
      const fns = optionalField(body, 'functions');
      return { errors, functions: fns === undefined ? null : arrayOf(fns).map(str) };
    },
  };
}

/** The answer of `checkJs`: errors at 1-based line and column; the functions of a JS object
 * that passed (null otherwise). */
export interface JsCheck {
  readonly errors: readonly { readonly message: string; readonly line: number; readonly column: number }[];
  readonly functions: readonly string[] | null;
}

export type BuilderApi = ReturnType<typeof createBuilderApi>;

/** The part of the Builder API the editing session needs. */
export function createDraftApi(options: ApiOptions = {}): DraftApi {
  const api = createBuilderApi(options);
  return { getDraft: (slug) => api.getDraft(slug), putDraft: (slug, revision, doc) => api.putDraft(slug, revision, doc) };
}

// ---- reading answers ----------------------------------------------------------------------

async function readJson(res: Response): Promise<unknown> {
  try {
    return (await res.json()) as unknown;
  } catch {
    throw new ApiError(res.status, 'bad_response', `The server answered ${res.status} with something that is not JSON.`);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's page): described by its status below.
  }
  const retry = res.headers.get('retry-after');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : null;
  // docs/api.md: {"error": {"code", "message"}, …more members}; a flat {"error", "message"}
  // is read too.
  const error = isRecord(body) ? body.error : undefined;
  const described = isRecord(error) ? error : isRecord(body) ? { code: body.error, message: body.message } : {};
  const code = typeof described.code === 'string' ? described.code : 'http_error';
  const message = typeof described.message === 'string' ? described.message : `The server answered ${res.status}.`;
  const problems = isRecord(body) ? problemsOf(body.problems) : [];
  return new ApiError(res.status, code, message, problems, retryAfter, body);
}

function bad(what: string): ApiError {
  return new ApiError(0, 'bad_response', `The server's answer lacks ${what}.`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function field(body: unknown, key: string): unknown {
  if (!isRecord(body) || !(key in body)) throw bad(`"${key}"`);
  return body[key];
}

function optionalField(body: unknown, key: string): unknown {
  return isRecord(body) ? body[key] : undefined;
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw bad('a text field');
  return v;
}

function num(v: unknown): number {
  if (typeof v !== 'number') throw bad('a number field');
  return v;
}

function arrayOf(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw bad('a list');
  return v;
}

function builderOf(v: unknown): Builder {
  return { id: String(field(v, 'id')), email: str(field(v, 'email')), role: str(field(v, 'role')) };
}

function appSummaryOf(v: unknown): AppSummary {
  const optNum = (x: unknown): number | null => (typeof x === 'number' ? x : null);
  const optStr = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  return {
    slug: str(field(v, 'slug')),
    name: str(field(v, 'name')),
    revision: num(field(v, 'revision')),
    draftUpdatedAt: optStr(optionalField(v, 'draftUpdatedAt')) ?? '',
    publishedVersion: optNum(optionalField(v, 'publishedVersion')),
    publishedAt: optStr(optionalField(v, 'publishedAt')),
  };
}

function snapshotOf(v: unknown): DraftSnapshot {
  const app = field(v, 'app');
  if (!isRecord(app) || !Array.isArray(app.pages)) throw bad('the app');
  return { revision: num(field(v, 'revision')), app: app as unknown as AppDoc, problems: problemsOf(optionalField(v, 'problems')) };
}

function publishedOf(v: unknown): Published {
  return { version: num(field(v, 'version')), publishedAt: str(field(v, 'publishedAt')), publishedBy: str(field(v, 'publishedBy')) };
}

function problemsOf(v: unknown): Problem[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isRecord).map((p) => ({
    message: typeof p.message === 'string' ? p.message : '',
    file: typeof p.file === 'string' ? p.file : '',
    line: typeof p.line === 'number' ? p.line : 0,
    column: typeof p.column === 'number' ? p.column : 0,
    ...(typeof p.page === 'string' ? { page: p.page } : {}),
    ...(typeof p.widget === 'string' ? { widget: p.widget } : {}),
    ...(typeof p.property === 'string' ? { property: p.property } : {}),
  }));
}
