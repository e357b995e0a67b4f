/**
 * The app runtime: one per loaded app. It owns the reactive graph's roots (store, URL, the
 * current page's widgets, queries, JS objects), the named scope bindings evaluate in, the
 * global functions with Appsmith's names, and page changes with their run-on-load chains.
 *
 * **Architecture Invariant:** no DOM. Widgets are built by a factory the viewer passes in,
 * and the browser is reached only through `Host`.
 *
 * Page entry: the page's widget models are created (so on-load code can read them), then its
 * `onLoad` steps run in the declared order, each awaited before the next. The page becomes
 * `ready` (and renders) only after the last step, so a guard that sends the user elsewhere never
 * lets the guarded page flash. Every entry has a generation number: once a step navigates
 * away, the older entry's remaining steps do not run.
 *
 * Sign-in state (issue 10): in store mode the token is a store value, kept fresh by a
 * `TokenRefresher` when the app declares `auth.refresh`; in session mode a `SessionMarker`
 * stands for the server-side session. Either way, losing it while a protected page is shown
 * sends the user to the login page with `?next=`.
 */

import { storeToken, walkWidgets, type Access, type AppDef, type AppUser, type PageDef, type WidgetDef } from './app.ts';
import { bindingCodes, parseTemplate } from './binding.ts';
import { displayString, Evaluator, toError, type ScopeEntry } from './evaluate.ts';
import { batch, bindValue, noteRead, signal, type BoundValue, type ReadonlySignal, type Signal } from './graph.ts';
import type { Host, NavigationTarget } from './host.ts';
import { createJsObjectFacade, loadJsObject } from './jsobject.ts';
import { QueryModel } from './query.ts';
import { TokenRefresher } from './refresh.ts';
import { SessionMarker } from './sessionMarker.ts';
import { AppStore } from './store.ts';
import { appUrl, authRoutePath, externalUrl, pagePath, parseAppPath, parseQueryString, queryString, withQuery, type AppUrl } from './url.ts';

/** A widget instance in the graph, as bindings and the runtime see it. */
export interface WidgetModel {
  readonly name: string;
  readonly type: string;
  readonly def: WidgetDef;
  readonly children: readonly WidgetModel[];
  /** A property as bindings read it (`inp_username.text`); undefined when unknown or failing. */
  read(key: string): unknown;
  /** Back to the defaults: user input undone (children are reset by the runtime). */
  reset(): void;
}

export interface PageWidgets {
  readonly roots: readonly WidgetModel[];
  readonly byName: ReadonlyMap<string, WidgetModel>;
}

/** Builds the widget models of a page; supplied by the layer that knows the widget types. */
export type WidgetFactory = (page: PageDef, runtime: AppRuntime) => PageWidgets;

export type PageView =
  | { readonly status: 'starting' }
  | { readonly status: 'loading'; readonly page: PageDef }
  | { readonly status: 'ready'; readonly page: PageDef; readonly widgets: PageWidgets }
  | { readonly status: 'not_found'; readonly pageSlug: string }
  /** The definition has the page locked (nothing to build or run), or it is protected and the
   * token its definition was fetched with is gone: the viewer fetches the definition again. */
  | { readonly status: 'locked'; readonly page: PageDef };

export type AlertType = 'info' | 'success' | 'warning' | 'error';
const ALERT_TYPES: readonly AlertType[] = ['info', 'success', 'warning', 'error'];

export interface Toast {
  readonly id: number;
  readonly message: string;
  readonly type: AlertType;
}

/** The global functions bindings and JS objects call by name. */
export const GLOBAL_NAMES = [
  'storeValue',
  'removeValue',
  'clearStore',
  'navigateTo',
  'showAlert',
  'resetWidget',
] as const;

export const INVALID_TARGET = 'Enter a valid URL or page name';

const NO_REDIRECT_SIGN_IN = 'appsmith.signIn and appsmith.signOut need sign-in by redirect: auth.oidc in app.yaml';

/** `appsmith.user` while nobody is signed in (Appsmith's shape). */
const ANONYMOUS_USER = Object.freeze({ isAnonymous: true });

