//! The Builder API's operations on drafts: create, read, save with a revision check, rename,
//! delete, publish, versions and restore.
//!
//! The draft is the app crate's canonical JSON. A save parses what the browser sent into the
//! model (refusing what is not the model) and stores the model's own serialisation, never the
//! browser's text, so a draft exported with `lowkey app export` is the same clean folder
//! whoever wrote it. A draft that parses but does not validate is still saved (a builder's
//! work in progress is never lost) and comes back with its problems; publishing needs a
//! draft without any.
//!
//! Every write names the revision it was based on, and the store checks and writes in one
//! step ([`Store::write_draft`]): of two writers with the same base, the second gets
//! [`EditError::Conflict`] with the draft as it is now, and nothing of its own is written.

use lowkey_app::{App, Page, Problem, FORMAT_VERSION};
use lowkey_core::{now_millis, Millis};
use lowkey_store::{AppVersion, DraftWrite, Published, Store, StoreError, StoredApp};

use crate::apps::PublishedApps;

/// The home page of a new app.
pub const FIRST_PAGE: &str = "Page1";

/// How often a rename retries when another write moved the draft meanwhile (a rename names
/// no revision: it applies to whatever the draft is).
const RENAME_ATTEMPTS: usize = 3;

/// Why an operation on a draft did not happen.
#[derive(Debug)]
pub enum EditError {
    NotFound(String),
    VersionNotFound(i64),
    /// A new app's slug is taken.
    Exists(String),
    /// A bad name or slug for a new or renamed app.
    InvalidName(String),
    /// What was sent is not the app model (unknown field, wrong type), or not this app.
    InvalidDraft(String),
    /// The draft is no longer at the revision the request named. The app as it is now.
    Conflict(Box<StoredApp>),
    /// The draft does not validate, so it cannot be published.
    Invalid(Vec<Problem>),
    /// The database cannot be reached now.
    Unavailable,
    Internal(String),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            return EditError::Unavailable;
        }
        EditError::Internal(e.to_string())
    }
}

/// A draft as the builder sees it.
pub struct Draft {
    pub revision: i64,
    pub app: App,
    pub problems: Vec<Problem>,
}

impl Draft {
    fn of(revision: i64, app: App) -> Self {
        let problems = app.problems();
        Draft {
            revision,
            app,
            problems,
        }
    }
}

fn parse_stored(json: &str) -> Result<App, EditError> {
    App::from_json(json).map_err(|e| EditError::Internal(format!("stored draft: {e}")))
}

fn serialise(app: &App) -> Result<String, EditError> {
    app.to_json()
        .map_err(|e| EditError::Internal(format!("serialising a draft: {e}")))
}

async fn stored(store: &dyn Store, slug: &str) -> Result<StoredApp, EditError> {
    store
        .app(slug)
        .await?
        .ok_or_else(|| EditError::NotFound(slug.to_owned()))
}

/// Every app, drafts included, by slug.
pub async fn list(store: &dyn Store) -> Result<Vec<StoredApp>, EditError> {
    Ok(store.list_apps().await?)
}

