import { describe, expect, it } from 'vitest';
import { pos, widget } from './fixture.ts';
import { clampToGrid, firstFreeSpot, overlaps, placeWithoutOverlap, pushedSiblings, snapDelta } from './layout.ts';

describe('overlaps', () => {
  it('counts shared area only, not shared edges', () => {
    expect(overlaps(pos(0, 0, 10, 5), pos(9, 4, 10, 5))).toBe(true);
    expect(overlaps(pos(0, 0, 10, 5), pos(10, 0, 10, 5))).toBe(false);
    expect(overlaps(pos(0, 0, 10, 5), pos(0, 5, 10, 5))).toBe(false);
    expect(overlaps(pos(5, 5, 1, 1), pos(0, 0, 64, 64))).toBe(true);
  });
});

describe('clampToGrid', () => {
  it('keeps a widget inside the 64 columns, at whole units, at least 1×1', () => {
    expect(clampToGrid(pos(60, 3, 10, 5))).toEqual(pos(54, 3, 10, 5));
    expect(clampToGrid(pos(-3, -2, 100, 0))).toEqual(pos(0, 0, 64, 1));
    expect(clampToGrid({ col: 2.4, row: 2.6, width: 3.5, height: 1.2 })).toEqual(pos(2, 3, 4, 1));
  });
});

describe('firstFreeSpot', () => {
  it('finds the first gap in reading order', () => {
    expect(firstFreeSpot([], 10, 5)).toEqual(pos(0, 0, 10, 5));
    const siblings = [{ position: pos(0, 0, 30, 5) }, { position: pos(40, 0, 24, 5) }];
    expect(firstFreeSpot(siblings, 10, 5)).toEqual(pos(30, 0, 10, 5));
    expect(firstFreeSpot(siblings, 11, 5)).toEqual(pos(0, 5, 11, 5));
  });

  it('ends below everything when the grid is full', () => {
    expect(firstFreeSpot([{ position: pos(0, 0, 64, 20) }], 64, 3)).toEqual(pos(0, 20, 64, 3));
  });
});

describe('pushing siblings down', () => {
  it('pushes an overlapped sibling just below the placed widget, keeping its column', () => {
    const siblings = [widget('a', 'Text', pos(0, 0, 10, 5)), widget('b', 'Text', pos(0, 10, 10, 5))];
    expect(pushedSiblings(siblings, 'b', pos(0, 2, 10, 5))).toEqual([{ name: 'a', position: pos(0, 7, 10, 5) }]);
  });

  it('cascades in reading order and never moves a widget that overlaps nothing', () => {
    const siblings = [
      widget('a', 'Text', pos(0, 0, 10, 4)),
      widget('b', 'Text', pos(0, 4, 10, 4)),
      widget('c', 'Text', pos(20, 0, 10, 4)),
      widget('d', 'Text', pos(0, 20, 10, 4)),
    ];
    const pushed = pushedSiblings(siblings, null, pos(0, 0, 10, 6));
    expect(pushed).toEqual([
      { name: 'a', position: pos(0, 6, 10, 4) },
      { name: 'b', position: pos(0, 10, 10, 4) },
    ]);
  });

  it('gives placeWidget operations in the siblings\' own parent', () => {
    const siblings = [widget('a', 'Text', pos(0, 0, 10, 4))];
    expect(placeWithoutOverlap(siblings, null, pos(5, 1, 10, 4), { page: 'P', parent: 'form' })).toEqual([
      { kind: 'placeWidget', page: 'P', name: 'a', parent: 'form', position: pos(0, 5, 10, 4) },
    ]);
    expect(placeWithoutOverlap(siblings, 'a', pos(5, 1, 10, 4), { page: 'P', parent: null })).toEqual([]);
  });
});

describe('snapDelta', () => {
  it('rounds pixel movements to whole columns and rows', () => {
    expect(snapDelta(26, 14, 12.5)).toEqual({ cols: 2, rows: 1 });
    expect(snapDelta(-6, -4, 12.5)).toEqual({ cols: 0, rows: 0 });
    expect(snapDelta(-7, -16, 12.5)).toEqual({ cols: -1, rows: -2 });
  });
});
