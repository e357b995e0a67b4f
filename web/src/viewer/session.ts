/**
 * One app in the viewer from load to the end of the tab: fetches its definition with the
 * signed-in user's token, starts the runtime on it, and starts over on a fresh definition when
 * the user enters a page the current one has locked.
 *
 * Locked pages: the definition the server sent was made for the token of that request. When a
 * page is locked in it, the definition is fetched again with the token the store holds now
 * (the user may just have signed in). If the page is open in the new one, the app starts over
 * on it at that page (the store is persisted, so nothing is lost); if not, an anonymous user
 * is sent to the login page with `?next=<page name>` (replacing the history entry), and a
 * signed-in user who lacks a role is told so. A locked page never renders: it has nothing to.
 */

import {
  AppRuntime,
  AppStore,
  pagePath,
  parseAppDef,
  parseAppPath,
  queryString,
  storeToken,
  type AppDef,
  type Host,
  type PageDef,
} from '../runtime/index.ts';
import { createPageWidgets } from '../widgets/index.ts';
import { fetchApp, type FetchAppResult } from './api.ts';
import { browserHost } from './browserHost.ts';

export interface EmbeddedApp {
  /** The runtime's host; its location names the app and the page to open. */
  readonly host: Host;
  /** Loads the app definition (the viewer's JSON) for the slug of the host's location. */
  readonly fetchApp: (slug: string, token?: string) => Promise<FetchAppResult>;
}

export type Boot =
  | { state: 'loading' }
  | {
      state: 'error';
      title: string;
      detail: string;
      retry: boolean;
      link?: { href: string; label: string };
    }
  | { state: 'ready'; runtime: AppRuntime };

type Fetched = { ok: true; app: AppDef } | { ok: false; boot: Boot };

/**
 * Where the name of the token's store key is remembered between visits, so the first request
 * of a visit can carry the token already (the key itself comes with the definition).
 */
export function tokenKeyHint(appSlug: string): string {
  return `lowkey:auth-token-key:${appSlug}`;
}

export class ViewerSession {
  readonly host: Host;
  private readonly fetchApp: (slug: string, token?: string) => Promise<FetchAppResult>;
  private runtime: AppRuntime | undefined;
  /** Only the latest load or unlock may change what the viewer shows. */
  private generation = 0;

  constructor(embedded?: EmbeddedApp) {
    this.host = embedded?.host ?? browserHost(() => this.currentToken());
    this.fetchApp = embedded?.fetchApp ?? fetchApp;
  }

  /** The token the running app's store holds now. */
  currentToken(): string | undefined {
    const rt = this.runtime;
    return rt && storeToken(rt.store.values.peek(), rt.app.auth?.tokenStore);
  }

  /** Loads the app the host's location names. Null: a later call overtook this one. */
  async load(): Promise<Boot | null> {
    const gen = ++this.generation;
    const where = parseAppPath(this.host.location().pathname);
    if (!where) {
      return { state: 'error', title: 'Not an app address', detail: 'App addresses look like /app/<app>/<page>.', retry: false };
    }
    const slug = where.appSlug;
    const hinted = this.host.storage?.getItem(tokenKeyHint(slug)) ?? null;
    const sent = hinted === null ? undefined : this.storedToken(slug, hinted);
    let fetched = await this.fetchDef(slug, sent);
    if (fetched.ok) {
      const key = fetched.app.auth?.tokenStore;
      this.rememberTokenKey(slug, key);
      // The definition was made for another token than the one the store holds (the key was
      // not known yet, or changed): ask again, once.
      const token = key === undefined ? undefined : this.storedToken(slug, key);
      if (token !== sent) fetched = await this.fetchDef(slug, token);
    }
    if (gen !== this.generation) return null;
    return fetched.ok ? this.start(fetched.app) : fetched.boot;
  }

  /**
   * After the running app entered `page`, which its definition has locked: fetches the
   * definition with the current token and starts over, or sends the user to the login page.
   * Null: the user went elsewhere meanwhile, or a later call overtook this one.
   */
  async unlock(page: PageDef): Promise<Boot | null> {
    const gen = ++this.generation;
    const rt = this.runtime;
    if (!rt) return null;
    const fetched = await this.fetchDef(rt.app.slug, this.currentToken());
    const view = rt.view.peek();
    if (gen !== this.generation || view.status !== 'locked' || view.page.name !== page.name) return null;
    if (!fetched.ok) return fetched.boot;
    const app = fetched.app;
    if (app.pages.some((p) => p.name === page.name && !p.locked)) return this.start(app);
    const login = app.pages.find((p) => p.name === app.auth?.loginPage && !p.locked);
    if (!app.user && login && login.name !== page.name) {
      const to = pagePath(app.slug, login.slug) + queryString({ next: page.name });
      if (this.host.replaceUrl) this.host.replaceUrl(to);
      else this.host.pushUrl(to);
      return this.start(app);
    }
    return {
      state: 'error',
      title: 'You cannot open this page',
      detail: app.user
        ? `Your account may not open the page "${page.name}" of "${app.name}".`
        : `The page "${page.name}" of "${app.name}" is for signed-in users, and the app has no login page.`,
      retry: false,
      link: { href: `/app/${encodeURIComponent(app.slug)}`, label: 'Open the home page' },
    };
  }

  private start(app: AppDef): Boot {
    try {
      this.runtime = new AppRuntime(app, this.host, createPageWidgets);
      return { state: 'ready', runtime: this.runtime };
    } catch (e) {
      return { state: 'error', title: 'The app could not start', detail: e instanceof Error ? e.message : String(e), retry: false };
    }
  }

  /** The token under `key` in the running app's store, or before it runs, in the persisted one. */
  private storedToken(slug: string, key: string): string | undefined {
    const store = this.runtime?.store ?? new AppStore(slug, this.host.storage);
    return storeToken(store.values.peek(), key);
  }

  private rememberTokenKey(slug: string, key: string | undefined): void {
    try {
      if (key === undefined) this.host.storage?.removeItem(tokenKeyHint(slug));
      else this.host.storage?.setItem(tokenKeyHint(slug), key);
    } catch {
      // Storage full or refused: the next visit asks twice, nothing worse.
    }
  }

  private async fetchDef(slug: string, token: string | undefined): Promise<Fetched> {
    const result = await this.fetchApp(slug, token);
    switch (result.kind) {
      case 'not_found':
        return fail({ state: 'error', title: 'App not found', detail: `There is no published app "${slug}" on this server.`, retry: false });
      case 'network_error':
        return fail({ state: 'error', title: 'Could not reach the server', detail: 'Check your connection and try again.', retry: true });
      case 'http_error':
        return fail({
          state: 'error',
          title: 'The app could not be loaded',
          detail: `The server answered ${result.status}: ${result.message}`,
          retry: true,
        });
      case 'ok':
        break;
    }
    const parsed = parseAppDef(result.json);
    if (!parsed.ok) {
      return fail({ state: 'error', title: 'The app definition is invalid', detail: parsed.problems.slice(0, 5).join('; '), retry: false });
    }
    return { ok: true, app: parsed.app };
  }
}

function fail(boot: Boot): Fetched {
  return { ok: false, boot };
}
