import { describe, expect, it } from 'vitest';
import * as cmd from '../doc/commands.ts';
import { loginApp } from '../doc/fixture.ts';
import { findPage, findWidget } from '../doc/query.ts';
import type { AppDoc, DraftApi, DraftSnapshot, EditingSession, PutDraftResult } from '../doc/types.ts';
import { journalKey, readJournals, STALE_MS } from './journal.ts';
import type { StorageLike } from './journal.ts';
import { createEditingSession } from './session.ts';
import type { BeforeUnloadLike, SessionOptions, Timers } from './session.ts';

const SLUG = 'custom-auth';

/** The server's side of the draft API: a revision check, and a copy of what it stores, as the
 * real server keeps its own JSON. */
class FakeServer implements DraftApi {
  revision = 1;
  app: AppDoc = loginApp();
  puts: { revision: number; app: AppDoc }[] = [];
  mode: 'up' | 'down' | 'refuse' | 'signedOut' | 'hang' = 'up';

  getDraft(): Promise<DraftSnapshot> {
    return Promise.resolve({ revision: this.revision, app: clone(this.app), problems: [] });
  }

  putDraft(_slug: string, revision: number, app: AppDoc): Promise<PutDraftResult> {
    this.puts.push({ revision, app });
    switch (this.mode) {
      case 'down':
        return Promise.reject(new TypeError('Failed to fetch'));
      case 'refuse':
        return Promise.resolve({ kind: 'refused', status: 400, message: 'The app is too large.' });
      case 'signedOut':
        return Promise.resolve({ kind: 'refused', status: 401, message: 'Sign in first.' });
      case 'hang':
        // The write lands, and the tab closes before the answer arrives.
        this.store(app);
        return new Promise(() => undefined);
      case 'up':
        if (revision !== this.revision) {
          return Promise.resolve({ kind: 'conflict', current: { revision: this.revision, app: clone(this.app), problems: [] } });
        }
        this.store(app);
        return Promise.resolve({ kind: 'saved', revision: this.revision, problems: [] });
    }
  }

  private store(app: AppDoc): void {
    this.app = clone(app);
    this.revision++;
  }
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

class MemoryStorage implements StorageLike {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

/** A clock whose timers run only when the test moves it. */
class ManualClock implements Timers {
  now = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves time forward, running due timers in order and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

class FakeWindow {
  private readonly listeners = new Map<string, Set<(e: BeforeUnloadLike) => void>>();
  addEventListener(type: string, fn: (e: BeforeUnloadLike) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: (e: BeforeUnloadLike) => void): void {
    this.listeners.get(type)?.delete(fn);
  }
  fire(type: string): { prevented: boolean; returnValue?: unknown } {
    const event = {
      prevented: false,
      returnValue: undefined as unknown,
      preventDefault() {
        this.prevented = true;
      },
    };
    for (const fn of this.listeners.get(type) ?? []) fn(event);
    return event;
  }
  count(type: string): number {
    return this.listeners.get(type)?.size ?? 0;
  }
}

interface Tab {
  session: EditingSession;
  window: FakeWindow;
}

async function openTab(server: FakeServer, clock: ManualClock, storage: StorageLike, tabId: string): Promise<Tab> {
  const window = new FakeWindow();
  const options: SessionOptions = { storage, timers: clock, now: () => clock.now, events: window, tabId, retryDelaysMs: [1000, 2000] };
  return { session: await createEditingSession(SLUG, server, options), window };
}

const widgetOf = (doc: AppDoc, page: string, name: string) => findWidget(findPage(doc, page)!, name)?.widget;

describe('autosave', () => {
  it('saves once, 400 ms after the last of several quick changes', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const { session } = await openTab(server, clock, new MemoryStorage(), 'a');
    for (const text of ['S', 'Si', 'Sig']) {
      session.apply(cmd.setProp(session.doc.value, 'LoginPage', 'btn_login', 'text', text));
      await clock.advance(100);
    }
    expect(session.saveState.value).toBe('unsaved');
    await clock.advance(299);
    expect(server.puts).toHaveLength(0);
    await clock.advance(1);
    expect(server.puts).toHaveLength(1);
    expect(server.puts[0]!.revision).toBe(1);
    expect(session.saveState.value).toBe('saved');
    expect(session.revision.value).toBe(2);
    expect(widgetOf(server.app, 'LoginPage', 'btn_login')!.props.text).toBe('Sig');
  });

  it('writes the journal a moment after an edit, before the request, and clears it once the server has everything', async () => {
    const server = new FakeServer();
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const { session } = await openTab(server, clock, storage, 'a');
    const seenAtRequest: (string | null)[] = [];
    const put = server.putDraft.bind(server);
    server.putDraft = (slug, revision, app) => {
      seenAtRequest.push(storage.getItem(journalKey(SLUG)));
      return put(slug, revision, app);
    };
    session.apply(cmd.setPageHidden(session.doc.value, 'Dashboard', false));
    // Written a moment after the edit (not during the keystroke), and before any request.
    expect(readJournals(storage, SLUG).a).toBeUndefined();
    await clock.advance(100);
    expect(readJournals(storage, SLUG).a!.pending).toHaveLength(1);
    await session.flush();
    expect(JSON.parse(seenAtRequest[0]!).tabs.a.pending[0].label).toBe('Show page Dashboard');
    expect(JSON.parse(seenAtRequest[0]!).tabs.a.sent.count).toBe(1);
    expect(storage.getItem(journalKey(SLUG))).toBeNull();
  });

  it('undoes and redoes from one history, and saves each step', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const { session } = await openTab(server, clock, new MemoryStorage(), 'a');
    session.apply(cmd.moveWidget(session.doc.value, 'LoginPage', 'txt_hint', { parent: null, col: 40, row: 10 }));
    session.apply(cmd.setHomePage(session.doc.value, 'Dashboard'));
    expect(session.undoLabel.value).toBe('Set Dashboard as home page');
    session.undo();
    session.undo();
    expect(session.canUndo.value).toBe(false);
    expect(session.redoLabel.value).toBe('Move txt_hint');
    expect(session.doc.value).toEqual(loginApp());
    session.redo();
    await session.flush();
    expect(widgetOf(server.app, 'LoginPage', 'txt_hint')!.position.col).toBe(40);
    expect(server.app.homePage).toBe('LoginPage');
    expect(session.canRedo.value).toBe(true);
  });

