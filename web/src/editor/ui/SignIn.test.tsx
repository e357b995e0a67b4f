// @vitest-environment happy-dom
/**
 * The sign-in form's errors, through the real Builder API client with the network stubbed:
 * wrong credentials (never which of the two), a throttled account with the wait, no server.
 * And the same form in the dialog over the editor, for a session that ended while editing.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignIn, SignInAgain } from './SignIn.tsx';

/** vi.waitFor with room for a loaded machine (its default gives up after one second). */
const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000 });

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function field(label: string): HTMLInputElement {
  const l = [...root.querySelectorAll('label')].find((x) => x.querySelector('span')?.textContent === label);
  const input = l?.querySelector('input');
  if (!input) throw new Error(`no field labelled ${label}`);
  return input;
}

async function submit(email: string, password: string): Promise<void> {
  for (const [label, value] of [
    ['Email', email],
    ['Password', password],
  ] as const) {
    const input = field(label);
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
  await new Promise((r) => setTimeout(r, 0));
  root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

const alertText = () => root.querySelector('[role="alert"]')?.textContent;

describe('SignIn', () => {
  it('signs in and hands the builder over, sending the credentials once as JSON', async () => {
    const fetchMock = vi.fn(async () => answer(200, { builder: { id: '1', email: 'b@example.com', role: 'admin' } }));
    vi.stubGlobal('fetch', fetchMock);
    const onSignedIn = vi.fn();
    render(<SignIn onSignedIn={onSignedIn} />, root);
    await submit(' b@example.com ', 'secret words');
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith({ id: '1', email: 'b@example.com', role: 'admin' }));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/builder/session');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ email: 'b@example.com', password: 'secret words' });
  });

  it('says "wrong email or password" for refused credentials', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => answer(400, { error: { code: 'invalid_credentials', message: 'Invalid login credentials' } })),
    );
    const onSignedIn = vi.fn();
    render(<SignIn onSignedIn={onSignedIn} />, root);
    await submit('b@example.com', 'nope');
    await waitFor(() => expect(alertText()).toBe('Wrong email or password.'));
    expect(onSignedIn).not.toHaveBeenCalled();
    // The button is usable again for the next try.
    expect(root.querySelector<HTMLButtonElement>('button[type="submit"]')?.disabled).toBe(false);
  });

  it('says how long to wait when sign-in is throttled', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => answer(429, { error: { code: 'over_request_rate_limit', message: 'Too many attempts' } }, { 'retry-after': '42' })),
    );
    render(<SignIn onSignedIn={() => undefined} />, root);
    await submit('b@example.com', 'x');
    await waitFor(() => expect(alertText()).toBe('Too many sign-in attempts. Try again in 42 seconds.'));
  });

  it('says the server cannot be reached when there is no answer', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    render(<SignIn onSignedIn={() => undefined} />, root);
    await submit('b@example.com', 'x');
    await waitFor(() => expect(alertText()).toBe('The server cannot be reached. Check your connection and try again.'));
  });
});

describe('SignInAgain', () => {
  it('starts from the builder who was signed in, signs in with the same form, and "Not now" leaves', async () => {
    const fetchMock = vi.fn(async () => answer(200, { builder: { id: '1', email: 'b@example.com', role: 'admin' } }));
    vi.stubGlobal('fetch', fetchMock);
    const onSignedIn = vi.fn();
    const onClose = vi.fn();
    render(<SignInAgain email="b@example.com" onSignedIn={onSignedIn} onClose={onClose} />, root);
    expect(root.querySelector('dialog')?.getAttribute('aria-labelledby')).toBe(root.querySelector('h2')?.id);
    expect(root.querySelector('h2')?.textContent).toBe('Sign in again');
    expect(field('Email').value).toBe('b@example.com');
    expect(field('Password').autofocus).toBe(true);
    [...root.querySelectorAll('button')].find((b) => b.textContent === 'Not now')!.click();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(fetchMock).not.toHaveBeenCalled();
    await submit('b@example.com', 'secret words');
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith({ id: '1', email: 'b@example.com', role: 'admin' }));
  });
});
