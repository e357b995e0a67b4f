//! Contract tests of the Store trait. Every test is written once, as an `async fn(Db)`, and
//! runs against both backends (`sqlite::<name>` and `postgres::<name>`, see [`both!`]), each
//! on a fresh database; a few test what only one backend has (SQLite's writer queue,
//! PostgreSQL's several instances on one database).
//!
//! PostgreSQL: each test creates a database `lowkey_test_<uuid>` on the server of
//! `LOWKEY_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`, a role that
//! may create databases) and drops it afterwards, also when the test fails.

use std::sync::Arc;

use lowkey_core::jwt::{Alg, KeyMaterial};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::LogoutScope;
use lowkey_store::{
    AppSession, BuilderRole, DraftWrite, Location, NewUser, PgOptions, PostgresStore, Published,
    RefreshOutcome, SqliteStore, Store, StoreError,
};
use sqlx::{Connection, Executor};

/// A test's data directory, removed when the test is done with it.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server the PostgreSQL tests create their databases on.
fn pg_server_url() -> String {
    std::env::var("LOWKEY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` naming the database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (scheme, rest) = base.split_once("://").expect("a URL with a scheme");
    let host = rest.split_once('/').map_or(rest, |(host, _)| host);
    format!("{scheme}://{host}/{name}{query}")
}

/// A fresh PostgreSQL database, dropped (with every connection still on it) when this is.
struct PgDatabase {
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> Self {
        let server = pg_server_url();
        let name = format!("lowkey_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&server)
            .await
            .expect("PostgreSQL answers at LOWKEY_TEST_PG_URL");
        admin
            .execute(format!("create database {name}").as_str())
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        let url = with_database(&server, &name);
        Self { name, url }
    }

    /// A connection of the test's own, beside the stores' pools.
    async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url).await.unwrap()
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs in an async test (or while it unwinds): the drop gets a runtime of its own
        // on a thread of its own.
        let (server, name) = (pg_server_url(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                admin
                    .execute(format!("drop database if exists {name} with (force)").as_str())
                    .await?;
                admin.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// Where a test's database is.
enum Place {
    Sqlite(TempDir),
    Postgres(PgDatabase),
}

impl Place {
    /// A store on this database. On PostgreSQL each call is one more instance (a pool of its
    /// own); on SQLite one store at a time.
    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Place::Sqlite(dir) => Arc::new(SqliteStore::open(&dir.0).await.expect("open store")),
            Place::Postgres(db) => Arc::new(
                PostgresStore::open(&db.url, PgOptions::default())
                    .await
                    .expect("open store"),
            ),
        }
    }

    fn location(&self) -> Location<'_> {
        match self {
            Place::Sqlite(dir) => Location::DataDir(&dir.0),
            Place::Postgres(db) => Location::Url(&db.url),
        }
    }

    fn is_postgres(&self) -> bool {
        matches!(self, Place::Postgres(_))
    }
}

/// A store on a fresh database of one backend.
struct Db {
    store: Arc<dyn Store>,
    // Dropped after the store (fields drop in order): the directory or database goes last.
    place: Place,
}

impl Db {
    async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("lowkey-store-{}", uuid::Uuid::new_v4()));
        Self::on(Place::Sqlite(TempDir(dir))).await
    }

    async fn postgres() -> Self {
        Self::on(Place::Postgres(PgDatabase::create().await)).await
    }

    async fn on(place: Place) -> Self {
        Self {
            store: place.open().await,
            place,
        }
    }

    /// Closes the store and opens the database again.
    async fn reopen(self) -> Self {
        let Db { store, place } = self;
        drop(store);
        Self::on(place).await
    }
}

/// Runs each named `async fn(Db)` against both backends: `sqlite::<name>` and
/// `postgres::<name>`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Db::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Db::postgres().await).await
                }
            )*
        }
    };
}

both![
    reopening_applies_migrations_once_and_keeps_data,
    a_duplicate_email_is_a_conflict_by_constraint_name,
    every_unique_constraint_a_caller_can_meet_is_a_conflict_by_its_name,
    refresh_rotates_forgives_the_parent_and_revokes_on_other_reuse,
    concurrent_refreshes_keep_one_chain,
    a_reuse_racing_a_rotation_revokes_the_session_whichever_runs_first,
    two_tabs_refreshing_one_token_at_once_both_get_tokens_and_one_stays_current,
    a_failing_write_in_a_batch_undoes_only_itself,
    an_answered_write_is_visible_to_the_next_read,
    logout_scopes_delete_the_right_sessions,
    login_attempts_count_before_the_password_lock_and_clear,
    concurrent_login_attempts_pass_the_gate_no_more_often_than_sequential_ones,
    adding_a_signing_key_retires_the_active_one,
    publishing_copies_the_draft_keeps_every_version_and_counts_them,
    a_draft_write_with_a_stale_revision_writes_nothing_and_returns_the_current_draft,
    concurrent_draft_writes_from_one_revision_let_exactly_one_through,
    builder_sessions_expire_end_alone_or_all_at_once_and_go_with_their_builder,
    app_sessions_expire_refresh_once_per_generation_end_and_go_with_their_app,
    builders_are_not_users,
    rate_tokens_run_out_refill_and_are_kept_per_bucket,
    concurrent_rate_takes_never_take_more_tokens_than_the_bucket_holds,
    forgetting_full_buckets_changes_no_answer,
    only_postgres_is_shared_between_instances,
];

