/**
 * A `Host` for an app that runs inside another page (the editor's preview): its URL lives in
 * memory instead of the tab's address bar, and its store in memory instead of localStorage, so
 * trying the draft neither moves the editor's URL nor touches the published app's saved store.
 */

import type { Host, LocationSnapshot, StorageLike, Transport } from '../runtime/index.ts';

/** Web Storage in a Map. */
export class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

export interface MemoryHostOptions {
  /** The app path it starts at, e.g. `/app/<slug>` (the home page). */
  readonly path: string;
  readonly transport: Transport;
}

export function memoryHost(options: MemoryHostOptions): Host {
  let pathAndQuery = options.path;
  return {
    storage: new MemoryStorage(),
    transport: options.transport,
    location(): LocationSnapshot {
      const origin = window.location;
      const q = pathAndQuery.search(/[?#]/);
      const pathname = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
      const rest = q < 0 ? '' : pathAndQuery.slice(q);
      const h = rest.indexOf('#');
      const search = h < 0 ? rest : rest.slice(0, h);
      const hash = h < 0 ? '' : rest.slice(h);
      return {
        href: `${origin.protocol}//${origin.host}${pathAndQuery}`,
        protocol: origin.protocol,
        host: origin.host,
        hostname: origin.hostname,
        port: origin.port,
        pathname,
        search,
        hash,
      };
    },
    pushUrl(next) {
      pathAndQuery = next;
    },
    replaceUrl(next) {
      pathAndQuery = next;
    },
    openAppUrl(next) {
      // A new tab has no draft to show: it opens the page as published.
      window.open(next, '_blank', 'noopener');
    },
    openExternal(url) {
      // Never replace the page the app is embedded in.
      window.open(url, '_blank', 'noopener');
    },
    // Timers for a declared refresh; no channel or lock: the store is this page's alone.
    setTimer(fn, ms) {
      const id = window.setTimeout(fn, ms);
      return () => window.clearTimeout(id);
    },
    now: () => Date.now(),
  };
}
