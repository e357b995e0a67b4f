/**
 * The canvas's live runtime: the draft's current page as the viewer runs it (the viewer's
 * widget models on an `AppRuntime`), kept up to date as the document changes.
 *
 * Why incremental: a property edit must repaint a page of 300 widgets within one frame, and
 * every keystroke in the property pane is such an edit. Rebuilding the runtime compiles every
 * binding of the app again and gives every widget a new model, so the whole page renders again.
 * Documents are immutable and share what a change did not touch, so a widget whose document
 * object is the same as before keeps its model (and its state: what was typed into a canvas
 * Input stays); only the changed ones are built again, and the runtime is told the page's new
 * widget set. The runtime itself is rebuilt only when the names bindings can reach change (a
 * widget added, removed or renamed anywhere, a query or JS object changed): its evaluator's
 * scope is fixed when it is made.
 *
 * A Form's children are built together with it (a Button reads its Form's validity, and a
 * Form its inputs), so a change inside a Form builds that Form's subtree again; a Container
 * outside any Form is built alone and keeps its children's models.
 *
 * Events (onClick, onTextChanged…) do not run on the canvas: a click there selects; running
 * the app is what Preview is for. What does run here is the editor's Run of a query or a JS
 * function (`run`): with the values of the canvas's widgets (what the builder typed into a
 * canvas Input), queries through the transport the editor gives (the draft's run endpoint),
 * `navigateTo` reported rather than done (the canvas stays on its page), and a store kept in
 * memory across runtimes, so a token stored by one Run is there for the next.
 */

import {
  AppRuntime,
  batch,
  signal,
  type AppDef,
  type Host,
  type LocationSnapshot,
  type PageDef,
  type PageWidgets,
  type ReadonlySignal,
  type Transport,
  type WidgetDef,
  type WidgetModel,
} from '../../../runtime/index.ts';
import { BaseWidget, createPageWidgets, InputModel } from '../../../widgets/index.ts';
import { MemoryStorage } from '../../../viewer/memoryHost.ts';
import { pageSlug, widgetsOf } from '../../doc/query.ts';
import { queryBindings } from '../../doc/queryBindings.ts';
import type { AppDoc, PageDoc, WidgetDoc } from '../../doc/types.ts';

/**
 * The benchmark's baseline (bench/editor): a build made with VITE_LOWKEY_CANVAS_REBUILD=1
 * makes the runtime and every model again at each change, the strategy this module avoids.
 */
const REBUILD_ALWAYS = (import.meta as { env?: Record<string, string | undefined> }).env?.VITE_LOWKEY_CANVAS_REBUILD === '1';

/** An AppRuntime whose events do nothing (on the canvas, widgets are edited, not used) and
 * whose navigation is reported to `onNavigate` instead of changing the page. */
class CanvasRuntime extends AppRuntime {
  onNavigate: (target: string) => void = () => undefined;

  override runEvent(): Promise<boolean> {
    return Promise.resolve(true);
  }

  protected override navigateTo(target: unknown): Promise<void> {
    this.onNavigate(typeof target === 'string' ? target : String(target));
    return Promise.resolve();
  }
}

const NO_QUERIES: Transport = {
  runQuery: () =>
    Promise.resolve({ httpStatus: 409, body: { error: { code: 'canvas', message: 'Queries run in Preview, not on the canvas' } } }),
};

function canvasHost(appSlug: string, transport: Transport, storage: MemoryStorage): Host {
  const origin = typeof location === 'undefined' ? 'http://localhost' : location.origin;
  const pathname = `/app/${encodeURIComponent(appSlug)}`;
  const url = new URL(pathname, origin);
  const snapshot: LocationSnapshot = {
    href: url.href,
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    port: url.port,
    pathname,
    search: '',
    hash: '',
  };
  return {
    storage,
    transport,
    location: () => snapshot,
    pushUrl: () => undefined,
    openAppUrl: () => undefined,
    openExternal: () => undefined,
  };
}

