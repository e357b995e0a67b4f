// @vitest-environment happy-dom
/**
 * The code field: the pure mappings CodeMirror is fed with (completions, line/column
 * diagnostics, the minimal replacement of an outside value, template bindings, echoes), the
 * mounted CodeMirror (its name, keys, history, lint marks), and CodeField itself: the textarea
 * while CodeMirror loads, and what carries over when it arrives.
 */
import { CompletionContext } from '@codemirror/autocomplete';
import { undoDepth } from '@codemirror/commands';
import { EditorState, Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Completer, CompletionResult } from '../../doc/completion.ts';
import * as cm from './cm.ts';
import { type CodeEditorHandle, type CodeEditorOptions, bindingRanges, completionSource, mountCodeEditor, replacement, toCompletionResult, toDiagnostics } from './cm.ts';
import { CodeField, type CodeFieldProps, setCodeMirrorLoader } from './CodeField.tsx';
import { EchoFilter } from './echo.ts';

let root: HTMLElement;
/** Editors mounted directly by a test, destroyed after it (their listeners are on document). */
const handles: CodeEditorHandle[] = [];

// happy-dom fires `selectionchange` synchronously inside Selection.collapse; browsers queue it.
// CodeMirror sets the DOM selection during an update of a focused editor and reads it back on
// that event, so here it would re-enter the update: queue it, as a browser does.
const dispatchOnDocument = document.dispatchEvent.bind(document);
const queued = new WeakSet<Event>();
document.dispatchEvent = (event: Event): boolean => {
  if (event.type !== 'selectionchange' || queued.has(event)) return dispatchOnDocument(event);
  queued.add(event);
  setTimeout(() => dispatchOnDocument(event));
  return true;
};

beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  for (const handle of handles.splice(0)) handle.destroy();
  render(null, root);
  root.remove();
  setCodeMirrorLoader(() => import('./cm.ts'));
});

/** Every element below `root` matching `selector`, inside shadow roots too (CodeMirror is
 * mounted in one, see cm.ts `mountRoot`). */
function deepAll<E extends Element = HTMLElement>(selector: string): E[] {
  const out: E[] = [];
  const visit = (node: ParentNode): void => {
    out.push(...node.querySelectorAll<E>(selector));
    for (const el of node.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot);
  };
  visit(root);
  if (root.shadowRoot) visit(root.shadowRoot);
  return out;
}

function deep(selector: string): HTMLElement | null {
  return deepAll(selector)[0] ?? null;
}

/** The one element of role textbox named `name` (a textarea, or CodeMirror's content). */
function textbox(name: string): HTMLElement {
  const found = deepAll('textarea, [role="textbox"]').filter((el) => el.getAttribute('aria-label') === name);
  if (found.length !== 1) throw new Error(`${found.length} textboxes named ${name}`);
  return found[0]!;
}

const viewOf = (name: string): EditorView => {
  const view = EditorView.findFromDOM(textbox(name));
  if (!view) throw new Error(`${name} is not CodeMirror`);
  return view;
};

/** A keydown in the field, as the browser sends it; returns the event to read defaultPrevented. */
function press(target: HTMLElement, key: string, mods: { ctrl?: boolean; shift?: boolean } = {}): KeyboardEvent {
  // keyCode too: CodeMirror reads the unshifted key from it for Ctrl+Shift+letter.
  const keyCode = key.length === 1 ? key.toUpperCase().charCodeAt(0) : key === 'Enter' ? 13 : key === 'Tab' ? 9 : 0;
  const event = new KeyboardEvent('keydown', { key, keyCode, ctrlKey: mods.ctrl ?? false, shiftKey: mods.shift ?? false, bubbles: true, cancelable: true, composed: true });
  target.dispatchEvent(event);
  return event;
}

/** A builder's edit (what typing does), as a user event CodeMirror records in its history. */
function type(view: EditorView, at: number, text: string): void {
  view.dispatch({ changes: { from: at, insert: text }, selection: { anchor: at + text.length }, userEvent: 'input.type' });
}

// Preact runs effects after the next frame.
const settle = () => new Promise((r) => setTimeout(r, 50));

function options(over: Partial<CodeEditorOptions> = {}): CodeEditorOptions {
  return { label: 'Code', language: 'javascript', readOnly: false, onChange: () => undefined, complete: undefined, onRun: undefined, ...over };
}

function mounted(doc: string, over: Partial<CodeEditorOptions> = {}) {
  const handle = mountCodeEditor(root, doc, options(over));
  handles.push(handle);
  return { handle, view: viewOf(over.label ?? 'Code') };
}

