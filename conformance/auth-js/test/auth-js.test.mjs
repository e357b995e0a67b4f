// The official Supabase Auth client, unmodified, against lowkey's provider.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GoTrueClient } from '@supabase/auth-js';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startLowkey } from './server.mjs';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery';
let server;

before(async () => {
  server = await startLowkey({ users: [{ email: EMAIL, password: PASSWORD }] });
});
after(async () => server?.stop());

function client() {
  return new GoTrueClient({ url: server.authUrl, autoRefreshToken: false, persistSession: false });
}

test('a wrong password surfaces invalid_credentials with the provider message', async () => {
  const { data, error } = await client().signInWithPassword({ email: EMAIL, password: 'not the password' });
  assert.equal(data.session, null);
  assert.equal(error.code, 'invalid_credentials');
  assert.equal(error.status, 400);
  assert.equal(error.message, 'Invalid login credentials');
});

test('sign in, get the user, refresh, and sign out', async () => {
  const auth = client();
  const { data, error } = await auth.signInWithPassword({ email: EMAIL, password: PASSWORD });
  assert.equal(error, null);
  const first = data.session;
  assert.equal(data.user.email, EMAIL);
  assert.equal(first.token_type, 'bearer');
  assert.ok(first.expires_at > Date.now() / 1000);

  const got = await auth.getUser();
  assert.equal(got.error, null);
  assert.equal(got.data.user.id, data.user.id);
  assert.equal(got.data.user.aud, 'authenticated');

  const refreshed = await auth.refreshSession();
  assert.equal(refreshed.error, null);
  assert.notEqual(refreshed.data.session.refresh_token, first.refresh_token);
  assert.notEqual(refreshed.data.session.access_token, first.access_token);
  assert.equal(refreshed.data.user.id, data.user.id);

  const out = await auth.signOut();
  assert.equal(out.error, null);
  // The client dropped its session…
  const { data: after } = await auth.getSession();
  assert.equal(after.session, null);
  // …and the provider refuses the old tokens at once.
  const r = await fetch(`${server.authUrl}/user`, { headers: { Authorization: `Bearer ${refreshed.data.session.access_token}` } });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error_code, 'session_not_found');
  const again = await client().refreshSession({ refresh_token: refreshed.data.session.refresh_token });
  assert.equal(again.error.code, 'refresh_token_not_found');
});

test('getClaims verifies the ES256 access token against the JWKS', async () => {
  const auth = client();
  const { data } = await auth.signInWithPassword({ email: EMAIL, password: PASSWORD });
  const { data: claims, error } = await auth.getClaims();
  assert.equal(error, null);
  assert.equal(claims.header.alg, 'ES256');
  assert.equal(claims.claims.sub, data.user.id);
  assert.equal(claims.claims.session_id.length, 36);
  await auth.signOut();
});

test('jose verifies the access token with the published JWKS', async () => {
  const { data } = await client().signInWithPassword({ email: EMAIL, password: PASSWORD });
  const token = data.session.access_token;
  const header = decodeProtectedHeader(token);
  assert.equal(header.alg, 'ES256');
  assert.ok(header.kid);
  const jwks = createRemoteJWKSet(new URL(`${server.authUrl}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(token, jwks, { issuer: server.authUrl, audience: 'authenticated', algorithms: ['ES256'] });
  assert.equal(payload.email, EMAIL);
  assert.equal(payload.role, 'authenticated');
  assert.equal(payload.aal, 'aal1');
  assert.equal(payload.exp - payload.iat, 3600);
  // A token with one byte of its signature changed does not verify.
  const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await assert.rejects(jwtVerify(tampered, jwks, { issuer: server.authUrl, audience: 'authenticated' }));
});

test('error codes surface through the client: signup disabled, weak and same passwords', async () => {
  const signup = await client().signUp({ email: 'new@example.com', password: PASSWORD });
  assert.equal(signup.error.code, 'signup_disabled');
  assert.equal(signup.error.status, 422);

  const auth = client();
  await auth.signInWithPassword({ email: EMAIL, password: PASSWORD });
  const weak = await auth.updateUser({ password: 'short' });
  assert.equal(weak.error.code, 'weak_password');
  assert.deepEqual(weak.error.reasons, ['length']);
  const same = await auth.updateUser({ password: PASSWORD });
  assert.equal(same.error.code, 'same_password');
  const meta = await auth.updateUser({ data: { team: 'ops' } });
  assert.equal(meta.error, null);
  assert.equal(meta.data.user.user_metadata.team, 'ops');
  await auth.signOut({ scope: 'local' });
});