/**
 * What a definition fetched with `token` opened: its user, and whether its protected pages
 * may be entered in this runtime (`pagesOpen`: the definition is for the runtime's own user,
 * minus the pages it has `locked`). It holds while the store holds `token`.
 */
interface Grant {
  readonly token: string | undefined;
  readonly user: AppUser | null;
  readonly pagesOpen: boolean;
  readonly locked: ReadonlySet<string>;
}

const isPublic = (access: Access | undefined): boolean => access === undefined || access === 'public';

export class AppRuntime {
  readonly store: AppStore;
  readonly evaluator: Evaluator;
  readonly queries = new Map<string, QueryModel>();
  readonly jsObjects = new Map<string, Record<string, unknown>>();

  private readonly viewSignal = signal<PageView>({ status: 'starting' });
  private readonly widgetsSignal = signal<ReadonlyMap<string, WidgetModel>>(new Map());
  /**
   * The current page's widget of each name bindings can reach, one signal per name: a binding
   * that reads `inp_1.text` depends on `inp_1`'s signal only, so a page change that keeps
   * `inp_1`'s model (the editor's canvas replaces one widget's model per property edit) does not
   * run it again. `widgetsSignal` stays the page's whole set, for what needs all of it.
   */
  private readonly widgetByName = new Map<string, Signal<WidgetModel | undefined>>();
  private readonly urlSignal: Signal<AppUrl>;
  private readonly toastsSignal = signal<readonly Toast[]>([]);
  private readonly grantSignal: Signal<Grant>;
  /** Session mode: what stands for the token (the browser never holds the real one). */
  private readonly marker: SessionMarker | undefined;
  /** Store mode with `auth.refresh`: keeps the stored token fresh. */
  private readonly refresher: TokenRefresher | undefined;
  private nextToastId = 1;
  private generation = 0;
  /** Path and query string of the last page entry, to tell a #fragment change from a page change. */
  private enteredAt = '';
  /** Problems found while loading JS objects, shown as alerts when the app starts. */
  readonly loadProblems: string[] = [];

  constructor(
    readonly app: AppDef,
    private readonly host: Host,
    private readonly widgetFactory: WidgetFactory,
  ) {
    this.store = new AppStore(app.slug, host.storage);
    this.urlSignal = signal(appUrl(host.location()));
    const auth = app.auth;
    if (auth?.session) {
      const lost = () => this.toLoginIfProtected();
      this.marker = new SessionMarker(app.slug, app.user != null, host, auth.session.signOut, lost);
    }
    const refresh = auth?.refresh;
    if (auth?.tokenStore !== undefined && refresh) {
      this.refresher = new TokenRefresher({
        appSlug: app.slug,
        def: refresh,
        tokenKey: auth.tokenStore,
        store: this.store,
        host,
        runRefresh: () => {
          const query = this.queries.get(refresh.query);
          return query ? query.run() : Promise.reject(new Error(`there is no query named ${refresh.query}`));
        },
        onFailure: () => this.toLoginIfProtected(),
      });
    }
    const transport = this.marker?.transport(host.transport) ?? host.transport;
    // Until told otherwise (`grant`), the definition is taken as made for the token stored now.
    this.grantSignal = signal({ token: this.currentToken(), user: app.user ?? null, pagesOpen: true, locked: new Set() });
    const scope: ScopeEntry[] = [
      { name: 'appsmith', value: this.appsmithFacade() },
      ...this.globalFunctions(),
    ];
    const widgetNames = new Set<string>();
    for (const page of app.pages) for (const w of walkWidgets(page.widgets)) widgetNames.add(w.name);
    for (const name of widgetNames) {
      this.widgetByName.set(name, signal<WidgetModel | undefined>(undefined));
      scope.push({ name, value: this.widgetFacade(name) });
    }
    for (const q of app.queries) {
      // The refresh query itself is not retried after a 401: that is the refresh failing.
      const reauth = q.name === refresh?.query ? undefined : this.refresher;
      const model = new QueryModel(q, app.slug, (code, self) => this.evaluator.evaluate(code, self), transport, reauth);
      this.queries.set(q.name, model);
      scope.push({ name: q.name, value: queryFacade(model) });
    }
    for (const o of app.jsObjects) {
      const facade = createJsObjectFacade();
      this.jsObjects.set(o.name, facade);
      scope.push({ name: o.name, value: facade });
    }
    this.evaluator = new Evaluator(scope);
    for (const o of app.jsObjects) {
      try {
        loadJsObject(o.name, o.source, this.evaluator, this.jsObjects.get(o.name) ?? {});
      } catch (e) {
        this.loadProblems.push(toError(e).message);
      }
    }
  }

