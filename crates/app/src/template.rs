//! `{{ … }}` templates: splitting a string into literal text and bindings.
//!
//! The scanning rule is shared with the viewer (`web/src/runtime/binding.ts`) and pinned by
//! the vectors in `schema/binding-vectors.json`, which both sides run; docs/app-format.md
//! ("Where a binding ends") states it for builders. A binding ends at the first `}}` that is
//! outside a string, a template literal, a comment and any `{ … }` opened inside the binding;
//! a `//` comment ends at its line's end, except that when nothing is open a `}}` on that
//! line closes the binding (`{{ x // note }}`). Regular-expression literals are not
//! recognised. The text of a binding (trimmed) is also its key in a query's `params`: the
//! browser evaluates exactly the texts the server lists, so both sides agree on keys.

/// A piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Literal text.
    Text(&'a str),
    /// The inside of `{{ … }}`, untrimmed, with its byte offset in the template.
    Binding { code: &'a str, offset: usize },
}

impl<'a> Segment<'a> {
    /// The binding's key: its trimmed text (`{{ a.b }}` → `a.b`).
    pub fn key(&self) -> Option<&'a str> {
        match self {
            Segment::Binding { code, .. } => Some(code.trim()),
            Segment::Text(_) => None,
        }
    }
}

/// A `{{` without its `}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{{{{` at byte {offset} is not closed by `}}}}`")]
pub struct UnclosedBinding {
    pub offset: usize,
}

/// Splits a template into text and bindings.
pub fn split(template: &str) -> Result<Vec<Segment<'_>>, UnclosedBinding> {
    let mut segments = Vec::new();
    let mut rest_start = 0;
    let bytes = template.as_bytes();
    while let Some(found) = template[rest_start..].find("{{") {
        let open = rest_start + found;
        if open > rest_start {
            segments.push(Segment::Text(&template[rest_start..open]));
        }
        let code_start = open + 2;
        let close = find_close(bytes, code_start).ok_or(UnclosedBinding { offset: open })?;
        segments.push(Segment::Binding {
            code: &template[code_start..close],
            offset: code_start,
        });
        rest_start = close + 2;
    }
    if rest_start < template.len() {
        segments.push(Segment::Text(&template[rest_start..]));
    }
    Ok(segments)
}

/// The byte index of the `}}` that closes a binding whose code starts at `start`.
fn find_close(bytes: &[u8], start: usize) -> Option<usize> {
    Scanner {
        bytes,
        depth: 0,
        interpolations: Vec::new(),
    }
    .find_close(start)
}

/// The state of a scan through a binding's code. Only ASCII bytes are delimiters, and UTF-8
/// continuation bytes are never ASCII, so scanning bytes is exact for any text.
struct Scanner<'a> {
    bytes: &'a [u8],
    /// Braces opened and not yet closed, in the current code (the binding's own, or a `${ }`).
    depth: usize,
    /// For each open `${` of a template literal, the depth of the code around it.
    interpolations: Vec<usize>,
}

