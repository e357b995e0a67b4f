/**
 * The CodeMirror 6 half of the code field. CodeField.tsx imports this module with `import()`,
 * so CodeMirror lands in its own chunk and the editor's entry bundle stays inside its budget.
 *
 * What it sets up: line numbers, history, bracket matching, JavaScript highlighting, indent on
 * input, the default and history keymaps, completion from the editor's Completer, lint marks
 * from line/column diagnostics, and Mod+Enter to run. Deliberately not bound: `indentWithTab`,
 * so Tab and Shift+Tab still move the focus out of the field for keyboard users (Tab inside a
 * completion list is not bound either; Enter picks).
 *
 * Keys: a key CodeMirror handles is `preventDefault`ed by CodeMirror. Mod+Z, Mod+Shift+Z and
 * Mod+Y are always claimed here, even when the field's own history is empty, so they never
 * reach the app's global undo (shell/keys.ts, which also skips events that are
 * `defaultPrevented` or come from a text entry such as CodeMirror's contenteditable textbox).
 *
 * The pure pieces (completion and diagnostic mapping, the minimal replacement of an outside
 * value) are exported for tests, which cannot lay out CodeMirror in happy-dom.
 */

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import type { Completion, CompletionContext, CompletionResult as CmCompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, redo, undo } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { Annotation, Compartment, EditorSelection, EditorState, type Extension, Prec, type Text, Transaction } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, keymap, lineNumbers, ViewPlugin, type ViewUpdate } from '@codemirror/view';
import { findBindingEnd } from '../../../runtime/binding.ts';
import type { Completer, CompletionResult, Suggestion, SuggestionKind } from '../../doc/completion.ts';
import type { CodeDiagnostic } from './CodeField.tsx';

export type CodeLanguage = 'javascript' | 'template' | 'text';

/** What the field passes on mount and on every later render. Callbacks are read when used. */
export interface CodeEditorOptions {
  readonly label: string;
  readonly language: CodeLanguage;
  readonly readOnly: boolean;
  readonly onChange: (value: string) => void;
  readonly complete: Completer | undefined;
  readonly onRun: (() => void) | undefined;
  /** F12: go to the definition of the name at the caret (given the text and the caret). */
  readonly onDefinition?: ((text: string, caret: number) => void) | undefined;
}

/** A mounted editor, driven by CodeField. */
export interface CodeEditorHandle {
  /** The text now in the field. */
  value(): string;
  /** Replaces the text with one from outside, keeping the caret; not undoable in the field. */
  setValue(value: string): void;
  setDiagnostics(diagnostics: readonly CodeDiagnostic[]): void;
  /** New options: label, language and read-only are reconfigured when they changed. */
  update(options: CodeEditorOptions): void;
  focus(): void;
  destroy(): void;
}

// ---- completion -------------------------------------------------------------------------

const KIND_TYPE: Record<SuggestionKind, string> = {
  widget: 'variable',
  query: 'function',
  jsObject: 'namespace',
  global: 'namespace',
  property: 'property',
  function: 'function',
  storeKey: 'constant',
  field: 'property',
  page: 'text',
};

/** One suggestion as a CodeMirror option: picking it replaces the range with `insert`, caret at `caret`. */
export function toCompletion(s: Suggestion): Completion {
  return {
    label: s.label,
    ...(s.detail === undefined ? {} : { detail: s.detail }),
    type: KIND_TYPE[s.kind],
    apply: (view, _completion, from, to) => {
      const caret = from + Math.min(Math.max(s.caret ?? s.insert.length, 0), s.insert.length);
      view.dispatch({
        changes: { from, to, insert: s.insert },
        selection: EditorSelection.cursor(caret),
        scrollIntoView: true,
        userEvent: 'input.complete',
      });
    },
  };
}

/**
 * A Completer's answer as CodeMirror's. `filter: false`: the Completer already chose and ordered
 * the options, and its range may start before the typed word (a pick outside a binding is
 * wrapped in `{{ }}`), which CodeMirror's own filter would misread.
 */
export function toCompletionResult(result: CompletionResult | null): CmCompletionResult | null {
  if (!result || result.options.length === 0) return null;
  return { from: result.from, to: result.to, options: result.options.map(toCompletion), filter: false };
}

/** The completion source over a Completer; 'code' for JavaScript, 'template' otherwise. */
export function completionSource(complete: Completer, language: CodeLanguage): CompletionSource {
  const mode = language === 'javascript' ? 'code' : 'template';
  return (context: CompletionContext) => toCompletionResult(complete(context.state.doc.toString(), context.pos, mode, context.explicit));
}

// ---- diagnostics ------------------------------------------------------------------------

/**
 * The UTF-16 offset in `line` of a 1-based column counted in characters (code points, as the
 * server counts them), clamped to the line.
 */
