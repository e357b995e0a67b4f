//! PostgreSQL backend: several `lowkey serve` instances on one database, so every rule the
//! SQLite backend keeps by having a single writer is kept here by PostgreSQL's locks.
//!
//! - Operations that read, decide and write (a refresh, a sign-in attempt, a publish, a rate
//!   token) run in one transaction that first locks the row the decision is about: `SELECT …
//!   FOR UPDATE` on the session, `INSERT … ON CONFLICT … DO UPDATE` (which locks the row it
//!   finds, or creates it) on a throttle or a bucket. Under READ COMMITTED each statement after
//!   the lock sees what the previous holder committed, so two instances cannot both decide on
//!   the same state.
//! - Compare-and-set writes (a draft at a revision, an app session at a generation) are single
//!   `UPDATE … WHERE revision = $n` statements: PostgreSQL re-checks the condition on the
//!   newest row version after waiting for a concurrent writer, so exactly one wins.
//! - Unique violations become [`StoreError::Conflict`] by the constraint name the database
//!   reports; connection failures become [`StoreError::Unavailable`] ([`error`]).
//! - Migrations are embedded and applied at open on a connection of their own, under sqlx's
//!   advisory lock, so instances starting together migrate once.
//!
//! [`StoreError::Conflict`]: crate::StoreError::Conflict
//! [`StoreError::Unavailable`]: crate::StoreError::Unavailable

#[macro_use]
mod error;
mod rows;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use lowkey_core::jwt::{Alg, KeyMaterial};
use lowkey_core::refresh::{decide, Decision, TokenState};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::{LogoutScope, Millis, Secret, Session, User};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection as _, Row};
use uuid::Uuid;

use crate::rate;
use crate::sql::{APP_COLUMNS, INTEGRITY_CHECKS, PRESENTED};
use crate::{
    AppSession, AppVersion, BuilderAccount, BuilderRole, DraftWrite, NewUser, Published,
    RefreshOutcome, Result, Store, StoreError, StoredApp,
};
use error::{pg_error, Fail};
use rows::{app_at, app_session_at, builder_at, session_at, user_at, Sql};

/// [`rate::take`] in one statement: the bucket's available tokens (full when it has no row),
/// one taken when there is one, the bucket written back; whether one was taken.
const RATE_TAKE: &str = "\
with old as (\
    select tokens, updated_at from rate_bucket where key = $1 for update\
), calc as (\
    select least($2, coalesce(\
        (select tokens + greatest($3 - updated_at, 0) * $4 / 1000.0 from old), $2)) as available,\
        greatest(coalesce((select updated_at from old), $3), $3) as at\
), created as (\
    insert into rate_bucket (key, tokens, updated_at, capacity, refill_per_sec) \
    select $1, case when available >= 1 then available - 1 else available end, at, $2, $4 \
    from calc where not exists (select 1 from old) \
    on conflict (key) do nothing \
    returning 1 as done\
), updated as (\
    update rate_bucket set \
        tokens = case when calc.available >= 1 then calc.available - 1 else calc.available end, \
        updated_at = calc.at, capacity = $2, refill_per_sec = $4 \
    from calc where key = $1 and exists (select 1 from old) \
    returning 1 as done\
) \
select calc.available >= 1 from calc, (select done from created union all select done from updated) w";

/// How an instance uses its database.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections this instance keeps at most. Each instance has its own pool: their sum
    /// must stay below the server's `max_connections` (100 unless configured), with room
    /// left for operators and migrations.
    pub max_connections: u32,
    /// How long a call waits for a connection — a free one of the pool, or a new one when
    /// the database is far or down — before it fails with `Unavailable`. Also bounds the
    /// connection that applies migrations at open.
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

pub struct PostgresStore {
    pool: PgPool,
    /// When to forget full rate buckets.
    forgetting: rate::Forgetting,
}

/// The migrations, applied under sqlx's advisory lock (`pg_advisory_lock` on a key derived
/// from the database's name, taken before the bookkeeping table is even created). Migrations
/// this binary does not know are tolerated: during a rolling upgrade an older instance starts
/// on a schema a newer one has already moved on (migrations are written so that it can).
fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