function pageDefOf(page: PageDoc): PageDef {
  // No on-load steps: they would run queries and navigate while the builder edits.
  return { name: page.name, slug: pageSlug(page), hidden: page.hidden, onLoad: [], widgets: page.widgets };
}

function appDefOf(doc: AppDoc): AppDef {
  return {
    name: doc.name,
    slug: doc.slug,
    homePage: doc.homePage,
    pages: doc.pages.map(pageDefOf),
    // Run from the editor: each query sends the values of exactly the bindings the server asks for.
    queries: doc.queries.map((q) => ({ name: q.name, bindings: queryBindings(doc, q) })),
    jsObjects: doc.jsObjects,
  };
}

/** What bindings can reach by name: when it changes, the runtime is made again. */
function scopeKey(doc: AppDoc): string {
  const parts: string[] = [doc.slug, doc.homePage];
  for (const page of doc.pages) {
    parts.push(`p:${page.name}`);
    for (const w of widgetsOf(page)) parts.push(w.name);
  }
  parts.push(codeKey(doc));
  return parts.join('\n');
}

/** The queries' and JS objects' part of `scopeKey`, kept while those lists (and the
 * datasources, whose headers hold bindings) are the same objects: a property edit, which makes
 * a new document at every key, does not compute every query's bindings again. */
const codeKeys = new WeakMap<AppDoc['queries'], { readonly js: AppDoc['jsObjects']; readonly ds: AppDoc['datasources']; readonly key: string }>();

function codeKey(doc: AppDoc): string {
  const hit = codeKeys.get(doc.queries);
  if (hit && hit.js === doc.jsObjects && hit.ds === doc.datasources) return hit.key;
  const parts: string[] = [];
  for (const q of doc.queries) parts.push(`q:${q.name}`, queryBindings(doc, q).join('\u0000'));
  for (const o of doc.jsObjects) parts.push(`j:${o.name}`, o.source);
  const key = parts.join('\n');
  codeKeys.set(doc.queries, { js: doc.jsObjects, ds: doc.datasources, key });
  return key;
}

interface Entry {
  readonly def: WidgetDef;
  readonly model: WidgetModel;
  /** Built as part of a Form's subtree: reused only with that Form. */
  readonly inForm: boolean;
}

/**
 * What the builder typed into a canvas Input survives a new model of that Input (a change
 * elsewhere in its Form builds the Form's subtree again).
 */
function keepTyped(old: WidgetModel | undefined, next: WidgetModel): void {
  if (!(old instanceof InputModel) || !(next instanceof InputModel) || !old.isDirty.peek()) return;
  next.setText(old.currentText.peek());
  next.touched.value = old.touched.peek();
}

export interface LiveStats {
  /** Runtimes made (the first one included). */
  runtimes: number;
  /** Widget models built. */
  models: number;
}

export class LiveCanvas {
  private runtime: AppRuntime | null = null;
  private key = '';
  private pageName = '';
  private widgets: readonly WidgetDoc[] | null = null;
  private cache = new Map<string, Entry>();
  /** The cached models belong to a runtime that was replaced: none is reused (only what was
   * typed into them is carried over). */
  private stale = false;
  private readonly rootsSignal = signal<readonly WidgetModel[]>([]);
  private readonly byNameSignal = signal<ReadonlyMap<string, WidgetModel>>(new Map());
  private readonly runtimeSignal = signal<AppRuntime | null>(null);
  /** The store of every runtime this canvas makes (see the module's comment). */
  private readonly storage = new MemoryStorage();
  readonly stats: LiveStats = { runtimes: 0, models: 0 };

  /**
   * @param transport where queries run from the editor go (default: nowhere, an error)
   * @param onNavigate told of each `navigateTo` a Run asks for
   */
  constructor(
    private readonly transport: Transport = NO_QUERIES,
    private readonly onNavigate: (target: string) => void = () => undefined,
  ) {}

