//! The platform API: published apps and server-side query execution.

use std::time::Duration;

use axum::routing::{get, post};
use axum::{Json, Router};
use lowkey_app::SourceFiles;
use lowkey_server::apps;
use serde_json::{json, Value};

use crate::helpers::*;

/// A stand-in upstream API on a random loopback port: echoes what it receives.
async fn spawn_upstream() -> String {
    let app = Router::new()
        .route(
            "/echo",
            post(|headers: axum::http::HeaderMap, body: String| async move {
                let h: serde_json::Map<String, Value> =
                    headers.iter().map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or("")))).collect();
                Json(json!({ "headers": h, "raw": body, "json": serde_json::from_str::<Value>(&body).ok() }))
            }),
        )
        .route("/slow", get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        }))
        .route("/big", get(|| async { "x".repeat(64 * 1024) }))
        .route("/text", get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "short and stout") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn files(upstream: &str, sign_in_body: &str) -> SourceFiles {
    let mut f = SourceFiles::new();
    f.insert(
        "app.yaml".into(),
        format!(
            "version: 1\nname: Test app\nslug: test-app\nhomePage: Home\ndatasources:\n  - name: api\n    url: {upstream}\n    headers:\n      x-api-key: \"{{{{secrets.LOWKEY_IT_KEY}}}}\"\n  - name: provider\n    url: /auth/v1\n  - name: own_api\n    url: /api/v1\n"
        ),
    );
    f.insert(
        "pages/Home.yaml".into(),
        "name: Home\nwidgets:\n  - name: inp_email\n    type: Input\n    position: { col: 0, row: 0, width: 20, height: 7 }\n".into(),
    );
    f.insert(
        "queries/echo.yaml".into(),
        "datasource: api\npath: /echo\nmethod: POST\nheaders:\n  X-Trace: \"t-{{this.params.trace}}\"\nbody:\n  type: json\n  content: |\n    {\"email\": {{inp_email.text}}, \"n\": {{this.params.n}}, \"note\": \"hi {{this.params.who}}\"}\n".into(),
    );
    f.insert(
        "queries/slow.yaml".into(),
        "datasource: api\npath: /slow\ntimeoutMs: 300\n".into(),
    );
    f.insert(
        "queries/big.yaml".into(),
        "datasource: api\npath: /big\n".into(),
    );
    f.insert(
        "queries/text.yaml".into(),
        "datasource: api\npath: /text\n".into(),
    );
    f.insert(
        "queries/metadata.yaml".into(),
        "url: http://169.254.169.254/latest/meta-data/\n".into(),
    );
    f.insert(
        "queries/closed.yaml".into(),
        "url: http://127.0.0.1:9/\n".into(),
    );
    f.insert(
        "queries/recursive.yaml".into(),
        "datasource: own_api\npath: /apps\n".into(),
    );
    f.insert(
        "queries/sign_in.yaml".into(),
        format!("datasource: provider\npath: /token\nmethod: POST\nparams:\n  grant_type: password\nbody:\n  type: json\n  content: '{sign_in_body}'\n"),
    );
    f
}

async fn publish(app: &TestApp, files: &SourceFiles) {
    apps::import_files(app.state.store.as_ref(), "test", files)
        .await
        .expect("valid app");
    apps::publish_cli(app.state.store.as_ref(), "test-app")
        .await
        .unwrap();
}

async fn run(app: &TestApp, query: &str, params: Value) -> reqwest::Response {
    app.client
        .post(format!(
            "{}/api/v1/apps/test-app/queries/{query}/run",
            app.url
        ))
        .json(&json!({ "params": params }))
        .send()
        .await
        .unwrap()
}

async fn assert_api_error(r: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(r.status().as_u16(), status, "status for {code}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"].as_str().unwrap().to_string()
}

