//! Caps on query runs in progress: server-wide and per client address (IPv6: per /64).
//!
//! Every run can hold an outbound socket and up to the response-size limit of memory for as
//! long as its timeout (60 s at most), so without a cap a flood of runs against a slow
//! upstream exhausted file descriptors. Over a cap the run is refused at once (no queue):
//! 503 server-wide, 429 for one client, both with `Retry-After`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::client_ip::bucket;
use crate::query::RunError;

pub struct RunLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    max_total: usize,
    max_per_client: usize,
    state: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// A run in progress; dropping it frees its place.
pub struct RunPermit {
    inner: Arc<Inner>,
    client: IpAddr,
}

impl RunLimiter {
    pub fn new(max_total: usize, max_per_client: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                max_total,
                max_per_client,
                state: Mutex::new(Counts::default()),
            }),
        }
    }

    pub fn try_acquire(&self, client: IpAddr) -> Result<RunPermit, RunError> {
        let client = bucket(client);
        let mut counts = self
            .inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.total >= self.inner.max_total {
            return Err(RunError::ServerBusy);
        }
        let mine = counts.per_client.entry(client).or_insert(0);
        if *mine >= self.inner.max_per_client {
            return Err(RunError::ClientBusy);
        }
        *mine += 1;
        counts.total += 1;
        Ok(RunPermit {
            inner: self.inner.clone(),
            client,
        })
    }
}

impl Drop for RunPermit {
    fn drop(&mut self) {
        let mut counts = self
            .inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                counts.per_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_client_is_capped_but_others_are_not_and_a_dropped_run_frees_its_place() {
        let l = RunLimiter::new(10, 2);
        let a1 = l.try_acquire(ip("10.0.0.1")).unwrap();
        let _a2 = l.try_acquire(ip("10.0.0.1")).unwrap();
        assert!(matches!(
            l.try_acquire(ip("10.0.0.1")),
            Err(RunError::ClientBusy)
        ));
        let _b = l.try_acquire(ip("10.0.0.2")).unwrap();
        drop(a1);
        let _a3 = l.try_acquire(ip("10.0.0.1")).unwrap();
    }

    #[test]
    fn the_server_wide_cap_holds_across_clients() {
        let l = RunLimiter::new(2, 2);
        let _a = l.try_acquire(ip("10.0.0.1")).unwrap();
        let _b = l.try_acquire(ip("10.0.0.2")).unwrap();
        assert!(matches!(
            l.try_acquire(ip("10.0.0.3")),
            Err(RunError::ServerBusy)
        ));
    }

    #[test]
    fn one_ipv6_64_is_one_client() {
        let l = RunLimiter::new(10, 1);
        let _a = l.try_acquire(ip("2001:db8::1")).unwrap();
        assert!(matches!(
            l.try_acquire(ip("2001:db8::2")),
            Err(RunError::ClientBusy)
        ));
        let _b = l.try_acquire(ip("2001:db8:0:1::1")).unwrap();
    }
}
