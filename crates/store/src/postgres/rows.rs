//! Rows to domain values: each reader takes the columns in the order of the shared lists in
//! `crate::sql` (ids are UUID text, JSON is text, timestamps are bigint milliseconds).

use lowkey_core::{Secret, Session, User};
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use crate::{AppSession, BuilderAccount, BuilderRole, StoredApp};

pub(super) type Sql<T> = std::result::Result<T, sqlx::Error>;

fn decode_error(e: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

pub(super) fn uuid_at(row: &PgRow, i: usize) -> Sql<Uuid> {
    let text: String = row.try_get(i)?;
    Uuid::parse_str(&text).map_err(decode_error)
}

/// A user from the 12 columns of [`user_columns!`] starting at column `i`.
pub(super) fn user_at(row: &PgRow, i: usize) -> Sql<User> {
    let json = |col: usize| -> Sql<serde_json::Value> {
        let text: String = row.try_get(col)?;
        serde_json::from_str(&text).map_err(decode_error)
    };
    Ok(User {
        id: uuid_at(row, i)?,
        email: row.try_get(i + 1)?,
        phone: row.try_get(i + 2)?,
        password_hash: row.try_get::<Option<String>, _>(i + 3)?.map(Secret::new),
        role: row.try_get(i + 4)?,
        email_confirmed_at: row.try_get(i + 5)?,
        banned_until: row.try_get(i + 6)?,
        last_sign_in_at: row.try_get(i + 7)?,
        app_metadata: json(i + 8)?,
        user_metadata: json(i + 9)?,
        created_at: row.try_get(i + 10)?,
        updated_at: row.try_get(i + 11)?,
    })
}

/// A session from its 4 columns (id, user_id, created_at, authenticated_at) starting at
/// column `i`.
pub(super) fn session_at(row: &PgRow, i: usize) -> Sql<Session> {
    Ok(Session {
        id: uuid_at(row, i)?,
        user_id: uuid_at(row, i + 1)?,
        created_at: row.try_get(i + 2)?,
        authenticated_at: row.try_get(i + 3)?,
    })
}

pub(super) fn app_at(row: &PgRow) -> Sql<StoredApp> {
    Ok(StoredApp {
        slug: row.try_get(0)?,
        name: row.try_get(1)?,
        draft: row.try_get(2)?,
        draft_updated_at: row.try_get(3)?,
        published: row.try_get(4)?,
        published_at: row.try_get(5)?,
        published_version: row.try_get(6)?,
        revision: row.try_get(7)?,
    })
}

pub(super) fn builder_at(row: &PgRow) -> Sql<BuilderAccount> {
    let role: String = row.try_get(3)?;
    Ok(BuilderAccount {
        id: uuid_at(row, 0)?,
        email: row.try_get(1)?,
        password_hash: Secret::new(row.try_get::<String, _>(2)?),
        role: BuilderRole::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown builder role {role}").into()))?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
    })
}

pub(super) fn app_session_at(row: &PgRow) -> Sql<AppSession> {
    Ok(AppSession {
        slug: row.try_get(0)?,
        sealed: row.try_get(1)?,
        access_expires_at: row.try_get(2)?,
        generation: row.try_get(3)?,
        created_at: row.try_get(4)?,
        expires_at: row.try_get(5)?,
    })
}
