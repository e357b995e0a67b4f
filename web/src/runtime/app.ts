/**
 * The app definition as `GET /api/v1/apps/{slug}` returns it (docs/api.md), parsed from
 * untrusted JSON into typed values in one place, so the rest of the runtime can rely on them.
 * Like the binding parser it reports problems instead of throwing.
 */

import type { QueryDef } from './query.ts';

export interface Position {
  readonly col: number;
  readonly row: number;
  readonly width: number;
  readonly height: number;
}

export interface WidgetDef {
  readonly name: string;
  readonly type: string;
  readonly position: Position;
  readonly props: Readonly<Record<string, unknown>>;
  readonly children: readonly WidgetDef[];
}

/** Who may use a page or query: "public", "signedIn" or `{ roles }` (any of them). */
export type Access = 'public' | 'signedIn' | { readonly roles: readonly string[] };

export interface PageDef {
  readonly name: string;
  readonly slug: string;
  readonly hidden: boolean;
  /** `"<JSObject>.<function>"` or `"<query>"`, run in this order, each awaited. */
  readonly onLoad: readonly string[];
  readonly widgets: readonly WidgetDef[];
  /** Absent (as from a server without protection): public. */
  readonly access?: Access;
  /** The caller may not use the page: the server sent neither its widgets nor its on-load steps. */
  readonly locked?: boolean;
}

/** The app's declared protection as the viewer sees it (docs/app-format.md `auth`). */
export interface AuthDef {
  /** The page that signs users in (public): locked pages send anonymous users there. Only an
   * app with `oidc` may have none: its locked pages send them to the provider. */
  readonly loginPage: string | undefined;
  /** Store mode: the token is `appsmith.store[tokenStore]`. Undefined for other modes. */
  readonly tokenStore: string | undefined;
  /** Store mode only: the runtime refreshes the token itself (absent: the app does, if at all). */
  readonly refresh?: RefreshDef | undefined;
  /** Session mode (`token: "session"`, or `oidc`): the server holds the tokens behind a cookie. */
  readonly session?: SessionDef | undefined;
  /** Sign-in by redirect (`auth.oidc`): `appsmith.signIn()` and the server's `/_auth/` routes. */
  readonly oidc?: true;
}

/** `auth.refresh`: which query refreshes the stored token, and where its answer goes. */
export interface RefreshDef {
  /** A public query of the app whose 2xx answer holds fresh tokens. */
  readonly query: string;
  /** Store key ← dot path in the answer's JSON body; holds the token's own key. */
  readonly store: Readonly<Record<string, string>>;
  /** Dot path of the token's lifetime in seconds, for tokens that are not JWTs. */
  readonly expiresIn: string | undefined;
}

/** `auth.session`: the queries the server treats as sign-in, refresh and sign-out. An app
 * with `oidc` has none of them: the server signs in, refreshes and signs out itself. */
export interface SessionDef {
  readonly signIn: string | undefined;
  readonly refresh: string | undefined;
  readonly signOut: string | undefined;
}

/**
 * `appsmith.user` of a signed-in caller, as the server verified it. The known fields are
 * checked; any other field the server sends is kept as it is.
 */
export interface AppUser {
  readonly [field: string]: unknown;
  readonly isAnonymous: boolean;
  readonly roles: readonly string[];
}

export interface JsObjectDef {
  readonly name: string;
  readonly source: string;
}

export interface AppDef {
  readonly name: string;
  readonly slug: string;
  readonly homePage: string;
  readonly pages: readonly PageDef[];
  readonly queries: readonly QueryDef[];
  readonly jsObjects: readonly JsObjectDef[];
  /** Absent or null: the app declares no protection (everything is public). */
  readonly auth?: AuthDef | null;
  /** The caller the server recognised from the request's token; null or absent: anonymous. */
  readonly user?: AppUser | null;
}

export type ParseAppResult = { ok: true; app: AppDef } | { ok: false; problems: string[] };