fn connect_options(url: &str) -> Result<PgConnectOptions> {
    // The parser's message names what is wrong, never the URL (which may hold a password).
    Ok(PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?
        .application_name("lowkey"))
}

/// Applies pending migrations on a connection of its own, closed afterwards: the advisory
/// lock belongs to the connection's session, so even a migration that fails half-way cannot
/// leave it held by a connection that lives on in a pool.
pub(crate) async fn migrate(url: &str, options: &PgOptions) -> Result<()> {
    let connect = connect_options(url)?;
    let mut conn = tokio::time::timeout(options.acquire_timeout, connect.connect())
        .await
        .map_err(|_| StoreError::Unavailable("connecting to PostgreSQL timed out".to_owned()))?
        .map_err(pg_error)?;
    // `run_direct`, not `run`: `run` goes through `Acquire`, whose lifetimes make the
    // future not `Send` for every caller (a known sqlx limitation), so it could not be
    // spawned.
    let applied = migrator().run_direct(&mut conn).await;
    let _ = conn.close().await;
    applied.map_err(|e| match e {
        MigrateError::Execute(e) => pg_error(e),
        e => StoreError::Backend(format!("migration failed: {e}")),
    })
}

impl PostgresStore {
    /// Connects to the database at `url` and applies pending migrations.
    pub async fn open(url: &str, options: PgOptions) -> Result<Self> {
        migrate(url, &options).await?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            // A connection is checked before use (a ping), so connections broken by a restart
            // of PostgreSQL are replaced instead of failing a request each.
            .test_before_acquire(true)
            .connect_with(connect_options(url)?)
            .await
            .map_err(pg_error)?;
        Ok(Self {
            pool,
            forgetting: rate::Forgetting::default(),
        })
    }

    /// Closes the pool's connections (waiting for those in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The statement that reads an app with [`app_at`]'s columns.
fn app_query() -> String {
    format!("select {APP_COLUMNS} from app where slug = $1")
}

async fn app_in(conn: &mut PgConnection, slug: &str) -> Sql<Option<StoredApp>> {
    sqlx::query(&app_query())
        .bind(slug)
        .fetch_optional(conn)
        .await?
        .map(|r| app_at(&r))
        .transpose()
}

/// [`Store::refresh`] inside a transaction: what SQLite's single writer guarantees, here by
/// the lock on the session row.
async fn refresh_in(
    conn: &mut PgConnection,
    digest: &str,
    new_digest: &str,
    now: Millis,
    reuse_interval_ms: i64,
) -> std::result::Result<RefreshOutcome, Fail> {
    // Every refresh of a session, on any instance, queues here. A session revoked meanwhile
    // is gone when the lock is granted: no row, not found.
    let locked = sqlx::query(
        "select id from session where id = \
         (select session_id from refresh_token where token_hash = $1) for update",
    )
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?;
    if locked.is_none() {
        return Ok(RefreshOutcome::NotFound);
    }
    // A statement after the lock: it sees the rotations of every refresh that held it before.
    let Some(row) = sqlx::query(PRESENTED)
        .bind(digest)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(RefreshOutcome::NotFound);
    };
    let presented = TokenState {
        id: row.try_get(0)?,
        parent_id: row.try_get(1)?,
        rotated_at: row.try_get(2)?,
    };
    let current = match row.try_get::<Option<i64>, _>(3)? {
        Some(id) => Some(TokenState {
            id,
            parent_id: row.try_get(4)?,
            rotated_at: None,
        }),
        None => None,
    };
    let session = session_at(&row, 5)?;
    let user = user_at(&row, 9)?;
    let parent = match decide(&presented, current.as_ref(), now, reuse_interval_ms) {
        Decision::Rotate => presented.id,
        Decision::RotateCurrent => match &current {
            Some(c) => c.id,
            None => return Ok(RefreshOutcome::AlreadyUsed),
        },
        Decision::RevokeSession => {
            // Its tokens go with it (foreign key, on delete cascade).
            sqlx::query("delete from session where id = $1")
                .bind(session.id.to_string())
                .execute(&mut *conn)
                .await?;
            return Ok(RefreshOutcome::AlreadyUsed);
        }
    };
    // Only an unrotated token is rotated: the chain cannot branch even if the rule above
    // were wrong (and the unique indexes on the current token and on the parent refuse it).
    let rotated = sqlx::query(
        "update refresh_token set rotated_at = $1 where id = $2 and rotated_at is null",
    )
    .bind(now)
    .bind(parent)
    .execute(&mut *conn)
    .await?;
    if rotated.rows_affected() != 1 {
        return Err(Fail::Store(StoreError::Backend(
            "refresh: the token to rotate is not current".to_owned(),
        )));
    }
    sqlx::query(
        "insert into refresh_token (token_hash, session_id, parent_id, created_at) \
         values ($1, $2, $3, $4)",
    )
    .bind(new_digest)
    .bind(session.id.to_string())
    .bind(parent)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(RefreshOutcome::Rotated {
        session,
        user: Box::new(user),
    })
}

