//! Load generator for the provider benchmarks (`bench/run.sh`). Not a test: it measures.
//!
//! `loadgen hash` measures the raw Argon2id rate of this machine with the server's own crate
//! and parameters; `loadgen http` drives a running `lowkey serve` on loopback with password
//! sign-ins, refresh-token rotations and `GET /auth/v1/user`; `loadgen enum-timing` compares
//! the latency of a sign-in with an unknown e-mail against a wrong password for an existing
//! account (user enumeration by timing). Every run is bounded by a request count (and the HTTP
//! load by a deadline per round), so it always stops by itself.
//!
//! Output is one `key value` pair per line (easy to read from a shell script); progress and
//! problems go to stderr.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use lowkey_core::password::{hash_blocking, HashParams};
use lowkey_core::Secret;

#[derive(Parser)]
#[command(name = "loadgen", about = "Benchmarks for lowkey's identity provider")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Raw Argon2id hash rate (m=19456 KiB, t=2, p=1: `HashParams::default()`).
    Hash {
        /// Threads hashing at once [default: available parallelism, as the server].
        #[arg(long)]
        threads: Option<usize>,
        /// Measured rounds (one more, unmeasured, warms up).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Hashes per thread per round.
        #[arg(long, default_value_t = 30)]
        per_thread: usize,
    },
    /// HTTP throughput and latency against a running server.
    Http(HttpArgs),
    /// Failed sign-ins, one client: unknown e-mail vs. existing e-mail with a wrong password.
    EnumTiming(EnumArgs),
}

#[derive(clap::Args)]
struct EnumArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080 (loopback only).
    #[arg(long)]
    url: String,
    /// An existing account's e-mail: requests A send it with a wrong password.
    #[arg(long)]
    email: String,
    /// An e-mail no account has: requests B send it with the same wrong password.
    #[arg(long, default_value = "no-such-user@example.com")]
    unknown_email: String,
    /// Measured pairs (one A and one B each, alternating which goes first).
    #[arg(long, default_value_t = 60)]
    pairs: usize,
    /// Pairs sent first and not measured (connection, caches, CPU frequency).
    #[arg(long, default_value_t = 3)]
    warmup_pairs: usize,
}

