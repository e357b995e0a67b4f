/**
 * The editor's root: who is signed in, and which screen the address names. Not signed in →
 * the sign-in form (whatever the address; the address stays, so a builder who opened
 * /edit/<slug> lands there after signing in). Signed in → the app list at /edit, or the editor
 * screen of one app at /edit/<slug>. A screen that finds the session gone (401) calls
 * `onSignedOut`, which brings the sign-in form back — except the editor screen once its app is
 * open: it signs the builder in again over the editor (nothing on it is lost) and says who
 * signed in with `onSignedIn`.
 */

import { useEffect, useState } from 'preact/hooks';
import type { Builder } from '../api.ts';
import { api } from './shell/client.ts';
import { AppList } from './AppList.tsx';
import { EditorScreen } from './EditorScreen.tsx';
import { SignIn } from './SignIn.tsx';
import { errorMessage, isSignedOut } from './shell/errors.ts';
import { currentPath, routeOf } from './shell/router.ts';

type Auth =
  | { readonly state: 'checking' }
  | { readonly state: 'signed-out' }
  | { readonly state: 'signed-in'; readonly builder: Builder }
  | { readonly state: 'unreachable'; readonly message: string };

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    api.currentBuilder().then(
      (builder) => {
        if (!cancelled) setAuth(builder ? { state: 'signed-in', builder } : { state: 'signed-out' });
      },
      (err: unknown) => {
        if (cancelled) return;
        setAuth(isSignedOut(err) ? { state: 'signed-out' } : { state: 'unreachable', message: errorMessage(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  const onSignedOut = (): void => setAuth({ state: 'signed-out' });
  const onSignedIn = (builder: Builder): void => setAuth({ state: 'signed-in', builder });
  const doSignOut = async (): Promise<void> => {
    try {
      await api.signOut();
    } finally {
      onSignedOut();
    }
  };

  switch (auth.state) {
    case 'checking':
      return (
        <main class="ed-centred" aria-busy="true">
          <p role="status">Loading…</p>
        </main>
      );
    case 'unreachable':
      return (
        <main class="ed-centred">
          <div class="ed-card" role="alert">
            <h1>The editor could not start</h1>
            <p>{auth.message}</p>
            <button type="button" class="ed-btn" onClick={() => setAttempt((n) => n + 1)}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'signed-out':
      return <SignIn onSignedIn={onSignedIn} />;
    case 'signed-in': {
      const route = routeOf(currentPath.value);
      if (route.screen === 'editor') {
        return (
          <EditorScreen key={route.slug} slug={route.slug} builder={auth.builder} onSignedOut={onSignedOut} onSignedIn={onSignedIn} />
        );
      }
      return <AppList builder={auth.builder} onSignOut={() => void doSignOut()} onSignedOut={onSignedOut} />;
    }
  }
}
