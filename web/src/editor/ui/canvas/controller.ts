/**
 * What the canvas, the palette and the property pane share for one editing session: the live
 * runtime of the page on the canvas (the pane shows each binding's value from it), a drag from
 * the palette in progress, and the canvas's drop handler (the palette asks it where a release
 * lands).
 *
 * One controller per session, made on first use. The live runtime follows the document and the
 * current page only while a component that needs it is mounted.
 */

import { effect, signal, untracked, type Signal } from '@preact/signals';
import { useLayoutEffect } from 'preact/hooks';
import type { Clipboard } from '../../doc/commands.ts';
import { findWidget } from '../../doc/query.ts';
import type { EditingSession, WidgetType } from '../../doc/types.ts';
import { useEditor, type EditorContext } from '../context.ts';
import { QueryRuns } from '../run/runs.ts';
import type { Point } from './geometry.ts';
import { LiveCanvas } from './live.ts';

export interface PaletteDrag {
  readonly type: WidgetType;
  /** The pointer, in viewport coordinates. */
  readonly client: Point;
}

/** Drops a new widget at a point of the viewport; false when the point is not on the canvas. */
export type DropHandler = (type: WidgetType, client: Point) => boolean;

export class CanvasController {
  /** Every answer of a query run from the editor (the draft's run endpoint). */
  readonly runs: QueryRuns;
  /** Pages a Run asked `navigateTo` for, in order (the canvas stays where it is). */
  readonly navigations: Signal<readonly string[]> = signal([]);
  readonly live: LiveCanvas;
  readonly paletteDrag: Signal<PaletteDrag | null> = signal(null);
  /** Set while a canvas is mounted. */
  dropNew: DropHandler | null = null;
  /** Set while a canvas is mounted: a drag from the palette moved (the canvas scrolls near its
   * edges). */
  dragOver: ((client: Point) => void) | null = null;
  /** What the last copy took (Mod+V pastes it). */
  clipboard: Clipboard | null = null;
  private users = 0;
  private stop: (() => void) | null = null;

  constructor(slug: string) {
    const base = `/api/v1/edit/apps/${encodeURIComponent(slug)}`;
    this.runs = new QueryRuns((query) => `${base}/queries/${encodeURIComponent(query)}/run`);
    this.live = new LiveCanvas(this.runs.transport, (target) => {
      this.navigations.value = [...this.navigations.peek(), target];
    });
  }

  /** Keeps the live runtime in step with the document while the returned function is not called. */
  attach(ctx: EditorContext): () => void {
    if (this.users++ === 0) {
      this.stop = effect(() => {
        const doc = ctx.session.doc.value;
        const pageName = ctx.currentPage.value;
        try {
          // Only the document and the page are this effect's inputs: what building the models
          // reads (a JS object's code run at load, say) must not re-run it.
          untracked(() => this.live.update(doc, pageName));
        } catch (e) {
          ctx.notify(`The canvas could not show the page: ${e instanceof Error ? e.message : String(e)}`);
        }
        // Undo, a delete or another page can take selected widgets away.
        const page = doc.pages.find((p) => p.name === pageName);
        const selected = ctx.selection.peek();
        const kept = page ? selected.filter((n) => findWidget(page, n) !== undefined) : [];
        if (kept.length !== selected.length) ctx.selection.value = kept;
      });
    }
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      if (--this.users === 0) {
        this.stop?.();
        this.stop = null;
      }
    };
  }
}

const controllers = new WeakMap<EditingSession, CanvasController>();

export function canvasController(session: EditingSession): CanvasController {
  let c = controllers.get(session);
  if (!c) {
    c = new CanvasController(session.doc.peek().slug);
    controllers.set(session, c);
  }
  return c;
}

/** The session's controller, attached while the calling component is mounted. */
export function useCanvas(): { ctx: EditorContext; canvas: CanvasController } {
  const ctx = useEditor();
  const canvas = canvasController(ctx.session);
  // Before the first paint, so the canvas never shows an empty page first.
  useLayoutEffect(() => canvas.attach(ctx), [canvas, ctx]);
  return { ctx, canvas };
}
