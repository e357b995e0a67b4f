//! The `lowkey` server: HTTP (axum), configuration, start-up and the operator CLI.
//!
//! `main.rs` only calls [`cli::run`]. The integration tests drive [`startup::Application`]
//! on port 0 with a fresh data directory, exactly as `lowkey serve` runs it.

pub mod apps;
pub mod builder;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod drafts;
pub mod http;
pub mod jwks;
pub mod metrics;
pub mod oidc;
pub mod provider;
pub mod query;
pub mod ratelimit;
pub mod runlimit;
pub mod serve;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod userinfo;
