/**
 * The builder's sign-in at /edit. Errors are sentences a builder can act on: a wrong email or
 * password (never which of the two), a throttled account with how long to wait, a server that
 * cannot be reached. The password never leaves this form except in the sign-in request.
 */

import { useState } from 'preact/hooks';
import type { Builder } from '../api.ts';
import { api } from './shell/client.ts';
import { Field } from './shell/Field.tsx';
import { errorMessage, isUnreachable, retryAfterSeconds } from './shell/errors.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (builder: Builder) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError('');
    try {
      const builder = await api.signIn(email.trim(), password);
      setPassword('');
      onSignedIn(builder);
    } catch (err) {
      setError(signInError(err));
      setBusy(false);
    }
  };

  return (
    <main class="ed-signin">
      <form class="ed-card ed-signin-card" onSubmit={(e) => void submit(e)} noValidate>
        <h1>Lowkey editor</h1>
        <p class="ed-muted">Sign in with your builder account.</p>
        <Field label="Email" type="email" name="email" autoComplete="username" value={email} onInput={setEmail} />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          onInput={setPassword}
        />
        {error && (
          <p class="ed-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="ed-btn ed-btn-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function signInError(err: unknown): string {
  if (isUnreachable(err)) return 'The server cannot be reached. Check your connection and try again.';
  const wait = retryAfterSeconds(err);
  if (wait !== null) {
    return `Too many sign-in attempts. Try again in ${wait} second${wait === 1 ? '' : 's'}.`;
  }
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 400 || status === 401 || status === 403) return 'Wrong email or password.';
  return errorMessage(err);
}
