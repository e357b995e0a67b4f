//! A per-client-IP token bucket for `/token` (GoTrue's defaults: a burst of 30, refilled at
//! 150 per 5 minutes). In memory: each instance limits on its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use lowkey_core::AuthError;

pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `refill_per_5min` tokens return every five minutes, up to `burst`.
    pub fn new(burst: u32, refill_per_5min: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(refill_per_5min) / 300.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), AuthError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().map_err(AuthError::internal)?;
        if buckets.len() > 100_000 {
            // Forget clients whose bucket has refilled: they would start full anyway.
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
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
}
