//! Users, sessions, and the per-account sign-in throttle.

use serde_json::Value;
use uuid::Uuid;

use crate::Millis;

/// A user of the built-in provider. Not `Serialize`: the wire shape lives at the HTTP edge.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub phone: String,
    /// Argon2id PHC string; `None` for users who cannot sign in with a password.
    pub password_hash: Option<crate::Secret>,
    pub role: String,
    pub email_confirmed_at: Option<Millis>,
    pub banned_until: Option<Millis>,
    pub last_sign_in_at: Option<Millis>,
    pub app_metadata: Value,
    pub user_metadata: Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl User {
    pub fn is_banned(&self, now: Millis) -> bool {
        self.banned_until.is_some_and(|until| until > now)
    }
}

/// A signed-in session (one per successful password grant).
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: Millis,
    /// When the password was verified: the `amr` timestamp.
    pub authenticated_at: Millis,
}

/// `POST /logout?scope=…`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope {
    /// Every session of the user (GoTrue's default).
    Global,
    /// The current session only.
    Local,
    /// Every session but the current one.
    Others,
}

impl LogoutScope {
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s {
            None | Some("global") | Some("") => Some(LogoutScope::Global),
            Some("local") => Some(LogoutScope::Local),
            Some("others") => Some(LogoutScope::Others),
            Some(_) => None,
        }
    }
}

/// The per-account progressive delay after failed passwords.
///
/// Counted per normalised e-mail address whether or not an account exists, so the delay
/// itself reveals nothing about who is registered. The first `free_failures` failures cost
/// nothing (a user who mistypes signs in at once); each further one doubles the wait, up to
/// `max_delay_ms`. A success resets the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub free_failures: u32,
    pub base_delay_ms: i64,
    pub max_delay_ms: i64,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            free_failures: 4,
            base_delay_ms: 1_000,
            max_delay_ms: 60_000,
        }
    }
}

impl Throttle {
    /// How long sign-in stays closed after the `failures`-th consecutive failure.
    pub fn delay_after(&self, failures: u32) -> i64 {
        if failures <= self.free_failures {
            return 0;
        }
        let exponent = (failures - self.free_failures - 1).min(30);
        self.base_delay_ms
            .saturating_mul(1i64 << exponent)
            .min(self.max_delay_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_starts_at_the_fifth_failure_doubles_and_is_capped() {
        let t = Throttle::default();
        assert_eq!(
            (1..=4).map(|n| t.delay_after(n)).collect::<Vec<_>>(),
            vec![0, 0, 0, 0]
        );
        assert_eq!(t.delay_after(5), 1_000);
        assert_eq!(t.delay_after(6), 2_000);
        assert_eq!(t.delay_after(7), 4_000);
        assert_eq!(t.delay_after(20), 60_000);
        assert_eq!(t.delay_after(u32::MAX), 60_000);
    }

    #[test]
    fn logout_scopes_parse_like_gotrue() {
        assert_eq!(LogoutScope::parse(None), Some(LogoutScope::Global));
        assert_eq!(LogoutScope::parse(Some("local")), Some(LogoutScope::Local));
        assert_eq!(
            LogoutScope::parse(Some("others")),
            Some(LogoutScope::Others)
        );
        assert_eq!(LogoutScope::parse(Some("everyone")), None);
    }
}
