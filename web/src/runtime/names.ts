/**
 * Which names of the app's scope a piece of code can reach, found without parsing it.
 *
 * The evaluator compiles each binding as a function whose parameters are the scope names it
 * may read, so the cost of a compile depends on the binding, not on the size of the app. The
 * answer here must never miss a name the code reads (a missed name would be a ReferenceError,
 * or a global of that name); naming one it does not read only adds a parameter. So it is a
 * deliberate over-approximation: every identifier-like word of the code counts, whether it is a
 * variable, a property after a dot, an object key, or text inside a string or a comment.
 *
 * Two ways to reach a name without writing it:
 * - a Unicode escape inside an identifier (`\u0069np` is `inp`): escapes are decoded before
 *   the words are collected;
 * - direct `eval` (which sees the enclosing function's parameters) and `arguments` (which
 *   lists them): code that mentions either word gets the whole scope, as before.
 */

/** Code that mentions one of these words is compiled over every name. */
const WHOLE_SCOPE_WORDS: ReadonlySet<string> = new Set(['eval', 'arguments']);

const WORD = /[A-Za-z_$][\w$]*/g;
const UNICODE_ESCAPE = /\\u(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{4}))/g;

/**
 * The identifier-like words of `code`, or `'all'` when the code may reach names it does not
 * spell out (see the module comment).
 */
export function wordsOf(code: string): ReadonlySet<string> | 'all' {
  const text = code.includes('\\u') ? code.replace(UNICODE_ESCAPE, decodeEscape) : code;
  const words = new Set<string>();
  for (const w of text.match(WORD) ?? []) {
    if (WHOLE_SCOPE_WORDS.has(w)) return 'all';
    words.add(w);
  }
  return words;
}

function decodeEscape(escape: string, braced: string | undefined, four: string | undefined): string {
  const cp = parseInt(braced ?? four ?? '', 16);
  return Number.isInteger(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : escape;
}
