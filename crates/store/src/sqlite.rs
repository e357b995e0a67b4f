//! SQLite backend: WAL, foreign keys on, `synchronous = NORMAL` (a committed transaction
//! survives a crash of the process; only a power loss can drop the last ones), migrations
//! embedded in the binary and applied when the store opens.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use lowkey_core::jwt::{Alg, KeyMaterial};
use lowkey_core::refresh::{decide, Decision, TokenState};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::{LogoutScope, Millis, Secret, Session, User};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use crate::{NewUser, RefreshOutcome, Result, Store, StoreError, StoredApp};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) `lowkey.db` in `data_dir` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(backend)?
            .filename(data_dir.join("lowkey.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(Self { pool })
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps unique-constraint violations to [`StoreError::Conflict`] by constraint, instead of
/// checking before inserting (which races).
fn write_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let msg = db.message();
        if msg.contains("user.email") {
            return StoreError::Conflict("user_email_key");
        }
        if msg.contains("refresh_token.token_hash") {
            return StoreError::Conflict("refresh_token_hash_key");
        }
    }
    backend(e)
}

const USER_COLUMNS: &str =
    "id, email, phone, password_hash, role, email_confirmed_at, banned_until, \
     last_sign_in_at, app_metadata, user_metadata, created_at, updated_at";

fn user_from_row(row: &SqliteRow) -> Result<User> {
    let id: String = row.try_get("id").map_err(backend)?;
    let json = |col: &str| -> Result<serde_json::Value> {
        let text: String = row.try_get(col).map_err(backend)?;
        serde_json::from_str(&text).map_err(backend)
    };
    Ok(User {
        id: Uuid::parse_str(&id).map_err(backend)?,
        email: row.try_get("email").map_err(backend)?,
        phone: row.try_get("phone").map_err(backend)?,
        password_hash: row
            .try_get::<Option<String>, _>("password_hash")
            .map_err(backend)?
            .map(Secret::new),
        role: row.try_get("role").map_err(backend)?,
        email_confirmed_at: row.try_get("email_confirmed_at").map_err(backend)?,
        banned_until: row.try_get("banned_until").map_err(backend)?,
        last_sign_in_at: row.try_get("last_sign_in_at").map_err(backend)?,
        app_metadata: json("app_metadata")?,
        user_metadata: json("user_metadata")?,
        created_at: row.try_get("created_at").map_err(backend)?,
        updated_at: row.try_get("updated_at").map_err(backend)?,
    })
}

fn session_from_row(row: &SqliteRow) -> Result<Session> {
    let id: String = row.try_get("id").map_err(backend)?;
    let user_id: String = row.try_get("user_id").map_err(backend)?;
    Ok(Session {
        id: Uuid::parse_str(&id).map_err(backend)?,
        user_id: Uuid::parse_str(&user_id).map_err(backend)?,
        created_at: row.try_get("created_at").map_err(backend)?,
        authenticated_at: row.try_get("authenticated_at").map_err(backend)?,
    })
}

