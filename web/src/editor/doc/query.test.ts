import { describe, expect, it } from 'vitest';
import vectors from '../../../../schema/name-vectors.json';
import { loginApp, page } from './fixture.ts';
import { codeNameProblem, pageNameProblem } from './query.ts';
import type { AppDoc } from './types.ts';

/** The login app with these pages instead of its own. */
function withPages(...pages: AppDoc['pages']): AppDoc {
  return { ...loginApp(), homePage: pages[0]?.name ?? 'Home', pages };
}

describe('pageNameProblem: the server rule for page names', () => {
  it('refuses a name of which no URL slug can be made, unless the page has its own', () => {
    const doc = withPages(page('Home', []));
    expect(pageNameProblem(doc, '_')).toBe('No page URL can be made from "_": use letters or digits besides _.');
    expect(pageNameProblem(doc, '__')).not.toBeNull();
    expect(pageNameProblem(doc, '_', undefined, 'underscore')).toBeNull();
    expect(pageNameProblem(doc, '_private')).toBeNull();
  });

  it('refuses a name whose kebab case is longer than a slug may be', () => {
    const doc = withPages(page('Home', []));
    const name = 'aA'.repeat(32);
    expect(name).toHaveLength(64);
    expect(pageNameProblem(doc, name)).toBe(`The URL of the page "${name}" would be /${'a-a'.repeat(32)}, longer than 64 characters.`);
    expect(pageNameProblem(doc, 'a'.repeat(64))).toBeNull();
  });

  it('lets a page with its own slug be renamed to any identifier, and judges the derived slug of one without', () => {
    const doc = withPages(page('Home', []), page('Report', [], { slug: 'report' }));
    expect(pageNameProblem(doc, '_', 'Report')).toBeNull();
    expect(pageNameProblem(doc, '_', 'Home')).not.toBeNull();
    expect(pageNameProblem(doc, '1st', 'Report')).not.toBeNull();
  });

  it('refuses the URL of another page, for a new page with its own slug too', () => {
    const doc = withPages(page('Home', []), page('Report', [], { slug: 'start' }));
    expect(pageNameProblem(doc, 'Start')).toBe('The page Report already has the URL /start.');
    expect(pageNameProblem(doc, 'Other', undefined, 'home')).toBe('The page Home already has the URL /home.');
    expect(pageNameProblem(doc, 'Other', undefined, 'other')).toBeNull();
  });

  it('refuses a name that differs from another page only in letter case, whatever its URL', () => {
    const doc = withPages(page('Home', []));
    expect(pageNameProblem(doc, 'home', undefined, 'start')).toBe('The page Home differs from "home" only in letter case.');
    expect(pageNameProblem(doc, 'HOME', 'Home')).toBeNull();
  });
});

describe('codeNameProblem: names of queries and JS objects', () => {
  it('refuses a name taken in the shared namespace, and a reserved one', () => {
    const doc = loginApp();
    expect(codeNameProblem(doc, 'query', 'inp_username')).toBe('"inp_username" is already the name of the widget inp_username on page LoginPage.');
    expect(codeNameProblem(doc, 'jsObject', 'login')).toBe('"login" is already the name of the query login.');
    expect(codeNameProblem(doc, 'query', 'class')).not.toBeNull();
    expect(codeNameProblem(doc, 'query', 'login', 'login')).toBeNull();
  });

  it('refuses a name that differs from another of its kind only in letter case', () => {
    const doc = loginApp();
    expect(codeNameProblem(doc, 'query', 'LOGIN')).toBe('The query login differs from "LOGIN" only in letter case.');
    expect(codeNameProblem(doc, 'jsObject', 'auth')).toBe('The JS object Auth differs from "auth" only in letter case.');
    expect(codeNameProblem(doc, 'query', 'Login', 'login')).toBeNull();
    expect(codeNameProblem(doc, 'query', 'auth')).toBeNull();
  });
});

describe('the case clashes of schema/name-vectors.json', () => {
  it('are refused exactly as the server refuses them', () => {
    const base = loginApp();
    const query = (name: string): AppDoc['queries'][number] => ({ name, url: 'https://api.example.com/x', method: 'GET' });
    const jsObject = (name: string): AppDoc['jsObjects'][number] => ({ name, source: 'export default {}\n' });
    for (const c of vectors.caseClashes) {
      const [first = '', second = ''] = c.names;
      const without = { ...base, queries: [], jsObjects: [] };
      let problem: string | null;
      switch (c.kind) {
        case 'page':
          problem = pageNameProblem(withPages(page(first, [])), second, undefined, 'slug' in c ? c.slug : undefined);
          break;
        case 'query':
          problem = codeNameProblem({ ...without, queries: [query(first)] }, 'query', second);
          break;
        case 'jsObject':
          problem = codeNameProblem({ ...without, jsObjects: [jsObject(first)] }, 'jsObject', second);
          break;
        default:
          problem = codeNameProblem({ ...without, queries: [query(first)] }, 'jsObject', second);
      }
      expect(problem !== null, JSON.stringify(c)).toBe(c.clash);
      if (c.clash) expect(problem, JSON.stringify(c)).toMatch(/only in letter case/);
    }
  });
});
