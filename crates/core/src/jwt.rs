//! Access tokens: signing keys, the JWKS, issuing and verifying JWTs.
//!
//! Keys are asymmetric (ES256 by default, RS256 optional) so anyone can verify a token
//! against the public JWKS and nobody but the server can mint one. Signing is done here with
//! aws-lc-rs on key pairs parsed once at load; verification — the security-sensitive half —
//! goes through `jsonwebtoken` with an algorithm allowlist of exactly the key's algorithm, so
//! `alg: none`, HMAC tokens and algorithm confusion are refused, as are unknown `kid`s.
//!
//! A rotated key stays in the ring (and the JWKS) until every access token it signed has
//! expired: `retired_at + access-token lifetime`.
//!
//! Verified tokens are remembered ([`KeyRing::verify`]): a client presents the same access
//! token on every request until it refreshes, and the ECDSA verification was a third of the CPU
//! of a `GET /user`. The cache is keyed by a SHA-256 digest of the exact token text together
//! with the issuer and audience it was checked against, so only the same bytes, checked the same
//! way, hit; expiry is checked again on every use; it belongs to one ring, so reloaded keys start
//! with an empty one. What the cache cannot know (a revoked session) is checked by the caller
//! on every request as before.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::{AuthError, Millis};

/// The signing algorithms Lowkey issues. The official client verifies only these two
/// against a JWKS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Es256,
    Rs256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Rs256 => "RS256",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "ES256" => Some(Alg::Es256),
            "RS256" => Some(Alg::Rs256),
            _ => None,
        }
    }
}

/// A signing key as stored: the private half as PKCS#8 DER. Never logged (no `Debug`).
pub struct KeyMaterial {
    pub kid: String,
    pub alg: Alg,
    pub private_pkcs8: Vec<u8>,
    pub created_at: Millis,
    pub retired_at: Option<Millis>,
}

impl KeyMaterial {
    /// A fresh key pair from the system CSPRNG.
    pub fn generate(alg: Alg, now: Millis) -> Result<Self, AuthError> {
        let private_pkcs8 = match alg {
            Alg::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                    .map_err(|_| AuthError::Internal("EC key generation failed".into()))?
                    .as_ref()
                    .to_vec()
            }
            Alg::Rs256 => {
                use aws_lc_rs::encoding::AsDer as _;
                let kp = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| AuthError::Internal("RSA key generation failed".into()))?;
                kp.as_der()
                    .map_err(|_| AuthError::Internal("RSA key encoding failed".into()))?
                    .as_ref()
                    .to_vec()
            }
        };
        let mut id = [0u8; 12];
        crate::password::fill_random(&mut id)?;
        Ok(Self {
            kid: B64.encode(id),
            alg,
            private_pkcs8,
            created_at: now,
            retired_at: None,
        })
    }
}

enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

struct LoadedKey {
    kid: String,
    alg: Alg,
    signer: Signer,
    jwk: serde_json::Value,
    decoding: DecodingKey,
    retired_at: Option<Millis>,
}

/// The `amr` entry of GoTrue's claims.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Amr {
    pub method: String,
    pub timestamp: i64,
}

/// The claims of a Lowkey access token (GoTrue's set).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub sub: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub app_metadata: serde_json::Value,
    #[serde(default)]
    pub user_metadata: serde_json::Value,
    pub role: String,
    #[serde(default)]
    pub aal: String,
    #[serde(default)]
    pub amr: Vec<Amr>,
    /// Empty for service-role tokens, which belong to no session.
    #[serde(default)]
    pub session_id: String,
    #[serde(default)]
    pub is_anonymous: bool,
}

/// How many verified tokens a ring remembers. At the cap, expired entries are dropped, and if
/// that frees nothing the cache starts over (a token is then verified once more).
const VERIFIED_CAPACITY: usize = 16_384;

/// Seconds of clock skew accepted on `exp`.
const LEEWAY_SECS: u64 = 5;

/// The keys in force: the newest unretired one signs; all of them verify.
pub struct KeyRing {
    keys: Vec<LoadedKey>,
    verified: Mutex<HashMap<[u8; 32], AccessClaims>>,
}

