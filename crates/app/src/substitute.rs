//! Substitution: a stored query + the browser's binding values → the request to send.
//!
//! This is the server's hot path and a security boundary, so it is a pure function with no
//! I/O (it only remembers, per thread, the origin each URL template fixes, which depends on
//! the template's text alone): values arrive keyed by binding text and are inserted according
//! to where the binding sits — as typed JSON in a JSON body (a string can never close its
//! quotes, see the tests), percent-encoded in the URL, as text in headers and text/form bodies
//! (with line breaks in header values refused). `{{secrets.NAME}}` is looked up on the server; no error message
//! carries a value, so a secret cannot leak through one, and the `Debug` of a rendered request
//! prints no header value, body or query string.
//!
//! The load-time rules that matter for where a request goes are checked here again, for a
//! stored app that skipped validation: the URL's scheme, host and port are the ones its literal
//! text fixes, no header frames or routes the request, and a JSON body has no duplicate key.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::guard::{self, HeaderProblem, UrlProblem};
use crate::model::{Body, Datasource, Method, Query, MAX_TIMEOUT_MS};
use crate::template::{self, Segment, SessionToken};

/// A query ready to send. Its `Debug` shows no header value, body or query string, as they may
/// hold secrets and the browser's values.
#[derive(Clone, PartialEq)]
pub struct RenderedRequest {
    pub method: Method,
    pub target: Target,
    /// Headers in order (datasource headers first, overridden by the query's own). The body's
    /// content type is in [`RenderedBody::content_type`], not here.
    pub headers: Vec<(String, String)>,
    pub body: Option<RenderedBody>,
    pub timeout: Duration,
    /// The query's `followRedirects`: whether the server may follow a redirect (its policy is
    /// in docs/app-format.md).
    pub follow_redirects: bool,
}

impl fmt::Debug for RenderedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RenderedRequest")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("header_names", &header_names)
            .field("body", &self.body)
            .field("timeout", &self.timeout)
            .field("follow_redirects", &self.follow_redirects)
            .finish()
    }
}

/// Where the request goes. Its `Debug` elides the query string and fragment.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// An http(s) URL elsewhere.
    Absolute(url::Url),
    /// A path and query string of this lowkey server (datasource URL starting with `/`),
    /// served in-process.
    Local(String),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variant, text) = match self {
            Target::Absolute(url) => ("Absolute", url.as_str()),
            Target::Local(path) => ("Local", path.as_str()),
        };
        f.debug_tuple(variant).field(&without_query(text)).finish()
    }
}

/// The URL or path with its query string and fragment replaced by `?…` / `#…`.
fn without_query(text: &str) -> String {
    match text.find(['?', '#']) {
        Some(i) => format!("{}{}…", &text[..i], &text[i..=i]),
        None => text.to_owned(),
    }
}

/// A request body. Its `Debug` shows only its length: the bytes and the content type (a header
/// value) may hold secrets and the browser's values.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedBody {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for RenderedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedBody")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Why a query could not be rendered. Messages name bindings, secrets and headers but never
/// contain a substituted value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstitutionError {
    /// The browser sent no value for a binding of the query (HTTP: `missing_param`).
    #[error("no value was sent for the binding `{{{{{binding}}}}}`")]
    MissingValue { binding: String },
    /// `{{secrets.NAME}}` has no value on this server (a server configuration problem).
    #[error("secret `{name}` is not configured on the server")]
    UnknownSecret { name: String },
    /// `{{session.accessToken}}` or `{{session.refreshToken}}` in a run without a session (or
    /// whose session holds no such token): the caller is not signed in (HTTP: `not_signed_in`).
    #[error("the query uses `{{{{{binding}}}}}`, and the caller has no session: sign in first")]
    NoSession { binding: &'static str },
    /// The query names a datasource the app does not have.
    #[error("the query's datasource `{name}` does not exist")]
    UnknownDatasource { name: String },
    /// The query has neither datasource and path nor url.
    #[error("the query has no datasource and path, nor a url")]
    NoTarget,
    /// A `{{` without `}}` (a stored query that skipped validation).
    #[error("the query's template is invalid: {0}")]
    InvalidTemplate(String),
    /// The JSON body does not parse after substitution (HTTP: `invalid_query`).
    #[error("the JSON body is not valid JSON after substitution: {message}")]
    InvalidJsonBody { message: String },
    /// The URL is not valid after substitution (HTTP: `invalid_query`).
    #[error("the URL is not valid after substitution: {reason}")]
    InvalidUrl { reason: String },
    /// A header value would hold a line break or another control character.
    #[error("the value of header `{name}` would contain a line break or control character")]
    InvalidHeaderValue { name: String },
    /// A header that frames or routes the request (`Host`, `Content-Length`, hop-by-hop
    /// headers) or that the server reserves (`X-Lowkey-Hop`): refused at load too.
    #[error("header `{name}` cannot be set by a query or datasource: it frames or routes the request, or is reserved for the server")]
    ForbiddenHeader { name: String },
    /// `X-Forwarded-For`, `X-Forwarded-Host`, `X-Forwarded-Proto`, `X-Real-IP` or `Forwarded`
    /// with a binding in its value: refused at load too.
    #[error("header `{name}` cannot hold a binding: a browser must not choose the client address an upstream sees")]
    BoundForwardingHeader { name: String },
}

type SecretLookup<'a> = &'a dyn Fn(&str) -> Option<String>;
type SessionLookup<'a> = &'a dyn Fn(SessionToken) -> Option<String>;

