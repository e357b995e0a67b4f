/**
 * The app's sign-in (`auth` of app.yaml): a region named "Sign-in" in the left pane that says
 * how visitors sign in, with a button that opens its settings in the code pane — the login
 * page, where the token is kept ("Token": in the viewer's store under "Token store key", or by
 * the server in a session), how the server verifies it (the built-in provider, a provider's
 * JWKS, or a userinfo query), and the claim roles are read from.
 *
 * Session mode names the queries that sign in (required), refresh and sign out, and where their
 * answers hold the tokens (defaults shown, left out of the document). Store mode may name a
 * refresh query the viewer runs before the token runs out, with the store keys it fills from
 * the answer ("Store keys from the refresh answer": key → dot path) and the lifetime's path.
 * Applied as one undoable change by "Save sign-in"; "Remove sign-in" only once nothing is
 * protected.
 */

import { useState } from 'preact/hooks';
import { authForm, removeAppAuth, setAppAuth, type AuthForm } from '../doc/access.ts';
import { identifierProblem } from '../doc/names.ts';
import { useEditor } from './context.ts';
import { KeyValueList } from './KeyValueList.tsx';

/** The form's fields that hold text. */
type TextField = { [K in keyof AuthForm]: AuthForm[K] extends string ? K : never }[keyof AuthForm];

export function SignInPanel() {
  const ctx = useEditor();
  const auth = ctx.session.doc.value.auth;
  const form = auth ? authForm(ctx.session.doc.value) : null;
  const verify = form?.verify === 'jwks' ? "a provider's JWKS" : form?.verify === 'userinfo' ? `the query ${form.userinfo}` : 'the built-in provider';
  return (
    <section class="ed-panel" aria-labelledby="ed-signin-title">
      <div class="ed-panel-head">
        <h2 id="ed-signin-title">Sign-in</h2>
        <button type="button" class="ed-btn ed-btn-small" onClick={() => (ctx.open.value = { kind: 'auth', name: 'auth' })}>
          Sign-in settings
        </button>
      </div>
      <p class="ed-muted ed-small">
        {form
          ? `Visitors sign in on ${form.loginPage}; tokens are ${form.token === 'session' ? 'kept by the server and ' : ''}checked by ${verify}.`
          : 'Not set up: every page and query is open to everyone.'}
      </p>
    </section>
  );
}

