// @vitest-environment happy-dom
/**
 * The top bar over a real editing session: the save state in words, Undo and Redo enabled only
 * when there is something to undo or redo, with the label and the shortcut in their titles; the
 * changes a conflict left out, listed and dismissed; an undo another tab made impossible, told
 * as a notice instead of thrown.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addPage, deleteWidgets, setProp } from '../doc/commands.ts';
import { loginApp } from '../doc/fixture.ts';
import { CommandRegistry } from '../doc/registry.ts';
import type { DraftApi, EditingSession } from '../doc/types.ts';
import { createEditingSession } from '../save/session.ts';
import { EditorCtx, type EditorContext } from './context.ts';
import { registerAppCommands } from './shell/appCommands.ts';
import { editorKeyHandler } from './shell/keys.ts';
import { createScreenState, type ScreenState } from './shell/screenState.ts';
import { saveStateText, TopBar } from './TopBar.tsx';

const memoryApi: DraftApi = {
  getDraft: () => Promise.resolve({ revision: 1, app: loginApp(), problems: [] }),
  putDraft: (_slug, revision) => Promise.resolve({ kind: 'saved', revision: revision + 1, problems: [] }),
};

/** A server on which another tab deleted txt_hint before this tab's first write landed. */
const conflictApi = (): DraftApi => {
  let revision = 1;
  return {
    getDraft: () => Promise.resolve({ revision, app: loginApp(), problems: [] }),
    putDraft: (_slug, base) => {
      if (base === 1) {
        revision = 2;
        const app = loginApp();
        const current = { revision, app: { ...app, pages: app.pages.map((p) => ({ ...p, widgets: p.widgets.filter((w) => w.name !== 'txt_hint') })) }, problems: [] };
        return Promise.resolve({ kind: 'conflict', current });
      }
      revision = base + 1;
      return Promise.resolve({ kind: 'saved', revision, problems: [] });
    },
  };
};

let root: HTMLElement;
let session: EditingSession;
let ctx: EditorContext;
let screen: ScreenState;
let notify: ReturnType<typeof vi.fn<(message: string) => void>>;

async function mount(api: DraftApi): Promise<void> {
  session = await createEditingSession('custom-auth', api, {
    storage: null,
    events: null,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  screen = createScreenState();
  const commands = new CommandRegistry<EditorContext>({ mac: false });
  notify = vi.fn<(message: string) => void>();
  ctx = {
    slug: 'custom-auth',
    session,
    currentPage: signal('LoginPage'),
    open: signal(null),
    selection: signal([]),
    commands,
    notify,
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
}

afterEach(() => {
  render(null, root);
  root.remove();
  session.dispose();
});

const button = (name: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === name)!;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('TopBar', () => {
  beforeEach(() => mount(memoryApi));

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

describe('TopBar after a conflict', () => {
  beforeEach(() => mount(conflictApi()));

  const status = () => root.querySelector('[role="status"]')?.textContent;
  const notApplied = () => root.querySelector<HTMLElement>('section[aria-label="Changes not applied"]');

  it('lists the changes not applied by label and reason, says so in the status, and dismisses them', async () => {
    session.apply(setProp(session.doc.value, 'LoginPage', 'txt_hint', 'text', 'Welcome'));
    session.apply(addPage(session.doc.value, 'Reports'));
    await session.flush();
    await settle();
    expect(status()).toBe('Conflict: 1 change not applied');
    // The list opened by itself, next to the status.
    expect(button('1 change not applied').getAttribute('aria-expanded')).toBe('true');
    const items = [...notApplied()!.querySelectorAll('li')].map((li) => li.textContent);
    expect(items).toEqual(['Set text of txt_hint: There is no widget txt_hint on page LoginPage.']);
    // Closed and opened again with its button.
    button('1 change not applied').click();
    await settle();
    expect(notApplied()).toBeNull();
    button('1 change not applied').click();
    await settle();
    notApplied()!.querySelector('button')!.click();
    await settle();
    expect(session.notApplied!.value).toEqual([]);
    expect(notApplied()).toBeNull();
    expect(root.textContent).not.toContain('not applied');
    expect(status()).toBe('All changes saved');
  });

  it('counts the changes not applied in any other save state too', () => {
    expect(saveStateText('offline', '', 2)).toBe('Offline — changes kept in this browser · 2 changes not applied');
    expect(saveStateText('signedOut', '', 0)).toBe('Not saved: you are signed out (changes kept in this browser)');
  });

  it('tells the builder, never throws, when an undo cannot apply any more (button and keyboard)', async () => {
    session.apply(setProp(session.doc.value, 'LoginPage', 'txt_hint', 'text', 'One'));
    session.apply(setProp(session.doc.value, 'LoginPage', 'txt_hint', 'isVisible', false));
    // Saved on top of the other tab's draft, which has no txt_hint: both undo steps are stale.
    await session.flush();
    await settle();
    session.dismissNotApplied!();
    session.apply(deleteWidgets(session.doc.value, 'LoginPage', ['btn_login']));
    button('Undo').click();
    await settle();
    expect(notify).not.toHaveBeenCalled();
    button('Undo').click();
    await settle();
    expect(notify).toHaveBeenLastCalledWith(expect.stringMatching(/^"Set isVisible of txt_hint" cannot be undone any more: There is no widget txt_hint/));
    const onKey = editorKeyHandler(ctx, screen);
    document.addEventListener('keydown', onKey);
    try {
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true, cancelable: true }));
    } finally {
      document.removeEventListener('keydown', onKey);
    }
    expect(notify).toHaveBeenCalledTimes(2);
    expect(notify).toHaveBeenLastCalledWith(expect.stringMatching(/^"Set text of txt_hint" cannot be undone any more/));
    // Both stale steps are gone; nothing else was undone.
    expect(session.canUndo.value).toBe(false);
    expect(session.doc.value.pages[0]!.widgets[0]!.children.map((w) => w.name)).toEqual(['inp_username', 'inp_password', 'btn_login']);
  });
});
