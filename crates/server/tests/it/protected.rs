//! Protected apps (issue 10): the server, not the browser, keeps a protected page's
//! definition and a protected query from a caller without a valid token of the app's provider.

use lowkey_app::SourceFiles;
use lowkey_core::jwt::{Alg, KeyMaterial, KeyRing};
use lowkey_core::now_millis;
use lowkey_server::apps;
use lowkey_server::provider::AdminUser;
use serde_json::{json, Value};

use crate::helpers::*;

const SLUG: &str = "guarded";

/// LoginPage (public) with the public sign_in query; Dashboard (signed in) with get_user;
/// Admin (role admin, read from `app_metadata.roles`) with admin_stats.
fn files() -> SourceFiles {
    let mut f = SourceFiles::new();
    f.insert(
        "app.yaml".into(),
        "version: 2\nname: Guarded\nslug: guarded\nhomePage: LoginPage\ndatasources:\n  - name: provider\n    url: /auth/v1\nauth:\n  loginPage: LoginPage\n  verify: builtin\n  token: { store: accesstoken }\n  rolesClaim: app_metadata.roles\n".into(),
    );
    f.insert(
        "pages/LoginPage.yaml".into(),
        "name: LoginPage\nwidgets:\n  - name: inp_email\n    type: Input\n    position: { col: 0, row: 0, width: 20, height: 7 }\n".into(),
    );
    f.insert(
        "pages/Dashboard.yaml".into(),
        "name: Dashboard\naccess: signedIn\nonLoad:\n  - get_user\nwidgets:\n  - name: txt_secret_plan\n    type: Text\n    position: { col: 0, row: 0, width: 20, height: 4 }\n    props:\n      text: \"Quarterly plan: {{get_user.data.email}}\"\n".into(),
    );
    f.insert(
        "pages/Admin.yaml".into(),
        "name: Admin\naccess: { roles: [admin] }\nwidgets:\n  - name: txt_admin_only\n    type: Text\n    position: { col: 0, row: 0, width: 20, height: 4 }\n    props:\n      text: \"{{admin_stats.data}}\"\n".into(),
    );
    f.insert(
        "queries/sign_in.yaml".into(),
        "datasource: provider\npath: /token\nmethod: POST\nparams:\n  grant_type: password\nbody:\n  type: json\n  content: '{\"email\": {{this.params.email}}, \"password\": {{this.params.password}}}'\n".into(),
    );
    f.insert(
        "queries/get_user.yaml".into(),
        "access: signedIn\ndatasource: provider\npath: /user\nheaders:\n  Authorization: \"Bearer {{appsmith.store.accesstoken}}\"\n".into(),
    );
    f.insert(
        "queries/admin_stats.yaml".into(),
        "access: { roles: [admin] }\ndatasource: provider\npath: /user\nheaders:\n  Authorization: \"Bearer {{appsmith.store.accesstoken}}\"\n".into(),
    );
    f
}

async fn publish(app: &TestApp) {
    apps::import_files(app.state.store.as_ref(), "test", &files())
        .await
        .expect("valid app");
    apps::publish_cli(app.state.store.as_ref(), SLUG)
        .await
        .unwrap();
}

async fn definition(app: &TestApp, token: Option<&str>) -> Value {
    let mut req = app.client.get(format!("{}/api/v1/apps/{SLUG}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn run(app: &TestApp, query: &str, token: Option<&str>, params: Value) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!(
            "{}/api/v1/apps/{SLUG}/queries/{query}/run",
            app.url
        ))
        .json(&json!({ "params": params }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// Runs `query` as the holder of `token`: sent as the bearer token and as the store binding the
/// app's queries read it from.
async fn run_as(app: &TestApp, query: &str, token: &str) -> reqwest::Response {
    run(
        app,
        query,
        Some(token),
        json!({ "appsmith.store.accesstoken": token }),
    )
    .await
}

pub(crate) fn page<'a>(def: &'a Value, name: &str) -> &'a Value {
    def["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no page {name} in {def}"))
}

