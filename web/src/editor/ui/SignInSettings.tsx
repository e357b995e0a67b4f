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
 * Sign-in by redirect (OpenID Connect) names the provider's issuer, the app's client ID, the
 * server secret holding its client secret (none for a public client) and the scopes, and shows
 * the URIs to register at the provider; its login page is optional.
 * Applied as one undoable change by "Save sign-in"; "Remove sign-in" only once nothing is
 * protected.
 */

import { useState } from 'preact/hooks';
import { authForm, DEFAULT_OIDC_SCOPES, oidcRedirectUris, removeAppAuth, setAppAuth, type AuthForm } from '../doc/access.ts';
import { identifierProblem } from '../doc/names.ts';
import { useEditor } from './context.ts';
import { SecretStatus } from './Datasources.tsx';
import { KeyValueList } from './KeyValueList.tsx';

/** The form's fields that hold text. */
type TextField = { [K in keyof AuthForm]: AuthForm[K] extends string ? K : never }[keyof AuthForm];

export function SignInPanel() {
  const ctx = useEditor();
  const auth = ctx.session.doc.value.auth;
  const form = auth ? authForm(ctx.session.doc.value) : null;
  const verify = form?.verify === 'jwks' ? "a provider's JWKS" : form?.verify === 'userinfo' ? `the query ${form.userinfo}` : 'the built-in provider';
  const summary = !form
    ? 'Not set up: every page and query is open to everyone.'
    : form.token === 'oidc'
      ? `Visitors sign in at ${form.oidcIssuer} (OpenID Connect)${form.loginPage === '' ? '' : `, from ${form.loginPage}`}; the server keeps their tokens.`
      : `Visitors sign in on ${form.loginPage}; tokens are ${form.token === 'session' ? 'kept by the server and ' : ''}checked by ${verify}.`;
  return (
    <section class="ed-panel" aria-labelledby="ed-signin-title">
      <div class="ed-panel-head">
        <h2 id="ed-signin-title">Sign-in</h2>
        <button type="button" class="ed-btn ed-btn-small" onClick={() => (ctx.open.value = { kind: 'auth', name: 'auth' })}>
          Sign-in settings
        </button>
      </div>
      <p class="ed-muted ed-small">{summary}</p>
    </section>
  );
}

