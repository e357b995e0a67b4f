//! Lowkey's domain: users, passwords, sessions, refresh-token rules and access tokens.
//!
//! This crate knows nothing of HTTP or SQL. The server maps [`AuthError`] to status codes and
//! wire shapes; the store persists the records defined here. Secrets are wrapped in types
//! whose `Debug` cannot print them ([`Secret`]), so a stray `{:?}` never leaks one to a log.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod email;
pub mod error;
pub mod jwt;
pub mod password;
pub mod refresh;
pub mod secret;
pub mod user;

pub use email::Email;
pub use error::AuthError;
pub use secret::Secret;
pub use user::{LogoutScope, Session, User};

/// Milliseconds since the Unix epoch: the one clock representation stored and compared.
pub type Millis = i64;

/// The current time in [`Millis`].
pub fn now_millis() -> Millis {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// RFC 3339 text of a [`Millis`] timestamp, as GoTrue writes its timestamps.
pub fn rfc3339(ms: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
