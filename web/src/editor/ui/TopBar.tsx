/**
 * The editor's top bar: the way back to the app list, the app's name, the save state (a
 * `status`, always visible, in words), Undo and Redo (disabled when there is nothing to undo or
 * redo; their titles say what and the shortcut), Preview, Publish and Versions. Each button
 * runs its command from the registry.
 */

import type { Builder } from '../api.ts';
import type { SaveState } from '../doc/types.ts';
import { useEditor } from './context.ts';
import { AppsLink } from './shell/AppsLink.tsx';
import { COMMAND, runCommand } from './shell/appCommands.ts';
import type { ScreenState } from './shell/screenState.ts';

export function saveStateText(state: SaveState, message: string): string {
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
  }
}

export function TopBar({ screen, builder }: { screen: ScreenState; builder: Builder }) {
  const ctx = useEditor();
  const { session, commands } = ctx;
  const state = session.saveState.value;
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
      <h1 class="ed-app-title">{session.doc.value.name}</h1>
      <p role="status" class={`ed-save ed-save-${state}`} aria-live="polite">
        {saveStateText(state, session.saveMessage.value)}
      </p>
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
