// @vitest-environment happy-dom
/**
 * The Response region: its states (nothing yet, running, a response, an error), the response's
 * status, time, size and headers, the body as a JSON tree driven by the keyboard (with the
 * first 100 members of a large level and "Show more"), text and binary bodies.
 */
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Response } from './Response.tsx';
import { outcomeOf, type RunOutcome } from './runOutcome.ts';

let root: HTMLElement;

beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

// Preact runs effects (focus moves) after the next frame.
const settle = () => new Promise((r) => setTimeout(r, 30));
const show = async (outcome: RunOutcome | null, running = false) => {
  render(<Response outcome={outcome} running={running} />, root);
  await settle();
};
const region = () => {
  const r = root.querySelector<HTMLElement>('section[aria-label="Response"]');
  if (!r) throw new Error('no region named Response');
  return r;
};
const tree = () => region().querySelector<HTMLElement>('[role="tree"]')!;
const items = () => [...tree().querySelectorAll<HTMLElement>('[role="treeitem"]')];
const item = (name: string) => {
  const found = items().find((i) => (i.getAttribute('aria-label') ?? i.textContent) === name);
  if (!found) throw new Error(`no tree item ${name}; have ${items().map((i) => i.getAttribute('aria-label') ?? i.textContent).join(' | ')}`);
  return found;
};
const focused = () => {
  const a = document.activeElement as HTMLElement | null;
  return a?.getAttribute('aria-label') ?? a?.textContent ?? null;
};
const key = async (k: string) => {
  document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  await settle();
};
const answer = (body: unknown, extra: Record<string, unknown> = {}) =>
  outcomeOf(200, { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'abc' }, body, durationMs: 12.3, ...extra });

