//! The only place with SQL: the [`Store`] trait and its two backends, SQLite (one instance,
//! the default) and PostgreSQL (several instances on one database).
//!
//! Handlers and the domain talk to `dyn Store`; each backend writes its own SQL so it can use
//! its own locking (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on PostgreSQL). Read-modify-write operations that carry a security rule — refresh
//! token rotation above all — are single methods here, so they are atomic by construction.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use async_trait::async_trait;
use lowkey_core::jwt::KeyMaterial;
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::{LogoutScope, Millis, Secret, Session, User};
use uuid::Uuid;

#[macro_use]
mod sql;
mod postgres;
mod rate;
mod sqlite;

pub use postgres::{PgOptions, PostgresStore};
pub use sqlite::SqliteStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; carries the constraint's name.
    #[error("conflict on {0}")]
    Conflict(&'static str),
    /// The database cannot be reached now (connection refused or lost, pool exhausted, the
    /// server shutting down): nothing was written, and the same call may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether retrying later may succeed (HTTP: 503 with `Retry-After`).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Where the store is: the SQLite database of a data directory (the default), or a database
/// named by URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location<'a> {
    DataDir(&'a std::path::Path),
    Url(&'a str),
}

/// Opens the store at `location`, applying its backend's migrations (PostgreSQL with
/// [`PgOptions::default`]).
pub async fn open(location: Location<'_>) -> Result<std::sync::Arc<dyn Store>> {
    open_with(location, PgOptions::default()).await
}

/// [`open`], with the pool settings PostgreSQL is opened with (SQLite has none).
pub async fn open_with(location: Location<'_>, pg: PgOptions) -> Result<std::sync::Arc<dyn Store>> {
    match location {
        Location::DataDir(dir) => Ok(std::sync::Arc::new(SqliteStore::open(dir).await?)),
        Location::Url(url) => Ok(std::sync::Arc::new(
            PostgresStore::open(postgres_url(url)?, pg).await?,
        )),
    }
}

/// Applies the pending migrations of the store at `location` and closes it (`lowkey
/// migrate`). Opening a store does the same; this does only that.
pub async fn migrate(location: Location<'_>) -> Result<()> {
    match location {
        Location::DataDir(dir) => sqlite::migrate_data_dir(dir).await,
        Location::Url(url) => postgres::migrate(postgres_url(url)?, &PgOptions::default()).await,
    }
}

fn postgres_url(url: &str) -> Result<&str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        Err(StoreError::Backend(
            "a database URL starts with postgres:// or postgresql://".to_owned(),
        ))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A session mode session: an app's signed-in visitor whose tokens the server keeps, sealed
/// (the store never sees them in the clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSession {
    pub slug: String,
    pub sealed: Vec<u8>,
    pub access_expires_at: Option<Millis>,
    pub generation: i64,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// A user to create.
pub struct NewUser {
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub email_confirmed_at: Option<Millis>,
    pub app_metadata: serde_json::Value,
    pub user_metadata: serde_json::Value,
}

/// The outcome of presenting a refresh token.
pub enum RefreshOutcome {
    /// A new token was issued (its digest was the `new_digest` argument).
    Rotated {
        session: Session,
        user: Box<User>,
    },
    NotFound,
    /// Reuse outside the rules: the session has been revoked.
    AlreadyUsed,
}

/// An app's stored versions (definitions are the app crate's canonical JSON).
#[derive(Debug, Clone)]
pub struct StoredApp {
    pub slug: String,
    pub name: String,
    pub draft: String,
    pub draft_updated_at: Millis,
    /// Goes up by one with every write of the draft (see [`Store::write_draft`]).
    pub revision: i64,
    pub published: Option<String>,
    pub published_at: Option<Millis>,
    pub published_version: i64,
}

/// One kept published version of an app (its definition is read with
/// [`Store::app_version`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppVersion {
    pub version: i64,
    pub published_at: Millis,
    /// The builder's e-mail address, or `cli`.
    pub published_by: String,
}

/// The outcome of a conditional draft write.
#[derive(Debug)]
pub enum DraftWrite {
    /// Written; the draft now has this revision.
    Written {
        revision: i64,
    },
    /// The draft had moved on: nothing was written. The app as it is now.
    Stale(Box<StoredApp>),
    NotFound,
}

/// The outcome of a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    Published {
        version: i64,
        published_at: Millis,
    },
    /// The draft is no longer at the expected revision: nothing was published.
    Stale {
        revision: i64,
    },
    NotFound,
}

