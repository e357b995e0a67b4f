//! Identifier and slug rules shared by pages, widgets, queries, JS objects and datasources.

/// JavaScript reserved words (ES2024, strict mode included) and literals that bindings could not
/// reach by name, plus globals whose shadowing would break every expression.
const JS_RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "Infinity",
    "instanceof",
    "interface",
    "let",
    "NaN",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "undefined",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// The runtime's globals (docs/app-format.md). `app` (alias of `appsmith`) and `session`
/// (server-only bindings such as `{{session.accessToken}}`) are reserved ahead of their use so
/// that adding them later breaks no app.
const RUNTIME_GLOBALS: &[&str] = &[
    "app",
    "appsmith",
    "clearStore",
    "navigateTo",
    "removeValue",
    "resetWidget",
    "secrets",
    "session",
    "showAlert",
    "storeValue",
];

pub const MAX_NAME_LEN: usize = 64;
pub const MAX_SLUG_LEN: usize = 64;

/// Why a name is not an identifier; `None` when it is one.
pub fn identifier_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name must not be empty".to_owned());
    }
    if name.len() > MAX_NAME_LEN {
        return Some(format!("`{name}` is longer than {MAX_NAME_LEN} characters"));
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(format!(
            "`{name}` is not an identifier: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if JS_RESERVED.contains(&name) {
        return Some(format!("`{name}` is a reserved word of JavaScript"));
    }
    if RUNTIME_GLOBALS.contains(&name) {
        return Some(format!("`{name}` is a global of the runtime"));
    }
    None
}

/// Why a slug is invalid; `None` when it is valid: `[a-z0-9]+(-[a-z0-9]+)*`, at most 64.
pub fn slug_problem(slug: &str) -> Option<String> {
    let parts_ok = slug.split('-').all(|p| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if !parts_ok {
        return Some(format!(
            "`{slug}` is not a valid slug: use lowercase letters and digits in words joined by single `-`"
        ));
    }
    if slug.len() > MAX_SLUG_LEN {
        return Some(format!("`{slug}` is longer than {MAX_SLUG_LEN} characters"));
    }
    None
}

/// The default page slug: the name in kebab case (`LoginPage` → `login-page`,
/// `HTMLReport` → `html-report`, `page_2` → `page-2`).
pub fn kebab_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary && !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(identifier_problem("inp_username"), None);
        assert_eq!(identifier_problem("_x1"), None);
        assert!(identifier_problem("1x").is_some());
        assert!(identifier_problem("a-b").is_some());
        assert!(identifier_problem("").is_some());
        assert!(identifier_problem("class").is_some());
        assert!(identifier_problem("storeValue").is_some());
        assert!(identifier_problem("secrets").is_some());
        assert!(identifier_problem(&"a".repeat(65)).is_some());
        assert_eq!(identifier_problem(&"a".repeat(64)), None);
        assert!(identifier_problem("héllo").is_some());
    }

    #[test]
    fn slugs() {
        assert_eq!(slug_problem("custom-auth"), None);
        assert_eq!(slug_problem("a1-2b"), None);
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b"] {
            assert!(slug_problem(bad).is_some(), "{bad}");
        }
        assert!(slug_problem(&"a".repeat(65)).is_some());
    }

    #[test]
    fn kebab() {
        assert_eq!(kebab_case("LoginPage"), "login-page");
        assert_eq!(kebab_case("Dashboard"), "dashboard");
        assert_eq!(kebab_case("HTMLReport"), "html-report");
        assert_eq!(kebab_case("page_2"), "page-2");
        assert_eq!(kebab_case("Page2Details"), "page2-details");
        assert_eq!(kebab_case("__"), "");
    }
}
