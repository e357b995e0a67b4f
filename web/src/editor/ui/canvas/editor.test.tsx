// @vitest-environment happy-dom
/**
 * The palette, the canvas and the property pane together, over a real editing session (the
 * model's operations, history and command builders; its saves go to an in-memory draft API),
 * with the screen's real key handler and the canvas's registered commands. Elements are found
 * by role and accessible name, as a person (and the e2e test) finds them.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommandRegistry } from '../../doc/registry.ts';
import { findWidget } from '../../doc/query.ts';
import type { AppDoc, DraftApi, EditingSession, Problem, WidgetDoc } from '../../doc/types.ts';
import { createEditingSession } from '../../save/session.ts';
import { Canvas } from '../Canvas.tsx';
import { EditorCtx, type EditorContext } from '../context.ts';
import { Palette } from '../Palette.tsx';
import { PropertyPane } from '../PropertyPane.tsx';
import { editorKeyHandler } from '../shell/keys.ts';
import { createScreenState } from '../shell/screenState.ts';
import { registerCanvasCommands } from './commands.ts';

function w(name: string, type: WidgetDoc['type'], col: number, row: number, props: Record<string, unknown> = {}, children: WidgetDoc[] = []): WidgetDoc {
  return { name, type, position: { col, row, width: 20, height: 7 }, props, children };
}

const DOC: AppDoc = {
  version: 1,
  name: 'Guide',
  slug: 'guide',
  homePage: 'LoginPage',
  datasources: [],
  settings: {},
  pages: [
    {
      name: 'LoginPage',
      hidden: false,
      onLoad: [],
      widgets: [
        { ...w('frm', 'Form', 0, 0, { title: 'Sign in' }, [w('inp_user', 'Input', 1, 6, { label: 'Email' })]), position: { col: 0, row: 0, width: 30, height: 40 } },
        w('txt_hello', 'Text', 40, 0, { text: 'Hello {{inp_user.text}}' }),
      ],
    },
  ],
  queries: [],
  jsObjects: [],
};

/** A draft API in memory: every write is accepted. */
function memoryApi(doc: AppDoc, problems: readonly Problem[] = []): DraftApi {
  let revision = 1;
  return {
    getDraft: () => Promise.resolve({ revision, app: doc, problems }),
    putDraft: () => Promise.resolve({ kind: 'saved', revision: ++revision, problems }),
  };
}

let root: HTMLElement;
let ctx: EditorContext;
let session: EditingSession;
let notices: string[];
let stopKeys: () => void;

async function mount(problems: readonly Problem[] = []): Promise<void> {
  root = document.createElement('div');
  document.body.append(root);
  session = await createEditingSession('guide', memoryApi(DOC, problems), {
    storage: null,
    events: null,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  notices = [];
  const commands = new CommandRegistry<EditorContext>({ mac: false });
  registerCanvasCommands(commands);
  ctx = {
    slug: 'guide',
    session,
    currentPage: signal('LoginPage'),
    open: signal(null),
    selection: signal([]),
    commands,
    notify: (m) => notices.push(m),
  };
  const onKey = editorKeyHandler(ctx, createScreenState());
  document.addEventListener('keydown', onKey);
  stopKeys = () => document.removeEventListener('keydown', onKey);
  render(
    <EditorCtx.Provider value={ctx}>
      <Palette />
      <Canvas />
      <PropertyPane />
    </EditorCtx.Provider>,
    root,
  );
  await settle();
}

beforeEach(() => mount());

afterEach(() => {
  stopKeys();
  render(null, root);
  root.remove();
  session.dispose();
  vi.restoreAllMocks();
});

const settle = () => new Promise((r) => setTimeout(r, 0));

/** The accessible name as the e2e test's queries compute it for our markup. */
function nameOf(el: Element): string {
  const label = el.getAttribute('aria-label');
  if (label !== null) return label;
  const by = el.getAttribute('aria-labelledby');
  if (by) return by.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
  if (el.id) {
    const l = document.querySelector(`label[for="${el.id}"]`);
    if (l) return l.textContent ?? '';
  }
  return textOf(el).replace(/\s+/g, ' ').trim();
}

/** Text content without what is hidden from assistive technology. */
function textOf(node: Node): string {
  if (node instanceof Element && node.getAttribute('aria-hidden') === 'true') return '';
  if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? '';
  return [...node.childNodes].map(textOf).join('');
}

const SELECTORS: Record<string, string> = {
  region: 'section[aria-label]',
  button: 'button, [role="button"]',
  textbox: 'input:not([type]), input[type="text"], input[type="search"], textarea',
  combobox: 'select',
  checkbox: 'input[type="checkbox"]',
};

function all(role: string, name: string | RegExp, within: ParentNode = root): HTMLElement[] {
  return [...within.querySelectorAll<HTMLElement>(SELECTORS[role] ?? role)].filter((el) =>
    typeof name === 'string' ? nameOf(el) === name : name.test(nameOf(el)),
  );
}

function get<T extends HTMLElement = HTMLElement>(role: string, name: string | RegExp, within?: ParentNode): T {
  const found = all(role, name, within);
  if (found.length !== 1) throw new Error(`${found.length} ${role}s named ${String(name)}`);
  return found[0] as T;
}

const region = (name: string) => get('region', name);
const field = <T extends HTMLElement = HTMLInputElement>(label: string) => {
  const props = region('Properties');
  const l = [...props.querySelectorAll('label')].find((x) => x.textContent === label);
  const el = l ? props.querySelector<T>(`#${l.htmlFor}`) : null;
  if (!el) throw new Error(`no field labelled ${label}`);
  return el;
};

function type(el: HTMLInputElement | HTMLTextAreaElement, text: string): void {
  el.value = text;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

function key(target: Element, k: string, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }));
}

