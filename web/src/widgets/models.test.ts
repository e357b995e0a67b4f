import { describe, expect, it } from 'vitest';
import { FakeHost, FakeTransport, upstream } from '../../test/fakes.ts';
import { AppRuntime, type AppDef, type WidgetDef } from '../runtime/index.ts';
import { catalogue, widgetSpec } from '../catalogue.ts';
import {
  BaseWidget,
  ButtonModel,
  createPageWidgets,
  FormModel,
  InputModel,
  MODEL_CLASSES,
  TableModel,
  TextModel,
  UnknownModel,
  type InputType,
} from './models.ts';
import { GRID_COLUMNS, ROW_HEIGHT_PX } from './WidgetView.tsx';

function w(name: string, type: string, props: Record<string, unknown> = {}, children: WidgetDef[] = []): WidgetDef {
  return { name, type, position: { col: 0, row: 0, width: 64, height: 5 }, props, children };
}

async function page(widgets: WidgetDef[], transport = new FakeTransport(), queries: string[] = []) {
  const app: AppDef = {
    name: 'T',
    slug: 't',
    homePage: 'Home',
    pages: [{ name: 'Home', slug: 'home', hidden: false, onLoad: [], widgets }],
    queries: queries.map((name) => ({ name, bindings: [] })),
    jsObjects: [],
  };
  const runtime = new AppRuntime(app, new FakeHost(transport, '/app/t'), createPageWidgets);
  await runtime.start();
  const v = runtime.view.value;
  if (v.status !== 'ready') throw new Error('not ready');
  return { runtime, get: <T>(n: string) => v.widgets.byName.get(n) as T };
}

describe('Input', () => {
  it('starts from defaultText, follows typing, and resets back', async () => {
    const { get, runtime } = await page([w('inp', 'Input', { defaultText: 'hello' })]);
    const inp = get<InputModel>('inp');
    expect([inp.read('text'), inp.read('isDirty')]).toEqual(['hello', false]);
    inp.setText('bye');
    expect([inp.read('text'), inp.read('isDirty')]).toEqual(['bye', true]);
    await runtime.runEvent("{{ resetWidget('inp') }}");
    expect([inp.read('text'), inp.read('isDirty')]).toEqual(['hello', false]);
  });

  it('drops the user\'s edit when the default text changes', async () => {
    const { get, runtime } = await page([w('inp', 'Input', { defaultText: '{{ appsmith.store.name }}' })]);
    const inp = get<InputModel>('inp');
    await runtime.runEvent("{{ storeValue('name', 'Ada', false) }}");
    expect(inp.read('text')).toBe('Ada');
    inp.setText('Ada L.');
    expect(inp.read('text')).toBe('Ada L.');
    await runtime.runEvent("{{ storeValue('name', 'Grace', false) }}");
    expect([inp.read('text'), inp.read('isDirty')]).toEqual(['Grace', false]);
  });

  it('validates required, email, number, maxChars, regex and the validation binding', async () => {
    const { get } = await page([
      w('req', 'Input', { isRequired: true }),
      w('mail', 'Input', { inputType: 'EMAIL' }),
      w('num', 'Input', { inputType: 'NUMBER' }),
      w('max', 'Input', { maxChars: 3 }),
      w('re', 'Input', { regex: '[a-z]+', errorMessage: 'lowercase only' }),
      w('val', 'Input', { validation: '{{ val.text !== "no" }}' }),
    ]);
    const check = (name: string, text: string) => {
      const i = get<InputModel>(name);
      i.setText(text);
      return [i.read('isValid'), i.validity.value.message];
    };
    expect(check('req', '')).toEqual([false, 'This field is required']);
    expect(check('req', 'x')).toEqual([true, '']);
    expect(check('mail', 'a@b')).toEqual([false, 'Enter a valid email address']);
    expect(check('mail', 'a@b.co')).toEqual([true, '']);
    expect(check('num', '1e')).toEqual([false, 'Enter a number']);
    expect(check('num', '12.5')).toEqual([true, '']);
    expect(get<InputModel>('num').read('value')).toBe(12.5);
    expect(check('max', 'abcd')).toEqual([false, 'At most 3 characters']);
    // The pattern must match the whole text.
    expect(check('re', 'abc1')).toEqual([false, 'lowercase only']);
    expect(check('re', 'abc')).toEqual([true, '']);
    expect(check('val', 'no')).toEqual([false, 'Invalid value']);
    expect(check('val', 'yes')).toEqual([true, '']);
  });
});

