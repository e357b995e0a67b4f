//! SQLite backend: WAL, foreign keys on, `synchronous = NORMAL` (a committed transaction
//! survives a crash of the process; only a power loss can drop the last ones), migrations
//! embedded in the binary and applied when the store opens.
//!
//! Every write goes to one writer thread that owns the only write connection and commits
//! the writes waiting for it together ([`writer`]); reads use a pool of read-only
//! connections on the caller's thread ([`readers`]). Both use rusqlite with cached prepared
//! statements: a refresh is one hand-off to the writer and back, not one per statement. The
//! migrations still run through sqlx's migrator, which keeps the bookkeeping
//! (`_sqlx_migrations`) of existing databases.

mod readers;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lowkey_core::jwt::{Alg, KeyMaterial};
use lowkey_core::refresh::{decide, Decision, TokenState};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::{LogoutScope, Millis, Secret, Session, User};
use rusqlite::{params, Connection, OptionalExtension, Row};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection as _};
use uuid::Uuid;

use crate::rate::{self, Bucket};
use crate::sql::{APP_COLUMNS, INTEGRITY_CHECKS, PRESENTED};
use crate::{
    AppSession, AppVersion, BuilderAccount, BuilderRole, DraftWrite, NewUser, Published,
    RefreshOutcome, Result, Store, StoreError, StoredApp,
};
use readers::Readers;
use writer::Writer;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a connection waits for a lock held by *another process* (in this one, only the
/// writer writes) before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    writer: Writer,
    readers: Arc<Readers>,
    /// When to forget full rate buckets.
    forgetting: rate::Forgetting,
}

impl SqliteStore {
    /// Opens (creating if needed) `lowkey.db` in `data_dir` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        create_data_dir(data_dir)?;
        let path = data_dir.join("lowkey.db");
        migrate(&path).await?;
        let writer = Writer::start(&path)?;
        Ok(Self {
            writer,
            readers: Arc::new(Readers::new(path)),
            forgetting: rate::Forgetting::default(),
        })
    }
}

/// Creates the data directory if needed and applies the pending migrations of its database
/// (`lowkey migrate`).
pub(crate) async fn migrate_data_dir(data_dir: &Path) -> Result<()> {
    create_data_dir(data_dir)?;
    migrate(&data_dir.join("lowkey.db")).await
}

fn create_data_dir(data_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Backend(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })
}

/// Applies pending migrations on a connection of their own, closed afterwards. This also
/// creates the file and switches it to WAL (which the file remembers).
async fn migrate(path: &Path) -> Result<()> {
    let mut conn = SqliteConnectOptions::from_str("sqlite:")
        .map_err(backend)?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
        .map_err(backend)?;
    MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
    conn.close().await.map_err(backend)
}

/// A connection with the settings every connection needs (they are per connection).
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    let mode: String = conn
        .query_row("pragma journal_mode = wal", [], |r| r.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(backend(format!("the database is in {mode} mode, not WAL")));
    }
    conn.execute_batch("pragma synchronous = normal; pragma foreign_keys = on;")
        .map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps unique-constraint violations to [`StoreError::Conflict`] by constraint, instead of
/// checking before inserting (which races).
fn write_error(e: rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) {
        let msg = e.to_string();
        if msg.contains("users.email") {
            return StoreError::Conflict("user_email_key");
        }
        if msg.contains("refresh_token.token_hash") {
            return StoreError::Conflict("refresh_token_hash_key");
        }
        if msg.contains("builder.email") {
            return StoreError::Conflict("builder_email_key");
        }
        if msg.contains("app.slug") {
            return StoreError::Conflict("app_slug_key");
        }
    }
    backend(e)
}

fn get<T: rusqlite::types::FromSql>(row: &Row<'_>, i: usize) -> Result<T> {
    row.get(i).map_err(backend)
}

fn uuid_at(row: &Row<'_>, i: usize) -> Result<Uuid> {
    let text: String = get(row, i)?;
    Uuid::parse_str(&text).map_err(backend)
}

