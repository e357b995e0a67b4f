//! Reading an app folder: files → located YAML trees → migration → model, with diagnostics.
//!
//! Every file is read and every problem reported; nothing stops at the first error. Checks
//! that need a single node happen while converting it; checks across files (names, references)
//! run at the end on declarations and references collected with their positions.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Pos};
use crate::js;
use crate::model::{
    App, Body, Datasource, JsObject, Method, OrderedMap, Page, Position, Query, Widget, WidgetType,
    DEFAULT_TIMEOUT_MS, FORMAT_VERSION, GRID_COLUMNS, MAX_TIMEOUT_MS,
};
use crate::names::{identifier_problem, kebab_case, slug_problem};
use crate::substitute;
use crate::template::{self, Segment};
use crate::widget::PropKind;
use crate::yaml::{self, Key, Node, Value};

/// The files of an app folder: `/`-separated relative path → text.
pub type SourceFiles = BTreeMap<String, String>;

/// Largest file read from a folder (an app file is hand-written text, not data).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl App {
    /// Reads and validates the app folder `dir`. The app is `Some` exactly when there are no
    /// diagnostics; the diagnostics list every problem found, in file order.
    pub fn load(dir: &Path) -> (Option<App>, Vec<Diagnostic>) {
        let (files, mut diagnostics) = read_folder(dir);
        let (app, more) = App::from_files(&files);
        diagnostics.extend(more);
        if diagnostics.is_empty() {
            (app, diagnostics)
        } else {
            (None, diagnostics)
        }
    }

    /// Validates an app given as its files (paths relative to the app folder, such as
    /// `app.yaml`, `pages/Home.yaml`, `queries/q.yaml`, `js/Obj.js`). Like [`App::load`], the
    /// app is `Some` exactly when there are no diagnostics.
    pub fn from_files(files: &SourceFiles) -> (Option<App>, Vec<Diagnostic>) {
        let mut loader = Loader::default();
        let app = loader.load(files);
        let mut diagnostics = loader.out;
        diagnostics.sort_by(|a, b| {
            (file_rank(&a.file), &a.file, a.line, a.column).cmp(&(
                file_rank(&b.file),
                &b.file,
                b.line,
                b.column,
            ))
        });
        diagnostics.dedup();
        if diagnostics.is_empty() {
            (app, diagnostics)
        } else {
            (None, diagnostics)
        }
    }
}

/// `app.yaml` first, then pages, queries and JS objects.
fn file_rank(file: &str) -> u8 {
    match file.split('/').next() {
        Some("app.yaml") => 0,
        Some("pages") => 1,
        Some("queries") => 2,
        Some("js") => 3,
        _ => 4,
    }
}

/// Reads the folder's `app.yaml`, `pages/*.yaml`, `queries/*.yaml` and `js/*.js`. Other files
/// at the top level are ignored (a README, a .git folder); unexpected files inside the three
/// sub-folders are reported, so a misnamed `Page.yml` is not silently skipped.
fn read_folder(dir: &Path) -> (SourceFiles, Vec<Diagnostic>) {
    let mut files = SourceFiles::new();
    let mut out = Vec::new();
    if !dir.is_dir() {
        out.push(Diagnostic::new(
            ".",
            Pos::FILE,
            "the app folder does not exist",
        ));
        return (files, out);
    }
    read_file(dir, "app.yaml", &mut files, &mut out);
    for (sub, ext) in [("pages", "yaml"), ("queries", "yaml"), ("js", "js")] {
        let path = dir.join(sub);
        if !path.exists() {
            continue;
        }
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) => {
                out.push(Diagnostic::new(
                    sub,
                    Pos::FILE,
                    format!("cannot read the folder: {e}"),
                ));
                continue;
            }
        };
        let mut names = Vec::new();
        for entry in entries.flatten() {
            names.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path().is_dir(),
            ));
        }
        names.sort();
        for (name, is_dir) in names {
            let rel = format!("{sub}/{name}");
            if name.starts_with('.') {
                continue;
            }
            if is_dir || !name.ends_with(&format!(".{ext}")) {
                out.push(Diagnostic::new(
                    rel,
                    Pos::FILE,
                    format!("unexpected file: {sub}/ holds only .{ext} files"),
                ));
                continue;
            }
            read_file(dir, &rel, &mut files, &mut out);
        }
    }
    (files, out)
}

fn read_file(dir: &Path, rel: &str, files: &mut SourceFiles, out: &mut Vec<Diagnostic>) {
    let path = dir.join(rel);
    match std::fs::metadata(&path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            out.push(Diagnostic::new(
                rel,
                Pos::FILE,
                "the file is larger than 4 MiB",
            ));
            return;
        }
        Ok(_) => {}
        Err(_) if rel == "app.yaml" => {
            out.push(Diagnostic::new(rel, Pos::FILE, "missing app.yaml"));
            return;
        }
        Err(e) => {
            out.push(Diagnostic::new(
                rel,
                Pos::FILE,
                format!("cannot read the file: {e}"),
            ));
            return;
        }
    }
    match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                files.insert(rel.to_owned(), text);
            }
            Err(_) => out.push(Diagnostic::new(
                rel,
                Pos::FILE,
                "the file is not UTF-8 text",
            )),
        },
        Err(e) => out.push(Diagnostic::new(
            rel,
            Pos::FILE,
            format!("cannot read the file: {e}"),
        )),
    }
}