/// A URL slug from an app's display name: ASCII letters and digits in lower case, words
/// (spaces, punctuation, `camelCase` humps) joined by `-`. "Sales Dashboard" → `sales-dashboard`.
pub fn slug_from_name(name: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            let hump = c.is_ascii_uppercase()
                && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if hump && !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        prev = Some(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The problems of `app.yaml` in a blank app: a bad name or slug.
fn header_problems(app: &App) -> Option<String> {
    let messages: Vec<String> = app
        .problems()
        .into_iter()
        .filter(|p| p.diagnostic.file == "app.yaml")
        .map(|p| p.diagnostic.message)
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// A new app holding one empty page, its home page. The slug is derived from the name when
/// none is given.
pub async fn create(store: &dyn Store, name: &str, slug: Option<&str>) -> Result<Draft, EditError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(EditError::InvalidName("The app needs a name".into()));
    }
    let slug = match slug {
        Some(s) => s.to_owned(),
        None => slug_from_name(name),
    };
    if slug.is_empty() {
        return Err(EditError::InvalidName(
            "No slug can be made from this name: give a slug (lower-case letters, digits and -)"
                .into(),
        ));
    }
    let app = App {
        version: FORMAT_VERSION,
        name: name.to_owned(),
        slug: slug.clone(),
        home_page: FIRST_PAGE.to_owned(),
        auth: None,
        datasources: Vec::new(),
        settings: Default::default(),
        pages: vec![Page {
            name: FIRST_PAGE.to_owned(),
            slug: None,
            hidden: false,
            access: Default::default(),
            on_load: Vec::new(),
            widgets: Vec::new(),
        }],
        queries: Vec::new(),
        js_objects: Vec::new(),
    };
    if let Some(problem) = header_problems(&app) {
        return Err(EditError::InvalidName(problem));
    }
    match store
        .create_app(&slug, &app.name, &serialise(&app)?, now_millis())
        .await
    {
        Ok(()) => Ok(Draft::of(1, app)),
        Err(StoreError::Conflict(_)) => Err(EditError::Exists(slug)),
        Err(e) => Err(e.into()),
    }
}

pub async fn read(store: &dyn Store, slug: &str) -> Result<Draft, EditError> {
    let stored = stored(store, slug).await?;
    Ok(Draft::of(stored.revision, parse_stored(&stored.draft)?))
}

/// Reads what a browser sent as the app model: unknown fields and wrong types are refused
/// with serde's message, as is another format version or another app's slug.
pub fn parse_draft(slug: &str, value: serde_json::Value) -> Result<App, EditError> {
    // serde would also read a struct from an array of its fields: not a shape anyone means.
    if !value.is_object() {
        return Err(EditError::InvalidDraft(
            "`app` must be a JSON object of the app model".into(),
        ));
    }
    let mut app: App =
        serde_json::from_value(value).map_err(|e| EditError::InvalidDraft(e.to_string()))?;
    // An editor opened before the server moved to format 2 still sends version 1: nothing of
    // version 2 is in such a draft (everything is public), so it reads as version 2.
    if app.version == 1 && app.auth.is_none() {
        app.version = FORMAT_VERSION;
    }
    if app.version != FORMAT_VERSION {
        return Err(EditError::InvalidDraft(format!(
            "`version` must be {FORMAT_VERSION}, the app format this server reads"
        )));
    }
    if app.slug != slug {
        return Err(EditError::InvalidDraft(format!(
            "`slug` is {:?} but this is the draft of {slug:?}; an app's slug does not change",
            app.slug
        )));
    }
    Ok(app)
}

async fn write(
    store: &dyn Store,
    app: &App,
    base_revision: i64,
    now: Millis,
) -> Result<i64, EditError> {
    match store
        .write_draft(&app.slug, &app.name, &serialise(app)?, base_revision, now)
        .await?
    {
        DraftWrite::Written { revision } => Ok(revision),
        DraftWrite::Stale(current) => Err(EditError::Conflict(current)),
        DraftWrite::NotFound => Err(EditError::NotFound(app.slug.clone())),
    }
}

/// Saves `app` as the draft if the draft is still at `base_revision`; the new revision and
/// the saved draft's problems.
pub async fn save(
    store: &dyn Store,
    app: App,
    base_revision: i64,
) -> Result<(i64, Vec<Problem>), EditError> {
    let revision = write(store, &app, base_revision, now_millis()).await?;
    Ok((revision, app.problems()))
}

/// Renames an app (its name in the draft too), whatever revision the draft is at.
pub async fn rename(store: &dyn Store, slug: &str, name: &str) -> Result<Draft, EditError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(EditError::InvalidName("The app needs a name".into()));
    }
    let mut last = None;
    for _ in 0..RENAME_ATTEMPTS {
        let current = stored(store, slug).await?;
        let mut app = parse_stored(&current.draft)?;
        app.name = name.to_owned();
        if let Some(problem) = header_problems(&app) {
            return Err(EditError::InvalidName(problem));
        }
        match write(store, &app, current.revision, now_millis()).await {
            Ok(revision) => return Ok(Draft::of(revision, app)),
            Err(EditError::Conflict(now)) => last = Some(now),
            Err(e) => return Err(e),
        }
    }
    Err(match last {
        Some(current) => EditError::Conflict(current),
        None => EditError::NotFound(slug.to_owned()),
    })
}

