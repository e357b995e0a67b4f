/**
 * The load generator of bench/protected.sh: drives HTTP targets that need their own headers
 * and bodies (a Bearer token, a session cookie, a run's params), which `querybench load` cannot
 * send, with N keep-alive clients for a fixed time per round, round after round, the targets
 * interleaved (their order rotates every round, so each sees the same neighbours on a shared
 * machine), one unmeasured warm-up round per target first.
 *
 * Usage: node bench/protected/load.mjs --targets FILE --clients N --secs S --rounds R
 *   [--warmup-secs S] [--prefix P] [--pid NAME=PID]...
 * FILE is JSON: {"host": "127.0.0.1", "port": 8080, "targets": [{"name", "method", "path",
 * "headers": {…}, "body": "…" | null, "expect": {"status": 200, "contains": "…",
 * "lacks": "…"}}], "pairs": [["A", "B"], …]}. An answer with another HTTP status, without `contains` in its body, or with
 * `lacks` in its head or body counts as an error (and is not timed).
 *
 * Each client is one keep-alive connection writing one pre-built request and reading the
 * answer by its Content-Length (or chunks), with as little work as possible: on a 2-core
 * machine this process's CPU is taken from the server. Output is `key value` lines (as
 * `querybench load` prints them) on stdout; progress on stderr. Bounded by time: it stops by
 * itself.
 */
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    targets: { type: 'string' },
    clients: { type: 'string', default: '16' },
    secs: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    'warmup-secs': { type: 'string', default: '1' },
    prefix: { type: 'string', default: '' },
    pid: { type: 'string', multiple: true, default: [] },
  },
});
if (!opts.targets) throw new Error('--targets is required');
const spec = JSON.parse(readFileSync(opts.targets, 'utf8'));
const CLIENTS = Number(opts.clients);
const SECS = Number(opts.secs);
const ROUNDS = Number(opts.rounds);
const WARMUP_SECS = Number(opts['warmup-secs']);
const PREFIX = opts.prefix;
const PIDS = opts.pid.map((p) => {
  const [name, pid] = p.split('=');
  return { name, pid: Number(pid) };
});
const CLK_TCK = 100; // USER_HZ on Linux
const log = (...a) => console.error('[bench:protected]', ...a);

