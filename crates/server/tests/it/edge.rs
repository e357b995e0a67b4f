//! The hardened edges of query execution and of the HTTP server, one test per attack of
//! `security-findings.md` (F1–F17): the real server over real HTTP, with recording upstream
//! fixtures on 127.0.0.1. Connection limits and the real-binary tests are in `edge_limits.rs`.

use std::time::Duration;

use lowkey_app::SourceFiles;
use lowkey_server::apps;
use reqwest::header;
use serde_json::{json, Value};

use crate::helpers::*;

use self::fixture::Upstream;

/// A recording upstream: every request it gets is kept (method, path, query, headers, body).
///
/// - `/echo…` (any method): echoes method, path, query, headers and body as JSON;
/// - `/redirect?to=URL&code=N`: answers N with `Location: URL`;
/// - `/slow?ms=N`: answers `late` after N ms;
/// - `/big?n=N`: N bytes of 0x01 as `text/plain`;
/// - `/forward?to=URL`: like a proxy, POSTs `{"params":{}}` (JSON) to URL, copying the
///   incoming `x-lowkey-hop`, and answers the status and body it got.
pub(crate) mod fixture {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Duration;

    use axum::body::{Body, Bytes};
    use axum::extract::Request;
    use axum::http::{header, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::{Json, Router};
    use serde_json::json;

    #[derive(Debug, Clone)]
    pub struct Seen {
        pub method: String,
        pub path: String,
        pub query: String,
        /// Lower-case names; repeated headers joined with ", ".
        pub headers: BTreeMap<String, String>,
        pub body: String,
    }

    impl Seen {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).map(String::as_str)
        }
    }

    #[derive(Clone)]
    pub struct Upstream {
        /// `http://127.0.0.1:<port>`
        pub url: String,
        log: Arc<Mutex<Vec<Seen>>>,
    }

    impl Upstream {
        pub async fn start() -> Self {
            let log = Arc::new(Mutex::new(Vec::new()));
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let recorder = log.clone();
            let app = Router::new()
                .fallback(move |req: Request| handle(req, recorder.clone(), client.clone()));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            Self { url, log }
        }

        /// Every request received so far.
        pub fn seen(&self) -> Vec<Seen> {
            self.log.lock().unwrap().clone()
        }

        /// The requests received on exactly `path`.
        pub fn seen_at(&self, path: &str) -> Vec<Seen> {
            self.seen().into_iter().filter(|s| s.path == path).collect()
        }

        /// Waits (at most 10 s) until `n` requests arrived on `path`.
        pub async fn wait_for(&self, path: &str, n: usize) {
            for _ in 0..1000 {
                if self.seen_at(path).len() >= n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("{} never got {n} request(s) on {path}", self.url);
        }
    }

    /// The bodies of `/big`, shared between requests (100 parallel runs would otherwise
    /// allocate 500 MB in the test process).
    fn big(n: usize) -> Bytes {
        static CACHE: OnceLock<Mutex<HashMap<usize, Bytes>>> = OnceLock::new();
        CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap()
            .entry(n)
            .or_insert_with(|| Bytes::from(vec![1u8; n]))
            .clone()
    }

    async fn handle(req: Request, log: Arc<Mutex<Vec<Seen>>>, client: reqwest::Client) -> Response {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 16 << 20)
            .await
            .unwrap_or_default();
        let query = parts.uri.query().unwrap_or("").to_owned();
        let args: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let mut headers = BTreeMap::<String, String>::new();
        for (k, v) in &parts.headers {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            headers
                .entry(k.as_str().to_owned())
                .and_modify(|e| {
                    e.push_str(", ");
                    e.push_str(&v);
                })
                .or_insert(v);
        }
        let seen = Seen {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        log.lock().unwrap().push(seen.clone());
        let arg = |name: &str| args.get(name).cloned().unwrap_or_default();
        match seen.path.as_str() {
            "/redirect" => Response::builder()
                .status(arg("code").parse::<u16>().unwrap_or(302))
                .header(header::LOCATION, arg("to"))
                .body(Body::empty())
                .unwrap(),
            "/slow" => {
                let ms = arg("ms").parse().unwrap_or(1000);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "late".into_response()
            }
            "/big" => (
                [(header::CONTENT_TYPE, "text/plain")],
                big(arg("n").parse().unwrap_or(0)),
            )
                .into_response(),
            "/forward" => {
                let mut out = client
                    .post(arg("to"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(r#"{"params":{}}"#);
                if let Some(hop) = parts.headers.get("x-lowkey-hop") {
                    out = out.header("x-lowkey-hop", hop.clone());
                }
                match out.send().await {
                    Ok(r) => {
                        let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
                        let body = r.bytes().await.unwrap_or_default();
                        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
                    }
                    Err(e) => {
                        (StatusCode::BAD_GATEWAY, format!("forward failed: {e}")).into_response()
                    }
                }
            }
            p if p.starts_with("/echo") => Json(json!({
                "method": seen.method,
                "path": seen.path,
                "query": seen.query,
                "headers": seen.headers,
                "body": seen.body,
            }))
            .into_response(),
            _ => (StatusCode::NOT_FOUND, "no such fixture path").into_response(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Building, publishing and running a test app (slug `edge`)

pub(crate) const SLUG: &str = "edge";

/// `app.yaml` of the test app with `datasources` (YAML text, may be empty).
pub(crate) fn app_yaml(datasources: &str) -> String {
    format!("version: 1\nname: Edge\nslug: {SLUG}\nhomePage: Home\n{datasources}")
}

/// The app's files from (path, content) pairs; a home page is added.
pub(crate) fn source(files: &[(&str, String)]) -> SourceFiles {
    let mut f = SourceFiles::new();
    f.insert(
        "pages/Home.yaml".into(),
        "name: Home\nwidgets:\n  - name: txt_title\n    type: Text\n    position: { col: 0, row: 0, width: 10, height: 4 }\n"
            .into(),
    );
    for (path, content) in files {
        f.insert((*path).to_owned(), content.clone());
    }
    f
}

/// Imports and publishes the app built from `files`.
pub(crate) async fn publish(app: &TestApp, files: &[(&str, String)]) {
    if let Err(e) = apps::import_files(app.state.store.as_ref(), "edge", &source(files)).await {
        panic!("the test app should import: {e:#}");
    }
    apps::publish_cli(app.state.store.as_ref(), SLUG)
        .await
        .unwrap();
}

/// A client that ignores any proxy of the environment.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub(crate) fn run_url(server: &str, query: &str) -> String {
    format!("{server}/api/v1/apps/{SLUG}/queries/{query}/run")
}

pub(crate) async fn run(server: &str, query: &str, params: Value) -> reqwest::Response {
    client()
        .post(run_url(server, query))
        .json(&json!({ "params": params }))
        .send()
        .await
        .unwrap()
}

/// Asserts a 200 run answer and returns it (`{status, headers, body, durationMs}`).
pub(crate) async fn answer(r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "a run answer: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Asserts the platform's error shape with this status and code; returns the body.
pub(crate) async fn api_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "expected {status} {code}, got: {text}");
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("error bodies are JSON: {text:?}"));
    assert_eq!(v["error"]["code"], code, "{text}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{text}"
    );
    v
}

pub(crate) async fn health(server: &str) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
        .get(format!("{server}/health"))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// `host:port` of a `http://host:port` URL.
pub(crate) fn authority(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// A datasource `pub` at `url` sending the secret `{{secrets.<secret>}}` as `X-Api-Key`,
/// `apikey` and `Authorization: Bearer`.
fn secret_datasource(url: &str, secret: &str) -> String {
    format!(
        "datasources:\n  - name: pub\n    url: {url}\n    headers:\n      X-Api-Key: \"{{{{secrets.{secret}}}}}\"\n      apikey: \"{{{{secrets.{secret}}}}}\"\n      Authorization: \"Bearer {{{{secrets.{secret}}}}}\"\n"
    )
}

/// A query of datasource `pub` on `/redirect?to={{this.params.to}}&code={{this.params.code}}`.
fn redirect_query(extra: &str) -> String {
    format!(
        "datasource: pub\npath: /redirect\nparams:\n  to: \"{{{{this.params.to}}}}\"\n  code: \"{{{{this.params.code}}}}\"\ntimeoutMs: 5000\n{extra}"
    )
}

// ---------------------------------------------------------------------------------------
// F1: redirects

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_goes_back_to_the_app_and_is_not_followed_by_default() {
    std::env::set_var("LOWKEY_SECRET_EDGE_REDIR", "edge-redirect-secret-1");
    let public = Upstream::start().await;
    let internal = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&secret_datasource(&public.url, "EDGE_REDIR")),
            ),
            ("queries/hop.yaml", redirect_query("")),
        ],
    )
    .await;
    let target = format!("{}/echo/stolen", internal.url);
    let out = answer(
        run(
            &app.url,
            "hop",
            json!({"this.params.to": target, "this.params.code": 302}),
        )
        .await,
    )
    .await;
    assert_eq!(out["status"], 302, "{out}");
    assert_eq!(out["headers"]["location"], target.as_str(), "{out}");
    assert_eq!(public.seen_at("/redirect").len(), 1);
    assert!(internal.seen().is_empty(), "{:?}", internal.seen());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_cross_origin_redirect_carries_no_datasource_secret_and_no_referer() {
    std::env::set_var("LOWKEY_SECRET_EDGE_REDIR", "edge-redirect-secret-1");
    let public = Upstream::start().await;
    let internal = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&secret_datasource(&public.url, "EDGE_REDIR")),
            ),
            (
                "queries/hop.yaml",
                redirect_query("followRedirects: true\n"),
            ),
        ],
    )
    .await;
    for (code, target) in [
        (302, format!("{}/echo/stolen", internal.url)),
        // The same service by a DNS name is another origin too.
        (
            301,
            format!(
                "http://localhost:{}/echo/stolen-by-name",
                internal.url.rsplit(':').next().unwrap()
            ),
        ),
    ] {
        let out = answer(
            run(
                &app.url,
                "hop",
                json!({"this.params.to": target, "this.params.code": code}),
            )
            .await,
        )
        .await;
        assert_eq!(out["status"], 200, "the redirect was followed: {out}");
        assert!(
            out["body"]["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/echo/stolen")),
            "{out}"
        );
    }
    // The first hop got the credentials …
    let first = public.seen_at("/redirect");
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].header("x-api-key"), Some("edge-redirect-secret-1"));
    // … the other origin got none of them.
    let hops: Vec<_> = internal
        .seen()
        .into_iter()
        .filter(|s| s.path.starts_with("/echo/stolen"))
        .collect();
    assert_eq!(hops.len(), 2, "{hops:?}");
    for hop in hops {
        for name in ["x-api-key", "apikey", "authorization", "referer"] {
            assert_eq!(hop.header(name), None, "{name} crossed origins: {hop:?}");
        }
        let all = format!("{hop:?}");
        assert!(!all.contains("edge-redirect-secret-1"), "{all}");
        assert_eq!(hop.method, "GET");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_307_that_would_resend_a_secret_body_to_another_origin_is_refused_before_sending() {
    std::env::set_var("LOWKEY_SECRET_EDGE_REDIR", "edge-redirect-secret-1");
    let public = Upstream::start().await;
    let internal = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&secret_datasource(&public.url, "EDGE_REDIR")),
            ),
            (
                "queries/post_hop.yaml",
                redirect_query(
                    "followRedirects: true\nmethod: POST\nbody:\n  type: json\n  content: '{\"card\": \"4111-1111\", \"k\": \"{{secrets.EDGE_REDIR}}\"}'\n",
                ),
            ),
        ],
    )
    .await;
    for code in [307, 308] {
        let r = run(
            &app.url,
            "post_hop",
            json!({"this.params.to": format!("{}/echo/stolen-post", internal.url), "this.params.code": code}),
        )
        .await;
        let e = api_error(r, 502, "redirect_refused").await;
        assert!(!e.to_string().contains("edge-redirect-secret-1"), "{e}");
    }
    assert_eq!(
        public.seen_at("/redirect").len(),
        2,
        "the first hop was sent"
    );
    assert!(
        internal.seen().is_empty(),
        "the other origin received: {:?}",
        internal.seen()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_origin_307_keeps_the_method_the_body_and_the_credentials() {
    std::env::set_var("LOWKEY_SECRET_EDGE_REDIR", "edge-redirect-secret-1");
    let public = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&secret_datasource(&public.url, "EDGE_REDIR")),
            ),
            (
                "queries/post_hop.yaml",
                redirect_query(
                    "followRedirects: true\nmethod: POST\nbody:\n  type: json\n  content: '{\"order\": {{this.params.n}}}'\n",
                ),
            ),
        ],
    )
    .await;
    let out = answer(
        run(
            &app.url,
            "post_hop",
            json!({"this.params.to": format!("{}/echo/same", public.url), "this.params.code": 307, "this.params.n": 7}),
        )
        .await,
    )
    .await;
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["body"]["method"], "POST", "{out}");
    let seen = public.seen_at("/echo/same");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        serde_json::from_str::<Value>(&seen[0].body).unwrap(),
        json!({"order": 7})
    );
    assert_eq!(seen[0].header("x-api-key"), Some("edge-redirect-secret-1"));
    assert_eq!(seen[0].header("referer"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_redirect_to_the_metadata_address_is_refused() {
    std::env::set_var("LOWKEY_SECRET_EDGE_REDIR", "edge-redirect-secret-1");
    let public = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&secret_datasource(&public.url, "EDGE_REDIR")),
            ),
            (
                "queries/hop.yaml",
                redirect_query("followRedirects: true\n"),
            ),
        ],
    )
    .await;
    for target in [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/",
        "http://[::ffff:169.254.169.254]/x",
    ] {
        let r = run(
            &app.url,
            "hop",
            json!({"this.params.to": target, "this.params.code": 302}),
        )
        .await;
        api_error(r, 403, "address_refused").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_redirects_are_followed_and_a_sixth_is_refused() {
    let public = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&format!(
                    "datasources:\n  - name: pub\n    url: {}\n",
                    public.url
                )),
            ),
            (
                "queries/hop.yaml",
                redirect_query("followRedirects: true\n"),
            ),
        ],
    )
    .await;
    // The query itself is the first redirect; `chain(n)` adds n more before /echo/end.
    let chain = |extra: usize| {
        let mut to = format!("{}/echo/end", public.url);
        for _ in 0..extra {
            let mut u = url::Url::parse(&format!("{}/redirect", public.url)).unwrap();
            u.query_pairs_mut()
                .append_pair("to", &to)
                .append_pair("code", "302");
            to = u.to_string();
        }
        to
    };
    let out = answer(
        run(
            &app.url,
            "hop",
            json!({"this.params.to": chain(4), "this.params.code": 302}),
        )
        .await,
    )
    .await;
    assert_eq!(out["status"], 200, "5 redirects are followed: {out}");
    assert_eq!(public.seen_at("/echo/end").len(), 1);
    let r = run(
        &app.url,
        "hop",
        json!({"this.params.to": chain(5), "this.params.code": 302}),
    )
    .await;
    api_error(r, 502, "redirect_refused").await;
    assert_eq!(
        public.seen_at("/echo/end").len(),
        1,
        "the end of a 6-redirect chain is never reached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_in_the_query_string_does_not_follow_a_redirect_as_referer() {
    std::env::set_var("LOWKEY_SECRET_EDGE_QS", "edge-querystring-secret-2");
    let public = Upstream::start().await;
    let internal = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&format!(
                    "datasources:\n  - name: pub\n    url: {}\n",
                    public.url
                )),
            ),
            (
                "queries/hop.yaml",
                redirect_query("followRedirects: true\n")
                    .replace("params:\n", "params:\n  api_key: \"{{secrets.EDGE_QS}}\"\n"),
            ),
        ],
    )
    .await;
    let out = answer(
        run(
            &app.url,
            "hop",
            json!({"this.params.to": format!("{}/echo/via-referer", internal.url), "this.params.code": 302}),
        )
        .await,
    )
    .await;
    assert_eq!(out["status"], 200, "{out}");
    let first = public.seen_at("/redirect");
    assert!(first[0].query.contains("edge-querystring-secret-2"));
    let seen = internal.seen_at("/echo/via-referer");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("referer"), None, "{:?}", seen[0]);
    assert!(
        !format!("{:?}", seen[0]).contains("edge-querystring-secret-2"),
        "{:?}",
        seen[0]
    );
}

