//! `/app/<slug>/_auth/{login,callback,logout}`: sign-in by redirect for apps with `auth.oidc`
//! (docs/api.md, "Sign-in by redirect"; the provider side is [`crate::oidc`]).
//!
//! The pending sign-in (state, nonce, PKCE verifier, the page to go back to) travels in a
//! cookie sealed with the server's session key, `HttpOnly`, `SameSite=Lax`, scoped to
//! `/app/<slug>/_auth` and valid ten minutes: no table, and any instance sharing the key can
//! finish a sign-in another one began. The tokens end in a session mode session; the browser
//! gets its cookie, never a token. Every failure returns to the app with `?auth_error=<code>`,
//! never an error page of the server.

use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lowkey_app::App;
use lowkey_core::now_millis;
use serde::{Deserialize, Serialize};

use super::app_access::{cookie_at, session_cookie_at, SESSION_COOKIE};
use super::error::ApiError;
use super::extract::cookie;
use crate::oidc::{self, OidcError};
use crate::sessions::SessionTokens;
use crate::state::AppState;

const PENDING_COOKIE: &str = "lowkey_oidc_login";
const PENDING_PURPOSE: &str = "oidc-login";
/// How long a sign-in at the provider may take.
const PENDING_SECS: i64 = 600;

/// The answer to `/app/<slug>/_auth/{login,callback,logout}`; `None` for any other path (an
/// app's page). Called by the viewer's route, whose catch-all the router cannot split.
pub(super) async fn dispatch(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    let rest = uri.path().strip_prefix("/app/")?;
    let (slug, action) = rest.split_once("/_auth/")?;
    if slug.is_empty() || slug.contains('/') {
        return None;
    }
    // A query string that does not parse is an empty one: every parameter is optional.
    let answer = match action {
        "login" => {
            let params = Query::<LoginParams>::try_from_uri(uri)
                .map_or_else(|_| LoginParams::default(), |q| q.0);
            login(state, slug, params, headers).await
        }
        "callback" => {
            let params = Query::<CallbackParams>::try_from_uri(uri)
                .map_or_else(|_| CallbackParams::default(), |q| q.0);
            callback(state, slug, params, headers).await
        }
        "logout" => logout(state, slug, headers).await,
        _ => Err(ApiError::not_found()),
    };
    Some(answer.unwrap_or_else(IntoResponse::into_response))
}

/// What the browser carries between the login redirect and the callback, sealed.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: Option<String>,
    redirect_uri: String,
    expires_at: i64,
}

#[derive(Default, Deserialize)]
struct LoginParams {
    next: Option<String>,
}

#[derive(Default, Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn published_oidc_app(state: &AppState, slug: &str) -> Result<std::sync::Arc<App>, ApiError> {
    let app = super::app::published(state, slug).await?;
    if app.auth.as_ref().and_then(|a| a.oidc.as_ref()).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("The app {slug:?} does not sign in by redirect (auth.oidc)"),
        ));
    }
    Ok(app)
}

/// This server's origin as the browser reached it: the scheme of `external_url` (https makes
/// cookies `Secure`) and the request's `Host`, which the edge has checked against the hosts
/// this server answers to.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.config.is_https() {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| state.local_addr.to_string());
    format!("{scheme}://{host}")
}

