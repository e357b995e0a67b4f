//! The one place that turns outcomes into status codes and error bodies.
//!
//! Two families: the provider's GoTrue-compatible errors under `/auth/v1` ([`AuthApiError`])
//! and the platform's `{"error": {"code", "message"}}` under `/api/v1` ([`ApiError`]).
//! 5xx details are logged and never returned.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lowkey_core::AuthError;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::drafts::EditError;
use crate::query::RunError;
use lowkey_app::{Problem, SubstitutionError};

/// What a 503 for an unreachable database asks clients to wait, in seconds.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// What GoTrue's error middleware needs to re-render an error in the 2024-01-01 shape.
#[derive(Clone)]
struct ErrorInfo {
    code: &'static str,
    message: String,
    weak_reasons: Option<Vec<&'static str>>,
}

/// An error of the provider's API.
#[derive(Debug)]
pub enum AuthApiError {
    Auth(AuthError),
    BadJson(String),
    TooLarge,
    NotFound,
    MethodNotAllowed,
}

impl From<AuthError> for AuthApiError {
    fn from(e: AuthError) -> Self {
        AuthApiError::Auth(e)
    }
}

pub fn auth_status(e: &AuthError) -> StatusCode {
    match e {
        AuthError::Validation(_)
        | AuthError::InvalidCredentials
        | AuthError::EmailNotConfirmed
        | AuthError::UserBanned
        | AuthError::RefreshTokenNotFound
        | AuthError::RefreshTokenAlreadyUsed => StatusCode::BAD_REQUEST,
        AuthError::NoAuthorization => StatusCode::UNAUTHORIZED,
        AuthError::BadJwt(_) | AuthError::NotAdmin | AuthError::SessionNotFound => {
            StatusCode::FORBIDDEN
        }
        AuthError::UserNotFound => StatusCode::NOT_FOUND,
        AuthError::UserAlreadyExists
        | AuthError::EmailExists
        | AuthError::SignupDisabled
        | AuthError::WeakPassword { .. }
        | AuthError::SamePassword => StatusCode::UNPROCESSABLE_ENTITY,
        AuthError::AccountThrottled { .. } | AuthError::RateLimited { .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        AuthError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for AuthApiError {
    fn into_response(self) -> Response {
        let (status, info, retry_after) = match self {
            AuthApiError::Auth(e) => {
                if let AuthError::Internal(detail) = &e {
                    tracing::error!(%detail, "provider request failed");
                }
                let retry = match &e {
                    AuthError::AccountThrottled { retry_after_secs }
                    | AuthError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                    AuthError::Unavailable => Some(UNAVAILABLE_RETRY_SECS),
                    _ => None,
                };
                let weak = match &e {
                    AuthError::WeakPassword { reasons, .. } => Some(reasons.clone()),
                    _ => None,
                };
                (
                    auth_status(&e),
                    ErrorInfo {
                        code: e.code(),
                        message: e.to_string(),
                        weak_reasons: weak,
                    },
                    retry,
                )
            }
            AuthApiError::BadJson(msg) => (
                StatusCode::BAD_REQUEST,
                ErrorInfo {
                    code: "bad_json",
                    message: format!("Could not parse request body as JSON: {msg}"),
                    weak_reasons: None,
                },
                None,
            ),
            AuthApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorInfo {
                    code: "request_entity_too_large",
                    message: "Request body too large (at most 1 MiB)".into(),
                    weak_reasons: None,
                },
                None,
            ),
            AuthApiError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorInfo {
                    code: "not_found",
                    message: "Not found".into(),
                    weak_reasons: None,
                },
                None,
            ),
            AuthApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorInfo {
                    code: "method_not_allowed",
                    message: "Method not allowed".into(),
                    weak_reasons: None,
                },
                None,
            ),
        };
        let mut body =
            json!({ "code": status.as_u16(), "error_code": info.code, "msg": info.message });
        if let Some(reasons) = &info.weak_reasons {
            body["weak_password"] = json!({ "reasons": reasons });
        }
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response.extensions_mut().insert(info);
        response
    }
}

pub const API_VERSION_HEADER: &str = "x-supabase-api-version";
const API_VERSION_2024: &str = "2024-01-01";

/// GoTrue's error shapes: requests carrying `X-Supabase-Api-Version: 2024-01-01` get
/// `{code: "<error_code>", message}` and the header echoed; others the legacy shape.
pub async fn api_version_layer(request: Request, next: Next) -> Response {
    let wants_2024 = request
        .headers()
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == API_VERSION_2024);
    let mut response = next.run(request).await;
    if !wants_2024 {
        return response;
    }
    response.headers_mut().insert(
        API_VERSION_HEADER,
        HeaderValue::from_static(API_VERSION_2024),
    );
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    let mut body = json!({ "code": info.code, "message": info.message });
    if let Some(reasons) = &info.weak_reasons {
        body["weak_password"] = json!({ "reasons": reasons });
    }
    let mut rewritten = (response.status(), Json(body)).into_response();
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