describe('Form and Button', () => {
  const login = () => [
    w('frm', 'Form', { title: 'Sign in' }, [
      w('user', 'Input', { isRequired: true }),
      w('box', 'Container', {}, [w('age', 'Input', { inputType: 'NUMBER' })]),
      w('go', 'Button', { text: 'Go', disabledWhenInvalid: true, resetFormOnClick: true, onClick: '{{ q.run() }}' }),
    ]),
  ];

  it('collects its inputs\' values in data (numbers as numbers) and knows whether all are valid', async () => {
    const { get } = await page(login(), new FakeTransport(), ['q']);
    const form = get<FormModel>('frm');
    expect(form.read('data')).toEqual({ user: '', age: undefined });
    expect(form.read('isValid')).toBe(false);
    get<InputModel>('user').setText('ada');
    get<InputModel>('age').setText('36');
    expect(form.read('data')).toEqual({ user: 'ada', age: 36 });
    expect(form.read('isValid')).toBe(true);
  });

  it('disables a disabledWhenInvalid button while the form is invalid', async () => {
    const { get } = await page(login(), new FakeTransport(), ['q']);
    const go = get<ButtonModel>('go');
    expect(go.read('isDisabled')).toBe(true);
    get<InputModel>('user').setText('ada');
    expect(go.read('isDisabled')).toBe(false);
  });

  it('is busy while its action chain runs, ignores clicks meanwhile, and resets the form on success', async () => {
    let release!: () => void;
    const transport = new FakeTransport({
      q: (run) => new Promise((resolve) => (release = () => resolve(upstream(200, run.params)))),
    });
    const { get } = await page(login(), transport, ['q']);
    const go = get<ButtonModel>('go');
    get<InputModel>('user').setText('ada');
    const click = go.click();
    await Promise.resolve();
    expect(go.isRunning.value).toBe(true);
    await go.click(); // ignored: the first chain still runs
    await new Promise((r) => setTimeout(r, 0));
    expect(transport.runs).toHaveLength(1);
    release();
    await click;
    expect(go.isRunning.value).toBe(false);
    expect(get<InputModel>('user').read('text')).toBe('');
  });
});

describe('Table', () => {
  it('uses declared columns or the first row\'s keys, and flags tableData that is not a list', async () => {
    const { get } = await page([
      w('t1', 'Table', { tableData: [{ a: 1, b: 2 }] }),
      w('t2', 'Table', { tableData: [{ a: 1 }], columns: [{ key: 'a', label: 'A' }] }),
      w('t3', 'Table', { tableData: '{{ "nope" }}' }),
    ]);
    expect(get<TableModel>('t1').columns.value).toEqual([
      { key: 'a', label: 'a' },
      { key: 'b', label: 'b' },
    ]);
    expect(get<TableModel>('t2').columns.value).toEqual([{ key: 'a', label: 'A' }]);
    expect(get<TableModel>('t3').rows.value.error).toMatch(/list of objects/);
  });

  it('is loading while a query its tableData reads is running', async () => {
    let release!: () => void;
    const transport = new FakeTransport({
      q: () => new Promise((resolve) => (release = () => resolve(upstream(200, [{ id: 1 }])))),
    });
    const { get, runtime } = await page([w('t', 'Table', { tableData: '{{ q.data }}' })], transport, ['q']);
    const table = get<TableModel>('t');
    expect(table.isLoading.value).toBe(false);
    const done = runtime.queries.get('q')!.run();
    expect(table.isLoading.value).toBe(true);
    await Promise.resolve();
    release();
    await done;
    expect(table.isLoading.value).toBe(false);
    expect(table.read('tableData')).toEqual([{ id: 1 }]);
    table.select(0);
    expect(table.read('selectedRow')).toEqual({ id: 1 });
  });
});

