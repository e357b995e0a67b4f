// @vitest-environment happy-dom
// @vitest-environment-options {"url": "http://localhost:8080/app/demo"}
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchAppAt, queryTransport } from './api.ts';
import { memoryHost } from './memoryHost.ts';
import { Viewer } from './Viewer.tsx';

/** vi.waitFor with room for a loaded machine (its default gives up after one second). */
const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000 });

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

/** The preview's host: the app's URL in memory, queries through the draft's run endpoint. */
const previewHost = () => memoryHost({ path: '/app/demo', transport: queryTransport((_a, q) => `/draft/demo/queries/${q}/run`) });

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
    await waitFor(() => expect(root.querySelector('[role="status"]')?.textContent).toBe('Loading page…'));
    expect(root.querySelector('[data-widget="txt_hello"]')).toBeNull();
    expect(fetchMock.mock.calls[1]?.[0]).toBe('/api/v1/apps/demo/queries/load_data/run');
    answer(json(200, { status: 200, headers: {}, body: { who: 'world' }, durationMs: 1 }));
    await waitFor(() => expect(root.querySelector('[data-widget="txt_hello"]')?.textContent).toBe('Hello world'));
    expect(document.title).toBe('Home · Demo');
  });

  it('says so when the app does not exist', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, { error: { code: 'app_not_found', message: 'no app' } })));
    render(<Viewer />, root);
    await waitFor(() => expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('App not found'));
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
    await waitFor(() =>
      expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('Could not reach the server'),
    );
    online = true;
    (root.querySelector('[data-error-screen] button') as HTMLButtonElement).click();
    await waitFor(() => expect(root.querySelector('[data-widget="txt_hello"]')).not.toBeNull());
  });

  it('refuses an invalid app definition with a clear message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(200, { name: 'x', pages: 'nope' })));
    render(<Viewer />, root);
    await waitFor(() =>
      expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('The app definition is invalid'),
    );
    expect(root.querySelector('[data-error-screen] p')?.textContent).toMatch(/pages is not a list/);
  });

  it('runs embedded (the preview): its own definition, query endpoint and in-memory URL', async () => {
    const TWO_PAGES = {
      ...APP,
      pages: [
        {
          ...APP.pages[0],
          widgets: [
            ...APP.pages[0]!.widgets,
            {
              name: 'btn_next',
              type: 'Button',
              position: { col: 0, row: 5, width: 10, height: 4 },
              props: { text: 'Next', onClick: "{{ storeValue('seen', 1); navigateTo('Second') }}" },
              children: [],
            },
          ],
        },
        { name: 'Second', slug: 'second', hidden: false, onLoad: [], widgets: [] },
      ],
    };
    const fetchMock = vi.fn(async (url: string) => {
      if (url === '/draft/demo/viewer') return json(200, TWO_PAGES);
      if (url === '/draft/demo/queries/load_data/run') {
        return json(200, { status: 200, headers: {}, body: { who: 'draft' }, durationMs: 1 });
      }
      return json(404, { error: { code: 'not_found', message: url } });
    });
    vi.stubGlobal('fetch', fetchMock);
    const host = previewHost();
    document.title = 'Editor';
    const addressBefore = window.location.pathname;
    render(<Viewer embedded={{ host, fetchApp: () => fetchAppAt('/draft/demo/viewer') }} />, root);
    await waitFor(() => expect(root.querySelector('[data-widget="txt_hello"]')?.textContent).toBe('Hello draft'));
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual(['/draft/demo/viewer', '/draft/demo/queries/load_data/run']);

    (root.querySelector('[data-widget="btn_next"] button') as HTMLButtonElement).click();
    await waitFor(() => expect(root.querySelector('[data-page="Second"]')).not.toBeNull());
    // The app moved in its own memory; the tab's address, title and storage did not.
    expect(host.location().pathname).toBe('/app/demo/second');
    expect(window.location.pathname).toBe(addressBefore);
    expect(document.title).toBe('Editor');
    expect(window.localStorage.length).toBe(0);
  });
  describe('sign-in by redirect', () => {
    const SIGN_IN_APP = {
      ...APP,
      auth: { token: 'session', oidc: true },
      pages: [
        {
          name: 'Home',
          slug: 'home',
          hidden: false,
          onLoad: [],
          widgets: [
            {
              name: 'btn_sign_in',
              type: 'Button',
              position: { col: 0, row: 0, width: 10, height: 4 },
              props: { text: 'Sign in with the provider', onClick: '{{appsmith.signIn()}}' },
              children: [],
            },
            {
              name: 'btn_sign_out',
              type: 'Button',
              position: { col: 0, row: 5, width: 10, height: 4 },
              props: { text: 'Sign out', onClick: '{{appsmith.signOut()}}' },
              children: [],
            },
          ],
        },
      ],
    };
    const button = (name: string) =>
      [...root.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement | undefined;

    it('loads the server\'s sign-in and sign-out routes in the tab', async () => {
      vi.stubGlobal('fetch', vi.fn(async () => json(200, SIGN_IN_APP)));
      const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
      try {
        render(<Viewer />, root);
        await waitFor(() => expect(button('Sign in with the provider')).toBeDefined());
        button('Sign in with the provider')!.click();
        await waitFor(() => expect(assign).toHaveBeenCalledWith('/app/demo/_auth/login'));
        button('Sign out')!.click();
        await waitFor(() => expect(assign).toHaveBeenLastCalledWith('/app/demo/_auth/logout'));
      } finally {
        assign.mockRestore();
      }
    });

    it('in the preview, a protected page of an app without a login page says sign-in runs in the published app', async () => {
      const locked = {
        ...SIGN_IN_APP,
        pages: [{ name: 'Home', slug: 'home', hidden: false, access: 'signedIn', locked: true }],
      };
      vi.stubGlobal('fetch', vi.fn(async () => json(200, locked)));
      const host = previewHost();
      render(<Viewer embedded={{ host, fetchApp: () => fetchAppAt('/draft/demo/viewer') }} />, root);
      await waitFor(() =>
        expect(root.querySelector('[data-error-screen] h1')?.textContent).toBe('Sign-in by redirect runs in the published app'),
      );
      expect(host.location().pathname).toBe('/app/demo');
    });

    it('in the preview, says it runs in the published app and leaves the editor where it is', async () => {
      vi.stubGlobal('fetch', vi.fn(async () => json(200, SIGN_IN_APP)));
      const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
      try {
        const host = previewHost();
        render(<Viewer embedded={{ host, fetchApp: () => fetchAppAt('/draft/demo/viewer') }} />, root);
        await waitFor(() => expect(button('Sign in with the provider')).toBeDefined());
        button('Sign in with the provider')!.click();
        await waitFor(() =>
          expect(root.querySelector('[role="alert"]')?.textContent).toContain('Sign-in by redirect runs in the published app'),
        );
        expect(assign).not.toHaveBeenCalled();
        expect(host.location().pathname).toBe('/app/demo');
      } finally {
        assign.mockRestore();
      }
    });
  });
});