describe('completion mapping', () => {
  const result: CompletionResult = {
    from: 2,
    to: 7,
    options: [
      { label: 'inp_username', detail: 'Input on LoginPage', kind: 'widget', insert: 'inp_username' },
      { label: 'run', kind: 'function', insert: 'run()', caret: 4 },
    ],
  };

  it('keeps the range, the labels, details and order, with CodeMirror’s filter off', () => {
    const mapped = toCompletionResult(result)!;
    expect(mapped.from).toBe(2);
    expect(mapped.to).toBe(7);
    expect(mapped.filter).toBe(false);
    expect(mapped.options.map((o) => [o.label, o.detail, o.type])).toEqual([
      ['inp_username', 'Input on LoginPage', 'variable'],
      ['run', undefined, 'function'],
    ]);
  });

  it('offers nothing for no answer or no options', () => {
    expect(toCompletionResult(null)).toBeNull();
    expect(toCompletionResult({ from: 0, to: 0, options: [] })).toBeNull();
  });

  it('replaces from..to with the insert and puts the caret at its caret, else at its end', () => {
    const { view } = mounted('{{ inp_u }}');
    const [name, run] = toCompletionResult(result)!.options;
    const apply = (o: typeof name, from: number, to: number) => {
      if (typeof o?.apply !== 'function') throw new Error('no apply');
      o.apply(view, o, from, to);
    };
    apply(name, 3, 8);
    expect(view.state.doc.toString()).toBe('{{ inp_username }}');
    expect(view.state.selection.main.head).toBe(3 + 'inp_username'.length);
    apply(run, 3, 15);
    expect(view.state.doc.toString()).toBe('{{ run() }}');
    expect(view.state.selection.main.head).toBe(3 + 4); // between the parentheses
  });

  it('asks the Completer with the text, the caret, the mode of the language and whether it was asked for', () => {
    const calls: unknown[][] = [];
    const complete: Completer = (...args) => {
      calls.push(args);
      return null;
    };
    const state = EditorState.create({ doc: 'Auth.lo' });
    completionSource(complete, 'javascript')(new CompletionContext(state, 7, false));
    completionSource(complete, 'template')(new CompletionContext(state, 4, true));
    completionSource(complete, 'text')(new CompletionContext(state, 0, false));
    expect(calls).toEqual([
      ['Auth.lo', 7, 'code', false],
      ['Auth.lo', 4, 'template', true],
      ['Auth.lo', 0, 'template', false],
    ]);
  });
});

describe('diagnostic mapping', () => {
  const doc = Text.of(['export default {', '  run() { retrun 1 }', '};']);
  const at = (line: number, column: number) => {
    const [d] = toDiagnostics(doc, [{ line, column, message: 'm' }]);
    return [doc.sliceString(d!.from, d!.to), d!.from, d!.to];
  };

  it('marks the word at the line and column (1-based), as an error with the message', () => {
    const [d] = toDiagnostics(doc, [{ line: 2, column: 11, message: 'Unexpected identifier' }]);
    expect(d).toMatchObject({ severity: 'error', message: 'Unexpected identifier' });
    expect(doc.sliceString(d!.from, d!.to)).toBe('retrun');
  });

  it('marks one character where there is no word, and a point at a line’s end', () => {
    expect(at(1, 16)[0]).toBe('{');
    const end = doc.line(1).to;
    expect(at(1, 17)).toEqual(['', end, end]);
  });

  it('clamps lines and columns outside the document to its nearest place', () => {
    expect(at(9, 1)[1]).toBe(doc.line(3).from);
    expect(at(0, 1)[1]).toBe(0);
    expect(at(1, 400)[1]).toBe(doc.line(1).to);
    expect(at(2, 0)[1]).toBe(doc.line(2).from);
  });

  it('counts columns in characters, so a character outside the BMP is one column', () => {
    const emoji = Text.of(['"🙂" + nme']);
    const [d] = toDiagnostics(emoji, [{ line: 1, column: 7, message: 'm' }]);
    expect(emoji.sliceString(d!.from, d!.to)).toBe('nme');
  });
});

describe('replacement', () => {
  it('is the smallest change, so text around it (and a caret there) stays', () => {
    expect(replacement('let a = 1;', 'let abc = 1;')).toEqual({ from: 5, to: 5, insert: 'bc' });
    expect(replacement('abcdef', 'abXef')).toEqual({ from: 2, to: 4, insert: 'X' });
    expect(replacement('same', 'same')).toBeNull();
    expect(replacement('', 'new')).toEqual({ from: 0, to: 0, insert: 'new' });
  });

  it('never splits a surrogate pair', () => {
    const change = replacement('a🙂', 'a😀')!;
    expect(change.from).toBe(1);
    expect(change.insert).toBe('😀');
  });
});

