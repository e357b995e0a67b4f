/**
 * The naming rules of the app format, as the server's validator applies them
 * (crates/app/src/names.rs): an identifier of ASCII letters, digits and `_`, at most 64 long,
 * not a JavaScript reserved word and not a global of the runtime; a page's URL slug is its name
 * in kebab case unless it sets one. The editor checks them before a change is made so that a
 * refused name is a sentence next to the field instead of a problem after the save.
 */

const RESERVED: ReadonlySet<string> = new Set([
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger',
  'default', 'delete', 'do', 'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally',
  'for', 'function', 'if', 'implements', 'import', 'in', 'Infinity', 'instanceof', 'interface',
  'let', 'NaN', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'undefined', 'var', 'void',
  'while', 'with', 'yield',
]);

const RUNTIME_GLOBALS: ReadonlySet<string> = new Set([
  'app', 'appsmith', 'clearStore', 'navigateTo', 'removeValue', 'resetWidget', 'secrets',
  'session', 'showAlert', 'storeValue',
]);

export const MAX_NAME_LENGTH = 64;

/** Why `name` cannot name a widget, page, query or JS object; null when it can. */
export function identifierProblem(name: string): string | null {
  if (name === '') return 'A name must not be empty.';
  if (name.length > MAX_NAME_LENGTH) return `"${name}" is longer than ${MAX_NAME_LENGTH} characters.`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return `"${name}" is not a valid name: use letters, digits and _, not starting with a digit.`;
  }
  if (RESERVED.has(name)) return `"${name}" is a reserved word of JavaScript.`;
  if (RUNTIME_GLOBALS.has(name)) return `"${name}" is a global of the runtime.`;
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
