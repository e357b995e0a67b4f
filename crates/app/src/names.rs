//! Identifier and slug rules shared by pages, widgets, queries, JS objects and datasources.
//!
//! The editor checks the same rules before a change is made (web/src/editor/doc/names.ts).
//! `schema/name-vectors.json` pins them: both sides run every vector, and the tests below also
//! run the page and clash vectors through the loader, where the server applies them.

use std::collections::hash_map::{Entry, HashMap};

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

/// What is wrong with a name, by kind: the kinds of `schema/name-vectors.json`, which the
/// editor's copy of these rules (web/src/editor/doc/names.ts) runs too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameIssue {
    Empty,
    /// Not ASCII letters, digits and `_` with no leading digit. Checked before the length, so
    /// that a name of other characters gets the same answer whether its length is counted in
    /// bytes (here) or in UTF-16 units (in the browser).
    NotIdentifier,
    TooLong,
    ReservedWord,
    RuntimeGlobal,
}

impl NameIssue {
    /// The vectors' name of the kind.
    #[cfg(test)]
    fn code(self) -> &'static str {
        match self {
            NameIssue::Empty => "empty",
            NameIssue::NotIdentifier => "not_identifier",
            NameIssue::TooLong => "too_long",
            NameIssue::ReservedWord => "reserved_word",
            NameIssue::RuntimeGlobal => "runtime_global",
        }
    }
}

/// What is wrong with a name as an identifier; `None` when it is one.
pub fn identifier_issue(name: &str) -> Option<NameIssue> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Some(NameIssue::Empty);
    };
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Some(NameIssue::NotIdentifier);
    }
    if name.len() > MAX_NAME_LEN {
        return Some(NameIssue::TooLong);
    }
    if JS_RESERVED.contains(&name) {
        return Some(NameIssue::ReservedWord);
    }
    if RUNTIME_GLOBALS.contains(&name) {
        return Some(NameIssue::RuntimeGlobal);
    }
    None
}

