//! Session mode (docs/security.md, "Store mode and session mode"): the server keeps an app's
//! tokens so that the browser never holds one.
//!
//! A session starts when the app's `auth.session.signIn` query answers 2xx with an access
//! token: the tokens are taken out of the answer, sealed (AES-256-GCM with the data
//! directory's `session.key`, bound to the app and the session by the associated data) and
//! stored under the digest of a random cookie token. Queries read them as
//! `{{session.accessToken}}` and `{{session.refreshToken}}`, on the server only.
//!
//! Refresh is single-flight per session: however many requests find the access token about
//! to expire (or run the refresh query) at once, one upstream refresh runs; the others wait
//! for it and share its outcome. The store's generation check keeps two processes from
//! branching the token chain: only one replacement of a generation is written.
//!
//! **Invariant:** no token, sealed or not, reaches a log line, an error or an answer; the
//! cookie token itself is stored only as its digest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use lowkey_app::{value_at, App, SessionAuth, TokenPaths};
use lowkey_core::{now_millis, Millis, Secret};
use lowkey_store::{AppSession, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::query::{AnswerBody, QueryResult, RunError};
use crate::state::AppState;

/// How long a session lives at most, from its sign-in (the cookie's `Max-Age`).
pub const SESSION_LIFETIME_SECS: i64 = 30 * 24 * 3600;
/// The server refreshes a session whose access token expires within this many seconds.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// Token fields removed from every sign-in and refresh answer besides the configured paths.
const TOKEN_FIELDS: [&str; 5] = [
    "access_token",
    "refresh_token",
    "id_token",
    "provider_token",
    "provider_refresh_token",
];
/// The session key's file name in the data directory (the default `session_key_file`).
pub const KEY_FILE: &str = "session.key";
/// A refresh this recent serves every caller that asks for one (tabs loading at once).
const SHARED_REFRESH: Duration = Duration::from_secs(10);

/// The tokens of a session, in the clear (only ever in memory).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct SessionTokens {
    pub access: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// Sign-in by redirect: the ID token (the end-session hint) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// … and the verified user's claims (ID token and userinfo): the session's caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Value>,
}

impl std::fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTokens(***)")
    }
}

/// A live session as a request found it.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The digest of the cookie token: the session's key in the store.
    pub digest: String,
    pub tokens: SessionTokens,
    pub generation: i64,
    pub access_expires_at: Option<Millis>,
}

impl LiveSession {
    /// Whether the access token expires within [`REFRESH_MARGIN_SECS`] of `now`.
    pub fn due(&self, now: Millis) -> bool {
        self.access_expires_at
            .is_some_and(|at| at <= now + REFRESH_MARGIN_SECS * 1000)
    }
}

/// A sign-in or refresh answer with its tokens taken out.
pub struct Taken {
    pub tokens: SessionTokens,
    pub access_expires_at: Option<Millis>,
    /// The answer the browser gets: the same, without any token.
    pub answer: QueryResult,
}

/// What a refresh came to.
pub enum Refreshed {
    /// The session holds fresh tokens; the answer of the upstream refresh (stripped), shared by
    /// every caller that waited for it.
    Fresh(LiveSession, Arc<QueryResult>),
    /// The upstream refused the refresh: the session is ended. Its answer, stripped.
    Ended(QueryResult),
    /// The session ended meanwhile (signed out elsewhere, expired).
    Gone,
    /// The refresh could not run (upstream unreachable, no refresh query…): the session is
    /// kept as it was.
    Failed(RunError),
}

/// One in-flight or last refresh of a session.
#[derive(Default)]
struct Flight {
    /// The generation the last refresh produced, its answer, and when.
    last: Option<(i64, Arc<QueryResult>, Instant)>,
}

pub struct SessionVault {
    key: RandomizedNonceKey,
    store: Arc<dyn Store>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Flight>>>>,
}

