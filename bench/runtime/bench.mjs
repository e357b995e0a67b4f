/**
 * The runtime benchmark (docs/benchmarks.md, "Viewer runtime"): opens generated apps in
 * Chromium and measures, inside the page, from navigation to the target widget's text and from
 * a keystroke to the target's update, for two viewer builds in the same run (`base`, the
 * baseline, and `current`), their rounds interleaved so a noisy neighbour hurts both alike.
 *
 * Usage (bench/runtime/run.sh does all of it): node bench/runtime/bench.mjs
 *   --lowkey BIN --work DIR --base DIST --current DIST [--json FILE] [--markdown FILE]
 * Environment: BENCH_ROUNDS (measured page loads per scenario and build, default 5),
 * BENCH_WARMUP (unmeasured loads first, default 1), BENCH_KEYS (keystrokes per load, default
 * 20), BENCH_SCENARIOS (comma-separated ids, default all), BENCH_PROFILE (a scenario id: also
 * record a CPU profile of one load of it per build, written to the work folder, and print the
 * functions with the most time; the profiler slows code creation down, so it overstates
 * compile costs), BENCH_PROFILE_PHASE (`all`, `load` or `keys`: what the profile covers),
 * BENCH_SLOW_MS (default 20000: a build whose page took longer
 * than this to render is loaded once only for that page, warm-up or not; the O(N²) baseline
 * needs minutes per load of 5,000 bindings).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchArgs, launchChromium, quantile, runLowkey, startLowkey, summary } from '../lib/server.mjs';
import { chainScenario, fanInScenario, keyFor, textScenario, writeApp } from './apps.mjs';
import { shellHeaders, startFront } from './front.mjs';

const opts = benchArgs();

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const KEYS = Number(process.env.BENCH_KEYS ?? 20);
const PROFILE = process.env.BENCH_PROFILE ?? '';
const PROFILE_PHASE = process.env.BENCH_PROFILE_PHASE ?? 'all'; // all | load | keys
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 20_000);
const LOAD_TIMEOUT_MS = 600_000;

const log = (...a) => console.error('[bench:runtime]', ...a);

const ALL = [textScenario(100), textScenario(1000), textScenario(5000), chainScenario(200), fanInScenario(1000)];
const wanted = (process.env.BENCH_SCENARIOS ?? '').split(',').filter(Boolean);
const scenarios = wanted.length ? ALL.filter((s) => wanted.includes(s.id)) : ALL;
if (scenarios.length === 0) throw new Error(`no scenario among ${ALL.map((s) => s.id).join(', ')}`);

// ---- the page side ------------------------------------------------------------------------

/**
 * Runs in the page before its scripts. Watches the DOM for the target widget's text and keeps
 * the timestamps (ms since navigation start, `performance.now()`'s origin):
 * - `firstRender`: when the target first shows the expected text;
 * - `keystrokes`: for each keystroke, from the keydown event's timestamp (when the browser
 *   created the event) to the mutation that put the expected text into the target.
 * Each end point forces style and layout (`offsetHeight`) before reading the clock, so the
 * browser's layout of the change counts; painting does not.
 */
function harness({ target, expected }) {
  const b = { expect: expected, firstRender: null, pending: null, keystrokes: [], observer: null, checks: 0, layoutMs: 0 };
  window.__bench = b;
  const selector = `[data-widget="${target}"] .lk-text`;
  let el = null;
  const layout = () => {
    const t = performance.now();
    void document.body.offsetHeight;
    const now = performance.now();
    b.layoutMs += now - t;
    return now;
  };
  const check = () => {
    b.checks++;
    if (el === null || !el.isConnected) el = document.querySelector(selector);
    if (el === null || el.textContent !== b.expect) return;
    if (b.firstRender === null) {
      b.firstRender = layout();
      // From now on watch only the target, so the observer costs nothing elsewhere.
      b.observer.disconnect();
      b.observer.observe(el, { subtree: true, childList: true, characterData: true });
      return;
    }
    if (b.pending !== null) {
      b.keystrokes.push(layout() - b.pending);
      b.pending = null;
    }
  };
  b.observer = new MutationObserver(check);
  b.observer.observe(document, { subtree: true, childList: true, characterData: true });
  addEventListener('keydown', (e) => (b.pending = e.timeStamp), true);
}

const nextFrames = (page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));