impl Scanner<'_> {
    fn find_close(&mut self, start: usize) -> Option<usize> {
        let bytes = self.bytes;
        let mut i = start;
        while let Some(&c) = bytes.get(i) {
            let next = bytes.get(i + 1).copied();
            i = match (c, next) {
                (b'/', Some(b'/')) => {
                    let line_end = find(bytes, i, b"\n");
                    // `{{ x // note }}`: with nothing open, a `}}` on the comment's line closes
                    // the binding (the comment would otherwise swallow it).
                    if self.depth == 0 && self.interpolations.is_empty() {
                        if let Some(close) = find(bytes, i, b"}}") {
                            if line_end.is_none_or(|end| close < end) {
                                return Some(close);
                            }
                        }
                    }
                    line_end.map_or(bytes.len(), |end| end + 1)
                }
                (b'/', Some(b'*')) => find(bytes, i + 2, b"*/")? + 2,
                (b'\'' | b'"', _) => skip_string(bytes, i, c)?,
                (b'`', _) => self.enter_template(i + 1)?,
                (b'{', _) => {
                    self.depth += 1;
                    i + 1
                }
                (b'}', _) if self.depth > 0 => {
                    self.depth -= 1;
                    i + 1
                }
                (b'}', _) => match self.interpolations.pop() {
                    // The end of a `${ … }`: back inside its template literal.
                    Some(outer) => {
                        self.depth = outer;
                        self.enter_template(i + 1)?
                    }
                    None if next == Some(b'}') => return Some(i),
                    // A stray `}`: a syntax error for the JavaScript check to report.
                    None => i + 1,
                },
                _ => i + 1,
            };
        }
        None
    }

    /// Scans template-literal text from `from`; at a `${`, remembers the current depth and
    /// counts afresh inside the interpolation. Returns where scanning resumes.
    fn enter_template(&mut self, from: usize) -> Option<usize> {
        let bytes = self.bytes;
        let mut i = from;
        while let Some(&c) = bytes.get(i) {
            match c {
                b'\\' => i += 2,
                b'`' => return Some(i + 1),
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    self.interpolations.push(self.depth);
                    self.depth = 0;
                    return Some(i + 2);
                }
                _ => i += 1,
            }
        }
        None
    }
}

/// Where a quoted string that opens at `start` ends: after its closing quote, or at the end
/// of its line (an unterminated string is the JavaScript check's to report).
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    let mut i = start + 1;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            b'\n' => return Some(i),
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The index of the first `needle` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// True when the template holds at least one `{{`.
pub fn has_binding(template: &str) -> bool {
    template.contains("{{")
}

/// The `NAME` of a `{{secrets.NAME}}` binding key, if it is one.
pub fn secret_name(key: &str) -> Option<&str> {
    let name = key.strip_prefix("secrets.")?;
    let ok = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(name)
}

/// True when a binding key reads `secrets` (so it must be exactly `secrets.NAME`).
pub fn mentions_secrets(key: &str) -> bool {
    key == "secrets"
        || key.starts_with("secrets.")
        || key.starts_with("secrets[")
        || key.starts_with("secrets?")
}

/// A token of the caller's server-side session (session mode): `{{session.accessToken}}`,
/// `{{session.refreshToken}}`. Like secrets, they are resolved on the server only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionToken {
    Access,
    Refresh,
}

impl SessionToken {
    /// The binding's text, `session.accessToken` or `session.refreshToken`.
    pub fn binding(self) -> &'static str {
        match self {
            SessionToken::Access => "session.accessToken",
            SessionToken::Refresh => "session.refreshToken",
        }
    }
}

/// The session token a binding key names, if it is exactly one of them.
pub fn session_token(key: &str) -> Option<SessionToken> {
    match key {
        "session.accessToken" => Some(SessionToken::Access),
        "session.refreshToken" => Some(SessionToken::Refresh),
        _ => None,
    }
}

/// True when a binding key reads `session` (so it must be exactly one of [`SessionToken`]'s).
pub fn mentions_session(key: &str) -> bool {
    key == "session"
        || key.starts_with("session.")
        || key.starts_with("session[")
        || key.starts_with("session?")
}

