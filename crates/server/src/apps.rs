//! Apps on the server: import a folder as the draft, publish it, and serve the published
//! version from a cache that a `lowkey app publish` in another process invalidates: the cache
//! re-checks the published version number (one indexed read) when its entry is older than
//! [`RECHECK_AFTER`], so a publish is seen within that time, and never sooner costs a read.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use lowkey_app::{App, Diagnostic, SourceFiles};
use lowkey_core::now_millis;
use lowkey_store::{Published, Store};
use rust_embed::RustEmbed;

/// The guide's example app, carried inside the binary for `lowkey demo`.
#[derive(RustEmbed)]
#[folder = "../../examples/custom-auth"]
struct CustomAuthExample;

/// The same app in session mode (no token in the browser).
#[derive(RustEmbed)]
#[folder = "../../examples/secure-session"]
struct SecureSessionExample;

fn files_of<E: RustEmbed>() -> SourceFiles {
    E::iter()
        .filter_map(|path| {
            let file = E::get(&path)?;
            Some((
                path.to_string(),
                String::from_utf8_lossy(&file.data).into_owned(),
            ))
        })
        .collect()
}

/// The example apps `lowkey demo` imports and publishes: (their folder, their files).
pub fn examples() -> [(&'static str, SourceFiles); 2] {
    [
        ("examples/custom-auth", files_of::<CustomAuthExample>()),
        (
            "examples/secure-session",
            files_of::<SecureSessionExample>(),
        ),
    ]
}

/// The starting points of `lowkey app new`, carried inside the binary: `templates/<name>/`.
#[derive(RustEmbed)]
#[folder = "../../templates"]
struct Templates;

/// The templates of `lowkey app new --template <name>`: (name, what it signs in with).
pub const TEMPLATES: [(&str, &str); 4] = [
    ("supabase", "Supabase Auth (GoTrue): email and password, the guide's app"),
    (
        "oauth-password",
        "an OAuth 2.0 server's password grant (Keycloak, Auth0, Django OAuth Toolkit…), session mode",
    ),
    (
        "oidc",
        "sign-in by redirect at an OpenID Connect provider (authorization code + PKCE)",
    ),
    (
        "firebase",
        "Firebase Authentication (Identity Toolkit REST API), session mode",
    ),
];

/// Placeholders in a template's files, replaced by `lowkey app new`.
const NAME_PLACEHOLDER: &str = "__APP_NAME__";
const SLUG_PLACEHOLDER: &str = "__APP_SLUG__";

/// The files of template `name` with its placeholders filled in, checked as an app: the app,
/// or why not (an unknown template, an app that does not validate).
pub fn template_app(template: &str, name: &str, slug: &str) -> anyhow::Result<(App, SourceFiles)> {
    if !TEMPLATES.iter().any(|(t, _)| *t == template) {
        let names: Vec<&str> = TEMPLATES.iter().map(|(t, _)| *t).collect();
        bail!(
            "no template named {template:?}; the templates are: {}",
            names.join(", ")
        );
    }
    let prefix = format!("{template}/");
    // The name goes into a double-quoted YAML string.
    let quoted_name = name.replace('\\', "\\\\").replace('"', "\\\"");
    let files: SourceFiles = files_of::<Templates>()
        .into_iter()
        .filter_map(|(path, text)| {
            let path = path.strip_prefix(&prefix)?.to_owned();
            let text = text
                .replace(NAME_PLACEHOLDER, &quoted_name)
                .replace(SLUG_PLACEHOLDER, slug);
            Some((path, text))
        })
        .collect();
    let (app, diagnostics) = App::from_files(&files);
    match app {
        Some(app) if diagnostics.is_empty() => Ok((app, files)),
        _ => bail!(
            "the {template} template with name {name:?} and slug {slug:?} is not a valid app \
             ({} problem(s)):\n{}",
            diagnostics.len(),
            format_diagnostics(template, &diagnostics)
        ),
    }
}

/// A slug made of a folder's name: lowercase letters and digits, the rest one `-`.
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(64).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Writes template `template` as a new app folder `dir` (missing or empty), named `name`
/// (default: the folder's name) at `slug` (default: made of the name).
pub fn new_app(
    dir: &Path,
    template: &str,
    name: Option<&str>,
    slug: Option<&str>,
) -> anyhow::Result<App> {
    let folder = dir
        .canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.map_or(folder, str::to_owned);
    if name.trim().is_empty() {
        bail!("name the app with --name");
    }
    let slug = slug.map_or_else(|| slug_of(&name), str::to_owned);
    let (app, files) = template_app(template, &name, &slug)?;
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} exists and is not empty: name a new folder",
                    dir.display()
                );
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("Failed to read {}", dir.display())),
    }
    for (path, text) in &files {
        let to = dir.join(path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("Failed to create {}", parent.display()))?;
        }
        std::fs::write(&to, text).with_context(|| format!("Failed to write {}", to.display()))?;
    }
    Ok(app)
}

