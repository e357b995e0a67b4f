/**
 * The code pane under the canvas: the query, JS object or datasource open in the left pane's
 * lists (`ctx.open`), in its editor, with a button to close it. The canvas stays above it, so
 * a query runs with what the builder typed into the canvas's inputs. An item that is gone (an
 * undo removed it, another tab deleted it) closes the pane.
 */

import { useEffect, useState } from 'preact/hooks';
import { useEditor, type OpenItem } from './context.ts';
import { DatasourceEditor } from './Datasources.tsx';
import { JsEditor } from './JsEditor.tsx';
import { QueryEditor } from './QueryEditor.tsx';
import { SignInSettings } from './SignInSettings.tsx';
import { api } from './shell/client.ts';
import './codepane.css';

export function CodePane({ secrets }: { secrets: ReadonlySet<string> | null }) {
  const ctx = useEditor();
  const open = ctx.open.value;
  const doc = ctx.session.doc.value;
  const exists = open !== null && itemExists(doc, open);
  useEffect(() => {
    if (open !== null && !exists) ctx.open.value = null;
  }, [open, exists]);
  if (open === null || !exists) return null;
  return (
    <div class="ed-code-pane">
      <button
        type="button"
        class="ed-icon-btn ed-code-close"
        aria-label={`Close ${open.kind === 'auth' ? 'sign-in settings' : open.name}`}
        onClick={() => (ctx.open.value = null)}
      >
        ×
      </button>
      {open.kind === 'query' ? (
        <QueryEditor key={open.name} name={open.name} secrets={secrets} />
      ) : open.kind === 'jsObject' ? (
        <JsEditor key={open.name} name={open.name} />
      ) : open.kind === 'auth' ? (
        <SignInSettings secrets={secrets} />
      ) : (
        <DatasourceEditor
          key={open.name}
          name={open.name}
          secrets={secrets}
          onRenamed={(to) => (ctx.open.value = { kind: 'datasource', name: to })}
          onDeleted={() => (ctx.open.value = null)}
        />
      )}
    </div>
  );
}

function itemExists(doc: ReturnType<typeof useEditor>['session']['doc']['value'], item: OpenItem): boolean {
  if (item.kind === 'auth') return true;
  const list = item.kind === 'query' ? doc.queries : item.kind === 'jsObject' ? doc.jsObjects : doc.datasources;
  return list.some((x) => x.name === item.name);
}

/** The names of the secrets the server has (for "configured" marks); null until known. */
export function useSecrets(): ReadonlySet<string> | null {
  const [secrets, setSecrets] = useState<ReadonlySet<string> | null>(null);
  useEffect(() => {
    let cancelled = false;
    api.listSecrets().then(
      (names) => !cancelled && setSecrets(new Set(names)),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return secrets;
}
