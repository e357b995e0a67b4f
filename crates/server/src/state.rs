//! Shared state handed to every handler.

use std::sync::Arc;

use lowkey_store::Store;

use crate::apps::PublishedApps;
use crate::builder::Builders;
use crate::client_ip::ClientIpPolicy;
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
    /// Verifies the tokens of apps whose `auth.verify` is a JWKS (keys cached per URL).
    pub jwks: Arc<crate::jwks::JwksVerifier>,
    pub userinfo: Arc<crate::userinfo::UserinfoVerifier>,
    /// Sign-in by redirect: providers' discovery documents.
    pub oidc: Arc<crate::oidc::OidcClient>,
    /// The people who edit apps at `/edit`.
    pub builders: Arc<Builders>,
    pub limiter: Arc<RateLimiter>,
    pub apps: Arc<PublishedApps>,
    pub queries: Arc<QueryRunner>,
    /// Session mode's server-side sessions.
    pub sessions: Arc<crate::sessions::SessionVault>,
    pub metrics: Arc<Metrics>,
    /// How a request's client address is found (proxies).
    pub client_ip: Arc<ClientIpPolicy>,
    /// The HTTP edge's guards (hosts, origins, security headers).
    pub edge: Arc<crate::http::edge::EdgePolicy>,
    /// The address this server actually listens on (port 0 resolved).
    pub local_addr: std::net::SocketAddr,
}