/// A name declared somewhere, for the uniqueness checks.
struct Decl {
    kind: &'static str,
    name: String,
    file: String,
    pos: Pos,
}

/// A reference to check once every file is read.
enum Ref {
    HomePage {
        name: String,
        pos: Pos,
    },
    OnLoad {
        step: String,
        file: String,
        pos: Pos,
    },
    Datasource {
        name: String,
        file: String,
        pos: Pos,
    },
    Page {
        name: String,
        file: String,
        pos: Pos,
    },
}

#[derive(Default)]
struct Loader {
    out: Vec<Diagnostic>,
    /// Widgets, queries and JS objects: one namespace.
    entities: Vec<Decl>,
    refs: Vec<Ref>,
    js_members: HashMap<String, Vec<js::Member>>,
    /// Page slug → (page file, position) for uniqueness.
    page_slugs: Vec<(String, String, Pos)>,
}

/// The raw trees of a folder, before migration and conversion.
struct RawFolder<'a> {
    app: Option<Node>,
    pages: Vec<(&'a str, Node)>,
    queries: Vec<(&'a str, Node)>,
    js: Vec<(&'a str, &'a str)>,
}

impl Loader {
    fn err(&mut self, file: &str, pos: Pos, message: impl Into<String>) {
        self.out.push(Diagnostic::new(file, pos, message));
    }

    fn load(&mut self, files: &SourceFiles) -> Option<App> {
        let mut raw = RawFolder {
            app: None,
            pages: Vec::new(),
            queries: Vec::new(),
            js: Vec::new(),
        };
        if !files.contains_key("app.yaml") {
            self.err("app.yaml", Pos::FILE, "missing app.yaml");
        }
        for (file, text) in files {
            let parts: Vec<&str> = file.split('/').collect();
            let yaml_kind = match parts.as_slice() {
                ["app.yaml"] => Some(0),
                ["pages", name] if name.ends_with(".yaml") => Some(1),
                ["queries", name] if name.ends_with(".yaml") => Some(2),
                ["js", name] if name.ends_with(".js") => {
                    raw.js.push((file.as_str(), text.as_str()));
                    None
                }
                _ => {
                    self.err(file, Pos::FILE, "unexpected file in an app folder");
                    None
                }
            };
            let Some(kind) = yaml_kind else { continue };
            let node = match yaml::parse(text) {
                Ok(node) => node,
                Err(e) => {
                    self.err(file, e.pos, e.message);
                    continue;
                }
            };
            match kind {
                0 => raw.app = Some(node),
                1 => raw.pages.push((file.as_str(), node)),
                _ => raw.queries.push((file.as_str(), node)),
            }
        }

        let app_node = raw.app.take();
        let version = app_node.as_ref().and_then(|n| self.version(n));
        if let Some(version) = version {
            if let Err(message) = migrate(&mut raw, version) {
                self.err("app.yaml", Pos::new(1, 1), message);
                return None;
            }
        }

        let app_parts = app_node.as_ref().map(|n| self.app_file(n));
        let pages: Vec<Page> = raw
            .pages
            .iter()
            .filter_map(|(file, node)| self.page_file(file, node))
            .collect();
        let queries: Vec<Query> = raw
            .queries
            .iter()
            .filter_map(|(file, node)| self.query_file(file, node))
            .collect();
        let js_objects: Vec<JsObject> = raw
            .js
            .iter()
            .filter_map(|(file, text)| self.js_file(file, text))
            .collect();

        let (name, slug, home_page, datasources, settings) = app_parts?;
        let app = App {
            version: FORMAT_VERSION,
            name: name?,
            slug: slug?,
            home_page: home_page?,
            datasources,
            settings,
            pages,
            queries,
            js_objects,
        };
        self.cross_check(&app);
        Some(app)
    }

    /// The `version` of app.yaml, or `None` (reported) when missing or not a number.
    fn version(&mut self, node: &Node) -> Option<u32> {
        let Value::Map(entries) = &node.value else {
            return None;
        };
        let Some((_, v)) = entries.iter().find(|(k, _)| k.name == "version") else {
            self.err(
                "app.yaml",
                node.pos,
                format!("missing `version` (this lowkey reads version {FORMAT_VERSION})"),
            );
            return None;
        };
        match &v.value {
            Value::Int(n) if *n >= 1 => u32::try_from(*n).ok(),
            Value::UInt(n) => u32::try_from(*n).ok(),
            _ => {
                self.err(
                    "app.yaml",
                    v.pos,
                    format!("`version` must be a format version number such as {FORMAT_VERSION}"),
                );
                None
            }
        }
    }

    // ---- app.yaml -------------------------------------------------------------------------

    #[allow(clippy::type_complexity)]
    fn app_file(
        &mut self,
        node: &Node,
    ) -> (
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<Datasource>,
        serde_json::Map<String, Json>,
    ) {
        const FILE: &str = "app.yaml";
        let mut f = Fields::new(
            self,
            FILE,
            node,
            "app.yaml",
            &[
                "version",
                "name",
                "slug",
                "homePage",
                "datasources",
                "settings",
            ],
        );
        let name = f.required_string("name");
        let slug = f.required_string("slug");
        let home_page = f.required_string("homePage");
        let datasources_node = f.get("datasources");
        let settings_node = f.get("settings");
        let slug_pos = f.pos_of("slug");
        let home_pos = f.pos_of("homePage");

        if let (Some(s), Some(pos)) = (&slug, slug_pos) {
            if let Some(problem) = slug_problem(s) {
                self.err(FILE, pos, problem);
            }
        }
        if let Some(n) = &name {
            if n.trim().is_empty() {
                self.err(FILE, node.pos, "`name` must not be empty");
            }
        }
        if let (Some(h), Some(pos)) = (&home_page, home_pos) {
            self.refs.push(Ref::HomePage {
                name: h.clone(),
                pos,
            });
        }

        let mut datasources = Vec::new();
        if let Some(list) = datasources_node {
            if let Some(items) = self.seq(FILE, list, "`datasources`") {
                let mut seen: Vec<(String, Pos)> = Vec::new();
                for item in items {
                    if let Some(ds) = self.datasource(item) {
                        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == ds.name) {
                            let message = format!(
                                "datasource `{}` is already defined at line {}",
                                ds.name, first.line
                            );
                            self.err(FILE, item.pos, message);
                        } else {
                            seen.push((ds.name.clone(), item.pos));
                        }
                        datasources.push(ds);
                    }
                }
            }
        }

        let mut settings = serde_json::Map::new();
        if let Some(s) = settings_node {
            match &s.value {
                Value::Map(_) => {
                    if let Some(Json::Object(map)) = self.json_value(FILE, s) {
                        settings = map;
                    }
                }
                Value::Null => {}
                other => self.err(
                    FILE,
                    s.pos,
                    format!("`settings` must be a map, found {}", other.kind()),
                ),
            }
        }
        (name, slug, home_page, datasources, settings)
    }

    fn datasource(&mut self, node: &Node) -> Option<Datasource> {
        const FILE: &str = "app.yaml";
        let mut f = Fields::new(
            self,
            FILE,
            node,
            "a datasource",
            &["name", "url", "headers"],
        );
        let name = f.required_string("name");
        let url = f.required_string("url");
        let headers_node = f.get("headers");
        let name_pos = f.pos_of("name");
        let url_pos = f.pos_of("url");
        if let (Some(n), Some(pos)) = (&name, name_pos) {
            if let Some(problem) = identifier_problem(n) {
                self.err(FILE, pos, problem);
            }
        }
        if let (Some(u), Some(pos)) = (&url, url_pos) {
            if let Some(problem) = base_url_problem(u) {
                self.err(FILE, pos, problem);
            }
        }
        let headers = match headers_node {
            Some(h) => self.headers(FILE, h),
            None => OrderedMap::new(),
        };
        Some(Datasource {
            name: name?,
            url: url?,
            headers,
        })
    }

    // ---- pages ----------------------------------------------------------------------------

    fn page_file(&mut self, file: &str, node: &Node) -> Option<Page> {
        let stem = stem(file);
        let mut f = Fields::new(
            self,
            file,
            node,
            "a page",
            &["name", "slug", "hidden", "onLoad", "widgets"],
        );
        let name = f.required_string("name");
        let slug = f.optional_string("slug");
        let hidden = f.optional_bool("hidden").unwrap_or(false);
        let on_load_node = f.get("onLoad");
        let widgets_node = f.get("widgets");
        let name_pos = f.pos_of("name").unwrap_or(node.pos);
        let slug_pos = f.pos_of("slug");

        if let Some(problem) = identifier_problem(stem) {
            self.err(
                file,
                Pos::FILE,
                format!("the file name is not a valid page name: {problem}"),
            );
        }
        if let Some(n) = &name {
            if n != stem {
                self.err(
                    file,
                    name_pos,
                    format!("the page name `{n}` must equal the file name `{stem}`"),
                );
            } else if let Some(problem) = identifier_problem(n) {
                self.err(file, name_pos, problem);
            }
        }
        let effective_slug = match &slug {
            Some(s) => {
                if let Some(problem) = slug_problem(s) {
                    self.err(file, slug_pos.unwrap_or(name_pos), problem);
                }
                Some((s.clone(), slug_pos.unwrap_or(name_pos)))
            }
            None => name.as_ref().map(|n| (kebab_case(n), name_pos)),
        };
        if let Some((s, pos)) = effective_slug {
            if slug.is_none() && slug_problem(&s).is_some() {
                self.err(
                    file,
                    pos,
                    format!(
                        "no valid slug can be derived from `{}`: add a `slug`",
                        name.clone().unwrap_or_default()
                    ),
                );
            }
            self.page_slugs.push((s, file.to_owned(), pos));
        }

        let mut on_load = Vec::new();
        if let Some(list) = on_load_node {
            if let Some(items) = self.seq(file, list, "`onLoad`") {
                for item in items {
                    match &item.value {
                        Value::Str(step) => {
                            self.refs.push(Ref::OnLoad {
                                step: step.clone(),
                                file: file.to_owned(),
                                pos: item.pos,
                            });
                            on_load.push(step.clone());
                        }
                        other => self.err(
                            file,
                            item.pos,
                            format!(
                                "an `onLoad` step is a query name or `JsObject.function`, found {}",
                                other.kind()
                            ),
                        ),
                    }
                }
            }
        }

        let widgets = match widgets_node {
            Some(w) => self.widgets(file, w),
            None => Vec::new(),
        };
        Some(Page {
            name: name?,
            slug,
            hidden,
            on_load,
            widgets,
        })
    }

    fn widgets(&mut self, file: &str, node: &Node) -> Vec<Widget> {
        let mut widgets = Vec::new();
        if let Some(items) = self.seq(file, node, "`widgets`") {
            for item in items {
                if let Some(w) = self.widget(file, item) {
                    widgets.push(w);
                }
            }
        }
        widgets
    }

    fn widget(&mut self, file: &str, node: &Node) -> Option<Widget> {
        let mut f = Fields::new(
            self,
            file,
            node,
            "a widget",
            &["name", "type", "position", "props", "children"],
        );
        let name = f.required_string("name");
        let type_name = f.required_string("type");
        let position_node = f.get("position");
        let props_node = f.get("props");
        let children_node = f.get("children");
        let name_pos = f.pos_of("name").unwrap_or(node.pos);
        let type_pos = f.pos_of("type").unwrap_or(node.pos);

        if let Some(n) = &name {
            if let Some(problem) = identifier_problem(n) {
                self.err(file, name_pos, problem);
            }
            self.entities.push(Decl {
                kind: "a widget",
                name: n.clone(),
                file: file.to_owned(),
                pos: name_pos,
            });
        }
        let widget_type = type_name.as_deref().and_then(|t| {
            let parsed = WidgetType::parse(t);
            if parsed.is_none() {
                let known: Vec<&str> = WidgetType::ALL.iter().map(|t| t.as_str()).collect();
                self.err(
                    file,
                    type_pos,
                    format!(
                        "unknown widget type `{t}`; known types: {}",
                        known.join(", ")
                    ),
                );
            }
            parsed
        });

        let position = match position_node {
            Some(p) => self.position(file, p),
            None => {
                self.err(file, node.pos, "a widget needs a `position`");
                None
            }
        };

        let mut props = OrderedMap::new();
        if let Some(p) = props_node {
            match &p.value {
                Value::Map(entries) => {
                    for (key, value) in entries {
                        let Some(json) = self.json_value(file, value) else {
                            continue;
                        };
                        if let Some(t) = widget_type {
                            match t.prop(&key.name) {
                                Some(kind) => self.check_prop(file, &key.name, kind, value, &json),
                                None => {
                                    let known: Vec<&str> =
                                        t.props().iter().map(|(n, _)| *n).collect();
                                    self.err(
                                        file,
                                        key.pos,
                                        format!(
                                        "unknown property `{}` for a {} widget; its properties: {}",
                                        key.name,
                                        t.as_str(),
                                        known.join(", ")
                                    ),
                                    );
                                }
                            }
                        }
                        props.insert(key.name.clone(), json);
                    }
                }
                Value::Null => {}
                other => self.err(
                    file,
                    p.pos,
                    format!("`props` must be a map, found {}", other.kind()),
                ),
            }
        }

        let mut children = Vec::new();
        if let Some(c) = children_node {
            if widget_type.is_some_and(|t| !t.is_container()) {
                self.err(file, c.pos, "only Form and Container widgets have children");
            }
            children = self.widgets(file, c);
        }

        Some(Widget {
            name: name?,
            widget_type: widget_type?,
            position: position?,
            props,
            children,
        })
    }

    fn position(&mut self, file: &str, node: &Node) -> Option<Position> {
        let mut f = Fields::new(
            self,
            file,
            node,
            "a position",
            &["col", "row", "width", "height"],
        );
        let col = f.required_u32("col");
        let row = f.required_u32("row");
        let width = f.required_u32("width");
        let height = f.required_u32("height");
        let pos_of = |f: &Fields, k: &str| f.pos_of(k).unwrap_or(node.pos);
        let (col_pos, width_pos, height_pos) =
            (pos_of(&f, "col"), pos_of(&f, "width"), pos_of(&f, "height"));
        let (col, row, width, height) = (col?, row?, width?, height?);
        let mut ok = true;
        if col >= GRID_COLUMNS {
            self.err(
                file,
                col_pos,
                format!("`col` must be between 0 and {}", GRID_COLUMNS - 1),
            );
            ok = false;
        }
        if width == 0 || width > GRID_COLUMNS {
            self.err(
                file,
                width_pos,
                format!("`width` must be between 1 and {GRID_COLUMNS}"),
            );
            ok = false;
        }
        if ok && col + width > GRID_COLUMNS {
            self.err(file, width_pos, format!(
                "the widget overflows the grid: col {col} + width {width} is more than {GRID_COLUMNS}"
            ));
        }
        if height == 0 {
            self.err(file, height_pos, "`height` must be at least 1");
        }
        Some(Position {
            col,
            row,
            width,
            height,
        })
    }

    fn check_prop(&mut self, file: &str, name: &str, kind: PropKind, node: &Node, json: &Json) {
        if kind == PropKind::Event {
            match json {
                Json::String(s) => self.check_event(file, node.pos, s),
                _ => self.err(
                    file,
                    node.pos,
                    format!(
                        "`{name}` holds code in `{{{{ }}}}`, such as \"{{{{MyObject.run()}}}}\""
                    ),
                ),
            }
            return;
        }
        // A value with a binding is checked as code; its type is known only at run time.
        if let Json::String(s) = json {
            if template::has_binding(s) {
                self.check_value_template(file, node.pos, s, false);
                return;
            }
        }
        let ok = match kind {
            PropKind::Text => !matches!(json, Json::Array(_) | Json::Object(_)),
            PropKind::Bool => json.is_boolean(),
            PropKind::Count => json.is_u64(),
            PropKind::Choice(choices) => json.as_str().is_some_and(|s| choices.contains(&s)),
            PropKind::Data | PropKind::Event => true,
            PropKind::Columns => json.as_array().is_some_and(|cols| {
                cols.iter().all(|c| {
                    c.as_object().is_some_and(|o| {
                        o.get("key").is_some_and(Json::is_string)
                            && o.get("label").is_none_or(Json::is_string)
                            && o.keys().all(|k| k == "key" || k == "label")
                    })
                })
            }),
        };
        if !ok {
            let expected = match kind {
                PropKind::Text => "text".to_owned(),
                PropKind::Bool => "true or false".to_owned(),
                PropKind::Count => "a whole number ≥ 0".to_owned(),
                PropKind::Choice(c) => format!("one of {}", c.join(", ")),
                PropKind::Columns => "a list of {key, label}".to_owned(),
                PropKind::Data | PropKind::Event => "a value".to_owned(),
            };
            self.err(
                file,
                node.pos,
                format!("`{name}` must be {expected} (or a `{{{{ }}}}` binding)"),
            );
        }
    }

    /// Checks the bindings of a value template (a widget property or a query field).
    fn check_value_template(&mut self, file: &str, pos: Pos, text: &str, in_query: bool) {
        let segments = match template::split(text) {
            Ok(s) => s,
            Err(e) => {
                self.err(file, pos, e.to_string());
                return;
            }
        };
        for segment in segments {
            let (Segment::Binding { code, .. }, Some(key)) = (segment, segment.key()) else {
                continue;
            };
            if template::mentions_secrets(key) {
                if !in_query {
                    self.err(file, pos, "secrets are resolved on the server: use `{{secrets.NAME}}` only in queries and datasource headers");
                } else if template::secret_name(key).is_none() {
                    self.err(
                        file,
                        pos,
                        format!(
                            "`{{{{{key}}}}}`: a secret is written exactly `{{{{secrets.NAME}}}}`"
                        ),
                    );
                }
                continue;
            }
            if let Err(e) = js::check_expression(code) {
                self.err(
                    file,
                    pos,
                    format!(
                        "binding `{{{{{}}}}}` is not a valid JavaScript expression: {}",
                        shorten(key),
                        e.message
                    ),
                );
            }
        }
    }

    fn check_event(&mut self, file: &str, pos: Pos, text: &str) {
        let segments = match template::split(text) {
            Ok(s) => s,
            Err(e) => {
                self.err(file, pos, e.to_string());
                return;
            }
        };
        let mut has_code = false;
        for segment in &segments {
            match segment {
                Segment::Text(t) if !t.trim().is_empty() => {
                    self.err(file, pos, "an event property holds only code in `{{ }}`; text around it would be ignored");
                }
                Segment::Text(_) => {}
                Segment::Binding { code, .. } => {
                    has_code = true;
                    if let Err(e) = js::check_statements(code) {
                        self.err(
                            file,
                            pos,
                            format!(
                                "event code `{{{{{}}}}}` is not valid JavaScript: {}",
                                shorten(code.trim()),
                                e.message
                            ),
                        );
                        continue;
                    }
                    for (_, page) in js::navigate_targets(code) {
                        self.refs.push(Ref::Page {
                            name: page.to_owned(),
                            file: file.to_owned(),
                            pos,
                        });
                    }
                }
            }
        }
        if !has_code {
            self.err(
                file,
                pos,
                "an event property holds code in `{{ }}`, such as \"{{MyObject.run()}}\"",
            );
        }
    }

    // ---- queries --------------------------------------------------------------------------

    fn query_file(&mut self, file: &str, node: &Node) -> Option<Query> {
        let stem = stem(file);
        let mut f = Fields::new(
            self,
            file,
            node,
            "a query",
            &[
                "datasource",
                "path",
                "url",
                "method",
                "params",
                "headers",
                "body",
                "timeoutMs",
            ],
        );
        let datasource = f.optional_string("datasource");
        let path = f.optional_string("path");
        let url = f.optional_string("url");
        let method_name = f.optional_string("method");
        let params_node = f.get("params");
        let headers_node = f.get("headers");
        let body_node = f.get("body");
        let timeout = f.optional_u32("timeoutMs");
        let pos = |k: &str| f.pos_of(k).unwrap_or(node.pos);
        let (ds_pos, path_pos, url_pos, method_pos, timeout_pos) = (
            pos("datasource"),
            pos("path"),
            pos("url"),
            pos("method"),
            pos("timeoutMs"),
        );

        if let Some(problem) = identifier_problem(stem) {
            self.err(
                file,
                Pos::FILE,
                format!("the file name is not a valid query name: {problem}"),
            );
        }
        self.entities.push(Decl {
            kind: "a query",
            name: stem.to_owned(),
            file: file.to_owned(),
            pos: Pos::FILE,
        });

        match (&datasource, &path, &url) {
            (Some(ds), Some(p), None) => {
                self.refs.push(Ref::Datasource {
                    name: ds.clone(),
                    file: file.to_owned(),
                    pos: ds_pos,
                });
                if !p.starts_with('/') {
                    self.err(file, path_pos, "`path` must start with `/`");
                }
                self.check_value_template(file, path_pos, p, true);
            }
            (None, None, Some(u)) => {
                if let Some(problem) = query_url_problem(u) {
                    self.err(file, url_pos, problem);
                }
                self.check_value_template(file, url_pos, u, true);
            }
            (Some(_), None, None) => {
                self.err(file, ds_pos, "a query with a `datasource` needs a `path`")
            }
            (None, Some(_), None) => {
                self.err(file, path_pos, "a query with a `path` needs a `datasource`")
            }
            (None, None, None) => self.err(
                file,
                node.pos,
                "a query needs a `datasource` and a `path`, or an absolute `url`",
            ),
            (_, _, Some(_)) => self.err(
                file,
                url_pos,
                "a query has either `datasource` and `path`, or `url`, not both",
            ),
        }

        let method = match &method_name {
            None => Method::Get,
            Some(m) => Method::parse(m).unwrap_or_else(|| {
                self.err(
                    file,
                    method_pos,
                    format!("unknown method `{m}`: use GET, POST, PUT, PATCH or DELETE"),
                );
                Method::Get
            }),
        };

        let mut params = OrderedMap::new();
        if let Some(p) = params_node {
            params = self.string_map(file, p, "`params`");
            for (_, v) in params.iter() {
                self.check_value_template(file, p.pos, v, true);
            }
        }
        let headers = match headers_node {
            Some(h) => self.headers(file, h),
            None => OrderedMap::new(),
        };
        let body = body_node.and_then(|b| self.body(file, b));

        let timeout_ms = timeout.unwrap_or(DEFAULT_TIMEOUT_MS);
        if timeout_ms == 0 || timeout_ms > MAX_TIMEOUT_MS {
            self.err(
                file,
                timeout_pos,
                format!("`timeoutMs` must be between 1 and {MAX_TIMEOUT_MS}"),
            );
        }

        Some(Query {
            name: stem.to_owned(),
            datasource,
            path,
            url,
            method,
            params,
            headers,
            body,
            timeout_ms,
        })
    }

    /// Headers of a query or datasource: names are HTTP tokens, unique ignoring case.
    fn headers(&mut self, file: &str, node: &Node) -> OrderedMap<String> {
        let headers = self.string_map(file, node, "`headers`");
        let Value::Map(entries) = &node.value else {
            return headers;
        };
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in entries {
            let lower = key.name.to_ascii_lowercase();
            if !is_header_name(&key.name) {
                self.err(
                    file,
                    key.pos,
                    format!("`{}` is not a valid HTTP header name", key.name),
                );
            } else if seen.contains(&lower) {
                self.err(
                    file,
                    key.pos,
                    format!("header `{}` is given twice", key.name),
                );
            }
            seen.push(lower);
            if let Value::Str(s) = &value.value {
                self.check_value_template(file, value.pos, s, true);
            }
        }
        headers
    }

    fn body(&mut self, file: &str, node: &Node) -> Option<Body> {
        let mut f = Fields::new(self, file, node, "a body", &["type", "content"]);
        let kind = f.required_string("type");
        let content = f.get("content");
        let type_pos = f.pos_of("type").unwrap_or(node.pos);
        let kind = kind?;
        let Some(content) = content else {
            self.err(file, node.pos, "a body needs a `content`");
            return None;
        };
        match kind.as_str() {
            "json" | "text" => {
                let Value::Str(text) = &content.value else {
                    self.err(
                        file,
                        content.pos,
                        format!("a {kind} body's `content` is a string template"),
                    );
                    return None;
                };
                self.check_value_template(file, content.pos, text, true);
                if kind == "json" {
                    if let Err(message) = substitute::check_json_template(text) {
                        self.err(file, content.pos, message);
                    }
                    Some(Body::Json(text.clone()))
                } else {
                    Some(Body::Text(text.clone()))
                }
            }
            "form" => {
                let fields = self.string_map(file, content, "a form body's `content`");
                for (_, v) in fields.iter() {
                    self.check_value_template(file, content.pos, v, true);
                }
                Some(Body::Form(fields))
            }
            other => {
                self.err(
                    file,
                    type_pos,
                    format!("unknown body type `{other}`: use json, form or text"),
                );
                None
            }
        }
    }

    // ---- JS objects -----------------------------------------------------------------------

    fn js_file(&mut self, file: &str, source: &str) -> Option<JsObject> {
        let stem = stem(file);
        if let Some(problem) = identifier_problem(stem) {
            self.err(
                file,
                Pos::FILE,
                format!("the file name is not a valid JS object name: {problem}"),
            );
        }
        self.entities.push(Decl {
            kind: "a JS object",
            name: stem.to_owned(),
            file: file.to_owned(),
            pos: Pos::FILE,
        });
        match js::parse_js_object(source) {
            Ok(members) => {
                self.js_members.insert(stem.to_owned(), members);
            }
            Err(errors) => {
                for e in errors {
                    self.err(file, offset_to_pos(source, e.offset), e.message);
                }
            }
        }
        for (offset, page) in js::navigate_targets(source) {
            self.refs.push(Ref::Page {
                name: page.to_owned(),
                file: file.to_owned(),
                pos: offset_to_pos(source, offset),
            });
        }
        Some(JsObject {
            name: stem.to_owned(),
            source: source.to_owned(),
        })
    }

    // ---- checks across files --------------------------------------------------------------

    fn cross_check(&mut self, app: &App) {
        let mut first: HashMap<&str, &Decl> = HashMap::new();
        let entities = std::mem::take(&mut self.entities);
        for decl in &entities {
            if let Some(earlier) = first.get(decl.name.as_str()) {
                let message = format!(
                    "`{}` is already the name of {} ({}); widgets, queries and JS objects share one namespace",
                    decl.name,
                    earlier.kind,
                    place(&earlier.file, earlier.pos)
                );
                self.err(&decl.file, decl.pos, message);
            } else {
                first.insert(decl.name.as_str(), decl);
            }
        }

        let slugs = std::mem::take(&mut self.page_slugs);
        let mut seen_slugs: HashMap<&str, &str> = HashMap::new();
        for (slug, file, pos) in &slugs {
            if let Some(other) = seen_slugs.get(slug.as_str()) {
                self.err(
                    file,
                    *pos,
                    format!("page slug `{slug}` is also the slug of {other}"),
                );
            } else {
                seen_slugs.insert(slug, file);
            }
        }

        let kind_of = |name: &str| first.get(name).map(|d| d.kind);
        let refs = std::mem::take(&mut self.refs);
        for r in &refs {
            match r {
                Ref::HomePage { name, pos } => {
                    if app.page(name).is_none() {
                        self.err(
                            "app.yaml",
                            *pos,
                            format!("`homePage`: there is no page `{name}` (pages/{name}.yaml)"),
                        );
                    }
                }
                Ref::Datasource { name, file, pos } => {
                    if app.datasource(name).is_none() {
                        self.err(
                            file,
                            *pos,
                            format!("there is no datasource `{name}` in app.yaml"),
                        );
                    }
                }
                Ref::Page { name, file, pos } => {
                    if app.page(name).is_none() {
                        self.err(
                            file,
                            *pos,
                            format!("`navigateTo('{name}')`: there is no page `{name}`"),
                        );
                    }
                }
                Ref::OnLoad { step, file, pos } => {
                    let message = match step.split_once('.') {
                        None => match kind_of(step) {
                            Some("a query") => None,
                            Some("a JS object") => Some(format!("`{step}` is a JS object: name one of its functions, `{step}.function`")),
                            Some(kind) => Some(format!("`{step}` is {kind}, not a query")),
                            None => Some(format!("there is no query `{step}`")),
                        },
                        Some((object, function)) => match (kind_of(object), self.js_members.get(object)) {
                            (Some("a JS object"), Some(members)) => match members.iter().find(|m| m.name == function) {
                                Some(m) if m.is_function => None,
                                Some(_) => Some(format!("`{step}` is not a function")),
                                None => Some(format!("JS object `{object}` has no function `{function}`")),
                            },
                            // Its file has errors, already reported.
                            (Some("a JS object"), None) => None,
                            _ => Some(format!("there is no JS object `{object}`")),
                        },
                    };
                    if let Some(message) = message {
                        self.err(file, *pos, format!("`onLoad`: {message}"));
                    }
                }
            }
        }
    }

    // ---- typed access to nodes ------------------------------------------------------------

    fn seq<'n>(&mut self, file: &str, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            other => {
                self.err(
                    file,
                    node.pos,
                    format!("{what} must be a list, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// A map of scalars read as text (`limit: 10` is the text "10").
    fn string_map(&mut self, file: &str, node: &Node, what: &str) -> OrderedMap<String> {
        let mut map = OrderedMap::new();
        match &node.value {
            Value::Map(entries) => {
                for (key, value) in entries {
                    match scalar_text(&value.value) {
                        Some(text) => {
                            map.insert(key.name.clone(), text);
                        }
                        None => self.err(
                            file,
                            value.pos,
                            format!("values of {what} are text, found {}", value.value.kind()),
                        ),
                    }
                }
            }
            Value::Null => {}
            other => self.err(
                file,
                node.pos,
                format!("{what} must be a map, found {}", other.kind()),
            ),
        }
        map
    }

    fn json_value(&mut self, file: &str, node: &Node) -> Option<Json> {
        Some(match &node.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(n) => Json::from(*n),
            Value::UInt(n) => Json::from(*n),
            Value::Float(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => Json::Number(n),
                None => {
                    self.err(file, node.pos, "infinite and NaN numbers are not supported");
                    return None;
                }
            },
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.json_value(file, item)?);
                }
                Json::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    let value = self.json_value(file, v)?;
                    out.insert(k.name.clone(), value);
                }
                Json::Object(out)
            }
        })
    }
}

