/**
 * Reading the run endpoint's answers: a response whatever the upstream status, each error code
 * of docs/api.md in words, no answer at all, sizes and their display.
 */
import { describe, expect, it } from 'vitest';
import { explain, formatBytes, formatDuration, networkOutcome, outcomeOf, statusText, type RunOutcome } from './runOutcome.ts';

function error(outcome: RunOutcome): Extract<RunOutcome, { kind: 'error' }> {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function response(outcome: RunOutcome): Extract<RunOutcome, { kind: 'response' }> {
  if (outcome.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const failed = (status: number, code: string, message: string, more: Record<string, unknown> = {}) =>
  error(outcomeOf(status, { error: { code, message }, ...more }));

describe('outcomeOf: responses', () => {
  it('reads a 200 answer as the upstream response, even when the upstream said 404', () => {
    const r = response(outcomeOf(200, { status: 404, headers: { 'content-type': 'application/json' }, body: { message: 'nope' }, durationMs: 3.2 }));
    expect(r.status).toBe(404);
    expect(r.headers).toEqual({ 'content-type': 'application/json' });
    expect(r.body).toEqual({ message: 'nope' });
    expect(r.durationMs).toBe(3.2);
    expect(r.bodyEncoding).toBeUndefined();
  });

  it('measures the body as JSON text in UTF-8 when the size was not measured', () => {
    expect(response(outcomeOf(200, { status: 200, headers: {}, body: { a: 'é' }, durationMs: 1 })).sizeBytes).toBe(new TextEncoder().encode('{"a":"é"}').length);
    expect(response(outcomeOf(200, { status: 200, headers: {}, body: 'héllo', durationMs: 1 })).sizeBytes).toBe(6);
    expect(response(outcomeOf(200, { status: 204, headers: {}, durationMs: 1 })).sizeBytes).toBe(0);
  });

  it('takes the measured size when there is one', () => {
    expect(response(outcomeOf(200, { status: 200, headers: {}, body: [1, 2], durationMs: 1 }, 1234)).sizeBytes).toBe(1234);
  });

  it('keeps a base64 body as it came, sized as the bytes it decodes to', () => {
    const r = response(outcomeOf(200, { status: 200, headers: {}, body: 'AAEC/w==', bodyEncoding: 'base64', durationMs: 1 }));
    expect(r.bodyEncoding).toBe('base64');
    expect(r.body).toBe('AAEC/w==');
    expect(r.sizeBytes).toBe(4);
  });

  it('drops header values that are not text, and a missing duration is 0', () => {
    const r = response(outcomeOf(200, { status: 200, headers: { a: 'x', b: 3 }, body: null }));
    expect(r.headers).toEqual({ a: 'x' });
    expect(r.durationMs).toBe(0);
  });

  it('calls a 200 without a status an unreadable answer', () => {
    expect(error(outcomeOf(200, '<html>')).code).toBe('bad_response');
  });
});

describe('outcomeOf: errors, each code in words', () => {
  it('address_refused', () => {
    const e = failed(403, 'address_refused', 'the URL resolves to a link-local address.');
    expect(e.httpStatus).toBe(403);
    expect(e.code).toBe('address_refused');
    expect(e.message).toBe('the URL resolves to a link-local address.');
    expect(e.explained).toMatch(/^The server refused to send this request to that address: the URL resolves to a link-local address\. /);
  });

  it('upstream_timeout', () => {
    expect(failed(504, 'upstream_timeout', 'timed out after 10000 ms').explained).toMatch(/^No answer within the query's timeout/);
  });

  it('missing_param', () => {
    const e = failed(400, 'missing_param', 'No value for the binding inp_email.text');
    expect(e.explained).toMatch(/^A binding has no value: No value for the binding inp_email\.text — give the widget a value on the canvas/);
  });

  it('invalid_query', () => {
    expect(failed(422, 'invalid_query', 'the body is not valid JSON: expected value at line 1').explained).toBe(
      'After the bindings were filled in, the request is not valid: the body is not valid JSON: expected value at line 1 (a value made the URL or a header invalid, or a JSON body repeats a key).',
    );
  });

  it('upstream_unreachable', () => {
    expect(failed(502, 'upstream_unreachable', 'connection refused').explained).toMatch(/^The address could not be reached \(connection refused or the name does not resolve\)/);
  });

  it('response_too_large', () => {
    expect(failed(502, 'response_too_large', 'over 5242880 bytes').explained).toMatch(/larger than the server accepts/);
  });

  it('redirect_refused', () => {
    expect(failed(502, 'redirect_refused', 'more than 5 redirects').explained).toMatch(/redirect.*more than 5 redirects/);
  });

  it('invalid_app lists the draft’s problems in the message', () => {
    const e = failed(422, 'invalid_app', 'The app has problems.', {
      problems: [{ message: 'homePage Nowhere is not a page', file: 'app.yaml', line: 4 }, { message: 'bad query' }],
    });
    expect(e.explained).toMatch(/^The draft has problems/);
    expect(e.message).toBe('The app has problems.\n• app.yaml:4: homePage Nowhere is not a page\n• bad query');
  });

  it('secret_not_configured names the variable to set', () => {
    const e = failed(500, 'secret_not_configured', 'The secret PROVIDER_KEY is not configured');
    expect(e.explained).toMatch(/The secret PROVIDER_KEY is not configured\. Set the environment variable LOWKEY_SECRET_<NAME>/);
  });

  it('too_many_runs and server_busy', () => {
    expect(failed(429, 'too_many_runs', 'busy').explained).toMatch(/as many queries running as the server allows one client/);
    expect(failed(503, 'server_busy', 'busy').explained).toMatch(/try again in a moment/);
  });

  it('a 401 is being signed out, with or without a code', () => {
    expect(failed(401, 'not_signed_in', 'Sign in first').explained).toMatch(/signed out/);
    const bare = error(outcomeOf(401, ''));
    expect(bare.code).toBe('not_signed_in');
    expect(bare.explained).toMatch(/sign in again/);
  });

  it('query_not_found says the draft may not be saved', () => {
    expect(failed(404, 'query_not_found', 'No query Query1').explained).toMatch(/not be saved yet/);
  });

  it('falls back to the code and the message for any other code', () => {
    expect(failed(415, 'unsupported_media_type', 'Send JSON.').explained).toBe('The server did not run the query (unsupported_media_type): Send JSON.');
  });

  it('an error answer that is not lowkey’s JSON is an unreadable answer, with its text', () => {
    const e = error(outcomeOf(502, 'Bad gateway from a proxy'));
    expect(e.code).toBe('bad_response');
    expect(e.message).toBe('The server answered 502: Bad gateway from a proxy');
    expect(e.explained).toMatch(/could not be read/);
  });

  it('explain covers every code the editor can meet with its own sentence', () => {
    const codes = [
      'address_refused', 'upstream_timeout', 'missing_param', 'invalid_query', 'upstream_unreachable', 'response_too_large',
      'redirect_refused', 'invalid_app', 'secret_not_configured', 'too_many_runs', 'server_busy', 'not_signed_in',
      'query_not_found', 'network_error', 'bad_response',
    ];
    const fallback = explain('something_else', 'x');
    const sentences = codes.map((c) => explain(c, 'x'));
    expect(sentences.every((s) => !s.startsWith('The server did not run the query (') && s !== fallback)).toBe(true);
  });
});

describe('networkOutcome', () => {
  it('is an error without an HTTP status, saying the server could not be reached', () => {
    const e = error(networkOutcome(new TypeError('Failed to fetch')));
    expect(e.httpStatus).toBeNull();
    expect(e.code).toBe('network_error');
    expect(e.message).toBe('Failed to fetch');
    expect(e.explained).toMatch(/could not be reached, so nothing was run/);
    expect(error(networkOutcome('offline')).message).toBe('offline');
  });
});

describe('display', () => {
  it('names well-known statuses and shows the code of the others', () => {
    expect(statusText(200)).toBe('200 OK');
    expect(statusText(404)).toBe('404 Not Found');
    expect(statusText(418)).toBe('418');
  });

  it('sizes in B, KB and MB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1234)).toBe('1.2 KB');
    expect(formatBytes(56_789)).toBe('57 KB');
    expect(formatBytes(5_242_880)).toBe('5.2 MB');
  });

  it('durations in ms and s', () => {
    expect(formatDuration(0.42)).toBe('0.4 ms');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
  });
});
