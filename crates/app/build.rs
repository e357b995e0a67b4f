//! Generates the widget catalogue's Rust code from `schema/widgets.json`, the one source of
//! truth that the viewer, the editor's palette and property pane, and the table in
//! docs/app-format.md read too. `src/widget.rs` includes the result.
//!
//! The file is checked here, field by field, so that a catalogue the validator could not honour
//! (an unknown property kind, a default of the wrong kind, a type name twice, a typo in a field
//! name) fails the build with the path of the bad field instead of surfacing as a wrong
//! validation later.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// The property kinds, as the catalogue names them and as `widget::PropKind` spells them.
/// A new kind needs code in the validator (load.rs), so it is added here by hand.
const KINDS: &[(&str, &str)] = &[
    ("text", "Text"),
    ("bool", "Bool"),
    ("count", "Count"),
    ("choice", "Choice"),
    ("event", "Event"),
    ("data", "Data"),
    ("columns", "Columns"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let schema = manifest.join("../../schema/widgets.json");
    println!("cargo:rerun-if-changed={}", schema.display());
    println!("cargo:rerun-if-changed=build.rs");
    let code = std::fs::read_to_string(&schema)
        .map_err(|e| format!("cannot read {}: {e}", schema.display()))
        .and_then(|text| generate(&text));
    let written = code.and_then(|code| {
        let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
        std::fs::write(out.join("catalogue.rs"), code)
            .map_err(|e| format!("cannot write the generated catalogue: {e}"))
    });
    if let Err(message) = written {
        eprintln!("error: schema/widgets.json: {message}");
        std::process::exit(1);
    }
}

/// One widget type of the catalogue, checked.
struct Widget {
    name: String,
    description: String,
    container: bool,
    props: Vec<(String, String)>,
}

/// Checks the catalogue and writes the Rust code for it.
fn generate(text: &str) -> Result<String, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let root = object(&root, "the file")?;
    known_fields(
        root,
        "the file",
        &["$comment", "gridColumns", "rowHeightPx", "widgets"],
    )?;
    let grid_columns = positive(root.get("gridColumns"), "gridColumns")?;
    positive(root.get("rowHeightPx"), "rowHeightPx")?;
    let list = root
        .get("widgets")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or("`widgets` must be a non-empty list")?;

    let mut widgets = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in list.iter().enumerate() {
        let w = widget(raw, &format!("widgets[{i}]"), grid_columns)?;
        if !seen.insert(w.name.to_ascii_uppercase()) {
            return Err(format!(
                "widgets[{i}].type: `{}` is listed twice (type names differ in more than case)",
                w.name
            ));
        }
        widgets.push(w);
    }
    Ok(rust(&widgets, grid_columns))
}

fn widget(raw: &Value, at: &str, grid_columns: u64) -> Result<Widget, String> {
    let w = object(raw, at)?;
    known_fields(
        w,
        at,
        &[
            "type",
            "container",
            "description",
            "defaultSize",
            "props",
            "outputs",
        ],
    )?;
    let name = string(w.get("type"), &format!("{at}.type"))?;
    if !is_identifier(&name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(format!(
            "{at}.type: `{name}` must be a capitalised identifier, such as `Input`"
        ));
    }
    let at = format!("{at} ({name})");
    let container = w
        .get("container")
        .and_then(Value::as_bool)
        .ok_or_else(|| format!("{at}.container must be true or false"))?;
    let description = string(w.get("description"), &format!("{at}.description"))?;
    let size = object(
        w.get("defaultSize").unwrap_or(&Value::Null),
        &format!("{at}.defaultSize"),
    )?;
    known_fields(size, &format!("{at}.defaultSize"), &["width", "height"])?;
    let width = positive(size.get("width"), &format!("{at}.defaultSize.width"))?;
    positive(size.get("height"), &format!("{at}.defaultSize.height"))?;
    if width > grid_columns {
        return Err(format!(
            "{at}.defaultSize.width: {width} is wider than the grid's {grid_columns} columns"
        ));
    }

    let mut props = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in list(w.get("props"), &format!("{at}.props"))?
        .iter()
        .enumerate()
    {
        let (prop, kind) = prop(raw, &format!("{at}.props[{i}]"))?;
        if !seen.insert(prop.clone()) {
            return Err(format!("{at}.props[{i}]: `{prop}` is listed twice"));
        }
        props.push((prop, kind));
    }
    let mut seen = HashSet::new();
    for (i, raw) in list(w.get("outputs"), &format!("{at}.outputs"))?
        .iter()
        .enumerate()
    {
        let here = format!("{at}.outputs[{i}]");
        let o = object(raw, &here)?;
        known_fields(o, &here, &["name", "description"])?;
        let output = string(o.get("name"), &format!("{here}.name"))?;
        string(o.get("description"), &format!("{here}.description"))?;
        if !is_identifier(&output) || !seen.insert(output.clone()) {
            return Err(format!(
                "{here}.name: `{output}` is not an identifier or is listed twice"
            ));
        }
    }
    Ok(Widget {
        name,
        description,
        container,
        props,
    })
}

