/**
 * The editor screen's one keydown handler: it asks the command registry which command a key
 * means. Keys typed into a text field stay the field's own, Mod+Z and Mod+Shift+Z included (a
 * field undoes its own text, as browsers do; Appsmith's Ctrl+Z from a query field deleting
 * canvas widgets is the bug this avoids). A modal dialog and a menu keep their keys too.
 */

import type { EditorContext } from '../context.ts';
import { runCommand } from './appCommands.ts';
import type { ScreenState } from './screenState.ts';

const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/** Whether typing into this element edits text (so the editor's shortcuts must not act). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(target.type);
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target.isContentEditable) return true;
  const role = target.getAttribute('role');
  return role === 'textbox' || role === 'combobox' || role === 'searchbox';
}

export function editorKeyHandler(ctx: EditorContext, state: ScreenState): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    // Where the key was typed, also inside a shadow root (the code fields'), which `target`
    // hides behind its host.
    const origin = e.composedPath()[0] ?? e.target;
    if (isTextEntry(origin)) return;
    if (state.previewing.peek()) return;
    const target = origin instanceof Element ? origin : null;
    if (target?.closest('dialog[open], [role="menu"]')) return;
    const command = ctx.commands.matchKey(e);
    if (!command) return;
    if (command.isEnabled && !command.isEnabled(ctx)) return;
    e.preventDefault();
    runCommand(ctx, state, command.id);
  };
}