impl SessionVault {
    /// The vault sealing with the key in `path` (normally `session.key` of the data
    /// directory): read, or made at the first start (32 random bytes, mode 0600).
    pub fn open(path: &Path, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let path = path.to_path_buf();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => make_key_file(&path)?,
            Err(e) => return Err(e).with_context(|| format!("Failed to read {}", path.display())),
        };
        anyhow::ensure!(
            bytes.len() == 32,
            "{} must hold 32 bytes (it holds {}); remove it to make a new one (sessions end)",
            path.display(),
            bytes.len()
        );
        let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| anyhow::anyhow!("{} is not a usable key", path.display()))?;
        Ok(Self {
            key,
            store,
            flights: Mutex::new(HashMap::new()),
        })
    }

    /// `nonce ‖ ciphertext ‖ tag` of `data`, bound to `aad`.
    fn seal_bytes(&self, aad: &str, mut data: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(aad.as_bytes()), &mut data)
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// What [`SessionVault::seal_bytes`] sealed with the same `aad`; `None` for anything else.
    fn open_bytes(&self, aad: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut data)
            .ok()?;
        Some(plain.to_vec())
    }

    fn seal(&self, slug: &str, digest: &str, tokens: &SessionTokens) -> anyhow::Result<Vec<u8>> {
        self.seal_bytes(&session_aad(slug, digest), serde_json::to_vec(tokens)?)
    }

    fn unseal(&self, slug: &str, digest: &str, sealed: &[u8]) -> Option<SessionTokens> {
        let plain = self.open_bytes(&session_aad(slug, digest), sealed)?;
        serde_json::from_slice(&plain).ok()
    }

    /// Starts a session of `slug` holding `tokens`: the cookie token (for the browser only)
    /// and the session.
    pub async fn start(
        &self,
        slug: &str,
        tokens: &SessionTokens,
        access_expires_at: Option<Millis>,
    ) -> anyhow::Result<(Secret, LiveSession)> {
        let (token, digest) = lowkey_core::refresh::generate()
            .map_err(|_| anyhow::anyhow!("no random bytes for a session"))?;
        let now = now_millis();
        let session = AppSession {
            slug: slug.to_owned(),
            sealed: self.seal(slug, &digest, tokens)?,
            access_expires_at,
            generation: 0,
            created_at: now,
            expires_at: now + SESSION_LIFETIME_SECS * 1000,
        };
        self.store.create_app_session(&digest, &session).await?;
        let live = LiveSession {
            digest,
            tokens: tokens.clone(),
            generation: 0,
            access_expires_at,
        };
        Ok((token, live))
    }

    /// The live session of `slug` whose cookie token is `cookie`, if there is one.
    pub async fn find(&self, slug: &str, cookie: &str) -> anyhow::Result<Option<LiveSession>> {
        if !lowkey_core::refresh::is_well_formed(cookie) {
            return Ok(None);
        }
        let digest = lowkey_core::refresh::digest(cookie);
        self.load(slug, &digest).await
    }

    async fn load(&self, slug: &str, digest: &str) -> anyhow::Result<Option<LiveSession>> {
        let Some(stored) = self.store.app_session(digest, now_millis()).await? else {
            return Ok(None);
        };
        if stored.slug != slug {
            // Another app's session: the cookie's path keeps it away; a crafted request does not.
            return Ok(None);
        }
        let Some(tokens) = self.unseal(slug, digest, &stored.sealed) else {
            tracing::warn!(app = %slug, "a session could not be opened (another session.key?): it is ended");
            self.store.end_app_session(digest).await?;
            return Ok(None);
        };
        Ok(Some(LiveSession {
            digest: digest.to_owned(),
            tokens,
            generation: stored.generation,
            access_expires_at: stored.access_expires_at,
        }))
    }

    /// Ends a session.
    pub async fn end(&self, session: &LiveSession) -> anyhow::Result<()> {
        self.store.end_app_session(&session.digest).await?;
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(&session.digest);
        }
        Ok(())
    }

    fn flight(&self, digest: &str) -> Arc<tokio::sync::Mutex<Flight>> {
        let Ok(mut flights) = self.flights.lock() else {
            return Arc::default();
        };
        if flights.len() >= 10_000 {
            // Forget the flights nobody waits on (their sessions are idle or gone).
            flights.retain(|_, f| Arc::strong_count(f) > 1);
        }
        flights.entry(digest.to_owned()).or_default().clone()
    }

    /// Refreshes `session` of `app` with its `auth.session.refresh` query, once at a time per
    /// session: a caller that waited for another's refresh gets that refresh's outcome.
    pub async fn refresh(
        &self,
        state: &AppState,
        app: &App,
        session: &LiveSession,
        client: IpAddr,
    ) -> Refreshed {
        let Some(auth) = app.auth.as_ref() else {
            return Refreshed::Gone;
        };
        if auth.oidc.is_none()
            && auth
                .session
                .as_ref()
                .and_then(|s| s.refresh.as_ref())
                .is_none()
        {
            return Refreshed::Failed(RunError::Unreachable(
                "the app declares no refresh query (auth.session.refresh)".into(),
            ));
        }
        let flight = self.flight(&session.digest);
        let mut flight = flight.lock().await;
        // Another caller may have refreshed while this one waited: take its tokens.
        let current = match self.load(&app.slug, &session.digest).await {
            Ok(Some(current)) => current,
            Ok(None) => return Refreshed::Gone,
            Err(e) => return Refreshed::Failed(RunError::Unreachable(e.to_string())),
        };
        // Refreshed meanwhile, or moments ago (tabs loading at once ask one after the other):
        // that refresh serves this caller too.
        if let Some((generation, answer, at)) = &flight.last {
            if *generation == current.generation && at.elapsed() < SHARED_REFRESH {
                return Refreshed::Fresh(current, answer.clone());
            }
        }
        let upstream = match &auth.oidc {
            Some(_) => oidc_refresh(state, app, &current).await,
            None => query_refresh(state, app, &current, client).await,
        };
        let mut taken = match upstream {
            Upstream::Fresh(taken) => taken,
            Upstream::Refused(answer) => {
                tracing::info!(app = %app.slug, "session refresh refused upstream: the session ends");
                if let Err(e) = self.end(&current).await {
                    tracing::warn!(error = %e, "ending a refused session failed");
                }
                return Refreshed::Ended(answer);
            }
            Upstream::Failed(e) => return Refreshed::Failed(e),
        };
        // A provider that does not rotate refresh tokens answers none: the old one stays; so
        // do the ID token and the user's claims when a refresh brings none.
        if taken.tokens.refresh.is_none() {
            taken.tokens.refresh = current.tokens.refresh.clone();
        }
        if taken.tokens.id_token.is_none() {
            taken.tokens.id_token = current.tokens.id_token.clone();
        }
        if taken.tokens.claims.is_none() {
            taken.tokens.claims = current.tokens.claims.clone();
        }
        let sealed = match self.seal(&app.slug, &current.digest, &taken.tokens) {
            Ok(sealed) => sealed,
            Err(e) => return Refreshed::Failed(RunError::Unreachable(e.to_string())),
        };
        match self
            .store
            .refresh_app_session(
                &current.digest,
                current.generation,
                &sealed,
                taken.access_expires_at,
            )
            .await
        {
            Ok(true) => {}
            // Another process replaced this generation first; its tokens are the session's.
            Ok(false) => {
                return match self.load(&app.slug, &current.digest).await {
                    Ok(Some(other)) => Refreshed::Fresh(other, Arc::new(taken.answer)),
                    _ => Refreshed::Gone,
                }
            }
            Err(e) => return Refreshed::Failed(RunError::Unreachable(e.to_string())),
        }
        let fresh = LiveSession {
            digest: current.digest,
            tokens: taken.tokens,
            generation: current.generation + 1,
            access_expires_at: taken.access_expires_at,
        };
        let answer = Arc::new(taken.answer);
        flight.last = Some((fresh.generation, answer.clone(), Instant::now()));
        Refreshed::Fresh(fresh, answer)
    }

    /// Seals `data` for the browser to hold (a pending sign-in), bound to `purpose` and the
    /// app: base64url, openable only by this server's key.
    pub fn seal_for_browser(
        &self,
        purpose: &str,
        slug: &str,
        data: &[u8],
    ) -> anyhow::Result<String> {
        use base64::Engine as _;
        let sealed = self.seal_bytes(&format!("{purpose}\n{slug}"), data.to_vec())?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens what [`SessionVault::seal_for_browser`] sealed for the same purpose and app.
    pub fn open_from_browser(&self, purpose: &str, slug: &str, sealed: &str) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed)
            .ok()?;
        self.open_bytes(&format!("{purpose}\n{slug}"), &raw)
    }
}

