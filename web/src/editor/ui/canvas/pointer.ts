/**
 * One pointer drag, from a press to a release, with plain pointer events: the pressed element
 * captures the pointer (moves and the release reach it wherever the pointer goes), a movement
 * under the threshold is still a click, and Esc or a lost capture cancels.
 */

import type { Point } from './geometry.ts';

/** How far the pointer must move before a press becomes a drag. */
export const DRAG_THRESHOLD_PX = 4;

export interface DragHandlers {
  readonly threshold: number;
  /** The pointer moved (after the threshold was passed once), in viewport coordinates. */
  move(client: Point): void;
  /** Released: `moved` tells a drag from a click. */
  end(client: Point, moved: boolean): void;
  /** Esc, a cancelled pointer, or a lost capture. */
  cancel(): void;
}

export function startPointerDrag(e: PointerEvent, h: DragHandlers): void {
  const el = e.currentTarget;
  if (!(el instanceof Element)) return;
  const id = e.pointerId;
  const start = { x: e.clientX, y: e.clientY };
  let moved = false;
  let done = false;
  try {
    el.setPointerCapture(id);
  } catch {
    // Not every pointer can be captured (a synthetic event in a test); moves still arrive
    // while the pointer stays over the element.
  }
  const finish = (): void => {
    done = true;
    el.removeEventListener('pointermove', onMove as EventListener);
    el.removeEventListener('pointerup', onUp as EventListener);
    el.removeEventListener('pointercancel', onCancel);
    el.removeEventListener('lostpointercapture', onCancel);
    window.removeEventListener('keydown', onKey, true);
    if (el.hasPointerCapture?.(id)) el.releasePointerCapture(id);
  };
  const onMove = (ev: PointerEvent): void => {
    if (ev.pointerId !== id || done) return;
    const p = { x: ev.clientX, y: ev.clientY };
    if (!moved && Math.hypot(p.x - start.x, p.y - start.y) < h.threshold) return;
    if (!moved) {
      moved = true;
      // A drag, not a text selection: drop whatever the press began to select.
      window.getSelection()?.removeAllRanges();
    }
    ev.preventDefault();
    h.move(p);
  };
  const onUp = (ev: PointerEvent): void => {
    if (ev.pointerId !== id || done) return;
    finish();
    h.end({ x: ev.clientX, y: ev.clientY }, moved);
  };
  const onCancel = (): void => {
    if (done) return;
    finish();
    h.cancel();
  };
  const onKey = (ev: KeyboardEvent): void => {
    if (ev.key !== 'Escape') return;
    // Esc belongs to the drag: it must not also close a dialog or clear the selection.
    ev.preventDefault();
    ev.stopPropagation();
    onCancel();
  };
  el.addEventListener('pointermove', onMove as EventListener);
  el.addEventListener('pointerup', onUp as EventListener);
  el.addEventListener('pointercancel', onCancel);
  el.addEventListener('lostpointercapture', onCancel);
  window.addEventListener('keydown', onKey, true);
}

/** How close to a scrolling pane's edge (px) a drag scrolls it, and by how much per move at
 * the very edge. */
const EDGE_PX = 40;
const MAX_STEP_PX = 24;

/** The nearest ancestor that scrolls vertically, if any. */
export function scrollParent(el: Element | null): Element | null {
  for (let e = el?.parentElement ?? null; e; e = e.parentElement) {
    const overflow = getComputedStyle(e).overflowY;
    if ((overflow === 'auto' || overflow === 'scroll') && e.scrollHeight > e.clientHeight) return e;
  }
  return null;
}

/**
 * Scrolls `pane` when a drag comes near its top or bottom edge, faster the closer it is, so a
 * widget can be dragged below what is in view. Returns the pixels scrolled.
 */
export function scrollNearEdge(pane: Element | null, client: Point): number {
  if (!pane) return 0;
  const r = pane.getBoundingClientRect();
  if (client.x < r.left || client.x > r.right) return 0;
  let step = 0;
  if (client.y < r.top + EDGE_PX) step = -Math.ceil(((r.top + EDGE_PX - client.y) / EDGE_PX) * MAX_STEP_PX);
  else if (client.y > r.bottom - EDGE_PX) step = Math.ceil(((client.y - (r.bottom - EDGE_PX)) / EDGE_PX) * MAX_STEP_PX);
  step = Math.max(-MAX_STEP_PX, Math.min(MAX_STEP_PX, step));
  if (step !== 0) pane.scrollTop += step;
  return step;
}
