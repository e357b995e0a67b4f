/**
 * The editor screen at /edit/<slug>: it opens the app's editing session, builds the
 * `EditorContext` every part of the screen shares (the session, the page on the canvas, the
 * selection, the command registry with the app's and the canvas's commands), listens for the
 * keyboard once, and lays the parts out: the top bar; on the left the palette and the pages
 * panel; the canvas in the centre; the property pane on the right. Preview replaces the layout
 * while it is open (the session, its history and its autosave stay).
 *
 * When the builder's session ends while editing (a save, a publish or the versions answered
 * 401), a sign-in dialog opens over the screen: it signs in again in place and then saves what
 * is pending, so the document, the undo history and the selection all stay. Only an app that
 * cannot even be opened sends the builder to the sign-in page.
 */

import { effect, signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import { createEditingSession } from '../save/session.ts';
import { CommandRegistry } from '../doc/registry.ts';
import type { EditingSession } from '../doc/types.ts';
import type { Builder } from '../api.ts';
import { registerCanvasCommands } from './canvas/commands.ts';
import { Canvas } from './Canvas.tsx';
import { CodePane, useSecrets } from './CodePane.tsx';
import { JsObjectsPanel, QueriesPanel } from './CodePanels.tsx';
import { EditorCtx, useEditor, type EditorContext } from './context.ts';
import { DatasourcesPanel } from './Datasources.tsx';
import { PagesPanel } from './PagesPanel.tsx';
import { SignInPanel } from './SignInSettings.tsx';
import { Palette } from './Palette.tsx';
import { Preview } from './Preview.tsx';
import { PropertyPane } from './PropertyPane.tsx';
import { SignInAgain } from './SignIn.tsx';
import { TopBar } from './TopBar.tsx';
import { ProblemsDialog, PublishDialog, VersionsDialog } from './Versions.tsx';
import { AppsLink } from './shell/AppsLink.tsx';
import { api } from './shell/client.ts';
import { registerAppCommands } from './shell/appCommands.ts';
import { errorMessage, isSignedOut, statusOf } from './shell/errors.ts';
import { editorKeyHandler } from './shell/keys.ts';
import { createScreenState, dismissNotice, pushNotice, type ScreenState } from './shell/screenState.ts';

export interface EditorScreenProps {
  readonly slug: string;
  readonly builder: Builder;
  /** The app could not be opened for want of a session: the sign-in page takes over. */
  readonly onSignedOut: () => void;
  /** The builder signed in again from the dialog over the editor. */
  readonly onSignedIn: (builder: Builder) => void;
}

type Opening =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly title: string; readonly message: string; readonly retry: boolean }
  | { readonly state: 'ready'; readonly ctx: EditorContext; readonly screen: ScreenState };

export function EditorScreen({ slug, builder, onSignedOut, onSignedIn }: EditorScreenProps) {
  const [opening, setOpening] = useState<Opening>({ state: 'loading' });
  // A restore replaces the draft on the server: the session is opened again on it.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let session: EditingSession | null = null;
    setOpening({ state: 'loading' });
    createEditingSession(slug, api).then(
      (s) => {
        if (cancelled) {
          s.dispose();
          return;
        }
        session = s;
        const screen = createScreenState();
        setOpening({ state: 'ready', ctx: editorContext(slug, s, screen), screen });
      },
      (err: unknown) => {
        if (cancelled) return;
        if (isSignedOut(err)) {
          onSignedOut();
          return;
        }
        const missing = statusOf(err) === 404;
        setOpening({
          state: 'error',
          title: missing ? 'App not found' : 'The app could not be opened',
          message: missing ? `There is no app "${slug}" on this server.` : errorMessage(err),
          retry: !missing,
        });
      },
    );
    return () => {
      cancelled = true;
      // Leaving the app (for the list, another app, a restore): what is not saved yet is
      // written first. (The journal would bring it back anyway on the next visit.)
      const leaving = session;
      if (leaving) void leaving.flush().finally(() => leaving.dispose());
    };
  }, [slug, generation]);

  if (opening.state === 'loading') {
    return (
      <main class="ed-centred" aria-busy="true">
        <p role="status">Opening the app…</p>
      </main>
    );
  }
  if (opening.state === 'error') {
    return (
      <main class="ed-centred">
        <div class="ed-card" role="alert">
          <h1>{opening.title}</h1>
          <p>{opening.message}</p>
          <div class="ed-dialog-actions">
            <AppsLink />
            {opening.retry && (
              <button type="button" class="ed-btn" onClick={() => setGeneration((n) => n + 1)}>
                Try again
              </button>
            )}
          </div>
        </div>
      </main>
    );
  }
  return (
    <EditorCtx.Provider value={opening.ctx}>
      <Screen
        screen={opening.screen}
        builder={builder}
        onRestored={() => setGeneration((n) => n + 1)}
        onSignedIn={onSignedIn}
      />
    </EditorCtx.Provider>
  );
}

