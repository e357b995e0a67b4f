//! `/api/v1`: the platform API the viewer uses — published apps and query execution.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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
use crate::sessions::{self, Refreshed, SessionTokens};
use crate::state::AppState;
use lowkey_app::SessionRole;

/// The header that tells the viewer what a request did to its session (docs/api.md).
pub const SESSION_HEADER: &str = "x-lowkey-session";

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

pub(super) async fn published(
    state: &AppState,
    slug: &str,
) -> Result<std::sync::Arc<lowkey_app::App>, ApiError> {
    state
        .apps
        .get(state.store.as_ref(), slug)
        .await
        .map_err(ApiError::failure)?
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
        .map_err(ApiError::failure)?;
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
) -> Result<Response, ApiError> {
    let app = published(&state, &slug).await?;
    let visit = app_access::visit(&state, &app, &headers, client, true).await;
    let response = Json(lowkey_app::viewer_json_for(&app, &visit.caller)).into_response();
    let change = visit.ended.then_some(SessionChange::Ended);
    with_session(&state, &app.slug, response, change)
}

#[derive(Deserialize)]
pub(super) struct RunQueryRequest {
    #[serde(default)]
    params: Map<String, Value>,
}

/// What a run did to the caller's session (session mode): the answer says so in
/// `X-Lowkey-Session` and sets or clears the cookie.
enum SessionChange {
    Started(lowkey_core::Secret),
    Refreshed,
    Ended,
}

/// `response` with the session's change: the header, and the cookie set or cleared.
fn with_session(
    state: &AppState,
    slug: &str,
    mut response: Response,
    change: Option<SessionChange>,
) -> Result<Response, ApiError> {
    let Some(change) = change else {
        return Ok(response);
    };
    let (word, cookie) = match &change {
        SessionChange::Started(token) => (
            "started",
            Some(app_access::session_cookie(
                state,
                slug,
                Some(token.expose()),
            )?),
        ),
        SessionChange::Refreshed => ("refreshed", None),
        SessionChange::Ended => (
            "ended",
            Some(app_access::session_cookie(state, slug, None)?),
        ),
    };
    let h = response.headers_mut();
    h.insert(SESSION_HEADER, HeaderValue::from_static(word));
    if let Some(cookie) = cookie {
        h.append(header::SET_COOKIE, cookie);
    }
    // Answers that set a session must never be stored by a cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// 401 `not_signed_in` for a session query without a live session, clearing the cookie.
fn no_session(state: &AppState, slug: &str, name: &str) -> Result<Response, ApiError> {
    let e = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "not_signed_in",
        format!("The query {name} needs a session: sign in first"),
    );
    with_session(state, slug, e.into_response(), Some(SessionChange::Ended))
}

