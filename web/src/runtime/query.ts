/**
 * Queries as the browser sees them: `<query>.run(params)`, `data`, `isLoading`,
 * `responseMeta` and `error`.
 *
 * The browser never holds a query's definition, only the list of its bindings. `run` evaluates
 * each binding (with `this.params` = the run's params), posts the values by binding text, and
 * the server executes the stored query (docs/api.md). A non-2xx upstream status or an error of
 * lowkey itself rejects the promise with an Error carrying the provider's own message, so
 * `showAlert(error.message)` shows e.g. "Invalid login credentials".
 */

import { computed, signal, untracked, type ReadonlySignal } from './graph.ts';
import { toError } from './evaluate.ts';
import { jsonProblem } from './store.ts';
import type { Access } from './app.ts';

export interface QueryDef {
  readonly name: string;
  /** The trimmed text of each `{{ }}` of the query, in order of first appearance. */
  readonly bindings: readonly string[];
  /** Absent: public. A run the caller may not make is refused by the server (401/403). */
  readonly access?: Access;
  /** The caller may not run it: the server sent no bindings. */
  readonly locked?: boolean;
}

/** What the transport got back from `POST /api/v1/apps/{slug}/queries/{name}/run`. */
export interface TransportResponse {
  /** HTTP status of lowkey's own response (200 whenever the query executed). */
  readonly httpStatus: number;
  /** The parsed JSON body, or the text when it was not JSON. */
  readonly body: unknown;
  /** Session mode: the server's `X-Lowkey-Session` header, when it sent one. */
  readonly session?: SessionHeader | undefined;
}

/** What the server says of an app's session cookie in the `X-Lowkey-Session` header. */
export type SessionHeader = 'started' | 'refreshed' | 'ended';

/** Store-mode refresh as a query run sees it (`TokenRefresher`). */
export interface Reauth {
  /** The token a run is sent with now. */
  token(): string | undefined;
  /** After a 401 to a run sent with `sentWith`: true once a fresh token is stored. Never rejects. */
  recover(sentWith: string | undefined): Promise<boolean>;
}

export interface Transport {
  /** Rejects only when the server could not be reached. */
  runQuery(appSlug: string, query: string, params: Record<string, unknown>): Promise<TransportResponse>;
}

export interface ResponseMeta {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly isExecutionSuccess: boolean;
}

/** The rejection of a failed `run`: the message is the provider's (or lowkey's) own. */
export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    message: string,
    readonly statusCode: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** Evaluates one binding's code with the given `this`; throws what the code throws. */
export type BindingEvaluator = (code: string, thisArg: unknown) => unknown;

export class QueryModel {
  private readonly dataSignal = signal<unknown>(undefined);
  private readonly metaSignal = signal<ResponseMeta | undefined>(undefined);
  private readonly errorSignal = signal<string | undefined>(undefined);
  private readonly runningSignal = signal(0);
  /** Only the latest run writes data/responseMeta/error, so a slow older answer cannot win. */
  private latestRun = 0;

  constructor(
    readonly def: QueryDef,
    private readonly appSlug: string,
    private readonly evaluate: BindingEvaluator,
    private readonly transport: Transport,
    /** Given: a run answered 401 is made again, once, after a successful refresh. */
    private readonly reauth?: Reauth,
  ) {}

  get data(): ReadonlySignal<unknown> {
    return this.dataSignal;
  }
  get responseMeta(): ReadonlySignal<ResponseMeta | undefined> {
    return this.metaSignal;
  }
  /** The message of the last run's failure; undefined after a success. */
  get error(): ReadonlySignal<string | undefined> {
    return this.errorSignal;
  }
  /** True while at least one run is in flight. */
  readonly isLoading: ReadonlySignal<boolean> = computed(() => this.runningSignal.value > 0);

