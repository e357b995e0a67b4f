import type { Host, LocationSnapshot, StorageLike } from '../runtime/index.ts';
import { publishedTransport, type TokenSource } from './api.ts';

/** The runtime's `Host` in a browser tab; its queries carry the token `token` gives. */
export function browserHost(token: TokenSource): Host {
  return {
    storage: localStorageOrNull(),
    transport: publishedTransport(token),
    location(): LocationSnapshot {
      const l = window.location;
      return {
        href: l.href,
        protocol: l.protocol,
        host: l.host,
        hostname: l.hostname,
        port: l.port,
        pathname: l.pathname,
        search: l.search,
        hash: l.hash,
      };
    },
    pushUrl(pathAndQuery) {
      window.history.pushState(null, '', pathAndQuery);
    },
    replaceUrl(pathAndQuery) {
      window.history.replaceState(null, '', pathAndQuery);
    },
    openAppUrl(pathAndQuery) {
      window.open(pathAndQuery, '_blank', 'noopener');
    },
    openExternal(url, target) {
      if (target === 'NEW_WINDOW') window.open(url, '_blank', 'noopener');
      else window.location.assign(url);
    },
    loadDocument(pathAndQuery) {
      window.location.assign(pathAndQuery);
    },
    setTimer(fn, ms) {
      const id = window.setTimeout(fn, ms);
      return () => window.clearTimeout(id);
    },
    now: () => Date.now(),
    openChannel(name, onMessage) {
      if (typeof BroadcastChannel === 'undefined') return { post() {}, close() {} };
      const channel = new BroadcastChannel(name);
      channel.onmessage = (e) => onMessage(e.data);
      return { post: (m) => channel.postMessage(m), close: () => channel.close() };
    },
    withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
      // Without Web Locks (old browsers), each tab refreshes on its own; the store is still
      // read again first, so a tab that refreshed just before is seen.
      // `request` resolves to what `fn` resolves to (its own promise is awaited).
      return navigator.locks ? (navigator.locks.request(name, fn) as Promise<T>) : fn();
    },
  };
}

function localStorageOrNull(): StorageLike | null {
  try {
    // Reading the property itself throws where storage is disabled.
    return window.localStorage;
  } catch {
    return null;
  }
}
