/**
 * The editor's routes, in the tab's address bar: `/edit` (the app list, or the sign-in form)
 * and `/edit/<slug>` (the editor screen of one app). A signal holds the path, so a screen that
 * reads it re-renders on navigation, on back and on forward.
 */

import { signal, type ReadonlySignal } from '@preact/signals';

export type Route = { readonly screen: 'apps' } | { readonly screen: 'editor'; readonly slug: string };

const pathSignal = signal(typeof window === 'undefined' ? '/edit' : window.location.pathname);

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    pathSignal.value = window.location.pathname;
  });
}

export const currentPath: ReadonlySignal<string> = pathSignal;

/** The route of a path; anything not under `/edit/<slug>` is the app list. */
export function routeOf(path: string): Route {
  const m = /^\/edit\/([^/]+)\/?$/.exec(path);
  if (m?.[1]) {
    try {
      return { screen: 'editor', slug: decodeURIComponent(m[1]) };
    } catch {
      return { screen: 'apps' };
    }
  }
  return { screen: 'apps' };
}

export function editorPath(slug: string): string {
  return `/edit/${encodeURIComponent(slug)}`;
}

export const APPS_PATH = '/edit';

/** Goes to an editor path without loading a document. */
export function navigate(path: string): void {
  if (path !== window.location.pathname) window.history.pushState(null, '', path);
  pathSignal.value = path;
}

/** A click a link should handle itself (a plain left click; modified clicks open tabs). */
export function isPlainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}
