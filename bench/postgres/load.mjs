/**
 * The load generator of bench/postgres.sh: password sign-in, refresh-token rotation and
 * GET /auth/v1/user against several configurations of `lowkey serve` in one run (SQLite, one
 * instance on PostgreSQL, two instances on one PostgreSQL database), round by round with the
 * configurations interleaved (their order rotates every round, so each sees the same
 * neighbours on a shared machine), one unmeasured warm-up round per configuration and
 * scenario first.
 *
 * A configuration has one or more addresses. There is no load balancer: each virtual client
 * holds a keep-alive connection to every address of its configuration and sends its requests
 * to them in turn (client c's k-th request goes to address (c + k) mod n), so the load is
 * spread evenly and a refresh chain hops from instance to instance, as behind a round-robin
 * balancer without stickiness.
 *
 * Usage: node bench/postgres/load.mjs --spec FILE --rounds R --secs S --signin-secs S
 *   [--warmup-secs S] [--clients N] [--signin-clients N]
 * The password is read from the environment variable BENCH_PASSWORD. FILE is JSON:
 * {"emails": ["…", …], "database": "name of the PostgreSQL database or null",
 *  "configs": [{"name", "addrs": ["127.0.0.1:PORT", …], "pids": [server pids],
 *               "postgres": true|false, "forwarded": true|false,
 *               "scenarios": ["signin", "refresh", "user"]}],
 *  "pairs": [["A", "B"], …]}
 * `forwarded`: every virtual client sends its own `X-Forwarded-For` address (the servers trust
 * it), so each has its own per-address /token bucket instead of all sharing 127.0.0.1's.
 *
 * Virtual client i signs in as emails[i mod count] (each sign-in client its own account: the
 * per-account throttle counts every attempt in one locked row, which concurrent sign-ins of one
 * account would queue on).
 *
 * Output is `key value` lines on stdout (as the other load generators print them); progress
 * and the first errors on stderr. Bounded by time: it stops by itself.
 */
import { connect } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    spec: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    secs: { type: 'string', default: '4' },
    'signin-secs': { type: 'string', default: '6' },
    'warmup-secs': { type: 'string', default: '1' },
    clients: { type: 'string', default: '16' },
    'signin-clients': { type: 'string', default: '8' },
  },
});
if (!opts.spec) throw new Error('--spec is required');
const spec = JSON.parse(readFileSync(opts.spec, 'utf8'));
const PASSWORD = process.env.BENCH_PASSWORD;
if (!PASSWORD) throw new Error('BENCH_PASSWORD is not set');
const ROUNDS = Number(opts.rounds);
const CLIENTS = Number(opts.clients);
const SIGNIN_CLIENTS = Number(opts['signin-clients']);
const SECS = { signin: Number(opts['signin-secs']), refresh: Number(opts.secs), user: Number(opts.secs) };
const WARMUP_SECS = Number(opts['warmup-secs']);
const CLK_TCK = 100; // USER_HZ on Linux
const log = (...a) => console.error('[bench:postgres]', ...a);

// ---- CPU time from /proc ---------------------------------------------------------------

/** user + system CPU time of a process in ms, or null when it is gone. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU ms of PostgreSQL's processes that work for this run, by pid: the backends connected to
 * the benchmark's database, and the cluster's own processes (postmaster, WAL writer,
 * checkpointer, …), which every commit of every database also wakes. Other databases'
 * backends (other work on a shared machine) are left out.
 */
function postgresCpu() {
  const out = new Map();
  if (!spec.database) return out;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    // A backend's title: "postgres: 15/main: USER DB HOST(PORT) STATE".
    const backend = /\(\d+\)/.test(cmd);
    if (backend && !cmd.includes(` ${spec.database} `)) continue;
    const ms = cpuMs(name);
    if (ms != null) out.set(name, ms);
  }
  return out;
}

/** CPU ms spent between two `postgresCpu()` snapshots (processes that started count from 0). */
function postgresSpent(before, after) {
  let ms = 0;
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0);
  return ms;
}

function ownCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---- HTTP/1.1 over a kept-alive socket ------------------------------------------------

const CRLF2 = Buffer.from('\r\n\r\n');

