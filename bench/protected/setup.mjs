/**
 * The set-up of bench/protected.sh, once `lowkey demo` runs: signs in to both demo apps through
 * their `sign_in` query runs (store mode: the access token comes back in the answer's body;
 * session mode: the session cookie comes back in Set-Cookie and the body holds no token), checks
 * every target once, and writes the targets file of load.mjs.
 *
 * Usage: node bench/protected/setup.mjs --origin http://127.0.0.1:PORT --email E --password P
 *   --bench-slug SLUG --out FILE
 * Nothing secret is printed: the tokens and the cookie go to FILE only (in the work folder).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    origin: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    'bench-slug': { type: 'string' },
    out: { type: 'string' },
  },
});
for (const k of ['origin', 'email', 'password', 'bench-slug', 'out']) if (!opts[k]) throw new Error(`--${k} is required`);
const origin = new URL(opts.origin);
const STORE = 'custom-auth';
const SESSION = 'secure-session';
const COOKIE = 'lowkey_app_session';

async function signIn(slug) {
  const res = await fetch(`${origin.origin}/api/v1/apps/${slug}/queries/sign_in/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params: { 'inp_username.text': opts.email, 'inp_password.text': opts.password } }),
  });
  const answer = await res.json();
  if (res.status !== 200 || answer.status !== 200) throw new Error(`${slug}: sign_in answered ${res.status} / upstream ${answer.status}`);
  return { res, answer };
}

const store = await signIn(STORE);
const token = store.answer.body?.access_token;
if (typeof token !== 'string') throw new Error(`${STORE}: sign_in answered no access_token`);

const session = await signIn(SESSION);
if (session.res.headers.get('x-lowkey-session') !== 'started') throw new Error(`${SESSION}: sign_in started no session`);
if (JSON.stringify(session.answer.body).includes('access_token')) throw new Error(`${SESSION}: a token reached the answer`);
const cookie = session.res.headers
  .getSetCookie()
  .map((c) => c.split(';')[0])
  .find((c) => c.startsWith(`${COOKIE}=`));
if (!cookie) throw new Error(`${SESSION}: sign_in set no ${COOKIE} cookie`);

const json = { 'content-type': 'application/json' };
const run = (slug, query, headers, params, lacks) => ({
  method: 'POST',
  path: `/api/v1/apps/${slug}/queries/${query}/run`,
  headers: { ...json, ...headers },
  body: JSON.stringify({ params }),
  // The run's own answer and the upstream's (GET /auth/v1/user) both 200.
  expect: { status: 200, contains: '"status":200', ...(lacks ? { lacks } : {}) },
});
const definition = (slug, headers, contains, lacks) => ({
  method: 'GET',
  path: `/api/v1/apps/${slug}`,
  headers,
  body: null,
  expect: { status: 200, contains, ...(lacks ? { lacks } : {}) },
});
const bearer = { authorization: `Bearer ${token}` };
const withCookie = { cookie };
// A session answer that says the session ended (or refreshed) is not the steady state measured.
const noSessionChange = 'x-lowkey-session';

const targets = {
  // (a) the baseline: an app without auth, a public query doing the same upstream request
  run_public: run(opts['bench-slug'], 'user_public', {}, { 'this.params.token': token }),
  // (b) store mode: get_user is `access: signedIn`, the Bearer token verified first
  run_store: run(STORE, 'get_user', bearer, { 'appsmith.store.accesstoken': token }),
  // (c) session mode: the cookie's session read, opened and its access token verified
  run_session: run(SESSION, 'get_user', withCookie, {}, noSessionChange),
  // (d) the definitions
  def_public: definition(opts['bench-slug'], {}, '"user":null'),
  def_store_anon: definition(STORE, {}, '"user":null'),
  def_store_user: definition(STORE, bearer, '"isAnonymous":false'),
  def_session_anon: definition(SESSION, {}, '"user":null'),
  def_session_user: definition(SESSION, withCookie, '"isAnonymous":false', noSessionChange),
};

// Each target once, as the load generator will send it (fetch adds its own Host).
for (const [name, t] of Object.entries(targets)) {
  const res = await fetch(`${origin.origin}${t.path}`, { method: t.method, headers: t.headers, body: t.body ?? undefined });
  const text = await res.text();
  const head = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  if (res.status !== t.expect.status || !text.includes(t.expect.contains) || (t.expect.lacks && (head.includes(t.expect.lacks) || text.includes(t.expect.lacks)))) {
    throw new Error(`${name}: unexpected answer ${res.status}: ${text.slice(0, 300)}`);
  }
}

const pairs = [
  ['run_store', 'run_public'],
  ['run_session', 'run_public'],
  ['run_session', 'run_store'],
  ['def_store_user', 'def_store_anon'],
  ['def_session_user', 'def_session_anon'],
  ['def_session_user', 'def_store_user'],
];
writeFileSync(
  opts.out,
  JSON.stringify({
    host: origin.hostname,
    port: Number(origin.port),
    targets: Object.entries(targets).map(([name, t]) => ({ name, ...t })),
    pairs,
  }),
);
console.error(`[bench:protected] signed in to ${STORE} and ${SESSION}; ${Object.keys(targets).length} targets checked`);
