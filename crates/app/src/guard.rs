//! Rules on what a query may send, shared by the loader (located diagnostics) and [`render`]
//! (again, for a stored app that skipped validation): bindings never choose a URL's scheme,
//! host or port, and a query never sets a header that frames or routes its request.
//!
//! [`render`]: crate::render

use std::fmt;

use crate::template::{self, Segment, UnclosedBinding};

/// Headers that frame or route a request, or that the server reserves (`X-Lowkey-Hop`, its
/// loop guard): never set by a query or a datasource. Lower case.
const FORBIDDEN_HEADERS: [&str; 13] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "proxy-authorization",
    "proxy-authenticate",
    "x-lowkey-hop",
];

/// Headers that tell an upstream who the client is: a literal value is allowed, a binding is
/// not (a browser must not choose the client address an upstream sees). Lower case.
const FORWARDING_HEADERS: [&str; 5] = [
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "forwarded",
];

/// Why a header of a query or datasource is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderProblem {
    /// It frames or routes the request (`Host`, `Content-Length`, hop-by-hop headers…).
    Framing,
    /// `X-Lowkey-Hop`: the server's loop guard.
    Reserved,
    /// A forwarding header (`X-Forwarded-For`…) whose value holds a binding.
    BoundForwarding,
}

/// The problem with header `name` whose value is `template`, if any. Names compare ignoring
/// ASCII case.
pub(crate) fn header_problem(name: &str, template: &str) -> Option<HeaderProblem> {
    let lower = name.to_ascii_lowercase();
    if lower == "x-lowkey-hop" {
        Some(HeaderProblem::Reserved)
    } else if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
        Some(HeaderProblem::Framing)
    } else if FORWARDING_HEADERS.contains(&lower.as_str()) && template::has_binding(template) {
        Some(HeaderProblem::BoundForwarding)
    } else {
        None
    }
}

/// Why the scheme, host and port of a URL template are not fixed by its literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// It does not start with `http://` or `https://`.
    NotHttp,
    /// A tab or line break anywhere, or a backslash before the query string: URL parsing
    /// drops or rewrites them, so the text would not say where the request goes.
    Rewritten,
    /// A `{{` without `}}`.
    Unclosed(UnclosedBinding),
    /// Not a URL even with its bindings filled in.
    Invalid,
    /// A binding is (part of) the scheme, host or port.
    BindingInOrigin,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::NotHttp => {
                f.write_str("a `url` must be an absolute http:// or https:// URL")
            }
            UrlProblem::Rewritten => f.write_str(
                "a `url` must not contain tabs or line breaks, nor backslashes before its query \
                 string: URL parsing drops or rewrites them",
            ),
            UrlProblem::Unclosed(e) => write!(f, "{e}"),
            UrlProblem::Invalid => f.write_str("the `url` is not a valid URL"),
            UrlProblem::BindingInOrigin => f.write_str(
                "bindings are allowed in the path and query of a `url`, not in its scheme, host \
                 or port",
            ),
        }
    }
}

/// The scheme, host and port that the literal text of the http(s) URL template `template`
/// fixes, whatever values its bindings get.
///
/// The template is rendered with a letter-only sentinel in each binding (letters survive URL
/// parsing and host lower-casing) and parsed as WHATWG URL parsing does; the parsed host must
/// hold no sentinel, and the origin must be the one of the literal text before the first
/// binding. (A port is a number once parsed, so a sentinel in it fails the parse instead.)
pub(crate) fn template_origin(template: &str) -> Result<url::Origin, UrlProblem> {
    let starts_http = ["http://", "https://"].iter().any(|prefix| {
        template
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    });
    if !starts_http {
        return Err(UrlProblem::NotHttp);
    }
    if is_rewritten(template) {
        return Err(UrlProblem::Rewritten);
    }
    let segments = template::split(template).map_err(UrlProblem::Unclosed)?;
    let base = sentinel_base(template);
    let mut rendered = String::with_capacity(template.len() + 16);
    let mut literal_prefix: Option<String> = None;
    let mut bindings = 0usize;
    for segment in &segments {
        match segment {
            Segment::Text(t) => rendered.push_str(t),
            Segment::Binding { .. } => {
                if literal_prefix.is_none() {
                    literal_prefix = Some(rendered.clone());
                }
                rendered.push_str(&base);
                push_letters(bindings, &mut rendered);
                bindings += 1;
            }
        }
    }
    let literal_prefix = literal_prefix.unwrap_or_else(|| rendered.clone());
    let literal = url::Url::parse(&literal_prefix);
    let parsed = match url::Url::parse(&rendered) {
        Ok(u) => u,
        // The literal text before the first binding is a URL; the binding broke it (as in
        // `https://a.example:{{port}}/`).
        Err(_) if literal.is_ok() && bindings > 0 => return Err(UrlProblem::BindingInOrigin),
        Err(_) => return Err(UrlProblem::Invalid),
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlProblem::NotHttp);
    }
    let Some(host) = parsed.host_str() else {
        return Err(UrlProblem::Invalid);
    };
    if bindings > 0 && host.contains(&base) {
        return Err(UrlProblem::BindingInOrigin);
    }
    let origin = parsed.origin();
    match literal {
        Ok(literal) if literal.origin() == origin => Ok(origin),
        _ => Err(UrlProblem::BindingInOrigin),
    }
}

