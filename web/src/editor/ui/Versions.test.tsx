// @vitest-environment happy-dom
/**
 * Publishing from the editor, through the real Builder API client with the network stubbed:
 * the draft is saved first and that revision published; a refusal lists the problems located
 * by page, widget and property, and choosing one shows its widget selected.
 */
import { signal } from '@preact/signals';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loginApp } from '../doc/fixture.ts';
import { CommandRegistry } from '../doc/registry.ts';
import type { DraftApi, EditingSession } from '../doc/types.ts';
import { createEditingSession } from '../save/session.ts';
import { EditorCtx, type EditorContext } from './context.ts';
import { problemPlace, PublishDialog } from './Versions.tsx';

/** vi.waitFor with room for a loaded machine (its default gives up after one second). */
const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000 });

const memoryApi: DraftApi = {
  getDraft: () => Promise.resolve({ revision: 7, app: loginApp(), problems: [] }),
  putDraft: (_slug, revision) => Promise.resolve({ kind: 'saved', revision: revision + 1, problems: [] }),
};

let root: HTMLElement;
let ctx: EditorContext;
let session: EditingSession;
let closed: number;

beforeEach(async () => {
  session = await createEditingSession('custom-auth', memoryApi, {
    storage: null,
    events: null,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  ctx = {
    slug: 'custom-auth',
    session,
    currentPage: signal('Dashboard'),
    open: signal(null),
    selection: signal([]),
    commands: new CommandRegistry<EditorContext>({ mac: false }),
    notify: () => undefined,
  };
  closed = 0;
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
  session.dispose();
  vi.unstubAllGlobals();
});

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function open(): void {
  render(
    <EditorCtx.Provider value={ctx}>
      <PublishDialog onClose={() => closed++} onSignedOut={() => undefined} />
    </EditorCtx.Provider>,
    root,
  );
}

describe('PublishDialog', () => {
  it('publishes the saved revision and says which version it became', async () => {
    const fetchMock = vi.fn(async () => json(200, { version: 3, publishedAt: '2026-12-02T08:00:00Z', publishedBy: 'b@example.com' }));
    vi.stubGlobal('fetch', fetchMock);
    open();
    await waitFor(() => expect(root.textContent).toContain('Published version 3'));
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/edit/apps/custom-auth/publish');
    expect(JSON.parse(String(init.body))).toEqual({ revision: 7 });
  });

  it('lists the problems that stopped it, and choosing one selects its widget', async () => {
    const problem = {
      message: 'regex is not a valid regular expression',
      file: 'pages/LoginPage.yaml',
      line: 12,
      column: 9,
      page: 'LoginPage',
      widget: 'inp_username',
      property: 'regex',
    };
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        json(422, { error: { code: 'invalid_app', message: 'The draft has 1 problem(s) to fix first' }, problems: [problem] }),
      ),
    );
    open();
    await waitFor(() => expect(root.textContent).toContain('Not published: the draft has 1 problem.'));
    const place = [...root.querySelectorAll('button')].find((b) => b.textContent === 'LoginPage › inp_username › regex');
    expect(place?.parentElement?.textContent).toContain('regex is not a valid regular expression');
    place!.click();
    expect(ctx.currentPage.value).toBe('LoginPage');
    expect(ctx.selection.value).toEqual(['inp_username']);
    expect(closed).toBe(1);
  });

  it('says why when the server cannot be reached', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    open();
    await waitFor(() => expect(root.querySelector('[role="alert"]')?.textContent).toMatch(/cannot be reached/));
  });
});

describe('problemPlace', () => {
  it('names page, widget and property, else the file and line', () => {
    expect(problemPlace({ message: '', file: 'app.yaml', line: 3, column: 1, page: 'Home', widget: 'w', property: 'text' })).toBe(
      'Home › w › text',
    );
    expect(problemPlace({ message: '', file: 'app.yaml', line: 3, column: 1 })).toBe('app.yaml:3:1');
  });
});
