/**
 * The "Response" region of the query editor: the last Run's answer — the upstream's status,
 * time, size, headers and body (JSON as a tree, or as raw text on request; text as it came;
 * binary as a note) — or, when lowkey did not run the query, why, in words, with the server's
 * own message beside it.
 */

import { useState } from 'preact/hooks';
import { JsonTree } from './JsonTree.tsx';
import { formatBytes, formatDuration, statusText, type RunOutcome } from './runOutcome.ts';

export function Response(props: { outcome: RunOutcome | null; running: boolean }) {
  const { outcome, running } = props;
  return (
    <section class="ed-response" aria-label="Response" aria-busy={running ? 'true' : undefined}>
      <h3 class="ed-response-title">Response</h3>
      {running ? (
        <p class="ed-muted" role="status">
          Running…
        </p>
      ) : outcome === null ? (
        <p class="ed-muted">Run the query to see its response.</p>
      ) : outcome.kind === 'error' ? (
        <RunError outcome={outcome} />
      ) : (
        <Answer outcome={outcome} />
      )}
    </section>
  );
}

type ErrorOutcome = Extract<RunOutcome, { kind: 'error' }>;
type ResponseOutcome = Extract<RunOutcome, { kind: 'response' }>;

function RunError({ outcome }: { outcome: ErrorOutcome }) {
  return (
    <div class="ed-response-error" role="alert">
      <p class="ed-response-explained">{outcome.explained}</p>
      <p class="ed-response-server">
        <span class="ed-muted">
          {outcome.httpStatus === null ? 'No answer' : outcome.httpStatus} · {outcome.code}
        </span>
        <span class="ed-response-message">{outcome.message}</span>
      </p>
    </div>
  );
}

function statusClass(status: number): string {
  if (status >= 200 && status < 300) return 'ed-status-ok';
  if (status >= 300 && status < 400) return 'ed-status-redirect';
  return 'ed-status-error';
}

function Answer({ outcome }: { outcome: ResponseOutcome }) {
  const headers = Object.entries(outcome.headers);
  return (
    <>
      <p class="ed-response-meta">
        <strong class={`ed-response-status ${statusClass(outcome.status)}`}>{statusText(outcome.status)}</strong>
        <span>{formatDuration(outcome.durationMs)}</span>
        <span>{formatBytes(outcome.sizeBytes)}</span>
      </p>
      <details class="ed-response-headers">
        <summary>Headers ({headers.length})</summary>
        {headers.length === 0 ? (
          <p class="ed-muted ed-small">No headers.</p>
        ) : (
          <dl>
            {headers.map(([k, v]) => (
              <div key={k} class="ed-response-header">
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        )}
      </details>
      <Body outcome={outcome} />
    </>
  );
}

function Body({ outcome }: { outcome: ResponseOutcome }) {
  const [raw, setRaw] = useState(false);
  const body = outcome.body;
  if (outcome.bodyEncoding === 'base64') {
    return <p class="ed-muted">The body is binary ({formatBytes(outcome.sizeBytes)}, sent base64-encoded): it is not shown here.</p>;
  }
  if (body === undefined || body === '') return <p class="ed-muted">The response has no body.</p>;
  if (typeof body === 'string') return <pre class="ed-response-text">{body}</pre>;
  // A value, or an empty object or array: nothing to expand.
  if (body === null || typeof body !== 'object' || Object.keys(body).length === 0) return <pre class="ed-response-text">{JSON.stringify(body)}</pre>;
  return (
    <div class="ed-response-body">
      <button type="button" class="ed-btn ed-btn-small" aria-pressed={raw} onClick={() => setRaw(!raw)}>
        Raw JSON
      </button>
      {raw ? <pre class="ed-response-text">{JSON.stringify(body, null, 2)}</pre> : <JsonTree value={body} label="Body" />}
    </div>
  );
}
