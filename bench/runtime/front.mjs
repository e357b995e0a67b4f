/**
 * A front server for one viewer build: serves that build's `index.html` for `/app/...` and its
 * files for `/assets/...`, and passes every other request (the platform API: the app
 * definition) to the real `lowkey serve`. The HTML gets the same Content-Security-Policy and
 * security headers lowkey sends with its own shell, so the page runs under the same rules.
 *
 * Why not serve each build from its own lowkey binary: the release binary embeds one viewer at
 * compile time, and building a second one for the baseline costs minutes of two shared cores.
 * The bytes of the viewer and of the app definition are the same as in production; only the
 * server of the static files differs (Node instead of lowkey's rust-embed handler).
 */
import { createServer, request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const MIME = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Headers lowkey answers its viewer shell with, to repeat on ours. */
export async function shellHeaders(upstream) {
  const res = await fetch(`${upstream}/app/none`);
  await res.arrayBuffer();
  const keep = {};
  for (const [k, v] of res.headers) {
    if (k === 'content-security-policy' || k.startsWith('x-') || k === 'referrer-policy' || k.startsWith('cross-origin')) keep[k] = v;
  }
  return keep;
}

/** Starts the front server on a free loopback port; resolves to { origin, close() }. */
export async function startFront(distDir, upstream, headers) {
  const up = new URL(upstream);
  const index = await readFile(join(distDir, 'index.html'));
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (req.method === 'GET' && path === '/bench-blank') {
      // An empty page of this origin, where a CPU profile starts before the app is opened.
      res.writeHead(200, { 'content-type': MIME['.html'] });
      res.end('<!doctype html><title>blank</title>');
      return;
    }
    if (req.method === 'GET' && path.startsWith('/app/')) {
      res.writeHead(200, { ...headers, 'content-type': MIME['.html'], 'cache-control': 'no-cache' });
      res.end(index);
      return;
    }
    if (req.method === 'GET' && path.startsWith('/assets/')) {
      const file = normalize(join(distDir, path));
      if (!file.startsWith(normalize(join(distDir, 'assets')))) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, {
          'content-type': MIME[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'public, max-age=31536000, immutable',
        });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    const fwd = request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
