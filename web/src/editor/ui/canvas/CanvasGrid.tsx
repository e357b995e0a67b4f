/**
 * The page's widgets as the viewer renders them (its own WidgetView, so what the canvas shows
 * is what the viewer shows). A widget whose model did not change is not rendered again: a
 * keystroke in the property pane repaints one widget, not the page.
 */

import type { ReadonlySignal } from '@preact/signals';
import { Component, type RefObject } from 'preact';
import { useLayoutEffect } from 'preact/hooks';
import type { WidgetModel } from '../../../runtime/index.ts';
import { WidgetView } from '../../../widgets/index.ts';
import { gridRows } from '../../../widgets/WidgetView.tsx';
import { ROW_HEIGHT_PX } from './geometry.ts';

/** Empty rows below the lowest widget, to drop new widgets into. */
const EXTRA_ROWS = 30;

export function CanvasGrid(props: {
  roots: ReadonlySignal<readonly WidgetModel[]>;
  gridRef: RefObject<HTMLDivElement | null>;
  /** After each render of the grid, once its DOM is updated (before the paint). */
  onRendered?: () => void;
}) {
  const { gridRef, onRendered } = props;
  const roots = props.roots.value;
  useLayoutEffect(() => onRendered?.());
  return (
    <div class="lk-grid ed-cv-grid" ref={gridRef} style={{ minHeight: `${(gridRows(roots) + EXTRA_ROWS) * ROW_HEIGHT_PX}px` }}>
      {roots.map((m) => (
        <StableWidget key={m.name} model={m} />
      ))}
    </div>
  );
}

class StableWidget extends Component<{ model: WidgetModel }> {
  override shouldComponentUpdate(next: { model: WidgetModel }): boolean {
    return next.model !== this.props.model;
  }
  override render() {
    return <WidgetView model={this.props.model} />;
  }
}
