/**
 * For the UI's unit tests: an editor context over a real editing session (the model's
 * operations, history and commands) whose saves go to an in-memory draft API, and the
 * notices it showed.
 */
import { signal } from '@preact/signals';
import { CommandRegistry } from '../doc/registry.ts';
import type { AppDoc, DraftApi } from '../doc/types.ts';
import { createEditingSession } from '../save/session.ts';
import type { EditorContext } from './context.ts';

export async function testContext(doc: AppDoc, page = doc.homePage): Promise<{ ctx: EditorContext; notices: string[] }> {
  const api: DraftApi = {
    getDraft: () => Promise.resolve({ revision: 1, app: doc, problems: [] }),
    putDraft: (_slug, revision) => Promise.resolve({ kind: 'saved', revision: revision + 1, problems: [] }),
  };
  const session = await createEditingSession(doc.slug, api, {
    storage: null,
    events: null,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  const notices: string[] = [];
  const ctx: EditorContext = {
    slug: doc.slug,
    session,
    currentPage: signal(page),
    open: signal(null),
    selection: signal([]),
    commands: new CommandRegistry<EditorContext>({ mac: false }),
    notify: (m) => notices.push(m),
  };
  return { ctx, notices };
}