describe('Response', () => {
  it('invites a run before there is anything, and is busy while running', async () => {
    await show(null);
    expect(region().textContent).toContain('Run the query to see its response.');
    expect(region().getAttribute('aria-busy')).toBeNull();
    await show(null, true);
    expect(region().getAttribute('aria-busy')).toBe('true');
    expect(region().querySelector('[role="status"]')?.textContent).toBe('Running…');
  });

  it('shows the status with its code, the time, the size and the headers', async () => {
    await show(outcomeOf(200, { status: 201, headers: { 'content-type': 'application/json' }, body: { id: 7 }, durationMs: 12.3 }, 1234));
    expect(region().querySelector('strong')?.textContent).toBe('201 Created');
    expect(region().textContent).toContain('12 ms');
    expect(region().textContent).toContain('1.2 KB');
    const headers = region().querySelector('details')!;
    expect(headers.querySelector('summary')?.textContent).toBe('Headers (1)');
    expect([...headers.querySelectorAll('dt')].map((d) => d.textContent)).toEqual(['content-type']);
    expect(headers.querySelector('dd')?.textContent).toBe('application/json');
  });

  it('shows an upstream error status as a response, not as lowkey’s error', async () => {
    await show(outcomeOf(200, { status: 404, headers: {}, body: 'Not here', durationMs: 2 }));
    expect(region().querySelector('strong')?.textContent).toBe('404 Not Found');
    expect(region().querySelector('[role="alert"]')).toBeNull();
    expect(region().querySelector('pre')?.textContent).toBe('Not here');
  });

  it('walks the JSON tree with the arrows: down, right expands then enters, left goes up then collapses', async () => {
    await show(answer({ user: { id: 1, roles: ['admin'] }, ok: true }));
    expect(tree().getAttribute('aria-label')).toBe('Body');
    expect(items().map((i) => i.getAttribute('aria-label'))).toEqual(['user: {…} 2 keys', 'ok: true']);
    expect(item('user: {…} 2 keys').getAttribute('aria-expanded')).toBe('false');
    expect(item('ok: true').hasAttribute('aria-expanded')).toBe(false);
    // One item in the tab order.
    expect(items().filter((i) => i.tabIndex === 0)).toHaveLength(1);

    item('user: {…} 2 keys').focus();
    await key('ArrowDown');
    expect(focused()).toBe('ok: true');
    await key('ArrowUp');
    expect(focused()).toBe('user: {…} 2 keys');
    await key('ArrowRight');
    expect(item('user: {…} 2 keys').getAttribute('aria-expanded')).toBe('true');
    expect(item('user: {…} 2 keys').querySelector('[role="group"]')).not.toBeNull();
    expect(focused()).toBe('user: {…} 2 keys');
    await key('ArrowRight');
    expect(focused()).toBe('id: 1');
    await key('ArrowDown');
    expect(focused()).toBe('roles: […] 1 item');
    await key('ArrowRight');
    await key('ArrowRight');
    expect(focused()).toBe('0: "admin"');
    await key('End');
    expect(focused()).toBe('ok: true');
    await key('Home');
    expect(focused()).toBe('user: {…} 2 keys');
    item('roles: […] 1 item').focus();
    await key('ArrowLeft');
    expect(item('roles: […] 1 item').getAttribute('aria-expanded')).toBe('false');
    await key('ArrowLeft');
    expect(focused()).toBe('user: {…} 2 keys');
    await key('ArrowLeft');
    expect(item('user: {…} 2 keys').getAttribute('aria-expanded')).toBe('false');
    expect(items()).toHaveLength(2);
    expect(items().filter((i) => i.tabIndex === 0).map((i) => i.getAttribute('aria-label'))).toEqual(['user: {…} 2 keys']);
  });

  it('toggles a level with Enter and with a click', async () => {
    await show(answer({ a: { b: 1 } }));
    item('a: {…} 1 key').focus();
    await key('Enter');
    expect(item('a: {…} 1 key').getAttribute('aria-expanded')).toBe('true');
    item('a: {…} 1 key').querySelector<HTMLElement>('.ed-json-row')!.click();
    await settle();
    expect(item('a: {…} 1 key').getAttribute('aria-expanded')).toBe('false');
  });

  it('shows the first 100 members of a large array, and 100 more at each "Show more"', async () => {
    await show(answer(Array.from({ length: 250 }, (_, i) => i)));
    expect(items()).toHaveLength(101);
    const more = item('Show more (100 of 250 shown)');
    more.focus();
    await key('Enter');
    expect(items()).toHaveLength(201);
    // The focus is on the first member just shown.
    expect(focused()).toBe('100: 100');
    item('Show more (200 of 250 shown)').click();
    await settle();
    expect(items()).toHaveLength(250);
    expect(items().at(-1)?.getAttribute('aria-label')).toBe('249: 249');
  });

  it('shows the raw JSON on request', async () => {
    await show(answer({ a: 1 }));
    const raw = [...region().querySelectorAll('button')].find((b) => b.textContent === 'Raw JSON')!;
    expect(raw.getAttribute('aria-pressed')).toBe('false');
    raw.click();
    await settle();
    expect(raw.getAttribute('aria-pressed')).toBe('true');
    expect(region().querySelector('[role="tree"]')).toBeNull();
    expect(region().querySelector('pre')?.textContent).toBe('{\n  "a": 1\n}');
  });

  it('says a binary body is not shown', async () => {
    await show(answer('iVBORw0KGgo=', { bodyEncoding: 'base64' }));
    expect(region().textContent).toContain('The body is binary (8 B, sent base64-encoded)');
    expect(region().querySelector('pre')).toBeNull();
  });

  it('shows lowkey’s refusal as an alert: the explanation and the server’s message', async () => {
    await show(outcomeOf(400, { error: { code: 'missing_param', message: 'No value for inp_email.text' } }));
    const alert = region().querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain('A binding has no value: No value for inp_email.text — give the widget a value on the canvas');
    expect(alert.querySelector('.ed-response-message')?.textContent).toBe('No value for inp_email.text');
    expect(alert.textContent).toContain('400 · missing_param');
    expect(region().querySelector('strong')).toBeNull();
  });
});
