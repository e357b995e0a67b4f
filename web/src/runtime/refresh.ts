/**
 * Store-mode refresh as a platform feature (`auth.refresh`, issue 10): the runtime keeps the
 * token in `appsmith.store` fresh, so the app's own code need not.
 *
 * - **Before expiry.** The token's expiry is its JWT `exp` (read without verification: the
 *   server verifies, this only picks a time), else the `expiresIn` of the refresh answer that
 *   gave it (kept in memory and in storage, by a fingerprint of the token, never the token).
 *   The refresh runs `REFRESH_MARGIN_MS` before it, or at once when already that close.
 * - **After a 401.** A query answered 401 is run again once, after a refresh (`recover`).
 * - **One at a time.** In a tab, concurrent callers share one refresh; across tabs a Web Lock
 *   (`Host.withLock`) orders them, and inside it the persisted store is read again first: when
 *   another tab has just stored a token that is not near expiry, there is nothing to do.
 * - **Failure** (the refresh query failed, or its answer has no token): the declared keys are
 *   removed (other tabs follow through the storage event) and `onFailure` sends the user to
 *   the login page.
 */

import { storeToken, type RefreshDef } from './app.ts';
import { effect, untracked } from './graph.ts';
import type { Host } from './host.ts';
import type { Reauth } from './query.ts';
import type { AppStore } from './store.ts';

/** The refresh runs this long before the token expires. */
export const REFRESH_MARGIN_MS = 60_000;
/** A tab's scheduled refreshes are at least this far apart, whatever the expiry says (a clock
 * far from the server's would otherwise make every fresh token look expired). */
const MIN_INTERVAL_MS = 10_000;
/** setTimeout's longest delay (about 24.8 days). */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface RefresherOptions {
  readonly appSlug: string;
  readonly def: RefreshDef;
  /** The store key of the token (`auth.tokenStore`). */
  readonly tokenKey: string;
  readonly store: AppStore;
  readonly host: Host;
  /** Runs the declared refresh query (a normal run) and gives its answer's body. */
  readonly runRefresh: () => Promise<unknown>;
  /** The refresh failed: the user must sign in again. */
  readonly onFailure: () => void;
}

/** Where a token's expiry learned from `expiresIn` is kept between page loads. */
export function expiryKey(appSlug: string): string {
  return `lowkey:token-expiry:${appSlug}`;
}

/** An expiry learned from `expiresIn`: `at` (ms since the epoch) for the token of fingerprint `of`. */
interface Learned {
  readonly of: string;
  readonly at: number;
}

export class TokenRefresher implements Reauth {
  private inflight: Promise<boolean> | undefined;
  private cancelTimer: (() => void) | undefined;
  private readonly stopWatching: () => void;
  private lastRefresh = -Infinity;
  /** The last expiry learned from `expiresIn`, for a host without storage. */
  private learnedHere: Learned | undefined;

  constructor(private readonly o: RefresherOptions) {
    // Every new token (signed in, refreshed here or in another tab) gets its own timer.
    this.stopWatching = effect(() => {
      const token = storeToken(o.store.values.value, o.tokenKey);
      untracked(() => this.schedule(token));
    });
  }

  token(): string | undefined {
    return storeToken(this.o.store.values.peek(), this.o.tokenKey);
  }

  recover(sentWith: string | undefined): Promise<boolean> {
    // No token: the 401 is the answer. A token other than the one sent: refreshed meanwhile.
    if (sentWith === undefined) return Promise.resolve(false);
    const now = this.token();
    if (now !== sentWith) return Promise.resolve(now !== undefined);
    return this.refresh(sentWith);
  }

