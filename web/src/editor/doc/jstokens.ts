/**
 * A small JavaScript tokenizer for renames: it finds the identifier tokens of a piece of code
 * (a binding, event code, a JS object's source) and tells which of them refer to a name, as
 * opposed to a property after `.`, an object key, or text inside a string, a template literal's
 * text, a regular expression or a comment.
 *
 * It is not a parser: it keeps just enough context to get those cases right — a stack of open
 * brackets (an object literal's `{` vs a block's, decided by the token before it, the usual
 * heuristic), template literals with nested `${ }`, and regex vs division by the token before
 * the slash. Code it cannot make sense of is still tokenized; nothing throws.
 */

export type TokenKind = 'ident' | 'string' | 'template' | 'number' | 'regex' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** Offsets in the code; for strings, the quotes included. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=',
  '&=', '|=', '^=', '**', '<<', '>>',
];

/** Keywords after which a `/` starts a regular expression and a `{` an object literal. */
const EXPRESSION_KEYWORDS: ReadonlySet<string> = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case',
  'default', 'yield', 'await', 'else', 'do',
]);

const isIdentStart = (c: string): boolean => /[A-Za-z_$]/.test(c) || c > '\x7f';
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c) || c > '\x7f';

/** The tokens of `code` in order, comments and whitespace left out. */
export function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  // For each `${` still open: the bracket depth it was opened at.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, start, end, text: code.slice(start, end) });
  };
  // Scans template text from `from`; returns where code resumes.
  const templateText = (from: number, tokenStart: number): number => {
    let j = from;
    while (j < code.length) {
      const c = code.charAt(j);
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (c === '`') {
        push('template', tokenStart, j + 1);
        return j + 1;
      }
      if (c === '$' && code.charAt(j + 1) === '{') {
        push('template', tokenStart, j + 2);
        templates.push(depth);
        return j + 2;
      }
      j++;
    }
    push('template', tokenStart, code.length);
    return code.length;
  };

  while (i < code.length) {
    const c = code.charAt(i);
    const next = code.charAt(i + 1);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && next === '/') {
      const nl = code.indexOf('\n', i);
      i = nl < 0 ? code.length : nl + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? code.length : end + 2;
      continue;
    }
    if (isIdentStart(c) || c === '\\') {
      let j = i + 1;
      while (j < code.length && (isIdentPart(code.charAt(j)) || code.charAt(j) === '\\')) j++;
      push('ident', i, j);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      let j = i + 1;
      while (j < code.length && /[0-9A-Za-z_.]/.test(code.charAt(j))) j++;
      push('number', i, j);
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < code.length && code.charAt(j) !== c && code.charAt(j) !== '\n') j += code.charAt(j) === '\\' ? 2 : 1;
      const end = Math.min(code.length, j + 1);
      push('string', i, end);
      i = end;
      continue;
    }
    if (c === '`') {
      i = templateText(i + 1, i);
      continue;
    }
    if (c === '}' && templates.length > 0 && templates[templates.length - 1] === depth) {
      templates.pop();
      i = templateText(i + 1, i);
      continue;
    }
    if (c === '/' && regexAllowed(tokens[tokens.length - 1])) {
      let j = i + 1;
      let inClass = false;
      while (j < code.length && code.charAt(j) !== '\n') {
        const d = code.charAt(j);
        if (d === '\\') {
          j += 2;
          continue;
        }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        j++;
      }
      j++;
      while (j < code.length && isIdentPart(code.charAt(j))) j++;
      push('regex', i, Math.min(j, code.length));
      i = Math.min(j, code.length);
      continue;
    }
    let p = PUNCTUATORS.find((op) => code.startsWith(op, i)) ?? c;
    // `a ? .5 : 1` is a conditional, not optional chaining.
    if (p === '?.' && /[0-9]/.test(code.charAt(i + 2))) p = '?';
    if (p === '{' || p === '(' || p === '[') depth++;
    if (p === '}' || p === ')' || p === ']') depth--;
    push('punct', i, i + p.length);
    i += p.length;
  }
  return tokens;
}

