//! The HTTP edge's guards, applied to every request before routing:
//!
//! - **Host** must be a name this server answers to (`external_url`, the listen address,
//!   `http.allowed_hosts`): a page on another site that re-points its own DNS name at this
//!   server (DNS rebinding) sends its own name and is refused with 421.
//! - **Loop guard**: a request carrying [`HOP_HEADER`] came from a query. With this
//!   process's id it is this server calling itself; on `/api/` it is any lowkey's query
//!   asking to run queries. Both are refused (403 `address_refused`).
//! - **Origin** on state-changing `/api/` requests: a browser on another origin is refused
//!   (403 `cross_origin`), as is `Sec-Fetch-Site: cross-site`/`same-site`. Together with the
//!   JSON content type that [`super::error::ApiJson`] requires, no other site's page can make
//!   this server run a query. `/auth/v1` keeps its open CORS (auth-js needs it). The Builder
//!   API (`/api/v1/builder`, `/api/v1/edit`) goes further: a state-changing request without
//!   `Origin` is refused too, since what it changes is an app that every viewer then runs,
//!   and every browser sends `Origin` on such requests.
//! - **Response headers** a browser expects of a secure app on `/app`, `/assets`, `/api` and
//!   every error page: `nosniff`, `Referrer-Policy`, framing refused unless configured, a
//!   Content-Security-Policy, and `no-store` on the whole platform API.
//!
//! Requests the query runner serves in-process ([`InProcess`]) skip the Host and Origin
//! checks: they never came from a browser.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::client_ip::InProcess;
use crate::config::Config;
use crate::query::HOP_HEADER;
use crate::state::AppState;

/// A name this server answers to; `port: None` matches any port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostName {
    host: String,
    port: Option<u16>,
}

/// What the guards need, computed once from the configuration.
#[derive(Debug)]
pub struct EdgePolicy {
    names: Vec<HostName>,
    /// The listen port when bound to every address: any local IP literal is accepted on it.
    any_local_ip_port: Option<u16>,
    csp: HeaderValue,
    deny_framing: bool,
}

/// Splits a `Host` header value (`name`, `name:port`, `[v6]`, `[v6]:port`).
fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((v6.to_ascii_lowercase(), port));
    }
    match value.rsplit_once(':') {
        Some((h, p)) => Some((h.to_ascii_lowercase(), Some(p.parse().ok()?))),
        None => Some((value.to_ascii_lowercase(), None)),
    }
    .filter(|(h, _)| !h.is_empty())
}

impl EdgePolicy {
    pub fn new(config: &Config, local: std::net::SocketAddr) -> Self {
        let mut names = Vec::new();
        let port = local.port();
        let ip = local.ip();
        if ip.is_unspecified() {
            names.push(HostName {
                host: "localhost".into(),
                port: Some(port),
            });
        } else {
            names.push(HostName {
                host: ip.to_string(),
                port: Some(port),
            });
            if ip.is_loopback() {
                names.push(HostName {
                    host: "localhost".into(),
                    port: Some(port),
                });
            }
        }
        if let Some(u) = config
            .external_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
        {
            if let Some(h) = u.host_str() {
                names.push(HostName {
                    host: h.trim_matches(['[', ']']).to_ascii_lowercase(),
                    port: u.port_or_known_default(),
                });
            }
        }
        for allowed in &config.http.allowed_hosts {
            if let Some((host, port)) = split_host(allowed) {
                names.push(HostName { host, port });
            }
        }
        let ancestors = if config.http.frame_ancestors.is_empty() {
            "'none'".to_owned()
        } else {
            config.http.frame_ancestors.join(" ")
        };
        // 'unsafe-eval': the runtime compiles bindings and JS objects with `new Function`
        // (ARCHITECTURE.md says what dropping it would take). Everything else is same-origin
        // only; images may come from anywhere (Image widgets show URLs).
        let csp = format!(
            "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; \
             img-src 'self' data: blob: https: http:; font-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        );
        Self {
            names,
            any_local_ip_port: ip.is_unspecified().then_some(port),
            csp: HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'")),
            deny_framing: config.http.frame_ancestors.is_empty(),
        }
    }

    /// True when `value` (a `Host` header) names this server.
    pub fn host_allowed(&self, value: &str) -> bool {
        let Some((host, port)) = split_host(value) else {
            return false;
        };
        // Browsers omit the port only for the scheme's default.
        let port_matches = |want: Option<u16>| match (want, port) {
            (None, _) => true,
            (Some(w), Some(p)) => w == p,
            (Some(w), None) => w == 80 || w == 443,
        };
        if self
            .names
            .iter()
            .any(|n| n.host == host && port_matches(n.port))
        {
            return true;
        }
        match (self.any_local_ip_port, host.parse::<IpAddr>()) {
            (Some(p), Ok(ip)) if port_matches(Some(p)) => {
                ip.is_loopback() || std::net::UdpSocket::bind((ip, 0)).is_ok()
            }
            _ => false,
        }
    }

    /// True when a browser's `Origin` is this server itself: its host and port are the
    /// request's `Host` (same-origin), or a name this server answers to.
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let Ok(url) = url::Url::parse(origin) else {
            return false;
        };
        let Some(origin_host) = url.host_str() else {
            return false;
        };
        let with_port = match url.port() {
            Some(p) => format!("{origin_host}:{p}"),
            None => origin_host.to_owned(),
        };
        host.is_some_and(|h| h.eq_ignore_ascii_case(&with_port))
            || self.names.iter().any(|n| {
                n.host == origin_host.trim_matches(['[', ']']).to_ascii_lowercase()
                    && n.port
                        .is_none_or(|p| Some(p) == url.port_or_known_default())
            })
    }
}