fn user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: Some("$argon2id$fake".into()),
        role: "authenticated".into(),
        email_confirmed_at: Some(1),
        app_metadata: serde_json::json!({}),
        user_metadata: serde_json::json!({"k": "v"}),
    }
}

/// Every session's tokens form one chain with exactly one current token; no dangling rows.
async fn assert_integrity(store: &dyn Store) {
    let problems = store
        .integrity_problems()
        .await
        .expect("integrity check runs");
    assert!(problems.is_empty(), "integrity problems: {problems:#?}");
}

/// Polls `f` once and drops it: a caller that goes away after its request was sent (a closed
/// connection, an aborted task). Whatever `f` had queued by then stays queued.
async fn poll_once_then_drop<F: std::future::Future>(f: F) {
    let mut f = std::pin::pin!(f);
    tokio::select! {
        biased;
        _ = &mut f => {}
        _ = std::future::ready(()) => {}
    }
}

async fn reopening_applies_migrations_once_and_keeps_data(db: Db) {
    db.store.create_user(user("a@b.co"), 10).await.unwrap();
    // `lowkey migrate` on a database that is up to date does nothing, and opening again
    // neither.
    lowkey_store::migrate(db.place.location()).await.unwrap();
    let db = db.reopen().await;
    assert_eq!(
        db.store
            .user_by_email("a@b.co")
            .await
            .unwrap()
            .unwrap()
            .user_metadata["k"],
        "v"
    );
    assert_integrity(db.store.as_ref()).await;
}

async fn a_duplicate_email_is_a_conflict_by_constraint_name(db: Db) {
    let store = db.store.clone();
    store.create_user(user("a@b.co"), 10).await.unwrap();
    match store.create_user(user("a@b.co"), 11).await {
        Err(StoreError::Conflict(name)) => assert_eq!(name, "user_email_key"),
        other => panic!("expected a conflict, got {:?}", other.map(|u| u.id)),
    }
    assert_integrity(store.as_ref()).await;
}

async fn refresh_rotates_forgives_the_parent_and_revokes_on_other_reuse(db: Db) {
    let store = db.store.clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let s = store.create_session(u.id, "d1", 100).await.unwrap();
    assert!(matches!(
        store.refresh("d1", "d2", 200, 0).await.unwrap(),
        RefreshOutcome::Rotated { .. }
    ));
    assert_integrity(store.as_ref()).await;
    // d1 is the parent of the current d2: forgiven, d2 is rotated into d3.
    assert!(matches!(
        store.refresh("d1", "d3", 300, 0).await.unwrap(),
        RefreshOutcome::Rotated { .. }
    ));
    assert_integrity(store.as_ref()).await;
    // d1 is now older than the parent: the session is revoked.
    assert!(matches!(
        store.refresh("d1", "d4", 400, 0).await.unwrap(),
        RefreshOutcome::AlreadyUsed
    ));
    assert!(store.session(s.id).await.unwrap().is_none());
    assert!(matches!(
        store.refresh("d3", "d5", 500, 0).await.unwrap(),
        RefreshOutcome::NotFound
    ));
    assert_integrity(store.as_ref()).await;
}

async fn concurrent_refreshes_keep_one_chain(db: Db) {
    concurrent_refreshes_keep_one_chain_on(std::slice::from_ref(&db.store)).await;
}

/// Many refreshes of one token at once, spread over `instances` (stores on one database).
async fn concurrent_refreshes_keep_one_chain_on(instances: &[Arc<dyn Store>]) {
    let store = instances[0].clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    store.create_session(u.id, "root", 100).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = instances[i % instances.len()].clone();
            tokio::spawn(async move { store.refresh("root", &format!("n{i}"), 200, 10_000).await })
        })
        .collect();
    for t in tasks {
        assert!(matches!(
            t.await.unwrap().unwrap(),
            RefreshOutcome::Rotated { .. }
        ));
    }
    assert_integrity(store.as_ref()).await;
}

/// Reuse detection racing a legitimate rotation (RFC 9700 §4.14.2): a thief replays a token
/// two rotations old while the owner refreshes the current one. Whichever the writer runs
/// first, the session ends revoked, the thief gets nothing, and no chain branches.
async fn a_reuse_racing_a_rotation_revokes_the_session_whichever_runs_first(db: Db) {
    reuse_racing_rotation_on(db.store.clone(), db.store.clone()).await;
}

