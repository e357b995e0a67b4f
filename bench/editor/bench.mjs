/**
 * The editor benchmark (issue 8's budgets): on a page of 300 widgets opened in the editor in
 * Chromium, (1) a property edit typed into the Properties pane, from the keydown to the canvas
 * repainted with the new text (p95 ≤ 16 ms), (2) a drag of a widget on the canvas, its frame
 * rate and frame times (60 frames per second), and (3) the editor interactive: from the
 * navigation start of /edit/<slug>, signed in, to the page's last widget in the canvas's DOM
 * and laid out with the palette's buttons there to take input (≤ 1 s on loopback), (4) typing a
 * binding into the same field (issue 9: "typing in a binding field without lag"): `{{inp_`
 * typed key by key, each key timed from its keydown to the end of the next frame, with the
 * completion list asserted open on the last key, and (5) the code editor loaded lazily: no
 * CodeMirror chunk (`/assets/cm-*.js`) is requested until a code field is opened (checked once
 * per build after its rounds, by opening a new JS object's Code field; it fails the run
 * otherwise). Two editor builds in the same run, their rounds
 * interleaved so a noisy neighbour hurts both alike: `base`, built with
 * VITE_LOWKEY_CANVAS_REBUILD=1 (the canvas makes its runtime and every widget model again at each
 * change), and `current` (only what changed is built again). An idle page's frames are the
 * floor of the drag's.
 *
 * Usage (bench/editor/run.sh does all of it): node bench/editor/bench.mjs
 *   --lowkey BIN --work DIR --base DIST --current DIST [--json FILE] [--markdown FILE]
 * Environment: BENCH_ROUNDS (rounds per build, default 3), BENCH_LOADS (editor loads timed per
 * round, default 5), BENCH_KEYS (keystrokes per round, default 40), BENCH_BINDINGS (bindings
 * typed per round, six keys each, default 5), BENCH_DRAG_FRAMES (frames per drag, default 180),
 * BENCH_WIDGETS (default 300).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchArgs, launchChromium, pageHeaders, quantile, runLowkey, startFront, startLowkey, summary } from '../lib/server.mjs';

const opts = benchArgs();

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOADS = Math.max(1, Number(process.env.BENCH_LOADS ?? 5));
const KEYS = Number(process.env.BENCH_KEYS ?? 40);
const BINDINGS = Number(process.env.BENCH_BINDINGS ?? 5);
const DRAG_FRAMES = Number(process.env.BENCH_DRAG_FRAMES ?? 180);
const WIDGETS = Number(process.env.BENCH_WIDGETS ?? 300);
const EMAIL = 'bench@example.com';
const PASSWORD = 'bench password of some length';
const SLUG = 'bench-editor';

const log = (...a) => console.error('[bench:editor]', ...a);

// ---- the app ------------------------------------------------------------------------------

/**
 * One page of `n` widgets, four to a row band: every other one an Input, the others Texts
 * bound to the Input before them. `t_edit` (a Text, first band) is the one whose `text`
 * property the benchmark types into; `b_drag` (a Button) is the one it drags. Returns the name of
 * the page's last widget.
 */