/// Renders `query` with the browser's `values` (keyed by trimmed binding text), server
/// secrets and the caller's session tokens (session mode). `datasources` are the app's.
pub fn render(
    query: &Query,
    datasources: &[Datasource],
    values: &Map<String, Value>,
    secret: SecretLookup<'_>,
    session: SessionLookup<'_>,
) -> Result<RenderedRequest, SubstitutionError> {
    let ctx = Ctx {
        values,
        secret,
        session,
    };
    let datasource = match &query.datasource {
        Some(name) => Some(
            datasources
                .iter()
                .find(|d| &d.name == name)
                .ok_or_else(|| SubstitutionError::UnknownDatasource { name: name.clone() })?,
        ),
        None => None,
    };

    // The template whose literal text fixes the target's scheme, host and port.
    let (mut target, origin_template) = match (datasource, &query.path, &query.url) {
        (Some(ds), Some(path), _) => {
            let base = ds.url.trim_end_matches('/');
            (format!("{base}{}", ctx.render_url(path)?), ds.url.as_str())
        }
        (None, _, Some(url)) => (ctx.render_url(url)?, url.as_str()),
        _ => return Err(SubstitutionError::NoTarget),
    };
    if !query.params.is_empty() {
        let mut encoded = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in query.params.iter() {
            encoded.append_pair(key, &ctx.render_text(value)?);
        }
        target.push(if target.contains('?') { '&' } else { '?' });
        target.push_str(&encoded.finish());
    }
    let target = finish_target(target, datasource, origin_template)?;

    let mut headers: Vec<(String, String)> = Vec::new();
    let datasource_headers = datasource.map(|d| d.headers.iter()).into_iter().flatten();
    for (name, template) in datasource_headers.chain(query.headers.iter()) {
        if let Some(problem) = guard::header_problem(name, template) {
            let name = name.to_owned();
            return Err(match problem {
                HeaderProblem::Framing | HeaderProblem::Reserved => {
                    SubstitutionError::ForbiddenHeader { name }
                }
                HeaderProblem::BoundForwarding => SubstitutionError::BoundForwardingHeader { name },
            });
        }
        let value = ctx.render_text(template)?;
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(SubstitutionError::InvalidHeaderValue {
                name: name.to_owned(),
            });
        }
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_owned(), value));
    }

    if let Some(basic) = &query.basic_auth {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        headers.push((
            "Authorization".to_owned(),
            basic_auth_header(
                &ctx.render_text(&basic.username)?,
                &ctx.render_text(&basic.password)?,
            ),
        ));
    }

    let body = match &query.body {
        None => None,
        Some(body) => {
            let explicit_type = headers
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map(|i| headers.remove(i).1);
            let (default_type, bytes) = match body {
                Body::Json(template) => ("application/json", ctx.render_json(template)?),
                Body::Text(template) => (
                    "text/plain; charset=utf-8",
                    ctx.render_text(template)?.into_bytes(),
                ),
                Body::Form(fields) => {
                    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
                    for (key, value) in fields.iter() {
                        encoded.append_pair(key, &ctx.render_text(value)?);
                    }
                    (
                        "application/x-www-form-urlencoded",
                        encoded.finish().into_bytes(),
                    )
                }
            };
            Some(RenderedBody {
                content_type: explicit_type.unwrap_or_else(|| default_type.to_owned()),
                bytes,
            })
        }
    };

    Ok(RenderedRequest {
        method: query.method,
        target,
        headers,
        body,
        timeout: Duration::from_millis(u64::from(query.timeout_ms.clamp(1, MAX_TIMEOUT_MS))),
        follow_redirects: query.follow_redirects,
    })
}

/// Checks the rendered target: an http(s) URL whose scheme, host and port are exactly those
/// the literal text of `origin_template` fixes (the query's `url`, or its datasource's), or a
/// path under the local datasource's path.
fn finish_target(
    target: String,
    datasource: Option<&Datasource>,
    origin_template: &str,
) -> Result<Target, SubstitutionError> {
    let invalid = |reason: &str| SubstitutionError::InvalidUrl {
        reason: reason.to_owned(),
    };
    let path_end = target.find('?').unwrap_or(target.len());
    let path = &target[..path_end];
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    // Dot segments would be resolved away by URL normalisation and let a value climb out of
    // the query's path (`/files/{{name}}` with `..`); bindings cannot add `/`, but refuse them.
    if after_scheme.split('/').any(is_dot_segment) {
        return Err(invalid("a path segment is `.` or `..`"));
    }
    if let Some(ds) = datasource.filter(|d| d.is_local()) {
        if !target.starts_with('/') || target.starts_with("//") || target.contains('#') {
            return Err(invalid("a local path must start with a single `/`"));
        }
        let base = ds.url.trim_end_matches('/');
        let under_base = target
            .strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
        if !under_base {
            return Err(invalid("the path leaves the datasource's path"));
        }
        return Ok(Target::Local(target));
    }
    let url = url::Url::parse(&target).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(
            "only http and https URLs with a host can be queried",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in a URL are not allowed: use headers"));
    }
    let same_origin = with_template_origin(origin_template, |expected| url.origin() == *expected)
        .map_err(|problem| match problem {
        UrlProblem::Unclosed(e) => SubstitutionError::InvalidTemplate(e.to_string()),
        other => invalid(&other.to_string()),
    })?;
    if !same_origin {
        return Err(invalid(
            "its scheme, host or port differs from the ones the query's URL fixes",
        ));
    }
    Ok(Target::Absolute(url))
}

/// True when a path segment is `.` or `..`, also with its dots written `%2e` or `%2E`.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        rest = match rest {
            [b'.', tail @ ..] | [b'%', b'2', b'e' | b'E', tail @ ..] => tail,
            _ => return false,
        };
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// Most origin templates a thread remembers (see [`with_template_origin`]); past it the memo
/// starts over. Apps have a handful of datasources and absolute query URLs.
const MAX_MEMO_ORIGINS: usize = 256;

