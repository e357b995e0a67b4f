/**
 * What every part of the editor screen shares: the editing session (document, history,
 * autosave), the page shown on the canvas, the selection, and the command registry from which
 * menus, shortcuts and undo all come.
 */

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Signal } from '@preact/signals';
import type { CommandRegistry } from '../doc/registry.ts';
import type { EditingSession } from '../doc/types.ts';

export interface EditorContext {
  readonly slug: string;
  readonly session: EditingSession;
  /** The name of the page on the canvas. */
  readonly currentPage: Signal<string>;
  /** The query, JS object, datasource or the app's sign-in open in the code pane under the canvas, if any. */
  readonly open: Signal<OpenItem | null>;
  /** Selected widgets of the current page, by name; the first is the primary selection. */
  readonly selection: Signal<readonly string[]>;
  readonly commands: CommandRegistry<EditorContext>;
  /** Shows a short message to the builder (an error of a command, a refused drop…). */
  notify(message: string): void;
}

/** What the code pane can show. */
export interface OpenItem {
  readonly kind: 'query' | 'jsObject' | 'datasource' | 'auth';
  readonly name: string;
}

export const EditorCtx = createContext<EditorContext | null>(null);

export function useEditor(): EditorContext {
  const ctx = useContext(EditorCtx);
  if (!ctx) throw new Error('useEditor outside the editor screen');
  return ctx;
}