const page = () => ctx.session.doc.value.pages[0]!;
const widget = (name: string) => findWidget(page(), name)?.widget;
const canvasWidget = (name: string) => region('Canvas').querySelector<HTMLElement>(`[data-widget="${name}"]`);

async function selectByKeyboard(name: string, type: string): Promise<HTMLElement> {
  const frame = get('button', `${name} (${type})`, region('Canvas'));
  frame.focus();
  key(frame, 'Enter');
  await settle();
  return frame;
}

describe('the palette', () => {
  it('is a region named Widgets with one button per widget type, named after it', () => {
    const names = all('button', /.*/, region('Widgets')).map(nameOf);
    expect(names).toEqual(['Form', 'Container', 'Input', 'Button', 'Text', 'Table']);
    expect(get('textbox', 'Search widgets', region('Widgets'))).toBeTruthy();
  });

  it('searches types by name and description', async () => {
    type(get('textbox', 'Search widgets'), 'rows');
    await settle();
    expect(all('button', /.*/, region('Widgets')).map(nameOf)).toEqual(['Table']);
    type(get('textbox', 'Search widgets'), 'nothing like it');
    await settle();
    expect(all('button', /.*/, region('Widgets'))).toEqual([]);
    expect(region('Widgets').textContent).toContain('No widget matches');
  });

  it('adds a widget from the keyboard at the first free place of the page, selected', async () => {
    get('button', 'Button', region('Widgets')).click();
    await settle();
    const added = page().widgets.find((x) => x.type === 'Button');
    expect(added?.name).toBe('Button1');
    expect(ctx.selection.value).toEqual(['Button1']);
    expect(canvasWidget('Button1')).not.toBeNull();
    expect(field('name').value).toBe('Button1');
  });

  it('adds into the selected container', async () => {
    await selectByKeyboard('frm', 'Form');
    get('button', 'Input', region('Widgets')).click();
    await settle();
    expect(widget('frm')?.children.map((c) => c.name)).toEqual(['inp_user', 'Input1']);
    expect(canvasWidget('frm')?.querySelector('[data-widget="Input1"]')).not.toBeNull();
  });
});

