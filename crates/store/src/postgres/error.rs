//! What PostgreSQL's failures mean to the store's callers: a unique violation is a
//! [`StoreError::Conflict`] named by its constraint, a lost or refused connection is
//! [`StoreError::Unavailable`] (retry later), and a serialization failure or a deadlock inside
//! one of our transactions is run again here, a few times, before anyone sees it.

use std::time::Duration;

use sqlx::error::DatabaseError;

use crate::StoreError;

/// The unique constraints a caller may run into, by the names both backends give them.
const CONFLICTS: [&str; 4] = [
    "user_email_key",
    "refresh_token_hash_key",
    "builder_email_key",
    "app_slug_key",
];

/// How many times a transaction PostgreSQL aborted to break a deadlock or a serialization
/// conflict is run again.
pub(super) const MAX_RETRIES: u32 = 5;

/// A short pause before the `attempt`-th retry, longer each time, so two transactions that
/// deadlocked do not meet again at once.
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(2u64 << attempt.min(6))
}

/// A failure inside a unit of work, before it is known whether to run the work again.
#[derive(Debug)]
pub(super) enum Fail {
    Db(sqlx::Error),
    Store(StoreError),
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl Fail {
    /// Whether PostgreSQL aborted the transaction only because of another one (40001
    /// serialization failure, 40P01 deadlock): running it again is the documented remedy.
    pub(super) fn is_transient(&self) -> bool {
        match self {
            Fail::Db(sqlx::Error::Database(db)) => is_transient_code(db.as_ref()),
            _ => false,
        }
    }

    pub(super) fn into_store(self) -> StoreError {
        match self {
            Fail::Db(e) => pg_error(e),
            Fail::Store(e) => e,
        }
    }
}

fn is_transient_code(db: &dyn DatabaseError) -> bool {
    matches!(db.code().as_deref(), Some("40001" | "40P01"))
}

/// Maps a PostgreSQL failure to the store's error kinds. Messages never carry bound values
/// (PostgreSQL puts those in the error's detail, which is not printed).
pub(super) fn pg_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if code == "23505" {
                if let Some(name) = db
                    .constraint()
                    .and_then(|c| CONFLICTS.into_iter().find(|known| *known == c))
                {
                    return StoreError::Conflict(name);
                }
            }
            // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot
            // connect now (starting up, recovering); 53300: too many connections. A deadlock
            // or serialization failure still there after the retries: also worth a later try.
            if code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
                || is_transient_code(db.as_ref())
            {
                return StoreError::Unavailable(e.to_string());
            }
            StoreError::Backend(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Runs the body (statements of an `async` block returning `Result<T, Fail>`) and, when
/// PostgreSQL aborted it for a deadlock or a serialization failure, runs it again, at most
/// [`MAX_RETRIES`] more times. A body that opens a transaction therefore retries the whole
/// transaction; the body must be safe to run again (it is: an aborted transaction wrote
/// nothing). Evaluates to `crate::Result<T>`.
macro_rules! retrying {
    ($($body:tt)*) => {{
        let mut attempt: u32 = 0;
        loop {
            let out: ::std::result::Result<_, $crate::postgres::error::Fail> =
                async { $($body)* }.await;
            match out {
                Err(f) if f.is_transient() && attempt < $crate::postgres::error::MAX_RETRIES => {
                    attempt += 1;
                    ::tokio::time::sleep($crate::postgres::error::backoff(attempt)).await;
                }
                other => break other.map_err($crate::postgres::error::Fail::into_store),
            }
        }
    }};
}