function offsetOfColumn(line: string, column: number): number {
  let offset = 0;
  for (let c = 1; c < column && offset < line.length; c++) {
    offset += (line.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
  }
  return offset;
}

const WORD = /[\p{L}\p{N}_$]/u;

/**
 * Line/column diagnostics as CodeMirror's: the line and column are clamped into the document
 * (a diagnostic for text that has since shrunk still shows, at the nearest place). The mark
 * covers the word at the position, else one character, else (at a line's end) a point.
 */
export function toDiagnostics(doc: Text, diagnostics: readonly CodeDiagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => {
    const lineNo = Math.min(Math.max(Math.trunc(d.line) || 1, 1), doc.lines);
    const line = doc.line(lineNo);
    const start = offsetOfColumn(line.text, Math.trunc(d.column) || 1);
    let end = start;
    while (end < line.text.length && WORD.test(String.fromCodePoint(line.text.codePointAt(end) ?? 0))) {
      end += (line.text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
    }
    if (end === start && start < line.text.length) end += (line.text.codePointAt(start) ?? 0) > 0xffff ? 2 : 1;
    return { from: line.from + start, to: line.from + end, severity: 'error', message: d.message };
  });
}

// ---- outside values ---------------------------------------------------------------------

/**
 * The smallest single replacement turning `before` into `after` (common prefix and suffix
 * kept), so the caret, mapped through it, stays where it was unless its text changed.
 */
export function replacement(before: string, after: string): { from: number; to: number; insert: string } | null {
  if (before === after) return null;
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  // Never split a surrogate pair.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isHighSurrogate(before.charCodeAt(before.length - end - 1)) && before.length - end > start) end--;
  return { from: start, to: before.length - end, insert: after.slice(start, after.length - end) };
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

// ---- bindings in template fields --------------------------------------------------------

const bindingMark = Decoration.mark({ class: 'cm-lk-binding' });

/** The `{{ … }}` ranges of a template, ended by the runtime's own rule (runtime/binding.ts). */
export function bindingRanges(text: string): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  let at = text.indexOf('{{');
  while (at >= 0) {
    const close = findBindingEnd(text, at + 2);
    if (close < 0) break;
    ranges.push({ from: at, to: close + 2 });
    at = text.indexOf('{{', close + 2);
  }
  return ranges;
}

/** Tints each binding of a template field, so where JavaScript starts and ends is visible. */
const bindingHighlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = this.build(view);
    }
    update(update: ViewUpdate): void {
      if (update.docChanged) this.decorations = this.build(update.view);
    }
    build(view: EditorView): DecorationSet {
      return Decoration.set(bindingRanges(view.state.doc.toString()).filter((r) => r.to > r.from).map((r) => bindingMark.range(r.from, r.to)));
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

// ---- the editor -------------------------------------------------------------------------

/** Marks a transaction that brings in the owner's value, so it is not echoed to onChange. */
const fromOutside = Annotation.define<boolean>();

/**
 * Below the history keymap: claims the undo keys even when the field has nothing to undo (they
 * must not reach the app's undo), and makes Mod+Shift+Z and Mod+Y both redo on every platform
 * (CodeMirror binds only one of them per platform).
 */
const claimUndoKeys = keymap.of([
  { key: 'Mod-z', run: (view) => (undo(view), true) },
  { key: 'Mod-Shift-z', run: (view) => (redo(view), true) },
  { key: 'Mod-y', run: (view) => (redo(view), true) },
]);

function languageExtensions(language: CodeLanguage): Extension {
  switch (language) {
    case 'javascript':
      return [javascript(), closeBrackets(), keymap.of(closeBracketsKeymap)];
    case 'template':
      // A template is text with bindings: JavaScript highlighting over all of it is a simple
      // approximation (good for JSON bodies), and the bindings are tinted. No auto-closing:
      // `{` typed in prose should stay one character.
      return [javascript(), bindingHighlight];
    case 'text':
      return [];
  }
}

function labelExtensions(label: string): Extension {
  return EditorView.contentAttributes.of({ 'aria-label': label });
}

function readOnlyExtensions(readOnly: boolean): Extension {
  return [EditorState.readOnly.of(readOnly), EditorView.contentAttributes.of(readOnly ? { 'aria-readonly': 'true' } : {})];
}

/**
 * The field's look inside its shadow root (code.css cannot reach in): the box's font, the
 * height of `--ed-code-lines` lines, the gutter, the bindings' tint, the lint tooltip.
 */
const fieldTheme = EditorView.theme({
  '&': { maxHeight: '70vh', borderRadius: 'inherit', font: 'inherit' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'inherit', lineHeight: '1.4' },
  '.cm-content, .cm-gutter': { minHeight: 'calc(var(--ed-code-lines, 8) * var(--ed-code-line, 1.4em))' },
  '.cm-gutters': { backgroundColor: '#f6f7f9', borderRightColor: '#d0d5dd', color: '#5b6472' },
  '.cm-lk-binding': { backgroundColor: '#eef2fb', borderRadius: '2px' },
  '.cm-tooltip-lint': { maxWidth: '40em', whiteSpace: 'pre-wrap' },
});

/**
 * Where CodeMirror is mounted: a shadow root of `parent` where the browser has constructed
 * style sheets. CodeMirror injects its styles at run time; in a document they would be a
 * `<style>` element, which the editor's Content-Security-Policy (`style-src 'self'`) refuses,
 * while in a shadow root they are an adopted, constructed sheet, which it allows. (Without
 * constructed sheets — the unit tests' DOM — `parent` itself.)
 */
function mountRoot(parent: HTMLElement): { container: HTMLElement | ShadowRoot; root: Document | ShadowRoot | undefined } {
  const doc = parent.ownerDocument;
  const constructable = typeof doc.defaultView?.CSSStyleSheet === 'function' && 'adoptedStyleSheets' in doc && typeof parent.attachShadow === 'function';
  if (!constructable) return { container: parent, root: undefined };
  const shadow = parent.shadowRoot ?? parent.attachShadow({ mode: 'open' });
  return { container: shadow, root: shadow };
}

/** Mounts CodeMirror into `parent` with `doc` and the caret at `selection`. */
export function mountCodeEditor(
  parent: HTMLElement,
  doc: string,
  initial: CodeEditorOptions,
  selection?: { anchor: number; head: number },
): CodeEditorHandle {
  let options = initial;
  const languageSlot = new Compartment();
  const labelSlot = new Compartment();
  const readOnlySlot = new Compartment();
  const completionSlot = new Compartment();

  // The source reads the current Completer, so a new one needs no reconfiguration.
  const source: CompletionSource = (context) => (options.complete ? completionSource(options.complete, options.language)(context) : null);
  const completionExtensions = (on: boolean): Extension => (on ? autocompletion({ override: [source], activateOnTyping: true }) : []);

  const run = Prec.highest(
    keymap.of([
      {
        key: 'F12',
        run: (view) => {
          if (!options.onDefinition) return false;
          options.onDefinition(view.state.doc.toString(), view.state.selection.main.head);
          return true;
        },
      },
      {
        key: 'Mod-Enter',
        run: () => {
          if (!options.onRun) return false; // falls through to insertBlankLine
          options.onRun();
          return true;
        },
      },
    ]),
  );

  const clamp = (n: number) => Math.min(Math.max(n, 0), doc.length);
  const state = EditorState.create({
    doc,
    ...(selection ? { selection: EditorSelection.single(clamp(selection.anchor), clamp(selection.head)) } : {}),
    extensions: [
      run,
      fieldTheme,
      lineNumbers(),
      lintGutter(),
      history(),
      bracketMatching(),
      indentOnInput(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      languageSlot.of(languageExtensions(options.language)),
      completionSlot.of(completionExtensions(options.complete !== undefined)),
      keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
      Prec.lowest(claimUndoKeys),
      labelSlot.of(labelExtensions(options.label)),
      readOnlySlot.of(readOnlyExtensions(options.readOnly)),
      // tabindex: the editable area is focusable anyway, but said so it is what axe and screen
      // readers count as the keyboard's way into the scrolling box around it.
      EditorView.contentAttributes.of({ 'aria-multiline': 'true', spellcheck: 'false', autocapitalize: 'off', autocorrect: 'off', tabindex: '0' }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        if (update.transactions.some((tr) => tr.annotation(fromOutside))) return;
        options.onChange(update.state.doc.toString());
      }),
    ],
  });
  const { container, root } = mountRoot(parent);
  const view = new EditorView({ state, parent: container, ...(root ? { root } : {}) });

  return {
    value: () => view.state.doc.toString(),
    setValue(value) {
      const change = replacement(view.state.doc.toString(), value);
      if (!change) return;
      view.dispatch({ changes: change, annotations: [Transaction.addToHistory.of(false), fromOutside.of(true)] });
    },
    setDiagnostics(diagnostics) {
      view.dispatch(setDiagnostics(view.state, toDiagnostics(view.state.doc, diagnostics)));
    },
    update(next) {
      const effects = [];
      if (next.language !== options.language) effects.push(languageSlot.reconfigure(languageExtensions(next.language)));
      if (next.label !== options.label) effects.push(labelSlot.reconfigure(labelExtensions(next.label)));
      if (next.readOnly !== options.readOnly) effects.push(readOnlySlot.reconfigure(readOnlyExtensions(next.readOnly)));
      if ((next.complete === undefined) !== (options.complete === undefined)) {
        effects.push(completionSlot.reconfigure(completionExtensions(next.complete !== undefined)));
      }
      options = next;
      if (effects.length > 0) view.dispatch({ effects });
    },
    focus() {
      view.focus();
    },
    destroy() {
      view.destroy();
    },
  };
}
