//! The app folder format of Lowkey: parse, validate, store, export, render queries.
//!
//! An app is a folder (`app.yaml`, `pages/*.yaml`, `queries/*.yaml`, `js/*.js`; see
//! docs/app-format.md). This crate turns a folder into an [`App`] and back, produces the
//! viewer's JSON, and renders a stored query with the browser's values into a request. It does
//! no HTTP, no SQL and no network: the server wires those around it.
//!
//! Key design decisions:
//! - **Diagnostics, not first errors.** Files are read into located YAML trees (serde-saphyr,
//!   strict booleans, alias and depth budgets) and converted by hand, so one run reports every
//!   problem with file, line and column ([`Diagnostic`]). [`App::load`] yields an app only when
//!   there is none.
//! - **Migrations by version.** `version` is read before anything else and raw trees are
//!   migrated to [`FORMAT_VERSION`] before conversion, so an older folder keeps loading.
//! - **Real JavaScript syntax checks** with oxc's parser: value bindings must be expressions,
//!   event code a statement list, a JS object file `export default { … }`.
//! - **One canonical storage form**: the model serialised as JSON ([`App::to_json`]); the folder
//!   is written back by [`App::write_folder`]; import → export → import is lossless.
//! - **Substitution is typed and pure** ([`render`]): a value sent by a browser lands as a
//!   JSON value, URL-encoded text or header text, never as raw syntax, and errors never carry
//!   values (so never secrets).
//!
//! - **Declared protection** (format version 2): `auth` in app.yaml, `access` on pages and
//!   queries. This crate validates them and builds the viewer's JSON for a [`Caller`] the
//!   server decided ([`viewer_json_for`]); verifying tokens is the server's.
//!
//! **Architecture Invariant:** the viewer's JSON ([`viewer_json`]) lists fields explicitly and
//! holds no datasource URL, header or secret, nor the widgets, on-load steps or bindings of a
//! page or query the caller may not use.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod diagnostic;
mod guard;
mod js;
mod load;
mod model;
mod names;
mod substitute;
mod template;
mod viewer;
mod widget;
mod write;
mod yaml;

pub use diagnostic::{Diagnostic, Location, Problem};
pub use load::SourceFiles;
pub use model::{
    roles_at, value_at, Access, App, Auth, BasicAuth, Body, Datasource, JsObject, Method, Oidc,
    OrderedMap, Page, Position, Query, SessionAuth, SessionRole, StoreRefresh, StoredAppError,
    TokenMode, TokenPaths, Verify, Widget, WidgetType, DEFAULT_CLOCK_SKEW_SECS,
    DEFAULT_ROLES_CLAIM, DEFAULT_TIMEOUT_MS, FORMAT_VERSION, GRID_COLUMNS, MAX_CLOCK_SKEW_SECS,
    MAX_TIMEOUT_MS,
};
pub use substitute::{
    basic_auth_header, query_bindings, render, RenderedBody, RenderedRequest, SubstitutionError,
    Target,
};
pub use template::SessionToken;
pub use viewer::{viewer_json, viewer_json_for, Caller};
pub use write::WriteError;