function writeApp(dir, n) {
  const widgets = [
    { name: 't_edit', type: 'Text', position: { col: 0, row: 0, width: 16, height: 4 }, props: { text: 'x' } },
    { name: 'b_drag', type: 'Button', position: { col: 24, row: 0, width: 12, height: 4 }, props: { text: 'Drag me' } },
  ];
  for (let i = 0; widgets.length < n; i++) {
    const position = { col: (i % 4) * 16, row: 6 + Math.floor(i / 4) * 8, width: 16, height: 8 };
    if (i % 2 === 0) widgets.push({ name: `inp_${i}`, type: 'Input', position, props: { label: `Input ${i}`, defaultText: `v${i}` } });
    else widgets.push({ name: `txt_${i}`, type: 'Text', position, props: { text: `{{inp_${i - 1}.text + ' #${i}'}}` } });
  }
  const lines = ['name: Main', 'widgets:'];
  for (const w of widgets) {
    const p = w.position;
    lines.push(`  - name: ${w.name}`, `    type: ${w.type}`, `    position: { col: ${p.col}, row: ${p.row}, width: ${p.width}, height: ${p.height} }`, '    props:');
    for (const [k, v] of Object.entries(w.props)) lines.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  mkdirSync(join(dir, 'pages'), { recursive: true });
  writeFileSync(join(dir, 'app.yaml'), `version: 1\nname: Editor bench\nslug: ${SLUG}\nhomePage: Main\n`);
  writeFileSync(join(dir, 'pages', 'Main.yaml'), `${lines.join('\n')}\n`);
  return widgets[widgets.length - 1].name;
}

// ---- a front server per build -------------------------------------------------------------

/**
 * Serves one build's edit.html for /edit/… and its assets, and passes everything else (sign-in,
 * the draft API) to lowkey (bench/lib/server.mjs). The bytes of the editor are the build's; only
 * the static file server differs from production.
 */
const startEditorFront = (distDir, upstream, headers) =>
  startFront({ distDir, upstream, headers, shell: (path) => (path === '/edit' || path.startsWith('/edit/') ? 'edit.html' : null) });

// ---- the page side ------------------------------------------------------------------------

/**
 * Installed before any script of each document of the context: on /edit/<slug>, the moment
 * (performance.now(), whose origin is the navigation start) at which the page's last widget is
 * in the canvas's DOM and laid out (a box with a height) and the palette's buttons are there
 * and enabled. Checked at each batch of DOM mutations, so nothing polls.
 */
function probeInteractive({ slug, last }) {
  if (location.pathname !== `/edit/${slug}`) return;
  const ready = () => {
    const widget = document.querySelector(`[aria-label="Canvas"] [data-widget="${last}"]`);
    const palette = document.querySelector('[aria-label="Widgets"] button:not([disabled])');
    if (!widget || !palette || widget.getBoundingClientRect().height === 0) return false;
    window.__interactive = performance.now();
    return true;
  };
  const mo = new MutationObserver(() => {
    if (ready()) mo.disconnect();
  });
  mo.observe(document, { subtree: true, childList: true });
}

/**
 * Installed in the page: from a keydown in the Properties field to the canvas widget's new
 * text in the DOM, then to the end of the next frame (a task after the animation frame runs
 * once the frame has been produced). One measurement at a time.
 */
function installEditProbe() {
  const w = window;
  w.__edit = [];
  const field = document.activeElement;
  field.addEventListener(
    'keydown',
    () => {
      const t0 = performance.now();
      const target = document.querySelector('[aria-label="Canvas"] [data-widget="t_edit"]');
      const before = target.textContent;
      const done = () => requestAnimationFrame(() => setTimeout(() => w.__edit.push(performance.now() - t0), 0));
      const mo = new MutationObserver(() => {
        if (target.textContent === before) return;
        mo.disconnect();
        done();
      });
      mo.observe(target, { subtree: true, childList: true, characterData: true });
    },
    true,
  );
}

/**
 * Installed in the page: from a keydown in the focused field to the end of the next frame (the
 * key's input handlers, the completion list's render and the canvas's update all run in the
 * key's task or its microtasks, before that frame). One measurement at a time.
 */
function installKeyProbe() {
  const w = window;
  w.__key = [];
  document.activeElement.addEventListener(
    'keydown',
    () => {
      const t0 = performance.now();
      requestAnimationFrame(() => setTimeout(() => w.__key.push(performance.now() - t0), 0));
    },
    true,
  );
}

/**
 * Runs `frames` animation frames and resolves to their intervals in ms. With `drag`, a drag of
 * `b_drag`: one pointer move per frame, across the page and back over other widgets and empty
 * rows, then Esc (so the page is unchanged for the next round); without, the same page with
 * nothing happening, the floor of the drag's frames.
 */
function framesInPage({ frames, drag }) {
  let move = () => undefined;
  if (drag) {
    const el = document.querySelector('[aria-label="Canvas"] [data-widget="b_drag"]');
    const stage = el.closest('.ed-cv-stage') ?? el.parentElement;
    const r = el.getBoundingClientRect();
    const x0 = r.left + r.width / 2;
    const y0 = r.top + r.height / 2;
    const ev = (type, x, y) => new PointerEvent(type, { pointerId: 9, button: 0, buttons: 1, clientX: x, clientY: y, bubbles: true, cancelable: true });
    el.dispatchEvent(ev('pointerdown', x0, y0));
    move = (i) => {
      const phase = (i % 120) / 120;
      stage.dispatchEvent(ev('pointermove', x0 + 400 * Math.sin(Math.PI * phase), y0 + 300 * phase));
    };
  }
  return new Promise((resolve) => {
    const intervals = [];
    let last = 0;
    let i = 0;
    const tick = (t) => {
      if (last) intervals.push(t - last);
      last = t;
      move(++i);
      if (i < frames) {
        requestAnimationFrame(tick);
        return;
      }
      if (drag) window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
      resolve(intervals);
    };
    requestAnimationFrame(tick);
  });
}

// ---- statistics ---------------------------------------------------------------------------

const stats = (xs) => ({ ...summary(xs), p99: quantile(xs, 0.99) });
const fps = (intervals) => (intervals.length * 1000) / intervals.reduce((a, b) => a + b, 0);

// ---- the run ------------------------------------------------------------------------------

const run = (args, input) => runLowkey(opts.lowkey, args, input);

/**
 * Signs in at /edit, then opens the app `LOADS` times (a navigation, then reloads), timing each
 * load to interactive (`probeInteractive`); resolves once the last load shows the last widget.
 */
async function openEditor(context, origin, last) {
  await context.addInitScript(probeInteractive, { slug: SLUG, last });
  const page = await context.newPage();
  await page.goto(`${origin}/edit`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'New app' }).waitFor();
  const interactive = [];
  for (let i = 0; i < LOADS; i++) {
    if (i === 0) await page.goto(`${origin}/edit/${SLUG}`);
    else await page.reload();
    await page.waitForFunction(() => window.__interactive !== undefined, null, { timeout: 60_000 });
    interactive.push(await page.evaluate(() => window.__interactive));
  }
  const canvas = page.getByRole('region', { name: 'Canvas' });
  await canvas.locator('[data-widget]').nth(WIDGETS - 1).waitFor({ timeout: 60_000 });
  return { page, canvas, interactive };
}

