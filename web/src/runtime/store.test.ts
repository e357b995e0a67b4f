import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../test/fakes.ts';
import { AppStore, StoreError, storageKey } from './store.ts';

const blob = (storage: MemoryStorage, slug = 'demo') => {
  const raw = storage.getItem(storageKey(slug));
  return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
};

describe('AppStore', () => {
  it('updates the snapshot at once and persists by default, as one JSON blob per app', () => {
    const storage = new MemoryStorage();
    const store = new AppStore('demo', storage);
    store.set('accesstoken', 'a1');
    store.set('user', { id: 1, roles: ['x'] });
    expect(store.values.value).toEqual({ accesstoken: 'a1', user: { id: 1, roles: ['x'] } });
    expect(blob(storage)).toEqual({ accesstoken: 'a1', user: { id: 1, roles: ['x'] } });
    expect(storage.items.size).toBe(1);
  });

  it('reads persisted values back when the app starts again', () => {
    const storage = new MemoryStorage();
    new AppStore('demo', storage).set('refreshtoken', 'r1');
    expect(new AppStore('demo', storage).values.value).toEqual({ refreshtoken: 'r1' });
  });

  it('keeps persist=false values for the session only', () => {
    const storage = new MemoryStorage();
    const store = new AppStore('demo', storage);
    store.set('draft', 'x', false);
    expect(store.values.value).toEqual({ draft: 'x' });
    expect(blob(storage)).toBeNull();
    expect(new AppStore('demo', storage).values.value).toEqual({});
  });

  it('removes the persisted copy when a key is later written with persist=false', () => {
    const storage = new MemoryStorage();
    const store = new AppStore('demo', storage);
    store.set('token', 'old');
    store.set('other', 1);
    store.set('token', 'new', false);
    expect(store.values.value).toEqual({ token: 'new', other: 1 });
    expect(blob(storage)).toEqual({ other: 1 });
    expect(new AppStore('demo', storage).values.value).toEqual({ other: 1 });
  });

  it('refuses a value that is not JSON-serialisable, with an explicit error, and changes nothing', () => {
    const storage = new MemoryStorage();
    const store = new AppStore('demo', storage);
    store.set('ok', 1);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [() => 1, /function/],
      [{ nested: { fn: () => 1 } }, /the value\.nested\.fn is a function/],
      [10n, /bigint/],
      [Symbol('s'), /symbol/],
      [cyclic, /cycle/],
      [new Map(), /Map/],
      [new Date(0), /Date/],
      [Number.NaN, /NaN/],
      [[1, undefined], /undefined/],
    ];
    for (const [value, why] of cases) {
      expect(() => store.set('bad', value), String(why)).toThrow(StoreError);
      expect(() => store.set('bad', value)).toThrow(why);
    }
    expect(store.values.value).toEqual({ ok: 1 });
    expect(blob(storage)).toEqual({ ok: 1 });
  });

  it('accepts any value for the session only (persist=false)', () => {
    const store = new AppStore('demo', new MemoryStorage());
    const fn = () => 1;
    store.set('callback', fn, false);
    expect(store.values.value.callback).toBe(fn);
  });

  it('stores a copy, so mutating the original object later does not change the store', () => {
    const store = new AppStore('demo', new MemoryStorage());
    const user = { name: 'a' };
    store.set('user', user);
    user.name = 'b';
    expect(store.values.value).toEqual({ user: { name: 'a' } });
  });

  it('hands out a frozen snapshot, so assigning to appsmith.store fails loudly', () => {
    const store = new AppStore('demo', new MemoryStorage());
    store.set('a', 1);
    expect(() => {
      'use strict';
      (store.values.value as Record<string, unknown>).a = 2;
    }).toThrow(TypeError);
  });

  it('removeValue removes a key from the session and the persisted copy', () => {
    const storage = new MemoryStorage();
    const store = new AppStore('demo', storage);
    store.set('a', 1);
    store.set('b', 2);
    store.remove('a');
    expect(store.values.value).toEqual({ b: 2 });
    expect(blob(storage)).toEqual({ b: 2 });
  });

  it('clearStore empties the session and the persisted copy of this app only', () => {
    const storage = new MemoryStorage();
    const mine = new AppStore('demo', storage);
    const other = new AppStore('other-app', storage);
    mine.set('a', 1);
    mine.set('s', 2, false);
    other.set('keep', true);
    mine.clear();
    expect(mine.values.value).toEqual({});
    expect(blob(storage)).toBeNull();
    expect(blob(storage, 'other-app')).toEqual({ keep: true });
    expect(new AppStore('demo', storage).values.value).toEqual({});
  });

  it('ignores a corrupt persisted blob instead of failing to start', () => {
    const storage = new MemoryStorage();
    storage.setItem(storageKey('demo'), '{not json');
    expect(new AppStore('demo', storage).values.value).toEqual({});
  });

  it('picks up values another tab persisted on reload(), keeping its own session values', () => {
    const storage = new MemoryStorage();
    const tab1 = new AppStore('demo', storage);
    const tab2 = new AppStore('demo', storage);
    tab2.set('session', 'mine', false);
    tab1.set('token', 't2');
    tab2.reload();
    expect(tab2.values.value).toEqual({ session: 'mine', token: 't2' });
  });

  it('works without storage (session only)', () => {
    const store = new AppStore('demo', null);
    store.set('a', 1);
    expect(store.values.value).toEqual({ a: 1 });
  });
});
