import { describe, expect, it } from 'vitest';
import * as access from './access.ts';
import * as code from './codeCommands.ts';
import { loginApp } from './fixture.ts';
import { applyChange, applyWithInverse, OpError } from './ops.ts';
import type { AppDoc, Change } from './types.ts';

function roundTrip(doc: AppDoc, change: Change): AppDoc {
  const { doc: next, inverse } = applyWithInverse(doc, change);
  expect(applyChange(next, inverse)).toEqual(doc);
  return next;
}

const form = (doc: AppDoc, over: Partial<access.AuthForm> = {}): access.AuthForm => ({ ...access.authForm(doc), loginPage: 'LoginPage', ...over });

describe('protection in the editor', () => {
  it('refuses a protected page or query until the app has sign-in', () => {
    const doc = loginApp();
    expect(() => access.setPageAccess(doc, 'Dashboard', 'signedIn')).toThrow(/Set up the app's sign-in first/);
    expect(() => access.queryAccessPatch(doc, 'login', 'signedIn')).toThrow(OpError);
  });

  it('sets up sign-in, protects a page and a query, and undo takes each back', () => {
    let doc = roundTrip(loginApp(), access.setAppAuth(loginApp(), form(loginApp())));
    expect(doc.auth).toEqual({ loginPage: 'LoginPage', verify: 'builtin', token: { store: 'accesstoken' } });
    doc = roundTrip(doc, access.setPageAccess(doc, 'Dashboard', 'signedIn'));
    expect(doc.pages[1]?.access).toBe('signedIn');
    doc = roundTrip(doc, access.setPageAccess(doc, 'Dashboard', { roles: ['admin', 'ops'] }));
    expect(access.describeAccess(access.accessOf(doc.pages[1]?.access))).toBe('Users with the role admin or ops');
    doc = roundTrip(doc, code.updateQuery(doc, 'login', access.queryAccessPatch(doc, 'login', 'signedIn'), 'access'));
    expect(doc.queries[0]?.access).toBe('signedIn');
    // Public again: the field is gone, as the server writes it.
    doc = roundTrip(doc, access.setPageAccess(doc, 'Dashboard', 'public'));
    expect('access' in (doc.pages[1] ?? {})).toBe(false);
  });

  it('keeps the login page and the userinfo query open, and needs roles', () => {
    let doc = applyChange(loginApp(), access.setAppAuth(loginApp(), form(loginApp())));
    expect(() => access.setPageAccess(doc, 'LoginPage', 'signedIn')).toThrow('LoginPage is the login page: it must stay open to everyone.');
    expect(() => access.setPageAccess(doc, 'Dashboard', { roles: [] })).toThrow('Name at least one role.');
    doc = applyChange(doc, access.setAppAuth(doc, form(doc, { verify: 'userinfo', userinfo: 'login' })));
    expect(doc.auth?.verify).toEqual({ userinfo: 'login' });
    expect(() => access.queryAccessPatch(doc, 'login', 'signedIn')).toThrow(/verifies the app's tokens/);
  });

  it('checks a JWKS verifier and reads it back into the form', () => {
    const doc = loginApp();
    expect(() => access.setAppAuth(doc, form(doc, { verify: 'jwks', jwks: 'ftp://x', issuer: 'i' }))).toThrow(/https/);
    expect(() => access.setAppAuth(doc, form(doc, { verify: 'jwks', jwks: 'https://idp.example/jwks', issuer: ' ' }))).toThrow(/issuer/);
    const next = applyChange(doc, access.setAppAuth(doc, form(doc, { verify: 'jwks', jwks: 'https://idp.example/jwks', issuer: 'https://idp.example', rolesClaim: 'realm_access.roles' })));
    expect(access.authForm(next)).toMatchObject({ verify: 'jwks', jwks: 'https://idp.example/jwks', issuer: 'https://idp.example', audience: '', rolesClaim: 'realm_access.roles' });
  });

  it('removes sign-in only when nothing is protected', () => {
    let doc = applyChange(loginApp(), access.setAppAuth(loginApp(), form(loginApp())));
    doc = applyChange(doc, access.setPageAccess(doc, 'Dashboard', 'signedIn'));
    expect(() => access.removeAppAuth(doc)).toThrow('Open the page Dashboard to everyone first: without sign-in nobody could use them.');
    doc = applyChange(doc, access.setPageAccess(doc, 'Dashboard', 'public'));
    expect(roundTrip(doc, access.removeAppAuth(doc)).auth).toBeUndefined();
  });

  it('reads roles typed with commas or spaces', () => {
    expect(access.parseRoles(' admin, ops  support,,')).toEqual(['admin', 'ops', 'support']);
  });
});
