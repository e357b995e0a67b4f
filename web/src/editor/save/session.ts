/**
 * An editing session: one app's document, its undo history and its autosave.
 *
 * Every change is applied locally at once (the canvas never waits for the network), recorded
 * for undo, written to the journal in localStorage, and saved ~400 ms after the last change as
 * a `PUT` of the whole draft naming the revision it was built on.
 *
 * What can go wrong, and what happens — an edit is never silently lost:
 * - 409 (another tab or builder saved first): the server's current draft is taken and the
 *   unacknowledged changes are re-applied on top of it (a rebase, `rebase.ts`: a widget both
 *   tabs named "Text1" gets a fresh name); those that no longer apply (their widget was deleted
 *   meanwhile…) are listed by name in the message, kept in the journal as "not applied", and
 *   the state is `conflict` until the builder dismisses them.
 * - The server cannot be reached: `offline`; retried with backoff, and at once when the
 *   browser says it is online again.
 * - The server refuses the write (4xx): `error` with its message; the changes stay pending and
 *   the next change or `flush` tries again.
 * - The server answers 401 (the builder's session expired, was revoked, or ended in another
 *   tab): `signedOut`. Changes stay pending and journaled, later changes too, and nothing is
 *   sent until `flush` (the screen signs the builder in again, then flushes), so the undo
 *   history and the document stay as they are.
 * - The tab is closed (or crashes): its journal entry is adopted by the next session of the
 *   app, in this tab or another, re-applied onto the draft and saved; the builder is told
 *   (`journal.ts`). Closing while not `saved` asks first (`beforeunload`).
 * - An undo step whose widget another tab deleted is dropped with a sentence (OpError), so
 *   the steps under it can still be undone.
 *
 * Storage, timers, the clock and the window's events are injected, so all of this runs in
 * tests without a browser.
 */

import { computed, signal } from '@preact/signals';
import type { ReadonlySignal, Signal } from '@preact/signals';
import { History } from '../doc/history.ts';
import { OpError } from '../doc/errors.ts';
import { applyChange, applyWithInverse } from '../doc/ops.ts';
import type {
  AppDoc,
  Change,
  DraftApi,
  DraftSnapshot,
  EditingSession,
  NotAppliedChange,
  Problem,
  PutDraftResult,
  SaveState,
} from '../doc/types.ts';
import { HEARTBEAT_MS, adoptAbandoned, digest, writeJournal } from './journal.ts';
import { rebaseChanges, renameInChange } from './rebase.ts';
import type { RebaseResult } from './rebase.ts';
import type { Journal, StorageLike } from './journal.ts';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The window's events the session listens to (`online`, `beforeunload`). */
export interface WindowEvents {
  addEventListener(type: string, listener: (event: BeforeUnloadLike) => void): void;
  removeEventListener(type: string, listener: (event: BeforeUnloadLike) => void): void;
}

export interface BeforeUnloadLike {
  preventDefault(): void;
  returnValue?: unknown;
}

export interface SessionOptions {
  /** localStorage by default; null: no journal (nothing survives the tab). */
  readonly storage?: StorageLike | null;
  readonly timers?: Timers;
  readonly now?: () => number;
  /** window by default; null: no listeners. */
  readonly events?: WindowEvents | null;
  /** Delay of the autosave after the last change (ms). */
  readonly debounceMs?: number;
  /** Delays between retries while offline (ms); the last one repeats. */
  readonly retryDelaysMs?: readonly number[];
  /** This session's entry in the journal (random by default). */
  readonly tabId?: string;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];
/** How long after an edit the journal is written (see `saveJournalSoon`). */
const JOURNAL_DELAY_MS = 100;

export async function createEditingSession(slug: string, api: DraftApi, options: SessionOptions = {}): Promise<EditingSession> {
  const snapshot = await api.getDraft(slug);
  return new Session(slug, api, snapshot, options);
}

class Session implements EditingSession {
  readonly doc: Signal<AppDoc>;
  readonly revision: Signal<number>;
  readonly saveState = signal<SaveState>('saved');
  readonly saveMessage = signal('');
  readonly problems: Signal<readonly Problem[]>;
  readonly notApplied = signal<readonly NotAppliedChange[]>([]);
  /** Bumped at each change of the history, which is a plain object, so the computeds below
   * re-read it. */
  private readonly historyVersion = signal(0);
  readonly canUndo = this.fromHistory((h) => h.canUndo);
  readonly canRedo = this.fromHistory((h) => h.canRedo);
  readonly undoLabel = this.fromHistory((h) => h.undoLabel);
  readonly redoLabel = this.fromHistory((h) => h.redoLabel);
  /** What the message is about: an offline or error message goes once a save succeeds, a note
   * (re-applied changes) at the next change, a conflict when the builder dismisses it. */
  private messageKind: 'offline' | 'error' | 'signedOut' | 'note' | 'conflict' | 'storage' | null = null;