// ---------------------------------------------------------------------------------------
// F3: a query calling this server

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_cannot_call_its_own_server_by_an_absolute_url() {
    let app = spawn_app().await;
    let port = app.url.rsplit(':').next().unwrap().to_owned();
    let me = |host: &str, path: &str| {
        format!(
            "url: http://{host}:{port}{path}\nmethod: POST\nbody:\n  type: json\n  content: '{{\"params\": {{}}}}'\ntimeoutMs: 3000\n"
        )
    };
    let run_path = format!("/api/v1/apps/{SLUG}/queries/self_loop/run");
    publish(
        &app,
        &[
            ("app.yaml", app_yaml("")),
            ("queries/self_loop.yaml", me("127.0.0.1", &run_path)),
            (
                "queries/by_name.yaml",
                me(
                    "localhost",
                    &format!("/api/v1/apps/{SLUG}/queries/by_name/run"),
                ),
            ),
            ("queries/own_health.yaml", me("127.0.0.1", "/health")),
        ],
    )
    .await;
    for q in ["self_loop", "by_name", "own_health"] {
        let started = std::time::Instant::now();
        api_error(run(&app.url, q, json!({})).await, 403, "address_refused").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{q} was refused at once"
        );
        assert_eq!(health(&app.url).await, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_reaching_a_run_endpoint_through_a_proxy_is_stopped_by_the_hop_header() {
    let public = Upstream::start().await;
    let internal = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            ("app.yaml", app_yaml("")),
            (
                "queries/outer.yaml",
                format!(
                    "url: {}/forward\nparams:\n  to: \"{{{{this.params.to}}}}\"\ntimeoutMs: 5000\n",
                    public.url
                ),
            ),
            (
                "queries/inner.yaml",
                format!("url: {}/echo/inner\n", internal.url),
            ),
        ],
    )
    .await;
    // The inner query works when a browser runs it.
    assert_eq!(
        answer(run(&app.url, "inner", json!({})).await).await["status"],
        200
    );
    let out = answer(
        run(
            &app.url,
            "outer",
            json!({"this.params.to": run_url(&app.url, "inner")}),
        )
        .await,
    )
    .await;
    assert_eq!(out["status"], 403, "the inner run was refused: {out}");
    assert_eq!(out["body"]["error"]["code"], "address_refused", "{out}");
    let forwarded = public.seen_at("/forward");
    assert_eq!(forwarded.len(), 1);
    assert!(
        forwarded[0].header("x-lowkey-hop").is_some(),
        "outbound query requests carry the hop header"
    );
    assert_eq!(
        internal.seen_at("/echo/inner").len(),
        1,
        "only the browser's run reached the inner upstream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_request_carrying_the_hop_header_cannot_run_queries() {
    let public = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            ("app.yaml", app_yaml("")),
            ("queries/q.yaml", format!("url: {}/echo/q\n", public.url)),
        ],
    )
    .await;
    for hop in ["1", "someone-elses-instance-id"] {
        let r = client()
            .post(run_url(&app.url, "q"))
            .header("x-lowkey-hop", hop)
            .json(&json!({"params": {}}))
            .send()
            .await
            .unwrap();
        api_error(r, 403, "address_refused").await;
    }
    assert!(public.seen().is_empty(), "{:?}", public.seen());
}

