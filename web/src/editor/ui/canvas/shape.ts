/**
 * What the canvas's overlay follows, as signals that change only when the overlay must be
 * drawn again: the page's shape (which widgets, of what type, where, in which container) and
 * the set of widgets that are not shown.
 *
 * Why: each keystroke in the property pane makes a new document, a new page and a new widget
 * list, and gives the edited widget a new model. The overlay (a frame per widget, placed from
 * the document's grid positions, and the measurement of containers' grids) does not depend on
 * a property's value, so an edit that moves nothing must not re-render 300 frames nor force a
 * layout to measure them. These signals keep their previous value, by identity, while the
 * shape is the same, and signals do not notify for an identical value.
 */

import { computed, type ReadonlySignal } from '@preact/signals';
import type { WidgetModel } from '../../../runtime/index.ts';
import { BaseWidget } from '../../../widgets/index.ts';
import type { AppDoc, WidgetDoc } from '../../doc/types.ts';
import { samePosition } from './geometry.ts';

/** The current page as the overlay sees it; `widgets` is replaced only when the shape changes. */
export interface PageShape {
  readonly page: string;
  readonly widgets: readonly WidgetDoc[];
}

/** Same widgets, names, types, positions and nesting, in the same order (properties aside). */
export function sameShape(a: readonly WidgetDoc[], b: readonly WidgetDoc[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined || y === undefined) return false;
    if (x.name !== y.name || x.type !== y.type || !samePosition(x.position, y.position) || !sameShape(x.children, y.children)) return false;
  }
  return true;
}

/** The shape of page `pageName` of the document; null while there is no such page. */
export function pageShape(doc: ReadonlySignal<AppDoc>, pageName: ReadonlySignal<string>): ReadonlySignal<PageShape | null> {
  let last: PageShape | null = null;
  return computed(() => {
    const name = pageName.value;
    const page = doc.value.pages.find((p) => p.name === name);
    if (page === undefined) return (last = null);
    if (last !== null && last.page === name && sameShape(last.widgets, page.widgets)) return last;
    return (last = { page: name, widgets: page.widgets });
  });
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The names of the widgets whose `isVisible` is false (their views draw nothing). */
export function hiddenWidgets(models: ReadonlySignal<ReadonlyMap<string, WidgetModel>>): ReadonlySignal<ReadonlySet<string>> {
  let last: ReadonlySet<string> = new Set();
  return computed(() => {
    const next = new Set<string>();
    for (const [name, m] of models.value) if (m instanceof BaseWidget && !m.isVisible) next.add(name);
    return sameSet(last, next) ? last : (last = next);
  });
}