  private readonly history = new History();
  private readonly storage: StorageLike | null;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly events: WindowEvents | null;
  private readonly debounceMs: number;
  private readonly retryDelays: readonly number[];

  /** The revision the pending changes are built on. */
  private baseRevision: number;
  /** Changes applied locally that the server has not acknowledged, oldest first. */
  private pending: Change[] = [];
  private timer: unknown = null;
  private retryAttempt = 0;
  private inFlight: Promise<void> | null = null;
  private disposed = false;
  private journalFailed = false;
  /** A journal write scheduled by `saveJournalSoon`. */
  private journalTimer: ReturnType<Timers['setTimeout']> | null = null;
  private heartbeat: unknown = null;
  /** What the write request in flight carried, until it is answered (for the journal). */
  private sending: Journal['sent'] | undefined;
  private readonly tabId: string;

  constructor(
    private readonly slug: string,
    private readonly api: DraftApi,
    snapshot: DraftSnapshot,
    options: SessionOptions,
  ) {
    this.doc = signal<AppDoc>(snapshot.app);
    this.revision = signal(snapshot.revision);
    this.problems = signal<readonly Problem[]>(snapshot.problems);
    this.baseRevision = snapshot.revision;
    this.storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    this.now = options.now ?? (() => Date.now());
    this.events = options.events === undefined ? defaultEvents() : options.events;
    this.debounceMs = options.debounceMs ?? 400;
    this.retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.tabId = options.tabId ?? randomId();
    this.events?.addEventListener('online', this.onOnline);
    this.events?.addEventListener('beforeunload', this.onBeforeUnload);
    this.events?.addEventListener('pagehide', this.onPageHide);
    this.adoptJournals(snapshot);
    this.beat();
  }

  // ---- editing ----------------------------------------------------------------------------

  apply(change: Change): void {
    if (change.ops.length === 0) return;
    const { doc, inverse } = applyWithInverse(this.doc.peek(), change);
    this.history.record(change, inverse, this.now());
    this.commit(change, doc);
  }

  undo(): void {
    const step = this.history.peekUndo();
    if (!step) return;
    let doc: AppDoc;
    try {
      doc = applyChange(this.doc.peek(), step.inverse);
    } catch (e) {
      // Another tab changed what the step touched (deleted the widget it would restore…):
      // the step is forgotten, so the steps under it can still be undone, and the builder
      // is told why.
      throw this.stale('undo', step.change.label, e);
    }
    this.history.undone();
    this.commit(step.inverse, doc);
  }

  redo(): void {
    const step = this.history.peekRedo();
    if (!step) return;
    let result: ReturnType<typeof applyWithInverse>;
    try {
      result = applyWithInverse(this.doc.peek(), step.change);
    } catch (e) {
      throw this.stale('redo', step.change.label, e);
    }
    this.history.redone(result.inverse);
    this.commit(step.change, result.doc);
  }

  private stale(which: 'undo' | 'redo', label: string, e: unknown): unknown {
    if (!(e instanceof OpError)) return e;
    this.history.drop(which);
    this.historyVersion.value++;
    return new OpError(`"${label}" cannot be ${which === 'undo' ? 'undone' : 'redone'} any more: ${e.message}`);
  }

  private fromHistory<T>(read: (h: History) => T): ReadonlySignal<T> {
    return computed(() => {
      void this.historyVersion.value;
      return read(this.history);
    });
  }

  private setMessage(kind: Session['messageKind'], text: string): void {
    this.messageKind = kind;
    this.saveMessage.value = text;
  }

  private commit(change: Change, doc: AppDoc): void {
    if (this.messageKind === 'note') this.setMessage(null, '');
    this.doc.value = doc;
    this.pending.push(change);
    this.historyVersion.value++;
    this.saveJournalSoon();
    const state = this.saveState.peek();
    // Signed out: the change waits with the others for the builder to sign in again.
    if (state !== 'saving' && state !== 'signedOut') this.saveState.value = 'unsaved';
    this.schedule(this.debounceMs);
  }

  dismissNotApplied(): void {
    this.notApplied.value = [];
    this.saveJournal();
    if (this.saveState.peek() === 'conflict') this.saveState.value = this.pending.length > 0 ? 'unsaved' : 'saved';
    if (this.messageKind === 'conflict') this.setMessage(null, '');
  }

  // ---- saving -----------------------------------------------------------------------------

