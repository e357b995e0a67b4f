//! `/auth/v1`: the GoTrue-compatible wire format of the built-in provider.
//! Handlers extract, call [`Provider`], and shape the answer; they decide nothing.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lowkey_core::{rfc3339, AuthError, LogoutScope, Session, User};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::{AuthApiError, GoJson, GoPath, GoQuery};
use crate::metrics::Metrics;
use crate::provider::{app_metadata, AdminUser, Caller, SignUp, Tokens};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/token", post(post_token))
        .route("/signup", post(post_signup))
        .route("/logout", post(post_logout))
        .route("/user", get(get_user).put(put_user))
        .route("/settings", get(get_settings))
        .route("/health", get(get_health))
        .route("/.well-known/jwks.json", get(get_jwks))
        .route(
            "/.well-known/openid-configuration",
            get(get_openid_configuration),
        )
        .route("/admin/users", get(list_users).post(create_user))
        .route(
            "/admin/users/{id}",
            get(get_admin_user)
                .put(update_admin_user)
                .delete(delete_admin_user),
        )
        .fallback(|| async { AuthApiError::NotFound })
        .method_not_allowed_fallback(|| async { AuthApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(super::error::api_version_layer))
        .layer(cors())
}

/// Browser apps on other origins call the provider with auth-js, as they call Supabase Auth:
/// any origin may, with bearer tokens in headers (no cookies, so no credentials mode).
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, Method};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("x-total-count"),
            HeaderName::from_static("x-supabase-api-version"),
            header::RETRY_AFTER,
        ])
        .max_age(std::time::Duration::from_secs(3600))
}

type AuthResult<T> = Result<T, AuthApiError>;

// ---- wire types ---------------------------------------------------------------------

/// GoTrue's user object.
fn user_json(u: &User, audience: &str) -> Value {
    let mut v = json!({
        "id": u.id,
        "aud": audience,
        "role": u.role,
        "email": u.email,
        "phone": u.phone,
        "app_metadata": app_metadata(u),
        "user_metadata": u.user_metadata,
        "identities": [],
        "created_at": rfc3339(u.created_at),
        "updated_at": rfc3339(u.updated_at),
        "is_anonymous": false,
    });
    if let Some(t) = u.email_confirmed_at {
        v["email_confirmed_at"] = json!(rfc3339(t));
        v["confirmed_at"] = json!(rfc3339(t));
    }
    if let Some(t) = u.last_sign_in_at {
        v["last_sign_in_at"] = json!(rfc3339(t));
    }
    if let Some(t) = u.banned_until {
        v["banned_until"] = json!(rfc3339(t));
    }
    v
}

/// Token answers must not be cached anywhere (RFC 6749 §5.1; GoTrue omits this).
fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn tokens_response(t: Tokens, audience: &str) -> Response {
    no_store(
        Json(json!({
            "access_token": t.access_token,
            "token_type": "bearer",
            "expires_in": t.expires_in,
            "expires_at": t.expires_at,
            "refresh_token": t.refresh_token.expose(),
            "user": user_json(&t.user, audience),
        }))
        .into_response(),
    )
}

// ---- extractors ---------------------------------------------------------------------

/// The bearer token of the `Authorization` header (scheme case-insensitive).
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = AuthApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthError::NoAuthorization)?;
        let (scheme, token) = value
            .trim()
            .split_once(' ')
            .ok_or(AuthError::NoAuthorization)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(AuthError::NoAuthorization.into());
        }
        Ok(Bearer(token.to_string()))
    }
}

async fn signed_in(
    state: &AppState,
    bearer: &Bearer,
) -> AuthResult<(Session, lowkey_core::jwt::AccessClaims)> {
    match state.provider.authenticate(&bearer.0).await? {
        Caller::User { claims, session } => Ok((session, claims)),
        // A service token has no user: GoTrue answers these endpoints with 403.
        Caller::Service => Err(AuthError::BadJwt("a service_role token has no user".into()).into()),
    }
}

async fn admin(state: &AppState, bearer: &Bearer) -> AuthResult<()> {
    match state.provider.authenticate(&bearer.0).await? {
        Caller::Service => Ok(()),
        Caller::User { .. } => Err(AuthError::NotAdmin.into()),
    }
}

fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if state.provider.config().trust_forwarded_for {
        if let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    peer.ip()
}

// ---- handlers -----------------------------------------------------------------------