#[derive(clap::Args)]
struct HttpArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080 (loopback only).
    #[arg(long)]
    url: String,
    #[arg(long)]
    email: String,
    /// The user's password (read from this environment variable).
    #[arg(long, env = "LOADGEN_PASSWORD", hide_env_values = true)]
    password: String,
    /// The server's process id, to report its CPU time per request (from /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    clk_tck: u64,
    /// Worker threads of the load generator's own runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Measured rounds per scenario (one more, shorter and unmeasured, warms up).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Longest a round may last, in seconds (requests stop being issued after it).
    #[arg(long, default_value_t = 10)]
    max_secs: u64,
    /// Concurrent virtual clients for password sign-in.
    #[arg(long, default_value_t = 8)]
    signin_clients: usize,
    /// Sign-in requests per round.
    #[arg(long, default_value_t = 200)]
    signin_requests: usize,
    /// Before each sign-in round, hash this many times per thread in this process (the server
    /// idle) so every sign-in round has a raw-rate round next to it; 0 turns it off.
    #[arg(long, default_value_t = 20)]
    paired_hash_per_thread: usize,
    /// Concurrent virtual clients for refresh and GET /user (each signs in once first).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Refresh requests per round.
    #[arg(long, default_value_t = 4000)]
    refresh_requests: usize,
    /// GET /user requests per round.
    #[arg(long, default_value_t = 6000)]
    user_requests: usize,
    /// Which scenarios to run, in this order (for profiling one of them alone).
    #[arg(long, value_delimiter = ',', default_value = "signin,refresh,user")]
    scenarios: Vec<ScenarioName>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ScenarioName {
    Signin,
    Refresh,
    User,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hash {
            threads,
            rounds,
            per_thread,
        } => hash_bench(threads, rounds, per_thread),
        Command::Http(args) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))
            .and_then(|rt| rt.block_on(http_bench(args))),
        Command::EnumTiming(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))
            .and_then(|rt| rt.block_on(enum_timing(args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---- statistics ---------------------------------------------------------------------

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn min_of(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max_of(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn emit(key: &str, value: impl std::fmt::Display) {
    println!("{key} {value}");
}

/// User plus system CPU time of a process (all its threads), in milliseconds.
fn cpu_ms(pid: &str, clk_tck: u64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 (comm) is parenthesised and may hold spaces; fields after it start at 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 * 1000.0 / clk_tck.max(1) as f64)
}

/// Resident memory of a process (VmRSS), in KiB.
fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

// ---- raw hash rate ------------------------------------------------------------------

fn hash_bench(threads: Option<usize>, rounds: usize, per_thread: usize) -> Result<(), String> {
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let params = HashParams::default();
    emit(
        "hash.params",
        format!(
            "m={}KiB,t={},p={}",
            params.memory_kib, params.iterations, params.parallelism
        ),
    );
    emit("hash.threads", threads);
    let mut rates = Vec::new();
    // Round 0 warms up (page faults of the first allocations, CPU frequency) and is not kept.
    for round in 0..=rounds {
        let n = if round == 0 {
            2.min(per_thread)
        } else {
            per_thread
        };
        let rate = hash_round(threads, n)?;
        if round > 0 {
            emit(&format!("hash.round{round}.per_sec"), format!("{rate:.1}"));
            rates.push(rate);
        }
    }
    let m = median(&rates);
    emit("hash.per_sec_median", format!("{m:.1}"));
    emit("hash.per_sec_min", format!("{:.1}", min_of(&rates)));
    emit("hash.per_sec_max", format!("{:.1}", max_of(&rates)));
    emit(
        "hash.ms_per_hash_per_thread",
        format!("{:.2}", 1000.0 * threads as f64 / m),
    );
    Ok(())
}

/// `threads` threads hash `n` times each, all starting together: hashes per second.
fn hash_round(threads: usize, n: usize) -> Result<f64, String> {
    let params = HashParams::default();
    let start_line = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let start_line = start_line.clone();
            std::thread::spawn(move || -> Result<(), String> {
                let password = Secret::new(format!("benchmark-password-{i}"));
                start_line.wait();
                for _ in 0..n {
                    hash_blocking(params, &password).map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        })
        .collect();
    start_line.wait();
    let t0 = Instant::now();
    for w in workers {
        w.join().map_err(|_| "a hashing thread panicked")??;
    }
    Ok((threads * n) as f64 / t0.elapsed().as_secs_f64())
}

// ---- HTTP scenarios -----------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    SignIn,
    Refresh,
    User,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::SignIn => "signin",
            Mode::Refresh => "refresh",
            Mode::User => "user",
        }
    }
}

/// One virtual client's credentials: its own session and rotation chain.
#[derive(Clone, Default)]
struct Session {
    access_token: String,
    refresh_token: String,
    alive: bool,
}

struct Target {
    http: reqwest::Client,
    token_password: String,
    token_refresh: String,
    user: String,
    email: String,
    password: String,
}

impl Target {
    async fn sign_in(&self) -> Result<Session, String> {
        let resp = self
            .http
            .post(&self.token_password)
            .json(&serde_json::json!({ "email": self.email, "password": self.password }))
            .send()
            .await
            .map_err(|e| format!("sign-in: {e}"))?;
        session_from(resp).await
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Session, String> {
        let resp = self
            .http
            .post(&self.token_refresh)
            .json(&serde_json::json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .map_err(|e| format!("refresh: {e}"))?;
        session_from(resp).await
    }

    async fn get_user(&self, access_token: &str) -> Result<(), String> {
        let resp = self
            .http
            .get(&self.user)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| format!("GET /user: {e}"))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| format!("GET /user: {e}"))?;
        if status != reqwest::StatusCode::OK || body.is_empty() {
            return Err(format!("GET /user answered {status}"));
        }
        Ok(())
    }
}

async fn session_from(resp: reqwest::Response) -> Result<Session, String> {
    let status = resp.status();
    let body: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| format!("{status}, unreadable body: {e}"))?;
    if status != reqwest::StatusCode::OK {
        let code = body
            .get("error_code")
            .or_else(|| body.get("code"))
            .cloned()
            .unwrap_or_default();
        return Err(format!("answered {status} {code}"));
    }
    let field = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("answer without {k}"))
    };
    Ok(Session {
        access_token: field("access_token")?,
        refresh_token: field("refresh_token")?,
        alive: true,
    })
}

struct RoundResult {
    done: usize,
    errors: usize,
    secs: f64,
    latencies_us: Vec<u64>,
    sessions: Vec<Session>,
    first_error: Option<String>,
}

