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
 * signed-in user who lacks a role is told so. An app that signs in by redirect (`oidc`) and has
 * no login page sends the anonymous user to the provider instead (`/app/<slug>/_auth/login`).
 * A locked page never renders: it has nothing to.
 *
 * Token changes: the definition opens its protected pages only while the store holds the token
 * it was fetched with (the runtime checks at each page entry). When the token changes (signed
 * out, signed in as someone else, refreshed; here or in another tab), protected pages entered
 * from then on are locked again and `appsmith.user` is anonymous; for a new token the session
 * fetches the definition in the background and grants it to the runtime when it arrives, so a
 * refreshed token of the same user reopens them without a reload of the page shown.
 *
 * Session mode: the server keeps the tokens behind the app's cookie, and the runtime's session
 * marker takes the token's place in all of the above (a new marker when a session starts, none
 * when it ends). The marker is only compared, never sent: definitions are fetched with the
 * cookie alone.
 */

import {
  AppRuntime,
  AppStore,
  effect,
  authRoutePath,
  pagePath,
  parseAppDef,
  parseAppPath,
  parseQueryString,
  queryString,
  storeToken,
  untracked,
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
  /** Stops watching the running app's token. */
  private unwatch: (() => void) | undefined;
  /**
   * The last definition asked for since the running app started, and the token it was asked
   * with: the background fetch after a token change and the next unlock share one request.
   */
  private latest: { token: string | undefined; fetched: Promise<Fetched> } | undefined;
  /** Only the latest load or unlock may change what the viewer shows. */
  private generation = 0;

  constructor(embedded?: EmbeddedApp) {
    this.host = embedded?.host ?? browserHost(() => this.bearerToken());
    this.fetchApp = embedded?.fetchApp ?? fetchApp;
  }

  /** The token the running app's queries send as Bearer (store mode; none in session mode). */
  bearerToken(): string | undefined {
    return this.runtime?.bearerToken();
  }

  /** Stops following the running app's token, and its timers (the viewer is gone). */
  dispose(): void {
    this.generation++;
    this.unwatch?.();
    this.unwatch = undefined;
    this.runtime?.dispose();
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
    let fetchedWith = sent;
    if (fetched.ok) {
      const key = fetched.app.auth?.tokenStore;
      this.rememberTokenKey(slug, key);
      // The definition was made for another token than the one the store holds (the key was
      // not known yet, or changed): ask again, once.
      const token = key === undefined ? undefined : this.storedToken(slug, key);
      if (token !== sent) {
        fetched = await this.fetchDef(slug, token);
        fetchedWith = token;
      }
    }
    if (gen !== this.generation) return null;
    return fetched.ok ? this.start(fetched.app, fetchedWith) : fetched.boot;
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
    const token = rt.currentToken();
    const asked = this.definitionFor(rt.app, token);
    const fetched = await asked;
    // Used once: a later unlock asks the server again.
    if (this.latest?.fetched === asked) this.latest = undefined;
    const view = rt.view.peek();
    if (gen !== this.generation || this.runtime !== rt || view.status !== 'locked' || view.page.name !== page.name) {
      return null;
    }
    if (!fetched.ok) return fetched.boot;
    const app = fetched.app;
    if (rt.currentToken() === token) rt.grant(app, token);
    if (rt.isOpen(page)) {
      // Locked only because the token changed, and open again for the same user: no restart.
      void rt.enterPage(page);
      return null;
    }
    if (app.pages.some((p) => p.name === page.name && !p.locked)) return this.start(app, token);
    const login = app.pages.find((p) => p.name === app.auth?.loginPage && !p.locked);
    if (!app.user && login && login.name !== page.name) {
      const to = pagePath(app.slug, login.slug) + queryString({ next: page.name });
      if (this.host.replaceUrl) this.host.replaceUrl(to);
      else this.host.pushUrl(to);
      return this.start(app, token);
    }
    if (!app.user && !login && app.auth?.oidc) return this.toProvider(app, page);
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

  /**
   * An anonymous user entered `page` of an app that signs in by redirect and has no login
   * page: the tab goes to the provider through the server, back to `page` afterwards (null:
   * the page stays loading until the tab is gone). Not when the server has just sent the user
   * back here with `?auth_error=` (cancelled at the provider, or a failed callback): going
   * again at once could loop, so the user is told and chooses.
   */
  private toProvider(app: AppDef, page: PageDef): Boot | null {
    const to = authRoutePath(app.slug, 'login') + queryString({ next: page.name });
    const failed = parseQueryString(this.host.location().search).auth_error;
    if (failed === undefined && this.host.loadDocument) {
      this.host.loadDocument(to);
      return null;
    }
    return {
      state: 'error',
      title: failed === undefined ? 'Sign-in by redirect runs in the published app' : 'You are not signed in',
      detail:
        failed === undefined
          ? `The page "${page.name}" of "${app.name}" is for signed-in users, and this preview cannot go to the provider.`
          : `Signing in did not finish (${failed}). The page "${page.name}" of "${app.name}" is for signed-in users.`,
      retry: false,
      ...(failed !== undefined && { link: { href: to, label: 'Sign in' } }),
    };
  }

  /** Runs `app`, the definition fetched with `token`. */
  private start(app: AppDef, token: string | undefined): Boot {
    this.unwatch?.();
    this.unwatch = undefined;
    this.latest = undefined;
    this.runtime?.dispose();
    try {
      const rt = new AppRuntime(app, this.host, createPageWidgets);
      // Session mode: the definition was made for the cookie, which the new runtime's own
      // marker stands for (a marker when the definition has a user).
      const grantedTo = app.auth?.session ? rt.currentToken() : token;
      rt.grant(app, grantedTo);
      this.runtime = rt;
      this.watchToken(rt, grantedTo);
      return { state: 'ready', runtime: rt };
    } catch (e) {
      return { state: 'error', title: 'The app could not start', detail: e instanceof Error ? e.message : String(e), retry: false };
    }
  }

  /**
   * Follows the token in `rt`'s store (written by the app, or reloaded from another tab's
   * change), or its session marker: a new token's definition is fetched and granted to `rt`
   * if it is still the token when it arrives. No token needs no request: the runtime already
   * treats the caller as anonymous, and entering a protected page asks the server anyway.
   */
  private watchToken(rt: AppRuntime, fetchedWith: string | undefined): void {
    if (rt.app.auth?.tokenStore === undefined && !rt.app.auth?.session) return;
    let last = fetchedWith;
    this.unwatch = effect(() => {
      const token = rt.trackedToken();
      if (token === last) return;
      last = token;
      if (token === undefined) return;
      untracked(() => {
        void this.definitionFor(rt.app, token).then((fetched) => {
          if (fetched.ok && this.runtime === rt && rt.currentToken() === token) rt.grant(fetched.app, token);
        });
      });
    });
  }

  /** The definition for `token` (of `app`): the one already asked for with it, or a new
   * request. A session marker is not a token: the cookie goes instead. */
  private definitionFor(app: AppDef, token: string | undefined): Promise<Fetched> {
    if (this.latest === undefined || this.latest.token !== token) {
      this.latest = { token, fetched: this.fetchDef(app.slug, app.auth?.session ? undefined : token) };
    }
    return this.latest.fetched;
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
