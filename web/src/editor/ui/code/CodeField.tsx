/**
 * The editor's code field: a JS object's source, a query's Body, a long binding. CodeMirror 6
 * (cm.ts) is imported on first mount, never statically, so it is a chunk of its own outside the
 * editor's entry budget. Until it arrives the field is a plain textarea with the same label that
 * already edits: whatever is typed there (and the caret) carries over into CodeMirror.
 *
 * Keys: Tab is not bound (it moves the focus on, for keyboard users). Keys CodeMirror handles
 * are `preventDefault`ed, and Mod+Z / Mod+Shift+Z / Mod+Y are always claimed inside the field,
 * so the app's undo on `document` must ignore events that are `defaultPrevented` or come from
 * a text entry (shell/keys.ts does both; CodeMirror's content is a contenteditable textbox).
 */

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { Completer } from '../../doc/completion.ts';
import type { CodeEditorHandle, CodeEditorOptions } from './cm.ts';
import { EchoFilter } from './echo.ts';
import './code.css';

/** A problem at a 1-based line and column (columns in characters, as the server counts them). */
export interface CodeDiagnostic {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface CodeFieldProps {
  /** The accessible name of the editable area ("Code", "Body"). */
  readonly label: string;
  /**
   * The text. A change from outside (the app's undo, another tab) replaces the field's text,
   * keeping the caret where it can, and is not added to the field's own undo history. The
   * owner's late echo of the field's own edits is recognised and not applied (echo.ts).
   */
  readonly value: string;
  /** Every edit by the builder; the owner debounces or merges. */
  readonly onChange: (value: string) => void;
  /** Default 'javascript'. 'template': text with `{{ }}` bindings. */
  readonly language?: 'javascript' | 'template' | 'text';
  /** Shown as lint marks (red wavy underline, message on hover, a gutter marker). */
  readonly diagnostics?: readonly CodeDiagnostic[];
  /** Completion: asked with mode 'code' for JavaScript, 'template' otherwise. */
  readonly complete?: Completer;
  /** Mod+Enter (Ctrl+Enter, Cmd+Enter) inside the field. */
  readonly onRun?: () => void;
  /** F12 inside the field: go to the definition of the name at `caret` of `text`. */
  readonly onDefinition?: (text: string, caret: number) => void;
  /** Visible height in lines (default 8). */
  readonly minLines?: number;
  readonly readOnly?: boolean;
}

type CmModule = typeof import('./cm.ts');

let loader: () => Promise<CmModule> = () => import('./cm.ts');
let loading: Promise<CmModule> | null = null;

/** Loads CodeMirror once for every field. */
function loadCodeMirror(): Promise<CmModule> {
  loading ??= loader();
  return loading;
}

/** Replaces how CodeMirror is loaded (tests: a loader that never resolves, to see the fallback). */
export function setCodeMirrorLoader(next: () => Promise<CmModule>): void {
  loader = next;
  loading = null;
}

const EMPTY: readonly CodeDiagnostic[] = [];

export function CodeField(props: CodeFieldProps): JSX.Element {
  const { label, value, minLines = 8, readOnly = false } = props;
  const host = useRef<HTMLDivElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const editor = useRef<CodeEditorHandle | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const echo = useMemo(() => new EchoFilter(), []);
  const [ready, setReady] = useState(false);

  // Reads the latest props when called, so CodeMirror never holds a stale callback.
  const options = (): CodeEditorOptions => {
    const p = latest.current;
    return {
      label: p.label,
      language: p.language ?? 'javascript',
      readOnly: p.readOnly ?? false,
      complete: p.complete,
      onRun: p.onRun && (() => latest.current.onRun?.()),
      onDefinition: p.onDefinition && ((text: string, caret: number) => latest.current.onDefinition?.(text, caret)),
      onChange: report,
    };
  };
  const report = (text: string): void => {
    echo.sent(text);
    latest.current.onChange(text);
  };

  // The textarea is uncontrolled: a re-render must never put back an older value over typing.
  useLayoutEffect(() => {
    if (area.current) area.current.value = latest.current.value;
  }, []);

  useEffect(() => {
    let live = true;
    loadCodeMirror().then(
      (cm) => {
        if (!live || !host.current) return;
        const typed = area.current;
        const text = typed ? typed.value : latest.current.value;
        const focused = typed !== null && document.activeElement === typed;
        const selection = typed
          ? typed.selectionDirection === 'backward'
            ? { anchor: typed.selectionEnd, head: typed.selectionStart }
            : { anchor: typed.selectionStart, head: typed.selectionEnd }
          : undefined;
        editor.current = cm.mountCodeEditor(host.current, text, options(), selection);
        editor.current.setDiagnostics(latest.current.diagnostics ?? EMPTY);
        if (focused) editor.current.focus();
        setReady(true);
      },
      // The chunk did not load (offline, a new deploy): the textarea stays and still edits.
      () => undefined,
    );
    return () => {
      live = false;
      editor.current?.destroy();
      editor.current = null;
    };
  }, []);

  // A new value from the owner: taken unless it is the echo of the field's own edit.
  useEffect(() => {
    if (editor.current) {
      if (echo.shouldApply(value, editor.current.value())) editor.current.setValue(value);
    } else if (area.current) {
      const typed = area.current;
      if (echo.shouldApply(value, typed.value)) {
        const [start, end] = [typed.selectionStart, typed.selectionEnd];
        typed.value = value;
        typed.setSelectionRange(Math.min(start, value.length), Math.min(end, value.length));
      }
    }
  }, [value]);

  useEffect(() => {
    editor.current?.setDiagnostics(props.diagnostics ?? EMPTY);
  }, [props.diagnostics, ready]);

  useEffect(() => {
    editor.current?.update(options());
  });

  return (
    <div class="ed-code" style={{ '--ed-code-lines': String(minLines) }}>
      <div ref={host} class="ed-code-host" />
      {!ready && (
        <textarea
          ref={area}
          class="ed-code-fallback"
          aria-label={label}
          rows={minLines}
          readOnly={readOnly}
          spellcheck={false}
          autoCapitalize="off"
          onInput={(e) => report(e.currentTarget.value)}
        />
      )}
    </div>
  );
}
