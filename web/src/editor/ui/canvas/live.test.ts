import { describe, expect, it } from 'vitest';
import { InputModel, TextModel } from '../../../widgets/index.ts';
import { applyOp } from '../../doc/ops.ts';
import type { AppDoc, Op } from '../../doc/types.ts';
import { LiveCanvas } from './live.ts';
import { app, w } from './testDocs.ts';

function after(doc: AppDoc, ...ops: Op[]): AppDoc {
  return ops.reduce(applyOp, doc);
}

function text(live: LiveCanvas, name: string): string {
  const m = live.models.value.get(name);
  if (!(m instanceof TextModel)) throw new Error(`${name} is not a Text`);
  return m.shownText.value;
}

describe('the canvas’s live runtime', () => {
  it('renders the draft with live bindings: typing in a canvas Input updates a bound Text', () => {
    const live = new LiveCanvas();
    live.update(app([w('inp', 'Input'), w('txt', 'Text', { text: 'Hello {{inp.text}}' })]), 'Home');
    expect(text(live, 'txt')).toBe('Hello ');
    const inp = live.models.value.get('inp');
    if (!(inp instanceof InputModel)) throw new Error('inp is not an Input');
    inp.setText('Ada');
    expect(text(live, 'txt')).toBe('Hello Ada');
  });

  it('builds only the widget whose property changed; the others keep their models and state', () => {
    const widgets = Array.from({ length: 300 }, (_, i) => w(`w${i}`, i % 2 ? 'Text' : 'Input', i % 2 ? { text: `{{w${i - 1}.text}}` } : {}, [], i * 5));
    let doc = app(widgets);
    const live = new LiveCanvas();
    live.update(doc, 'Home');
    expect(live.stats).toEqual({ runtimes: 1, models: 300 });
    const before = live.models.value;
    const input = before.get('w0');
    if (!(input instanceof InputModel)) throw new Error('w0 is not an Input');
    input.setText('typed');

    doc = after(doc, { kind: 'setProp', page: 'Home', widget: 'w1', prop: 'text', value: '<{{w0.text}}>' });
    live.update(doc, 'Home');

    expect(live.stats).toEqual({ runtimes: 1, models: 301 });
    const now = live.models.value;
    expect(now.get('w1')).not.toBe(before.get('w1'));
    expect(now.get('w0')).toBe(input);
    expect(now.get('w299')).toBe(before.get('w299'));
    expect(live.roots.value.length).toBe(300);
    // The new model reads the state of the old neighbour.
    expect(text(live, 'w1')).toBe('<typed>');
  });

  it('keeps the children of a changed Container, and builds a changed Form with its children', () => {
    let doc = app([
      w('box', 'Container', {}, [w('t1', 'Text', { text: 'a' })]),
      w('frm', 'Form', {}, [w('i1', 'Input', { isRequired: true }), w('b1', 'Button', { disabledWhenInvalid: true })], 10),
    ]);
    const live = new LiveCanvas();
    live.update(doc, 'Home');
    const first = live.models.value;
    doc = after(
      doc,
      { kind: 'setProp', page: 'Home', widget: 'box', prop: 'isVisible', value: false },
      { kind: 'setProp', page: 'Home', widget: 'i1', prop: 'label', value: 'Name' },
    );
    live.update(doc, 'Home');
    const next = live.models.value;
    expect(next.get('box')).not.toBe(first.get('box'));
    expect(next.get('t1')).toBe(first.get('t1'));
    expect(next.get('box')?.children[0]).toBe(first.get('t1'));
    // Inside the Form everything is new: the Button must see the new Form and its inputs.
    for (const n of ['frm', 'i1', 'b1']) expect(next.get(n), n).not.toBe(first.get(n));
    expect(next.get('frm')?.read('isValid')).toBe(false);
  });

  it('keeps what was typed into a canvas Input when its model is built again', () => {
    let doc = app([w('frm', 'Form', {}, [w('i1', 'Input'), w('b1', 'Button')]), w('txt', 'Text', { text: '{{i1.text}}' }, [], 10)]);
    const live = new LiveCanvas();
    live.update(doc, 'Home');
    const input = live.models.value.get('i1');
    if (!(input instanceof InputModel)) throw new Error('i1 is not an Input');
    input.setText('typed');
    doc = after(doc, { kind: 'setProp', page: 'Home', widget: 'b1', prop: 'text', value: 'Go' });
    live.update(doc, 'Home');
    expect(live.models.value.get('i1')).not.toBe(input);
    expect(live.models.value.get('i1')?.read('text')).toBe('typed');
    expect(text(live, 'txt')).toBe('typed');
    // A new runtime too (a widget renamed) keeps it.
    doc = after(doc, { kind: 'renameWidget', page: 'Home', from: 'b1', to: 'btn' });
    live.update(doc, 'Home');
    expect(live.stats.runtimes).toBe(2);
    expect(text(live, 'txt')).toBe('typed');
  });

  it('makes a new runtime when the names bindings can reach change', () => {
    let doc = app([w('inp', 'Input'), w('txt', 'Text', { text: '{{inp2.text}}' })]);
    const live = new LiveCanvas();
    live.update(doc, 'Home');
    const model = live.models.value.get('txt');
    expect(model instanceof TextModel && !model.prop('text').ok).toBe(true);
    doc = after(doc, { kind: 'addWidget', page: 'Home', parent: null, widget: { ...w('inp2', 'Input', { defaultText: 'x' }), position: { col: 0, row: 30, width: 10, height: 7 } } });
    live.update(doc, 'Home');
    expect(live.stats.runtimes).toBe(2);
    expect(text(live, 'txt')).toBe('x');
  });

  it('does nothing when the page did not change, and shows nothing for a page that is gone', () => {
    const doc = app([w('txt', 'Text', { text: 'a' })]);
    const live = new LiveCanvas();
    live.update(doc, 'Home');
    const roots = live.roots.value;
    live.update({ ...doc, name: 'Renamed app' }, 'Home');
    expect(live.roots.value).toBe(roots);
    live.update(doc, 'Elsewhere');
    expect(live.roots.value).toEqual([]);
  });
});