export function parseAppDef(json: unknown): ParseAppResult {
  const problems: string[] = [];
  const r = new Reader(problems);
  if (!isRecord(json)) return { ok: false, problems: ['the app is not a JSON object'] };
  const app: AppDef = {
    name: r.str(json, 'name', 'app'),
    slug: r.str(json, 'slug', 'app'),
    homePage: r.str(json, 'homePage', 'app'),
    pages: r.list(json, 'pages', 'app').map((p, i) => parsePage(p, `pages[${i}]`, r)),
    queries: r.list(json, 'queries', 'app', true).map((q, i) => {
      const at = `queries[${i}]`;
      const rec = r.rec(q, at);
      return {
        name: r.str(rec, 'name', at),
        bindings: r.list(rec, 'bindings', at, true).map((b, j) => r.strValue(b, `${at}.bindings[${j}]`)),
        access: parseAccess(rec.access, `${at}.access`, r),
        locked: rec.locked === true,
      };
    }),
    jsObjects: r.list(json, 'jsObjects', 'app', true).map((o, i) => {
      const at = `jsObjects[${i}]`;
      const rec = r.rec(o, at);
      return { name: r.str(rec, 'name', at), source: r.str(rec, 'source', at) };
    }),
    auth: json.auth == null ? null : parseAuth(json.auth, r),
    user: json.user == null ? null : parseUser(json.user, r),
  };
  if (problems.length === 0 && !app.pages.some((p) => p.name === app.homePage)) {
    problems.push(`the home page "${app.homePage}" is not one of the app's pages`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, app };
}

function parsePage(raw: unknown, at: string, r: Reader): PageDef {
  const rec = r.rec(raw, at);
  return {
    name: r.str(rec, 'name', at),
    slug: r.str(rec, 'slug', at),
    hidden: rec.hidden === true,
    onLoad: r.list(rec, 'onLoad', at, true).map((s, i) => r.strValue(s, `${at}.onLoad[${i}]`)),
    widgets: r.list(rec, 'widgets', at, true).map((w, i) => parseWidget(w, `${at}.widgets[${i}]`, r)),
    access: parseAccess(rec.access, `${at}.access`, r),
    locked: rec.locked === true,
  };
}

function parseAccess(raw: unknown, at: string, r: Reader): Access {
  if (raw === undefined || raw === 'public') return 'public';
  if (raw === 'signedIn') return raw;
  if (isRecord(raw) && Array.isArray(raw.roles)) {
    return { roles: raw.roles.map((x, i) => r.strValue(x, `${at}.roles[${i}]`)) };
  }
  r.problems.push(`${at} is not "public", "signedIn" or { roles: [...] }`);
  return 'public';
}

function parseAuth(raw: unknown, r: Reader): AuthDef {
  const rec = r.rec(raw, 'auth');
  // The server sends `oidc: true`; the app file's own object is taken as well.
  const oidc = rec.oidc === true || isRecord(rec.oidc);
  const loginPage = oidc ? r.optStr(rec, 'loginPage', 'auth') : r.str(rec, 'loginPage', 'auth');
  const store = isRecord(rec.token) ? rec.token.store : undefined;
  const tokenStore = typeof store === 'string' && store !== '' ? store : undefined;
  let session: SessionDef | undefined;
  if (oidc && rec.session == null) {
    session = { signIn: undefined, refresh: undefined, signOut: undefined };
  } else if (rec.token === 'session') {
    const s = r.rec(rec.session, 'auth.session');
    session = {
      signIn: r.str(s, 'signIn', 'auth.session'),
      refresh: r.optStr(s, 'refresh', 'auth.session'),
      signOut: r.optStr(s, 'signOut', 'auth.session'),
    };
  }
  let refresh: RefreshDef | undefined;
  if (rec.refresh != null) {
    const f = r.rec(rec.refresh, 'auth.refresh');
    const keys = r.rec(f.store, 'auth.refresh.store');
    refresh = {
      query: r.str(f, 'query', 'auth.refresh'),
      store: Object.fromEntries(Object.keys(keys).map((k) => [k, r.str(keys, k, 'auth.refresh.store')])),
      expiresIn: r.optStr(f, 'expiresIn', 'auth.refresh'),
    };
    // Without the token's key among them, a refresh could never give a fresh token.
    if (tokenStore === undefined) r.problems.push('auth.refresh needs token: { store: <key> }');
    else if (!Object.hasOwn(refresh.store, tokenStore)) r.problems.push(`auth.refresh.store has no "${tokenStore}"`);
  }
  return { loginPage, tokenStore, refresh, session, ...(oidc && { oidc: true as const }) };
}

function parseUser(raw: unknown, r: Reader): AppUser {
  const rec = r.rec(raw, 'user');
  const roles = r.list(rec, 'roles', 'user', true).map((x, i) => r.strValue(x, `user.roles[${i}]`));
  // Frozen all the way down: bindings read it, none may change it.
  return deepFreeze({ ...rec, isAnonymous: rec.isAnonymous === true, roles });
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The token to send as `Authorization: Bearer …` in store mode: the store's value under the
 * app's token key (`auth.tokenStore`), when it is a non-empty string; otherwise undefined. */
export function storeToken(store: Readonly<Record<string, unknown>>, key: string | undefined): string | undefined {
  const token = key === undefined ? undefined : store[key];
  return typeof token === 'string' && token !== '' ? token : undefined;
}

function parseWidget(raw: unknown, at: string, r: Reader): WidgetDef {
  const rec = r.rec(raw, at);
  const pos = r.rec(rec.position, `${at}.position`);
  const num = (k: string): number => {
    const v = pos[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    r.problems.push(`${at}.position.${k} is not a number`);
    return 0;
  };
  const props = rec.props === undefined ? {} : r.rec(rec.props, `${at}.props`);
  return {
    name: r.str(rec, 'name', at),
    type: r.str(rec, 'type', at),
    position: { col: num('col'), row: num('row'), width: num('width'), height: num('height') },
    props,
    children: r.list(rec, 'children', at, true).map((c, i) => parseWidget(c, `${at}.children[${i}]`, r)),
  };
}

class Reader {
  constructor(readonly problems: string[]) {}

  rec(v: unknown, at: string): Record<string, unknown> {
    if (isRecord(v)) return v;
    this.problems.push(`${at} is not an object`);
    return {};
  }

  str(rec: Record<string, unknown>, key: string, at: string): string {
    return this.strValue(rec[key], `${at}.${key}`);
  }

  /** An optional string field: undefined when absent (or null). */
  optStr(rec: Record<string, unknown>, key: string, at: string): string | undefined {
    return rec[key] == null ? undefined : this.str(rec, key, at);
  }

  strValue(v: unknown, at: string): string {
    if (typeof v === 'string') return v;
    this.problems.push(`${at} is not a string`);
    return '';
  }

  list(rec: Record<string, unknown>, key: string, at: string, optional = false): unknown[] {
    const v = rec[key];
    if (Array.isArray(v)) return v;
    if (v === undefined && optional) return [];
    this.problems.push(`${at}.${key} is not a list`);
    return [];
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every widget of a tree, depth first. */
export function* walkWidgets(widgets: readonly WidgetDef[]): Generator<WidgetDef> {
  for (const w of widgets) {
    yield w;
    yield* walkWidgets(w.children);
  }
}