impl KeyRing {
    /// Loads the keys that can still verify a live token at `now`. Fails when none can sign.
    pub fn load(
        material: &[KeyMaterial],
        now: Millis,
        token_ttl_secs: i64,
    ) -> Result<Self, AuthError> {
        let mut keys = Vec::new();
        let mut sorted: Vec<&KeyMaterial> = material.iter().collect();
        sorted.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        for m in sorted {
            if let Some(retired) = m.retired_at {
                if retired + token_ttl_secs * 1000 < now {
                    continue;
                }
            }
            keys.push(load_key(m)?);
        }
        if !keys.iter().any(|k| k.retired_at.is_none()) {
            return Err(AuthError::Internal("no active signing key".into()));
        }
        Ok(Self {
            keys,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// The JWKS document: public keys only.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// The `kid` of the key that signs new tokens.
    pub fn active_kid(&self) -> &str {
        self.active().map(|k| k.kid.as_str()).unwrap_or("")
    }

    fn active(&self) -> Option<&LoadedKey> {
        self.keys.iter().find(|k| k.retired_at.is_none())
    }

    /// Signs `claims` with the active key.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, AuthError> {
        let key = self
            .active()
            .ok_or_else(|| AuthError::Internal("no active signing key".into()))?;
        let header = serde_json::json!({ "alg": key.alg.as_str(), "kid": key.kid, "typ": "JWT" });
        let mut token = B64.encode(serde_json::to_vec(&header).map_err(AuthError::internal)?);
        token.push('.');
        token.push_str(&B64.encode(serde_json::to_vec(claims).map_err(AuthError::internal)?));
        let rng = SystemRandom::new();
        let signature = match &key.signer {
            Signer::Ec(kp) => kp
                .sign(&rng, token.as_bytes())
                .map_err(|_| AuthError::Internal("signing failed".into()))?
                .as_ref()
                .to_vec(),
            Signer::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut sig)
                    .map_err(|_| AuthError::Internal("signing failed".into()))?;
                sig
            }
        };
        token.push('.');
        token.push_str(&B64.encode(signature));
        Ok(token)
    }

