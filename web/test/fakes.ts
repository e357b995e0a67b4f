/** In-memory stand-ins for the browser, for runtime and widget tests. */

import type {
  Host,
  LocationSnapshot,
  NavigationTarget,
  Transport,
  TransportResponse,
} from '../src/runtime/index.ts';

// The preview's in-memory Web Storage is the tests' too.
import { MemoryStorage } from '../src/viewer/memoryHost.ts';

export { MemoryStorage };

export interface RecordedRun {
  app: string;
  query: string;
  params: Record<string, unknown>;
}

type Handler = (run: RecordedRun) => TransportResponse | Promise<TransportResponse>;

/** A transport answering from per-query handlers, recording every call. */
export class FakeTransport implements Transport {
  readonly runs: RecordedRun[] = [];
  constructor(private readonly handlers: Record<string, Handler> = {}) {}

  on(query: string, handler: Handler): this {
    this.handlers[query] = handler;
    return this;
  }

  async runQuery(app: string, query: string, params: Record<string, unknown>): Promise<TransportResponse> {
    // A JSON round trip, as over the wire: what cannot be sent must fail here too.
    const sent = JSON.parse(JSON.stringify({ params })) as { params: Record<string, unknown> };
    const run = { app, query, params: sent.params };
    this.runs.push(run);
    const handler = this.handlers[query];
    if (!handler) return { httpStatus: 404, body: { error: { code: 'query_not_found', message: `no query ${query}` } } };
    return handler(run);
  }
}

/** A query-run response of lowkey (docs/api.md) with the given upstream status and body. */
export function upstream(status: number, body: unknown): TransportResponse {
  return { httpStatus: 200, body: { status, headers: { 'content-type': 'application/json' }, body, durationMs: 1 } };
}

export class FakeHost implements Host {
  readonly storage: MemoryStorage;
  readonly pushed: string[] = [];
  readonly opened: { url: string; target: NavigationTarget | 'APP_NEW_WINDOW' }[] = [];
  private current: string;

  constructor(
    readonly transport: Transport,
    startPath = '/app/demo',
    storage = new MemoryStorage(),
  ) {
    this.current = startPath;
    this.storage = storage;
  }

  location(): LocationSnapshot {
    const hashAt = this.current.indexOf('#');
    const beforeHash = hashAt < 0 ? this.current : this.current.slice(0, hashAt);
    const q = beforeHash.indexOf('?');
    const pathname = q < 0 ? beforeHash : beforeHash.slice(0, q);
    return {
      href: `http://localhost:8080${this.current}`,
      protocol: 'http:',
      host: 'localhost:8080',
      hostname: 'localhost',
      port: '8080',
      pathname,
      search: q < 0 ? '' : beforeHash.slice(q),
      hash: hashAt < 0 ? '' : this.current.slice(hashAt),
    };
  }
  get path(): string {
    return this.current;
  }
  pushUrl(pathAndQuery: string): void {
    this.pushed.push(pathAndQuery);
    this.current = pathAndQuery;
  }
  /** Simulates back/forward: the URL changes without a push. */
  setPath(path: string): void {
    this.current = path;
  }
  openAppUrl(pathAndQuery: string): void {
    this.opened.push({ url: pathAndQuery, target: 'APP_NEW_WINDOW' });
  }
  openExternal(url: string, target: NavigationTarget): void {
    this.opened.push({ url, target });
  }
}

/** Resolves after pending promise callbacks (and their follow-ups) ran. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}