  /**
   * Runs statement code in the canvas's runtime (`return Auth.signin()`), with the document
   * `doc` and page `pageName` brought up to date first; gives its value or throws its error.
   */
  async run(doc: AppDoc, pageName: string, code: string): Promise<unknown> {
    this.update(doc, pageName);
    const runtime = this.runtime;
    if (runtime === null) throw new Error('The canvas has no runtime yet.');
    return runtime.run(code);
  }

  /** The current page's top-level widget models, in document order. */
  get roots(): ReadonlySignal<readonly WidgetModel[]> {
    return this.rootsSignal;
  }

  /** Every widget model of the current page, by name. */
  get models(): ReadonlySignal<ReadonlyMap<string, WidgetModel>> {
    return this.byNameSignal;
  }

  get app(): ReadonlySignal<AppRuntime | null> {
    return this.runtimeSignal;
  }

  /** Brings the models up to date with the document's page `pageName`. */
  update(doc: AppDoc, pageName: string): void {
    const key = scopeKey(doc);
    let runtime = this.runtime;
    if (runtime === null || key !== this.key || REBUILD_ALWAYS) {
      const made = new CanvasRuntime(appDefOf(doc), canvasHost(doc.slug, this.transport, this.storage), (page, rt) => this.build(page, rt));
      made.onNavigate = this.onNavigate;
      runtime = made;
      this.runtime = runtime;
      this.key = key;
      this.stale = true;
      this.widgets = null;
      this.stats.runtimes++;
    }
    const page = doc.pages.find((p) => p.name === pageName);
    if (page === undefined) {
      batch(() => {
        this.rootsSignal.value = [];
        this.byNameSignal.value = new Map();
        this.runtimeSignal.value = runtime;
      });
      this.widgets = null;
      return;
    }
    if (page.widgets === this.widgets && pageName === this.pageName && this.runtimeSignal.peek() === runtime) return;
    if (pageName !== this.pageName) this.cache = new Map();
    this.pageName = pageName;
    this.widgets = page.widgets;
    const rt = runtime;
    batch(() => {
      // Synchronous: the page has no on-load steps, so entering it builds (through `build`)
      // and shows it before the promise is returned.
      void rt.enterPage(pageDefOf(page));
      this.runtimeSignal.value = rt;
    });
  }

  /** The runtime's widget factory: reuses the models of unchanged widgets. */
  private build(page: PageDef, runtime: AppRuntime): PageWidgets {
    const next = new Map<string, Entry>();
    const byName = new Map<string, WidgetModel>();
    const carry = (model: WidgetModel): void => {
      const entry = this.cache.get(model.name);
      if (entry) next.set(model.name, entry);
      byName.set(model.name, model);
      for (const c of model.children) carry(c);
    };
    const fresh = (def: WidgetDef): WidgetModel | undefined => {
      const built = createPageWidgets({ ...page, widgets: [def] }, runtime);
      this.stats.models += built.byName.size;
      for (const [name, model] of built.byName) {
        byName.set(name, model);
        next.set(name, { def: model.def, model, inForm: name !== def.name });
        keepTyped(this.cache.get(name)?.model, model);
      }
      return built.roots[0];
    };
    const place = (def: WidgetDef): WidgetModel | undefined => {
      const hit = this.cache.get(def.name);
      if (hit && !this.stale && hit.def === def && !hit.inForm) {
        carry(hit.model);
        return hit.model;
      }
      if (def.type !== 'Container') return fresh(def);
      // A Container alone, with its children's models kept where they did not change.
      const model = fresh({ ...def, children: [] });
      if (model === undefined) return undefined;
      next.set(def.name, { def, model, inForm: false });
      if (model instanceof BaseWidget) model.children = placeAll(def.children);
      return model;
    };
    const placeAll = (defs: readonly WidgetDef[]): WidgetModel[] => {
      const out: WidgetModel[] = [];
      for (const d of defs) {
        const m = place(d);
        if (m) out.push(m);
      }
      return out;
    };
    const roots = placeAll(page.widgets);
    this.cache = next;
    this.stale = false;
    this.rootsSignal.value = roots;
    this.byNameSignal.value = byName;
    return { roots, byName };
  }
}
