//! Refresh tokens: generation, hashing and the rotation rules.
//!
//! A refresh token is 256 bits from the system CSPRNG (GoTrue's legacy tokens carry 60),
//! handed out once and stored only as its SHA-256 digest: a slow hash buys nothing for a
//! uniformly random 256-bit value, and the digest makes a leaked database useless for
//! replay. Every use rotates it. The rules for a token that was already rotated follow
//! GoTrue (and RFC 9700 §4.14.2 on reuse detection): see [`decide`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;

use crate::{AuthError, Millis, Secret};

/// A new random refresh token and the digest to store.
pub fn generate() -> Result<(Secret, String), AuthError> {
    let mut bytes = [0u8; 32];
    crate::password::fill_random(&mut bytes)?;
    let token = B64.encode(bytes);
    let digest = digest(&token);
    Ok((Secret::new(token), digest))
}

/// The stored form of a refresh token.
pub fn digest(token: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    crate::password::hex(d.as_ref())
}

/// Whether a presented value could be a refresh token at all (before any lookup).
pub fn is_well_formed(token: &str) -> bool {
    !token.is_empty() && token.len() <= 256 && token.bytes().all(|b| b.is_ascii_graphic())
}

/// What the store knows of one refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenState {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// Set when the token was rotated (exchanged for a child).
    pub rotated_at: Option<Millis>,
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The token is the session's current one: rotate it into a child.
    Rotate,
    /// An already rotated token whose reuse is forgiven — it is the immediate parent of the
    /// current token (the client lost the answer), or it was rotated less than the reuse
    /// interval ago (concurrent tabs). The session's *current* token is rotated instead, so
    /// the chain never branches.
    RotateCurrent,
    /// Any other reuse: the token was probably stolen. Revoke the whole session.
    RevokeSession,
}

/// Applies the reuse rules. `current` is the session's unrotated token, if any.
pub fn decide(
    presented: &TokenState,
    current: Option<&TokenState>,
    now: Millis,
    reuse_interval_ms: i64,
) -> Decision {
    let Some(rotated_at) = presented.rotated_at else {
        return Decision::Rotate;
    };
    let Some(current) = current else {
        return Decision::RevokeSession;
    };
    let is_parent_of_current = current.parent_id == Some(presented.id);
    let within_interval = now - rotated_at < reuse_interval_ms;
    if is_parent_of_current || within_interval {
        Decision::RotateCurrent
    } else {
        Decision::RevokeSession
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(id: i64, parent: Option<i64>, rotated_at: Option<Millis>) -> TokenState {
        TokenState {
            id,
            parent_id: parent,
            rotated_at,
        }
    }

    #[test]
    fn tokens_carry_256_bits_and_are_stored_as_a_digest() {
        let (a, da) = generate().unwrap();
        let (b, _) = generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(B64.decode(a.expose()).unwrap().len(), 32);
        assert_eq!(da, digest(a.expose()));
        assert_eq!(da.len(), 64);
        assert!(!da.contains(a.expose()));
    }

    #[test]
    fn the_current_token_rotates() {
        assert_eq!(
            decide(&tok(1, None, None), None, 0, 10_000),
            Decision::Rotate
        );
    }

    #[test]
    fn the_immediate_parent_is_forgiven_even_after_the_interval() {
        let parent = tok(1, None, Some(0));
        let current = tok(2, Some(1), None);
        assert_eq!(
            decide(&parent, Some(&current), 3_600_000, 10_000),
            Decision::RotateCurrent
        );
    }

    #[test]
    fn an_older_token_is_forgiven_only_within_the_interval() {
        let grandparent = tok(1, None, Some(1_000));
        let current = tok(3, Some(2), None);
        assert_eq!(
            decide(&grandparent, Some(&current), 5_000, 10_000),
            Decision::RotateCurrent
        );
        assert_eq!(
            decide(&grandparent, Some(&current), 11_001, 10_000),
            Decision::RevokeSession
        );
    }

    #[test]
    fn malformed_values_are_recognised_before_lookup() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("has space"));
        assert!(!is_well_formed(&"a".repeat(300)));
        assert!(is_well_formed("abcDEF123-_"));
    }
}
