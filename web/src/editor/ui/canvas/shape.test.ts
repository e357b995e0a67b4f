import { effect, signal } from '@preact/signals';
import { describe, expect, it } from 'vitest';
import { InputModel } from '../../../widgets/index.ts';
import { applyOp } from '../../doc/ops.ts';
import type { AppDoc, Op, WidgetDoc } from '../../doc/types.ts';
import { LiveCanvas } from './live.ts';
import { hiddenWidgets, pageShape, sameShape } from './shape.ts';
import { app as oneApp, w } from './testDocs.ts';

/** The app of `testDocs.ts` and a second, empty page `Other`. */
function app(widgets: WidgetDoc[]): AppDoc {
  const doc = oneApp(widgets);
  return { ...doc, pages: [...doc.pages, { name: 'Other', hidden: false, onLoad: [], widgets: [] }] };
}

/** How many times a signal notified its readers (the first read included). */
function notifications<T>(read: () => T): { count: () => number; stop: () => void } {
  let n = 0;
  const stop = effect(() => {
    read();
    n++;
  });
  return { count: () => n, stop };
}

const page: WidgetDoc[] = [w('form', 'Form', {}, [w('inp', 'Input', { label: 'A' }), w('btn', 'Button', {}, [], 6)]), w('txt', 'Text', { text: 'x' }, [], 30)];

describe('the overlay’s view of the page', () => {
  it('keeps the same shape through property edits, at any depth, and in a container', () => {
    const doc = signal(app(page));
    const current = signal('Home');
    const shape = pageShape(doc, current);
    const seen = notifications(() => shape.value);
    const first = shape.value;

    const edits: Op[] = [
      { kind: 'setProp', page: 'Home', widget: 'txt', prop: 'text', value: 'xy' },
      { kind: 'setProp', page: 'Home', widget: 'inp', prop: 'label', value: 'B' },
      { kind: 'setProp', page: 'Home', widget: 'form', prop: 'title', value: 'Sign in' },
    ];
    for (const op of edits) doc.value = applyOp(doc.value, op);

    expect(doc.value.pages[0]?.widgets).not.toBe(first?.widgets);
    expect(shape.value).toBe(first);
    expect(seen.count()).toBe(1);
    seen.stop();
  });

  it('changes when a widget moves, is resized, is added or removed, or the page changes', () => {
    const doc = signal(app(page));
    const current = signal('Home');
    const shape = pageShape(doc, current);
    const seen = notifications(() => shape.value);

    const moved = (p: { col: number; row: number; width: number; height: number }): Op => ({ kind: 'placeWidget', page: 'Home', name: 'btn', parent: 'form', position: p });
    doc.value = applyOp(doc.value, moved({ col: 0, row: 7, width: 20, height: 5 }));
    expect(seen.count()).toBe(2);
    doc.value = applyOp(doc.value, moved({ col: 0, row: 7, width: 21, height: 5 }));
    expect(seen.count()).toBe(3);
    current.value = 'Other';
    expect(shape.value?.page).toBe('Other');
    expect(seen.count()).toBe(4);
    current.value = 'Gone';
    expect(shape.value).toBeNull();
    seen.stop();

    expect(sameShape(page, page.slice(1))).toBe(false);
    expect(sameShape(page, [page[0] as WidgetDoc, { ...(page[1] as WidgetDoc), name: 'txt2' }])).toBe(false);
    expect(sameShape(page, [page[0] as WidgetDoc, { ...(page[1] as WidgetDoc), type: 'Button' }])).toBe(false);
    expect(sameShape(page, [{ ...(page[0] as WidgetDoc), children: [] }, page[1] as WidgetDoc])).toBe(false);
    expect(sameShape(page, [{ ...(page[0] as WidgetDoc), props: { title: 'T' } }, { ...(page[1] as WidgetDoc), props: {} }])).toBe(true);
  });

  it('lists hidden widgets, and notifies only when that set changes', () => {
    const live = new LiveCanvas();
    let doc = app([w('inp', 'Input'), w('txt', 'Text', { text: 'x', isVisible: '{{inp.text !== "hide"}}' }, [], 6), w('btn', 'Button', { isVisible: false }, [], 12)]);
    live.update(doc, 'Home');
    const hidden = hiddenWidgets(live.models);
    const seen = notifications(() => hidden.value);
    expect([...hidden.value]).toEqual(['btn']);

    doc = applyOp(doc, { kind: 'setProp', page: 'Home', widget: 'txt', prop: 'text', value: 'xy' });
    live.update(doc, 'Home');
    expect(seen.count()).toBe(1);

    const inp = live.models.peek().get('inp');
    if (!(inp instanceof InputModel)) throw new Error('inp is not an Input');
    inp.setText('hide');
    expect([...hidden.value].sort()).toEqual(['btn', 'txt']);
    expect(seen.count()).toBe(2);
    seen.stop();
  });
});
