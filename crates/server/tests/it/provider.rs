//! Conformance of /auth/v1 with Supabase Auth (GoTrue), and where Lowkey does better.

use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::helpers::*;

fn b64(s: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Verifies an access token against the server's published JWKS, as any third party would.
async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let jwks: Value = app
        .client
        .get(app.auth("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.expect("kid");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid in JWKS");
    let key =
        DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&["authenticated"]);
    v.set_issuer(&[app.auth("")]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .expect("token verifies against the JWKS")
        .claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_grant_returns_a_gotrue_session_with_verifiable_claims() {
    let app = spawn_app().await;
    let user = app.create_user("ada@example.com").await;
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["token_type"], "bearer");
    assert_eq!(s["expires_in"], 3600);
    assert!(s["expires_at"].as_i64().unwrap() > 1_700_000_000);
    let refresh = s["refresh_token"].as_str().unwrap();
    assert!(refresh.len() >= 22, "at least 128 bits");
    assert_eq!(s["user"]["id"], user["id"]);
    assert_eq!(s["user"]["aud"], "authenticated");
    assert_eq!(s["user"]["role"], "authenticated");
    assert_eq!(
        s["user"]["app_metadata"],
        json!({"provider": "email", "providers": ["email"]})
    );
    assert!(
        s["user"]["email_confirmed_at"].is_string() && s["user"]["last_sign_in_at"].is_string()
    );
    assert!(s["user"].get("password_hash").is_none() && !s.to_string().contains("argon2"));

    let token = s["access_token"].as_str().unwrap();
    let header = b64(token.split('.').next().unwrap());
    assert_eq!(header["alg"], "ES256");
    let claims = verify_with_jwks(&app, token).await;
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["phone"], "");
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["aal"], "aal1");
    assert_eq!(claims["amr"][0]["method"], "password");
    assert_eq!(claims["is_anonymous"], false);
    assert!(claims["session_id"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let wrong = assert_error(
        app.sign_in("ada@example.com", "not the password").await,
        400,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_error(
        app.sign_in("nobody@example.com", "not the password").await,
        400,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["msg"], "Invalid login credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_lookup_is_case_insensitive() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    assert_eq!(
        app.sign_in("  ADA@Example.com ", PASSWORD).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_token_requests_get_clear_400s_and_oversized_bodies_413() {
    let app = spawn_app().await;
    let post = |path: &str, body: String| {
        app.client
            .post(app.auth(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_error(
        post("/token", "{}".into()).await.unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_error(
        post("/token?grant_type=magic", "{}".into()).await.unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_error(
        post("/token?grant_type=password", "{not json".into())
            .await
            .unwrap(),
        400,
        "bad_json",
    )
    .await;
    assert_error(
        post("/token?grant_type=password", r#"{"email": 5}"#.into())
            .await
            .unwrap(),
        400,
        "bad_json",
    )
    .await;
    assert_error(
        post("/token?grant_type=password", r#"{"password": "x"}"#.into())
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_error(
        post(
            "/token?grant_type=password",
            r#"{"email": "a@b.co", "phone": "1", "password": "x"}"#.into(),
        )
        .await
        .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_error(
        post(
            "/token?grant_type=refresh_token",
            r#"{"refresh_token": ""}"#.into(),
        )
        .await
        .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    let big = format!(r#"{{"email": "{}"}}"#, "a".repeat(1024 * 1024 + 10));
    assert_error(
        post("/token?grant_type=password", big).await.unwrap(),
        413,
        "request_entity_too_large",
    )
    .await;
    // Unknown fields (auth-js sends gotrue_meta_security) are ignored.
    let r = post(
        "/token?grant_type=password",
        r#"{"email": "x@y.co", "password": "whatever1", "gotrue_meta_security": {}}"#.into(),
    )
    .await
    .unwrap();
    assert_error(r, 400, "invalid_credentials").await;
    let r = app
        .client
        .get(app.auth("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_the_token_and_keeps_the_session() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let s = app.session("ada@example.com").await;
    let first = s["refresh_token"].as_str().unwrap();
    let r = app.refresh(first).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let s2: Value = r.json().await.unwrap();
    let second = s2["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    let c1 = b64(s["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap());
    let c2 = b64(s2["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap());
    assert_eq!(c1["session_id"], c2["session_id"]);
    assert_eq!(
        app.get_user(s2["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_error(
        app.refresh("never-issued-token").await,
        400,
        "refresh_token_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_the_immediate_parent_is_forgiven_but_older_reuse_revokes_the_session() {
    // No reuse interval: only the parent rule can forgive.
    let app = spawn_app_with(|c| c.provider.refresh_reuse_interval = 0).await;
    app.create_user("ada@example.com").await;
    let s = app.session("ada@example.com").await;
    let t1 = s["refresh_token"].as_str().unwrap().to_string();
    let s2: Value = app.refresh(&t1).await.json().await.unwrap();
    let t2 = s2["refresh_token"].as_str().unwrap().to_string();
    // The client lost the answer and presents t1 again: forgiven, a fresh token comes back.
    let r = app.refresh(&t1).await;
    assert_eq!(r.status(), 200, "immediate parent replay");
    let s3: Value = r.json().await.unwrap();
    let t3 = s3["refresh_token"].as_str().unwrap().to_string();
    // t1 is now the grandparent: reuse is an attack. The whole session goes.
    assert_error(app.refresh(&t1).await, 400, "refresh_token_already_used").await;
    assert_error(app.refresh(&t3).await, 400, "refresh_token_not_found").await;
    assert_error(app.refresh(&t2).await, 400, "refresh_token_not_found").await;
    assert_error(
        app.get_user(s3["access_token"].as_str().unwrap()).await,
        403,
        "session_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_tokens_are_accepted_within_the_reuse_interval() {
    let app = spawn_app().await; // 10 s interval
    app.create_user("ada@example.com").await;
    let t1 = app.session("ada@example.com").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let t2 = app.refresh(&t1).await.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let _t3 = app.refresh(&t2).await.json::<Value>().await.unwrap();
    assert_eq!(
        app.refresh(&t1).await.status(),
        200,
        "grandparent within 10 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_of_one_token_all_succeed_without_a_5xx() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let t = app.session("ada@example.com").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Spawned tasks on the multi-threaded runtime: the requests really overlap.
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (client, url, t) = (
                app.client.clone(),
                app.auth("/token?grant_type=refresh_token"),
                t.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({ "refresh_token": t }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

/// The store's invariants after a test: one chain with one current token per session, no
/// dangling rows.
async fn assert_store_integrity(app: &TestApp) {
    let problems = app.state.store.integrity_problems().await.unwrap();
    assert!(problems.is_empty(), "integrity problems: {problems:#?}");
}

fn claims_of(session: &Value) -> Value {
    b64(session["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap())
}

/// These tests send more `/token` requests than the per-IP burst allows.
fn unlimited_token_requests(c: &mut lowkey_server::config::Config) {
    c.provider.rate_limit_token_burst = 1_000_000;
    c.provider.rate_limit_token_refill = 1_000_000_000;
}

/// Sends a refresh on a task of its own, so several are really in flight at once.
fn refresh_in_flight(app: &TestApp, token: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let (client, url, token) = (
        app.client.clone(),
        app.auth("/token?grant_type=refresh_token"),
        token.to_string(),
    );
    tokio::spawn(async move {
        let r = client
            .post(url)
            .json(&json!({ "refresh_token": token }))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_refreshing_one_token_at_once_both_get_working_tokens_and_one_chain_remains() {
    // The default 10 s reuse interval; more /token requests than the per-IP burst.
    let app = spawn_app_with(unlimited_token_requests).await;
    app.create_user("ada@example.com").await;
    for _ in 0..8 {
        let s = app.session("ada@example.com").await;
        let t = s["refresh_token"].as_str().unwrap();
        let (a, b) = (refresh_in_flight(&app, t), refresh_in_flight(&app, t));
        let ((sa, a), (sb, b)) = (a.await.unwrap(), b.await.unwrap());
        assert_eq!((sa, sb), (200, 200), "{a} {b}");
        assert_ne!(a["refresh_token"], b["refresh_token"]);
        for tab in [&a, &b] {
            assert_eq!(claims_of(tab)["session_id"], claims_of(&s)["session_id"]);
            let access = tab["access_token"].as_str().unwrap();
            assert_eq!(app.get_user(access).await.status(), 200);
        }
        assert_store_integrity(&app).await;
        // Each tab goes on with the token it got.
        for tab in [&a, &b] {
            let r = app.refresh(tab["refresh_token"].as_str().unwrap()).await;
            assert_eq!(r.status(), 200);
        }
        assert_store_integrity(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_token_replayed_while_the_owner_refreshes_revokes_the_session_whichever_lands_first(
) {
    // No reuse interval: a token two rotations old is reuse outside the rules.
    let app = spawn_app_with(|c| {
        unlimited_token_requests(c);
        c.provider.refresh_reuse_interval = 0;
    })
    .await;
    app.create_user("ada@example.com").await;
    for _ in 0..8 {
        let s0 = app.session("ada@example.com").await;
        let stolen = s0["refresh_token"].as_str().unwrap().to_string();
        let s1: Value = app.refresh(&stolen).await.json().await.unwrap();
        let s2: Value = app
            .refresh(s1["refresh_token"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        let owner = refresh_in_flight(&app, s2["refresh_token"].as_str().unwrap());
        let thief = refresh_in_flight(&app, &stolen);
        let ((so, o), (st, t)) = (owner.await.unwrap(), thief.await.unwrap());
        assert_eq!(st, 400, "{t}");
        assert_eq!(t["error_code"], "refresh_token_already_used");
        // The owner rotated just before the revocation, or found the session already gone.
        match so {
            200 => assert!(o["refresh_token"].is_string()),
            400 => assert_eq!(o["error_code"], "refresh_token_not_found"),
            other => panic!("owner got {other}: {o}"),
        }
        // Either way the session is over, for every token of it.
        assert_error(
            app.get_user(s2["access_token"].as_str().unwrap()).await,
            403,
            "session_not_found",
        )
        .await;
        if let Some(latest) = o["refresh_token"].as_str() {
            assert_error(app.refresh(latest).await, 400, "refresh_token_not_found").await;
        }
        assert_store_integrity(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_whose_answer_is_lost_after_commit_is_forgiven_once_even_after_a_restart() {
    let dir = fresh_dir();
    // The issuer must stay the same across the restart (the port changes here); no reuse
    // interval, so only the immediate-parent rule can forgive.
    let cfg = |c: &mut lowkey_server::config::Config| {
        c.external_url = Some("http://lowkey.test".into());
        c.provider.refresh_reuse_interval = 0;
    };
    let app = spawn_in(dir.clone(), cfg).await;
    app.create_user("ada@example.com").await;
    let t1 = app.session("ada@example.com").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    // The refresh is sent (polled once: its write is queued) and then its caller is gone, as
    // when the server dies between the commit and the answer.
    {
        let lost = std::pin::pin!(app.state.provider.refresh(&t1));
        tokio::select! {
            biased;
            _ = lost => {}
            _ = std::future::ready(()) => {}
        }
    }
    // Writes are carried out in order: once this one is answered, the lost one is committed.
    app.state
        .store
        .clear_login_failures("barrier@example.com")
        .await
        .unwrap();
    assert_store_integrity(&app).await;
    let mut app = app;
    app.data_dir = fresh_dir(); // keep the directory: stop the server without its cleanup
    drop(app);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let again = spawn_in(dir, cfg).await;
    // t1 is the parent of the token nobody received: forgiven, and the chain goes on.
    let r = again.refresh(&t1).await;
    assert_eq!(r.status(), 200, "the parent of the lost token is forgiven");
    let t3: Value = r.json().await.unwrap();
    assert_store_integrity(&again).await;
    // Had the lost rotation not been committed, t1 would be the parent of t3 and forgiven
    // again. It is older than that: reuse, and the session is revoked.
    assert_error(again.refresh(&t1).await, 400, "refresh_token_already_used").await;
    assert_error(
        again.refresh(t3["refresh_token"].as_str().unwrap()).await,
        400,
        "refresh_token_not_found",
    )
    .await;
    assert_store_integrity(&again).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_scopes_end_the_right_sessions_at_once() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let a = app.session("ada@example.com").await;
    let b = app.session("ada@example.com").await;
    let c = app.session("ada@example.com").await;
    let tok = |s: &Value| s["access_token"].as_str().unwrap().to_string();
    assert_error(
        app.logout(&tok(&a), Some("everyone")).await,
        400,
        "validation_failed",
    )
    .await;

    // others: a stays, b and c end.
    let r = app.logout(&tok(&a), Some("others")).await;
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(app.get_user(&tok(&a)).await.status(), 200);
    assert_error(app.get_user(&tok(&b)).await, 403, "session_not_found").await;
    assert_error(app.get_user(&tok(&c)).await, 403, "session_not_found").await;
    assert_error(
        app.refresh(b["refresh_token"].as_str().unwrap()).await,
        400,
        "refresh_token_not_found",
    )
    .await;

    // local: only the current one.
    let d = app.session("ada@example.com").await;
    assert_eq!(app.logout(&tok(&d), Some("local")).await.status(), 204);
    assert_error(app.get_user(&tok(&d)).await, 403, "session_not_found").await;
    assert_eq!(app.get_user(&tok(&a)).await.status(), 200);

    // global (the default): everything.
    let e = app.session("ada@example.com").await;
    assert_eq!(app.logout(&tok(&e), None).await.status(), 204);
    assert_error(app.get_user(&tok(&a)).await, 403, "session_not_found").await;
    assert_error(
        app.refresh(a["refresh_token"].as_str().unwrap()).await,
        400,
        "refresh_token_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_problems_are_401_or_403_with_gotrue_codes() {
    let app = spawn_app().await;
    let r = app.client.get(app.auth("/user")).send().await.unwrap();
    assert_error(r, 401, "no_authorization").await;
    let r = app
        .client
        .get(app.auth("/user"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "no_authorization").await;
    assert_error(app.get_user("not.a.jwt").await, 403, "bad_jwt").await;
    // The bearer scheme is case-insensitive.
    app.create_user("ada@example.com").await;
    let s = app.session("ada@example.com").await;
    let r = app
        .client
        .get(app.auth("/user"))
        .header(
            "authorization",
            format!("bEaReR {}", s["access_token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // alg none and HMAC tokens carrying the real kid are refused.
    let token = s["access_token"].as_str().unwrap();
    let mut parts = token.split('.');
    let header = b64(parts.next().unwrap());
    let payload = parts.next().unwrap();
    let enc = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{payload}.",
        enc(&json!({"alg": "none", "kid": header["kid"]}))
    );
    assert_error(app.get_user(&none).await, 403, "bad_jwt").await;
    let mut h = jsonwebtoken::Header::new(Algorithm::HS256);
    h.kid = header["kid"].as_str().map(String::from);
    let claims = b64(payload);
    let hs = jsonwebtoken::encode(
        &h,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    assert_error(app.get_user(&hs).await, 403, "bad_jwt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_update_their_metadata_and_password_with_policy_checks() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let me = app.session("ada@example.com").await;
    let other = app.session("ada@example.com").await;
    let tok = me["access_token"].as_str().unwrap();
    let put = |body: Value| {
        app.client
            .put(app.auth("/user"))
            .bearer_auth(tok)
            .json(&body)
            .send()
    };

    let r = put(json!({"data": {"team": "ops", "lang": "en"}}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let u: Value = r.json().await.unwrap();
    assert_eq!(u["user_metadata"], json!({"team": "ops", "lang": "en"}));
    let u: Value = put(json!({"data": {"lang": null}}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["user_metadata"], json!({"team": "ops"}));

    let weak = assert_error(
        put(json!({"password": "short"})).await.unwrap(),
        422,
        "weak_password",
    )
    .await;
    assert_eq!(weak["weak_password"]["reasons"], json!(["length"]));
    let weak = assert_error(
        put(json!({"password": "password123"})).await.unwrap(),
        422,
        "weak_password",
    )
    .await;
    assert_eq!(weak["weak_password"]["reasons"], json!(["pwned"]));
    assert_error(
        put(json!({"password": PASSWORD})).await.unwrap(),
        422,
        "same_password",
    )
    .await;
    assert_error(
        put(json!({"app_metadata": {"role": "admin"}}))
            .await
            .unwrap(),
        403,
        "not_admin",
    )
    .await;

    let long = "a sentence that is much longer than sixty-four characters, which must be fine";
    assert_eq!(put(json!({"password": long})).await.unwrap().status(), 200);
    // A password change ends the user's other sessions, not this one.
    assert_eq!(app.get_user(tok).await.status(), 200);
    assert_error(
        app.get_user(other["access_token"].as_str().unwrap()).await,
        403,
        "session_not_found",
    )
    .await;
    assert_eq!(app.sign_in("ada@example.com", long).await.status(), 200);
    assert_error(
        app.sign_in("ada@example.com", PASSWORD).await,
        400,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_is_off_by_default_and_works_when_enabled() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.auth("/signup"))
        .json(&json!({"email": "new@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_error(r, 422, "signup_disabled").await;
    let settings: Value = app
        .client
        .get(app.auth("/settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["disable_signup"], true);
    assert_eq!(settings["external"]["email"], true);

    let app = spawn_app_with(|c| c.provider.disable_signup = false).await;
    let signup = |email: &str, pw: &str| {
        app.client
            .post(app.auth("/signup"))
            .json(&json!({"email": email, "password": pw, "data": {"name": "N"}}))
            .send()
    };
    let r = signup("new@example.com", PASSWORD).await.unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert!(s["access_token"].is_string() && s["refresh_token"].is_string());
    assert_eq!(s["user"]["user_metadata"]["name"], "N");
    assert_error(
        signup("NEW@example.com", PASSWORD).await.unwrap(),
        422,
        "user_already_exists",
    )
    .await;
    assert_error(
        signup("other@example.com", "1234567").await.unwrap(),
        422,
        "weak_password",
    )
    .await;
    assert_error(
        signup("not-an-email", PASSWORD).await.unwrap(),
        400,
        "validation_failed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_and_discovery_publish_only_public_keys_and_rotation_keeps_old_tokens_valid() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.auth("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "public, max-age=600");
    let jwks: Value = r.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["alg"], "ES256");
    assert!(keys[0].get("d").is_none());
    let oidc: Value = app
        .client
        .get(app.auth("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oidc["issuer"], app.auth(""));
    assert_eq!(oidc["jwks_uri"], app.auth("/.well-known/jwks.json"));
    let health: Value = app
        .client
        .get(app.auth("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(health["version"].is_string() && health["name"].is_string());

    app.create_user("ada@example.com").await;
    let before = app.session("ada@example.com").await;
    let old_kid = keys[0]["kid"].as_str().unwrap().to_string();
    lowkey_server::provider::rotate_keys(app.state.store.as_ref(), app.state.provider.config())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await; // key reloads are rate-limited to 1/s
    let jwks: Value = app
        .client
        .get(app.auth("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "the old key stays until its tokens expire"
    );
    let after = app.session("ada@example.com").await;
    let new_kid = jsonwebtoken::decode_header(after["access_token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    assert_ne!(new_kid, old_kid);
    assert_eq!(
        app.get_user(before["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    verify_with_jwks(&app, before["access_token"].as_str().unwrap()).await;
    verify_with_jwks(&app, after["access_token"].as_str().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_keys_can_be_chosen() {
    let app = spawn_app_with(|c| c.provider.jwt_algorithm = "RS256".into()).await;
    app.create_user("ada@example.com").await;
    let s = app.session("ada@example.com").await;
    let h = jsonwebtoken::decode_header(s["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(h.alg, Algorithm::RS256);
    let jwks: Value = app
        .client
        .get(app.auth("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(
        app.get_user(s["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_needs_a_service_role_token() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let user_token = app.session("ada@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .client
        .get(app.auth("/admin/users"))
        .bearer_auth(&user_token)
        .send()
        .await
        .unwrap();
    assert_error(r, 403, "not_admin").await;
    let r = app
        .client
        .get(app.auth("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "no_authorization").await;

    let admin = app.service_token();
    let create = |body: Value| {
        app.client
            .post(app.auth("/admin/users"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let r = create(json!({"email": "bob@example.com", "password": PASSWORD, "email_confirm": true, "user_metadata": {"x": 1}})).await.unwrap();
    assert_eq!(r.status(), 200);
    let bob: Value = r.json().await.unwrap();
    assert_eq!(bob["email"], "bob@example.com");
    assert_eq!(bob["user_metadata"]["x"], 1);
    assert_error(
        create(json!({"email": "BOB@example.com", "password": PASSWORD}))
            .await
            .unwrap(),
        422,
        "email_exists",
    )
    .await;
    assert_error(
        create(json!({"email": "carol@example.com", "password": "123"}))
            .await
            .unwrap(),
        422,
        "weak_password",
    )
    .await;

    let r = app
        .client
        .get(app.auth("/admin/users?page=1&per_page=1"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-total-count"], "2");
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["users"].as_array().unwrap().len(), 1);
    assert_eq!(list["aud"], "authenticated");
    let r = app
        .client
        .get(app.auth("/admin/users?per_page=zero"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "validation_failed").await;

    let id = bob["id"].as_str().unwrap();
    let r = app
        .client
        .get(app.auth(&format!("/admin/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["id"], id);
    let r = app
        .client
        .get(app.auth("/admin/users/not-a-uuid"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "user_not_found").await;

    // A ban ends sessions; the banned user learns of it only with the right password.
    let bob_session = app.session("bob@example.com").await;
    let r = app
        .client
        .put(app.auth(&format!("/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"ban_duration": "24h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["banned_until"].is_string());
    assert_error(
        app.get_user(bob_session["access_token"].as_str().unwrap())
            .await,
        403,
        "session_not_found",
    )
    .await;
    assert_error(
        app.sign_in("bob@example.com", "wrong password").await,
        400,
        "invalid_credentials",
    )
    .await;
    assert_error(
        app.sign_in("bob@example.com", PASSWORD).await,
        400,
        "user_banned",
    )
    .await;
    let r = app
        .client
        .put(app.auth(&format!("/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"ban_duration": "soon"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "validation_failed").await;

    let r = app
        .client
        .delete(app.auth(&format!("/admin/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    let r = app
        .client
        .delete(app.auth(&format!("/admin/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "user_not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2024_api_version_header_selects_the_new_error_shape_and_is_echoed() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.auth("/token?grant_type=password"))
        .header("X-Supabase-Api-Version", "2024-01-01")
        .json(&json!({"email": "nobody@example.com", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-supabase-api-version"], "2024-01-01");
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"code": "invalid_credentials", "message": "Invalid login credentials"})
    );
    let r = app
        .client
        .put(app.auth("/user"))
        .header("X-Supabase-Api-Version", "2024-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "no_authorization");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_is_rate_limited_per_client_ip() {
    let app = spawn_app_with(|c| c.provider.rate_limit_token_burst = 3).await;
    for _ in 0..3 {
        assert_eq!(
            app.sign_in("x@example.com", "whatever1").await.status(),
            400
        );
    }
    let r = app.sign_in("x@example.com", "whatever1").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, 429, "over_request_rate_limit").await;
    assert_error(app.refresh("abc").await, 429, "over_request_rate_limit").await;
    // Other endpoints are not limited by it.
    assert_eq!(
        app.client
            .get(app.auth("/settings"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mistyped_password_costs_nothing_but_repeated_failures_slow_the_account_down() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    assert_error(
        app.sign_in("ada@example.com", "typo typo").await,
        400,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.sign_in("ada@example.com", PASSWORD).await.status(),
        200,
        "signs in at once after one typo"
    );

    for _ in 0..5 {
        assert_error(
            app.sign_in("ada@example.com", "guess guess").await,
            400,
            "invalid_credentials",
        )
        .await;
    }
    // After the 5th failure even the right password waits.
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(r.headers()["retry-after"], "1");
    assert_error(r, 429, "over_request_rate_limit").await;
    // Other accounts are unaffected.
    app.create_user("bob@example.com").await;
    assert_eq!(app.sign_in("bob@example.com", PASSWORD).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        app.sign_in("ada@example.com", PASSWORD).await.status(),
        200,
        "after the delay"
    );
    // The success reset the count: one more typo does not lock.
    assert_eq!(
        app.sign_in("ada@example.com", "typo typo").await.status(),
        400
    );
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 200);

    // Unknown addresses are throttled the same way: the delay reveals nobody.
    for _ in 0..5 {
        app.sign_in("ghost@example.com", "guess guess").await;
    }
    assert_error(
        app.sign_in("ghost@example.com", "guess guess").await,
        429,
        "over_request_rate_limit",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_a_restart_on_the_same_directory() {
    let dir = fresh_dir();
    // The issuer must stay the same across the restart (the port changes here).
    let fixed =
        |c: &mut lowkey_server::config::Config| c.external_url = Some("http://lowkey.test".into());
    let app = spawn_in(dir.clone(), fixed).await;
    app.create_user("ada@example.com").await;
    let s = app.session("ada@example.com").await;
    app.state.store.list_apps().await.unwrap();
    let mut app = app;
    // Keep the directory: stop the first server without its cleanup.
    app.data_dir = fresh_dir();
    drop(app);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let again = spawn_in(dir, fixed).await;
    let r = again.refresh(s["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200, "session and signing key survived");
    assert_eq!(
        again
            .get_user(s["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_health_endpoint_answers() {
    let app = spawn_app().await;
    let r: Value = app
        .client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_sign_ins_and_refreshes_without_user_data() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let s = app.session("ada@example.com").await;
    app.sign_in("ada@example.com", "wrong password").await;
    app.refresh(s["refresh_token"].as_str().unwrap()).await;
    let r = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("lowkey_sign_ins_total{outcome=\"success\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("lowkey_sign_ins_total{outcome=\"failure\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("lowkey_refreshes_total{outcome=\"success\"} 1"),
        "{text}"
    );
    assert!(!text.contains("ada@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_apps_on_other_origins_may_call_the_provider() {
    let app = spawn_app().await;
    let r = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.auth("/token?grant_type=password"),
        )
        .header("origin", "http://other.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("x-supabase-api-version") && allowed.contains("authorization"),
        "{allowed}"
    );
    let r = app
        .client
        .get(app.auth("/settings"))
        .header("origin", "http://other.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // The platform API stays same-origin.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/v1/apps", app.url))
        .header("origin", "http://other.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

/// A password sign-in sent as if through a proxy that appended `x_forwarded_for`.
async fn sign_in_via_proxy(app: &TestApp, x_forwarded_for: &str, email: &str) -> reqwest::Response {
    app.client
        .post(app.auth("/token?grant_type=password"))
        .header("x-forwarded-for", x_forwarded_for)
        .json(&json!({ "email": email, "password": "whatever1" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_a_client_cannot_escape_its_rate_limit_bucket_with_its_own_forwarded_for_entry(
) {
    let app = spawn_app_with(|c| {
        c.provider.trust_forwarded_for = true;
        c.provider.rate_limit_token_burst = 3;
    })
    .await;
    // The client writes a new left-most entry each time; the proxy appends what it saw.
    for i in 0..3 {
        let xff = format!("10.9.9.{i}, 203.0.113.7");
        let r = sign_in_via_proxy(&app, &xff, &format!("u{i}@example.com")).await;
        assert_eq!(r.status(), 400, "attempt {i}");
    }
    let r = sign_in_via_proxy(&app, "10.9.9.99, 203.0.113.7", "u9@example.com").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, 429, "over_request_rate_limit").await;
    // Another client behind the same proxy has its own bucket.
    let r = sign_in_via_proxy(&app, "10.9.9.99, 203.0.113.8", "u10@example.com").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_clients_of_one_64_share_a_rate_limit_bucket_and_another_64_has_its_own() {
    let app = spawn_app_with(|c| {
        c.provider.trust_forwarded_for = true;
        c.provider.rate_limit_token_burst = 3;
    })
    .await;
    for (i, ip) in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:ffff:aaaa:1:3",
    ]
    .iter()
    .enumerate()
    {
        let r = sign_in_via_proxy(&app, ip, &format!("u{i}@example.com")).await;
        assert_eq!(r.status(), 400, "{ip}");
    }
    let r = sign_in_via_proxy(&app, "2001:db8:1:2:9999::4", "u4@example.com").await;
    assert_error(r, 429, "over_request_rate_limit").await;
    let r = sign_in_via_proxy(&app, "2001:db8:1:3::1", "u5@example.com").await;
    assert_eq!(r.status(), 400, "a different /64");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_get_no_more_tries_than_sequential_ones_and_lock_the_account() {
    let app = spawn_app_with(|c| {
        c.provider.throttle_free_failures = 3;
        c.provider.throttle_base_ms = 3_600_000;
        c.provider.throttle_max_ms = 3_600_000;
    })
    .await;
    app.create_user("ada@example.com").await;
    let guesses = (0..20).map(|i| {
        let client = app.client.clone();
        let url = app.auth("/token?grant_type=password");
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({ "email": "ada@example.com", "password": format!("guess {i:02}") }))
                .send()
                .await
                .unwrap()
        })
    });
    let (mut wrong, mut throttled) = (0, 0);
    let guesses: Vec<_> = guesses.collect();
    for guess in guesses {
        let r = guess.await.unwrap();
        match r.status().as_u16() {
            400 => {
                assert_error(r, 400, "invalid_credentials").await;
                wrong += 1;
            }
            429 => {
                assert!(r.headers().contains_key("retry-after"));
                assert_error(r, 429, "over_request_rate_limit").await;
                throttled += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // As sequentially: the three free failures, and the fourth that closes the account.
    assert_eq!((wrong, throttled), (4, 16));
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, 429, "over_request_rate_limit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_that_take_signed_in_or_admin_get_the_providers_401_and_403() {
    use axum::routing::get;
    use lowkey_server::http::extract::{Admin, SignedIn};

    let app = spawn_app().await;
    let router = axum::Router::new()
        .route("/me", get(|me: SignedIn| async move { me.claims.sub }))
        .route("/admin", get(|_: Admin| async { "admin" }))
        .with_state(app.state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let get = |path: &str, token: Option<&str>| {
        let mut req = app.client.get(format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    let ada = app.create_user("ada@example.com").await;
    let session = app.session("ada@example.com").await;
    let user = session["access_token"].as_str().unwrap();
    let service = app.service_token();

    assert_error(get("/me", None).await.unwrap(), 401, "no_authorization").await;
    assert_error(get("/admin", None).await.unwrap(), 401, "no_authorization").await;
    let r = get("/me", Some(user)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), ada["id"].as_str().unwrap());
    assert_error(get("/admin", Some(user)).await.unwrap(), 403, "not_admin").await;
    assert_error(get("/me", Some(&service)).await.unwrap(), 403, "bad_jwt").await;
    assert_eq!(get("/admin", Some(&service)).await.unwrap().status(), 200);
    assert_error(get("/me", Some("not.a.jwt")).await.unwrap(), 403, "bad_jwt").await;
    assert_eq!(app.logout(user, None).await.status(), 204);
    assert_error(
        get("/me", Some(user)).await.unwrap(),
        403,
        "session_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_not_the_handlers_refuses_bad_pages_foreign_fields_and_disabled_sign_ups() {
    use lowkey_core::AuthError;
    use lowkey_server::provider::SelfUpdate;

    let app = spawn_app().await;
    let provider = &app.state.provider;
    assert!(matches!(
        provider.admin_list_users(Some("0"), None).await,
        Err(AuthError::Validation(_))
    ));
    app.create_user("ada@example.com").await;
    app.create_user("bob@example.com").await;
    let (users, total) = provider
        .admin_list_users(Some("2"), Some("1"))
        .await
        .unwrap();
    assert_eq!((users.len(), total), (1, 2));
    assert_eq!(users[0].email, "bob@example.com");
    let ada = provider
        .admin_user(lowkey_server::provider::parse_user_id(&users[0].id.to_string()).unwrap())
        .await
        .unwrap();
    assert_eq!(ada.email, "bob@example.com");
    assert!(matches!(
        lowkey_server::provider::parse_user_id("nobody"),
        Err(AuthError::UserNotFound)
    ));
    assert!(matches!(
        provider.admin_delete_user(uuid::Uuid::new_v4()).await,
        Err(AuthError::UserNotFound)
    ));
    // Sign-up is off by default, and says so whatever the request lacks.
    assert!(matches!(
        provider.sign_up(None, None, None).await,
        Err(AuthError::SignupDisabled)
    ));
    let token = app.session("ada@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (session, _) = provider.authenticate_user(&token).await.unwrap();
    let refused = provider
        .update_self(
            &session,
            SelfUpdate {
                app_metadata: Some(json!({"role": "boss"})),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(refused, Err(AuthError::NotAdmin)));
    let refused = provider
        .update_self(
            &session,
            SelfUpdate {
                email: Some("eve@example.com".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(refused, Err(AuthError::Validation(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_never_repeat_the_grant_type_or_ban_duration_sent() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.auth("/token?grant_type=SUPERSECRET-upkey-123"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 400, "validation_failed").await;
    let msg = body["msg"].as_str().unwrap();
    assert!(!msg.contains("SUPERSECRET"), "{msg}");
    assert!(
        msg.contains("unsupported_grant_type")
            && msg.contains("password")
            && msg.contains("refresh_token"),
        "{msg}"
    );
    let bob = app.create_user("bob@example.com").await;
    let r = app
        .client
        .put(app.auth(&format!("/admin/users/{}", bob["id"].as_str().unwrap())))
        .bearer_auth(app.service_token())
        .json(&json!({"ban_duration": "SUPERSECRET-ban-456"}))
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 400, "validation_failed").await;
    assert!(
        !body["msg"].as_str().unwrap().contains("SUPERSECRET"),
        "{body}"
    );
}

#[test]
fn admin_user_requests_print_no_password_in_debug_output() {
    let req = lowkey_server::provider::AdminUser {
        email: Some("ada@example.com".into()),
        password: Some("hunter2 hunter2".into()),
        ..Default::default()
    };
    let text = format!("{req:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains("password: Some(\"***\")") && text.contains("ada@example.com"),
        "{text}"
    );
}