    /// Verifies signature, algorithm, `kid`, `exp`, `iss` and `aud`; returns the claims. A
    /// token verified before by this ring with the same issuer and audience is not verified
    /// again, but its `exp` is checked again against the clock.
    pub fn verify(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<AccessClaims, AuthError> {
        self.verify_at(token, issuer, audience, unix_secs())
    }

    fn verify_at(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        now_secs: u64,
    ) -> Result<AccessClaims, AuthError> {
        let key = cache_key(token, issuer, audience);
        let cached = self.cache().get(&key).cloned();
        if let Some(claims) = cached {
            if unexpired(&claims, now_secs) {
                return Ok(claims);
            }
            self.cache().remove(&key);
            return Err(AuthError::BadJwt("ExpiredSignature".into()));
        }
        let claims = self.verify_signature(token, issuer, audience)?;
        if !unexpired(&claims, now_secs) {
            return Err(AuthError::BadJwt("ExpiredSignature".into()));
        }
        let mut cache = self.cache();
        if cache.len() >= VERIFIED_CAPACITY {
            cache.retain(|_, c| unexpired(c, now_secs));
            if cache.len() >= VERIFIED_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(key, claims.clone());
        Ok(claims)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], AccessClaims>> {
        // A panic while holding the lock cannot leave a half-written entry (inserts and
        // removals are single calls), so a poisoned cache is still sound.
        self.verified.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn verify_signature(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<AccessClaims, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::BadJwt(e.to_string()))?;
        let kid = header
            .kid
            .ok_or_else(|| AuthError::BadJwt("token has no kid".into()))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| AuthError::BadJwt("unknown signing key".into()))?;
        let alg = match key.alg {
            Alg::Es256 => Algorithm::ES256,
            Alg::Rs256 => Algorithm::RS256,
        };
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = LEEWAY_SECS;
        validation.set_audience(&[audience]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
            .map_err(|e| AuthError::BadJwt(e.to_string()))?;
        Ok(data.claims)
    }
}

/// `exp` not passed, with [`LEEWAY_SECS`] of skew (the rule `jsonwebtoken` applies).
fn unexpired(claims: &AccessClaims, now_secs: u64) -> bool {
    i128::from(claims.exp) >= i128::from(now_secs) - i128::from(LEEWAY_SECS)
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// SHA-256 over the issuer, the audience and the token, each length-prefixed so no two
/// different triples give the same input.
fn cache_key(token: &str, issuer: &str, audience: &str) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in [issuer, audience, token] {
        ctx.update(&(part.len() as u64).to_le_bytes());
        ctx.update(part.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn load_key(m: &KeyMaterial) -> Result<LoadedKey, AuthError> {
    let bad = |what: &str| {
        AuthError::Internal(format!("stored signing key {} is unusable: {what}", m.kid))
    };
    match m.alg {
        Alg::Es256 => {
            let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &m.private_pkcs8)
                .map_err(|_| bad("not a P-256 PKCS#8 key"))?;
            let point = kp.public_key().as_ref();
            // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
            if point.len() != 65 || point[0] != 4 {
                return Err(bad("unexpected public point encoding"));
            }
            let (x, y) = (B64.encode(&point[1..33]), B64.encode(&point[33..65]));
            let decoding =
                DecodingKey::from_ec_components(&x, &y).map_err(|_| bad("public key"))?;
            let jwk = serde_json::json!({
                "kty": "EC", "crv": "P-256", "x": x, "y": y,
                "kid": m.kid, "alg": "ES256", "use": "sig", "key_ops": ["verify"],
            });
            Ok(LoadedKey {
                kid: m.kid.clone(),
                alg: m.alg,
                signer: Signer::Ec(kp),
                jwk,
                decoding,
                retired_at: m.retired_at,
            })
        }
        Alg::Rs256 => {
            let kp = RsaKeyPair::from_pkcs8(&m.private_pkcs8)
                .map_err(|_| bad("not an RSA PKCS#8 key"))?;
            let public = kp.public_key();
            let n = B64.encode(public.modulus().big_endian_without_leading_zero());
            let e = B64.encode(public.exponent().big_endian_without_leading_zero());
            let decoding =
                DecodingKey::from_rsa_components(&n, &e).map_err(|_| bad("public key"))?;
            let jwk = serde_json::json!({
                "kty": "RSA", "n": n, "e": e,
                "kid": m.kid, "alg": "RS256", "use": "sig", "key_ops": ["verify"],
            });
            Ok(LoadedKey {
                kid: m.kid.clone(),
                alg: m.alg,
                signer: Signer::Rsa(kp),
                jwk,
                decoding,
                retired_at: m.retired_at,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "http://localhost/auth/v1";

    fn claims(exp_in: i64) -> AccessClaims {
        let now = crate::now_millis() / 1000;
        AccessClaims {
            iss: ISS.into(),
            aud: "authenticated".into(),
            exp: now + exp_in,
            iat: now,
            sub: "u1".into(),
            email: "a@b.co".into(),
            phone: String::new(),
            app_metadata: serde_json::json!({}),
            user_metadata: serde_json::json!({}),
            role: "authenticated".into(),
            aal: "aal1".into(),
            amr: vec![],
            session_id: "s1".into(),
            is_anonymous: false,
        }
    }

    fn ring(alg: Alg) -> KeyRing {
        KeyRing::load(&[KeyMaterial::generate(alg, 1).unwrap()], 2, 3600).unwrap()
    }

    #[test]
    fn es256_and_rs256_tokens_round_trip() {
        for alg in [Alg::Es256, Alg::Rs256] {
            let ring = ring(alg);
            let token = ring.sign(&claims(60)).unwrap();
            let got = ring.verify(&token, ISS, "authenticated").unwrap();
            assert_eq!(got, claims(60).clone_with_times(got.iat, got.exp));
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(ring.active_kid()));
        }
    }

    impl AccessClaims {
        fn clone_with_times(mut self, iat: i64, exp: i64) -> Self {
            self.iat = iat;
            self.exp = exp;
            self
        }
    }

    #[test]
    fn expired_wrong_audience_and_wrong_issuer_are_refused() {
        let ring = ring(Alg::Es256);
        let expired = ring.sign(&claims(-120)).unwrap();
        assert!(matches!(
            ring.verify(&expired, ISS, "authenticated"),
            Err(AuthError::BadJwt(_))
        ));
        let ok = ring.sign(&claims(60)).unwrap();
        assert!(ring.verify(&ok, ISS, "other").is_err());
        assert!(ring
            .verify(&ok, "http://evil/auth/v1", "authenticated")
            .is_err());
    }

    #[test]
    fn alg_none_hmac_and_unknown_kid_are_refused() {
        let ring = ring(Alg::Es256);
        let body = B64.encode(serde_json::to_vec(&claims(60)).unwrap());
        let kid = ring.active_kid().to_string();
        let none = format!(
            "{}.{body}.",
            B64.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#))
        );
        assert!(ring.verify(&none, ISS, "authenticated").is_err());
        let hs = jsonwebtoken::encode(
            &{
                let mut h = jsonwebtoken::Header::new(Algorithm::HS256);
                h.kid = Some(kid.clone());
                h
            },
            &claims(60),
            &jsonwebtoken::EncodingKey::from_secret(b"guessable"),
        )
        .unwrap();
        assert!(ring.verify(&hs, ISS, "authenticated").is_err());
        let other = self::ring(Alg::Es256).sign(&claims(60)).unwrap();
        assert!(ring.verify(&other, ISS, "authenticated").is_err());
    }

    #[test]
    fn a_remembered_token_still_expires_and_only_its_exact_bytes_hit() {
        let ring = ring(Alg::Es256);
        let now = unix_secs();
        let token = ring.sign(&claims(30)).unwrap();
        let first = ring.verify_at(&token, ISS, "authenticated", now).unwrap();
        assert_eq!(ring.cache().len(), 1);
        // Remembered: the same claims, without a second verification.
        assert_eq!(
            ring.verify_at(&token, ISS, "authenticated", now).unwrap(),
            first
        );
        // Checked the same way only: another audience or issuer is verified (and refused).
        assert!(ring.verify_at(&token, ISS, "other", now).is_err());
        assert!(ring
            .verify_at(&token, "http://evil/auth/v1", "authenticated", now)
            .is_err());
        // A changed signature is other bytes: verified, and refused.
        let (head, sig) = token.rsplit_once('.').unwrap();
        let mut sig = sig.as_bytes().to_vec();
        sig[3] = if sig[3] == b'A' { b'B' } else { b'A' };
        let forged = format!("{head}.{}", String::from_utf8(sig).unwrap());
        assert!(ring.verify_at(&forged, ISS, "authenticated", now).is_err());
        // Within the leeway it still passes; past it, the remembered token is refused and
        // forgotten.
        assert!(ring
            .verify_at(&token, ISS, "authenticated", now + 30 + LEEWAY_SECS)
            .is_ok());
        let late = now + 31 + LEEWAY_SECS;
        assert!(matches!(
            ring.verify_at(&token, ISS, "authenticated", late),
            Err(AuthError::BadJwt(_))
        ));
        assert!(ring.cache().is_empty());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let ring = ring(Alg::Es256);
        let now = unix_secs();
        let token = ring.sign(&claims(60)).unwrap();
        ring.verify_at(&token, ISS, "authenticated", now).unwrap();
        {
            let mut cache = ring.cache();
            let c = cache.values().next().unwrap().clone();
            for i in 0..VERIFIED_CAPACITY as u64 {
                cache.insert(cache_key(&i.to_string(), ISS, "x"), c.clone());
            }
        }
        let other = ring.sign(&claims(61)).unwrap();
        ring.verify_at(&other, ISS, "authenticated", now).unwrap();
        assert!(ring.cache().len() <= VERIFIED_CAPACITY);
        assert!(ring.verify_at(&other, ISS, "authenticated", now).is_ok());
    }

    #[test]
    fn a_tampered_payload_fails_the_signature() {
        let ring = ring(Alg::Es256);
        let token = ring.sign(&claims(60)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let mut c = claims(60);
        c.role = "service_role".into();
        parts[1] = B64.encode(serde_json::to_vec(&c).unwrap());
        assert!(ring.verify(&parts.join("."), ISS, "authenticated").is_err());
    }

    #[test]
    fn a_retired_key_verifies_until_its_tokens_expire_then_leaves_the_jwks() {
        let old = KeyMaterial::generate(Alg::Es256, 1).unwrap();
        let old_token = KeyRing::load(
            &[KeyMaterial {
                retired_at: None,
                ..clone(&old)
            }],
            1,
            3600,
        )
        .unwrap()
        .sign(&claims(60))
        .unwrap();
        let new = KeyMaterial::generate(Alg::Es256, 2).unwrap();
        let retired = KeyMaterial {
            retired_at: Some(1_000),
            ..clone(&old)
        };
        let ring = KeyRing::load(&[clone(&retired), clone(&new)], 2_000, 3600).unwrap();
        assert_eq!(ring.active_kid(), new.kid);
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 2);
        ring.verify(&old_token, ISS, "authenticated").unwrap();
        let later = KeyRing::load(&[retired, clone(&new)], 1_000 + 3_601_000, 3600).unwrap();
        assert_eq!(later.jwks()["keys"].as_array().unwrap().len(), 1);
        assert!(later.verify(&old_token, ISS, "authenticated").is_err());
    }

    fn clone(k: &KeyMaterial) -> KeyMaterial {
        KeyMaterial {
            kid: k.kid.clone(),
            alg: k.alg,
            private_pkcs8: k.private_pkcs8.clone(),
            created_at: k.created_at,
            retired_at: k.retired_at,
        }
    }

    #[test]
    fn the_jwks_holds_no_private_material() {
        let ring = ring(Alg::Es256);
        let jwks = ring.jwks().to_string();
        assert!(!jwks.contains("\"d\""), "{jwks}");
    }
}
