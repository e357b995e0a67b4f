/**
 * The JS object editor: a region named "JS object" in the code pane. Its source is edited in
 * a code editor (CodeMirror, loaded on first use) labelled "Code", with the server's parser's
 * syntax errors marked at their line and column as the builder types (checked a moment after
 * the last keystroke) and completion that knows the app. CodeMirror keeps its own typing undo;
 * each change of the source is also an edit of the document, so the app's one history (the
 * top bar's Undo, Mod+Z outside a text field) has it too, labelled "Edit <object> code".
 *
 * Below, the object's functions (the server's rule: doc/ops.ts `jsFunctions`), each with
 * **Run** (the saved draft, in the canvas's runtime: its queries run through the draft's run
 * endpoint with the canvas's values; a `navigateTo` is reported, not done) and its result or
 * error, and its "Run behaviour for <function>" on the page selected in the pages panel.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import * as code from '../doc/codeCommands.ts';
import { jsFunctions } from '../doc/ops.ts';
import { displayString } from '../../runtime/index.ts';
import { attempt } from './canvas/actions.ts';
import { useCanvas, type CanvasController } from './canvas/controller.ts';
import { CodeField, type CodeDiagnostic } from './code/CodeField.tsx';
import type { EditorContext } from './context.ts';
import { FindUsages, goToDefinition } from './usages.tsx';
import { DeleteItem, DuplicateItem, NameField, RunBehaviour, useCompleter } from './codeItem.tsx';
import { api } from './shell/client.ts';
import { errorMessage } from './shell/errors.ts';

/** How long after the last keystroke the server checks the source. */
const CHECK_DELAY_MS = 250;

export function JsEditor({ name }: { name: string }) {
  const { ctx, canvas } = useCanvas();
  const doc = ctx.session.doc.value;
  const obj = doc.jsObjects.find((j) => j.name === name);
  const complete = useCompleter(ctx, canvas);
  const diagnostics = useServerCheck(obj?.source ?? '');
  if (!obj) return null;
  const fns = jsFunctions(obj.source);

  return (
    <section class="ed-code-editor ed-js" aria-label="JS object">
      <div class="ed-code-head">
        <NameField ctx={ctx} kind="jsObject" name={name} />
        <span class="ed-spacer" />
        <FindUsages ctx={ctx} name={name} />
        <DuplicateItem ctx={ctx} kind="jsObject" name={name} />
        <DeleteItem ctx={ctx} kind="jsObject" name={name} />
      </div>
      <div class="ed-code-body">
        <div class="ed-js-code">
          <CodeField
            label="Code"
            language="javascript"
            value={obj.source}
            minLines={14}
            diagnostics={diagnostics}
            complete={complete}
            onDefinition={(text, caret) => goToDefinition(ctx, text, caret, 'code')}
            onChange={(source) => attempt(ctx, () => ctx.session.apply(code.setJsSource(ctx.session.doc.peek(), name, source)))}
          />
          {diagnostics.length > 0 && (
            <ul class="ed-js-problems" aria-label="Syntax errors">
              {diagnostics.map((d, i) => (
                <li key={i} class="ed-error ed-small">
                  Line {d.line}, column {d.column}: {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
        <section class="ed-js-functions" aria-labelledby="ed-js-fns">
          <h3 id="ed-js-fns">Functions</h3>
          {fns.length === 0 ? (
            <p class="ed-muted ed-small">No functions yet: a member like <code>signin() {'{ … }'}</code> is one.</p>
          ) : (
            <ul class="ed-js-fn-list">
              {fns.map((fn) => (
                <FunctionRow key={fn} ctx={ctx} canvas={canvas} object={name} fn={fn} />
              ))}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}

type RunResult =
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly ok: boolean; readonly text: string; readonly alerts: readonly string[]; readonly navigations: readonly string[] };

function FunctionRow({ ctx, canvas, object, fn }: { ctx: EditorContext; canvas: CanvasController; object: string; fn: string }) {
  const [result, setResult] = useState<RunResult | null>(null);
  const run = async (): Promise<void> => {
    setResult({ state: 'running' });
    setResult(await runFunction(ctx, canvas, object, fn));
  };
  return (
    <li class="ed-js-fn">
      <div class="ed-js-fn-head">
        <code class="ed-js-fn-name">{fn}</code>
        <button type="button" class="ed-btn ed-btn-small ed-btn-primary" onClick={() => void run()} disabled={result?.state === 'running'}>
          Run {fn}
        </button>
        <RunBehaviour ctx={ctx} step={`${object}.${fn}`} label={`Run behaviour for ${fn}`} />
      </div>
      <div role="status" aria-label={`Result of ${fn}`} class="ed-js-result">
        {result?.state === 'running' && <span class="ed-muted">Running…</span>}
        {result?.state === 'done' && (
          <>
            <pre class={result.ok ? 'ed-js-value' : 'ed-error'}>{result.text}</pre>
            {result.alerts.map((a, i) => (
              <p key={`a${i}`} class="ed-small">
                Alert: {a}
              </p>
            ))}
            {result.navigations.map((n, i) => (
              <p key={`n${i}`} class="ed-small ed-muted">
                Asked to go to {n} (the canvas stays on its page).
              </p>
            ))}
          </>
        )}
      </div>
    </li>
  );
}

/** Runs `object.fn()` on the saved draft in the canvas's runtime, with what it showed. */
async function runFunction(ctx: EditorContext, canvas: CanvasController, object: string, fn: string): Promise<RunResult> {
  await ctx.session.flush();
  const doc = ctx.session.doc.peek();
  const page = ctx.currentPage.peek();
  canvas.live.update(doc, page);
  const runtime = canvas.live.app.peek();
  const toastsBefore = runtime?.toasts.peek() ?? [];
  const navBefore = canvas.navigations.peek().length;
  const done = (ok: boolean, text: string): RunResult => ({
    state: 'done',
    ok,
    text,
    alerts: (runtime?.toasts.peek() ?? []).filter((t) => !toastsBefore.includes(t)).map((t) => `${t.message} (${t.type})`),
    navigations: canvas.navigations.peek().slice(navBefore),
  });
  try {
    const value = await canvas.live.run(doc, page, `return ${object}.${fn}();`);
    return done(true, value === undefined ? 'Done (no value returned).' : `Returned ${preview(value)}`);
  } catch (e) {
    return done(false, `Error: ${e instanceof Error ? e.message : displayString(e)}`);
  }
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value, null, 2) ?? String(value));
  } catch {
    text = displayString(value);
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** The server's syntax errors of `source`, checked `CHECK_DELAY_MS` after it last changed;
 * an answer for an older source is dropped. */
function useServerCheck(source: string): readonly CodeDiagnostic[] {
  const [checked, setChecked] = useState<{ source: string; errors: readonly CodeDiagnostic[] }>({ source: '', errors: [] });
  const latest = useRef(source);
  latest.current = source;
  useEffect(() => {
    if (source === checked.source) return;
    const timer = setTimeout(() => {
      api.checkJs('jsObject', source).then(
        (r) => {
          if (latest.current === source) setChecked({ source, errors: r.errors });
        },
        (e: unknown) => {
          if (latest.current === source) setChecked({ source, errors: [{ line: 1, column: 1, message: `The syntax check failed: ${errorMessage(e)}` }] });
        },
      );
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [source]);
  return checked.errors;
}

