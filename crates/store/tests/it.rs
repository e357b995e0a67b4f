//! Contract tests of the Store trait, run against the SQLite backend with a fresh database
//! each. A future PostgreSQL backend runs the same cases.

use std::sync::Arc;

use lowkey_core::jwt::{Alg, KeyMaterial};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::LogoutScope;
use lowkey_store::{
    AppSession, BuilderRole, DraftWrite, NewUser, Published, RefreshOutcome, SqliteStore, Store,
    StoreError,
};

/// A test's data directory, removed when the test is done with it.
struct TempDir(std::path::PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A store on a fresh data directory; keep the directory (not `_`) as long as the store.
async fn fresh() -> (Arc<dyn Store>, TempDir) {
    let dir = TempDir(std::env::temp_dir().join(format!("lowkey-store-{}", uuid::Uuid::new_v4())));
    let store = SqliteStore::open(&dir).await.expect("open store");
    (Arc::new(store), dir)
}

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

#[tokio::test]
async fn reopening_applies_migrations_once_and_keeps_data() {
    let (store, dir) = fresh().await;
    store.create_user(user("a@b.co"), 10).await.unwrap();
    drop(store);
    let again = SqliteStore::open(&dir).await.unwrap();
    assert_eq!(
        again
            .user_by_email("a@b.co")
            .await
            .unwrap()
            .unwrap()
            .user_metadata["k"],
        "v"
    );
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_by_constraint_name() {
    let (store, _dir) = fresh().await;
    store.create_user(user("a@b.co"), 10).await.unwrap();
    match store.create_user(user("a@b.co"), 11).await {
        Err(StoreError::Conflict(name)) => assert_eq!(name, "user_email_key"),
        other => panic!("expected a conflict, got {:?}", other.map(|u| u.id)),
    }
    assert_integrity(store.as_ref()).await;
}

#[tokio::test]
async fn refresh_rotates_forgives_the_parent_and_revokes_on_other_reuse() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn concurrent_refreshes_keep_one_chain() {
    let (store, _dir) = fresh().await;
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    store.create_session(u.id, "root", 100).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reuse_racing_a_rotation_revokes_the_session_whichever_runs_first() {
    let (store, _dir) = fresh().await;
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
            let (a, b) = (store.clone(), store.clone());
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_refreshing_one_token_at_once_both_get_tokens_and_one_stays_current() {
    let (store, _dir) = fresh().await;
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
async fn a_refresh_whose_caller_went_away_still_commits_and_the_rules_forgive_it_once() {
    let (store, dir) = fresh().await;
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let s = store.create_session(u.id, "t1", 100).await.unwrap();
    poll_once_then_drop(store.refresh("t1", "lost", 200, 0)).await;
    // Writes are carried out in order: once this one is answered, the lost one is committed.
    store.clear_login_failures("barrier@b.co").await.unwrap();
    assert_integrity(store.as_ref()).await;
    // Also across a reopening of the database (the process that lost the answer is gone).
    drop(store);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir).await.unwrap());
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_in_a_batch_undoes_only_itself() {
    let (store, _dir) = fresh().await;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_write_is_visible_to_the_next_read() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn logout_scopes_delete_the_right_sessions() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn login_attempts_count_before_the_password_lock_and_clear() {
    let (store, _dir) = fresh().await;
    let t = Throttle::default();
    for n in 1..=4 {
        assert_eq!(
            store.admit_login_attempt("x@y.co", 1_000, t).await.unwrap(),
            LoginGate::Admitted {
                failures: n,
                locked_until: 1_000
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
            locked_until: 2_500
        }
    );
}

#[tokio::test]
async fn concurrent_login_attempts_pass_the_gate_no_more_often_than_sequential_ones() {
    let (store, _dir) = fresh().await;
    let t = Throttle {
        free_failures: 3,
        base_delay_ms: 3_600_000,
        max_delay_ms: 3_600_000,
    };
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let store = store.clone();
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

#[tokio::test]
async fn adding_a_signing_key_retires_the_active_one() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn publishing_copies_the_draft_keeps_every_version_and_counts_them() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn a_draft_write_with_a_stale_revision_writes_nothing_and_returns_the_current_draft() {
    let (store, _dir) = fresh().await;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_draft_writes_from_one_revision_let_exactly_one_through() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn builder_sessions_expire_end_alone_or_all_at_once_and_go_with_their_builder() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn app_sessions_expire_refresh_once_per_generation_end_and_go_with_their_app() {
    let (store, _dir) = fresh().await;
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

#[tokio::test]
async fn builders_are_not_users() {
    let (store, _dir) = fresh().await;
    store.create_user(user("a@b.co"), 1).await.unwrap();
    assert!(store.builder_by_email("a@b.co").await.unwrap().is_none());
    store
        .create_builder("a@b.co", "h", BuilderRole::Editor, 2)
        .await
        .unwrap();
    assert_eq!(store.list_users(0, 10).await.unwrap().1, 1);
    assert_eq!(store.list_builders().await.unwrap().len(), 1);
}
