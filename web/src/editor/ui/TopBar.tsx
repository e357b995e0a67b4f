/**
 * The editor's top bar: the way back to the app list, the app's name, the save state (a
 * `status`, always visible, in words; it counts the changes not applied after a conflict,
 * listed next to it, and offers to sign in again when the session ended), Undo and Redo (disabled when there is nothing to undo or
 * redo; their titles say what and the shortcut), Preview, Publish and Versions. Each button
 * runs its command from the registry.
 */

import { useComputed } from '@preact/signals';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Builder } from '../api.ts';
import { setAppName } from '../doc/commands.ts';
import type { SaveState } from '../doc/types.ts';
import { useEditor } from './context.ts';
import { AppsLink } from './shell/AppsLink.tsx';
import { COMMAND, runCommand } from './shell/appCommands.ts';
import { NotApplied, notAppliedText } from './shell/NotApplied.tsx';
import type { ScreenState } from './shell/screenState.ts';

/** The save state in words; `notApplied` counts the changes a conflict left out. */
export function saveStateText(state: SaveState, message: string, notApplied = 0): string {
  if (notApplied === 0) return stateText(state, message);
  // The list next to the status names them; the status says there are some.
  if (state === 'conflict') return `Conflict: ${notAppliedText(notApplied)}`;
  return `${stateText(state, message)} · ${notAppliedText(notApplied)}`;
}

function stateText(state: SaveState, message: string): string {
  switch (state) {
    case 'saved':
      return 'All changes saved';
    case 'saving':
    case 'unsaved':
      return 'Saving…';
    case 'offline':
      return 'Offline — changes kept in this browser';
    case 'conflict':
      return `Conflict: ${message || 'the draft was changed elsewhere'}`;
    case 'error':
      return `Not saved: ${message || 'the server refused the change'} (changes kept in this browser)`;
    case 'signedOut':
      return 'Not saved: you are signed out (changes kept in this browser)';
  }
}

export function TopBar({ screen, builder }: { screen: ScreenState; builder: Builder }) {
  const ctx = useEditor();
  const { session, commands } = ctx;
  const state = session.saveState.value;
  // Only the name: the bar does not re-render at every keystroke in a property.
  const appName = useComputed(() => session.doc.value.name).value;
  const shortcut = (id: string): string => {
    const spec = commands.get(id)?.shortcut;
    return spec ? ` (${commands.shortcutLabel(spec)})` : '';
  };
  const undoTitle = session.canUndo.value ? `Undo ${session.undoLabel.value}${shortcut(COMMAND.undo)}` : `Nothing to undo${shortcut(COMMAND.undo)}`;
  const redoTitle = session.canRedo.value ? `Redo ${session.redoLabel.value}${shortcut(COMMAND.redo)}` : `Nothing to redo${shortcut(COMMAND.redo)}`;
  const run = (id: string) => () => runCommand(ctx, screen, id);

  return (
    <header class="ed-topbar">
      <AppsLink />
      {screen.renamingApp.value ? (
        <AppNameField onDone={() => (screen.renamingApp.value = false)} />
      ) : (
        <>
          <h1 class="ed-app-title">{appName}</h1>
          <button type="button" class="ed-icon-btn" aria-label="Rename app" title="Rename app" onClick={run(COMMAND.renameApp)}>
            <span aria-hidden="true">✎</span>
          </button>
        </>
      )}
      <p role="status" class={`ed-save ed-save-${state}`} aria-live="polite">
        {saveStateText(state, session.saveMessage.value, session.notApplied?.value.length ?? 0)}
      </p>
      <NotApplied />
      {state === 'signedOut' && (
        <button type="button" class="ed-btn ed-btn-primary" onClick={() => (screen.signingIn.value = true)}>
          Sign in to save
        </button>
      )}
      {session.problems.value.length > 0 && (
        <button type="button" class="ed-btn ed-btn-warn" onClick={() => (screen.showingProblems.value = true)}>
          {session.problems.value.length} problem{session.problems.value.length === 1 ? '' : 's'}
        </button>
      )}
      <span class="ed-spacer" />
      <div class="ed-toolbar" role="group" aria-label="History">
        <button type="button" class="ed-btn" title={undoTitle} disabled={!session.canUndo.value} onClick={run(COMMAND.undo)}>
          Undo
        </button>
        <button type="button" class="ed-btn" title={redoTitle} disabled={!session.canRedo.value} onClick={run(COMMAND.redo)}>
          Redo
        </button>
      </div>
      <button type="button" class="ed-btn" onClick={run(COMMAND.versions)}>
        Versions
      </button>
      <button type="button" class="ed-btn" onClick={run(COMMAND.preview)}>
        Preview
      </button>
      <button type="button" class="ed-btn ed-btn-primary" onClick={run(COMMAND.publish)}>
        Publish
      </button>
      <span class="ed-muted ed-who" title="Signed in as">
        {builder.email}
      </span>
    </header>
  );
}

/** The app's name, edited in place: Enter keeps it (an undoable change), Esc leaves it. */
function AppNameField({ onDone }: { onDone: () => void }) {
  const { session } = useEditor();
  const [problem, setProblem] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const commit = (): void => {
    try {
      session.apply(setAppName(session.doc.peek(), input.current?.value ?? ''));
      onDone();
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <span class="ed-app-rename">
      <input
        ref={input}
        type="text"
        class="ed-rename-input"
        aria-label="App name"
        aria-invalid={problem ? 'true' : undefined}
        defaultValue={session.doc.peek().name}
        onInput={() => setProblem('')}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            onDone();
          }
        }}
        onBlur={onDone}
      />
      {problem && (
        <span class="ed-error ed-small" role="alert">
          {problem}
        </span>
      )}
    </span>
  );
}