describe('the canvas', () => {
  it('is a region named Canvas showing the viewer’s widgets with data-widget, and a frame for each', () => {
    const canvas = region('Canvas');
    expect([...canvas.querySelectorAll('[data-widget]')].map((e) => e.getAttribute('data-widget'))).toEqual(['frm', 'inp_user', 'txt_hello']);
    expect(all('button', / \((Form|Input|Text)\)$/, canvas).map(nameOf)).toEqual(['frm (Form)', 'inp_user (Input)', 'txt_hello (Text)']);
    expect(canvasWidget('inp_user')?.querySelector('label')?.textContent).toBe('Email');
  });

  it('runs bindings live: typing in a canvas Input updates the bound Text', async () => {
    const input = canvasWidget('inp_user')?.querySelector('input');
    if (!input) throw new Error('no input');
    type(input, 'Ada');
    await settle();
    expect(canvasWidget('txt_hello')?.textContent).toBe('Hello Ada');
  });

  it('selects from the keyboard: Enter selects, Shift+Enter adds to the selection', async () => {
    const frame = await selectByKeyboard('txt_hello', 'Text');
    expect(frame.getAttribute('aria-pressed')).toBe('true');
    expect(ctx.selection.value).toEqual(['txt_hello']);
    const other = get('button', 'inp_user (Input)', region('Canvas'));
    key(other, 'Enter', { shiftKey: true });
    await settle();
    expect(ctx.selection.value).toEqual(['txt_hello', 'inp_user']);
  });

  it('nudges with the arrow keys (Shift: by more), deletes with Delete, each one undo step', async () => {
    const frame = await selectByKeyboard('txt_hello', 'Text');
    key(frame, 'ArrowRight');
    key(frame, 'ArrowDown', { shiftKey: true });
    expect(widget('txt_hello')?.position).toMatchObject({ col: 41, row: 4 });
    key(frame, 'Delete');
    await settle();
    expect(widget('txt_hello')).toBeUndefined();
    expect(canvasWidget('txt_hello')).toBeNull();
    expect(ctx.selection.value).toEqual([]);
    session.undo();
    await settle();
    expect(widget('txt_hello')?.position).toMatchObject({ col: 41, row: 4 });
  });

  it('resizes with Alt+arrows, and moves a widget into a container with cut and paste, keeping its name', async () => {
    const frame = await selectByKeyboard('txt_hello', 'Text');
    key(frame, 'ArrowLeft', { altKey: true });
    key(frame, 'ArrowDown', { altKey: true });
    expect(widget('txt_hello')?.position).toMatchObject({ width: 19, height: 8 });
    key(frame, 'x', { ctrlKey: true });
    await settle();
    expect(widget('txt_hello')).toBeUndefined();
    const form = await selectByKeyboard('frm', 'Form');
    key(form, 'v', { ctrlKey: true });
    await settle();
    expect(widget('frm')?.children.map((c) => c.name)).toEqual(['inp_user', 'txt_hello']);
  });

  it('copies, pastes and duplicates with Mod+C, Mod+V and Mod+D', async () => {
    const frame = await selectByKeyboard('txt_hello', 'Text');
    key(frame, 'd', { ctrlKey: true });
    await settle();
    expect(ctx.selection.value).toEqual(['txt_hello2']);
    expect(canvasWidget('txt_hello2')).not.toBeNull();
    const copy = await selectByKeyboard('txt_hello', 'Text');
    key(copy, 'c', { ctrlKey: true });
    key(copy, 'v', { ctrlKey: true });
    await settle();
    expect(page().widgets.map((x) => x.name)).toEqual(['frm', 'txt_hello', 'txt_hello2', 'txt_hello3']);
  });

  it('leaves keys typed into a canvas Input to the Input', async () => {
    await selectByKeyboard('txt_hello', 'Text');
    const input = canvasWidget('inp_user')?.querySelector('input');
    if (!input) throw new Error('no input');
    input.focus();
    key(input, 'Delete');
    expect(widget('txt_hello')).toBeDefined();
  });

  it('drops a widget dragged from the palette at the release point, snapped to the grid', async () => {
    // happy-dom lays nothing out: the canvas is given a 640 px page (10 px columns) at (0, 0).
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue(
      DOMRect.fromRect({ x: 0, y: 0, width: 640, height: 2000 }),
    );
    // Two renders, so the canvas measures itself again.
    ctx.selection.value = ['frm'];
    await settle();
    ctx.selection.value = [];
    await settle();
    const item = get('button', 'Text', region('Widgets'));
    const pointer = (t: string, x: number, y: number) =>
      item.dispatchEvent(new PointerEvent(t, { pointerId: 1, button: 0, clientX: x, clientY: y, bubbles: true }));
    pointer('pointerdown', 5, 5);
    pointer('pointermove', 100, 100);
    await settle();
    expect(region('Canvas').querySelector('.ed-cv-target')).not.toBeNull();
    pointer('pointermove', 333, 456);
    pointer('pointerup', 333, 456);
    item.click(); // the click that ends a drag adds nothing more
    await settle();
    const texts = page().widgets.filter((x) => x.type === 'Text');
    expect(texts.map((x) => x.name)).toEqual(['txt_hello', 'Text1']);
    expect(widget('Text1')?.position).toMatchObject({ col: 33, row: 45 });
    expect(ctx.selection.value).toEqual(['Text1']);
  });

  it('cancels a drag from the palette on Esc', async () => {
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue(
      DOMRect.fromRect({ x: 0, y: 0, width: 640, height: 2000 }),
    );
    const item = get('button', 'Text', region('Widgets'));
    const pointer = (t: string, x: number, y: number) =>
      item.dispatchEvent(new PointerEvent(t, { pointerId: 1, button: 0, clientX: x, clientY: y, bubbles: true }));
    pointer('pointerdown', 5, 5);
    pointer('pointermove', 300, 300);
    key(item, 'Escape');
    pointer('pointerup', 300, 300);
    await settle();
    expect(page().widgets.map((x) => x.name)).toEqual(['frm', 'txt_hello']);
    expect(region('Canvas').querySelector('.ed-cv-target')).toBeNull();
  });
});

