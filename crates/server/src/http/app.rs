//! `/api/v1`: the platform API the viewer uses — published apps and query execution.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::app_access;
use super::error::{ApiError, ApiJson, ApiPath};
use crate::client_ip::ClientIp;
use crate::metrics::Metrics;
use crate::query::{AnswerBody, QueryResult, RunError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list_apps))
        .route("/apps/{slug}", get(get_app))
        .route("/apps/{slug}/queries/{name}/run", post(run_query))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint")
        })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

async fn published(
    state: &AppState,
    slug: &str,
) -> Result<std::sync::Arc<lowkey_app::App>, ApiError> {
    state
        .apps
        .get(state.store.as_ref(), slug)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "app_not_found",
                format!("No published app with slug {slug:?}"),
            )
        })
}

async fn list_apps(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let apps = state
        .apps
        .list(state.store.as_ref())
        .await
        .map_err(ApiError::internal)?;
    let list: Vec<Value> = apps
        .iter()
        .map(|a| json!({ "slug": a.slug, "name": a.name, "publishedVersion": a.published_version }))
        .collect();
    Ok(Json(json!({ "apps": list })))
}

/// The published app as the caller may see it: pages and queries it may not use are locked
/// (their names only).
async fn get_app(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let app = published(&state, &slug).await?;
    let caller = app_access::caller(&state, &app, &headers, client).await;
    Ok(Json(lowkey_app::viewer_json_for(&app, &caller)))
}

#[derive(Deserialize)]
pub(super) struct RunQueryRequest {
    #[serde(default)]
    params: Map<String, Value>,
}

/// Runs a published query for a viewer; a protected one only for a caller its `access`
/// admits, checked before anything is sent upstream.
async fn run_query(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath((slug, name)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RunQueryRequest>,
) -> Result<Response, ApiError> {
    let app = published(&state, &slug).await?;
    if let Some(query) = app.query(&name) {
        if !matches!(query.access, lowkey_app::Access::Public) {
            let caller = app_access::caller(&state, &app, &headers, client).await;
            app_access::permit(&app, &format!("The query {name}"), &query.access, &caller)?;
        }
    }
    run_app_query(&state, &app, &name, &body, client).await
}

/// Runs query `name` of `app` (the published version, or the builder's draft in Preview)
/// with the browser's values: one runner, one set of limits and errors for both.
pub(super) async fn run_app_query(
    state: &AppState,
    app: &lowkey_app::App,
    name: &str,
    body: &RunQueryRequest,
    client: std::net::IpAddr,
) -> Result<Response, ApiError> {
    let slug = &app.slug;
    let query = app.query(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "query_not_found",
            format!("App {slug:?} has no query {name:?}"),
        )
    })?;
    let result = state.queries.run(app, query, &body.params, client).await;
    let m = &state.metrics;
    Metrics::count(if result.is_ok() {
        &m.query_success
    } else {
        &m.query_failure
    });
    let result = result.map_err(|e| ApiError::query_run(name, e))?;
    // Debug, not info: one formatted line written to stderr per run was 7 % of a run's CPU.
    // `/metrics` counts runs; `LOWKEY_LOG=lowkey_server::http::app=debug` logs each.
    tracing::debug!(app = %slug, query = %name, status = result.status, duration_ms = result.duration_ms, "query run");
    // JSON escaping can multiply a body (a control character becomes six bytes): the
    // answer is bounded as it is written, so the size limit bounds the memory a run holds.
    let limit = state.queries.max_answer_bytes();
    let mut out = Bounded {
        bytes: Vec::new(),
        limit,
    };
    if write_answer(&mut out, &result).is_err() {
        return Err(ApiError::query_run(name, RunError::TooLarge(limit)));
    }
    drop(result);
    let bytes = out.bytes;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// `{"body", "bodyEncoding"?, "durationMs", "headers", "status"}`, written field by field: the
/// body may be the upstream's JSON text as it came ([`crate::query::AnswerBody::Json`]).
fn write_answer(out: &mut Bounded, result: &QueryResult) -> std::io::Result<()> {
    use std::io::Write as _;
    out.bytes.reserve(match &result.body {
        AnswerBody::Json(bytes) => bytes.len().saturating_add(256).min(out.limit),
        AnswerBody::Value(_) => 256,
    });
    out.write_all(b"{\"body\":")?;
    result.body.write_to(out)?;
    if let Some(encoding) = result.body_encoding {
        out.write_all(b",\"bodyEncoding\":")?;
        serde_json::to_writer(&mut *out, encoding)?;
    }
    out.write_all(b",\"durationMs\":")?;
    serde_json::to_writer(&mut *out, &result.duration_ms)?;
    out.write_all(b",\"headers\":")?;
    serde_json::to_writer(&mut *out, &result.headers)?;
    write!(out, ",\"status\":{}}}", result.status)
}

/// A buffer that refuses to grow past `limit`.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            return Err(std::io::Error::other("answer too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
