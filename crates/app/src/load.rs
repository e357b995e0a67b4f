//! Reading an app folder: files → located YAML trees → migration → model, with diagnostics.
//!
//! Every file is read and every problem reported; nothing stops at the first error. Checks
//! that need a single node happen while converting it; checks across files (names, references)
//! run at the end on declarations and references collected with their positions.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Location, Pos, Problem};
use crate::guard::{self, HeaderProblem, UrlProblem};
use crate::js;
use crate::model::{
    Access, App, Auth, BasicAuth, Body, Datasource, JsObject, Method, Oidc, OrderedMap, Page,
    Position, Query, SessionAuth, StoreRefresh, TokenMode, TokenPaths, Verify, Widget, WidgetType,
    DEFAULT_ACCESS_TOKEN_PATH, DEFAULT_CLOCK_SKEW_SECS, DEFAULT_EXPIRES_IN_PATH,
    DEFAULT_REFRESH_TOKEN_PATH, DEFAULT_ROLES_CLAIM, DEFAULT_TIMEOUT_MS, FORMAT_VERSION,
    GRID_COLUMNS, MAX_CLOCK_SKEW_SECS, MAX_TIMEOUT_MS,
};
use crate::names::{case_twins, identifier_problem, kebab_case, slug_problem};
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
        if !dir.is_dir() {
            return (None, diagnostics);
        }
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
        let (app, problems) = App::from_files_located(files);
        (app, problems.into_iter().map(|p| p.diagnostic).collect())
    }

    /// [`App::from_files`], each diagnostic with the page, widget and property it is about.
    pub fn from_files_located(files: &SourceFiles) -> (Option<App>, Vec<Problem>) {
        let mut loader = Loader::default();
        let app = loader.load(files);
        let mut problems = loader.out;
        problems.sort_by(|a, b| {
            let (a, b) = (&a.diagnostic, &b.diagnostic);
            (file_rank(&a.file), &a.file, a.line, a.column).cmp(&(
                file_rank(&b.file),
                &b.file,
                b.line,
                b.column,
            ))
        });
        problems.dedup();
        if problems.is_empty() {
            (app, problems)
        } else {
            (None, problems)
        }
    }

    /// What [`App::validate`] finds, located in the model: the app is written as its files
    /// and read back, so exactly the folder's rules apply (positions refer to the files of
    /// [`App::to_files`]). Empty when the app is valid.
    pub fn problems(&self) -> Vec<Problem> {
        match self.to_files() {
            Ok(files) => App::from_files_located(&files).1,
            Err(e) => vec![Problem {
                diagnostic: Diagnostic::new(".", Pos::FILE, e.to_string()),
                location: Location::default(),
            }],
        }
    }
}

/// The value of `name` in a YAML map, when it is text: to locate problems found before the
/// map's fields are read.
fn name_in(node: &Node) -> Option<String> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| match &v.value {
            Value::Str(name) if k.name == "name" => Some(name.clone()),
            _ => None,
        }),
        _ => None,
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
    at: Location,
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
    /// `auth.loginPage`: a page, and a public one.
    LoginPage {
        name: String,
        pos: Pos,
    },
    /// `auth.verify.userinfo`: a query, and a public one.
    Userinfo {
        name: String,
        pos: Pos,
    },
    /// `auth.session.signIn`/`refresh`/`signOut`, `auth.refresh.query`: a public query.
    AuthQuery {
        field: &'static str,
        name: String,
        pos: Pos,
    },
}

#[derive(Default)]
struct Loader {
    out: Vec<Problem>,
    /// The page, widget and property being read: every problem reported is located there.
    at: Location,
    /// Widgets, queries and JS objects: one namespace.
    entities: Vec<Decl>,
    /// With the location each was found at, where its problem is reported.
    refs: Vec<(Ref, Location)>,
    js_members: HashMap<String, Vec<js::Member>>,
    /// Page slug → (page file, position, page) for uniqueness.
    page_slugs: Vec<(String, String, Pos, Location)>,
    /// Names of every page file, readable or not: a page whose file has errors still exists
    /// for references, so one mistake is reported once rather than again at each use.
    page_names: Vec<String>,
    /// The folder's format version as written (before migration); fields newer than it are
    /// refused.
    version: u32,
    /// Whether app.yaml has an `auth` field, valid or not: a protected page is reported as
    /// needing `auth` only when there is none at all.
    auth_declared: bool,
    /// Where a page or query is declared not public: (file, position of `access`, location).
    protected: Vec<(String, Pos, Location)>,
    /// Where `{{session.…}}` is used: valid only in session mode.
    session_uses: Vec<(String, Pos, Location)>,
}

