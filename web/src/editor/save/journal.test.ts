import { describe, expect, it } from 'vitest';
import { adoptAbandoned, digest, journalKey, readJournals, STALE_MS, writeJournal } from './journal.ts';
import type { Journal, StorageLike } from './journal.ts';

class MemoryStorage implements StorageLike {
  readonly map = new Map<string, string>();
  full = false;
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

const journal = (label: string): Journal => ({
  baseRevision: 3,
  pending: [{ label, ops: [{ kind: 'setAppName', name: label }] }],
  notApplied: [],
});

describe('the journal', () => {
  it('keeps one entry per tab and removes the key when every entry is empty', () => {
    const storage = new MemoryStorage();
    expect(writeJournal(storage, 'app', 'a', journal('A'), 10)).toBe(true);
    expect(writeJournal(storage, 'app', 'b', journal('B'), 20)).toBe(true);
    expect(Object.keys(readJournals(storage, 'app'))).toEqual(['a', 'b']);
    writeJournal(storage, 'app', 'a', { baseRevision: 4, pending: [], notApplied: [] }, 30);
    expect(Object.keys(readJournals(storage, 'app'))).toEqual(['b']);
    writeJournal(storage, 'app', 'b', { baseRevision: 4, pending: [], notApplied: [] }, 30);
    expect(storage.getItem(journalKey('app'))).toBeNull();
  });

  it('gives abandoned and stale entries of other tabs to a new session, once', () => {
    const storage = new MemoryStorage();
    const now = 10 * STALE_MS;
    writeJournal(storage, 'app', 'closed', journal('closed'), 0);
    writeJournal(storage, 'app', 'crashed', journal('crashed'), now - STALE_MS);
    writeJournal(storage, 'app', 'live', journal('live'), now - 1000);
    writeJournal(storage, 'app', 'me', journal('me'), 0);
    expect(adoptAbandoned(storage, 'app', 'me', now).map((j) => j.pending[0]!.label)).toEqual(['closed', 'crashed']);
    expect(Object.keys(readJournals(storage, 'app')).sort()).toEqual(['live', 'me']);
    expect(adoptAbandoned(storage, 'app', 'other', now)).toHaveLength(1);
  });

  it('ignores what it cannot read, and says when the browser refuses to store', () => {
    const storage = new MemoryStorage();
    storage.setItem(journalKey('app'), '{not json');
    expect(readJournals(storage, 'app')).toEqual({});
    storage.setItem(journalKey('app'), JSON.stringify({ v: 2, tabs: { a: { baseRevision: 1, aliveAt: 0, pending: [{ nope: 1 }], notApplied: [] } } }));
    expect(adoptAbandoned(storage, 'app', 'me', 1)).toEqual([]);
    storage.full = true;
    expect(writeJournal(storage, 'app', 'a', journal('A'), 1)).toBe(false);
  });

  it('digests documents regardless of key order', () => {
    expect(digest({ a: 1, b: [{ c: 'x', d: null }] })).toBe(digest({ b: [{ d: null, c: 'x' }], a: 1 }));
    expect(digest({ a: 1 })).not.toBe(digest({ a: 2 }));
  });
});
