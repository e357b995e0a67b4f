//! The builder's sign-in and the draft API (issue 8): real server, real HTTP, fresh data dir.

use lowkey_app::App;
use lowkey_store::BuilderRole;
use reqwest::{header, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const BUILDER: &str = "builder@example.com";

/// A builder's browser: its cookie and this server's `Origin`, as a browser sends them.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

impl TestApp {
    async fn add_builder(&self, email: &str) {
        self.state
            .builders
            .add(
                email,
                lowkey_core::Secret::new(PASSWORD),
                BuilderRole::Editor,
            )
            .await
            .expect("add builder");
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// The viewer's `GET /api/v1/apps/{slug}`: the published version.
    async fn published_app(&self, slug: &str) -> Response {
        self.client
            .get(self.api(&format!("/apps/{slug}")))
            .send()
            .await
            .unwrap()
    }

    fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookie: None,
        }
    }

    async fn builder_sign_in(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.api("/builder/session"))
            .header(header::ORIGIN, &self.url)
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// A browser signed in as `email` (panics unless the sign-in succeeds).
    async fn signed_in(&self, email: &str) -> Browser<'_> {
        let r = self.builder_sign_in(email, PASSWORD).await;
        assert_eq!(r.status(), 200, "builder sign-in");
        let cookie = session_cookie(&r).expect("a session cookie");
        Browser {
            app: self,
            cookie: Some(cookie),
        }
    }
}

/// `lowkey_builder=<token>` from a response's `Set-Cookie`.
fn session_cookie(r: &Response) -> Option<String> {
    let set = r.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    let pair = set.split(';').next()?.trim();
    pair.starts_with("lowkey_builder=").then(|| pair.to_owned())
}