/// The associated data of a session's sealed tokens: a purpose of its own (no browser seal can
/// be opened as a session's, nor the reverse), the app and the session.
fn session_aad(slug: &str, digest: &str) -> String {
    format!("session\n{slug}\n{digest}")
}

/// What an upstream refresh came to.
enum Upstream {
    Fresh(Taken),
    /// The provider refused: the answer passed on (no token in it).
    Refused(QueryResult),
    Failed(RunError),
}

/// Refresh with the app's `auth.session.refresh` query.
async fn query_refresh(
    state: &AppState,
    app: &App,
    current: &LiveSession,
    client: IpAddr,
) -> Upstream {
    let Some(auth) = app.auth.as_ref().and_then(|a| a.session.as_ref()) else {
        return Upstream::Failed(RunError::Unreachable("no session block".into()));
    };
    let Some(query) = auth.refresh.as_deref().and_then(|q| app.query(q)) else {
        return Upstream::Failed(RunError::Unreachable("no refresh query".into()));
    };
    let values = Map::new();
    let result = match state
        .queries
        .run(app, query, &values, Some(&current.tokens), client)
        .await
    {
        Ok(result) => result,
        Err(e) => return Upstream::Failed(e),
    };
    if !(200..300).contains(&result.status) {
        return Upstream::Refused(strip_answer(result, auth, &current.tokens));
    }
    let paths = auth.refresh_paths();
    match take_tokens_at(result, auth, &paths) {
        Some(taken) => Upstream::Fresh(taken),
        None => {
            tracing::warn!(app = %app.slug, path = %paths.access_token, "the refresh answer has no access token: the session is kept");
            Upstream::Failed(RunError::Unreachable(format!(
                "the refresh answer has no access token at `{}`",
                paths.access_token
            )))
        }
    }
}

