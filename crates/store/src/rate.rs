//! The token bucket behind [`crate::Store::take_rate_token`], as a pure rule both backends
//! apply inside their own atomic step (so the arithmetic is written once).
//!
//! A bucket holds up to `capacity` tokens and gains `refill_per_sec` of them each second; a
//! request takes one, or is refused when less than one is there. A bucket nobody stored yet is
//! full, so a full bucket may be forgotten without changing any answer.

use std::sync::atomic::{AtomicU64, Ordering};

use lowkey_core::Millis;

/// A bucket as stored: its tokens at `updated_at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    pub tokens: f64,
    pub updated_at: Millis,
}

/// Tries to take one token from `bucket` (`None`: never used, so full) at `now`: whether one
/// was taken, and the bucket to store.
pub(crate) fn take(
    bucket: Option<Bucket>,
    capacity: f64,
    refill_per_sec: f64,
    now: Millis,
) -> (bool, Bucket) {
    let capacity = capacity.max(0.0);
    let refill = refill_per_sec.max(0.0);
    let available = match bucket {
        None => capacity,
        Some(b) => {
            // Instances' clocks differ a little: time going backwards mints nothing.
            let elapsed_ms = now.saturating_sub(b.updated_at).max(0) as f64;
            (b.tokens + elapsed_ms * refill / 1000.0).min(capacity)
        }
    };
    let updated_at = bucket.map_or(now, |b| b.updated_at.max(now));
    if available >= 1.0 {
        (
            true,
            Bucket {
                tokens: available - 1.0,
                updated_at,
            },
        )
    } else {
        (
            false,
            Bucket {
                tokens: available,
                updated_at,
            },
        )
    }
}

/// Forget full buckets after this many takes through one store handle: often enough that
/// the table stays the size of the recently active addresses, rarely enough to cost nothing.
const FORGET_EVERY: u64 = 256;

/// Counts a store handle's takes and says when it is time to forget full buckets (at the
/// first take, then every [`FORGET_EVERY`]).
#[derive(Debug, Default)]
pub(crate) struct Forgetting(AtomicU64);

impl Forgetting {
    /// Counts one take; whether this one should also forget the full buckets.
    pub(crate) fn due(&self) -> bool {
        self.0
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(FORGET_EVERY)
    }
}

/// Deletes the buckets that are full at `$1` (now), each by its own capacity and rate. The
/// same text runs on both backends (SQLite reads `$1` as the first parameter).
pub(crate) const FORGET_FULL: &str =
    "delete from rate_bucket where tokens + ($1 - updated_at) * refill_per_sec / 1000.0 >= capacity";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_bucket_is_full_and_empties_one_token_at_a_time() {
        let (mut taken, mut b) = take(None, 3.0, 1.0, 1_000);
        assert!(taken);
        for _ in 0..2 {
            (taken, b) = take(Some(b), 3.0, 1.0, 1_000);
            assert!(taken);
        }
        (taken, b) = take(Some(b), 3.0, 1.0, 1_000);
        assert!(!taken, "empty");
        assert_eq!(b.tokens, 0.0);
        // Half a second later half a token is back: still refused, and nothing is lost.
        (taken, b) = take(Some(b), 3.0, 1.0, 1_500);
        assert!(!taken);
        (taken, b) = take(Some(b), 3.0, 1.0, 2_000);
        assert!(taken, "one whole token after a second");
        assert!(b.tokens.abs() < 1e-9);
    }

    #[test]
    fn refill_stops_at_capacity_and_a_clock_going_backwards_mints_nothing() {
        let (_, b) = take(None, 2.0, 1.0, 0);
        let (_, b) = take(Some(b), 2.0, 1.0, 1_000_000);
        assert_eq!(b.tokens, 1.0, "capped at 2, then one taken");
        let (taken, b) = take(Some(Bucket { tokens: 0.0, ..b }), 2.0, 1.0, 0);
        assert!(!taken);
        assert_eq!(b.updated_at, 1_000_000, "the later time is kept");
    }

    #[test]
    fn a_bucket_of_no_capacity_refuses_everything() {
        assert!(!take(None, 0.0, 10.0, 0).0);
        assert!(!take(None, 0.5, 10.0, 0).0);
    }
}