describe('bindingRanges', () => {
  it('finds each {{ }} by the runtime’s rule, a }} in a string included, and skips an unclosed one', () => {
    const text = 'Hi {{ user.name }}, {{ "}}" }} and {{ open';
    expect(bindingRanges(text).map((r) => text.slice(r.from, r.to))).toEqual(['{{ user.name }}', '{{ "}}" }}']);
  });
});

describe('EchoFilter', () => {
  it('drops the owner’s late echoes of the field’s own edits and takes anything else', () => {
    const echo = new EchoFilter();
    echo.sent('a');
    echo.sent('ab');
    echo.sent('abc');
    expect(echo.shouldApply('a', 'abc')).toBe(false); // stale echo: typing is kept
    expect(echo.shouldApply('abc', 'abc')).toBe(false);
    expect(echo.shouldApply('ab', 'abc')).toBe(true); // the app's undo, after the echoes came back
    echo.sent('x');
    expect(echo.shouldApply('from another tab', 'x')).toBe(true);
    expect(echo.shouldApply('x', 'from another tab')).toBe(true); // the pending echo was forgotten
  });
});

describe('mountCodeEditor', () => {
  it('is a multiline textbox named by its label, with line numbers and a lint gutter', () => {
    mounted('a', { label: 'Body' });
    const box = textbox('Body');
    expect(box.getAttribute('role')).toBe('textbox');
    expect(box.getAttribute('aria-multiline')).toBe('true');
    expect(deep('.cm-lineNumbers')).not.toBeNull();
    expect(deep('.cm-gutter-lint')).not.toBeNull();
  });

  it('reports the builder’s edits, but not a value from outside', () => {
    const changes: string[] = [];
    const { handle, view } = mounted('let a = 1;', { onChange: (v) => changes.push(v) });
    type(view, 5, 'b');
    expect(changes).toEqual(['let ab = 1;']);
    handle.setValue('let ab = 2;');
    expect(handle.value()).toBe('let ab = 2;');
    expect(changes).toEqual(['let ab = 1;']);
  });

  it('keeps the caret through an outside value and leaves that value out of its undo history', () => {
    const { handle, view } = mounted('let a = 1;\nlet b = 2;');
    type(view, 5, 'x'); // caret after "ax"
    expect(undoDepth(view.state)).toBe(1);
    handle.setValue('// note\nlet ax = 1;\nlet b = 2;');
    expect(undoDepth(view.state)).toBe(1);
    expect(view.state.doc.sliceString(0, view.state.selection.main.head)).toBe('// note\nlet ax');
    // Ctrl+Z undoes the builder's "x", not the outside change.
    expect(press(textbox('Code'), 'z', { ctrl: true }).defaultPrevented).toBe(true);
    expect(handle.value()).toBe('// note\nlet a = 1;\nlet b = 2;');
    expect(press(textbox('Code'), 'Z', { ctrl: true, shift: true }).defaultPrevented).toBe(true);
    expect(handle.value()).toBe('// note\nlet ax = 1;\nlet b = 2;');
    press(textbox('Code'), 'z', { ctrl: true });
    expect(press(textbox('Code'), 'y', { ctrl: true }).defaultPrevented).toBe(true);
    expect(handle.value()).toBe('// note\nlet ax = 1;\nlet b = 2;');
  });

  it('claims undo and redo keys even with nothing to undo, so the app’s undo does not also run', () => {
    mounted('x');
    const seen: boolean[] = [];
    const onDocument = (e: KeyboardEvent) => seen.push(e.defaultPrevented);
    document.addEventListener('keydown', onDocument);
    try {
      press(textbox('Code'), 'z', { ctrl: true });
      press(textbox('Code'), 'Z', { ctrl: true, shift: true });
      press(textbox('Code'), 'y', { ctrl: true });
    } finally {
      document.removeEventListener('keydown', onDocument);
    }
    expect(seen).toEqual([true, true, true]);
  });

  it('runs on Mod+Enter, and leaves Tab to move the focus', () => {
    const onRun = vi.fn();
    const { handle } = mounted('q', { onRun });
    expect(press(textbox('Code'), 'Enter', { ctrl: true }).defaultPrevented).toBe(true);
    expect(onRun).toHaveBeenCalledTimes(1);
    expect(press(textbox('Code'), 'Tab').defaultPrevented).toBe(false);
    expect(handle.value()).toBe('q');
  });

  it('shows diagnostics as lint marks with their message', () => {
    const { handle } = mounted('let x = ;');
    handle.setDiagnostics([{ line: 1, column: 9, message: 'Unexpected token' }]);
    const mark = deep('.cm-lintRange-error');
    expect(mark?.textContent).toBe(';');
    handle.setDiagnostics([]);
    expect(deep('.cm-lintRange-error')).toBeNull();
  });

  it('takes a new label and read-only state', () => {
    const { handle, view } = mounted('x');
    handle.update(options({ label: 'Body', readOnly: true }));
    expect(textbox('Body').getAttribute('aria-readonly')).toBe('true');
    expect(view.state.readOnly).toBe(true);
  });

  it('completes from the Completer as the builder types', async () => {
    const complete: Completer = (text, caret) =>
      text.slice(0, caret).endsWith('inp') ? { from: caret - 3, to: caret, options: [{ label: 'inp_username', kind: 'widget', insert: 'inp_username' }] } : null;
    const { view } = mounted('', { complete });
    view.focus();
    type(view, 0, 'inp');
    await vi.waitFor(() => expect(deep('.cm-tooltip-autocomplete')?.textContent).toContain('inp_username'));
  });
});