function editorContext(slug: string, session: EditingSession, screen: ScreenState): EditorContext {
  const commands = new CommandRegistry<EditorContext>();
  const ctx: EditorContext = {
    slug,
    session,
    currentPage: signal(session.doc.peek().homePage),
    open: signal(null),
    selection: signal([]),
    commands,
    notify: (message) => pushNotice(screen, message),
  };
  registerAppCommands(commands, screen);
  registerCanvasCommands(commands);
  return ctx;
}

function Screen(props: { screen: ScreenState; builder: Builder; onRestored: () => void; onSignedIn: (builder: Builder) => void }) {
  const { screen } = props;
  const ctx = useEditor();
  const secrets = useSecrets();

  useEffect(() => {
    const onKey = editorKeyHandler(ctx, screen);
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [ctx, screen]);

  // A save answered 401: ask the builder to sign in again (once; "Not now" leaves a button in
  // the top bar).
  useEffect(
    () =>
      effect(() => {
        if (ctx.session.saveState.value === 'signedOut') screen.signingIn.value = true;
      }),
    [ctx, screen],
  );

  // A publish or the versions answered 401: the dialog that asked gives way to the sign-in.
  const needSignIn = (): void => {
    screen.publishing.value = false;
    screen.showingVersions.value = false;
    screen.signingIn.value = true;
  };
  const signingIn = screen.signingIn.value && (
    <SignInAgain
      email={props.builder.email}
      onClose={() => (screen.signingIn.value = false)}
      onSignedIn={(builder) => {
        screen.signingIn.value = false;
        props.onSignedIn(builder);
        void ctx.session.flush();
      }}
    />
  );

  if (screen.previewing.value) {
    return (
      <>
        <Preview onBack={() => (screen.previewing.value = false)} />
        {signingIn}
      </>
    );
  }
  return (
    <div class="ed-screen">
      <DocumentWatch />
      <TopBar screen={screen} builder={props.builder} />
      <div class="ed-body">
        <div class="ed-left">
          <Palette />
          <PagesPanel screen={screen} />
          <QueriesPanel />
          <JsObjectsPanel />
          <DatasourcesPanel
            selected={ctx.open.value?.kind === 'datasource' ? ctx.open.value.name : null}
            onSelect={(name) => (ctx.open.value = name === null ? null : { kind: 'datasource', name })}
            secrets={secrets}
          />
          <SignInPanel />
        </div>
        <main class="ed-centre">
          <div class="ed-canvas-scroll">
            <Canvas />
          </div>
          <CodePane secrets={secrets} />
        </main>
        <div class="ed-right">
          <PropertyPane />
        </div>
      </div>
      <Notices screen={screen} />
      {screen.publishing.value && (
        <PublishDialog onClose={() => (screen.publishing.value = false)} onSignedOut={needSignIn} />
      )}
      {screen.showingProblems.value && <ProblemsDialog onClose={() => (screen.showingProblems.value = false)} />}
      {screen.showingVersions.value && (
        <VersionsDialog
          onClose={() => (screen.showingVersions.value = false)}
          onRestored={props.onRestored}
          onSignedOut={needSignIn}
        />
      )}
      {signingIn}
    </div>
  );
}

/**
 * What follows the document as a whole: the tab's title, and the page on the canvas when that
 * page is gone (deleted or renamed by undo, or by another tab), which falls back to the home
 * page. A component of its own, rendering nothing, so a change to the document re-renders
 * this and not the whole screen (the canvas and the panes follow the document themselves).
 */
function DocumentWatch() {
  const ctx = useEditor();
  const doc = ctx.session.doc.value;
  useEffect(() => {
    document.title = `${doc.name} · Lowkey editor`;
  }, [doc.name]);
  useEffect(() => {
    if (!doc.pages.some((p) => p.name === ctx.currentPage.peek())) {
      ctx.currentPage.value = doc.homePage;
      ctx.selection.value = [];
    }
  }, [doc]);
  return null;
}

function Notices({ screen }: { screen: ScreenState }) {
  return (
    <div class="ed-notices" aria-live="assertive">
      {screen.notices.value.map((n) => (
        <div key={n.id} class="ed-notice" role="alert">
          <span>{n.message}</span>
          <button type="button" class="ed-icon-btn" aria-label="Dismiss" onClick={() => dismissNotice(screen, n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