/** user + system CPU time of a process, in µs (from /proc/PID/stat, in clock ticks). */
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}
function ownCpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function request(t) {
  const body = t.body == null ? null : Buffer.from(t.body);
  let head = `${t.method} ${t.path} HTTP/1.1\r\nhost: ${spec.host}:${spec.port}\r\n`;
  for (const [k, v] of Object.entries(t.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (body) head += `content-length: ${body.length}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head);
}

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Parses one complete answer at the start of `buf`: `null` while incomplete, else
 * `{ used, status, head, body }`.
 */
function parse(buf) {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return null;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const start = end + 4;
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (cl) {
    const n = Number(cl[1]);
    if (buf.length < start + n) return null;
    return { used: start + n, status, head, body: buf.subarray(start, start + n) };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const parts = [];
    let at = start;
    for (;;) {
      const line = buf.indexOf('\r\n', at);
      if (line < 0) return null;
      const size = parseInt(buf.toString('latin1', at, line), 16);
      if (buf.length < line + 2 + size + 2) return null;
      if (size === 0) return { used: line + 4, status, head, body: Buffer.concat(parts) };
      parts.push(buf.subarray(line + 2, line + 2 + size));
      at = line + 2 + size + 2;
    }
  }
  return { used: start, status, head, body: Buffer.alloc(0) };
}

/** One client: a keep-alive connection sending `req` until `deadline` (ms, performance.now). */
function client(t, req, deadline, lat, counts) {
  return new Promise((resolve) => {
    const sock = connect({ host: spec.host, port: spec.port, noDelay: true });
    let buf = Buffer.alloc(0);
    let sent = 0;
    const send = () => {
      sent = performance.now();
      sock.write(req);
    };
    const finish = () => {
      sock.destroy();
      resolve();
    };
    sock.on('connect', send);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const a = parse(buf);
        if (!a) return;
        buf = buf.subarray(a.used);
        const now = performance.now();
        const ok =
          a.status === t.expect.status &&
          (!t.expect.contains || a.body.includes(t.expect.contains)) &&
          (!t.expect.lacks || !(a.head.includes(t.expect.lacks) || a.body.includes(t.expect.lacks)));
        if (ok) {
          lat.push(now - sent);
          counts.bytes += a.body.length;
        } else {
          counts.errors++;
          if (counts.errors <= 3) log(`${t.name}: unexpected answer ${a.status}: ${a.body.toString('utf8', 0, 300)}`);
        }
        if (now >= deadline) return finish();
        send();
      }
    });
    sock.on('error', (e) => {
      counts.errors++;
      if (counts.errors <= 3) log(`${t.name}: ${e.message}`);
      finish();
    });
    sock.on('close', finish);
  });
}

/** One round of `t` with CLIENTS clients for `secs`: latencies, rate and CPU per request. */
async function round(t, secs) {
  const lat = [];
  const counts = { errors: 0, bytes: 0 };
  const cpu0 = PIDS.map((p) => cpuUs(p.pid));
  const own0 = ownCpuUs();
  const t0 = performance.now();
  const deadline = t0 + secs * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, () => client(t, t.req, deadline, lat, counts)));
  const wall = (performance.now() - t0) / 1000;
  const cpu = PIDS.map((p, i) => cpuUs(p.pid) - cpu0[i]);
  return { lat, errors: counts.errors, bytes: counts.bytes, wall, cpu, own: ownCpuUs() - own0 };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);
const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '?');

const targets = spec.targets.map((t) => ({ ...t, req: request(t) }));
const results = new Map(targets.map((t) => [t.name, []]));

for (const t of targets) await round(t, WARMUP_SECS);
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[(i + r) % targets.length];
    const res = await round(t, SECS);
    results.get(t.name).push(res);
    log(`${PREFIX}${t.name} round ${r + 1}: ${Math.round(res.lat.length / res.wall)}/s, errors ${res.errors}`);
  }
}

const out = [];
const put = (k, v) => out.push(`${PREFIX}${k} ${v}`);
const rates = new Map();
for (const t of targets) {
  const rs = results.get(t.name);
  const perSec = rs.map((r) => r.lat.length / r.wall);
  rates.set(t.name, perSec);
  const all = new Float64Array(rs.reduce((n, r) => n + r.lat.length, 0));
  let at = 0;
  for (const r of rs) for (const x of r.lat) all[at++] = x;
  all.sort();
  const requests = all.length;
  const n = t.name;
  perSec.forEach((x, i) => put(`${n}.round${i + 1}.per_sec`, Math.round(x)));
  put(`${n}.per_sec_median`, Math.round(median(perSec)));
  put(`${n}.per_sec_min`, Math.round(Math.min(...perSec)));
  put(`${n}.per_sec_max`, Math.round(Math.max(...perSec)));
  put(`${n}.requests`, requests);
  put(`${n}.errors`, rs.reduce((s, r) => s + r.errors, 0));
  put(`${n}.p50_ms`, f(quantile(all, 0.5)));
  put(`${n}.p90_ms`, f(quantile(all, 0.9)));
  put(`${n}.p99_ms`, f(quantile(all, 0.99)));
  put(`${n}.round_p50_median_ms`, f(median(rs.map((r) => quantile(Float64Array.from(r.lat).sort(), 0.5)))));
  put(`${n}.bytes_per_answer`, requests ? Math.round(rs.reduce((s, r) => s + r.bytes, 0) / requests) : '?');
  const wall = rs.reduce((s, r) => s + r.wall, 0);
  PIDS.forEach((p, i) => {
    const cpu = rs.reduce((s, r) => s + r.cpu[i], 0);
    put(`${n}.cpu_us_per_req.${p.name}`, requests ? f(cpu / requests, 1) : '?');
    put(`${n}.cores_busy.${p.name}`, f(cpu / 1e6 / wall, 2));
  });
  const own = rs.reduce((s, r) => s + r.own, 0);
  put(`${n}.cpu_us_per_req.loadgen`, requests ? f(own / requests, 1) : '?');
  put(`${n}.cores_busy.loadgen`, f(own / 1e6 / wall, 2));
}
// Paired throughput ratios A / B, round by round (both saw the same neighbours), for each
// pair [A, B] of the spec's `pairs`.
for (const [a, b] of spec.pairs ?? []) {
  const ra = rates.get(a);
  const rb = rates.get(b);
  put(`${a}/${b}.ratio_paired_median`, f(median(ra.map((x, i) => x / rb[i])), 2));
}
console.log(out.join('\n'));