fn refused(status: StatusCode, code: &'static str, message: &str) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// The guards before routing (Host, loop, Origin).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let in_process = request.extensions().get::<InProcess>().is_some();
    let path = request.uri().path();
    let headers = request.headers();
    if let Some(hop) = headers.get(HOP_HEADER) {
        if hop.as_bytes() == state.queries.instance_id().as_bytes() {
            return refused(
                StatusCode::FORBIDDEN,
                "address_refused",
                "This request came from one of this server's own queries: a query cannot call the server that runs it",
            );
        }
        if path.starts_with("/api/") {
            return refused(
                StatusCode::FORBIDDEN,
                "address_refused",
                "A query of a lowkey server cannot run queries (loop guard)",
            );
        }
    }
    if !in_process && path != "/health" {
        if let Some(host) = headers.get(header::HOST) {
            let ok = host.to_str().is_ok_and(|h| state.edge.host_allowed(h));
            if !ok {
                return refused(
                    StatusCode::MISDIRECTED_REQUEST,
                    "host_not_allowed",
                    "This server does not answer to that host name (set external_url or http.allowed_hosts)",
                );
            }
        }
        if path.starts_with("/api/") && !is_safe(request.method()) {
            if let Some(problem) = cross_origin(&state.edge, headers, is_builder_api(path)) {
                return refused(StatusCode::FORBIDDEN, "cross_origin", problem);
            }
        }
    }
    next.run(request).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The paths of the Builder API, whose writes need an `Origin`.
fn is_builder_api(path: &str) -> bool {
    ["/api/v1/builder", "/api/v1/edit"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn cross_origin(
    edge: &EdgePolicy,
    headers: &HeaderMap,
    origin_required: bool,
) -> Option<&'static str> {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if fetch_site.eq_ignore_ascii_case("cross-site") || fetch_site.eq_ignore_ascii_case("same-site")
    {
        return Some("Requests from another site's pages are refused");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return origin_required.then_some(
            "The Builder API takes changes only from this server's own pages (no Origin was sent)",
        );
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match origin.to_str() {
        Ok(o) if edge.origin_allowed(o, host) => None,
        _ => Some("Requests from another origin are refused"),
    }
}

/// Security headers on the way out.
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let exempt = path.starts_with("/auth/v1") || path == "/health" || path == "/metrics";
    let api = path.starts_with("/api/");
    let mut response = next.run(request).await;
    if exempt {
        return response;
    }
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CONTENT_SECURITY_POLICY, state.edge.csp.clone());
    if state.edge.deny_framing {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if api {
        // Query answers carry tokens (sign-in, refresh): never cached by anyone.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(addr: &str, external: Option<&str>, allowed: &[&str]) -> EdgePolicy {
        let mut config = crate::config::Config::resolve(None, None, None).unwrap();
        config.external_url = external.map(str::to_owned);
        config.http.allowed_hosts = allowed.iter().map(|s| s.to_string()).collect();
        EdgePolicy::new(&config, addr.parse().unwrap())
    }

    #[test]
    fn the_listen_address_external_url_and_allowed_hosts_are_accepted_and_nothing_else() {
        let p = policy(
            "127.0.0.1:8080",
            Some("https://apps.example.com"),
            &["intranet.local", "alt.example:9000"],
        );
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "apps.example.com",
            "apps.example.com:443",
            "intranet.local:1234",
            "alt.example:9000",
        ] {
            assert!(p.host_allowed(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "rebind.attacker.example:8080",
            "127.0.0.1:8081",
            "apps.example.com:8443",
            "alt.example:9001",
            "",
            "[::1]:8080",
        ] {
            assert!(!p.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn bound_to_every_address_any_local_ip_on_the_port_is_accepted() {
        let p = policy("0.0.0.0:8080", None, &[]);
        assert!(p.host_allowed("127.0.0.1:8080"));
        assert!(p.host_allowed("localhost:8080"));
        assert!(!p.host_allowed("127.0.0.1:9999"));
        assert!(
            !p.host_allowed("203.0.113.7:8080"),
            "not an address of this machine"
        );
        assert!(!p.host_allowed("evil.example:8080"));
    }

    #[test]
    fn the_builder_api_is_its_two_prefixes_and_nothing_that_only_starts_like_them() {
        for yes in [
            "/api/v1/edit",
            "/api/v1/edit/apps",
            "/api/v1/builder/session",
        ] {
            assert!(is_builder_api(yes), "{yes}");
        }
        for no in [
            "/api/v1/editor",
            "/api/v1/apps/x/queries/q/run",
            "/edit/apps",
            "/api/v1/builders",
        ] {
            assert!(!is_builder_api(no), "{no}");
        }
    }

    #[test]
    fn origins_must_be_this_server() {
        let p = policy("127.0.0.1:8080", Some("https://apps.example.com"), &[]);
        assert!(p.origin_allowed("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(p.origin_allowed("https://apps.example.com", Some("10.0.0.5:8080")));
        assert!(!p.origin_allowed("http://localhost:18091", Some("127.0.0.1:8080")));
        assert!(!p.origin_allowed("null", Some("127.0.0.1:8080")));
        assert!(!p.origin_allowed("https://evil.example", Some("127.0.0.1:8080")));
    }
}