  // ---- what the viewer renders -------------------------------------------------------------

  get view(): ReadonlySignal<PageView> {
    return this.viewSignal;
  }
  get toasts(): ReadonlySignal<readonly Toast[]> {
    return this.toastsSignal;
  }
  get url(): ReadonlySignal<AppUrl> {
    return this.urlSignal;
  }

  /** Pages listed in the navigation: the visible ones, or only the current one if it is hidden. */
  navPages(current: PageDef | undefined): PageDef[] {
    if (current?.hidden) return [current];
    return this.app.pages.filter((p) => !p.hidden);
  }

  pageHref(page: PageDef): string {
    return pagePath(this.app.slug, page.slug);
  }

  /** Makes a graph node for a widget property (see graph.ts). */
  bind(raw: unknown): ReadonlySignal<BoundValue> {
    return bindValue(raw, this.evaluator);
  }

  // ---- who the definition was made for -------------------------------------------------------

  /** The token the app's store holds now (store mode), or the session marker (session mode),
   * read without tracking. */
  currentToken(): string | undefined {
    return this.marker ? this.marker.value.peek() : storeToken(this.store.values.peek(), this.app.auth?.tokenStore);
  }

  /** `currentToken`, tracked: an effect or binding that reads it runs again when it changes. */
  trackedToken(): string | undefined {
    return this.marker ? this.marker.value.value : storeToken(this.store.values.value, this.app.auth?.tokenStore);
  }

  /** What to send as `Authorization: Bearer`: store mode's token; never a session marker. */
  bearerToken(): string | undefined {
    return this.marker ? undefined : this.currentToken();
  }

  /** Stops the timers and channels of the app's sign-in state (the runtime is replaced or gone). */
  dispose(): void {
    this.marker?.dispose();
    this.refresher?.dispose();
  }

  /**
   * Another tab changed the persisted store: reads it again. With a declared refresh, the token
   * gone means a sign-out there, and a protected page shown here goes to the login page.
   */
  followStorage(): void {
    const had = this.currentToken() !== undefined;
    this.store.reload();
    if (this.refresher && had && this.currentToken() === undefined) this.toLoginIfProtected();
  }

  /** The user is signed out (elsewhere, or the session or refresh failed): a protected page
   * shown (or loading) is replaced by the login page with `?next=<page>`; an app that signs in
   * by redirect and has no login page sends the tab to the provider. */
  private toLoginIfProtected(): void {
    const view = this.viewSignal.peek();
    if ((view.status !== 'ready' && view.status !== 'loading') || isPublic(view.page.access)) return;
    const login = this.app.pages.find((p) => p.name === this.app.auth?.loginPage);
    if (!login && this.app.auth?.oidc && this.host.loadDocument) {
      this.host.loadDocument(authRoutePath(this.app.slug, 'login') + queryString({ next: view.page.name }));
      return;
    }
    if (!login || login === view.page) return;
    const to = pagePath(this.app.slug, login.slug) + queryString({ next: view.page.name });
    if (this.host.replaceUrl) this.host.replaceUrl(to);
    else this.host.pushUrl(to);
    void this.enterPage(login);
  }