/** One page load: first render, then KEYS keystrokes. Returns { firstRender, keystrokes }. */
async function measureLoad(browser, origin, slug, scenario, profilePath) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(LOAD_TIMEOUT_MS);
    await page.addInitScript(harness, { target: scenario.target, expected: scenario.expected(0) });
    let cdp = null;
    if (profilePath) {
      // Same-origin first, so the profiled navigation stays in this renderer process.
      await page.goto(`${origin}/bench-blank`);
      cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      if (PROFILE_PHASE !== 'keys') await cdp.send('Profiler.start');
    }
    await page.goto(`${origin}/app/${slug}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench?.firstRender !== null, null, { polling: 50, timeout: LOAD_TIMEOUT_MS });
    const firstRender = await page.evaluate(() => window.__bench.firstRender);
    // When the app definition had arrived: the rest of the first render is the viewer's work.
    const appArrived = await page.evaluate(() => {
      const e = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/v1/apps/'));
      return e ? e.responseEnd : null;
    });
    if (cdp && PROFILE_PHASE === 'load') await stopProfile(cdp, profilePath);
    if (cdp && PROFILE_PHASE === 'keys') await cdp.send('Profiler.start');
    const input = page.locator(`[data-widget="${scenario.input}"] input`);
    await input.focus();
    await input.press('End');
    await nextFrames(page);
    for (let k = 1; k <= KEYS; k++) {
      await page.evaluate((e) => (window.__bench.expect = e), scenario.expected(k));
      await page.keyboard.press(keyFor(k - 1));
      await page.waitForFunction(() => window.__bench.pending === null, null, { polling: 'raf' });
      await nextFrames(page);
    }
    const keystrokes = await page.evaluate(() => window.__bench.keystrokes);
    if (keystrokes.length !== KEYS) throw new Error(`${scenario.id}: ${keystrokes.length} of ${KEYS} keystrokes measured`);
    if (cdp && PROFILE_PHASE !== 'load') await stopProfile(cdp, profilePath);
    const { checks, layoutMs } = await page.evaluate(() => window.__bench);
    return { firstRender, appArrived, keystrokes, checks, layoutMs };
  } finally {
    await context.close();
  }
}

async function stopProfile(cdp, path) {
  const { profile } = await cdp.send('Profiler.stop');
  writeFileSync(path, JSON.stringify(profile));
  printProfile(path, profile);
}

/** The functions with the most time in a CPU profile: self time and total (inclusive) time. */
function printProfile(path, profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.slice(f.url.lastIndexOf('/') + 1) : '';
    return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
  };
  const self = new Map();
  const total = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (dt[i + 1] ?? 0) / 1000;
    let n = byId.get(profile.samples[i]);
    const k = name(n);
    self.set(k, (self.get(k) ?? 0) + ms);
    const seen = new Set();
    while (n) {
      const key = name(n);
      if (!seen.has(key)) {
        seen.add(key);
        total.set(key, (total.get(key) ?? 0) + ms);
      }
      n = byId.get(parent.get(n.id));
    }
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 15);
  log(`CPU profile written to ${path}`);
  log('  self time:');
  for (const [k, ms] of top(self)) log(`    ${ms.toFixed(1).padStart(9)} ms  ${k}`);
  log('  total time:');
  for (const [k, ms] of top(total)) log(`    ${ms.toFixed(1).padStart(9)} ms  ${k}`);
}

// ---- the run ------------------------------------------------------------------------------

async function main() {
  const appsDir = join(opts.work, 'apps');
  const dataDir = join(opts.work, 'data');
  mkdirSync(appsDir, { recursive: true });
  const slugs = new Map();
  for (const s of scenarios) {
    const { slug, dir } = writeApp(appsDir, s);
    runLowkey(opts.lowkey, ['app', 'import', dir, '--publish', '--data-dir', dataDir]);
    slugs.set(s.id, slug);
  }
  log(`imported and published ${scenarios.length} apps`);

  const lowkey = await startLowkey(opts.lowkey, dataDir);
  const fronts = [];
  let browser;
  try {
    const headers = await shellHeaders(lowkey.origin);
    const builds = [
      { name: 'base', front: await startFront(opts.base, lowkey.origin, headers) },
      { name: 'current', front: await startFront(opts.current, lowkey.origin, headers) },
    ];
    fronts.push(...builds.map((b) => b.front));
    browser = await launchChromium();
    const results = [];
    for (const s of scenarios) {
      const slug = slugs.get(s.id);
      const data = Object.fromEntries(builds.map((b) => [b.name, { firstRender: [], afterApp: [], keystrokes: [], slow: false }]));
      for (let r = 0; r < WARMUP + ROUNDS; r++) {
        // Alternate which build goes first, so a drift of the machine's load hits both.
        const order = r % 2 === 0 ? builds : [...builds].reverse();
        for (const b of order) {
          const d = data[b.name];
          if (d.slow) continue;
          const m = await measureLoad(browser, b.front.origin, slug, s, null);
          d.slow = m.firstRender > SLOW_MS;
          const measured = r >= WARMUP || d.slow;
          log(
            `${s.id} ${b.name} ${r >= WARMUP ? `round ${r - WARMUP + 1}/${ROUNDS}` : 'warm-up'}${d.slow ? ' (slow: the only load of this build)' : ''}: first render ${m.firstRender.toFixed(1)} ms (app definition in at ${m.appArrived?.toFixed(1)}), keystroke median ${quantile(m.keystrokes, 0.5).toFixed(2)} ms (harness: ${m.checks} checks, ${m.layoutMs.toFixed(1)} ms in forced layouts)`,
          );
          if (measured) {
            d.firstRender.push(m.firstRender);
            d.afterApp.push(m.firstRender - (m.appArrived ?? 0));
            d.keystrokes.push(...m.keystrokes);
          }
        }
      }
      if (PROFILE === s.id) {
        for (const b of builds) await measureLoad(browser, b.front.origin, slug, s, join(opts.work, `${s.id}-${b.name}.cpuprofile`));
      }
      results.push({
        id: s.id,
        label: s.label,
        widgets: s.widgets.length,
        builds: Object.fromEntries(
          builds.map((b) => [b.name, { firstRender: summary(data[b.name].firstRender), afterApp: summary(data[b.name].afterApp), keystroke: summary(data[b.name].keystrokes) }]),
        ),
      });
    }
    const report = { rounds: ROUNDS, warmup: WARMUP, keys: KEYS, slowMs: SLOW_MS, chromium: browser.version(), results };
    if (opts.json) writeFileSync(opts.json, JSON.stringify(report, null, 2));
    const md = markdown(report);
    if (opts.markdown) writeFileSync(opts.markdown, md);
    process.stdout.write(md);
  } finally {
    await browser?.close();
    for (const f of fronts) await f.close();
    lowkey.child.kill('SIGTERM');
  }
}

function markdown(report) {
  const f = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
  const ratio = (a, b) => `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`;
  const lines = [
    '| page | widgets | measure | base median | base p95 | current median | current p95 | base / current (median) | samples base / current |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of report.results) {
    for (const [key, label] of [
      ['firstRender', 'first render (ms)'],
      ['afterApp', '… of which after the app definition arrived'],
      ['keystroke', 'keystroke (ms)'],
    ]) {
      const a = r.builds.base[key];
      const b = r.builds.current[key];
      lines.push(`| ${r.label} | ${r.widgets.toLocaleString('en-US')} | ${label} | ${f(a.median)} | ${f(a.p95)} | ${f(b.median)} | ${f(b.p95)} | ${ratio(a.median, b.median)} | ${a.n} / ${b.n} |`);
    }
  }
  const byId = new Map(report.results.map((r) => [r.id, r]));
  const growth = [];
  for (const name of ['base', 'current']) {
    const a = byId.get('text-1000')?.builds[name];
    const b = byId.get('text-5000')?.builds[name];
    if (a && b) {
      growth.push(
        `${name}: first render ×${(b.firstRender.median / a.firstRender.median).toFixed(1)}, keystroke ×${(b.keystroke.median / a.keystroke.median).toFixed(1)}`,
      );
    }
  }
  if (growth.length) lines.push('', `Growth from 1,000 to 5,000 Texts (5× the widgets; linear is ×5.0): ${growth.join('; ')}.`);
  lines.push(
    '',
    `${report.rounds} measured page loads per page and build (after ${report.warmup} unmeasured; a build that took more than ${report.slowMs / 1000} s to render a page was loaded once only for it), ${report.keys} keystrokes per load, keystroke statistics over all of them. Chromium ${report.chromium}.`,
  );
  return lines.join('\n') + '\n';
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