/// Runs `requests` operations spread over the virtual clients (one task each), stopping early
/// at `deadline`. Sign-in clients carry no session; refresh clients rotate their own chain.
async fn round(
    target: &Arc<Target>,
    mode: Mode,
    sessions: Vec<Session>,
    requests: usize,
    max: Duration,
) -> RoundResult {
    let issued = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let deadline = t0 + max;
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut session| {
            let target = target.clone();
            let issued = issued.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut first_error = None;
                while (mode == Mode::SignIn || session.alive)
                    && Instant::now() < deadline
                    && issued.fetch_add(1, Ordering::Relaxed) < requests
                {
                    let start = Instant::now();
                    let outcome = match mode {
                        Mode::SignIn => target.sign_in().await.map(|_| ()),
                        Mode::Refresh => match target.refresh(&session.refresh_token).await {
                            Ok(next) => {
                                session = next;
                                Ok(())
                            }
                            Err(e) => {
                                // The chain is broken: this client stops.
                                session.alive = false;
                                Err(e)
                            }
                        },
                        Mode::User => target.get_user(&session.access_token).await,
                    };
                    match outcome {
                        Ok(()) => latencies.push(start.elapsed().as_micros() as u64),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (latencies, errors, session, first_error)
            })
        })
        .collect();
    let mut result = RoundResult {
        done: 0,
        errors: 0,
        secs: 0.0,
        latencies_us: Vec::new(),
        sessions: Vec::new(),
        first_error: None,
    };
    for task in tasks {
        match task.await {
            Ok((lat, errors, session, first_error)) => {
                result.done += lat.len();
                result.latencies_us.extend(lat);
                result.errors += errors;
                result.sessions.push(session);
                if result.first_error.is_none() {
                    result.first_error = first_error;
                }
            }
            Err(e) => {
                result.errors += 1;
                result
                    .first_error
                    .get_or_insert(format!("task failed: {e}"));
            }
        }
    }
    result.secs = t0.elapsed().as_secs_f64();
    result
}

struct Scenario {
    mode: Mode,
    requests: usize,
}

async fn scenario(
    args: &HttpArgs,
    target: &Arc<Target>,
    sc: Scenario,
    mut sessions: Vec<Session>,
) -> Result<Vec<Session>, String> {
    let name = sc.mode.name();
    let max = Duration::from_secs(args.max_secs.max(1));
    let server_pid = args.server_pid.map(|p| p.to_string());
    let mut rates = Vec::new();
    let mut latencies = Vec::new();
    let (mut total_done, mut total_errors) = (0usize, 0usize);
    let (mut server_cpu, mut own_cpu) = (0.0f64, 0.0f64);
    let mut wall = 0.0f64;
    let mut ratios = Vec::new();
    let mut paired_rates = Vec::new();
    for r in 0..=args.rounds {
        let mut paired = None;
        if sc.mode == Mode::SignIn && args.paired_hash_per_thread > 0 && r > 0 {
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2);
            let n = args.paired_hash_per_thread;
            let rate = tokio::task::spawn_blocking(move || hash_round(threads, n))
                .await
                .map_err(|e| format!("hash round: {e}"))??;
            emit(
                &format!("signin_hash.round{r}.per_sec"),
                format!("{rate:.1}"),
            );
            paired_rates.push(rate);
            paired = Some(rate);
        }
        // Round 0 (a tenth of the requests) warms connections and caches; it is not kept.
        let n = if r == 0 {
            (sc.requests / 10).max(1)
        } else {
            sc.requests
        };
        let server_before = server_pid.as_deref().and_then(|p| cpu_ms(p, args.clk_tck));
        let own_before = cpu_ms("self", args.clk_tck);
        let res = round(target, sc.mode, sessions, n, max).await;
        let server_after = server_pid.as_deref().and_then(|p| cpu_ms(p, args.clk_tck));
        let own_after = cpu_ms("self", args.clk_tck);
        sessions = res.sessions;
        if let Some(e) = &res.first_error {
            eprintln!(
                "loadgen: {name} round {r}: {} error(s), first: {e}",
                res.errors
            );
        }
        if r == 0 {
            continue;
        }
        let rate = res.done as f64 / res.secs;
        emit(&format!("{name}.round{r}.per_sec"), format!("{rate:.1}"));
        rates.push(rate);
        if let Some(hash_rate) = paired {
            ratios.push(rate / hash_rate);
        }
        total_done += res.done;
        total_errors += res.errors;
        latencies.extend(res.latencies_us);
        wall += res.secs;
        if let (Some(a), Some(b)) = (server_before, server_after) {
            server_cpu += b - a;
        }
        if let (Some(a), Some(b)) = (own_before, own_after) {
            own_cpu += b - a;
        }
        if sc.mode != Mode::SignIn && !sessions.iter().any(|s| s.alive) {
            return Err(format!("{name}: every virtual client's session broke"));
        }
    }
    latencies.sort_unstable();
    if !ratios.is_empty() {
        emit(
            "signin_hash.per_sec_median",
            format!("{:.1}", median(&paired_rates)),
        );
        emit(
            "signin.ratio_paired_median",
            format!("{:.2}", median(&ratios)),
        );
    }
    if let Some(pid) = &server_pid {
        if let Some(kib) = rss_kib(pid) {
            emit(&format!("{name}.server_rss_kib_after"), kib);
        }
    }
    emit(&format!("{name}.requests"), total_done);
    emit(&format!("{name}.errors"), total_errors);
    emit(
        &format!("{name}.per_sec_median"),
        format!("{:.1}", median(&rates)),
    );
    emit(
        &format!("{name}.per_sec_min"),
        format!("{:.1}", min_of(&rates)),
    );
    emit(
        &format!("{name}.per_sec_max"),
        format!("{:.1}", max_of(&rates)),
    );
    for (label, p) in [("p50", 50.0), ("p99", 99.0)] {
        emit(
            &format!("{name}.{label}_ms"),
            format!("{:.2}", percentile(&latencies, p) as f64 / 1000.0),
        );
    }
    if total_done > 0 {
        let per = |cpu: f64| format!("{:.3}", cpu / total_done as f64);
        if server_pid.is_some() {
            emit(&format!("{name}.server_cpu_ms_per_req"), per(server_cpu));
            emit(
                &format!("{name}.server_cores_busy"),
                format!("{:.2}", server_cpu / 1000.0 / wall),
            );
        }
        emit(&format!("{name}.loadgen_cpu_ms_per_req"), per(own_cpu));
        emit(
            &format!("{name}.loadgen_cores_busy"),
            format!("{:.2}", own_cpu / 1000.0 / wall),
        );
    }
    Ok(sessions)
}