/// Reads the fields of a YAML map: reports unknown fields when created, then hands out values.
struct Fields<'l, 'n> {
    loader: &'l mut Loader,
    file: &'l str,
    node: &'n Node,
    entries: &'n [(Key, Node)],
    what: &'static str,
}

impl<'l, 'n> Fields<'l, 'n> {
    fn new(
        loader: &'l mut Loader,
        file: &'l str,
        node: &'n Node,
        what: &'static str,
        known: &[&str],
    ) -> Self {
        let entries: &'n [(Key, Node)] = match &node.value {
            Value::Map(entries) => entries,
            other => {
                loader.err(
                    file,
                    node.pos,
                    format!("{what} must be a map, found {}", other.kind()),
                );
                &[]
            }
        };
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                loader.err(
                    file,
                    key.pos,
                    format!(
                        "unknown field `{}` in {what}; expected one of: {}",
                        key.name,
                        known.join(", ")
                    ),
                );
            }
        }
        Fields {
            loader,
            file,
            node,
            entries,
            what,
        }
    }

    fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }

    fn pos_of(&self, name: &str) -> Option<Pos> {
        self.get(name).map(|n| n.pos)
    }

    fn missing(&mut self, name: &str) {
        let (file, pos, what) = (self.file, self.node.pos, self.what);
        self.loader
            .err(file, pos, format!("{what} needs a `{name}`"));
    }

    fn wrong(&mut self, node: &Node, name: &str, expected: &str) {
        let message = format!("`{name}` must be {expected}, found {}", node.value.kind());
        self.loader.err(self.file, node.pos, message);
    }

    fn optional_string(&mut self, name: &str) -> Option<String> {
        let node = self.get(name)?;
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong(node, name, "a string");
                None
            }
        }
    }

    fn required_string(&mut self, name: &str) -> Option<String> {
        if self.get(name).is_none() {
            self.missing(name);
            return None;
        }
        self.optional_string(name)
    }

    fn optional_bool(&mut self, name: &str) -> Option<bool> {
        let node = self.get(name)?;
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong(node, name, "true or false");
                None
            }
        }
    }

    fn optional_u32(&mut self, name: &str) -> Option<u32> {
        let node = self.get(name)?;
        let n = match &node.value {
            Value::Int(n) => u32::try_from(*n).ok(),
            Value::UInt(n) => u32::try_from(*n).ok(),
            _ => None,
        };
        if n.is_none() {
            self.wrong(node, name, "a whole number ≥ 0");
        }
        n
    }

    fn required_u32(&mut self, name: &str) -> Option<u32> {
        if self.get(name).is_none() {
            self.missing(name);
            return None;
        }
        self.optional_u32(name)
    }
}

