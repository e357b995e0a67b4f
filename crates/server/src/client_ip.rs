//! Who the client is: the one place that decides a request's client address, for the
//! per-address rate limits and run caps.
//!
//! Without a proxy the client is the TCP peer. Behind proxies (`provider.trust_forwarded_for`)
//! it is the right-most `X-Forwarded-For` entry that is not a trusted proxy: every proxy
//! appends the address it saw, so entries to the left of the first untrusted one were written
//! by the client and prove nothing (taking the left-most lets a client pick its own bucket).
//!
//! A query that calls this server in-process (the built-in provider) carries the browser's
//! address as [`InProcess`], so users behind one proxy do not share one bucket.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// Set by the query runner on requests it serves in-process: the outer request's client.
#[derive(Debug, Clone, Copy)]
pub struct InProcess {
    pub client: IpAddr,
}

/// An address or CIDR range, such as `10.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let base: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(b), IpAddr::V4(i)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(b) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(b), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(b) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }
}

/// How client addresses are found, from the configuration (parsed once at start-up).
#[derive(Debug, Clone, Default)]
pub struct ClientIpPolicy {
    pub trust_forwarded_for: bool,
    pub trusted_proxies: Vec<IpRange>,
}

impl ClientIpPolicy {
    pub fn new(trust_forwarded_for: bool, trusted_proxies: &[String]) -> Result<Self, String> {
        Ok(Self {
            trust_forwarded_for,
            trusted_proxies: trusted_proxies
                .iter()
                .map(|t| IpRange::parse(t))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The client of a request from `peer` carrying `forwarded_for` (all `X-Forwarded-For`
    /// header values, joined in order).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trust_forwarded_for {
            return peer;
        }
        // The peer is the proxy we were told to trust; walk left past further trusted ones.
        let mut client = peer;
        let entries = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else {
                // Garbage from a client: stop at the last address a proxy vouched for.
                return client;
            };
            client = canonical(ip);
            if !self.trusted_proxies.iter().any(|r| r.contains(client)) {
                return client;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, `[v6]` or `[v6]:port`, or `v4:port`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Ok(sa) = entry.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .and_then(|e| e.parse().ok())
}

/// IPv4-mapped IPv6 addresses are the IPv4 client they carry.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The key per-client limits count under: the address for IPv4, its /64 for IPv6 (one
/// subscriber usually holds a whole /64, so per-address buckets would be free to multiply).
pub fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let masked = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(masked))
        }
        v4 => v4,
    }
}

/// The client address of a request, by [`ClientIpPolicy`].
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_of(parts, state)))
    }
}

pub fn client_of(parts: &Parts, state: &AppState) -> IpAddr {
    if let Some(inner) = parts.extensions.get::<InProcess>() {
        return inner.client;
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    state.client_ip.client(peer, &forwarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trust_the_peer_is_the_client_whatever_the_header_says() {
        let p = ClientIpPolicy::new(false, &[]).unwrap();
        assert_eq!(p.client(ip("10.0.0.9"), &["1.2.3.4"]), ip("10.0.0.9"));
    }

    #[test]
    fn behind_one_proxy_the_right_most_entry_is_the_client_not_the_left_most() {
        let p = ClientIpPolicy::new(true, &[]).unwrap();
        // The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
        assert_eq!(
            p.client(ip("10.0.0.9"), &["6.6.6.6, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(p.client(ip("10.0.0.9"), &[]), ip("10.0.0.9"));
    }

    #[test]
    fn trusted_proxies_are_skipped_from_the_right_across_header_lines() {
        let p = ClientIpPolicy::new(true, &["10.0.0.0/8".into(), "fd00::/8".into()]).unwrap();
        assert_eq!(
            p.client(
                ip("10.0.0.9"),
                &["6.6.6.6, 203.0.113.5", "10.1.2.3, fd00::1"]
            ),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_vouched_address() {
        let p = ClientIpPolicy::new(true, &["10.0.0.0/8".into()]).unwrap();
        assert_eq!(
            p.client(ip("10.0.0.9"), &["nonsense, 10.2.2.2"]),
            ip("10.2.2.2")
        );
        assert_eq!(
            p.client(ip("10.0.0.9"), &["203.0.113.9:4711"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            p.client(ip("10.0.0.9"), &["[2001:db8::5]:80"]),
            ip("2001:db8::5")
        );
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(bucket(ip("2001:db8:1:2:ffff::9")), ip("2001:db8:1:2::"));
        assert_ne!(bucket(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(bucket(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn ranges_parse_and_refuse_nonsense() {
        assert!(IpRange::parse("10.0.0.0/8")
            .unwrap()
            .contains(ip("10.200.0.1")));
        assert!(!IpRange::parse("10.0.0.0/8")
            .unwrap()
            .contains(ip("11.0.0.1")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpRange::parse("192.0.2.1")
            .unwrap()
            .contains(ip("192.0.2.1")));
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("example.com").is_err());
    }
}
