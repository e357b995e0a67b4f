/**
 * What the overlay learns from the DOM: the width of the page's grid and where each container
 * draws its own grid (below a Form's title, inside its border), relative to the page's grid.
 * Everything else about the frames follows from the document's grid positions.
 */

import type { GridBox } from './geometry.ts';

/** What the DOM tells the overlay: the page grid's width and each container's own grid. */
export interface Measured {
  readonly width: number;
  readonly inner: ReadonlyMap<string, GridBox>;
}

export const NOTHING_MEASURED: Measured = { width: 0, inner: new Map() };

export function sameMeasured(a: Measured, b: Measured): boolean {
  if (a.width !== b.width || a.inner.size !== b.inner.size) return false;
  for (const [name, g] of a.inner) {
    const h = b.inner.get(name);
    if (!h || h.x !== g.x || h.y !== g.y || h.width !== g.width) return false;
  }
  return true;
}

export function measure(grid: HTMLElement, containers: readonly string[]): Measured {
  const origin = grid.getBoundingClientRect();
  const inner = new Map<string, GridBox>();
  if (containers.length > 0) {
    const wanted = new Set(containers);
    for (const el of grid.querySelectorAll<HTMLElement>('[data-type="Form"], [data-type="Container"]')) {
      const name = el.dataset.widget;
      if (name === undefined || !wanted.has(name)) continue;
      const g = el.querySelector('.lk-grid');
      if (!g) continue;
      const r = g.getBoundingClientRect();
      inner.set(name, { x: r.left - origin.left, y: r.top - origin.top, width: r.width });
    }
  }
  return { width: origin.width, inner };
}