/// [`Store::publish_app`] inside a transaction, with the app's row locked.
async fn publish_in(
    conn: &mut PgConnection,
    slug: &str,
    expected_revision: Option<i64>,
    by: &str,
    now: Millis,
) -> Sql<Published> {
    let Some(row) = sqlx::query(&format!("{} for update", app_query()))
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(Published::NotFound);
    };
    let app = app_at(&row)?;
    if expected_revision.is_some_and(|r| r != app.revision) {
        return Ok(Published::Stale {
            revision: app.revision,
        });
    }
    let version: i64 = sqlx::query_scalar(
        "update app set published = draft, published_at = $1, \
         published_version = published_version + 1 where slug = $2 returning published_version",
    )
    .bind(now)
    .bind(slug)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into app_version (slug, version, definition, published_at, published_by) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(slug)
    .bind(version)
    .bind(&app.draft)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(Published::Published {
        version,
        published_at: now,
    })
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_user(&self, new: NewUser, now: Millis) -> Result<User> {
        let id = Uuid::new_v4().to_string();
        let (app_metadata, user_metadata) =
            (new.app_metadata.to_string(), new.user_metadata.to_string());
        retrying! {
            let row = sqlx::query(concat!(
                "insert into users (id, email, password_hash, role, email_confirmed_at, \
                 app_metadata, user_metadata, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning ",
                user_columns!("")
            ))
            .bind(&id)
            .bind(&new.email)
            .bind(&new.password_hash)
            .bind(&new.role)
            .bind(new.email_confirmed_at)
            .bind(&app_metadata)
            .bind(&user_metadata)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
            Ok(user_at(&row, 0)?)
        }
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        sqlx::query(concat!(
            "select ",
            user_columns!(""),
            " from users where id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .and_then(|r| r.map(|r| user_at(&r, 0)).transpose())
        .map_err(pg_error)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        sqlx::query(concat!(
            "select ",
            user_columns!(""),
            " from users where email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .and_then(|r| r.map(|r| user_at(&r, 0)).transpose())
        .map_err(pg_error)
    }

    async fn list_users(&self, offset: i64, limit: i64) -> Result<(Vec<User>, i64)> {
        let rows = sqlx::query(concat!(
            "select ",
            user_columns!(""),
            " from users order by created_at, id limit $1 offset $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        let users = rows
            .iter()
            .map(|r| user_at(r, 0))
            .collect::<Sql<Vec<_>>>()
            .map_err(pg_error)?;
        let total: i64 = sqlx::query_scalar("select count(*) from users")
            .fetch_one(&self.pool)
            .await
            .map_err(pg_error)?;
        Ok((users, total))
    }

    async fn update_user(&self, u: &User, now: Millis) -> Result<()> {
        let hash = u.password_hash.as_ref().map(|h| h.expose().to_string());
        let (app_metadata, user_metadata) =
            (u.app_metadata.to_string(), u.user_metadata.to_string());
        retrying! {
            sqlx::query(
                "update users set email = $1, phone = $2, password_hash = $3, role = $4, \
                 email_confirmed_at = $5, banned_until = $6, last_sign_in_at = $7, \
                 app_metadata = $8, user_metadata = $9, updated_at = $10 where id = $11",
            )
            .bind(&u.email)
            .bind(&u.phone)
            .bind(&hash)
            .bind(&u.role)
            .bind(u.email_confirmed_at)
            .bind(u.banned_until)
            .bind(u.last_sign_in_at)
            .bind(&app_metadata)
            .bind(&user_metadata)
            .bind(now)
            .bind(u.id.to_string())
            .execute(&self.pool)
            .await?;
            Ok(())
        }
    }

    async fn delete_user(&self, id: Uuid) -> Result<bool> {
        retrying! {
            let done = sqlx::query("delete from users where id = $1")
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    async fn admit_login_attempt(
        &self,
        email: &str,
        now: Millis,
        throttle: Throttle,
    ) -> Result<LoginGate> {
        retrying! {
            let mut tx = self.pool.begin().await?;
            // Creates the record if needed and locks it either way: every attempt on this
            // address, on any instance, waits here until the one before it has counted.
            // A new record (0 failures, not locked) reads like no record.
            let (failures, locked_until): (i64, Millis) = sqlx::query_as(
                "insert into login_attempt (email, failures, locked_until) values ($1, 0, 0) \
                 on conflict (email) do update set failures = login_attempt.failures \
                 returning failures, locked_until",
            )
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
            let record = (u32::try_from(failures.max(0)).unwrap_or(u32::MAX), locked_until);
            let gate = throttle.admit(Some(record), now);
            if let LoginGate::Admitted { failures, locked_until } = gate {
                sqlx::query(
                    "update login_attempt set failures = $1, locked_until = $2 where email = $3",
                )
                .bind(i64::from(failures))
                .bind(locked_until)
                .bind(email)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(gate)
        }
    }

    async fn clear_login_failures(&self, email: &str) -> Result<()> {
        retrying! {
            sqlx::query("delete from login_attempt where email = $1")
                .bind(email)
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }

    async fn create_session(
        &self,
        user_id: Uuid,
        refresh_digest: &str,
        now: Millis,
    ) -> Result<Session> {
        let id = Uuid::new_v4();
        let (sid, uid) = (id.to_string(), user_id.to_string());
        retrying! {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "insert into session (id, user_id, created_at, authenticated_at) \
                 values ($1, $2, $3, $3)",
            )
            .bind(&sid)
            .bind(&uid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "insert into refresh_token (token_hash, session_id, created_at) values ($1, $2, $3)",
            )
            .bind(refresh_digest)
            .bind(&sid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("update users set last_sign_in_at = $1, updated_at = $1 where id = $2")
                .bind(now)
                .bind(&uid)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Session {
                id,
                user_id,
                created_at: now,
                authenticated_at: now,
            })
        }
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>> {
        sqlx::query("select id, user_id, created_at, authenticated_at from session where id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .and_then(|r| r.map(|r| session_at(&r, 0)).transpose())
            .map_err(pg_error)
    }

    async fn refresh(
        &self,
        digest: &str,
        new_digest: &str,
        now: Millis,
        reuse_interval_ms: i64,
    ) -> Result<RefreshOutcome> {
        retrying! {
            let mut tx = self.pool.begin().await?;
            let outcome = refresh_in(&mut tx, digest, new_digest, now, reuse_interval_ms).await?;
            tx.commit().await?;
            Ok(outcome)
        }
    }

    async fn end_sessions(
        &self,
        user_id: Uuid,
        scope: LogoutScope,
        current: Option<Uuid>,
    ) -> Result<u64> {
        let user = user_id.to_string();
        let current = current.map(|c| c.to_string()).unwrap_or_default();
        let sql = match scope {
            LogoutScope::Global => "delete from session where user_id = $1",
            LogoutScope::Local => "delete from session where user_id = $1 and id = $2",
            LogoutScope::Others => "delete from session where user_id = $1 and id <> $2",
        };
        retrying! {
            let mut query = sqlx::query(sql).bind(&user);
            if scope != LogoutScope::Global {
                query = query.bind(&current);
            }
            Ok(query.execute(&self.pool).await?.rows_affected())
        }
    }

    async fn signing_keys(&self) -> Result<Vec<KeyMaterial>> {
        let rows = sqlx::query(
            "select kid, alg, private_pkcs8, created_at, retired_at from signing_key \
             order by created_at",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        rows.iter()
            .map(|r| {
                let alg: String = r.try_get(1)?;
                Ok(KeyMaterial {
                    kid: r.try_get(0)?,
                    alg: Alg::parse(&alg).ok_or_else(|| {
                        sqlx::Error::Decode(format!("unknown key algorithm {alg}").into())
                    })?,
                    private_pkcs8: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    retired_at: r.try_get(4)?,
                })
            })
            .collect::<Sql<Vec<_>>>()
            .map_err(pg_error)
    }

    async fn add_signing_key(&self, key: &KeyMaterial) -> Result<()> {
        retrying! {
            let mut tx = self.pool.begin().await?;
            // Two instances rotating at once: the second waits, then retires the first one's
            // new key, so one key stays active. (Readers are not blocked by this lock.)
            sqlx::query("lock table signing_key in exclusive mode")
                .execute(&mut *tx)
                .await?;
            sqlx::query("update signing_key set retired_at = $1 where retired_at is null")
                .bind(key.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "insert into signing_key (kid, alg, private_pkcs8, created_at) \
                 values ($1, $2, $3, $4)",
            )
            .bind(&key.kid)
            .bind(key.alg.as_str())
            .bind(&key.private_pkcs8)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
    }

    async fn create_builder(
        &self,
        email: &str,
        password_hash: &str,
        role: BuilderRole,
        now: Millis,
    ) -> Result<BuilderAccount> {
        let id = Uuid::new_v4();
        retrying! {
            sqlx::query(
                "insert into builder (id, email, password_hash, role, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $5)",
            )
            .bind(id.to_string())
            .bind(email)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(BuilderAccount {
                id,
                email: email.to_owned(),
                password_hash: Secret::new(password_hash.to_owned()),
                role,
                created_at: now,
                updated_at: now,
            })
        }
    }

    async fn builder_by_email(&self, email: &str) -> Result<Option<BuilderAccount>> {
        sqlx::query(concat!(
            "select ",
            builder_columns!(""),
            " from builder where email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .and_then(|r| r.map(|r| builder_at(&r)).transpose())
        .map_err(pg_error)
    }

    async fn list_builders(&self) -> Result<Vec<BuilderAccount>> {
        sqlx::query(concat!(
            "select ",
            builder_columns!(""),
            " from builder order by email"
        ))
        .fetch_all(&self.pool)
        .await
        .and_then(|rows| rows.iter().map(builder_at).collect())
        .map_err(pg_error)
    }

    async fn delete_builder(&self, id: Uuid) -> Result<bool> {
        retrying! {
            let done = sqlx::query("delete from builder where id = $1")
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    async fn create_builder_session(
        &self,
        builder_id: Uuid,
        token_digest: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        let id = builder_id.to_string();
        retrying! {
            let mut tx = self.pool.begin().await?;
            sqlx::query("delete from builder_session where builder_id = $1 and expires_at <= $2")
                .bind(&id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "insert into builder_session (token_hash, builder_id, created_at, expires_at) \
                 values ($1, $2, $3, $4)",
            )
            .bind(token_digest)
            .bind(&id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
    }

    async fn builder_session(
        &self,
        token_digest: &str,
        now: Millis,
    ) -> Result<Option<BuilderAccount>> {
        sqlx::query(concat!(
            "select ",
            builder_columns!("b."),
            " from builder_session s join builder b on b.id = s.builder_id",
            " where s.token_hash = $1 and s.expires_at > $2"
        ))
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .and_then(|r| r.map(|r| builder_at(&r)).transpose())
        .map_err(pg_error)
    }

    async fn end_builder_session(&self, token_digest: &str) -> Result<bool> {
        retrying! {
            let done = sqlx::query("delete from builder_session where token_hash = $1")
                .bind(token_digest)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    async fn end_builder_sessions(&self, builder_id: Uuid) -> Result<u64> {
        retrying! {
            let done = sqlx::query("delete from builder_session where builder_id = $1")
                .bind(builder_id.to_string())
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        }
    }

    async fn create_app_session(&self, token_digest: &str, s: &AppSession) -> Result<()> {
        retrying! {
            let mut tx = self.pool.begin().await?;
            sqlx::query("delete from app_session where slug = $1 and expires_at <= $2")
                .bind(&s.slug)
                .bind(s.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "insert into app_session (token_hash, slug, sealed, access_expires_at, \
                 generation, created_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token_digest)
            .bind(&s.slug)
            .bind(&s.sealed)
            .bind(s.access_expires_at)
            .bind(s.generation)
            .bind(s.created_at)
            .bind(s.expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
    }

    async fn app_session(&self, token_digest: &str, now: Millis) -> Result<Option<AppSession>> {
        sqlx::query(
            "select slug, sealed, access_expires_at, generation, created_at, expires_at \
             from app_session where token_hash = $1 and expires_at > $2",
        )
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .and_then(|r| r.map(|r| app_session_at(&r)).transpose())
        .map_err(pg_error)
    }

    async fn refresh_app_session(
        &self,
        token_digest: &str,
        generation: i64,
        sealed: &[u8],
        access_expires_at: Option<Millis>,
    ) -> Result<bool> {
        // One statement: a concurrent refresh on another instance holds the row until it
        // commits, and this one then re-checks the generation on the row it left.
        retrying! {
            let done = sqlx::query(
                "update app_session set sealed = $1, access_expires_at = $2, \
                 generation = generation + 1 where token_hash = $3 and generation = $4",
            )
            .bind(sealed)
            .bind(access_expires_at)
            .bind(token_digest)
            .bind(generation)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    async fn end_app_session(&self, token_digest: &str) -> Result<bool> {
        retrying! {
            let done = sqlx::query("delete from app_session where token_hash = $1")
                .bind(token_digest)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    async fn save_app_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<i64> {
        retrying! {
            Ok(sqlx::query_scalar(
                "insert into app (slug, name, draft, draft_updated_at) values ($1, $2, $3, $4) \
                 on conflict (slug) do update set name = excluded.name, draft = excluded.draft, \
                 draft_updated_at = excluded.draft_updated_at, revision = app.revision + 1 \
                 returning revision",
            )
            .bind(slug)
            .bind(name)
            .bind(definition)
            .bind(now)
            .fetch_one(&self.pool)
            .await?)
        }
    }

    async fn create_app(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: Millis,
    ) -> Result<()> {
        retrying! {
            sqlx::query(
                "insert into app (slug, name, draft, draft_updated_at) values ($1, $2, $3, $4)",
            )
            .bind(slug)
            .bind(name)
            .bind(definition)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
    }

    async fn write_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        base_revision: i64,
        now: Millis,
    ) -> Result<DraftWrite> {
        // One statement checks and writes: of two writers with the same base, the second
        // waits for the first and then finds the revision moved on.
        let written: Option<i64> = retrying! {
            Ok(sqlx::query_scalar(
                "update app set name = $1, draft = $2, draft_updated_at = $3, \
                 revision = revision + 1 where slug = $4 and revision = $5 returning revision",
            )
            .bind(name)
            .bind(definition)
            .bind(now)
            .bind(slug)
            .bind(base_revision)
            .fetch_optional(&self.pool)
            .await?)
        }?;
        if let Some(revision) = written {
            return Ok(DraftWrite::Written { revision });
        }
        Ok(match self.app(slug).await? {
            Some(app) => DraftWrite::Stale(Box::new(app)),
            None => DraftWrite::NotFound,
        })
    }

    async fn publish_app(
        &self,
        slug: &str,
        expected_revision: Option<i64>,
        published_by: &str,
        now: Millis,
    ) -> Result<Published> {
        retrying! {
            let mut tx = self.pool.begin().await?;
            let published = publish_in(&mut tx, slug, expected_revision, published_by, now).await?;
            tx.commit().await?;
            Ok(published)
        }
    }

    async fn delete_app(&self, slug: &str) -> Result<bool> {
        // Its versions and sessions go with it (foreign keys, on delete cascade).
        retrying! {
            let done = sqlx::query("delete from app where slug = $1")
                .bind(slug)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    async fn app_versions(&self, slug: &str) -> Result<Vec<AppVersion>> {
        sqlx::query(
            "select version, published_at, published_by from app_version \
             where slug = $1 order by version desc",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await
        .and_then(|rows| {
            rows.iter()
                .map(|r| {
                    Ok(AppVersion {
                        version: r.try_get(0)?,
                        published_at: r.try_get(1)?,
                        published_by: r.try_get(2)?,
                    })
                })
                .collect()
        })
        .map_err(pg_error)
    }

    async fn app_version(&self, slug: &str, version: i64) -> Result<Option<String>> {
        sqlx::query_scalar("select definition from app_version where slug = $1 and version = $2")
            .bind(slug)
            .bind(version)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_error)
    }

    async fn app(&self, slug: &str) -> Result<Option<StoredApp>> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        app_in(&mut conn, slug).await.map_err(pg_error)
    }

    async fn published_version(&self, slug: &str) -> Result<Option<i64>> {
        sqlx::query_scalar("select published_version from app where slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_error)
    }

    async fn list_apps(&self) -> Result<Vec<StoredApp>> {
        sqlx::query(&format!("select {APP_COLUMNS} from app order by slug"))
            .fetch_all(&self.pool)
            .await
            .and_then(|rows| rows.iter().map(app_at).collect())
            .map_err(pg_error)
    }

    async fn take_rate_token(
        &self,
        bucket: &str,
        capacity: f64,
        refill_per_sec: f64,
        now: Millis,
    ) -> Result<bool> {
        // One statement, one round trip, no transaction held open between round trips: the
        // row is locked (`FOR UPDATE`) only while the statement runs, so requests of one
        // address queue on it for microseconds, not for a transaction's three round trips.
        // Under READ COMMITTED a statement that waited for the lock reads the row as the one
        // before it left it, so every take sees the previous one. The arithmetic is
        // [`rate::take`]'s (checked against it by the contract suite). A bucket that does not
        // exist yet is created by the first take; a take that found no row but lost the race
        // to create it writes nothing and runs again.
        let taken = retrying! {
            // No row: another request created the bucket between this statement's read and its
            // insert (which then wrote nothing): the next attempt finds the row and locks it.
            let mut taken = None;
            for _ in 0..3 {
                taken = sqlx::query_scalar(RATE_TAKE)
                    .bind(bucket)
                    .bind(capacity.max(0.0))
                    .bind(now)
                    .bind(refill_per_sec.max(0.0))
                    .fetch_optional(&self.pool)
                    .await?;
                if taken.is_some() {
                    break;
                }
            }
            taken.ok_or_else(|| Fail::Db(sqlx::Error::RowNotFound))
        }?;
        if self.forgetting.due() {
            // Housekeeping after the answer is decided: a failure here changes no answer (a
            // full bucket left behind reads the same as a forgotten one).
            let _ = sqlx::query(rate::FORGET_FULL)
                .bind(now)
                .execute(&self.pool)
                .await;
        }
        Ok(taken)
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn backup(&self, _to: &std::path::Path) -> Result<()> {
        Err(StoreError::Backend(
            "a PostgreSQL database is backed up with PostgreSQL's tools: pg_dump, or continuous archiving (docs/deploy.md)".to_owned(),
        ))
    }

    async fn integrity_problems(&self) -> Result<Vec<String>> {
        retrying! {
            // One snapshot for every check, as on SQLite. Foreign keys need no check here:
            // PostgreSQL enforces them on every write.
            let mut tx = self.pool.begin().await?;
            sqlx::query("set transaction isolation level repeatable read, read only")
                .execute(&mut *tx)
                .await?;
            let mut problems = Vec::new();
            for (what, sql) in INTEGRITY_CHECKS {
                let found: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *tx).await?;
                problems.extend(found.into_iter().map(|f| format!("{what}: {f}")));
            }
            tx.commit().await?;
            Ok(problems)
        }
    }
}
