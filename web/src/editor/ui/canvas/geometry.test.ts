import { describe, expect, it } from 'vitest';
import type { WidgetDoc, WidgetType } from '../../doc/types.ts';
import { boxOf, cellAt, chooseDropTarget, columnsFor, hitTest, layoutFrames, resizeBy, snapBox, type GridBox } from './geometry.ts';

function w(name: string, type: WidgetType, col: number, row: number, width: number, height: number, children: WidgetDoc[] = []): WidgetDoc {
  return { name, type, position: { col, row, width, height }, props: {}, children };
}

const isContainer = (t: string): boolean => t === 'Form' || t === 'Container';
/** A 640 px page: columns of 10 px, as wide as the rows are high. */
const PAGE: GridBox = { x: 0, y: 0, width: 640 };

describe('snapping to the 64-column grid of 10 px rows', () => {
  it('puts a moved box at the nearest column and row', () => {
    expect(snapBox(PAGE, { x: 34, y: 56 }, 10, 4)).toEqual({ col: 3, row: 6, width: 10, height: 4 });
    expect(snapBox(PAGE, { x: 36, y: 54 }, 10, 4)).toEqual({ col: 4, row: 5, width: 10, height: 4 });
  });

  it('keeps the box inside the grid: not left of it, not above it, not past its right edge', () => {
    expect(snapBox(PAGE, { x: -80, y: -30 }, 10, 4)).toMatchObject({ col: 0, row: 0 });
    expect(snapBox(PAGE, { x: 630, y: 0 }, 10, 4)).toMatchObject({ col: 54, width: 10 });
  });

  it('uses the column width of the grid it snaps to (a container is narrower than the page)', () => {
    const form: GridBox = { x: 100, y: 200, width: 320 }; // 5 px columns
    expect(snapBox(form, { x: 150, y: 230 }, 8, 3)).toEqual({ col: 10, row: 3, width: 8, height: 3 });
    expect(columnsFor(form, 100)).toBe(20);
    expect(columnsFor(PAGE, 100)).toBe(10);
  });

  it('drops a new widget with its top-left corner in the cell under the pointer', () => {
    expect(cellAt(PAGE, { x: 39, y: 41 }, 20, 7)).toEqual({ col: 3, row: 4, width: 20, height: 7 });
    // Near the right edge it is pulled left to fit.
    expect(cellAt(PAGE, { x: 635, y: 0 }, 20, 7)).toMatchObject({ col: 44 });
  });

  it('snaps nothing on a grid of no width (before the canvas is measured)', () => {
    expect(snapBox({ x: 0, y: 0, width: 0 }, { x: 500, y: 55 }, 10, 4)).toMatchObject({ col: 0, row: 6 });
  });
});

describe('resizing with the eight handles', () => {
  const from = { col: 10, row: 10, width: 20, height: 10 };

  it('moves only the dragged edges, snapped to grid lines', () => {
    expect(resizeBy(PAGE, from, 'e', 44, 99)).toEqual({ col: 10, row: 10, width: 24, height: 10 });
    expect(resizeBy(PAGE, from, 's', 99, 26)).toEqual({ col: 10, row: 10, width: 20, height: 13 });
    expect(resizeBy(PAGE, from, 'se', 16, -16)).toEqual({ col: 10, row: 10, width: 22, height: 8 });
  });

  it('moves the widget when the left or top edge is dragged, keeping the opposite edge', () => {
    expect(resizeBy(PAGE, from, 'nw', -30, -20)).toEqual({ col: 7, row: 8, width: 23, height: 12 });
    expect(resizeBy(PAGE, from, 'w', 50, 0)).toEqual({ col: 15, row: 10, width: 15, height: 10 });
  });

  it('never makes a widget smaller than one cell, nor wider than its grid', () => {
    expect(resizeBy(PAGE, from, 'e', -1000, 0)).toMatchObject({ col: 10, width: 1 });
    expect(resizeBy(PAGE, from, 'n', 0, 1000)).toMatchObject({ row: 19, height: 1 });
    expect(resizeBy(PAGE, from, 'e', 1000, 0)).toMatchObject({ col: 10, width: 54 });
    expect(resizeBy(PAGE, from, 'w', -1000, 0)).toMatchObject({ col: 0, width: 30 });
  });
});

describe('frames, hits and drop targets', () => {
  const page = [
    w('frm', 'Form', 10, 0, 30, 40, [w('inp', 'Input', 0, 6, 60, 7), w('box', 'Container', 0, 20, 64, 15, [w('txt', 'Text', 2, 2, 20, 4)])]),
    w('btn', 'Button', 0, 50, 16, 4),
  ];
  const frames = layoutFrames(page, PAGE, isContainer);
  const frame = (name: string) => frames.find((f) => f.name === name);

  it('places children on their container’s own grid, inside its cell', () => {
    expect(frame('frm')?.box).toEqual({ x: 100, y: 0, width: 300, height: 400 });
    const inner = frame('frm')?.inner;
    expect(inner).toEqual({ x: 105, y: 5, width: 290 });
    expect(frame('inp')?.box).toEqual(boxOf(inner ?? PAGE, { col: 0, row: 6, width: 60, height: 7 }));
    expect(frame('txt')?.depth).toBe(2);
    expect(frame('txt')?.parent).toBe('box');
  });

  it('uses the measured inner grid of a container when the DOM gave one', () => {
    const measured = new Map([['frm', { x: 101, y: 40, width: 298 }]]);
    const f = layoutFrames(page, PAGE, isContainer, measured).find((x) => x.name === 'inp');
    expect(f?.box.y).toBe(40 + 60);
  });

  it('hits the innermost widget under the point', () => {
    expect(hitTest(frames, { x: 110, y: 70 })?.name).toBe('inp');
    expect(hitTest(frames, { x: 300, y: 10 })?.name).toBe('frm');
    expect(hitTest(frames, { x: 5, y: 505 })?.name).toBe('btn');
    expect(hitTest(frames, { x: 600, y: 600 })).toBeUndefined();
  });

  it('drops into the innermost container under the point, or the page', () => {
    expect(chooseDropTarget(frames, { x: 300, y: 10 })?.name).toBe('frm');
    const inBox = frame('box')?.box;
    expect(chooseDropTarget(frames, { x: (inBox?.x ?? 0) + 5, y: (inBox?.y ?? 0) + 5 })?.name).toBe('box');
    // Over a non-container inside the form: the form receives it.
    expect(chooseDropTarget(frames, { x: 110, y: 70 })?.name).toBe('frm');
    expect(chooseDropTarget(frames, { x: 600, y: 600 })).toBeNull();
  });

  it('never drops a container into itself or into what it holds', () => {
    const inBox = frame('box')?.box ?? { x: 0, y: 0 };
    expect(chooseDropTarget(frames, { x: inBox.x + 5, y: inBox.y + 5 }, new Set(['frm']))).toBeNull();
    expect(chooseDropTarget(frames, { x: inBox.x + 5, y: inBox.y + 5 }, new Set(['box']))?.name).toBe('frm');
  });
});
