//! Build the application (store, provider, router), bind the port, run until stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use lowkey_store::{SqliteStore, Store};
use tokio::net::TcpListener;

use crate::apps::PublishedApps;
use crate::config::Config;
use crate::provider::Provider;
use crate::query::QueryRunner;
use crate::ratelimit::RateLimiter;
use crate::state::AppState;

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

/// Opens the store in the configured data directory (applying migrations).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = SqliteStore::open(&config.data_dir).await.with_context(|| {
        format!(
            "Failed to open the database in {}",
            config.data_dir.display()
        )
    })?;
    Ok(Arc::new(store))
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
        );
        let queries = QueryRunner::new(config.queries.clone())?;
        let state = AppState {
            config: Arc::new(config),
            store,
            provider: Arc::new(provider),
            limiter: Arc::new(limiter),
            apps: Arc::new(PublishedApps::default()),
            queries: Arc::new(queries),
            metrics: Arc::default(),
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
        let router = crate::http::router(self.state.clone());
        // Queries to this server's own paths (the built-in provider) are served in-process.
        self.state.queries.set_local_router(router.clone());
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")
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