/** One complete answer at the start of `buf`, or null while incomplete (Content-Length only). */
function parse(buf) {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return null;
  const head = buf.toString('latin1', 0, end);
  const start = end + 4;
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const n = cl ? Number(cl[1]) : 0;
  if (buf.length < start + n) return null;
  return { used: start + n, status: Number(head.slice(9, 12)), body: buf.subarray(start, start + n) };
}

/** One keep-alive connection, one request at a time; reconnects when the server closed it. */
class Conn {
  constructor(addr) {
    const [host, port] = addr.split(':');
    this.host = host;
    this.port = Number(port);
    this.addr = addr;
    this.sock = null;
    this.buf = Buffer.alloc(0);
    this.pending = null;
  }

  open() {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: this.host, port: this.port, noDelay: true });
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(sock);
      });
      sock.once('error', reject);
      sock.on('data', (d) => {
        this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
        const a = parse(this.buf);
        if (!a || !this.pending) return;
        this.buf = this.buf.subarray(a.used);
        const p = this.pending;
        this.pending = null;
        p.resolve(a);
      });
      const gone = (e) => {
        if (this.sock === sock) this.sock = null;
        this.buf = Buffer.alloc(0);
        const p = this.pending;
        this.pending = null;
        p?.reject(e instanceof Error ? e : new Error(`connection to ${this.addr} closed`));
      };
      sock.on('error', gone);
      sock.on('close', gone);
    });
  }

  async request(bytes, retry = true) {
    const fresh = !this.sock;
    if (fresh) this.sock = await this.open();
    try {
      return await new Promise((resolve, reject) => {
        this.pending = { resolve, reject };
        this.sock.write(bytes);
      });
    } catch (e) {
      // A reused connection the server had closed meanwhile: once more on a new one.
      if (retry && !fresh) return this.request(bytes, false);
      throw e;
    }
  }

  close() {
    this.sock?.destroy();
    this.sock = null;
  }
}

function httpRequest(conn, method, path, headers, body) {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${conn.addr}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (body == null) return Buffer.from(`${head}\r\n`);
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from(`${head}content-type: application/json\r\ncontent-length: ${b.length}\r\n\r\n`), b]);
}

// ---- virtual clients ------------------------------------------------------------------

const TOKEN = '/auth/v1/token?grant_type=';

/** A virtual client of one configuration: its connections, its session, its address. */
class Client {
  constructor(cfg, index) {
    this.conns = cfg.addrs.map((a) => new Conn(a));
    this.index = index;
    this.k = 0;
    this.headers = cfg.forwarded ? { 'x-forwarded-for': `10.${(index >> 8) & 255}.${index & 255}.1` } : {};
    this.email = spec.emails[index % spec.emails.length];
    this.session = null;
  }

  /** The next connection in turn. */
  next() {
    return this.conns[(this.index + this.k++) % this.conns.length];
  }

  /** Sends one request of `mode`; resolves to null when it succeeded, else to the error text. */
  async step(mode) {
    const conn = this.next();
    let bytes;
    if (mode === 'signin') {
      bytes = httpRequest(conn, 'POST', `${TOKEN}password`, this.headers, JSON.stringify({ email: this.email, password: PASSWORD }));
    } else if (mode === 'refresh') {
      bytes = httpRequest(conn, 'POST', `${TOKEN}refresh_token`, this.headers, JSON.stringify({ refresh_token: this.session.refresh }));
    } else {
      bytes = httpRequest(conn, 'GET', '/auth/v1/user', { ...this.headers, authorization: `Bearer ${this.session.access}` }, null);
    }
    const a = await conn.request(bytes);
    if (a.status !== 200) return `${conn.addr} ${mode}: ${a.status} ${a.body.toString('utf8', 0, 200)}`;
    if (mode !== 'user') {
      const j = JSON.parse(a.body.toString('utf8'));
      if (!j.access_token || !j.refresh_token) return `${conn.addr} ${mode}: answer without tokens`;
      if (mode === 'refresh' || !this.session) this.session = { access: j.access_token, refresh: j.refresh_token };
    }
    return null;
  }

  close() {
    for (const c of this.conns) c.close();
  }
}