  /**
   * `def` (a definition of this app) was fetched with `token`: while the store holds that
   * token, `appsmith.user` is its user and the protected pages it leaves unlocked open here,
   * if it is for the same user as this runtime's definition. (A page this runtime's definition
   * has locked has no widgets here: only a new runtime can open it.)
   */
  grant(def: AppDef, token: string | undefined): void {
    const user = def.user ?? null;
    this.grantSignal.value = {
      token,
      user,
      pagesOpen: (user?.id ?? null) === (this.app.user?.id ?? null),
      locked: new Set(def.pages.filter((p) => p.locked).map((p) => p.name)),
    };
  }

  /**
   * Whether entering `page` builds and shows it. A protected page is locked again as soon as
   * the store's token is not the one the definition was fetched with (signed out, or another
   * user signed in, here or in another tab), until a definition for the new token is granted.
   */
  isOpen(page: PageDef): boolean {
    if (page.locked) return false;
    if (isPublic(page.access)) return true;
    const g = this.grantSignal.peek();
    return g.token === this.currentToken() && g.pagesOpen && !g.locked.has(page.name);
  }

  /** `appsmith.user`'s source: the granted user while its token is stored (tracked). */
  private user(): AppUser | null {
    const g = this.grantSignal.value;
    return g.token === this.trackedToken() ? g.user : null;
  }

  dismissToast(id: number): void {
    this.toastsSignal.value = this.toastsSignal.peek().filter((t) => t.id !== id);
  }

  // ---- page changes ------------------------------------------------------------------------

  /** Opens the page the current URL names (at start, and on back/forward). */
  async start(): Promise<void> {
    for (const p of this.loadProblems.splice(0)) this.alert(p, 'error');
    await this.followLocation();
  }

  async followLocation(): Promise<void> {
    const loc = this.host.location();
    const view = this.viewSignal.peek();
    if (view.status === 'ready' && `${loc.pathname}${loc.search}` === this.enteredAt) {
      // Only the #fragment changed: the same page stays, its on-load chain does not run again.
      this.urlSignal.value = appUrl(loc);
      return;
    }
    const parsed = parseAppPath(loc.pathname);
    const pageSlug = parsed?.pageSlug;
    const page =
      pageSlug === undefined
        ? this.app.pages.find((p) => p.name === this.app.homePage)
        : this.app.pages.find((p) => p.slug === pageSlug);
    if (!page) {
      this.generation++;
      batch(() => {
        this.urlSignal.value = appUrl(loc);
        this.setWidgets(new Map());
        this.viewSignal.value = { status: 'not_found', pageSlug: pageSlug ?? '' };
      });
      return;
    }
    await this.enterPage(page);
  }

  /** Opens a page of this app in this tab (the page navigation's links). */
  goToPage(page: PageDef): void {
    this.host.pushUrl(pagePath(this.app.slug, page.slug));
    void this.enterPage(page);
  }

  /** Builds the page's widgets, runs its on-load chain, then shows it (unless it was left).
   * A page that is not open (`isOpen`) gets neither: it stays `locked` for the viewer to act on. */
  async enterPage(page: PageDef): Promise<void> {
    const gen = ++this.generation;
    const widgets = this.isOpen(page) ? this.widgetFactory(page, this) : undefined;
    const loc = this.host.location();
    this.enteredAt = `${loc.pathname}${loc.search}`;
    batch(() => {
      this.urlSignal.value = appUrl(loc);
      this.setWidgets(widgets?.byName ?? new Map());
      this.viewSignal.value = widgets ? { status: 'loading', page } : { status: 'locked', page };
    });
    if (!widgets) return;
    for (const step of page.onLoad) {
      if (gen !== this.generation) return;
      try {
        await this.runOnLoadStep(step);
      } catch (e) {
        if (gen === this.generation) this.alert(`${step} failed on page load: ${toError(e).message}`, 'error');
      }
    }
    if (gen !== this.generation) return;
    this.viewSignal.value = { status: 'ready', page, widgets };
  }

  /** Makes `byName` the page's widgets; only the names whose model changed are notified. */
  private setWidgets(byName: ReadonlyMap<string, WidgetModel>): void {
    this.widgetsSignal.value = byName;
    for (const [name, sig] of this.widgetByName) {
      const model = byName.get(name);
      if (sig.peek() !== model) sig.value = model;
    }
  }

