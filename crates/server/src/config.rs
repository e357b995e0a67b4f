//! Configuration: typed structs whose fields say what a good value is.
//!
//! Precedence, highest first: command-line flags, `LOWKEY_*` environment variables, the
//! optional YAML config file (`--config` / `LOWKEY_CONFIG`), the defaults below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use lowkey_core::jwt::Alg;
use lowkey_core::password::HashParams;
use lowkey_core::user::Throttle;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the HTTP server listens. Default `127.0.0.1:8080`; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The data directory holding `lowkey.db`. Default `./lowkey-data`.
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://user@host:5432/db`) instead of the data directory's
    /// SQLite: several instances may share it (docs/deploy.md). Default: none.
    pub database_url: Option<String>,
    /// Connections this instance keeps to PostgreSQL at most (default 10). The sum over the
    /// instances must stay below the database's `max_connections`.
    pub database_pool_size: u32,
    /// The key that seals session mode's tokens at rest. Default `<data_dir>/session.key`,
    /// made at the first start; instances sharing a database must share this file.
    pub session_key_file: Option<PathBuf>,
    /// The URL browsers and clients reach this server at, without a trailing slash; the
    /// access tokens' issuer is this plus `/auth/v1`. Default: `http://<addr>`.
    pub external_url: Option<String>,
    pub provider: ProviderConfig,
    pub queries: QueryConfig,
    pub http: HttpConfig,
    pub builder: BuilderConfig,
}

/// The builders' sign-in at `/edit` (`lowkey admin add`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuilderConfig {
    /// How long a builder's session lasts after signing in, in seconds (default 43,200: 12
    /// hours, a working day). Absolute: using the editor does not extend it, so a stolen
    /// cookie stops working on its own.
    pub session_lifetime_secs: i64,
}

