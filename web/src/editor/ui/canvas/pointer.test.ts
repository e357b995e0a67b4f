import { describe, expect, it } from 'vitest';
import { scrollNearEdge } from './pointer.ts';

/** A pane 400 px high at y = 100, scrolled to 200. */
function pane(): Element & { scrollTop: number } {
  return {
    scrollTop: 200,
    getBoundingClientRect: () => ({ left: 0, right: 800, top: 100, bottom: 500, width: 800, height: 400 }),
  } as unknown as Element & { scrollTop: number };
}

describe('scrolling while dragging near the edge of the canvas', () => {
  it('scrolls down near the bottom edge and up near the top, faster closer to it', () => {
    const p = pane();
    expect(scrollNearEdge(p, { x: 10, y: 480 })).toBe(12);
    expect(scrollNearEdge(p, { x: 10, y: 499 })).toBe(24);
    expect(p.scrollTop).toBe(236);
    expect(scrollNearEdge(p, { x: 10, y: 101 })).toBe(-24);
    expect(p.scrollTop).toBe(212);
  });

  it('leaves the pane alone away from its edges, beside it, or without one', () => {
    const p = pane();
    expect(scrollNearEdge(p, { x: 10, y: 300 })).toBe(0);
    expect(scrollNearEdge(p, { x: 900, y: 499 })).toBe(0);
    expect(p.scrollTop).toBe(200);
    expect(scrollNearEdge(null, { x: 10, y: 499 })).toBe(0);
  });
});
