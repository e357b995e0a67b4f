//! Contract tests of the Store trait, run against the SQLite backend with a fresh database
//! each. A future PostgreSQL backend runs the same cases.

use std::sync::Arc;

use lowkey_core::jwt::{Alg, KeyMaterial};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::LogoutScope;
use lowkey_store::{NewUser, RefreshOutcome, SqliteStore, Store, StoreError};

async fn fresh() -> (Arc<dyn Store>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("lowkey-store-{}", uuid::Uuid::new_v4()));
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

/// Every session's tokens form one chain with exactly one current token.
async fn assert_integrity(dir: &std::path::Path) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", dir.join("lowkey.db").display()))
        .await
        .unwrap();
    let bad: i64 = sqlx::query_scalar(
        "select count(*) from session s where (select count(*) from refresh_token t where t.session_id = s.id and t.rotated_at is null) <> 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        bad, 0,
        "a session without exactly one current refresh token"
    );
    let fk: Vec<(String,)> = sqlx::query_as("select \"table\" from pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(fk.is_empty(), "foreign key violations: {fk:?}");
    pool.close().await;
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
    let (store, dir) = fresh().await;
    store.create_user(user("a@b.co"), 10).await.unwrap();
    match store.create_user(user("a@b.co"), 11).await {
        Err(StoreError::Conflict(name)) => assert_eq!(name, "user_email_key"),
        other => panic!("expected a conflict, got {:?}", other.map(|u| u.id)),
    }
    assert_integrity(&dir).await;
}

#[tokio::test]
async fn refresh_rotates_forgives_the_parent_and_revokes_on_other_reuse() {
    let (store, dir) = fresh().await;
    let u = store.create_user(user("a@b.co"), 10).await.unwrap();
    let s = store.create_session(u.id, "d1", 100).await.unwrap();
    assert!(matches!(
        store.refresh("d1", "d2", 200, 0).await.unwrap(),
        RefreshOutcome::Rotated { .. }
    ));
    assert_integrity(&dir).await;
    // d1 is the parent of the current d2: forgiven, d2 is rotated into d3.
    assert!(matches!(
        store.refresh("d1", "d3", 300, 0).await.unwrap(),
        RefreshOutcome::Rotated { .. }
    ));
    assert_integrity(&dir).await;
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
    assert_integrity(&dir).await;
}

#[tokio::test]
async fn concurrent_refreshes_keep_one_chain() {
    let (store, dir) = fresh().await;
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
    assert_integrity(&dir).await;
}

#[tokio::test]
async fn logout_scopes_delete_the_right_sessions() {
    let (store, dir) = fresh().await;
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
    assert_integrity(&dir).await;
}

fn admitted(gate: LoginGate) -> bool {
    matches!(gate, LoginGate::Admitted { .. })
}

#[tokio::test]
async fn login_attempts_count_before_the_password_lock_and_clear() {
    let (store, _) = fresh().await;
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
    let (store, _) = fresh().await;
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
    let (store, _) = fresh().await;
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
async fn publishing_copies_the_draft_and_counts_versions() {
    let (store, _) = fresh().await;
    assert_eq!(store.publish_app("nope", 1).await.unwrap(), None);
    store
        .save_app_draft("s", "App", "{\"v\":1}", 1)
        .await
        .unwrap();
    assert_eq!(store.published_version("s").await.unwrap(), Some(0));
    assert_eq!(store.publish_app("s", 2).await.unwrap(), Some(1));
    store
        .save_app_draft("s", "App", "{\"v\":2}", 3)
        .await
        .unwrap();
    let app = store.app("s").await.unwrap().unwrap();
    assert_eq!(app.published.as_deref(), Some("{\"v\":1}"));
    assert_eq!(app.draft, "{\"v\":2}");
    assert_eq!(store.publish_app("s", 4).await.unwrap(), Some(2));
    assert_eq!(store.list_apps().await.unwrap().len(), 1);
}
