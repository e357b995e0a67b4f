//! The HTTP layer: each resource module owns its router; this one merges them.

pub mod app;
mod app_access;
pub mod auth;
pub mod builder;
pub mod edge;
pub mod edit;
pub mod error;
pub mod extract;
mod redirect_signin;
pub mod web;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

async fn get_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
}

/// For a load balancer: 200 when this instance can reach its database, else 503 with
/// `Retry-After` (the instance recovers by itself when the database is back).
async fn get_health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let probe = state.store.published_version("");
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => Json(serde_json::json!({ "status": "ok", "database": "ok" })).into_response(),
        outcome => {
            let why = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 2 s".to_owned(),
            };
            tracing::warn!(error = %why, "health: the database cannot be reached");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [(
                    axum::http::header::RETRY_AFTER,
                    error::UNAVAILABLE_RETRY_SECS.to_string(),
                )],
                Json(serde_json::json!({ "status": "unavailable", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}

pub fn router(state: AppState) -> Router {
    let body_timeout = std::time::Duration::from_secs(state.config.http.body_read_timeout_secs);
    Router::new()
        .route("/health", get(get_health))
        .route("/metrics", get(get_metrics))
        .nest("/auth/v1", auth::router())
        .nest(
            "/api/v1",
            app::router()
                .merge(builder::router())
                .merge(edit::router()),
        )
        .merge(web::router())
        // Every unknown route and method answers JSON, not an empty body.
        .fallback(|| async { error::ApiError::not_found() })
        .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A body trickled one byte at a time cannot hold a request open for ever.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::guard))
        // Logs method, path and status; never headers or bodies (they carry tokens).
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}