/// What app.yaml says besides its version; `None` where a required field is missing or bad.
struct AppHeader {
    name: Option<String>,
    slug: Option<String>,
    home_page: Option<String>,
    auth: Option<Auth>,
    datasources: Vec<Datasource>,
    settings: serde_json::Map<String, Json>,
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
        self.out.push(Problem {
            diagnostic: Diagnostic::new(file, pos, message),
            location: self.at.clone(),
        });
    }

    /// Notes a reference to check once every file is read, where it was found.
    fn refer(&mut self, r: Ref) {
        self.refs.push((r, self.at.clone()));
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
            match kind {
                1 => self.page_names.push(stem(file).to_owned()),
                2 => self.entities.push(Decl {
                    kind: "a query",
                    name: stem(file).to_owned(),
                    file: file.clone(),
                    pos: Pos::FILE,
                    at: Location::default(),
                }),
                _ => {}
            }
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
        self.version = version.unwrap_or(FORMAT_VERSION);
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

        let header = app_parts?;
        let app = App {
            version: FORMAT_VERSION,
            name: header.name?,
            slug: header.slug?,
            home_page: header.home_page?,
            auth: header.auth,
            datasources: header.datasources,
            settings: header.settings,
            pages,
            queries,
            js_objects,
        };
        self.cross_check(&app);
        self.at = Location::default();
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

    fn app_file(&mut self, node: &Node) -> AppHeader {
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
                "auth",
                "datasources",
                "settings",
            ],
        );
        let name = f.required_string("name");
        let slug = f.required_string("slug");
        let home_page = f.required_string("homePage");
        let datasources_node = f.get("datasources");
        let settings_node = f.get("settings");
        let auth_node = f.get("auth");
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
            self.refer(Ref::HomePage {
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
        let auth = auth_node.and_then(|a| {
            self.auth_declared = true;
            self.since_version_2(FILE, a, "auth");
            self.auth(a)
        });
        AppHeader {
            name,
            slug,
            home_page,
            auth,
            datasources,
            settings,
        }
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

    /// Refuses a field of format version 2 in a folder that says it is version 1: the folder
    /// would mean something else to the lowkey it was written for.
    fn since_version_2(&mut self, file: &str, node: &Node, field: &str) {
        if self.version < 2 {
            self.err(
                file,
                node.pos,
                format!("`{field}` is new in format version 2: write `version: 2` in app.yaml"),
            );
        }
    }

    /// `auth` of app.yaml (docs/app-format.md, "Protection").
    fn auth(&mut self, node: &Node) -> Option<Auth> {
        const FILE: &str = "app.yaml";
        let mut f = Fields::new(
            self,
            FILE,
            node,
            "`auth`",
            &[
                "loginPage",
                "verify",
                "token",
                "rolesClaim",
                "clockSkewSecs",
                "session",
                "refresh",
                "oidc",
            ],
        );
        let login_page = if f.get("oidc").is_some() {
            f.optional_string("loginPage")
        } else {
            f.required_string("loginPage")
        };
        let verify_node = f.get("verify");
        let token_node = f.get("token");
        let session_node = f.get("session");
        let refresh_node = f.get("refresh");
        let oidc_node = f.get("oidc");
        if token_node.is_none() && oidc_node.is_none() {
            f.missing("token");
        }
        let roles_claim = f.optional_string("rolesClaim");
        let clock_skew_secs = f.optional_u32("clockSkewSecs");
        let login_pos = f.pos_of("loginPage").unwrap_or(node.pos);
        let claim_pos = f.pos_of("rolesClaim").unwrap_or(node.pos);
        let skew_pos = f.pos_of("clockSkewSecs").unwrap_or(node.pos);

        if let Some(name) = &login_page {
            self.refer(Ref::LoginPage {
                name: name.clone(),
                pos: login_pos,
            });
        }
        let verify = match verify_node {
            Some(v) => self.verify(v),
            None => Some(Verify::Builtin),
        };
        let oidc = oidc_node.and_then(|n| self.oidc(n));
        let token = match (token_node, oidc_node) {
            (Some(t), _) => self.token(t),
            // Sign-in by redirect keeps its tokens on the server.
            (None, Some(_)) => Some(TokenMode::Session),
            (None, None) => None,
        };
        if let Some(n) = oidc_node {
            if matches!(token, Some(TokenMode::Store(_))) {
                self.err(FILE, n.pos, "`oidc` keeps the tokens on the server: leave `token` out (or write `token: session`)");
            }
            if let Some(v) = verify_node {
                self.err(FILE, v.pos, "with `oidc` the ID token is verified against the provider's keys: leave `verify` out");
            }
            if let Some(s) = session_node {
                self.err(FILE, s.pos, "with `oidc` the server signs in, refreshes and signs out itself: leave `session` out");
            }
        }
        let session = session_node.and_then(|n| self.session_auth(n));
        let refresh = refresh_node.and_then(|n| self.store_refresh(n));
        match (&token, session_node, refresh_node) {
            (Some(TokenMode::Session), None, _) if oidc_node.is_none() => self.err(
                FILE,
                token_node.map_or(node.pos, |n| n.pos),
                "`token: session` needs `session: {signIn: <query>}`: the query whose answer holds the tokens",
            ),
            (Some(TokenMode::Store(_)), Some(n), _) => self.err(
                FILE,
                n.pos,
                "`session` belongs to session mode (`token: session`); in store mode the app stores its tokens itself",
            ),
            _ => {}
        }
        match (&token, refresh_node, &refresh) {
            (Some(TokenMode::Session), Some(n), _) => self.err(
                FILE,
                n.pos,
                "`refresh` is store mode's: in session mode the server refreshes with `session.refresh`",
            ),
            (Some(TokenMode::Store(key)), Some(n), Some(r)) if !r.store.iter().any(|(k, _)| k == key) => {
                let message = format!("`refresh.store` must say where the new `{key}` (the token's store key) is in the answer");
                self.err(FILE, n.pos, message);
            }
            _ => {}
        }
        if let Some(claim) = &roles_claim {
            if claim.split('.').any(|key| key.trim().is_empty()) {
                self.err(
                    FILE,
                    claim_pos,
                    format!("`rolesClaim` is a claim's name or a dot path such as `app_metadata.roles`, not `{claim}`"),
                );
            }
        }
        let clock_skew_secs = clock_skew_secs.unwrap_or(DEFAULT_CLOCK_SKEW_SECS);
        if clock_skew_secs > MAX_CLOCK_SKEW_SECS {
            self.err(
                FILE,
                skew_pos,
                format!("`clockSkewSecs` must be at most {MAX_CLOCK_SKEW_SECS}"),
            );
        }
        Some(Auth {
            login_page: match (login_page, oidc_node) {
                (Some(page), _) => Some(page),
                (None, Some(_)) => None,
                (None, None) => return None,
            },
            verify: verify?,
            token: token?,
            roles_claim: roles_claim.unwrap_or_else(|| DEFAULT_ROLES_CLAIM.to_owned()),
            clock_skew_secs,
            session,
            refresh,
            oidc,
        })
    }

    /// `basicAuth` of a query: `{username, password}`, templates (secrets allowed).
    fn basic_auth(&mut self, file: &str, node: &Node) -> Option<BasicAuth> {
        let mut f = Fields::new(self, file, node, "`basicAuth`", &["username", "password"]);
        let username = f.required_string("username");
        let password = f.required_string("password");
        let (u_pos, p_pos) = (
            f.pos_of("username").unwrap_or(node.pos),
            f.pos_of("password").unwrap_or(node.pos),
        );
        if let Some(u) = &username {
            self.check_value_template(file, u_pos, u, true);
        }
        if let Some(p) = &password {
            self.check_value_template(file, p_pos, p, true);
        }
        Some(BasicAuth {
            username: username?,
            password: password?,
        })
    }

    /// `auth.oidc`: `{issuer, clientId, clientSecret?, scopes?}`.
    fn oidc(&mut self, node: &Node) -> Option<Oidc> {
        const FILE: &str = "app.yaml";
        let mut f = Fields::new(
            self,
            FILE,
            node,
            "`oidc`",
            &[
                "issuer",
                "clientId",
                "clientSecret",
                "scopes",
                "authorizationParams",
                "logoutIdTokenHint",
            ],
        );
        let params_node = f.get("authorizationParams");
        let logout_id_token_hint = f.optional_bool("logoutIdTokenHint").unwrap_or(false);
        let issuer = f.required_string("issuer");
        let client_id = f.required_string("clientId");
        let client_secret = f.optional_string("clientSecret");
        let scopes_node = f.get("scopes");
        let issuer_pos = f.pos_of("issuer").unwrap_or(node.pos);
        let secret_pos = f.pos_of("clientSecret").unwrap_or(node.pos);
        if let Some(problem) = issuer.as_deref().and_then(issuer_url_problem) {
            self.err(FILE, issuer_pos, problem);
        }
        if let Some(secret) = &client_secret {
            let key = secret
                .trim()
                .strip_prefix("{{")
                .and_then(|s| s.strip_suffix("}}"))
                .map(str::trim);
            if key.and_then(template::secret_name).is_none() {
                self.err(
                    FILE,
                    secret_pos,
                    "`clientSecret` is a server secret, written exactly `{{secrets.NAME}}` (an app's files are no place for a secret)",
                );
            }
        }
        let scopes = match scopes_node {
            None => vec![
                "openid".to_owned(),
                "email".to_owned(),
                "profile".to_owned(),
            ],
            Some(n) => match &n.value {
                Value::Seq(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        match &item.value {
                            Value::Str(s) if !s.is_empty() && !s.contains(char::is_whitespace) => {
                                out.push(s.clone())
                            }
                            _ => self.err(FILE, item.pos, "a scope is one word such as `email`"),
                        }
                    }
                    if !out.iter().any(|s| s == "openid") {
                        self.err(FILE, n.pos, "`scopes` must include `openid`");
                    }
                    out
                }
                _ => {
                    self.err(
                        FILE,
                        n.pos,
                        "`scopes` is a list such as [openid, email, profile]",
                    );
                    Vec::new()
                }
            },
        };
        let authorization_params = match params_node {
            None => OrderedMap::new(),
            Some(n) => {
                let params = self.string_map(FILE, n, "`authorizationParams`");
                for (key, value) in params.iter() {
                    if crate::model::RESERVED_AUTHORIZATION_PARAMS.contains(&key) {
                        self.err(
                            FILE,
                            n.pos,
                            format!("`authorizationParams`: `{key}` is set by Lowkey itself"),
                        );
                    }
                    if template::has_binding(value) {
                        self.err(
                            FILE,
                            n.pos,
                            format!(
                                "`authorizationParams`: `{key}` is literal text, without bindings"
                            ),
                        );
                    }
                }
                params
            }
        };
        Some(Oidc {
            issuer: issuer?,
            client_id: client_id?,
            client_secret,
            scopes,
            authorization_params,
            logout_id_token_hint,
        })
    }

    /// A query named by `auth` (`field` says where), checked once every query is read.
    fn auth_query(
        &mut self,
        field: &'static str,
        name: Option<String>,
        pos: Pos,
    ) -> Option<String> {
        let name = name?;
        self.refer(Ref::AuthQuery {
            field,
            name: name.clone(),
            pos,
        });
        Some(name)
    }

    /// A dot path into an answer's JSON (`access_token`, `data.token`).
    fn answer_path(&mut self, field: &str, path: Option<String>, pos: Pos) -> Option<String> {
        let path = path?;
        if path.split('.').any(|key| key.trim().is_empty()) {
            self.err(
                "app.yaml",
                pos,
                format!("`{field}` is a field's name or a dot path such as `data.access_token`, not `{path}`"),
            );
            return None;
        }
        Some(path)
    }

    /// `auth.session`: `{signIn, refresh?, signOut?, accessToken?, refreshToken?, expiresIn?}`.
    fn session_auth(&mut self, node: &Node) -> Option<SessionAuth> {
        const FILE: &str = "app.yaml";
        let mut f = Fields::new(
            self,
            FILE,
            node,
            "`session`",
            &[
                "signIn",
                "refresh",
                "signOut",
                "accessToken",
                "refreshToken",
                "expiresIn",
                "refreshAnswer",
            ],
        );
        let sign_in = f.required_string("signIn");
        let refresh = f.optional_string("refresh");
        let sign_out = f.optional_string("signOut");
        let access_token = f.optional_string("accessToken");
        let refresh_token = f.optional_string("refreshToken");
        let expires_in = f.optional_string("expiresIn");
        let refresh_answer_node = f.get("refreshAnswer");
        let pos = |name: &str| f.pos_of(name).unwrap_or(node.pos);
        let (p_in, p_refresh, p_out, p_access, p_rt, p_exp) = (
            pos("signIn"),
            pos("refresh"),
            pos("signOut"),
            pos("accessToken"),
            pos("refreshToken"),
            pos("expiresIn"),
        );
        let sign_in = self.auth_query("session.signIn", sign_in, p_in);
        let refresh = self.auth_query("session.refresh", refresh, p_refresh);
        let sign_out = self.auth_query("session.signOut", sign_out, p_out);
        let named = [Some(&sign_in), Some(&refresh), Some(&sign_out)];
        let names: Vec<&String> = named.into_iter().flatten().flatten().collect();
        if names
            .iter()
            .enumerate()
            .any(|(i, n)| names[..i].contains(n))
        {
            self.err(
                FILE,
                node.pos,
                "`session`: sign-in, refresh and sign-out are three different queries",
            );
        }
        let path = |l: &mut Loader, field, value: Option<String>, p, default: &str| match value {
            None => Some(default.to_owned()),
            some => l.answer_path(field, some, p),
        };
        let access_token = path(
            self,
            "accessToken",
            access_token,
            p_access,
            DEFAULT_ACCESS_TOKEN_PATH,
        );
        let refresh_token = path(
            self,
            "refreshToken",
            refresh_token,
            p_rt,
            DEFAULT_REFRESH_TOKEN_PATH,
        );
        let expires_in = path(
            self,
            "expiresIn",
            expires_in,
            p_exp,
            DEFAULT_EXPIRES_IN_PATH,
        );
        let refresh_answer = match refresh_answer_node {
            None => None,
            Some(n) => {
                let mut f = Fields::new(
                    self,
                    FILE,
                    n,
                    "`refreshAnswer`",
                    &["accessToken", "refreshToken", "expiresIn"],
                );
                let a = f.optional_string("accessToken");
                let r = f.optional_string("refreshToken");
                let e = f.optional_string("expiresIn");
                let p = |name: &str| f.pos_of(name).unwrap_or(n.pos);
                let (pa, pr, pe) = (p("accessToken"), p("refreshToken"), p("expiresIn"));
                let a = path(self, "accessToken", a, pa, DEFAULT_ACCESS_TOKEN_PATH);
                let r = path(self, "refreshToken", r, pr, DEFAULT_REFRESH_TOKEN_PATH);
                let e = path(self, "expiresIn", e, pe, DEFAULT_EXPIRES_IN_PATH);
                Some(TokenPaths {
                    access_token: a?,
                    refresh_token: r?,
                    expires_in: e?,
                })
            }
        };
        Some(SessionAuth {
            sign_in: sign_in?,
            refresh,
            sign_out,
            access_token: access_token?,
            refresh_token: refresh_token?,
            expires_in: expires_in?,
            refresh_answer,
        })
    }

    /// `auth.refresh` (store mode): `{query, store: {key: path}, expiresIn?}`.
    fn store_refresh(&mut self, node: &Node) -> Option<StoreRefresh> {
        const FILE: &str = "app.yaml";
        let mut f = Fields::new(
            self,
            FILE,
            node,
            "`refresh`",
            &["query", "store", "expiresIn"],
        );
        let query = f.required_string("query");
        let store_node = f.get("store");
        if store_node.is_none() {
            f.missing("store");
        }
        let expires_in = f.optional_string("expiresIn");
        let q_pos = f.pos_of("query").unwrap_or(node.pos);
        let e_pos = f.pos_of("expiresIn").unwrap_or(node.pos);
        let query = self.auth_query("refresh.query", query, q_pos);
        let expires_in = match expires_in {
            None => None,
            some => Some(self.answer_path("expiresIn", some, e_pos)?),
        };
        let store_node = store_node?;
        let store = self.string_map(FILE, store_node, "`refresh.store`");
        let mut ok = true;
        for (key, path) in store.iter() {
            if let Some(problem) = identifier_problem(key) {
                self.err(
                    FILE,
                    store_node.pos,
                    format!(
                        "`refresh.store`: the store key `{key}` must be an identifier: {problem}"
                    ),
                );
                ok = false;
            }
            ok &= self
                .answer_path("refresh.store", Some(path.clone()), store_node.pos)
                .is_some();
        }
        if store.is_empty() {
            self.err(
                FILE,
                store_node.pos,
                "`refresh.store` names at least the token's store key and its path in the answer",
            );
            ok = false;
        }
        ok.then_some(())?;
        Some(StoreRefresh {
            query: query?,
            store,
            expires_in,
        })
    }

    /// `auth.verify`: `builtin`, `{jwks, issuer, audience}` or `{userinfo}`.
    fn verify(&mut self, node: &Node) -> Option<Verify> {
        const FILE: &str = "app.yaml";
        const FORMS: &str =
            "`verify` is builtin, {jwks: <https URL>, issuer: …, audience: …} or {userinfo: <query>}";
        let has = |key: &str| match &node.value {
            Value::Map(entries) => entries.iter().any(|(k, _)| k.name == key),
            _ => false,
        };
        match &node.value {
            Value::Str(word) if word == "builtin" => Some(Verify::Builtin),
            Value::Map(_) if has("jwks") => {
                let mut f = Fields::new(
                    self,
                    FILE,
                    node,
                    "`verify`",
                    &["jwks", "issuer", "audience"],
                );
                let jwks = f.required_string("jwks");
                let issuer = f.required_string("issuer");
                let audience = f.optional_string("audience");
                let jwks_pos = f.pos_of("jwks").unwrap_or(node.pos);
                let issuer_pos = f.pos_of("issuer").unwrap_or(node.pos);
                if let Some(problem) = jwks.as_deref().and_then(jwks_url_problem) {
                    self.err(FILE, jwks_pos, problem);
                }
                if issuer.as_deref().is_some_and(|i| i.trim().is_empty()) {
                    self.err(FILE, issuer_pos, "`issuer` must not be empty");
                }
                Some(Verify::Jwks {
                    jwks: jwks?,
                    issuer: issuer?,
                    audience,
                })
            }
            Value::Map(_) if has("userinfo") => {
                let mut f = Fields::new(self, FILE, node, "`verify`", &["userinfo"]);
                let query = f.required_string("userinfo");
                let pos = f.pos_of("userinfo").unwrap_or(node.pos);
                let query = query?;
                self.refer(Ref::Userinfo {
                    name: query.clone(),
                    pos,
                });
                Some(Verify::Userinfo { userinfo: query })
            }
            _ => {
                self.err(FILE, node.pos, FORMS);
                None
            }
        }
    }

    /// `auth.token`: `{store: key}` or `session`.
    fn token(&mut self, node: &Node) -> Option<TokenMode> {
        const FILE: &str = "app.yaml";
        match &node.value {
            Value::Str(word) if word == "session" => Some(TokenMode::Session),
            Value::Map(_) => {
                let mut f = Fields::new(self, FILE, node, "`token`", &["store"]);
                let key = f.required_string("store");
                let pos = f.pos_of("store").unwrap_or(node.pos);
                let key = key?;
                if let Some(problem) = identifier_problem(&key) {
                    self.err(
                        FILE,
                        pos,
                        format!("the token's store key must be an identifier (`appsmith.store.<key>`): {problem}"),
                    );
                }
                Some(TokenMode::Store(key))
            }
            _ => {
                self.err(
                    FILE,
                    node.pos,
                    "`token` is {store: <key of appsmith.store>} or session",
                );
                None
            }
        }
    }

    /// The `access` of a page or query file (public when absent); a protected one is noted
    /// for the check that the app has `auth`.
    fn access_field(&mut self, file: &str, node: Option<&Node>) -> Access {
        let Some(node) = node else {
            return Access::Public;
        };
        self.since_version_2(file, node, "access");
        // A bad `access` is reported as such (and the app refused), not also as needing `auth`.
        let Some(access) = self.access(file, node) else {
            return Access::SignedIn;
        };
        if !access.is_public() {
            let at = self.at.clone();
            self.protected.push((file.to_owned(), node.pos, at));
        }
        access
    }

    fn access(&mut self, file: &str, node: &Node) -> Option<Access> {
        const FORMS: &str = "`access` is public, signedIn or {roles: [<role>, …]}";
        match &node.value {
            Value::Str(word) if word == "public" => Some(Access::Public),
            Value::Str(word) if word == "signedIn" => Some(Access::SignedIn),
            Value::Map(_) => {
                let mut f = Fields::new(self, file, node, "`access`", &["roles"]);
                let roles_node = f.get("roles");
                if roles_node.is_none() {
                    f.missing("roles");
                }
                let list = roles_node?;
                let items = self.seq(file, list, "`roles`")?;
                let mut roles = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Str(role) if !role.trim().is_empty() => roles.push(role.clone()),
                        _ => self.err(file, item.pos, "a role is a non-empty string"),
                    }
                }
                if items.is_empty() {
                    self.err(
                        file,
                        list.pos,
                        "`roles` names at least one role (an empty list would let no one in)",
                    );
                }
                Some(Access::Roles(roles))
            }
            _ => {
                self.err(file, node.pos, FORMS);
                None
            }
        }
    }

    // ---- pages ----------------------------------------------------------------------------

    fn page_file(&mut self, file: &str, node: &Node) -> Option<Page> {
        let stem = stem(file);
        self.at = Location {
            page: Some(stem.to_owned()),
            ..Location::default()
        };
        let page = self.page_fields(file, stem, node);
        self.at = Location::default();
        page
    }

    fn page_fields(&mut self, file: &str, stem: &str, node: &Node) -> Option<Page> {
        let mut f = Fields::new(
            self,
            file,
            node,
            "a page",
            &["name", "slug", "hidden", "access", "onLoad", "widgets"],
        );
        let name = f.required_string("name");
        let slug = f.optional_string("slug");
        let hidden = f.optional_bool("hidden").unwrap_or(false);
        let access_node = f.get("access");
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
            let at = self.at.clone();
            self.page_slugs.push((s, file.to_owned(), pos, at));
        }

        let mut on_load = Vec::new();
        if let Some(list) = on_load_node {
            if let Some(items) = self.seq(file, list, "`onLoad`") {
                for item in items {
                    match &item.value {
                        Value::Str(step) => {
                            self.refer(Ref::OnLoad {
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

        let access = self.access_field(file, access_node);
        let widgets = match widgets_node {
            Some(w) => self.widgets(file, w),
            None => Vec::new(),
        };
        Some(Page {
            name: name?,
            slug,
            hidden,
            access,
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
        // Problems inside are this widget's; its container's again afterwards.
        let inner = Location {
            page: self.at.page.clone(),
            widget: name_in(node),
            property: None,
        };
        let outer = std::mem::replace(&mut self.at, inner);
        let widget = self.widget_fields(file, node);
        self.at = outer;
        widget
    }

    fn widget_fields(&mut self, file: &str, node: &Node) -> Option<Widget> {
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
            self.at.property = Some("name".to_owned());
            if let Some(problem) = identifier_problem(n) {
                self.err(file, name_pos, problem);
            }
            let at = self.at.clone();
            self.at.property = None;
            self.entities.push(Decl {
                kind: "a widget",
                name: n.clone(),
                file: file.to_owned(),
                pos: name_pos,
                at,
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
                        self.at.property = Some(key.name.clone());
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
                    self.at.property = None;
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
            if template::mentions_session(key) {
                if !in_query {
                    self.err(file, pos, "session tokens stay on the server: use `{{session.accessToken}}` only in queries and datasource headers");
                } else if template::session_token(key).is_none() {
                    self.err(
                        file,
                        pos,
                        format!("`{{{{{key}}}}}`: the session's tokens are `{{{{session.accessToken}}}}` and `{{{{session.refreshToken}}}}`"),
                    );
                } else {
                    let at = self.at.clone();
                    self.session_uses.push((file.to_owned(), pos, at));
                }
                continue;
            }
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
                        self.refer(Ref::Page {
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
                "followRedirects",
                "access",
                "basicAuth",
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
        let follow_redirects = f.optional_bool("followRedirects").unwrap_or(false);
        let access_node = f.get("access");
        let basic_node = f.get("basicAuth");
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

        match (&datasource, &path, &url) {
            (Some(ds), Some(p), None) => {
                self.refer(Ref::Datasource {
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
        let access = self.access_field(file, access_node);
        let basic_auth = basic_node.and_then(|n| self.basic_auth(file, n));

        let timeout_ms = timeout.unwrap_or(DEFAULT_TIMEOUT_MS);
        if timeout_ms == 0 || timeout_ms > MAX_TIMEOUT_MS {
            self.err(
                file,
                timeout_pos,
                format!("`timeoutMs` must be between 1 and {MAX_TIMEOUT_MS}"),
            );
        }

        Some(Query {
            basic_auth,
            name: stem.to_owned(),
            datasource,
            path,
            url,
            method,
            params,
            headers,
            body,
            timeout_ms,
            follow_redirects,
            access,
        })
    }

    /// Headers of a query or datasource: names are HTTP tokens, unique ignoring case, and none
    /// frames or routes the request (see [`guard::header_problem`]).
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
            let text = scalar_text(&value.value).unwrap_or_default();
            let problem = match guard::header_problem(&key.name, &text) {
                Some(HeaderProblem::Framing) => Some(format!(
                    "header `{}` frames or routes the request: the server sets it, a query or datasource cannot",
                    key.name
                )),
                Some(HeaderProblem::Reserved) => Some(format!(
                    "header `{}` is reserved: the server sets it as a loop guard",
                    key.name
                )),
                Some(HeaderProblem::BoundForwarding) => Some(format!(
                    "header `{}` cannot hold a binding: a browser must not choose the client address an upstream sees (a literal value is allowed)",
                    key.name
                )),
                None => None,
            };
            if let Some(message) = problem {
                self.err(file, key.pos, message);
            }
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
            at: Location::default(),
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
            self.refer(Ref::Page {
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
        let mut entities = std::mem::take(&mut self.entities);
        // Queries and JS objects own their names (their files are named so); a widget that
        // takes one is the one reported.
        entities.sort_by_key(|d| u8::from(d.kind == "a widget"));
        for decl in &entities {
            if let Some(earlier) = first.get(decl.name.as_str()) {
                let message = format!(
                    "`{}` is already the name of {} ({}); widgets, queries and JS objects share one namespace",
                    decl.name,
                    earlier.kind,
                    place(&earlier.file, earlier.pos)
                );
                self.at = decl.at.clone();
                self.err(&decl.file, decl.pos, message);
            } else {
                first.insert(decl.name.as_str(), decl);
            }
        }

        let slugs = std::mem::take(&mut self.page_slugs);
        let mut seen_slugs: HashMap<&str, &str> = HashMap::new();
        for (slug, file, pos, at) in &slugs {
            if let Some(other) = seen_slugs.get(slug.as_str()) {
                self.at = at.clone();
                self.err(
                    file,
                    *pos,
                    format!("page slug `{slug}` is also the slug of {other}"),
                );
            } else {
                seen_slugs.insert(slug, file);
            }
        }

        let pages: Vec<(String, String)> = self
            .page_names
            .iter()
            .map(|name| (name.clone(), format!("pages/{name}.yaml")))
            .collect();
        self.refuse_case_twins("page", &pages);
        for (kind, what) in [("a query", "query"), ("a JS object", "JS object")] {
            let files: Vec<(String, String)> = entities
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| (d.name.clone(), d.file.clone()))
                .collect();
            self.refuse_case_twins(what, &files);
        }

        if !self.auth_declared {
            for (file, pos, at) in std::mem::take(&mut self.protected) {
                self.at = at;
                self.err(
                    &file,
                    pos,
                    "a page or query that is not public needs `auth` in app.yaml (where visitors sign in and how their tokens are verified)",
                );
            }
        }

        let session_mode = matches!(
            app.auth.as_ref().map(|a| &a.token),
            Some(TokenMode::Session)
        );
        if !session_mode {
            for (file, pos, at) in std::mem::take(&mut self.session_uses) {
                self.at = at;
                self.err(
                    &file,
                    pos,
                    "`{{session.…}}` exists only in session mode (`auth: {token: session}` in app.yaml)",
                );
            }
        }

        let kind_of = |name: &str| first.get(name).map(|d| d.kind);
        let refs = std::mem::take(&mut self.refs);
        for (r, at) in &refs {
            self.at = at.clone();
            match r {
                Ref::HomePage { name, pos } => {
                    if !self.page_names.iter().any(|p| p == name) {
                        self.err(
                            "app.yaml",
                            *pos,
                            format!("`homePage`: there is no page `{name}` (pages/{name}.yaml)"),
                        );
                    }
                }
                Ref::LoginPage { name, pos } => {
                    let message = if !self.page_names.iter().any(|p| p == name) {
                        Some(format!(
                            "`loginPage`: there is no page `{name}` (pages/{name}.yaml)"
                        ))
                    } else {
                        app.page(name).filter(|p| !p.access.is_public()).map(|_| {
                            format!("`loginPage`: the page `{name}` must be public, or no visitor could sign in")
                        })
                    };
                    if let Some(message) = message {
                        self.err("app.yaml", *pos, message);
                    }
                }
                Ref::Userinfo { name, pos } => {
                    let message = match (kind_of(name), app.query(name)) {
                        (Some("a query"), Some(q)) if !q.access.is_public() => Some(format!(
                            "`userinfo`: the query `{name}` must be public: it checks the token, so it cannot need one"
                        )),
                        // Its file has errors, already reported.
                        (Some("a query"), _) => None,
                        _ => Some(format!("`userinfo`: there is no query `{name}`")),
                    };
                    if let Some(message) = message {
                        self.err("app.yaml", *pos, message);
                    }
                }
                Ref::AuthQuery { field, name, pos } => {
                    let message = match (kind_of(name), app.query(name)) {
                        (Some("a query"), Some(q)) if !q.access.is_public() => Some(format!(
                            "`{field}`: the query `{name}` must be public: it runs for visitors who are not signed in yet, or whose token is about to expire"
                        )),
                        (Some("a query"), _) => None,
                        _ => Some(format!("`{field}`: there is no query `{name}`")),
                    };
                    if let Some(message) = message {
                        self.err("app.yaml", *pos, message);
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
                    if !self.page_names.iter().any(|p| p == name) {
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

    /// Refuses the later of two files of one folder whose names differ only in case
    /// (`pages/Home.yaml`, `pages/home.yaml`): `lowkey app export` on a case-insensitive file
    /// system would write one over the other. `files` are (name, file), in file order.
    fn refuse_case_twins(&mut self, what: &str, files: &[(String, String)]) {
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        for (earlier, later) in case_twins(&names) {
            let (Some((first, first_file)), Some((name, file))) =
                (files.get(earlier), files.get(later))
            else {
                continue;
            };
            self.at = Location {
                page: (what == "page").then(|| name.clone()),
                ..Location::default()
            };
            self.err(
                file,
                Pos::FILE,
                format!(
                    "the {what} `{name}` differs from the {what} `{first}` ({first_file}) only in case: \
                     on a case-insensitive file system their files would be one"
                ),
            );
        }
        self.at = Location::default();
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
/// Each arm rewrites the trees of one version as the next and goes on from there, so a folder
/// of any known version is read by the current code, one step at a time.
fn migrate(_raw: &mut RawFolder<'_>, from: u32) -> Result<(), String> {
    match from {
        FORMAT_VERSION => Ok(()),
        // Version 2 adds `auth` and `access`, both optional with the meaning of version 1
        // (everything public): a version 1 tree is already a version 2 tree. A version 1
        // folder that uses them is refused where they are read (`since_version_2`).
        1 => migrate(_raw, 2),
        _ => Err(format!(
            "unknown format version {from}: this lowkey reads version {FORMAT_VERSION}"
        )),
    }
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

pub(crate) fn shorten(code: &str) -> String {
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

/// `verify.jwks`: an https URL without bindings; plain http only on this machine (a test
/// provider), as a key set fetched in the clear could be swapped on the way.
fn jwks_url_problem(url: &str) -> Option<String> {
    const RULE: &str =
        "`jwks` must be an https URL (http only for localhost or 127.0.0.1) without bindings";
    if template::has_binding(url) {
        return Some(RULE.to_owned());
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return Some(format!("`{}` is not a valid URL: {RULE}", shorten(url)));
    };
    let local = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1"));
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => None,
        "http" if local => None,
        _ => Some(RULE.to_owned()),
    }
}

/// An OpenID Connect issuer: https (http only for localhost or 127.0.0.1), no bindings.
fn issuer_url_problem(url: &str) -> Option<String> {
    jwks_url_problem(url).map(|p| p.replace("`jwks`", "`issuer`"))
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
    // The rule `render` applies to the datasource's URL too (so the same text is an origin).
    match guard::template_origin(url) {
        Ok(_) => {}
        Err(problem @ UrlProblem::Rewritten) => return Some(problem.to_string()),
        Err(_) => {
            return Some(format!(
                "`{url}` is neither an absolute http(s) URL nor a path starting with `/`"
            ))
        }
    }
    match url::Url::parse(url) {
        Ok(u) => (u.query().is_some() || u.fragment().is_some()).then(|| {
            "a datasource `url` has no query or fragment: put parameters in queries".to_owned()
        }),
        Err(_) => Some(format!(
            "`{url}` is neither an absolute http(s) URL nor a path starting with `/`"
        )),
    }
}

/// A query's own `url`: absolute http(s); bindings never choose its scheme, host or port
/// (checked on the parsed URL, see [`guard::template_origin`]).
fn query_url_problem(url: &str) -> Option<String> {
    match guard::template_origin(url) {
        Ok(_) => None,
        Err(UrlProblem::Unclosed(_)) => None, // reported by the binding check
        Err(UrlProblem::NotHttp) => {
            Some("a query `url` must be an absolute http:// or https:// URL".to_owned())
        }
        Err(UrlProblem::Invalid) => Some(format!("`{}` is not a valid URL", shorten(url))),
        Err(problem) => Some(problem.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "version: 1\nname: Test\nslug: test-app\nhomePage: Home\ndatasources:\n  - name: api\n    url: https://api.example.com\n";
    const HOME: &str = "name: Home\nwidgets:\n  - name: txt\n    type: Text\n    position: { col: 0, row: 0, width: 10, height: 2 }\n    props:\n      text: Hi {{q.data}}\n";
    const QUERY: &str = "datasource: api\npath: /items\n";
    const JS: &str = "export default {\n  run() { return q.run(); },\n  value: 1,\n};\n";

    fn files(overrides: &[(&str, &str)]) -> SourceFiles {
        let mut f = SourceFiles::new();
        f.insert("app.yaml".into(), APP.into());
        f.insert("pages/Home.yaml".into(), HOME.into());
        f.insert("queries/q.yaml".into(), QUERY.into());
        f.insert("js/Obj.js".into(), JS.into());
        for (path, text) in overrides {
            if text.is_empty() {
                f.remove(*path);
            } else {
                f.insert((*path).into(), (*text).into());
            }
        }
        f
    }

    /// The diagnostics as `file:line:column: message`.
    fn check(overrides: &[(&str, &str)]) -> Vec<String> {
        let (app, diagnostics) = App::from_files(&files(overrides));
        assert_eq!(app.is_some(), diagnostics.is_empty());
        diagnostics.iter().map(ToString::to_string).collect()
    }

    fn assert_has(diagnostics: &[String], expected: &str) {
        assert!(
            diagnostics.iter().any(|d| d.contains(expected)),
            "no diagnostic contains {expected:?}: {diagnostics:#?}"
        );
    }

    #[test]
    fn the_base_app_is_valid() {
        assert_eq!(check(&[]), Vec::<String>::new());
    }

    #[test]
    fn yaml_syntax_errors_are_located() {
        let d = check(&[("pages/Home.yaml", "name: Home\nwidgets: [\n")]);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].starts_with("pages/Home.yaml:"), "{d:#?}");
        assert!(d[0].contains("invalid YAML"));
    }

    #[test]
    fn every_problem_of_a_file_is_reported() {
        let page = "name: Home\ncolour: red\nwidgets:\n  - name: 1bad\n    type: Slider\n    position: { col: 60, row: 0, width: 10, height: 0 }\n  - name: btn\n    type: Button\n    position: { col: 0, row: 0, width: 64, height: 1 }\n    props:\n      onClick: \"{{ Obj.run( }}\"\n      colour: red\n      isDisabled: maybe\n";
        let d = check(&[("pages/Home.yaml", page)]);
        assert_has(&d, "pages/Home.yaml:2:1: unknown field `colour` in a page");
        assert_has(&d, "pages/Home.yaml:4:11: `1bad` is not an identifier");
        assert_has(&d, "pages/Home.yaml:5:11: unknown widget type `Slider`");
        assert_has(&d, "pages/Home.yaml:6:53: `height` must be at least 1");
        assert_has(&d, "pages/Home.yaml:6:41: the widget overflows the grid");
        assert_has(
            &d,
            "pages/Home.yaml:11:16: event code `{{Obj.run(}}` is not valid JavaScript",
        );
        assert_has(
            &d,
            "pages/Home.yaml:12:7: unknown property `colour` for a Button widget",
        );
        assert_has(
            &d,
            "pages/Home.yaml:13:19: `isDisabled` must be true or false",
        );
        assert_eq!(d.len(), 8, "{d:#?}");
    }

    #[test]
    fn version_is_required_and_known() {
        assert_has(
            &check(&[("app.yaml", "name: T\nslug: t\nhomePage: Home\n")]),
            "missing `version`",
        );
        assert_has(
            &check(&[("app.yaml", "version: 3\nname: T\nslug: t\nhomePage: Home\n")]),
            "unknown format version 3: this lowkey reads version 2",
        );
        assert_has(
            &check(&[(
                "app.yaml",
                "version: one\nname: T\nslug: t\nhomePage: Home\n",
            )]),
            "app.yaml:1:10: `version` must be",
        );
        assert_has(&check(&[("app.yaml", "")]), "missing app.yaml");
    }

    #[test]
    fn app_yaml_fields_are_checked() {
        let app = "version: 1\nname: T\nslug: Bad_Slug\nhomePage: Nowhere\nextra: 1\ndatasources:\n  - name: api\n    url: ftp://x\n  - name: api\n    url: /local?x\n  - { name: other, url: 'https://a.b/{{x}}' }\n";
        let d = check(&[
            ("app.yaml", app),
            ("queries/q.yaml", "url: https://a.b/c\n"),
        ]);
        assert_has(&d, "app.yaml:3:7: `Bad_Slug` is not a valid slug");
        assert_has(&d, "app.yaml:4:11: `homePage`: there is no page `Nowhere`");
        assert_has(&d, "app.yaml:5:1: unknown field `extra`");
        assert_has(&d, "app.yaml:8:10: `ftp://x` is neither");
        assert_has(
            &d,
            "app.yaml:9:5: datasource `api` is already defined at line 7",
        );
        assert_has(&d, "app.yaml:10:10: a local datasource `url` is a path");
        assert_has(&d, "cannot hold bindings");
    }

    #[test]
    fn names_share_one_namespace_and_follow_the_rules() {
        let page = "name: Home\nwidgets:\n  - name: q\n    type: Text\n    position: { col: 0, row: 0, width: 1, height: 1 }\n  - name: Obj\n    type: Container\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    children:\n      - name: q\n        type: Text\n        position: { col: 0, row: 0, width: 1, height: 1 }\n";
        let d = check(&[
            ("pages/Home.yaml", page),
            ("queries/class.yaml", QUERY),
            ("pages/Other.yaml", "name: Another\n"),
        ]);
        assert_has(
            &d,
            "pages/Home.yaml:6:11: `Obj` is already the name of a JS object (js/Obj.js)",
        );
        assert_has(
            &d,
            "pages/Home.yaml:3:11: `q` is already the name of a query (queries/q.yaml)",
        );
        assert_has(
            &d,
            "pages/Home.yaml:10:15: `q` is already the name of a query",
        );
        assert_has(&d, "queries/class.yaml: the file name is not a valid query name: `class` is a reserved word");
        assert_has(
            &d,
            "pages/Other.yaml:1:7: the page name `Another` must equal the file name `Other`",
        );
    }

    #[test]
    fn page_slugs_are_valid_and_unique() {
        let d = check(&[
            ("pages/Other.yaml", "name: Other\nslug: home\n"),
            ("pages/Third.yaml", "name: Third\nslug: -x\n"),
        ]);
        assert_has(&d, "page slug `home` is also the slug of pages/Home.yaml");
        assert_has(&d, "pages/Third.yaml:2:7: `-x` is not a valid slug");
    }

    /// `Home` and `home` would be one file on a case-insensitive file system: refused even
    /// when their URLs differ, at the later file and on its page.
    #[test]
    fn names_of_one_folder_that_differ_only_in_case_are_refused() {
        let (app, problems) = App::from_files_located(&files(&[
            ("pages/home.yaml", "name: home\nslug: start\n"),
            ("queries/Q.yaml", QUERY),
            ("js/OBJ.js", JS),
        ]));
        assert!(app.is_none());
        let messages: Vec<(String, Location)> = problems
            .iter()
            .map(|p| (p.diagnostic.to_string(), p.location.clone()))
            .collect();
        let page_home = Location {
            page: Some("home".into()),
            ..Location::default()
        };
        assert_eq!(
            messages,
            [
                ("pages/home.yaml: the page `home` differs from the page `Home` (pages/Home.yaml) only in case: on a case-insensitive file system their files would be one".to_owned(), page_home),
                ("queries/q.yaml: the query `q` differs from the query `Q` (queries/Q.yaml) only in case: on a case-insensitive file system their files would be one".to_owned(), Location::default()),
                ("js/Obj.js: the JS object `Obj` differs from the JS object `OBJ` (js/OBJ.js) only in case: on a case-insensitive file system their files would be one".to_owned(), Location::default()),
            ]
        );
        // A query and a JS object live in different folders.
        assert_eq!(check(&[("js/Q.js", JS)]), Vec::<String>::new());
    }

    #[test]
    fn on_load_steps_must_exist() {
        let page = "name: Home\nonLoad:\n  - q\n  - Obj.run\n  - Obj.value\n  - Obj.nope\n  - Nope.run\n  - nope\n  - Obj\n  - 3\n";
        let d = check(&[("pages/Home.yaml", page)]);
        assert_has(
            &d,
            "pages/Home.yaml:5:5: `onLoad`: `Obj.value` is not a function",
        );
        assert_has(
            &d,
            "pages/Home.yaml:6:5: `onLoad`: JS object `Obj` has no function `nope`",
        );
        assert_has(
            &d,
            "pages/Home.yaml:7:5: `onLoad`: there is no JS object `Nope`",
        );
        assert_has(
            &d,
            "pages/Home.yaml:8:5: `onLoad`: there is no query `nope`",
        );
        assert_has(&d, "pages/Home.yaml:9:5: `onLoad`: `Obj` is a JS object");
        assert_has(&d, "pages/Home.yaml:10:5: an `onLoad` step");
        assert_eq!(d.len(), 6, "{d:#?}");
    }

    #[test]
    fn bindings_must_parse_as_javascript() {
        let page = "name: Home\nwidgets:\n  - name: t\n    type: Text\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    props:\n      text: \"a {{ 1 + }} b\"\n  - name: t2\n    type: Text\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    props:\n      text: \"{{ x \"\n  - name: t3\n    type: Text\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    props:\n      text: \"{{secrets.KEY}}\"\n  - name: i\n    type: Input\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    props:\n      onSubmit: Obj.run()\n      inputType: DATE\n";
        let d = check(&[("pages/Home.yaml", page)]);
        assert_has(
            &d,
            "pages/Home.yaml:7:13: binding `{{1 +}}` is not a valid JavaScript expression",
        );
        assert_has(&d, "pages/Home.yaml:12:13: `{{` at byte 0 is not closed");
        assert_has(
            &d,
            "pages/Home.yaml:17:13: secrets are resolved on the server",
        );
        assert_has(
            &d,
            "pages/Home.yaml:22:17: an event property holds only code",
        );
        assert_has(
            &d,
            "pages/Home.yaml:23:18: `inputType` must be one of TEXT, EMAIL, PASSWORD, NUMBER",
        );
    }

    #[test]
    fn navigate_to_literals_must_name_pages() {
        let js = "export default {\n  go() { navigateTo('Home'); navigateTo('Nowhere'); navigateTo('https://x.y'); },\n};\n";
        let d = check(&[("js/Obj.js", js)]);
        assert_eq!(
            d,
            vec!["js/Obj.js:2:42: `navigateTo('Nowhere')`: there is no page `Nowhere`"]
        );
    }

    #[test]
    fn js_objects_must_parse_and_export_an_object() {
        let d = check(&[(
            "js/Obj.js",
            "export default {\n  run() { return q.run( },\n};\n",
        )]);
        assert!(d.iter().all(|x| x.starts_with("js/Obj.js:2:")), "{d:#?}");
        assert_has(
            &check(&[("js/Obj.js", "export default [1]\n")]),
            "js/Obj.js:1:16: the default export must be an object literal",
        );
        assert_has(
            &check(&[("js/Obj.js", "const a = 1;\n")]),
            "js/Obj.js:1:1: a JS object file holds only",
        );
        assert_has(
            &check(&[("js/my-obj.js", "export default {}\n")]),
            "js/my-obj.js: the file name is not a valid JS object name",
        );
    }

    #[test]
    fn queries_are_checked() {
        let q = "datasource: nope\npath: items\nmethod: get\ntimeoutMs: 60001\nparams:\n  a: [1]\nheaders:\n  Bad Header: x\n  X-A: '{{ secrets[0] }}'\n  x-a: y\nbody:\n  type: json\n  content: '{\"a\": {{a}} \"b\"}'\nretries: 3\n";
        let d = check(&[("queries/q.yaml", q)]);
        assert_has(&d, "queries/q.yaml:1:13: there is no datasource `nope`");
        assert_has(&d, "queries/q.yaml:2:7: `path` must start with `/`");
        assert_has(&d, "queries/q.yaml:3:9: unknown method `get`");
        assert_has(
            &d,
            "queries/q.yaml:4:12: `timeoutMs` must be between 1 and 60000",
        );
        assert_has(&d, "queries/q.yaml:6:6: values of `params` are text");
        assert_has(
            &d,
            "queries/q.yaml:8:3: `Bad Header` is not a valid HTTP header name",
        );
        assert_has(
            &d,
            "queries/q.yaml:9:8: `{{secrets[0]}}`: a secret is written exactly",
        );
        assert_has(&d, "queries/q.yaml:10:3: header `x-a` is given twice");
        assert_has(&d, "queries/q.yaml:13:12: the JSON body is not valid JSON even with its bindings filled in");
        assert_has(
            &d,
            "queries/q.yaml:14:1: unknown field `retries` in a query",
        );

        assert_has(
            &check(&[("queries/q.yaml", "method: GET\n")]),
            "queries/q.yaml:1:1: a query needs a `datasource` and a `path`, or an absolute `url`",
        );
        assert_has(
            &check(&[("queries/q.yaml", "datasource: api\n")]),
            "needs a `path`",
        );
        assert_has(
            &check(&[("queries/q.yaml", "url: /relative\n")]),
            "absolute http:// or https:// URL",
        );
        assert_has(
            &check(&[("queries/q.yaml", "url: 'https://{{host}}/x'\n")]),
            "queries/q.yaml:1:6: bindings are allowed in the path and query of a `url`, not in its scheme, host or port",
        );
        assert_has(
            &check(&[("queries/q.yaml", "url: https://a.b/x\npath: /y\n")]),
            "not both",
        );
        assert_has(
            &check(&[(
                "queries/q.yaml",
                "datasource: api\npath: /x\nbody:\n  type: xml\n  content: x\n",
            )]),
            "unknown body type `xml`",
        );
    }

    #[test]
    fn a_binding_cannot_become_a_query_urls_host_or_port_however_it_is_spelled() {
        for url in [
            "'http:///{{host}}/x'",
            "'http:////{{host}}/x'",
            "'https://{{sub}}.example.com/x'",
            "'https://example.com{{rest}}'",
            "'https://example.com:{{port}}/x'",
            "'https://{{user}}@example.com/x'",
        ] {
            assert_eq!(
                check(&[("queries/q.yaml", &format!("url: {url}\n"))]),
                vec!["queries/q.yaml:1:6: bindings are allowed in the path and query of a `url`, not in its scheme, host or port"],
                "{url}"
            );
        }
        for url in [
            "\"http://\\t/{{host}}/x\"",
            "\"http://\\n/{{host}}/x\"",
            "'http://\\{{host}}/x'",
        ] {
            assert_eq!(
                check(&[("queries/q.yaml", &format!("url: {url}\n"))]),
                vec!["queries/q.yaml:1:6: a `url` must not contain tabs or line breaks, nor backslashes before its query string: URL parsing drops or rewrites them"],
                "{url}"
            );
        }
        assert_has(
            &check(&[("queries/q.yaml", "url: 'http:\\\\{{host}}/x'\n")]),
            "queries/q.yaml:1:6: a query `url` must be an absolute http:// or https:// URL",
        );
        assert_has(
            &check(&[("queries/q.yaml", "url: 'https://exa mple.com/{{x}}'\n")]),
            "queries/q.yaml:1:6: `https://exa mple.com/{{x}}` is not a valid URL",
        );
        assert_eq!(
            check(&[(
                "queries/q.yaml",
                "url: 'https://example.com:8443/a/{{x}}?q={{y}}#{{z}}'\n"
            )]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_datasource_url_with_a_tab_is_refused() {
        let app = "version: 1\nname: T\nslug: t\nhomePage: Home\ndatasources:\n  - name: api\n    url: \"https://\\tapi.example.com\"\n";
        assert_has(
            &check(&[("app.yaml", app)]),
            "app.yaml:7:10: a `url` must not contain tabs or line breaks",
        );
    }

    #[test]
    fn framing_and_reserved_headers_are_refused_at_their_key() {
        let q = "datasource: api\npath: /x\nheaders:\n  host: '{{h}}'\n  Content-Length: '5'\n  TRANSFER-ENCODING: chunked\n  Connection: close\n  Keep-Alive: x\n  Proxy-Connection: x\n  te: trailers\n  Trailer: x\n  Upgrade: h2c\n  Expect: 100-continue\n  Proxy-Authorization: x\n  Proxy-Authenticate: x\n  X-Lowkey-Hop: '1'\n  Accept: application/json\n";
        let d = check(&[("queries/q.yaml", q)]);
        assert_has(
            &d,
            "queries/q.yaml:4:3: header `host` frames or routes the request: the server sets it, a query or datasource cannot",
        );
        assert_has(&d, "queries/q.yaml:6:3: header `TRANSFER-ENCODING` frames");
        assert_has(
            &d,
            "queries/q.yaml:14:3: header `Proxy-Authorization` frames",
        );
        assert_has(
            &d,
            "queries/q.yaml:16:3: header `X-Lowkey-Hop` is reserved: the server sets it as a loop guard",
        );
        assert_eq!(d.len(), 13, "{d:#?}");

        let app = "version: 1\nname: T\nslug: t\nhomePage: Home\ndatasources:\n  - name: api\n    url: https://api.example.com\n    headers:\n      Host: internal.example\n";
        assert_eq!(
            check(&[("app.yaml", app)]),
            vec!["app.yaml:9:7: header `Host` frames or routes the request: the server sets it, a query or datasource cannot"]
        );
    }

    #[test]
    fn forwarding_headers_are_refused_with_a_binding_but_not_with_a_literal() {
        let q = "datasource: api\npath: /x\nheaders:\n  X-Forwarded-For: '{{ip}}'\n  x-forwarded-host: 'a.{{h}}'\n  X-Forwarded-Proto: https\n  X-Real-IP: 203.0.113.1\n  Forwarded: 'for={{ip}}'\n";
        let d = check(&[("queries/q.yaml", q)]);
        assert_eq!(
            d,
            vec![
                "queries/q.yaml:4:3: header `X-Forwarded-For` cannot hold a binding: a browser must not choose the client address an upstream sees (a literal value is allowed)",
                "queries/q.yaml:5:3: header `x-forwarded-host` cannot hold a binding: a browser must not choose the client address an upstream sees (a literal value is allowed)",
                "queries/q.yaml:8:3: header `Forwarded` cannot hold a binding: a browser must not choose the client address an upstream sees (a literal value is allowed)",
            ]
        );
    }

    #[test]
    fn a_binding_in_a_json_object_key_is_a_located_error() {
        let q = "datasource: api\npath: /x\nmethod: POST\nbody:\n  type: json\n  content: '{\"name\": {{n}}, {{ field }}: 1}'\n";
        assert_eq!(
            check(&[("queries/q.yaml", q)]),
            vec!["queries/q.yaml:6:12: binding `{{field}}` is in an object key of the JSON body: keys are written literally, bindings go in values"]
        );
    }

    #[test]
    fn follow_redirects_is_a_strict_boolean_and_defaults_to_false() {
        assert_has(
            &check(&[(
                "queries/q.yaml",
                "datasource: api\npath: /x\nfollowRedirects: yes\n",
            )]),
            "queries/q.yaml:3:18: `followRedirects` must be true or false, found a string",
        );
        let app = |query: &str| {
            let (app, d) = App::from_files(&files(&[("queries/q.yaml", query)]));
            assert_eq!(d, vec![]);
            app.and_then(|a| a.query("q").map(|q| q.follow_redirects))
        };
        assert_eq!(
            app("datasource: api\npath: /x\nfollowRedirects: true\n"),
            Some(true)
        );
        assert_eq!(
            app("datasource: api\npath: /x\nfollowRedirects: false\n"),
            Some(false)
        );
        assert_eq!(app("datasource: api\npath: /x\n"), Some(false));
    }

    #[test]
    fn unexpected_files_are_reported() {
        let d = check(&[("pages/Other.yml", "name: Other\n")]);
        assert_has(&d, "pages/Other.yml: unexpected file");
    }

    #[test]
    fn children_only_in_containers() {
        let page = "name: Home\nwidgets:\n  - name: t\n    type: Text\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    children: []\n";
        assert_has(
            &check(&[("pages/Home.yaml", page)]),
            "pages/Home.yaml:6:15: only Form and Container widgets have children",
        );
    }

    #[test]
    fn booleans_are_strict_in_props() {
        let page = "name: Home\nhidden: yes\n";
        assert_has(
            &check(&[("pages/Home.yaml", page)]),
            "pages/Home.yaml:2:9: `hidden` must be true or false, found a string",
        );
    }

    /// The builder sees pages, widgets and properties, not files: a problem inside a widget's
    /// property is located there, also for a widget inside a container and for a reference
    /// checked after every file was read.
    #[test]
    fn problems_are_located_by_page_widget_and_property() {
        let page = "name: Home\nwidgets:\n  - name: frm\n    type: Form\n    position: {col: 0, row: 0, width: 10, height: 10}\n    children:\n      - name: btn\n        type: Button\n        position: {col: 0, row: 0, width: 4, height: 4}\n        props:\n          text: \"{{ 1 + }}\"\n          onClick: \"{{ navigateTo('Nowhere') }}\"\n  - name: 9bad\n    type: Text\n    position: {col: 20, row: 0, width: 4, height: 4}\n";
        let (app, problems) = App::from_files_located(&files(&[("pages/Home.yaml", page)]));
        assert!(app.is_none());
        let at = |needle: &str| {
            problems
                .iter()
                .find(|p| p.diagnostic.message.contains(needle))
                .map(|p| p.location.clone())
                .unwrap_or_else(|| panic!("no problem mentions {needle:?}: {problems:#?}"))
        };
        let located = |widget: &str, property: &str| Location {
            page: Some("Home".into()),
            widget: Some(widget.into()),
            property: Some(property.into()),
        };
        assert_eq!(
            at("not a valid JavaScript expression"),
            located("btn", "text")
        );
        assert_eq!(at("there is no page `Nowhere`"), located("btn", "onClick"));
        assert_eq!(at("9bad"), located("9bad", "name"));
        let q = "datasource: api\npath: \"/items/{{ ( }}\"\n";
        let (_, problems) = App::from_files_located(&files(&[("queries/q.yaml", q)]));
        assert!(!problems.is_empty());
        assert!(
            problems.iter().all(|p| p.location == Location::default()),
            "a query's problem is on no page: {problems:#?}"
        );
    }

    /// app.yaml of version 2 with the given `auth` block (its lines start at line 6).
    fn with_auth(auth: &str) -> String {
        format!("version: 2\nname: Test\nslug: test-app\nhomePage: Home\nauth:\n{auth}datasources:\n  - name: api\n    url: https://api.example.com\n")
    }

    const LOGIN: (&str, &str) = ("pages/Login.yaml", "name: Login\n");

    /// The diagnostics of the base app with this `auth` block and a public page `Login`.
    fn check_auth(auth: &str) -> Vec<String> {
        check(&[("app.yaml", &with_auth(auth)), LOGIN])
    }

    #[test]
    fn a_version_1_folder_loads_as_version_2_with_everything_public() {
        let (app, d) = App::from_files(&files(&[]));
        assert_eq!(d, vec![]);
        let app = app.unwrap();
        assert_eq!(app.version, 2);
        assert_eq!(app.auth, None);
        assert!(app.pages.iter().all(|p| p.access.is_public()));
        assert!(app.queries.iter().all(|q| q.access.is_public()));
    }

    #[test]
    fn auth_and_access_of_version_2_are_read() {
        let app_yaml = with_auth("  loginPage: Login\n  verify: { jwks: 'https://idp.example.com/jwks.json', issuer: 'https://idp.example.com', audience: lowkey }\n  token: { store: accesstoken }\n  rolesClaim: app_metadata.roles\n  clockSkewSecs: 300\n");
        let (app, d) = App::from_files(&files(&[
            ("app.yaml", &app_yaml),
            LOGIN,
            ("pages/Home.yaml", "name: Home\naccess: signedIn\n"),
            (
                "queries/q.yaml",
                "datasource: api\npath: /items\naccess: { roles: [admin, editor] }\n",
            ),
        ]));
        assert_eq!(d, vec![]);
        let app = app.unwrap();
        assert_eq!(
            app.auth,
            Some(Auth {
                login_page: Some("Login".into()),
                verify: Verify::Jwks {
                    jwks: "https://idp.example.com/jwks.json".into(),
                    issuer: "https://idp.example.com".into(),
                    audience: Some("lowkey".into()),
                },
                token: TokenMode::Store("accesstoken".into()),
                roles_claim: "app_metadata.roles".into(),
                clock_skew_secs: 300,
                session: None,
                refresh: None,
                oidc: None,
            })
        );
        assert_eq!(app.page("Home").unwrap().access, Access::SignedIn);
        assert_eq!(app.page("Login").unwrap().access, Access::Public);
        assert_eq!(
            app.query("q").unwrap().access,
            Access::Roles(vec!["admin".into(), "editor".into()])
        );

        // The defaults: built-in verification, roles at `roles`, 30 s of clock skew.
        let app_yaml = with_auth("  loginPage: Login\n  token: { store: t }\n");
        let (app, d) = App::from_files(&files(&[("app.yaml", &app_yaml), LOGIN]));
        assert_eq!(d, vec![]);
        let auth = app.unwrap().auth.unwrap();
        assert_eq!(auth.verify, Verify::Builtin);
        assert_eq!(auth.token, TokenMode::Store("t".into()));
        assert_eq!(auth.roles_claim, "roles");
        assert_eq!(auth.clock_skew_secs, 30);
        for ok in [
            "http://localhost:9999/jwks",
            "http://127.0.0.1/jwks",
            "https://idp.example.com/.well-known/jwks.json",
        ] {
            assert_eq!(
                check_auth(&format!(
                "  loginPage: Login\n  verify: {{ jwks: '{ok}', issuer: x }}\n  token: {{ store: t }}\n"
            )),
                Vec::<String>::new(),
                "{ok}"
            );
        }
    }

    #[test]
    fn session_mode_is_read_with_its_queries_and_default_paths() {
        let app_yaml = with_auth("  loginPage: Login\n  token: session\n  session: { signIn: q, refresh: r, signOut: o, accessToken: data.at }\n");
        let uses = "datasource: api\npath: /r\nmethod: POST\nbody:\n  type: json\n  content: '{\"t\": {{session.refreshToken}}}'\n";
        let out = "datasource: api\npath: /o\nheaders:\n  Authorization: 'Bearer {{session.accessToken}}'\n";
        let (app, d) = App::from_files(&files(&[
            ("app.yaml", &app_yaml),
            LOGIN,
            ("queries/r.yaml", uses),
            ("queries/o.yaml", out),
        ]));
        assert_eq!(d, vec![]);
        let app = app.unwrap();
        let auth = app.auth.as_ref().unwrap();
        assert_eq!(auth.token, TokenMode::Session);
        assert_eq!(
            auth.session,
            Some(SessionAuth {
                sign_in: "q".into(),
                refresh: Some("r".into()),
                sign_out: Some("o".into()),
                access_token: "data.at".into(),
                refresh_token: "refresh_token".into(),
                expires_in: "expires_in".into(),
                refresh_answer: None,
            })
        );
        assert_eq!(
            app.session_role("r"),
            Some(crate::model::SessionRole::Refresh)
        );
        // A refresh answer with names of its own (defaults for what it does not name).
        let app_yaml = with_auth("  loginPage: Login\n  token: session\n  session: { signIn: q, refresh: r, accessToken: idToken, refreshAnswer: { accessToken: id_token } }\n");
        let (named, d) = App::from_files(&files(&[
            ("app.yaml", &app_yaml),
            LOGIN,
            ("queries/r.yaml", uses),
        ]));
        assert_eq!(d, vec![]);
        let session = named.unwrap().auth.unwrap().session.unwrap();
        assert_eq!(session.sign_in_paths().access_token, "idToken");
        assert_eq!(
            session.refresh_paths(),
            TokenPaths {
                access_token: "id_token".into(),
                refresh_token: "refresh_token".into(),
                expires_in: "expires_in".into(),
            }
        );
        assert_eq!(app.session_role("Home"), None);
        // The stored form reads back the same, and the folder written from it too.
        assert_eq!(App::from_json(&app.to_json().unwrap()).unwrap(), app);
        assert_eq!(app.validate(), vec![]);
    }

    #[test]
    fn oidc_sign_in_is_read_implies_session_mode_and_refuses_what_cannot_work() {
        let ok = with_auth("  loginPage: Login\n  oidc:\n    issuer: https://idp.example.com\n    clientId: app\n    clientSecret: '{{secrets.IDP_SECRET}}'\n    scopes: [openid, email, offline_access]\n");
        let basic = "datasource: api\npath: /token\nmethod: POST\nbasicAuth: { username: '{{secrets.ID}}', password: '{{secrets.SECRET}}' }\n";
        let (app, d) = App::from_files(&files(&[
            ("app.yaml", &ok),
            LOGIN,
            ("queries/q.yaml", basic),
        ]));
        assert_eq!(d, vec![]);
        let app = app.unwrap();
        let auth = app.auth.as_ref().unwrap();
        assert_eq!(auth.token, TokenMode::Session);
        let oidc = auth.oidc.as_ref().unwrap();
        assert_eq!(
            oidc.client_secret.as_deref(),
            Some("{{secrets.IDP_SECRET}}")
        );
        assert_eq!(oidc.scopes, ["openid", "email", "offline_access"]);
        assert_eq!(
            app.query("q")
                .unwrap()
                .basic_auth
                .as_ref()
                .unwrap()
                .username,
            "{{secrets.ID}}"
        );
        assert_eq!(App::from_json(&app.to_json().unwrap()).unwrap(), app);
        assert_eq!(app.validate(), vec![]);
        // A public client, default scopes.
        let public = with_auth(
            "  loginPage: Login\n  oidc: { issuer: 'http://127.0.0.1:4010', clientId: app }\n",
        );
        let (app, d) = App::from_files(&files(&[("app.yaml", &public), LOGIN]));
        assert_eq!(d, vec![]);
        assert_eq!(
            app.unwrap().auth.unwrap().oidc.unwrap().scopes,
            ["openid", "email", "profile"]
        );
        // Without a login page: a visitor of a protected page goes straight to the provider.
        let direct = with_auth("  oidc: { issuer: 'https://idp.example.com', clientId: app }\n");
        let (app, d) = App::from_files(&files(&[("app.yaml", &direct), LOGIN]));
        assert_eq!(d, vec![]);
        assert_eq!(app.unwrap().auth.unwrap().login_page, None);
        assert_eq!(
            check(&[("app.yaml", &with_auth("  token: { store: t }\n")), LOGIN]),
            vec!["app.yaml:6:3: `auth` needs a `loginPage`"]
        );
        // Further authorization parameters, literal; the flow's own are refused.
        let extra = with_auth("  oidc: { issuer: 'https://idp.example.com', clientId: app, authorizationParams: { audience: 'https://api.example.com', prompt: login }, logoutIdTokenHint: true }\n");
        let (app, d) = App::from_files(&files(&[("app.yaml", &extra), LOGIN]));
        assert_eq!(d, vec![]);
        let oidc = app.unwrap().auth.unwrap().oidc.unwrap();
        assert_eq!(
            oidc.authorization_params
                .iter()
                .map(|(k, _)| k.to_owned())
                .collect::<Vec<_>>(),
            ["audience", "prompt"]
        );
        assert!(oidc.logout_id_token_hint);
        let bad = with_auth("  oidc: { issuer: 'https://idp.example.com', clientId: app, authorizationParams: { state: x, login_hint: '{{inp.text}}' } }\n");
        let d = check(&[("app.yaml", &bad), LOGIN]);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("`state` is set by Lowkey itself"), "{d:?}");
        assert!(d[1].contains("`login_hint` is literal text"), "{d:?}");
        let refused = |auth: &str| check(&[("app.yaml", &with_auth(auth)), LOGIN]);
        assert_eq!(
            refused("  loginPage: Login\n  token: { store: t }\n  oidc: { issuer: 'https://idp.example.com', clientId: app }\n"),
            vec!["app.yaml:8:9: `oidc` keeps the tokens on the server: leave `token` out (or write `token: session`)"]
        );
        assert_eq!(
            refused("  loginPage: Login\n  oidc: { issuer: 'https://idp.example.com', clientId: app, clientSecret: hunter2 }\n"),
            vec!["app.yaml:7:75: `clientSecret` is a server secret, written exactly `{{secrets.NAME}}` (an app's files are no place for a secret)"]
        );
        assert_eq!(
            refused("  loginPage: Login\n  oidc: { issuer: 'http://idp.example.com', clientId: app, scopes: [email] }\n"),
            vec![
                "app.yaml:7:19: `issuer` must be an https URL (http only for localhost or 127.0.0.1) without bindings",
                "app.yaml:7:68: `scopes` must include `openid`",
            ]
        );
    }

    #[test]
    fn session_mode_and_store_refresh_refuse_what_cannot_work() {
        let with = |auth: &str, extra: &[(&str, &str)]| {
            let app_yaml = with_auth(auth);
            let mut all = vec![("app.yaml", app_yaml.as_str()), LOGIN];
            all.extend_from_slice(extra);
            check(&all)
        };
        assert_eq!(
            with("  loginPage: Login\n  token: session\n", &[]),
            vec!["app.yaml:7:10: `token: session` needs `session: {signIn: <query>}`: the query whose answer holds the tokens"]
        );
        assert_eq!(
            with(
                "  loginPage: Login\n  token: session\n  session: { signIn: nope }\n",
                &[]
            ),
            vec!["app.yaml:8:22: `session.signIn`: there is no query `nope`"]
        );
        let protected = "datasource: api\npath: /x\naccess: signedIn\n";
        assert_eq!(
            with("  loginPage: Login\n  token: session\n  session: { signIn: q }\n", &[("queries/q.yaml", protected)]),
            vec!["app.yaml:8:22: `session.signIn`: the query `q` must be public: it runs for visitors who are not signed in yet, or whose token is about to expire"]
        );
        assert_eq!(
            with("  loginPage: Login\n  token: { store: t }\n  session: { signIn: q }\n", &[]),
            vec!["app.yaml:8:12: `session` belongs to session mode (`token: session`); in store mode the app stores its tokens itself"]
        );
        // Session tokens only in session mode, only in queries, only the two names.
        let uses = "datasource: api\npath: /x\nheaders:\n  A: '{{session.accessToken}}'\n";
        assert_eq!(
            with("  loginPage: Login\n  token: { store: t }\n", &[("queries/q.yaml", uses)]),
            vec!["queries/q.yaml:4:6: `{{session.…}}` exists only in session mode (`auth: {token: session}` in app.yaml)"]
        );
        let odd = "datasource: api\npath: /x\nheaders:\n  A: '{{session.idToken}}'\n";
        assert_eq!(
            with("  loginPage: Login\n  token: session\n  session: { signIn: q }\n", &[("queries/q.yaml", odd)]),
            vec!["queries/q.yaml:4:6: `{{session.idToken}}`: the session's tokens are `{{session.accessToken}}` and `{{session.refreshToken}}`"]
        );
        let widget = "name: Login\nwidgets:\n  - name: t\n    type: Text\n    position: { col: 0, row: 0, width: 10, height: 2 }\n    props:\n      text: '{{session.accessToken}}'\n";
        let d = with(
            "  loginPage: Login\n  token: session\n  session: { signIn: q }\n",
            &[("pages/Login.yaml", widget)],
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("session tokens stay on the server"), "{d:?}");
        // Store refresh: its query exists and is public, its store includes the token key.
        assert_eq!(
            with("  loginPage: Login\n  token: { store: t }\n  refresh: { query: q, store: { t: access_token, rt: refresh_token }, expiresIn: expires_in }\n", &[]),
            Vec::<String>::new()
        );
        assert_eq!(
            with("  loginPage: Login\n  token: { store: t }\n  refresh: { query: q, store: { rt: refresh_token } }\n", &[]),
            vec!["app.yaml:8:12: `refresh.store` must say where the new `t` (the token's store key) is in the answer"]
        );
        assert_eq!(
            with("  loginPage: Login\n  token: session\n  session: { signIn: q }\n  refresh: { query: q, store: { t: a } }\n", &[]),
            vec!["app.yaml:9:12: `refresh` is store mode's: in session mode the server refreshes with `session.refresh`"]
        );
        assert_eq!(
            with("  loginPage: Login\n  token: { store: t }\n  refresh: { query: q, store: { t: 'a..b' } }\n", &[]),
            vec!["app.yaml:8:31: `refresh.store` is a field's name or a dot path such as `data.access_token`, not `a..b`"]
        );
    }

    #[test]
    fn auth_and_access_are_refused_in_a_version_1_folder() {
        let app_yaml = APP.replace(
            "datasources:",
            "auth:\n  loginPage: Home\n  token: { store: t }\ndatasources:",
        );
        assert_eq!(
            check(&[
                ("app.yaml", &app_yaml),
                ("pages/Home.yaml", "name: Home\naccess: public\n"),
            ]),
            vec![
                "app.yaml:6:3: `auth` is new in format version 2: write `version: 2` in app.yaml",
                "pages/Home.yaml:2:9: `access` is new in format version 2: write `version: 2` in app.yaml",
            ]
        );
    }

    #[test]
    fn a_protected_page_or_query_needs_auth() {
        let app_yaml = APP.replace("version: 1", "version: 2");
        assert_eq!(
            check(&[
                ("app.yaml", &app_yaml),
                ("pages/Home.yaml", "name: Home\naccess: signedIn\n"),
                ("queries/q.yaml", "datasource: api\npath: /items\naccess: { roles: [admin] }\n"),
            ]),
            vec![
                "pages/Home.yaml:2:9: a page or query that is not public needs `auth` in app.yaml (where visitors sign in and how their tokens are verified)",
                "queries/q.yaml:3:9: a page or query that is not public needs `auth` in app.yaml (where visitors sign in and how their tokens are verified)",
            ]
        );
    }

    #[test]
    fn the_login_page_exists_and_is_public() {
        assert_eq!(
            check_auth("  loginPage: Nope\n  token: { store: accesstoken }\n"),
            vec!["app.yaml:6:14: `loginPage`: there is no page `Nope` (pages/Nope.yaml)"]
        );
        let app_yaml = with_auth("  loginPage: Login\n  token: { store: accesstoken }\n");
        assert_eq!(
            check(&[
                ("app.yaml", &app_yaml),
                ("pages/Login.yaml", "name: Login\naccess: signedIn\n"),
            ]),
            vec!["app.yaml:6:14: `loginPage`: the page `Login` must be public, or no visitor could sign in"]
        );
    }

    #[test]
    fn access_is_public_signed_in_or_a_non_empty_roles_list() {
        let app_yaml = with_auth("  loginPage: Login\n  token: { store: accesstoken }\n");
        let page = |access: &str| format!("name: Home\naccess: {access}\n");
        let checked = |access: &str| {
            check(&[
                ("app.yaml", &app_yaml),
                LOGIN,
                ("pages/Home.yaml", &page(access)),
            ])
        };
        assert_eq!(
            checked("{ roles: [] }"),
            vec!["pages/Home.yaml:2:18: `roles` names at least one role (an empty list would let no one in)"]
        );
        assert_eq!(
            checked("everyone"),
            vec!["pages/Home.yaml:2:9: `access` is public, signedIn or {roles: [<role>, …]}"]
        );
        assert_eq!(
            checked("{ roles: [admin, ''] }"),
            vec!["pages/Home.yaml:2:26: a role is a non-empty string"]
        );
        assert_eq!(
            checked("{ role: admin }"),
            vec![
                "pages/Home.yaml:2:9: `access` needs a `roles`",
                "pages/Home.yaml:2:11: unknown field `role` in `access`; expected one of: roles",
            ]
        );
        assert_eq!(checked("{ roles: [admin] }"), Vec::<String>::new());
    }

    #[test]
    fn the_token_store_key_is_an_identifier() {
        let d = check_auth("  loginPage: Login\n  token: { store: access-token }\n");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_has(
            &d,
            "app.yaml:7:19: the token's store key must be an identifier (`appsmith.store.<key>`)",
        );
        assert_eq!(
            check_auth("  loginPage: Login\n  token: cookie\n"),
            vec!["app.yaml:7:10: `token` is {store: <key of appsmith.store>} or session"]
        );
        assert_eq!(
            check_auth("  loginPage: Login\n"),
            vec!["app.yaml:6:3: `auth` needs a `token`"]
        );
    }

    #[test]
    fn a_jwks_url_is_https_except_on_this_machine() {
        for url in [
            "http://idp.example.com/jwks",
            "http://127.0.0.2/jwks",
            "ftp://idp.example.com/jwks",
            "https://idp.example.com/{{path}}",
        ] {
            assert_eq!(
                check_auth(&format!(
                "  loginPage: Login\n  verify: {{ jwks: '{url}', issuer: x }}\n  token: {{ store: t }}\n"
            )),
                vec!["app.yaml:7:19: `jwks` must be an https URL (http only for localhost or 127.0.0.1) without bindings"],
                "{url}"
            );
        }
        assert_eq!(
            check_auth("  loginPage: Login\n  verify: { jwks: 'https://idp.example.com/jwks' }\n  token: { store: t }\n"),
            vec!["app.yaml:7:11: `verify` needs a `issuer`"]
        );
        assert_eq!(
            check_auth("  loginPage: Login\n  verify: magic\n  token: { store: t }\n"),
            vec!["app.yaml:7:11: `verify` is builtin, {jwks: <https URL>, issuer: …, audience: …} or {userinfo: <query>}"]
        );
    }

    #[test]
    fn a_userinfo_query_exists_and_is_public() {
        let auth = |query: &str| {
            format!(
                "  loginPage: Login\n  verify: {{ userinfo: {query} }}\n  token: {{ store: t }}\n"
            )
        };
        for missing in ["nope", "Obj"] {
            assert_eq!(
                check_auth(&auth(missing)),
                vec![format!(
                    "app.yaml:7:23: `userinfo`: there is no query `{missing}`"
                )]
            );
        }
        assert_eq!(
            check(&[
                ("app.yaml", &with_auth(&auth("q"))),
                LOGIN,
                ("queries/q.yaml", "datasource: api\npath: /me\naccess: signedIn\n"),
            ]),
            vec!["app.yaml:7:23: `userinfo`: the query `q` must be public: it checks the token, so it cannot need one"]
        );
        assert_eq!(check_auth(&auth("q")), Vec::<String>::new());
    }

    #[test]
    fn clock_skew_is_at_most_five_minutes_and_the_roles_claim_a_dot_path() {
        assert_eq!(
            check_auth("  loginPage: Login\n  token: { store: t }\n  clockSkewSecs: 301\n  rolesClaim: 'app_metadata..roles'\n"),
            vec![
                "app.yaml:8:18: `clockSkewSecs` must be at most 300",
                "app.yaml:9:15: `rolesClaim` is a claim's name or a dot path such as `app_metadata.roles`, not `app_metadata..roles`",
            ]
        );
    }

    #[test]
    fn roles_are_read_at_the_roles_claim() {
        let mut auth = Auth {
            login_page: Some("Login".into()),
            verify: Verify::Builtin,
            token: TokenMode::Session,
            roles_claim: "roles".into(),
            clock_skew_secs: 30,
            session: None,
            refresh: None,
            oidc: None,
        };
        let claims = serde_json::json!({"roles": ["a", 1, "b"], "app_metadata": {"role": "admin"}, "role": 5});
        assert_eq!(auth.roles_in(&claims), ["a", "b"]);
        auth.roles_claim = "app_metadata.role".into();
        assert_eq!(auth.roles_in(&claims), ["admin"]);
        auth.roles_claim = "role".into();
        assert_eq!(auth.roles_in(&claims), Vec::<String>::new());
        auth.roles_claim = "nowhere.at.all".into();
        assert_eq!(auth.roles_in(&claims), Vec::<String>::new());
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        assert_eq!(offset_to_pos("ab\ncdé\nf", 0), Pos::new(1, 1));
        assert_eq!(offset_to_pos("ab\ncdé\nf", 3), Pos::new(2, 1));
        assert_eq!(offset_to_pos("ab\ncdé\nf", 8), Pos::new(3, 1));
        assert_eq!(offset_to_pos("ab", 99), Pos::new(1, 3));
    }
}
