// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, FakeTransport, settle, upstream } from '../../test/fakes.ts';
import { AppRuntime, type AppDef, type WidgetDef } from '../runtime/index.ts';
import { createPageWidgets, Grid } from './index.ts';

function w(name: string, type: string, props: Record<string, unknown> = {}, children: WidgetDef[] = []): WidgetDef {
  return { name, type, position: { col: 0, row: 0, width: 32, height: 6 }, props, children };
}

let root: HTMLElement;
afterEach(() => {
  render(null, root);
  root.remove();
});

async function mount(widgets: WidgetDef[], transport = new FakeTransport(), queries: string[] = []) {
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
  root = document.createElement('div');
  document.body.append(root);
  render(<Grid widgets={v.widgets.roots} />, root);
  await settle();
  const el = (name: string) => root.querySelector(`[data-widget="${name}"]`) as HTMLElement;
  return { runtime, el };
}

function type(input: HTMLInputElement, text: string) {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('widget views', () => {
  it('puts data-widget on every widget\'s root element, nested ones included', async () => {
    const { el } = await mount([w('frm', 'Form', { title: 'T' }, [w('inp', 'Input'), w('btn', 'Button', { text: 'B' })]), w('txt', 'Text')]);
    for (const name of ['frm', 'inp', 'btn', 'txt']) expect(el(name), name).not.toBeNull();
    expect(el('frm').contains(el('inp'))).toBe(true);
  });

  it('places widgets on the 64-column grid with 10 px rows', async () => {
    const { el } = await mount([{ ...w('txt', 'Text'), position: { col: 16, row: 3, width: 32, height: 5 } }]);
    const style = el('txt').style;
    expect([style.left, style.width, style.top, style.height]).toEqual(['25%', '50%', '30px', '50px']);
  });

  it('shows a binding that throws as an inline error inside the widget; the rest of the page renders', async () => {
    const { el } = await mount([
      w('txt_bad', 'Text', { text: '{{ missing_thing.value }}' }),
      w('txt_ok', 'Text', { text: 'still here' }),
    ]);
    const note = el('txt_bad').querySelector('.lk-widget-error');
    expect(note?.textContent).toMatch(/text: .*missing_thing is not defined/);
    expect(el('txt_ok').textContent).toBe('still here');
  });

  it('inserts evaluated values as text, never as HTML', async () => {
    const { el } = await mount([
      w('txt', 'Text', { text: '{{ "<img src=x onerror=alert(1)><b>bold</b>" }}' }),
      w('tbl', 'Table', { tableData: [{ html: '<i>x</i>' }] }),
    ]);
    expect(el('txt').querySelector('img, b')).toBeNull();
    expect(el('txt').textContent).toBe('<img src=x onerror=alert(1)><b>bold</b>');
    expect(el('tbl').querySelector('td i')).toBeNull();
    expect(el('tbl').querySelector('td')?.textContent).toBe('<i>x</i>');
  });

  it('re-renders a Text bound to an Input as the user types, and runs onTextChanged', async () => {
    const { el, runtime } = await mount([
      w('inp', 'Input', { label: 'Name', onTextChanged: "{{ storeValue('typed', inp.text, false) }}" }),
      w('txt', 'Text', { text: 'Hello {{ inp.text }}!' }),
    ]);
    type(el('inp').querySelector('input')!, 'Ada');
    await settle();
    expect(el('txt').textContent).toBe('Hello Ada!');
    expect(runtime.store.values.value).toEqual({ typed: 'Ada' });
    expect(el('inp').querySelector('label')?.textContent).toBe('Name');
  });

  it('updates a Text\'s text node in place as its binding changes, and shows then clears an inline error', async () => {
    const { el } = await mount([
      w('inp', 'Input'),
      w('txt', 'Text', { text: "{{ inp.text === 'boom' ? missing.x : 'Hi ' + inp.text }}" }),
    ]);
    const node = el('txt').querySelector('.lk-text')!.firstChild;
    type(el('inp').querySelector('input')!, 'Ada');
    await settle();
    expect(el('txt').querySelector('.lk-text')!.firstChild).toBe(node);
    expect(node?.textContent).toBe('Hi Ada');
    type(el('inp').querySelector('input')!, 'boom');
    await settle();
    expect(el('txt').querySelector('.lk-widget-error')?.textContent).toMatch(/text: .*missing is not defined/);
    expect(el('txt').querySelector('.lk-text')?.textContent).toBe('');
    type(el('inp').querySelector('input')!, 'Bo');
    await settle();
    expect(el('txt').querySelector('.lk-widget-error')).toBeNull();
    expect(el('txt').querySelector('.lk-text')?.textContent).toBe('Hi Bo');
  });

  it('shows a validation message only once the user typed, and runs onSubmit on Enter', async () => {
    const { el, runtime } = await mount([
      w('mail', 'Input', { inputType: 'EMAIL', onSubmit: "{{ showAlert('submitted ' + mail.text) }}" }),
    ]);
    const input = el('mail').querySelector('input')!;
    expect(input.type).toBe('email');
    expect(el('mail').querySelector('.lk-field-error')).toBeNull();
    type(input, 'nope');
    await settle();
    expect(el('mail').querySelector('.lk-field-error')?.textContent).toBe('Enter a valid email address');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(runtime.toasts.value.map((t) => t.message)).toEqual(['submitted nope']);
  });

  it('shows a spinner on a button while its action chain runs', async () => {
    let release!: () => void;
    const transport = new FakeTransport({ q: () => new Promise((r) => (release = () => r(upstream(200, {})))) });
    const { el } = await mount([w('btn', 'Button', { text: 'Save', onClick: '{{ q.run() }}' })], transport, ['q']);
    const button = el('btn').querySelector('button')!;
    button.click();
    await settle();
    expect(button.querySelector('.lk-spinner')).not.toBeNull();
    expect(button.disabled).toBe(true);
    release();
    await settle();
    expect(button.querySelector('.lk-spinner')).toBeNull();
    expect(button.disabled).toBe(false);
  });

  it('shows a table\'s empty state, then its rows', async () => {
    const transport = new FakeTransport({ q: () => upstream(200, [{ id: 1, name: 'a' }]) });
    const { el, runtime } = await mount([w('tbl', 'Table', { tableData: '{{ q.data }}' })], transport, ['q']);
    expect(el('tbl').textContent).toContain('No data');
    await runtime.queries.get('q')!.run();
    await settle();
    expect([...el('tbl').querySelectorAll('th')].map((th) => th.textContent)).toEqual(['id', 'name']);
    expect([...el('tbl').querySelectorAll('tbody td')].map((td) => td.textContent)).toEqual(['1', 'a']);
  });

  it('hides a widget whose isVisible is false', async () => {
    const { el } = await mount([w('txt', 'Text', { text: 'x', isVisible: '{{ 1 > 2 }}' })]);
    expect(el('txt')).toBeNull();
  });
});
