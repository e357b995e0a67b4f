/**
 * Whether a piece of binding code keeps to itself when it is placed inside other code: its
 * brackets, as JavaScript reads them, close every bracket they open and nothing more.
 *
 * The evaluator compiles many bindings in one script (`(function(){return (CODE\n);})`, one
 * after the other). Code that closed a bracket it did not open could end its own function and
 * run statements of its own while that script is set up (`1)}), alert(1), (function(){return (2`
 * is a syntax error alone, but valid among others). Code that passes this check cannot: every
 * bracket token it holds is matched inside it, so it stays within its own parentheses, and it
 * parses there exactly as it does alone. Code that fails the check is compiled on its own.
 *
 * So this scanner must read bracket tokens exactly as JavaScript does. It follows strings,
 * template literals (with `${ }` nesting) and comments; any construct it does not lex exactly
 * makes it answer false: a `/` that does not start a comment (division or a regular
 * expression literal, which only a parser can tell apart), an HTML-like comment (`<!--`,
 * `-->`), a line break inside a quoted string, or anything left unterminated.
 */

// Character codes, compared with charCodeAt: the scan runs over every binding of a page.
const LF = 10;
const CR = 13;
const LS = 0x2028;
const PS = 0x2029;
const QUOTE = 34; // "
const DOLLAR = 36; // $
const APOSTROPHE = 39; // '
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const STAR = 42;
const MINUS = 45;
const SLASH = 47;
const LESS = 60;
const OPEN_BRACKET = 91;
const BACKSLASH = 92;
const CLOSE_BRACKET = 93;
const BACKTICK = 96;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
/** On the stack: a `${` of a template literal, whose `}` resumes the template's text. */
const INTERPOLATION = -1;

/** What JavaScript ends a `//` comment at. */
function isLineTerminator(c: number): boolean {
  return c === LF || c === CR || c === LS || c === PS;
}

export function isBalanced(code: string): boolean {
  // Expected closing characters (or INTERPOLATION), innermost last.
  const stack: number[] = [];
  const n = code.length;
  let i = 0;
  while (i < n) {
    const c = code.charCodeAt(i);
    switch (c) {
      case SLASH: {
        const next = code.charCodeAt(i + 1);
        if (next === SLASH) {
          i += 2;
          while (i < n && !isLineTerminator(code.charCodeAt(i))) i++;
          continue;
        }
        if (next === STAR) {
          const end = code.indexOf('*/', i + 2);
          if (end < 0) return false;
          i = end + 2;
          continue;
        }
        return false;
      }
      case LESS:
        if (code.startsWith('<!--', i)) return false;
        break;
      case MINUS:
        if (code.startsWith('-->', i)) return false;
        break;
      case QUOTE:
      case APOSTROPHE:
        i = afterQuoted(code, i);
        if (i < 0) return false;
        continue;
      case BACKTICK:
        i = afterTemplateText(code, i + 1, stack);
        if (i < 0) return false;
        continue;
      case OPEN_PAREN:
        stack.push(CLOSE_PAREN);
        break;
      case OPEN_BRACKET:
        stack.push(CLOSE_BRACKET);
        break;
      case OPEN_BRACE:
        stack.push(CLOSE_BRACE);
        break;
      case CLOSE_PAREN:
      case CLOSE_BRACKET:
      case CLOSE_BRACE: {
        const expected = stack.pop();
        if (expected === INTERPOLATION && c === CLOSE_BRACE) {
          i = afterTemplateText(code, i + 1, stack);
          if (i < 0) return false;
          continue;
        }
        if (expected !== c) return false;
        break;
      }
    }
    i++;
  }
  return stack.length === 0;
}

/** The index after the string literal opening at `start`, or -1 (unterminated, or a raw line break). */
function afterQuoted(code: string, start: number): number {
  const quote = code.charCodeAt(start);
  let i = start + 1;
  while (i < code.length) {
    const c = code.charCodeAt(i);
    if (c === BACKSLASH) {
      // An escaped line break continues the string; "\" then "\r\n" leaves a "\n" that ends
      // the scan below as a raw line break, which only makes the answer more cautious.
      i += 2;
      continue;
    }
    if (c === quote) return i + 1;
    if (c === LF || c === CR) return -1;
    i++;
  }
  return -1;
}

/**
 * Scans template-literal text from `start`: returns the index after the closing backtick, or
 * after a `${` (pushed on the stack), or -1 when the template is unterminated.
 */
function afterTemplateText(code: string, start: number, stack: number[]): number {
  let i = start;
  while (i < code.length) {
    const c = code.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === BACKTICK) return i + 1;
    if (c === DOLLAR && code.charCodeAt(i + 1) === OPEN_BRACE) {
      stack.push(INTERPOLATION);
      return i + 2;
    }
    i++;
  }
  return -1;
}