/// The URL without its trailing slash, once it is known to be plain HTTP on loopback.
fn loopback_root(url: &str) -> Result<&str, String> {
    let base = url::Url::parse(url).map_err(|e| format!("--url: {e}"))?;
    let loopback = match base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if !loopback || base.scheme() != "http" {
        return Err("--url must be http:// on a loopback address".into());
    }
    Ok(url.trim_end_matches('/'))
}

fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

async fn http_bench(args: HttpArgs) -> Result<(), String> {
    let root = loopback_root(&args.url)?;
    let http = http_client()?;
    let target = Arc::new(Target {
        http,
        token_password: format!("{root}/auth/v1/token?grant_type=password"),
        token_refresh: format!("{root}/auth/v1/token?grant_type=refresh_token"),
        user: format!("{root}/auth/v1/user"),
        email: args.email.clone(),
        password: args.password.clone(),
    });
    // Fail fast with a clear message when the credentials or the rate limit are wrong.
    target
        .sign_in()
        .await
        .map_err(|e| format!("first sign-in {e}"))?;
    emit("loadgen.threads", args.threads);
    let wanted = |s: ScenarioName| args.scenarios.contains(&s);

    if wanted(ScenarioName::Signin) {
        emit("signin.clients", args.signin_clients);
        let signin_clients = vec![Session::default(); args.signin_clients.max(1)];
        scenario(
            &args,
            &target,
            Scenario {
                mode: Mode::SignIn,
                requests: args.signin_requests,
            },
            signin_clients,
        )
        .await?;
    }

    // Each virtual client signs in once, then follows its own rotation chain.
    let mut sessions = Vec::new();
    for _ in 0..args.clients.max(1) {
        sessions.push(target.sign_in().await.map_err(|e| format!("sign-in {e}"))?);
    }
    if wanted(ScenarioName::Refresh) {
        emit("refresh.clients", sessions.len());
        sessions = scenario(
            &args,
            &target,
            Scenario {
                mode: Mode::Refresh,
                requests: args.refresh_requests,
            },
            sessions,
        )
        .await?;
    }

    if wanted(ScenarioName::User) {
        // The access tokens the last rotations returned; their sessions are alive.
        let sessions: Vec<Session> = sessions.into_iter().filter(|s| s.alive).collect();
        emit("user.clients", sessions.len());
        scenario(
            &args,
            &target,
            Scenario {
                mode: Mode::User,
                requests: args.user_requests,
            },
            sessions,
        )
        .await?;
    }
    Ok(())
}

