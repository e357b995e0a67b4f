//! Sign-in by redirect with OpenID Connect (an app's `auth.oidc`; docs/security.md, "Sign-in by
//! redirect"): the provider's discovery document, the authorization code exchange with PKCE, ID
//! token validation, refresh, revocation and the end-session address.
//!
//! The provider is reached with the JWKS verifier's HTTP client (no redirects, a timeout, no
//! environment proxy); its discovery document is cached per issuer for [`DISCOVERY_CACHE`]
//! (a failed fetch is retried at most every [`DISCOVERY_RETRY`]).
//!
//! **Invariant:** no token, code, verifier or client secret reaches a log line or an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use lowkey_app::Oidc;
use lowkey_core::{now_millis, Millis};
use serde::Deserialize;
use serde_json::Value;

use crate::jwks::{Expect, JwksVerifier};

pub const DISCOVERY_CACHE: Duration = Duration::from_secs(3600);
pub const DISCOVERY_RETRY: Duration = Duration::from_secs(30);
/// The largest answer read from the provider.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// What went wrong talking to the provider. Holds no token, code or secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider's discovery document could not be read: {0}")]
    Discovery(String),
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the provider's answer is not what OpenID Connect says: {0}")]
    BadAnswer(String),
    #[error("the ID token is not valid: {0}")]
    IdToken(String),
    #[error("the client secret {0} is not configured on this server")]
    NoSecret(String),
}

impl OidcError {
    /// A short stable code, for logs and the `auth_error` a failed sign-in returns with.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::Discovery(_) => "provider_unavailable",
            OidcError::Unreachable(_) => "provider_unavailable",
            OidcError::Refused(_) => "provider_refused",
            OidcError::BadAnswer(_) => "provider_error",
            OidcError::IdToken(_) => "invalid_id_token",
            OidcError::NoSecret(_) => "client_secret_missing",
        }
    }
}

/// The endpoints of a provider's discovery document that Lowkey uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// The tokens of a token endpoint's answer.
#[derive(Clone, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<f64>,
}

impl TokenAnswer {
    /// When the access token expires, if the answer says.
    pub fn expires_at(&self) -> Option<Millis> {
        self.expires_in
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| now_millis() + (s * 1000.0) as Millis)
    }
}

/// The app's client at its provider, with its secret resolved.
pub struct Client<'a> {
    pub config: &'a Oidc,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Client<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.config.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// The app's client with its secret read from the server's secrets.
pub fn client_of<'a>(
    state: &crate::state::AppState,
    oidc: &'a Oidc,
) -> Result<Client<'a>, OidcError> {
    let secret = match &oidc.client_secret {
        None => None,
        Some(template) => {
            let name = template
                .trim()
                .trim_start_matches("{{")
                .trim_end_matches("}}")
                .trim()
                .trim_start_matches("secrets.");
            let value = state
                .queries
                .secrets()
                .get(name)
                .ok_or_else(|| OidcError::NoSecret(name.to_owned()))?;
            Some(value.expose().to_owned())
        }
    };
    Ok(Client {
        config: oidc,
        secret,
    })
}

/// A PKCE verifier and its S256 challenge (RFC 7636).
pub fn pkce() -> anyhow::Result<(String, String)> {
    let verifier = random_token()?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    Ok((verifier, challenge))
}

/// 32 random bytes, base64url: a state, a nonce, a PKCE verifier.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no random bytes"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[derive(Default)]
pub struct OidcClient {
    discoveries: Mutex<HashMap<String, Cached>>,
}

enum Cached {
    Found(Arc<Discovery>, Instant),
    Failed(Instant),
}

