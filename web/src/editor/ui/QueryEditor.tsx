/**
 * The query editor: a region named "Query" in the code pane. Every field is an edit of the
 * document (one undo step per field, keystrokes merged), bindings everywhere with completion.
 * **Run** (the button, or Mod+Enter anywhere in the region) saves the draft, then runs the
 * query in the canvas's runtime — with the values the canvas's widgets hold — through the
 * draft's run endpoint, and the "Response" region shows the answer or, in words, why there
 * is none. "Run behaviour" is whether the query runs when the page selected in the pages
 * panel loads. "Client authentication (Basic)" is `basicAuth` (a user name and password the
 * server sends as `Authorization: Basic`), its secrets marked configured or not.
 */

import { useState } from 'preact/hooks';
import * as code from '../doc/codeCommands.ts';
import type { HttpMethod, QueryBody, QueryDoc } from '../doc/types.ts';
import { attempt } from './canvas/actions.ts';
import { useCanvas } from './canvas/controller.ts';
import { CodeField } from './code/CodeField.tsx';
import { BindingInput } from './complete/BindingInput.tsx';
import type { EditorContext } from './context.ts';
import { definitionKey, FindUsages, goToDefinition } from './usages.tsx';
import { SecretStatus } from './Datasources.tsx';
import { AccessField } from './AccessField.tsx';
import { queryAccessPatch } from '../doc/access.ts';
import { DeleteItem, DuplicateItem, NameField, RunBehaviour, useCompleter } from './codeItem.tsx';
import { KeyValueList, type ValueFieldProps } from './KeyValueList.tsx';
import { Response } from './query/Response.tsx';
import { networkOutcome, outcomeOf, type RunOutcome } from './query/runOutcome.ts';
import './query/query.css';

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const WITH_BODY: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH']);
const MAX_TIMEOUT_MS = 60_000;

