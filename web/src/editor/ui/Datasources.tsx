/**
 * The app's datasources: the "Datasources" list (each opens its editor; "New datasource" adds
 * one) and the editor of one datasource — its name, its URL and the headers sent with every
 * query on it. Every field is an edit of the document through the model's commands
 * (doc/codeCommands.ts), so it is undoable and saved; keystrokes of one field merge into one
 * undo step.
 *
 * A header value may hold `{{secrets.NAME}}`: the server resolves it from its environment and
 * never sends a value to a browser. The editor knows only which names are configured, and says
 * for each secret a header uses whether the server has it.
 */

import { useComputed } from '@preact/signals';
import { useState } from 'preact/hooks';
import { splitTemplate } from '../../runtime/binding.ts';
import * as code from '../doc/codeCommands.ts';
import { attempt } from './canvas/actions.ts';
import { useEditor, type EditorContext } from './context.ts';
import { KeyValueList } from './KeyValueList.tsx';
import { NameInput } from './NameInput.tsx';
import './query/query.css';

/** One empty map for every datasource without headers: the rows see no change at each render. */
const NO_HEADERS: Readonly<Record<string, string>> = {};

const SECRET = /^secrets\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** The names of the `{{secrets.NAME}}` bindings of a template, in order, once each. */
export function secretsIn(template: string): string[] {
  const names: string[] = [];
  for (const s of splitTemplate(template).segments) {
    const name = s.kind === 'binding' ? SECRET.exec(s.code.trim())?.[1] : undefined;
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/** Why a datasource URL will not do yet, or null: an absolute http(s) URL or a path of this server. */
export function datasourceUrlProblem(url: string): string | null {
  if (url.startsWith('//')) return 'A path of this server starts with a single "/".';
  if (url.startsWith('/')) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'Not a complete URL yet.';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'Only http and https URLs can be used.';
  return null;
}

function unconfigured(secrets: ReadonlySet<string> | null, headers: Readonly<Record<string, string>> | undefined): boolean {
  return secrets !== null && Object.values(headers ?? {}).some((v) => secretsIn(v).some((n) => !secrets.has(n)));
}

export function DatasourcesPanel(props: { selected: string | null; onSelect(name: string | null): void; secrets: ReadonlySet<string> | null }) {
  const ctx = useEditor();
  // The list itself: edits elsewhere in the document keep it, and do not re-render the panel.
  const datasources = useComputed(() => ctx.session.doc.value.datasources).value;
  const items = datasources.map((d) => ({ name: d.name, missing: unconfigured(props.secrets, d.headers) }));

  const onNew = (): void => {
    attempt(ctx, () => {
      const change = code.addDatasource(ctx.session.doc.peek());
      ctx.session.apply(change);
      props.onSelect(change.name);
    });
  };

  return (
    <section class="ed-panel ed-datasources" aria-label="Datasources">
      <div class="ed-panel-head">
        <h2>Datasources</h2>
        <button type="button" class="ed-btn ed-btn-small" onClick={onNew}>
          New datasource
        </button>
      </div>
      {items.length === 0 ? (
        <p class="ed-muted ed-small">None yet. A datasource is a base URL (and headers) that queries share.</p>
      ) : (
        <ul class="ed-page-list">
          {items.map(({ name, missing }) => (
            <li key={name} class={`ed-page-item${name === props.selected ? ' ed-current' : ''}`}>
              <button
                type="button"
                class="ed-page-button"
                aria-current={name === props.selected ? 'true' : undefined}
                onClick={() => props.onSelect(name)}
              >
                {name}
              </button>
              {missing && (
                <span class="ed-mark ed-ds-warning" role="img" aria-label="Uses a secret this server does not have" title="Uses a secret this server does not have">
                  !
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function DatasourceEditor(props: { name: string; secrets: ReadonlySet<string> | null; onRenamed(to: string): void; onDeleted(): void }) {
  const ctx = useEditor();
  const { name } = props;
  // Whose deletion was refused: another datasource opened here shows no stale reason.
  const [refusal, setRefusal] = useState<{ readonly of: string; readonly message: string } | null>(null);
  const deleteProblem = refusal?.of === name ? refusal.message : null;
  const ds = code.findDatasource(ctx.session.doc.value, name);
  const title = `Datasource ${name}`;
  if (!ds) {
    return (
      <section class="ed-ds-editor" aria-label={title}>
        <p class="ed-muted">There is no datasource {name}.</p>
      </section>
    );
  }

  const edit = (patch: { url?: string; headers?: Record<string, string> }, field: string): void => {
    attempt(ctx, () => ctx.session.apply(code.updateDatasource(ctx.session.doc.peek(), name, patch, field)));
  };
  const remove = (): void => {
    try {
      ctx.session.apply(code.removeDatasource(ctx.session.doc.peek(), name));
    } catch (e) {
      setRefusal({ of: name, message: e instanceof Error ? e.message : String(e) });
      return;
    }
    ctx.notify(`Deleted datasource ${name}. Undo brings it back.`);
    props.onDeleted();
  };
  const urlProblem = datasourceUrlProblem(ds.url);
  const idBase = `ed-ds-${name}`;

  return (
    <form class="ed-ds-editor" aria-label={title} onSubmit={(e) => e.preventDefault()}>
      <div class="ed-ds-head">
        {/* Keyed: the field starts afresh when another name comes (a rename, undo, another datasource). */}
        <NameInput
          key={name}
          id={`ed-ds-name-${name}`}
          class="ed-ds-name"
          name={name}
          rename={(to) => {
            ctx.session.apply(code.renameDatasource(ctx.session.doc.peek(), name, to));
            props.onRenamed(to);
          }}
        />
        <span class="ed-spacer" />
        <button
          type="button"
          class="ed-btn ed-btn-small"
          aria-describedby={deleteProblem ? `${idBase}-delete-problem` : undefined}
          onClick={remove}
        >
          Delete datasource
        </button>
      </div>
      {deleteProblem && (
        <p id={`${idBase}-delete-problem`} class="ed-error ed-small" role="alert">
          {deleteProblem}
        </p>
      )}
      <div class="ed-ds-field">
        <label for={`${idBase}-url`}>URL</label>
        <input
          id={`${idBase}-url`}
          value={ds.url}
          spellcheck={false}
          aria-invalid={urlProblem ? 'true' : undefined}
          aria-describedby={`${idBase}-url-hint`}
          onInput={(e) => edit({ url: e.currentTarget.value }, 'URL')}
        />
        <p id={`${idBase}-url-hint`} class="ed-small">
          {urlProblem && <span class="ed-error">{urlProblem} </span>}
          <span class="ed-muted">
            An absolute http(s) URL (https://api.example.com/v1), or a path of this server starting with "/" (/auth/v1).
            Queries add their path to it.
          </span>
        </p>
      </div>
      <KeyValueList
        key={name}
        label="Headers"
        noun="header"
        value={ds.headers ?? NO_HEADERS}
        onChange={(headers) => edit({ headers }, 'headers')}
        keyProblem={code.headerProblem}
        note={(value) => <SecretStatus value={value} secrets={props.secrets} />}
      />
    </form>
  );
}

/** Whether the server has each secret a header value uses; never a value, only names. */
export function SecretStatus({ value, secrets }: { value: string; secrets: ReadonlySet<string> | null }) {
  const names = secretsIn(value);
  if (names.length === 0) return null;
  return (
    <ul class="ed-ds-secrets ed-small">
      {names.map((n) => (
        <li key={n} class={secrets !== null && !secrets.has(n) ? 'ed-error' : 'ed-muted'}>
          {secrets === null
            ? `Secret ${n}: not known yet (the server's list of secrets has not loaded)`
            : secrets.has(n)
              ? `Secret ${n}: configured`
              : `Secret ${n}: not configured on this server (set LOWKEY_SECRET_${n})`}
        </li>
      ))}
    </ul>
  );
}

