/**
 * The viewer's screens: loading the app, the error screens (unknown app, network error,
 * invalid definition, unknown page), and the app itself (page navigation, the page with its
 * loading state, toasts).
 *
 * By default it runs the published app the tab's URL names. The editor's preview embeds it
 * with a host of its own (URL and store in memory, queries run against the draft) and its own
 * source of the definition: the same components, navigation and pages, on the draft.
 */

import { useEffect, useMemo, useState } from 'preact/hooks';
import { storageKey, type AppRuntime, type PageDef, type Toast } from '../runtime/index.ts';
import { Grid } from '../widgets/index.ts';
import { ViewerSession, type Boot, type EmbeddedApp } from './session.ts';

export type { EmbeddedApp };

export interface ViewerProps {
  /** Runs the app inside another page instead of this tab (the tab's URL and title stay). */
  readonly embedded?: EmbeddedApp;
}

export function Viewer({ embedded }: ViewerProps = {}) {
  const session = useMemo(() => new ViewerSession(embedded), [embedded]);
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => () => session.dispose(), [session]);

  useEffect(() => {
    let cancelled = false;
    setBoot({ state: 'loading' });
    void session.load().then((b) => {
      if (!cancelled && b) setBoot(b);
    });
    return () => {
      cancelled = true;
    };
  }, [attempt, session]);

  if (boot.state === 'loading') return <Loading label="Loading app…" />;
  if (boot.state === 'error') {
    return (
      <ErrorScreen
        title={boot.title}
        detail={boot.detail}
        onRetry={boot.retry ? () => setAttempt((n) => n + 1) : undefined}
        link={boot.link}
      />
    );
  }
  const onLocked = (page: PageDef): void => {
    void session.unlock(page).then((b) => {
      if (b) setBoot(b);
    });
  };
  return <AppView runtime={boot.runtime} inTab={!embedded} onLocked={onLocked} />;
}

/**
 * `inTab`: the app owns this tab (its history, its title, its localStorage). `onLocked`: the
 * runtime entered a page its definition has locked (shown as loading until the viewer acts).
 */
function AppView(props: { runtime: AppRuntime; inTab: boolean; onLocked: (page: PageDef) => void }) {
  const { runtime, inTab } = props;
  useEffect(() => {
    const onPop = (): void => void runtime.followLocation();
    const onStorage = (e: StorageEvent): void => {
      if (e.key === null || e.key === storageKey(runtime.app.slug)) runtime.followStorage();
    };
    if (inTab) {
      window.addEventListener('popstate', onPop);
      window.addEventListener('storage', onStorage);
    }
    void runtime.start();
    return () => {
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('storage', onStorage);
    };
  }, [runtime, inTab]);

  const view = runtime.view.value;
  const page = view.status === 'loading' || view.status === 'ready' ? view.page : undefined;

  useEffect(() => {
    if (view.status === 'locked') props.onLocked(view.page);
  }, [view]);

  useEffect(() => {
    if (inTab) document.title = page ? `${page.name} · ${runtime.app.name}` : runtime.app.name;
  }, [page, runtime, inTab]);

  return (
    <div class="lk-app">
      <header class="lk-header">
        <span class="lk-app-name">{runtime.app.name}</span>
        <PageNav runtime={runtime} current={page} />
      </header>
      <main class="lk-main">
        {(view.status === 'starting' || view.status === 'loading' || view.status === 'locked') && (
          <Loading label="Loading page…" />
        )}
        {view.status === 'not_found' && (
          <ErrorScreen
            title="Page not found"
            detail={`The app "${runtime.app.name}" has no page "${view.pageSlug}".`}
            link={{ href: `/app/${encodeURIComponent(runtime.app.slug)}`, label: 'Open the home page' }}
          />
        )}
        {view.status === 'ready' && (
          <div class="lk-page" data-page={view.page.name}>
            <Grid widgets={view.widgets.roots} />
          </div>
        )}
      </main>
      <Toasts runtime={runtime} />
    </div>
  );
}

function PageNav({ runtime, current }: { runtime: AppRuntime; current: PageDef | undefined }) {
  const pages = runtime.navPages(current);
  return (
    <nav class="lk-nav" aria-label="Pages">
      {pages.map((p) => (
        <a
          key={p.name}
          href={runtime.pageHref(p)}
          aria-current={p === current ? 'page' : undefined}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            runtime.goToPage(p);
          }}
        >
          {p.name}
        </a>
      ))}
    </nav>
  );
}

const TOAST_MS = 6000;

function Toasts({ runtime }: { runtime: AppRuntime }) {
  const toasts = runtime.toasts.value;
  return (
    <div class="lk-toasts">
      {toasts.map((t) => (
        <ToastView key={t.id} toast={t} onClose={() => runtime.dismissToast(t.id)} />
      ))}
    </div>
  );
}

function ToastView({ toast, onClose }: { toast: Toast; onClose: () => void }) {
  useEffect(() => {
    const timer = window.setTimeout(onClose, TOAST_MS);
    return () => window.clearTimeout(timer);
  }, [toast.id]);
  return (
    <div class={`lk-toast lk-toast-${toast.type}`} role="alert" data-alert-type={toast.type}>
      <span class="lk-toast-message">{toast.message}</span>
      <button type="button" class="lk-toast-close" aria-label="Dismiss" onClick={onClose}>
        ×
      </button>
    </div>
  );
}

function Loading({ label }: { label: string }) {
  return (
    <div class="lk-loading" role="status" aria-live="polite">
      <span class="lk-spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

function ErrorScreen(props: {
  title: string;
  detail: string;
  onRetry?: (() => void) | undefined;
  link?: { href: string; label: string } | undefined;
}) {
  return (
    <div class="lk-error-screen" role="alert" data-error-screen="">
      <h1>{props.title}</h1>
      <p>{props.detail}</p>
      {props.onRetry && (
        <button type="button" class="lk-button lk-inline-button" onClick={props.onRetry}>
          Try again
        </button>
      )}
      {props.link && <a href={props.link.href}>{props.link.label}</a>}
    </div>
  );
}
