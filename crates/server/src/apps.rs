//! Apps on the server: import a folder as the draft, publish it, and serve the published
//! version from a cache that a `lowkey app publish` in another process invalidates (the
//! cache checks the published version number, one indexed read, before each use).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::{bail, Context as _};
use lowkey_app::{App, Diagnostic, SourceFiles};
use lowkey_core::now_millis;
use lowkey_store::Store;
use rust_embed::RustEmbed;

/// The guide's example app, carried inside the binary for `lowkey demo`.
#[derive(RustEmbed)]
#[folder = "../../examples/custom-auth"]
struct ExampleApp;

/// The files of the embedded example app.
pub fn example_files() -> SourceFiles {
    ExampleApp::iter()
        .filter_map(|path| {
            let file = ExampleApp::get(&path)?;
            Some((
                path.to_string(),
                String::from_utf8_lossy(&file.data).into_owned(),
            ))
        })
        .collect()
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

/// Stores a validated app as the draft of its slug.
pub async fn save_draft(store: &dyn Store, app: &App) -> anyhow::Result<()> {
    let json = app.to_json().context("Failed to serialise the app")?;
    store
        .save_app_draft(&app.slug, &app.name, &json, now_millis())
        .await?;
    Ok(())
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

/// Published apps, parsed once per published version.
#[derive(Default)]
pub struct PublishedApps {
    cache: RwLock<HashMap<String, (i64, Arc<App>)>>,
}

impl PublishedApps {
    /// The apps viewers may open: those published at least once.
    pub async fn list(&self, store: &dyn Store) -> anyhow::Result<Vec<lowkey_store::StoredApp>> {
        let mut apps = store.list_apps().await?;
        apps.retain(|a| a.published_version > 0);
        Ok(apps)
    }

    /// The published version of `slug`, or `None` when the app does not exist or was never
    /// published.
    pub async fn get(&self, store: &dyn Store, slug: &str) -> anyhow::Result<Option<Arc<App>>> {
        let Some(version) = store.published_version(slug).await? else {
            return Ok(None);
        };
        if version == 0 {
            return Ok(None);
        }
        if let Ok(cache) = self.cache.read() {
            if let Some((v, app)) = cache.get(slug) {
                if *v == version {
                    return Ok(Some(app.clone()));
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
            cache.insert(slug.to_string(), (stored.published_version, app.clone()));
        }
        Ok(Some(app))
    }
}
