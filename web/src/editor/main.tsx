/**
 * @module editor — the builder's editor at /edit (edit.html, a bundle of its own: the viewer's
 * pages never load it). It imports the runtime, the widgets and the viewer (the canvas and the
 * preview show the viewer's own components); nothing imports it (test/layers.test.ts).
 */
import { render } from 'preact';
import '@preact/signals'; // components re-render when a signal they read changes
import '../viewer/styles.css';
import './ui/editor.css';
import { App } from './ui/App.tsx';

const root = document.getElementById('root');
if (root) render(<App />, root);
