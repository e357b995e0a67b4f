/**
 * @module viewer — the page a browser opens at /app/<app>/<page>: loads the published app
 * from the server, then renders it with the runtime and the widgets.
 */
import { render } from 'preact';
import { Viewer } from './Viewer.tsx';
import './styles.css';

export function mountViewer(root: HTMLElement): void {
  render(<Viewer />, root);
}
