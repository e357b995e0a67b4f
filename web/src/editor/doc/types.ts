/**
 * The editor's document: an app's draft exactly as the server stores it (the app crate's
 * canonical JSON, `App::to_json`; docs/api.md "Builder API"), and the shapes of the editor's
 * model layer. This file is the contract between the model (`doc/`, `save/`) and the UI (`ui/`).
 *
 * Documents are immutable: an operation returns a new document that shares what it did not
 * change, so a Preact component can compare by identity.
 */

import type { ReadonlySignal } from '@preact/signals';

export interface Position {
  readonly col: number;
  readonly row: number;
  readonly width: number;
  readonly height: number;
}

/** A widget type of schema/widgets.json. */
export type WidgetType = 'Form' | 'Container' | 'Input' | 'Button' | 'Text' | 'Table';

export interface WidgetDoc {
  readonly name: string;
  readonly type: WidgetType;
  readonly position: Position;
  /** In the order the builder set them; a missing key means the catalogue's default. */
  readonly props: Readonly<Record<string, unknown>>;
  readonly children: readonly WidgetDoc[];
}

export interface PageDoc {
  readonly name: string;
  /** Omitted: the name in kebab case. */
  readonly slug?: string;
  readonly hidden: boolean;
  /** "public" (omitted) | "signedIn" | { roles: [...] } (docs/app-format.md, "Protection"). */
  readonly access?: unknown;
  readonly onLoad: readonly string[];
  readonly widgets: readonly WidgetDoc[];
}