/// Formats diagnostics as `file:line:column: message`, one per line.
pub fn format_diagnostics(dir: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            if d.line == 0 {
                format!("{dir}/{}: {}", d.file, d.message)
            } else {
                format!("{dir}/{}:{}:{}: {}", d.file, d.line, d.column, d.message)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Stores a validated app as the draft of its slug (a new revision of it: a builder editing
/// the app meanwhile gets a conflict, not a silent overwrite).
pub async fn save_draft(store: &dyn Store, app: &App) -> anyhow::Result<()> {
    let json = app.to_json().context("Failed to serialise the app")?;
    store
        .save_app_draft(&app.slug, &app.name, &json, now_millis())
        .await?;
    Ok(())
}

/// Publishes the draft as it is, by the operator (`lowkey app publish`, `lowkey demo`): the
/// new version number, or `None` when there is no such app.
pub async fn publish_cli(store: &dyn Store, slug: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        match store.publish_app(slug, None, "cli", now_millis()).await? {
            Published::Published { version, .. } => Some(version),
            Published::NotFound => None,
            // Not asked to check a revision: cannot happen.
            Published::Stale { revision } => bail!("the draft moved to revision {revision}"),
        },
    )
}

/// Validates and stores the files of an app as its draft; returns the app.
pub async fn import_files(
    store: &dyn Store,
    label: &str,
    files: &SourceFiles,
) -> anyhow::Result<App> {
    let (app, diagnostics) = App::from_files(files);
    match app {
        Some(app) if diagnostics.is_empty() => {
            save_draft(store, &app).await?;
            Ok(app)
        }
        _ => bail!(
            "{} problem(s):\n{}",
            diagnostics.len(),
            format_diagnostics(label, &diagnostics)
        ),
    }
}

pub async fn import_dir(store: &dyn Store, dir: &Path) -> anyhow::Result<App> {
    let (app, diagnostics) = App::load(dir);
    match app {
        Some(app) => {
            save_draft(store, &app).await?;
            Ok(app)
        }
        None => bail!(
            "{} problem(s):\n{}",
            diagnostics.len(),
            format_diagnostics(&dir.display().to_string(), &diagnostics)
        ),
    }
}

/// How long a cached published app is served without asking the store whether a newer
/// version was published. A query run used to pay one store round trip (a hand-off to a SQLite
/// thread and back, about a quarter of the server's CPU per run) just for this check.
///
/// Why a time and not an exact check: `lowkey app publish` runs in another process against the
/// same database, so this process cannot be told about it; the alternatives (SQLite's
/// `data_version`, the WAL file's size) still need a read per run or tie the cache to one
/// backend. One second is shorter than anyone takes to switch from a terminal to a browser and
/// reload. Versions only grow, so a stale entry is only ever the previous published version,
/// for at most this long; an app deleted by the Builder API is dropped from this process's
/// cache at once ([`PublishedApps::invalidate`]). Misses (no such app, never published) are
/// not cached: a first publish is visible at once.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

struct Cached {
    version: i64,
    app: Arc<App>,
    /// When the store last confirmed `version`.
    checked: Instant,
}

/// Published apps, parsed once per published version.
pub struct PublishedApps {
    cache: RwLock<HashMap<String, Cached>>,
    recheck_after: Duration,
}

impl Default for PublishedApps {
    fn default() -> Self {
        Self::with_recheck_after(RECHECK_AFTER)
    }
}

impl PublishedApps {
    /// A cache that asks the store again after `recheck_after` ([`RECHECK_AFTER`] by default).
    pub fn with_recheck_after(recheck_after: Duration) -> Self {
        Self {
            cache: RwLock::default(),
            recheck_after,
        }
    }

    /// The apps viewers may open: those published at least once.
    pub async fn list(&self, store: &dyn Store) -> anyhow::Result<Vec<lowkey_store::StoredApp>> {
        let mut apps = store.list_apps().await?;
        apps.retain(|a| a.published_version > 0);
        Ok(apps)
    }

    /// The published version of `slug`, or `None` when the app does not exist or was never
    /// published. Served from memory while the cached entry is younger than the recheck
    /// interval; then one read of the version number (and a parse only when it
    /// changed).
    pub async fn get(&self, store: &dyn Store, slug: &str) -> anyhow::Result<Option<Arc<App>>> {
        let now = Instant::now();
        let cached_version = match self.cache.read() {
            Ok(cache) => match cache.get(slug) {
                Some(c) if now.saturating_duration_since(c.checked) < self.recheck_after => {
                    return Ok(Some(c.app.clone()));
                }
                Some(c) => Some(c.version),
                None => None,
            },
            Err(_) => None,
        };
        let Some(version) = store.published_version(slug).await? else {
            return Ok(None);
        };
        if version == 0 {
            return Ok(None);
        }
        if cached_version == Some(version) {
            if let Ok(mut cache) = self.cache.write() {
                if let Some(c) = cache.get_mut(slug).filter(|c| c.version == version) {
                    c.checked = now;
                    return Ok(Some(c.app.clone()));
                }
            }
        }
        let Some(stored) = store.app(slug).await? else {
            return Ok(None);
        };
        let Some(json) = stored.published else {
            return Ok(None);
        };
        let app = Arc::new(App::from_json(&json).context("Failed to read the stored app")?);
        if let Ok(mut cache) = self.cache.write() {
            // A concurrent reload may have stored a newer version already: keep the newest.
            let newer = cache
                .get(slug)
                .is_some_and(|c| c.version > stored.published_version);
            if !newer {
                cache.insert(
                    slug.to_string(),
                    Cached {
                        version: stored.published_version,
                        app: app.clone(),
                        checked: now,
                    },
                );
            }
        }
        Ok(Some(app))
    }

    /// Forgets the cached version of `slug`, so the next use reads the store: for a publish
    /// made by this process, which then need not wait for [`RECHECK_AFTER`].
    pub fn invalidate(&self, slug: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(slug);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lowkey_store::SqliteStore;

    fn files(title: &str) -> SourceFiles {
        let mut f = SourceFiles::new();
        f.insert(
            "app.yaml".into(),
            format!("version: 1\nname: {title}\nslug: cache\nhomePage: Home\n"),
        );
        f.insert("pages/Home.yaml".into(), "name: Home\nwidgets: []\n".into());
        f
    }

    async fn publish(store: &dyn Store, title: &str) {
        import_files(store, "cache", &files(title)).await.unwrap();
        publish_cli(store, "cache").await.unwrap();
    }

    fn title(app: &App) -> &str {
        &app.name
    }

    async fn store() -> (SqliteStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("lowkey-apps-{}", uuid::Uuid::new_v4()));
        (SqliteStore::open(&dir).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn a_publish_is_seen_after_the_recheck_interval_or_an_invalidation_and_misses_are_not_cached(
    ) {
        let (store, dir) = store().await;
        let cache = PublishedApps::with_recheck_after(Duration::from_secs(3600));
        assert!(cache.get(&store, "cache").await.unwrap().is_none());
        publish(&store, "one").await;
        let first = cache.get(&store, "cache").await.unwrap().unwrap();
        assert_eq!(title(&first), "one", "a miss is not cached");
        publish(&store, "two").await;
        let cached = cache.get(&store, "cache").await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &cached), "served from memory");
        cache.invalidate("cache");
        assert_eq!(
            title(&cache.get(&store, "cache").await.unwrap().unwrap()),
            "two"
        );

        let always = PublishedApps::with_recheck_after(Duration::ZERO);
        let a = always.get(&store, "cache").await.unwrap().unwrap();
        let b = always.get(&store, "cache").await.unwrap().unwrap();
        assert!(
            Arc::ptr_eq(&a, &b),
            "an unchanged version is not parsed again"
        );
        publish(&store, "three").await;
        assert_eq!(
            title(&always.get(&store, "cache").await.unwrap().unwrap()),
            "three"
        );
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