impl OidcClient {
    /// The discovery document of `issuer` (cached), whose `issuer` must be `issuer` itself.
    pub async fn discover(
        &self,
        http: &reqwest::Client,
        issuer: &str,
    ) -> Result<Arc<Discovery>, OidcError> {
        if let Ok(cache) = self.discoveries.lock() {
            match cache.get(issuer) {
                Some(Cached::Found(d, at)) if at.elapsed() < DISCOVERY_CACHE => {
                    return Ok(d.clone())
                }
                Some(Cached::Failed(at)) if at.elapsed() < DISCOVERY_RETRY => {
                    return Err(OidcError::Discovery(
                        "the last attempt failed moments ago".into(),
                    ))
                }
                _ => {}
            }
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let fetched = async {
            let r = http
                .get(&url)
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| OidcError::Discovery(e.without_url().to_string()))?;
            if !r.status().is_success() {
                return Err(OidcError::Discovery(format!(
                    "HTTP {}",
                    r.status().as_u16()
                )));
            }
            let bytes = read_limited(r).await.map_err(OidcError::Discovery)?;
            let d: Discovery = serde_json::from_slice(&bytes)
                .map_err(|e| OidcError::Discovery(format!("not a discovery document: {e}")))?;
            if d.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
                return Err(OidcError::Discovery(format!(
                    "it names the issuer {:?}, not {issuer:?}",
                    d.issuer
                )));
            }
            Ok(Arc::new(d))
        }
        .await;
        if let Ok(mut cache) = self.discoveries.lock() {
            let entry = match &fetched {
                Ok(d) => Cached::Found(d.clone(), Instant::now()),
                Err(_) => Cached::Failed(Instant::now()),
            };
            cache.insert(issuer.to_owned(), entry);
        }
        fetched
    }

    /// A token endpoint request with the client's authentication: HTTP Basic for a
    /// confidential client (RFC 6749 §2.3.1), `client_id` in the body for a public one.
    async fn token_request(
        http: &reqwest::Client,
        d: &Discovery,
        client: &Client<'_>,
        form: &[(&str, &str)],
    ) -> Result<TokenAnswer, OidcError> {
        let bytes = post_form(http, &d.token_endpoint, client, form).await?;
        serde_json::from_slice(&bytes)
            .map_err(|_| OidcError::BadAnswer("the token answer has no access_token".into()))
    }

    /// Exchanges an authorization code (with its PKCE verifier).
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        d: &Discovery,
        client: &Client<'_>,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenAnswer, OidcError> {
        Self::token_request(
            http,
            d,
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", verifier),
                ("redirect_uri", redirect_uri),
            ],
        )
        .await
    }

    /// Refreshes with a refresh token.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        d: &Discovery,
        client: &Client<'_>,
        refresh_token: &str,
    ) -> Result<TokenAnswer, OidcError> {
        Self::token_request(
            http,
            d,
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Revokes a token (RFC 7009), where the provider has a revocation endpoint.
    pub async fn revoke(
        &self,
        http: &reqwest::Client,
        d: &Discovery,
        client: &Client<'_>,
        token: &str,
        hint: &str,
    ) -> Result<(), OidcError> {
        let Some(endpoint) = &d.revocation_endpoint else {
            return Ok(());
        };
        let form = [("token", token), ("token_type_hint", hint)];
        post_form(http, endpoint, client, &form).await.map(|_| ())
    }

    /// The userinfo of an access token, where the provider has the endpoint.
    pub async fn userinfo(
        &self,
        http: &reqwest::Client,
        d: &Discovery,
        access_token: &str,
    ) -> Result<Option<Value>, OidcError> {
        let Some(endpoint) = &d.userinfo_endpoint else {
            return Ok(None);
        };
        let r = http
            .get(endpoint)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?;
        if !r.status().is_success() {
            return Err(OidcError::Refused(format!(
                "userinfo answered HTTP {}",
                r.status().as_u16()
            )));
        }
        let bytes = read_limited(r).await.map_err(OidcError::Unreachable)?;
        Ok(serde_json::from_slice(&bytes).ok())
    }
}

/// Validates an ID token: signature by the provider's keys, `iss`, `aud` (this client), `exp`,
/// and `nonce` when one was sent. Its claims.
pub async fn validate_id_token(
    jwks: &JwksVerifier,
    d: &Discovery,
    client_id: &str,
    id_token: &str,
    nonce: Option<&str>,
    clock_skew_secs: u64,
) -> Result<Value, OidcError> {
    let expect = Expect {
        issuer: &d.issuer,
        audience: Some(client_id),
        clock_skew_secs,
    };
    let claims = jwks
        .verify(&d.jwks_uri, id_token, &expect)
        .await
        .map_err(|e| OidcError::IdToken(e.code().to_owned()))?;
    if let Some(expected) = nonce {
        if claims.get("nonce").and_then(Value::as_str) != Some(expected) {
            return Err(OidcError::IdToken("nonce".into()));
        }
    }
    Ok(claims)
}

/// The user's claims: the ID token's, with what userinfo adds about the same subject.
pub fn merge_claims(mut id: Value, userinfo: Option<Value>) -> Value {
    let (Some(obj), Some(Value::Object(info))) = (id.as_object_mut(), userinfo) else {
        return id;
    };
    if info.get("sub") != obj.get("sub") {
        return id;
    }
    for (k, v) in info {
        obj.entry(k).or_insert(v);
    }
    id
}

/// POSTs `form` to a provider's endpoint with the client's authentication: HTTP Basic for a
/// confidential client (RFC 6749 §2.3.1), `client_id` in the body for a public one. The answer's
/// body when it is 2xx; the provider's OAuth error in words otherwise.
async fn post_form(
    http: &reqwest::Client,
    endpoint: &str,
    client: &Client<'_>,
    form: &[(&str, &str)],
) -> Result<Vec<u8>, OidcError> {
    let mut body: Vec<(&str, &str)> = form.to_vec();
    let mut req = http.post(endpoint).header("accept", "application/json");
    match &client.secret {
        Some(secret) => {
            req = req.header(
                "authorization",
                lowkey_app::basic_auth_header(&client.config.client_id, secret),
            )
        }
        None => body.push(("client_id", &client.config.client_id)),
    }
    let r = req
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&body))
        .send()
        .await
        .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?;
    let status = r.status();
    let bytes = read_limited(r).await.map_err(OidcError::Unreachable)?;
    if !status.is_success() {
        return Err(OidcError::Refused(oauth_error(status.as_u16(), &bytes)));
    }
    Ok(bytes)
}

