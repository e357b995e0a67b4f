/**
 * Protection in the editor (docs/app-format.md, "Protection"): who may open a page or run a
 * query (`access`), and the app's sign-in (`auth`). The server enforces both; these are the
 * commands that edit them, refusing what the server's validator would refuse (a protected part
 * without sign-in, a protected login page, no roles, a session without its sign-in query, a
 * protected query among those the sign-in runs, a refresh that would not store the token) with
 * a sentence.
 *
 * The token is kept in the viewer's store (`token: {store: key}`, optionally refreshed by a
 * declared query: `refresh: {query, store, expiresIn}`) or by the server (`token: session`,
 * with the queries that sign in, refresh and sign out, and where their answers hold the tokens),
 * or the server signs visitors in by redirect (`oidc: {issuer, clientId, clientSecret?, scopes}`,
 * session mode without queries; the login page is optional there).
 */

import { OpError } from './errors.ts';
import { identifierProblem } from './names.ts';
import { requirePage } from './query.ts';
import type { AppDoc } from './types.ts';
import type { EditChange } from './commands.ts';

export type AccessDoc = 'public' | 'signedIn' | { readonly roles: readonly string[] };

/** A document's `access` value as one of the three kinds (omitted: public). */
export function accessOf(raw: unknown): AccessDoc {
  if (raw === 'signedIn') return 'signedIn';
  if (raw !== null && typeof raw === 'object' && Array.isArray((raw as { roles?: unknown }).roles)) {
    return { roles: ((raw as { roles: unknown[] }).roles).filter((r): r is string => typeof r === 'string') };
  }
  return 'public';
}

/** What the document stores for `access`: nothing for public. */
export function accessValue(access: AccessDoc): unknown {
  return access === 'public' ? undefined : access === 'signedIn' ? 'signedIn' : { roles: [...access.roles] };
}

/** "Anyone", "Signed-in users", "Users with the role admin or editor". */
export function describeAccess(access: AccessDoc): string {
  if (access === 'public') return 'Anyone';
  if (access === 'signedIn') return 'Signed-in users';
  return `Users with the role ${access.roles.join(' or ')}`;
}

