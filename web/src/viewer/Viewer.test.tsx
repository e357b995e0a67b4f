// @vitest-environment happy-dom
// @vitest-environment-options {"url": "http://localhost:8080/app/demo"}
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Viewer } from './Viewer.tsx';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
  window.localStorage.clear();
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const APP = {
  name: 'Demo',
  slug: 'demo',
  homePage: 'Home',
  pages: [
    {
      name: 'Home',
      slug: 'home',
      hidden: false,
      onLoad: ['load_data'],
      widgets: [
        {
          name: 'txt_hello',
          type: 'Text',
          position: { col: 0, row: 0, width: 20, height: 4 },
          props: { text: 'Hello {{ load_data.data.who }}' },
          children: [],
        },
      ],
    },
  ],
  queries: [{ name: 'load_data', bindings: [] }],
  jsObjects: [],
};

describe('Viewer', () => {
  it('shows a loading state, then the home page once its on-load query answered', async () => {
    let answer!: (r: Response) => void;
    const fetchMock = vi.fn(async (url: string) => {
      if (url === '/api/v1/apps/demo') return json(200, APP);
      return new Promise<Response>((r) => (answer = r));
    });
    vi.stubGlobal('fetch', fetchMock);
    render(<Viewer />, root);
    expect(root.querySelector('[role="status"]')?.textContent).toBe('Loading app…');
    await vi.waitFor(() => expect(root.querySelector('[role="status"]')?.textContent).toBe('Loading page…'));
    expect(root.querySelector('[data-widget="txt_hello"]')).toBeNull();
    expect(fetchMock.mock.calls[1]?.[0]).toBe('/api/v1/apps/demo/queries/load_data/run');
    answer(json(200, { status: 200, headers: {}, body: { who: 'world' }, durationMs: 1 }));
    await vi.waitFor(() => expect(root.querySelector('[data-widget="txt_hello"]')?.textContent).toBe('Hello world'));
    expect(document.title).toBe('Home · Demo');
  });

  it('says so when the app does not exist', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, { error: { code: 'app_not_found', message: 'no app' } })));
    render(<Viewer />, root);
    await vi.waitFor(() => expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('App not found'));
    expect(root.querySelector('[data-error-screen] button')).toBeNull();
  });

  it('offers to try again after a network error, and recovers', async () => {
    let online = false;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (!online) throw new TypeError('Failed to fetch');
        if (url === '/api/v1/apps/demo') return json(200, { ...APP, pages: [{ ...APP.pages[0], onLoad: [] }] });
        throw new Error(`unexpected ${url}`);
      }),
    );
    render(<Viewer />, root);
    await vi.waitFor(() =>
      expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('Could not reach the server'),
    );
    online = true;
    (root.querySelector('[data-error-screen] button') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(root.querySelector('[data-widget="txt_hello"]')).not.toBeNull());
  });

  it('refuses an invalid app definition with a clear message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(200, { name: 'x', pages: 'nope' })));
    render(<Viewer />, root);
    await vi.waitFor(() =>
      expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('The app definition is invalid'),
    );
    expect(root.querySelector('[data-error-screen] p')?.textContent).toMatch(/pages is not a list/);
  });
});