/** Where queries send requests (docs/app-format.md, `app.yaml`). */
export interface DatasourceDoc {
  readonly name: string;
  /** An absolute http(s) URL, or a path of this server ("/auth/v1"). */
  readonly url: string;
  /** Sent with every query of the datasource; values may use `{{secrets.NAME}}`. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A query's body: a template (`json`, `text`) or fields of templates (`form`). */
export type QueryBody =
  | { readonly type: 'json' | 'text'; readonly content: string }
  | { readonly type: 'form'; readonly content: Readonly<Record<string, string>> };

/** A REST query (docs/app-format.md, `queries/<query>.yaml`), as the server's canonical JSON. */
export interface QueryDoc {
  readonly name: string;
  /** With `path`: a datasource of the app. */
  readonly datasource?: string;
  readonly path?: string;
  /** Without a datasource: an absolute URL. */
  readonly url?: string;
  readonly method?: HttpMethod;
  readonly params?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: QueryBody;
  readonly timeoutMs?: number;
  readonly followRedirects?: boolean;
  /** "public" (omitted) | "signedIn" | { roles: [...] } (docs/app-format.md, "Protection"). */
  readonly access?: unknown;
  /** `Authorization: Basic`, computed on the server from these templates (usually secrets). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

export interface JsObjectDoc {
  readonly name: string;
  readonly source: string;
}

export interface AppDoc {
  readonly version: number;
  readonly name: string;
  readonly slug: string;
  readonly homePage: string;
  /** Where visitors sign in and how tokens are verified (docs/app-format.md, "Protection"). */
  readonly auth?: Readonly<Record<string, unknown>>;
  readonly datasources: readonly DatasourceDoc[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly pages: readonly PageDoc[];
  readonly queries: readonly QueryDoc[];
  readonly jsObjects: readonly JsObjectDoc[];
}

/** Where a widget lives: its page, and its parent container (null: the page's own grid). */
export interface WidgetPlace {
  readonly page: string;
  readonly parent: string | null;
}

/**
 * One typed edit. Every operation can be applied to a document (`applyOp`) and inverted
 * against the document it applies to (`invertOp`), which is what undo replays.
 */
export type Op =
  | { readonly kind: 'addWidget'; readonly page: string; readonly parent: string | null; readonly widget: WidgetDoc; readonly index?: number }
  | { readonly kind: 'removeWidget'; readonly page: string; readonly name: string }
  | { readonly kind: 'placeWidget'; readonly page: string; readonly name: string; readonly parent: string | null; readonly position: Position; readonly index?: number }
  | {
      readonly kind: 'setProp';
      readonly page: string;
      readonly widget: string;
      readonly prop: string;
      readonly value: unknown;
      /** Where a property not set yet goes among the others (default: last); undo uses it to
       * put an unset property back in its place. */
      readonly index?: number;
    }
  | { readonly kind: 'unsetProp'; readonly page: string; readonly widget: string; readonly prop: string }
  | { readonly kind: 'renameWidget'; readonly page: string; readonly from: string; readonly to: string; readonly keep?: RenameKeep }
  | { readonly kind: 'addPage'; readonly page: PageDoc; readonly index?: number }
  | { readonly kind: 'removePage'; readonly name: string }
  | { readonly kind: 'renamePage'; readonly from: string; readonly to: string; readonly keep?: RenameKeep }
  | { readonly kind: 'setPageHidden'; readonly name: string; readonly hidden: boolean }
  | { readonly kind: 'setHomePage'; readonly name: string }
  /** A page's on-load list, whole: each step a query's name or `JsObject.function`. */
  | { readonly kind: 'setPageOnLoad'; readonly page: string; readonly steps: readonly string[] }
  | { readonly kind: 'setAppName'; readonly name: string }
  /**
   * Queries, JS objects and datasources, whole: `value` replaces the one named `name` in its
   * place, or adds it (at `index`, default last) when there is none; null removes it. The
   * value's own name must be `name` (renames are their own operations, they rewrite code).
   */
  | { readonly kind: 'putQuery'; readonly name: string; readonly value: QueryDoc | null; readonly index?: number }
  | { readonly kind: 'putJsObject'; readonly name: string; readonly value: JsObjectDoc | null; readonly index?: number }
  | { readonly kind: 'putDatasource'; readonly name: string; readonly value: DatasourceDoc | null; readonly index?: number }
  /** Renames a query or JS object, with every reference to it (code and on-load steps). */
  | { readonly kind: 'renameCode'; readonly from: string; readonly to: string; readonly keep?: RenameKeep }
  /** Renames a datasource and points its queries at the new name. */
  | { readonly kind: 'renameDatasource'; readonly from: string; readonly to: string }
  /** Who may open a page (docs/app-format.md, "Protection"); undefined: public. */
  | { readonly kind: 'setPageAccess'; readonly page: string; readonly access: unknown }
  /** The app's sign-in (`auth` of app.yaml); undefined: none. */
  | { readonly kind: 'setAppAuth'; readonly auth: Readonly<Record<string, unknown>> | undefined };

/**
 * References a rename leaves as they are, so that the undo of a rename is exact: by place
 * (`widget:<name>`, `query:<name>`, `js:<name>`), the ordinals (from 0, in the order of the
 * place's code) of the references to the old name to skip. Only undo sets it: a rename onto a
 * name that code already mentioned makes those mentions point at the widget, and its undo must
 * not rename them too.
 */
export type RenameKeep = Readonly<Record<string, readonly number[]>>;

/** What one user action did: its operations, applied in order, and a label for undo menus. */
export interface Change {
  readonly label: string;
  readonly ops: readonly Op[];
}

/** A problem the server's validator found, located as precisely as it can be. */
export interface Problem {
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly page?: string;
  readonly widget?: string;
  readonly property?: string;
}

/**
 * The save state shown to the builder (a `status` region):
 * - `saved`: the server has every change;
 * - `saving`: a write is in flight;
 * - `unsaved`: changes wait for the next write (debounced);
 * - `offline`: the server cannot be reached; changes are kept in this browser and retried;
 * - `conflict`: another tab or builder changed the draft; some changes could not be re-applied
 *   and are shown to the builder (nothing is dropped silently);
 * - `error`: the server refused a write (the message says why); changes are kept.
 * - `signedOut`: the server answered 401 (the builder's session expired, was revoked, or was
 *   ended in another tab); changes are kept (journal too) and not retried until `flush` is
 *   called once the builder has signed in again.
 */
export type SaveState = 'saved' | 'saving' | 'unsaved' | 'offline' | 'conflict' | 'error' | 'signedOut';

export interface DraftSnapshot {
  readonly revision: number;
  readonly app: AppDoc;
  readonly problems: readonly Problem[];
}

export type PutDraftResult =
  | { readonly kind: 'saved'; readonly revision: number; readonly problems: readonly Problem[] }
  | { readonly kind: 'conflict'; readonly current: DraftSnapshot }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }
  | { readonly kind: 'offline' };

/** The part of the Builder API the editing session needs (implemented over fetch in `api.ts`). */
export interface DraftApi {
  getDraft(slug: string): Promise<DraftSnapshot>;
  putDraft(slug: string, revision: number, app: AppDoc): Promise<PutDraftResult>;
}

/**
 * One app's editing session: the document, its history and its autosave.
 * `save/session.ts` implements it; the UI reads the signals and calls the methods.
 */
export interface EditingSession {
  readonly doc: ReadonlySignal<AppDoc>;
  readonly revision: ReadonlySignal<number>;
  readonly saveState: ReadonlySignal<SaveState>;
  /** Why the state is `error` or `conflict`, in words for the builder. */
  readonly saveMessage: ReadonlySignal<string>;
  readonly problems: ReadonlySignal<readonly Problem[]>;
  readonly canUndo: ReadonlySignal<boolean>;
  readonly canRedo: ReadonlySignal<boolean>;
  /** Labels of the next undo / redo ("Move inp_username"), or "" when there is none. */
  readonly undoLabel: ReadonlySignal<string>;
  readonly redoLabel: ReadonlySignal<string>;
  /** Applies a change, records it for undo and schedules a save. Throws `OpError` (and
   * changes nothing) when an operation does not apply. */
  apply(change: Change): void;
  undo(): void;
  redo(): void;
  /** Saves now; resolves when the server has every change made before the call (or the
   * state became offline/conflict/error/signedOut). The one way out of `signedOut`, once the
   * builder has signed in again. */
  flush(): Promise<void>;
  /** Stops timers and listeners. */
  dispose(): void;
  /** Changes that could not be re-applied on top of another tab's or builder's edits; kept
   * (in this browser's journal too) until the builder dismisses them. */
  readonly notApplied?: ReadonlySignal<readonly NotAppliedChange[]>;
  /** Forgets the not-applied changes (the builder has seen them), from the journal as well. */
  dismissNotApplied?(): void;
}

/** A change that no longer applies to the server's draft, and why, in words. */
export interface NotAppliedChange {
  readonly change: Change;
  readonly reason: string;
}
