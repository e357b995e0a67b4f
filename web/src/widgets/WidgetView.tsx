/**
 * Lays widgets out on a 64-column grid (rows of 10 px) and renders each with its view. The
 * positioned cell is the widget's root element and carries `data-widget="<name>"`.
 *
 * Failures stay inside the widget: a property whose binding failed is listed in an inline note,
 * and a view that throws while rendering is replaced by a note, never a blank page.
 */

import type { ComponentChildren } from 'preact';
import { useErrorBoundary } from 'preact/hooks';
import type { WidgetModel } from '../runtime/index.ts';
import { ButtonView } from './Button.tsx';
import { ContainerView, FormView } from './Container.tsx';
import { InputView } from './Input.tsx';
import {
  BaseWidget,
  ButtonModel,
  ContainerModel,
  FormModel,
  InputModel,
  TableModel,
  TextModel,
  type PropError,
} from './models.ts';
import { TableView } from './Table.tsx';
import { TextView } from './Text.tsx';

export const GRID_COLUMNS = 64;
export const ROW_HEIGHT_PX = 10;

/** The rows a set of widgets occupies: the bottom edge of the lowest one. */
export function gridRows(widgets: readonly WidgetModel[]): number {
  let rows = 0;
  for (const w of widgets) rows = Math.max(rows, w.def.position.row + w.def.position.height);
  return rows;
}

export function Grid(props: { widgets: readonly WidgetModel[]; class?: string }) {
  return (
    <div class={`lk-grid ${props.class ?? ''}`} style={{ minHeight: `${gridRows(props.widgets) * ROW_HEIGHT_PX}px` }}>
      {props.widgets.map((w) => (
        <WidgetView key={w.name} model={w} />
      ))}
    </div>
  );
}

function cellStyle(w: WidgetModel): Record<string, string> {
  const { col, row, width, height } = w.def.position;
  return {
    left: `${(col / GRID_COLUMNS) * 100}%`,
    width: `${(Math.min(width, GRID_COLUMNS - col) / GRID_COLUMNS) * 100}%`,
    top: `${row * ROW_HEIGHT_PX}px`,
    height: `${height * ROW_HEIGHT_PX}px`,
  };
}

export function WidgetView({ model }: { model: WidgetModel }) {
  const [renderError] = useErrorBoundary();
  const visible = !(model instanceof BaseWidget) || model.isVisible;
  if (!visible) return null;
  const errors = model instanceof BaseWidget ? model.errors() : [];
  return (
    <div class={`lk-cell lk-${model.type.toLowerCase()}-cell`} style={cellStyle(model)} data-widget={model.name} data-type={model.type}>
      {renderError ? (
        <ErrorNote errors={[{ prop: 'render', message: String((renderError as Error).message ?? renderError) }]} />
      ) : (
        <>
          {body(model)}
          {errors.length > 0 && <ErrorNote errors={errors} />}
        </>
      )}
    </div>
  );
}

function body(model: WidgetModel): ComponentChildren {
  if (model instanceof InputModel) return <InputView model={model} />;
  if (model instanceof ButtonModel) return <ButtonView model={model} />;
  if (model instanceof TextModel) return <TextView model={model} />;
  if (model instanceof TableModel) return <TableView model={model} />;
  if (model instanceof FormModel) return <FormView model={model} />;
  if (model instanceof ContainerModel) return <ContainerView model={model} />;
  return null;
}

/** The inline error of a widget: which property failed and why, as text. */
export function ErrorNote({ errors }: { errors: readonly PropError[] }) {
  return (
    <div class="lk-widget-error" data-widget-error="">
      {errors.map((e) => (
        <div key={e.prop}>
          <strong>{e.prop}</strong>: {e.message}
        </div>
      ))}
    </div>
  );
}