/// The owner refreshes through `owner`, the thief replays through `thief` (the same store,
/// or two instances on one database).
async fn reuse_racing_rotation_on(owner: Arc<dyn Store>, thief: Arc<dyn Store>) {
    let store = owner.clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let mut sessions = Vec::new();
    for i in 0..24 {
        let s = store
            .create_session(u.id, &format!("s{i}-t0"), 100)
            .await
            .unwrap();
        for (from, to) in [("t0", "t1"), ("t1", "t2")] {
            assert!(matches!(
                store
                    .refresh(&format!("s{i}-{from}"), &format!("s{i}-{to}"), 200, 0)
                    .await
                    .unwrap(),
                RefreshOutcome::Rotated { .. }
            ));
        }
        sessions.push(s.id);
    }
    // No reuse interval: t0 (the grandparent of t2) is reuse outside the rules.
    let races: Vec<_> = (0..24)
        .map(|i| {
            let (a, b) = (owner.clone(), thief.clone());
            let owner = tokio::spawn(async move {
                a.refresh(&format!("s{i}-t2"), &format!("s{i}-t3"), 300, 0)
                    .await
            });
            let thief = tokio::spawn(async move {
                b.refresh(&format!("s{i}-t0"), &format!("s{i}-x"), 300, 0)
                    .await
            });
            (owner, thief)
        })
        .collect();
    for (i, (owner, thief)) in races.into_iter().enumerate() {
        assert!(
            matches!(thief.await.unwrap().unwrap(), RefreshOutcome::AlreadyUsed),
            "the replayed token never yields a session"
        );
        // The owner either rotated just before the revocation or found the session gone.
        assert!(matches!(
            owner.await.unwrap().unwrap(),
            RefreshOutcome::Rotated { .. } | RefreshOutcome::NotFound
        ));
        assert!(
            store.session(sessions[i]).await.unwrap().is_none(),
            "session {i} revoked"
        );
        for t in ["t2", "t3", "x"] {
            assert!(matches!(
                store
                    .refresh(&format!("s{i}-{t}"), &format!("s{i}-y{t}"), 400, 0)
                    .await
                    .unwrap(),
                RefreshOutcome::NotFound
            ));
        }
    }
    assert_integrity(store.as_ref()).await;
}

/// Two tabs of one browser present the same token at once (within the reuse interval): both
/// get a session answer, the later one by rotating the current token, so one chain with one
/// current token remains — and each tab can go on refreshing with what it got.
async fn two_tabs_refreshing_one_token_at_once_both_get_tokens_and_one_stays_current(db: Db) {
    let store = db.store.clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    for i in 0..16 {
        let s = store
            .create_session(u.id, &format!("s{i}"), 100)
            .await
            .unwrap();
        let tabs: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|tab| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .refresh(&format!("s{i}"), &format!("s{i}{tab}"), 200, 10_000)
                        .await
                })
            })
            .collect();
        for tab in tabs {
            match tab.await.unwrap().unwrap() {
                RefreshOutcome::Rotated { session, .. } => assert_eq!(session.id, s.id),
                _ => panic!("both tabs are answered with a session"),
            }
        }
        assert_integrity(store.as_ref()).await;
        for tab in ["a", "b"] {
            assert!(matches!(
                store
                    .refresh(&format!("s{i}{tab}"), &format!("s{i}{tab}2"), 300, 10_000)
                    .await
                    .unwrap(),
                RefreshOutcome::Rotated { .. }
            ));
        }
    }
    assert_integrity(store.as_ref()).await;
}

/// A caller that goes away after its refresh was queued (a closed connection, a crash
/// between commit and answer) never sees the new token, but the rotation is committed. The
/// token it presented is then the immediate parent of the current one: presenting it again is
/// forgiven even with no reuse interval — once; after that it is reuse like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_refresh_whose_caller_went_away_still_commits_and_the_rules_forgive_it_once() {
    let db = Db::sqlite().await;
    let store = db.store.clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let s = store.create_session(u.id, "t1", 100).await.unwrap();
    poll_once_then_drop(store.refresh("t1", "lost", 200, 0)).await;
    // Writes are carried out in order: once this one is answered, the lost one is committed.
    store.clear_login_failures("barrier@b.co").await.unwrap();
    assert_integrity(store.as_ref()).await;
    // Also across a reopening of the database (the process that lost the answer is gone).
    drop(store);
    let db = db.reopen().await;
    let store = db.store.clone();
    assert!(matches!(
        store.refresh("t1", "t3", 300, 0).await.unwrap(),
        RefreshOutcome::Rotated { .. }
    ));
    assert_integrity(store.as_ref()).await;
    // Had the lost rotation not been committed, t1 would now be the parent of t3 and be
    // forgiven again; it is the grandparent, so this is reuse and the session goes.
    assert!(matches!(
        store.refresh("t1", "t4", 400, 0).await.unwrap(),
        RefreshOutcome::AlreadyUsed
    ));
    assert!(store.session(s.id).await.unwrap().is_none());
    assert_integrity(store.as_ref()).await;
}