/** Roles typed as text: separated by commas or spaces, empty ones dropped. */
export function parseRoles(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

function checkAccess(doc: AppDoc, access: AccessDoc, what: string): void {
  if (access === 'public') return;
  if (doc.auth === undefined) throw new OpError(`Set up the app's sign-in first: ${what} can only be protected in an app whose visitors can sign in.`);
  if (typeof access === 'object' && access.roles.length === 0) throw new OpError('Name at least one role.');
}

export function setPageAccess(doc: AppDoc, page: string, access: AccessDoc): EditChange {
  requirePage(doc, page);
  checkAccess(doc, access, `the page ${page}`);
  if (access !== 'public' && doc.auth?.loginPage === page) throw new OpError(`${page} is the login page: it must stay open to everyone.`);
  return { label: `Set who may open ${page}`, ops: [{ kind: 'setPageAccess', page, access: accessValue(access) }] };
}

/** The queries the app's sign-in runs, each with what it does for it ("verifies the app's tokens"). */
export function authQueries(doc: AppDoc): Map<string, string> {
  const f = doc.auth === undefined ? null : authForm(doc);
  const out = new Map<string, string>();
  if (!f) return out;
  if (f.verify === 'userinfo' && f.userinfo !== '') out.set(f.userinfo, "verifies the app's tokens");
  if (f.token === 'oidc') return out;
  if (f.token === 'session' && f.signIn !== '') out.set(f.signIn, 'signs visitors in');
  if (f.token === 'session' && f.signOut !== '') out.set(f.signOut, 'signs visitors out');
  if (f.refresh !== '') out.set(f.refresh, "refreshes the app's tokens");
  return out;
}

/** The `access` field of a query (applied with codeCommands' `updateQuery`). */
export function queryAccessPatch(doc: AppDoc, name: string, access: AccessDoc): { access: unknown } {
  checkAccess(doc, access, `the query ${name}`);
  const role = authQueries(doc).get(name);
  if (access !== 'public' && role !== undefined) throw new OpError(`${name} ${role}: it must stay open to everyone.`);
  return { access: accessValue(access) };
}

/** Whether the server keeps the app's tokens (`token: session`, or sign-in by redirect): only
 * then do queries have `{{session.accessToken}}` and `{{session.refreshToken}}`. */
export function isSessionMode(doc: AppDoc): boolean {
  return doc.auth?.token === 'session' || doc.auth?.oidc !== undefined;
}

/** The scopes a sign-in by redirect asks for when the app does not say (the server's default). */
export const DEFAULT_OIDC_SCOPES = 'openid email profile';

/** Where the server finds the tokens in the sign-in and refresh answers (session mode) when
 * the app does not say: GoTrue's and OAuth 2.0's names. */
export const SESSION_PATH_DEFAULTS = { accessToken: 'access_token', refreshToken: 'refresh_token', expiresIn: 'expires_in' } as const;

/** The app's sign-in as the editor edits it. */
export interface AuthForm {
  /** The login page; '' for none, which only sign-in by redirect allows. */
  readonly loginPage: string;
  /** Where the token is kept: the viewer's store (`token: {store: key}`), the server
   * (`token: session`), or the server after a sign-in by redirect (`oidc`). */
  readonly token: 'store' | 'session' | 'oidc';
  /** Store mode: the key of `appsmith.store` the viewer sends as the Bearer token. */
  readonly tokenKey: string;
  readonly verify: 'builtin' | 'jwks' | 'userinfo';
  readonly jwks: string;
  readonly issuer: string;
  readonly audience: string;
  readonly userinfo: string;
  readonly rolesClaim: string;
  /** The query that refreshes the tokens ('' for none): `session.refresh` or `refresh.query`. */
  readonly refresh: string;
  /** Session mode: the sign-in query (required) and the sign-out query ('' for none). */
  readonly signIn: string;
  readonly signOut: string;
  /** Session mode: dot paths of the tokens in the sign-in and refresh answers. */
  readonly accessTokenPath: string;
  readonly refreshTokenPath: string;
  readonly expiresInPath: string;
  /** Store mode with a refresh query: store key ← dot path in the refresh answer. */
  readonly refreshStore: Readonly<Record<string, string>>;
  /** Store mode with a refresh query: the dot path of the token's lifetime ('' for none). */
  readonly refreshExpiresIn: string;
  /** Sign-in by redirect: the provider's issuer URL and this app's client ID at it. */
  readonly oidcIssuer: string;
  readonly clientId: string;
  /** Sign-in by redirect: the name of the server secret holding the client secret ('' for a
   * public client), written `{{secrets.NAME}}`. */
  readonly clientSecret: string;
  /** Sign-in by redirect: the scopes, separated by spaces or commas. */
  readonly scopes: string;
}

const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

/** The form's values for the app's `auth` (defaults where it has none). */
export function authForm(doc: AppDoc): AuthForm {
  const a = (doc.auth ?? {}) as Record<string, unknown>;
  const v = record(a.verify);
  const oidc = a.oidc === undefined ? undefined : record(a.oidc);
  const session = a.token === 'session' && oidc === undefined;
  const tokenKey = str(record(a.token).store, 'accesstoken');
  const s = record(a.session);
  const r = record(a.refresh);
  const store = Object.fromEntries(Object.entries(record(r.store)).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    // Sign-in by redirect may have no login page; the others start on the home page.
    loginPage: str(a.loginPage, oidc ? '' : doc.homePage),
    token: oidc ? 'oidc' : session ? 'session' : 'store',
    tokenKey,
    verify: typeof v.jwks === 'string' ? 'jwks' : typeof v.userinfo === 'string' ? 'userinfo' : 'builtin',
    jwks: str(v.jwks),
    issuer: str(v.issuer),
    audience: str(v.audience),
    userinfo: str(v.userinfo),
    rolesClaim: str(a.rolesClaim),
    refresh: session ? str(s.refresh) : str(r.query),
    signIn: str(s.signIn),
    signOut: str(s.signOut),
    accessTokenPath: str(s.accessToken, SESSION_PATH_DEFAULTS.accessToken),
    refreshTokenPath: str(s.refreshToken, SESSION_PATH_DEFAULTS.refreshToken),
    expiresInPath: str(s.expiresIn, SESSION_PATH_DEFAULTS.expiresIn),
    // A first refresh declaration starts with the token's key and OAuth's name for it.
    refreshStore: Object.keys(store).length > 0 ? store : { [tokenKey]: SESSION_PATH_DEFAULTS.accessToken },
    refreshExpiresIn: str(r.expiresIn),
    oidcIssuer: str(oidc?.issuer),
    clientId: str(oidc?.clientId),
    clientSecret: secretName(str(oidc?.clientSecret)),
    scopes: Array.isArray(oidc?.scopes) ? oidc.scopes.filter((x) => typeof x === 'string').join(' ') : DEFAULT_OIDC_SCOPES,
  };
}

/** `{{secrets.NAME}}` written exactly (spaces inside the braces allowed, as the server reads it). */
const SECRET_TEMPLATE = /^\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The NAME of a `{{secrets.NAME}}` client secret; any other text as it is (refused on save). */
function secretName(template: string): string {
  return SECRET_TEMPLATE.exec(template.trim())?.[1] ?? template;
}

/** Why `url` cannot be where the server fetches a provider's keys or discovery document (the
 * server's rule: an https URL, plain http only for localhost and 127.0.0.1, no bindings), or
 * null when it can. */
export function providerUrlProblem(url: string, what: string): string | null {
  const rule = `${what} must be an https URL (http only for localhost or 127.0.0.1) without bindings, such as https://idp.example.com`;
  if (url.includes('{{')) return `${rule}.`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${rule}${url === '' ? '' : `, not ${url}`}.`;
  }
  const local = parsed.hostname === 'localhost' || parsed.hostname === '127.0.0.1';
  if ((parsed.protocol === 'https:' && parsed.hostname !== '') || (parsed.protocol === 'http:' && local)) return null;
  return `${rule}, not ${url}.`;
}

/** Scopes typed as text: separated by spaces or commas, empty ones dropped. */
export function parseScopes(text: string): string[] {
  return parseRoles(text);
}

/** Where the provider sends the browser back after its login page, and after its logout: the
 * URIs to register for the app at the provider (`origin` is the one the app is opened at). */
export function oidcRedirectUris(origin: string, slug: string): { readonly redirect: string; readonly postLogout: string } {
  const app = `${origin}/app/${slug}`;
  return { redirect: `${app}/_auth/callback`, postLogout: app };
}

/** `auth.oidc` from the form; refuses what the server would refuse, in words. */
function oidcOf(doc: AppDoc, form: AuthForm): Record<string, unknown> {
  const issuer = form.oidcIssuer.trim();
  const issuerProblem = providerUrlProblem(issuer, 'The issuer');
  if (issuerProblem) throw new OpError(issuerProblem);
  const clientId = form.clientId.trim();
  if (clientId === '') throw new OpError('Give the client ID the provider registered for this app.');
  const secret = form.clientSecret.trim();
  if (secret !== '' && !SECRET_NAME.test(secret)) {
    throw new OpError(`The client secret is the name of a server secret (letters, digits and _, not starting with a digit), not ${secret}: an app's files are no place for a secret.`);
  }
  const scopes = parseScopes(form.scopes);
  if (!scopes.includes('openid')) throw new OpError('The scopes must include openid: it is what asks the provider for an ID token.');
  // What the form does not edit is kept: extra authorization parameters, the logout hint.
  const old = ((doc.auth?.oidc ?? {}) as Record<string, unknown>);
  const kept = Object.fromEntries(
    ['authorizationParams', 'logoutIdTokenHint'].filter((k) => old[k] !== undefined).map((k) => [k, old[k]]),
  );
  return { issuer, clientId, ...(secret === '' ? {} : { clientSecret: `{{secrets.${secret}}}` }), scopes, ...kept };
}

