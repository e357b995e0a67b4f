//! The viewer: its HTML shell for `/app/…` and its built assets, embedded in the binary.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use super::error::ApiError;
use crate::state::AppState;

/// `web/dist`, built by `npm run build` in `web/` before `cargo build` (build.rs creates
/// an empty folder when it is missing, so a Rust-only build still compiles).
#[derive(RustEmbed)]
#[folder = "../../web/dist"]
struct Assets;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { Redirect::temporary("/app/custom-auth") }),
        )
        .route("/app/{*rest}", get(index))
        .route("/assets/{*file}", get(asset))
}

async fn index() -> Response {
    match Assets::get("index.html") {
        Some(file) => {
            let mut r = file.data.into_owned().into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "viewer_not_built",
            "The viewer was not built: run `npm run build` in web/ and rebuild lowkey.",
        )
        .into_response(),
    }
}

async fn asset(Path(file): Path<String>) -> Response {
    match Assets::get(&format!("assets/{file}")) {
        Some(content) => {
            let mime = content.metadata.mimetype().to_string();
            let mut r = content.data.into_owned().into_response();
            if let Ok(v) = HeaderValue::from_str(&mime) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            // Built file names carry a content hash.
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            r
        }
        None => ApiError::not_found().into_response(),
    }
}