#[derive(Deserialize)]
struct TokenQuery {
    grant_type: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenBody {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

async fn post_token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    GoQuery(q): GoQuery<TokenQuery>,
    GoJson(body): GoJson<TokenBody>,
) -> AuthResult<Response> {
    state.limiter.check(client_ip(&state, &headers, peer))?;
    let audience = &state.provider.config().audience;
    match q.grant_type.as_deref() {
        Some("password") => {
            let (email, password) = match (body.email, body.phone, body.password) {
                (Some(_), Some(_), _) => {
                    return Err(AuthError::Validation(
                        "Only an email address or phone number should be provided on login.".into(),
                    )
                    .into())
                }
                (None, Some(_), _) => {
                    return Err(AuthError::Validation(
                        "Phone sign-in is not enabled on this provider".into(),
                    )
                    .into())
                }
                (None, None, _) => {
                    return Err(AuthError::Validation(
                        "An email address or phone number is required".into(),
                    )
                    .into())
                }
                (Some(_), None, None) => {
                    return Err(AuthError::Validation("A password is required".into()).into())
                }
                (Some(e), None, Some(p)) => (e, p),
            };
            let result = state.provider.sign_in_password(&email, &password).await;
            let m = &state.metrics;
            Metrics::count(if result.is_ok() {
                &m.sign_in_success
            } else {
                &m.sign_in_failure
            });
            let tokens = result?;
            Ok(tokens_response(tokens, audience))
        }
        Some("refresh_token") => {
            let token = body.refresh_token.unwrap_or_default();
            let result = state.provider.refresh(&token).await;
            let m = &state.metrics;
            Metrics::count(if result.is_ok() {
                &m.refresh_success
            } else {
                &m.refresh_failure
            });
            let tokens = result?;
            Ok(tokens_response(tokens, audience))
        }
        Some(other) => Err(AuthError::Validation(format!(
            "unsupported_grant_type: {other:?} (use password or refresh_token)"
        ))
        .into()),
        None => Err(
            AuthError::Validation("unsupported_grant_type: grant_type is required".into()).into(),
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignupBody {
    email: Option<String>,
    password: Option<String>,
    data: Option<Value>,
}

async fn post_signup(
    State(state): State<AppState>,
    GoJson(body): GoJson<SignupBody>,
) -> AuthResult<Response> {
    let audience = &state.provider.config().audience;
    let (Some(email), Some(password)) = (body.email, body.password) else {
        if state.provider.config().disable_signup {
            return Err(AuthError::SignupDisabled.into());
        }
        return Err(
            AuthError::Validation("Signup requires a valid password and email".into()).into(),
        );
    };
    match state.provider.sign_up(&email, &password, body.data).await? {
        SignUp::Session(tokens) => Ok(tokens_response(tokens, audience)),
        SignUp::Unconfirmed(user) => Ok(no_store(Json(user_json(&user, audience)).into_response())),
    }
}

#[derive(Deserialize)]
struct LogoutQuery {
    scope: Option<String>,
}

async fn post_logout(
    State(state): State<AppState>,
    bearer: Bearer,
    GoQuery(q): GoQuery<LogoutQuery>,
) -> AuthResult<StatusCode> {
    let scope = LogoutScope::parse(q.scope.as_deref()).ok_or_else(|| {
        AuthError::Validation("Unsupported logout scope; use global, local or others".into())
    })?;
    let (session, _) = signed_in(&state, &bearer).await?;
    state.provider.logout(&session, scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_user(State(state): State<AppState>, bearer: Bearer) -> AuthResult<Response> {
    let (session, _) = signed_in(&state, &bearer).await?;
    let user = state.provider.user_of(&session).await?;
    Ok(no_store(
        Json(user_json(&user, &state.provider.config().audience)).into_response(),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateUserBody {
    password: Option<String>,
    data: Option<Value>,
    email: Option<String>,
    phone: Option<String>,
    app_metadata: Option<Value>,
}

async fn put_user(
    State(state): State<AppState>,
    bearer: Bearer,
    GoJson(body): GoJson<UpdateUserBody>,
) -> AuthResult<Response> {
    let (session, _) = signed_in(&state, &bearer).await?;
    if body.app_metadata.is_some() {
        return Err(AuthError::NotAdmin.into());
    }
    if body.email.is_some() || body.phone.is_some() {
        return Err(AuthError::Validation(
            "Changing the email address or phone number is not supported yet".into(),
        )
        .into());
    }
    let user = state
        .provider
        .update_self(&session, body.password, body.data)
        .await?;
    Ok(no_store(
        Json(user_json(&user, &state.provider.config().audience)).into_response(),
    ))
}

async fn get_settings(State(state): State<AppState>) -> Json<Value> {
    let cfg = state.provider.config();
    Json(json!({
        "external": { "email": true, "phone": false, "anonymous_users": false },
        "disable_signup": cfg.disable_signup,
        "mailer_autoconfirm": cfg.mailer_autoconfirm,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    }))
}

async fn get_health() -> Json<Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "name": "lowkey-auth",
        "description": "Lowkey's built-in identity provider, compatible with Supabase Auth (GoTrue)",
    }))
}

async fn get_jwks(State(state): State<AppState>) -> Response {
    let mut r = Json(state.provider.jwks().await).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=600"),
    );
    r
}

async fn get_openid_configuration(State(state): State<AppState>) -> Json<Value> {
    let iss = state.provider.issuer();
    let alg = state.provider.config().jwt_algorithm.to_ascii_uppercase();
    Json(json!({
        "issuer": iss,
        "jwks_uri": format!("{iss}/.well-known/jwks.json"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/user"),
        "grant_types_supported": ["password", "refresh_token"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg],
        "token_endpoint_auth_methods_supported": ["none"],
    }))
}

// ---- admin --------------------------------------------------------------------------

#[derive(Deserialize)]
struct Page {
    page: Option<String>,
    per_page: Option<String>,
}

async fn list_users(
    State(state): State<AppState>,
    bearer: Bearer,
    GoQuery(p): GoQuery<Page>,
) -> AuthResult<Response> {
    admin(&state, &bearer).await?;
    let parse =
        |v: Option<String>, default: i64, name: &str| -> Result<i64, AuthError> {
            match v {
                None => Ok(default),
                Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    AuthError::Validation(format!("{name} must be a positive integer"))
                }),
            }
        };
    let page = parse(p.page, 1, "page")?;
    let per_page = parse(p.per_page, 50, "per_page")?.min(1000);
    let (users, total) = state
        .provider
        .store()
        .list_users((page - 1).saturating_mul(per_page), per_page)
        .await
        .map_err(AuthError::internal)?;
    let audience = &state.provider.config().audience;
    let mut r = Json(json!({ "users": users.iter().map(|u| user_json(u, audience)).collect::<Vec<_>>(), "aud": audience })).into_response();
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        r.headers_mut().insert("x-total-count", v);
    }
    Ok(r)
}

async fn create_user(
    State(state): State<AppState>,
    bearer: Bearer,
    GoJson(body): GoJson<AdminUser>,
) -> AuthResult<Json<Value>> {
    admin(&state, &bearer).await?;
    let user = state.provider.admin_create_user(body).await?;
    Ok(Json(user_json(&user, &state.provider.config().audience)))
}

/// A user id from the path; a malformed one is simply a user that does not exist.
fn user_id(raw: &str) -> Result<Uuid, AuthError> {
    Uuid::parse_str(raw).map_err(|_| AuthError::UserNotFound)
}

async fn get_admin_user(
    State(state): State<AppState>,
    bearer: Bearer,
    GoPath(id): GoPath<String>,
) -> AuthResult<Json<Value>> {
    admin(&state, &bearer).await?;
    let user = state
        .provider
        .store()
        .user_by_id(user_id(&id)?)
        .await
        .map_err(AuthError::internal)?
        .ok_or(AuthError::UserNotFound)?;
    Ok(Json(user_json(&user, &state.provider.config().audience)))
}

async fn update_admin_user(
    State(state): State<AppState>,
    bearer: Bearer,
    GoPath(id): GoPath<String>,
    GoJson(body): GoJson<AdminUser>,
) -> AuthResult<Json<Value>> {
    admin(&state, &bearer).await?;
    let user = state
        .provider
        .admin_update_user(user_id(&id)?, body)
        .await?;
    Ok(Json(user_json(&user, &state.provider.config().audience)))
}

async fn delete_admin_user(
    State(state): State<AppState>,
    bearer: Bearer,
    GoPath(id): GoPath<String>,
) -> AuthResult<Json<Value>> {
    admin(&state, &bearer).await?;
    if !state
        .provider
        .store()
        .delete_user(user_id(&id)?)
        .await
        .map_err(AuthError::internal)?
    {
        return Err(AuthError::UserNotFound.into());
    }
    Ok(Json(json!({})))
}