/// A user from the 12 columns of [`user_columns!`] starting at column `i`.
fn user_at(row: &Row<'_>, i: usize) -> Result<User> {
    let json = |col: usize| -> Result<serde_json::Value> {
        let text: String = get(row, col)?;
        serde_json::from_str(&text).map_err(backend)
    };
    Ok(User {
        id: uuid_at(row, i)?,
        email: get(row, i + 1)?,
        phone: get(row, i + 2)?,
        password_hash: get::<Option<String>>(row, i + 3)?.map(Secret::new),
        role: get(row, i + 4)?,
        email_confirmed_at: get(row, i + 5)?,
        banned_until: get(row, i + 6)?,
        last_sign_in_at: get(row, i + 7)?,
        app_metadata: json(i + 8)?,
        user_metadata: json(i + 9)?,
        created_at: get(row, i + 10)?,
        updated_at: get(row, i + 11)?,
    })
}

/// A session from its 4 columns (id, user_id, created_at, authenticated_at) starting at
/// column `i`.
fn session_at(row: &Row<'_>, i: usize) -> Result<Session> {
    Ok(Session {
        id: uuid_at(row, i)?,
        user_id: uuid_at(row, i + 1)?,
        created_at: get(row, i + 2)?,
        authenticated_at: get(row, i + 3)?,
    })
}

fn app_at(row: &Row<'_>) -> Result<StoredApp> {
    Ok(StoredApp {
        slug: get(row, 0)?,
        name: get(row, 1)?,
        draft: get(row, 2)?,
        draft_updated_at: get(row, 3)?,
        published: get(row, 4)?,
        published_at: get(row, 5)?,
        published_version: get(row, 6)?,
        revision: get(row, 7)?,
    })
}

fn app_in(conn: &Connection, slug: &str) -> Result<Option<StoredApp>> {
    first(
        conn,
        &format!("select {APP_COLUMNS} from app where slug = ?1"),
        [slug],
        app_at,
    )
}

fn builder_at(row: &Row<'_>, i: usize) -> Result<BuilderAccount> {
    let role: String = get(row, i + 3)?;
    Ok(BuilderAccount {
        id: uuid_at(row, i)?,
        email: get(row, i + 1)?,
        password_hash: Secret::new(get::<String>(row, i + 2)?),
        role: BuilderRole::parse(&role)
            .ok_or_else(|| backend(format!("unknown builder role {role}")))?,
        created_at: get(row, i + 4)?,
        updated_at: get(row, i + 5)?,
    })
}

