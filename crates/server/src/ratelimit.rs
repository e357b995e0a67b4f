//! A per-client token bucket for `/token` (GoTrue's defaults: a burst of 30, refilled at
//! 150 per 5 minutes). In memory with SQLite (one instance); in the store when several
//! instances share it (PostgreSQL), so the limit holds across them.
//!
//! Clients are counted by [`client_ip::bucket`]: an IPv4 address, or an IPv6 client's /64,
//! since one subscriber usually holds a whole /64 and could otherwise pick a fresh bucket
//! for every request.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use lowkey_core::{now_millis, AuthError};
use lowkey_store::Store;

use crate::client_ip;

pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    /// The store holding the buckets when instances share it.
    shared: Option<Arc<dyn Store>>,
}

impl RateLimiter {
    /// `refill_per_5min` tokens return every five minutes, up to `burst`.
    pub fn new(burst: u32, refill_per_5min: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(refill_per_5min) / 300.0,
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// The same limit kept in `store` when several instances share it ([`Store::is_shared`]),
    /// else in this process's memory.
    pub fn with_store(mut self, store: &Arc<dyn Store>) -> Self {
        if store.is_shared() {
            self.shared = Some(store.clone());
        }
        self
    }

    /// Takes one token from the bucket of `client`, in the shared store or in memory.
    pub async fn admit(&self, client: IpAddr) -> Result<(), AuthError> {
        let Some(store) = &self.shared else {
            return self.check(client);
        };
        let key = format!("token:{}", client_ip::bucket(client));
        let taken = store
            .take_rate_token(&key, self.burst, self.per_sec, now_millis())
            .await
            .map_err(|e| {
                if e.is_retryable() {
                    AuthError::Unavailable
                } else {
                    AuthError::Internal(e.to_string())
                }
            })?;
        if taken {
            return Ok(());
        }
        let wait = if self.per_sec > 0.0 {
            1.0 / self.per_sec
        } else {
            300.0
        };
        Err(AuthError::RateLimited {
            retry_after_secs: wait.ceil() as u64,
        })
    }

    /// Takes one token from the bucket of `client` (see [`client_ip::bucket`]).
    pub fn check(&self, client: IpAddr) -> Result<(), AuthError> {
        let key = client_ip::bucket(client);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().map_err(AuthError::internal)?;
        if buckets.len() > 100_000 {
            // Forget clients whose bucket has refilled: they would start full anyway.
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst
            });
        }
        let (tokens, at) = buckets.entry(key).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = if self.per_sec > 0.0 {
                (1.0 - *tokens) / self.per_sec
            } else {
                300.0
            };
            Err(AuthError::RateLimited {
                retry_after_secs: wait.ceil() as u64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_client_is_limited_but_others_are_not() {
        let l = RateLimiter::new(3, 150);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            l.check(a).unwrap();
        }
        assert!(matches!(
            l.check(a),
            Err(AuthError::RateLimited {
                retry_after_secs: 2
            })
        ));
        l.check(b).unwrap();
    }

    #[test]
    fn ipv6_clients_share_the_bucket_of_their_64() {
        let l = RateLimiter::new(2, 0);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        l.check(ip("2001:db8:1:2::1")).unwrap();
        l.check(ip("2001:db8:1:2:ffff::2")).unwrap();
        assert!(l.check(ip("2001:db8:1:2::3")).is_err());
        l.check(ip("2001:db8:1:3::1")).unwrap();
        // An IPv4-mapped address is its IPv4 client.
        l.check(ip("192.0.2.1")).unwrap();
        l.check(ip("::ffff:192.0.2.1")).unwrap();
        assert!(l.check(ip("192.0.2.1")).is_err());
    }
}