fn app_from_row(row: &SqliteRow) -> Result<StoredApp> {
    Ok(StoredApp {
        slug: row.try_get("slug").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        draft: row.try_get("draft").map_err(backend)?,
        draft_updated_at: row.try_get("draft_updated_at").map_err(backend)?,
        published: row.try_get("published").map_err(backend)?,
        published_at: row.try_get("published_at").map_err(backend)?,
        published_version: row.try_get("published_version").map_err(backend)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, new: NewUser, now: Millis) -> Result<User> {
        let id = Uuid::new_v4();
        sqlx::query(
            "insert into user (id, email, password_hash, role, email_confirmed_at, app_metadata, user_metadata, created_at, updated_at) \
             values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(&new.role)
        .bind(new.email_confirmed_at)
        .bind(new.app_metadata.to_string())
        .bind(new.user_metadata.to_string())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        self.user_by_id(id)
            .await?
            .ok_or_else(|| backend("user vanished after insert"))
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        let row = sqlx::query(&format!("select {USER_COLUMNS} from user where id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!("select {USER_COLUMNS} from user where email = ?"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self, offset: i64, limit: i64) -> Result<(Vec<User>, i64)> {
        let rows = sqlx::query(&format!(
            "select {USER_COLUMNS} from user order by created_at, id limit ? offset ?"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let total: i64 = sqlx::query_scalar("select count(*) from user")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok((
            rows.iter().map(user_from_row).collect::<Result<_>>()?,
            total,
        ))
    }

    async fn update_user(&self, u: &User, now: Millis) -> Result<()> {
        sqlx::query(
            "update user set email = ?, phone = ?, password_hash = ?, role = ?, email_confirmed_at = ?, banned_until = ?, \
             last_sign_in_at = ?, app_metadata = ?, user_metadata = ?, updated_at = ? where id = ?",
        )
        .bind(&u.email)
        .bind(&u.phone)
        .bind(u.password_hash.as_ref().map(|h| h.expose().to_string()))
        .bind(&u.role)
        .bind(u.email_confirmed_at)
        .bind(u.banned_until)
        .bind(u.last_sign_in_at)
        .bind(u.app_metadata.to_string())
        .bind(u.user_metadata.to_string())
        .bind(now)
        .bind(u.id.to_string())
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn delete_user(&self, id: Uuid) -> Result<bool> {
        let done = sqlx::query("delete from user where id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn admit_login_attempt(
        &self,
        email: &str,
        now: Millis,
        throttle: Throttle,
    ) -> Result<LoginGate> {
        // BEGIN IMMEDIATE takes the write lock before the read, so two attempts on one
        // address cannot both read the same count.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let record: Option<(i64, Millis)> =
            sqlx::query_as("select failures, locked_until from login_attempt where email = ?")
                .bind(email)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let record = record.map(|(n, until)| (u32::try_from(n.max(0)).unwrap_or(u32::MAX), until));
        let gate = throttle.admit(record, now);
        if let LoginGate::Admitted {
            failures,
            locked_until,
        } = gate
        {
            sqlx::query(
                "insert into login_attempt (email, failures, locked_until) values (?, ?, ?) \
                 on conflict (email) do update set failures = excluded.failures, locked_until = excluded.locked_until",
            )
            .bind(email)
            .bind(i64::from(failures))
            .bind(locked_until)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(gate)
    }

    async fn clear_login_failures(&self, email: &str) -> Result<()> {
        sqlx::query("delete from login_attempt where email = ?")
            .bind(email)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_session(
        &self,
        user_id: Uuid,
        refresh_digest: &str,
        now: Millis,
    ) -> Result<Session> {
        let id = Uuid::new_v4();
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        sqlx::query(
            "insert into session (id, user_id, created_at, authenticated_at) values (?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
        sqlx::query(
            "insert into refresh_token (token_hash, session_id, created_at) values (?, ?, ?)",
        )
        .bind(refresh_digest)
        .bind(id.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
        sqlx::query("update user set last_sign_in_at = ?, updated_at = ? where id = ?")
            .bind(now)
            .bind(now)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Session {
            id,
            user_id,
            created_at: now,
            authenticated_at: now,
        })
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>> {
        let row = sqlx::query(
            "select id, user_id, created_at, authenticated_at from session where id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn refresh(
        &self,
        digest: &str,
        new_digest: &str,
        now: Millis,
        reuse_interval_ms: i64,
    ) -> Result<RefreshOutcome> {
        // BEGIN IMMEDIATE takes the write lock up front, so two concurrent refreshes of one
        // token are serialised: the second sees the first one's rotation.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let presented = sqlx::query(
            "select id, session_id, parent_id, rotated_at from refresh_token where token_hash = ?",
        )
        .bind(digest)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(presented) = presented else {
            return Ok(RefreshOutcome::NotFound);
        };
        let session_id: String = presented.try_get("session_id").map_err(backend)?;
        let presented = TokenState {
            id: presented.try_get("id").map_err(backend)?,
            parent_id: presented.try_get("parent_id").map_err(backend)?,
            rotated_at: presented.try_get("rotated_at").map_err(backend)?,
        };
        let current = sqlx::query(
            "select id, parent_id from refresh_token where session_id = ? and rotated_at is null order by id desc limit 1",
        )
        .bind(&session_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .map(|row| -> Result<TokenState> {
            Ok(TokenState { id: row.try_get("id").map_err(backend)?, parent_id: row.try_get("parent_id").map_err(backend)?, rotated_at: None })
        })
        .transpose()?;
        let parent = match decide(&presented, current.as_ref(), now, reuse_interval_ms) {
            Decision::Rotate => presented.id,
            Decision::RotateCurrent => match &current {
                Some(c) => c.id,
                None => return Ok(RefreshOutcome::AlreadyUsed),
            },
            Decision::RevokeSession => {
                sqlx::query("delete from session where id = ?")
                    .bind(&session_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                return Ok(RefreshOutcome::AlreadyUsed);
            }
        };
        sqlx::query("update refresh_token set rotated_at = ? where id = ?")
            .bind(now)
            .bind(parent)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("insert into refresh_token (token_hash, session_id, parent_id, created_at) values (?, ?, ?, ?)")
            .bind(new_digest)
            .bind(&session_id)
            .bind(parent)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(write_error)?;
        let session_row = sqlx::query(
            "select id, user_id, created_at, authenticated_at from session where id = ?",
        )
        .bind(&session_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let session = session_from_row(&session_row)?;
        let user_row = sqlx::query(&format!("select {USER_COLUMNS} from user where id = ?"))
            .bind(session.user_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let user = user_from_row(&user_row)?;
        tx.commit().await.map_err(backend)?;
        Ok(RefreshOutcome::Rotated {
            session,
            user: Box::new(user),
        })
    }

    async fn end_sessions(
        &self,
        user_id: Uuid,
        scope: LogoutScope,
        current: Option<Uuid>,
    ) -> Result<u64> {
        let user = user_id.to_string();
        let current = current.map(|c| c.to_string()).unwrap_or_default();
        let query = match scope {
            LogoutScope::Global => sqlx::query("delete from session where user_id = ?").bind(user),
            LogoutScope::Local => sqlx::query("delete from session where user_id = ? and id = ?")
                .bind(user)
                .bind(current),
            LogoutScope::Others => sqlx::query("delete from session where user_id = ? and id <> ?")
                .bind(user)
                .bind(current),
        };
        let done = query.execute(&self.pool).await.map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn signing_keys(&self) -> Result<Vec<KeyMaterial>> {
        let rows = sqlx::query("select kid, alg, private_pkcs8, created_at, retired_at from signing_key order by created_at")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let alg: String = row.try_get("alg").map_err(backend)?;
                Ok(KeyMaterial {
                    kid: row.try_get("kid").map_err(backend)?,
                    alg: Alg::parse(&alg)
                        .ok_or_else(|| backend(format!("unknown key algorithm {alg}")))?,
                    private_pkcs8: row.try_get("private_pkcs8").map_err(backend)?,
                    created_at: row.try_get("created_at").map_err(backend)?,
                    retired_at: row.try_get("retired_at").map_err(backend)?,
                })
            })
            .collect()
    }

    async fn add_signing_key(&self, key: &KeyMaterial) -> Result<()> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        sqlx::query("update signing_key set retired_at = ? where retired_at is null")
            .bind(key.created_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "insert into signing_key (kid, alg, private_pkcs8, created_at) values (?, ?, ?, ?)",
        )
        .bind(&key.kid)
        .bind(key.alg.as_str())
        .bind(&key.private_pkcs8)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
        tx.commit().await.map_err(backend)
    }

    async fn save_app_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<()> {
        sqlx::query(
            "insert into app (slug, name, draft, draft_updated_at) values (?, ?, ?, ?) \
             on conflict (slug) do update set name = excluded.name, draft = excluded.draft, draft_updated_at = excluded.draft_updated_at",
        )
        .bind(slug)
        .bind(name)
        .bind(definition)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn publish_app(&self, slug: &str, now: Millis) -> Result<Option<i64>> {
        sqlx::query_scalar(
            "update app set published = draft, published_at = ?, published_version = published_version + 1 \
             where slug = ? returning published_version",
        )
        .bind(now)
        .bind(slug)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn app(&self, slug: &str) -> Result<Option<StoredApp>> {
        let row = sqlx::query("select * from app where slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(app_from_row).transpose()
    }

    async fn published_version(&self, slug: &str) -> Result<Option<i64>> {
        sqlx::query_scalar("select published_version from app where slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn list_apps(&self) -> Result<Vec<StoredApp>> {
        let rows = sqlx::query("select * from app order by slug")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(app_from_row).collect()
    }
}