/// Brings the raw trees of a folder written in format `from` up to [`FORMAT_VERSION`].
///
/// Version 1 is the current format, so there is nothing to do yet. A version 2 adds an arm
/// `1 => { rewrite the v1 trees into v2 trees }` and the loop walks every step in order, so a
/// folder of any known version is read by the current code.
fn migrate(raw: &mut RawFolder<'_>, from: u32) -> Result<(), String> {
    let _ = &raw;
    if from == 0 || from > FORMAT_VERSION {
        return Err(format!(
            "unknown format version {from}: this lowkey reads versions 1 to {FORMAT_VERSION}"
        ));
    }
    let mut version = from;
    while version < FORMAT_VERSION {
        #[allow(clippy::match_single_binding)]
        match version {
            _ => {}
        }
        version += 1;
    }
    Ok(())
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
    }
}

/// The file's name without folder and extension.
fn stem(file: &str) -> &str {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

fn place(file: &str, pos: Pos) -> String {
    if pos.line == 0 {
        file.to_owned()
    } else {
        format!("{file}:{}", pos.line)
    }
}

fn shorten(code: &str) -> String {
    const MAX: usize = 60;
    if code.chars().count() <= MAX {
        code.to_owned()
    } else {
        let cut: String = code.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub(crate) fn offset_to_pos(text: &str, offset: usize) -> Pos {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Pos::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// RFC 9110 token characters.
pub(crate) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A datasource URL: an absolute http(s) URL or a path, without bindings.
fn base_url_problem(url: &str) -> Option<String> {
    if template::has_binding(url) {
        return Some("a datasource `url` cannot hold bindings".to_owned());
    }
    if url.starts_with('/') {
        return (url.starts_with("//") || url.contains(['?', '#']))
            .then(|| "a local datasource `url` is a path such as `/auth/v1`".to_owned());
    }
    match url::Url::parse(url) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
            (u.query().is_some() || u.fragment().is_some()).then(|| {
                "a datasource `url` has no query or fragment: put parameters in queries".to_owned()
            })
        }
        _ => Some(format!(
            "`{url}` is neither an absolute http(s) URL nor a path starting with `/`"
        )),
    }
}

/// A query's own `url`: absolute http(s); bindings only after the host.
fn query_url_problem(url: &str) -> Option<String> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Some("a query `url` must be an absolute http:// or https:// URL".to_owned());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if template::has_binding(&rest[..authority_end]) {
        return Some(
            "bindings are allowed in the path and query of a `url`, not in its host".to_owned(),
        );
    }
    let masked = match template::split(url) {
        Ok(segments) => segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => *t,
                Segment::Binding { .. } => "x",
            })
            .collect::<String>(),
        Err(_) => return None, // reported by the binding check
    };
    match url::Url::parse(&masked) {
        Ok(u) if u.host().is_some() => None,
        _ => Some(format!("`{}` is not a valid URL", shorten(url))),
    }
}
