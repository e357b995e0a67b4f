//! Executes stored queries: render with the browser's values (lowkey-app), then send the
//! request — in-process for this server's own paths, over HTTP otherwise — with a timeout
//! and a response-size limit.
//!
//! The outbound edge is where a query could be turned against the server, so it holds these
//! rules (docs/security.md lists each with its test):
//! - **Addresses.** Names resolve through [`GuardedResolver`], which drops link-local and
//!   cloud-metadata addresses (in every IPv6 embedding) at connection time, so DNS rebinding
//!   cannot slip past a check made earlier; literal IPs are checked before sending.
//! - **Never this server.** An absolute URL that reaches this server's own listener (by any
//!   address it listens on, or `external_url`'s name) is refused, and every outbound request
//!   carries [`HOP_HEADER`] with this process's id: a request that comes back with it (through
//!   a proxy or a DNS name we could not recognise) is refused by the HTTP edge.
//! - **Redirects** are not followed unless the query opts in; then every hop is checked again,
//!   and nothing of the query's (headers, body) crosses to another origin; never a `Referer`.
//! - **No environment proxy**: `HTTP_PROXY` would resolve names where the guard cannot see.
//! - **Secrets** are read once at start-up, and any secret a run used is masked in the answer
//!   (an upstream that echoes its input would otherwise hand it to the browser).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use base64::Engine as _;
use lowkey_app::{App, Query, RenderedRequest, SessionToken, SubstitutionError, Target};

use crate::sessions::SessionTokens;
use lowkey_core::Secret;
use serde_json::{Map, Value};
use tower::ServiceExt as _;

use crate::client_ip::InProcess;
use crate::config::QueryConfig;

/// The loop guard: set on every outbound query request, refused when it comes back.
pub const HOP_HEADER: &str = "x-lowkey-hop";

/// Redirect hops a query that opts in may follow.
const MAX_REDIRECTS: usize = 5;

/// What the browser gets back.
pub struct QueryResult {
    pub status: u16,
    pub headers: Map<String, Value>,
    pub body: AnswerBody,
    /// `Some("base64")` when the upstream's body was not text.
    pub body_encoding: Option<&'static str>,
    pub duration_ms: f64,
}

/// The body of a query's answer.
#[derive(Debug, PartialEq)]
pub enum AnswerBody {
    /// The upstream's JSON text, checked to be exactly one JSON value (as `serde_json` parses
    /// it: UTF-8, paired surrogates, finite numbers, nothing after it) in which no string (key
    /// or value) holds a secret the run used: written into the answer as it came, without
    /// building a tree and serialising it again.
    Json(Vec<u8>),
    /// Anything else: JSON that had to be masked, text, base64, or `null` for no body.
    Value(Value),
}

impl AnswerBody {
    /// Writes the body as JSON.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        match self {
            AnswerBody::Json(bytes) => out.write_all(bytes),
            AnswerBody::Value(value) => serde_json::to_writer(out, value).map_err(Into::into),
        }
    }
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
    #[error("the redirect is refused: {0}")]
    RedirectRefused(String),
    #[error("the server is running as many queries as it allows; retry shortly")]
    ServerBusy,
    #[error("this client is running as many queries at once as it may; retry shortly")]
    ClientBusy,
}

/// The marker error the resolver returns for refused addresses.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to link-local or metadata addresses")]
struct Refused(String);

/// The IPv4 address an IPv6 address carries in the forms a network may route to it:
/// IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`,
/// and the local-use `64:ff9b:1::/48`) and 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let low = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    let bits = u128::from(v6);
    if bits >> 32 == 0 && bits > 1 {
        return Some(low); // IPv4-compatible (deprecated, still routed by some stacks)
    }
    if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
    {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            (s[1] & 0xff) as u8,
            (s[2] >> 8) as u8,
            (s[2] & 0xff) as u8,
        ));
    }
    None
}