/// A tab or line break anywhere, or a backslash before the first `?` or `#`.
fn is_rewritten(template: &str) -> bool {
    let before_query = template.find(['?', '#']).unwrap_or(template.len());
    template.contains(['\t', '\n', '\r']) || template[..before_query].contains('\\')
}

/// Letters that do not occur in the template (ignoring case), so any occurrence in the parsed
/// URL comes from a binding.
fn sentinel_base(template: &str) -> String {
    let lower = template.to_ascii_lowercase();
    let mut base = String::from("zqlkbind");
    while lower.contains(&base) {
        base.push('q');
    }
    base
}

/// `n` in base 26 with the digits `a`–`z`, so each binding gets its own sentinel.
fn push_letters(mut n: usize, out: &mut String) {
    let mut digits = Vec::new();
    loop {
        digits.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.extend(digits.iter().rev().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin_of(template: &str) -> Result<String, UrlProblem> {
        template_origin(template).map(|o| o.ascii_serialization())
    }

    #[test]
    fn bindings_in_the_path_and_query_keep_the_literal_origin() {
        for (template, origin) in [
            (
                "https://api.example.com/v1/items/{{id}}",
                "https://api.example.com",
            ),
            (
                "http://example.com:8080/search?q={{q}}&p={{p}}",
                "http://example.com:8080",
            ),
            ("https://example.com?q={{q}}", "https://example.com"),
            ("https://example.com#{{x}}", "https://example.com"),
            ("HTTPS://Example.COM/{{x}}", "https://example.com"),
            ("http://[::1]:9000/{{a}}/{{b}}", "http://[::1]:9000"),
            ("https://example.com/x", "https://example.com"),
        ] {
            assert_eq!(origin_of(template).as_deref(), Ok(origin), "{template}");
        }
    }

    #[test]
    fn a_binding_in_the_host_is_refused_however_it_is_spelled() {
        for template in [
            "http://{{host}}/x",
            "http:///{{host}}/x",
            "http:////{{host}}/x",
            "https://{{sub}}.example.com/x",
            "https://example.com{{rest}}",
            "https://example.{{tld}}/x",
            "http://1.2.3.{{n}}/x",
            "https://user:{{pw}}@example.com/x",
            "https://{{user}}@example.com/x",
            "https://example.com:{{port}}/x",
            "https://example.com:80{{port}}/x",
        ] {
            assert_eq!(
                origin_of(template),
                Err(UrlProblem::BindingInOrigin),
                "{template}"
            );
        }
    }

    #[test]
    fn tabs_line_breaks_and_backslashes_before_the_query_are_refused() {
        for template in [
            "http://\t/{{h}}/x",
            "http://\n/{{h}}/x",
            "http://exa\rmple.com/x",
            "http://\\{{h}}/x",
            "https://example.com/a\\b",
            "https://example.com/a?q=\t",
        ] {
            assert_eq!(
                origin_of(template),
                Err(UrlProblem::Rewritten),
                "{template:?}"
            );
        }
        assert!(origin_of("https://example.com/a?re=\\d").is_ok());
    }

    #[test]
    fn only_absolute_http_urls_have_an_origin() {
        for template in [
            "/relative",
            "ftp://example.com/",
            "{{s}}://x/",
            "http:x.com",
            "http:/x.com",
            "http:\\\\{{h}}/x",
        ] {
            assert_eq!(origin_of(template), Err(UrlProblem::NotHttp), "{template}");
        }
        assert_eq!(
            origin_of("https://exa mple.com/{{x}}"),
            Err(UrlProblem::Invalid)
        );
        assert!(matches!(
            origin_of("https://example.com/{{x"),
            Err(UrlProblem::Unclosed(_))
        ));
    }

    #[test]
    fn a_sentinel_never_collides_with_the_template_text() {
        assert_eq!(
            origin_of("https://zqlkbind.example/{{x}}").as_deref(),
            Ok("https://zqlkbind.example")
        );
        assert_eq!(
            origin_of("https://ZQLKBIND{{x}}.example/"),
            Err(UrlProblem::BindingInOrigin)
        );
        let mut s = String::new();
        for n in [0, 25, 26, 27 * 26] {
            push_letters(n, &mut s);
            s.push(' ');
        }
        assert_eq!(s, "a z ba bba ");
    }

    #[test]
    fn framing_and_reserved_headers_are_refused_in_any_case() {
        for name in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "CONNECTION",
            "Keep-Alive",
            "Proxy-Connection",
            "TE",
            "Trailer",
            "Upgrade",
            "Expect",
            "Proxy-Authorization",
            "Proxy-Authenticate",
        ] {
            assert_eq!(
                header_problem(name, "x"),
                Some(HeaderProblem::Framing),
                "{name}"
            );
        }
        assert_eq!(
            header_problem("x-lowkey-HOP", "1"),
            Some(HeaderProblem::Reserved)
        );
        assert_eq!(header_problem("Authorization", "Bearer {{t}}"), None);
        assert_eq!(header_problem("X-Forwarded", "{{t}}"), None);
    }

    #[test]
    fn forwarding_headers_take_a_literal_value_but_no_binding() {
        for name in [
            "X-Forwarded-For",
            "x-forwarded-host",
            "X-Forwarded-Proto",
            "X-Real-IP",
            "Forwarded",
        ] {
            assert_eq!(header_problem(name, "203.0.113.7"), None, "{name}");
            assert_eq!(
                header_problem(name, "for={{ip}}"),
                Some(HeaderProblem::BoundForwarding),
                "{name}"
            );
        }
    }
}
