//! The server's limits under abuse (F4, F8, F14): slow or idle connections, connection
//! floods, run caps, response amplification and memory, and an environment proxy. The last
//! two run the real `lowkey` binary in its own process (its own environment and RSS).

use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::edge::fixture::Upstream;
use crate::edge::{answer, api_error, app_yaml, authority, client, health, publish, run, run_url};
use crate::helpers::*;

/// Reads from `stream` until the server closes it (EOF or reset) or `within` passes.
/// Returns what was read and whether it was closed in time.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (got, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

// ---------------------------------------------------------------------------------------
// F4: slowloris

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_request_head_is_closed() {
    let app = spawn_app_with(|c| c.http.header_read_timeout_secs = 1).await;
    let mut s = TcpStream::connect(authority(&app.url)).await.unwrap();
    let started = Instant::now();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        .await
        .unwrap();
    let (got, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(
        closed,
        "still open after 5 s: {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed by the timeout, not at once"
    );
    assert!(
        !String::from_utf8_lossy(&got).contains(" 200 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(health(&app.url).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|c| c.http.idle_timeout_secs = 1).await;
    let mut s = TcpStream::connect(authority(&app.url)).await.unwrap();
    let (got, closed) = read_until_closed(&mut s, Duration::from_secs(4)).await;
    assert!(closed, "an idle connection is still open after 4 s");
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
    // A kept-alive connection is closed after its last request too.
    let mut s = TcpStream::connect(authority(&app.url)).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let (got, closed) = read_until_closed(&mut s, Duration::from_secs(4)).await;
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    assert!(
        closed,
        "a kept-alive idle connection is still open after 4 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_never_arrives_is_cut_off() {
    let app = spawn_app_with(|c| c.http.body_read_timeout_secs = 1).await;
    let host = authority(&app.url).to_owned();
    let mut s = TcpStream::connect(&host).await.unwrap();
    let started = Instant::now();
    let head = format!(
        "POST /api/v1/apps/edge/queries/q/run HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (got, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(&got);
    let status: Option<u16> = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok());
    assert!(
        closed || status.is_some_and(|s| (400..500).contains(&s)),
        "neither a 4xx nor closed within 5 s: {text:?}"
    );
    if let Some(s) = status {
        assert!((400..500).contains(&s), "{text}");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "cut off by the body timeout, not refused at once: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_cannot_lock_out_a_new_client() {
    let app = spawn_app_with(|c| c.http.max_connections = 50).await;
    let host = authority(&app.url).to_owned();
    // 300 plain TCP connections that never send a byte (blocking sockets: simple to probe).
    let flood = tokio::task::spawn_blocking(move || {
        (0..300)
            .map(|_| std::net::TcpStream::connect(&host).unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let r = fresh
        .get(format!("{}/health", app.url))
        .send()
        .await
        .expect("/health answers within 1 s during the flood");
    assert_eq!(r.status(), 200);
    // The oldest idle connections made room: the server closed most of the flood.
    let closed = tokio::task::spawn_blocking(move || {
        flood
            .iter()
            .filter(|s| {
                s.set_nonblocking(true).unwrap();
                let mut b = [0u8; 1];
                let mut r: &std::net::TcpStream = s;
                match r.read(&mut b) {
                    Ok(0) => true,
                    Ok(_) => false,
                    Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                }
            })
            .count()
    })
    .await
    .unwrap();
    assert!(
        closed >= 240,
        "only {closed} of 300 idle connections were closed"
    );
}

// ---------------------------------------------------------------------------------------
// F4: run caps

fn slow_app(upstream: &Upstream) -> Vec<(&'static str, String)> {
    vec![
        ("app.yaml", app_yaml("")),
        (
            "queries/slow.yaml",
            format!("url: {}/slow?ms=1500\ntimeoutMs: 10000\n", upstream.url),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_run_cap_gets_429_while_health_answers() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(|c| c.queries.max_concurrent_runs_per_client = 2).await;
    publish(&app, &slow_app(&upstream)).await;
    // Two runs take the client's places (the upstream holds them), then a third is refused.
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let url = app.url.clone();
            tokio::spawn(async move { run(&url, "slow", json!({})).await })
        })
        .collect();
    upstream.wait_for("/slow", 2).await;
    let third = run(&app.url, "slow", json!({})).await;
    assert!(
        third.headers().contains_key(header::RETRY_AFTER),
        "{third:?}"
    );
    api_error(third, 429, "too_many_runs").await;
    assert_eq!(health(&app.url).await, 200);
    let mut ok = 0;
    let refused = 1;
    for r in runs {
        let r = r.await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
        ok += 1;
    }
    assert_eq!((ok, refused), (2, 1));
    assert_eq!(
        upstream.seen_at("/slow").len(),
        2,
        "the refused run sent nothing"
    );
    // The places are free again.
    assert_eq!(
        answer(run(&app.url, "slow", json!({})).await).await["status"],
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_wide_run_cap_answers_503_to_any_client() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(|c| {
        c.queries.max_concurrent_runs = 2;
        c.provider.trust_forwarded_for = true;
    })
    .await;
    publish(&app, &slow_app(&upstream)).await;
    let start = |n: u8| {
        let url = run_url(&app.url, "slow");
        tokio::spawn(async move {
            client()
                .post(url)
                .header("x-forwarded-for", format!("198.51.100.{n}"))
                .json(&json!({"params": {}}))
                .send()
                .await
                .unwrap()
        })
    };
    let first = [start(1), start(2)];
    upstream.wait_for("/slow", 2).await;
    let r = start(3).await.unwrap();
    assert!(r.headers().contains_key(header::RETRY_AFTER), "{r:?}");
    api_error(r, 503, "server_busy").await;
    assert_eq!(health(&app.url).await, 200);
    for r in first {
        assert_eq!(r.await.unwrap().status(), 200);
    }
    assert_eq!(upstream.seen_at("/slow").len(), 2);
}

// ---------------------------------------------------------------------------------------
// The real binary

/// `lowkey serve` in its own process on 127.0.0.1:0, with an app folder imported and
/// published by `lowkey app import --publish`. Killed (by its pid) when dropped.
struct Binary {
    child: Child,
    url: String,
    dir: PathBuf,
    log: Arc<Mutex<String>>,
}

impl Binary {
    fn start(files: &[(&str, String)], config: &str, env: &[(&str, &str)]) -> Binary {
        let dir = fresh_dir();
        let app_dir = dir.join("app");
        for (path, content) in crate::edge::source(files) {
            let p = app_dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        let config_file = dir.join("config.yaml");
        std::fs::write(&config_file, config).unwrap();
        let data = dir.join("data");
        let out = Command::new(env!("CARGO_BIN_EXE_lowkey"))
            .arg("app")
            .arg("import")
            .arg(&app_dir)
            .arg("--publish")
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lowkey"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .arg("--config")
            .arg(&config_file)
            .env_remove("LOWKEY_LOG_FORMAT")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!("lowkey serve exited early:\n{seen}");
            }
            seen.push_str(&line);
            if line.contains("lowkey listening") {
                let addr = line
                    .split("addr=")
                    .nth(1)
                    .and_then(|a| a.split_whitespace().next())
                    .unwrap_or_else(|| panic!("no addr= in {line:?}"))
                    .to_owned();
                break addr;
            }
        };
        // Keep reading the log, or the server blocks on a full pipe.
        let log = Arc::new(Mutex::new(seen));
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Binary {
            child,
            url: format!("http://{addr}"),
            dir,
            log,
        }
    }

    /// The resident set size in bytes (Linux).
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        kb * 1024
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_linux() -> bool {
    Path::new("/proc/self/status").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_answers_are_refused_and_memory_returns_after_a_burst() {
    if !is_linux() {
        return;
    }
    let upstream = Upstream::start().await;
    let files = vec![
        ("app.yaml", app_yaml("")),
        (
            "queries/big.yaml",
            format!("url: {}/big?n=5000000\ntimeoutMs: 60000\n", upstream.url),
        ),
    ];
    let mut server = tokio::task::spawn_blocking(move || {
        Binary::start(
            &files,
            "queries:\n  max_concurrent_runs_per_client: 200\n",
            &[],
        )
    })
    .await
    .unwrap();
    let base_rss = server.rss();
    // 5 MB of 0x01 is under the 5 MiB body limit, but JSON-escapes to 30 MB.
    let r = run(&server.url, "big", json!({})).await;
    let e = api_error(r, 502, "response_too_large").await;
    assert!(e.to_string().len() < 1024, "{e}");
    // A burst of 100 parallel runs.
    let long = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let runs: Vec<_> = (0..100)
        .map(|_| {
            let c = long.clone();
            let url = run_url(&server.url, "big");
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .json(&json!({"params": {}}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body = r.bytes().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let mut peak = server.rss();
    let mut statuses = Vec::new();
    for r in runs {
        let (status, body) = r.await.unwrap();
        peak = peak.max(server.rss());
        assert!(body.len() < 11 << 20, "an answer of {} bytes", body.len());
        if status == 502 {
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["error"]["code"], "response_too_large", "{v}");
        }
        statuses.push(status);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 502),
        "{statuses:?}\n{}",
        server.log()
    );
    assert!(server.alive(), "the server died:\n{}", server.log());
    assert_eq!(health(&server.url).await, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut rss = server.rss();
    while rss >= 100 << 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        rss = server.rss();
    }
    eprintln!(
        "RSS: {} MB at start, peak seen {} MB, {} MB after",
        base_rss >> 20,
        peak >> 20,
        rss >> 20
    );
    assert!(
        rss < 100 << 20,
        "RSS still {} MB 10 s after the burst (peak seen {} MB)",
        rss >> 20,
        peak >> 20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_in_the_environment_is_not_used_for_queries() {
    let proxy = Upstream::start().await;
    let target = Upstream::start().await;
    let files = vec![
        ("app.yaml", app_yaml("")),
        (
            "queries/direct.yaml",
            format!("url: {}/echo/direct\n", target.url),
        ),
        (
            "queries/by_name.yaml",
            format!(
                "url: http://localhost:{}/echo/by-name\n",
                target.url.rsplit(':').next().unwrap()
            ),
        ),
    ];
    let proxy_url = proxy.url.clone();
    let server = tokio::task::spawn_blocking(move || {
        let p = proxy_url.as_str();
        Binary::start(
            &files,
            "{}\n",
            &[
                ("HTTP_PROXY", p),
                ("http_proxy", p),
                ("HTTPS_PROXY", p),
                ("https_proxy", p),
                ("ALL_PROXY", p),
                ("all_proxy", p),
            ],
        )
    })
    .await
    .unwrap();
    for (q, path) in [("direct", "/echo/direct"), ("by_name", "/echo/by-name")] {
        let out = answer(run(&server.url, q, json!({})).await).await;
        assert_eq!(out["status"], 200, "{out}");
        assert_eq!(target.seen_at(path).len(), 1, "{q} went direct");
    }
    assert!(
        proxy.seen().is_empty(),
        "the proxy received: {:?}",
        proxy.seen()
    );
}
