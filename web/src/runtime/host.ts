/**
 * What the runtime needs from its environment. The viewer passes the browser's
 * implementations (localStorage, fetch, the History API); tests pass in-memory fakes. This is
 * the only way browser capabilities reach the runtime, which is type-checked without the DOM.
 */

import type { StorageLike } from './store.ts';
import type { Transport } from './query.ts';

/** The parts of the current location the runtime reads (window.location in a browser). */
export interface LocationSnapshot {
  readonly href: string;
  readonly protocol: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
}

export type NavigationTarget = 'SAME_WINDOW' | 'NEW_WINDOW';

export interface Host {
  readonly storage: StorageLike | null;
  readonly transport: Transport;
  location(): LocationSnapshot;
  /** Changes the URL of this app's tab without loading a document (history.pushState). */
  pushUrl(pathAndQuery: string): void;
  /** Changes the URL without a new history entry (history.replaceState). Hosts without a
   * history of their own (the editor's canvas) may leave it out. */
  replaceUrl?(pathAndQuery: string): void;
  /** Opens a page of this app in a new tab. */
  openAppUrl(pathAndQuery: string): void;
  /** Leaves for an external URL, in this tab or a new one. */
  openExternal(url: string, target: NavigationTarget): void;
  /**
   * Loads a path of this app's server in this tab as a new document (location.assign), not as
   * a page of the running app: the sign-in and sign-out routes answer with redirects to the
   * provider (issue 12). A host that runs the app inside another page (the editor's preview and
   * canvas) leaves it out, and sign-in by redirect only says where it runs.
   */
  loadDocument?(pathAndQuery: string): void;

  // What a protected app's sign-in state needs (issue 10). Optional: a host without them (the
  // editor's canvas, tests) gets no scheduled refresh, no cross-tab messages and no lock.

  /** Calls `fn` after `ms` milliseconds (setTimeout); the result cancels it. */
  setTimer?(fn: () => void, ms: number): () => void;
  /** Milliseconds since the epoch (Date.now). */
  now?(): number;
  /** Messages between this app's tabs (a BroadcastChannel named `name`). */
  openChannel?(name: string, onMessage: (message: unknown) => void): HostChannel;
  /** Runs `fn` holding the lock `name`, shared by the origin's tabs (Web Locks). */
  withLock?<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface HostChannel {
  post(message: string): void;
  close(): void;
}