/// What a builder may do: an admin will also manage builders; today both edit every app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuilderRole {
    Admin,
    Editor,
}

impl BuilderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            BuilderRole::Admin => "admin",
            BuilderRole::Editor => "editor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(BuilderRole::Admin),
            "editor" => Some(BuilderRole::Editor),
            _ => None,
        }
    }
}

/// Someone who may edit apps at `/edit`. Not a provider user: an app's end users never edit.
#[derive(Debug, Clone)]
pub struct BuilderAccount {
    pub id: Uuid,
    pub email: String,
    pub password_hash: Secret,
    pub role: BuilderRole,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // users
    async fn create_user(&self, user: NewUser, now: Millis) -> Result<User>;
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn list_users(&self, offset: i64, limit: i64) -> Result<(Vec<User>, i64)>;
    /// Writes every mutable field of `user` (password hash, role, confirmation, ban,
    /// metadata, last sign-in) and sets `updated_at`.
    async fn update_user(&self, user: &User, now: Millis) -> Result<()>;
    async fn delete_user(&self, id: Uuid) -> Result<bool>;

    // sign-in throttle
    /// The per-account throttle's gate, in one transaction: applies [`Throttle::admit`] to
    /// the address's record and, unless it is locked, stores the attempt as one more failure
    /// before the password is checked. Check and count are one step, so parallel guesses
    /// cannot all pass the gate before any of them counts.
    async fn admit_login_attempt(
        &self,
        email: &str,
        now: Millis,
        throttle: Throttle,
    ) -> Result<LoginGate>;
    /// Forgets the address's failures (after a correct password).
    async fn clear_login_failures(&self, email: &str) -> Result<()>;

    // sessions and refresh tokens
    /// Creates a session with its first refresh token and records the sign-in time.
    async fn create_session(
        &self,
        user_id: Uuid,
        refresh_digest: &str,
        now: Millis,
    ) -> Result<Session>;
    async fn session(&self, id: Uuid) -> Result<Option<Session>>;
    /// Presents the refresh token with digest `digest`; on success the new token `new_digest`
    /// becomes the session's current one. Applies [`lowkey_core::refresh::decide`] atomically.
    async fn refresh(
        &self,
        digest: &str,
        new_digest: &str,
        now: Millis,
        reuse_interval_ms: i64,
    ) -> Result<RefreshOutcome>;
    async fn end_sessions(
        &self,
        user_id: Uuid,
        scope: LogoutScope,
        current: Option<Uuid>,
    ) -> Result<u64>;

    // signing keys
    async fn signing_keys(&self) -> Result<Vec<KeyMaterial>>;
    /// Adds `key` as the active key; every other active key is retired at `key.created_at`.
    async fn add_signing_key(&self, key: &KeyMaterial) -> Result<()>;

