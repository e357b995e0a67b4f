import { describe, expect, it } from 'vitest';
import { queryBindings, resolvedOnServer } from './queryBindings.ts';
import { loginApp } from './fixture.ts';
import type { AppDoc, QueryDoc } from './types.ts';

describe('queryBindings (the server rule: substitute.rs query_bindings)', () => {
  it('lists bindings in order of first appearance, without duplicates or secrets', () => {
    const doc: AppDoc = { ...loginApp(), datasources: [{ name: 'p', url: '/auth/v1', headers: { apikey: '{{secrets.KEY}}', 'X-A': '{{ a }}' } }] };
    const q: QueryDoc = {
      name: 'q',
      datasource: 'p',
      path: '/x/{{ id }}',
      params: { k: '{{b}}' },
      headers: { Authorization: 'Bearer {{ appsmith.store.accesstoken }}' },
      body: { type: 'json', content: '{"a": {{a}}, "b": {{ b }}, "k": {{secrets.KEY}}, "c": {{ inp_username.text }}}' },
    };
    expect(queryBindings(doc, q)).toEqual(['id', 'b', 'a', 'appsmith.store.accesstoken', 'inp_username.text']);
  });

  it("reads basicAuth's user name and password after the headers and before the body, as the server does", () => {
    const doc: AppDoc = { ...loginApp(), datasources: [{ name: 'p', url: 'https://idp.example', headers: { 'X-D': '{{ d }}' } }] };
    const q: QueryDoc = {
      name: 'token',
      datasource: 'p',
      path: '/token',
      headers: { 'X-Q': '{{ h }}' },
      basicAuth: { username: '{{ secrets.CLIENT_ID }}:{{ inp_username.text }}', password: '{{ this.params.secret }}{{ d }}' },
      body: { type: 'form', content: { grant_type: 'password', password: '{{ inp_password.text }}', again: '{{ inp_username.text }}' } },
    };
    expect(queryBindings(doc, q)).toEqual(['d', 'h', 'inp_username.text', 'this.params.secret', 'inp_password.text']);
    // Without basicAuth, the same query has neither of its bindings.
    const { basicAuth: _basic, ...plain } = q;
    expect(queryBindings(doc, plain)).toEqual(['d', 'h', 'inp_password.text', 'inp_username.text']);
  });

  it('reads form bodies field by field and skips a template with an unclosed binding', () => {
    const q: QueryDoc = { name: 'q', url: 'https://x.example/{{ broken', body: { type: 'form', content: { u: '{{ user }}', p: 'x{{pw}}' } } };
    expect(queryBindings(loginApp(), q)).toEqual(['user', 'pw']);
  });

  it('ends a binding where the scanner does, not at the first "}}"', () => {
    const q: QueryDoc = { name: 'q', url: 'https://x.example/', body: { type: 'text', content: "{{ '}}' + a }}" } };
    expect(queryBindings(loginApp(), q)).toEqual(["'}}' + a"]);
  });

  it('leaves out the session bindings, which only the server resolves, as it does secrets', () => {
    const q: QueryDoc = {
      name: 'get_user',
      url: '/auth/v1/user',
      headers: { Authorization: 'Bearer {{ session.accessToken }}', 'X-K': "{{session['refreshToken']}}", 'X-S': '{{ session }}' },
      body: { type: 'json', content: '{"r": {{session.refreshToken}}, "o": {{session?.x}}, "n": {{ sessions.length }}, "s": {{ sessionId }}}' },
    };
    expect(queryBindings(loginApp(), q)).toEqual(['sessions.length', 'sessionId']);
  });

  it('knows which bindings only the server has', () => {
    expect(['secrets', 'secrets.KEY', 'secrets[k]', 'session', 'session.accessToken', 'session?.refreshToken'].every(resolvedOnServer)).toBe(true);
    expect(['secretsX', 'sessionId', 'sessions.length', 'appsmith.store.session'].some(resolvedOnServer)).toBe(false);
  });
});