/// Group commit: writes queued together share one transaction, but a write that fails (here
/// a duplicate e-mail) undoes only itself, and each caller gets its own answer.
async fn a_failing_write_in_a_batch_undoes_only_itself(db: Db) {
    let store = db.store.clone();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            // Every fourth one repeats the e-mail of the one before it.
            let email = format!("u{}@b.co", if i % 4 == 3 { i - 1 } else { i });
            tokio::spawn(async move { store.create_user(user(&email), 10).await })
        })
        .collect();
    let (mut created, mut conflicts) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict("user_email_key")) => conflicts += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!((created, conflicts), (30, 10));
    assert_eq!(store.list_users(0, 100).await.unwrap().1, 30);
    assert_integrity(store.as_ref()).await;
}

/// A write is answered after its commit: what it wrote is at once visible to reads.
async fn an_answered_write_is_visible_to_the_next_read(db: Db) {
    let store = db.store.clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let s = store
                    .create_session(u.id, &format!("d{i}"), 100)
                    .await
                    .unwrap();
                assert!(store.session(s.id).await.unwrap().is_some());
                store
                    .end_sessions(u.id, LogoutScope::Local, Some(s.id))
                    .await
                    .unwrap();
                assert!(store.session(s.id).await.unwrap().is_none());
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_integrity(store.as_ref()).await;
}

async fn logout_scopes_delete_the_right_sessions(db: Db) {
    let store = db.store.clone();
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let a = store.create_session(u.id, "a", 1).await.unwrap();
    let b = store.create_session(u.id, "b", 2).await.unwrap();
    assert_eq!(
        store
            .end_sessions(u.id, LogoutScope::Others, Some(a.id))
            .await
            .unwrap(),
        1
    );
    assert!(
        store.session(a.id).await.unwrap().is_some()
            && store.session(b.id).await.unwrap().is_none()
    );
    assert_eq!(
        store
            .end_sessions(u.id, LogoutScope::Local, Some(a.id))
            .await
            .unwrap(),
        1
    );
    assert!(store.delete_user(u.id).await.unwrap());
    assert_integrity(store.as_ref()).await;
}

fn admitted(gate: LoginGate) -> bool {
    matches!(gate, LoginGate::Admitted { .. })
}

async fn login_attempts_count_before_the_password_lock_and_clear(db: Db) {
    let store = db.store.clone();
    let t = Throttle::default();
    for n in 1..=4 {
        assert_eq!(
            store.admit_login_attempt("x@y.co", 1_000, t).await.unwrap(),
            LoginGate::Admitted {
                failures: n,
                locked_until: 0
            }
        );
    }
    // The fifth attempt is let through and closes the address behind it.
    assert_eq!(
        store.admit_login_attempt("x@y.co", 1_000, t).await.unwrap(),
        LoginGate::Admitted {
            failures: 5,
            locked_until: 2_000
        }
    );
    assert_eq!(
        store.admit_login_attempt("x@y.co", 1_500, t).await.unwrap(),
        LoginGate::Locked { until: 2_000 }
    );
    // A refused attempt is not counted: the next one after the lock is the sixth.
    assert_eq!(
        store.admit_login_attempt("x@y.co", 2_000, t).await.unwrap(),
        LoginGate::Admitted {
            failures: 6,
            locked_until: 4_000
        }
    );
    // Other addresses are unaffected; clearing starts the count again.
    assert!(admitted(
        store.admit_login_attempt("z@y.co", 2_000, t).await.unwrap()
    ));
    store.clear_login_failures("x@y.co").await.unwrap();
    assert_eq!(
        store.admit_login_attempt("x@y.co", 2_500, t).await.unwrap(),
        LoginGate::Admitted {
            failures: 1,
            locked_until: 0
        }
    );
}

async fn concurrent_login_attempts_pass_the_gate_no_more_often_than_sequential_ones(db: Db) {
    concurrent_login_attempts_on(std::slice::from_ref(&db.store)).await;
}

/// Parallel guesses at one address, spread over `instances`.
async fn concurrent_login_attempts_on(instances: &[Arc<dyn Store>]) {
    let t = Throttle {
        free_failures: 3,
        base_delay_ms: 3_600_000,
        max_delay_ms: 3_600_000,
    };
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = instances[i % instances.len()].clone();
            tokio::spawn(async move { store.admit_login_attempt("x@y.co", 1_000, t).await })
        })
        .collect();
    let mut through = Vec::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            LoginGate::Admitted { failures, .. } => through.push(failures),
            LoginGate::Locked { until } => assert_eq!(until, 3_601_000),
        }
    }
    through.sort_unstable();
    // Each admitted attempt saw the count of the one before it: no two read the same row.
    assert_eq!(through, vec![1, 2, 3, 4]);
}