it('turns an unknown widget type into an inline error', async () => {
  const { get } = await page([w('x', 'Chart'), w('y', 'constructor')]);
  expect(get<UnknownModel>('x').errors()).toEqual([{ prop: 'type', message: 'Unknown widget type "Chart"' }]);
  expect(get<UnknownModel>('x').isVisible).toBe(true);
  expect(get<UnknownModel>('y')).toBeInstanceOf(UnknownModel);
});

describe('the catalogue (schema/widgets.json)', () => {
  it('gives every widget type its own model, and the factory no type of its own', async () => {
    const types = catalogue.widgets.map((s) => s.type);
    expect([...MODEL_CLASSES.keys()].sort()).toEqual([...types].sort());
    const { get } = await page(types.map((t) => w(`w_${t}`, t)));
    for (const t of types) {
      const model = get<BaseWidget>(`w_${t}`);
      expect(model, t).toBeInstanceOf(MODEL_CLASSES.get(t)!);
      expect(model, t).not.toBeInstanceOf(UnknownModel);
    }
  });

  it('gives a property left out its catalogue default, for the views and for bindings', async () => {
    const { get } = await page([w('inp', 'Input'), w('btn', 'Button'), w('tbl', 'Table'), w('frm', 'Form')]);
    for (const name of ['inp', 'btn', 'tbl', 'frm']) {
      const model = get<BaseWidget>(name);
      for (const p of widgetSpec(model.type)!.props) {
        if (p.default === undefined) continue;
        expect(model.value(p.name), `${name}.${p.name}`).toEqual(p.default);
      }
    }
    const inp = get<InputModel>('inp');
    expect([inp.inputType.value, inp.read('label'), inp.read('isRequired'), inp.isVisible]).toEqual(['TEXT', '', false, true]);
    expect(inp.validity.value.valid).toBe(true);
    expect(get<ButtonModel>('btn').read('text')).toBe('');
    expect(get<TableModel>('tbl').read('tableData')).toEqual([]);
  });

  it('falls back to the default when a binding fails or gives nothing', async () => {
    const { get } = await page([w('inp', 'Input', { inputType: '{{ missing.x }}', isVisible: '{{ undefined }}', label: 'L' })]);
    const inp = get<InputModel>('inp');
    expect([inp.inputType.value, inp.isVisible, inp.read('label')]).toEqual(['TEXT', true, 'L']);
  });

  it('never evaluates an event property as a value', async () => {
    const { get, runtime } = await page([w('btn', 'Button', { onClick: "{{ storeValue('clicked', true, false) }}" })]);
    expect(get<ButtonModel>('btn').errors()).toEqual([]);
    expect(runtime.store.values.value.clicked).toBeUndefined();
    await get<ButtonModel>('btn').click();
    expect(runtime.store.values.value.clicked).toBe(true);
  });

  it('has the grid the views lay widgets out on', () => {
    expect([catalogue.gridColumns, catalogue.rowHeightPx]).toEqual([GRID_COLUMNS, ROW_HEIGHT_PX]);
  });

  it('offers exactly the input types the Input view knows', () => {
    const known: Record<InputType, true> = { TEXT: true, EMAIL: true, PASSWORD: true, NUMBER: true };
    const choices = widgetSpec('Input')!.props.find((p) => p.name === 'inputType')!.choices!;
    expect([...choices].sort()).toEqual(Object.keys(known).sort());
  });
});

describe('errors', () => {
  it('keeps the same list while a widget\'s failures are the same, so its view is not rendered again', async () => {
    const { get } = await page([
      w('inp', 'Input', { defaultText: 'a' }),
      w('txt', 'Text', { text: '{{ inp.text }}', isVisible: "{{ inp.text === 'boom' ? missing.x : true }}" }),
    ]);
    const inp = get<InputModel>('inp');
    const txt = get<TextModel>('txt');
    const none = txt.errors();
    expect(none).toEqual([]);
    inp.setText('b');
    expect(txt.shownText.value).toBe('b');
    expect(txt.errors()).toBe(none);
    inp.setText('boom');
    const failing = txt.errors();
    expect(failing).toEqual([{ prop: 'isVisible', message: 'missing is not defined' }]);
    inp.setText('boom');
    expect(txt.errors()).toBe(failing);
    inp.setText('c');
    expect(txt.errors()).toEqual([]);
  });
});