  flush(): Promise<void> {
    this.cancelTimer();
    return this.save();
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    // Without a session every write would be refused again: only `flush` tries.
    if (this.disposed || this.saveState.peek() === 'signedOut') return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.save();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs the save loop, or joins the one running (which picks up changes made meanwhile). */
  private save(): Promise<void> {
    if (this.inFlight) {
      // The running loop ends when nothing is pending, so what was added is included; chain
      // once more in case it ended in between.
      return this.inFlight.then(() => (this.pending.length > 0 && this.canWrite() ? this.save() : undefined));
    }
    this.inFlight = this.saveLoop().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private canWrite(): boolean {
    const s = this.saveState.peek();
    return !this.disposed && s !== 'offline' && s !== 'error' && s !== 'signedOut';
  }

  private async saveLoop(): Promise<void> {
    while (this.pending.length > 0 && !this.disposed) {
      const count = this.pending.length;
      const sent = this.doc.peek();
      // The journal is written before the request, so nothing the request carries exists
      // only in memory.
      this.sending = { count, digest: digest(sent) };
      this.saveJournal();
      this.saveState.value = 'saving';
      let result: PutDraftResult;
      try {
        result = await this.api.putDraft(this.slug, this.baseRevision, sent);
      } catch {
        result = { kind: 'offline' };
      }
      this.sending = undefined;
      if (this.disposed) return;
      switch (result.kind) {
        case 'saved':
          this.retryAttempt = 0;
          this.baseRevision = result.revision;
          this.revision.value = result.revision;
          this.problems.value = result.problems;
          this.pending.splice(0, count);
          this.saveJournal();
          if (this.messageKind === 'offline' || this.messageKind === 'error' || this.messageKind === 'signedOut') this.setMessage(null, '');
          break;
        case 'conflict':
          this.retryAttempt = 0;
          this.rebase(result.current);
          break;
        case 'offline':
          this.saveState.value = 'offline';
          this.setMessage('offline', 'The server cannot be reached. Your changes are kept in this browser and will be saved when it is back.');
          this.saveJournal();
          this.schedule(this.retryDelays[Math.min(this.retryAttempt, this.retryDelays.length - 1)] ?? 30_000);
          this.retryAttempt++;
          return;
        case 'refused':
          if (result.status === 401) {
            this.saveState.value = 'signedOut';
            this.setMessage('signedOut', 'Your session has ended. Sign in again to save; your changes are kept in this browser.');
            this.saveJournal();
            return;
          }
          this.saveState.value = 'error';
          this.setMessage('error', `The server refused to save: ${result.message}`);
          this.saveJournal();
          return;
      }
    }
    if (this.disposed) return;
    if (this.notApplied.peek().length > 0) {
      this.saveState.value = 'conflict';
    } else {
      this.saveState.value = 'saved';
      if (this.journalFailed && this.messageKind === null) {
        this.setMessage('storage', 'This browser does not let the editor keep unsaved changes (storage is full or blocked).');
      }
    }
  }

  /**
   * Takes the server's current draft and re-applies the pending changes on top of it
   * (`rebase.ts`); those that do not apply any more move to "not applied", named in the
   * message.
   */
  private rebase(current: DraftSnapshot): void {
    const result = this.replay(current.app, this.pending, true);
    this.pending = [...result.applied];
    this.baseRevision = current.revision;
    this.revision.value = current.revision;
    this.problems.value = current.problems;
    this.doc.value = result.doc;
    if (result.failed.length > 0) {
      const these = result.failed.length === 1 ? 'This change' : 'These changes';
      this.setMessage('conflict', `Another tab or builder changed this app meanwhile. ${these} could not be re-applied: ${describe(result.failed)}`);
      this.saveState.value = 'conflict';
    }
    this.saveJournal();
  }

  /** Replays changes on `doc`; failures join `notApplied`. When the changes are this session's
   * own (`ours`), renames of collided names reach its undo history too. */
  private replay(doc: AppDoc, changes: readonly Change[], ours: boolean): RebaseResult {
    const result = rebaseChanges(doc, changes);
    if (ours && (result.renames.widgets.size > 0 || result.renames.pages.size > 0)) {
      this.history.remap((c) => renameInChange(c, result.renames));
      this.historyVersion.value++;
    }
    if (result.failed.length > 0) this.notApplied.value = [...this.notApplied.peek(), ...result.failed];
    return result;
  }

  /**
   * Adopts the journal entries of sessions of this app that ended without saving everything
   * (a closed tab, a crash, a builder who left while offline): their changes are re-applied on
   * the current document and saved, and the builder is told. `snapshot`: the draft just
   * fetched, at start (to tell whether an entry's last write landed after all).
   */
  private adoptJournals(snapshot?: DraftSnapshot): void {
    if (!this.storage) return;
    const journals = adoptAbandoned(this.storage, this.slug, this.tabId, this.now());
    if (journals.length === 0) return;
    const earlier: NotAppliedChange[] = [];
    const changes: Change[] = [];
    for (const journal of journals) {
      // The entry's last write may have landed before its tab closed: then the draft is what
      // was sent, and those changes must not be applied twice.
      const landed = snapshot && journal.sent && snapshot.revision !== journal.baseRevision && digest(snapshot.app) === journal.sent.digest;
      changes.push(...(landed && journal.sent ? journal.pending.slice(journal.sent.count) : journal.pending));
      earlier.push(...journal.notApplied);
    }
    this.notApplied.value = [...this.notApplied.peek(), ...earlier];
    const result = this.replay(this.doc.peek(), changes, false);
    this.pending.push(...result.applied);
    const adopted = result.applied.length;
    const failed = [...earlier, ...result.failed];
    this.doc.value = result.doc;
    const notes: string[] = [];
    if (adopted > 0) {
      notes.push(`${adopted} unsaved ${adopted === 1 ? 'change' : 'changes'} from an earlier visit ${adopted === 1 ? 'was' : 'were'} re-applied and will be saved.`);
    }
    if (failed.length > 0) {
      notes.push(`${failed.length === 1 ? 'A change' : 'Changes'} from an earlier visit could not be re-applied: ${describe(failed)}`);
      this.saveState.value = 'conflict';
    } else if (adopted > 0 && this.saveState.peek() === 'saved') {
      this.saveState.value = 'unsaved';
    }
    this.setMessage(failed.length > 0 ? 'conflict' : 'note', notes.join(' '));
    this.saveJournal();
    if (adopted > 0) this.schedule(0);
  }

  /** Refreshes this session's journal entry (so no other tab adopts it) and adopts entries
   * of sessions that are gone, every HEARTBEAT_MS. */
  private beat(): void {
    if (this.disposed) return;
    if (this.pending.length > 0 || this.notApplied.peek().length > 0) this.saveJournal();
    this.adoptJournals();
    this.heartbeat = this.timers.setTimeout(() => this.beat(), HEARTBEAT_MS);
  }

  /**
   * Writes the journal a moment after an edit rather than during it: typing makes an edit per
   * key, and reading, parsing and writing the journal in localStorage on each one was a third
   * of a keystroke's script time. The edits of that moment are written together; leaving the
   * page (`pagehide`), disposing and every other journal write flush it at once.
   */
  private saveJournalSoon(): void {
    if (!this.storage || this.journalTimer !== null) return;
    this.journalTimer = this.timers.setTimeout(() => {
      this.journalTimer = null;
      this.saveJournal();
    }, JOURNAL_DELAY_MS);
  }

  private saveJournal(aliveAt = this.now()): void {
    if (this.journalTimer !== null) {
      this.timers.clearTimeout(this.journalTimer);
      this.journalTimer = null;
    }
    if (!this.storage) return;
    const journal: Journal = {
      baseRevision: this.baseRevision,
      pending: this.pending,
      notApplied: this.notApplied.peek(),
      ...(this.sending ? { sent: this.sending } : {}),
    };
    this.journalFailed = !writeJournal(this.storage, this.slug, this.tabId, journal, aliveAt);
  }

  // ---- window events ----------------------------------------------------------------------

  private readonly onOnline = (): void => {
    if (this.saveState.peek() !== 'offline') return;
    this.retryAttempt = 0;
    this.schedule(0);
  };

  private readonly onBeforeUnload = (event: BeforeUnloadLike): void => {
    if (this.saveState.peek() === 'saved') return;
    event.preventDefault();
    // Older browsers show the prompt only when returnValue is set.
    event.returnValue = '';
  };

  /** The tab is going away (closed, or navigated): the next session of the app may adopt
   * what is not saved yet, at once. */
  private readonly onPageHide = (): void => {
    this.saveJournal(0);
  };

  /** Ends the session; what the server has not acknowledged stays in the journal, marked for
   * the next session of this app to adopt. */
  dispose(): void {
    this.saveJournal(0);
    this.disposed = true;
    this.cancelTimer();
    if (this.heartbeat !== null) this.timers.clearTimeout(this.heartbeat);
    this.events?.removeEventListener('online', this.onOnline);
    this.events?.removeEventListener('beforeunload', this.onBeforeUnload);
    this.events?.removeEventListener('pagehide', this.onPageHide);
  }
}

function describe(changes: readonly NotAppliedChange[]): string {
  return changes.map((f) => `"${f.change.label}" (${f.reason})`).join('; ');
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function defaultStorage(): StorageLike | null {
  try {
    return (globalThis as { localStorage?: StorageLike }).localStorage ?? null;
  } catch {
    // Reading localStorage throws where the browser blocks it.
    return null;
  }
}

function defaultEvents(): WindowEvents | null {
  const w = (globalThis as { window?: WindowEvents }).window;
  return w ?? null;
}
