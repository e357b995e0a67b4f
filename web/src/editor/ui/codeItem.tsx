/**
 * What the query editor and the JS object editor share: the name field (a rename rewrites
 * every reference and on-load step; a refused name keeps what was typed, with the reason), the
 * delete button, the "Run behaviour" choice (Manual, or On page load of the page selected in
 * the pages panel), and the completer that knows the app and the last Run answers.
 */

import { useMemo } from 'preact/hooks';
import { appCompleter } from '../doc/complete.ts';
import * as cmd from '../doc/commands.ts';
import * as code from '../doc/codeCommands.ts';
import type { Completer } from '../doc/completion.ts';
import { attempt } from './canvas/actions.ts';
import type { CanvasController } from './canvas/controller.ts';
import type { EditorContext } from './context.ts';
import { NameInput } from './NameInput.tsx';

const completers = new WeakMap<EditorContext, { any?: Completer; query?: Completer }>();

/** The editor's completer: the app as it is now, the page on the canvas first, and the
 * fields of the last Run answers; for a query's fields (`where` 'query'), also the bindings
 * the server fills in (session mode's `session.*`). */
export function completerFor(ctx: EditorContext, canvas: CanvasController, where: 'any' | 'query' = 'any'): Completer {
  const mine = completers.get(ctx) ?? {};
  completers.set(ctx, mine);
  mine[where] ??= appCompleter(() => ({ doc: ctx.session.doc.peek(), lastResponses: canvas.runs.bodies(), page: ctx.currentPage.peek(), inQuery: where === 'query' }));
  return mine[where];
}

export function useCompleter(ctx: EditorContext, canvas: CanvasController, where: 'any' | 'query' = 'any'): Completer {
  return useMemo(() => completerFor(ctx, canvas, where), [ctx, canvas, where]);
}

export function NameField({ ctx, kind, name }: { ctx: EditorContext; kind: 'query' | 'jsObject'; name: string }) {
  return (
    <NameInput
      key={name}
      id={`ed-${kind}-name`}
      class="ed-code-name"
      name={name}
      rename={(to) => {
        ctx.session.apply(code.renameCode(ctx.session.doc.peek(), name, to));
        ctx.open.value = { kind, name: to };
      }}
    />
  );
}

export function DuplicateItem({ ctx, kind, name }: { ctx: EditorContext; kind: 'query' | 'jsObject'; name: string }) {
  return (
    <button
      type="button"
      class="ed-btn ed-btn-small"
      onClick={() =>
        attempt(ctx, () => {
          const doc = ctx.session.doc.peek();
          const change = kind === 'query' ? code.duplicateQuery(doc, name) : code.duplicateJsObject(doc, name);
          ctx.session.apply(change);
          ctx.open.value = { kind, name: change.name };
        })
      }
    >
      Duplicate
    </button>
  );
}

export function DeleteItem({ ctx, kind, name }: { ctx: EditorContext; kind: 'query' | 'jsObject'; name: string }) {
  return (
    <button
      type="button"
      class="ed-btn ed-btn-small"
      onClick={() =>
        attempt(ctx, () => {
          const doc = ctx.session.doc.peek();
          ctx.session.apply(kind === 'query' ? code.removeQuery(doc, name) : code.removeJsObject(doc, name));
          ctx.open.value = null;
          ctx.notify(`Deleted ${name}. Undo brings it back.`);
        })
      }
    >
      Delete
    </button>
  );
}

/** Manual, or On page load of the current page: whether `step` is in its on-load list. */
export function RunBehaviour({ ctx, step, label }: { ctx: EditorContext; step: string; label: string }) {
  const doc = ctx.session.doc.value;
  const page = ctx.currentPage.value;
  const on = code.runsOnLoad(doc, page, step);
  const id = `ed-rb-${step.replace(/\W/g, '_')}`;
  return (
    <div class="ed-qfield">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={on ? 'onLoad' : 'manual'}
        aria-describedby={`${id}-page`}
        onChange={(e) => {
          const want = e.currentTarget.value === 'onLoad';
          attempt(ctx, () => {
            const d = ctx.session.doc.peek();
            ctx.session.apply(want ? cmd.addOnLoadStep(d, page, step) : cmd.removeOnLoadStep(d, page, step));
          });
        }}
      >
        <option value="manual">Manual</option>
        <option value="onLoad">On page load</option>
      </select>
      <span id={`${id}-page`} class="ed-muted ed-small">
        for page {page}
      </span>
    </div>
  );
}
