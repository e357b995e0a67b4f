/**
 * The Django OAuth Toolkit fixture itself, over plain HTTP: what the `oauth-password` template's
 * browser tests rely on (README of fixtures/dot). No browser: if these fail, the fault is in the
 * fixture, not in Lowkey.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOT_USER, startDot, type DotServer } from './fixtures/dot/start.ts';

let dot: DotServer;
let client: OAuthClient;

beforeAll(async () => {
  const started = Date.now();
  dot = await startDot();
  // Startup after the venv exists should stay well under 10 s (it runs in the project's tests).
  console.info(`DOT fixture started in ${Date.now() - started} ms at ${dot.origin}`);
  client = new OAuthClient(dot);
}, 600_000); // the first run builds the venv (pip install)

afterAll(async () => {
  await dot?.stop();
});

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ':' and base64-encoded. */
function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: Record<string, unknown> | undefined;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** The calls an app makes to the server, as a confidential client authenticating with Basic. */
class OAuthClient {
  constructor(private readonly server: DotServer, private readonly secret = server.clientSecret) {}

  withSecret(secret: string): OAuthClient {
    return new OAuthClient(this.server, secret);
  }

  private post(path: string, form: Record<string, string>): Promise<Answer> {
    return fetch(`${this.server.origin}${path}`, {
      method: 'POST',
      headers: { authorization: basicAuth(this.server.clientId, this.secret) },
      body: new URLSearchParams(form), // application/x-www-form-urlencoded
    }).then(answer);
  }

  token(form: Record<string, string>): Promise<Answer> {
    return this.post('/o/token/', form);
  }

  signIn(password: string = DOT_USER.password, scope?: string): Promise<Answer> {
    return this.token({ grant_type: 'password', username: DOT_USER.email, password, ...(scope ? { scope } : {}) });
  }

  async signedIn(scope?: string): Promise<Tokens> {
    const a = await this.signIn(DOT_USER.password, scope);
    expect(a.status, a.text).toBe(200);
    return a.json as unknown as Tokens;
  }

  refresh(refreshToken: string): Promise<Answer> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<Answer> {
    return this.post('/o/revoke_token/', { token, ...(hint ? { token_type_hint: hint } : {}) });
  }

  me(accessToken?: string): Promise<Answer> {
    const headers: Record<string, string> = accessToken ? { authorization: `Bearer ${accessToken}` } : {};
    return fetch(`${this.server.origin}/api/me`, { headers }).then(answer);
  }

  userinfo(accessToken: string): Promise<Answer> {
    return fetch(`${this.server.origin}/o/userinfo/`, { headers: { authorization: `Bearer ${accessToken}` } }).then(answer);
  }
}

const ADA = { email: DOT_USER.email, name: DOT_USER.name };

describe('Django OAuth Toolkit fixture', () => {
  it('signs in with the password grant, a form body and Basic client authentication', async () => {
    const a = await client.signIn();
    expect(a.status, a.text).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/json');
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect(a.json).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read' });
    expect(a.json?.access_token).toEqual(expect.stringMatching(/^\S{20,}$/));
    expect(a.json?.refresh_token).toEqual(expect.stringMatching(/^\S{20,}$/));
    expect(a.json?.refresh_token).not.toBe(a.json?.access_token);
  });

  it('answers /api/me with the user for a valid Bearer token, and 401 without one', async () => {
    const tokens = await client.signedIn();
    const me = await client.me(tokens.access_token);
    expect(me.status, me.text).toBe(200);
    expect(me.json).toEqual({ sub: expect.stringMatching(/^\d+$/), ...ADA });

    const none = await client.me();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    const bogus = await client.me('not-a-token');
    expect(bogus.status).toBe(401);
  });

  it('answers OpenID Connect userinfo for a token with scope openid', async () => {
    const tokens = await client.signedIn('read openid email profile');
    expect(tokens.scope).toBe('read openid email profile');
    const info = await client.userinfo(tokens.access_token);
    expect(info.status, info.text).toBe(200);
    expect(info.json).toMatchObject(ADA);
    expect(info.json?.sub).toBe((await client.me(tokens.access_token)).json?.sub);
  });

  it('refuses a JSON body at the token endpoint (it reads form bodies only): 400 unsupported_grant_type', async () => {
    const res = await fetch(`${dot.origin}/o/token/`, {
      method: 'POST',
      headers: { authorization: basicAuth(dot.clientId, dot.clientSecret), 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: DOT_USER.email, password: DOT_USER.password }),
    }).then(answer);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'unsupported_grant_type' });
  });

  it('refuses a wrong password with 400 invalid_grant and an error_description', async () => {
    const a = await client.signIn('wrong horse battery');
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid credentials given.' });
  });

  it('refuses a wrong client secret with 401 invalid_client', async () => {
    const a = await client.withSecret('not-the-secret').signIn();
    expect(a.status).toBe(401);
    expect(a.json).toEqual({ error: 'invalid_client' });
  });

  it('rotates refresh tokens; replaying an old one is refused and revokes the whole family', async () => {
    const first = await client.signedIn();

    const refreshed = await client.refresh(first.refresh_token);
    expect(refreshed.status, refreshed.text).toBe(200);
    const second = refreshed.json as unknown as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await client.me(second.access_token)).json).toMatchObject(ADA);
    // Rotation revokes the old access token along with the old refresh token.
    expect((await client.me(first.access_token)).status).toBe(401);

    const replay = await client.refresh(first.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.json).toEqual({ error: 'invalid_grant' });

    // Reuse protection: the replay revoked the rotated refresh token and its access token too.
    const afterReplay = await client.refresh(second.refresh_token);
    expect(afterReplay.status).toBe(400);
    expect(afterReplay.json).toEqual({ error: 'invalid_grant' });
    expect((await client.me(second.access_token)).status).toBe(401);

    // Another sign-in's tokens are a different family and still work.
    const other = await client.signedIn();
    expect((await client.refresh(other.refresh_token)).status).toBe(200);
  });

  it('revokes a refresh token (RFC 7009): 200 with an empty body, then refresh and the access token are refused', async () => {
    const tokens = await client.signedIn();
    const revoked = await client.revoke(tokens.refresh_token, 'refresh_token');
    expect(revoked.status).toBe(200);
    expect(revoked.text).toBe('');

    const refresh = await client.refresh(tokens.refresh_token);
    expect(refresh.status).toBe(400);
    expect(refresh.json).toEqual({ error: 'invalid_grant' });
    expect((await client.me(tokens.access_token)).status).toBe(401);
  });

  it('revokes an access token: 200 with an empty body, then /api/me refuses it', async () => {
    const tokens = await client.signedIn();
    expect((await client.me(tokens.access_token)).status).toBe(200);
    const revoked = await client.revoke(tokens.access_token, 'access_token');
    expect(revoked.status).toBe(200);
    expect(revoked.text).toBe('');
    expect((await client.me(tokens.access_token)).status).toBe(401);
  });

  it('answers 200 to revoking an unknown token (RFC 7009 §2.2) but 401 to a client with a wrong secret', async () => {
    const unknown = await client.revoke('no-such-token');
    expect(unknown.status).toBe(200);
    expect(unknown.text).toBe('');

    const tokens = await client.signedIn();
    const wrongClient = await client.withSecret('not-the-secret').revoke(tokens.refresh_token, 'refresh_token');
    expect(wrongClient.status).toBe(401);
    expect(wrongClient.json).toEqual({ error: 'invalid_client' });
    expect((await client.refresh(tokens.refresh_token)).status).toBe(200);
  });
});