fn query<'a>(def: &'a Value, name: &str) -> &'a Value {
    def["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .unwrap_or_else(|| panic!("no query {name} in {def}"))
}

/// The definition as an anonymous caller gets it: public pages whole, protected ones by name.
pub(crate) fn assert_locked_for(def: &Value, locked_pages: &[&str], locked_queries: &[&str]) {
    for p in def["pages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        if locked_pages.contains(&name) {
            assert_eq!(p["locked"], true, "{name} should be locked: {p}");
            assert!(
                p.get("widgets").is_none() && p.get("onLoad").is_none(),
                "{p}"
            );
        } else {
            assert!(p.get("locked").is_none() || p["locked"] == false, "{p}");
            assert!(p["widgets"].is_array(), "{p}");
        }
    }
    for q in def["queries"].as_array().unwrap() {
        let name = q["name"].as_str().unwrap();
        if locked_queries.contains(&name) {
            assert_eq!(q["locked"], true, "{name}: {q}");
            assert!(q.get("bindings").is_none(), "{q}");
        } else {
            assert!(q["bindings"].is_array(), "{q}");
        }
    }
    let text = def.to_string();
    for locked in locked_pages {
        let secret = match *locked {
            "Dashboard" => "Quarterly plan",
            _ => "txt_admin_only",
        };
        assert!(
            !text.contains(secret),
            "a locked page's widgets leaked: {text}"
        );
    }
}