/// Reads a request body within the router's limit: `Err(None)` when it is over the limit,
/// `Err(Some(reason))` when it cannot be read.
async fn read_body<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, Option<String>> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                None
            } else {
                Some(e.body_text())
            }
        })
}

/// A JSON body with GoTrue's errors: `bad_json` (400) and `request_entity_too_large` (413).
/// An empty body reads as `{}`; unknown fields are ignored, as GoTrue does.
pub struct GoJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for GoJson<T> {
    type Rejection = AuthApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state)
            .await
            .map_err(|e| e.map_or(AuthApiError::TooLarge, AuthApiError::BadJson))?;
        let bytes: &[u8] = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes)
            .map(GoJson)
            .map_err(|e| AuthApiError::BadJson(e.to_string()))
    }
}

/// An error of the platform API (`/api/v1`) and of the rest of the server outside
/// `/auth/v1`: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
    /// Further top-level members of the body beside `error` (a conflict's current draft, the
    /// problems that stop a publish).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            extra: serde_json::Map::new(),
        }
    }
    /// Adds a top-level member to the error's body.
    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }
    /// 401 `not_signed_in`: the Builder API without a live builder session.
    pub fn not_signed_in() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "Sign in as a builder at /edit first",
        )
    }
    /// A builder's sign-in or account operation that did not succeed, with the provider's
    /// codes (`invalid_credentials`, `over_request_rate_limit` with `Retry-After`, …) in the
    /// platform's error shape.
    pub fn auth(e: AuthError) -> Self {
        if let AuthError::Internal(detail) = &e {
            return Self::internal(detail);
        }
        let retry = match &e {
            AuthError::AccountThrottled { retry_after_secs }
            | AuthError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AuthError::Unavailable => Some(UNAVAILABLE_RETRY_SECS),
            _ => None,
        };
        let error = Self::new(auth_status(&e), e.code(), e.to_string());
        match retry {
            Some(secs) => error.retry_after(secs),
            None => error,
        }
    }
    /// An operation of the Builder API on a draft that did not happen.
    pub fn edit(e: EditError) -> Self {
        match e {
            EditError::NotFound(slug) => Self::new(
                StatusCode::NOT_FOUND,
                "app_not_found",
                format!("No app with slug {slug:?}"),
            ),
            EditError::VersionNotFound(v) => Self::new(
                StatusCode::NOT_FOUND,
                "version_not_found",
                format!("This app has no published version {v}"),
            ),
            EditError::Exists(slug) => Self::new(
                StatusCode::CONFLICT,
                "app_exists",
                format!("There is already an app with slug {slug:?}"),
            ),
            EditError::InvalidName(msg) => {
                Self::new(StatusCode::BAD_REQUEST, "validation_failed", msg)
            }
            EditError::InvalidDraft(msg) => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_draft",
                format!("The draft is not an app of this format: {msg}"),
            ),
            EditError::Conflict(current) => {
                let app = serde_json::from_str::<serde_json::Value>(&current.draft)
                    .unwrap_or(serde_json::Value::Null);
                Self::new(
                    StatusCode::CONFLICT,
                    "revision_conflict",
                    format!(
                        "The draft was changed meanwhile (it is at revision {}): nothing was written",
                        current.revision
                    ),
                )
                .with("revision", json!(current.revision))
                .with("app", app)
            }
            EditError::Invalid(problems) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_app",
                format!("The draft has {} problem(s) to fix first", problems.len()),
            )
            .with("problems", problems_json(&problems)),
            EditError::Unavailable => Self::unavailable(),
            EditError::Internal(detail) => Self::internal(detail),
        }
    }
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such page or endpoint",
        )
    }
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This endpoint does not take that method",
        )
    }
    /// A query run's failure, named after the query.
    pub fn query_run(query: &str, e: RunError) -> Self {
        let msg = format!("Query {query}: {e}");
        match e {
            RunError::Render(SubstitutionError::MissingValue { .. }) => {
                Self::new(StatusCode::BAD_REQUEST, "missing_param", msg)
            }
            RunError::Render(SubstitutionError::NoSession { .. }) => {
                Self::new(StatusCode::UNAUTHORIZED, "not_signed_in", msg)
            }
            RunError::Render(SubstitutionError::UnknownSecret { .. }) => {
                // The server's configuration is incomplete: say which secret, never a value.
                tracing::error!(%msg, "query needs a secret that is not configured");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "secret_not_configured",
                    msg,
                )
            }
            RunError::Render(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", msg)
            }
            RunError::AddressRefused(_) => Self::new(StatusCode::FORBIDDEN, "address_refused", msg),
            RunError::Unreachable(_) => {
                Self::new(StatusCode::BAD_GATEWAY, "upstream_unreachable", msg)
            }
            RunError::TooLarge(_) => Self::new(StatusCode::BAD_GATEWAY, "response_too_large", msg),
            RunError::Timeout(_) => Self::new(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", msg),
            RunError::RedirectRefused(_) => {
                Self::new(StatusCode::BAD_GATEWAY, "redirect_refused", msg)
            }
            RunError::ServerBusy => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "server_busy", msg).retry_after(1)
            }
            RunError::ClientBusy => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_runs", msg).retry_after(1)
            }
        }
    }
    /// 503 `service_unavailable` with `Retry-After`: the database cannot be reached now.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is briefly unavailable; try again in a few seconds",
        )
        .retry_after(UNAVAILABLE_RETRY_SECS)
    }
    /// A failure of the server's own: 503 when it is the database being out of reach (it may
    /// answer again), else 500 with the detail logged, never returned.
    pub fn failure(e: anyhow::Error) -> Self {
        let retryable = e
            .chain()
            .filter_map(|c| c.downcast_ref::<lowkey_store::StoreError>())
            .any(lowkey_store::StoreError::is_retryable);
        if retryable {
            tracing::warn!(error = %e, "database unavailable");
            return Self::unavailable();
        }
        Self::internal(e)
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "platform request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_failure",
            "Unexpected failure",
        )
    }
}