/// True for addresses queries must not reach unless allowed: link-local ranges (where cloud
/// metadata services live) and the well-known metadata addresses outside them, also when
/// embedded in an IPv6 address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)
                || embedded_v4(v6).is_some_and(|v4| is_forbidden(IpAddr::V4(v4)))
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

/// `{{secrets.NAME}}` values: the `LOWKEY_SECRET_<NAME>` environment variables, read once
/// at start-up.
#[derive(Default)]
pub struct Secrets(HashMap<String, Secret>);

impl Secrets {
    pub fn from_env() -> Self {
        Self(
            std::env::vars()
                .filter_map(|(k, v)| {
                    k.strip_prefix("LOWKEY_SECRET_")
                        .map(|name| (name.to_owned(), Secret::new(v)))
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.0.get(name)
    }

    /// The names of the configured secrets, sorted; never their values (the editor shows
    /// whether a `{{secrets.NAME}}` is configured).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// How this server is reached, to refuse queries that would call it.
#[derive(Debug, Clone)]
pub struct SelfAddress {
    listen: SocketAddr,
    /// `external_url`'s host (lower case) and port.
    external: Option<(String, u16)>,
}

impl SelfAddress {
    pub fn new(listen: SocketAddr, external_url: Option<&str>) -> Self {
        let external = external_url
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| {
                Some((
                    u.host_str()?.to_ascii_lowercase(),
                    u.port_or_known_default()?,
                ))
            });
        Self { listen, external }
    }

    /// True when `url` reaches this server: by `external_url`'s name, or by an address this
    /// server listens on (loopback, the bound address, or any local address when bound to
    /// all of them). Only URLs on one of our ports cost a name lookup.
    pub async fn is_self(&self, url: &url::Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        let host = host.trim_matches(['[', ']']);
        if let Some((ext_host, ext_port)) = &self.external {
            if *ext_port == port && ext_host.eq_ignore_ascii_case(host) {
                return true;
            }
        }
        if port != self.listen.port() {
            return false;
        }
        let host = host.to_ascii_lowercase();
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(_) => return false,
            },
        };
        addrs.into_iter().any(|ip| self.listens_on(ip))
    }

    fn listens_on(&self, ip: IpAddr) -> bool {
        let ip = crate::client_ip::canonical(ip);
        let bound = crate::client_ip::canonical(self.listen.ip());
        if ip == bound || ip.is_unspecified() {
            return true;
        }
        if bound.is_unspecified() {
            // Bound to every address: any address of this machine reaches us. Binding a UDP
            // socket succeeds exactly for local addresses.
            return ip.is_loopback() || std::net::UdpSocket::bind((ip, 0)).is_ok();
        }
        // Bound to loopback: every loopback address of the family reaches the same socket
        // only when it is the bound one, but 127.0.0.0/8 is all local on Linux.
        bound.is_loopback() && ip.is_loopback() && ip.is_ipv4() == bound.is_ipv4()
    }
}

pub struct QueryRunner {
    client: reqwest::Client,
    /// [`HOP_HEADER`]'s value, built once.
    hop: reqwest::header::HeaderValue,
    cfg: QueryConfig,
    /// This server's own router, for datasources whose URL is a path.
    local: OnceLock<Router>,
    secrets: Secrets,
    me: SelfAddress,
    /// This process's loop-guard id (the value of [`HOP_HEADER`]).
    instance: String,
    limits: crate::runlimit::RunLimiter,
}

impl QueryRunner {
    pub fn new(cfg: QueryConfig, me: SelfAddress, secrets: Secrets) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("lowkey/", env!("CARGO_PKG_VERSION")))
            // Redirects are followed by `send_remote`, hop by hop, under the policy.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            // No retries: reqwest's only retry is of HTTP/2 refusals, which an HTTP/1 client
            // never gets, yet its retry layer copied every request (headers, URI) in case;
            // and a query that changes data must not be sent twice anyway.
            .retry(reqwest::retry::never().max_retries_per_request(0));
        builder = match &cfg.proxy {
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.as_str())?),
            None => builder.no_proxy(),
        };
        if !cfg.allow_link_local {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        let limits = crate::runlimit::RunLimiter::new(
            cfg.max_concurrent_runs,
            cfg.max_concurrent_runs_per_client,
        );
        let instance = uuid::Uuid::new_v4().simple().to_string();
        Ok(Self {
            client: builder.build()?,
            hop: reqwest::header::HeaderValue::from_str(&instance)?,
            cfg,
            local: OnceLock::new(),
            secrets,
            me,
            instance,
            limits,
        })
    }

    /// Hands the runner this server's router (once, at start-up).
    pub fn set_local_router(&self, router: Router) {
        let _ = self.local.set(router);
    }

    /// This process's loop-guard id.
    pub fn instance_id(&self) -> &str {
        &self.instance
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    pub fn max_answer_bytes(&self) -> usize {
        self.cfg.max_response_bytes.saturating_mul(2)
    }

    /// Runs `query` for `client`, within the run caps.
    pub async fn run(
        &self,
        app: &App,
        query: &Query,
        values: &Map<String, Value>,
        session: Option<&SessionTokens>,
        client: IpAddr,
    ) -> Result<QueryResult, RunError> {
        let _permit = self.limits.try_acquire(client)?;
        // The secrets and session tokens this run used (borrowed), to mask them in the answer.
        let used: RefCell<Vec<&str>> = RefCell::new(Vec::new());
        let mut request = {
            let lookup = |name: &str| {
                let value = self.secrets.get(name)?.expose();
                used.borrow_mut().push(value);
                Some(value.to_owned())
            };
            let session_lookup = |token: SessionToken| {
                let session = session?;
                let value = match token {
                    SessionToken::Access => session.access.as_str(),
                    SessionToken::Refresh => session.refresh.as_deref()?,
                };
                used.borrow_mut().push(value);
                Some(value.to_owned())
            };
            lowkey_app::render(query, &app.datasources, values, &lookup, &session_lookup)?
        };
        let used = used.into_inner();
        let started = Instant::now();
        let timeout = request.timeout;
        let target = std::mem::replace(&mut request.target, Target::Local(String::new()));
        let sent = match target {
            Target::Local(path) => {
                tokio::time::timeout(timeout, self.send_local(path, request, client)).await
            }
            Target::Absolute(url) => {
                tokio::time::timeout(timeout, self.send_remote(url, request)).await
            }
        };
        let (status, mut headers, bytes, content_type) =
            sent.map_err(|_| RunError::Timeout(timeout.as_millis()))??;
        let secrets = maskable(&used);
        let (body, body_encoding) = decode_body(bytes, &content_type, &secrets);
        mask_headers(&secrets, &mut headers);
        Ok(QueryResult {
            status,
            headers,
            body,
            body_encoding,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    async fn send_local(
        &self,
        path: String,
        req: RenderedRequest,
        client: IpAddr,
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
        // The browser's address, so per-client limits apply to it, not to lowkey or a proxy.
        request.extensions_mut().insert(InProcess { client });
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, 0)));
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

    /// Refuses a hop's URL before anything is sent to it.
    async fn check_address(&self, url: &url::Url) -> Result<(), RunError> {
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
        if self.me.is_self(url).await {
            return Err(RunError::AddressRefused(
                "the URL points at this lowkey server itself; use a datasource whose url is a \
                 path (such as /auth/v1) to call its provider"
                    .into(),
            ));
        }
        Ok(())
    }

    async fn send_remote(&self, url: url::Url, req: RenderedRequest) -> Result<Response, RunError> {
        let origin = url.origin();
        let mut url = url;
        let mut method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
            .map_err(|e| RunError::Unreachable(e.to_string()))?;
        let mut body = req.body;
        let mut hops = 0;
        loop {
            self.check_address(&url).await?;
            let same_origin = url.origin() == origin;
            let mut builder = self
                .client
                .request(method.clone(), url.clone())
                .header(HOP_HEADER, self.hop.clone());
            // The query's and its datasource's headers (credentials among them) go to the
            // query's own origin only.
            if same_origin {
                for (k, v) in &req.headers {
                    builder = builder.header(k, v);
                }
            }
            if let Some(b) = &body {
                builder = builder
                    .header("content-type", &b.content_type)
                    .body(b.bytes.clone());
            }
            let response = builder.send().await.map_err(classify)?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let next = match (req.follow_redirects && status.is_redirection(), location) {
                (true, Some(location)) => location,
                _ => return self.read_response(response).await,
            };
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(RunError::RedirectRefused(format!(
                    "more than {MAX_REDIRECTS} redirects"
                )));
            }
            let next = url.join(&next).map_err(|_| {
                RunError::RedirectRefused("the Location header is not a valid URL".into())
            })?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(RunError::RedirectRefused(
                    "a redirect may lead only to http or https".into(),
                ));
            }
            // RFC 9110 §15.4: 303 always, and 301/302 after POST, continue as GET.
            let code = status.as_u16();
            if code == 303 || (matches!(code, 301 | 302) && method == reqwest::Method::POST) {
                if method != reqwest::Method::HEAD {
                    method = reqwest::Method::GET;
                }
                body = None;
            }
            if next.origin() != origin && body.is_some() {
                return Err(RunError::RedirectRefused(format!(
                    "a {code} to another origin would re-send the query's body"
                )));
            }
            url = next;
        }
    }

    async fn read_response(&self, mut response: reqwest::Response) -> Result<Response, RunError> {
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
        let mut bytes = Vec::with_capacity(
            response
                .content_length()
                .map_or(0, |n| (n as usize).min(limit)),
        );
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

/// The answer's body for the browser: JSON when the upstream says JSON and it parses, text
/// when it is UTF-8, otherwise base64 (a lossy conversion would corrupt binary data). Every
/// string of it (JSON keys included) that holds one of `secrets` has them replaced by
/// [`MASK`].
///
/// JSON is not parsed into a tree: one pass checks that it is exactly what `serde_json` would
/// parse and looks for the secrets in every decoded string (escapes resolved, so a secret
/// spelt with `\u` escapes is found too). Only when one is found is it parsed and masked.
fn decode_body(
    bytes: Vec<u8>,
    content_type: &str,
    secrets: &[&str],
) -> (AnswerBody, Option<&'static str>) {
    if bytes.is_empty() {
        return (AnswerBody::Value(Value::Null), None);
    }
    if content_type.contains("json") {
        match scan_json(&bytes, secrets) {
            Some(false) => return (AnswerBody::Json(bytes), None),
            Some(true) => {
                if let Ok(mut v) = serde_json::from_slice(&bytes) {
                    mask_value(secrets, &mut v);
                    return (AnswerBody::Value(v), None);
                }
            }
            None => {}
        }
    }
    let (mut body, encoding) = match String::from_utf8(bytes) {
        Ok(text) => (Value::String(text), None),
        Err(e) => (
            Value::String(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
            Some("base64"),
        ),
    };
    mask_value(secrets, &mut body);
    (AnswerBody::Value(body), encoding)
}

/// Whether the JSON text `bytes` has a string (key or value) that contains one of `secrets`;
/// `None` when it is not one JSON value.
fn scan_json(bytes: &[u8], secrets: &[&str]) -> Option<bool> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = SecretScan { secrets }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(found)
}

/// A JSON value visited without being stored: the same parse as `serde_json::Value`'s (strings
/// decoded and checked, numbers parsed), answering whether a string holds a secret.
#[derive(Clone, Copy)]
struct SecretScan<'a> {
    secrets: &'a [&'a str],
}

