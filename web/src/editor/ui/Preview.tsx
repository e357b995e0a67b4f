/**
 * Preview: the draft run as the viewer runs it — the viewer's own screens, widgets, navigation
 * and pages — with its definition from the draft's viewer endpoint and its queries run through
 * the draft's run endpoint. Its URL and store live in memory (the editor's address and the
 * published app's saved store stay as they are). The draft is saved first, so the preview shows
 * what the builder sees.
 */

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fetchAppAt, queryTransport } from '../../viewer/api.ts';
import { memoryHost } from '../../viewer/memoryHost.ts';
import { Viewer, type EmbeddedApp } from '../../viewer/Viewer.tsx';
import { useEditor } from './context.ts';
import { saveStateText } from './TopBar.tsx';

function draftBase(slug: string): string {
  return `/api/v1/edit/apps/${encodeURIComponent(slug)}`;
}

export function Preview({ onBack }: { onBack: () => void }) {
  const { slug, session } = useEditor();
  const [ready, setReady] = useState(false);
  const back = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let cancelled = false;
    void session.flush().then(() => !cancelled && setReady(true));
    back.current?.focus();
    return () => {
      cancelled = true;
    };
  }, []);

  const embedded = useMemo<EmbeddedApp>(
    () => ({
      host: memoryHost({
        path: `/app/${encodeURIComponent(slug)}`,
        transport: queryTransport((_app, query) => `${draftBase(slug)}/queries/${encodeURIComponent(query)}/run`),
      }),
      fetchApp: () => fetchAppAt(`${draftBase(slug)}/viewer`),
    }),
    [slug],
  );

  const state = session.saveState.value;
  return (
    <div class="ed-preview">
      <div class="ed-preview-bar">
        <button ref={back} type="button" class="ed-btn" onClick={onBack}>
          Back to editor
        </button>
        <strong>Preview of the draft</strong>
        {state !== 'saved' && <span class="ed-muted">({saveStateText(state, session.saveMessage.value)}: the last saved draft is shown)</span>}
      </div>
      <div class="ed-preview-app">{ready ? <Viewer embedded={embedded} /> : <p role="status">Saving the draft…</p>}</div>
    </div>
  );
}
