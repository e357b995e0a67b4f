/**
 * Go to definition and find usages in the editor. `goToPlace` shows a place of the app: a
 * widget (its page on the canvas, selected, the property's field focused), a query or JS
 * object (open in the code pane), a page. F12 in a binding field or code field goes to the
 * definition of the name under the caret; "Find usages" lists where a name is used
 * (doc/usages.ts) and goes to the one picked.
 */

import { useState } from 'preact/hooks';
import { definitionOf, nameAt, type Place } from '../doc/usages.ts';
import type { EditorContext } from './context.ts';
import { UsagesDialog } from './complete/UsagesDialog.tsx';

export function goToPlace(ctx: EditorContext, place: Place): void {
  switch (place.kind) {
    case 'widget':
      ctx.currentPage.value = place.page;
      ctx.selection.value = [place.widget];
      if (place.property !== undefined) focusSoon(`ed-prop-${place.property}`);
      return;
    case 'query':
      ctx.open.value = { kind: 'query', name: place.query };
      return;
    case 'jsObject':
      ctx.open.value = { kind: 'jsObject', name: place.object };
      return;
    case 'page':
      ctx.currentPage.value = place.page;
      ctx.selection.value = [];
      return;
  }
}

/** Focuses the element of that id once the render that shows it has happened. */
function focusSoon(id: string): void {
  setTimeout(() => document.getElementById(id)?.focus(), 50);
}

/** Goes to the definition of the name at `caret` of `text`; says so when there is none. */
export function goToDefinition(ctx: EditorContext, text: string, caret: number, mode: 'template' | 'code'): void {
  const name = nameAt(text, caret, mode);
  const place = name === null ? null : definitionOf(ctx.session.doc.peek(), name);
  if (place === null) {
    ctx.notify(name === null ? 'Put the caret on a name of the app to go to its definition.' : `The app has nothing named ${name}.`);
    return;
  }
  goToPlace(ctx, place);
}

/**
 * A keydown handler for a pane of binding fields: F12 in a text field of it goes to the
 * definition of the name under the caret (its bindings are templates).
 */
export function definitionKey(ctx: EditorContext): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.key !== 'F12' || e.defaultPrevented) return;
    const field = e.composedPath()[0];
    if (!(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement)) return;
    e.preventDefault();
    goToDefinition(ctx, field.value, field.selectionStart ?? field.value.length, 'template');
  };
}

/** A "Find usages" button for `name`, with its dialog. */
export function FindUsages({ ctx, name }: { ctx: EditorContext; name: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="ed-btn ed-btn-small" onClick={() => setOpen(true)}>
        Find usages
      </button>
      {open && (
        <UsagesDialog
          doc={ctx.session.doc.peek()}
          name={name}
          onClose={() => setOpen(false)}
          onGo={(place) => {
            setOpen(false);
            goToPlace(ctx, place);
          }}
        />
      )}
    </>
  );
}
