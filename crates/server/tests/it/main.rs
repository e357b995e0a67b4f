//! The one integration-test binary of lowkey-server: the real server on a random port with a
//! fresh database per test, driven over real HTTP.

mod apps;
mod bad_input;
mod builder;
mod cli;
mod edge;
mod edge_limits;
mod helpers;
mod protected;
mod provider;
mod scale;
mod sessions;