async fn adding_a_signing_key_retires_the_active_one(db: Db) {
    let store = db.store.clone();
    let k1 = KeyMaterial::generate(Alg::Es256, 1).unwrap();
    store.add_signing_key(&k1).await.unwrap();
    let k2 = KeyMaterial::generate(Alg::Es256, 5).unwrap();
    store.add_signing_key(&k2).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].retired_at, Some(5));
    assert_eq!(keys[1].retired_at, None);
    assert_eq!(keys[0].private_pkcs8, k1.private_pkcs8);
}

async fn publishing_copies_the_draft_keeps_every_version_and_counts_them(db: Db) {
    let store = db.store.clone();
    assert_eq!(
        store.publish_app("nope", None, "cli", 1).await.unwrap(),
        Published::NotFound
    );
    assert_eq!(
        store
            .save_app_draft("s", "App", "{\"v\":1}", 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.published_version("s").await.unwrap(), Some(0));
    assert_eq!(
        store.publish_app("s", None, "cli", 2).await.unwrap(),
        Published::Published {
            version: 1,
            published_at: 2
        }
    );
    assert_eq!(
        store
            .save_app_draft("s", "App", "{\"v\":2}", 3)
            .await
            .unwrap(),
        2,
        "an import bumps the revision"
    );
    let app = store.app("s").await.unwrap().unwrap();
    assert_eq!(app.published.as_deref(), Some("{\"v\":1}"));
    assert_eq!(app.draft, "{\"v\":2}");
    assert_eq!(app.revision, 2);
    assert_eq!(
        store.publish_app("s", Some(1), "a@b.co", 4).await.unwrap(),
        Published::Stale { revision: 2 },
        "a publish of an older revision publishes nothing"
    );
    assert_eq!(
        store.publish_app("s", Some(2), "a@b.co", 5).await.unwrap(),
        Published::Published {
            version: 2,
            published_at: 5
        }
    );
    let versions = store.app_versions("s").await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.published_by.as_str()))
            .collect::<Vec<_>>(),
        vec![(2, "a@b.co"), (1, "cli")],
        "newest first, with who published"
    );
    assert_eq!(
        store.app_version("s", 1).await.unwrap().as_deref(),
        Some("{\"v\":1}")
    );
    assert_eq!(store.list_apps().await.unwrap().len(), 1);
    assert_integrity(store.as_ref()).await;
    assert!(store.delete_app("s").await.unwrap());
    assert!(store.app_versions("s").await.unwrap().is_empty());
    assert!(!store.delete_app("s").await.unwrap());
    assert_integrity(store.as_ref()).await;
}

async fn a_draft_write_with_a_stale_revision_writes_nothing_and_returns_the_current_draft(db: Db) {
    let store = db.store.clone();
    store.create_app("s", "App", "d1", 1).await.unwrap();
    assert!(matches!(
        store.create_app("s", "Other", "x", 2).await,
        Err(StoreError::Conflict("app_slug_key"))
    ));
    assert!(matches!(
        store.write_draft("s", "App", "d2", 1, 3).await.unwrap(),
        DraftWrite::Written { revision: 2 }
    ));
    match store.write_draft("s", "Renamed", "d3", 1, 4).await.unwrap() {
        DraftWrite::Stale(current) => {
            assert_eq!((current.revision, current.draft.as_str()), (2, "d2"));
        }
        other => panic!("expected a stale write, got {other:?}"),
    }
    let app = store.app("s").await.unwrap().unwrap();
    assert_eq!(
        (app.name.as_str(), app.draft.as_str(), app.revision),
        ("App", "d2", 2)
    );
    assert!(matches!(
        store.write_draft("nope", "App", "d", 1, 5).await.unwrap(),
        DraftWrite::NotFound
    ));
}