  /** Replaces `stale`; true once a fresh token is stored (by this tab or another). */
  refresh(stale: string): Promise<boolean> {
    if (!this.inflight) {
      const { host, appSlug } = this.o;
      const run = () => this.refreshLocked(stale);
      const locked = host.withLock ? host.withLock(`lowkey-refresh:${appSlug}`, run) : run();
      this.inflight = locked
        .catch(() => false)
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  dispose(): void {
    this.stopWatching();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private async refreshLocked(stale: string): Promise<boolean> {
    const { store, def, tokenKey } = this.o;
    // Another tab may have refreshed (or signed out) while this one waited for the lock.
    store.reload();
    const current = this.token();
    if (current === undefined) return this.fail();
    if (current !== stale && !this.nearExpiry(current)) return true;
    let answer: unknown;
    try {
      answer = await this.o.runRefresh();
    } catch {
      return this.fail();
    }
    const fresh = pick(answer, def.store[tokenKey]);
    if (typeof fresh !== 'string' || fresh === '') return this.fail();
    this.lastRefresh = this.now();
    // Learned before the token is stored: storing it schedules the next refresh.
    const lifetime = pick(answer, def.expiresIn);
    if (typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime > 0) {
      this.remember({ of: fingerprint(fresh), at: this.now() + lifetime * 1000 });
    }
    // A key whose path is missing keeps its value: a refresh token is stored when rotated.
    for (const [key, path] of Object.entries(def.store)) {
      const value = pick(answer, path);
      if (value !== undefined) store.set(key, value);
    }
    return true;
  }

  private fail(): false {
    for (const key of Object.keys(this.o.def.store)) this.o.store.remove(key);
    this.o.onFailure();
    return false;
  }

  private schedule(token: string | undefined): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const host = this.o.host;
    const at = token === undefined ? undefined : this.expiryOf(token);
    if (token === undefined || at === undefined || !host.setTimer) return;
    const due = Math.max(at - REFRESH_MARGIN_MS, this.lastRefresh + MIN_INTERVAL_MS);
    this.cancelTimer = host.setTimer(
      () => {
        this.cancelTimer = undefined;
        void this.refresh(token);
      },
      Math.min(MAX_DELAY_MS, Math.max(0, due - this.now())),
    );
  }

  private nearExpiry(token: string): boolean {
    const at = this.expiryOf(token);
    return at !== undefined && at - this.now() <= REFRESH_MARGIN_MS;
  }

  /** When `token` expires (ms since the epoch), if known. */
  private expiryOf(token: string): number | undefined {
    const exp = jwtExpiry(token);
    if (exp !== undefined) return exp;
    const learned = this.learned();
    return learned?.of === fingerprint(token) ? learned.at : undefined;
  }

  /** The last expiry learned, by this tab or another (storage), or by this one (memory). */
  private learned(): Learned | undefined {
    try {
      const rec = JSON.parse(this.o.host.storage?.getItem(expiryKey(this.o.appSlug)) ?? 'null') as Partial<Learned> | null;
      if (typeof rec?.of === 'string' && typeof rec.at === 'number') return { of: rec.of, at: rec.at };
    } catch {
      // Not ours, or corrupt: as if absent.
    }
    return this.learnedHere;
  }

  private remember(learned: Learned): void {
    this.learnedHere = learned;
    try {
      this.o.host.storage?.setItem(expiryKey(this.o.appSlug), JSON.stringify(learned));
    } catch {
      // Storage full or refused: this tab still knows it.
    }
  }

  private now(): number {
    return this.o.host.now?.() ?? Date.now();
  }
}

/** The value at a dot path (`data.session.access_token`) of a JSON answer. */
export function pick(value: unknown, path: string | undefined): unknown {
  if (path === undefined) return undefined;
  let v = value;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** A JWT's `exp` in milliseconds, read without verifying anything; undefined if there is none. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1])) as { exp?: unknown } | null;
    const exp = claims?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url to text (UTF-8). The runtime has no `atob` (no DOM), so by hand. */
function base64UrlDecode(s: string): string {
  let bits = 0;
  let acc = 0;
  let escaped = '';
  for (const ch of s.replace(/=+$/, '')) {
    const v = BASE64URL.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
    if (v < 0) throw new Error('not base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      escaped += `%${((acc >> bits) & 0xff).toString(16).padStart(2, '0')}`;
    }
  }
  return decodeURIComponent(escaped);
}

/** FNV-1a of the token: tells which token an expiry belongs to without storing the token. */
function fingerprint(token: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
