/**
 * `appsmith.store`: the app's key-value store, behind `storeValue`, `removeValue` and
 * `clearStore`.
 *
 * Values written with `persist = true` (the default) are also saved in the browser's storage,
 * as one JSON blob per app, and read back when the app starts. Two deliberate departures from
 * Appsmith: a value that JSON cannot carry is refused with an error instead of being dropped
 * silently, and a later `persist = false` write of a key removes its persisted copy (otherwise
 * a reload would resurrect the old value).
 *
 * The store snapshot is an immutable object in a signal, so bindings that read
 * `appsmith.store` re-evaluate when it changes.
 */

import { signal, type ReadonlySignal } from './graph.ts';

/** The part of the Web Storage API the store uses (the browser's `localStorage`). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

export type StoreSnapshot = Readonly<Record<string, unknown>>;

/** The storage key of an app's persisted store. */
export function storageKey(appSlug: string): string {
  return `lowkey:store:${appSlug}`;
}

export class AppStore {
  private readonly key: string;
  private readonly snapshot = signal<StoreSnapshot>(Object.freeze({}));
  /** Keys whose current value is persisted. */
  private persistedKeys = new Set<string>();

  constructor(
    appSlug: string,
    private readonly storage: StorageLike | null,
  ) {
    this.key = storageKey(appSlug);
    this.reload();
  }

  get values(): ReadonlySignal<StoreSnapshot> {
    return this.snapshot;
  }

  /** Re-reads the persisted values (at start, and when another tab changed them). */
  reload(): void {
    const persisted = this.readPersisted();
    const next: Record<string, unknown> = {};
    // Session-only values of this tab stay; persisted ones are replaced by storage's copy.
    for (const [k, v] of Object.entries(this.snapshot.peek())) {
      if (!this.persistedKeys.has(k)) next[k] = v;
    }
    Object.assign(next, persisted);
    this.persistedKeys = new Set(Object.keys(persisted));
    this.snapshot.value = Object.freeze(next);
  }

  set(key: string, value: unknown, persist = true): void {
    if (typeof key !== 'string' || key === '') {
      throw new StoreError('storeValue: the key must be a non-empty string');
    }
    let stored = value;
    if (persist) {
      const problem = jsonProblem(value);
      if (problem) throw new StoreError(`storeValue('${key}'): ${problem}`);
      // A copy, so later mutations of the caller's object do not change the store unseen.
      stored = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    }
    const persistedBefore = this.persistedKeys.has(key);
    if (persist) this.persistedKeys.add(key);
    else this.persistedKeys.delete(key);
    if (persist || persistedBefore) this.writePersisted({ ...this.snapshot.peek(), [key]: stored });
    this.snapshot.value = Object.freeze({ ...this.snapshot.peek(), [key]: stored });
  }

  remove(key: string): void {
    const next = { ...this.snapshot.peek() };
    delete next[key];
    if (this.persistedKeys.delete(key)) this.writePersisted(next);
    this.snapshot.value = Object.freeze(next);
  }

  /** Empties the session values and the persisted copy of this app (other apps keep theirs). */
  clear(): void {
    this.persistedKeys.clear();
    this.storage?.removeItem(this.key);
    this.snapshot.value = Object.freeze({});
  }

  private readPersisted(): Record<string, unknown> {
    const raw = this.storage?.getItem(this.key);
    if (!raw) return {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // A corrupt blob (edited by hand, truncated) is ignored rather than breaking the app.
    }
    return {};
  }

  private writePersisted(all: Record<string, unknown>): void {
    if (!this.storage) return;
    const blob: Record<string, unknown> = {};
    for (const k of this.persistedKeys) if (all[k] !== undefined) blob[k] = all[k];
    try {
      if (Object.keys(blob).length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(blob));
    } catch (e) {
      throw new StoreError(`storeValue: the browser refused to save the store (${String(e)})`);
    }
  }
}

/**
 * Why `value` cannot be stored as JSON without changing it, or null when it can. Undefined
 * object properties are allowed (JSON omits them, and reading them back gives undefined).
 */
export function jsonProblem(value: unknown): string | null {
  const seen = new Set<object>();
  const visit = (v: unknown, at: string, inArray: boolean): string | null => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return null;
      case 'number':
        return Number.isFinite(v) ? null : `${at} is ${String(v)}, which JSON cannot hold`;
      case 'undefined':
        return inArray ? `${at} is undefined, which JSON cannot hold in a list` : null;
      case 'bigint':
      case 'symbol':
      case 'function':
        return `${at} is a ${typeof v}, which is not JSON-serialisable`;
    }
    if (v === null) return null;
    const obj = v as object;
    if (seen.has(obj)) return `${at} refers back to itself (a cycle), which is not JSON-serialisable`;
    if (Array.isArray(obj)) {
      seen.add(obj);
      for (let i = 0; i < obj.length; i++) {
        const p = visit(obj[i], `${at}[${i}]`, true);
        if (p) return p;
      }
      seen.delete(obj);
      return null;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj.constructor as { name?: string } | undefined)?.name ?? 'object';
      return `${at} is a ${kind}, which is not JSON-serialisable as it is (store a plain object, string or number)`;
    }
    seen.add(obj);
    for (const [k, child] of Object.entries(obj)) {
      const p = visit(child, `${at}.${k}`, false);
      if (p) return p;
    }
    seen.delete(obj);
    return null;
  };
  return visit(value, 'the value', false);
}
