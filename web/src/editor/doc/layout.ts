/**
 * The grid: every page and every container lays its children out on a grid of 64 columns and
 * rows of 10 px (schema/widgets.json). Positions are in grid units, relative to the parent's
 * grid. Nothing here knows pixels except `snapDelta`, which turns a pointer's movement into
 * whole grid units.
 *
 * Overlaps are resolved by pushing down, with one rule the builder can predict: the widget
 * being placed gets the spot it was dropped on; then every other sibling, taken in reading
 * order of its old place (top to bottom, then left to right), keeps its column and moves down
 * just below the lowest already-placed widget it would overlap, or stays where it is if it
 * overlaps nothing. Widgets only ever move down, never sideways, and a widget that overlaps
 * nothing is never moved.
 */

import { GRID_COLUMNS, ROW_HEIGHT_PX } from './catalogue.ts';
import type { Op, Position, WidgetDoc, WidgetPlace } from './types.ts';

export function overlaps(a: Position, b: Position): boolean {
  return a.col < b.col + b.width && b.col < a.col + a.width && a.row < b.row + b.height && b.row < a.row + a.height;
}

/** `p` in whole units inside the grid: at least 1×1, no wider than the grid, not left of or
 * above it, not past its right edge (rows are unbounded downwards). */
export function clampToGrid(p: Position, columns = GRID_COLUMNS): Position {
  const width = Math.min(columns, Math.max(1, Math.round(p.width)));
  const height = Math.max(1, Math.round(p.height));
  const col = Math.min(columns - width, Math.max(0, Math.round(p.col)));
  const row = Math.max(0, Math.round(p.row));
  return { col, row, width, height };
}

/** The first place in reading order (rows top to bottom, columns left to right) where a
 * width×height widget overlaps none of `siblings`. */
export function firstFreeSpot(siblings: readonly { readonly position: Position }[], width: number, height: number, columns = GRID_COLUMNS): Position {
  const w = Math.min(columns, Math.max(1, Math.round(width)));
  const h = Math.max(1, Math.round(height));
  // Below every sibling there is always room, so the scan ends there at the latest.
  const bottom = siblings.reduce((m, s) => Math.max(m, s.position.row + s.position.height), 0);
  for (let row = 0; row <= bottom; row++) {
    for (let col = 0; col + w <= columns; col++) {
      const spot = { col, row, width: w, height: h };
      if (!siblings.some((s) => overlaps(s.position, spot))) return spot;
    }
  }
  return { col: 0, row: bottom, width: w, height: h };
}

/**
 * Where each sibling ends up when `moving` (a sibling's name, or null for a widget that is not
 * among them yet) is placed at `wanted`: the pushed siblings only, by the rule of the module
 * comment.
 */
export function pushedSiblings(
  siblings: readonly WidgetDoc[],
  moving: string | null,
  wanted: Position,
): { readonly name: string; readonly position: Position }[] {
  const placed: Position[] = [wanted];
  const pushed: { name: string; position: Position }[] = [];
  const others = siblings
    .filter((s) => s.name !== moving)
    .sort((a, b) => a.position.row - b.position.row || a.position.col - b.position.col || (a.name < b.name ? -1 : 1));
  for (const s of others) {
    let position = s.position;
    for (;;) {
      const hits = placed.filter((p) => overlaps(p, position));
      if (hits.length === 0) break;
      const below = Math.max(...hits.map((p) => p.row + p.height));
      position = { ...position, row: below };
    }
    placed.push(position);
    if (position !== s.position) pushed.push({ name: s.name, position });
  }
  return pushed;
}

/**
 * The operations that make room for `moving` at `wanted` among `siblings` (all in `place`):
 * a `placeWidget` for each pushed sibling. The caller adds the moving widget's own operation.
 */
export function placeWithoutOverlap(siblings: readonly WidgetDoc[], moving: string | null, wanted: Position, place: WidgetPlace): Op[] {
  // Same parent and no index: each pushed sibling keeps its place in the list.
  return pushedSiblings(siblings, moving, wanted).map(
    (p): Op => ({ kind: 'placeWidget', page: place.page, name: p.name, parent: place.parent, position: p.position }),
  );
}

/** A pointer movement in pixels as whole grid units, to the nearest unit. */
export function snapDelta(dxPx: number, dyPx: number, columnWidthPx: number, rowHeightPx = ROW_HEIGHT_PX): { readonly cols: number; readonly rows: number } {
  const cols = columnWidthPx > 0 ? Math.round(dxPx / columnWidthPx) : 0;
  const rows = rowHeightPx > 0 ? Math.round(dyPx / rowHeightPx) : 0;
  // Math.round(-0.4) is -0; keep plain zeros so results compare with ===.
  return { cols: cols === 0 ? 0 : cols, rows: rows === 0 ? 0 : rows };
}
