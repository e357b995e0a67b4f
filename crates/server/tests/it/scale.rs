//! Several instances on one PostgreSQL database (issue 11): every rule of the provider and the
//! platform holds across them as in one process, nothing acknowledged is lost when an instance
//! is killed, and an instance whose database goes away answers 503 and recovers by itself.
//!
//! Each test creates a database `lowkey_it_<uuid>` on the server of `LOWKEY_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and drops it afterwards.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use lowkey_server::apps;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{json, Value};
use sqlx::{Connection as _, Executor as _};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;

const EMAIL: &str = "ada@example.com";
/// The public URL of the instances of a test (their load balancer's).
const SHARED_URL: &str = "http://lowkey.test";

fn pg_server_url() -> String {
    std::env::var("LOWKEY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` with another database name (and, when given, another host:port).
fn database_url(url: &str, name: &str, host: Option<&str>) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, _) = rest.split_once('/').unwrap_or((rest, ""));
    let authority = match (host, authority.rsplit_once('@')) {
        (Some(h), Some((user, _))) => format!("{user}@{h}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => authority.to_owned(),
    };
    format!("{scheme}://{authority}/{name}")
}

/// A fresh database, dropped with its connections when this is.
struct PgDb {
    name: String,
    url: String,
}

impl PgDb {
    async fn create() -> Self {
        let server = pg_server_url();
        let name = format!("lowkey_it_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&server)
            .await
            .expect("PostgreSQL answers at LOWKEY_TEST_PG_URL (./test.sh starts it)");
        admin
            .execute(format!("create database {name}").as_str())
            .await
            .unwrap();
        let _ = admin.close().await;
        let url = database_url(&server, &name, None);
        PgDb { name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_server_url()).await {
                    let _ = admin
                        .execute(format!("drop database if exists {name} with (force)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

/// A directory of the test's own, removed when it is dropped (also when the test fails).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        Scratch(fresh_dir())
    }
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `lowkey serve` process, killed (and its data directory removed) when dropped.
struct Served {
    child: Child,
    dir: PathBuf,
}

impl Served {
    /// SIGKILL: no shutdown, no flush.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An instance on `url`, with the session key every instance of the test shares.
async fn instance(url: &str, key: &Path) -> TestApp {
    let (url, key) = (url.to_owned(), key.to_path_buf());
    spawn_app_with(move |c| {
        c.database_url = Some(url);
        c.session_key_file = Some(key);
        // Behind one load balancer every instance has the same public URL, so the same token
        // issuer.
        c.external_url = Some(SHARED_URL.to_owned());
        // Any reuse of a rotated refresh token revokes the session (no grace period): the
        // strictest form of the rule.
        c.provider.refresh_reuse_interval = 0;
    })
    .await
}

async fn pair() -> (PgDb, Scratch, TestApp, TestApp) {
    let db = PgDb::create().await;
    let scratch = Scratch::new();
    let key = scratch.join("session.key");
    let a = instance(&db.url, &key).await;
    let b = instance(&db.url, &key).await;
    (db, scratch, a, b)
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    v["kid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_reuse_logout_and_ban_on_one_instance_hold_on_the_other_at_once() {
    let (_db, _key, a, b) = pair().await;
    a.create_user(EMAIL).await;

    // Sign in on A, refresh on B (twice: the immediate parent of the current token is
    // forgiven, a client may have lost the answer); the old refresh token replayed on A is
    // refused and ends the session on both.
    let s0 = a.session(EMAIL).await;
    let rt0 = s0["refresh_token"].as_str().unwrap();
    let r = b.refresh(rt0).await;
    assert_eq!(r.status(), 200);
    let half: Value = r.json().await.unwrap();
    let r = b.refresh(half["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    let s1: Value = r.json().await.unwrap();
    let access1 = s1["access_token"].as_str().unwrap();
    assert_eq!(a.get_user(access1).await.status(), 200);
    let replay = a.refresh(rt0).await;
    assert_eq!(replay.status(), 400, "a reused refresh token is refused");
    for (name, app) in [("A", &a), ("B", &b)] {
        assert_eq!(
            app.get_user(access1).await.status(),
            403,
            "revoked on {name}"
        );
    }
    assert_eq!(
        b.refresh(s1["refresh_token"].as_str().unwrap())
            .await
            .status(),
        400
    );

    // A logout on A is refused on B at once.
    let s2 = b.session(EMAIL).await;
    let access2 = s2["access_token"].as_str().unwrap();
    assert_eq!(b.get_user(access2).await.status(), 200);
    assert_eq!(a.logout(access2, Some("local")).await.status(), 204);
    assert_eq!(b.get_user(access2).await.status(), 403);

    // A ban on B is refused on A at once: the session and new sign-ins.
    let s3 = a.session(EMAIL).await;
    let access3 = s3["access_token"].as_str().unwrap();
    let id = uuid::Uuid::parse_str(s3["user"]["id"].as_str().unwrap()).unwrap();
    b.state
        .provider
        .admin_update_user(
            id,
            lowkey_server::provider::AdminUser {
                ban_duration: Some("24h".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(a.get_user(access3).await.status(), 403);
    assert_eq!(a.sign_in(EMAIL, PASSWORD).await.status(), 400);
    assert_integrity(&a).await;
}

async fn assert_integrity(app: &TestApp) {
    let problems = app.state.store.integrity_problems().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_limit_is_shared_by_the_instances() {
    let (_db, _key, a, b) = pair().await;
    // 30 attempts from one address (the default burst), alternating between A and B, each for
    // another unknown account (so the per-account throttle stays out of it): all answered.
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = app
            .sign_in(&format!("nobody{i}@example.com"), "wrong password")
            .await;
        assert_eq!(r.status(), 400, "attempt {i}");
    }
    // The 31st, on either instance, hits the shared limit.
    for app in [&a, &b] {
        let r = app
            .sign_in("nobody-else@example.com", "wrong password")
            .await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error_code"], "over_request_rate_limit", "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_publishes_and_app_sessions_are_shared_by_the_instances() {
    let (_db, _key, a, b) = pair().await;
    a.create_user(EMAIL).await;

    // A key rotated on A: A signs with it within seconds, and B verifies its tokens.
    let new_kid =
        lowkey_server::provider::rotate_keys(a.state.store.as_ref(), &a.state.config.provider)
            .await
            .unwrap();
    let deadline = Instant::now() + Duration::from_secs(12);
    let token = loop {
        let s = a.session(EMAIL).await;
        let token = s["access_token"].as_str().unwrap().to_owned();
        if kid_of(&token) == new_kid {
            break token;
        }
        assert!(Instant::now() < deadline, "A still signs with the old key");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(b.get_user(&token).await.status(), 200);
    let jwks: Value = b
        .client
        .get(b.auth("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(jwks.to_string().contains(&new_kid), "{jwks}");

    // A builder signed in on A is signed in on B; revoked on B, signed out on A.
    let builder = a
        .state
        .builders
        .add(
            "builder@example.com",
            lowkey_core::Secret::new(PASSWORD),
            lowkey_store::BuilderRole::Admin,
        )
        .await
        .unwrap();
    let signed_in = a
        .state
        .builders
        .sign_in("builder@example.com", lowkey_core::Secret::new(PASSWORD))
        .await
        .unwrap();
    let token = signed_in.token.expose().to_owned();
    let on_b = b.state.builders.authenticate(&token).await.unwrap();
    assert_eq!(on_b.map(|x| x.id), Some(builder.id));
    b.state.builders.revoke(&builder).await.unwrap();
    assert!(a
        .state
        .builders
        .authenticate(&token)
        .await
        .unwrap()
        .is_none());

    // An app published on A is what B serves within a second.
    let [(dir, mut files), (sdir, sfiles)] = apps::examples();
    for (d, f) in [(dir, &files), (sdir, &sfiles)] {
        let app = apps::import_files(a.state.store.as_ref(), d, f)
            .await
            .unwrap();
        apps::publish_cli(a.state.store.as_ref(), &app.slug)
            .await
            .unwrap();
    }
    let name_on_b = || async {
        let r = b
            .client
            .get(format!("{}/api/v1/apps/custom-auth", b.url))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["name"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(name_on_b().await, "Custom auth");
    let yaml = files
        .get("app.yaml")
        .unwrap()
        .replace("name: Custom auth", "name: Renamed on A");
    files.insert("app.yaml".into(), yaml);
    let app = apps::import_files(a.state.store.as_ref(), dir, &files)
        .await
        .unwrap();
    apps::publish_cli(a.state.store.as_ref(), &app.slug)
        .await
        .unwrap();
    let published = Instant::now();
    while name_on_b().await != "Renamed on A" {
        assert!(
            published.elapsed() < Duration::from_millis(1_500),
            "B still serves the old version"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Session mode: a session started on A is the caller's on B (one key, one table), and a
    // sign-out on B ends it on A.
    let run = |app: &TestApp, query: &str, cookie: Option<&str>, params: Value| {
        let mut req = app
            .client
            .post(format!(
                "{}/api/v1/apps/secure-session/queries/{query}/run",
                app.url
            ))
            .json(&json!({ "params": params }));
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("lowkey_app_session={c}"));
        }
        req.send()
    };
    let r = run(
        &a,
        "sign_in",
        None,
        json!({ "inp_username.text": EMAIL, "inp_password.text": PASSWORD }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = cookie
        .strip_prefix("lowkey_app_session=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let r = run(&b, "get_user", Some(&cookie), json!({})).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = run(&b, "revokeAPI", Some(&cookie), json!({}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = run(&a, "get_user", Some(&cookie), json!({})).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_integrity(&b).await;
}

/// A TCP relay to PostgreSQL that can be cut and restored: the database "goes away" for the
/// instance behind it only.
struct Relay {
    port: u16,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Cuts every connection through the relay and stops accepting: the database is gone.
async fn cut(relay: Relay, live: &Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>) {
    for t in relay.tasks {
        t.abort();
    }
    for t in live.lock().unwrap().drain(..) {
        t.abort();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A relay whose connection tasks the test can abort.
async fn relay(
    port: u16,
) -> (
    Relay,
    Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let live = Arc::new(std::sync::Mutex::new(Vec::new()));
    let held = live.clone();
    let accept = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let conn = tokio::spawn(async move {
                if let Ok(mut upstream) = TcpStream::connect("127.0.0.1:5432").await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut upstream).await;
                }
            });
            held.lock().unwrap().push(conn);
        }
    });
    (
        Relay {
            port,
            tasks: vec![accept],
        },
        live,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_database_goes_away_answers_503_and_recovers_without_a_restart() {
    if !pg_server_url().contains("127.0.0.1:5432") {
        return; // the relay forwards to 127.0.0.1:5432 only
    }
    let db = PgDb::create().await;
    let (r, live) = relay(0).await;
    let port = r.port;
    let url = database_url(&db.url, &db.name, Some(&format!("127.0.0.1:{port}")));
    let scratch = Scratch::new();
    let key = scratch.join("session.key");
    let app = instance(&url, &key).await;
    app.create_user(EMAIL).await;
    let health = |app: &TestApp| {
        let url = format!("{}/health", app.url);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    assert_eq!(health(&app).await.status(), 200);
    assert_eq!(app.sign_in(EMAIL, PASSWORD).await.status(), 200);

    // The database goes away.
    cut(r, &live).await;
    let h = health(&app).await;
    assert_eq!(h.status(), 503);
    assert!(h.headers().contains_key("retry-after"));
    let r = app.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(r.status(), 503, "sign-in without a database");
    assert!(r.headers().contains_key("retry-after"));
    let r = app
        .client
        .get(format!("{}/api/v1/apps", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "service_unavailable", "{body}");

    // It comes back on the same address: the instance recovers by itself.
    let (_back, _live) = relay(port).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while health(&app).await.status() != 200 {
        assert!(Instant::now() < deadline, "the instance did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.sign_in(EMAIL, PASSWORD).await.status(), 200);
}

/// A `lowkey serve` process on the database `url`; its address from its log.
fn serve(url: &str, key: &Path, config: &Path) -> (Served, String) {
    let dir = fresh_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lowkey"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .arg("--data-dir")
        .arg(&dir)
        .arg("--config")
        .arg(config)
        .env("LOWKEY_LOG", "info")
        .env("LOWKEY_LOG_FORMAT", "json")
        .env("LOWKEY_SESSION_KEY_FILE", key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log goes to stderr; it is read to its end so that a full pipe never blocks it.
    let stdout = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && line.contains("lowkey listening") {
                if let Some(at) = line.find("127.0.0.1:") {
                    let port: String = line[at + 10..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    let _ = tx.send(format!("127.0.0.1:{port}"));
                    sent = true;
                }
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("lowkey serve logs its address");
    (Served { child, dir }, format!("http://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_when_an_instance_is_killed_under_load() {
    let db = PgDb::create().await;
    let scratch = Scratch::new();
    let key = scratch.join("session.key");
    let config = scratch.join("lowkey.yaml");
    std::fs::write(
        &config,
        "external_url: http://lowkey.test\nprovider:\n  argon2_memory_kib: 4096\n  argon2_iterations: 1\n  rate_limit_token_burst: 100000\n  rate_limit_token_refill: 100000\n",
    )
    .unwrap();
    // The user, made by the operator's command on the same database.
    let mut add = Command::new(env!("CARGO_BIN_EXE_lowkey"))
        .args(["user", "add", EMAIL, "--database-url", &db.url, "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(scratch.join("cli-data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success());

    let (mut victim, a) = serve(&db.url, &key, &config);
    let (survivor, b) = serve(&db.url, &key, &config);
    let client = reqwest::Client::new();
    let token_url = |base: &str, grant: &str| format!("{base}/auth/v1/token?grant_type={grant}");

    // Eight clients sign in and refresh, alternating instances, for a while; each keeps the
    // last session answer it received as a success.
    let stop_at = Instant::now() + Duration::from_millis(2_500);
    let kill_at = Instant::now() + Duration::from_millis(1_200);
    let mut workers = Vec::new();
    for w in 0..8usize {
        let (client, a, b) = (client.clone(), a.clone(), b.clone());
        workers.push(tokio::spawn(async move {
            // The last answer received as a success of each session this client started.
            let mut chains: Vec<Value> = Vec::new();
            let mut i = w;
            while Instant::now() < stop_at {
                i += 1;
                let base = if i % 2 == 0 { &a } else { &b };
                let refresh = !chains.is_empty() && i % 4 != 0;
                let request = if refresh {
                    let last = chains.last().unwrap();
                    client
                        .post(token_url(base, "refresh_token"))
                        .json(&json!({ "refresh_token": last["refresh_token"] }))
                } else {
                    client
                        .post(token_url(base, "password"))
                        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
                };
                let Ok(r) = request.send().await else {
                    continue;
                };
                if r.status() != 200 {
                    continue;
                }
                let Ok(v) = r.json::<Value>().await else {
                    continue;
                };
                if refresh {
                    chains.pop();
                }
                chains.push(v);
            }
            chains
        }));
    }
    tokio::time::sleep(kill_at.saturating_duration_since(Instant::now())).await;
    victim.kill();
    let mut chains = Vec::new();
    for w in workers {
        chains.extend(w.await.unwrap());
    }
    assert!(
        chains.len() >= 8,
        "the load made sessions: {}",
        chains.len()
    );

    // Every acknowledged session is still there: its access token is accepted and its last
    // refresh token refreshes, on the instance that survived.
    for (n, s) in chains.iter().enumerate() {
        let access = s["access_token"].as_str().unwrap();
        let r = client
            .get(format!("{b}/auth/v1/user"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "chain {n}: the access token of an acknowledged answer"
        );
        let r = client
            .post(token_url(&b, "refresh_token"))
            .json(&json!({ "refresh_token": s["refresh_token"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "chain {n}: the last acknowledged refresh token"
        );
    }
    drop(survivor);
}

/// A restart of the PostgreSQL server itself (not run by `cargo test`: it restarts the
/// machine's PostgreSQL under every other test; `./test.sh` runs it alone, after the rest, with
/// `LOWKEY_TEST_PG_RESTART` set to the command that restarts it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "restarts PostgreSQL: ./test.sh runs it alone"]
async fn acknowledged_writes_survive_a_postgresql_restart_and_the_instance_recovers() {
    let restart = std::env::var("LOWKEY_TEST_PG_RESTART")
        .expect("LOWKEY_TEST_PG_RESTART names the command that restarts PostgreSQL");
    let db = PgDb::create().await;
    let scratch = Scratch::new();
    let key = scratch.join("session.key");
    let app = instance(&db.url, &key).await;
    app.create_user(EMAIL).await;
    let session = app.session(EMAIL).await;
    let [(dir, files), _] = apps::examples();
    let imported = apps::import_files(app.state.store.as_ref(), dir, &files)
        .await
        .unwrap();
    apps::publish_cli(app.state.store.as_ref(), &imported.slug)
        .await
        .unwrap();

    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "{restart}");

    // The instance recovers by itself, and everything acknowledged before is there.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app
            .client
            .get(format!("{}/health", app.url))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the instance did not recover");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let access = session["access_token"].as_str().unwrap();
    assert_eq!(app.get_user(access).await.status(), 200);
    let r = app
        .refresh(session["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(format!("{}/api/v1/apps/custom-auth", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