/// Tokens that must be refused as not signed in: expired, signed by a foreign key, of
/// another issuer or audience (signed with the server's own key), of a session that has
/// ended, and not a JWT at all.
pub(crate) async fn bad_tokens(app: &TestApp, email: &str) -> Vec<(&'static str, String)> {
    let session = app.session(email).await;
    let good = session["access_token"].as_str().unwrap().to_string();
    let claims_of = |token: &str| -> lowkey_core::jwt::AccessClaims {
        let payload = token.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let own = KeyRing::load(
        &app.state.store.signing_keys().await.unwrap(),
        now_millis(),
        3600,
    )
    .unwrap();
    let mut expired = claims_of(&good);
    expired.exp = expired.iat - 600;
    expired.iat -= 1200;
    let mut other_issuer = claims_of(&good);
    other_issuer.iss = "https://evil.example/auth/v1".into();
    let mut other_audience = claims_of(&good);
    other_audience.aud = "another-app".into();
    let foreign_ring = KeyRing::load(
        &[KeyMaterial::generate(Alg::Es256, now_millis()).unwrap()],
        now_millis(),
        3600,
    )
    .unwrap();
    // A session that has ended: signed in, then logged out.
    let ended = app.session(email).await;
    let ended_token = ended["access_token"].as_str().unwrap().to_string();
    assert_eq!(app.logout(&ended_token, Some("local")).await.status(), 204);
    vec![
        ("expired", own.sign(&expired).unwrap()),
        ("foreign key", foreign_ring.sign(&claims_of(&good)).unwrap()),
        ("other issuer", own.sign(&other_issuer).unwrap()),
        ("other audience", own.sign(&other_audience).unwrap()),
        ("ended session", ended_token),
        ("not a JWT", "not-a-token".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_pages_and_queries_are_refused_without_a_valid_token() {
    let app = spawn_app().await;
    publish(&app).await;
    app.create_user("ada@example.com").await;

    // Anonymous: public pages whole, Dashboard and Admin by name only.
    let anon = definition(&app, None).await;
    assert_locked_for(&anon, &["Dashboard", "Admin"], &["get_user", "admin_stats"]);
    assert_eq!(anon["user"], Value::Null);
    assert_eq!(anon["auth"]["loginPage"], "LoginPage");
    assert_eq!(anon["auth"]["token"]["store"], "accesstoken");
    assert_eq!(page(&anon, "Dashboard")["access"], "signedIn");
    assert_eq!(
        page(&anon, "Admin")["access"],
        json!({ "roles": ["admin"] })
    );

    // The public sign-in query runs without a token.
    let r = run(
        &app,
        "sign_in",
        None,
        json!({ "this.params.email": "ada@example.com", "this.params.password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], 200, "{answer}");
    let token = answer["body"]["access_token"].as_str().unwrap().to_string();

    // Protected queries: 401 not_signed_in with no token and every bad one.
    let r = run(
        &app,
        "get_user",
        None,
        json!({ "appsmith.store.accesstoken": "" }),
    )
    .await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_signed_in", "{body}");
    for (what, bad) in bad_tokens(&app, "ada@example.com").await {
        let r = run_as(&app, "get_user", &bad).await;
        assert_eq!(r.status(), 401, "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_signed_in", "{what}: {body}");
        let def = definition(&app, Some(&bad)).await;
        assert_locked_for(&def, &["Dashboard", "Admin"], &["get_user", "admin_stats"]);
        assert_eq!(def["user"], Value::Null, "{what}");
    }

    // A valid token: Dashboard and get_user open; Admin needs a role this user lacks.
    assert_eq!(
        app.get_user(&token).await.status(),
        200,
        "the token is the provider's own"
    );
    let def = definition(&app, Some(&token)).await;
    assert_locked_for(&def, &["Admin"], &["admin_stats"]);
    assert!(page(&def, "Dashboard")["widgets"]
        .to_string()
        .contains("Quarterly plan"));
    assert_eq!(
        query(&def, "get_user")["bindings"],
        json!(["appsmith.store.accesstoken"])
    );
    assert_eq!(def["user"]["email"], "ada@example.com");
    assert_eq!(def["user"]["isAnonymous"], false);
    assert_eq!(def["user"]["roles"], json!([]));
    let r = run_as(&app, "get_user", &token).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["body"]["email"], "ada@example.com", "{answer}");
    let r = run_as(&app, "admin_stats", &token).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_from_the_configured_claim_opens_the_role_page() {
    let app = spawn_app().await;
    publish(&app).await;
    app.state
        .provider
        .admin_create_user(AdminUser {
            email: Some("grace@example.com".into()),
            password: Some(PASSWORD.into()),
            email_confirm: Some(true),
            app_metadata: Some(json!({ "roles": ["admin"] })),
            ..Default::default()
        })
        .await
        .unwrap();
    let session = app.session("grace@example.com").await;
    let token = session["access_token"].as_str().unwrap();
    let def = definition(&app, Some(token)).await;
    assert_locked_for(&def, &[], &[]);
    assert_eq!(def["user"]["roles"], json!(["admin"]));
    let r = run(
        &app,
        "admin_stats",
        Some(token),
        json!({ "appsmith.store.accesstoken": token }),
    )
    .await;
    assert_eq!(r.status(), 200);
}

// ---- A provider other than the built-in one: `verify: { jwks, issuer, audience }` ----

const IDP_ISSUER: &str = "https://idp.test";
const IDP_AUDIENCE: &str = "my-app";

/// A stand-in identity provider: serves the JWKS it is currently given at `/jwks` on a
/// loopback port, and counts how often it was fetched.
struct Idp {
    jwks_url: String,
    jwks: std::sync::Arc<std::sync::Mutex<Value>>,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Idp {
    async fn spawn(jwks: Value) -> Idp {
        use axum::routing::get;
        use std::sync::atomic::Ordering;
        let served = std::sync::Arc::new(std::sync::Mutex::new(jwks));
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, f) = (served.clone(), fetches.clone());
        let router = axum::Router::new().route(
            "/jwks",
            get(move || {
                let (s, f) = (s.clone(), f.clone());
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    axum::Json(s.lock().unwrap().clone())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let jwks_url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Idp {
            jwks_url,
            jwks: served,
            fetches,
        }
    }

    fn serve(&self, jwks: Value) {
        *self.jwks.lock().unwrap() = jwks;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A signing key of the stand-in provider and the JWKS that publishes it.
struct IdpKey {
    material: KeyMaterial,
    ring: KeyRing,
    jwks: Value,
}

impl IdpKey {
    fn generate(alg: Alg) -> IdpKey {
        let material = KeyMaterial::generate(alg, now_millis()).unwrap();
        let ring = KeyRing::load(std::slice::from_ref(&material), now_millis(), 3600).unwrap();
        IdpKey {
            jwks: ring.jwks(),
            material,
            ring,
        }
    }

    /// `claims` signed by this (ES256) key, with `kid` in the header.
    fn sign_as(&self, kid: &str, claims: &Value) -> String {
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        assert!(self.material.alg == Alg::Es256, "any claims: EC keys only");
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        let key = EncodingKey::from_ec_der(&self.material.private_pkcs8);
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    /// `claims` signed by this key under its own kid (an RSA key signs through its ring, so
    /// only the claims of the built-in provider's shape survive).
    fn sign(&self, claims: &Value) -> String {
        match self.material.alg {
            Alg::Es256 => self.sign_as(&self.material.kid, claims),
            Alg::Rs256 => {
                let shaped = with(claims.clone(), json!({ "role": "authenticated" }));
                self.ring
                    .sign(&serde_json::from_value(shaped).unwrap())
                    .unwrap()
            }
        }
    }
}

/// The claims the stand-in provider puts in a token, valid for ten minutes.
fn idp_claims() -> Value {
    let now = now_millis() / 1000;
    json!({
        "iss": IDP_ISSUER, "aud": IDP_AUDIENCE, "sub": "idp-user-7", "email": "lin@idp.test",
        "iat": now, "exp": now + 600, "roles": ["reader"],
    })
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

/// The guarded app verified by the stand-in provider's JWKS, with one more protected query
/// (`settings`, the built-in provider's public settings) that runs without any token of its own.
fn jwks_files(jwks_url: &str) -> SourceFiles {
    let mut f = files();
    f.insert(
        "app.yaml".into(),
        format!("version: 2\nname: Guarded\nslug: guarded\nhomePage: LoginPage\ndatasources:\n  - name: provider\n    url: /auth/v1\nauth:\n  loginPage: LoginPage\n  verify: {{ jwks: \"{jwks_url}\", issuer: \"{IDP_ISSUER}\", audience: {IDP_AUDIENCE} }}\n  token: {{ store: accesstoken }}\n"),
    );
    f.insert(
        "queries/settings.yaml".into(),
        "access: signedIn\ndatasource: provider\npath: /settings\n".into(),
    );
    f
}

/// A stand-in provider serving an ES256 key, and a server with the guarded app verified by it.
async fn jwks_app() -> (IdpKey, Idp, TestApp) {
    let key = IdpKey::generate(Alg::Es256);
    let idp = Idp::spawn(key.jwks.clone()).await;
    let app = spawn_app().await;
    apps::import_files(app.state.store.as_ref(), "test", &jwks_files(&idp.jwks_url))
        .await
        .expect("valid app");
    apps::publish_cli(app.state.store.as_ref(), SLUG)
        .await
        .unwrap();
    (key, idp, app)
}

/// Whether `token` unlocks Dashboard and runs `settings` (both, or neither: checked).
async fn unlocks(app: &TestApp, token: &str) -> bool {
    let def = definition(app, Some(token)).await;
    let r = run(app, "settings", Some(token), json!({})).await;
    let status = r.status();
    let answer: Value = r.json().await.unwrap();
    if page(&def, "Dashboard").get("locked").is_some() {
        assert_locked_for(
            &def,
            &["Dashboard", "Admin"],
            &["get_user", "admin_stats", "settings"],
        );
        assert_eq!(def["user"], Value::Null);
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["error"]["code"], "not_signed_in", "{answer}");
        false
    } else {
        assert_locked_for(&def, &["Admin"], &["admin_stats"]);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["status"], 200, "the query ran: {answer}");
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_jwks_tokens_of_the_apps_provider_open_it_and_no_others() {
    let (key, idp, app) = jwks_app().await;

    // Anonymous: locked, and nothing is fetched for a request without a token.
    assert!(!unlocks(&app, "").await, "an empty bearer token");
    let anon = definition(&app, None).await;
    assert_locked_for(
        &anon,
        &["Dashboard", "Admin"],
        &["get_user", "admin_stats", "settings"],
    );
    assert_eq!(idp.fetches(), 0);

    // A valid token of the provider: the user is the token's, the protected query runs.
    let good = key.sign(&idp_claims());
    assert!(unlocks(&app, &good).await);
    let def = definition(&app, Some(&good)).await;
    assert_eq!(def["user"]["id"], "idp-user-7");
    assert_eq!(def["user"]["email"], "lin@idp.test");
    assert_eq!(def["user"]["roles"], json!(["reader"]));
    assert_eq!(def["user"]["isAnonymous"], false);
    // `aud` may be a list holding the audience.
    let listed = key.sign(&with(
        idp_claims(),
        json!({ "aud": ["other", IDP_AUDIENCE] }),
    ));
    assert!(unlocks(&app, &listed).await);

    // Refused: each one locked and 401, none of them a reason to fetch the JWKS again.
    let now = now_millis() / 1000;
    let other_key = IdpKey::generate(Alg::Es256);
    let hs256 = {
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.material.kid.clone());
        // The classic confusion: the public key's text as the HMAC secret.
        let secret = key.jwks.to_string();
        jsonwebtoken::encode(
            &header,
            &idp_claims(),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let none = {
        use base64::Engine as _;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let header = json!({ "alg": "none", "typ": "JWT", "kid": key.material.kid });
        format!("{}.{}.", b64(&header), b64(&idp_claims()))
    };
    let refused = [
        (
            "expired",
            key.sign(&with(
                idp_claims(),
                json!({ "iat": now - 1200, "exp": now - 600 }),
            )),
        ),
        (
            "not yet valid",
            key.sign(&with(idp_claims(), json!({ "nbf": now + 600 }))),
        ),
        (
            "wrong issuer",
            key.sign(&with(idp_claims(), json!({ "iss": "https://evil.test" }))),
        ),
        (
            "wrong audience",
            key.sign(&with(idp_claims(), json!({ "aud": "another-app" }))),
        ),
        (
            "no issuer",
            key.sign(&{
                let mut c = idp_claims();
                c.as_object_mut().unwrap().remove("iss");
                c
            }),
        ),
        (
            "another key, same kid",
            other_key.sign_as(&key.material.kid, &idp_claims()),
        ),
        ("HS256 forged", hs256),
        ("alg none", none),
        ("not a JWT", "not-a-token".into()),
    ];
    for (what, token) in &refused {
        assert!(!unlocks(&app, token).await, "{what} was accepted");
    }
    assert_eq!(idp.fetches(), 1, "the JWKS is fetched once and cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_jwks_a_key_rotated_at_the_provider_is_picked_up_without_a_fetch_storm() {
    let (first, idp, app) = jwks_app().await;
    assert!(unlocks(&app, &first.sign(&idp_claims())).await);
    assert_eq!(idp.fetches(), 1);

    // The provider rotates to an RSA key with a new kid: its first token refetches the JWKS.
    let second = IdpKey::generate(Alg::Rs256);
    idp.serve(second.jwks.clone());
    assert!(unlocks(&app, &second.sign(&idp_claims())).await);
    assert_eq!(idp.fetches(), 2);
    assert!(unlocks(&app, &second.sign(&idp_claims())).await);
    assert_eq!(idp.fetches(), 2, "the new set is cached");

    // Another unknown kid right after: no second early refetch within the interval, so a
    // stream of made-up kids cannot make a stream of fetches.
    let third = IdpKey::generate(Alg::Es256);
    idp.serve(third.jwks.clone());
    for _ in 0..3 {
        assert!(!unlocks(&app, &third.sign(&idp_claims())).await);
    }
    assert_eq!(idp.fetches(), 2);
}

/// The guarded app verified by a userinfo query: `me` (public) asks the built-in provider's
/// `/user` who the token belongs to, as an app would ask any provider.
fn userinfo_files() -> SourceFiles {
    let mut f = files();
    f.insert(
        "app.yaml".into(),
        "version: 2\nname: Guarded\nslug: guarded\nhomePage: LoginPage\ndatasources:\n  - name: provider\n    url: /auth/v1\nauth:\n  loginPage: LoginPage\n  verify: { userinfo: me }\n  token: { store: accesstoken }\n  rolesClaim: app_metadata.roles\n".into(),
    );
    f.insert(
        "queries/me.yaml".into(),
        "datasource: provider\npath: /user\nheaders:\n  Authorization: \"Bearer {{appsmith.store.accesstoken}}\"\n".into(),
    );
    f.insert(
        "queries/settings.yaml".into(),
        "access: signedIn\ndatasource: provider\npath: /settings\n".into(),
    );
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_userinfo_a_2xx_answer_of_the_apps_userinfo_query_is_a_valid_token() {
    let app = spawn_app().await;
    apps::import_files(app.state.store.as_ref(), "test", &userinfo_files())
        .await
        .expect("valid app");
    apps::publish_cli(app.state.store.as_ref(), SLUG)
        .await
        .unwrap();
    app.create_user("ada@example.com").await;

    let anon = definition(&app, None).await;
    assert_locked_for(
        &anon,
        &["Dashboard", "Admin"],
        &["get_user", "admin_stats", "settings"],
    );

    // A valid token of the provider the query asks: the Dashboard opens, with its user.
    let session = app.session("ada@example.com").await;
    let token = session["access_token"].as_str().unwrap().to_string();
    assert!(unlocks(&app, &token).await);
    let def = definition(&app, Some(&token)).await;
    assert_eq!(def["user"]["email"], "ada@example.com");
    assert_eq!(def["user"]["id"], session["user"]["id"]);

    // Tokens the provider refuses (its /user answers 4xx) leave everything locked.
    assert!(!unlocks(&app, "not-a-token").await);
    let ended = app.session("ada@example.com").await;
    let ended_token = ended["access_token"].as_str().unwrap().to_string();
    assert_eq!(app.logout(&ended_token, Some("local")).await.status(), 204);
    assert!(!unlocks(&app, &ended_token).await);
}

/// Everything `lowkey_server::http::app_access`, `http::app` and `sessions` log (info and up), from every test of this binary (one
/// process), captured once.
pub(crate) fn access_log() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    static LOG: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        struct Sink(&'static Mutex<Vec<u8>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(
                "lowkey_server::http::app_access=info,lowkey_server::http::app=info,lowkey_server::sessions=info",
            )
            .with_writer(move || Sink(buffer))
            .with_ansi(false)
            .finish();
        // Another test binary's subscriber cannot be here: this is the only one that sets one.
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        buffer
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_access_decision_is_logged_and_no_token_is() {
    let log = access_log();
    let app = spawn_app().await;
    publish(&app).await;
    app.create_user("lin@example.com").await;
    let session = app.session("lin@example.com").await;
    let token = session["access_token"].as_str().unwrap().to_string();
    let user_id = session["user"]["id"].as_str().unwrap().to_string();
    let forged = format!("{token}x");

    let r = run(
        &app,
        "get_user",
        None,
        json!({ "appsmith.store.accesstoken": "" }),
    )
    .await;
    assert_eq!(r.status(), 401);
    let r = run_as(&app, "get_user", &forged).await;
    assert_eq!(r.status(), 401);
    let r = run_as(&app, "get_user", &token).await;
    assert_eq!(r.status(), 200);
    let r = run_as(&app, "admin_stats", &token).await;
    assert_eq!(r.status(), 403);

    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("guarded")).collect();
    let has = |needle: &[&str]| lines.iter().any(|l| needle.iter().all(|n| l.contains(n)));
    assert!(
        has(&[
            "The query get_user",
            "caller=\"anonymous\"",
            "refused: not signed in"
        ]),
        "{text}"
    );
    assert!(has(&["app token refused"]), "{text}");
    assert!(
        has(&[
            "The query get_user",
            &format!("caller=\"{user_id}\""),
            "allowed"
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "The query admin_stats",
            &format!("caller=\"{user_id}\""),
            "refused: a required role is missing"
        ]),
        "{text}"
    );
    // No token, nor a piece of one (its signature), in any line.
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !text.contains(&token) && !text.contains(signature),
        "a token reached the log: {text}"
    );
}