/// Refresh at the OpenID Connect provider's token endpoint; a new ID token is validated.
async fn oidc_refresh(state: &AppState, app: &App, current: &LiveSession) -> Upstream {
    let Some(auth) = app.auth.as_ref() else {
        return Upstream::Failed(RunError::Unreachable("no auth".into()));
    };
    let Some(oidc) = &auth.oidc else {
        return Upstream::Failed(RunError::Unreachable("no oidc".into()));
    };
    let Some(refresh_token) = current.tokens.refresh.as_deref() else {
        // Nothing to refresh with: the session ends with its access token.
        return Upstream::Refused(empty_answer(400));
    };
    let client = match crate::oidc::client_of(state, oidc) {
        Ok(c) => c,
        Err(e) => return Upstream::Failed(RunError::Unreachable(e.to_string())),
    };
    let http = state.jwks.http();
    let d = match state.oidc.discover(http, &oidc.issuer).await {
        Ok(d) => d,
        Err(e) => return Upstream::Failed(RunError::Unreachable(e.to_string())),
    };
    let answer = match state.oidc.refresh(http, &d, &client, refresh_token).await {
        Ok(a) => a,
        Err(crate::oidc::OidcError::Refused(why)) => {
            tracing::info!(app = %app.slug, reason = %why, "the provider refused the refresh");
            return Upstream::Refused(empty_answer(400));
        }
        Err(e) => return Upstream::Failed(RunError::Unreachable(e.to_string())),
    };
    let mut claims = current.tokens.claims.clone();
    if let Some(id_token) = &answer.id_token {
        let skew = u64::from(auth.clock_skew_secs);
        match crate::oidc::validate_id_token(&state.jwks, &d, &oidc.client_id, id_token, None, skew)
            .await
        {
            Ok(fresh) => claims = Some(crate::oidc::merge_claims(fresh, claims)),
            Err(e) => {
                tracing::warn!(app = %app.slug, reason = e.code(), "a refreshed ID token is not valid: the session ends");
                return Upstream::Refused(empty_answer(400));
            }
        }
    }
    let access_expires_at = answer.expires_at();
    Upstream::Fresh(Taken {
        tokens: SessionTokens {
            access: answer.access_token,
            refresh: answer.refresh_token,
            id_token: answer.id_token,
            claims,
        },
        access_expires_at,
        answer: empty_answer(200),
    })
}

/// A run result with no body: what the browser gets for a refresh done by the server.
fn empty_answer(status: u16) -> QueryResult {
    QueryResult {
        status,
        headers: Map::new(),
        body: AnswerBody::Value(Value::Null),
        body_encoding: None,
        duration_ms: 0.0,
    }
}

fn make_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut bytes = vec![0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no random bytes for a key"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .with_context(|| format!("Failed to write {}", path.display()))?;
            Ok(bytes)
        }
        // Another process made it first: use its key.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("Failed to create {}", path.display())),
    }
}