/** `secrets`: the names of the server's secrets (null until known), for the client secret. */
export function SignInSettings({ secrets }: { secrets: ReadonlySet<string> | null }) {
  const ctx = useEditor();
  const doc = ctx.session.doc.value;
  const [form, setForm] = useState<AuthForm>(() => authForm(doc));
  const [problem, setProblem] = useState<string | null>(null);
  // From the latest state: two edits before a render (autofill, a quick test) both count.
  const set = (patch: Partial<AuthForm>): void => setForm((f) => ({ ...f, ...patch }));
  const oidc = form.token === 'oidc';
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
          {choice('ed-auth-login', 'Login page', 'loginPage', [
            ...(oidc ? [['', 'None (straight to the provider)'] as const] : []),
            ...doc.pages.map((p): [string, string] => [p.name, p.name]),
          ])}
          <div class="ed-qfield">
            <label for="ed-auth-token">Token</label>
            <select
              id="ed-auth-token"
              value={form.token}
              onChange={(e) => {
                const token = e.currentTarget.value as AuthForm['token'];
                // Only sign-in by redirect goes without a login page.
                set({ token, ...(token !== 'oidc' && form.loginPage === '' ? { loginPage: doc.homePage } : {}) });
              }}
            >
              <option value="store">Kept in the browser (appsmith.store)</option>
              <option value="session">Kept by the server (session)</option>
              <option value="oidc">Sign-in by redirect (OpenID Connect)</option>
            </select>
          </div>
          {form.token === 'store' && field('ed-auth-key', 'Token store key', 'tokenKey', 'The viewer sends appsmith.store.<key> as the Bearer token.')}
        </div>
        {oidc ? (
          <OidcFields form={form} set={set} slug={doc.slug} secrets={secrets} field={field} />
        ) : form.token === 'session' ? (
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
        {!oidc && (
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
        )}
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

/** The "Client secret" choice's value for a name typed in "Secret name" (not an identifier, so
 * it is no secret's name). */
const ANOTHER_SECRET = '*another*';

/** Sign-in by redirect: the provider, the app's client at it, and the URIs to register there. */
function OidcFields(props: {
  form: AuthForm;
  set: (patch: Partial<AuthForm>) => void;
  slug: string;
  secrets: ReadonlySet<string> | null;
  field: (id: string, label: string, key: TextField, hint?: string) => preact.JSX.Element;
}) {
  const { form, set, secrets, field } = props;
  const secret = form.clientSecret;
  const configured = [...(secrets ?? [])].sort();
  const [typing, setTyping] = useState(false);
  // A name that is not (yet) one of the server's secrets is shown in its text field.
  const other = typing || (secret !== '' && !configured.includes(secret));
  const [copied, setCopied] = useState<string | null>(null);
  const uris = oidcRedirectUris(typeof location === 'undefined' ? '' : location.origin, props.slug);
  const copy = (uri: string, what: string): void => {
    const done = navigator.clipboard?.writeText(uri) ?? Promise.reject(new Error('no clipboard'));
    done.then(
      () => setCopied(`Copied the ${what}.`),
      () => setCopied(`Could not copy the ${what}: select it and copy it.`),
    );
  };
  const uri = (id: string, label: string, value: string, what: string) => (
    <div class="ed-query-line">
      <div class="ed-qfield ed-qfield-grow">
        <label for={id}>{label}</label>
        <input id={id} value={value} readOnly spellcheck={false} />
      </div>
      <button type="button" class="ed-btn" onClick={() => copy(value, what)}>
        Copy {what}
      </button>
    </div>
  );
  return (
    <>
      <p class="ed-muted ed-small">
        The server sends visitors to the provider's login page and keeps their tokens; queries send them with {'{{session.accessToken}}'}. A page can offer a button with
        appsmith.signIn() and appsmith.signOut().
      </p>
      <div class="ed-query-line">
        {field('ed-auth-oidc-issuer', 'Issuer', 'oidcIssuer', 'https://…; the server reads <issuer>/.well-known/openid-configuration.')}
        {field('ed-auth-client-id', 'Client ID', 'clientId')}
      </div>
      <div class="ed-query-line">
        <div class="ed-qfield">
          <label for="ed-auth-client-secret">Client secret</label>
          <select
            id="ed-auth-client-secret"
            value={other ? ANOTHER_SECRET : secret}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setTyping(v === ANOTHER_SECRET);
              if (v !== ANOTHER_SECRET) set({ clientSecret: v });
            }}
          >
            <option value="">None (public client)</option>
            {configured.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
            <option value={ANOTHER_SECRET}>Another secret name…</option>
          </select>
        </div>
        {other && field('ed-auth-secret-name', 'Secret name', 'clientSecret', 'The server reads it from LOWKEY_SECRET_<name>.')}
        {field('ed-auth-scopes', 'Scopes', 'scopes', `Separated by spaces or commas; openid is required (default: ${DEFAULT_OIDC_SCOPES}).`)}
      </div>
      {secret !== '' && <SecretStatus value={`{{secrets.${secret}}}`} secrets={secrets} />}
      <p class="ed-muted ed-small">Register these at the provider for this app (with the grant types authorization code and refresh token):</p>
      {uri('ed-auth-redirect-uri', 'Redirect URI', uris.redirect, 'redirect URI')}
      {uri('ed-auth-logout-uri', 'Post-logout redirect URI', uris.postLogout, 'post-logout URI')}
      <p class="ed-small" role="status">
        {copied}
      </p>
    </>
  );
}