function regexAllowed(prev: Token | undefined): boolean {
  if (!prev) return true;
  switch (prev.kind) {
    case 'ident':
      return EXPRESSION_KEYWORDS.has(prev.text);
    case 'punct':
      return !(prev.text === ')' || prev.text === ']' || prev.text === '}');
    case 'template':
      // After `${` code starts; after a closing backtick a value ends.
      return prev.text.endsWith('${');
    default:
      return false;
  }
}

/** How an identifier token is used. */
export type IdentRole =
  /** A name the code reads or writes: what a rename rewrites. */
  | 'reference'
  /** `{ name }` or `{ name = 1 }` in an object literal or pattern: a key and a reference at once. */
  | 'shorthand'
  /** A property after `.` or `?.`, an object key (`name:`, `name() {}`), or a keyword. */
  | 'other';

/** Keywords and literals never name an app entity (the app format refuses them as names). */
const KEYWORDS: ReadonlySet<string> = new Set([
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default',
  'delete', 'do', 'else', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if',
  'import', 'in', 'instanceof', 'let', 'new', 'null', 'return', 'super', 'switch', 'this',
  'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
]);

/**
 * The role of every identifier token of `tokens` (same indices; non-identifiers get 'other').
 * `startsAsExpression`: whether a `{` at the very start opens an object literal (a binding is
 * an expression) rather than a block.
 */
export function identRoles(tokens: readonly Token[], startsAsExpression = true): IdentRole[] {
  const roles: IdentRole[] = [];
  // For each open bracket: whether it is an object literal's brace.
  const open: boolean[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (!t) break;
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (t.kind === 'punct') {
      if (t.text === '{') open.push(opensObject(prev, startsAsExpression));
      else if (t.text === '(' || t.text === '[') open.push(false);
      else if (t.text === '}' || t.text === ')' || t.text === ']') open.pop();
      roles.push('other');
      continue;
    }
    if (t.kind === 'template') {
      // `${` opens a code context like a bracket; the text that closes it pops it.
      if (t.text.startsWith('}')) open.pop();
      if (t.text.endsWith('${')) open.push(false);
      roles.push('other');
      continue;
    }
    if (t.kind !== 'ident' || KEYWORDS.has(t.text)) {
      roles.push('other');
      continue;
    }
    if (prev?.kind === 'punct' && (prev.text === '.' || prev.text === '?.')) {
      roles.push('other');
      continue;
    }
    const inObject = open[open.length - 1] === true;
    if (inObject && isKeyPosition(tokens, k)) {
      if (next?.kind === 'punct' && (next.text === ':' || next.text === '(')) {
        roles.push('other');
        continue;
      }
      if (next?.kind === 'punct' && (next.text === ',' || next.text === '}' || next.text === '=')) {
        roles.push('shorthand');
        continue;
      }
      // `get name() {}`, `async name() {}`: the modifier is not a key, the name after it is.
      if (next?.kind === 'ident') {
        roles.push('other');
        continue;
      }
    }
    if (inObject && prev?.kind === 'ident' && /^(get|set|async)$/.test(prev.text) && isKeyPosition(tokens, k - 1) && next?.text === '(') {
      roles.push('other');
      continue;
    }
    if (inObject && prev?.text === '*' && next?.text === '(' && isKeyPosition(tokens, k - 1)) {
      roles.push('other');
      continue;
    }
    roles.push('reference');
  }
  return roles;
}

/** Whether the token at `k` starts an entry of an object literal (after `{` or `,`). */
function isKeyPosition(tokens: readonly Token[], k: number): boolean {
  const prev = tokens[k - 1];
  return prev?.kind === 'punct' && (prev.text === '{' || prev.text === ',');
}

function opensObject(prev: Token | undefined, startsAsExpression: boolean): boolean {
  if (!prev) return startsAsExpression;
  switch (prev.kind) {
    case 'ident':
      // `const { a } = x` is a pattern, which has keys and shorthands like an object literal.
      if (prev.text === 'const' || prev.text === 'let' || prev.text === 'var') return true;
      return EXPRESSION_KEYWORDS.has(prev.text) && prev.text !== 'else' && prev.text !== 'do';
    case 'punct':
      return !(prev.text === ')' || prev.text === ']' || prev.text === '}' || prev.text === '=>' || prev.text === ';' || prev.text === '{');
    case 'template':
      return prev.text.endsWith('${');
    default:
      return false;
  }
}