fn redirect(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(to) {
        h.insert(header::LOCATION, v);
    }
    for c in cookies {
        h.append(header::SET_COOKIE, c);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page `next` names, if the app has one by that name.
fn page_slug(app: &App, next: Option<&str>) -> Option<String> {
    next.and_then(|n| app.page(n)).map(|p| p.slug())
}

/// Back to the app after a sign-in that did not happen: its login page (else its home) with
/// `?auth_error=<code>`.
fn failed(app: &App, code: &str, clear: Vec<HeaderValue>) -> Response {
    tracing::info!(app = %app.slug, reason = code, "sign-in by redirect did not complete");
    let login = app
        .auth
        .as_ref()
        .and_then(|a| a.login_page.as_deref())
        .and_then(|name| app.page(name))
        .map(|p| format!("/{}", p.slug()))
        .unwrap_or_default();
    let to = format!("/app/{}{login}?auth_error={code}", app.slug);
    redirect(&to, clear)
}

/// `GET /app/<slug>/_auth/login?next=<Page>`: to the provider's authorization endpoint.
async fn login(
    state: &AppState,
    slug: &str,
    params: LoginParams,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let app = published_oidc_app(state, slug).await?;
    let Some(config) = app.auth.as_ref().and_then(|a| a.oidc.as_ref()) else {
        return Err(ApiError::not_found());
    };
    let d = match state.oidc.discover(state.jwks.http(), &config.issuer).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(app = %slug, error = %e, "the provider's discovery document could not be read");
            return Ok(failed(&app, e.code(), Vec::new()));
        }
    };
    let (verifier, challenge) = oidc::pkce().map_err(ApiError::internal)?;
    let pending = Pending {
        state: oidc::random_token().map_err(ApiError::internal)?,
        nonce: oidc::random_token().map_err(ApiError::internal)?,
        verifier,
        next: params.next.filter(|n| app.page(n).is_some()),
        redirect_uri: format!("{}/app/{slug}/_auth/callback", origin(state, headers)),
        expires_at: now_millis() + PENDING_SECS * 1000,
    };
    let json = serde_json::to_vec(&pending).map_err(ApiError::internal)?;
    let sealed = state
        .sessions
        .seal_for_browser(PENDING_PURPOSE, slug, &json)
        .map_err(ApiError::internal)?;
    let mut url = url::Url::parse(&d.authorization_endpoint).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "provider_error",
            "The provider's authorization endpoint is not a URL",
        )
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &pending.redirect_uri)
        .append_pair("scope", &config.scopes.join(" "))
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    for (key, value) in config.authorization_params.iter() {
        url.query_pairs_mut().append_pair(key, value);
    }
    let cookie = cookie_at(
        state,
        PENDING_COOKIE,
        &sealed,
        &format!("/app/{slug}/_auth"),
        PENDING_SECS,
    )?;
    tracing::info!(app = %slug, "sign-in by redirect: to the provider");
    Ok(redirect(url.as_str(), vec![cookie]))
}

/// `GET /app/<slug>/_auth/callback?code&state`: the provider sends the browser back.
async fn callback(
    state: &AppState,
    slug: &str,
    params: CallbackParams,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let app = published_oidc_app(state, slug).await?;
    let Some(auth) = app.auth.as_ref() else {
        return Err(ApiError::not_found());
    };
    let Some(config) = auth.oidc.as_ref() else {
        return Err(ApiError::not_found());
    };
    let clear_pending = vec![cookie_at(
        state,
        PENDING_COOKIE,
        "",
        &format!("/app/{slug}/_auth"),
        0,
    )?];
    let pending: Option<Pending> = cookie(headers, PENDING_COOKIE)
        .and_then(|c| state.sessions.open_from_browser(PENDING_PURPOSE, slug, &c))
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(pending) = pending.filter(|p| p.expires_at > now_millis()) else {
        return Ok(failed(&app, "invalid_state", clear_pending));
    };
    if params.state.as_deref() != Some(pending.state.as_str()) {
        return Ok(failed(&app, "invalid_state", clear_pending));
    }
    if let Some(error) = &params.error {
        // The provider's own code (access_denied when the user cancelled), kept to its letters.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Ok(failed(&app, &code, clear_pending));
    }
    let Some(code) = params.code.as_deref() else {
        return Ok(failed(&app, "invalid_request", clear_pending));
    };
    let http = state.jwks.http();
    let finish = async {
        let client = oidc::client_of(state, config)?;
        let d = state.oidc.discover(http, &config.issuer).await?;
        let answer = state
            .oidc
            .exchange(
                http,
                &d,
                &client,
                code,
                &pending.verifier,
                &pending.redirect_uri,
            )
            .await?;
        let id_token = answer
            .id_token
            .clone()
            .ok_or_else(|| OidcError::BadAnswer("the token answer has no id_token".into()))?;
        let claims = oidc::validate_id_token(
            &state.jwks,
            &d,
            &config.client_id,
            &id_token,
            Some(&pending.nonce),
            u64::from(auth.clock_skew_secs),
        )
        .await?;
        let info = match state.oidc.userinfo(http, &d, &answer.access_token).await {
            Ok(info) => info,
            Err(e) => {
                tracing::info!(app = %slug, error = %e, "userinfo could not be read: the ID token's claims are used");
                None
            }
        };
        Ok::<_, OidcError>((answer, oidc::merge_claims(claims, info)))
    };
    let (answer, claims) = match finish.await {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(app = %slug, reason = e.code(), error = %e, "sign-in by redirect failed");
            return Ok(failed(&app, e.code(), clear_pending));
        }
    };
    let expires_at = answer.expires_at();
    let subject = claims
        .get("sub")
        .and_then(|s| s.as_str())
        .unwrap_or("?")
        .to_owned();
    let tokens = SessionTokens {
        access: answer.access_token,
        refresh: answer.refresh_token,
        id_token: answer.id_token,
        claims: Some(claims),
    };
    let (token, _) = state
        .sessions
        .start(slug, &tokens, expires_at)
        .await
        .map_err(ApiError::failure)?;
    tracing::info!(app = %slug, caller = %subject, "signed in by redirect: session started");
    let mut cookies = clear_pending;
    cookies.push(session_cookie_at(
        state,
        &format!("/api/v1/apps/{slug}"),
        Some(token.expose()),
    )?);
    cookies.push(session_cookie_at(
        state,
        &format!("/app/{slug}/_auth"),
        Some(token.expose()),
    )?);
    let to = match page_slug(&app, pending.next.as_deref()) {
        Some(page) => format!("/app/{slug}/{page}"),
        None => format!("/app/{slug}"),
    };
    Ok(redirect(&to, cookies))
}

