/**
 * The journal: the changes of an editing session that the server has not acknowledged yet,
 * kept in the browser's localStorage under `lowkey.editor.<slug>`, so a closed tab, a crash or
 * a lost connection loses nothing. A session writes it whenever a change is made and before
 * each write request, and empties it once the server has everything.
 *
 * Tabs of one browser share localStorage, and two tabs may edit the same app, so the key holds
 * one entry per tab (a random id per session). A session leaves its entry behind when it ends
 * (`abandoned`: the tab closed, or the builder left the app) or stops refreshing it (the tab
 * crashed); the next session of the app adopts such entries: it re-applies their changes on
 * the draft it fetched and saves them. Entries of live tabs are never touched.
 *
 * `sent` records what the last write request carried (how many of the pending changes, and a
 * digest of the document sent): if the tab closed before the answer came, the adopting session
 * can tell whether that write landed (the server's draft has that digest) and must not apply
 * those changes twice.
 */

import type { Change, NotAppliedChange } from '../doc/types.ts';

/** The part of `Storage` the journal uses (localStorage in the browser, a Map in tests). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Journal {
  readonly baseRevision: number;
  readonly pending: readonly Change[];
  readonly notApplied: readonly NotAppliedChange[];
  readonly sent?: { readonly count: number; readonly digest: string };
}

interface Entry extends Journal {
  /** When the owning session last said it is alive (ms since the epoch); 0: abandoned. */
  readonly aliveAt: number;
}

const VERSION = 2;

/** A live session refreshes its entry at least this often (see the session's heartbeat). */
export const HEARTBEAT_MS = 10_000;
/** An entry not refreshed for this long belongs to a tab that is gone. Generous, because
 * browsers run timers of background tabs as rarely as once a minute. */
export const STALE_MS = 3 * 60_000;

export function journalKey(slug: string): string {
  return `lowkey.editor.${slug}`;
}

/** Writes this tab's entry (removing it when it holds nothing). Returns false when the browser
 * refused to store it (storage full or blocked). */
export function writeJournal(storage: StorageLike, slug: string, tab: string, journal: Journal, aliveAt: number): boolean {
  const entries = readEntries(storage, slug);
  if (entries === null) return false;
  if (journal.pending.length === 0 && journal.notApplied.length === 0) {
    delete entries[tab];
  } else {
    entries[tab] = { ...journal, aliveAt };
  }
  return store(storage, slug, entries);
}

/**
 * Takes the entries of sessions that ended or stopped refreshing (not `tab`'s own): removes
 * them from storage and returns them, oldest base revision first, for this session to adopt.
 */
export function adoptAbandoned(storage: StorageLike, slug: string, tab: string, now: number): Journal[] {
  const entries = readEntries(storage, slug);
  if (entries === null) return [];
  const adopted: Journal[] = [];
  for (const [id, entry] of Object.entries(entries)) {
    if (id === tab || now - entry.aliveAt < STALE_MS) continue;
    const { aliveAt: _aliveAt, ...journal } = entry;
    adopted.push(journal);
    delete entries[id];
  }
  if (adopted.length > 0 && !store(storage, slug, entries)) return [];
  return adopted.sort((a, b) => a.baseRevision - b.baseRevision);
}

/** The entries stored for an app (for tests and diagnostics); {} when there are none. */
export function readJournals(storage: StorageLike, slug: string): Record<string, Journal & { readonly aliveAt: number }> {
  return readEntries(storage, slug) ?? {};
}

/** The stored entries; {} when there are none or they cannot be read; null when storage
 * itself throws. */
function readEntries(storage: StorageLike, slug: string): Record<string, Entry> | null {
  let text: string | null;
  try {
    text = storage.getItem(journalKey(slug));
  } catch {
    return null;
  }
  if (text === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(value) || value.v !== VERSION || !isRecord(value.tabs)) return {};
  const entries: Record<string, Entry> = {};
  for (const [id, e] of Object.entries(value.tabs)) {
    const entry = entryOf(e);
    if (entry) entries[id] = entry;
  }
  return entries;
}

function store(storage: StorageLike, slug: string, entries: Record<string, Entry>): boolean {
  try {
    if (Object.keys(entries).length === 0) storage.removeItem(journalKey(slug));
    else storage.setItem(journalKey(slug), JSON.stringify({ v: VERSION, tabs: entries }));
    return true;
  } catch {
    return false;
  }
}

function entryOf(e: unknown): Entry | null {
  if (!isRecord(e) || typeof e.baseRevision !== 'number' || typeof e.aliveAt !== 'number') return null;
  const { pending, notApplied, sent } = e;
  if (!Array.isArray(pending) || !pending.every(isChange)) return null;
  if (!Array.isArray(notApplied) || !notApplied.every((n) => isRecord(n) && typeof n.reason === 'string' && isChange(n.change))) {
    return null;
  }
  return {
    baseRevision: e.baseRevision,
    aliveAt: e.aliveAt,
    pending,
    notApplied: notApplied as NotAppliedChange[],
    ...(isRecord(sent) && typeof sent.count === 'number' && typeof sent.digest === 'string' ? { sent: { count: sent.count, digest: sent.digest } } : {}),
  };
}

/**
 * A digest of a document that ignores key order (the server may write keys in its own order):
 * FNV-1a over a canonical JSON text, plus the text's length.
 */
export function digest(value: unknown): string {
  const text = canonicalJson(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${h.toString(16)}-${text.length}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isChange(v: unknown): v is Change {
  return isRecord(v) && typeof v.label === 'string' && Array.isArray(v.ops) && v.ops.every((op) => isRecord(op) && typeof op.kind === 'string');
}