export function QueryEditor({ name, secrets }: { name: string; secrets: ReadonlySet<string> | null }) {
  const { ctx, canvas } = useCanvas();
  const doc = ctx.session.doc.value;
  const query = doc.queries.find((q) => q.name === name);
  const complete = useCompleter(ctx, canvas, 'query');
  const [clientOutcome, setClientOutcome] = useState<{ at: number; outcome: RunOutcome } | null>(null);
  const [startedAt, setStartedAt] = useState(0);
  if (!query) return null;

  const edit = (patch: code.QueryPatch, field: string): void => {
    attempt(ctx, () => ctx.session.apply(code.updateQuery(ctx.session.doc.peek(), name, patch, field)));
  };
  const running = canvas.runs.running.value.has(name);
  const last = canvas.runs.last.value.get(name);
  const outcome: RunOutcome | null =
    clientOutcome && (!last || last.at < clientOutcome.at)
      ? clientOutcome.outcome
      : last
        ? last.httpStatus === null
          ? networkOutcome(new Error(String(last.body)))
          : outcomeOf(last.httpStatus, last.body, last.bytes)
        : null;

  const run = async (): Promise<void> => {
    const at = Date.now();
    setStartedAt(at);
    setClientOutcome(null);
    // The server runs the draft as saved: what was just typed is saved first.
    await ctx.session.flush();
    const state = ctx.session.saveState.peek();
    if (state !== 'saved') {
      setClientOutcome({ at, outcome: clientError('not_saved', `The draft could not be saved (${ctx.session.saveMessage.peek() || state}), so the server cannot run this query yet.`) });
      return;
    }
    try {
      await canvas.live.run(ctx.session.doc.peek(), ctx.currentPage.peek(), `return ${name}.run();`);
    } catch (e) {
      const answered = canvas.runs.last.peek().get(name);
      // An error before any request (a binding that failed) has no answer to show.
      if (!answered || answered.at < at) {
        setClientOutcome({ at, outcome: clientError('binding_failed', e instanceof Error ? e.message : String(e)) });
      }
    }
  };

  const onDefinitionKey = definitionKey(ctx);
  const onKeyDown = (e: KeyboardEvent): void => {
    onDefinitionKey(e);
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
      e.preventDefault();
      void run();
    }
  };
  const valueField = (p: ValueFieldProps) => (
    <BindingInput id={p.id} label={p.label} value={p.value} onInput={p.onInput} complete={complete} />
  );
  const ds = query.datasource === undefined ? undefined : doc.datasources.find((d) => d.name === query.datasource);
  const method = query.method ?? 'GET';

  return (
    <section class="ed-code-editor ed-query" aria-label="Query" onKeyDown={onKeyDown}>
      <div class="ed-code-head">
        <NameField ctx={ctx} kind="query" name={name} />
        <span class="ed-spacer" />
        <FindUsages ctx={ctx} name={name} />
        <DuplicateItem ctx={ctx} kind="query" name={name} />
        <DeleteItem ctx={ctx} kind="query" name={name} />
        <button type="button" class="ed-btn ed-btn-primary" onClick={() => void run()} disabled={running} aria-keyshortcuts="Control+Enter Meta+Enter">
          Run
        </button>
      </div>
      <div class="ed-code-body">
        <div class="ed-query-fields">
          <div class="ed-query-line">
            <div class="ed-qfield">
              <label for="ed-q-method">Method</label>
              <select id="ed-q-method"
                value={method}
                onChange={(e) => {
                  const m = e.currentTarget.value as HttpMethod;
                  // JSON is the default body of a request that carries one.
                  const body: QueryBody | undefined = query.body ?? (WITH_BODY.has(m) ? { type: 'json', content: '{}' } : undefined);
                  edit({ method: m, body }, 'method');
                }}
              >
                {METHODS.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </div>
            <div class="ed-qfield">
              <label for="ed-q-datasource">Datasource</label>
              <select id="ed-q-datasource"
                value={query.datasource ?? ''}
                onChange={(e) => {
                  const v = e.currentTarget.value;
                  if (v === '') edit({ url: ds ? absoluteUrl(ds.url) : 'https://' }, 'datasource');
                  else edit({ datasource: v }, 'datasource');
                }}
              >
                <option value="">None (an absolute URL)</option>
                {doc.datasources.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name}
                  </option>
                ))}
              </select>
            </div>
            <div class="ed-qfield ed-qfield-grow">
              <label for="ed-q-url">URL</label>
              {ds ? (
                <input id="ed-q-url" value={ds.url} readOnly aria-describedby="ed-query-url-hint" />
              ) : (
                <BindingInput id="ed-q-url" value={query.url ?? ''} onInput={(v) => edit({ url: v }, 'URL')} complete={complete} />
              )}
            </div>
            {ds && (
              <div class="ed-qfield ed-qfield-grow">
                <label for="ed-query-path">Path</label>
                <BindingInput id="ed-query-path" value={query.path ?? ''} onInput={(v) => edit({ path: v }, 'path')} complete={complete} />
              </div>
            )}
          </div>
          {ds && (
            <p id="ed-query-url-hint" class="ed-muted ed-small">
              The URL is the datasource {ds.name}'s; the path is added to it.
            </p>
          )}
          <KeyValueList label="Params" noun="param" value={query.params ?? {}} onChange={(m) => edit({ params: empty(m) }, 'params')} renderValue={valueField} />
          <KeyValueList
            label="Headers"
            noun="header"
            value={query.headers ?? {}}
            onChange={(m) => edit({ headers: empty(m) }, 'headers')}
            renderValue={valueField}
            keyProblem={code.headerProblem}
            note={(value) => <SecretStatus value={value} secrets={secrets} />}
          />
          <BasicAuthFields query={query} edit={edit} complete={complete} secrets={secrets} />
          <BodyEditor ctx={ctx} run={() => void run()} query={query} edit={edit} valueField={valueField} complete={complete} />
          <div class="ed-query-line">
            <div class="ed-qfield">
              <label for="ed-q-timeout">Timeout</label>
              <TimeoutInput id="ed-q-timeout" value={query.timeoutMs ?? 10_000} onChange={(ms) => edit({ timeoutMs: ms }, 'timeout')} />
            </div>
            <label class="ed-qcheck">
              <input type="checkbox" checked={query.followRedirects === true} onChange={(e) => edit({ followRedirects: e.currentTarget.checked ? true : undefined }, 'redirects')} />
              Follow redirects
            </label>
            <RunBehaviour ctx={ctx} step={name} label="Run behaviour" />
            <AccessField
              key={name}
              id="ed-q-access"
              value={query.access}
              onChange={(access) => ctx.session.apply(code.updateQuery(ctx.session.doc.peek(), name, queryAccessPatch(ctx.session.doc.peek(), name, access), 'access'))}
            />
          </div>
        </div>
        <Response outcome={outcome} running={running || (startedAt > 0 && outcome === null && clientOutcome === null && !last)} />
      </div>
    </section>
  );
}