/// Many writers with the same base revision at once: exactly one is written, and the stored
/// draft is that one's.
async fn concurrent_draft_writes_from_one_revision_let_exactly_one_through(db: Db) {
    let store = db.store.clone();
    store.create_app("s", "App", "base", 1).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let text = format!("writer {i}");
                let out = store.write_draft("s", "App", &text, 1, 2).await.unwrap();
                (text, out)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (text, DraftWrite::Written { revision }) => winners.push((text, revision)),
            (_, DraftWrite::Stale(current)) => assert_eq!(current.revision, 2),
            (_, DraftWrite::NotFound) => panic!("the app exists"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let app = store.app("s").await.unwrap().unwrap();
    assert_eq!(
        (app.draft.as_str(), app.revision),
        (winners[0].0.as_str(), 2)
    );
}

async fn builder_sessions_expire_end_alone_or_all_at_once_and_go_with_their_builder(db: Db) {
    let store = db.store.clone();
    let b = store
        .create_builder("b@x.co", "$argon2id$fake", BuilderRole::Admin, 1)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_builder("b@x.co", "h", BuilderRole::Editor, 2)
            .await,
        Err(StoreError::Conflict("builder_email_key"))
    ));
    assert!(
        !format!("{b:?}").contains("argon2"),
        "the Debug of a builder hides the hash"
    );
    store
        .create_builder_session(b.id, "t1", 10, 100)
        .await
        .unwrap();
    store
        .create_builder_session(b.id, "t2", 10, 100)
        .await
        .unwrap();
    store
        .create_builder_session(b.id, "t3", 10, 100)
        .await
        .unwrap();
    let found = store.builder_session("t1", 99).await.unwrap().unwrap();
    assert_eq!((found.id, found.role), (b.id, BuilderRole::Admin));
    assert!(
        store.builder_session("t1", 100).await.unwrap().is_none(),
        "expired at expires_at"
    );
    assert!(store.builder_session("nope", 50).await.unwrap().is_none());
    assert!(store.end_builder_session("t1").await.unwrap());
    assert!(store.builder_session("t1", 50).await.unwrap().is_none());
    assert!(store.builder_session("t2", 50).await.unwrap().is_some());
    assert_eq!(store.end_builder_sessions(b.id).await.unwrap(), 2);
    assert!(store.builder_session("t2", 50).await.unwrap().is_none());
    store
        .create_builder_session(b.id, "t4", 10, 100)
        .await
        .unwrap();
    assert!(store.delete_builder(b.id).await.unwrap());
    assert!(store.builder_session("t4", 50).await.unwrap().is_none());
    assert!(store.builder_by_email("b@x.co").await.unwrap().is_none());
    assert!(store.list_builders().await.unwrap().is_empty());
    assert_integrity(store.as_ref()).await;
}

async fn app_sessions_expire_refresh_once_per_generation_end_and_go_with_their_app(db: Db) {
    let store = db.store.clone();
    store.save_app_draft("s", "S", "{}", 1).await.unwrap();
    let session = AppSession {
        slug: "s".into(),
        sealed: vec![1, 2, 3],
        access_expires_at: Some(50),
        generation: 0,
        created_at: 10,
        expires_at: 100,
    };
    store.create_app_session("d1", &session).await.unwrap();
    store.create_app_session("d2", &session).await.unwrap();
    assert_eq!(
        store.app_session("d1", 99).await.unwrap().as_ref(),
        Some(&session)
    );
    assert!(
        store.app_session("d1", 100).await.unwrap().is_none(),
        "expired at expires_at"
    );
    assert!(store.app_session("nope", 50).await.unwrap().is_none());
    // Two refreshes from the same generation: exactly one replaces the tokens.
    let (a, b) = tokio::join!(
        store.refresh_app_session("d1", 0, &[4], Some(70)),
        store.refresh_app_session("d1", 0, &[5], Some(80)),
    );
    assert!(a.unwrap() ^ b.unwrap(), "one refresh wins");
    let now = store.app_session("d1", 60).await.unwrap().unwrap();
    assert_eq!(now.generation, 1);
    assert!(now.sealed == [4] || now.sealed == [5]);
    assert!(!store
        .refresh_app_session("gone", 0, &[6], None)
        .await
        .unwrap());
    assert!(store.end_app_session("d1").await.unwrap());
    assert!(!store.end_app_session("d1").await.unwrap());
    assert!(store.app_session("d1", 60).await.unwrap().is_none());
    // A new session of the app forgets the app's expired ones; deleting the app ends the rest.
    let later = AppSession {
        created_at: 200,
        expires_at: 300,
        ..session.clone()
    };
    store.create_app_session("d3", &later).await.unwrap();
    assert!(store.app_session("d2", 0).await.unwrap().is_none());
    assert!(store.delete_app("s").await.unwrap());
    assert!(store.app_session("d3", 250).await.unwrap().is_none());
    assert_integrity(store.as_ref()).await;
}

async fn builders_are_not_users(db: Db) {
    let store = db.store.clone();
    store.create_user(user("a@b.co"), 1).await.unwrap();
    assert!(store.builder_by_email("a@b.co").await.unwrap().is_none());
    store
        .create_builder("a@b.co", "h", BuilderRole::Editor, 2)
        .await
        .unwrap();
    assert_eq!(store.list_users(0, 10).await.unwrap().1, 1);
    assert_eq!(store.list_builders().await.unwrap().len(), 1);
}

async fn every_unique_constraint_a_caller_can_meet_is_a_conflict_by_its_name(db: Db) {
    let store = db.store.clone();
    let u = store.create_user(user("a@b.co"), 1).await.unwrap();
    store.create_session(u.id, "d1", 2).await.unwrap();
    assert!(matches!(
        store.create_session(u.id, "d1", 3).await,
        Err(StoreError::Conflict("refresh_token_hash_key"))
    ));
    // A refresh whose new token is taken is refused whole: the presented token stays current.
    store.create_session(u.id, "d2", 3).await.unwrap();
    assert!(matches!(
        store.refresh("d2", "d1", 4, 0).await,
        Err(StoreError::Conflict("refresh_token_hash_key"))
    ));
    assert!(matches!(
        store.refresh("d2", "d3", 5, 0).await.unwrap(),
        RefreshOutcome::Rotated { .. }
    ));
    store
        .create_builder("b@x.co", "h", BuilderRole::Editor, 1)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_builder("b@x.co", "h", BuilderRole::Admin, 2)
            .await,
        Err(StoreError::Conflict("builder_email_key"))
    ));
    store.create_app("s", "S", "{}", 1).await.unwrap();
    assert!(matches!(
        store.create_app("s", "S", "{}", 2).await,
        Err(StoreError::Conflict("app_slug_key"))
    ));
    assert_eq!(store.list_users(0, 10).await.unwrap().1, 1);
    assert_integrity(store.as_ref()).await;
}