/// Deletes an app with every version; viewers stop seeing it at once.
pub async fn delete(store: &dyn Store, apps: &PublishedApps, slug: &str) -> Result<(), EditError> {
    let deleted = store.delete_app(slug).await?;
    apps.invalidate(slug);
    if deleted {
        Ok(())
    } else {
        Err(EditError::NotFound(slug.to_owned()))
    }
}

/// A published version.
pub struct Publication {
    pub version: i64,
    pub published_at: Millis,
}

/// Publishes the draft at `revision` if it validates; viewers see it at once.
pub async fn publish(
    store: &dyn Store,
    apps: &PublishedApps,
    slug: &str,
    revision: i64,
    by: &str,
) -> Result<Publication, EditError> {
    let current = stored(store, slug).await?;
    if current.revision != revision {
        return Err(EditError::Conflict(Box::new(current)));
    }
    let problems = parse_stored(&current.draft)?.problems();
    if !problems.is_empty() {
        return Err(EditError::Invalid(problems));
    }
    // The store publishes only if the draft is still the one just validated.
    let outcome = store
        .publish_app(slug, Some(revision), by, now_millis())
        .await?;
    apps.invalidate(slug);
    match outcome {
        Published::Published {
            version,
            published_at,
        } => Ok(Publication {
            version,
            published_at,
        }),
        Published::Stale { .. } => Err(EditError::Conflict(Box::new(stored(store, slug).await?))),
        Published::NotFound => Err(EditError::NotFound(slug.to_owned())),
    }
}

/// The kept published versions, newest first.
pub async fn versions(store: &dyn Store, slug: &str) -> Result<Vec<AppVersion>, EditError> {
    stored(store, slug).await?;
    Ok(store.app_versions(slug).await?)
}

/// Makes a published version the draft again (a new revision), if the draft is still at
/// `revision`.
pub async fn restore(
    store: &dyn Store,
    slug: &str,
    version: i64,
    revision: i64,
) -> Result<Draft, EditError> {
    stored(store, slug).await?;
    let definition = store
        .app_version(slug, version)
        .await?
        .ok_or(EditError::VersionNotFound(version))?;
    let app = parse_stored(&definition)?;
    let revision = write(store, &app, revision, now_millis()).await?;
    Ok(Draft::of(revision, app))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_names_are_kebab_case_ascii() {
        for (name, slug) in [
            ("Sales Dashboard", "sales-dashboard"),
            ("  My   app!! ", "my-app"),
            ("customAuth2", "custom-auth2"),
            ("HR: Leave requests (v2)", "hr-leave-requests-v2"),
            ("Ünïcode only é", "n-code-only"),
            ("日本", ""),
        ] {
            assert_eq!(slug_from_name(name), slug, "{name}");
        }
    }

    #[test]
    fn a_draft_of_format_1_reads_as_2_and_other_versions_are_refused() {
        let draft = |version: u32| {
            serde_json::json!({
                "version": version, "name": "A", "slug": "a", "homePage": "Home",
                "pages": [{ "name": "Home", "widgets": [] }]
            })
        };
        let app = parse_draft("a", draft(1)).unwrap();
        assert_eq!(app.version, FORMAT_VERSION);
        assert!(parse_draft("a", draft(FORMAT_VERSION)).is_ok());
        let refused = parse_draft("a", draft(FORMAT_VERSION + 1));
        assert!(
            matches!(&refused, Err(EditError::InvalidDraft(m)) if m.contains("`version` must be")),
            "{refused:?}"
        );
    }
}
