/**
 * The editor screen's own state next to the shared `EditorContext`: which dialog or mode is
 * open, the page a page command acts on, and the builder's notices. The app-level commands
 * (appCommands.ts) set these; the top bar, the pages panel and the dialogs read them.
 */

import { signal, type Signal } from '@preact/signals';

export interface Notice {
  readonly id: number;
  readonly message: string;
}

export interface ScreenState {
  readonly previewing: Signal<boolean>;
  readonly publishing: Signal<boolean>;
  readonly showingVersions: Signal<boolean>;
  /** The draft's problems, as the server's validator found them on the last save. */
  readonly showingProblems: Signal<boolean>;
  /** The app's name is being edited in the top bar. */
  readonly renamingApp: Signal<boolean>;
  /** The page whose name is being edited inline. */
  readonly renamingPage: Signal<string | null>;
  /** The page the builder asked to delete, waiting for the confirmation. */
  readonly deletingPage: Signal<string | null>;
  /** The sign-in dialog over the editor is open (the builder's session ended while editing). */
  readonly signingIn: Signal<boolean>;
  /** The page a page command acts on: the page whose menu is open, else the current page. */
  readonly menuPage: Signal<string | null>;
  readonly notices: Signal<readonly Notice[]>;
}

export function createScreenState(): ScreenState {
  return {
    previewing: signal(false),
    publishing: signal(false),
    showingVersions: signal(false),
    showingProblems: signal(false),
    renamingApp: signal(false),
    renamingPage: signal(null),
    deletingPage: signal(null),
    signingIn: signal(false),
    menuPage: signal(null),
    notices: signal([]),
  };
}

let nextNotice = 1;
const NOTICE_MS = 8000;

export function pushNotice(state: ScreenState, message: string): void {
  const notice = { id: nextNotice++, message };
  state.notices.value = [...state.notices.peek(), notice].slice(-3);
  window.setTimeout(() => dismissNotice(state, notice.id), NOTICE_MS);
}

export function dismissNotice(state: ScreenState, id: number): void {
  state.notices.value = state.notices.peek().filter((n) => n.id !== id);
}