/// `GET|POST /app/<slug>/_auth/logout`: revoke, end the session, end the provider's session.
async fn logout(state: &AppState, slug: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let app = published_oidc_app(state, slug).await?;
    let Some(config) = app.auth.as_ref().and_then(|a| a.oidc.as_ref()) else {
        return Err(ApiError::not_found());
    };
    let home = format!("/app/{slug}");
    // Another site's page cannot sign the user out by sending the browser here.
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    if !matches!(site, "same-origin" | "none") {
        tracing::info!(app = %slug, %site, "a sign-out from another site was ignored");
        return Ok(redirect(&home, Vec::new()));
    }
    let clear = vec![
        session_cookie_at(state, &format!("/api/v1/apps/{slug}"), None)?,
        session_cookie_at(state, &format!("/app/{slug}/_auth"), None)?,
    ];
    let session = match cookie(headers, SESSION_COOKIE) {
        Some(c) => state
            .sessions
            .find(slug, &c)
            .await
            .map_err(ApiError::failure)?,
        None => None,
    };
    let http = state.jwks.http();
    let d = state.oidc.discover(http, &config.issuer).await.ok();
    if let Some(session) = &session {
        if let (Some(d), Some(refresh)) = (&d, session.tokens.refresh.as_deref()) {
            match oidc::client_of(state, config) {
                Ok(client) => {
                    if let Err(e) = state
                        .oidc
                        .revoke(http, d, &client, refresh, "refresh_token")
                        .await
                    {
                        tracing::warn!(app = %slug, error = %e, "revoking the refresh token failed");
                    }
                }
                Err(e) => tracing::warn!(app = %slug, error = %e, "no client to revoke with"),
            }
        }
        state
            .sessions
            .end(session)
            .await
            .map_err(ApiError::failure)?;
        tracing::info!(app = %slug, "signed out by redirect: session ended");
    }
    // The provider's session too, where it offers RP-initiated logout.
    let to = match d.as_ref().and_then(|d| d.end_session_endpoint.as_deref()) {
        Some(end) if session.is_some() => match url::Url::parse(end) {
            Ok(mut url) => {
                if config.logout_id_token_hint {
                    if let Some(hint) = session.as_ref().and_then(|s| s.tokens.id_token.as_deref())
                    {
                        url.query_pairs_mut().append_pair("id_token_hint", hint);
                    }
                }
                url.query_pairs_mut()
                    .append_pair("client_id", &config.client_id)
                    .append_pair(
                        "post_logout_redirect_uri",
                        &format!("{}{home}", origin(state, headers)),
                    );
                url.to_string()
            }
            Err(_) => home,
        },
        _ => home,
    };
    Ok(redirect(&to, clear))
}
