/**
 * The app list at /edit: every app the builder can edit, a "New app" button that asks for the
 * name in a dialog, each app a link to its editor and a "Delete <name>" button that asks first.
 */

import { useEffect, useState } from 'preact/hooks';
import type { AppSummary, Builder } from '../api.ts';
import { api } from './shell/client.ts';
import { Confirm, Dialog } from './shell/Dialog.tsx';
import { errorMessage, isSignedOut } from './shell/errors.ts';
import { Field } from './shell/Field.tsx';
import { editorPath, isPlainClick, navigate } from './shell/router.ts';

type Listing =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly message: string }
  | { readonly state: 'ready'; readonly apps: readonly AppSummary[] };

export interface AppListProps {
  readonly builder: Builder;
  readonly onSignOut: () => void;
  /** The session turned out to be gone. */
  readonly onSignedOut: () => void;
}

export function AppList({ builder, onSignOut, onSignedOut }: AppListProps) {
  const [listing, setListing] = useState<Listing>({ state: 'loading' });
  const [reload, setReload] = useState(0);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<AppSummary | null>(null);

  useEffect(() => {
    document.title = 'Apps · Lowkey editor';
    let cancelled = false;
    api.listApps().then(
      (apps) => !cancelled && setListing({ state: 'ready', apps }),
      (err: unknown) => {
        if (cancelled) return;
        if (isSignedOut(err)) onSignedOut();
        else setListing({ state: 'error', message: errorMessage(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [reload]);

  return (
    <div class="ed-page">
      <header class="ed-topbar">
        <span class="ed-brand">Lowkey</span>
        <span class="ed-spacer" />
        <span class="ed-muted">{builder.email}</span>
        <button type="button" class="ed-btn" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main class="ed-apps">
        <div class="ed-apps-head">
          <h1>Apps</h1>
          <button type="button" class="ed-btn ed-btn-primary" onClick={() => setCreating(true)}>
            New app
          </button>
        </div>
        {listing.state === 'loading' && <p role="status">Loading apps…</p>}
        {listing.state === 'error' && (
          <div role="alert" class="ed-error">
            <p>The apps could not be loaded: {listing.message}</p>
            <button type="button" class="ed-btn" onClick={() => setReload((n) => n + 1)}>
              Try again
            </button>
          </div>
        )}
        {listing.state === 'ready' && listing.apps.length === 0 && (
          <p class="ed-muted">No apps yet. Make the first one with “New app”.</p>
        )}
        {listing.state === 'ready' && listing.apps.length > 0 && (
          <ul class="ed-app-list" aria-label="Apps">
            {listing.apps.map((app) => (
              <li key={app.slug} class="ed-app-row">
                <a
                  href={editorPath(app.slug)}
                  class="ed-app-link"
                  onClick={(e) => {
                    if (!isPlainClick(e)) return;
                    e.preventDefault();
                    navigate(editorPath(app.slug));
                  }}
                >
                  {app.name}
                </a>
                <span class="ed-muted ed-app-slug">/app/{app.slug}</span>
                <span class="ed-muted ed-small">{app.publishedVersion === null ? 'Not published' : `Published: version ${app.publishedVersion}`}</span>
                <button type="button" class="ed-btn ed-btn-quiet" aria-label={`Delete ${app.name}`} onClick={() => setDeleting(app)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </main>
      {creating && (
        <NewAppDialog
          onClose={() => setCreating(false)}
          onCreated={(app) => navigate(editorPath(app.slug))}
          onSignedOut={onSignedOut}
        />
      )}
      {deleting && (
        <DeleteAppDialog
          app={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            setReload((n) => n + 1);
          }}
          onSignedOut={onSignedOut}
        />
      )}
    </div>
  );
}

function NewAppDialog(props: {
  onClose: () => void;
  onCreated: (app: { readonly slug: string }) => void;
  onSignedOut: () => void;
}) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') {
      setError('Give the app a name.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      props.onCreated(await api.createApp(trimmed));
    } catch (err) {
      if (isSignedOut(err)) props.onSignedOut();
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title="New app" onClose={props.onClose}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Name" name="name" value={name} onInput={setName} problem={error} />
        <div class="ed-dialog-actions">
          <button type="button" class="ed-btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="ed-btn ed-btn-primary" disabled={busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteAppDialog(props: {
  app: AppSummary;
  onClose: () => void;
  onDeleted: () => void;
  onSignedOut: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      await api.deleteApp(props.app.slug);
      props.onDeleted();
    } catch (err) {
      if (isSignedOut(err)) props.onSignedOut();
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <Confirm
      title={`Delete ${props.app.name}?`}
      message={`The app, its draft and every published version are deleted. Its viewer address /app/${props.app.slug} stops working. This cannot be undone.`}
      confirmLabel="Delete"
      busy={busy}
      error={error}
      onConfirm={() => void confirm()}
      onCancel={props.onClose}
    />
  );
}