/// The conditional draft write of [`Store::write_draft`], inside the writer's transaction.
fn write_draft_in(
    conn: &Connection,
    slug: &str,
    name: &str,
    definition: &str,
    base_revision: i64,
    now: Millis,
) -> Result<DraftWrite> {
    // The writer runs one write at a time inside BEGIN IMMEDIATE: nothing can change the
    // revision between this update's check and its write.
    let written = conn
        .prepare_cached(
            "update app set name = ?1, draft = ?2, draft_updated_at = ?3, revision = revision + 1 \
             where slug = ?4 and revision = ?5 returning revision",
        )
        .and_then(|mut s| {
            s.query_row(params![name, definition, now, slug, base_revision], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
        })
        .map_err(backend)?;
    if let Some(revision) = written {
        return Ok(DraftWrite::Written { revision });
    }
    Ok(match app_in(conn, slug)? {
        Some(app) => DraftWrite::Stale(Box::new(app)),
        None => DraftWrite::NotFound,
    })
}

/// [`Store::publish_app`] inside the writer's transaction.
fn publish_in(
    conn: &Connection,
    slug: &str,
    expected_revision: Option<i64>,
    by: &str,
    now: Millis,
) -> Result<Published> {
    let Some(app) = app_in(conn, slug)? else {
        return Ok(Published::NotFound);
    };
    if expected_revision.is_some_and(|r| r != app.revision) {
        return Ok(Published::Stale {
            revision: app.revision,
        });
    }
    let version: i64 = conn
        .prepare_cached(
            "update app set published = draft, published_at = ?1, \
             published_version = published_version + 1 where slug = ?2 returning published_version",
        )
        .and_then(|mut s| s.query_row(params![now, slug], |r| r.get(0)))
        .map_err(backend)?;
    run(
        conn,
        "insert into app_version (slug, version, definition, published_at, published_by) \
         values (?1, ?2, ?3, ?4, ?5)",
        params![slug, version, app.draft, now, by],
    )?;
    Ok(Published::Published {
        version,
        published_at: now,
    })
}

/// The first row of a cached statement, mapped; `None` when there is none.
fn first<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(params).map_err(backend)?;
    match rows.next().map_err(backend)? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

/// Every row of a cached statement, mapped.
fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(params).map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Runs a cached statement that returns no rows: the number of rows it changed.
fn run(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(write_error)
}

fn user_by_id(conn: &Connection, id: &str) -> Result<Option<User>> {
    first(
        conn,
        concat!("select ", user_columns!(""), " from users where id = ?1"),
        [id],
        |r| user_at(r, 0),
    )
}

/// One refresh on the write connection, inside the writer's transaction: what
/// [`Store::refresh`] promises, with [`decide`] as the rule.
fn refresh_in(
    conn: &Connection,
    digest: &str,
    new_digest: &str,
    now: Millis,
    reuse_interval_ms: i64,
) -> Result<RefreshOutcome> {
    let found = first(conn, PRESENTED, [digest], |r| {
        let presented = TokenState {
            id: get(r, 0)?,
            parent_id: get(r, 1)?,
            rotated_at: get(r, 2)?,
        };
        let current = match get::<Option<i64>>(r, 3)? {
            Some(id) => Some(TokenState {
                id,
                parent_id: get(r, 4)?,
                rotated_at: None,
            }),
            None => None,
        };
        Ok((presented, current, session_at(r, 5)?, user_at(r, 9)?))
    })?;
    let Some((presented, current, session, user)) = found else {
        return Ok(RefreshOutcome::NotFound);
    };
    let parent = match decide(&presented, current.as_ref(), now, reuse_interval_ms) {
        Decision::Rotate => presented.id,
        Decision::RotateCurrent => match &current {
            Some(c) => c.id,
            None => return Ok(RefreshOutcome::AlreadyUsed),
        },
        Decision::RevokeSession => {
            // Its tokens go with it (foreign key, on delete cascade).
            run(
                conn,
                "delete from session where id = ?1",
                [session.id.to_string()],
            )?;
            return Ok(RefreshOutcome::AlreadyUsed);
        }
    };
    // Only an unrotated token is rotated: the chain cannot branch even if the rule above
    // were wrong.
    let rotated = run(
        conn,
        "update refresh_token set rotated_at = ?1 where id = ?2 and rotated_at is null",
        params![now, parent],
    )?;
    if rotated != 1 {
        return Err(backend("refresh: the token to rotate is not current"));
    }
    run(
        conn,
        "insert into refresh_token (token_hash, session_id, parent_id, created_at) values (?1, ?2, ?3, ?4)",
        params![new_digest, session.id.to_string(), parent, now],
    )?;
    Ok(RefreshOutcome::Rotated {
        session,
        user: Box::new(user),
    })
}

fn admit_in(conn: &Connection, email: &str, now: Millis, throttle: Throttle) -> Result<LoginGate> {
    // The writer runs one write at a time, so no other attempt can read the same count
    // between this read and the write below.
    let record = first(
        conn,
        "select failures, locked_until from login_attempt where email = ?1",
        [email],
        |r| Ok((get::<i64>(r, 0)?, get::<Millis>(r, 1)?)),
    )?;
    let record = record.map(|(n, until)| (u32::try_from(n.max(0)).unwrap_or(u32::MAX), until));
    let gate = throttle.admit(record, now);
    if let LoginGate::Admitted {
        failures,
        locked_until,
    } = gate
    {
        run(
            conn,
            "insert into login_attempt (email, failures, locked_until) values (?1, ?2, ?3) \
             on conflict (email) do update set failures = excluded.failures, locked_until = excluded.locked_until",
            params![email, i64::from(failures), locked_until],
        )?;
    }
    Ok(gate)
}

/// What [`Store::integrity_problems`] checks, on one read snapshot.
fn integrity_in(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    conn.execute_batch("begin").map_err(backend)?;
    let checked = (|| -> Result<()> {
        let quick: String = conn
            .query_row("pragma quick_check", [], |r| r.get(0))
            .map_err(backend)?;
        if quick != "ok" {
            problems.push(format!("quick_check: {quick}"));
        }
        // SQLite does not enforce foreign keys on rows written while they were off.
        let fk = (
            "a foreign key violation",
            "select \"table\" || ' row ' || rowid from pragma_foreign_key_check",
        );
        for (what, sql) in INTEGRITY_CHECKS.into_iter().chain([fk]) {
            for found in all(conn, sql, [], |r| get::<String>(r, 0))? {
                problems.push(format!("{what}: {found}"));
            }
        }
        Ok(())
    })();
    let _ = conn.execute_batch("commit");
    checked.map(|()| problems)
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, new: NewUser, now: Millis) -> Result<User> {
        self.writer
            .write(move |conn| {
                let id = Uuid::new_v4().to_string();
                run(
                    conn,
                    "insert into users (id, email, password_hash, role, email_confirmed_at, app_metadata, user_metadata, created_at, updated_at) \
                     values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                    params![
                        id,
                        new.email,
                        new.password_hash,
                        new.role,
                        new.email_confirmed_at,
                        new.app_metadata.to_string(),
                        new.user_metadata.to_string(),
                        now
                    ],
                )?;
                user_by_id(conn, &id)?.ok_or_else(|| backend("user vanished after insert"))
            })
            .await
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        self.readers.read(|conn| user_by_id(conn, &id.to_string()))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.readers.read(|conn| {
            first(
                conn,
                concat!("select ", user_columns!(""), " from users where email = ?1"),
                [email],
                |r| user_at(r, 0),
            )
        })
    }

    async fn list_users(&self, offset: i64, limit: i64) -> Result<(Vec<User>, i64)> {
        self.readers
            .scan(move |conn| {
                let users = all(
                    conn,
                    concat!(
                        "select ",
                        user_columns!(""),
                        " from users order by created_at, id limit ?1 offset ?2"
                    ),
                    [limit, offset],
                    |r| user_at(r, 0),
                )?;
                let total = conn
                    .query_row("select count(*) from users", [], |r| r.get(0))
                    .map_err(backend)?;
                Ok((users, total))
            })
            .await
    }

    async fn update_user(&self, u: &User, now: Millis) -> Result<()> {
        let u = u.clone();
        self.writer
            .write(move |conn| {
                run(
                    conn,
                    "update users set email = ?1, phone = ?2, password_hash = ?3, role = ?4, email_confirmed_at = ?5, \
                     banned_until = ?6, last_sign_in_at = ?7, app_metadata = ?8, user_metadata = ?9, updated_at = ?10 \
                     where id = ?11",
                    params![
                        u.email,
                        u.phone,
                        u.password_hash.as_ref().map(|h| h.expose().to_string()),
                        u.role,
                        u.email_confirmed_at,
                        u.banned_until,
                        u.last_sign_in_at,
                        u.app_metadata.to_string(),
                        u.user_metadata.to_string(),
                        now,
                        u.id.to_string()
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn delete_user(&self, id: Uuid) -> Result<bool> {
        self.writer
            .write(move |conn| {
                Ok(run(conn, "delete from users where id = ?1", [id.to_string()])? > 0)
            })
            .await
    }

    async fn admit_login_attempt(
        &self,
        email: &str,
        now: Millis,
        throttle: Throttle,
    ) -> Result<LoginGate> {
        let email = email.to_string();
        self.writer
            .write(move |conn| admit_in(conn, &email, now, throttle))
            .await
    }

    async fn clear_login_failures(&self, email: &str) -> Result<()> {
        let email = email.to_string();
        self.writer
            .write(move |conn| {
                run(conn, "delete from login_attempt where email = ?1", [email])?;
                Ok(())
            })
            .await
    }

    async fn create_session(
        &self,
        user_id: Uuid,
        refresh_digest: &str,
        now: Millis,
    ) -> Result<Session> {
        let digest = refresh_digest.to_string();
        self.writer
            .write(move |conn| {
                let id = Uuid::new_v4();
                let (sid, uid) = (id.to_string(), user_id.to_string());
                run(
                    conn,
                    "insert into session (id, user_id, created_at, authenticated_at) values (?1, ?2, ?3, ?3)",
                    params![sid, uid, now],
                )?;
                run(
                    conn,
                    "insert into refresh_token (token_hash, session_id, created_at) values (?1, ?2, ?3)",
                    params![digest, sid, now],
                )?;
                run(
                    conn,
                    "update users set last_sign_in_at = ?1, updated_at = ?1 where id = ?2",
                    params![now, uid],
                )?;
                Ok(Session {
                    id,
                    user_id,
                    created_at: now,
                    authenticated_at: now,
                })
            })
            .await
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>> {
        self.readers.read(|conn| {
            first(
                conn,
                "select id, user_id, created_at, authenticated_at from session where id = ?1",
                [id.to_string()],
                |r| session_at(r, 0),
            )
        })
    }

    async fn refresh(
        &self,
        digest: &str,
        new_digest: &str,
        now: Millis,
        reuse_interval_ms: i64,
    ) -> Result<RefreshOutcome> {
        // The writer runs one write at a time inside its transaction (which holds SQLite's
        // write lock, BEGIN IMMEDIATE), so two refreshes of one token are serialised: the
        // second sees the first one's rotation, even within one batch.
        let (digest, new_digest) = (digest.to_string(), new_digest.to_string());
        self.writer
            .write(move |conn| refresh_in(conn, &digest, &new_digest, now, reuse_interval_ms))
            .await
    }

    async fn end_sessions(
        &self,
        user_id: Uuid,
        scope: LogoutScope,
        current: Option<Uuid>,
    ) -> Result<u64> {
        let user = user_id.to_string();
        let current = current.map(|c| c.to_string()).unwrap_or_default();
        self.writer
            .write(move |conn| {
                let ended = match scope {
                    LogoutScope::Global => {
                        run(conn, "delete from session where user_id = ?1", [user])?
                    }
                    LogoutScope::Local => run(
                        conn,
                        "delete from session where user_id = ?1 and id = ?2",
                        [user, current],
                    )?,
                    LogoutScope::Others => run(
                        conn,
                        "delete from session where user_id = ?1 and id <> ?2",
                        [user, current],
                    )?,
                };
                Ok(ended as u64)
            })
            .await
    }

    async fn signing_keys(&self) -> Result<Vec<KeyMaterial>> {
        self.readers.read(|conn| {
            all(
                conn,
                "select kid, alg, private_pkcs8, created_at, retired_at from signing_key order by created_at",
                [],
                |r| {
                    let alg: String = get(r, 1)?;
                    Ok(KeyMaterial {
                        kid: get(r, 0)?,
                        alg: Alg::parse(&alg)
                            .ok_or_else(|| backend(format!("unknown key algorithm {alg}")))?,
                        private_pkcs8: get(r, 2)?,
                        created_at: get(r, 3)?,
                        retired_at: get(r, 4)?,
                    })
                },
            )
        })
    }

    async fn add_signing_key(&self, key: &KeyMaterial) -> Result<()> {
        let (kid, alg, pkcs8, created_at) = (
            key.kid.clone(),
            key.alg.as_str(),
            key.private_pkcs8.clone(),
            key.created_at,
        );
        self.writer
            .write(move |conn| {
                run(
                    conn,
                    "update signing_key set retired_at = ?1 where retired_at is null",
                    [created_at],
                )?;
                run(
                    conn,
                    "insert into signing_key (kid, alg, private_pkcs8, created_at) values (?1, ?2, ?3, ?4)",
                    params![kid, alg, pkcs8, created_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn create_builder(
        &self,
        email: &str,
        password_hash: &str,
        role: BuilderRole,
        now: Millis,
    ) -> Result<BuilderAccount> {
        let (email, hash) = (email.to_string(), password_hash.to_string());
        self.writer
            .write(move |conn| {
                let id = Uuid::new_v4();
                run(
                    conn,
                    "insert into builder (id, email, password_hash, role, created_at, updated_at) \
                     values (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![id.to_string(), email, hash, role.as_str(), now],
                )?;
                Ok(BuilderAccount {
                    id,
                    email,
                    password_hash: Secret::new(hash),
                    role,
                    created_at: now,
                    updated_at: now,
                })
            })
            .await
    }

    async fn builder_by_email(&self, email: &str) -> Result<Option<BuilderAccount>> {
        self.readers.read(|conn| {
            first(
                conn,
                concat!(
                    "select ",
                    builder_columns!(""),
                    " from builder where email = ?1"
                ),
                [email],
                |r| builder_at(r, 0),
            )
        })
    }

    async fn list_builders(&self) -> Result<Vec<BuilderAccount>> {
        self.readers
            .scan(|conn| {
                all(
                    conn,
                    concat!(
                        "select ",
                        builder_columns!(""),
                        " from builder order by email"
                    ),
                    [],
                    |r| builder_at(r, 0),
                )
            })
            .await
    }

    async fn delete_builder(&self, id: Uuid) -> Result<bool> {
        self.writer
            .write(move |conn| {
                Ok(run(conn, "delete from builder where id = ?1", [id.to_string()])? > 0)
            })
            .await
    }

    async fn create_builder_session(
        &self,
        builder_id: Uuid,
        token_digest: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        let digest = token_digest.to_string();
        self.writer
            .write(move |conn| {
                let id = builder_id.to_string();
                run(
                    conn,
                    "delete from builder_session where builder_id = ?1 and expires_at <= ?2",
                    params![id, now],
                )?;
                run(
                    conn,
                    "insert into builder_session (token_hash, builder_id, created_at, expires_at) \
                     values (?1, ?2, ?3, ?4)",
                    params![digest, id, now, expires_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn builder_session(
        &self,
        token_digest: &str,
        now: Millis,
    ) -> Result<Option<BuilderAccount>> {
        self.readers.read(|conn| {
            first(
                conn,
                concat!(
                    "select ",
                    builder_columns!("b."),
                    " from builder_session s join builder b on b.id = s.builder_id",
                    " where s.token_hash = ?1 and s.expires_at > ?2"
                ),
                params![token_digest, now],
                |r| builder_at(r, 0),
            )
        })
    }

    async fn end_builder_session(&self, token_digest: &str) -> Result<bool> {
        let digest = token_digest.to_string();
        self.writer
            .write(move |conn| {
                Ok(run(
                    conn,
                    "delete from builder_session where token_hash = ?1",
                    [digest],
                )? > 0)
            })
            .await
    }

    async fn end_builder_sessions(&self, builder_id: Uuid) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Ok(run(
                    conn,
                    "delete from builder_session where builder_id = ?1",
                    [builder_id.to_string()],
                )? as u64)
            })
            .await
    }

    async fn create_app_session(&self, token_digest: &str, session: &AppSession) -> Result<()> {
        let digest = token_digest.to_string();
        let s = session.clone();
        self.writer
            .write(move |conn| {
                run(
                    conn,
                    "delete from app_session where slug = ?1 and expires_at <= ?2",
                    params![s.slug, s.created_at],
                )?;
                run(
                    conn,
                    "insert into app_session (token_hash, slug, sealed, access_expires_at, \
                     generation, created_at, expires_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        digest,
                        s.slug,
                        s.sealed,
                        s.access_expires_at,
                        s.generation,
                        s.created_at,
                        s.expires_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn app_session(&self, token_digest: &str, now: Millis) -> Result<Option<AppSession>> {
        self.readers.read(|conn| {
            first(
                conn,
                "select slug, sealed, access_expires_at, generation, created_at, expires_at \
                 from app_session where token_hash = ?1 and expires_at > ?2",
                params![token_digest, now],
                |r| {
                    Ok(AppSession {
                        slug: get(r, 0)?,
                        sealed: get(r, 1)?,
                        access_expires_at: get(r, 2)?,
                        generation: get(r, 3)?,
                        created_at: get(r, 4)?,
                        expires_at: get(r, 5)?,
                    })
                },
            )
        })
    }

    async fn refresh_app_session(
        &self,
        token_digest: &str,
        generation: i64,
        sealed: &[u8],
        access_expires_at: Option<Millis>,
    ) -> Result<bool> {
        let digest = token_digest.to_string();
        let sealed = sealed.to_vec();
        self.writer
            .write(move |conn| {
                Ok(run(
                    conn,
                    "update app_session set sealed = ?1, access_expires_at = ?2, \
                     generation = generation + 1 where token_hash = ?3 and generation = ?4",
                    params![sealed, access_expires_at, digest, generation],
                )? > 0)
            })
            .await
    }

    async fn end_app_session(&self, token_digest: &str) -> Result<bool> {
        let digest = token_digest.to_string();
        self.writer
            .write(move |conn| {
                Ok(run(
                    conn,
                    "delete from app_session where token_hash = ?1",
                    [digest],
                )? > 0)
            })
            .await
    }

    async fn save_app_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<i64> {
        let (slug, name, definition) = (slug.to_string(), name.to_string(), definition.to_string());
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "insert into app (slug, name, draft, draft_updated_at) values (?1, ?2, ?3, ?4) \
                     on conflict (slug) do update set name = excluded.name, draft = excluded.draft, \
                     draft_updated_at = excluded.draft_updated_at, revision = app.revision + 1 \
                     returning revision",
                )
                .and_then(|mut s| s.query_row(params![slug, name, definition, now], |r| r.get(0)))
                .map_err(backend)
            })
            .await
    }

    async fn create_app(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<()> {
        let (slug, name, definition) = (slug.to_string(), name.to_string(), definition.to_string());
        self.writer
            .write(move |conn| {
                run(
                    conn,
                    "insert into app (slug, name, draft, draft_updated_at) values (?1, ?2, ?3, ?4)",
                    params![slug, name, definition, now],
                )?;
                Ok(())
            })
            .await
    }

    async fn write_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        base_revision: i64,
        now: Millis,
    ) -> Result<DraftWrite> {
        let (slug, name, definition) = (slug.to_string(), name.to_string(), definition.to_string());
        self.writer
            .write(move |conn| write_draft_in(conn, &slug, &name, &definition, base_revision, now))
            .await
    }

    async fn publish_app(
        &self,
        slug: &str,
        expected_revision: Option<i64>,
        published_by: &str,
        now: Millis,
    ) -> Result<Published> {
        let (slug, by) = (slug.to_string(), published_by.to_string());
        self.writer
            .write(move |conn| publish_in(conn, &slug, expected_revision, &by, now))
            .await
    }

    async fn delete_app(&self, slug: &str) -> Result<bool> {
        let slug = slug.to_string();
        self.writer
            // Its versions go with it (foreign key, on delete cascade).
            .write(move |conn| Ok(run(conn, "delete from app where slug = ?1", [slug])? > 0))
            .await
    }

    async fn app_versions(&self, slug: &str) -> Result<Vec<AppVersion>> {
        let slug = slug.to_string();
        self.readers
            .scan(move |conn| {
                all(
                    conn,
                    "select version, published_at, published_by from app_version \
                     where slug = ?1 order by version desc",
                    [slug],
                    |r| {
                        Ok(AppVersion {
                            version: get(r, 0)?,
                            published_at: get(r, 1)?,
                            published_by: get(r, 2)?,
                        })
                    },
                )
            })
            .await
    }

    async fn app_version(&self, slug: &str, version: i64) -> Result<Option<String>> {
        self.readers.read(|conn| {
            first(
                conn,
                "select definition from app_version where slug = ?1 and version = ?2",
                params![slug, version],
                |r| get(r, 0),
            )
        })
    }

    async fn app(&self, slug: &str) -> Result<Option<StoredApp>> {
        self.readers.read(|conn| app_in(conn, slug))
    }

    async fn published_version(&self, slug: &str) -> Result<Option<i64>> {
        self.readers.read(|conn| {
            first(
                conn,
                "select published_version from app where slug = ?1",
                [slug],
                |r| get(r, 0),
            )
        })
    }

    async fn list_apps(&self) -> Result<Vec<StoredApp>> {
        self.readers
            .scan(|conn| {
                all(
                    conn,
                    &format!("select {APP_COLUMNS} from app order by slug"),
                    [],
                    app_at,
                )
            })
            .await
    }

    async fn take_rate_token(
        &self,
        bucket: &str,
        capacity: f64,
        refill_per_sec: f64,
        now: Millis,
    ) -> Result<bool> {
        let key = bucket.to_string();
        let forget = self.forgetting.due();
        self.writer
            .write(move |conn| {
                let stored = first(
                    conn,
                    "select tokens, updated_at from rate_bucket where key = ?1",
                    [&key],
                    |r| {
                        Ok(Bucket {
                            tokens: get(r, 0)?,
                            updated_at: get(r, 1)?,
                        })
                    },
                )?;
                let (taken, b) = rate::take(stored, capacity, refill_per_sec, now);
                run(
                    conn,
                    "insert into rate_bucket (key, tokens, updated_at, capacity, refill_per_sec) \
                     values (?1, ?2, ?3, ?4, ?5) on conflict (key) do update set \
                     tokens = excluded.tokens, updated_at = excluded.updated_at, \
                     capacity = excluded.capacity, refill_per_sec = excluded.refill_per_sec",
                    params![key, b.tokens, b.updated_at, capacity, refill_per_sec],
                )?;
                if forget {
                    run(conn, rate::FORGET_FULL, [now])?;
                }
                Ok(taken)
            })
            .await
    }

    fn is_shared(&self) -> bool {
        false
    }

    async fn integrity_problems(&self) -> Result<Vec<String>> {
        self.readers.scan(integrity_in).await
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        let to = to
            .to_str()
            .ok_or_else(|| backend("the backup's path is not UTF-8"))?
            .to_owned();
        // VACUUM INTO reads one snapshot (WAL: writers go on) and writes a compact copy. It
        // needs a connection that may write (the readers' are query-only), and writes nothing
        // to this database.
        let from = self.readers.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let conn = connect(&from)?;
            let done = conn.execute("vacuum into ?1", [&to]).map(|_| ());
            if done.is_err() {
                let _ = std::fs::remove_file(&to);
            }
            done.map_err(backend)
        })
        .await
        .map_err(backend)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written column lists prepare against the schema.
    #[test]
    fn the_joined_statements_match_the_schema() {
        let dir = std::env::temp_dir().join(format!("lowkey-cols-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let conn = Connection::open(dir.join("t.db")).unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0002_builder.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0003_app_session.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0004_users.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0005_rate_bucket.sql"))
            .unwrap();
        conn.prepare(PRESENTED).unwrap();
        conn.prepare(rate::FORGET_FULL).unwrap();
        conn.prepare(&format!("select {APP_COLUMNS} from app"))
            .unwrap();
        conn.prepare(concat!(
            "select ",
            builder_columns!("b."),
            " from builder b"
        ))
        .unwrap();
        conn.prepare(concat!("select ", user_columns!(""), " from users"))
            .unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A database from before builders: its published version becomes the first kept
    /// version, published by "cli"; drafts get revision 1.
    #[test]
    fn the_builder_migration_keeps_the_published_versions_there_were() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
            .unwrap();
        conn.execute_batch(
            "insert into app (slug, name, draft, draft_updated_at, published, published_at, published_version) \
             values ('p', 'P', 'd', 1, 'pub', 2, 3), ('q', 'Q', 'd', 1, null, null, 0)",
        )
        .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0002_builder.sql"))
            .unwrap();
        let rows = all(
            &conn,
            "select slug, version, definition, published_at, published_by from app_version",
            [],
            |r| {
                Ok((
                    get::<String>(r, 0)?,
                    get::<i64>(r, 1)?,
                    get::<String>(r, 2)?,
                    get::<i64>(r, 3)?,
                    get::<String>(r, 4)?,
                ))
            },
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![(
                String::from("p"),
                3,
                String::from("pub"),
                2,
                String::from("cli")
            )]
        );
        let revision: i64 = conn
            .query_row("select revision from app where slug = 'q'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(revision, 1);
    }

    /// The check finds what the store's own methods never leave behind.
    #[tokio::test]
    async fn the_integrity_check_reports_a_second_current_token() {
        let dir = std::env::temp_dir().join(format!("lowkey-check-{}", Uuid::new_v4()));
        let store = SqliteStore::open(&dir).await.unwrap();
        let u = store
            .create_user(
                NewUser {
                    email: "a@b.co".into(),
                    password_hash: None,
                    role: "authenticated".into(),
                    email_confirmed_at: None,
                    app_metadata: serde_json::json!({}),
                    user_metadata: serde_json::json!({}),
                },
                1,
            )
            .await
            .unwrap();
        let s = store.create_session(u.id, "d1", 2).await.unwrap();
        assert_eq!(
            store.integrity_problems().await.unwrap(),
            Vec::<String>::new()
        );
        let conn = connect(&dir.join("lowkey.db")).unwrap();
        run(
            &conn,
            "insert into refresh_token (token_hash, session_id, created_at) values ('d2', ?1, 3)",
            [s.id.to_string()],
        )
        .unwrap();
        let problems = store.integrity_problems().await.unwrap();
        assert!(
            problems[0].starts_with("a session without exactly one current refresh token"),
            "{problems:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
