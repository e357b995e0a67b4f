//! Tokens of a provider other than the built-in one: an app's `auth.verify: { jwks, issuer,
//! audience }` (docs/security.md, "Protected apps").
//!
//! The provider's JWKS document is fetched over http(s) (no redirects, [`FETCH_TIMEOUT`],
//! at most [`MAX_JWKS_BYTES`]) and kept per URL for [`JWKS_CACHE_SECS`]. A token whose `kid`
//! is not in the cached set makes one early refetch, at most once per
//! [`UNKNOWN_KID_REFETCH_SECS`] per URL, so a key rotated at the provider is picked up at once
//! and a stream of made-up `kid`s cannot turn into a stream of fetches. When a refetch fails
//! the keys already fetched stay in use.
//!
//! The signature is checked by `jsonwebtoken` with the algorithm the key allows (its `alg`, or
//! its key type's family when it has none): asymmetric only, so `alg: none` and HMAC tokens
//! are refused. Then `iss` must equal the issuer, `aud` must hold the audience when one is
//! configured, and `exp` (and `nbf` when present) must hold within the app's clock skew.
//!
//! **Invariant:** a [`JwksError`] never holds any part of the token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// How long a fetched JWKS is used before it is fetched again.
pub const JWKS_CACHE_SECS: u64 = 300;
/// The shortest time between two refetches caused by an unknown `kid` (and between retries
/// of a failed fetch).
pub const UNKNOWN_KID_REFETCH_SECS: u64 = 30;
/// The largest JWKS document accepted.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
/// The whole fetch, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a token was refused (or could not be checked). Holds no part of the token.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS URL is not an http(s) URL")]
    BadUrl,
    #[error("the JWKS could not be fetched: {0}")]
    Fetch(String),
    #[error("the JWKS is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("the JWKS is not a JSON key set")]
    NotAKeySet,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not one its key allows")]
    Algorithm,
    #[error("no key of the JWKS matches the token's kid")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is of another issuer")]
    Issuer,
    #[error("the token is for another audience")]
    Audience,
    #[error("the token lacks or misshapes the claim `{0}`")]
    Claim(String),
}

impl JwksError {
    /// A short stable code, for logs.
    pub fn code(&self) -> &'static str {
        match self {
            JwksError::BadUrl => "jwks_bad_url",
            JwksError::Fetch(_) => "jwks_unavailable",
            JwksError::TooLarge => "jwks_too_large",
            JwksError::NotAKeySet => "jwks_not_a_key_set",
            JwksError::Malformed => "malformed",
            JwksError::Algorithm => "bad_algorithm",
            JwksError::UnknownKey => "unknown_kid",
            JwksError::Signature => "bad_signature",
            JwksError::Expired => "expired",
            JwksError::NotYetValid => "not_yet_valid",
            JwksError::Issuer => "wrong_issuer",
            JwksError::Audience => "wrong_audience",
            JwksError::Claim(_) => "bad_claims",
        }
    }
}

/// What a token must satisfy besides its signature.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub audience: Option<&'a str>,
    pub clock_skew_secs: u64,
}

/// A usable key of a JWKS: its decoding key and the algorithms it may verify.
struct Key {
    kid: Option<String>,
    decoding: DecodingKey,
    algorithms: Vec<Algorithm>,
}

/// The keys of one JWKS URL and when they were (tried to be) fetched.
#[derive(Default)]
struct Slot {
    keys: Option<Arc<Vec<Key>>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    last_kid_refetch: Option<Instant>,
}

/// Verifies tokens against JWKS documents, each cached per URL.
pub struct JwksVerifier {
    client: reqwest::Client,
    /// One slot per URL; its async lock makes concurrent callers wait for a fetch in flight
    /// instead of starting their own.
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
}