// ---------------------------------------------------------------------------------------
// F6, F12, F13: templates refused at import

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_that_let_the_viewer_pick_the_host_or_the_framing_are_refused_at_import() {
    let app = spawn_app().await;
    let import = |query: String| {
        let store = app.state.store.clone();
        async move {
            apps::import_files(
                store.as_ref(),
                "edge",
                &source(&[("app.yaml", app_yaml("")), ("queries/bad.yaml", query)]),
            )
            .await
        }
    };
    // The same app with a harmless query imports.
    import("url: \"http://127.0.0.1:9/{{this.params.h}}/x\"\n".into())
        .await
        .expect("a binding in the path is fine");
    let with_header = |name: &str, value: &str| {
        format!("url: http://127.0.0.1:9/x\nheaders:\n  {name}: \"{value}\"\n")
    };
    let cases = [
        (
            "empty authority",
            "host",
            "url: \"http:///{{this.params.h}}/x\"\n".to_owned(),
        ),
        (
            "tab authority",
            "tab",
            "url: \"http://\\t/{{this.params.h}}/x\"\n".to_owned(),
        ),
        ("Host", "Host", with_header("Host", "{{this.params.h}}")),
        (
            "Content-Length",
            "Content-Length",
            with_header("Content-Length", "{{this.params.n}}"),
        ),
        (
            "Transfer-Encoding",
            "Transfer-Encoding",
            with_header("Transfer-Encoding", "{{this.params.te}}"),
        ),
        (
            "X-Forwarded-For",
            "X-Forwarded-For",
            with_header("X-Forwarded-For", "{{this.params.ip}}"),
        ),
        (
            "JSON key",
            "key",
            "url: http://127.0.0.1:9/x\nmethod: POST\nbody:\n  type: json\n  content: '{ {{this.params.k}}: 1, \"role\": \"user\" }'\n"
                .to_owned(),
        ),
    ];
    for (what, names, query) in cases {
        let err = match import(query.clone()).await {
            Ok(_) => panic!("{what}: imported, should be refused:\n{query}"),
            Err(e) => format!("{e:#}"),
        };
        // edge/queries/bad.yaml:<line>:<column>: <message>
        let located = err.lines().any(|l| {
            l.split_once("queries/bad.yaml:").is_some_and(|(_, rest)| {
                let mut parts = rest.splitn(3, ':');
                let line = parts.next().and_then(|p| p.parse::<u32>().ok());
                let column = parts.next().and_then(|p| p.parse::<u32>().ok());
                line.is_some_and(|l| l > 0)
                    && column.is_some()
                    && parts.next().is_some_and(|m| !m.trim().is_empty())
            })
        });
        assert!(located, "{what}: not a located message: {err}");
        assert!(
            err.contains(names),
            "{what}: the message should name {names:?}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// F7: CSRF and DNS rebinding

async fn csrf_app() -> (TestApp, Upstream) {
    let public = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            ("app.yaml", app_yaml("")),
            ("queries/q.yaml", format!("url: {}/echo/csrf\n", public.url)),
        ],
    )
    .await;
    (app, public)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sites_page_cannot_make_the_server_run_a_query() {
    let (app, public) = csrf_app().await;
    let body = r#"{"params":{}}"#;
    let post = || client().post(run_url(&app.url, "q"));
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = post()
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        api_error(r, 415, "unsupported_media_type").await;
    }
    let r = post()
        .header(header::ORIGIN, "http://evil.example")
        .json(&json!({"params": {}}))
        .send()
        .await
        .unwrap();
    api_error(r, 403, "cross_origin").await;
    let r = post()
        .header(header::ORIGIN, "null")
        .json(&json!({"params": {}}))
        .send()
        .await
        .unwrap();
    api_error(r, 403, "cross_origin").await;
    let r = post()
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"params": {}}))
        .send()
        .await
        .unwrap();
    api_error(r, 403, "cross_origin").await;
    assert!(
        public.seen().is_empty(),
        "no refused request ran: {:?}",
        public.seen()
    );
    // The viewer itself (same origin) runs queries.
    let r = post()
        .header(header::ORIGIN, app.url.as_str())
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"params": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(r).await["status"], 200);
    assert_eq!(public.seen_at("/echo/csrf").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_host_names_are_refused_but_the_auth_api_keeps_open_cors() {
    let (app, public) = csrf_app().await;
    let port = app.url.rsplit(':').next().unwrap().to_owned();
    let r = client()
        .get(format!("{}/api/v1/apps/{SLUG}", app.url))
        .header(header::HOST, "attacker.example")
        .send()
        .await
        .unwrap();
    api_error(r, 421, "host_not_allowed").await;
    let r = client()
        .post(run_url(&app.url, "q"))
        .header(header::HOST, format!("rebind.attacker.example:{port}"))
        .json(&json!({"params": {}}))
        .send()
        .await
        .unwrap();
    api_error(r, 421, "host_not_allowed").await;
    assert!(public.seen().is_empty(), "{:?}", public.seen());
    // The names the server listens on are fine.
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let r = client()
            .get(format!("{}/api/v1/apps/{SLUG}", app.url))
            .header(header::HOST, host.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
    // auth-js runs on other origins: /auth/v1 answers preflights from anywhere.
    let r = client()
        .request(reqwest::Method::OPTIONS, app.auth("/token"))
        .header(header::ORIGIN, "https://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,apikey")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(
        r.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "{:?}",
        r.headers()
    );
}

// ---------------------------------------------------------------------------------------
// F9, F10: response headers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_assets_and_api_answers_carry_the_security_headers() {
    let (app, _public) = csrf_app().await;
    let get = |path: &str| client().get(format!("{}{path}", app.url)).send();
    let r = get(&format!("/app/{SLUG}")).await.unwrap();
    assert!(
        r.status() == 200 || r.status() == 503,
        "the viewer shell (503 when web/dist is not built): {}",
        r.status()
    );
    let h = r.headers();
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(h.contains_key(header::REFERRER_POLICY), "{h:?}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    let r = get("/assets/nonexistent.js").await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let r = get("/api/v1/apps").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let r = run(&app.url, "q", json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_frame_ancestors_replace_the_framing_refusal() {
    let app = spawn_app_with(|c| {
        c.http.frame_ancestors = vec!["https://intranet.example.com".into()];
    })
    .await;
    let r = client()
        .get(format!("{}/app/{SLUG}", app.url))
        .send()
        .await
        .unwrap();
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors https://intranet.example.com"),
        "{csp}"
    );
    assert!(!csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !r.headers().contains_key(header::X_FRAME_OPTIONS),
        "{:?}",
        r.headers()
    );
}

// ---------------------------------------------------------------------------------------
// F11: secrets reflected by an upstream

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_echoed_by_an_upstream_is_masked_in_the_answer() {
    std::env::set_var("LOWKEY_SECRET_EDGE_ECHO", "edge-echoed-secret-3");
    let public = Upstream::start().await;
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml(&secret_datasource(&public.url, "EDGE_ECHO")),
            ),
            (
                "queries/echo.yaml",
                "datasource: pub\npath: /echo/secret\n".to_owned(),
            ),
        ],
    )
    .await;
    let r = run(&app.url, "echo", json!({})).await;
    let text = r.text().await.unwrap();
    assert!(!text.contains("edge-echoed-secret-3"), "{text}");
    assert!(text.contains("[secret]"), "{text}");
    let out: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(out["body"]["headers"]["x-api-key"], "[secret]");
    assert_eq!(out["body"]["headers"]["authorization"], "Bearer [secret]");
    // The upstream did get the real value.
    assert_eq!(
        public.seen_at("/echo/secret")[0].header("x-api-key"),
        Some("edge-echoed-secret-3")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_provider_does_not_hand_back_a_secret_grant_type() {
    std::env::set_var("LOWKEY_SECRET_EDGE_GRANT", "edge-grant-secret-4");
    let app = spawn_app().await;
    publish(
        &app,
        &[
            (
                "app.yaml",
                app_yaml("datasources:\n  - name: provider\n    url: /auth/v1\n"),
            ),
            (
                "queries/grant.yaml",
                "datasource: provider\npath: /token\nmethod: POST\nparams:\n  grant_type: \"{{secrets.EDGE_GRANT}}\"\nbody:\n  type: json\n  content: '{}'\n"
                    .to_owned(),
            ),
        ],
    )
    .await;
    let r = run(&app.url, "grant", json!({})).await;
    assert_eq!(r.status(), 200);
    let headers = format!("{:?}", r.headers());
    let text = r.text().await.unwrap();
    assert!(!text.contains("edge-grant-secret-4"), "{text}");
    assert!(!headers.contains("edge-grant-secret-4"), "{headers}");
    let out: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(out["status"], 400, "{out}");
}

// ---------------------------------------------------------------------------------------
// F5, F16: abuse

fn sign_in_app() -> Vec<(&'static str, String)> {
    vec![
        (
            "app.yaml",
            app_yaml("datasources:\n  - name: provider\n    url: /auth/v1\n"),
        ),
        (
            "queries/sign_in.yaml",
            "datasource: provider\npath: /token\nmethod: POST\nparams:\n  grant_type: password\nbody:\n  type: json\n  content: '{\"email\": {{this.params.email}}, \"password\": {{this.params.password}}}'\n"
                .to_owned(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_through_an_app_query_are_rate_limited_per_browser_not_per_proxy() {
    let app = spawn_app_with(|c| {
        c.provider.trust_forwarded_for = true;
        c.provider.rate_limit_token_burst = 5;
        c.provider.rate_limit_token_refill = 1;
    })
    .await;
    publish(&app, &sign_in_app()).await;
    let attempt = |xff: String, n: usize| {
        let url = run_url(&app.url, "sign_in");
        async move {
            let r = client()
                .post(url)
                .header("x-forwarded-for", xff)
                .json(&json!({"params": {
                    "this.params.email": format!("user{n}@example.com"),
                    "this.params.password": "not the password",
                }}))
                .send()
                .await
                .unwrap();
            answer(r).await["status"].as_u64().unwrap()
        }
    };
    // Eight browsers behind one proxy: each has its own bucket.
    let mut statuses = Vec::new();
    for n in 1..=8 {
        statuses.push(attempt(format!("198.51.100.{n}"), n).await);
    }
    assert!(statuses.iter().all(|s| *s == 400), "{statuses:?}");
    // One browser trying eight times: its own bucket runs out.
    let mut statuses = Vec::new();
    for n in 11..=18 {
        statuses.push(attempt("203.0.113.9".into(), n).await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 400 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        5,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_compatible_and_nat64_forms_of_the_metadata_address_are_refused() {
    let app = spawn_app().await;
    publish(
        &app,
        &[
            ("app.yaml", app_yaml("")),
            (
                "queries/compat.yaml",
                "url: \"http://[::a9fe:a9fe]/latest/\"\ntimeoutMs: 2000\n".to_owned(),
            ),
            (
                "queries/nat64.yaml",
                "url: \"http://[64:ff9b::a9fe:a9fe]/latest/\"\ntimeoutMs: 2000\n".to_owned(),
            ),
        ],
    )
    .await;
    for q in ["compat", "nat64"] {
        api_error(run(&app.url, q, json!({})).await, 403, "address_refused").await;
    }
}

// ---------------------------------------------------------------------------------------
// F15: error shapes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_answer_json_errors() {
    let (app, _public) = csrf_app().await;
    let c = client();
    let r = c.get(format!("{}/nope", app.url)).send().await.unwrap();
    api_error(r, 404, "not_found").await;
    let r = c
        .get(format!("{}/api/v2/apps", app.url))
        .send()
        .await
        .unwrap();
    api_error(r, 404, "not_found").await;
    let r = c.get(run_url(&app.url, "q")).send().await.unwrap();
    api_error(r, 405, "method_not_allowed").await;
    let r = c.put(run_url(&app.url, "q")).send().await.unwrap();
    api_error(r, 405, "method_not_allowed").await;
    let r = c.post(format!("{}/health", app.url)).send().await.unwrap();
    api_error(r, 405, "method_not_allowed").await;
    let r = c.post(format!("{}/app/x", app.url)).send().await.unwrap();
    api_error(r, 405, "method_not_allowed").await;
}
