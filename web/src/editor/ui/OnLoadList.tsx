/**
 * A page's on-load list in the property pane (when no widget is selected): a list named
 * "On page load" with one item per step, in the order the viewer runs them, each with "Move
 * up", "Move down" and "Remove" buttons whose names carry the step ("Move get_user up"), and a
 * choice labelled "Add on-load step" offering the app's queries and JS functions that are not
 * in the list yet. Every change is one labelled undo step (doc/commands.ts, page load).
 *
 * Keyboard: after a move the focus stays on the moved step's button (on its other move button
 * when the one pressed is now disabled); after a removal it goes to the next step's "Remove",
 * or the add choice.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import * as cmd from '../doc/commands.ts';
import { onLoadChoices } from '../doc/ops.ts';
import type { AppDoc, PageDoc } from '../doc/types.ts';
import { apply, attempt } from './canvas/actions.ts';
import type { EditorContext } from './context.ts';

const ADD_LABEL = 'Add on-load step';

export function OnLoadList({ ctx, doc, page }: { ctx: EditorContext; doc: AppDoc; page: PageDoc }) {
  const root = useRef<HTMLDivElement>(null);
  // The accessible name of the control to focus after the next render, tried in order.
  const [focusNext, setFocusNext] = useState<readonly string[]>([]);
  useEffect(() => {
    if (focusNext.length === 0) return;
    for (const name of focusNext) {
      const el = Array.from(root.current?.querySelectorAll<HTMLElement>('button, select') ?? []).find(
        (x) => x.getAttribute('aria-label') === name && !(x as HTMLButtonElement).disabled,
      );
      if (el) {
        el.focus();
        break;
      }
    }
    setFocusNext([]);
  }, [focusNext]);

  const steps = page.onLoad;
  const offered = onLoadChoices(doc).filter((s) => !steps.includes(s));
  const edit = (change: () => cmd.EditChange, focus: readonly string[]): void => {
    if (attempt(ctx, () => apply(ctx, change()))) setFocusNext(focus);
  };
  const now = (): AppDoc => ctx.session.doc.peek();

  return (
    <div ref={root} class="ed-onload">
      <h3 id="ed-onload-head" class="ed-props-type">
        On page load
      </h3>
      <p class="ed-prop-hint">
        {steps.length === 0 ? 'Nothing runs when this page loads.' : 'Run in this order, each finished before the next starts.'}
      </p>
      <ol aria-labelledby="ed-onload-head" class="ed-onload-list">
        {steps.map((step, i) => {
          const next = steps[i + 1] ?? steps[i - 1];
          return (
            <li key={step} aria-label={step} class="ed-onload-item">
              <code class="ed-onload-step">{step}</code>
              <span class="ed-onload-buttons">
                <button
                  type="button"
                  class="ed-icon-btn"
                  aria-label={`Move up ${step}`}
                  disabled={i === 0}
                  onClick={() => edit(() => cmd.moveOnLoadStep(now(), page.name, step, 'up'), [`Move up ${step}`, `Move down ${step}`])}
                >
                  ↑
                </button>
                <button
                  type="button"
                  class="ed-icon-btn"
                  aria-label={`Move down ${step}`}
                  disabled={i === steps.length - 1}
                  onClick={() => edit(() => cmd.moveOnLoadStep(now(), page.name, step, 'down'), [`Move down ${step}`, `Move up ${step}`])}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="ed-icon-btn"
                  aria-label={`Remove ${step}`}
                  onClick={() => edit(() => cmd.removeOnLoadStep(now(), page.name, step), next === undefined ? [ADD_LABEL] : [`Remove ${next}`])}
                >
                  ×
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <label class="ed-field">
        {ADD_LABEL}
        <select
          class="ed-prop-select"
          aria-label={ADD_LABEL}
          value=""
          onChange={(e) => {
            const select = e.currentTarget;
            const step = select.value;
            select.value = '';
            if (step !== '') edit(() => cmd.addOnLoadStep(now(), page.name, step), [ADD_LABEL]);
          }}
        >
          <option value="">{offered.length === 0 ? 'No query or function to add' : 'Choose a query or function…'}</option>
          {offered.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