export function SignInSettings() {
  const ctx = useEditor();
  const doc = ctx.session.doc.value;
  const [form, setForm] = useState<AuthForm>(() => authForm(doc));
  const [problem, setProblem] = useState<string | null>(null);
  const set = (patch: Partial<AuthForm>): void => setForm({ ...form, ...patch });
  const attempt = (f: () => void): void => {
    try {
      f();
      setProblem(null);
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };
  const field = (id: string, label: string, key: TextField, hint?: string) => (
    <div class="ed-qfield ed-qfield-grow">
      <label for={id}>{label}</label>
      <input id={id} value={form[key]} spellcheck={false} onInput={(e) => set({ [key]: e.currentTarget.value })} />
      {hint && <span class="ed-muted ed-small">{hint}</span>}
    </div>
  );
  /** A select of `options` ([value, text]) for a field of the form. */
  const choice = (id: string, label: string, key: TextField, options: readonly (readonly [string, string])[]) => (
    <div class="ed-qfield">
      <label for={id}>{label}</label>
      <select id={id} value={form[key]} onChange={(e) => set({ [key]: e.currentTarget.value })}>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
  /** A choice among the app's queries; `none` labels the empty choice. */
  const querySelect = (id: string, label: string, key: TextField, none: string) =>
    choice(id, label, key, [['', none], ...doc.queries.map((q): [string, string] => [q.name, q.name])]);
  return (
    <form class="ed-code-editor" aria-label="Sign-in settings" onSubmit={(e) => e.preventDefault()}>
      <p class="ed-small">
        {doc.auth ? 'Protected pages and queries are refused by the server to visitors without a valid token.' : 'Set up sign-in to protect pages and queries (their Access).'}
      </p>
      <div class="ed-query-fields">
        <div class="ed-query-line">
          {choice('ed-auth-login', 'Login page', 'loginPage', doc.pages.map((p): [string, string] => [p.name, p.name]))}
          {choice('ed-auth-token', 'Token', 'token', [
            ['store', 'Kept in the browser (appsmith.store)'],
            ['session', 'Kept by the server (session)'],
          ])}
          {form.token === 'store' && field('ed-auth-key', 'Token store key', 'tokenKey', 'The viewer sends appsmith.store.<key> as the Bearer token.')}
        </div>
        {form.token === 'session' ? (
          <>
            <p class="ed-muted ed-small">
              The server keeps the tokens of the sign-in query's answer and gives the browser only a cookie it cannot read. Queries send them with {'{{session.accessToken}}'} and{' '}
              {'{{session.refreshToken}}'}.
            </p>
            <div class="ed-query-line">
              {querySelect('ed-auth-signin', 'Sign-in query', 'signIn', 'Choose a query…')}
              {querySelect('ed-auth-refresh', 'Refresh query', 'refresh', 'None')}
              {querySelect('ed-auth-signout', 'Sign-out query', 'signOut', 'None')}
            </div>
            <div class="ed-query-line">
              {field('ed-auth-access-path', 'Access token path', 'accessTokenPath', 'A dot path in the answer (default: access_token).')}
              {field('ed-auth-refresh-path', 'Refresh token path', 'refreshTokenPath', 'Default: refresh_token.')}
              {field('ed-auth-expires-path', 'Expires-in path', 'expiresInPath', 'Seconds; default: expires_in.')}
            </div>
          </>
        ) : (
          <>
            <div class="ed-query-line">
              {querySelect('ed-auth-refresh', 'Refresh query', 'refresh', 'None')}
              {form.refresh !== '' && field('ed-auth-expires-path', 'Expires-in path', 'refreshExpiresIn', 'Optional: seconds, for tokens that are not JWTs.')}
            </div>
            {form.refresh !== '' && (
              <KeyValueList
                label="Store keys from the refresh answer"
                noun="store key"
                keyLabel="Store key"
                valueLabel="Path"
                value={form.refreshStore}
                keyProblem={identifierProblem}
                onChange={(refreshStore) => set({ refreshStore })}
              />
            )}
          </>
        )}
        <div class="ed-query-line">
          {choice('ed-auth-verify', 'Verification', 'verify', [
            ['builtin', "This server's built-in provider"],
            ['jwks', "A provider's JWKS"],
            ['userinfo', 'A userinfo query'],
          ])}
          {form.verify === 'jwks' && field('ed-auth-jwks', 'JWKS URL', 'jwks')}
          {form.verify === 'jwks' && field('ed-auth-issuer', 'Issuer', 'issuer')}
          {form.verify === 'jwks' && field('ed-auth-audience', 'Audience', 'audience', 'Optional.')}
          {form.verify === 'userinfo' && querySelect('ed-auth-userinfo', 'Userinfo query', 'userinfo', 'Choose a query…')}
        </div>
        <div class="ed-query-line">{field('ed-auth-roles', 'Roles claim', 'rolesClaim', 'A dot path in the token, e.g. app_metadata.roles (default: roles).')}</div>
        {problem && (
          <p class="ed-error" role="alert">
            {problem}
          </p>
        )}
        <div class="ed-query-line">
          <button type="button" class="ed-btn ed-btn-primary" onClick={() => attempt(() => ctx.session.apply(setAppAuth(ctx.session.doc.peek(), form)))}>
            Save sign-in
          </button>
          {doc.auth && (
            <button
              type="button"
              class="ed-btn"
              onClick={() =>
                attempt(() => {
                  ctx.session.apply(removeAppAuth(ctx.session.doc.peek()));
                  setForm(authForm(ctx.session.doc.peek()));
                })
              }
            >
              Remove sign-in
            </button>
          )}
        </div>
      </div>
    </form>
  );
}
