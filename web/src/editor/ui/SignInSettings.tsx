/**
 * The app's sign-in (`auth` of app.yaml): a region named "Sign-in" in the left pane that says
 * how visitors sign in, with a button that opens its settings in the code pane — the login
 * page, where the viewer keeps the token ("Token store key", store mode), how the server
 * verifies it (the built-in provider, a provider's JWKS, or a userinfo query), and the claim
 * roles are read from. Applied as one undoable change by "Save sign-in"; "Remove sign-in" only
 * once nothing is protected.
 */

import { useState } from 'preact/hooks';
import { authForm, removeAppAuth, setAppAuth, type AuthForm } from '../doc/access.ts';
import { useEditor } from './context.ts';

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
        {form ? `Visitors sign in on ${form.loginPage}; tokens are checked by ${verify}.` : 'Not set up: every page and query is open to everyone.'}
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
  const field = (id: string, label: string, key: keyof AuthForm, hint?: string) => (
    <div class="ed-qfield ed-qfield-grow">
      <label for={id}>{label}</label>
      <input id={id} value={form[key]} spellcheck={false} onInput={(e) => set({ [key]: e.currentTarget.value })} />
      {hint && <span class="ed-muted ed-small">{hint}</span>}
    </div>
  );
  return (
    <form class="ed-code-editor" aria-label="Sign-in settings" onSubmit={(e) => e.preventDefault()}>
      <p class="ed-small">
        {doc.auth ? 'Protected pages and queries are refused by the server to visitors without a valid token.' : 'Set up sign-in to protect pages and queries (their Access).'}
      </p>
      <div class="ed-query-fields">
        <div class="ed-query-line">
          <div class="ed-qfield">
            <label for="ed-auth-login">Login page</label>
            <select id="ed-auth-login" value={form.loginPage} onChange={(e) => set({ loginPage: e.currentTarget.value })}>
              {doc.pages.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          {field('ed-auth-key', 'Token store key', 'tokenKey', 'The viewer sends appsmith.store.<key> as the Bearer token.')}
        </div>
        <div class="ed-query-line">
          <div class="ed-qfield">
            <label for="ed-auth-verify">Verification</label>
            <select id="ed-auth-verify" value={form.verify} onChange={(e) => set({ verify: e.currentTarget.value as AuthForm['verify'] })}>
              <option value="builtin">This server's built-in provider</option>
              <option value="jwks">A provider's JWKS</option>
              <option value="userinfo">A userinfo query</option>
            </select>
          </div>
          {form.verify === 'jwks' && field('ed-auth-jwks', 'JWKS URL', 'jwks')}
          {form.verify === 'jwks' && field('ed-auth-issuer', 'Issuer', 'issuer')}
          {form.verify === 'jwks' && field('ed-auth-audience', 'Audience', 'audience', 'Optional.')}
          {form.verify === 'userinfo' && (
            <div class="ed-qfield">
              <label for="ed-auth-userinfo">Userinfo query</label>
              <select id="ed-auth-userinfo" value={form.userinfo} onChange={(e) => set({ userinfo: e.currentTarget.value })}>
                <option value="">Choose a query…</option>
                {doc.queries.map((q) => (
                  <option key={q.name} value={q.name}>
                    {q.name}
                  </option>
                ))}
              </select>
            </div>
          )}
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
