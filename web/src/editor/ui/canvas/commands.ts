/**
 * The canvas's commands, registered once in the screen's registry (`registerCanvasCommands`,
 * called by the editor screen): nudge with the arrow keys (Shift: by more), resize with
 * Alt+arrows, delete, copy, cut, paste (into the selected container: cut and paste moves a
 * widget into or out of one), duplicate, select all and clear the selection. Menus and the keyboard both run them.
 *
 * Their keys mean something else elsewhere (arrows move in a list, Mod+C copies text, Delete
 * edits a field), so they are enabled only while the focus is on the canvas or nowhere in
 * particular (the page's body); the screen's key handler already leaves text fields alone.
 */

import * as cmd from '../../doc/commands.ts';
import { findWidget } from '../../doc/query.ts';
import type { CommandRegistry } from '../../doc/registry.ts';
import type { PageDoc } from '../../doc/types.ts';
import type { EditorContext } from '../context.ts';
import { apply, currentPageDoc, selectedContainer } from './actions.ts';
import { canvasController } from './controller.ts';

export const CANVAS_COMMAND = {
  nudgeLeft: 'canvas.nudgeLeft',
  nudgeRight: 'canvas.nudgeRight',
  nudgeUp: 'canvas.nudgeUp',
  nudgeDown: 'canvas.nudgeDown',
  nudgeLeftMore: 'canvas.nudgeLeftMore',
  nudgeRightMore: 'canvas.nudgeRightMore',
  nudgeUpMore: 'canvas.nudgeUpMore',
  nudgeDownMore: 'canvas.nudgeDownMore',
  wider: 'canvas.wider',
  narrower: 'canvas.narrower',
  taller: 'canvas.taller',
  shorter: 'canvas.shorter',
  delete: 'canvas.delete',
  copy: 'canvas.copy',
  cut: 'canvas.cut',
  paste: 'canvas.paste',
  duplicate: 'canvas.duplicate',
  selectAll: 'canvas.selectAll',
  selectNone: 'canvas.selectNone',
} as const;

/** Grid units a Shift+arrow moves by. */
export const NUDGE_MORE = 4;

/** Marks the canvas's root element, so commands can tell that the focus is on the canvas. */
export const CANVAS_ROOT_ATTR = 'data-canvas-root';

function focusOnCanvas(): boolean {
  if (typeof document === 'undefined') return true;
  const active = document.activeElement;
  return active === null || active === document.body || active.closest(`[${CANVAS_ROOT_ATTR}]`) !== null;
}

function hasSelection(ctx: EditorContext): boolean {
  return ctx.selection.value.length > 0;
}

