/**
 * Publishing and the published versions. Publish saves the draft first (so what is published
 * is what the builder sees), then publishes that revision and shows the new version, or the
 * problems that stopped it, each located by page, widget and property; choosing one shows its
 * widget selected on the canvas. Versions lists every published version with who published it
 * and when, and restores one after asking.
 */

import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Published as PublishedVersion } from '../api.ts';
import type { Problem } from '../doc/types.ts';
import { useEditor } from './context.ts';
import { CloseButtonRow, Confirm, Dialog } from './shell/Dialog.tsx';
import { api } from './shell/client.ts';
import { errorMessage, isSignedOut } from './shell/errors.ts';

type Publishing =
  | { readonly state: 'saving' }
  | { readonly state: 'publishing' }
  | { readonly state: 'published'; readonly version: PublishedVersion }
  | { readonly state: 'problems'; readonly problems: readonly Problem[] }
  | { readonly state: 'failed'; readonly message: string };

export function PublishDialog({ onClose, onSignedOut }: { onClose: () => void; onSignedOut: () => void }) {
  const ctx = useEditor();
  const { session } = ctx;
  const [state, setState] = useState<Publishing>({ state: 'saving' });

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      await session.flush();
      if (cancelled) return;
      const saved = session.saveState.peek();
      if (saved !== 'saved') {
        setState({
          state: 'failed',
          message: `The draft is not saved (${session.saveMessage.peek() || saved}), so it was not published. Publish again once it is saved.`,
        });
        return;
      }
      setState({ state: 'publishing' });
      try {
        const version = await api.publish(ctx.slug, session.revision.peek());
        if (!cancelled) setState({ state: 'published', version });
      } catch (err) {
        if (cancelled) return;
        if (isSignedOut(err)) onSignedOut();
        if (err instanceof ApiError && err.problems.length > 0) {
          setState({ state: 'problems', problems: err.problems });
          return;
        }
        setState({ state: 'failed', message: errorMessage(err) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <Dialog title="Publish" onClose={onClose}>
      <div aria-live="polite">
        {state.state === 'saving' && <p role="status">Saving the draft…</p>}
        {state.state === 'publishing' && <p role="status">Publishing…</p>}
        {state.state === 'published' && (
          <p>
            Published version {state.version.version}
            {' · '}
            <a href={`/app/${encodeURIComponent(ctx.slug)}`} target="_blank" rel="noopener">
              Open the app
            </a>
          </p>
        )}
        {state.state === 'failed' && (
          <p class="ed-error" role="alert">
            {state.message}
          </p>
        )}
        {state.state === 'problems' && (
          <>
            <p role="alert">
              Not published: the draft has {state.problems.length} problem{state.problems.length === 1 ? '' : 's'}.
            </p>
            <ProblemList problems={state.problems} onShown={onClose} />
          </>
        )}
      </div>
      <CloseButtonRow onClose={onClose} />
    </Dialog>
  );
}

/** Located problems; choosing one shows its page with its widget selected. */
function ProblemList({ problems, onShown }: { problems: readonly Problem[]; onShown: () => void }) {
  const ctx = useEditor();
  const show = (p: Problem): void => {
    if (p.page && ctx.session.doc.peek().pages.some((page) => page.name === p.page)) {
      ctx.currentPage.value = p.page;
      ctx.selection.value = p.widget ? [p.widget] : [];
    }
    onShown();
  };
  return (
    <ul class="ed-problems">
      {problems.map((p, i) => (
        <li key={i}>
          {p.widget ? (
            <button type="button" class="ed-link-btn" onClick={() => show(p)}>
              {problemPlace(p)}
            </button>
          ) : (
            <span>{problemPlace(p)}</span>
          )}
          : {p.message}
        </li>
      ))}
    </ul>
  );
}

/** The draft's problems as the server found them on the last save (they stop a publish). */
export function ProblemsDialog({ onClose }: { onClose: () => void }) {
  const problems = useEditor().session.problems.value;
  return (
    <Dialog title="Problems" onClose={onClose}>
      {problems.length === 0 ? <p>The draft has no problems.</p> : <ProblemList problems={problems} onShown={onClose} />}
      <CloseButtonRow onClose={onClose} />
    </Dialog>
  );
}

/** "LoginPage › inp_username › regex", or the file and line when nothing finer is known. */
export function problemPlace(p: Problem): string {
  const parts = [p.page, p.widget, p.property].filter((x): x is string => typeof x === 'string' && x !== '');
  if (parts.length > 0) return parts.join(' › ');
  return p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file || 'app';
}

type Listing =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly message: string }
  | { readonly state: 'ready'; readonly versions: readonly PublishedVersion[] };

export function VersionsDialog(props: { onClose: () => void; onRestored: () => void; onSignedOut: () => void }) {
  const ctx = useEditor();
  const [listing, setListing] = useState<Listing>({ state: 'loading' });
  const [asking, setAsking] = useState<PublishedVersion | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    let cancelled = false;
    api.listVersions(ctx.slug).then(
      (list) => !cancelled && setListing({ state: 'ready', versions: [...list].sort((a, b) => b.version - a.version) }),
      (err: unknown) => {
        if (cancelled) return;
        if (isSignedOut(err)) props.onSignedOut();
        setListing({ state: 'error', message: errorMessage(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const doRestore = async (v: PublishedVersion): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      // Changes not yet on the server would be overwritten by the restore, or lost with it.
      await ctx.session.flush();
      await api.restoreVersion(ctx.slug, v.version, ctx.session.revision.peek());
      props.onRestored();
    } catch (err) {
      if (isSignedOut(err)) props.onSignedOut();
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <>
      <Dialog title="Versions" onClose={props.onClose}>
        {listing.state === 'loading' && <p role="status">Loading versions…</p>}
        {listing.state === 'error' && (
          <p class="ed-error" role="alert">
            {listing.message}
          </p>
        )}
        {listing.state === 'ready' && listing.versions.length === 0 && <p>Nothing published yet.</p>}
        {listing.state === 'ready' && listing.versions.length > 0 && (
          <ul class="ed-versions">
            {listing.versions.map((v) => (
              <li key={v.version}>
                <span>
                  <strong>Version {v.version}</strong> · {v.publishedBy} ·{' '}
                  <time dateTime={new Date(v.publishedAt).toISOString()}>{formatTime(v.publishedAt)}</time>
                </span>
                <button
                  type="button"
                  class="ed-btn ed-btn-small"
                  aria-label={`Restore version ${v.version}`}
                  onClick={() => setAsking(v)}
                >
                  Restore
                </button>
              </li>
            ))}
          </ul>
        )}
        <CloseButtonRow onClose={props.onClose} />
      </Dialog>
      {asking && (
        <Confirm
          title={`Restore version ${asking.version}?`}
          message={`The draft is replaced by version ${asking.version}. The published app does not change until you publish.`}
          confirmLabel="Restore"
          busy={busy}
          error={error}
          onCancel={() => setAsking(null)}
          onConfirm={() => void doRestore(asking)}
        />
      )}
    </>
  );
}

function formatTime(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? String(at) : d.toLocaleString();
}
