//! The viewer's HTML shell for `/app/…`, the editor's for `/edit/…`, and their built assets,
//! embedded in the binary. Both pages get the same security headers (the edge adds them).

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
        .route("/app/{*rest}", get(app_page))
        .route("/edit", get(editor))
        .route("/edit/", get(editor))
        .route("/edit/{*rest}", get(editor))
        .route("/assets/{*file}", get(asset))
}

/// An app's page, or (`/app/<slug>/_auth/…`) its sign-in by redirect.
async fn app_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(answer) = super::redirect_signin::dispatch(&state, &uri, &headers).await {
        return answer;
    }
    index().await
}

async fn index() -> Response {
    shell(
        "index.html",
        "viewer_not_built",
        "The viewer was not built: run `npm run build` in web/ and rebuild lowkey.",
    )
}

/// The editor's page. Who may use it is decided by the Builder API it calls (401 until a
/// builder signs in): the page itself holds no data.
async fn editor() -> Response {
    shell(
        "edit.html",
        "editor_not_built",
        "The editor was not built: run `npm run build` in web/ and rebuild lowkey.",
    )
}

/// An HTML entry page of `web/dist`, never cached (its script names change with each build);
/// a clear 503 when the build lacks it.
fn shell(file: &str, code: &'static str, missing: &'static str) -> Response {
    match Assets::get(file) {
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
        None => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, missing).into_response(),
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
