//! Benchmark of queries through the server (`bench/query.sh`): a bundled upstream and a load
//! generator. Not a test: it measures.
//!
//! - `querybench upstream` serves a small JSON document (about 150 bytes) on every path, and a
//!   list of 100 such rows (about 16 KB) on `/list`, over keep-alive HTTP/1.1 (hyper, no
//!   router), and prints `listening ADDR` once it accepts connections.
//! - `querybench relay --to URL` is the floor of any server in between: hyper's server and
//!   reqwest's client (lowkey's HTTP stack) relaying a GET of the upstream, and nothing else.
//! - `querybench load` drives targets with N clients for a fixed time per round, round after
//!   round, the targets interleaved (their order rotates every round, so each sees the same
//!   neighbours on a shared machine): `--direct NAME=URL` is a `GET` of the upstream,
//!   `--via NAME=URL` a `POST` of `{"params":{}}` as `application/json` to a query's run URL
//!   (its answer must hold `"status":200`). Each client is one keep-alive connection with a
//!   minimal HTTP/1.1 client (one pre-built request, the response read by `Content-Length`),
//!   so the load generator costs as little CPU as it can: on a shared machine its CPU is taken
//!   from the server and the upstream. With `--pid NAME=PID` it also reports the CPU time of
//!   those processes (and its own) per request of each target, from `/proc/PID/stat`.
//!
//! Output is one `key value` pair per line (easy to read from a shell script); progress and
//! problems go to stderr. Every run is bounded by time, so it always stops by itself.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use clap::{Parser, Subcommand};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser)]
#[command(
    name = "querybench",
    about = "Queries through lowkey against the upstream called directly"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a small JSON document on every path (keep-alive HTTP/1.1).
    Upstream {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// Runtime worker threads [default: the CPUs this process may use].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// A bare relay, the floor of any server between a client and the upstream: answers every
    /// request with `{"status":200,"body":…}` holding what a GET of `--to` returned, through
    /// the same HTTP stack as lowkey (hyper's server, reqwest's pooled client), with nothing
    /// else (no routing, checks, rendering or logging).
    Relay {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// The URL to GET for every request.
        #[arg(long)]
        to: String,
    },
    /// Drive targets with concurrent keep-alive clients, interleaved round by round.
    Load(LoadArgs),
}

