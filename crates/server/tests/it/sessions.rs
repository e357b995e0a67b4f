//! The examples' protected pages and queries (issue 10), and session mode: the server keeps
//! the tokens, the browser holds an HttpOnly cookie, and nothing the browser gets holds a token.

use std::sync::Arc;

use lowkey_core::now_millis;
use lowkey_server::apps;
use lowkey_server::sessions::SessionTokens;
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::protected::{access_log, assert_locked_for, bad_tokens, page};

const SESSION: &str = "secure-session";
const STORE: &str = "custom-auth";
const EMAIL: &str = "ada@example.com";

/// Both examples published, as `lowkey demo` does, and one user.
async fn examples() -> TestApp {
    let app = spawn_app().await;
    for (dir, files) in apps::examples() {
        let example = apps::import_files(app.state.store.as_ref(), dir, &files)
            .await
            .expect("the examples are valid");
        apps::publish_cli(app.state.store.as_ref(), &example.slug)
            .await
            .unwrap();
    }
    app.create_user(EMAIL).await;
    app
}

/// A request of the viewer: a bearer token (store mode) or a session cookie (session mode).
#[derive(Clone, Copy)]
enum Cred<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str),
}

async fn definition(app: &TestApp, slug: &str, cred: Cred<'_>) -> (HeaderMap, Value) {
    let req = with(
        app.client.get(format!("{}/api/v1/apps/{slug}", app.url)),
        cred,
    );
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    (headers, r.json().await.unwrap())
}

fn with(req: reqwest::RequestBuilder, cred: Cred<'_>) -> reqwest::RequestBuilder {
    match cred {
        Cred::None => req,
        Cred::Bearer(t) => req.bearer_auth(t),
        Cred::Cookie(c) => req.header(COOKIE, format!("lowkey_app_session={c}")),
    }
}