describe('CodeField', () => {
  function show(props: Partial<CodeFieldProps> = {}) {
    const all: CodeFieldProps = { label: 'Code', value: '', onChange: () => undefined, ...props };
    render(<CodeField {...all} />, root);
    return all;
  }

  it('is a labelled, editable textarea while CodeMirror loads', async () => {
    setCodeMirrorLoader(() => new Promise(() => undefined));
    const changes: string[] = [];
    show({ value: 'export default {}', onChange: (v) => changes.push(v) });
    await settle();
    const area = textbox('Code') as HTMLTextAreaElement;
    expect(area.tagName).toBe('TEXTAREA');
    expect(area.value).toBe('export default {}');
    area.value = 'export default { a: 1 }';
    area.dispatchEvent(new Event('input', { bubbles: true }));
    expect(changes).toEqual(['export default { a: 1 }']);
  });

  it('takes an outside value in the textarea, but not a late echo of its own edit', async () => {
    setCodeMirrorLoader(() => new Promise(() => undefined));
    const props = show({ value: 'a' });
    await settle();
    const area = textbox('Code') as HTMLTextAreaElement;
    for (const v of ['ab', 'abc']) {
      area.value = v;
      area.dispatchEvent(new Event('input', { bubbles: true }));
    }
    show({ ...props, value: 'ab' }); // the owner catching up late
    await settle();
    expect(area.value).toBe('abc');
    show({ ...props, value: 'undone' });
    await vi.waitFor(() => expect(area.value).toBe('undone'));
  });

  it('loads CodeMirror with what was typed meanwhile, the caret and the focus, then follows its props', async () => {
    let arrive: (m: typeof cm) => void = () => undefined;
    setCodeMirrorLoader(() => new Promise((resolve) => (arrive = resolve)));
    const changes: string[] = [];
    const props = show({ value: 'let a;', onChange: (v) => changes.push(v), diagnostics: [{ line: 1, column: 5, message: 'unused' }] });
    await settle();
    const area = textbox('Code') as HTMLTextAreaElement;
    area.focus();
    area.value = 'let ab;';
    area.setSelectionRange(6, 6);
    area.dispatchEvent(new Event('input', { bubbles: true }));
    arrive(cm);
    await settle();

    expect(deep('textarea')).toBeNull();
    const view = viewOf('Code');
    expect(view.state.doc.toString()).toBe('let ab;');
    expect(view.state.selection.main.head).toBe(6);
    expect(view.hasFocus).toBe(true);
    expect(deep('.cm-lintRange-error')?.textContent).toBe('ab');

    show({ ...props, value: 'let ab; // undone elsewhere', diagnostics: [] });
    await vi.waitFor(() => expect(view.state.doc.toString()).toBe('let ab; // undone elsewhere'));
    expect(deep('.cm-lintRange-error')).toBeNull();
    expect(changes).toEqual(['let ab;']);

    type(view, 0, '// ');
    expect(changes).toEqual(['let ab;', '// let ab; // undone elsewhere']);
  });

  it('calls the latest onRun on Mod+Enter', async () => {
    const first = vi.fn();
    const second = vi.fn();
    const props = show({ value: 'q', onRun: first });
    await vi.waitFor(() => viewOf('Code'));
    show({ ...props, onRun: second });
    await settle();
    press(textbox('Code'), 'Enter', { ctrl: true });
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
  });
});
