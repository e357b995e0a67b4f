//! JavaScript syntax checks, with oxc's parser.
//!
//! Only syntax is checked: names are resolved by the loader, behaviour by the runtime. Each
//! check allocates one arena and drops it at once; no oxc type leaks out of this module.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ExportDefaultDeclarationKind, Expression, ObjectPropertyKind, PropertyKind, Statement,
};
use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::{ParseOptions, Parser};
use oxc_span::SourceType;

/// A JavaScript problem at a byte offset of the checked code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsError {
    pub offset: usize,
    pub message: String,
}

impl JsError {
    fn new(offset: u32, message: impl Into<String>) -> Self {
        JsError {
            offset: offset as usize,
            message: message.into(),
        }
    }
}

fn convert(d: &OxcDiagnostic) -> JsError {
    let offset = d.labels.first().map_or(0, |l| l.offset());
    JsError::new(offset, d.message.to_string())
}

/// oxc's parser recurses once (or a few times) per level of nesting — a parenthesis, a bracket,
/// a unary operator, a ternary's alternative — and has no depth limit, so a few thousand
/// levels overflow a 2 MiB thread stack (tokio's workers) and abort the whole process. Code
/// longer than [`INLINE_LIMIT`] bytes is therefore parsed on a thread of its own whose stack
/// grows with the code: [`STACK_PER_BYTE`] for each byte, which no nesting can use up (every
/// level costs at least one byte of source). The stack is address space, committed only as
/// far as the parse really goes.
const INLINE_LIMIT: usize = 256;
const STACK_PER_BYTE: usize = 16 * 1024;
const STACK_BASE: usize = 8 * 1024 * 1024;
const STACK_MAX: usize = 8 * 1024 * 1024 * 1024;
const TOO_DEEP: &str = "the code is too long or too deeply nested to check";

/// Runs `f` here when the code is short, else on a thread with a stack fitted to `len`;
/// `None` when such a thread cannot be had (or the code is beyond [`STACK_MAX`]'s reach).
fn on_deep_stack<T: Send>(len: usize, f: impl FnOnce() -> T + Send) -> Option<T> {
    if len <= INLINE_LIMIT {
        return Some(f());
    }
    let stack = len.checked_mul(STACK_PER_BYTE)?.checked_add(STACK_BASE)?;
    if stack > STACK_MAX {
        return None;
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("lowkey-js-check".into())
            .stack_size(stack)
            .spawn_scoped(scope, f)
            .ok()?
            .join()
            .ok()
    })
}

/// Checks that `code` is one JavaScript expression (a value binding such as `{{ a.b + 1 }}`).
pub fn check_expression(code: &str) -> Result<(), JsError> {
    on_deep_stack(code.len(), || check_expression_here(code))
        .unwrap_or_else(|| Err(JsError::new(0, TOO_DEEP)))
}

fn check_expression_here(code: &str) -> Result<(), JsError> {
    if code.trim().is_empty() {
        return Err(JsError::new(0, "empty binding"));
    }
    let allocator = Allocator::default();
    match Parser::new(&allocator, code, SourceType::mjs()).parse_expression() {
        Ok(_) => Ok(()),
        Err(diagnostics) => Err(diagnostics
            .errors()
            .next()
            .map_or_else(|| JsError::new(0, "invalid expression"), convert)),
    }
}

/// Checks that `code` is valid as the body of an async function: the code of an event property
/// such as `{{ Auth.signin() }}` or `{{ storeValue('a', 1); navigateTo('Home') }}`, which the
/// runtime runs when the event fires (so `await` and `return` are allowed).
pub fn check_statements(code: &str) -> Result<(), JsError> {
    on_deep_stack(code.len(), || check_statements_here(code))
        .unwrap_or_else(|| Err(JsError::new(0, TOO_DEEP)))
}

fn check_statements_here(code: &str) -> Result<(), JsError> {
    if code.trim().is_empty() {
        return Err(JsError::new(0, "empty binding"));
    }
    let allocator = Allocator::default();
    let options = ParseOptions {
        allow_return_outside_function: true,
        ..ParseOptions::default()
    };
    let parsed = Parser::new(&allocator, code, SourceType::mjs())
        .with_options(options)
        .parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        return Err(convert(error));
    }
    if let Some(module) = parsed
        .program
        .body
        .iter()
        .find(|s| s.is_module_declaration())
    {
        return Err(JsError::new(
            oxc_span::GetSpan::span(module).start,
            "import and export are not allowed in event code",
        ));
    }
    Ok(())
}

/// A member of a JS object's default export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub is_function: bool,
    pub offset: usize,
}

/// Parses a JS object file: exactly one statement, `export default { … }` with an object
/// literal, whose members have plain names. Returns the members, or every problem found.
pub fn parse_js_object(source: &str) -> Result<Vec<Member>, Vec<JsError>> {
    on_deep_stack(source.len(), || parse_js_object_here(source))
        .unwrap_or_else(|| Err(vec![JsError::new(0, TOO_DEEP)]))
}

