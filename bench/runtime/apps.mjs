/**
 * The apps the runtime benchmark opens, generated as version-1 app folders
 * (docs/app-format.md). Each scenario names the widget whose text the benchmark waits for,
 * the text it must show once the page has rendered, the input a keystroke goes to, and the
 * text the target shows after each keystroke.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const yamlString = (s) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar

function pageYaml(widgets) {
  const lines = ['name: Main', 'widgets:'];
  for (const w of widgets) {
    lines.push(`  - name: ${w.name}`);
    lines.push(`    type: ${w.type}`);
    const p = w.position;
    lines.push(`    position: { col: ${p.col}, row: ${p.row}, width: ${p.width}, height: ${p.height} }`);
    lines.push('    props:');
    for (const [k, v] of Object.entries(w.props)) lines.push(`      ${k}: ${yamlString(v)}`);
  }
  return lines.join('\n') + '\n';
}

/** Widgets laid out `perRow` to a grid row band of `height` rows, below a first band of 8 rows. */
function cell(i, perRow, height) {
  const width = 64 / perRow;
  return { col: (i % perRow) * width, row: 8 + Math.floor(i / perRow) * height, width, height };
}

const KEYS = 'abcdefghijklmnopqrstuvwxyz';
/** The key pressed for keystroke k (0-based) of a page. */
export const keyFor = (k) => KEYS[k % KEYS.length];
const typed = (k) => Array.from({ length: k }, (_, i) => keyFor(i)).join('');

/**
 * One Input and `n` Texts, each bound to `{{inp_src.text + ' #i'}}` (the issue's page).
 * Target: the last Text.
 */
export function textScenario(n) {
  const widgets = [
    { name: 'inp_src', type: 'Input', position: { col: 0, row: 0, width: 16, height: 7 }, props: { defaultText: 'hello' } },
  ];
  for (let i = 0; i < n; i++) {
    widgets.push({ name: `txt_${i}`, type: 'Text', position: cell(i, 8, 4), props: { text: `{{inp_src.text + ' #${i}'}}` } });
  }
  return {
    id: `text-${n}`,
    label: `${n.toLocaleString('en-US')} Texts bound to one Input`,
    widgets,
    target: `txt_${n - 1}`,
    input: 'inp_src',
    expected: (k) => `hello${typed(k)} #${n - 1}`,
  };
}

/** A chain: txt_0 reads the Input, txt_i reads txt_(i-1), `depth` levels. Target: the last. */
export function chainScenario(depth) {
  const widgets = [
    { name: 'inp_src', type: 'Input', position: { col: 0, row: 0, width: 16, height: 7 }, props: { defaultText: 'hello' } },
  ];
  for (let i = 0; i < depth; i++) {
    const text = i === 0 ? "{{inp_src.text + ' #'}}" : `{{txt_${i - 1}.text + '.'}}`;
    widgets.push({ name: `txt_${i}`, type: 'Text', position: cell(i, 4, 4), props: { text } });
  }
  return {
    id: `chain-${depth}`,
    label: `a chain of ${depth} bindings (each Text reads the one before)`,
    widgets,
    target: `txt_${depth - 1}`,
    input: 'inp_src',
    expected: (k) => `hello${typed(k)} #${'.'.repeat(depth - 1)}`,
  };
}

/** Fan-in: `n` Inputs, one Text reading all of them. Keystrokes go to the last Input. */
export function fanInScenario(n) {
  const widgets = [];
  for (let i = 0; i < n; i++) {
    widgets.push({ name: `inp_${i}`, type: 'Input', position: cell(i, 8, 7), props: { defaultText: 'a' } });
  }
  const reads = Array.from({ length: n }, (_, i) => `inp_${i}.text`).join(', ');
  widgets.unshift({
    name: 'txt_sum',
    type: 'Text',
    position: { col: 0, row: 0, width: 32, height: 4 },
    props: { text: `{{[${reads}].join('').length + ' chars'}}` },
  });
  return {
    id: `fanin-${n}`,
    label: `fan-in: one Text reading ${n.toLocaleString('en-US')} Inputs`,
    widgets,
    target: 'txt_sum',
    input: `inp_${n - 1}`,
    expected: (k) => `${n + k} chars`,
  };
}

/** Writes the scenario as an app folder `<root>/<id>` with slug `bench-<id>`; returns the slug. */
export function writeApp(root, scenario) {
  const slug = `bench-${scenario.id}`;
  const dir = join(root, scenario.id);
  mkdirSync(join(dir, 'pages'), { recursive: true });
  writeFileSync(
    join(dir, 'app.yaml'),
    `version: 1\nname: ${yamlString(`Bench ${scenario.id}`)}\nslug: ${slug}\nhomePage: Main\n`,
  );
  writeFileSync(join(dir, 'pages', 'Main.yaml'), pageYaml(scenario.widgets));
  return { slug, dir };
}