impl JwksVerifier {
    /// `proxy`: the outbound proxy of queries, if one is configured.
    pub fn new(proxy: Option<&str>) -> anyhow::Result<Self> {
        let builder = reqwest::Client::builder()
            .user_agent(concat!("lowkey/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT);
        let builder = match proxy {
            Some(p) => builder.proxy(reqwest::Proxy::all(p)?),
            None => builder.no_proxy(),
        };
        Ok(Self {
            client: builder.build()?,
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// The HTTP client providers are reached with (no redirects, a timeout, no environment
    /// proxy): sign-in by redirect talks to the same providers.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// Verifies `token` against the keys at `jwks_url`; the token's claims when it is valid.
    pub async fn verify(
        &self,
        jwks_url: &str,
        token: &str,
        expect: &Expect<'_>,
    ) -> Result<Value, JwksError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwksError::Malformed)?;
        let keys = self.keys_for(jwks_url, header.kid.as_deref()).await?;
        let key = pick(&keys, header.kid.as_deref())?;
        if !key.algorithms.contains(&header.alg) {
            return Err(JwksError::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = key.algorithms.clone();
        validation.leeway = expect.clock_skew_secs;
        validation.validate_nbf = true;
        validation.set_issuer(&[expect.issuer]);
        match expect.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            }
            None => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "iss"]);
            }
        }
        jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| refusal(e.kind()))
    }

    /// The keys of `url`, fetched when none are cached or they are older than
    /// [`JWKS_CACHE_SECS`], or when `kid` is unknown and no such refetch happened in the last
    /// [`UNKNOWN_KID_REFETCH_SECS`].
    async fn keys_for(&self, url: &str, kid: Option<&str>) -> Result<Arc<Vec<Key>>, JwksError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(url.to_owned()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        let now = Instant::now();
        let within = |t: Option<Instant>, secs: u64| {
            t.is_some_and(|t| now.duration_since(t) < Duration::from_secs(secs))
        };
        let retry_allowed = !within(slot.last_attempt, UNKNOWN_KID_REFETCH_SECS);
        let stale = !within(slot.fetched_at, JWKS_CACHE_SECS);
        let unknown_kid = match (&slot.keys, kid) {
            (Some(keys), Some(kid)) => !keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            _ => false,
        };
        let kid_refetch = unknown_kid && !within(slot.last_kid_refetch, UNKNOWN_KID_REFETCH_SECS);
        let fetch = match &slot.keys {
            None => retry_allowed,
            Some(_) => (stale && retry_allowed) || kid_refetch,
        };
        if fetch {
            slot.last_attempt = Some(now);
            if slot.keys.is_some() && !stale {
                slot.last_kid_refetch = Some(now);
            }
            match self.fetch(url).await {
                Ok(keys) => {
                    slot.keys = Some(Arc::new(keys));
                    slot.fetched_at = Some(now);
                }
                Err(e) if slot.keys.is_some() => {
                    tracing::warn!(jwks = url, reason = e.code(), error = %e, "JWKS refetch failed: the keys fetched before stay in use");
                }
                Err(e) => {
                    tracing::warn!(jwks = url, reason = e.code(), error = %e, "JWKS fetch failed");
                    return Err(e);
                }
            }
        }
        slot.keys
            .clone()
            .ok_or_else(|| JwksError::Fetch("no JWKS fetched yet (retried later)".into()))
    }

    async fn fetch(&self, url: &str) -> Result<Vec<Key>, JwksError> {
        let parsed = url::Url::parse(url).map_err(|_| JwksError::BadUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(JwksError::BadUrl);
        }
        let mut response = self
            .client
            .get(parsed)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| JwksError::Fetch(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(JwksError::Fetch(format!("status {}", response.status())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(JwksError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| JwksError::Fetch(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(JwksError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body)
    }
}

/// The signing keys of a JWKS document; keys this server cannot use (encryption keys,
/// symmetric keys, unknown types or algorithms) are left out rather than failing the set.
fn parse_jwks(body: &[u8]) -> Result<Vec<Key>, JwksError> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| JwksError::NotAKeySet)?;
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::NotAKeySet)?;
    Ok(entries
        .iter()
        .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
        .filter_map(|jwk| usable(&jwk))
        .collect())
}

fn usable(jwk: &Jwk) -> Option<Key> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let algorithms = algorithms(jwk);
    if algorithms.is_empty() {
        return None;
    }
    Some(Key {
        kid: jwk.common.key_id.clone(),
        decoding: DecodingKey::from_jwk(jwk).ok()?,
        algorithms,
    })
}