/// A property: its name and the Rust expression of its `PropKind`.
fn prop(raw: &Value, at: &str) -> Result<(String, String), String> {
    let p = object(raw, at)?;
    known_fields(
        p,
        at,
        &[
            "name",
            "kind",
            "choices",
            "default",
            "initial",
            "description",
        ],
    )?;
    let name = string(p.get("name"), &format!("{at}.name"))?;
    if !is_identifier(&name) {
        return Err(format!("{at}.name: `{name}` is not an identifier"));
    }
    let at = format!("{at} ({name})");
    string(p.get("description"), &format!("{at}.description"))?;
    let kind = string(p.get("kind"), &format!("{at}.kind"))?;
    let Some(&(_, variant)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "{at}.kind: unknown kind `{kind}`; known kinds: {}",
            known.join(", ")
        ));
    };
    let choices: Vec<String> = match (kind.as_str(), p.get("choices")) {
        ("choice", Some(Value::Array(items))) if !items.is_empty() => {
            let mut out = Vec::new();
            for (i, c) in items.iter().enumerate() {
                let c = string(Some(c), &format!("{at}.choices[{i}]"))?;
                if out.contains(&c) {
                    return Err(format!("{at}.choices: `{c}` is listed twice"));
                }
                out.push(c);
            }
            out
        }
        ("choice", _) => return Err(format!("{at}.choices must be a non-empty list of words")),
        (_, Some(_)) => return Err(format!("{at}.choices is only for kind `choice`")),
        (_, None) => Vec::new(),
    };
    for field in ["default", "initial"] {
        if let Some(value) = p.get(field) {
            value_fits(value, &kind, &choices).map_err(|why| format!("{at}.{field}: {why}"))?;
        }
    }
    let expr = if kind == "choice" {
        format!("PropKind::Choice(&{choices:?})")
    } else {
        format!("PropKind::{variant}")
    };
    Ok((name, expr))
}

/// Whether a default or initial value is one the validator accepts for its kind.
fn value_fits(value: &Value, kind: &str, choices: &[String]) -> Result<(), String> {
    let fits = match kind {
        "text" => value.is_string(),
        "bool" => value.is_boolean(),
        "count" => value.is_u64(),
        "choice" => value
            .as_str()
            .is_some_and(|d| choices.iter().any(|c| c == d)),
        "event" => return Err("an event has none (it runs code)".into()),
        "data" => true,
        "columns" => value.as_array().is_some_and(|cols| {
            cols.iter()
                .all(|c| c.get("key").and_then(Value::as_str).is_some())
        }),
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{value} is not a value of kind `{kind}`"))
    }
}

/// The Rust code that `src/widget.rs` includes.
fn rust(widgets: &[Widget], grid_columns: u64) -> String {
    let n = widgets.len();
    let mut out = String::from(
        "// Generated by crates/app/build.rs from schema/widgets.json: edit that file instead.\n\n",
    );
    out.push_str("/// A widget type of the catalogue (schema/widgets.json).\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]\npub enum WidgetType {\n");
    for w in widgets {
        let _ = writeln!(out, "    #[doc = {:?}]\n    {},", w.description, w.name);
    }
    out.push_str("}\n\n");

    let _ = writeln!(out, "const TYPE_NAMES: [&str; {n}] = [");
    for w in widgets {
        let _ = writeln!(out, "    {:?},", w.name);
    }
    out.push_str("];\n\n");
    let _ = writeln!(out, "const CONTAINERS: [bool; {n}] = [");
    for w in widgets {
        let _ = writeln!(out, "    {},", w.container);
    }
    out.push_str("];\n\n");
    for w in widgets {
        let _ = writeln!(
            out,
            "const {}_PROPS: &[(&str, PropKind)] = &[",
            w.name.to_ascii_uppercase()
        );
        for (name, kind) in &w.props {
            let _ = writeln!(out, "    ({name:?}, {kind}),");
        }
        out.push_str("];\n");
    }
    let _ = writeln!(
        out,
        "\nconst PROPS: [&[(&str, PropKind)]; {n}] = [{}];\n",
        widgets
            .iter()
            .map(|w| format!("{}_PROPS", w.name.to_ascii_uppercase()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "impl WidgetType {{\n    /// Every widget type, in the catalogue's order.\n    pub const ALL: [WidgetType; {n}] = [{}];\n}}\n",
        widgets
            .iter()
            .map(|w| format!("WidgetType::{}", w.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "/// The catalogue's `gridColumns`.\n#[cfg(test)]\nconst CATALOGUE_GRID_COLUMNS: u32 = {grid_columns};"
    );
    out
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{at} must be an object"))
}

fn list<'a>(v: Option<&'a Value>, at: &str) -> Result<&'a Vec<Value>, String> {
    v.and_then(Value::as_array)
        .ok_or_else(|| format!("{at} must be a list"))
}

fn string(v: Option<&Value>, at: &str) -> Result<String, String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("{at} must be a non-empty string"))
}

fn positive(v: Option<&Value>, at: &str) -> Result<u64, String> {
    v.and_then(Value::as_u64)
        .filter(|n| (1..=u64::from(u32::MAX)).contains(n))
        .ok_or_else(|| format!("{at} must be a whole number ≥ 1"))
}

/// Refuses fields the catalogue does not define, so a typo (`defualt`) is not ignored.
fn known_fields(map: &Map<String, Value>, at: &str, known: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{at}: unknown field `{k}`; known fields: {}",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}