fn parse_js_object_here(source: &str) -> Result<Vec<Member>, Vec<JsError>> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    let errors: Vec<JsError> = parsed.diagnostics.errors().map(convert).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut problems = Vec::new();
    let mut object = None;
    for statement in &parsed.program.body {
        let start = oxc_span::GetSpan::span(statement).start;
        match statement {
            Statement::ExportDefaultDeclaration(export) if object.is_none() => {
                match &export.declaration {
                    ExportDefaultDeclarationKind::ObjectExpression(o) => object = Some(o),
                    other => problems.push(JsError::new(
                        oxc_span::GetSpan::span(other).start,
                        "the default export must be an object literal: `export default { … }`",
                    )),
                }
            }
            Statement::ExportDefaultDeclaration(_) => {
                problems.push(JsError::new(start, "a second default export"));
            }
            _ => problems.push(JsError::new(
                start,
                "a JS object file holds only `export default { … }` (put helpers inside the object)",
            )),
        }
    }
    let mut members: Vec<Member> = Vec::new();
    match object {
        None if problems.is_empty() => {
            problems.push(JsError::new(0, "the file has no `export default { … }`"))
        }
        None => {}
        Some(object) => {
            for property in &object.properties {
                let ObjectPropertyKind::ObjectProperty(p) = property else {
                    problems.push(JsError::new(
                        oxc_span::GetSpan::span(property).start,
                        "spread members are not allowed in a JS object",
                    ));
                    continue;
                };
                let offset = p.span.start as usize;
                let name = match (p.computed, p.key.static_name()) {
                    (false, Some(name)) => name.into_owned(),
                    _ => {
                        problems.push(JsError::new(p.span.start, "a member needs a plain name"));
                        continue;
                    }
                };
                if members.iter().any(|m| m.name == name) {
                    problems.push(JsError::new(
                        p.span.start,
                        format!("member `{name}` is defined twice"),
                    ));
                    continue;
                }
                let is_function = p.kind == PropertyKind::Init
                    && matches!(
                        p.value.without_parentheses(),
                        Expression::FunctionExpression(_) | Expression::ArrowFunctionExpression(_)
                    );
                members.push(Member {
                    name,
                    is_function,
                    offset,
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(members)
    } else {
        Err(problems)
    }
}

/// Page names given as string literals to `navigateTo('…')` in `code`, with their offsets.
///
/// A light textual scan (not an AST walk) that only picks identifier-like literals: other
/// targets are URLs, which the runtime accepts too, and computed targets cannot be checked.
pub fn navigate_targets(code: &str) -> Vec<(usize, &str)> {
    const CALL: &str = "navigateTo(";
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find(CALL) {
        let at = from + i;
        from = at + CALL.len();
        let preceded_by_ident = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.');
        if preceded_by_ident {
            continue;
        }
        let rest = &code[from..];
        let trimmed = rest.trim_start();
        let Some(quote) = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let literal_start = from + (rest.len() - trimmed.len()) + 1;
        let Some(len) = code[literal_start..].find(quote) else {
            continue;
        };
        let name = &code[literal_start..literal_start + len];
        let identifier_like = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name != "localhost";
        if identifier_like {
            found.push((literal_start, name));
        }
    }
    found
}

/// A JavaScript problem at a line and column (1-based, columns in characters) of the checked
/// source, as the loader reports it for a JS object file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedJsError {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

/// The answer of [`crate::JsObject::check_source`]: the problems, and for a JS object that parses,
/// its functions in source order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsCheck {
    pub errors: Vec<LocatedJsError>,
    pub functions: Option<Vec<String>>,
}

impl crate::model::JsObject {
    /// The loader's syntax check of one piece of code, for the editor to show as it is typed:
    /// `kind` is `"jsObject"` (a JS object file, [`parse_js_object`]), `"expression"` (the
    /// code inside a value binding's `{{ }}`, [`check_expression`]) or `"event"` (the code
    /// inside an event property's `{{ }}`, [`check_statements`]). `None` for another kind.
    ///
    /// An associated function of the public `JsObject` so that the server can reach the checks
    /// without this module being public.
    pub fn check_source(kind: &str, source: &str) -> Option<JsCheck> {
        let locate = |e: JsError| {
            let pos = crate::load::offset_to_pos(source, e.offset);
            LocatedJsError {
                message: e.message,
                line: pos.line,
                column: pos.column,
            }
        };
        let check = match kind {
            "jsObject" => match parse_js_object(source) {
                Ok(members) => JsCheck {
                    errors: Vec::new(),
                    functions: Some(
                        members
                            .into_iter()
                            .filter(|m| m.is_function)
                            .map(|m| m.name)
                            .collect(),
                    ),
                },
                Err(errors) => JsCheck {
                    errors: errors.into_iter().map(locate).collect(),
                    functions: None,
                },
            },
            "expression" | "event" => {
                let result = if kind == "event" {
                    check_statements(source)
                } else {
                    check_expression(source)
                };
                JsCheck {
                    errors: result.err().into_iter().map(locate).collect(),
                    functions: None,
                }
            }
            _ => return None,
        };
        Some(check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_code_is_checked_without_overflowing_the_stack() {
        // On a 2 MiB stack, like tokio's workers: before, a thousand parentheses aborted the
        // process.
        let run = || {
            let n = 20_000;
            let parens = format!("{}1{}", "(".repeat(n), ")".repeat(n));
            assert!(check_expression(&parens).is_ok());
            assert!(check_statements(&format!("return {parens}")).is_ok());
            let unclosed = "(".repeat(n);
            assert!(check_expression(&unclosed).is_err());
            let nots = format!("{}a", "!".repeat(n));
            assert!(check_expression(&nots).is_ok());
            let ternaries = format!("{}c", "a ? b : ".repeat(n / 8));
            assert!(check_expression(&ternaries).is_ok());
            let arrays = format!(
                "export default {{ a: {}1{} }}",
                "[".repeat(n),
                "]".repeat(n)
            );
            assert!(parse_js_object(&arrays).is_ok());
        };
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }
    use crate::model::JsObject as JsObjectModel;

    #[test]
    fn check_source_locates_errors_in_lines_and_columns_and_lists_functions() {
        let check = JsObjectModel::check_source(
            "jsObject",
            "export default {\n  é: 1,\n  f() {},\n  g: ,\n};",
        )
        .unwrap();
        assert_eq!(check.errors.len(), 1);
        assert_eq!((check.errors[0].line, check.errors[0].column), (4, 6));
        assert_eq!(check.functions, None);
        let check =
            JsObjectModel::check_source("jsObject", "export default { a: 1, b() {}, c: () => 2 };")
                .unwrap();
        assert!(check.errors.is_empty());
        assert_eq!(check.functions, Some(vec!["b".to_owned(), "c".to_owned()]));
        let check = JsObjectModel::check_source("expression", "x +\n é *").unwrap();
        assert_eq!(check.errors.len(), 1);
        assert_eq!(check.errors[0].line, 2);
        assert!(JsObjectModel::check_source("event", "await a(); return 1")
            .unwrap()
            .errors
            .is_empty());
        assert!(JsObjectModel::check_source("python", "1").is_none());
    }

    #[test]
    fn expressions() {
        assert!(check_expression("a.b + 1").is_ok());
        assert!(check_expression(" get_user.data ? [{ a: 1 }] : [] ").is_ok());
        assert!(check_expression("x?.y ?? `t${z}`").is_ok());
        assert!(check_expression("{ a: 1 }").is_ok());
        assert!(check_expression("a +").is_err());
        assert!(check_expression("a b").is_err());
        assert!(check_expression("a; b").is_err());
        assert!(check_expression("  ").is_err());
        let e = check_expression("foo(1,").unwrap_err();
        assert!(!e.message.is_empty());
    }

    #[test]
    fn statements() {
        assert!(check_statements("Auth.signin()").is_ok());
        assert!(check_statements("storeValue('a', 1); await navigateTo('X'); return 1").is_ok());
        assert!(check_statements("if (a) {").is_err());
        assert!(check_statements("import x from 'y'").is_err());
    }

    #[test]
    fn js_objects() {
        let members = parse_js_object(
            "// c\nexport default {\n  greeting: 'hi',\n  async signin() {},\n  f: () => 1,\n  g: function () {},\n  get h() { return 1 },\n};\n",
        )
        .unwrap();
        let names: Vec<(&str, bool)> = members
            .iter()
            .map(|m| (m.name.as_str(), m.is_function))
            .collect();
        assert_eq!(
            names,
            vec![
                ("greeting", false),
                ("signin", true),
                ("f", true),
                ("g", true),
                ("h", false)
            ]
        );
        assert!(parse_js_object("export default function () {}").is_err());
        assert!(parse_js_object("const a = 1; export default {}").is_err());
        assert!(parse_js_object("export default { a() {}, a: 1 }").is_err());
        assert!(parse_js_object("export default { [x]: 1 }").is_err());
        assert!(parse_js_object("").is_err());
        let errs = parse_js_object("export default {\n  a() { \n}").unwrap_err();
        assert!(!errs.is_empty());
    }

    #[test]
    fn navigate_targets_are_found() {
        let code = "navigateTo('Dashboard'); x.navigateTo('No'); navigateTo( \"Login\" ); navigateTo('https://a.b'); navigateTo(page)";
        let names: Vec<&str> = navigate_targets(code).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, vec!["Dashboard", "Login"]);
    }
}