/** A dot path in an answer's JSON body (`access_token`, `data.session.token`), trimmed;
 * refused in words when a part is empty. */
function dotPath(path: string, what: string): string {
  const p = path.trim();
  if (p === '' || p.split('.').some((part) => part.trim() === '')) throw new OpError(`${what} is a dot path in the answer's JSON, such as data.access_token${p === '' ? '' : `, not ${p}`}.`);
  return p;
}

/** A query the sign-in runs: one of the app's, open to everyone (it runs for visitors who are
 * not signed in yet, or whose token has run out). */
function publicQuery(doc: AppDoc, name: string, what: string): string {
  const q = doc.queries.find((x) => x.name === name);
  if (!q) throw new OpError(`There is no query ${name} to use as the ${what} query.`);
  if (accessOf(q.access) !== 'public') throw new OpError(`${name} is protected: the ${what} query must be open to everyone.`);
  return name;
}

/** `auth.session` of session mode: the paths only when they are not the defaults. */
function sessionOf(doc: AppDoc, form: AuthForm): Record<string, unknown> {
  if (form.signIn === '') throw new OpError('Choose the sign-in query: in session mode the server keeps the tokens of its answer.');
  const path = (value: string, what: string, fallback: string): string | undefined => {
    const p = value.trim() === '' ? fallback : dotPath(value, what);
    return p === fallback ? undefined : p;
  };
  const fields: Record<string, string | undefined> = {
    signIn: publicQuery(doc, form.signIn, 'sign-in'),
    refresh: form.refresh === '' ? undefined : publicQuery(doc, form.refresh, 'refresh'),
    signOut: form.signOut === '' ? undefined : publicQuery(doc, form.signOut, 'sign-out'),
    accessToken: path(form.accessTokenPath, 'The access token path', SESSION_PATH_DEFAULTS.accessToken),
    refreshToken: path(form.refreshTokenPath, 'The refresh token path', SESSION_PATH_DEFAULTS.refreshToken),
    expiresIn: path(form.expiresInPath, 'The expires-in path', SESSION_PATH_DEFAULTS.expiresIn),
  };
  const queries = [fields.signIn, fields.refresh, fields.signOut].filter((q) => q !== undefined);
  if (new Set(queries).size < queries.length) throw new OpError('Sign-in, refresh and sign-out are three different queries.');
  // What the form does not edit is kept: the refresh answer's own token paths (Firebase).
  const old = (doc.auth?.session ?? {}) as Record<string, unknown>;
  const kept = old.refreshAnswer === undefined ? {} : { refreshAnswer: old.refreshAnswer };
  return { ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)), ...kept };
}