/** One round of `mode` on `cfg` with its clients for `secs`: latencies, rate, CPU. */
async function round(cfg, mode, clients, secs) {
  const lat = [];
  let errors = 0;
  const server0 = cfg.pids.map(cpuMs);
  const pg0 = cfg.postgres ? postgresCpu() : null;
  const own0 = ownCpuMs();
  const t0 = performance.now();
  const deadline = t0 + secs * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const start = performance.now();
        let err;
        try {
          err = await c.step(mode);
        } catch (e) {
          err = `${mode}: ${e.message}`;
        }
        if (err == null) {
          lat.push(performance.now() - start);
          continue;
        }
        errors++;
        if (errors <= 3) log(`${cfg.name} ${err}`);
        // A broken refresh chain cannot go on: this client stops for the round.
        if (mode === 'refresh') return;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const server = cfg.pids.reduce((s, pid, i) => s + ((cpuMs(pid) ?? server0[i]) - server0[i]), 0);
  const pg = cfg.postgres ? postgresSpent(pg0, postgresCpu()) : 0;
  return { lat, errors, wall, server, pg, own: ownCpuMs() - own0 };
}

// ---- the run --------------------------------------------------------------------------

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);
const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '?');

const configs = spec.configs;
const SCENARIOS = ['signin', 'refresh', 'user'];
const signinClients = new Map();
const sessionClients = new Map();
for (const cfg of configs) {
  signinClients.set(cfg.name, Array.from({ length: SIGNIN_CLIENTS }, (_, i) => new Client(cfg, i)));
  // Each refresh / GET /user client signs in once and then follows its own rotation chain.
  const cs = Array.from({ length: CLIENTS }, (_, i) => new Client(cfg, i));
  for (const c of cs) {
    const err = await c.step('signin');
    if (err) throw new Error(`${cfg.name}: first sign-in failed: ${err}`);
  }
  sessionClients.set(cfg.name, cs);
}

const results = new Map();
for (const mode of SCENARIOS) {
  const on = configs.filter((c) => c.scenarios.includes(mode));
  const clientsOf = (cfg) => (mode === 'signin' ? signinClients : sessionClients).get(cfg.name);
  for (const cfg of on) await round(cfg, mode, clientsOf(cfg), WARMUP_SECS);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < on.length; i++) {
      const cfg = on[(i + r) % on.length];
      const res = await round(cfg, mode, clientsOf(cfg), SECS[mode]);
      const key = `${cfg.name}.${mode}`;
      if (!results.has(key)) results.set(key, []);
      results.get(key).push(res);
      log(`${key} round ${r + 1}: ${Math.round(res.lat.length / res.wall)}/s, errors ${res.errors}`);
    }
  }
}
for (const cs of [...signinClients.values(), ...sessionClients.values()]) for (const c of cs) c.close();

const out = [];
const put = (k, v) => out.push(`${k} ${v}`);
const rates = new Map();
for (const [key, rs] of results) {
  const perSec = rs.map((r) => r.lat.length / r.wall);
  rates.set(key, perSec);
  const all = Float64Array.from(rs.flatMap((r) => r.lat)).sort();
  const n = all.length;
  const wall = rs.reduce((s, r) => s + r.wall, 0);
  const sum = (k) => rs.reduce((s, r) => s + r[k], 0);
  put(`${key}.rounds`, perSec.map((x) => x.toFixed(0)).join(','));
  put(`${key}.per_sec_median`, f(median(perSec), 1));
  put(`${key}.per_sec_min`, f(Math.min(...perSec), 1));
  put(`${key}.per_sec_max`, f(Math.max(...perSec), 1));
  put(`${key}.requests`, n);
  put(`${key}.errors`, sum('errors'));
  put(`${key}.p50_ms`, f(quantile(all, 0.5), 2));
  put(`${key}.p99_ms`, f(quantile(all, 0.99), 2));
  for (const part of ['server', 'pg', 'own']) {
    put(`${key}.${part}_cpu_ms_per_req`, n ? f(sum(part) / n) : '?');
    put(`${key}.${part}_cores_busy`, f(sum(part) / 1000 / wall, 2));
  }
}
// Throughput ratios A / B round by round (both in the same round saw the same neighbours).
for (const [a, b] of spec.pairs ?? []) {
  for (const mode of SCENARIOS) {
    const ra = rates.get(`${a}.${mode}`);
    const rb = rates.get(`${b}.${mode}`);
    if (!ra || !rb) continue;
    put(`${a}/${b}.${mode}.ratio_paired_median`, f(median(ra.map((x, i) => x / rb[i])), 2));
  }
}
console.log(out.join('\n'));
