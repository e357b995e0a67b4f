//! `{{ … }}` templates: splitting a string into literal text and bindings.
//!
//! A binding ends at the first `}}` that is not inside a string literal or a `{ … }` opened in
//! the binding itself, so `{{ {a: {b: 1}} }}` and `{{ '}}' }}` are single bindings. The text of a
//! binding (trimmed) is also its key in a query's `params`: the browser evaluates exactly the
//! texts the server lists, so both sides agree on keys without re-implementing this scanner.

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
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
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
    fn nested_braces_and_strings() {
        assert_eq!(keys("{{ {a: {b: 1}} }}"), vec!["{a: {b: 1}}"]);
        assert_eq!(
            keys("{{ '}}' + \"}}\" }}x{{b}}"),
            vec!["'}}' + \"}}\"", "b"]
        );
        assert_eq!(keys("{{ `a}}` }}"), vec!["`a}}`"]);
        assert_eq!(keys("{{ 'it\\'s' }}"), vec!["'it\\'s'"]);
        assert_eq!(keys("{{a}}}"), vec!["a"]);
        assert_eq!(keys("{\"x\": {{a}}}"), vec!["a"]);
    }

    #[test]
    fn unclosed() {
        assert_eq!(split("a {{ b"), Err(UnclosedBinding { offset: 2 }));
        assert!(split("{{ { }}").is_err());
        assert!(split("{{ 'abc }}").is_err());
    }

    #[test]
    fn secrets() {
        assert_eq!(secret_name("secrets.API_KEY"), Some("API_KEY"));
        assert_eq!(secret_name("secrets."), None);
        assert_eq!(secret_name("secrets.a-b"), None);
        assert_eq!(secret_name("appsmith.store.x"), None);
        assert!(mentions_secrets("secrets['x']"));
        assert!(!mentions_secrets("secretsmanager"));
    }
}
