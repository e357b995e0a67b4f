/**
 * Event actions: the code each shape writes, a seeded round trip over generated actions
 * (nested follow-ups, awkward strings), strictness (hand-written code stays code, unchanged),
 * and that what is written passes the template parser as one binding.
 */
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../runtime/index.ts';
import { ACTION_CHOICES, ALERT_TYPES, actionCode, describeAction, parseAction, quote, type Action } from './actions.ts';

const NAMES = { jsObjects: [{ name: 'Auth', source: '' }, { name: 'Utils', source: '' }] };

describe('actionCode', () => {
  it('writes each shape as a person would', () => {
    expect(actionCode({ kind: 'js', object: 'Auth', fn: 'signin' })).toBe('{{Auth.signin()}}');
    expect(actionCode({ kind: 'query', query: 'sign_in' })).toBe('{{sign_in.run()}}');
    expect(
      actionCode({
        kind: 'query',
        query: 'sign_in',
        onSuccess: { kind: 'alert', message: 'Signed in', type: 'success' },
        onFailure: { kind: 'navigate', page: 'LoginPage' },
      }),
    ).toBe("{{sign_in.run().then(() => { showAlert('Signed in', 'success'); }).catch(() => { navigateTo('LoginPage'); })}}");
    expect(actionCode({ kind: 'navigate', page: 'Dashboard', target: 'SAME_WINDOW' })).toBe("{{navigateTo('Dashboard', {}, 'SAME_WINDOW')}}");
    expect(actionCode({ kind: 'storeValue', key: 'key', value: 'value' })).toBe("{{storeValue('key', value)}}");
    expect(actionCode({ kind: 'removeValue', key: 'key' })).toBe("{{removeValue('key')}}");
    expect(actionCode({ kind: 'clearStore' })).toBe('{{clearStore()}}');
    expect(actionCode({ kind: 'alert', message: 'text', type: 'info' })).toBe("{{showAlert('text', 'info')}}");
    expect(actionCode({ kind: 'signIn' })).toBe('{{appsmith.signIn()}}');
    expect(actionCode({ kind: 'signOut' })).toBe('{{appsmith.signOut()}}');
    expect(actionCode({ kind: 'code', code: ' a(); b() ' })).toBe('{{ a(); b() }}');
  });

  it('puts custom code in a follow-up on lines of its own', () => {
    const code = actionCode({ kind: 'query', query: 'q', onFailure: { kind: 'code', code: 'log(1) // done' } });
    expect(code).toBe('{{q.run().catch(async () => {\nlog(1) // done\n})}}');
    expect(parseAction(code)).toEqual({ kind: 'query', query: 'q', onFailure: { kind: 'code', code: 'log(1) // done' } });
  });

  it('escapes strings as JSON does, inside single quotes', () => {
    expect(quote(`it's "x" \\ a\nb\t\u0001\u2028`)).toBe(`'it\\'s "x" \\\\ a\\nb\\t\\u0001\\u2028'`);
    expect(quote('😀')).toBe("'😀'");
    expect(quote('\ud800x')).toBe("'\\ud800x'");
    // What it writes is a JavaScript string with the same text.
    for (const s of [`it's "x" \\ a\nb`, '\u0000\u001f', '}}{{', '\udc00']) expect(new Function(`return ${quote(s)}`)()).toBe(s);
  });
});

/** mulberry32, for a reproducible sequence of actions. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IDENTS = ['Auth', 'sign_in', 'run', 'then', '$x', '_q1', 'navigateTo', 'ünï'];
const STRINGS = ['', 'Signed in', "it's", 'say "hi"', 'back\\slash', 'two\nlines', 'tab\there', '}}', '{{ x }}', '\u2028', '😀', '\ud800', "\\'", '/* no */', '// no'];
const EXPRESSIONS = ['value', 'inp.text', '{ id: 1 }', '{ a: { b: [1, 2] } }', "{ s: 'a, b); c(' }", '(a, b)', 'f(x, y)', 'x => x + 1', '`t ${a}`', '[1, 2]', "'}}'", '"q"'];
const CODE = ['foo()', 'a();\nb()', 'const x = await q.run();\nif (x) { storeValue("k", x) }', 'log(1) // trailing comment', '/* block */ go()', 'return'];

function generate(next: () => number, depth: number): Action {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const maybe = <T,>(make: () => T): T | undefined => (next() < 0.5 ? make() : undefined);
  const kind = pick(ACTION_CHOICES).kind;
  switch (kind) {
    case 'js':
      return { kind, object: pick(['Auth', 'Utils']), fn: pick(IDENTS) };
    case 'query': {
      const params = maybe(() => pick(EXPRESSIONS));
      const onSuccess = depth < 3 ? maybe(() => generate(next, depth + 1)) : undefined;
      const onFailure = depth < 3 ? maybe(() => generate(next, depth + 1)) : undefined;
      return { kind, query: pick(IDENTS.filter((n) => n !== 'Auth')), ...(params && { params }), ...(onSuccess && { onSuccess }), ...(onFailure && { onFailure }) };
    }
    case 'navigate': {
      const params = maybe(() => pick(EXPRESSIONS));
      const target = maybe(() => pick(['SAME_WINDOW', 'NEW_WINDOW'] as const));
      return { kind, page: pick(STRINGS), ...(params && { params }), ...(target && { target }) };
    }
    case 'storeValue':
      return { kind, key: pick(STRINGS), value: pick(EXPRESSIONS) };
    case 'removeValue':
      return { kind, key: pick(STRINGS) };
    case 'clearStore':
    case 'signIn':
    case 'signOut':
      return { kind };
    case 'alert':
      return { kind, message: pick(STRINGS), type: pick(ALERT_TYPES) };
    case 'code':
      return { kind, code: pick(CODE) };
  }
}

