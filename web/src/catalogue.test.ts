import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import full from '../../schema/widgets.json';
import { catalogue, eventProps, widgetSpec } from './catalogue.ts';
import slim from './catalogue.slim.json';
import { CatalogueError, parseCatalogue } from './parseCatalogue.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** The full catalogue with one change made by `edit`. */
function edited(edit: (c: { widgets: Record<string, unknown>[] } & Record<string, unknown>) => void): unknown {
  const copy = structuredClone(full) as unknown as { widgets: Record<string, unknown>[] } & Record<string, unknown>;
  edit(copy);
  return copy;
}

const props = (c: { widgets: Record<string, unknown>[] }, i: number) => c.widgets[i]!.props as Record<string, unknown>[];

describe('the widget catalogue', () => {
  it('parses schema/widgets.json, descriptions and all', () => {
    const described = parseCatalogue(full);
    expect(described.widgets.map((w) => w.type)).toEqual(catalogue.widgets.map((w) => w.type));
    const input = described.widgets.find((w) => w.type === 'Input')!;
    expect(input.description).toMatch(/text field/);
    expect(input.outputs!.map((o) => o.name)).toContain('isValid');
    expect(input.defaultSize).toEqual({ width: 20, height: 7 });
  });

  it("gives the viewer the catalogue's types, kinds and defaults without the builders' text", () => {
    // The slim copy passes the same checks, and the viewer reads it as they would give it.
    const checked = parseCatalogue(slim, 'src/catalogue.slim.json');
    expect(checked.widgets).toEqual(catalogue.widgets);
    expect([checked.gridColumns, checked.rowHeightPx]).toEqual([catalogue.gridColumns, catalogue.rowHeightPx]);
    const described = parseCatalogue(full);
    for (const w of described.widgets) {
      const viewer = widgetSpec(w.type)!;
      expect(viewer.container).toBe(w.container);
      expect(viewer.props.map((p) => [p.name, p.kind, p.choices, p.default])).toEqual(
        w.props.map((p) => [p.name, p.kind, p.choices, p.default]),
      );
      expect(viewer.description).toBeUndefined();
    }
    expect(widgetSpec('Chart')).toBeUndefined();
    expect([...eventProps].sort()).toEqual(['onClick', 'onSubmit', 'onTextChanged']);
  });

  it('is frozen, so a default shared by every widget cannot be changed', () => {
    const tableData = widgetSpec('Table')!.props.find((p) => p.name === 'tableData')!;
    expect(() => (tableData.default as unknown[]).push(1)).toThrow(TypeError);
  });

  it('refuses a malformed catalogue, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [edited((c) => (props(c, 0)[0]!.kind = 'colour')), /widgets\[0\] \(Form\)\.props\[0\] \(title\)\.kind: unknown kind `colour`/],
      [edited((c) => (props(c, 2)[0]!.default = 'URL')), /\(inputType\)\.default: "URL" is not a value of kind `choice`/],
      [edited((c) => (props(c, 3)[1]!.default = '{{ x }}')), /\(onClick\)\.default: .* kind `event`/],
      [edited((c) => (props(c, 4)[0]!.initial = 3)), /\(text\)\.initial: 3 is not a value of kind `text`/],
      [edited((c) => props(c, 1).push({ name: 'isVisible', kind: 'bool' })), /`isVisible` is listed twice/],
      [edited((c) => (c.widgets[1]!.type = 'Form')), /widgets: `Form` is listed twice/],
      [edited((c) => delete c.widgets[0]!.container), /\.container must be true or false/],
      [edited((c) => (c.gridColumns = 0)), /gridColumns must be a whole number/],
      [[], /the file must be an object/],
    ];
    for (const [raw, message] of cases) {
      expect(() => parseCatalogue(raw, 'test.json')).toThrow(CatalogueError);
      expect(() => parseCatalogue(raw, 'test.json')).toThrow(message);
    }
  });

  it('is what docs/app-format.md and the viewer\'s slim copy were generated from', () => {
    let problem = '';
    try {
      execFileSync(process.execPath, ['scripts/catalogue.mjs', '--check'], { cwd: repo, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      problem = err.stderr || err.message;
    }
    expect(problem, problem).toBe('');
  });
});