impl Browser<'_> {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.app.client.request(method.clone(), self.app.api(path));
        if method != reqwest::Method::GET {
            r = r.header(header::ORIGIN, &self.app.url);
        }
        if let Some(c) = &self.cookie {
            r = r.header(header::COOKIE, c);
        }
        r
    }

    async fn get(&self, path: &str) -> Response {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Response {
        self.request(method, path).json(&body).send().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn create_app(&self, name: &str) -> Value {
        let r = self.post("/edit/apps", json!({ "name": name })).await;
        assert_eq!(r.status(), 201, "create app");
        r.json().await.unwrap()
    }

    async fn draft(&self, slug: &str) -> Value {
        let r = self.get(&format!("/edit/apps/{slug}/draft")).await;
        assert_eq!(r.status(), 200, "get draft");
        r.json().await.unwrap()
    }

    async fn put_draft(&self, slug: &str, revision: i64, app: &Value) -> Response {
        self.send(
            reqwest::Method::PUT,
            &format!("/edit/apps/{slug}/draft"),
            json!({ "revision": revision, "app": app }),
        )
        .await
    }

    async fn publish(&self, slug: &str, revision: i64) -> Response {
        self.post(
            &format!("/edit/apps/{slug}/publish"),
            json!({ "revision": revision }),
        )
        .await
    }
}

async fn assert_api_error(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status for {code}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// The app model's own serialisation of `app`: what the server stores of a draft.
fn canonical(app: &Value) -> Value {
    let parsed: App = serde_json::from_value(app.clone()).expect("an app");
    serde_json::to_value(parsed).unwrap()
}

/// A Text widget on the draft's first page, whose `text` property is `text`.
fn with_text_widget(app: &Value, name: &str, text: &str) -> Value {
    let mut app = app.clone();
    app["pages"][0]["widgets"] = json!([{
        "name": name,
        "type": "Text",
        "position": { "col": 0, "row": 0, "width": 10, "height": 4 },
        "props": { "text": text }
    }]);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_an_http_only_same_site_strict_cookie_that_opens_the_builder_api() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let r = app.builder_sign_in("Builder@Example.com", PASSWORD).await;
    assert_eq!(r.status(), 200);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(part), "{part} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http: no Secure ({set})");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["builder"]["email"], BUILDER);
    assert_eq!(body["builder"]["role"], "editor");
    assert!(body["builder"]["id"].is_string());
    assert!(
        !body.to_string().contains("argon2"),
        "no password hash in the answer"
    );
    let browser = app.signed_in(BUILDER).await;
    let me: Value = browser.get("/builder/session").await.json().await.unwrap();
    assert_eq!(me["builder"]["email"], BUILDER);
    assert_eq!(browser.get("/edit/apps").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_an_https_external_url_the_cookie_is_secure() {
    let app = spawn_app_with(|c| c.external_url = Some("https://apps.example.com".into())).await;
    app.add_builder(BUILDER).await;
    let r = app.builder_sign_in(BUILDER, PASSWORD).await;
    assert_eq!(r.status(), 200);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_400() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let wrong = app.builder_sign_in(BUILDER, "not the password").await;
    assert!(wrong.headers().get(header::SET_COOKIE).is_none());
    let wrong = assert_api_error(wrong, 400, "invalid_credentials").await;
    let unknown = app
        .builder_sign_in("nobody@example.com", "not the password")
        .await;
    let unknown = assert_api_error(unknown, 400, "invalid_credentials").await;
    assert_eq!(wrong, unknown, "nothing tells the two apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_end_users_are_not_builders_and_builders_are_not_users() {
    let app = spawn_app().await;
    app.create_user("enduser@example.com").await;
    app.add_builder(BUILDER).await;
    assert_api_error(
        app.builder_sign_in("enduser@example.com", PASSWORD).await,
        400,
        "invalid_credentials",
    )
    .await;
    assert_error(
        app.sign_in(BUILDER, PASSWORD).await,
        400,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_builders_account_with_retry_after() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    // Four free failures; the fifth closes sign-in for a second (the provider's throttle).
    for _ in 0..5 {
        assert_api_error(
            app.builder_sign_in(BUILDER, "wrong password!").await,
            400,
            "invalid_credentials",
        )
        .await;
    }
    let r = app.builder_sign_in(BUILDER, PASSWORD).await;
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    assert_api_error(r, 429, "over_request_rate_limit").await;
    // The provider's users are throttled apart: the same address there is not locked.
    app.create_user(BUILDER).await;
    assert_eq!(app.sign_in(BUILDER, PASSWORD).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_sign_ins_draw_on_the_per_ip_bucket_of_token() {
    let app = spawn_app_with(|c| c.provider.rate_limit_token_burst = 2).await;
    app.add_builder(BUILDER).await;
    assert_eq!(
        app.sign_in("x@example.com", "whatever1").await.status(),
        400
    );
    assert_eq!(app.builder_sign_in(BUILDER, PASSWORD).await.status(), 200);
    let r = app.builder_sign_in(BUILDER, PASSWORD).await;
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    assert_api_error(r, 429, "over_request_rate_limit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_builder_session_the_api_answers_401_even_to_a_provider_token() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let slug = app.signed_in(BUILDER).await.create_app("Mine").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let anonymous = app.browser();
    assert_api_error(
        anonymous.get("/builder/session").await,
        401,
        "not_signed_in",
    )
    .await;
    assert_api_error(anonymous.get("/edit/apps").await, 401, "not_signed_in").await;
    assert_api_error(
        anonymous.get(&format!("/edit/apps/{slug}/draft")).await,
        401,
        "not_signed_in",
    )
    .await;
    assert_api_error(
        anonymous.put_draft(&slug, 1, &json!({})).await,
        401,
        "not_signed_in",
    )
    .await;
    let forged = Browser {
        app: &app,
        cookie: Some("lowkey_builder=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
    };
    assert_api_error(forged.get("/edit/apps").await, 401, "not_signed_in").await;

    // An end user's access token, even of a user with the builder's address, is no builder.
    app.create_user(BUILDER).await;
    let access = app.session(BUILDER).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in ["/builder/session", "/edit/apps"] {
        let r = app
            .client
            .get(app.api(path))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_api_error(r, 401, "not_signed_in").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_out_the_old_cookie_is_refused() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let r = browser
        .request(reqwest::Method::DELETE, "/builder/session")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let cleared = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("lowkey_builder=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    // The browser would drop the cookie; a copy of it is still refused.
    assert_api_error(browser.get("/edit/apps").await, 401, "not_signed_in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_refused() {
    let app = spawn_app_with(|c| c.builder.session_lifetime_secs = 1).await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    assert_eq!(browser.get("/edit/apps").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_api_error(browser.get("/edit/apps").await, 401, "not_signed_in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sites_page_cannot_change_a_draft_by_any_request_a_browser_can_send() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Target").await;
    let slug = created["slug"].as_str().unwrap();
    let changed = with_text_widget(&created["app"], "pwned", "pwned");
    let body = json!({ "revision": 1, "app": changed }).to_string();
    let path = app.api(&format!("/edit/apps/{slug}/draft"));
    let cookie = browser.cookie.clone().unwrap();
    let attempts = [
        (
            "another origin",
            Some("https://evil.example"),
            "application/json",
            403,
        ),
        ("no Origin", None, "application/json", 403),
        ("a form post", Some(app.url.as_str()), "text/plain", 415),
    ];
    for (what, origin, content_type, status) in attempts {
        let mut r = app
            .client
            .put(&path)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.clone());
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{what}");
    }
    // A sign-out or a new app from another site is refused the same way.
    let r = app
        .client
        .post(app.api("/edit/apps"))
        .header(header::COOKIE, &cookie)
        .json(&json!({ "name": "Evil" }))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 403, "cross_origin").await;
    let r = app
        .client
        .delete(app.api("/builder/session"))
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_api_error(r, 403, "cross_origin").await;
    // Nothing changed.
    let draft = browser.draft(slug).await;
    assert_eq!(draft["revision"], 1);
    assert_eq!(draft["app"], created["app"]);
    let list: Value = browser.get("/edit/apps").await.json().await.unwrap();
    assert_eq!(list["apps"].as_array().unwrap().len(), 1);
    assert_eq!(browser.get("/builder/session").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_from_one_revision_the_second_gets_409_and_the_first_ones_draft_stays() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let tab1 = app.signed_in(BUILDER).await;
    let tab2 = app.signed_in(BUILDER).await;
    let created = tab1.create_app("Shared").await;
    let slug = created["slug"].as_str().unwrap();
    let first = with_text_widget(&created["app"], "first", "one");
    let second = with_text_widget(&created["app"], "second", "two");
    let r = tab1.put_draft(slug, 1, &first).await;
    assert_eq!(r.status(), 200);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["revision"], 2);
    assert_eq!(saved["problems"], json!([]));
    let conflict = assert_api_error(
        tab2.put_draft(slug, 1, &second).await,
        409,
        "revision_conflict",
    )
    .await;
    assert_eq!(conflict["revision"], 2);
    assert_eq!(
        conflict["app"],
        canonical(&first),
        "the 409 carries the current draft"
    );
    let stored = tab2.draft(slug).await;
    assert_eq!(stored["revision"], 2);
    assert_eq!(stored["app"], canonical(&first));
    assert_ne!(
        stored["app"], first,
        "the server stores the model's serialisation, not the browser's text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_the_app_model_is_refused_with_400_and_nothing_is_written() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Strict").await;
    let slug = created["slug"].as_str().unwrap();
    let mut unknown_field = created["app"].clone();
    unknown_field["pages"][0]["colour"] = json!("red");
    let mut wrong_type = created["app"].clone();
    wrong_type["pages"][0]["hidden"] = json!("yes");
    let mut other_slug = created["app"].clone();
    other_slug["slug"] = json!("someone-else");
    for (what, bad, named) in [
        ("unknown field", unknown_field, "colour"),
        ("wrong type", wrong_type, "boolean"),
        ("another slug", other_slug, "someone-else"),
        ("not an object", json!([1, "x"]), "JSON object"),
    ] {
        let body =
            assert_api_error(browser.put_draft(slug, 1, &bad).await, 400, "invalid_draft").await;
        assert!(
            body["error"]["message"].as_str().unwrap().contains(named),
            "{what}: the message says what is wrong: {body}"
        );
    }
    let r = browser
        .send(
            reqwest::Method::PUT,
            &format!("/edit/apps/{slug}/draft"),
            json!({ "revision": "one", "app": created["app"] }),
        )
        .await;
    assert_api_error(r, 400, "bad_json").await;
    assert_eq!(browser.draft(slug).await["revision"], 1);
    assert_api_error(
        browser.put_draft("no-such-app", 1, &created["app"]).await,
        400,
        "invalid_draft",
    )
    .await;
    let mut elsewhere = created["app"].clone();
    elsewhere["slug"] = json!("no-such-app");
    assert_api_error(
        browser.put_draft("no-such-app", 1, &elsewhere).await,
        404,
        "app_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_that_does_not_validate_is_saved_and_its_problems_are_located() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Located").await;
    let slug = created["slug"].as_str().unwrap();
    let mut bad = created["app"].clone();
    bad["pages"][0]["widgets"] = json!([{
        "name": "frm_login",
        "type": "Form",
        "position": { "col": 0, "row": 0, "width": 30, "height": 30 },
        "children": [{
            "name": "btn_login",
            "type": "Button",
            "position": { "col": 0, "row": 0, "width": 10, "height": 4 },
            "props": { "text": "Go", "onClick": "{{ Auth.signIn( }}" }
        }]
    }]);
    let r = browser.put_draft(slug, 1, &bad).await;
    assert_eq!(r.status(), 200, "work in progress is saved");
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["revision"], 2);
    let problems = saved["problems"].as_array().unwrap();
    let located = problems
        .iter()
        .find(|p| p["widget"] == "btn_login")
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert_eq!(located["page"], "Page1");
    assert_eq!(located["property"], "onClick");
    assert_eq!(located["file"], "pages/Page1.yaml");
    assert!(located["line"].as_u64().unwrap() > 0);
    assert!(located["message"]
        .as_str()
        .unwrap()
        .contains("not valid JavaScript"));
    let draft = browser.draft(slug).await;
    assert_eq!(draft["app"], canonical(&bad));
    assert_eq!(draft["problems"], saved["problems"]);
    // It cannot be published.
    let body = assert_api_error(browser.publish(slug, 2).await, 422, "invalid_app").await;
    assert_eq!(body["problems"], saved["problems"]);
    let versions: Value = browser
        .get(&format!("/edit/apps/{slug}/versions"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions["versions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_are_created_listed_renamed_and_deleted() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Sales Dashboard").await;
    assert_eq!(created["slug"], "sales-dashboard");
    assert_eq!(created["name"], "Sales Dashboard");
    assert_eq!(created["revision"], 1);
    assert_eq!(created["problems"], json!([]));
    assert_eq!(created["app"]["homePage"], "Page1");
    assert_eq!(created["app"]["pages"][0]["name"], "Page1");
    assert_eq!(created["app"]["pages"][0]["widgets"], json!([]));
    let r = browser
        .post(
            "/edit/apps",
            json!({ "name": "Again", "slug": "sales-dashboard" }),
        )
        .await;
    assert_api_error(r, 409, "app_exists").await;
    for bad in [
        json!({ "name": "   " }),
        json!({ "name": "Bad", "slug": "Not A Slug" }),
        json!({ "name": "日本" }),
    ] {
        assert_api_error(
            browser.post("/edit/apps", bad).await,
            400,
            "validation_failed",
        )
        .await;
    }
    assert_api_error(
        browser.post("/edit/apps", json!({ "title": "x" })).await,
        400,
        "bad_json",
    )
    .await;

    let list: Value = browser.get("/edit/apps").await.json().await.unwrap();
    let entry = &list["apps"][0];
    assert_eq!(entry["slug"], "sales-dashboard");
    assert_eq!(entry["revision"], 1);
    assert_eq!(entry["publishedVersion"], Value::Null);
    assert_eq!(entry["publishedAt"], Value::Null);
    assert!(entry["draftUpdatedAt"].as_str().unwrap().contains('T'));

    let r = browser
        .send(
            reqwest::Method::PATCH,
            "/edit/apps/sales-dashboard",
            json!({ "name": "Sales" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let renamed: Value = r.json().await.unwrap();
    assert_eq!(renamed["revision"], 2);
    assert_eq!(renamed["app"]["name"], "Sales");
    assert_eq!(
        browser.draft("sales-dashboard").await["app"]["name"],
        "Sales"
    );
    let list: Value = browser.get("/edit/apps").await.json().await.unwrap();
    assert_eq!(list["apps"][0]["name"], "Sales");

    let published = browser.publish("sales-dashboard", 2).await;
    assert_eq!(published.status(), 200);
    let viewer = app.published_app("sales-dashboard").await;
    assert_eq!(viewer.status(), 200);
    let r = browser
        .request(reqwest::Method::DELETE, "/edit/apps/sales-dashboard")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_api_error(
        browser.get("/edit/apps/sales-dashboard/draft").await,
        404,
        "app_not_found",
    )
    .await;
    let viewer = app.published_app("sales-dashboard").await;
    assert_api_error(viewer, 404, "app_not_found").await;
    let r = browser
        .request(reqwest::Method::DELETE, "/edit/apps/sales-dashboard")
        .send()
        .await
        .unwrap();
    assert_api_error(r, 404, "app_not_found").await;
    let list: Value = browser.get("/edit/apps").await.json().await.unwrap();
    assert_eq!(list["apps"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_keeps_every_version_with_who_and_when_and_a_version_can_be_restored() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Versions").await;
    let slug = created["slug"].as_str().unwrap();
    let v1 = with_text_widget(&created["app"], "txt", "first");
    assert_eq!(browser.put_draft(slug, 1, &v1).await.status(), 200);
    // A stale revision publishes nothing.
    let stale = assert_api_error(browser.publish(slug, 1).await, 409, "revision_conflict").await;
    assert_eq!(stale["revision"], 2);
    let r = browser.publish(slug, 2).await;
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["version"], 1);
    assert_eq!(first["publishedBy"], BUILDER);
    assert!(first["publishedAt"].as_str().unwrap().contains('T'));
    let viewer: Value = app.published_app(slug).await.json().await.unwrap();
    assert_eq!(
        viewer["pages"][0]["widgets"][0]["props"]["text"], "first",
        "viewers see the publish at once"
    );

    let v2 = with_text_widget(&created["app"], "txt", "second");
    assert_eq!(browser.put_draft(slug, 2, &v2).await.status(), 200);
    let second: Value = browser.publish(slug, 3).await.json().await.unwrap();
    assert_eq!(second["version"], 2);
    let versions: Value = browser
        .get(&format!("/edit/apps/{slug}/versions"))
        .await
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![2, 1], "newest first");
    assert_eq!(versions["versions"][1]["publishedBy"], BUILDER);

    let restore = |version: i64, revision: i64| {
        let browser = &browser;
        async move {
            browser
                .post(
                    &format!("/edit/apps/{slug}/versions/{version}/restore"),
                    json!({ "revision": revision }),
                )
                .await
        }
    };
    assert_api_error(restore(1, 2).await, 409, "revision_conflict").await;
    assert_api_error(restore(9, 3).await, 404, "version_not_found").await;
    let r = restore(1, 3).await;
    assert_eq!(r.status(), 200);
    let restored: Value = r.json().await.unwrap();
    assert_eq!(restored["revision"], 4);
    assert_eq!(restored["app"], canonical(&v1));
    assert_eq!(restored["problems"], json!([]));
    assert_eq!(browser.draft(slug).await["app"], canonical(&v1));
    // Restoring changes the draft, not what viewers see.
    let viewer: Value = app.published_app(slug).await.json().await.unwrap();
    assert_eq!(viewer["pages"][0]["widgets"][0]["props"]["text"], "second");
    let list: Value = browser.get("/edit/apps").await.json().await.unwrap();
    assert_eq!(list["apps"][0]["publishedVersion"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_gets_the_draft_as_the_viewer_and_runs_the_drafts_queries() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Preview").await;
    let slug = created["slug"].as_str().unwrap();
    let mut draft = with_text_widget(&created["app"], "txt", "{{ settings.data }}");
    draft["datasources"] = json!([{ "name": "provider", "url": "/auth/v1" }]);
    draft["queries"] =
        json!([{ "name": "settings", "datasource": "provider", "path": "/settings" }]);
    assert_eq!(browser.put_draft(slug, 1, &draft).await.status(), 200);
    let viewer: Value = browser
        .get(&format!("/edit/apps/{slug}/viewer"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(viewer["slug"], slug);
    assert_eq!(viewer["queries"][0]["name"], "settings");
    assert!(
        !viewer.to_string().contains("/auth/v1"),
        "no datasource URL in the viewer's JSON"
    );
    let run = browser
        .post(
            &format!("/edit/apps/{slug}/queries/settings/run"),
            json!({ "params": {} }),
        )
        .await;
    assert_eq!(run.status(), 200);
    let answer: Value = run.json().await.unwrap();
    assert_eq!(answer["status"], 200);
    assert!(answer["body"]["external"].is_object(), "{answer}");
    let missing = browser
        .post(
            &format!("/edit/apps/{slug}/queries/nope/run"),
            json!({ "params": {} }),
        )
        .await;
    assert_api_error(missing, 404, "query_not_found").await;
    // Unpublished: the public API does not run it.
    let r = app
        .client
        .post(app.api(&format!("/apps/{slug}/queries/settings/run")))
        .json(&json!({ "params": {} }))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 404, "app_not_found").await;
    // A query with problems is not run.
    draft["queries"] = json!([{ "name": "settings", "url": "http://{{ host }}/x" }]);
    assert_eq!(browser.put_draft(slug, 2, &draft).await.status(), 200);
    let refused = browser
        .post(
            &format!("/edit/apps/{slug}/queries/settings/run"),
            json!({ "params": {} }),
        )
        .await;
    assert_api_error(refused, 422, "invalid_app").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_page_is_served_under_edit_with_the_viewers_security_headers() {
    let app = spawn_app().await;
    for path in ["/edit", "/edit/", "/edit/some-app", "/edit/some-app/page"] {
        let r = app
            .client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        let h = r.headers().clone();
        assert!(h.contains_key(header::CONTENT_SECURITY_POLICY), "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        match r.status().as_u16() {
            200 => {
                assert!(h[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"));
                assert!(r.text().await.unwrap().contains("<script"), "{path}");
            }
            // A build without the web side says so.
            503 => {
                assert_api_error(r, 503, "editor_not_built").await;
            }
            other => panic!("{path}: {other}"),
        }
    }
}

/// What the browser saves and what `lowkey app export` writes are one clean folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_saved_through_the_api_exports_as_a_folder_that_validates() {
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let created = browser.create_app("Exported").await;
    let slug = created["slug"].as_str().unwrap();
    let draft = with_text_widget(
        &created["app"],
        "txt_hello",
        "Hello {{ appsmith.user.email }}",
    );
    assert_eq!(browser.put_draft(slug, 1, &draft).await.status(), 200);
    let out = fresh_dir().join("exported");
    let (ok, _, err) = crate::cli::lowkey(
        &app.data_dir,
        &["app", "export", slug, out.to_str().unwrap()],
        None,
    );
    assert!(ok, "{err}");
    let (ok, stdout, err) = crate::cli::lowkey(
        &app.data_dir,
        &["app", "validate", out.to_str().unwrap()],
        None,
    );
    assert!(
        ok && stdout.starts_with("ok: Exported (exported)"),
        "{stdout}{err}"
    );
    let (loaded, problems) = App::load(&out);
    assert!(problems.is_empty(), "{problems:?}");
    let loaded = serde_json::to_value(loaded.unwrap()).unwrap();
    assert_eq!(
        loaded,
        canonical(&draft),
        "the folder holds exactly the saved draft"
    );
    // Importing the folder again is one more revision: an editor still at revision 2 gets a
    // conflict instead of overwriting it.
    let (ok, _, err) = crate::cli::lowkey(
        &app.data_dir,
        &["app", "import", out.to_str().unwrap()],
        None,
    );
    assert!(ok, "{err}");
    let after = browser.draft(slug).await;
    assert_eq!(after["revision"], 3);
    assert_eq!(after["app"], canonical(&draft));
    assert_api_error(
        browser.put_draft(slug, 2, &draft).await,
        409,
        "revision_conflict",
    )
    .await;
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_sees_the_names_of_the_servers_secrets_sorted_and_never_their_values() {
    // Read once at start-up: set before the server starts (other tests set other names).
    std::env::set_var("LOWKEY_SECRET_BUILDER_IT_ZETA", "builder-it-zeta-value-1");
    std::env::set_var("LOWKEY_SECRET_BUILDER_IT_ALPHA", "builder-it-alpha-value-2");
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    assert_api_error(
        app.browser().get("/edit/secrets").await,
        401,
        "not_signed_in",
    )
    .await;

    let r = app.signed_in(BUILDER).await.get("/edit/secrets").await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains("builder-it-zeta-value-1"), "{text}");
    assert!(!text.contains("builder-it-alpha-value-2"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = body["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let alpha = names.iter().position(|n| *n == "BUILDER_IT_ALPHA");
    let zeta = names.iter().position(|n| *n == "BUILDER_IT_ZETA");
    assert!(alpha.is_some() && zeta.is_some(), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_js_answers_the_loaders_syntax_errors_at_line_and_column_and_a_js_objects_functions()
{
    let app = spawn_app().await;
    app.add_builder(BUILDER).await;
    let browser = app.signed_in(BUILDER).await;
    let check = |kind: &str, source: &str| {
        browser.post("/edit/check-js", json!({ "kind": kind, "source": source }))
    };

    let r = check(
        "jsObject",
        "export default {\n  n: 1,\n  async signin() {},\n  logout: () => 1,\n};\n",
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "errors": [], "functions": ["signin", "logout"] })
    );

    // A syntax error on the third line, after two spaces and `a: `.
    let body: Value = check("jsObject", "export default {\n  n: 1,\n  a: ,\n};\n")
        .await
        .json()
        .await
        .unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["line"], 3, "{body}");
    assert_eq!(errors[0]["column"], 6, "{body}");
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body.get("functions").is_none(), "{body}");

    // The loader's own rules beyond syntax: one default export of an object literal.
    let body: Value = check("jsObject", "const x = 1;\nexport default {};\n")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"][0]["line"], 1, "{body}");
    assert_eq!(body["errors"][0]["column"], 1, "{body}");

    for (kind, source, ok) in [
        ("expression", "inp_username.text + 1", true),
        ("expression", "a; b", false),
        ("expression", "  ", false),
        (
            "event",
            "storeValue('a', 1); await navigateTo('Home')",
            true,
        ),
        ("event", "if (a) {", false),
        ("event", "import x from 'y'", false),
    ] {
        let r = check(kind, source).await;
        assert_eq!(r.status(), 200, "{kind} {source}");
        let body: Value = r.json().await.unwrap();
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.is_empty(), ok, "{kind} {source}: {body}");
        assert!(body.get("functions").is_none(), "{body}");
        if let Some(e) = errors.first() {
            assert!(e["line"].as_u64().is_some_and(|l| l >= 1), "{body}");
            assert!(e["column"].as_u64().is_some_and(|c| c >= 1), "{body}");
        }
    }
    let body: Value = check("expression", "a +\n  * 2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"][0]["line"], 2, "{body}");

    assert_api_error(check("python", "1").await, 400, "validation_failed").await;
    assert_api_error(
        browser
            .post("/edit/check-js", json!({ "kind": "expression" }))
            .await,
        400,
        "bad_json",
    )
    .await;
    assert_api_error(
        app.browser()
            .post(
                "/edit/check-js",
                json!({ "kind": "expression", "source": "1" }),
            )
            .await,
        401,
        "not_signed_in",
    )
    .await;
    let r = app
        .client
        .post(app.api("/edit/check-js"))
        .header(header::COOKIE, browser.cookie.clone().unwrap())
        .header(header::ORIGIN, "https://evil.example")
        .json(&json!({ "kind": "expression", "source": "1" }))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 403, "cross_origin").await;
}
