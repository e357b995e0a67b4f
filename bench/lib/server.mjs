/**
 * What the browser benchmarks (bench/runtime, bench/editor) share: starting `lowkey serve` on a
 * free port and running its commands, a front server that serves one web build's files in
 * front of that lowkey, Chromium, and nearest-rank statistics.
 *
 * Why a front server instead of one lowkey per build: the release binary embeds one web build at
 * compile time, and building a second binary for the baseline costs minutes of two shared cores.
 * The bytes of the page and of the API's answers are the same as in production; only the server
 * of the static files differs (Node instead of lowkey's rust-embed handler).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';

const MIME = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * The command line both benchmarks take: `--lowkey BIN --work DIR --base DIST --current DIST
 * [--json FILE] [--markdown FILE]` (the two builds to compare, and where the results go).
 */
export function benchArgs() {
  const { values } = parseArgs({
    options: {
      lowkey: { type: 'string' },
      work: { type: 'string' },
      base: { type: 'string' },
      current: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
    },
  });
  for (const k of ['lowkey', 'work', 'base', 'current']) if (!values[k]) throw new Error(`--${k} is required`);
  return values;
}

/** Starts `lowkey serve` on a free loopback port; resolves to { origin, child } once it listens. */
export async function startLowkey(bin, dataDir) {
  const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOWKEY_LOG: 'info' },
  });
  let out = '';
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lowkey printed no address:\n${out}`)), 30_000);
    const onData = (d) => {
      out += d.toString();
      const m = /listening addr=(127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`lowkey exited with ${code}:\n${out}`)));
  });
  return { origin, child };
}

/** Runs one lowkey command (`app import …`, `admin add …`) to its end; throws with its output on failure. */
export function runLowkey(bin, args, input) {
  const r = spawnSync(bin, args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`lowkey ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/**
 * The headers lowkey sends with the HTML page at `path` (its Content-Security-Policy above all),
 * to repeat on the front server's copy, so the page runs under the same rules.
 */
export async function pageHeaders(upstream, path) {
  const res = await fetch(`${upstream}${path}`);
  await res.arrayBuffer();
  const keep = {};
  for (const [k, v] of res.headers) {
    if (k === 'content-security-policy' || k.startsWith('x-') || k === 'referrer-policy' || k.startsWith('cross-origin')) keep[k] = v;
  }
  return keep;
}

/**
 * Starts a front server for one build on a free loopback port; resolves to { origin, close() }.
 * `shell(path)` names the build's HTML file for a GET of `path` (or null); files under
 * `/assets/` come from the build; `/bench-blank` is an empty page of this origin (where a CPU
 * profile starts before the app is opened); everything else goes to lowkey as if it had been
 * sent to lowkey itself (Host and Origin rewritten, so its same-origin checks hold).
 */
export async function startFront({ distDir, upstream, headers, shell }) {
  const up = new URL(upstream);
  const assets = normalize(join(distDir, 'assets'));
  const pages = new Map(); // HTML file → its bytes, read once
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const html = req.method === 'GET' ? shell(path) : null;
    if (html !== null) {
      res.writeHead(200, { ...headers, 'content-type': MIME['.html'], 'cache-control': 'no-cache' });
      if (!pages.has(html)) pages.set(html, await readFile(join(distDir, html)));
      res.end(pages.get(html));
      return;
    }
    if (req.method === 'GET' && path === '/bench-blank') {
      res.writeHead(200, { 'content-type': MIME['.html'] });
      res.end('<!doctype html><title>blank</title>');
      return;
    }
    if (req.method === 'GET' && path.startsWith('/assets/')) {
      const file = normalize(join(distDir, path));
      if (!file.startsWith(assets)) {
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
    const fwdHeaders = { ...req.headers, host: up.host };
    if (fwdHeaders.origin) fwdHeaders.origin = up.origin;
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: fwdHeaders }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
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

/** Debian's Chromium (or CHROMIUM_BIN) through web/'s playwright-core, headless and quiet. */
export function launchChromium() {
  const require = createRequire(new URL('../../web/package.json', import.meta.url));
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The nearest-rank quantile `q` (0…1) of `xs`. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export const summary = (xs) => ({ n: xs.length, median: quantile(xs, 0.5), p95: quantile(xs, 0.95), min: Math.min(...xs), max: Math.max(...xs) });