/// The answer's body as a JSON value.
fn body_value(body: AnswerBody) -> Value {
    match body {
        AnswerBody::Json(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        AnswerBody::Value(v) => v,
    }
}

/// When a token expires: `expires_in` seconds from now when the answer says so, else the
/// JWT's `exp` (read, not verified: only to know when to refresh).
fn expiry(body: &Value, expires_in_path: &str, access: &str) -> Option<Millis> {
    if let Some(secs) = value_at(body, expires_in_path).and_then(Value::as_f64) {
        if secs.is_finite() && secs >= 0.0 {
            return Some(now_millis() + (secs * 1000.0) as Millis);
        }
    }
    use base64::Engine as _;
    let payload = access.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    Some(exp.saturating_mul(1000))
}

/// Removes the value at the dot path `path` of `value`.
fn remove_at(value: &mut Value, path: &str) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let Some(last) = keys.pop() else {
        return;
    };
    let parent = keys.into_iter().try_fold(value, |v, key| v.get_mut(key));
    if let Some(Value::Object(obj)) = parent {
        obj.remove(last);
    }
}

/// The answer without any token: the configured paths and the usual token fields removed,
/// and whatever still holds one of `known` tokens masked.
fn strip(mut body: Value, auth: &SessionAuth, known: &[&str]) -> Value {
    for paths in [auth.sign_in_paths(), auth.refresh_paths()] {
        remove_at(&mut body, &paths.access_token);
        remove_at(&mut body, &paths.refresh_token);
    }
    if let Value::Object(obj) = &mut body {
        for field in TOKEN_FIELDS {
            obj.remove(field);
        }
    }
    crate::query::mask_value(&crate::query::maskable(known), &mut body);
    body
}

/// A refused sign-in or refresh answer, passed on without any token it might hold.
pub fn strip_answer(
    mut result: QueryResult,
    auth: &SessionAuth,
    old: &SessionTokens,
) -> QueryResult {
    let body = std::mem::replace(&mut result.body, AnswerBody::Value(Value::Null));
    let known: Vec<&str> = std::iter::once(old.access.as_str())
        .chain(old.refresh.as_deref())
        .collect();
    result.body = AnswerBody::Value(strip(body_value(body), auth, &known));
    result
}

/// The tokens of a 2xx sign-in answer, and the answer without them; `None` when it holds no
/// access token at its path.
pub fn take_tokens(result: QueryResult, auth: &SessionAuth) -> Option<Taken> {
    take_tokens_at(result, auth, &auth.sign_in_paths())
}

