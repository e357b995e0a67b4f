/**
 * @module runtime — Lowkey's viewer runtime without the DOM: the `{{ }}` binding parser, the
 * evaluator, the reactive graph (signals), the store, queries, JS objects and the global
 * functions with Appsmith's names. Layers above (widgets, viewer) import from here only.
 */
export * from './app.ts';
export * from './binding.ts';
export * from './evaluate.ts';
export * from './graph.ts';
export * from './host.ts';
export * from './jsobject.ts';
export * from './query.ts';
export * from './refresh.ts';
export * from './runtime.ts';
export * from './sessionMarker.ts';
export * from './store.ts';
export * from './url.ts';