describe('parseAction', () => {
  it('reads back exactly what actionCode wrote, for many generated actions', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const action = generate(random(seed), 0);
      const code = actionCode(action);
      expect({ seed, action: parseAction(code, NAMES) }).toEqual({ seed, action });
      expect(parseTemplate(code).diagnostics, `seed ${seed}`).toEqual([]);
      expect(parseTemplate(code).template.single, `seed ${seed}`).toBe(true);
      // The code is valid JavaScript as the body of an async function, as the server checks it.
      expect(() => new Function(`return async () => { ${code.slice(2, -2)}\n}`), `seed ${seed}: ${code}`).not.toThrow();
    }
  });

  it('reads X.run() as a JS function when X is a JS object, else as a query', () => {
    expect(parseAction('{{Auth.run()}}', NAMES)).toEqual({ kind: 'js', object: 'Auth', fn: 'run' });
    expect(parseAction('{{Auth.run()}}')).toEqual({ kind: 'query', query: 'Auth' });
    expect(parseAction('{{sign_in.run()}}', NAMES)).toEqual({ kind: 'query', query: 'sign_in' });
  });

  it('reads an empty value as no action, and allows spaces just inside the braces', () => {
    expect(parseAction('')).toBeNull();
    expect(parseAction('  ')).toBeNull();
    expect(parseAction('{{ Auth.signin() }}')).toEqual({ kind: 'js', object: 'Auth', fn: 'signin' });
    expect(parseAction('{{ appsmith.signIn() }}', NAMES)).toEqual({ kind: 'signIn' });
    expect(parseAction('{{appsmith.signOut()}}', NAMES)).toEqual({ kind: 'signOut' });
  });

  it('keeps hand-written code as custom code, unchanged', () => {
    const handWritten = [
      '{{Auth.signin(); Auth.other()}}',
      '{{Auth.signin(1)}}',
      '{{Auth.signin();}}',
      '{{await sign_in.run()}}',
      '{{sign_in.run({a: 1}, 2)}}',
      '{{sign_in.run().then((r) => { showAlert(r, "info"); })}}',
      "{{sign_in.run().then(() => { showAlert('a', 'info') })}}",
      "{{sign_in.run().then(() => {showAlert('a', 'info');})}}",
      "{{sign_in.run().catch(() => { showAlert('a', 'info'); }).then(() => { clearStore(); })}}",
      "{{sign_in.run().then(() => { showAlert('a', 'info'); clearStore(); })}}",
      "{{sign_in.run().then(async () => { clearStore(); })}}",
      '{{sign_in.run().then(() => {\nfoo()\n})}}',
      '{{showAlert("double quotes", \'info\')}}',
      "{{showAlert('a', 'loud')}}",
      "{{showAlert('a')}}",
      "{{showAlert('a', 'info', 1)}}",
      "{{showAlert('\\x41', 'info')}}",
      "{{showAlert(msg, 'info')}}",
      "{{storeValue('k', a); foo(b)}}",
      "{{storeValue('k', a, true)}}",
      "{{storeValue('k', a /* note */)}}",
      "{{storeValue('k',a)}}",
      "{{storeValue(key, a)}}",
      "{{removeValue('a', 'b')}}",
      '{{clearStore(1)}}',
      "{{appsmith.signIn('Dashboard')}}",
      '{{appsmith.signIn();}}',
      '{{appsmith.signOut().then(() => { clearStore(); })}}',
      '{{appsmith.storeValue()}}',
      "{{navigateTo('P', {}, 'ELSEWHERE')}}",
      "{{navigateTo('P', {},)}}",
      "{{navigateTo('P', a, b, c)}}",
      "{{navigateTo('P') || x}}",
      '{{ x }} and {{ y }}',
      'plain text',
      '{{unclosed',
      '{{Auth.signin()}} ',
    ];
    for (const value of handWritten) {
      const action = parseAction(value, NAMES);
      expect(action?.kind, value).toBe('code');
      if (action?.kind !== 'code') continue;
      // Inside one binding, the code is what was between the braces, spaces and all.
      const single = value.startsWith('{{') && value.endsWith('}}') && !value.includes('}} and');
      expect(single ? actionCode(action) : action.code, value).toBe(value);
    }
  });
});

describe('describeAction', () => {
  it('says what the action does, in short', () => {
    expect(describeAction({ kind: 'query', query: 'sign_in', onSuccess: { kind: 'navigate', page: 'Dashboard' } })).toBe('Runs sign_in, then navigates to Dashboard');
    expect(describeAction({ kind: 'navigate', page: 'Dashboard' })).toBe('Navigates to Dashboard');
    expect(describeAction({ kind: 'signIn' })).toBe("Signs in at the app's provider");
    expect(describeAction({ kind: 'query', query: 'forget', onSuccess: { kind: 'signOut' } })).toBe('Runs forget, then signs out');
    expect(describeAction({ kind: 'code', code: 'x()' })).toBeNull();
  });
});
