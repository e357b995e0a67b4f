//! Shared state handed to every handler.

use std::sync::Arc;

use lowkey_store::Store;

use crate::apps::PublishedApps;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::provider::Provider;
use crate::query::QueryRunner;
use crate::ratelimit::RateLimiter;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub provider: Arc<Provider>,
    pub limiter: Arc<RateLimiter>,
    pub apps: Arc<PublishedApps>,
    pub queries: Arc<QueryRunner>,
    pub metrics: Arc<Metrics>,
    /// The address this server actually listens on (port 0 resolved).
    pub local_addr: std::net::SocketAddr,
}
