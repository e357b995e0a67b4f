/**
 * The canvas's edits: each builds a change with the model's command builders (doc/commands.ts),
 * applies it through the session (so it is one undo step and is saved), and selects what the
 * change says to select. The drag code, the palette and the registered commands all go through
 * here.
 *
 * `apply` throws the builder's sentence when a change is refused; `attempt` shows it to the
 * builder instead (for pointer gestures, which have no command runner around them).
 */

import * as cmd from '../../doc/commands.ts';
import { isContainerType } from '../../doc/catalogue.ts';
import { applyChange } from '../../doc/ops.ts';
import { findWidget } from '../../doc/query.ts';
import type { AppDoc, Op, PageDoc, Position, WidgetType } from '../../doc/types.ts';
import type { EditorContext } from '../context.ts';

/** Applies a change and selects what it asks to select. */
export function apply(ctx: EditorContext, change: cmd.EditChange): void {
  if (change.ops.length === 0) return;
  ctx.session.apply(change);
  if (change.select) ctx.selection.value = change.select;
}

/** Runs an edit; a refusal becomes a notice. Returns whether it was applied. */
export function attempt(ctx: EditorContext, edit: () => void): boolean {
  try {
    edit();
    return true;
  } catch (e) {
    ctx.notify(e instanceof Error ? e.message : String(e));
    return false;
  }
}

export function currentPageDoc(ctx: EditorContext): PageDoc | undefined {
  const name = ctx.currentPage.peek();
  return ctx.session.doc.peek().pages.find((p) => p.name === name);
}

/** The container new widgets go into from the keyboard: the selected container, or the
 * selected widget's container, or null (the page). */
export function selectedContainer(ctx: EditorContext): string | null {
  const page = currentPageDoc(ctx);
  const first = ctx.selection.peek()[0];
  if (!page || first === undefined) return null;
  const found = findWidget(page, first);
  if (!found) return null;
  if (isContainerType(found.widget.type)) return found.widget.name;
  return found.parent?.name ?? null;
}

/** Adds a widget at the first free place of the selected container (or the page), selected. */
export function addWidgetFromKeyboard(ctx: EditorContext, type: WidgetType): boolean {
  return attempt(ctx, () => {
    apply(ctx, cmd.addWidget(ctx.session.doc.peek(), ctx.currentPage.peek(), type, selectedContainer(ctx)));
  });
}

/**
 * Adds a widget at a spot of a container's grid (or the page's), selected. `width` (columns of
 * that grid) replaces the catalogue's default width: a widget dropped into a container keeps
 * the width in pixels it would have on the page.
 */
export function addWidgetAt(ctx: EditorContext, type: WidgetType, parent: string | null, at: Position): boolean {
  return attempt(ctx, () => {
    const page = ctx.currentPage.peek();
    const doc = ctx.session.doc.peek();
    const add = cmd.addWidget(doc, page, type, parent, { col: at.col, row: at.row });
    const name = add.select?.[0];
    const added = name === undefined ? undefined : findWidget(pageOf(applyChange(doc, add), page), name)?.widget;
    if (!added || added.position.width === at.width) {
      apply(ctx, add);
      return;
    }
    const resize = cmd.resizeWidget(applyChange(doc, add), page, added.name, { ...added.position, width: at.width });
    apply(ctx, { label: add.label, ops: [...add.ops, ...resize.ops], select: add.select });
  });
}

function pageOf(doc: AppDoc, name: string): PageDoc {
  return doc.pages.find((p) => p.name === name) ?? { name, hidden: false, onLoad: [], widgets: [] };
}

export interface Placement {
  readonly name: string;
  readonly parent: string | null;
  readonly position: Position;
}

/**
 * Moves widgets (a drag of the selection) as one change: one undo step, one label. Each move
 * is built against the document as the previous ones left it, so widgets pushed aside by one
 * are seen by the next.
 */
export function moveWidgets(ctx: EditorContext, moves: readonly Placement[]): boolean {
  return attempt(ctx, () => {
    const page = ctx.currentPage.peek();
    const ops: Op[] = [];
    let doc = ctx.session.doc.peek();
    for (const m of moves) {
      const move = cmd.moveWidget(doc, page, m.name, { parent: m.parent, col: m.position.col, row: m.position.row });
      ops.push(...move.ops);
      doc = applyChange(doc, move);
      // Into another grid, the widget keeps its width in pixels, so its columns change.
      const now = findWidget(pageOf(doc, page), m.name)?.widget.position;
      if (now && now.width !== m.position.width) {
        const resize = cmd.resizeWidget(doc, page, m.name, { ...now, width: m.position.width });
        ops.push(...resize.ops);
        doc = applyChange(doc, resize);
      }
    }
    const label = moves.length === 1 ? `Move ${moves[0]?.name ?? ''}` : `Move ${moves.length} widgets`;
    apply(ctx, { label, ops });
  });
}

export function resizeWidget(ctx: EditorContext, name: string, position: Position): boolean {
  return attempt(ctx, () => {
    apply(ctx, cmd.resizeWidget(ctx.session.doc.peek(), ctx.currentPage.peek(), name, position));
  });
}
