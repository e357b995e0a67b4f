/**
 * The canvas's geometry, in pixels and in grid units, without the DOM: where each widget's
 * frame is, which container a point falls into, and how a pointer's movement snaps to the
 * 64-column grid of 10 px rows.
 *
 * Pixels are relative to the top-left corner of the page's grid. Every grid (the page's and
 * each container's) has 64 columns whose width is the grid's width / 64, and rows of a fixed
 * 10 px, as in the viewer (widgets/WidgetView.tsx): so a widget keeps its height in rows
 * anywhere, while its width in columns depends on the grid it sits in.
 */

import { GRID_COLUMNS, ROW_HEIGHT_PX } from '../../doc/catalogue.ts';
import type { Position, WidgetDoc } from '../../doc/types.ts';

export { GRID_COLUMNS, ROW_HEIGHT_PX };

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Where a grid starts and how wide it is; its columns are `width / 64` wide. */
export interface GridBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
}

export function columnWidth(grid: GridBox): number {
  return grid.width / GRID_COLUMNS;
}

/** The pixel box of a grid position. */
export function boxOf(grid: GridBox, p: Position): Box {
  const cw = columnWidth(grid);
  return { x: grid.x + p.col * cw, y: grid.y + p.row * ROW_HEIGHT_PX, width: p.width * cw, height: p.height * ROW_HEIGHT_PX };
}

export function contains(box: Box, pt: Point): boolean {
  return pt.x >= box.x && pt.x < box.x + box.width && pt.y >= box.y && pt.y < box.y + box.height;
}

/**
 * The inset of a container's own grid inside its cell (the cell's padding and the box's
 * border in the viewer's stylesheet), used when the container is not in the DOM to measure it
 * (an invisible container still has a frame on the canvas).
 */
export const CONTAINER_INSET_PX = 5;

/** A widget's frame on the canvas. */
export interface Frame {
  readonly name: string;
  readonly type: string;
  /** The container it sits in; null: the page's grid. */
  readonly parent: string | null;
  /** 0 on the page's grid, 1 inside a container of the page, … */
  readonly depth: number;
  readonly position: Position;
  readonly box: Box;
  /** For a container: its own grid, where its children are placed. */
  readonly inner?: GridBox;
}

/**
 * The frames of a page's widgets, parents before their children. `measured` gives the inner
 * grid of containers as the DOM laid them out; missing ones are derived from the cell.
 */
export function layoutFrames(
  widgets: readonly WidgetDoc[],
  page: GridBox,
  isContainer: (type: string) => boolean,
  measured: ReadonlyMap<string, GridBox> = new Map(),
): Frame[] {
  const out: Frame[] = [];
  const walk = (list: readonly WidgetDoc[], grid: GridBox, parent: string | null, depth: number): void => {
    for (const w of list) {
      const box = boxOf(grid, w.position);
      if (!isContainer(w.type)) {
        out.push({ name: w.name, type: w.type, parent, depth, position: w.position, box });
        continue;
      }
      const inner = measured.get(w.name) ?? {
        x: box.x + CONTAINER_INSET_PX,
        y: box.y + CONTAINER_INSET_PX,
        width: Math.max(0, box.width - 2 * CONTAINER_INSET_PX),
      };
      out.push({ name: w.name, type: w.type, parent, depth, position: w.position, box, inner });
      walk(w.children, inner, w.name, depth + 1);
    }
  };
  walk(widgets, page, null, 0);
  return out;
}

/** The innermost frame under a point (what a click there selects), or undefined. */
export function hitTest(frames: readonly Frame[], pt: Point): Frame | undefined {
  let best: Frame | undefined;
  for (const f of frames) {
    if (contains(f.box, pt) && (best === undefined || f.depth >= best.depth)) best = f;
  }
  return best;
}