    // builders
    /// Creates a builder; a taken e-mail address is `Conflict("builder_email_key")`.
    async fn create_builder(
        &self,
        email: &str,
        password_hash: &str,
        role: BuilderRole,
        now: Millis,
    ) -> Result<BuilderAccount>;
    async fn builder_by_email(&self, email: &str) -> Result<Option<BuilderAccount>>;
    async fn list_builders(&self) -> Result<Vec<BuilderAccount>>;
    /// Deletes a builder with their sessions.
    async fn delete_builder(&self, id: Uuid) -> Result<bool>;
    /// Stores a session under the digest of its token (and forgets the builder's expired ones).
    async fn create_builder_session(
        &self,
        builder_id: Uuid,
        token_digest: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()>;
    /// The builder of the session with this token digest, if it exists and has not expired
    /// at `now`.
    async fn builder_session(
        &self,
        token_digest: &str,
        now: Millis,
    ) -> Result<Option<BuilderAccount>>;
    async fn end_builder_session(&self, token_digest: &str) -> Result<bool>;
    /// Ends every session of a builder; the number ended.
    async fn end_builder_sessions(&self, builder_id: Uuid) -> Result<u64>;

    // session mode's server-side sessions
    /// Stores an app's session under the digest of its cookie token (and forgets the app's
    /// expired ones).
    async fn create_app_session(&self, token_digest: &str, session: &AppSession) -> Result<()>;
    /// The session with this token digest, if it exists and has not expired at `now`.
    async fn app_session(&self, token_digest: &str, now: Millis) -> Result<Option<AppSession>>;
    /// Replaces a session's tokens after a refresh, only if its generation is still
    /// `generation` (no other refresh replaced them meanwhile); the generation goes up by one.
    /// False when it changed or the session is gone.
    async fn refresh_app_session(
        &self,
        token_digest: &str,
        generation: i64,
        sealed: &[u8],
        access_expires_at: Option<Millis>,
    ) -> Result<bool>;
    /// Ends a session; whether it existed.
    async fn end_app_session(&self, token_digest: &str) -> Result<bool>;

    // apps
    /// Stores `definition` as the draft of `slug`, creating the app if needed (`lowkey app
    /// import`); the draft's revision goes up by one. The new revision.
    async fn save_app_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<i64>;
    /// Creates an app with its first draft (revision 1); a taken slug is
    /// `Conflict("app_slug_key")`.
    async fn create_app(&self, slug: &str, name: &str, definition: &str, now: Millis)
        -> Result<()>;
    /// Writes the draft only if its revision is still `base_revision` (check and write are
    /// one step, so of two writers with the same base exactly one wins); the revision goes
    /// up by one.
    async fn write_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        base_revision: i64,
        now: Millis,
    ) -> Result<DraftWrite>;
    /// Copies the draft to a new published version, kept with who published it. With
    /// `expected_revision`, only if the draft is still at that revision (the one that was
    /// validated).
    async fn publish_app(
        &self,
        slug: &str,
        expected_revision: Option<i64>,
        published_by: &str,
        now: Millis,
    ) -> Result<Published>;
    /// Deletes an app with every version.
    async fn delete_app(&self, slug: &str) -> Result<bool>;
    /// The kept published versions, newest first.
    async fn app_versions(&self, slug: &str) -> Result<Vec<AppVersion>>;
    /// The definition of one published version.
    async fn app_version(&self, slug: &str, version: i64) -> Result<Option<String>>;
    async fn app(&self, slug: &str) -> Result<Option<StoredApp>>;
    /// The published version number alone (0: never published): a cheap freshness check
    /// for caches of the published definition.
    async fn published_version(&self, slug: &str) -> Result<Option<i64>>;
    async fn list_apps(&self) -> Result<Vec<StoredApp>>;

    // rate limits
    /// Takes one token from the token bucket `bucket` (created full), which holds up to
    /// `capacity` tokens and gains `refill_per_sec` each second: whether one was there. Read
    /// and write are one atomic step, so instances sharing the store share the bucket. Full
    /// buckets are forgotten now and then (a missing bucket is a full one).
    async fn take_rate_token(
        &self,
        bucket: &str,
        capacity: f64,
        refill_per_sec: f64,
        now: Millis,
    ) -> Result<bool>;
    /// Whether several instances may share this store (PostgreSQL), so that limits kept in
    /// one process's memory would not hold across them. SQLite: false (one process).
    fn is_shared(&self) -> bool;

    // checks
    /// What is wrong with the stored invariants, one line each (empty when sound): a
    /// session without exactly one current refresh token, a branched token chain, a dangling
    /// reference, a damaged file. Reads everything: for tests and operators, not requests.
    async fn integrity_problems(&self) -> Result<Vec<String>>;

    /// Writes a consistent copy of the whole database to the new file `to`, while the store
    /// is in use (`lowkey backup`). SQLite only: PostgreSQL is backed up with its own tools
    /// (`pg_dump`, continuous archiving), which this refuses to pretend to be.
    async fn backup(&self, to: &std::path::Path) -> Result<()>;
}