export function registerCanvasCommands(registry: CommandRegistry<EditorContext>): void {
  const withSelection = (ctx: EditorContext): boolean => focusOnCanvas() && hasSelection(ctx);

  const nudges: [string, string, string, number, number][] = [
    [CANVAS_COMMAND.nudgeLeft, 'Move left', 'ArrowLeft', -1, 0],
    [CANVAS_COMMAND.nudgeRight, 'Move right', 'ArrowRight', 1, 0],
    [CANVAS_COMMAND.nudgeUp, 'Move up', 'ArrowUp', 0, -1],
    [CANVAS_COMMAND.nudgeDown, 'Move down', 'ArrowDown', 0, 1],
  ];
  for (const [id, label, key, dc, dr] of nudges) {
    registry.register({
      id,
      label,
      shortcut: key,
      isEnabled: withSelection,
      run: (ctx) => apply(ctx, cmd.nudge(ctx.session.doc.peek(), ctx.currentPage.peek(), ctx.selection.peek(), dc, dr)),
    });
    registry.register({
      id: `${id}More`,
      label: `${label} by ${NUDGE_MORE}`,
      shortcut: `Shift+${key}`,
      isEnabled: withSelection,
      run: (ctx) =>
        apply(ctx, cmd.nudge(ctx.session.doc.peek(), ctx.currentPage.peek(), ctx.selection.peek(), dc * NUDGE_MORE, dr * NUDGE_MORE)),
    });
  }

  // Resizing from the keyboard: the primary selected widget's right or bottom edge.
  const sizes: [string, string, string, number, number][] = [
    [CANVAS_COMMAND.wider, 'Make wider', 'Alt+ArrowRight', 1, 0],
    [CANVAS_COMMAND.narrower, 'Make narrower', 'Alt+ArrowLeft', -1, 0],
    [CANVAS_COMMAND.taller, 'Make taller', 'Alt+ArrowDown', 0, 1],
    [CANVAS_COMMAND.shorter, 'Make shorter', 'Alt+ArrowUp', 0, -1],
  ];
  for (const [id, label, key, dw, dh] of sizes) {
    registry.register({
      id,
      label,
      shortcut: key,
      isEnabled: withSelection,
      run: (ctx) => {
        const name = ctx.selection.peek()[0];
        const page = currentPageDoc(ctx);
        const p = name === undefined || !page ? undefined : findWidget(page, name)?.widget.position;
        if (name === undefined || !p) return;
        const next = { ...p, width: Math.max(1, p.width + dw), height: Math.max(1, p.height + dh) };
        if (next.width === p.width && next.height === p.height) return;
        apply(ctx, cmd.resizeWidget(ctx.session.doc.peek(), ctx.currentPage.peek(), name, next));
      },
    });
  }

  registry.register({
    id: CANVAS_COMMAND.delete,
    label: 'Delete',
    shortcut: 'Delete',
    moreShortcuts: ['Backspace'],
    isEnabled: withSelection,
    run: (ctx) => apply(ctx, cmd.deleteWidgets(ctx.session.doc.peek(), ctx.currentPage.peek(), ctx.selection.peek())),
  });

  const copySelection = (ctx: EditorContext): void => {
    const clip = cmd.copy(ctx.session.doc.peek(), ctx.currentPage.peek(), ctx.selection.peek());
    canvasController(ctx.session).clipboard = clip;
    // Also on the system clipboard, for another tab; refused without permission, which is fine.
    void navigator.clipboard?.writeText(cmd.clipboardText(clip)).catch(() => undefined);
  };
  registry.register({
    id: CANVAS_COMMAND.copy,
    label: 'Copy',
    shortcut: 'Mod+C',
    isEnabled: withSelection,
    run: copySelection,
  });
  registry.register({
    id: CANVAS_COMMAND.cut,
    label: 'Cut',
    shortcut: 'Mod+X',
    isEnabled: withSelection,
    run: (ctx) => {
      // A cut clipboard keeps the widgets' names when pasted (if still free), so moving a
      // widget into a container from the keyboard does not break references to it.
      const { clipboard, change } = cmd.cut(ctx.session.doc.peek(), ctx.currentPage.peek(), ctx.selection.peek());
      apply(ctx, change);
      canvasController(ctx.session).clipboard = clipboard;
      void navigator.clipboard?.writeText(cmd.clipboardText(clipboard)).catch(() => undefined);
    },
  });
  registry.register({
    id: CANVAS_COMMAND.paste,
    label: 'Paste',
    shortcut: 'Mod+V',
    isEnabled: (ctx) => focusOnCanvas() && canvasController(ctx.session).clipboard !== null,
    run: (ctx) => {
      const clip = canvasController(ctx.session).clipboard;
      if (!clip) return;
      let parent = selectedContainer(ctx);
      // A copied container pasted while it is selected goes next to it, not into itself.
      const page = currentPageDoc(ctx);
      while (parent !== null && page && clip.widgets.some((w) => w.name === parent)) {
        parent = parentOf(page, parent);
      }
      apply(ctx, cmd.paste(ctx.session.doc.peek(), clip, { page: ctx.currentPage.peek(), parent }));
    },
  });
  registry.register({
    id: CANVAS_COMMAND.duplicate,
    label: 'Duplicate',
    shortcut: 'Mod+D',
    isEnabled: withSelection,
    run: (ctx) => apply(ctx, cmd.duplicateWidgets(ctx.session.doc.peek(), ctx.currentPage.peek(), ctx.selection.peek())),
  });
  registry.register({
    id: CANVAS_COMMAND.selectAll,
    label: 'Select all',
    shortcut: 'Mod+A',
    isEnabled: () => focusOnCanvas(),
    run: (ctx) => {
      ctx.selection.value = (currentPageDoc(ctx)?.widgets ?? []).map((w) => w.name);
    },
  });
  registry.register({
    id: CANVAS_COMMAND.selectNone,
    label: 'Clear selection',
    shortcut: 'Escape',
    isEnabled: withSelection,
    run: (ctx) => {
      ctx.selection.value = [];
    },
  });
}

function parentOf(page: PageDoc, name: string): string | null {
  return findWidget(page, name)?.parent?.name ?? null;
}