const SIGN_IN: &str = r#"{"email": {{this.params.email}}, "password": {{this.params.password}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_gets_the_published_app_without_datasource_details() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/api/v1/apps/test-app", app.url))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 404, "app_not_found").await;
    // A draft alone is not visible.
    apps::import_files(
        app.state.store.as_ref(),
        "test",
        &files("http://127.0.0.1:1", SIGN_IN),
    )
    .await
    .unwrap();
    let r = app
        .client
        .get(format!("{}/api/v1/apps/test-app", app.url))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 404, "app_not_found").await;
    apps::publish_cli(app.state.store.as_ref(), "test-app")
        .await
        .unwrap();
    let v: Value = app
        .client
        .get(format!("{}/api/v1/apps/test-app", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["homePage"], "Home");
    let echo = v["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "echo")
        .unwrap();
    assert_eq!(
        echo["bindings"],
        json!([
            "this.params.trace",
            "inp_email.text",
            "this.params.n",
            "this.params.who"
        ])
    );
    let text = v.to_string();
    assert!(
        !text.contains("127.0.0.1:1")
            && !text.contains("x-api-key")
            && !text.contains("LOWKEY_IT_KEY"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_substitute_typed_values_and_server_secrets_upstream() {
    std::env::set_var("LOWKEY_SECRET_LOWKEY_IT_KEY", "s3cret-value");
    let upstream = spawn_upstream().await;
    let app = spawn_app().await;
    publish(&app, &files(&upstream, SIGN_IN)).await;
    let hostile = "x\", \"role\": \"admin";
    let r = run(&app, "echo", json!({"inp_email.text": hostile, "this.params.n": 42, "this.params.who": "a \"b\"", "this.params.trace": 7})).await;
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["status"], 200);
    assert!(out["durationMs"].as_f64().unwrap() >= 0.0);
    let seen = &out["body"];
    assert_eq!(
        seen["json"],
        json!({"email": hostile, "n": 42, "note": "hi a \"b\""})
    );
    assert_eq!(
        seen["headers"]["x-api-key"], "[secret]",
        "the secret was resolved on the server (the upstream echoed it) and masked on the way back"
    );
    assert_eq!(seen["headers"]["x-trace"], "t-7");
    assert_eq!(seen["headers"]["content-type"], "application/json");
    // Non-JSON answers come back as text with their status.
    let out: Value = run(&app, "text", json!({})).await.json().await.unwrap();
    assert_eq!(out["status"], 418);
    assert_eq!(out["body"], "short and stout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_version_runs_not_the_draft() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    publish(&app, &files("http://127.0.0.1:1", SIGN_IN)).await;
    // A new draft that would send a fixed e-mail; not published.
    apps::import_files(
        app.state.store.as_ref(),
        "test",
        &files(
            "http://127.0.0.1:1",
            r#"{"email": "evil@example.com", "password": {{this.params.password}}}"#,
        ),
    )
    .await
    .unwrap();
    let r = run(
        &app,
        "sign_in",
        json!({"this.params.email": "ada@example.com", "this.params.password": PASSWORD}),
    )
    .await;
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["body"]["user"]["email"], "ada@example.com");
    assert!(out["body"]["access_token"].is_string());
    // A wrong password comes back as the provider's answer, not as a lowkey error.
    let out: Value = run(
        &app,
        "sign_in",
        json!({"this.params.email": "ada@example.com", "this.params.password": "nope nope"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(out["status"], 400);
    assert_eq!(out["body"]["msg"], "Invalid login credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_requests_get_clear_4xx_errors() {
    let app = spawn_app().await;
    publish(&app, &files("http://127.0.0.1:1", SIGN_IN)).await;
    let msg = assert_api_error(
        run(&app, "sign_in", json!({"this.params.email": "a@b.co"})).await,
        400,
        "missing_param",
    )
    .await;
    assert!(msg.contains("this.params.password"), "{msg}");
    assert_api_error(run(&app, "nope", json!({})).await, 404, "query_not_found").await;
    let r = app
        .client
        .post(format!("{}/api/v1/apps/nope/queries/x/run", app.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 404, "app_not_found").await;
    let r = app
        .client
        .post(format!(
            "{}/api/v1/apps/test-app/queries/sign_in/run",
            app.url
        ))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_api_error(r, 400, "bad_json").await;
    let r = app
        .client
        .post(format!(
            "{}/api/v1/apps/test-app/queries/sign_in/run",
            app.url
        ))
        .json(&json!({"params": [1]}))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 400, "bad_json").await;
    let r = app
        .client
        .get(format!("{}/api/v1/nothing", app.url))
        .send()
        .await
        .unwrap();
    assert_api_error(r, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_size_limits_and_refused_addresses_are_reported() {
    let upstream = spawn_upstream().await;
    let app = spawn_app_with(|c| c.queries.max_response_bytes = 1024).await;
    publish(&app, &files(&upstream, SIGN_IN)).await;
    assert_api_error(run(&app, "slow", json!({})).await, 504, "upstream_timeout").await;
    assert_api_error(run(&app, "big", json!({})).await, 502, "response_too_large").await;
    assert_api_error(
        run(&app, "metadata", json!({})).await,
        403,
        "address_refused",
    )
    .await;
    assert_api_error(
        run(&app, "closed", json!({})).await,
        502,
        "upstream_unreachable",
    )
    .await;
    assert_api_error(
        run(&app, "recursive", json!({})).await,
        403,
        "address_refused",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_shell_is_served_for_app_urls() {
    let app = spawn_app().await;
    for path in ["/app/custom-auth", "/app/custom-auth/dashboard"] {
        let r = app
            .client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        // 200 with the built viewer, 503 with a clear message when web/dist was not built.
        assert!(
            r.status() == 200 || r.status() == 503,
            "{path}: {}",
            r.status()
        );
        let body = r.text().await.unwrap();
        assert!(
            body.contains("<html") || body.contains("npm run build"),
            "{body}"
        );
    }
}