  private async runOnLoadStep(step: string): Promise<void> {
    const dot = step.indexOf('.');
    if (dot > 0) {
      const objName = step.slice(0, dot);
      const fnName = step.slice(dot + 1);
      const obj = this.jsObjects.get(objName);
      const fn = obj?.[fnName];
      if (typeof fn !== 'function') throw new Error(`${objName} has no function ${fnName}`);
      await (fn as (this: unknown) => unknown).call(obj);
      return;
    }
    const query = this.queries.get(step);
    if (!query) throw new Error(`there is no query named ${step}`);
    await query.run();
  }

  // ---- events ------------------------------------------------------------------------------

  /**
   * Runs an event property (`onClick: "{{Auth.signin()}}"`): each binding's code in order,
   * each awaited. A failure is shown as an error alert; the promise itself always resolves (to
   * whether the code succeeded), so a button's spinner stops whatever happened.
   */
  async runEvent(code: unknown): Promise<boolean> {
    if (typeof code !== 'string' || code.trim() === '') return true;
    const { template, diagnostics } = parseTemplate(code);
    try {
      if (diagnostics[0]) throw new SyntaxError(diagnostics[0].message);
      const codes = bindingCodes(template);
      if (codes.length === 0) throw new Error(`An event must hold code in {{ }}: "${code}"`);
      for (const c of codes) await this.evaluator.runHandler(c);
      return true;
    } catch (e) {
      this.alert(toError(e).message, 'error');
      return false;
    }
  }

  // ---- globals -----------------------------------------------------------------------------

  private alert(message: unknown, type: unknown = 'info'): void {
    const t = ALERT_TYPES.includes(type as AlertType) ? (type as AlertType) : 'info';
    const toast: Toast = { id: this.nextToastId++, message: displayString(message), type: t };
    this.toastsSignal.value = [...this.toastsSignal.peek(), toast];
  }

  /** Runs statement code (`return` and `await` allowed) in the app's scope and gives its
   * value, or throws its error: the editor's Run of a query or a JS function. */
  async run(code: string): Promise<unknown> {
    return this.evaluator.runHandler(code);
  }

  /** `navigateTo`: protected so that a runtime that must not change pages (the editor's
   * canvas) can report the navigation instead. */
  protected async navigateTo(target: unknown, params: unknown = {}, mode: unknown = 'SAME_WINDOW'): Promise<void> {
    if (mode !== 'SAME_WINDOW' && mode !== 'NEW_WINDOW') {
      throw new Error(`navigateTo: the target must be 'SAME_WINDOW' or 'NEW_WINDOW', not ${displayString(mode)}`);
    }
    if (typeof target !== 'string') throw new Error(INVALID_TARGET);
    const qs = queryString(params);
    const page = this.app.pages.find((p) => p.name === target);
    if (page) {
      const path = pagePath(this.app.slug, page.slug) + qs;
      if (mode === 'NEW_WINDOW') {
        this.host.openAppUrl(path);
        return;
      }
      this.host.pushUrl(path);
      // Not awaited: the caller goes on (and usually ends) while the next page loads.
      void this.enterPage(page);
      return;
    }
    const url = externalUrl(target);
    if (url === null) throw new Error(INVALID_TARGET);
    this.host.openExternal(withQuery(url, qs), mode as NavigationTarget);
  }

  /**
   * `appsmith.signIn(next?)`: the server's sign-in by redirect (`/app/<slug>/_auth/login`),
   * back to the page `next` names afterwards: the argument, else the current URL's `?next=`
   * when it names a page of the app (a login page reached from a protected one), else the
   * server's choice (the home page).
   */
  private signIn(next: unknown): Promise<void> {
    let back: string | undefined;
    if (next !== undefined && next !== null && next !== '') {
      if (typeof next !== 'string' || !this.app.pages.some((p) => p.name === next)) {
        throw new Error(`appsmith.signIn: there is no page named ${displayString(next)}`);
      }
      back = next;
    } else {
      const asked = parseQueryString(this.host.location().search).next;
      back = this.app.pages.some((p) => p.name === asked) ? asked : undefined;
    }
    this.loadAuthRoute('login', queryString({ next: back }), 'Sign-in by redirect runs in the published app');
    return Promise.resolve();
  }

