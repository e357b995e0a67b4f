import { describe, expect, it } from 'vitest';
import { isBalanced } from './balanced.ts';

describe('isBalanced', () => {
  it('accepts code whose brackets close inside it, wherever strings, templates and comments put them', () => {
    for (const code of [
      "inp.text + ' #1'",
      '[1, (2), { a: [3] }].length',
      "')' + \"]\" + '}' + '\\''",
      '`a ${ {b: 1}.b } ${`c${d}`} }`',
      'x /* ) */ + 1 // ) and more',
      '(() => { if (a) { return [b]; } })()',
    ]) {
      expect(isBalanced(code), code).toBe(true);
    }
  });

  it('refuses code that closes what it did not open, or leaves something open', () => {
    for (const code of ['1)}), hit(), (function(){return (2', 'a)', 'f(', '[1, 2', '{', '`${)}`', '`open', "'open", '/* open', '(]']) {
      expect(isBalanced(code), code).toBe(false);
    }
  });

  it('refuses what it cannot lex exactly: division and regular expressions, HTML-like comments, line breaks in strings', () => {
    for (const code of ['a / b', '/\\)/.test(x)', 'a <!-- ( ', '--> )', "'a\nb'", "'a\rb'"]) {
      expect(isBalanced(code), JSON.stringify(code)).toBe(false);
    }
  });

  it('ends a line comment where JavaScript does, at any line terminator', () => {
    expect(isBalanced('1 // (\u2028 )')).toBe(false);
    expect(isBalanced('1 // x\u2029)')).toBe(false);
    expect(isBalanced('1 // )\r+ 2')).toBe(true);
  });
});
