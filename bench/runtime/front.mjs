/**
 * The viewer's front server: one viewer build's `index.html` for `/app/...` and its files for
 * `/assets/...`, every other request (the platform API: the app definition) passed to the real
 * `lowkey serve`, and the same Content-Security-Policy and security headers lowkey sends with its
 * own shell. The server itself is bench/lib/server.mjs's, shared with the editor benchmark.
 */
import { pageHeaders, startFront as startBuildFront } from '../lib/server.mjs';

/** Headers lowkey answers its viewer shell with, to repeat on ours. */
export const shellHeaders = (upstream) => pageHeaders(upstream, '/app/none');

/** Starts the front server for the viewer build in `distDir`; resolves to { origin, close() }. */
export const startFront = (distDir, upstream, headers) =>
  startBuildFront({ distDir, upstream, headers, shell: (path) => (path.startsWith('/app/') ? 'index.html' : null) });
