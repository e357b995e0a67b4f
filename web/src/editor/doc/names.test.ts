import { describe, expect, it } from 'vitest';
import vectors from '../../../../schema/name-vectors.json';
import { widgetNameProblem } from './commands.ts';
import { loginApp, page, pos, widget } from './fixture.ts';
import {
  identifierIssue,
  identifierProblem,
  kebabCase,
  MAX_NAME_LENGTH,
  MAX_SLUG_LENGTH,
  pageIdentifierProblem,
  pageNameIssue,
  RESERVED_WORDS,
  RUNTIME_GLOBALS,
  slugProblem,
} from './names.ts';
import { pageNameProblem } from './query.ts';
import type { AppDoc } from './types.ts';

/** An app of these pages; `widgets` (Texts) on the first one. */
function appOf(pages: readonly string[], widgets: readonly string[] = []): AppDoc {
  const texts = widgets.map((name, i) => widget(name, 'Text', pos(0, i * 2, 4, 2)));
  return { ...loginApp(), homePage: pages[0] ?? 'Home', pages: pages.map((p, i) => page(p, i === 0 ? texts : [])), queries: [], jsObjects: [] };
}

describe('the shared name vectors (schema/name-vectors.json)', () => {
  it('list the same reserved words, runtime globals and limits as the editor', () => {
    expect([...RESERVED_WORDS].sort()).toEqual([...vectors.reservedWords].sort());
    expect([...RUNTIME_GLOBALS].sort()).toEqual([...vectors.runtimeGlobals].sort());
    expect(MAX_NAME_LENGTH).toBe(vectors.maxNameLength);
    expect(MAX_SLUG_LENGTH).toBe(vectors.maxSlugLength);
  });

  it('give every identifier its problem, reserved words and globals included', () => {
    const cases: [string, string | null][] = [
      ...vectors.identifiers.map((c): [string, string | null] => [c.name, c.problem]),
      ...vectors.reservedWords.map((w): [string, string] => [w, 'reserved_word']),
      ...vectors.runtimeGlobals.map((w): [string, string] => [w, 'runtime_global']),
    ];
    for (const [name, problem] of cases) {
      expect(identifierIssue(name), JSON.stringify(name)).toBe(problem);
      expect(identifierProblem(name) === null, JSON.stringify(name)).toBe(problem === null);
    }
  });

  it('judge every slug alike, and derive every page slug alike', () => {
    for (const c of vectors.slugs) expect(slugProblem(c.slug) === null, JSON.stringify(c.slug)).toBe(c.valid);
    for (const c of vectors.pageSlugs) expect(kebabCase(c.name), c.name).toBe(c.slug);
  });

  it('give every page name its problem (a page without a slug of its own)', () => {
    for (const c of vectors.pageNames) {
      expect(pageNameIssue(c.name), c.name).toBe(c.problem);
      expect(pageIdentifierProblem(c.name) === null, c.name).toBe(c.problem === null);
    }
  });

  it('find exactly the clashes the server finds: a new page, or a widget renamed', () => {
    for (const c of vectors.clashes) {
      const [first = '', second = ''] = c.names;
      const problem =
        c.kind === 'page'
          ? pageNameProblem(appOf([first]), second)
          : widgetNameProblem(appOf(['Home'], [first, 'other']), 'other', second);
      expect(problem !== null, JSON.stringify(c)).toBe(c.clash);
    }
  });
});