/** The widgets of the page's own grid (not those inside containers) that a rectangle touches. */
export function framesTouching(frames: readonly Frame[], rect: Box): Frame[] {
  return frames.filter(
    (f) =>
      f.parent === null &&
      f.box.x < rect.x + rect.width &&
      rect.x < f.box.x + f.box.width &&
      f.box.y < rect.y + rect.height &&
      rect.y < f.box.y + f.box.height,
  );
}

/**
 * Where a drop at `pt` goes: the innermost container whose box holds the point, except the
 * widgets being dragged and everything inside them (a container cannot go into itself); null:
 * the page. The container's whole cell counts, not only its inner grid, so a drop on a form's
 * title still lands in the form.
 */
export function chooseDropTarget(frames: readonly Frame[], pt: Point, dragged: ReadonlySet<string> = new Set()): Frame | null {
  const excluded = new Set(dragged);
  for (const f of frames) if (f.parent !== null && excluded.has(f.parent)) excluded.add(f.name);
  let best: Frame | null = null;
  for (const f of frames) {
    if (f.inner === undefined || excluded.has(f.name) || !contains(f.box, pt)) continue;
    if (best === null || f.depth >= best.depth) best = f;
  }
  return best;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** A pixel width as a number of columns of `grid` (at least 1, at most 64). */
export function columnsFor(grid: GridBox, widthPx: number): number {
  const cw = columnWidth(grid);
  if (cw <= 0) return GRID_COLUMNS;
  return clamp(Math.round(widthPx / cw), 1, GRID_COLUMNS);
}

/** A position of `grid` for a widget of the given size whose top-left corner is at `pt`,
 * turned into whole units by `unit` and kept inside the grid's columns and below its top. */
function placeAt(grid: GridBox, pt: Point, width: number, height: number, unit: (x: number) => number): Position {
  const cw = columnWidth(grid);
  const w = clamp(Math.round(width), 1, GRID_COLUMNS);
  const col = cw > 0 ? clamp(unit((pt.x - grid.x) / cw), 0, GRID_COLUMNS - w) : 0;
  const row = Math.max(0, unit((pt.y - grid.y) / ROW_HEIGHT_PX));
  return { col, row, width: w, height: Math.max(1, Math.round(height)) };
}

/** Where a moved widget lands: its top-left corner (in page pixels) snapped to the nearest
 * grid line. */
export function snapBox(grid: GridBox, topLeft: Point, width: number, height: number): Position {
  return placeAt(grid, topLeft, width, height, Math.round);
}

/**
 * Where a new widget dropped at a point lands (from the palette): its top-left corner in the
 * cell under the pointer, pulled left when it would leave the grid on the right.
 */
export function cellAt(grid: GridBox, pt: Point, width: number, height: number): Position {
  return placeAt(grid, pt, width, height, Math.floor);
}

/** The eight resize handles: edges and corners, by compass direction. */
export const HANDLES = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'] as const;
export type Handle = (typeof HANDLES)[number];

/**
 * A resize: the handle's edges follow the pointer's movement (dx, dy in pixels) and snap to the
 * nearest grid line, the opposite edges stay; the widget keeps at least one column and one row
 * and stays inside its grid.
 */
export function resizeBy(grid: GridBox, from: Position, handle: Handle, dx: number, dy: number): Position {
  const cw = columnWidth(grid);
  const dc = cw > 0 ? Math.round(dx / cw) : 0;
  const dr = Math.round(dy / ROW_HEIGHT_PX);
  let left = from.col;
  let right = from.col + from.width;
  let top = from.row;
  let bottom = from.row + from.height;
  if (handle.includes('w')) left = clamp(from.col + dc, 0, right - 1);
  if (handle.includes('e')) right = clamp(right + dc, left + 1, GRID_COLUMNS);
  if (handle.includes('n')) top = clamp(from.row + dr, 0, bottom - 1);
  if (handle.includes('s')) bottom = Math.max(top + 1, bottom + dr);
  return { col: left, row: top, width: right - left, height: bottom - top };
}

export function samePosition(a: Position, b: Position): boolean {
  return a.col === b.col && a.row === b.row && a.width === b.width && a.height === b.height;
}