/**
 * The Properties pane's `text` field of `t_edit` (a BindingInput: a combobox, or a textarea
 * when the saved value holds a binding), focused, caret at the end.
 */
async function textField(page, canvas) {
  await canvas.getByRole('button', { name: 't_edit (Text)', exact: true }).focus();
  await page.keyboard.press('Enter');
  const field = page.getByRole('region', { name: 'Properties' }).getByLabel('text', { exact: true });
  await field.focus();
  await page.keyboard.press('End');
  return field;
}

async function measureEdits(page, canvas) {
  await textField(page, canvas);
  await page.evaluate(installEditProbe);
  for (let k = 0; k < KEYS; k++) {
    await page.keyboard.press(String.fromCharCode(97 + (k % 26)));
    await page.waitForFunction((n) => window.__edit.length >= n, k + 1, { timeout: 10_000 });
  }
  return page.evaluate(() => window.__edit);
}

/**
 * Types `{{inp_` into t_edit's `text` field `BINDINGS` times, each key timed (installKeyProbe);
 * after each binding, the completion list must be open with the page's inputs in it; then
 * Escape closes it and the field is emptied for the next one (those keys are not timed). The
 * field is left holding plain text, so the next load shows the same kind of field.
 */
async function measureBindingTyping(page, canvas) {
  const field = await textField(page, canvas);
  const list = page.getByRole('region', { name: 'Properties' }).getByRole('listbox', { name: 'Suggestions' });
  await page.evaluate(installKeyProbe);
  const times = [];
  for (let b = 0; b < BINDINGS; b++) {
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await page.evaluate(() => {
      window.__key.length = 0;
    });
    const keys = [...'{{inp_'];
    for (const [k, key] of keys.entries()) {
      await page.keyboard.press(key);
      await page.waitForFunction((n) => window.__key.length >= n, k + 1, { timeout: 10_000 });
    }
    times.push(...(await page.evaluate(() => window.__key)));
    if ((await field.inputValue()) !== '{{inp_') throw new Error(`the field holds ${JSON.stringify(await field.inputValue())}, not {{inp_`);
    if (!(await list.isVisible())) throw new Error('typing {{inp_ did not open the completion list');
    const first = await list.getByRole('option').first().textContent();
    if (!first?.startsWith('inp_')) throw new Error(`the completion list's first option is ${JSON.stringify(first)}, not an inp_ widget`);
    await page.keyboard.press('Escape');
  }
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('x');
  return times;
}

