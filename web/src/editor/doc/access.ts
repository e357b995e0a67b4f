/**
 * Protection in the editor (docs/app-format.md, "Protection"): who may open a page or run a
 * query (`access`), and the app's sign-in (`auth`). The server enforces both; these are the
 * commands that edit them, refusing what the server's validator would refuse (a protected part
 * without sign-in, a protected login page, no roles) with a sentence.
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

/** The `access` field of a query (applied with codeCommands' `updateQuery`). */
export function queryAccessPatch(doc: AppDoc, name: string, access: AccessDoc): { access: unknown } {
  checkAccess(doc, access, `the query ${name}`);
  const userinfo = (doc.auth?.verify as { userinfo?: unknown } | undefined)?.userinfo;
  if (access !== 'public' && userinfo === name) throw new OpError(`${name} verifies the app's tokens: it must stay open to everyone.`);
  return { access: accessValue(access) };
}

/** The app's sign-in as the editor edits it. */
export interface AuthForm {
  readonly loginPage: string;
  readonly tokenKey: string;
  readonly verify: 'builtin' | 'jwks' | 'userinfo';
  readonly jwks: string;
  readonly issuer: string;
  readonly audience: string;
  readonly userinfo: string;
  readonly rolesClaim: string;
}

/** The form's values for the app's `auth` (defaults where it has none). */
export function authForm(doc: AppDoc): AuthForm {
  const a = (doc.auth ?? {}) as Record<string, unknown>;
  const verify = a.verify;
  const token = a.token as { store?: unknown } | undefined;
  const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
  const v = (verify !== null && typeof verify === 'object' ? verify : {}) as Record<string, unknown>;
  return {
    loginPage: str(a.loginPage, doc.homePage),
    tokenKey: str(token?.store, 'accesstoken'),
    verify: typeof v.jwks === 'string' ? 'jwks' : typeof v.userinfo === 'string' ? 'userinfo' : 'builtin',
    jwks: str(v.jwks),
    issuer: str(v.issuer),
    audience: str(v.audience),
    userinfo: str(v.userinfo),
    rolesClaim: str(a.rolesClaim),
  };
}

/** Sets the app's sign-in from the form; refuses what cannot work, in words. Keeps the
 * fields the form does not edit (clockSkewSecs). */
export function setAppAuth(doc: AppDoc, form: AuthForm): EditChange {
  const login = doc.pages.find((p) => p.name === form.loginPage);
  if (!login) throw new OpError(`There is no page ${form.loginPage} to sign in on.`);
  if (accessOf(login.access) !== 'public') throw new OpError(`${form.loginPage} is protected: the login page must be open to everyone.`);
  const keyProblem = identifierProblem(form.tokenKey);
  if (keyProblem) throw new OpError(`The token's store key: ${keyProblem}`);
  let verify: unknown = 'builtin';
  if (form.verify === 'jwks') {
    if (!/^https?:\/\//.test(form.jwks)) throw new OpError('The JWKS URL must start with https:// (http:// only for localhost).');
    if (form.issuer.trim() === '') throw new OpError('A JWKS verifier needs the issuer its tokens carry.');
    verify = { jwks: form.jwks.trim(), issuer: form.issuer.trim(), ...(form.audience.trim() === '' ? {} : { audience: form.audience.trim() }) };
  } else if (form.verify === 'userinfo') {
    const q = doc.queries.find((x) => x.name === form.userinfo);
    if (!q) throw new OpError('Choose the query that asks the provider who the token belongs to.');
    if (accessOf(q.access) !== 'public') throw new OpError(`${q.name} is protected: the query that verifies tokens must be open to everyone.`);
    verify = { userinfo: q.name };
  }
  const old = (doc.auth ?? {}) as Record<string, unknown>;
  const auth: Record<string, unknown> = {
    loginPage: form.loginPage,
    verify,
    token: { store: form.tokenKey },
    ...(form.rolesClaim.trim() === '' ? {} : { rolesClaim: form.rolesClaim.trim() }),
    ...(old.clockSkewSecs === undefined ? {} : { clockSkewSecs: old.clockSkewSecs }),
  };
  return { label: doc.auth === undefined ? 'Set up sign-in' : 'Edit sign-in', ops: [{ kind: 'setAppAuth', auth }] };
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