impl<'de> serde::de::DeserializeSeed<'de> for SecretScan<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SecretScan<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, s: &str) -> Result<bool, E> {
        Ok(self.secrets.iter().any(|secret| s.contains(secret)))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(f) = seq.next_element_seed(self)? {
            found |= f;
        }
        Ok(found)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(in_key) = map.next_key_seed(self)? {
            found |= in_key;
            found |= map.next_value_seed(self)?;
        }
        Ok(found)
    }
}

/// Secrets shorter than this are not masked: replacing every "abc" in an answer would
/// destroy it, and such a secret is no secret.
const MIN_MASKED_SECRET: usize = 4;
pub const MASK: &str = "[secret]";

/// The secrets of `used` that are masked (long enough).
pub(crate) fn maskable<'a>(used: &[&'a str]) -> Vec<&'a str> {
    used.iter()
        .copied()
        .filter(|s| s.len() >= MIN_MASKED_SECRET)
        .collect()
}

/// Replaces every secret of `secrets` wherever it appears in a string of `value`, keys
/// included.
pub(crate) fn mask_value(secrets: &[&str], value: &mut Value) {
    if secrets.is_empty() {
        return;
    }
    let mask = |s: &mut String| {
        for secret in secrets {
            if s.contains(secret) {
                *s = s.replace(secret, MASK);
            }
        }
    };
    fn walk(v: &mut Value, mask: &dyn Fn(&mut String)) {
        match v {
            Value::String(s) => mask(s),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, mask)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (mut k, mut item) in entries {
                    mask(&mut k);
                    walk(&mut item, mask);
                    map.insert(k, item);
                }
            }
            _ => {}
        }
    }
    walk(value, &mask);
}