/// True when the server resolves the binding key itself (a secret or a session token): the
/// browser never sends a value for it.
pub fn resolved_on_server(key: &str) -> bool {
    mentions_secrets(key) || mentions_session(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Vec<&str> {
        split(t).unwrap().iter().filter_map(Segment::key).collect()
    }

    #[test]
    fn text_and_bindings() {
        let s = split("Hello {{ user.name }}!").unwrap();
        assert_eq!(
            s,
            vec![
                Segment::Text("Hello "),
                Segment::Binding {
                    code: " user.name ",
                    offset: 8
                },
                Segment::Text("!"),
            ]
        );
        assert_eq!(split("plain").unwrap(), vec![Segment::Text("plain")]);
        assert_eq!(split("").unwrap(), vec![]);
    }

    #[test]
    fn a_key_is_the_trimmed_code() {
        assert_eq!(keys("{{ a.b }}-{{\n  c\t}}"), vec!["a.b", "c"]);
    }

    #[test]
    fn an_unclosed_binding_is_reported_at_its_byte_offset() {
        assert_eq!(split("é {{ b"), Err(UnclosedBinding { offset: 3 }));
    }

    /// What a vector of `schema/binding-vectors.json` says the scanner gives.
    #[derive(Debug, PartialEq)]
    enum Expected {
        Segments(Vec<(bool, String)>),
        /// The `{{` left open, in Unicode characters from the start.
        UnclosedAt(usize),
    }

    fn expected(v: &serde_json::Value) -> Expected {
        let expect = &v["expect"];
        if let Some(at) = expect["unclosedAt"].as_u64() {
            return Expected::UnclosedAt(at as usize);
        }
        let segments = expect["segments"]
            .as_array()
            .expect("segments or unclosedAt");
        Expected::Segments(
            segments
                .iter()
                .map(|s| match (s["text"].as_str(), s["binding"].as_str()) {
                    (Some(t), None) => (false, t.to_owned()),
                    (None, Some(code)) => (true, code.to_owned()),
                    _ => panic!("a segment is {{text}} or {{binding}}: {s}"),
                })
                .collect(),
        )
    }

    fn scanned(input: &str) -> Expected {
        match split(input) {
            Ok(segments) => Expected::Segments(
                segments
                    .iter()
                    .map(|s| match s {
                        Segment::Text(t) => (false, (*t).to_owned()),
                        Segment::Binding { code, .. } => (true, (*code).to_owned()),
                    })
                    .collect(),
            ),
            Err(e) => Expected::UnclosedAt(input[..e.offset].chars().count()),
        }
    }

    /// The vectors the viewer's scanner runs too (web/src/runtime/binding.test.ts).
    #[test]
    fn every_shared_binding_vector() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../../schema/binding-vectors.json"))
                .expect("schema/binding-vectors.json is JSON");
        let vectors = file["vectors"].as_array().expect("a `vectors` list");
        assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
        let mut failures = Vec::new();
        for v in vectors {
            let input = v["input"].as_str().expect("an `input` string");
            let (want, got) = (expected(v), scanned(input));
            if want != got {
                failures.push(format!(
                    "{}: {input:?}\n  expected {want:?}\n  scanned  {got:?}",
                    v["name"]
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_binding_offset_points_at_its_code() {
        let t = "é {{ a }} {{b}}";
        let offsets: Vec<usize> = split(t)
            .unwrap()
            .iter()
            .filter_map(|s| match s {
                Segment::Binding { code, offset } => {
                    assert_eq!(&t[*offset..*offset + code.len()], *code);
                    Some(*offset)
                }
                Segment::Text(_) => None,
            })
            .collect();
        assert_eq!(offsets, [5, 13]);
    }

    #[test]
    fn secrets() {
        assert_eq!(secret_name("secrets.API_KEY"), Some("API_KEY"));
        assert_eq!(
            session_token("session.accessToken"),
            Some(SessionToken::Access)
        );
        assert_eq!(
            session_token("session.refreshToken"),
            Some(SessionToken::Refresh)
        );
        assert_eq!(session_token("session.idToken"), None);
        assert!(mentions_session("session['accessToken']"));
        assert!(mentions_session("session"));
        assert!(!mentions_session("sessions.x"));
        assert!(resolved_on_server("secrets.K") && resolved_on_server("session.accessToken"));
        assert_eq!(secret_name("secrets."), None);
        assert_eq!(secret_name("secrets.a-b"), None);
        assert_eq!(secret_name("appsmith.store.x"), None);
        assert!(mentions_secrets("secrets['x']"));
        assert!(!mentions_secrets("secretsmanager"));
    }
}