impl Default for BuilderConfig {
    fn default() -> Self {
        Self {
            session_lifetime_secs: 12 * 60 * 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// Access-token lifetime in seconds (GoTrue's default 3600).
    pub jwt_exp: i64,
    /// `ES256` (default) or `RS256`, for keys created from now on.
    pub jwt_algorithm: String,
    /// The `aud` claim of user tokens.
    pub audience: String,
    /// `POST /signup` is off unless this is false.
    pub disable_signup: bool,
    /// Sign-ups are confirmed at once (no e-mail delivery exists yet).
    pub mailer_autoconfirm: bool,
    /// Seconds during which a rotated refresh token may still be used (concurrent tabs).
    pub refresh_reuse_interval: i64,
    /// Argon2id cost; defaults are OWASP's minimums. Lower them only for tests.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// How many hashes run at once; default: the number of CPUs.
    pub max_concurrent_hashes: Option<usize>,
    /// Per-client-IP bucket on `/token`: burst, then `rate_limit_token_refill` per 5 minutes.
    pub rate_limit_token_burst: u32,
    pub rate_limit_token_refill: u32,
    /// Behind a reverse proxy: take the client address from `X-Forwarded-For`, the
    /// right-most entry that is not one of `trusted_proxies` (the direct peer is the proxy and
    /// is always trusted then). Off by default: clients could choose their own bucket.
    pub trust_forwarded_for: bool,
    /// Further proxies in front of the first one (addresses or CIDR ranges, such as
    /// `10.0.0.0/8`), skipped from the right of `X-Forwarded-For`.
    pub trusted_proxies: Vec<String>,
    /// Failed passwords allowed before the per-account delay starts; the delay then doubles
    /// from `throttle_base_ms` up to `throttle_max_ms`.
    pub throttle_free_failures: u32,
    pub throttle_base_ms: i64,
    pub throttle_max_ms: i64,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        let hash = HashParams::default();
        let throttle = Throttle::default();
        Self {
            jwt_exp: 3600,
            jwt_algorithm: "ES256".into(),
            audience: "authenticated".into(),
            disable_signup: true,
            mailer_autoconfirm: true,
            refresh_reuse_interval: 10,
            argon2_memory_kib: hash.memory_kib,
            argon2_iterations: hash.iterations,
            argon2_parallelism: hash.parallelism,
            max_concurrent_hashes: None,
            rate_limit_token_burst: 30,
            rate_limit_token_refill: 150,
            trust_forwarded_for: false,
            trusted_proxies: Vec::new(),
            throttle_free_failures: throttle.free_failures,
            throttle_base_ms: throttle.base_delay_ms,
            throttle_max_ms: throttle.max_delay_ms,
        }
    }
}

impl ProviderConfig {
    pub fn hash_params(&self) -> HashParams {
        HashParams {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
    pub fn throttle(&self) -> Throttle {
        Throttle {
            free_failures: self.throttle_free_failures,
            base_delay_ms: self.throttle_base_ms,
            max_delay_ms: self.throttle_max_ms,
        }
    }
    pub fn alg(&self) -> anyhow::Result<Alg> {
        Alg::parse(&self.jwt_algorithm).with_context(|| {
            format!(
                "jwt_algorithm must be ES256 or RS256, not {:?}",
                self.jwt_algorithm
            )
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueryConfig {
    /// Largest upstream response body accepted, in bytes (default 5 MiB). The answer to the
    /// browser is refused above twice this (JSON escaping can multiply a body's size).
    pub max_response_bytes: usize,
    /// Allow queries to reach link-local and cloud metadata addresses (default: refused).
    pub allow_link_local: bool,
    /// Query runs in progress at once, server-wide (default 256); above it 503 + Retry-After.
    pub max_concurrent_runs: usize,
    /// Query runs in progress at once per client address (IPv6: per /64; default 32);
    /// above it 429 + Retry-After.
    pub max_concurrent_runs_per_client: usize,
    /// An HTTP proxy for outbound queries, such as `http://proxy.internal:3128`. Default
    /// none: `HTTP_PROXY` and friends in the environment are ignored, because a proxy
    /// resolves names itself and the address policy could not see them.
    pub proxy: Option<String>,
}

impl Default for QueryConfig {
    fn default() -> Self {
        Self {
            max_response_bytes: 5 * 1024 * 1024,
            allow_link_local: false,
            max_concurrent_runs: 256,
            max_concurrent_runs_per_client: 32,
            proxy: None,
        }
    }
}

/// The HTTP edge: connection limits, the names this server answers to, framing.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's headers (default 10).
    pub header_read_timeout_secs: u64,
    /// Seconds to receive a request's body (default 30).
    pub body_read_timeout_secs: u64,
    /// Seconds a connection without a request in progress stays open (default 60).
    pub idle_timeout_secs: u64,
    /// Open connections at most (default 10,000, lowered to fit the process's file limit).
    /// At the cap the oldest idle connection makes room for a new one.
    pub max_connections: usize,
    /// Further `Host` names this server answers to (`apps.example.com` or
    /// `apps.example.com:8443`), besides `external_url`'s and the listen address. Requests
    /// for any other host are refused (421), which defeats DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Origins allowed to show the viewer in a frame (CSP `frame-ancestors`), such as
    /// `https://intranet.example.com`. Default none: framing is refused.
    pub frame_ancestors: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 10_000,
            allowed_hosts: Vec::new(),
            frame_ancestors: Vec::new(),
        }
    }
}

/// The config file's shape (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_pool_size: Option<u32>,
    pub session_key_file: Option<PathBuf>,
    pub external_url: Option<String>,
    pub provider: ProviderConfig,
    pub queries: QueryConfig,
    pub http: HttpConfig,
    pub builder: BuilderConfig,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("Failed to read config file {}", path.display()))?;
        serde_saphyr::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

impl Config {
    /// Limits of zero would lock everyone out: refuse them at start-up.
    pub fn check_limits(&self) -> anyhow::Result<()> {
        let h = &self.http;
        let q = &self.queries;
        anyhow::ensure!(
            h.header_read_timeout_secs > 0
                && h.body_read_timeout_secs > 0
                && h.idle_timeout_secs > 0,
            "http timeouts must be at least 1 second"
        );
        anyhow::ensure!(
            self.builder.session_lifetime_secs > 0,
            "builder.session_lifetime_secs must be at least 1"
        );
        anyhow::ensure!(
            h.max_connections > 0,
            "http.max_connections must be at least 1"
        );
        anyhow::ensure!(
            q.max_concurrent_runs > 0 && q.max_concurrent_runs_per_client > 0,
            "queries.max_concurrent_runs and max_concurrent_runs_per_client must be at least 1"
        );
        for origin in &h.frame_ancestors {
            anyhow::ensure!(
                !origin.is_empty() && !origin.contains([';', ',', ' ', '\'', '"']),
                "http.frame_ancestors: {origin:?} is not an origin such as https://intranet.example.com"
            );
        }
        Ok(())
    }

    /// Where the store is: the database URL if one is set, else the data directory.
    pub fn store_location(&self) -> lowkey_store::Location<'_> {
        match &self.database_url {
            Some(url) => lowkey_store::Location::Url(url),
            None => lowkey_store::Location::DataDir(&self.data_dir),
        }
    }

    /// The store in words, for messages: the data directory, or the database URL without its
    /// password.
    pub fn store_description(&self) -> String {
        match &self.database_url {
            Some(url) => match url::Url::parse(url) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    u.to_string()
                }
                Err(_) => "the configured database URL (not a valid URL)".to_owned(),
            },
            None => format!("SQLite in {}", self.data_dir.display()),
        }
    }

    /// The session key's file (`session_key_file`, or `session.key` in the data directory).
    pub fn session_key_path(&self) -> PathBuf {
        self.session_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::sessions::KEY_FILE))
    }

    /// Merges flags/env (already merged by clap) over the file over the defaults.
    /// True when browsers reach this server over https (`external_url`): cookies are then
    /// `Secure`.
    pub fn is_https(&self) -> bool {
        self.external_url.as_deref().is_some_and(|u| {
            u.get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        })
    }

    pub fn resolve(
        addr: Option<SocketAddr>,
        data_dir: Option<PathBuf>,
        file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        Self::resolve_with(addr, data_dir, None, file)
    }

    /// [`Config::resolve`] with a database URL from the flag or environment.
    pub fn resolve_with(
        addr: Option<SocketAddr>,
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let file = match file {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let config = Config {
            addr: addr
                .or(file.addr)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir: data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./lowkey-data")),
            database_url: database_url.or(file.database_url).filter(|u| !u.is_empty()),
            database_pool_size: file.database_pool_size.unwrap_or(10),
            session_key_file: file.session_key_file,
            external_url: file
                .external_url
                .map(|u| u.trim_end_matches('/').to_string()),
            provider: file.provider,
            queries: file.queries,
            http: file.http,
            builder: file.builder,
        };
        config.provider.alg()?;
        anyhow::ensure!(
            config.provider.jwt_exp >= 30,
            "provider.jwt_exp must be at least 30 seconds"
        );
        config.check_limits()?;
        anyhow::ensure!(
            config.database_pool_size > 0,
            "database_pool_size must be at least 1"
        );
        Ok(config)
    }
}
