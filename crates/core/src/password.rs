//! Password policy and hashing.
//!
//! Hashing is Argon2id with OWASP's minimum parameters by default (m = 19456 KiB, t = 2,
//! p = 1). It runs on tokio's blocking pool behind a semaphore sized to the CPU count, so a
//! burst of sign-ins queues instead of starving the async workers or over-committing memory
//! (each hash holds m KiB). The policy follows ASVS 5.0 §6.2: at least 8 characters, long
//! passwords allowed, no composition rules, common passwords refused.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::{AuthError, Secret};

/// Shortest accepted password (ASVS 6.2.1).
pub const MIN_LEN: usize = 8;
/// Longest accepted password, in characters. Far above ASVS's "at least 64 allowed"; the cap
/// only bounds the work an attacker can make one request cost.
pub const MAX_LEN: usize = 1024;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB (OWASP minimum 19456).
    pub memory_kib: u32,
    /// Passes over memory (OWASP minimum 2 at 19 MiB).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Checks a new password against the policy. Returns `weak_password` with GoTrue's reasons.
pub fn check_strength(password: &str) -> Result<(), AuthError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(AuthError::WeakPassword {
            message: format!("Password should be at least {MIN_LEN} characters."),
            reasons: vec!["length"],
        });
    }
    if len > MAX_LEN {
        return Err(AuthError::WeakPassword {
            message: format!("Password should be at most {MAX_LEN} characters."),
            reasons: vec!["length"],
        });
    }
    if is_common(password) {
        return Err(AuthError::WeakPassword {
            message:
                "Password is known to be weak and easy to guess, please choose a different one."
                    .into(),
            reasons: vec!["pwned"],
        });
    }
    Ok(())
}

/// True for passwords found at the top of published breach corpora (case-insensitive), and
/// for a single character repeated.
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let mut chars = lower.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return true;
        }
    }
    COMMON
        .lines()
        .map(str::trim)
        .any(|c| !c.is_empty() && c == lower)
}

/// Common passwords of at least 8 characters (shorter ones already fail the length rule).
const COMMON: &str = include_str!("common_passwords.txt");

/// Hashes and verifies passwords off the async threads, at most `permits` at a time.
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    permits: Arc<Semaphore>,
    /// A hash of a random password with the same parameters: verifying an unknown user's
    /// attempt against it costs the same time as a real verification (no enumeration by timing).
    dummy: Arc<String>,
}

impl Hasher {
    pub fn new(params: HashParams, max_concurrent: usize) -> Result<Self, AuthError> {
        let mut random = [0u8; 32];
        fill_random(&mut random)?;
        let dummy = hash_blocking(params, &Secret::new(hex(&random)))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: Arc::new(dummy),
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    /// The PHC string of `password`, computed on the blocking pool.
    pub async fn hash(&self, password: Secret) -> Result<String, AuthError> {
        let _permit = self.permits.acquire().await.map_err(AuthError::internal)?;
        let params = self.params;
        tokio::task::spawn_blocking(move || hash_blocking(params, &password))
            .await
            .map_err(AuthError::internal)?
    }

    /// Verifies `password` against `phc`, or against the dummy hash when `phc` is `None`
    /// (unknown user): the answer is then always `false`, after the same amount of work.
    pub async fn verify(&self, password: Secret, phc: Option<String>) -> Result<bool, AuthError> {
        let _permit = self.permits.acquire().await.map_err(AuthError::internal)?;
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&phc, &password))
            .await
            .map_err(AuthError::internal)??;
        Ok(known && ok)
    }
}

/// Hashes on the current thread (CLI and benchmarks use this directly).
pub fn hash_blocking(params: HashParams, password: &Secret) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(AuthError::internal)?;
    let argon = argon2_with(params)?;
    argon
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AuthError::internal)
}

fn verify_blocking(phc: &str, password: &Secret) -> Result<bool, AuthError> {
    let parsed = PasswordHash::new(phc).map_err(AuthError::internal)?;
    // Verification uses the parameters recorded in the hash, so raising the defaults
    // later does not lock anyone out.
    Ok(Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok())
}

fn argon2_with(p: HashParams) -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| AuthError::Validation(format!("invalid Argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn fill_random(buf: &mut [u8]) -> Result<(), AuthError> {
    aws_lc_rs::rand::fill(buf)
        .map_err(|_| AuthError::Internal("system random generator failed".into()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn short_passwords_are_weak_for_length() {
        let err = check_strength("short7!").unwrap_err();
        assert!(
            matches!(err, AuthError::WeakPassword { ref reasons, .. } if reasons == &["length"])
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for p in [
            "password",
            "Password1",
            "12345678",
            "QWERTYUIOP",
            "aaaaaaaaaa",
        ] {
            let err = check_strength(p).unwrap_err();
            assert!(
                matches!(err, AuthError::WeakPassword { ref reasons, .. } if reasons == &["pwned"]),
                "{p}"
            );
        }
    }

    #[test]
    fn long_passwords_without_composition_rules_are_accepted() {
        check_strength("correct horse battery staple").unwrap();
        check_strength(
            &"x".repeat(63)
                .chars()
                .chain("y".chars())
                .collect::<String>(),
        )
        .unwrap();
        check_strength(&"ab".repeat(100)).unwrap();
        assert!(check_strength(&"ab".repeat(600)).is_err());
    }

    #[test]
    fn default_parameters_are_owasp_minimums() {
        assert_eq!(
            HashParams::default(),
            HashParams {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        let phc = hash_blocking(HashParams::default(), &Secret::new("a fine passphrase")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[tokio::test]
    async fn verify_accepts_the_right_password_only() {
        let h = Hasher::new(cheap(), 2).unwrap();
        let phc = h.hash(Secret::new("right password")).await.unwrap();
        assert!(h
            .verify(Secret::new("right password"), Some(phc.clone()))
            .await
            .unwrap());
        assert!(!h
            .verify(Secret::new("wrong password"), Some(phc))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let h = Hasher::new(cheap(), 1).unwrap();
        assert!(!h
            .verify(Secret::new("anything at all"), None)
            .await
            .unwrap());
    }
}