/// Calls `f` with the origin that the literal text of `template` fixes
/// ([`guard::template_origin`]). That costs two URL parses, the larger part of rendering a
/// query, and its answer depends on the template's text alone (stored apps do not change
/// under a query), so each thread remembers it per template: a stored query's origin is
/// computed once, not on every run. Errors are not remembered.
fn with_template_origin<T>(
    template: &str,
    f: impl FnOnce(&url::Origin) -> T,
) -> Result<T, UrlProblem> {
    thread_local! {
        static ORIGINS: RefCell<HashMap<String, url::Origin>> = RefCell::new(HashMap::new());
    }
    ORIGINS.with(|memo| {
        if let Some(origin) = memo.borrow().get(template) {
            return Ok(f(origin));
        }
        let origin = guard::template_origin(template)?;
        let answer = f(&origin);
        let mut memo = memo.borrow_mut();
        if memo.len() >= MAX_MEMO_ORIGINS {
            memo.clear();
        }
        memo.insert(template.to_owned(), origin);
        Ok(answer)
    })
}

/// `Basic base64(form-urlencoded(user) ":" form-urlencoded(password))`: the client
/// authentication of OAuth 2.0 (RFC 6749 §2.3.1), which plain HTTP Basic (RFC 7617) reads the
/// same for the characters such names and secrets hold.
pub fn basic_auth_header(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(user), encode(password));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

struct Ctx<'a> {
    values: &'a Map<String, Value>,
    secret: SecretLookup<'a>,
    session: SessionLookup<'a>,
}

/// A binding's value: the browser's JSON value, or a secret or session token (a string).
enum Resolved<'v> {
    Value(&'v Value),
    Secret(String),
}

impl Ctx<'_> {
    fn resolve(&self, key: &str) -> Result<Resolved<'_>, SubstitutionError> {
        if let Some(name) = template::secret_name(key) {
            return (self.secret)(name).map(Resolved::Secret).ok_or_else(|| {
                SubstitutionError::UnknownSecret {
                    name: name.to_owned(),
                }
            });
        }
        if let Some(token) = template::session_token(key) {
            return (self.session)(token).map(Resolved::Secret).ok_or(
                SubstitutionError::NoSession {
                    binding: token.binding(),
                },
            );
        }
        self.values
            .get(key)
            .map(Resolved::Value)
            .ok_or_else(|| SubstitutionError::MissingValue {
                binding: key.to_owned(),
            })
    }

    /// The value as text: a string as itself, anything else as its JSON text.
    fn text_of(&self, key: &str) -> Result<String, SubstitutionError> {
        Ok(match self.resolve(key)? {
            Resolved::Secret(s) => s,
            Resolved::Value(Value::String(s)) => s.clone(),
            Resolved::Value(v) => v.to_string(),
        })
    }

    fn render_text(&self, template: &str) -> Result<String, SubstitutionError> {
        if !template::has_binding(template) {
            return Ok(template.to_owned());
        }
        let mut out = String::with_capacity(template.len());
        for segment in split(template)? {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Binding { code, .. } => out.push_str(&self.text_of(code.trim())?),
            }
        }
        Ok(out)
    }

    /// A URL template: bindings percent-encoded (every byte but `A-Z a-z 0-9 - . _ ~`), so a
    /// value cannot add a path segment, a query parameter or a fragment.
    fn render_url(&self, template: &str) -> Result<String, SubstitutionError> {
        if !template::has_binding(template) {
            return Ok(template.to_owned());
        }
        let mut out = String::with_capacity(template.len());
        for segment in split(template)? {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Binding { code, .. } => {
                    percent_encode(&self.text_of(code.trim())?, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// A JSON template: outside string literals a binding becomes its JSON value (strings
    /// quoted and escaped); inside a string literal it becomes escaped string content.
    ///
    /// The result must parse, and no object (at any depth) may have a key twice.
    fn render_json(&self, template: &str) -> Result<Vec<u8>, SubstitutionError> {
        let mut out = String::with_capacity(template.len() + 16);
        let mut scanner = JsonScanner::default();
        for segment in split(template)? {
            match segment {
                Segment::Text(t) => {
                    scanner.feed(t);
                    out.push_str(t);
                }
                Segment::Binding { code, .. } => {
                    let key = code.trim();
                    if scanner.in_string {
                        push_json_string_content(&self.text_of(key)?, &mut out);
                    } else {
                        match self.resolve(key)? {
                            Resolved::Secret(s) => push_json_string(&s, &mut out),
                            Resolved::Value(Value::String(s)) => push_json_string(s, &mut out),
                            Resolved::Value(v) => out.push_str(&v.to_string()),
                        }
                    }
                }
            }
        }
        if let Err(e) = serde_json::from_str::<UniqueKeys>(&out) {
            return Err(SubstitutionError::InvalidJsonBody {
                message: json_error_message(&e),
            });
        }
        Ok(out.into_bytes())
    }
}

/// serde_json's message (which never quotes the input) with its position.
fn json_error_message(e: &serde_json::Error) -> String {
    e.to_string()
}

fn split(template: &str) -> Result<Vec<Segment<'_>>, SubstitutionError> {
    template::split(template).map_err(|e| SubstitutionError::InvalidTemplate(e.to_string()))
}

/// Follows the literal text of a JSON template: whether it ends inside a string literal, and
/// whether what comes next is an object key (a binding outside strings counts as a value).
#[derive(Default)]
struct JsonScanner {
    in_string: bool,
    escaped: bool,
    /// The string literal being read is an object key.
    string_is_key: bool,
    /// Open arrays (`None`) and objects (`Some(expecting a key)`).
    open: Vec<Option<bool>>,
}

impl JsonScanner {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '"' {
                    self.in_string = false;
                }
                continue;
            }
            match c {
                '"' => {
                    self.in_string = true;
                    self.string_is_key = self.expects_key();
                }
                '{' => self.open.push(Some(true)),
                '[' => self.open.push(None),
                '}' | ']' => {
                    self.open.pop();
                }
                ':' | ',' => {
                    if let Some(Some(expect_key)) = self.open.last_mut() {
                        *expect_key = c == ',';
                    }
                }
                _ => {}
            }
        }
    }

    fn expects_key(&self) -> bool {
        self.open.last() == Some(&Some(true))
    }

    /// A binding here would be (part of) an object key.
    fn at_key(&self) -> bool {
        if self.in_string {
            self.string_is_key
        } else {
            self.expects_key()
        }
    }
}