/** `auth.refresh` of store mode, or undefined when no refresh query is chosen. */
function storeRefreshOf(doc: AppDoc, form: AuthForm): Record<string, unknown> | undefined {
  if (form.refresh === '') return undefined;
  const query = publicQuery(doc, form.refresh, 'refresh');
  const store: Record<string, string> = {};
  for (const [rawKey, path] of Object.entries(form.refreshStore)) {
    const key = rawKey.trim();
    const problem = identifierProblem(key);
    if (problem) throw new OpError(`The store key ${key}: ${problem}`);
    store[key] = dotPath(path, `The path of the store key ${key}`);
  }
  if (store[form.tokenKey] === undefined) {
    throw new OpError(`The store keys from the refresh answer must include the token's key ${form.tokenKey}: it is where the fresh token goes.`);
  }
  const expiresIn = form.refreshExpiresIn.trim() === '' ? undefined : dotPath(form.refreshExpiresIn, 'The expires-in path');
  return { query, store, ...(expiresIn === undefined ? {} : { expiresIn }) };
}

/** Sets the app's sign-in from the form; refuses what cannot work, in words. Keeps the
 * fields the form does not edit (clockSkewSecs). */
export function setAppAuth(doc: AppDoc, form: AuthForm): EditChange {
  const oidc = form.token === 'oidc';
  if (form.loginPage === '') {
    if (!oidc) throw new OpError('Choose the login page: visitors without a valid token are sent there.');
  } else {
    const login = doc.pages.find((p) => p.name === form.loginPage);
    if (!login) throw new OpError(`There is no page ${form.loginPage} to sign in on.`);
    if (accessOf(login.access) !== 'public') throw new OpError(`${form.loginPage} is protected: the login page must be open to everyone.`);
  }
  const old = (doc.auth ?? {}) as Record<string, unknown>;
  const label = doc.auth === undefined ? 'Set up sign-in' : 'Edit sign-in';
  const kept = {
    ...(form.rolesClaim.trim() === '' ? {} : { rolesClaim: form.rolesClaim.trim() }),
    ...(old.clockSkewSecs === undefined ? {} : { clockSkewSecs: old.clockSkewSecs }),
  };
  if (oidc) {
    // The provider's ID token is verified against its keys, and the server signs in, refreshes
    // and signs out itself: no verify, session or refresh. The app model (JSON) keeps
    // `token: session`, which the format allows beside `oidc`.
    const auth: Record<string, unknown> = {
      ...(form.loginPage === '' ? {} : { loginPage: form.loginPage }),
      token: 'session',
      oidc: oidcOf(doc, form),
      ...kept,
    };
    return { label, ops: [{ kind: 'setAppAuth', auth }] };
  }
  let verify: unknown = 'builtin';
  if (form.verify === 'jwks') {
    const jwksProblem = providerUrlProblem(form.jwks.trim(), 'The JWKS URL');
    if (jwksProblem) throw new OpError(jwksProblem);
    if (form.issuer.trim() === '') throw new OpError('A JWKS verifier needs the issuer its tokens carry.');
    verify = { jwks: form.jwks.trim(), issuer: form.issuer.trim(), ...(form.audience.trim() === '' ? {} : { audience: form.audience.trim() }) };
  } else if (form.verify === 'userinfo') {
    const q = doc.queries.find((x) => x.name === form.userinfo);
    if (!q) throw new OpError('Choose the query that asks the provider who the token belongs to.');
    if (accessOf(q.access) !== 'public') throw new OpError(`${q.name} is protected: the query that verifies tokens must be open to everyone.`);
    verify = { userinfo: q.name };
  }
  let token: Record<string, unknown>;
  if (form.token === 'session') {
    token = { token: 'session', session: sessionOf(doc, form) };
  } else {
    const keyProblem = identifierProblem(form.tokenKey);
    if (keyProblem) throw new OpError(`The token's store key: ${keyProblem}`);
    const refresh = storeRefreshOf(doc, form);
    token = { token: { store: form.tokenKey }, ...(refresh === undefined ? {} : { refresh }) };
  }
  const auth: Record<string, unknown> = { loginPage: form.loginPage, verify, ...token, ...kept };
  return { label, ops: [{ kind: 'setAppAuth', auth }] };
}

/** Removes the app's sign-in: only when nothing is protected any more. */
export function removeAppAuth(doc: AppDoc): EditChange {
  const protectedParts = [
    ...doc.pages.filter((p) => accessOf(p.access) !== 'public').map((p) => `the page ${p.name}`),
    ...doc.queries.filter((q) => accessOf(q.access) !== 'public').map((q) => `the query ${q.name}`),
  ];
  if (protectedParts.length > 0) throw new OpError(`Open ${protectedParts.join(', ')} to everyone first: without sign-in nobody could use them.`);
  return { label: 'Remove sign-in', ops: [{ kind: 'setAppAuth', auth: undefined }] };
}
