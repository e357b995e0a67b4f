import { describe, expect, it } from 'vitest';
import * as code from './codeCommands.ts';
import { History } from './history.ts';
import { applyChange, applyWithInverse, OpError } from './ops.ts';
import { loginApp } from './fixture.ts';
import type { AppDoc, Change } from './types.ts';

/** Applies a change and checks that its inverse brings the document back exactly. */
function roundTrip(doc: AppDoc, change: Change): AppDoc {
  const { doc: next, inverse } = applyWithInverse(doc, change);
  expect(applyChange(next, inverse)).toEqual(doc);
  return next;
}

const withOnLoad = (): AppDoc => {
  const doc = loginApp();
  return { ...doc, pages: doc.pages.map((p) => (p.name === 'Dashboard' ? { ...p, onLoad: ['Auth.signin', 'login'] } : p)) };
};

describe('queries', () => {
  it('adds a query on the first datasource, or with an absolute URL when there is none', () => {
    const none = code.addQuery(loginApp());
    expect(roundTrip(loginApp(), none).queries.at(-1)).toEqual({ name: 'Query1', url: 'https://', method: 'GET' });
    const doc = { ...loginApp(), datasources: [{ name: 'provider', url: '/auth/v1' }] };
    const on = code.addQuery(doc);
    expect(applyChange(doc, on).queries.at(-1)).toEqual({ name: 'Query1', datasource: 'provider', path: '/', method: 'GET' });
  });

  it('edits a field; choosing a datasource drops the URL; undefined removes a field', () => {
    let doc: AppDoc = { ...loginApp(), datasources: [{ name: 'provider', url: '/auth/v1' }] };
    doc = roundTrip(doc, code.updateQuery(doc, 'login', { datasource: 'provider', path: '/token' }, 'datasource'));
    expect(doc.queries[0]).toMatchObject({ datasource: 'provider', path: '/token' });
    expect(doc.queries[0]?.url).toBeUndefined();
    doc = roundTrip(doc, code.updateQuery(doc, 'login', { body: undefined }, 'body'));
    expect(doc.queries[0]?.body).toBeUndefined();
    doc = roundTrip(doc, code.updateQuery(doc, 'login', { url: 'https://api.example.com/x' }, 'URL'));
    expect(doc.queries[0]?.datasource).toBeUndefined();
    expect(doc.queries[0]?.path).toBeUndefined();
  });

  it('renames a query with its references and on-load steps, and undo puts everything back', () => {
    const doc = withOnLoad();
    const next = roundTrip(doc, code.renameCode(doc, 'login', 'sign_in'));
    expect(next.queries[0]?.name).toBe('sign_in');
    expect(next.jsObjects[0]?.source).toContain('await sign_in.run(');
    expect(next.pages[1]?.onLoad).toEqual(['Auth.signin', 'sign_in']);
  });

  it('renames a JS object, its on-load steps and the calls to it', () => {
    const doc = withOnLoad();
    const next = roundTrip(doc, code.renameCode(doc, 'Auth', 'Session'));
    expect(next.pages[1]?.onLoad).toEqual(['Session.signin', 'login']);
    expect(next.pages[0]?.widgets[0]?.children[2]?.props.onClick).toBe('{{ Session.signin() }}');
  });

  it('refuses a taken or invalid name, in words', () => {
    const doc = loginApp();
    expect(() => code.renameCode(doc, 'login', 'inp_username')).toThrow(/already the name of the widget inp_username/);
    expect(() => code.renameCode(doc, 'login', '1abc')).toThrow(OpError);
  });

  it('deletes a query with its on-load steps; undo restores both', () => {
    const doc = withOnLoad();
    const next = roundTrip(doc, code.removeQuery(doc, 'login'));
    expect(next.queries).toEqual([]);
    expect(next.pages[1]?.onLoad).toEqual(['Auth.signin']);
  });

  it('duplicates a query next to the original under a fresh name', () => {
    const doc = loginApp();
    const dup = code.duplicateQuery(doc, 'login');
    const next = roundTrip(doc, dup);
    expect(dup.name).toBe('login2');
    expect(next.queries.map((q) => q.name)).toEqual(['login', 'login2']);
    expect(next.queries[1]).toEqual({ ...doc.queries[0], name: 'login2' });
  });
});

describe('JS objects', () => {
  it('adds one with a function to write in, edits and deletes it', () => {
    let doc = loginApp();
    const add = code.addJsObject(doc);
    doc = roundTrip(doc, add);
    expect(code.functionsOf(doc, add.name)).toEqual(['myFun1']);
    doc = roundTrip(doc, code.setJsSource(doc, add.name, 'export default { a() {}, b: () => 1 }'));
    expect(code.functionsOf(doc, add.name)).toEqual(['a', 'b']);
    doc = roundTrip(doc, code.removeJsObject(withOnLoad(), 'Auth'));
    expect(doc.pages[1]?.onLoad).toEqual(['login']);
  });
});

describe('datasources', () => {
  const doc = (): AppDoc => ({
    ...loginApp(),
    datasources: [{ name: 'provider', url: '/auth/v1' }],
    queries: [{ name: 'login', datasource: 'provider', path: '/token', method: 'POST' }],
  });

  it('adds, edits headers, renames (queries follow) and undoes each', () => {
    let d = doc();
    const add = code.addDatasource(d);
    d = roundTrip(d, add);
    expect(d.datasources[1]).toEqual({ name: 'api', url: 'https://' });
    d = roundTrip(d, code.updateDatasource(d, 'provider', { headers: { apikey: '{{secrets.KEY}}' } }, 'headers'));
    expect(d.datasources[0]?.headers).toEqual({ apikey: '{{secrets.KEY}}' });
    d = roundTrip(d, code.updateDatasource(d, 'provider', { headers: {} }, 'headers'));
    expect(d.datasources[0]?.headers).toBeUndefined();
    d = roundTrip(d, code.renameDatasource(d, 'provider', 'gotrue'));
    expect(d.queries[0]?.datasource).toBe('gotrue');
  });

  it('refuses to delete a datasource a query uses, naming it', () => {
    expect(() => code.removeDatasource(doc(), 'provider')).toThrow('login uses provider: point it elsewhere first.');
    const free = { ...doc(), queries: [] };
    expect(applyChange(free, code.removeDatasource(free, 'provider')).datasources).toEqual([]);
  });
});

describe('history', () => {
  it('merges keystrokes in one field of one query, not across fields', () => {
    const h = new History({ mergeWindowMs: 10_000 });
    let doc = loginApp();
    let now = 0;
    const step = (c: Change): void => {
      const r = applyWithInverse(doc, c);
      h.record(c, r.inverse, (now += 100));
      doc = r.doc;
    };
    const undo = (): void => {
      const s = h.peekUndo();
      if (!s) throw new Error('nothing to undo');
      doc = applyChange(doc, s.inverse);
      h.undone();
    };
    step(code.updateQuery(doc, 'login', { url: '/a' }, 'URL'));
    step(code.updateQuery(doc, 'login', { url: '/ab' }, 'URL'));
    step(code.updateQuery(doc, 'login', { timeoutMs: 5000 }, 'timeout'));
    expect(h.undoLabel).toBe('Edit login timeout');
    undo();
    expect(h.undoLabel).toBe('Edit login URL');
    undo();
    expect(h.canUndo).toBe(false);
    expect(doc).toEqual(loginApp());
  });
});