/// Any JSON value, refused when an object at any depth has a key twice. serde_json's `Value`
/// keeps the last silently, and so do many upstreams: a key bound to a value could override a
/// fixed field. The error names no key (a key may be a value).
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E: de::Error>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(de::Error::custom("an object has the same key twice"));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}

/// A JSON string literal (RFC 8259 §7 escaping, by serde_json).
fn push_json_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_owned()).to_string());
}

/// The escaped content of a JSON string literal, without its quotes.
fn push_json_string_content(s: &str, out: &mut String) {
    let quoted = Value::String(s.to_owned()).to_string();
    let content = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
    out.push_str(content.unwrap_or_default());
}

fn percent_encode(s: &str, out: &mut String) {
    use std::fmt::Write;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Checks at load time that a JSON body template has no binding in an object key (a browser
/// must not choose field names) and is valid JSON without duplicate keys once its bindings are
/// filled (each with an empty string, the most common kind of value).
pub(crate) fn check_json_template(template: &str) -> Result<(), String> {
    let Ok(segments) = template::split(template) else {
        return Ok(()); // the binding check reports it
    };
    let mut scanner = JsonScanner::default();
    for segment in &segments {
        match segment {
            Segment::Text(t) => scanner.feed(t),
            Segment::Binding { code, .. } if scanner.at_key() => {
                return Err(format!(
                    "binding `{{{{{}}}}}` is in an object key of the JSON body: keys are written literally, bindings go in values",
                    crate::load::shorten(code.trim())
                ));
            }
            Segment::Binding { .. } => {}
        }
    }
    let keys: Map<String, Value> = segments
        .iter()
        .filter_map(Segment::key)
        .map(|k| (k.to_owned(), Value::String(String::new())))
        .collect();
    let secret = |_: &str| Some(String::new());
    let session = |_: SessionToken| Some(String::new());
    let ctx = Ctx {
        values: &keys,
        secret: &secret,
        session: &session,
    };
    match ctx.render_json(template) {
        Ok(_) => Ok(()),
        Err(SubstitutionError::InvalidJsonBody { message }) => Err(format!(
            "the JSON body is not valid JSON even with its bindings filled in: {message}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The bindings of a query, as the browser must send them: trimmed texts in order of first
/// appearance (url or path, params, datasource headers, query headers, body), without
/// duplicates, without `secrets.*` and `session.*` (resolved on the server).
pub fn query_bindings(query: &Query, datasources: &[Datasource]) -> Vec<String> {
    let mut templates: Vec<&str> = Vec::new();
    templates.extend(query.url.as_deref());
    templates.extend(query.path.as_deref());
    templates.extend(query.params.iter().map(|(_, v)| v.as_str()));
    if let Some(ds) = query
        .datasource
        .as_ref()
        .and_then(|name| datasources.iter().find(|d| &d.name == name))
    {
        templates.extend(ds.headers.iter().map(|(_, v)| v.as_str()));
    }
    templates.extend(query.headers.iter().map(|(_, v)| v.as_str()));
    if let Some(basic) = &query.basic_auth {
        templates.extend([basic.username.as_str(), basic.password.as_str()]);
    }
    match &query.body {
        Some(Body::Json(t) | Body::Text(t)) => templates.push(t),
        Some(Body::Form(fields)) => templates.extend(fields.iter().map(|(_, v)| v.as_str())),
        None => {}
    }
    let mut out: Vec<String> = Vec::new();
    for t in templates {
        let Ok(segments) = template::split(t) else {
            continue;
        };
        for key in segments.iter().filter_map(Segment::key) {
            if !template::resolved_on_server(key) && !out.iter().any(|k| k == key) {
                out.push(key.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BasicAuth, OrderedMap, DEFAULT_TIMEOUT_MS};
    use serde_json::json;

    fn local_ds() -> Datasource {
        Datasource {
            name: "provider".into(),
            url: "/auth/v1".into(),
            headers: OrderedMap(vec![("apikey".into(), "{{secrets.PROVIDER_KEY}}".into())]),
        }
    }

    fn remote_ds() -> Datasource {
        Datasource {
            name: "api".into(),
            url: "https://api.example.com/v1/".into(),
            headers: OrderedMap::new(),
        }
    }

    fn query(path: &str) -> Query {
        Query {
            name: "q".into(),
            datasource: Some("provider".into()),
            path: Some(path.into()),
            url: None,
            method: Method::Post,
            params: OrderedMap::new(),
            headers: OrderedMap::new(),
            body: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            follow_redirects: false,
            access: Default::default(),
            basic_auth: None,
        }
    }

    fn json_query(template: &str) -> Query {
        Query {
            body: Some(Body::Json(template.into())),
            ..query("/token")
        }
    }

    fn values(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn secrets(name: &str) -> Option<String> {
        (name == "PROVIDER_KEY").then(|| "s3cr3t\"value".to_owned())
    }

    /// A session holding an access token and no refresh token.
    fn session(token: SessionToken) -> Option<String> {
        (token == SessionToken::Access).then(|| "acc\"ess".to_owned())
    }

    #[test]
    fn basic_auth_is_computed_on_the_server_from_secrets_and_values() {
        use base64::Engine as _;
        let mut q = query("/token");
        q.headers = OrderedMap(vec![("Authorization".into(), "Bearer x".into())]);
        q.basic_auth = Some(BasicAuth {
            username: "{{secrets.PROVIDER_KEY}}".into(),
            password: "{{ p }}".into(),
        });
        assert_eq!(query_bindings(&q, &[]), vec!["p".to_owned()]);
        let r = run(&q, json!({"p": "a b:c"})).unwrap();
        let auth: Vec<&str> = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str())
            .collect();
        let expected = base64::engine::general_purpose::STANDARD.encode("s3cr3t%22value:a+b%3Ac");
        assert_eq!(auth, vec![format!("Basic {expected}")]);
        assert!(!format!("{r:?}").contains("s3cr3t"));
    }

    #[test]
    fn session_tokens_are_resolved_on_the_server_and_never_taken_from_the_browser() {
        let mut q = json_query("{\"t\": {{session.accessToken}}}");
        q.headers = OrderedMap(vec![(
            "Authorization".into(),
            "Bearer {{session.accessToken}}".into(),
        )]);
        let r = run(&q, json!({"session.accessToken": "from the browser"})).unwrap();
        assert_eq!(body_json(&r), json!({"t": "acc\"ess"}));
        let auth = r.headers.iter().find(|(n, _)| n == "Authorization");
        assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer acc\"ess"));
        let q = json_query("{\"t\": {{session.refreshToken}}}");
        let err = run(&q, json!({"session.refreshToken": "from the browser"})).unwrap_err();
        assert_eq!(
            err,
            SubstitutionError::NoSession {
                binding: "session.refreshToken"
            }
        );
        assert!(!err.to_string().contains("from the browser"));
        let q = json_query("{\"a\": {{ b }}, \"t\": {{session.accessToken}}}");
        assert_eq!(query_bindings(&q, &[]), vec!["b".to_owned()]);
    }

    fn run(q: &Query, v: Value) -> Result<RenderedRequest, SubstitutionError> {
        render(
            q,
            &[local_ds(), remote_ds()],
            &values(v),
            &secrets,
            &session,
        )
    }

    fn body_json(r: &RenderedRequest) -> Value {
        let bytes = &r.body.as_ref().map(|b| b.bytes.clone()).unwrap_or_default();
        serde_json::from_slice(bytes).unwrap_or(Value::Null)
    }

    #[test]
    fn the_guide_sign_in_body_becomes_typed_json() {
        let q =
            json_query("{\"email\": {{inp_username.text}}, \"password\": {{ inp_password.text }}}");
        let r = run(
            &q,
            json!({"inp_username.text": "ann@example.com", "inp_password.text": "pw"}),
        )
        .unwrap();
        assert_eq!(
            body_json(&r),
            json!({"email": "ann@example.com", "password": "pw"})
        );
        let body = r.body.unwrap();
        assert_eq!(body.content_type, "application/json");
        assert_eq!(r.target, Target::Local("/auth/v1/token".into()));
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.timeout, Duration::from_secs(10));
    }

    #[test]
    fn a_password_cannot_inject_json_fields() {
        let q = json_query("{\"email\": {{e}}, \"password\": {{p}}, \"role\": \"user\"}");
        let evil = "x\", \"role\": \"admin";
        let r = run(&q, json!({"e": "a@b.c", "p": evil})).unwrap();
        let body = body_json(&r);
        assert_eq!(body["password"], json!(evil));
        assert_eq!(body["role"], json!("user"));
        assert_eq!(body.as_object().map(Map::len), Some(3));
    }

    #[test]
    fn a_value_inside_a_json_string_stays_inside_it() {
        let q = json_query("{\"auth\": \"Bearer {{token}}\", \"n\": \"a\\\"{{x}}\"}");
        let evil = "t\", \"admin\": true, \"z\": \"\\";
        let r = run(&q, json!({"token": evil, "x": 5})).unwrap();
        let body = body_json(&r);
        assert_eq!(body["auth"], json!(format!("Bearer {evil}")));
        assert_eq!(body["n"], json!("a\"5"));
        assert_eq!(body.as_object().map(Map::len), Some(2));
    }

    #[test]
    fn values_of_every_type_are_written_as_json() {
        let q = json_query("[{{s}}, {{n}}, {{f}}, {{b}}, {{o}}, {{a}}, {{z}}, {{u}}]");
        let r = run(
            &q,
            json!({"s": "line\nbreak \u{1} \\ \"q\"", "n": 42, "f": 1.5, "b": true,
                   "o": {"k": [1, "v"]}, "a": [], "z": null, "u": "ünï</script>"}),
        )
        .unwrap();
        assert_eq!(
            body_json(&r),
            json!(["line\nbreak \u{1} \\ \"q\"", 42, 1.5, true, {"k": [1, "v"]}, [], null, "ünï</script>"])
        );
    }

    #[test]
    fn a_missing_value_is_named() {
        let q = json_query("{\"a\": {{ inp.text }}}");
        assert_eq!(
            run(&q, json!({})).unwrap_err(),
            SubstitutionError::MissingValue {
                binding: "inp.text".into()
            }
        );
    }

    #[test]
    fn invalid_json_after_substitution_is_an_error_without_the_value() {
        let q = json_query("{\"a\": {{x}} {{y}}}");
        let err = run(&q, json!({"x": "hunter2", "y": 1})).unwrap_err();
        assert!(
            matches!(err, SubstitutionError::InvalidJsonBody { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn secrets_are_resolved_on_the_server_and_never_in_errors() {
        let mut q = json_query(
            "{\"key\": {{secrets.PROVIDER_KEY}}, \"in\": \"k={{secrets.PROVIDER_KEY}}\"}",
        );
        q.headers = OrderedMap(vec![("X-Key".into(), "{{secrets.PROVIDER_KEY}}".into())]);
        let r = run(&q, json!({})).unwrap();
        assert_eq!(
            body_json(&r),
            json!({"key": "s3cr3t\"value", "in": "k=s3cr3t\"value"})
        );
        assert_eq!(
            r.headers,
            vec![
                ("apikey".to_owned(), "s3cr3t\"value".to_owned()),
                ("X-Key".to_owned(), "s3cr3t\"value".to_owned())
            ]
        );
        let q = json_query("{\"key\": {{secrets.OTHER}}}");
        let err = run(&q, json!({"secrets.OTHER": "from the browser"})).unwrap_err();
        assert_eq!(
            err,
            SubstitutionError::UnknownSecret {
                name: "OTHER".into()
            }
        );
    }

    #[test]
    fn a_value_that_looks_like_a_binding_is_never_substituted_again() {
        let mut q = json_query("{\"a\": {{x}}, \"b\": \"{{x}}\"}");
        q.headers = OrderedMap(vec![("X".into(), "{{x}}".into())]);
        let r = run(&q, json!({"x": "{{secrets.PROVIDER_KEY}}"})).unwrap();
        assert_eq!(
            body_json(&r),
            json!({"a": "{{secrets.PROVIDER_KEY}}", "b": "{{secrets.PROVIDER_KEY}}"})
        );
        assert_eq!(
            r.headers[1],
            ("X".to_owned(), "{{secrets.PROVIDER_KEY}}".to_owned())
        );
    }

    #[test]
    fn url_values_are_percent_encoded() {
        let mut q = query("/users/{{id}}/files");
        q.params = OrderedMap(vec![
            ("q".into(), "{{term}}".into()),
            ("grant_type".into(), "password".into()),
            ("n".into(), "{{n}}".into()),
        ]);
        let r = run(
            &q,
            json!({"id": "a/b?c#d e", "term": "x&admin=1 +", "n": 3}),
        )
        .unwrap();
        assert_eq!(
            r.target,
            Target::Local("/auth/v1/users/a%2Fb%3Fc%23d%20e/files?q=x%26admin%3D1+%2B&grant_type=password&n=3".into())
        );
    }

    #[test]
    fn a_value_cannot_climb_out_of_the_path() {
        let q = query("/files/{{name}}");
        for evil in ["..", ".", "%2e%2e"] {
            let r = run(&q, json!({ "name": evil }));
            match r {
                Err(SubstitutionError::InvalidUrl { .. }) => {}
                Ok(r) => assert_eq!(
                    r.target,
                    Target::Local("/auth/v1/files/%252e%252e".into()),
                    "{evil}"
                ),
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn absolute_urls_are_checked() {
        let mut q = query("/items/{{id}}");
        q.datasource = Some("api".into());
        q.params = OrderedMap(vec![("a".into(), "1".into())]);
        let r = run(&q, json!({"id": 7})).unwrap();
        let Target::Absolute(url) = &r.target else {
            panic!("not absolute")
        };
        assert_eq!(url.as_str(), "https://api.example.com/v1/items/7?a=1");

        let mut q = query("");
        q.datasource = None;
        q.path = None;
        q.url = Some("https://example.com/search?x=1&q={{term}}".into());
        q.params = OrderedMap(vec![("b".into(), "2".into())]);
        let r = run(&q, json!({"term": "a b&c"})).unwrap();
        let Target::Absolute(url) = &r.target else {
            panic!("not absolute")
        };
        assert_eq!(
            url.as_str(),
            "https://example.com/search?x=1&q=a%20b%26c&b=2"
        );

        q.url = Some("ftp://example.com/x".into());
        assert!(matches!(
            run(&q, json!({})),
            Err(SubstitutionError::InvalidUrl { .. })
        ));
        q.url = Some("https://user:pw@example.com/x".into());
        assert!(matches!(
            run(&q, json!({})),
            Err(SubstitutionError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn headers_are_text_and_refuse_line_breaks() {
        let mut q = query("/user");
        q.method = Method::Get;
        q.headers = OrderedMap(vec![
            (
                "Authorization".into(),
                "Bearer {{appsmith.store.accesstoken}}".into(),
            ),
            ("APIKEY".into(), "override {{n}}".into()),
        ]);
        let r = run(&q, json!({"appsmith.store.accesstoken": "tok", "n": 1})).unwrap();
        assert_eq!(
            r.headers,
            vec![
                ("Authorization".to_owned(), "Bearer tok".to_owned()),
                ("APIKEY".to_owned(), "override 1".to_owned())
            ]
        );
        assert_eq!(r.body, None);
        let err = run(
            &q,
            json!({"appsmith.store.accesstoken": "tok\r\nX-Admin: 1", "n": 1}),
        )
        .unwrap_err();
        assert_eq!(
            err,
            SubstitutionError::InvalidHeaderValue {
                name: "Authorization".into()
            }
        );
        assert!(!err.to_string().contains("X-Admin"));
    }

    #[test]
    fn text_and_form_bodies() {
        let mut q = query("/t");
        q.body = Some(Body::Text("Hello {{name}}, {{n}}".into()));
        let r = run(&q, json!({"name": "\"Ann\"", "n": {"a": 1}})).unwrap();
        let body = r.body.unwrap();
        assert_eq!(body.bytes, b"Hello \"Ann\", {\"a\":1}".to_vec());
        assert_eq!(body.content_type, "text/plain; charset=utf-8");

        q.body = Some(Body::Form(OrderedMap(vec![
            ("grant_type".into(), "password".into()),
            ("username".into(), "{{u}}".into()),
        ])));
        q.headers = OrderedMap(vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )]);
        let r = run(&q, json!({"u": "a&b=c d"})).unwrap();
        let body = r.body.unwrap();
        assert_eq!(
            body.bytes,
            b"grant_type=password&username=a%26b%3Dc+d".to_vec()
        );
        assert_eq!(
            body.content_type,
            "application/x-www-form-urlencoded; charset=utf-8"
        );
        assert!(r
            .headers
            .iter()
            .all(|(n, _)| !n.eq_ignore_ascii_case("content-type")));
    }

    #[test]
    fn unknown_datasource_and_no_target() {
        let mut q = query("/x");
        q.datasource = Some("nope".into());
        assert_eq!(
            run(&q, json!({})).unwrap_err(),
            SubstitutionError::UnknownDatasource {
                name: "nope".into()
            }
        );
        q.datasource = None;
        assert_eq!(run(&q, json!({})).unwrap_err(), SubstitutionError::NoTarget);
    }

    #[test]
    fn bindings_are_listed_in_order_without_duplicates_or_secrets() {
        let mut q = json_query("{\"a\": {{ b }}, \"c\": {{a}}, \"k\": {{secrets.PROVIDER_KEY}}}");
        q.path = Some("/x/{{a}}".into());
        q.params = OrderedMap(vec![("p".into(), "{{p}}".into())]);
        q.headers = OrderedMap(vec![("H".into(), "{{h}} {{a}}".into())]);
        assert_eq!(query_bindings(&q, &[local_ds()]), vec!["a", "p", "h", "b"]);
    }

    #[test]
    fn json_templates_are_checked_at_load() {
        assert!(check_json_template("{\"email\": {{a}}, \"p\": \"x {{b}}\"}").is_ok());
        assert!(check_json_template("{\"a\": {{a}} \"b\": 1}").is_err());
        assert!(check_json_template("{\"a\": ").is_err());
    }

    #[test]
    fn a_binding_in_an_object_key_is_refused_at_load_with_its_name() {
        for template in [
            "{ {{k}}: 1 }",
            "{\"{{k}}\": 1}",
            "{\"a{{k}}\": 1}",
            "{\"a\": 1, {{ k }}: 2}",
            "{\"a\": {\"b\": [1, {\"c\": 2, \"{{k}}\": 3}]}}",
            "[{\"x\": \"{\"}, { {{k}}: 1 }]",
            "{\"a\\\"\": 1, \"{{k}}\": 2}",
        ] {
            let message = check_json_template(template).unwrap_err();
            assert!(
                message.starts_with("binding `{{k}}` is in an object key of the JSON body"),
                "{template}: {message}"
            );
        }
        for template in [
            "{\"a\": \"{{k}}\", \"b\": {{k}}}",
            "[{{k}}, \"{{k}}\", {\"a\": [{{k}}]}]",
            "{\"a\": {\"b\": {{k}}}, \"c\": \"}{{k}}\"}",
            "{{k}}",
        ] {
            assert_eq!(check_json_template(template), Ok(()), "{template}");
        }
    }

    #[test]
    fn a_json_body_with_a_duplicate_key_is_refused_at_any_depth() {
        // A stored query that skipped validation: the key binding duplicates a fixed field.
        let q = json_query("{ {{k}}: 1, \"role\": \"user\" }");
        let err = run(&q, json!({"k": "role"})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the JSON body is not valid JSON after substitution: an object has the same key twice at line 1 column 19"
        );
        assert!(run(&q, json!({"k": "name"})).is_ok());

        let q = json_query("{\"a\": [{\"b\": {{x}}, \"\\u0062\": 2}]}");
        assert!(matches!(
            run(&q, json!({"x": 1})),
            Err(SubstitutionError::InvalidJsonBody { .. })
        ));
        let q =
            json_query("{\"a\": {\"b\": 1}, \"c\": {\"b\": 1}, \"d\": [{\"b\": 1}, {\"b\": 2}]}");
        assert!(run(&q, json!({})).is_ok());
        assert!(check_json_template("{\"a\": {{x}}, \"a\": 2}")
            .unwrap_err()
            .contains("an object has the same key twice"));
    }

    fn url_query(url: &str) -> Query {
        Query {
            datasource: None,
            path: None,
            url: Some(url.into()),
            method: Method::Get,
            ..query("/")
        }
    }

    #[test]
    fn a_stored_query_url_cannot_let_a_binding_choose_the_host() {
        for template in [
            "http:///{{h}}/x",
            "http://\t/{{h}}/x",
            "http://{{h}}/x",
            "https://example.com:{{h}}/x",
            "https://{{h}}@example.com/x",
        ] {
            let err = run(&url_query(template), json!({"h": "127.0.0.1"})).unwrap_err();
            assert!(
                matches!(err, SubstitutionError::InvalidUrl { .. }),
                "{template:?}: {err:?}"
            );
            assert!(!err.to_string().contains("127.0.0.1"), "{err}");
        }
        let r = run(
            &url_query("https://example.com/{{h}}"),
            json!({"h": "127.0.0.1"}),
        )
        .unwrap();
        assert_eq!(
            r.target,
            Target::Absolute(url::Url::parse("https://example.com/127.0.0.1").unwrap())
        );
    }

    #[test]
    fn a_stored_datasource_path_cannot_leave_the_datasources_origin() {
        let ds = Datasource {
            name: "api".into(),
            url: "https://api.example.com".into(),
            headers: OrderedMap::new(),
        };
        let mut q = query(".evil.example/x");
        q.datasource = Some("api".into());
        for path in [".evil.example/x", ":8443/x", "@evil.example/x"] {
            q.path = Some(path.into());
            let err = render(
                &q,
                std::slice::from_ref(&ds),
                &Map::new(),
                &secrets,
                &session,
            )
            .unwrap_err();
            assert!(
                matches!(err, SubstitutionError::InvalidUrl { .. }),
                "{path}: {err:?}"
            );
        }
        q.path = Some("/x".into());
        assert!(render(&q, &[ds], &Map::new(), &secrets, &session).is_ok());
    }

    #[test]
    fn framing_and_reserved_headers_are_refused_at_render_time() {
        for name in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "TE",
            "X-Lowkey-Hop",
        ] {
            let mut q = query("/user");
            q.headers = OrderedMap(vec![(name.into(), "{{v}}".into())]);
            assert_eq!(
                run(&q, json!({"v": "x"})).unwrap_err(),
                SubstitutionError::ForbiddenHeader { name: name.into() }
            );
        }
        let ds = Datasource {
            headers: OrderedMap(vec![("Connection".into(), "close".into())]),
            ..local_ds()
        };
        let err = render(&query("/user"), &[ds], &Map::new(), &secrets, &session).unwrap_err();
        assert_eq!(
            err.to_string(),
            "header `Connection` cannot be set by a query or datasource: it frames or routes the request, or is reserved for the server"
        );
    }

    #[test]
    fn a_forwarding_header_may_be_literal_but_never_bound() {
        let mut q = query("/user");
        q.headers = OrderedMap(vec![("X-Forwarded-For".into(), "{{ip}}".into())]);
        let err = run(&q, json!({"ip": "10.0.0.1"})).unwrap_err();
        assert_eq!(
            err,
            SubstitutionError::BoundForwardingHeader {
                name: "X-Forwarded-For".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "header `X-Forwarded-For` cannot hold a binding: a browser must not choose the client address an upstream sees"
        );
        q.headers = OrderedMap(vec![("x-real-ip".into(), "203.0.113.9".into())]);
        assert_eq!(
            run(&q, json!({})).unwrap().headers,
            vec![
                ("apikey".to_owned(), "s3cr3t\"value".to_owned()),
                ("x-real-ip".to_owned(), "203.0.113.9".to_owned())
            ]
        );
    }

    #[test]
    fn follow_redirects_is_copied_from_the_query() {
        let mut q = query("/user");
        assert!(!run(&q, json!({})).unwrap().follow_redirects);
        q.follow_redirects = true;
        assert!(run(&q, json!({})).unwrap().follow_redirects);
    }

    #[test]
    fn the_debug_of_a_rendered_request_shows_no_value_body_or_query_string() {
        let mut q = json_query("{\"password\": {{p}}}");
        q.datasource = Some("api".into());
        q.path = Some("/items/{{id}}".into());
        q.params = OrderedMap(vec![("api_key".into(), "{{secrets.PROVIDER_KEY}}".into())]);
        q.headers = OrderedMap(vec![("X-Key".into(), "{{secrets.PROVIDER_KEY}}".into())]);
        let r = run(&q, json!({"p": "hunter2", "id": 7})).unwrap();
        let debug = format!("{r:?}");
        assert_eq!(
            debug,
            "RenderedRequest { method: Post, target: Absolute(\"https://api.example.com/v1/items/7?…\"), \
             header_names: [\"X-Key\"], body: Some(RenderedBody { len: 23, .. }), timeout: 10s, \
             follow_redirects: false }"
        );
        for secret in ["s3cr3t", "hunter2", "api_key", "application/json"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert_eq!(
            format!(
                "{:?}",
                Target::Local("/auth/v1/token?grant_type=password#x".into())
            ),
            "Local(\"/auth/v1/token?…\")"
        );
        assert_eq!(
            format!("{:?}", Target::Local("/auth/v1/user#frag".into())),
            "Local(\"/auth/v1/user#…\")"
        );
    }

    #[test]
    fn dot_segments_are_recognised_as_the_decoding_check_did() {
        fn by_decoding(segment: &str) -> bool {
            let decoded = segment.replace("%2e", ".").replace("%2E", ".");
            decoded == "." || decoded == ".."
        }
        for segment in [
            "",
            ".",
            "..",
            "...",
            "%2e",
            "%2E",
            "%2e%2e",
            "%2E%2e",
            ".%2e",
            "%2e.",
            "%2e%2e%2e",
            "..%2e",
            "%2",
            "%2e%2",
            "%2ex",
            "x%2e",
            "a.",
            ".a",
            "%252e",
            "%2e.%2e",
            "%2f",
            "%2F",
            "%2e%",
            "%%2e",
            "..\u{e9}",
            "%2e\u{e9}",
        ] {
            assert_eq!(is_dot_segment(segment), by_decoding(segment), "{segment:?}");
        }
    }

    #[test]
    fn a_remembered_origin_gives_the_same_answers_as_a_fresh_one() {
        let run_url = |url: &str, v: Value| run(&url_query(url), v);
        for _ in 0..3 {
            let r = run_url("https://example.com/{{h}}", json!({"h": "x"})).unwrap();
            assert_eq!(
                r.target,
                Target::Absolute(url::Url::parse("https://example.com/x").unwrap())
            );
            assert!(matches!(
                run_url("http://{{h}}/x", json!({"h": "example.com"})),
                Err(SubstitutionError::InvalidUrl { .. })
            ));
        }
        // More templates than a thread remembers: each still gets its own origin.
        for i in 0..(MAX_MEMO_ORIGINS + 10) {
            let url = format!("https://h{i}.example.com/{{{{p}}}}");
            let r = run_url(&url, json!({"p": i})).unwrap();
            assert_eq!(
                r.target,
                Target::Absolute(
                    url::Url::parse(&format!("https://h{i}.example.com/{i}")).unwrap()
                )
            );
        }
        let r = run_url("https://example.com/{{h}}", json!({"h": "y"})).unwrap();
        assert_eq!(
            r.target,
            Target::Absolute(url::Url::parse("https://example.com/y").unwrap())
        );
    }
}
