//! Password policy and hashing.
//!
//! Hashing is Argon2id with OWASP's minimum parameters by default (m = 19456 KiB, t = 2,
//! p = 1). It runs on tokio's blocking pool behind a semaphore sized to the CPU count, so a
//! burst of sign-ins queues instead of starving the async workers or over-committing memory
//! (each hash holds m KiB). The m KiB working memory of each hash comes from a small pool of
//! buffers that are reused, never freed: allocating and freeing 19 MiB per hash made glibc's
//! malloc keep hundreds of MiB in per-thread arenas after a burst of sign-ins (measured in
//! `bench/`), while the pool holds at most one buffer per permit. The policy follows ASVS 5.0 §6.2: at least 8 characters, long
//! passwords allowed, no composition rules, common passwords refused.

use std::sync::Arc;

use std::sync::Mutex;

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD as PHC_B64;
use base64::Engine as _;
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
    /// Argon2 working memory, reused across hashes (at most one buffer per permit).
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
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
            buffers: Arc::default(),
        })
    }

    /// The PHC string of `password`, computed on the blocking pool.
    pub async fn hash(&self, password: Secret) -> Result<String, AuthError> {
        let params = self.params;
        self.with_memory(move |mem| hash_with(params, &password, mem))
            .await
    }

    /// Verifies `password` against `phc`, or against the dummy hash when `phc` is `None`
    /// (unknown user): the answer is then always `false`, after the same amount of work.
    pub async fn verify(&self, password: Secret, phc: Option<String>) -> Result<bool, AuthError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = self
            .with_memory(move |mem| verify_with(&phc, &password, mem))
            .await?;
        Ok(known && ok)
    }

    /// Runs `work` on the blocking pool with a pooled memory buffer, at most `permits` at once.
    async fn with_memory<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self.permits.acquire().await.map_err(AuthError::internal)?;
        let mut mem = self
            .buffers
            .lock()
            .map_err(AuthError::internal)?
            .pop()
            .unwrap_or_default();
        let (result, mem) = tokio::task::spawn_blocking(move || {
            let result = work(&mut mem);
            (result, mem)
        })
        .await
        .map_err(AuthError::internal)?;
        self.buffers.lock().map_err(AuthError::internal)?.push(mem);
        result
    }
}

/// Hashes on the current thread with a fresh buffer (the CLI and benchmarks use this).
pub fn hash_blocking(params: HashParams, password: &Secret) -> Result<String, AuthError> {
    hash_with(params, password, &mut Vec::new())
}

/// Argon2id into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), using `mem`.
fn hash_with(
    params: HashParams,
    password: &Secret,
    mem: &mut Vec<Block>,
) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let mut out = [0u8; 32];
    fill(
        argon2_with(params)?,
        password.expose().as_bytes(),
        &salt,
        &mut out,
        mem,
    )?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        PHC_B64.encode(salt),
        PHC_B64.encode(out)
    ))
}

/// Verifies with the parameters recorded in the hash, so raising the defaults later does not
/// lock anyone out. The comparison is constant-time (`Output`'s equality).
fn verify_with(phc: &str, password: &Secret, mem: &mut Vec<Block>) -> Result<bool, AuthError> {
    let parsed = PasswordHash::new(phc).map_err(AuthError::internal)?;
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return Err(AuthError::Internal(format!(
            "unsupported password hash algorithm {}",
            parsed.algorithm
        )));
    }
    let params = Params::try_from(&parsed).map_err(AuthError::internal)?;
    let expected = parsed
        .hash
        .ok_or_else(|| AuthError::Internal("password hash without output".into()))?;
    let mut salt_buf = [0u8; 64];
    let salt = parsed
        .salt
        .ok_or_else(|| AuthError::Internal("password hash without salt".into()))?
        .decode_b64(&mut salt_buf)
        .map_err(AuthError::internal)?;
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    fill(argon, password.expose().as_bytes(), salt, &mut out, mem)?;
    Ok(Output::new(&out).map_err(AuthError::internal)? == expected)
}

fn fill(
    argon: Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    mem: &mut Vec<Block>,
) -> Result<(), AuthError> {
    let needed = argon.params().block_count();
    if mem.len() < needed {
        mem.resize(needed, Block::default());
    }
    argon
        .hash_password_into_with_memory(password, salt, out, &mut mem[..])
        .map_err(AuthError::internal)
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

    #[test]
    fn our_phc_strings_interoperate_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
        let ours = hash_blocking(cheap(), &Secret::new("interop password")).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"interop password", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"other password", &parsed)
            .is_err());
        let theirs = argon2_with(cheap())
            .unwrap()
            .hash_password(
                b"interop password",
                &SaltString::encode_b64(&[7u8; 16]).unwrap(),
            )
            .unwrap()
            .to_string();
        let mut mem = Vec::new();
        assert!(verify_with(&theirs, &Secret::new("interop password"), &mut mem).unwrap());
        assert!(!verify_with(&theirs, &Secret::new("other password"), &mut mem).unwrap());
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
