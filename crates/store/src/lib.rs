//! The only place with SQL: the [`Store`] trait and its SQLite backend.
//!
//! Handlers and the domain talk to `dyn Store`; each backend writes its own SQL so it can use
//! its own locking (`BEGIN IMMEDIATE` on SQLite; a PostgreSQL backend will use
//! `SELECT … FOR UPDATE`). Read-modify-write operations that carry a security rule — refresh
//! token rotation above all — are single methods here, so they are atomic by construction.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use async_trait::async_trait;
use lowkey_core::jwt::KeyMaterial;
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::{LogoutScope, Millis, Session, User};
use uuid::Uuid;

mod sqlite;

pub use sqlite::SqliteStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; carries the constraint's name.
    #[error("conflict on {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

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
    pub published: Option<String>,
    pub published_at: Option<Millis>,
    pub published_version: i64,
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

    // apps
    async fn save_app_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<()>;
    /// Copies the draft to the published version; `None` if the app does not exist.
    async fn publish_app(&self, slug: &str, now: Millis) -> Result<Option<i64>>;
    async fn app(&self, slug: &str) -> Result<Option<StoredApp>>;
    /// The published version number alone (0: never published): a cheap freshness check
    /// for caches of the published definition.
    async fn published_version(&self, slug: &str) -> Result<Option<i64>>;
    async fn list_apps(&self) -> Result<Vec<StoredApp>>;

    // checks
    /// What is wrong with the stored invariants, one line each (empty when sound): a
    /// session without exactly one current refresh token, a branched token chain, a dangling
    /// reference, a damaged file. Reads everything: for tests and operators, not requests.
    async fn integrity_problems(&self) -> Result<Vec<String>>;
}