/**
 * The code editor's chunk is lazy: no `/assets/cm-*.js` was requested while the editor opened
 * and was used (`requests`, every URL the page asked for), and opening a code field (a new JS
 * object's Code field) requests it. Throws otherwise.
 */
async function checkLazyCodeEditor(page, requests) {
  const isCm = (url) => /\/assets\/cm-[^/]*\.js$/.test(new URL(url).pathname);
  const early = requests.filter(isCm);
  if (early.length > 0) throw new Error(`CodeMirror was loaded before any code field was opened: ${early.join(', ')}`);
  const loaded = page.waitForRequest((r) => isCm(r.url()), { timeout: 30_000 });
  await page.getByRole('region', { name: 'JS objects' }).getByRole('button', { name: 'New JS object' }).click();
  await page.getByRole('region', { name: 'JS object' }).getByRole('textbox', { name: 'Code' }).waitFor();
  return new URL((await loaded).url()).pathname;
}

async function main() {
  const appDir = join(opts.work, 'app');
  const dataDir = join(opts.work, 'data');
  const last = writeApp(appDir, WIDGETS);
  run(['admin', 'add', EMAIL, '--role', 'admin', '--data-dir', dataDir], `${PASSWORD}\n`);
  run(['app', 'import', appDir, '--data-dir', dataDir]);
  log(`imported a page of ${WIDGETS} widgets`);

  const lowkey = await startLowkey(opts.lowkey, dataDir);
  const fronts = [];
  let browser;
  try {
    const headers = await pageHeaders(lowkey.origin, '/edit');
    const builds = [
      { name: 'base', front: await startEditorFront(opts.base, lowkey.origin, headers) },
      { name: 'current', front: await startEditorFront(opts.current, lowkey.origin, headers) },
    ];
    fronts.push(...builds.map((b) => b.front));
    browser = await launchChromium();
    const results = Object.fromEntries(builds.map((b) => [b.name, { edit: [], binding: [], drag: [], idle: [], interactive: [], cmChunk: '' }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const b of builds) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        try {
          const { page, canvas, interactive } = await openEditor(context, b.front.origin, last);
          const r = results[b.name];
          r.interactive.push(...interactive);
          r.idle.push(...(await page.evaluate(framesInPage, { frames: DRAG_FRAMES, drag: false })));
          r.drag.push(...(await page.evaluate(framesInPage, { frames: DRAG_FRAMES, drag: true })));
          r.edit.push(...(await measureEdits(page, canvas)));
          r.binding.push(...(await measureBindingTyping(page, canvas)));
          log(
            `round ${round + 1}/${ROUNDS} ${b.name}: edit p95 ${quantile(r.edit, 0.95).toFixed(1)} ms, binding key p95 ${quantile(r.binding, 0.95).toFixed(1)} ms, ` +
              `drag ${fps(r.drag).toFixed(1)} fps, interactive median ${quantile(r.interactive, 0.5).toFixed(0)} ms`,
          );
        } finally {
          await context.close();
        }
      }
    }
    // Last, since it adds a JS object to the draft that later rounds would then carry.
    for (const b of builds) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const requests = [];
        context.on('request', (r) => requests.push(r.url()));
        const { page, canvas } = await openEditor(context, b.front.origin, last);
        try {
          await measureBindingTyping(page, canvas);
          results[b.name].cmChunk = await checkLazyCodeEditor(page, requests);
        } catch (e) {
          await page.screenshot({ path: join(opts.work, `lazy-check-${b.name}.png`) });
          throw e;
        }
        log(`${b.name}: no CodeMirror before a code field; opening one loaded ${results[b.name].cmChunk}`);
      } finally {
        await context.close();
      }
    }
    const report = {
      widgets: WIDGETS,
      rounds: ROUNDS,
      loads: LOADS,
      keys: KEYS,
      bindings: BINDINGS,
      baseNote: process.env.BENCH_BASE_NOTE ?? 'base: the canvas rebuilds its runtime and every widget model at each change (VITE_LOWKEY_CANVAS_REBUILD=1); current: only the changed widgets.',
      builds: Object.fromEntries(
        Object.entries(results).map(([name, r]) => [
          name,
          {
            edit: stats(r.edit),
            binding: stats(r.binding),
            cmChunk: r.cmChunk,
            drag: { fps: fps(r.drag), ...summary(r.drag) },
            idle: { fps: fps(r.idle), ...summary(r.idle) },
            interactive: summary(r.interactive),
          },
        ]),
      ),
    };
    if (opts.json) writeFileSync(opts.json, JSON.stringify(report, null, 2));
    const table = markdown(report);
    if (opts.markdown) writeFileSync(opts.markdown, table);
    console.log(table);
  } finally {
    await browser?.close();
    for (const f of fronts) await f.close();
    lowkey.child.kill('SIGTERM');
  }
}