  /** `appsmith.signOut()`: the server's sign-out (`/app/<slug>/_auth/logout`), which ends the
   * session here and, where the provider offers it, at the provider. */
  private signOut(): Promise<void> {
    this.loadAuthRoute('logout', '', 'Sign-out by redirect runs in the published app');
    return Promise.resolve();
  }

  /** Loads a route of the server's sign-in by redirect in the tab; a host that cannot (the
   * editor's preview and canvas) gets the `elsewhere` alert instead. */
  private loadAuthRoute(route: 'login' | 'logout', qs: string, elsewhere: string): void {
    if (!this.host.loadDocument) {
      this.alert(elsewhere, 'info');
      return;
    }
    if (!this.app.auth?.oidc) throw new Error(NO_REDIRECT_SIGN_IN);
    this.host.loadDocument(authRoutePath(this.app.slug, route) + qs);
  }

  private resetWidget(name: unknown, resetChildren: unknown = true): void {
    const widget = typeof name === 'string' ? this.widgetsSignal.peek().get(name) : undefined;
    if (!widget) throw new Error(`resetWidget: there is no widget named ${displayString(name)} on this page`);
    const reset = (w: WidgetModel): void => {
      w.reset();
      if (resetChildren !== false) for (const c of w.children) reset(c);
    };
    batch(() => reset(widget));
  }

  private globalFunctions(): ScopeEntry[] {
    const fns: Record<(typeof GLOBAL_NAMES)[number], (...args: never[]) => Promise<void>> = {
      storeValue: (key: string, value: unknown, persist?: boolean) => {
        // Synchronous on purpose: code after the call sees the value, and a refused value
        // throws right where it was stored.
        this.store.set(key, value, persist !== false);
        return Promise.resolve();
      },
      removeValue: (key: string) => {
        this.store.remove(key);
        return Promise.resolve();
      },
      clearStore: () => {
        this.store.clear();
        return Promise.resolve();
      },
      navigateTo: (target: unknown, params?: unknown, mode?: unknown) => this.navigateTo(target, params, mode),
      showAlert: (message: unknown, type?: unknown) => {
        this.alert(message, type);
        return Promise.resolve();
      },
      resetWidget: (name: unknown, resetChildren?: unknown) => {
        this.resetWidget(name, resetChildren);
        return Promise.resolve();
      },
    };
    return GLOBAL_NAMES.map((name) => ({ name, value: fns[name] }));
  }

  private appsmithFacade(): object {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const rt = this;
    return Object.freeze({
      get store() {
        return rt.store.values.value;
      },
      get URL() {
        return rt.urlSignal.value;
      },
      mode: 'VIEW',
      // The caller the server recognised from the token the definition was fetched with;
      // anonymous once the store no longer holds that token.
      get user() {
        return rt.user() ?? ANONYMOUS_USER;
      },
      signIn: (next?: unknown) => rt.signIn(next),
      signOut: () => rt.signOut(),
    });
  }

  /**
   * A widget as bindings reach it by name: reads go to the widget of that name on the current
   * page (undefined elsewhere). Writes are refused: widget state changes through user input
   * and `resetWidget`.
   */
  private widgetFacade(name: string): object {
    return new Proxy(Object.create(null) as object, {
      get: (_t, key) => {
        if (typeof key !== 'string') return undefined;
        return this.widgetByName.get(name)?.value?.read(key);
      },
      set: () => false,
    });
  }
}

function queryFacade(model: QueryModel): object {
  const key = `query:${model.def.name}`;
  return Object.freeze({
    run: (params?: unknown) => model.run(params),
    get data() {
      noteRead(key);
      return model.data.value;
    },
    get isLoading() {
      noteRead(key);
      return model.isLoading.value;
    },
    get responseMeta() {
      noteRead(key);
      return model.responseMeta.value;
    },
    get error() {
      noteRead(key);
      return model.error.value;
    },
  });
}