/// The algorithms a key may verify: its own `alg` when it names one, otherwise those of its
/// key type. Never `none` (no such `Algorithm`) nor HMAC (a public key is no shared secret).
fn algorithms(jwk: &Jwk) -> Vec<Algorithm> {
    use Algorithm::*;
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![ES256],
            EllipticCurve::P384 => vec![ES384],
            _ => vec![],
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => vec![EdDSA],
        _ => vec![],
    };
    match jwk.common.key_algorithm {
        None => family,
        Some(alg) => match Algorithm::try_from(alg) {
            Ok(alg) if family.contains(&alg) => vec![alg],
            _ => vec![],
        },
    }
}

/// The key for a token's `kid`; a token without one only when the set has exactly one key.
fn pick<'k>(keys: &'k [Key], kid: Option<&str>) -> Result<&'k Key, JwksError> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
    .ok_or(JwksError::UnknownKey)
}

/// A `jsonwebtoken` refusal as a [`JwksError`], dropping any text that could quote the token.
fn refusal(kind: &ErrorKind) -> JwksError {
    match kind {
        ErrorKind::ExpiredSignature => JwksError::Expired,
        ErrorKind::ImmatureSignature => JwksError::NotYetValid,
        ErrorKind::InvalidIssuer => JwksError::Issuer,
        ErrorKind::InvalidAudience => JwksError::Audience,
        ErrorKind::InvalidSignature => JwksError::Signature,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => JwksError::Algorithm,
        ErrorKind::MissingRequiredClaim(claim) | ErrorKind::InvalidClaimFormat(claim) => {
            JwksError::Claim(claim.clone())
        }
        _ => JwksError::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwk(v: Value) -> Jwk {
        serde_json::from_value(v).unwrap()
    }

    const EC: (&str, &str) = (
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    );

    #[test]
    fn a_key_verifies_only_asymmetric_algorithms_it_allows() {
        let ec = jwk(json!({ "kty": "EC", "crv": "P-256", "x": EC.0, "y": EC.1 }));
        assert_eq!(algorithms(&ec), vec![Algorithm::ES256]);
        let ec_rs =
            jwk(json!({ "kty": "EC", "crv": "P-256", "x": EC.0, "y": EC.1, "alg": "RS256" }));
        assert!(algorithms(&ec_rs).is_empty(), "alg of another key type");
        let oct = jwk(json!({ "kty": "oct", "k": "c2VjcmV0", "alg": "HS256" }));
        assert!(algorithms(&oct).is_empty(), "HMAC keys are never used");
        assert!(usable(&oct).is_none());
        let enc = jwk(json!({ "kty": "EC", "crv": "P-256", "x": EC.0, "y": EC.1, "use": "enc" }));
        assert!(usable(&enc).is_none(), "encryption keys are left out");
    }

    #[test]
    fn a_key_set_keeps_its_usable_keys_and_refuses_what_is_no_set() {
        let body = json!({ "keys": [
            { "kty": "EC", "crv": "P-256", "x": EC.0, "y": EC.1, "kid": "a" },
            { "kty": "oct", "k": "c2VjcmV0", "kid": "h" },
            { "kty": "what", "kid": "w" },
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("a"));
        assert!(pick(&keys, Some("a")).is_ok());
        assert!(matches!(pick(&keys, Some("h")), Err(JwksError::UnknownKey)));
        assert!(
            pick(&keys, None).is_ok(),
            "the only key serves a token without kid"
        );
        assert!(matches!(parse_jwks(b"[]"), Err(JwksError::NotAKeySet)));
        assert!(matches!(parse_jwks(b"{"), Err(JwksError::NotAKeySet)));
    }

    #[tokio::test]
    async fn only_http_urls_are_fetched() {
        let v = JwksVerifier::new(None).unwrap();
        assert!(matches!(
            v.fetch("file:///etc/passwd").await,
            Err(JwksError::BadUrl)
        ));
        assert!(matches!(v.fetch("not a url").await, Err(JwksError::BadUrl)));
    }
}
