//! Build the application (store, provider, router), bind the port, run until stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use lowkey_store::Store;
use tokio::net::TcpListener;

use crate::apps::PublishedApps;
use crate::builder::Builders;
use crate::client_ip::ClientIpPolicy;
use crate::config::Config;
use crate::provider::Provider;
use crate::query::{QueryRunner, Secrets, SelfAddress};
use crate::ratelimit::RateLimiter;
use crate::serve::Limits;
use crate::state::AppState;

/// How often the signing keys are re-read from the store.
const KEY_RELOAD: Duration = Duration::from_secs(5);

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

/// Opens the store in the configured data directory (applying migrations).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let pg = lowkey_store::PgOptions {
        max_connections: config.database_pool_size,
        ..Default::default()
    };
    lowkey_store::open_with(config.store_location(), pg)
        .await
        .with_context(|| {
            format!(
                "Failed to open the database ({})",
                config.store_description()
            )
        })
}

/// The builders' accounts, with the provider's hasher and throttle.
pub fn builders(store: &Arc<dyn Store>, provider: &Provider, config: &Config) -> Builders {
    Builders::new(
        store.clone(),
        provider.hasher().clone(),
        config.provider.throttle(),
        config.builder.session_lifetime_secs,
    )
}

/// The issuer of access tokens: the external URL plus `/auth/v1`.
pub fn issuer(config: &Config, local_addr: SocketAddr) -> String {
    let base = config
        .external_url
        .clone()
        .unwrap_or_else(|| format!("http://{local_addr}"));
    format!("{base}/auth/v1")
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        tune_allocator();
        let store = open_store(&config).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("Failed to listen on {}", config.addr))?;
        let local_addr = listener.local_addr()?;
        let provider = Provider::new(
            store.clone(),
            config.provider.clone(),
            issuer(&config, local_addr),
        )
        .await?;
        let limiter = RateLimiter::new(
            config.provider.rate_limit_token_burst,
            config.provider.rate_limit_token_refill,
        )
        .with_store(&store);
        let queries = QueryRunner::new(
            config.queries.clone(),
            SelfAddress::new(local_addr, config.external_url.as_deref()),
            Secrets::from_env(),
        )?;
        let client_ip = ClientIpPolicy::new(
            config.provider.trust_forwarded_for,
            &config.provider.trusted_proxies,
        )
        .map_err(|e| anyhow::anyhow!("provider.trusted_proxies: {e}"))?;
        let edge = crate::http::edge::EdgePolicy::new(&config, local_addr);
        let builders = builders(&store, &provider, &config);
        let jwks = crate::jwks::JwksVerifier::new(config.queries.proxy.as_deref())?;
        let sessions =
            crate::sessions::SessionVault::open(&config.session_key_path(), store.clone())?;
        let state = AppState {
            sessions: Arc::new(sessions),
            config: Arc::new(config),
            store,
            provider: Arc::new(provider),
            jwks: Arc::new(jwks),
            userinfo: Arc::new(crate::userinfo::UserinfoVerifier::default()),
            oidc: Arc::default(),
            builders: Arc::new(builders),
            limiter: Arc::new(limiter),
            apps: Arc::new(PublishedApps::default()),
            queries: Arc::new(queries),
            metrics: Arc::default(),
            client_ip: Arc::new(client_ip),
            edge: Arc::new(edge),
            local_addr,
        };
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Keys rotated by another process or instance are picked up within KEY_RELOAD.
        let provider = Arc::downgrade(&self.state.provider);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(KEY_RELOAD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(provider) = provider.upgrade() else {
                    return;
                };
                provider.refresh_keys().await;
            }
        });
        let router = crate::http::router(self.state.clone());
        // Queries to this server's own paths (the built-in provider) are served in-process.
        self.state.queries.set_local_router(router.clone());
        let http = &self.state.config.http;
        let limits = Limits {
            header_read_timeout: Duration::from_secs(http.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(http.idle_timeout_secs),
            max_connections: fit_connections(http.max_connections, &self.state.config),
        };
        crate::serve::serve(self.listener, router, limits, shutdown)
            .await
            .context("server error")
    }
}

/// The connection cap, lowered to what the process's file limit leaves after the outbound
/// sockets of query runs and the database (each connection holds one descriptor).
fn fit_connections(wanted: usize, config: &Config) -> usize {
    let files = raise_file_limit();
    let reserve = config.queries.max_concurrent_runs.saturating_mul(2) + 128;
    match files {
        Some(limit) => wanted.min(limit.saturating_sub(reserve).max(64)),
        None => wanted,
    }
}

/// Raises the soft limit on open files to the hard limit (a common default soft limit of
/// 1,024 is far below what a server needs), and returns it.
#[cfg(unix)]
fn raise_file_limit() -> Option<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    usize::try_from(lim.rlim_cur).ok()
}

#[cfg(not(unix))]
fn raise_file_limit() -> Option<usize> {
    None
}

/// glibc raises its mmap threshold after large blocks are freed, after which multi-MB
/// buffers (query responses) come from the heap arenas and stay there: a burst of large
/// answers left the process at 1.5 GB. A fixed threshold keeps large blocks in their own
/// mappings, which go back to the OS when freed.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes allocator parameters; called before heavy use.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
            }
        });
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled, so a signal that arrives while the server is still
/// starting is not lost (the default action would kill the process mid-start).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown signal received; finishing in-flight requests");
    }
}
