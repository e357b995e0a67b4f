//! Bad input on every endpoint gets a clear 4xx JSON error: never a 5xx, never plain text.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_to_every_endpoint_get_json_4xx_errors() {
    let app = spawn_app().await;
    app.create_user("ada@example.com").await;
    let admin = app.service_token();
    let bodies = [
        "",
        "{",
        "[]",
        "null",
        "\"text\"",
        "{\"email\": 5, \"password\": []}",
        "\u{0}\u{1}binary",
        "{\"data\": \"not an object\"}",
    ];
    let routes: &[(Method, &str, bool)] = &[
        (Method::POST, "/auth/v1/token?grant_type=password", false),
        (
            Method::POST,
            "/auth/v1/token?grant_type=refresh_token",
            false,
        ),
        (
            Method::POST,
            "/auth/v1/token?grant_type=password&grant_type=x",
            false,
        ),
        (Method::POST, "/auth/v1/token?grant_type=%ZZ", false),
        (Method::POST, "/auth/v1/signup", false),
        (
            Method::POST,
            "/auth/v1/logout?scope=local&scope=global",
            true,
        ),
        (Method::GET, "/auth/v1/user", true),
        (Method::PUT, "/auth/v1/user", true),
        (Method::GET, "/auth/v1/admin/users?page=-1", true),
        (Method::POST, "/auth/v1/admin/users", true),
        (Method::GET, "/auth/v1/admin/users/%FF%FE", true),
        (
            Method::PUT,
            "/auth/v1/admin/users/00000000-0000-0000-0000-000000000000",
            true,
        ),
        (Method::DELETE, "/auth/v1/admin/users/nobody", true),
        (Method::PATCH, "/auth/v1/user", true),
        (Method::GET, "/auth/v1/nope", false),
        (Method::GET, "/api/v1/apps/%FF", false),
        (Method::POST, "/api/v1/apps/%FF/queries/%FE/run", false),
        (Method::POST, "/api/v1/apps/none/queries/none/run", false),
        (Method::GET, "/api/v1/nope", false),
    ];
    let user_token = app.session("ada@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    for (method, path, authed) in routes {
        for body in bodies {
            for token in [
                None,
                Some("garbage"),
                Some(user_token.as_str()),
                Some(admin.as_str()),
            ] {
                if token.is_some() && !authed {
                    continue;
                }
                let mut req = app
                    .client
                    .request(method.clone(), format!("{}{path}", app.url))
                    .body(body.to_string());
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let ctype = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let text = r.text().await.unwrap();
                let case = format!("{method} {path} body={body:?} token={}", token.is_some());
                // Some of these succeed (an admin deleting nobody is 404, a PUT with `{}` is 200):
                // what must never happen is a 5xx or a non-JSON error.
                assert!(status < 500, "{case}: {status} {text}");
                if status >= 400 {
                    assert!(
                        ctype.starts_with("application/json"),
                        "{case}: {status} {ctype} {text}"
                    );
                    let v: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|_| panic!("{case}: not JSON: {text}"));
                    assert!(v.get("msg").or(v.get("error")).is_some(), "{case}: {v}");
                }
            }
        }
    }
    // The server is still healthy and the user can still sign in.
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 200);
}