function markdown(report) {
  const ms = (x) => x.toFixed(1);
  const rows = Object.entries(report.builds).map(
    ([name, b]) =>
      `| ${name} | ${ms(b.edit.median)} | ${ms(b.edit.p95)} | ${ms(b.edit.p99)} | ${ms(b.binding.median)} | ${ms(b.binding.p95)} | ${ms(b.binding.p99)} | ${b.drag.fps.toFixed(1)} | ${ms(b.drag.p95)} | ${b.idle.fps.toFixed(1)} | ${b.interactive.median.toFixed(0)} | ${b.interactive.p95.toFixed(0)} | ${b.cmChunk ? 'yes' : 'no'} |`,
  );
  return [
    `A page of ${report.widgets} widgets; per build, ${report.rounds} rounds of: ${report.loads} editor loads timed to interactive, an idle page and a drag of ${DRAG_FRAMES} frames each, ${report.keys} keystrokes into the Properties pane's \`text\` field, then \`{{inp_\` typed into it ${report.bindings} times (six keys each, the completion list asserted open).`,
    '',
    '| build | edit → repaint median (ms) | p95 | p99 | binding key → frame median (ms) | p95 | p99 | drag fps | drag frame p95 (ms) | idle fps | interactive median (ms) | p95 | code editor lazy |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    `Edit: from the keydown in the \`text\` field (a BindingInput) to the canvas widget's new text, then the end of the next frame. Binding key: from the keydown to the end of the next frame. Interactive: from the navigation start of /edit/<slug>, signed in, to the last widget in the canvas laid out and the palette ready. Code editor lazy: no \`cm-*.js\` requested before a code field was opened, and opening one requested it. Budgets: edit p95 ≤ 16 ms, drag 60 fps, interactive ≤ 1 s. ${report.baseNote}`,
  ].join('\n');
}

await main();
