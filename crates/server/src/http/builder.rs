//! `/api/v1/builder/session`: a builder signs in, sees who is signed in, signs out.
//!
//! The session is an HttpOnly cookie (`SameSite=Strict`, `Secure` behind an https
//! `external_url`): page scripts, including an app's JavaScript on the same origin, cannot read
//! it. Every state-changing request under `/api/v1/builder` and `/api/v1/edit` must carry this
//! server's `Origin` (the edge guard) and a JSON body ([`ApiJson`]): that is the CSRF defence.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use lowkey_core::Secret;
use lowkey_store::BuilderAccount;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{ApiError, ApiJson};
use super::extract::{builder_cookie, Builder};
use crate::builder::COOKIE;
use crate::client_ip::ClientIp;
use crate::config::Config;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/builder/session",
        post(sign_in).get(current).delete(sign_out),
    )
}

/// `{id, email, role}`: what the editor shows of a builder.
pub fn builder_json(b: &BuilderAccount) -> Value {
    json!({ "id": b.id.to_string(), "email": b.email, "role": b.role.as_str() })
}

/// The `Set-Cookie` value of a session cookie: `token` for `max_age` seconds (`None` and 0
/// clear it).
fn session_cookie(
    config: &Config,
    token: Option<&Secret>,
    max_age: i64,
) -> Result<HeaderValue, ApiError> {
    let secure = if config.is_https() { "; Secure" } else { "" };
    let value = token.map(Secret::expose).unwrap_or("");
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .map_err(|_| ApiError::internal("a session cookie is not a header value"))
}

/// Sign-in's body. No `Debug`: it holds a password.
#[derive(Deserialize)]
struct SignInRequest {
    email: String,
    password: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<SignInRequest>,
) -> Result<Response, ApiError> {
    // The per-IP bucket of `/token`: guesses here and there draw from one budget.
    state.limiter.admit(client).await.map_err(ApiError::auth)?;
    let session = state
        .builders
        .sign_in(&body.email, Secret::new(body.password))
        .await
        .map_err(ApiError::auth)?;
    let cookie = session_cookie(&state.config, Some(&session.token), session.max_age_secs)?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({ "builder": builder_json(&session.builder) })),
    )
        .into_response())
}

async fn current(builder: Builder) -> Json<Value> {
    Json(json!({ "builder": builder_json(&builder.account) }))
}

/// Ends the session of the request's cookie, if it has a live one, and clears the cookie:
/// signing out twice, or with an expired session, is still a sign-out.
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = builder_cookie(&headers) {
        state
            .builders
            .sign_out(&token)
            .await
            .map_err(ApiError::auth)?;
    }
    let cookie = session_cookie(&state.config, None, 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