  it('forgets an undo step another tab made impossible, and the steps under it still undo', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const a = (await openTab(server, clock, storage, 'a')).session;
    const b = (await openTab(server, clock, storage, 'b')).session;
    a.apply(cmd.setAppName(a.doc.value, 'Renamed by a'));
    a.apply(cmd.setProp(a.doc.value, 'LoginPage', 'txt_hint', 'text', 'From a'));
    await a.flush();
    b.apply(cmd.deleteWidgets(b.doc.value, 'LoginPage', ['txt_hint']));
    await b.flush();
    a.apply(cmd.setPageHidden(a.doc.value, 'Dashboard', false));
    await a.flush();
    expect(widgetOf(a.doc.value, 'LoginPage', 'txt_hint')).toBeUndefined();
    a.undo();
    expect(() => a.undo()).toThrowError('"Set text of txt_hint" cannot be undone any more: There is no widget txt_hint on page LoginPage.');
    expect(a.undoLabel.value).toBe('Rename the app to Renamed by a');
    a.undo();
    await a.flush();
    expect(server.app.name).toBe('Custom auth');
  });

  it('refuses a change that does not apply and changes nothing', async () => {
    const server = new FakeServer();
    const { session } = await openTab(server, new ManualClock(), new MemoryStorage(), 'a');
    const before = session.doc.value;
    expect(() => session.apply({ label: 'Bad', ops: [{ kind: 'removePage', name: 'Nope' }] })).toThrowError('There is no page Nope.');
    expect(session.doc.value).toBe(before);
    expect(session.canUndo.value).toBe(false);
    expect(session.saveState.value).toBe('saved');
  });
});