async fn rate_tokens_run_out_refill_and_are_kept_per_bucket(db: Db) {
    let store = db.store.clone();
    let take = |bucket: &'static str, now: i64| {
        let store = store.clone();
        async move { store.take_rate_token(bucket, 3.0, 1.0, now).await.unwrap() }
    };
    for _ in 0..3 {
        assert!(take("ip:1", 1_000).await);
    }
    assert!(!take("ip:1", 1_000).await, "empty");
    assert!(
        take("ip:2", 1_000).await,
        "another address has its own bucket"
    );
    assert!(!take("ip:1", 1_500).await, "half a token is not one");
    assert!(take("ip:1", 2_000).await, "one token a second");
    assert!(!take("ip:1", 2_000).await);
    // Long after: full again, but never beyond its capacity.
    for _ in 0..3 {
        assert!(take("ip:1", 1_000_000).await);
    }
    assert!(!take("ip:1", 1_000_000).await);
}

async fn concurrent_rate_takes_never_take_more_tokens_than_the_bucket_holds(db: Db) {
    concurrent_rate_takes_on(std::slice::from_ref(&db.store)).await;
}

/// 40 takes at once from a bucket of 10 that does not refill, spread over `instances`.
async fn concurrent_rate_takes_on(instances: &[Arc<dyn Store>]) {
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = instances[i % instances.len()].clone();
            tokio::spawn(async move { store.take_rate_token("ip:9", 10.0, 0.0, 5).await })
        })
        .collect();
    let mut taken = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() {
            taken += 1;
        }
    }
    assert_eq!(taken, 10);
    assert!(!instances[0]
        .take_rate_token("ip:9", 10.0, 0.0, 1_000_000)
        .await
        .unwrap());
}

