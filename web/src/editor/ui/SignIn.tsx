/**
 * The builder's sign-in: the form at /edit, and the same form in a dialog over the editor when
 * the session ends while editing (expired, revoked, signed out in another tab), which signs in
 * again in place so nothing on the screen is lost. Errors are sentences a builder can act on: a
 * wrong email or password (never which of the two), a throttled account with how long to wait,
 * a server that cannot be reached. The password never leaves this form except in the sign-in
 * request.
 */

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Builder } from '../api.ts';
import { api } from './shell/client.ts';
import { Dialog } from './shell/Dialog.tsx';
import { Field } from './shell/Field.tsx';
import { errorMessage, isUnreachable, retryAfterSeconds } from './shell/errors.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (builder: Builder) => void }) {
  return (
    <main class="ed-signin">
      <SignInForm class="ed-card ed-signin-card" onSignedIn={onSignedIn}>
        <h1>Lowkey editor</h1>
        <p class="ed-muted">Sign in with your builder account.</p>
      </SignInForm>
    </main>
  );
}

export interface SignInAgainProps {
  /** The builder who was signed in (the email field starts with it). */
  readonly email: string;
  readonly onSignedIn: (builder: Builder) => void;
  /** "Not now" or Esc: the editor stays, its changes wait unsaved. */
  readonly onClose: () => void;
}

/** The sign-in dialog over the editor, for a session that ended while editing. */
export function SignInAgain({ email, onSignedIn, onClose }: SignInAgainProps) {
  return (
    <Dialog title="Sign in again" onClose={onClose}>
      <SignInForm class="ed-signin-card" initialEmail={email} onSignedIn={onSignedIn} onCancel={onClose}>
        <p>
          Your session has ended: it expired, was revoked, or you signed out in another tab. Your changes are kept in this
          browser; sign in to save them.
        </p>
      </SignInForm>
    </Dialog>
  );
}

interface SignInFormProps {
  readonly onSignedIn: (builder: Builder) => void;
  readonly class: string;
  /** What the form says above its fields. */
  readonly children: ComponentChildren;
  readonly initialEmail?: string;
  /** Shows a "Not now" button next to "Sign in". */
  readonly onCancel?: () => void;
}

function SignInForm({ onSignedIn, class: cls, children, initialEmail = '', onCancel }: SignInFormProps) {
  const [email, setEmail] = useState(initialEmail);
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

  const signInButton = (
    <button type="submit" class="ed-btn ed-btn-primary" disabled={busy}>
      {busy ? 'Signing in…' : 'Sign in'}
    </button>
  );
  return (
    <form class={cls} onSubmit={(e) => void submit(e)} noValidate>
      {children}
      <Field label="Email" type="email" name="email" autoComplete="username" value={email} onInput={setEmail} />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        value={password}
        onInput={setPassword}
        // The email is known: the password is what is left to type.
        autoFocus={initialEmail !== ''}
      />
      {error && (
        <p class="ed-error" role="alert">
          {error}
        </p>
      )}
      {onCancel ? (
        <div class="ed-dialog-actions">
          <button type="button" class="ed-btn" onClick={onCancel}>
            Not now
          </button>
          {signInButton}
        </div>
      ) : (
        signInButton
      )}
    </form>
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