/// Runs a query: (HTTP status, headers, body text).
async fn run(
    app: &TestApp,
    slug: &str,
    query: &str,
    cred: Cred<'_>,
    params: Value,
) -> (u16, HeaderMap, String) {
    let req = app
        .client
        .post(format!(
            "{}/api/v1/apps/{slug}/queries/{query}/run",
            app.url
        ))
        .json(&json!({ "params": params }));
    let r = with(req, cred).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

fn sign_in_params(password: &str) -> Value {
    json!({ "inp_username.text": EMAIL, "inp_password.text": password })
}

fn session_header(h: &HeaderMap) -> Option<&str> {
    h.get("x-lowkey-session").and_then(|v| v.to_str().ok())
}

/// The session cookie a `Set-Cookie` sets: (its value, the whole header).
fn set_cookie(h: &HeaderMap) -> Option<(String, String)> {
    let header = h.get(SET_COOKIE)?.to_str().ok()?.to_owned();
    let value = header
        .strip_prefix("lowkey_app_session=")?
        .split(';')
        .next()?
        .to_owned();
    Some((value, header))
}

/// Signs in to the session-mode example: the cookie.
async fn sign_in(app: &TestApp) -> String {
    let (status, h, body) = run(
        app,
        SESSION,
        "sign_in",
        Cred::None,
        sign_in_params(PASSWORD),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(session_header(&h), Some("started"), "{body}");
    set_cookie(&h).expect("a session cookie").0
}

/// A session of the session-mode example holding `tokens` (as if the provider had answered
/// them), its access token expiring at `expires_at`: its cookie.
async fn seeded(
    app: &TestApp,
    tokens: &SessionTokens,
    expires_at: Option<i64>,
) -> lowkey_core::Secret {
    let (cookie, _) = app
        .state
        .sessions
        .start(SESSION, tokens, expires_at)
        .await
        .unwrap();
    cookie
}

/// Runs get_user of the session-mode example with the session `cookie`.
async fn get_user_with(app: &TestApp, cookie: &str) -> (u16, HeaderMap, String) {
    run(app, SESSION, "get_user", Cred::Cookie(cookie), json!({})).await
}

/// The tokens the server keeps for `cookie`.
async fn kept(app: &TestApp, cookie: &str) -> Option<SessionTokens> {
    let session = app.state.sessions.find(SESSION, cookie).await.unwrap()?;
    Some(session.tokens)
}

fn assert_locked_example(def: &Value) {
    assert_locked_for(def, &["Dashboard"], &["get_user"]);
    let text = def.to_string();
    assert!(
        !text.contains("btn_logout") && !text.contains("Signed in as"),
        "{text}"
    );
    assert_eq!(def["user"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_examples_refuse_their_protected_page_and_query_to_every_bad_credential() {
    let app = examples().await;
    let sign_in_store = json!({ "inp_username.text": EMAIL, "inp_password.text": PASSWORD });
    // custom-auth, store mode: the public sign-in query runs without a token.
    let (status, _, body) = run(&app, STORE, "sign_in", Cred::None, sign_in_store).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    let good = answer["body"]["access_token"].as_str().unwrap().to_owned();
    let store_param = |t: &str| json!({ "appsmith.store.accesstoken": t });

    let mut bad: Vec<(&str, Option<String>)> = vec![("no token", None)];
    bad.extend(
        bad_tokens(&app, EMAIL)
            .await
            .into_iter()
            .map(|(w, t)| (w, Some(t))),
    );
    for (what, token) in &bad {
        let cred = token.as_deref().map_or(Cred::None, Cred::Bearer);
        let (_, def) = definition(&app, STORE, cred).await;
        assert_locked_example(&def);
        let (status, _, body) = run(
            &app,
            STORE,
            "get_user",
            cred,
            store_param(token.as_deref().unwrap_or("")),
        )
        .await;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body.contains("not_signed_in"), "{what}: {body}");

        // secure-session: the same token kept in a session (as if the provider had answered
        // it), sent in a bearer header instead of a cookie, and no session at all.
        let (_, def) = definition(&app, SESSION, cred).await;
        assert_locked_example(&def);
        let (status, _, body) = run(&app, SESSION, "get_user", cred, json!({})).await;
        assert_eq!(status, 401, "{what} as a bearer in session mode: {body}");
        if let Some(token) = token {
            let tokens = SessionTokens {
                access: token.clone(),
                refresh: None,
                ..Default::default()
            };
            let far = Some(now_millis() + 3_600_000);
            let cookie = seeded(&app, &tokens, far).await;
            let cookie = Cred::Cookie(cookie.expose());
            let (_, def) = definition(&app, SESSION, cookie).await;
            assert_locked_example(&def);
            let (status, _, body) = run(&app, SESSION, "get_user", cookie, json!({})).await;
            assert_eq!(status, 401, "{what} in a session: {body}");
            assert!(body.contains("not_signed_in"), "{what}: {body}");
        }
    }
    // A cookie that names no session: anonymous, and told to forget it.
    let (h, def) = definition(&app, SESSION, Cred::Cookie("forged-cookie-value")).await;
    assert_locked_example(&def);
    assert_eq!(session_header(&h), Some("ended"));
    assert!(set_cookie(&h).unwrap().1.contains("Max-Age=0"));

    // Valid credentials open both.
    let (_, def) = definition(&app, STORE, Cred::Bearer(&good)).await;
    assert_locked_for(&def, &[], &[]);
    assert_eq!(def["user"]["email"], EMAIL);
    let (status, _, body) = run(
        &app,
        STORE,
        "get_user",
        Cred::Bearer(&good),
        store_param(&good),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains(EMAIL), "{body}");
    let cookie = sign_in(&app).await;
    let (_, def) = definition(&app, SESSION, Cred::Cookie(&cookie)).await;
    assert_locked_for(&def, &[], &[]);
    assert!(page(&def, "Dashboard")["widgets"]
        .to_string()
        .contains("btn_logout"));
    assert_eq!(def["user"]["email"], EMAIL);
    assert_eq!(def["auth"]["token"], "session");
    assert_eq!(
        def["auth"]["session"],
        json!({ "signIn": "sign_in", "refresh": "refreshAPI", "signOut": "revokeAPI" })
    );
    let (status, _, body) = get_user_with(&app, &cookie).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(EMAIL), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_mode_keeps_the_tokens_on_the_server_and_sign_out_revokes_them() {
    let app = examples().await;
    // A wrong password: the provider's answer, no session, no cookie.
    let (status, h, body) = run(
        &app,
        SESSION,
        "sign_in",
        Cred::None,
        sign_in_params("wrong password"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["status"], 400, "{body}");
    assert_eq!(session_header(&h), None);
    assert!(set_cookie(&h).is_none());

    // The sign-in answer: the user, no token; the cookie is HttpOnly, Lax, the app's path.
    let (status, h, body) = run(
        &app,
        SESSION,
        "sign_in",
        Cred::None,
        sign_in_params(PASSWORD),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(session_header(&h), Some("started"));
    let (cookie, header) = set_cookie(&h).unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/api/v1/apps/secure-session",
        "Max-Age=",
    ] {
        assert!(header.contains(part), "{header}");
    }
    assert!(!header.contains("Secure"), "plain http: {header}");
    let tokens = kept(&app, &cookie).await.expect("a live session");
    let refresh = tokens
        .refresh
        .clone()
        .expect("GoTrue answers a refresh token");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["body"]["user"]["email"], EMAIL);
    assert_eq!(answer["body"]["token_type"], "bearer");
    for token in [&tokens.access, &refresh] {
        assert!(
            !body.contains(token.as_str()),
            "a token in the answer: {body}"
        );
    }
    assert!(
        answer["body"].get("access_token").is_none()
            && answer["body"].get("refresh_token").is_none()
    );
    // Not in the clear at rest either: no file of the data directory holds a token.
    for entry in std::fs::read_dir(&app.data_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&tokens.access) && !text.contains(&refresh));
    }

    // A refresh from the browser: fresh tokens kept, none answered; the old refresh token is
    // spent at the provider.
    let (status, h, body) = run(
        &app,
        SESSION,
        "refreshAPI",
        Cred::Cookie(&cookie),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(session_header(&h), Some("refreshed"));
    let fresh = kept(&app, &cookie).await.unwrap();
    assert_ne!(fresh.access, tokens.access);
    let new_refresh = fresh.refresh.clone().unwrap();
    assert_ne!(new_refresh, refresh);
    assert!(
        !body.contains(&fresh.access) && !body.contains(&new_refresh),
        "{body}"
    );
    let (status, _, body) = get_user_with(&app, &cookie).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains(&fresh.access), "{body}");

    // Sign-out: revoked upstream, the session deleted, the cookie cleared.
    let (status, h, body) = run(&app, SESSION, "revokeAPI", Cred::Cookie(&cookie), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(session_header(&h), Some("ended"));
    assert!(set_cookie(&h).unwrap().1.contains("Max-Age=0"));
    assert!(kept(&app, &cookie).await.is_none());
    // GoTrue's answer for a token of an ended session: 403 session_not_found.
    assert_eq!(
        app.get_user(&fresh.access).await.status(),
        403,
        "revoked at the provider"
    );
    assert_eq!(
        app.refresh(&new_refresh).await.status(),
        400,
        "the refresh token too"
    );
    // The old cookie replayed: refused, and told to forget it.
    let (status, h, body) = get_user_with(&app, &cookie).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("not_signed_in"));
    assert_eq!(session_header(&h), Some("ended"));
    let (_, def) = definition(&app, SESSION, Cred::Cookie(&cookie)).await;
    assert_locked_example(&def);
    let (status, h, _) = run(&app, SESSION, "revokeAPI", Cred::Cookie(&cookie), json!({})).await;
    assert_eq!((status, session_header(&h)), (401, Some("ended")));
    let (status, _, _) = run(&app, SESSION, "refreshAPI", Cred::None, json!({})).await;
    assert_eq!(status, 401);
    // A second sign-in replaces the session the browser had.
    let first = sign_in(&app).await;
    let (status, h, _) = run(
        &app,
        SESSION,
        "sign_in",
        Cred::Cookie(&first),
        sign_in_params(PASSWORD),
    )
    .await;
    assert_eq!(status, 200);
    let second = set_cookie(&h).unwrap().0;
    assert!(kept(&app, &first).await.is_none());
    assert!(kept(&app, &second).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tabs_refreshing_at_once_refresh_once_and_keep_one_live_session() {
    let app = Arc::new(examples().await);
    let cookie = sign_in(&app).await;
    let before = kept(&app, &cookie).await.unwrap();
    let runs = (0..8).map(|_| {
        let app = app.clone();
        let cookie = cookie.clone();
        tokio::spawn(async move {
            run(
                &app,
                SESSION,
                "refreshAPI",
                Cred::Cookie(&cookie),
                json!({}),
            )
            .await
        })
    });
    for r in futures_join(runs).await {
        let (status, h, body) = r;
        assert_eq!(status, 200, "{body}");
        assert_eq!(session_header(&h), Some("refreshed"), "{body}");
    }
    // One upstream refresh: the session's generation went up once, and the one refresh token
    // it was spent on is the old one (a second refresh with it would have revoked the session
    // at the provider for reuse).
    let digest = lowkey_core::refresh::digest(&cookie);
    let stored = app
        .state
        .store
        .app_session(&digest, now_millis())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.generation, 1);
    let after = kept(&app, &cookie).await.unwrap();
    assert_ne!(after.refresh, before.refresh);
    let (status, _, body) = get_user_with(&app, &cookie).await;
    assert_eq!(status, 200, "the session is live: {body}");
    assert_eq!(app.get_user(&after.access).await.status(), 200);
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refreshes_a_session_about_to_expire_and_ends_one_the_provider_refuses() {
    let app = examples().await;
    // A session whose access token the server believes expires in 10 s: the next request
    // refreshes it first.
    let real = app.session(EMAIL).await;
    let tokens = SessionTokens {
        access: real["access_token"].as_str().unwrap().to_owned(),
        refresh: Some(real["refresh_token"].as_str().unwrap().to_owned()),
        ..Default::default()
    };
    let soon = Some(now_millis() + 10_000);
    let cookie = seeded(&app, &tokens, soon).await;
    let (status, _, body) = get_user_with(&app, cookie.expose()).await;
    assert_eq!(status, 200, "{body}");
    let fresh = kept(&app, cookie.expose()).await.unwrap();
    assert_ne!(fresh.access, tokens.access, "refreshed before the run");

    // A session whose refresh token the provider refuses: ended at the next request.
    let dead = SessionTokens {
        access: tokens.access.clone(),
        refresh: Some("not-a-refresh-token".into()),
        ..Default::default()
    };
    let cookie = seeded(&app, &dead, soon).await;
    let (status, h, body) = get_user_with(&app, cookie.expose()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(session_header(&h), Some("ended"));
    assert!(kept(&app, cookie.expose()).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_tokens_exist_only_on_the_server() {
    let app = examples().await;
    // The browser cannot choose a session token's value, nor learn which bindings need one.
    let (_, def) = definition(&app, SESSION, Cred::None).await;
    let refresh = def["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "refreshAPI")
        .unwrap();
    assert_eq!(refresh["bindings"], json!([]), "{refresh}");
    let (status, _, body) = run(
        &app,
        SESSION,
        "refreshAPI",
        Cred::None,
        json!({ "session.refreshToken": "chosen-by-the-browser" }),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // A session of one app is nobody in another app.
    let cookie = sign_in(&app).await;
    let other = app.state.sessions.find(STORE, &cookie).await.unwrap();
    assert!(other.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_decisions_are_logged_and_no_token_nor_cookie_is() {
    let log = access_log();
    let app = examples().await;
    let cookie = sign_in(&app).await;
    let tokens = kept(&app, &cookie).await.unwrap();
    let (status, _, _) = get_user_with(&app, &cookie).await;
    assert_eq!(status, 200);
    let (status, _, _) = run(
        &app,
        SESSION,
        "refreshAPI",
        Cred::Cookie(&cookie),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let fresh = kept(&app, &cookie).await.unwrap();
    let (status, _, _) = run(&app, SESSION, "revokeAPI", Cred::Cookie(&cookie), json!({})).await;
    assert_eq!(status, 200);
    let (status, _, _) = get_user_with(&app, &cookie).await;
    assert_eq!(status, 401);

    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(SESSION)).collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(has("session started"), "{text}");
    assert!(has("The query get_user") && has("allowed"), "{text}");
    assert!(has("session ended by sign-out"), "{text}");
    assert!(has("no live session for the cookie"), "{text}");
    assert!(has("refused: not signed in"), "{text}");
    for secret in [
        cookie.as_str(),
        tokens.access.as_str(),
        tokens.refresh.as_deref().unwrap(),
        fresh.access.as_str(),
        fresh.refresh.as_deref().unwrap(),
        tokens.access.rsplit('.').next().unwrap(),
    ] {
        assert!(
            !text.contains(secret),
            "a token or the cookie reached the log: {text}"
        );
    }
}