// ---- user enumeration by timing ----------------------------------------------------

/// Sent by both kinds of request; no benchmark account has it.
const WRONG_PASSWORD: &str = "enum-timing: not the password";

/// One password sign-in that must fail with 400 `invalid_credentials`: its latency in
/// microseconds (up to the whole answer read), or what came back instead.
async fn failed_sign_in(http: &reqwest::Client, url: &str, email: &str) -> Result<u64, String> {
    let start = Instant::now();
    let resp = http
        .post(url)
        .json(&serde_json::json!({ "email": email, "password": WRONG_PASSWORD }))
        .send()
        .await
        .map_err(|e| format!("sign-in: {e}"))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| format!("sign-in: {e}"))?;
    let micros = start.elapsed().as_micros() as u64;
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let code = body
        .get("error_code")
        .or_else(|| body.get("code"))
        .and_then(|c| c.as_str())
        .unwrap_or("");
    if status != reqwest::StatusCode::BAD_REQUEST || code != "invalid_credentials" {
        return Err(format!("answered {status} {code:?}"));
    }
    Ok(micros)
}

/// One client, sequential requests (no queueing in the server): A (existing e-mail, wrong
/// password) and B (unknown e-mail, same password) alternate, each pair in the other order
/// than the one before, so drifts of the machine fall on both alike.
async fn enum_timing(args: EnumArgs) -> Result<(), String> {
    let root = loopback_root(&args.url)?;
    if args
        .email
        .trim()
        .eq_ignore_ascii_case(args.unknown_email.trim())
    {
        return Err("--email and --unknown-email must differ".into());
    }
    if args.pairs == 0 {
        return Err("--pairs must be at least 1".into());
    }
    let http = http_client()?;
    let url = format!("{root}/auth/v1/token?grant_type=password");
    let kinds = [
        ("known", args.email.as_str()),
        ("unknown", args.unknown_email.as_str()),
    ];
    let mut latencies: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    let mut errors = [0usize; 2];
    let mut first_error = None;
    for i in 0..args.warmup_pairs + args.pairs {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let outcome = failed_sign_in(&http, &url, kinds[k].1).await;
            match (outcome, i < args.warmup_pairs) {
                (Ok(_), true) => {}
                (Ok(us), false) => latencies[k].push(us),
                // A misconfigured run (a 429 is the per-account delay) stops at once.
                (Err(e), true) => {
                    return Err(format!(
                        "warm-up sign-in as the {} e-mail {e} (expected 400 \
                         \"invalid_credentials\"; a 429 means the per-account delay is on: \
                         raise provider.throttle_free_failures)",
                        kinds[k].0
                    ))
                }
                (Err(e), false) => {
                    errors[k] += 1;
                    first_error.get_or_insert(format!("{} e-mail: {e}", kinds[k].0));
                }
            }
        }
    }
    if let Some(e) = &first_error {
        eprintln!(
            "loadgen: enum-timing: {} error(s), first: {e}",
            errors[0] + errors[1]
        );
    }
    emit("enum.pairs", args.pairs);
    let mut medians = [f64::NAN; 2];
    for (k, (name, _)) in kinds.iter().enumerate() {
        let ms: Vec<f64> = latencies[k].iter().map(|&us| us as f64 / 1000.0).collect();
        medians[k] = median(&ms);
        latencies[k].sort_unstable();
        emit(&format!("enum.{name}.requests"), latencies[k].len());
        emit(&format!("enum.{name}.errors"), errors[k]);
        emit(
            &format!("enum.{name}.median_ms"),
            format!("{:.2}", medians[k]),
        );
        emit(
            &format!("enum.{name}.p90_ms"),
            format!("{:.2}", percentile(&latencies[k], 90.0) as f64 / 1000.0),
        );
    }
    let ratio = medians[1] / medians[0];
    if ratio.is_finite() {
        emit("enum.ratio_median", format!("{ratio:.2}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn only_loopback_http_is_driven() {
        assert_eq!(
            loopback_root("http://127.0.0.1:8080/"),
            Ok("http://127.0.0.1:8080")
        );
        assert!(loopback_root("http://localhost:1").is_ok());
        assert!(loopback_root("https://127.0.0.1:1").is_err());
        assert!(loopback_root("http://example.com").is_err());
    }

    #[test]
    fn cpu_time_of_this_process_is_readable() {
        assert!(cpu_ms("self", 100).is_some());
        assert!(rss_kib("self").is_some_and(|k| k > 0));
    }
}
