// @vitest-environment happy-dom
/**
 * The top bar over a real editing session: the save state in words, Undo and Redo enabled only
 * when there is something to undo or redo, with the label and the shortcut in their titles.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPage } from '../doc/commands.ts';
import { loginApp } from '../doc/fixture.ts';
import { CommandRegistry } from '../doc/registry.ts';
import type { DraftApi, EditingSession } from '../doc/types.ts';
import { createEditingSession } from '../save/session.ts';
import { EditorCtx, type EditorContext } from './context.ts';
import { registerAppCommands } from './shell/appCommands.ts';
import { createScreenState } from './shell/screenState.ts';
import { saveStateText, TopBar } from './TopBar.tsx';

const memoryApi: DraftApi = {
  getDraft: () => Promise.resolve({ revision: 1, app: loginApp(), problems: [] }),
  putDraft: (_slug, revision) => Promise.resolve({ kind: 'saved', revision: revision + 1, problems: [] }),
};

let root: HTMLElement;
let session: EditingSession;

beforeEach(async () => {
  session = await createEditingSession('custom-auth', memoryApi, {
    storage: null,
    events: null,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  const screen = createScreenState();
  const commands = new CommandRegistry<EditorContext>({ mac: false });
  const ctx: EditorContext = {
    slug: 'custom-auth',
    session,
    currentPage: signal('LoginPage'),
    selection: signal([]),
    commands,
    notify: () => undefined,
  };
  registerAppCommands(commands, screen);
  root = document.createElement('div');
  document.body.append(root);
  render(
    <EditorCtx.Provider value={ctx}>
      <TopBar screen={screen} builder={{ id: '1', email: 'b@example.com', role: 'admin' }} />
    </EditorCtx.Provider>,
    root,
  );
});

afterEach(() => {
  render(null, root);
  root.remove();
  session.dispose();
});

const button = (name: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === name)!;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('TopBar', () => {
  it('shows the app, the save state as a status, and disabled Undo and Redo on a fresh session', () => {
    expect(root.querySelector('h1')?.textContent).toBe('Custom auth');
    expect(root.querySelector('[role="status"]')?.textContent).toBe('All changes saved');
    expect(button('Undo').disabled).toBe(true);
    expect(button('Undo').title).toBe('Nothing to undo (Ctrl+Z)');
    expect(button('Redo').disabled).toBe(true);
    for (const name of ['Versions', 'Preview', 'Publish']) expect(button(name)).toBeDefined();
  });

  it('enables Undo after a change, names it in the title, and undoes and redoes it', async () => {
    session.apply(addPage(session.doc.value, 'Reports'));
    await settle();
    expect(button('Undo').disabled).toBe(false);
    expect(button('Undo').title).toBe('Undo Add page Reports (Ctrl+Z)');
    button('Undo').click();
    await settle();
    expect(session.doc.value.pages.map((p) => p.name)).not.toContain('Reports');
    expect(button('Redo').title).toBe('Redo Add page Reports (Ctrl+Shift+Z)');
    button('Redo').click();
    await settle();
    expect(session.doc.value.pages.map((p) => p.name)).toContain('Reports');
  });

  it('renames the app in place (Enter keeps it, undoably), and Esc leaves it as it was', async () => {
    root.querySelector<HTMLButtonElement>('button[aria-label="Rename app"]')!.click();
    await settle();
    let field = root.querySelector<HTMLInputElement>('input[aria-label="App name"]')!;
    expect(document.activeElement).toBe(field);
    field.value = 'Not kept';
    field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(root.querySelector('h1')?.textContent).toBe('Custom auth');

    root.querySelector<HTMLButtonElement>('button[aria-label="Rename app"]')!.click();
    await settle();
    field = root.querySelector<HTMLInputElement>('input[aria-label="App name"]')!;
    field.value = 'Staff portal';
    field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(root.querySelector('h1')?.textContent).toBe('Staff portal');
    expect(session.doc.value.name).toBe('Staff portal');
    button('Undo').click();
    await settle();
    expect(root.querySelector('h1')?.textContent).toBe('Custom auth');
  });

  it('says in words what each save state means', () => {
    expect(saveStateText('saving', '')).toBe('Saving…');
    expect(saveStateText('offline', '')).toBe('Offline — changes kept in this browser');
    expect(saveStateText('conflict', 'Another tab deleted frm_login.')).toBe('Conflict: Another tab deleted frm_login.');
    expect(saveStateText('error', 'Too large')).toMatch(/^Not saved: Too large/);
  });
});