describe('two tabs on one app', () => {
  it('rebases the second write on the first, and both edits reach the server', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const a = (await openTab(server, clock, storage, 'a')).session;
    const b = (await openTab(server, clock, storage, 'b')).session;
    a.apply(cmd.setProp(a.doc.value, 'LoginPage', 'btn_login', 'text', 'Sign in'));
    b.apply(cmd.moveWidget(b.doc.value, 'LoginPage', 'txt_hint', { parent: null, col: 40, row: 0 }));
    await a.flush();
    await b.flush();
    expect(server.puts.map((p) => p.revision)).toEqual([1, 1, 2]);
    expect(widgetOf(server.app, 'LoginPage', 'btn_login')!.props.text).toBe('Sign in');
    expect(widgetOf(server.app, 'LoginPage', 'txt_hint')!.position.col).toBe(40);
    expect(b.saveState.value).toBe('saved');
    expect(b.doc.value).toEqual(server.app);
    // The first tab's next write conflicts in turn and keeps the second tab's edit.
    a.apply(cmd.setPageHidden(a.doc.value, 'Dashboard', false));
    await a.flush();
    expect(widgetOf(server.app, 'LoginPage', 'txt_hint')!.position.col).toBe(40);
    expect(findPage(server.app, 'Dashboard')!.hidden).toBe(false);
    expect(storage.getItem(journalKey(SLUG))).toBeNull();
  });

  it('keeps both widgets when both tabs add one with the same name, and undo follows the new name', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const a = (await openTab(server, clock, storage, 'a')).session;
    const b = (await openTab(server, clock, storage, 'b')).session;
    a.apply(cmd.addWidget(a.doc.value, 'Dashboard', 'Button', null));
    b.apply(cmd.addWidget(b.doc.value, 'Dashboard', 'Button', null));
    b.apply(cmd.setProp(b.doc.value, 'Dashboard', 'Button1', 'text', 'From b'));
    await a.flush();
    await b.flush();
    expect(b.saveState.value).toBe('saved');
    expect(widgetOf(server.app, 'Dashboard', 'Button1')!.props.text).toBe('Submit');
    expect(widgetOf(server.app, 'Dashboard', 'Button2')!.props.text).toBe('From b');
    b.undo();
    b.undo();
    await b.flush();
    expect(widgetOf(server.app, 'Dashboard', 'Button1')).toBeDefined();
    expect(widgetOf(server.app, 'Dashboard', 'Button2')).toBeUndefined();
  });

  it('keeps a change that no longer applies, names it, and saves the rest', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const a = (await openTab(server, clock, storage, 'a')).session;
    const b = (await openTab(server, clock, storage, 'b')).session;
    a.apply(cmd.deleteWidgets(a.doc.value, 'LoginPage', ['txt_hint']));
    await a.flush();
    b.apply(cmd.setProp(b.doc.value, 'LoginPage', 'txt_hint', 'text', 'Welcome'));
    b.apply(cmd.setAppName(b.doc.value, 'Portal'));
    await b.flush();
    expect(b.saveState.value).toBe('conflict');
    expect(b.saveMessage.value).toContain('"Set text of txt_hint" (There is no widget txt_hint on page LoginPage.)');
    expect(server.app.name).toBe('Portal');
    expect(b.notApplied!.value.map((n) => n.change.label)).toEqual(['Set text of txt_hint']);
    expect(readJournals(storage, SLUG).b!.notApplied).toHaveLength(1);
    b.dismissNotApplied!();
    expect(b.saveState.value).toBe('saved');
    expect(b.saveMessage.value).toBe('');
    expect(storage.getItem(journalKey(SLUG))).toBeNull();
  });
});

describe('offline and refused writes', () => {
  it('goes offline, retries with backoff, and saves at once when the browser is online again', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const { session, window } = await openTab(server, clock, storage, 'a');
    server.mode = 'down';
    session.apply(cmd.setAppName(session.doc.value, 'Offline edit'));
    await clock.advance(400);
    expect(session.saveState.value).toBe('offline');
    expect(session.saveMessage.value).toMatch(/cannot be reached/);
    await clock.advance(1000);
    expect(server.puts).toHaveLength(2);
    await clock.advance(1999);
    expect(server.puts).toHaveLength(2);
    await clock.advance(1);
    expect(server.puts).toHaveLength(3);
    expect(readJournals(storage, SLUG).a!.pending).toHaveLength(1);
    server.mode = 'up';
    window.fire('online');
    await clock.advance(0);
    expect(session.saveState.value).toBe('saved');
    expect(session.saveMessage.value).toBe('');
    expect(server.app.name).toBe('Offline edit');
  });

  it('shows a refusal with the server\'s message and keeps the changes for the next try', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const { session } = await openTab(server, clock, new MemoryStorage(), 'a');
    server.mode = 'refuse';
    session.apply(cmd.setAppName(session.doc.value, 'Refused'));
    await session.flush();
    expect(session.saveState.value).toBe('error');
    expect(session.saveMessage.value).toBe('The server refused to save: The app is too large.');
    server.mode = 'up';
    await session.flush();
    expect(session.saveState.value).toBe('saved');
    expect(server.app.name).toBe('Refused');
  });

  it('says the builder is signed out on a 401, keeps every change without retrying, and saves them all on flush', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const { session } = await openTab(server, clock, storage, 'a');
    session.apply(cmd.setAppName(session.doc.value, 'Before'));
    await session.flush();
    server.mode = 'signedOut';
    session.apply(cmd.setPageHidden(session.doc.value, 'Dashboard', false));
    await clock.advance(400);
    expect(session.saveState.value).toBe('signedOut');
    expect(session.saveMessage.value).toMatch(/Sign in again to save/);
    const puts = server.puts.length;
    // A change made meanwhile is kept and journaled, and sends nothing (it would be refused).
    session.apply(cmd.setAppName(session.doc.value, 'After'));
    await clock.advance(60_000);
    expect(server.puts).toHaveLength(puts);
    expect(session.saveState.value).toBe('signedOut');
    expect(readJournals(storage, SLUG).a!.pending.map((c) => c.label)).toEqual(['Show page Dashboard', 'Rename the app to After']);
    expect(session.undoLabel.value).toBe('Rename the app to After');
    // Signed in again: one flush saves both.
    server.mode = 'up';
    await session.flush();
    expect(session.saveState.value).toBe('saved');
    expect(session.saveMessage.value).toBe('');
    expect(server.app.name).toBe('After');
    expect(findPage(server.app, 'Dashboard')!.hidden).toBe(false);
    expect(storage.getItem(journalKey(SLUG))).toBeNull();
    expect(session.canUndo.value).toBe(true);
  });

  it('asks before the tab closes while anything is not saved', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const { session, window } = await openTab(server, clock, new MemoryStorage(), 'a');
    expect(window.fire('beforeunload').prevented).toBe(false);
    session.apply(cmd.setAppName(session.doc.value, 'x'));
    expect(window.fire('beforeunload').prevented).toBe(true);
    await session.flush();
    expect(window.fire('beforeunload').prevented).toBe(false);
    session.dispose();
    expect(window.count('beforeunload') + window.count('online') + window.count('pagehide')).toBe(0);
  });
});

