//! `/api/v1`: the platform API the viewer uses — published apps and query execution.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use lowkey_app::SubstitutionError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::{ApiError, ApiJson, ApiPath};
use crate::metrics::Metrics;
use crate::query::RunError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list_apps))
        .route("/apps/{slug}", get(get_app))
        .route("/apps/{slug}/queries/{name}/run", post(run_query))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint")
        })
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
    let apps = state.store.list_apps().await.map_err(ApiError::internal)?;
    let list: Vec<Value> = apps
        .iter()
        .filter(|a| a.published_version > 0)
        .map(|a| json!({ "slug": a.slug, "name": a.name, "publishedVersion": a.published_version }))
        .collect();
    Ok(Json(json!({ "apps": list })))
}

async fn get_app(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let app = published(&state, &slug).await?;
    Ok(Json(lowkey_app::viewer_json(&app)))
}

#[derive(Deserialize)]
struct RunQueryRequest {
    #[serde(default)]
    params: Map<String, Value>,
}

async fn run_query(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath((slug, name)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RunQueryRequest>,
) -> Result<Json<Value>, ApiError> {
    let app = published(&state, &slug).await?;
    let query = app.query(&name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "query_not_found",
            format!("App {slug:?} has no query {name:?}"),
        )
    })?;
    let result = state.queries.run(&app, query, &body.params, peer).await;
    let m = &state.metrics;
    Metrics::count(if result.is_ok() {
        &m.query_success
    } else {
        &m.query_failure
    });
    let result = result.map_err(|e| run_error(&name, e))?;
    tracing::info!(app = %slug, query = %name, status = result.status, duration_ms = result.duration_ms, "query run");
    Ok(Json(json!({
        "status": result.status,
        "headers": result.headers,
        "body": result.body,
        "durationMs": result.duration_ms,
    })))
}

fn run_error(query: &str, e: RunError) -> ApiError {
    let msg = format!("Query {query}: {e}");
    match e {
        RunError::Render(SubstitutionError::MissingValue { .. }) => {
            ApiError::new(StatusCode::BAD_REQUEST, "missing_param", msg)
        }
        RunError::Render(SubstitutionError::UnknownSecret { .. }) => {
            // The server's configuration is incomplete: say which secret, never a value.
            tracing::error!(%msg, "query needs a secret that is not configured");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "secret_not_configured",
                msg,
            )
        }
        RunError::Render(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", msg)
        }
        RunError::AddressRefused(_) => ApiError::new(StatusCode::FORBIDDEN, "address_refused", msg),
        RunError::Unreachable(_) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "upstream_unreachable", msg)
        }
        RunError::TooLarge(_) => ApiError::new(StatusCode::BAD_GATEWAY, "response_too_large", msg),
        RunError::Timeout(_) => ApiError::new(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", msg),
    }
}