#[derive(clap::Args)]
struct LoadArgs {
    /// `NAME=URL`: GET the URL (the upstream called directly). Repeatable.
    #[arg(long)]
    direct: Vec<String>,
    /// `NAME=URL`: POST `{"params":{}}` to a query's run URL. Repeatable.
    #[arg(long)]
    via: Vec<String>,
    /// Concurrent clients (one connection each).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds per measured round of one target.
    #[arg(long, default_value_t = 5.0)]
    secs: f64,
    /// Measured rounds per target (one shorter, unmeasured round per target warms up first).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds of the warm-up round of each target.
    #[arg(long, default_value_t = 1.0)]
    warmup_secs: f64,
    /// `NAME=BASE`: compare target NAME with target BASE round by round (default: with the
    /// first target). Repeatable.
    #[arg(long)]
    base: Vec<String>,
    /// `NAME=PID`: report this process's CPU time per request of each target. Repeatable.
    #[arg(long)]
    pid: Vec<String>,
    /// Runtime worker threads [default: 1].
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Prefix of every output key.
    #[arg(long, default_value = "")]
    prefix: String,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Upstream { addr, threads } => {
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            runtime(threads).and_then(|rt| rt.block_on(upstream(addr)))
        }
        Command::Relay { addr, to } => {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            runtime(threads).and_then(|rt| rt.block_on(relay(addr, to)))
        }
        Command::Load(args) => runtime(args.threads).and_then(|rt| rt.block_on(load(args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("querybench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

// ---- the upstream ---------------------------------------------------------------------

/// What the upstream answers: a small JSON object, as a typical API row.
const DOCUMENT: &[u8] = br#"{"id":42,"name":"Ada Lovelace","email":"ada@example.com","active":true,"roles":["admin","editor"],"score":98.5,"createdAt":"2026-11-27T12:00:00Z"}"#;

/// `/list`: 100 rows like [`DOCUMENT`] (about 16 KB), a page of a typical list endpoint.
fn list_document() -> Bytes {
    let rows: Vec<String> = (1..=100)
        .map(|i| {
            format!(
                r#"{{"id":{i},"name":"User {i}","email":"user{i}@example.com","active":{},"roles":["viewer"],"score":{}.5,"createdAt":"2026-11-27T12:00:00Z"}}"#,
                i % 3 != 0,
                i % 97
            )
        })
        .collect();
    Bytes::from(format!(r#"{{"total":100,"rows":[{}]}}"#, rows.join(",")))
}

async fn upstream(addr: SocketAddr) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening {local}");
    let list = list_document();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let list = list.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: axum::http::Request<_>| {
                let body = if request.uri().path().starts_with("/list") {
                    list.clone()
                } else {
                    Bytes::from_static(DOCUMENT)
                };
                async move {
                    Ok::<_, Infallible>(
                        axum::http::Response::builder()
                            .header("content-type", "application/json")
                            .body(Body::from(body))
                            .unwrap_or_default(),
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

// ---- the bare relay -------------------------------------------------------------------

async fn relay(addr: SocketAddr, to: String) -> Result<(), String> {
    let to = reqwest::Url::parse(&to).map_err(|e| format!("{to:?}: {e}"))?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening {local}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (client, to) = (client.clone(), to.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: axum::http::Request<_>| {
                let (client, to) = (client.clone(), to.clone());
                async move {
                    // Read (and ignore) the request body, as lowkey does.
                    let _ = axum::body::to_bytes(Body::new(request.into_body()), 1 << 20).await;
                    let (status, body) = match client.get(to).send().await {
                        Ok(r) => (r.status().as_u16(), r.bytes().await.unwrap_or_default()),
                        Err(_) => (502, Bytes::new()),
                    };
                    let mut answer = Vec::with_capacity(body.len() + 32);
                    answer.extend_from_slice(b"{\"body\":");
                    answer.extend_from_slice(if body.is_empty() { b"null" } else { &body });
                    answer.extend_from_slice(format!(",\"status\":{status}}}").as_bytes());
                    Ok::<_, Infallible>(
                        axum::http::Response::builder()
                            .header("content-type", "application/json")
                            .body(Body::from(answer))
                            .unwrap_or_default(),
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

// ---- the load generator ---------------------------------------------------------------

struct Target {
    name: String,
    addr: SocketAddr,
    request: Arc<[u8]>,
    /// Bytes every response body must contain.
    expect: Option<&'static [u8]>,
}

/// `NAME=http://HOST:PORT/PATH` → name, socket address, host header, path.
fn parse_target(spec: &str) -> Result<(String, SocketAddr, String, String), String> {
    let (name, url) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?}: expected NAME=URL"))?;
    let url = url::Url::parse(url).map_err(|e| format!("{url:?}: {e}"))?;
    if url.scheme() != "http" {
        return Err(format!("{url}: only http:// URLs"));
    }
    let addr = url
        .socket_addrs(|| None)
        .map_err(|e| format!("{url}: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{url}: no address"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{url}: loopback addresses only"));
    }
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok((name.to_owned(), addr, host, path))
}

fn targets(args: &LoadArgs) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for spec in &args.direct {
        let (name, addr, host, path) = parse_target(spec)?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n");
        out.push(Target {
            name,
            addr,
            request: request.into_bytes().into(),
            expect: None,
        });
    }
    for spec in &args.via {
        let (name, addr, host, path) = parse_target(spec)?;
        let body = r#"{"params":{}}"#;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        out.push(Target {
            name,
            addr,
            request: request.into_bytes().into(),
            expect: Some(br#""status":200"#),
        });
    }
    if out.is_empty() {
        return Err("no target: give --direct and/or --via".into());
    }
    Ok(out)
}

/// One keep-alive connection sending `request` until `stop`; the latency of each answered
/// request in nanoseconds is pushed to `latencies`. Returns the number of bad answers.
async fn client(
    target: &Target,
    stop: &AtomicBool,
    latencies: &mut Vec<u64>,
) -> Result<u64, String> {
    let mut stream = TcpStream::connect(target.addr)
        .await
        .map_err(|e| format!("{}: cannot connect: {e}", target.name))?;
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let mut bad = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        stream
            .write_all(&target.request)
            .await
            .map_err(|e| format!("{}: write: {e}", target.name))?;
        let mut filled = 0usize;
        let (head_end, content_length) = loop {
            if filled == buf.len() {
                return Err(format!("{}: response head too large", target.name));
            }
            let n = stream
                .read(&mut buf[filled..])
                .await
                .map_err(|e| format!("{}: read: {e}", target.name))?;
            if n == 0 {
                return Err(format!("{}: connection closed by the server", target.name));
            }
            filled += n;
            if let Some(end) = find(&buf[..filled], b"\r\n\r\n") {
                let length = content_length(&buf[..end])
                    .ok_or_else(|| format!("{}: response without Content-Length", target.name))?;
                break (end + 4, length);
            }
        };
        let total = head_end + content_length;
        if total > buf.len() {
            buf.resize(total, 0);
        }
        while filled < total {
            let n = stream
                .read(&mut buf[filled..total])
                .await
                .map_err(|e| format!("{}: read: {e}", target.name))?;
            if n == 0 {
                return Err(format!("{}: connection closed mid-body", target.name));
            }
            filled += n;
        }
        let elapsed = started.elapsed().as_nanos() as u64;
        // The answer's `status` comes last (its fields are in alphabetical order): searched
        // from the end, so a large body costs the load generator nothing to check.
        let ok = buf.starts_with(b"HTTP/1.1 200")
            && target
                .expect
                .is_none_or(|e| rfind(&buf[head_end..total], e).is_some());
        if ok {
            latencies.push(elapsed);
        } else {
            if bad == 0 {
                eprintln!(
                    "querybench: {}: unexpected answer: {}",
                    target.name,
                    String::from_utf8_lossy(&buf[..total.min(600)])
                );
            }
            bad += 1;
        }
    }
    Ok(bad)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn content_length(head: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

struct RoundResult {
    per_sec: f64,
    latencies: Vec<u64>,
    errors: u64,
    /// CPU milliseconds of each `--pid` process (and `loadgen`) during the round.
    cpu_ms: Vec<f64>,
    requests: usize,
}

async fn round(
    target: &Arc<Target>,
    clients: usize,
    secs: f64,
    pids: &[(String, String)],
) -> Result<RoundResult, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before: Vec<Option<f64>> = pids.iter().map(|(_, p)| cpu_ms(p)).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let target = target.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(65_536);
            let bad = client(&target, &stop, &mut latencies).await;
            bad.map(|b| (latencies, b))
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, bad) = task.await.map_err(|e| e.to_string())??;
        latencies.extend(l);
        errors += bad;
    }
    // Requests in flight at the stop finish after it; the rate counts them over the time
    // they took to finish.
    let wall = started.elapsed().as_secs_f64();
    let cpu_ms = pids
        .iter()
        .zip(cpu_before)
        .map(|((_, p), before)| match (before, cpu_ms(p)) {
            (Some(b), Some(a)) => a - b,
            _ => f64::NAN,
        })
        .collect();
    Ok(RoundResult {
        per_sec: latencies.len() as f64 / wall,
        requests: latencies.len(),
        latencies,
        errors,
        cpu_ms,
    })
}

async fn load(args: LoadArgs) -> Result<(), String> {
    let targets: Vec<Arc<Target>> = targets(&args)?.into_iter().map(Arc::new).collect();
    let mut pids: Vec<(String, String)> = args
        .pid
        .iter()
        .map(|spec| {
            spec.split_once('=')
                .map(|(n, p)| (n.to_owned(), p.to_owned()))
                .ok_or_else(|| format!("{spec:?}: expected NAME=PID"))
        })
        .collect::<Result<_, _>>()?;
    pids.push(("loadgen".into(), "self".into()));
    let p = &args.prefix;

    for target in &targets {
        eprintln!(
            "querybench: warming up {} ({} clients, {} s)",
            target.name, args.clients, args.warmup_secs
        );
        let warm = round(target, args.clients, args.warmup_secs, &pids).await?;
        if warm.errors > 0 {
            return Err(format!(
                "{}: {} bad answers while warming up",
                target.name, warm.errors
            ));
        }
    }
    let mut results: Vec<Vec<RoundResult>> = targets.iter().map(|_| Vec::new()).collect();
    for r in 0..args.rounds {
        // Rotate the order: every target goes first once in a while.
        for k in 0..targets.len() {
            let i = (r + k) % targets.len();
            let result = round(&targets[i], args.clients, args.secs, &pids).await?;
            eprintln!(
                "querybench: round {} {}: {:.0}/s, p50 {:.3} ms",
                r + 1,
                targets[i].name,
                result.per_sec,
                percentile_ms(&sorted(&result.latencies), 0.50)
            );
            results[i].push(result);
        }
    }

    for (target, rounds) in targets.iter().zip(&results) {
        let name = format!("{p}{}", target.name);
        let rates: Vec<f64> = rounds.iter().map(|r| r.per_sec).collect();
        let all: Vec<u64> = sorted(
            &rounds
                .iter()
                .flat_map(|r| r.latencies.iter().copied())
                .collect::<Vec<_>>(),
        );
        let round_p50: Vec<f64> = rounds
            .iter()
            .map(|r| percentile_ms(&sorted(&r.latencies), 0.50))
            .collect();
        emit(&format!("{name}.clients"), args.clients);
        emit(
            &format!("{name}.per_sec_median"),
            format!("{:.0}", median(&rates)),
        );
        emit(
            &format!("{name}.per_sec_min"),
            format!("{:.0}", min_of(&rates)),
        );
        emit(
            &format!("{name}.per_sec_max"),
            format!("{:.0}", max_of(&rates)),
        );
        emit(
            &format!("{name}.p50_ms"),
            format!("{:.3}", percentile_ms(&all, 0.50)),
        );
        emit(
            &format!("{name}.p90_ms"),
            format!("{:.3}", percentile_ms(&all, 0.90)),
        );
        emit(
            &format!("{name}.p99_ms"),
            format!("{:.3}", percentile_ms(&all, 0.99)),
        );
        emit(
            &format!("{name}.round_p50_median_ms"),
            format!("{:.3}", median(&round_p50)),
        );
        emit(&format!("{name}.requests"), all.len());
        emit(
            &format!("{name}.errors"),
            rounds.iter().map(|r| r.errors).sum::<u64>(),
        );
        for (i, r) in rounds.iter().enumerate() {
            emit(
                &format!("{name}.round{}.per_sec", i + 1),
                format!("{:.0}", r.per_sec),
            );
            emit(
                &format!("{name}.round{}.p50_ms", i + 1),
                format!("{:.3}", round_p50[i]),
            );
        }
        let requests: usize = rounds.iter().map(|r| r.requests).sum();
        let wall: f64 = rounds
            .iter()
            .map(|r| r.requests as f64 / r.per_sec.max(f64::MIN_POSITIVE))
            .sum();
        for (j, (pid_name, _)) in pids.iter().enumerate() {
            let cpu: f64 = rounds.iter().map(|r| r.cpu_ms[j]).sum();
            emit(
                &format!("{name}.cpu_us_per_req.{pid_name}"),
                format!("{:.1}", cpu * 1000.0 / requests.max(1) as f64),
            );
            emit(
                &format!("{name}.cores_busy.{pid_name}"),
                format!("{:.2}", cpu / 1000.0 / wall.max(f64::MIN_POSITIVE)),
            );
        }
    }
    // Paired per-round comparisons of every target against its base (the first target unless
    // `--base` names another): a round's targets ran next to each other, so they saw the same
    // neighbours.
    for (i, t) in targets.iter().enumerate() {
        let base_name = args
            .base
            .iter()
            .filter_map(|spec| spec.split_once('='))
            .find(|(name, _)| *name == t.name)
            .map_or(targets[0].name.as_str(), |(_, base)| base);
        let Some(b) = targets.iter().position(|x| x.name == base_name) else {
            return Err(format!("--base {}={base_name}: no such target", t.name));
        };
        if b == i {
            continue;
        }
        let ratios: Vec<f64> = results[i]
            .iter()
            .zip(&results[b])
            .map(|(r, b)| r.per_sec / b.per_sec)
            .collect();
        let overheads: Vec<f64> = results[i]
            .iter()
            .zip(&results[b])
            .map(|(r, b)| {
                percentile_ms(&sorted(&r.latencies), 0.5)
                    - percentile_ms(&sorted(&b.latencies), 0.5)
            })
            .collect();
        let name = format!("{p}{}", t.name);
        emit(&format!("{name}.base"), base_name);
        emit(
            &format!("{name}.ratio_paired_median"),
            format!("{:.2}", median(&ratios)),
        );
        emit(
            &format!("{name}.p50_overhead_paired_median_ms"),
            format!("{:.3}", median(&overheads)),
        );
    }
    Ok(())
}

// ---- statistics and /proc -----------------------------------------------------------

fn sorted(values: &[u64]) -> Vec<u64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v
}

fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1e6
}

fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn min_of(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max_of(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn emit(key: &str, value: impl std::fmt::Display) {
    println!("{key} {value}");
}

/// CPU time (user + system, all threads) of a process so far, in milliseconds.
fn cpu_ms(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 (comm) is parenthesised and may hold spaces; fields after it start at 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some((utime + stime) as f64 * 1000.0 / ticks.max(1) as f64)
}