describe('pointer gestures on the canvas', () => {
  /** happy-dom lays nothing out: every element is given the box of a 640 px page (10 px
   * columns) at (0, 0), and the canvas is rendered twice so that it measures itself. */
  async function layOut(): Promise<void> {
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue(DOMRect.fromRect({ x: 0, y: 0, width: 640, height: 2000 }));
    ctx.selection.value = ['frm'];
    await settle();
    ctx.selection.value = [];
    await settle();
  }
  const stage = () => region('Canvas').querySelector<HTMLElement>('.ed-cv-stage')!;
  const pointer = (target: Element, t: string, x: number, y: number, init: PointerEventInit = {}) =>
    target.dispatchEvent(new PointerEvent(t, { pointerId: 1, button: 0, clientX: x, clientY: y, bubbles: true, ...init }));

  it('selects the innermost widget under a click; Shift adds; a click on nothing clears', async () => {
    await layOut();
    pointer(stage(), 'pointerdown', 20, 80); // inp_user, inside frm
    pointer(stage(), 'pointerup', 20, 80);
    expect(ctx.selection.value).toEqual(['inp_user']);
    pointer(stage(), 'pointerdown', 450, 30, { shiftKey: true }); // txt_hello
    expect(ctx.selection.value).toEqual(['inp_user', 'txt_hello']);
    pointer(stage(), 'pointerdown', 620, 900);
    expect(ctx.selection.value).toEqual([]);
  });

  it('outlines the widget under the pointer', async () => {
    await layOut();
    pointer(stage(), 'pointermove', 450, 30, { buttons: 0 });
    await settle();
    const hover = region('Canvas').querySelector<HTMLElement>('.ed-cv-hover');
    expect([hover?.style.left, hover?.style.width]).toEqual(['400px', '200px']);
    pointer(stage(), 'pointerleave', 0, 0, { buttons: 0 });
    await settle();
    expect(region('Canvas').querySelector('.ed-cv-hover')).toBeNull();
  });

  it('selects the page’s widgets a rectangle drawn from an empty spot touches', async () => {
    await layOut();
    pointer(stage(), 'pointerdown', 620, 900);
    pointer(stage(), 'pointermove', 500, 600);
    await settle();
    expect(region('Canvas').querySelector('.ed-cv-marquee')).not.toBeNull();
    pointer(stage(), 'pointermove', 250, 50);
    pointer(stage(), 'pointerup', 250, 50);
    await settle();
    expect(ctx.selection.value).toEqual(['frm', 'txt_hello']);
    expect(region('Canvas').querySelector('.ed-cv-marquee')).toBeNull();
  });

  it('moves a widget by a drag, snapped to the grid, as one undo step', async () => {
    await layOut();
    pointer(stage(), 'pointerdown', 450, 30);
    pointer(stage(), 'pointermove', 470, 50);
    await settle();
    expect(region('Canvas').querySelector('.ed-cv-ghost')).not.toBeNull();
    pointer(stage(), 'pointermove', 483, 61);
    pointer(stage(), 'pointerup', 483, 61);
    await settle();
    expect(widget('txt_hello')?.position).toEqual({ col: 43, row: 3, width: 20, height: 7 });
    expect(region('Canvas').querySelector('.ed-cv-ghost')).toBeNull();
    session.undo();
    expect(widget('txt_hello')?.position).toMatchObject({ col: 40, row: 0 });
  });

  it('moves a widget into a container under the pointer, and back out', async () => {
    await layOut();
    pointer(stage(), 'pointerdown', 450, 30);
    pointer(stage(), 'pointermove', 150, 200);
    pointer(stage(), 'pointerup', 150, 200);
    await settle();
    expect(widget('frm')?.children.map((c) => c.name)).toEqual(['inp_user', 'txt_hello']);
    expect(canvasWidget('frm')?.querySelector('[data-widget="txt_hello"]')).not.toBeNull();
  });

  it('cancels a move on Esc: the widget stays where it was', async () => {
    await layOut();
    pointer(stage(), 'pointerdown', 450, 30);
    pointer(stage(), 'pointermove', 300, 500);
    key(stage(), 'Escape');
    pointer(stage(), 'pointerup', 300, 500);
    await settle();
    expect(widget('txt_hello')?.position).toMatchObject({ col: 40, row: 0 });
    expect(session.canUndo.value).toBe(false);
  });

  it('resizes the selected widget with its handles', async () => {
    await layOut();
    await selectByKeyboard('txt_hello', 'Text');
    const handles = [...region('Canvas').querySelectorAll('[data-handle]')].map((h) => h.getAttribute('data-handle'));
    expect(handles).toEqual(['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw']);
    const se = region('Canvas').querySelector('[data-handle="se"]')!;
    pointer(se, 'pointerdown', 600, 70);
    pointer(stage(), 'pointermove', 648, 92);
    pointer(stage(), 'pointerup', 648, 92);
    await settle();
    expect(widget('txt_hello')?.position).toEqual({ col: 40, row: 0, width: 24, height: 9 });
  });

  it('drops a palette widget into the container under the release point', async () => {
    await layOut();
    const item = get('button', 'Text', region('Widgets'));
    pointer(item, 'pointerdown', 5, 5);
    pointer(item, 'pointermove', 120, 100);
    pointer(item, 'pointerup', 120, 100);
    await settle();
    expect(widget('frm')?.children.map((c) => c.name)).toEqual(['inp_user', 'Text1']);
  });

  it('still frames a widget that is not visible, and says so', async () => {
    await selectByKeyboard('txt_hello', 'Text');
    const box = field('isVisible');
    box.checked = false;
    box.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(canvasWidget('txt_hello')).toBeNull();
    expect(get('button', 'txt_hello (Text), hidden', region('Canvas')).getAttribute('aria-pressed')).toBe('true');
  });
});