/// `application/x-www-form-urlencoded` of `pairs`.
fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// An OAuth 2.0 error answer in words: `error: error_description`, or the status.
fn oauth_error(status: u16, bytes: &[u8]) -> String {
    let v: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    match (
        v.get("error").and_then(Value::as_str),
        v.get("error_description").and_then(Value::as_str),
    ) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e.to_owned(),
        _ => format!("HTTP {status}"),
    }
}

async fn read_limited(mut r: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| e.without_url().to_string())? {
        if out.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pkce_challenges_are_the_s256_of_their_verifiers() {
        let (verifier, challenge) = pkce().unwrap();
        assert!(verifier.len() >= 43);
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        assert_eq!(
            challenge,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
        );
        assert_ne!(pkce().unwrap().0, verifier);
    }

    #[test]
    fn userinfo_adds_to_the_id_tokens_claims_only_for_the_same_subject() {
        let id = json!({"sub": "u1", "email": "a@b.co"});
        let merged = merge_claims(
            id.clone(),
            Some(json!({"sub": "u1", "name": "Ada", "email": "x@y"})),
        );
        assert_eq!(
            merged,
            json!({"sub": "u1", "email": "a@b.co", "name": "Ada"})
        );
        assert_eq!(
            merge_claims(id.clone(), Some(json!({"sub": "u2", "name": "Eve"}))),
            id
        );
    }

    #[test]
    fn oauth_errors_are_said_in_words_and_client_auth_is_form_encoded() {
        assert_eq!(
            oauth_error(
                400,
                br#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#
            ),
            "invalid_grant: grant request is invalid"
        );
        assert_eq!(oauth_error(502, b"<html>"), "HTTP 502");
        let b = lowkey_app::basic_auth_header("my app", "s:cr");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"my+app:s%3Acr");
        let c = Client {
            config: &Oidc {
                issuer: "https://i".into(),
                client_id: "id".into(),
                client_secret: None,
                scopes: vec![],
                authorization_params: Default::default(),
                logout_id_token_hint: false,
            },
            secret: Some("hunter2".into()),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
