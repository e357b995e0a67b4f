/**
 * @module widgets — the widget models (state and derived properties in the reactive graph)
 * and their Preact views. Depends on the runtime only; the viewer composes them.
 */
import '@preact/signals'; // lets Preact components re-render when a signal they read changes
export * from './models.ts';
export { ErrorNote, Grid, GRID_COLUMNS, ROW_HEIGHT_PX, WidgetView } from './WidgetView.tsx';
