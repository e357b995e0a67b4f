import { describe, expect, it } from 'vitest';
import { History } from './history.ts';
import type { Change } from './types.ts';

const set = (prop: string, value: string, widget = 'w'): Change => ({
  label: `Set ${prop} of ${widget}`,
  ops: [{ kind: 'setProp', page: 'P', widget, prop, value }],
});
const inv = (c: Change): Change => ({ label: c.label, ops: [] });

describe('History', () => {
  it('merges keystrokes into one property within a second, and undoes to before the first', () => {
    const h = new History();
    const first = set('text', 'a');
    const firstInverse: Change = { label: first.label, ops: [{ kind: 'unsetProp', page: 'P', widget: 'w', prop: 'text' }] };
    h.record(first, firstInverse, 0);
    h.record(set('text', 'ab'), inv(first), 400);
    h.record(set('text', 'abc'), inv(first), 1300);
    expect(h.peekUndo()).toMatchObject({ change: set('text', 'abc'), inverse: firstInverse });
    h.undone();
    expect(h.canUndo).toBe(false);
  });

  it('does not merge across a pause, another property, another widget or other changes', () => {
    const h = new History();
    h.record(set('text', 'a'), inv(set('text', 'a')), 0);
    h.record(set('text', 'b'), inv(set('text', 'b')), 1500);
    h.record(set('label', 'c'), inv(set('label', 'c')), 1600);
    h.record(set('label', 'd', 'v'), inv(set('label', 'd')), 1700);
    const move: Change = { label: 'Move v', ops: [{ kind: 'placeWidget', page: 'P', name: 'v', parent: null, position: { col: 0, row: 0, width: 1, height: 1 } }] };
    h.record(move, inv(move), 1800);
    h.record(move, inv(move), 1900);
    let steps = 0;
    while (h.canUndo) {
      h.undone();
      steps++;
    }
    expect(steps).toBe(6);
  });

  it('labels undo and redo, and a new change clears redo', () => {
    const h = new History();
    expect(h.undoLabel).toBe('');
    h.record(set('text', 'a'), inv(set('text', 'a')), 0);
    h.record({ label: 'Move w', ops: [{ kind: 'setPageHidden', name: 'P', hidden: true }] }, inv(set('x', 'y')), 10);
    expect(h.undoLabel).toBe('Move w');
    h.undone();
    expect(h.undoLabel).toBe('Set text of w');
    expect(h.redoLabel).toBe('Move w');
    h.redone(inv(set('x', 'y')));
    expect(h.redoLabel).toBe('');
    h.undone();
    h.record(set('label', 'z'), inv(set('label', 'z')), 20);
    expect(h.canRedo).toBe(false);
  });

  it('does not merge a change into a step that was undone and redone', () => {
    const h = new History();
    h.record(set('text', 'a'), inv(set('text', 'a')), 0);
    h.undone();
    h.redone(inv(set('text', 'a')));
    h.record(set('text', 'b'), inv(set('text', 'b')), 100);
    h.undone();
    expect(h.canUndo).toBe(true);
  });

  it('ignores empty changes', () => {
    const h = new History();
    h.record({ label: 'Nothing', ops: [] }, { label: 'Nothing', ops: [] }, 0);
    expect(h.canUndo).toBe(false);
  });
});