describe('the property pane', () => {
  it('shows the page and a hint when nothing is selected', () => {
    expect(region('Properties').textContent).toContain('LoginPage');
    expect(region('Properties').textContent).toContain('Select a widget');
  });

  it('lists every property of the widget’s type, labelled with its name, with a control of its kind', async () => {
    await selectByKeyboard('inp_user', 'Input');
    const labels = [...region('Properties').querySelectorAll('label')].map((l) => l.textContent);
    expect(labels).toEqual([
      'name', 'inputType', 'label', 'placeholderText', 'defaultText', 'isRequired', 'maxChars', 'regex', 'validation',
      'errorMessage', 'isDisabled', 'isVisible', 'onTextChanged', 'onSubmit',
    ]);
    expect(field<HTMLSelectElement>('inputType').tagName).toBe('SELECT');
    expect(field('isRequired').type).toBe('checkbox');
    expect(field('maxChars').type).toBe('number');
    expect(field('onSubmit').tagName).toBe('TEXTAREA');
    expect(get('button', 'JS for label', region('Properties')).getAttribute('aria-pressed')).toBe('false');
  });

  it('applies each keystroke to the canvas, and undoes the typing as one step', async () => {
    await selectByKeyboard('inp_user', 'Input');
    type(field('label'), 'E');
    type(field('label'), 'E-m');
    type(field('label'), 'E-mail');
    await settle();
    expect(widget('inp_user')?.props.label).toBe('E-mail');
    expect(canvasWidget('inp_user')?.querySelector('label')?.textContent).toBe('E-mail');
    session.undo();
    await settle();
    expect(widget('inp_user')?.props.label).toBe('Email');
    expect(field('label').value).toBe('Email');
  });

  it('measures the canvas again after an edit only when geometry can have changed', async () => {
    // What the overlay measures is the page's grid (a forced layout in a browser).
    const spy = vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect');
    const measured = (): number => spy.mock.contexts.filter((el) => el instanceof HTMLElement && el.classList.contains('ed-cv-grid')).length;
    await selectByKeyboard('txt_hello', 'Text');
    const before = measured();
    type(field('text'), 'Hi {{inp_user.text}}');
    await settle();
    expect(canvasWidget('txt_hello')?.textContent).toBe('Hi ');
    expect(measured()).toBe(before);

    // Inside a Form, the Form is built again: its inner grid is measured again.
    await selectByKeyboard('inp_user', 'Input');
    const inForm = measured();
    type(field('label'), 'E-mail');
    await settle();
    expect(measured()).toBeGreaterThan(inForm);

    // A move changes the page's shape: the stage renders and measures.
    await selectByKeyboard('txt_hello', 'Text');
    const moved = measured();
    key(get('button', 'txt_hello (Text)', region('Canvas')), 'ArrowDown');
    await settle();
    expect(widget('txt_hello')?.position.row).toBe(1);
    expect(measured()).toBeGreaterThan(moved);
  });

  it('sets a choice, a toggle and a count', async () => {
    await selectByKeyboard('inp_user', 'Input');
    const select = field<HTMLSelectElement>('inputType');
    select.value = 'PASSWORD';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    const box = field('isRequired');
    box.checked = true;
    box.dispatchEvent(new Event('change', { bubbles: true }));
    type(field('maxChars'), '12');
    type(field('maxChars'), '1.5');
    await settle();
    expect(widget('inp_user')?.props).toMatchObject({ inputType: 'PASSWORD', isRequired: true, maxChars: 12 });
    expect(region('Properties').textContent).toContain('Enter a whole number');
    expect(canvasWidget('inp_user')?.querySelector('input')?.getAttribute('type')).toBe('password');
  });

  it('switches a property to a binding with its JS toggle and shows the value as it is typed', async () => {
    await selectByKeyboard('inp_user', 'Input');
    const toggle = get('button', 'JS for isDisabled', region('Properties'));
    toggle.click();
    await settle();
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(widget('inp_user')?.props.isDisabled).toBe('{{false}}');
    const code = field<HTMLTextAreaElement>('isDisabled');
    // On the way to a binding, text the property cannot hold waits in the field, with why.
    type(code, '{');
    await settle();
    expect(widget('inp_user')?.props.isDisabled).toBe('{{false}}');
    expect(code.value).toBe('{');
    expect(code.getAttribute('aria-invalid')).toBe('true');
    expect(notices).toEqual([]);
    type(code, "{{ txt_hello.text === 'Hello ' }}");
    await settle();
    expect(region('Properties').querySelector('.ed-prop-value')?.textContent).toBe('true');
    type(code, '{{ nope.text }}');
    await settle();
    expect(region('Properties').textContent).toContain('nope is not defined');
    // Back off: the value does not fit a toggle, so the default applies again.
    get('button', 'JS for isDisabled', region('Properties')).click();
    await settle();
    expect(widget('inp_user')?.props.isDisabled).toBeUndefined();
    expect(field('isDisabled').type).toBe('checkbox');
  });

  it('renames a widget and every reference to it; a taken or invalid name is refused with the reason', async () => {
    await selectByKeyboard('inp_user', 'Input');
    type(field('name'), 'txt_hello');
    await settle();
    expect(region('Properties').textContent).toContain('already the name of the widget txt_hello');
    type(field('name'), '1abc');
    key(field('name'), 'Enter');
    await settle();
    expect(widget('inp_user')).toBeDefined();
    expect(region('Properties').textContent).toMatch(/not a valid name/);
    type(field('name'), 'inp_email');
    key(field('name'), 'Enter');
    await settle();
    expect(widget('inp_email')).toBeDefined();
    expect(widget('txt_hello')?.props.text).toBe('Hello {{inp_email.text}}');
    expect(ctx.selection.value).toEqual(['inp_email']);
    expect(field('name').value).toBe('inp_email');
  });

  it('shows the server’s problems at their property', async () => {
    render(null, root);
    root.remove();
    stopKeys();
    session.dispose();
    const at = { file: 'pages/LoginPage.yaml', line: 9, column: 3, page: 'LoginPage', widget: 'inp_user' };
    await mount([
      { ...at, message: '`label` must be text', property: 'label' },
      { ...at, message: 'inp_user is a reserved name', property: 'name' },
    ]);
    await selectByKeyboard('inp_user', 'Input');
    const label = field('label');
    const describedBy = label.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy)?.textContent).toBe('`label` must be text');
    const name = field('name').getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(name)?.textContent).toBe('inp_user is a reserved name');
  });
});
