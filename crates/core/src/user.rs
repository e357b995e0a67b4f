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

/// The throttle's answer before a password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// Sign-in for this address is closed until then: answer without checking the password.
    Locked { until: Millis },
    /// Go ahead. The attempt is already counted as the `failures`-th consecutive failure,
    /// closing sign-in until `locked_until` (`now` when it is free); a success clears it.
    Admitted { failures: u32, locked_until: Millis },
}

impl Throttle {
    /// The gate before a password is checked, given the address's stored record of
    /// consecutive failures (`(failures, locked_until)`, `None` if there is none).
    ///
    /// The attempt is counted as a failure *before* the password is checked (pessimistically)
    /// and the store writes the returned record in the same transaction that read the old
    /// one. Checking first and counting after the hash would let every one of N parallel
    /// guesses through a gate that none of them had closed yet.
    pub fn admit(&self, record: Option<(u32, Millis)>, now: Millis) -> LoginGate {
        match record {
            Some((_, until)) if until > now => LoginGate::Locked { until },
            _ => {
                let failures = record.map_or(0, |(n, _)| n).saturating_add(1);
                // No delay is no lock at all (0), not a lock until `now`: an attempt that read
                // the clock a moment earlier but took the record's lock later (two sign-ins at
                // once, or instances whose clocks differ slightly) must not find the account
                // locked by a free failure.
                let delay = self.delay_after(failures);
                LoginGate::Admitted {
                    failures,
                    locked_until: if delay > 0 {
                        now.saturating_add(delay)
                    } else {
                        0
                    },
                }
            }
        }
    }

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
    fn a_free_failure_locks_nothing_even_for_an_attempt_that_read_the_clock_earlier() {
        let t = Throttle::default();
        let LoginGate::Admitted {
            failures,
            locked_until,
        } = t.admit(None, 1_000)
        else {
            panic!("the first attempt is admitted");
        };
        assert_eq!((failures, locked_until), (1, 0));
        // A second attempt whose clock reading came a millisecond before the first one's.
        assert!(matches!(
            t.admit(Some((failures, locked_until)), 999),
            LoginGate::Admitted { failures: 2, .. }
        ));
        // A real delay still locks.
        assert!(matches!(
            t.admit(Some((4, 0)), 1_000),
            LoginGate::Admitted {
                locked_until: 2_000,
                ..
            }
        ));
        assert!(matches!(
            t.admit(Some((5, 2_000)), 1_500),
            LoginGate::Locked { until: 2_000 }
        ));
    }

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
    fn the_gate_counts_each_attempt_before_the_password_and_closes_after_the_free_ones() {
        let t = Throttle {
            free_failures: 3,
            base_delay_ms: 1_000,
            max_delay_ms: 60_000,
        };
        let mut record = None;
        let mut admitted = 0;
        for _ in 0..10 {
            match t.admit(record, 5_000) {
                LoginGate::Admitted {
                    failures,
                    locked_until,
                } => {
                    admitted += 1;
                    record = Some((failures, locked_until));
                }
                LoginGate::Locked { until } => assert_eq!(until, 6_000),
            }
        }
        // Three free failures, then the fourth closes the account for everyone after it.
        assert_eq!(admitted, 4);
        assert_eq!(record, Some((4, 6_000)));
        // When the delay has passed the next attempt is let through and doubles it.
        assert_eq!(
            t.admit(record, 6_000),
            LoginGate::Admitted {
                failures: 5,
                locked_until: 8_000
            }
        );
        assert_eq!(
            t.admit(None, 7),
            LoginGate::Admitted {
                failures: 1,
                locked_until: 0
            }
        );
        // A corrupt count saturates instead of overflowing.
        assert!(matches!(
            t.admit(Some((u32::MAX, 0)), i64::MAX),
            LoginGate::Admitted {
                failures: u32::MAX,
                locked_until: i64::MAX
            }
        ));
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