/// Problems of a draft as the Builder API reports them: `{message, file, line, column}` and,
/// when the problem is inside one, `page`, `widget` and `property`.
pub fn problems_json(problems: &[Problem]) -> serde_json::Value {
    problems
        .iter()
        .map(|p| {
            let d = &p.diagnostic;
            let mut o = json!({
                "message": d.message,
                "file": d.file,
                "line": d.line,
                "column": d.column,
            });
            let at = &p.location;
            for (key, value) in [
                ("page", &at.page),
                ("widget", &at.widget),
                ("property", &at.property),
            ] {
                if let Some(v) = value {
                    o[key] = json!(v);
                }
            }
            o
        })
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert(
            "error".into(),
            json!({ "code": self.code, "message": self.message }),
        );
        body.extend(self.extra);
        let mut response = (self.status, Json(serde_json::Value::Object(body))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// True for `application/json` and `application/<something>+json`, any parameters.
pub fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

/// The platform API's JSON body extractor: 415 `unsupported_media_type` unless the body is
/// declared `application/json` (a cross-site form or `text/plain` fetch cannot declare it
/// without a CORS preflight, which this API refuses: that is the CSRF defence), 400
/// `bad_json`, 413 `request_entity_too_large`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the request body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = read_body(req, state).await.map_err(|e| match e {
            None => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_entity_too_large",
                "Request body too large (at most 1 MiB)",
            ),
            Some(reason) => ApiError::new(StatusCode::BAD_REQUEST, "bad_json", reason),
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("Could not parse request body as JSON: {e}"),
            )
        })
    }
}

/// A query string with GoTrue's error (400 `validation_failed`, JSON) instead of axum's text.
pub struct GoQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for GoQuery<T> {
    type Rejection = AuthApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| GoQuery(v))
            .map_err(|e| AuthError::Validation(e.body_text()).into())
    }
}

/// A path parameter whose rejection (invalid percent-encoding, bad UTF-8) is a JSON 400.
pub struct GoPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for GoPath<T> {
    type Rejection = AuthApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| GoPath(v))
            .map_err(|e| AuthError::Validation(e.body_text()).into())
    }
}

/// The platform API's path extractor: rejections are JSON 400 `validation_failed`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation_failed", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_503_with_retry_after_and_anything_else_500() {
        let down = anyhow::Error::from(lowkey_store::StoreError::Unavailable("refused".into()))
            .context("reading the app");
        let r = ApiError::failure(down).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            r.headers().get(axum::http::header::RETRY_AFTER).unwrap(),
            &UNAVAILABLE_RETRY_SECS.to_string()
        );
        let broken = anyhow::Error::from(lowkey_store::StoreError::Backend("bad sql".into()));
        let r = ApiError::failure(broken).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let r = AuthApiError::Auth(AuthError::Unavailable).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key(axum::http::header::RETRY_AFTER));
    }
}
