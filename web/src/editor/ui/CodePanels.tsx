/**
 * The left pane's lists of the app's code: regions named "Queries" and "JS objects", each with
 * its "New …" button and one button per item that opens it in the code pane under the canvas
 * (`ctx.open`). Each list follows only the names of its items, so typing in a query's field
 * does not re-render it.
 */

import { useComputed } from '@preact/signals';
import { useRef } from 'preact/hooks';
import * as code from '../doc/codeCommands.ts';
import type { AppDoc } from '../doc/types.ts';
import { attempt } from './canvas/actions.ts';
import { useEditor, type EditorContext, type OpenItem } from './context.ts';

export function QueriesPanel() {
  const ctx = useEditor();
  return (
    <CodeItemsPanel
      ctx={ctx}
      id="ed-queries-title"
      title="Queries"
      newLabel="New query"
      kind="query"
      namesOf={(doc) => doc.queries.map((q) => q.name)}
      detailOf={(doc, name) => {
        const q = doc.queries.find((x) => x.name === name);
        return q ? (q.method ?? 'GET') : '';
      }}
      add={(doc) => code.addQuery(doc)}
    />
  );
}

export function JsObjectsPanel() {
  const ctx = useEditor();
  return (
    <CodeItemsPanel
      ctx={ctx}
      id="ed-js-title"
      title="JS objects"
      newLabel="New JS object"
      kind="jsObject"
      namesOf={(doc) => doc.jsObjects.map((j) => j.name)}
      detailOf={() => 'JS'}
      add={(doc) => code.addJsObject(doc)}
    />
  );
}

interface PanelProps {
  readonly ctx: EditorContext;
  readonly id: string;
  readonly title: string;
  readonly newLabel: string;
  readonly kind: OpenItem['kind'];
  readonly namesOf: (doc: AppDoc) => string[];
  readonly detailOf: (doc: AppDoc, name: string) => string;
  readonly add: (doc: AppDoc) => ReturnType<typeof code.addQuery>;
}

function CodeItemsPanel(props: PanelProps) {
  const { ctx, kind } = props;
  // The same list while the entries stay, so a keystroke in a query's field does not
  // re-render the panel.
  const last = useRef<readonly (readonly [string, string])[]>([]);
  const items = useComputed(() => {
    const doc = ctx.session.doc.value;
    const next = props.namesOf(doc).map((n) => [n, props.detailOf(doc, n)] as const);
    const prev = last.current;
    if (prev.length === next.length && prev.every(([n, d], i) => n === next[i]?.[0] && d === next[i]?.[1])) return prev;
    last.current = next;
    return next;
  }).value;
  const open = ctx.open.value;

  const onNew = (): void => {
    attempt(ctx, () => {
      const change = props.add(ctx.session.doc.peek());
      ctx.session.apply(change);
      ctx.open.value = { kind, name: change.name };
    });
  };

  return (
    <section class="ed-panel ed-code-list" aria-labelledby={props.id}>
      <div class="ed-panel-head">
        <h2 id={props.id}>{props.title}</h2>
        <button type="button" class="ed-btn ed-btn-small" onClick={onNew}>
          {props.newLabel}
        </button>
      </div>
      {items.length === 0 ? (
        <p class="ed-muted ed-small">None yet.</p>
      ) : (
        <ul class="ed-page-list">
          {items.map(([name, detail]) => {
            const current = open?.kind === kind && open.name === name;
            return (
              <li key={name} class={`ed-page-item${current ? ' ed-current' : ''}`}>
                <button
                  type="button"
                  class="ed-page-button"
                  aria-current={current ? 'true' : undefined}
                  onClick={() => (ctx.open.value = { kind, name })}
                >
                  <span class="ed-page-name">{name}</span>
                  <span class="ed-muted ed-small">{detail}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