/// The tokens of a 2xx answer at `paths` (the sign-in's, or the refresh answer's own).
fn take_tokens_at(
    mut result: QueryResult,
    auth: &SessionAuth,
    paths: &TokenPaths,
) -> Option<Taken> {
    let body = body_value(std::mem::replace(
        &mut result.body,
        AnswerBody::Value(Value::Null),
    ));
    let access = value_at(&body, &paths.access_token)?
        .as_str()
        .filter(|t| !t.is_empty())?
        .to_owned();
    let refresh = value_at(&body, &paths.refresh_token)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let access_expires_at = expiry(&body, &paths.expires_in, &access);
    let known: Vec<&str> = std::iter::once(access.as_str())
        .chain(refresh.as_deref())
        .collect();
    let stripped = strip(body, auth, &known);
    result.body = AnswerBody::Value(stripped);
    Some(Taken {
        tokens: SessionTokens {
            access,
            refresh,
            ..Default::default()
        },
        access_expires_at,
        answer: result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn auth() -> SessionAuth {
        SessionAuth {
            sign_in: "in".into(),
            refresh: Some("r".into()),
            sign_out: None,
            access_token: "access_token".into(),
            refresh_token: "refresh_token".into(),
            expires_in: "expires_in".into(),
            refresh_answer: None,
        }
    }

    fn answer(body: Value) -> QueryResult {
        QueryResult {
            status: 200,
            headers: Map::new(),
            body: AnswerBody::Json(serde_json::to_vec(&body).unwrap()),
            body_encoding: None,
            duration_ms: 1.0,
        }
    }

    fn body(result: &QueryResult) -> Value {
        let mut out = Vec::new();
        result.body.write_to(&mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn tokens_are_taken_out_of_a_gotrue_answer_and_nowhere_left_in_it() {
        let a = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln";
        let taken = take_tokens(
            answer(json!({
                "access_token": a, "token_type": "bearer", "expires_in": 3600,
                "refresh_token": "r3fr3shtok3n", "provider_token": "p",
                "user": {"email": "a@b.co", "echo": format!("token {a}")}
            })),
            &auth(),
        )
        .unwrap();
        assert_eq!(taken.tokens.access, a);
        assert_eq!(taken.tokens.refresh.as_deref(), Some("r3fr3shtok3n"));
        let at = taken.access_expires_at.unwrap();
        assert!((at - now_millis() - 3_600_000).abs() < 5_000, "{at}");
        let b = body(&taken.answer);
        assert_eq!(b["token_type"], "bearer");
        assert_eq!(b["user"]["email"], "a@b.co");
        let text = b.to_string();
        assert!(
            !text.contains(a) && !text.contains("r3fr3sh") && !text.contains("\"p\""),
            "{text}"
        );
        assert!(!format!("{:?}", taken.tokens).contains("r3fr3sh"));
    }

    #[test]
    fn paths_are_configurable_and_the_jwt_exp_is_the_fallback_expiry() {
        let mut auth = auth();
        auth.access_token = "data.jwt".into();
        auth.refresh_token = "data.rt".into();
        let a = "x.eyJleHAiOjE3MDAwMDAwMDB9.y";
        let taken = take_tokens(
            answer(json!({"data": {"jwt": a, "rt": "rt-1", "n": 1}})),
            &auth,
        )
        .unwrap();
        assert_eq!(taken.access_expires_at, Some(1_700_000_000_000));
        assert_eq!(body(&taken.answer), json!({"data": {"n": 1}}));
        assert!(take_tokens(answer(json!({"data": {}})), &auth).is_none());
        assert!(take_tokens(answer(json!("text")), &auth).is_none());
    }

    #[test]
    fn a_refresh_answer_may_name_its_tokens_otherwise_than_the_sign_in() {
        // Firebase: camelCase after sign-in, snake_case after refresh.
        let mut auth = auth();
        auth.access_token = "idToken".into();
        auth.refresh_token = "refreshToken".into();
        auth.expires_in = "expiresIn".into();
        auth.refresh_answer = Some(TokenPaths {
            access_token: "id_token".into(),
            refresh_token: "refresh_token".into(),
            expires_in: "expires_in".into(),
        });
        let signed_in = take_tokens(
            answer(json!({"idToken": "i1", "refreshToken": "r1", "expiresIn": "3600", "email": "a@b.co"})),
            &auth,
        )
        .unwrap();
        assert_eq!(signed_in.tokens.access, "i1");
        assert_eq!(
            body(&signed_in.answer),
            json!({"expiresIn": "3600", "email": "a@b.co"})
        );
        let refreshed = take_tokens_at(
            answer(json!({"id_token": "i2", "refresh_token": "r2", "expires_in": "3600", "user_id": "u"})),
            &auth,
            &auth.refresh_paths(),
        )
        .unwrap();
        assert_eq!(
            (
                refreshed.tokens.access.as_str(),
                refreshed.tokens.refresh.as_deref()
            ),
            ("i2", Some("r2"))
        );
        assert_eq!(
            body(&refreshed.answer),
            json!({"expires_in": "3600", "user_id": "u"})
        );
        // Without refreshAnswer, a refresh answer is read at the sign-in's paths.
        auth.refresh_answer = None;
        assert_eq!(auth.refresh_paths(), auth.sign_in_paths());
    }

    #[tokio::test]
    async fn sealed_tokens_open_only_for_their_app_and_session_with_the_same_key() {
        let dir = std::env::temp_dir().join(format!("lowkey-vault-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store: Arc<dyn Store> = Arc::new(lowkey_store::SqliteStore::open(&dir).await.unwrap());
        let vault = SessionVault::open(&dir.join(KEY_FILE), store.clone()).unwrap();
        let tokens = SessionTokens {
            access: "a-token".into(),
            refresh: Some("r-token".into()),
            ..Default::default()
        };
        let sealed = vault.seal("app", "d1", &tokens).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("token"));
        assert_eq!(
            vault.unseal("app", "d1", &sealed).unwrap().access,
            "a-token"
        );
        assert!(vault.unseal("app", "d2", &sealed).is_none());
        assert!(vault.unseal("other", "d1", &sealed).is_none());
        // The key file persists: a second vault on the directory opens the same seals.
        let again = SessionVault::open(&dir.join(KEY_FILE), store).unwrap();
        assert!(again.unseal("app", "d1", &sealed).is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