/// Masks the secrets in the answer's header names and values.
fn mask_headers(secrets: &[&str], headers: &mut Map<String, Value>) {
    if secrets.is_empty() {
        return;
    }
    let mut wrapped = Value::Object(std::mem::take(headers));
    mask_value(secrets, &mut wrapped);
    if let Value::Object(masked) = wrapped {
        *headers = masked;
    }
}

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
    if e.is_builder() {
        // Without the URL: it may carry secrets in its query string.
        return RunError::Render(SubstitutionError::InvalidUrl {
            reason: "the request could not be built (is the URL too long?)".into(),
        });
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
            "::a9fe:a9fe",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for ok in [
            "127.0.0.1",
            "10.0.0.1",
            "8.8.8.8",
            "::1",
            "::",
            "2001:db8::1",
            "64:ff9b::808:808",
        ] {
            assert!(!is_forbidden(ok.parse().unwrap()), "{ok}");
        }
    }

    /// The answer's body as the browser parses it.
    fn parsed(body: &AnswerBody) -> Value {
        let mut out = Vec::new();
        body.write_to(&mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// What the body was before JSON answers were passed through: parsed into a tree when
    /// it parses, text otherwise.
    fn as_before(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8(bytes.to_vec()).unwrap()))
    }

    #[test]
    fn secrets_used_by_a_run_are_masked_in_body_keys_values_and_headers() {
        let used = maskable(&["SUPERSECRET-1", "abc"]);
        let body = serde_json::json!({
            "echo": "key=SUPERSECRET-1&x", "SUPERSECRET-1": ["a SUPERSECRET-1"], "abc": "abc"
        });
        let (body, _) = decode_body(body.to_string().into_bytes(), "application/json", &used);
        let mut headers = Map::new();
        headers.insert(
            "x-echo".into(),
            Value::String("Bearer SUPERSECRET-1".into()),
        );
        mask_headers(&used, &mut headers);
        let body = parsed(&body);
        let text = format!("{body}{headers:?}");
        assert!(!text.contains("SUPERSECRET"), "{text}");
        assert_eq!(body["echo"], "key=[secret]&x");
        assert_eq!(body["[secret]"][0], "a [secret]");
        assert_eq!(body["abc"], "abc", "short secrets are not masked");
        assert_eq!(headers["x-echo"], "Bearer [secret]");
        // Text bodies too.
        let (text, _) = decode_body(b"token SUPERSECRET-1".to_vec(), "text/plain", &used);
        assert_eq!(
            text,
            AnswerBody::Value(Value::String("token [secret]".into()))
        );
    }

    #[test]
    fn a_secret_spelt_with_json_escapes_is_still_masked() {
        let used = ["SUPER/SECRET-1"];
        for body in [
            r#"{"echo": "SUPER\/SECRET-1"}"#,
            r#"{"echo": "\u0053UPER/SECRET-1"}"#,
            r#"{"echo": "SUPER\u002fSECRET\u002D1 and more"}"#,
            r#"{"echo": ["x", {"deep": "..SUPER/SECRE\u0054-1.."}]}"#,
            r#"{"SUPER\/SECRET-1": 1}"#,
            r#"{"a": {"\u0053UPER/SECRET-1": null}}"#,
            r#""SUPER/SECRET-1""#,
        ] {
            let (out, _) = decode_body(body.as_bytes().to_vec(), "application/json", &used);
            assert!(
                matches!(out, AnswerBody::Value(_)),
                "{body}: parsed and masked"
            );
            let text = parsed(&out).to_string();
            assert!(!text.contains("SECRET"), "{body} → {text}");
            assert!(text.contains(MASK), "{body} → {text}");
        }
    }

    #[test]
    fn json_without_a_secret_is_passed_through_as_it_came() {
        let used = ["SUPERSECRET-1"];
        for body in [
            "{\"b\": 1, \"a\": [true, null, 2.5e3, \"x\\\"y\"]}\n",
            r#"{"note": "SUPERSECRET-", "n": 12345678901234567890}"#,
            r#"{"escaped": "\u00e9\n\t\\", "emoji": "\ud83d\ude00"}"#,
            "[]",
            "  \"just a string\"  ",
            "-0",
        ] {
            for secrets in [&used[..], &[]] {
                let (out, encoding) =
                    decode_body(body.as_bytes().to_vec(), "application/json", secrets);
                assert_eq!(out, AnswerBody::Json(body.as_bytes().to_vec()), "{body}");
                assert_eq!(encoding, None);
                assert_eq!(parsed(&out), as_before(body.as_bytes()), "{body}");
            }
        }
    }

    #[test]
    fn what_serde_json_would_not_parse_is_never_passed_through() {
        // Each of these could break the answer's JSON if written verbatim; each came back as
        // text before, and still does.
        for body in [
            r#"{"a": 1} x"#,
            r#"{"a": 1}{"b": 2}"#,
            r#"1}, "status": 200, "x": {"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": "\x"}"#,
            "{\"a\": \"line\nbreak\"}",
            r#"{"a": 1e400}"#,
            r#"{"a": }"#,
            "\u{feff}{\"bom\": 1}",
        ] {
            let (out, encoding) = decode_body(body.as_bytes().to_vec(), "application/json", &[]);
            assert_eq!(out, AnswerBody::Value(as_before(body.as_bytes())), "{body}");
            assert!(matches!(out, AnswerBody::Value(Value::String(_))), "{body}");
            assert_eq!(encoding, None);
        }
        // Not UTF-8 inside a string: base64, as before.
        let (out, encoding) = decode_body(b"\"\xff\"".to_vec(), "application/json", &[]);
        assert_eq!(out, AnswerBody::Value(Value::String("Iv8i".into())));
        assert_eq!(encoding, Some("base64"));
        // JSON under another content type stays text.
        let (out, _) = decode_body(b"{\"a\":1}".to_vec(), "text/plain", &[]);
        assert_eq!(out, AnswerBody::Value(Value::String("{\"a\":1}".into())));
    }

    #[test]
    fn bodies_are_json_text_or_base64() {
        assert_eq!(
            parsed(&decode_body(b"{\"a\":1}".to_vec(), "application/json", &[]).0),
            serde_json::json!({"a": 1})
        );
        assert_eq!(
            decode_body(b"not json".to_vec(), "application/json", &[]),
            (AnswerBody::Value(Value::String("not json".into())), None)
        );
        assert_eq!(
            decode_body(vec![0xff, 0x00, 0x01], "application/octet-stream", &[]),
            (
                AnswerBody::Value(Value::String("/wAB".into())),
                Some("base64")
            )
        );
        assert_eq!(
            decode_body(Vec::new(), "application/json", &[]),
            (AnswerBody::Value(Value::Null), None)
        );
    }
}
