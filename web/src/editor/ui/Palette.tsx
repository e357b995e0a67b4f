/**
 * The widget palette: a region named "Widgets" with a search field and one button per widget
 * type of the catalogue, named after the type.
 *
 * A widget is added with a real pointer: press on a type, move (a ghost follows the pointer and
 * the canvas highlights the cell it would land on), release over the canvas or over a Form or
 * Container, which receives it at the release point; Esc cancels. From the keyboard, Enter or
 * Space on a type adds it to the selected container (or the page) at the first free place, and
 * selects it. The canvas owns the drop (`CanvasController.dropNew`); the palette only tracks
 * the pointer.
 */

import { useRef, useState } from 'preact/hooks';
import { widgetSpec, widgetTypes } from '../doc/catalogue.ts';
import type { WidgetType } from '../doc/types.ts';
import { addWidgetFromKeyboard } from './canvas/actions.ts';
import { useCanvas, type CanvasController } from './canvas/controller.ts';
import { DRAG_THRESHOLD_PX, startPointerDrag } from './canvas/pointer.ts';
import type { EditorContext } from './context.ts';
import './canvas/canvas.css';

/** The types whose name or description contains every word of the search. */
export function matchingTypes(types: readonly WidgetType[], search: string, describe: (t: WidgetType) => string): WidgetType[] {
  const words = search.toLowerCase().split(/\s+/).filter((w) => w !== '');
  return types.filter((t) => {
    const text = `${t} ${describe(t)}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

const describe = (t: WidgetType): string => widgetSpec(t).description;

export function Palette() {
  const { ctx, canvas } = useCanvas();
  const [search, setSearch] = useState('');
  const types = matchingTypes(widgetTypes(), search, describe);
  const drag = canvas.paletteDrag.value;
  return (
    <section class="ed-panel ed-pal" aria-label="Widgets">
      <div class="ed-panel-head">
        <h2>Widgets</h2>
      </div>
      <input
        type="search"
        class="ed-pal-search"
        aria-label="Search widgets"
        placeholder="Search widgets"
        value={search}
        onInput={(e) => setSearch(e.currentTarget.value)}
      />
      <ul class="ed-pal-list">
        {types.map((t) => (
          <li key={t}>
            <PaletteItem type={t} ctx={ctx} canvas={canvas} />
          </li>
        ))}
      </ul>
      {types.length === 0 && <p class="ed-pal-empty">No widget matches “{search}”.</p>}
      {drag && (
        <div class="ed-pal-ghost" aria-hidden="true" style={{ transform: `translate(${drag.client.x + 8}px, ${drag.client.y + 8}px)` }}>
          {drag.type}
        </div>
      )}
    </section>
  );
}

function PaletteItem({ type, ctx, canvas }: { type: WidgetType; ctx: EditorContext; canvas: CanvasController }) {
  // A click that ends a drag must not add a second widget.
  const dragged = useRef(false);
  return (
    <button
      type="button"
      class="ed-pal-item"
      // The name is the type alone (tests and screen readers find "Form"); the description
      // is the tooltip and the accessible description.
      title={widgetSpec(type).description}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        dragged.current = false;
        startPointerDrag(e, {
          threshold: DRAG_THRESHOLD_PX,
          move: (client) => {
            dragged.current = true;
            canvas.dragOver?.(client);
            canvas.paletteDrag.value = { type, client };
          },
          end: (client, moved) => {
            canvas.paletteDrag.value = null;
            if (moved) canvas.dropNew?.(type, client);
          },
          cancel: () => {
            canvas.paletteDrag.value = null;
          },
        });
      }}
      onClick={() => {
        if (dragged.current) {
          dragged.current = false;
          return;
        }
        addWidgetFromKeyboard(ctx, type);
      }}
    >
      {type}
    </button>
  );
}