  /** The values of the query's bindings for one run, keyed by binding text. */
  evaluateParams(params: Record<string, unknown>): Record<string, unknown> {
    const self = { params };
    const out: Record<string, unknown> = {};
    // Untracked: a run started from inside a binding must not make that binding depend on
    // everything the query reads.
    untracked(() => {
      for (const code of this.def.bindings) {
        let value: unknown;
        try {
          value = this.evaluate(code, self);
        } catch (e) {
          throw new Error(`${this.def.name}: {{ ${code} }} failed: ${toError(e).message}`);
        }
        const problem = jsonProblem(value);
        if (problem) throw new Error(`${this.def.name}: {{ ${code} }}: ${problem}`);
        // JSON has no undefined: an unset value is sent as null.
        out[code] = value === undefined ? null : value;
      }
    });
    return out;
  }

  /** Evaluates the bindings and sends them; after a 401 and a refresh, once more (the
   * bindings again too: they usually hold the token, as `Bearer {{appsmith.store.…}}`). */
  private async send(params: Record<string, unknown>): Promise<TransportResponse> {
    const sentWith = this.reauth?.token();
    const response = await this.transport.runQuery(this.appSlug, this.def.name, this.evaluateParams(params));
    if (!this.reauth || !isUnauthorized(response) || !(await this.reauth.recover(sentWith))) return response;
    return this.transport.runQuery(this.appSlug, this.def.name, this.evaluateParams(params));
  }

  async run(params?: unknown): Promise<unknown> {
    const runParams =
      params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {};
    const id = ++this.latestRun;
    this.runningSignal.value++;
    try {
      let response: TransportResponse;
      try {
        response = await this.send(runParams);
      } catch (e) {
        const error = new QueryError(toError(e).message, 0, undefined);
        if (id === this.latestRun) {
          this.metaSignal.value = { statusCode: 0, headers: {}, isExecutionSuccess: false };
          this.errorSignal.value = error.message;
        }
        throw error;
      }
      const outcome = interpret(response);
      if (id === this.latestRun) {
        this.metaSignal.value = outcome.meta;
        if (outcome.meta.isExecutionSuccess) {
          this.dataSignal.value = outcome.body;
          this.errorSignal.value = undefined;
        } else {
          this.errorSignal.value = outcome.message;
        }
      }
      if (!outcome.meta.isExecutionSuccess) {
        throw new QueryError(outcome.message, outcome.meta.statusCode, outcome.body);
      }
      return outcome.body;
    } finally {
      this.runningSignal.value--;
    }
  }
}

/** A 401 of lowkey (`not_signed_in`) or of the upstream API: the token may just be stale. */
function isUnauthorized(r: TransportResponse): boolean {
  return r.httpStatus === 401 || (r.httpStatus === 200 && isRecord(r.body) && r.body.status === 401);
}

interface Outcome {
  meta: ResponseMeta;
  body: unknown;
  message: string;
}

function interpret(response: TransportResponse): Outcome {
  const b = response.body;
  if (response.httpStatus === 200 && isRecord(b) && typeof b.status === 'number' && 'body' in b) {
    const status = b.status;
    const success = status >= 200 && status < 300;
    // An empty answer (204, or a 200 without a body: a revocation, a sign-out) is data null.
    const body = success && b.body === '' ? null : b.body;
    return {
      meta: { statusCode: status, headers: stringRecord(b.headers), isExecutionSuccess: success },
      body,
      message: success ? '' : errorMessage(b.body, status),
    };
  }
  // Lowkey itself refused (unknown query, missing param, upstream unreachable, …).
  const status = response.httpStatus === 200 ? 502 : response.httpStatus;
  return {
    meta: { statusCode: status, headers: {}, isExecutionSuccess: false },
    body: b,
    message: errorMessage(b, status),
  };
}

/**
 * The message an error body carries, in the shapes providers use, first found first: OAuth
 * 2.0's `error_description`, then its `error` code when that is a string (RFC 6749 §5.2:
 * Keycloak, Django OAuth Toolkit, Auth0), GoTrue's `msg` (and its newer `message`), then
 * `error.message` (Firebase, Google APIs, lowkey's own errors).
 */
export function errorMessage(body: unknown, status: number): string {
  if (isRecord(body)) {
    for (const key of ['error_description', 'error', 'msg', 'message'] as const) {
      const v = body[key];
      if (typeof v === 'string' && v !== '') return v;
    }
    const err = body.error;
    if (isRecord(err) && typeof err.message === 'string' && err.message !== '') return err.message;
  }
  return `Request failed with status ${status}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : String(x);
  return out;
}