/// Why a name is not an identifier; `None` when it is one.
pub fn identifier_problem(name: &str) -> Option<String> {
    identifier_issue(name).map(|issue| match issue {
        NameIssue::Empty => "a name must not be empty".to_owned(),
        NameIssue::NotIdentifier => format!(
            "`{name}` is not an identifier: use letters, digits and `_`, not starting with a digit"
        ),
        NameIssue::TooLong => format!("`{name}` is longer than {MAX_NAME_LEN} characters"),
        NameIssue::ReservedWord => format!("`{name}` is a reserved word of JavaScript"),
        NameIssue::RuntimeGlobal => format!("`{name}` is a global of the runtime"),
    })
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

/// The names that differ from an earlier one of `names` only in ASCII letter case, each with
/// that earlier one: `(index of the earlier, index of the later)`, in order. Names that are
/// equal are not twins (a clash of another kind). A page, query or JS object is a file named
/// after it, and a case-insensitive file system (macOS and Windows by default) holds one file
/// for two such names, so an export would write one over the other.
pub fn case_twins(names: &[&str]) -> Vec<(usize, usize)> {
    let mut first: HashMap<String, (usize, &str)> = HashMap::new();
    let mut twins = Vec::new();
    for (i, &name) in names.iter().enumerate() {
        match first.entry(name.to_ascii_lowercase()) {
            Entry::Occupied(e) => {
                let (earlier, earlier_name) = *e.get();
                if earlier_name != name {
                    twins.push((earlier, i));
                }
            }
            Entry::Vacant(e) => {
                e.insert((i, name));
            }
        }
    }
    twins
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{App, SourceFiles};
    use serde_json::Value;

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

    // ---- schema/name-vectors.json: the rules the editor runs too --------------------------

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../../schema/name-vectors.json"))
            .expect("schema/name-vectors.json is JSON")
    }

    fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("`{key}` is a list"))
    }

    fn text<'a>(v: &'a Value, key: &str) -> &'a str {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("`{key}` is a string in {v}"))
    }

    fn words(v: &Value, key: &str) -> Vec<String> {
        let mut words: Vec<String> = list(v, key).iter().map(|w| w.to_string()).collect();
        words.sort();
        words
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut words: Vec<String> = list.iter().map(|w| Value::from(*w).to_string()).collect();
        words.sort();
        words
    }

    #[test]
    fn the_lists_and_limits_are_the_vectors() {
        let v = vectors();
        assert_eq!(sorted(JS_RESERVED), words(&v, "reservedWords"));
        assert_eq!(sorted(RUNTIME_GLOBALS), words(&v, "runtimeGlobals"));
        assert_eq!(v["maxNameLength"], MAX_NAME_LEN);
        assert_eq!(v["maxSlugLength"], MAX_SLUG_LEN);
    }

    #[test]
    fn every_identifier_vector_gets_its_problem() {
        let v = vectors();
        let mut cases: Vec<(String, Option<String>)> = list(&v, "identifiers")
            .iter()
            .map(|c| {
                let problem = c["problem"].as_str().map(str::to_owned);
                (text(c, "name").to_owned(), problem)
            })
            .collect();
        for (key, problem) in [
            ("reservedWords", "reserved_word"),
            ("runtimeGlobals", "runtime_global"),
        ] {
            for word in list(&v, key) {
                let word = word.as_str().unwrap_or_default().to_owned();
                cases.push((word, Some(problem.to_owned())));
            }
        }
        for (name, expected) in cases {
            let got = identifier_issue(&name).map(NameIssue::code);
            assert_eq!(got, expected.as_deref(), "{name:?}");
            assert_eq!(identifier_problem(&name).is_some(), expected.is_some());
        }
    }

    #[test]
    fn every_slug_vector_is_judged_alike() {
        for c in list(&vectors(), "slugs") {
            let slug = text(c, "slug");
            assert_eq!(slug_problem(slug).is_none(), c["valid"] == true, "{slug:?}");
        }
        for c in list(&vectors(), "pageSlugs") {
            assert_eq!(kebab_case(text(c, "name")), text(c, "slug"), "{c}");
        }
    }

    /// An app of these pages (none with a slug of its own), the first one home; `widgets` go on
    /// the first page.
    fn app_of(pages: &[&str], widgets: &[&str]) -> Vec<String> {
        let quote = |s: &str| Value::from(s).to_string();
        let mut files = SourceFiles::new();
        let home = pages.first().copied().unwrap_or("Home");
        files.insert(
            "app.yaml".into(),
            format!("version: 1\nname: T\nslug: t\nhomePage: {}\n", quote(home)),
        );
        for (i, page) in pages.iter().enumerate() {
            let mut yaml = format!("name: {}\nwidgets:\n", quote(page));
            for (row, w) in widgets.iter().enumerate().filter(|_| i == 0) {
                yaml.push_str(&format!(
                    "  - {{ name: {}, type: Text, position: {{ col: 0, row: {}, width: 4, height: 2 }} }}\n",
                    quote(w),
                    row * 2
                ));
            }
            if widgets.is_empty() || i > 0 {
                yaml.push_str("  []\n");
            }
            files.insert(format!("pages/{page}.yaml"), yaml);
        }
        let (_, diagnostics) = App::from_files(&files);
        diagnostics.iter().map(ToString::to_string).collect()
    }

    /// The loader's problems with an app of a Home page and of the two names of a `caseClashes`
    /// vector: pages (the second with its own slug), queries, JS objects, or a query and a JS
    /// object.
    fn case_clash_problems(c: &Value) -> Vec<String> {
        let names: Vec<&str> = list(c, "names").iter().filter_map(Value::as_str).collect();
        let (first, second) = match names.as_slice() {
            [first, second] => (*first, *second),
            _ => panic!("two names in {c}"),
        };
        let page = |name: &str, slug: Option<&str>| {
            let slug = slug.map(|s| format!("slug: {s}\n")).unwrap_or_default();
            (
                format!("pages/{name}.yaml"),
                format!("name: {name}\n{slug}"),
            )
        };
        let query = |name: &str| {
            (
                format!("queries/{name}.yaml"),
                "url: https://api.example.com/items\n".to_owned(),
            )
        };
        let js = |name: &str| (format!("js/{name}.js"), "export default {};\n".to_owned());
        let (home, added) = match text(c, "kind") {
            "page" => (first, vec![page(second, c["slug"].as_str())]),
            "query" => ("Home", vec![query(first), query(second)]),
            "jsObject" => ("Home", vec![js(first), js(second)]),
            "queryAndJsObject" => ("Home", vec![query(first), js(second)]),
            other => panic!("unknown kind {other}"),
        };
        let mut files = SourceFiles::from([(
            "app.yaml".to_owned(),
            format!("version: 1\nname: T\nslug: t\nhomePage: {home}\n"),
        )]);
        files.extend([page(home, None)].into_iter().chain(added));
        let (_, diagnostics) = App::from_files(&files);
        diagnostics.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_loader_refuses_exactly_the_case_clashes_of_the_vectors() {
        for c in list(&vectors(), "caseClashes") {
            let problems = case_clash_problems(c);
            assert_eq!(
                !problems.is_empty(),
                c["clash"] == true,
                "{c}: {problems:#?}"
            );
            if c["clash"] == true {
                assert!(
                    problems.iter().all(|p| p.contains("only in case")),
                    "{c}: {problems:#?}"
                );
            }
        }
    }

    #[test]
    fn case_twins_pairs_each_later_name_with_the_first_it_folds_onto() {
        assert_eq!(
            case_twins(&["Home", "home", "HOME", "Other", "Home"]),
            [(0, 1), (0, 2)]
        );
        assert_eq!(case_twins(&["a", "b"]), []);
    }

    #[test]
    fn the_loader_judges_every_page_name_vector_alike() {
        for c in list(&vectors(), "pageNames") {
            let name = text(c, "name");
            let problems = app_of(&[name], &[]);
            assert_eq!(
                problems.is_empty(),
                c["problem"].is_null(),
                "{name:?}: {problems:#?}"
            );
        }
    }

    #[test]
    fn the_loader_finds_exactly_the_clashes_of_the_vectors() {
        for c in list(&vectors(), "clashes") {
            let names: Vec<&str> = list(c, "names").iter().filter_map(Value::as_str).collect();
            let problems = match text(c, "kind") {
                "page" => app_of(&names, &[]),
                _ => app_of(&["Home"], &names),
            };
            assert_eq!(
                !problems.is_empty(),
                c["clash"] == true,
                "{c}: {problems:#?}"
            );
        }
    }
}
