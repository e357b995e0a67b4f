/**
 * The naming rules of the app format, as the server's validator applies them
 * (crates/app/src/names.rs): an identifier of ASCII letters, digits and `_`, at most 64 long,
 * not a JavaScript reserved word and not a global of the runtime; a page's URL slug is its name
 * in kebab case unless it sets one. The editor checks them before a change is made so that a
 * refused name is a sentence next to the field instead of a problem after the save.
 * schema/name-vectors.json pins both copies: names.test.ts and names.rs run every vector.
 */

/** JavaScript's reserved words and literals, and globals whose shadowing would break every
 * expression (names.rs's `JS_RESERVED`). */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger',
  'default', 'delete', 'do', 'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally',
  'for', 'function', 'if', 'implements', 'import', 'in', 'Infinity', 'instanceof', 'interface',
  'let', 'NaN', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'undefined', 'var', 'void',
  'while', 'with', 'yield',
]);

/** The runtime's globals, and `app` and `session`, reserved ahead of their use. */
export const RUNTIME_GLOBALS: ReadonlySet<string> = new Set([
  'app', 'appsmith', 'clearStore', 'navigateTo', 'removeValue', 'resetWidget', 'secrets',
  'session', 'showAlert', 'storeValue',
]);

export const MAX_NAME_LENGTH = 64;
export const MAX_SLUG_LENGTH = 64;

/**
 * What is wrong with a name, by kind (the kinds of schema/name-vectors.json). `no_slug` is only
 * for a page without a slug of its own: its name's kebab case is not a valid slug.
 */
export type NameIssue = 'empty' | 'not_identifier' | 'too_long' | 'reserved_word' | 'runtime_global' | 'no_slug';

/**
 * What is wrong with `name` as an identifier; null when it is one. The characters are checked
 * before the length, so a name of other characters gets the same answer here (length in UTF-16
 * units) as on the server (length in bytes).
 */
export function identifierIssue(name: string): NameIssue | null {
  if (name === '') return 'empty';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return 'not_identifier';
  if (name.length > MAX_NAME_LENGTH) return 'too_long';
  if (RESERVED_WORDS.has(name)) return 'reserved_word';
  if (RUNTIME_GLOBALS.has(name)) return 'runtime_global';
  return null;
}

/**
 * What is wrong with the name of a page that has no slug of its own: the server also needs a
 * valid URL slug made from it (`_` is an identifier, but no URL can be made of it).
 */
export function pageNameIssue(name: string): NameIssue | null {
  return identifierIssue(name) ?? (slugProblem(kebabCase(name)) === null ? null : 'no_slug');
}

/** Why `name` cannot name a widget, page, query or JS object; null when it can. */
export function identifierProblem(name: string): string | null {
  return sentence(name, identifierIssue(name));
}

/** Why `name` cannot name a page that has no slug of its own; null when it can. */
export function pageIdentifierProblem(name: string): string | null {
  return sentence(name, pageNameIssue(name));
}

function sentence(name: string, issue: NameIssue | null): string | null {
  switch (issue) {
    case null:
      return null;
    case 'empty':
      return 'A name must not be empty.';
    case 'not_identifier':
      return `"${name}" is not a valid name: use letters, digits and _, not starting with a digit.`;
    case 'too_long':
      return `"${name}" is longer than ${MAX_NAME_LENGTH} characters.`;
    case 'reserved_word':
      return `"${name}" is a reserved word of JavaScript.`;
    case 'runtime_global':
      return `"${name}" is a global of the runtime.`;
    case 'no_slug':
      return `No page URL can be made from "${name}": use letters or digits besides _.`;
  }
}

/** Why `slug` is not a URL slug (`[a-z0-9]+(-[a-z0-9]+)*`, at most 64); null when it is one. */
export function slugProblem(slug: string): string | null {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) {
    return `"${slug}" is not a valid slug: use lowercase letters and digits in words joined by single -.`;
  }
  if (slug.length > MAX_SLUG_LENGTH) return `"${slug}" is longer than ${MAX_SLUG_LENGTH} characters.`;
  return null;
}

/**
 * The default page slug: the name in kebab case (`LoginPage` → `login-page`, `HTMLReport` →
 * `html-report`, `page_2` → `page-2`), as the server derives it.
 */
export function kebabCase(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charAt(i);
    if (c === '_' || c === '-') {
      if (out !== '' && !out.endsWith('-')) out += '-';
      continue;
    }
    if (isUpper(c) && i > 0) {
      const prev = name.charAt(i - 1);
      const next = name.charAt(i + 1);
      const boundary = isLower(prev) || isDigit(prev) || (isUpper(prev) && isLower(next));
      if (boundary && out !== '' && !out.endsWith('-')) out += '-';
    }
    out += c.toLowerCase();
  }
  return out.replace(/-+$/, '');
}

const isUpper = (c: string): boolean => c >= 'A' && c <= 'Z';
const isLower = (c: string): boolean => c >= 'a' && c <= 'z';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
