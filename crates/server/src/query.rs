//! Executes stored queries: render with the browser's values (lowkey-app), then send the
//! request — in-process for this server's own paths, over HTTP otherwise — with a timeout
//! and a response-size limit.
//!
//! Outbound HTTP resolves names through [`GuardedResolver`], which drops link-local and cloud
//! metadata addresses at connection time (so DNS rebinding cannot slip past a check made
//! earlier); literal IPs and redirect targets are checked before they are followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use lowkey_app::{App, Query, RenderedRequest, SubstitutionError, Target};
use serde_json::{Map, Value};
use tower::ServiceExt as _;

use crate::config::QueryConfig;

/// What the browser gets back.
pub struct QueryResult {
    pub status: u16,
    pub headers: Map<String, Value>,
    pub body: Value,
    pub duration_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Render(#[from] SubstitutionError),
    #[error("the query's address is refused: {0}")]
    AddressRefused(String),
    #[error("the upstream could not be reached: {0}")]
    Unreachable(String),
    #[error("the upstream did not answer within {0} ms")]
    Timeout(u128),
    #[error("the upstream response is larger than {0} bytes")]
    TooLarge(usize),
}

/// The marker error the resolver returns for refused addresses.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to link-local or metadata addresses")]
struct Refused(String);

/// True for addresses queries must not reach unless allowed: link-local ranges (where cloud
/// metadata services live) and the well-known metadata addresses outside them.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_forbidden(IpAddr::V4(v4)))
        }
    }
}

struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| !is_forbidden(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub struct QueryRunner {
    client: reqwest::Client,
    cfg: QueryConfig,
    /// This server's own router, for datasources whose URL is a path.
    local: OnceLock<Router>,
}

impl QueryRunner {
    pub fn new(cfg: QueryConfig) -> anyhow::Result<Self> {
        let mut builder =
            reqwest::Client::builder().user_agent(concat!("lowkey/", env!("CARGO_PKG_VERSION")));
        if !cfg.allow_link_local {
            builder = builder.dns_resolver(Arc::new(GuardedResolver)).redirect(
                reqwest::redirect::Policy::custom(|attempt| {
                    let literal = attempt
                        .url()
                        .host_str()
                        .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok());
                    if literal.is_some_and(is_forbidden) {
                        let url = attempt.url().to_string();
                        attempt.error(Refused(url))
                    } else if attempt.previous().len() >= 5 {
                        attempt.error("too many redirects")
                    } else {
                        attempt.follow()
                    }
                }),
            );
        }
        Ok(Self {
            client: builder.build()?,
            cfg,
            local: OnceLock::new(),
        })
    }

    /// Hands the runner this server's router (once, at start-up).
    pub fn set_local_router(&self, router: Router) {
        let _ = self.local.set(router);
    }

    pub async fn run(
        &self,
        app: &App,
        query: &Query,
        values: &Map<String, Value>,
        peer: SocketAddr,
    ) -> Result<QueryResult, RunError> {
        let secret = |name: &str| std::env::var(format!("LOWKEY_SECRET_{name}")).ok();
        let request = lowkey_app::render(query, &app.datasources, values, &secret)?;
        let started = Instant::now();
        let timeout = request.timeout;
        let sent = match request.target.clone() {
            Target::Local(path) => {
                tokio::time::timeout(timeout, self.send_local(path, request, peer)).await
            }
            Target::Absolute(url) => {
                tokio::time::timeout(timeout, self.send_remote(url, request)).await
            }
        };
        let (status, headers, bytes, content_type) =
            sent.map_err(|_| RunError::Timeout(timeout.as_millis()))??;
        let body = if bytes.is_empty() {
            Value::Null
        } else if content_type.contains("json") {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        Ok(QueryResult {
            status,
            headers,
            body,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    async fn send_local(
        &self,
        path: String,
        req: RenderedRequest,
        peer: SocketAddr,
    ) -> Result<Response, RunError> {
        // A query calling the query API would recurse: only other paths of this server.
        if path.starts_with("/api/") {
            return Err(RunError::AddressRefused(
                "queries cannot call lowkey's own /api/ endpoints".into(),
            ));
        }
        let router = self
            .local
            .get()
            .ok_or_else(|| RunError::Unreachable("server not ready".into()))?
            .clone();
        let mut builder = axum::http::Request::builder()
            .method(req.method.as_str())
            .uri(&path);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let body = match req.body {
            Some(b) => {
                builder = builder.header("content-type", b.content_type);
                Body::from(b.bytes)
            }
            None => Body::empty(),
        };
        let mut request = builder.body(body).map_err(|e| {
            RunError::Render(SubstitutionError::InvalidUrl {
                reason: e.to_string(),
            })
        })?;
        // The caller's address, so per-IP limits apply to the browser, not to lowkey itself.
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = router
            .oneshot(request)
            .await
            .map_err(|e| RunError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = header_map(response.headers());
        let content_type = content_type(response.headers());
        let bytes = axum::body::to_bytes(response.into_body(), self.cfg.max_response_bytes)
            .await
            .map_err(|_| RunError::TooLarge(self.cfg.max_response_bytes))?;
        Ok((status, headers, bytes.to_vec(), content_type))
    }

    async fn send_remote(&self, url: url::Url, req: RenderedRequest) -> Result<Response, RunError> {
        if !self.cfg.allow_link_local {
            let literal = url
                .host_str()
                .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok());
            if literal.is_some_and(is_forbidden) {
                return Err(RunError::AddressRefused(format!(
                    "{} is a link-local or metadata address",
                    url.host_str().unwrap_or("")
                )));
            }
        }
        let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
            .map_err(|e| RunError::Unreachable(e.to_string()))?;
        let mut builder = self.client.request(method, url);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(b) = req.body {
            builder = builder.header("content-type", b.content_type).body(b.bytes);
        }
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = header_map(response.headers());
        let content_type = content_type(response.headers());
        let limit = self.cfg.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|n| n as usize > limit)
        {
            return Err(RunError::TooLarge(limit));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if bytes.len() + chunk.len() > limit {
                return Err(RunError::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, headers, bytes, content_type))
    }
}

type Response = (u16, Map<String, Value>, Vec<u8>, String);

fn classify(e: reqwest::Error) -> RunError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<Refused>() {
            return RunError::AddressRefused(refused.to_string());
        }
        source = err.source();
    }
    if e.is_timeout() {
        return RunError::Timeout(0);
    }
    // Without the URL: it may carry secrets in its query string.
    RunError::Unreachable(e.without_url().to_string())
}

fn content_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Response headers for the browser, lower-case names; `set-cookie` is dropped (a query's
/// cookies belong to the server's upstream session, not to the page's script).
fn header_map(headers: &axum::http::HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in headers {
        if name == "set-cookie" {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match out.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                out.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_and_metadata_addresses_are_forbidden_but_loopback_and_public_are_not() {
        for bad in [
            "169.254.169.254",
            "169.254.0.1",
            "100.100.100.200",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for ok in ["127.0.0.1", "10.0.0.1", "8.8.8.8", "::1", "2001:db8::1"] {
            assert!(!is_forbidden(ok.parse().unwrap()), "{ok}");
        }
    }
}