/// Runs a published query for a viewer; a protected one only for a caller its `access`
/// admits, checked before anything is sent upstream. In session mode the run uses the
/// caller's session, and the app's sign-in, refresh and sign-out queries start, refresh and
/// end it ([`crate::sessions`]).
async fn run_query(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath((slug, name)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RunQueryRequest>,
) -> Result<Response, ApiError> {
    let app = published(&state, &slug).await?;
    let Some(query) = app.query(&name) else {
        return run_app_query(&state, &app, &name, &body, client).await;
    };
    let protected = !matches!(query.access, lowkey_app::Access::Public);
    let session_mode = app
        .auth
        .as_ref()
        .is_some_and(|a| a.token == lowkey_app::TokenMode::Session);
    let session_auth = app.auth.as_ref().and_then(|a| a.session.as_ref());
    let visit = if protected || session_mode {
        app_access::visit(&state, &app, &headers, client, protected).await
    } else {
        app_access::Visit {
            caller: lowkey_app::Caller::Anonymous,
            session: None,
            ended: false,
        }
    };
    let ended = visit.ended.then_some(SessionChange::Ended);
    if protected {
        let what = format!("The query {name}");
        if let Err(e) = app_access::permit(&app, &what, &query.access, &visit.caller) {
            return with_session(&state, &app.slug, e.into_response(), ended);
        }
    }
    if !session_mode {
        return run_app_query(&state, &app, &name, &body, client).await;
    }
    let tokens = visit.session.as_ref().map(|s| &s.tokens);
    // Sign-in by redirect (`auth.oidc`) has no session queries: every query is an ordinary
    // run with the session's tokens.
    let role = session_auth.and_then(|_| app.session_role(&name));
    let (Some(auth), Some(role)) = (session_auth, role) else {
        let result = run_and_count(&state, &app, &name, &body, tokens, client).await;
        let response = match result {
            Ok(result) => answer_response(&state, &name, &result)?,
            Err(e) => ApiError::query_run(&name, e).into_response(),
        };
        return with_session(&state, &app.slug, response, ended);
    };
    match role {
        SessionRole::SignIn => {
            // A new sign-in never uses, and replaces, the session the browser had.
            let result = run_and_count(&state, &app, &name, &body, None, client)
                .await
                .map_err(|e| ApiError::query_run(&name, e))?;
            if !(200..300).contains(&result.status) {
                let none = SessionTokens::default();
                let answer = sessions::strip_answer(result, auth, &none);
                let response = answer_response(&state, &name, &answer)?;
                return with_session(&state, &app.slug, response, ended);
            }
            let taken = sessions::take_tokens(result, auth).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "session_not_started",
                    format!(
                        "Query {name}: the sign-in answer has no access token at `{}`, so no session was started",
                        auth.access_token
                    ),
                )
            })?;
            let (token, started) = state
                .sessions
                .start(&app.slug, &taken.tokens, taken.access_expires_at)
                .await
                .map_err(ApiError::failure)?;
            if let Some(old) = &visit.session {
                if let Err(e) = state.sessions.end(old).await {
                    tracing::warn!(error = %e, "ending the replaced session failed");
                }
            }
            tracing::info!(app = %app.slug, query = %name, generation = started.generation, "session started");
            let response = answer_response(&state, &name, &taken.answer)?;
            with_session(
                &state,
                &app.slug,
                response,
                Some(SessionChange::Started(token)),
            )
        }
        SessionRole::Refresh => {
            let Some(session) = &visit.session else {
                return no_session(&state, &app.slug, &name);
            };
            match state.sessions.refresh(&state, &app, session, client).await {
                Refreshed::Fresh(_, answer) => {
                    let response = answer_response(&state, &name, &answer)?;
                    with_session(&state, &app.slug, response, Some(SessionChange::Refreshed))
                }
                Refreshed::Ended(answer) => {
                    let response = answer_response(&state, &name, &answer)?;
                    with_session(&state, &app.slug, response, Some(SessionChange::Ended))
                }
                Refreshed::Gone => no_session(&state, &app.slug, &name),
                Refreshed::Failed(e) => Err(ApiError::query_run(&name, e)),
            }
        }
        SessionRole::SignOut => {
            let Some(session) = &visit.session else {
                return no_session(&state, &app.slug, &name);
            };
            let result =
                run_and_count(&state, &app, &name, &body, Some(&session.tokens), client).await;
            // Signed out here whatever the upstream said: the browser's session is over.
            state
                .sessions
                .end(session)
                .await
                .map_err(ApiError::failure)?;
            tracing::info!(app = %app.slug, query = %name, "session ended by sign-out");
            let response = match result {
                Ok(result) => {
                    let answer = sessions::strip_answer(result, auth, &session.tokens);
                    answer_response(&state, &name, &answer)?
                }
                Err(e) => ApiError::query_run(&name, e).into_response(),
            };
            with_session(&state, &app.slug, response, Some(SessionChange::Ended))
        }
    }
}

/// Runs query `name` of `app` with the browser's values and the session's tokens, counted.
async fn run_and_count(
    state: &AppState,
    app: &lowkey_app::App,
    name: &str,
    body: &RunQueryRequest,
    session: Option<&SessionTokens>,
    client: std::net::IpAddr,
) -> Result<QueryResult, RunError> {
    let query = app.query(name).ok_or_else(|| {
        RunError::Unreachable(format!("App {:?} has no query {name:?}", app.slug))
    })?;
    let result = state
        .queries
        .run(app, query, &body.params, session, client)
        .await;
    let m = &state.metrics;
    Metrics::count(if result.is_ok() {
        &m.query_success
    } else {
        &m.query_failure
    });
    // Debug, not info: one formatted line written to stderr per run was 7 % of a run's CPU.
    // `/metrics` counts runs; `LOWKEY_LOG=lowkey_server::http::app=debug` logs each.
    if let Ok(r) = &result {
        tracing::debug!(app = %app.slug, query = %name, status = r.status, duration_ms = r.duration_ms, "query run");
    }
    result
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
    if app.query(name).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "query_not_found",
            format!("App {slug:?} has no query {name:?}"),
        ));
    }
    let result = run_and_count(state, app, name, body, None, client)
        .await
        .map_err(|e| ApiError::query_run(name, e))?;
    answer_response(state, name, &result)
}

/// The run's answer as the browser gets it.
fn answer_response(
    state: &AppState,
    name: &str,
    result: &QueryResult,
) -> Result<Response, ApiError> {
    // JSON escaping can multiply a body (a control character becomes six bytes): the
    // answer is bounded as it is written, so the size limit bounds the memory a run holds.
    let limit = state.queries.max_answer_bytes();
    let mut out = Bounded {
        bytes: Vec::new(),
        limit,
    };
    if write_answer(&mut out, result).is_err() {
        return Err(ApiError::query_run(name, RunError::TooLarge(limit)));
    }
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