function BodyEditor(props: {
  ctx: EditorContext;
  /** Mod+Enter in the Body field runs the query, as anywhere in the editor. */
  run: () => void;
  query: QueryDoc;
  edit: (patch: code.QueryPatch, field: string) => void;
  valueField: (p: ValueFieldProps) => preact.JSX.Element;
  complete: ReturnType<typeof useCompleter>;
}) {
  const { query, edit } = props;
  const body = query.body;
  const type = body?.type ?? 'none';
  const setType = (t: string): void => {
    if (t === 'none') edit({ body: undefined }, 'body type');
    else if (t === 'form') edit({ body: { type: 'form', content: body?.type === 'form' ? body.content : {} } }, 'body type');
    else edit({ body: { type: t as 'json' | 'text', content: body && body.type !== 'form' ? body.content : t === 'json' ? '{}' : '' } }, 'body type');
  };
  return (
    <div class="ed-query-body">
      <div class="ed-qfield">
        <label for="ed-q-body-type">Body type</label>
        <select id="ed-q-body-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="none">None</option>
          <option value="json">JSON</option>
          <option value="form">Form</option>
          <option value="text">Text</option>
        </select>
      </div>
      {body?.type === 'form' ? (
        <KeyValueList
          label="Body fields"
          noun="field"
          value={body.content}
          onChange={(m) => edit({ body: { type: 'form', content: m } }, 'body')}
          renderValue={props.valueField}
        />
      ) : body ? (
        <CodeField
          label="Body"
          language="template"
          value={body.content}
          minLines={6}
          complete={props.complete}
          onDefinition={(text, caret) => goToDefinition(props.ctx, text, caret, 'template')}
          onRun={props.run}
          onChange={(v) => edit({ body: { type: body.type, content: v } }, 'body')}
        />
      ) : (
        <p class="ed-muted ed-small">No body is sent.</p>
      )}
    </div>
  );
}

/** `basicAuth`: a user name and password the server turns into `Authorization: Basic`, as
 * OAuth 2.0 clients authenticate; both empty is none. */
function BasicAuthFields(props: {
  query: QueryDoc;
  edit: (patch: code.QueryPatch, field: string) => void;
  complete: ReturnType<typeof useCompleter>;
  secrets: ReadonlySet<string> | null;
}) {
  const basic = props.query.basicAuth ?? { username: '', password: '' };
  const write = (patch: Partial<NonNullable<QueryDoc['basicAuth']>>, field: string): void => {
    const next = { ...basic, ...patch };
    props.edit({ basicAuth: next.username === '' && next.password === '' ? undefined : next }, field);
  };
  const part = (id: string, label: string, key: 'username' | 'password') => (
    <div class="ed-qfield ed-qfield-grow">
      <label for={id}>{label}</label>
      <BindingInput id={id} value={basic[key]} onInput={(v) => write({ [key]: v }, `basic auth ${key}`)} complete={props.complete} />
      <SecretStatus value={basic[key]} secrets={props.secrets} />
    </div>
  );
  return (
    <fieldset class="ed-query-basic">
      <legend class="ed-kv-title">Client authentication (Basic)</legend>
      <div class="ed-query-line">
        {part('ed-q-basic-username', 'Username', 'username')}
        {part('ed-q-basic-password', 'Password', 'password')}
      </div>
      <p class="ed-muted ed-small">
        The server sends Authorization: Basic from these (in place of any Authorization header), as OAuth 2.0 clients authenticate; use {'{{secrets.NAME}}'} for a client
        secret. Leave both empty for none.
      </p>
    </fieldset>
  );
}

function TimeoutInput({ id, value, onChange }: { id: string; value: number; onChange: (ms: number) => void }) {
  const [text, setText] = useState(String(value));
  const [problem, setProblem] = useState<string | null>(null);
  if (problem === null && text !== String(value) && Number(text) !== value) setText(String(value));
  return (
    <>
      <input
        id={id}
        type="number"
        min={1}
        max={MAX_TIMEOUT_MS}
        step={1}
        value={text}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby="ed-timeout-hint"
        onInput={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          const n = Number(t);
          if (t.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_TIMEOUT_MS) {
            setProblem(`A whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}.`);
            return;
          }
          setProblem(null);
          onChange(n);
        }}
      />
      <span id="ed-timeout-hint" class={problem ? 'ed-error ed-small' : 'ed-muted ed-small'}>
        {problem ?? 'milliseconds'}
      </span>
    </>
  );
}


/** An empty map is no field at all in the saved query. */
function empty(m: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(m).length === 0 ? undefined : m;
}

/** A datasource path of this server as an absolute URL of this origin. */
function absoluteUrl(url: string): string {
  return url.startsWith('/') && typeof location !== 'undefined' ? `${location.origin}${url}` : url;
}

function clientError(code: string, message: string): RunOutcome {
  return { kind: 'error', httpStatus: null, code, message, explained: code === 'binding_failed' ? `A binding could not be evaluated with the canvas's values: ${message}` : message };
}
