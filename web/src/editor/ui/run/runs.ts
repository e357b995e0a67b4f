/**
 * Runs from the editor: the canvas runtime's transport posts a query's binding values to the
 * draft's run endpoint (a builder-only endpoint: the server runs the *draft* query as the
 * builder), and every answer is kept here, by query, whoever ran it — the query editor's Run
 * button, a JS function's Run that calls the query, a Run of an on-load step. The query
 * editor shows the last one, and completion offers the fields of its body.
 *
 * The server runs the draft as it is saved: callers flush the session before a run.
 */

import { signal, type ReadonlySignal } from '@preact/signals';
import type { Transport, TransportResponse } from '../../../runtime/index.ts';

/** One answer of the run endpoint, as received. */
export interface RawRun {
  /** When the run started (ms since the epoch). */
  readonly at: number;
  /** The run endpoint's HTTP status; null when lowkey could not be reached. */
  readonly httpStatus: number | null;
  /** The parsed JSON answer (or its text when it is not JSON). */
  readonly body: unknown;
  /** Bytes of the answer as received. */
  readonly bytes: number;
  /** Time the browser waited, in ms. */
  readonly clientMs: number;
}

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export class QueryRuns {
  private readonly lastSignal = signal<ReadonlyMap<string, RawRun>>(new Map());
  private readonly runningSignal = signal<ReadonlySet<string>>(new Set());

  constructor(
    private readonly runUrl: (query: string) => string,
    private readonly fetchFn: FetchFn = (input, init) => fetch(input, init),
  ) {}

  /** The last answer per query name. */
  get last(): ReadonlySignal<ReadonlyMap<string, RawRun>> {
    return this.lastSignal;
  }

  /** Queries with a run in flight. */
  get running(): ReadonlySignal<ReadonlySet<string>> {
    return this.runningSignal;
  }

  /** The last Run's body per query (what completion offers fields of). */
  bodies(): ReadonlyMap<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [name, run] of this.lastSignal.peek()) {
      const body = run.body as { body?: unknown } | undefined;
      if (run.httpStatus === 200 && body && typeof body === 'object' && 'body' in body) out.set(name, body.body);
    }
    return out;
  }

  readonly transport: Transport = {
    runQuery: async (_app, query, params): Promise<TransportResponse> => {
      const at = Date.now();
      const started = performance.now();
      this.setRunning(query, true);
      try {
        let res: Response;
        try {
          res = await this.fetchFn(this.runUrl(query), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ params }),
            cache: 'no-store',
            credentials: 'same-origin',
          });
        } catch (e) {
          this.record(query, { at, httpStatus: null, body: String(e instanceof Error ? e.message : e), bytes: 0, clientMs: performance.now() - started });
          throw new Error('Could not reach the server. Check your connection and try again.');
        }
        const text = await res.text().catch(() => '');
        let body: unknown = text === '' ? undefined : text;
        try {
          if (text !== '') body = JSON.parse(text) as unknown;
        } catch {
          // Not JSON: kept as text.
        }
        this.record(query, { at, httpStatus: res.status, body, bytes: new TextEncoder().encode(text).length, clientMs: performance.now() - started });
        return { httpStatus: res.status, body };
      } finally {
        this.setRunning(query, false);
      }
    },
  };

  private record(query: string, run: RawRun): void {
    const next = new Map(this.lastSignal.peek());
    next.set(query, run);
    this.lastSignal.value = next;
  }

  private setRunning(query: string, on: boolean): void {
    const next = new Set(this.runningSignal.peek());
    if (on) next.add(query);
    else next.delete(query);
    this.runningSignal.value = next;
  }
}
