/**
 * The `{{ }}` binding parser.
 *
 * A property value such as `"Hello {{user.name}}!"` is split into text and binding segments.
 * The end of a binding is found with a small JavaScript-aware scanner, so `}}` inside a string,
 * a template literal, a comment or a nested object literal (`{{ {a: {b: 1}} }}`) does not end
 * it early. The rule is shared with the server's validator (crates/app/src/template.rs) and
 * pinned by schema/binding-vectors.json, which both sides run; docs/app-format.md ("Where a
 * binding ends") states it for builders.
 *
 * Like the rest of the runtime's parsers it never throws: it returns the template plus
 * diagnostics (an unclosed `{{` becomes text and a diagnostic), and the caller decides.
 */

export type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binding'; readonly code: string; readonly offset: number };

export interface Template {
  readonly source: string;
  readonly segments: readonly Segment[];
  /**
   * True when the value is exactly one binding (whitespace around it allowed): it then
   * evaluates to the expression's value of any type instead of a string.
   */
  readonly single: boolean;
}

export interface Diagnostic {
  readonly message: string;
  /** Offset in the source where the problem starts. */
  readonly offset: number;
}

export interface ParseResult {
  readonly template: Template;
  readonly diagnostics: readonly Diagnostic[];
}

/** Whether a string holds at least one `{{`, i.e. is a binding rather than a plain value. */
export function hasBinding(value: string): boolean {
  return value.includes('{{');
}

/** A piece of a template as scanned: a binding's code untrimmed, its offset that of its `{{`. */
export type RawSegment = Segment;

export interface SplitResult {
  /** The segments before the first unclosed `{{` (all of them when there is none). */
  readonly segments: readonly RawSegment[];
  /** Where the `{{` that no `}}` closes starts, if there is one. */
  readonly unclosedAt?: number;
}

/** Splits a template into text and bindings, as the server's `template::split` does. */
export function splitTemplate(source: string): SplitResult {
  const segments: RawSegment[] = [];
  let pos = 0;
  for (;;) {
    const open = source.indexOf('{{', pos);
    const textEnd = open < 0 ? source.length : open;
    if (textEnd > pos) segments.push({ kind: 'text', text: source.slice(pos, textEnd) });
    if (open < 0) return { segments };
    const end = findBindingEnd(source, open + 2);
    if (end < 0) return { segments, unclosedAt: open };
    segments.push({ kind: 'binding', code: source.slice(open + 2, end), offset: open });
    pos = end + 2;
  }
}

export function parseTemplate(source: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const split = splitTemplate(source);
  const segments: Segment[] = split.segments.map((s) => (s.kind === 'binding' ? { ...s, code: s.code.trim() } : s));
  if (split.unclosedAt !== undefined) {
    diagnostics.push({ message: 'Unclosed binding: "{{" has no matching "}}"', offset: split.unclosedAt });
    // The rest stays text, joined to the text before it.
    const rest = source.slice(split.unclosedAt);
    const last = segments[segments.length - 1];
    if (last?.kind === 'text') segments[segments.length - 1] = { kind: 'text', text: last.text + rest };
    else segments.push({ kind: 'text', text: rest });
  }

  const bindings = segments.filter((s) => s.kind === 'binding');
  const single =
    bindings.length === 1 &&
    segments.every((s) => s.kind === 'binding' || s.text.trim() === '');
  for (const b of bindings) {
    if (b.kind === 'binding' && b.code === '') {
      diagnostics.push({ message: 'Empty binding "{{ }}"', offset: b.offset });
    }
  }
  return { template: { source, segments, single }, diagnostics };
}

/** The trimmed code of every binding, in order (duplicates kept). */
export function bindingCodes(template: Template): string[] {
  const codes: string[] = [];
  for (const s of template.segments) if (s.kind === 'binding') codes.push(s.code);
  return codes;
}

type Mode = 'code' | 'template';

/**
 * Returns the index of the `}}` closing the binding whose code starts at `start`, or -1.
 *
 * Tracks strings (a quoted string ends at its closing quote or at the end of its line),
 * template literals (with `${ }` nesting), comments and brace depth. A `//` comment ends at
 * its line's end, except that when nothing is open a `}}` on that line closes the binding
 * (`{{ x // note }}`). Regular-expression literals are not recognised: a quote, a brace or
 * `}}` inside one is read as code (write `\x7d`, or build it with `new RegExp`).
 */
export function findBindingEnd(src: string, start: number): number {
  // Each entry is the brace depth at which a `${` of a template literal was opened.
  const stack: { mode: Mode; depth: number }[] = [];
  let depth = 0;
  // Scans template-literal text from `from`; on a `${`, remembers the current brace depth and
  // starts counting afresh inside the interpolation. Returns where scanning resumes, or -1.
  const enterTemplate = (from: number): number => {
    const r = skipTemplate(src, from);
    if (r.end < 0) return -1;
    if (r.interpolation) {
      stack.push({ mode: 'template', depth });
      depth = 0;
    }
    return r.end;
  };
  let i = start;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const nl = src.indexOf('\n', i);
      // A line comment running into "}}" on the same line would swallow the end: a binding
      // like `{{ x // note }}` ends at the first "}}" after the comment start instead.
      const close = src.indexOf('}}', i);
      if (depth === 0 && stack.length === 0 && close >= 0 && (nl < 0 || close < nl)) return close;
      i = nl < 0 ? src.length : nl + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const endComment = src.indexOf('*/', i + 2);
      if (endComment < 0) return -1;
      i = endComment + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      i = skipString(src, i, c);
      if (i < 0) return -1;
      continue;
    }
    if (c === '`') {
      i = enterTemplate(i + 1);
      if (i < 0) return -1;
      continue;
    }
    if (c === '{') {
      depth++;
      i++;
      continue;
    }
    if (c === '}') {
      if (depth === 0) {
        const top = stack[stack.length - 1];
        if (top && top.mode === 'template') {
          // End of a `${ … }`: continue inside the template literal.
          stack.pop();
          depth = top.depth;
          i = enterTemplate(i + 1);
          if (i < 0) return -1;
          continue;
        }
        if (next === '}') return i;
        // A stray "}" at depth 0 is a syntax error the evaluator will report; keep scanning.
        i++;
        continue;
      }
      depth--;
      i++;
      continue;
    }
    i++;
  }
  return -1;
}

function skipString(src: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) return i + 1;
    if (c === '\n') return i; // unterminated: let the evaluator report it
    i++;
  }
  return -1;
}

/**
 * Scans template-literal text from `start` (just after a backtick or a closing `}` of an
 * interpolation). Returns the index after the closing backtick, or after `${` when an
 * interpolation begins.
 */
function skipTemplate(src: string, start: number): { end: number; interpolation: boolean } {
  let i = start;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '`') return { end: i + 1, interpolation: false };
    if (c === '$' && src[i + 1] === '{') return { end: i + 2, interpolation: true };
    i++;
  }
  return { end: -1, interpolation: false };
}
