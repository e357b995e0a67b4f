//! SQL both backends run as written: column lists in the order the row readers expect, the
//! refresh's read of a presented token, and the backend-neutral integrity checks. Parameters
//! are written `$n`, which PostgreSQL requires and SQLite reads as the n-th parameter.

/// The user columns, in the order the backends' `user_at` reads them, with a table prefix.
macro_rules! user_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "email, ",
            $p,
            "phone, ",
            $p,
            "password_hash, ",
            $p,
            "role, ",
            $p,
            "email_confirmed_at, ",
            $p,
            "banned_until, ",
            $p,
            "last_sign_in_at, ",
            $p,
            "app_metadata, ",
            $p,
            "user_metadata, ",
            $p,
            "created_at, ",
            $p,
            "updated_at"
        )
    };
}

/// The builder columns, in the order the backends' `builder_at` reads them, with a table
/// prefix.
macro_rules! builder_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "email, ",
            $p,
            "password_hash, ",
            $p,
            "role, ",
            $p,
            "created_at, ",
            $p,
            "updated_at"
        )
    };
}

pub(crate) const APP_COLUMNS: &str =
    "slug, name, draft, draft_updated_at, published, published_at, published_version, revision";

/// The presented token (`$1`: its digest), the session's current one, the session and its
/// user, in one statement: token id, parent, rotated_at; current id, parent; the session's 4
/// columns; the user's 12. The current token is the session's one unrotated token (the
/// newest, should there ever be more).
pub(crate) const PRESENTED: &str = concat!(
    "select t.id, t.parent_id, t.rotated_at, c.id, c.parent_id, ",
    "s.id, s.user_id, s.created_at, s.authenticated_at, ",
    user_columns!("u."),
    " from refresh_token t",
    " join session s on s.id = t.session_id",
    " join users u on u.id = s.user_id",
    " left join refresh_token c on c.id = (select max(id) from refresh_token",
    " where session_id = t.session_id and rotated_at is null)",
    " where t.token_hash = $1"
);

/// What [`crate::Store::integrity_problems`] checks on every backend: what is wrong, and a
/// query for the rows it is wrong about (one text column naming each).
pub(crate) const INTEGRITY_CHECKS: [(&str, &str); 5] = [
    (
        "a session without exactly one current refresh token",
        "select cast(s.id as text) from session s where (select count(*) from refresh_token t \
         where t.session_id = s.id and t.rotated_at is null) <> 1",
    ),
    (
        "a refresh token whose parent is not a rotated token of its session",
        "select cast(t.id as text) from refresh_token t where t.parent_id is not null \
         and not exists (select 1 from refresh_token p where p.id = t.parent_id \
         and p.session_id = t.session_id and p.rotated_at is not null)",
    ),
    (
        "a refresh token rotated into more than one child (a branched chain)",
        "select cast(parent_id as text) from refresh_token where parent_id is not null \
         group by parent_id having count(*) > 1",
    ),
    (
        "an app whose published definition is not its newest kept version",
        "select a.slug from app a where a.published_version > 0 and not exists \
         (select 1 from app_version v where v.slug = a.slug \
         and v.version = a.published_version and v.definition = a.published \
         and v.version = (select max(version) from app_version where slug = a.slug))",
    ),
    (
        "more than one active signing key",
        "select cast(count(*) as text) from signing_key where retired_at is null \
         having count(*) > 1",
    ),
];