describe('a closed tab', () => {
  it('leaves its unsaved changes to the next session, which re-applies and saves them', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    server.mode = 'down';
    const first = await openTab(server, clock, storage, 'a');
    first.session.apply(cmd.addWidget(first.session.doc.value, 'Dashboard', 'Button', null));
    first.session.apply(cmd.setProp(first.session.doc.value, 'Dashboard', 'Button1', 'text', 'Refresh'));
    await clock.advance(400);
    first.window.fire('pagehide');
    first.session.dispose();
    server.mode = 'up';
    const second = (await openTab(server, clock, storage, 'b')).session;
    expect(second.saveMessage.value).toBe('2 unsaved changes from an earlier visit were re-applied and will be saved.');
    expect(widgetOf(second.doc.value, 'Dashboard', 'Button1')!.props.text).toBe('Refresh');
    await clock.advance(0);
    expect(second.saveState.value).toBe('saved');
    expect(widgetOf(server.app, 'Dashboard', 'Button1')!.props.text).toBe('Refresh');
    expect(storage.getItem(journalKey(SLUG))).toBeNull();
  });

  it('does not apply twice a write that landed before the tab closed', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const storage = new MemoryStorage();
    const first = (await openTab(server, clock, storage, 'a')).session;
    server.mode = 'hang';
    first.apply(cmd.addWidget(first.doc.value, 'Dashboard', 'Text', null));
    await clock.advance(400);
    first.dispose();
    server.mode = 'up';
    const second = (await openTab(server, clock, storage, 'b')).session;
    expect(second.saveState.value).toBe('saved');
    expect(second.notApplied!.value).toEqual([]);
    expect(findPage(second.doc.value, 'Dashboard')!.widgets.map((w) => w.name)).toEqual(['txt_welcome', 'Text1']);
  });

  it('never adopts the changes of a tab that is still open, until it stops answering', async () => {
    const server = new FakeServer();
    const storage = new MemoryStorage();
    // The first tab's timers never run after this: it froze or crashed, without a pagehide.
    const frozen = new ManualClock();
    const clock = new ManualClock();
    server.mode = 'down';
    const first = (await openTab(server, frozen, storage, 'a')).session;
    first.apply(cmd.setAppName(first.doc.value, 'From a'));
    await first.flush();
    server.mode = 'up';
    const second = (await openTab(server, clock, storage, 'b')).session;
    expect(second.doc.value.name).toBe('Custom auth');
    await clock.advance(STALE_MS - 20_000);
    expect(second.doc.value.name).toBe('Custom auth');
    expect(readJournals(storage, SLUG).a!.pending).toHaveLength(1);
    await clock.advance(30_000);
    expect(second.doc.value.name).toBe('From a');
    expect(server.app.name).toBe('From a');
    expect(storage.getItem(journalKey(SLUG))).toBeNull();
  });
});