/// Full buckets are deleted now and then; a deleted bucket answers as the full one did.
async fn forgetting_full_buckets_changes_no_answer(db: Db) {
    let store = db.store.clone();
    assert!(store.take_rate_token("old", 2.0, 1.0, 0).await.unwrap());
    assert!(store.take_rate_token("busy", 2.0, 0.0, 0).await.unwrap());
    // Enough takes to pass the forgetting at least once, long after "old" refilled.
    for i in 0..300 {
        store
            .take_rate_token(&format!("ip:{i}"), 2.0, 1.0, 1_000_000)
            .await
            .unwrap();
    }
    if let Place::Postgres(pg) = &db.place {
        let mut conn = pg.connect().await;
        let old: i64 = sqlx::query_scalar("select count(*) from rate_bucket where key = 'old'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(old, 0, "the full bucket is forgotten");
    }
    assert!(store
        .take_rate_token("old", 2.0, 1.0, 1_000_000)
        .await
        .unwrap());
    assert!(store
        .take_rate_token("old", 2.0, 1.0, 1_000_000)
        .await
        .unwrap());
    assert!(!store
        .take_rate_token("old", 2.0, 1.0, 1_000_000)
        .await
        .unwrap());
    // A bucket that never refills is never full again, so it is kept: one token left.
    assert!(store
        .take_rate_token("busy", 2.0, 0.0, 1_000_000)
        .await
        .unwrap());
    assert!(!store
        .take_rate_token("busy", 2.0, 0.0, 1_000_000)
        .await
        .unwrap());
}

async fn only_postgres_is_shared_between_instances(db: Db) {
    assert_eq!(db.store.is_shared(), db.place.is_postgres());
}

// PostgreSQL only: several instances (stores with pools of their own) on one database, as
// several `lowkey serve` behind a load balancer.

/// Two instances on one fresh database.
async fn two_instances() -> (Arc<dyn Store>, Arc<dyn Store>, Db) {
    let db = Db::postgres().await;
    let other = db.place.open().await;
    (db.store.clone(), other, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_starting_together_on_a_fresh_database_migrate_it_once() {
    let pg = PgDatabase::create().await;
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = pg.url.clone();
            tokio::spawn(async move { PostgresStore::open(&url, PgOptions::default()).await })
        })
        .collect();
    // Without the migrator's advisory lock, the losers would fail creating tables that the
    // winner had just created.
    for open in opens {
        let store = open.await.unwrap().expect("every instance opens");
        assert_integrity(&store).await;
    }
    let mut conn = pg.connect().await;
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("select version, success from _sqlx_migrations order by version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert!(!applied.is_empty());
    assert!(applied.iter().all(|(_, ok)| *ok), "{applied:?}");
    let versions: Vec<i64> = applied.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_refreshing_one_token_at_once_keep_one_chain() {
    let (a, b, _db) = two_instances().await;
    concurrent_refreshes_keep_one_chain_on(&[a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_reuse_on_one_instance_racing_a_rotation_on_another_revokes_the_session() {
    let (a, b, _db) = two_instances().await;
    reuse_racing_rotation_on(a, b.clone()).await;
    assert_integrity(b.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_login_attempts_on_two_instances_count_as_on_one() {
    let (a, b, _db) = two_instances().await;
    concurrent_login_attempts_on(&[a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_share_a_rate_bucket() {
    let (a, b, _db) = two_instances().await;
    concurrent_rate_takes_on(&[a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_app_session_refreshed_on_two_instances_at_once_is_replaced_once() {
    let (a, b, _db) = two_instances().await;
    a.save_app_draft("s", "S", "{}", 1).await.unwrap();
    let session = AppSession {
        slug: "s".into(),
        sealed: vec![1],
        access_expires_at: Some(50),
        generation: 0,
        created_at: 10,
        expires_at: 100_000,
    };
    for i in 0..16 {
        let digest = format!("d{i}");
        a.create_app_session(&digest, &session).await.unwrap();
        let (on_a, on_b) = tokio::join!(
            a.refresh_app_session(&digest, 0, &[2], Some(70)),
            b.refresh_app_session(&digest, 0, &[3], Some(80)),
        );
        assert!(on_a.unwrap() ^ on_b.unwrap(), "one refresh wins");
        let now = b.app_session(&digest, 60).await.unwrap().unwrap();
        assert_eq!(now.generation, 1);
        assert!(now.sealed == [2] || now.sealed == [3]);
    }
    assert_integrity(a.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_logout_on_one_instance_holds_on_the_other_at_once() {
    let (a, b, _db) = two_instances().await;
    let u = a.create_user(user("a@b.co"), 10).await.unwrap();
    let s = a.create_session(u.id, "t1", 100).await.unwrap();
    assert!(b.session(s.id).await.unwrap().is_some());
    assert_eq!(
        a.end_sessions(u.id, LogoutScope::Local, Some(s.id))
            .await
            .unwrap(),
        1
    );
    assert!(b.session(s.id).await.unwrap().is_none());
    assert!(matches!(
        b.refresh("t1", "t2", 200, 10_000).await.unwrap(),
        RefreshOutcome::NotFound
    ));
}

/// A server that refuses the connection, and one that accepts it and never answers: both are
/// `Unavailable` (retryable) within the acquire timeout, not after a long wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_server_that_does_not_answer_is_unavailable_without_a_long_wait() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        silent.local_addr().unwrap().port()
    );
    for url in ["postgres://postgres@127.0.0.1:1/postgres", &silent_url] {
        let started = std::time::Instant::now();
        let opened = PostgresStore::open(
            url,
            PgOptions {
                acquire_timeout: std::time::Duration::from_millis(500),
                ..PgOptions::default()
            },
        )
        .await;
        match opened {
            Err(e @ StoreError::Unavailable(_)) => assert!(e.is_retryable()),
            Err(e) => panic!("{url}: expected Unavailable, got {e}"),
            Ok(_) => panic!("{url}: opened"),
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{url}: {:?}",
            started.elapsed()
        );
    }
}

/// PostgreSQL restarting (or an operator ending the sessions) breaks every pooled
/// connection; the store answers again on fresh ones without being reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_store_whose_connections_were_cut_answers_again_on_new_ones() {
    let db = Db::postgres().await;
    let store = db.store.clone();
    store.create_user(user("a@b.co"), 10).await.unwrap();
    let Place::Postgres(pg) = &db.place else {
        unreachable!()
    };
    let mut conn = pg.connect().await;
    let cut: i64 = sqlx::query_scalar(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity \
         where datname = $1 and pid <> pg_backend_pid()) t",
    )
    .bind(&pg.name)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(cut > 0, "the store had connections to cut");
    assert!(store.user_by_email("a@b.co").await.unwrap().is_some());
    store.create_user(user("c@d.co"), 11).await.unwrap();
    assert_integrity(store.as_ref()).await;
}

/// `open` picks the backend by location; a URL of another database is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_picks_the_backend_by_its_location() {
    let pg = PgDatabase::create().await;
    let store = lowkey_store::open(Location::Url(&pg.url)).await.unwrap();
    assert!(store.is_shared());
    assert_integrity(store.as_ref()).await;
    match lowkey_store::open(Location::Url("mysql://root@127.0.0.1/lowkey")).await {
        Err(StoreError::Backend(message)) => assert!(message.contains("postgres://")),
        Err(e) => panic!("expected a refusal, got {e}"),
        Ok(_) => panic!("a MySQL URL opened"),
    }
}
