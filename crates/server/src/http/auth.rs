//! `/auth/v1`: the GoTrue-compatible wire format of the built-in provider.
//! Handlers extract (who is calling: [`SignedIn`], [`Admin`]), call
//! [`Provider`](crate::provider::Provider), and shape the answer; they decide nothing.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lowkey_core::{rfc3339, Secret, User};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{AuthApiError, GoJson, GoPath, GoQuery};
use super::extract::{Admin, SignedIn};
use crate::client_ip::ClientIp;
use crate::metrics::Metrics;
use crate::provider::{
    app_metadata, parse_user_id, AdminUser, GrantType, PasswordGrant, SelfUpdate, SignUp, Tokens,
};
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
    ClientIp(client): ClientIp,
    GoQuery(q): GoQuery<TokenQuery>,
    GoJson(body): GoJson<TokenBody>,
) -> AuthResult<Response> {
    state.limiter.admit(client).await?;
    let audience = &state.provider.config().audience;
    let m = &state.metrics;
    let tokens = match GrantType::parse(q.grant_type.as_deref())? {
        GrantType::Password => {
            let grant =
                PasswordGrant::parse(body.email, body.phone, body.password.map(Secret::new))?;
            let result = state.provider.sign_in_password(&grant).await;
            Metrics::count(if result.is_ok() {
                &m.sign_in_success
            } else {
                &m.sign_in_failure
            });
            result?
        }
        GrantType::RefreshToken => {
            let token = body.refresh_token.unwrap_or_default();
            let result = state.provider.refresh(&token).await;
            Metrics::count(if result.is_ok() {
                &m.refresh_success
            } else {
                &m.refresh_failure
            });
            result?
        }
    };
    Ok(tokens_response(tokens, audience))
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
    let password = body.password.map(Secret::new);
    match state
        .provider
        .sign_up(body.email.as_deref(), password.as_ref(), body.data)
        .await?
    {
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
    me: SignedIn,
    GoQuery(q): GoQuery<LogoutQuery>,
) -> AuthResult<StatusCode> {
    state
        .provider
        .logout(&me.session, q.scope.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_user(
    State(state): State<AppState>,
    SignedIn { session, .. }: SignedIn,
) -> AuthResult<Response> {
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
    me: SignedIn,
    GoJson(body): GoJson<UpdateUserBody>,
) -> AuthResult<Response> {
    let update = SelfUpdate {
        password: body.password.map(Secret::new),
        data: body.data,
        email: body.email,
        phone: body.phone,
        app_metadata: body.app_metadata,
    };
    let user = state.provider.update_self(&me.session, update).await?;
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
    _: Admin,
    GoQuery(p): GoQuery<Page>,
) -> AuthResult<Response> {
    let (users, total) = state
        .provider
        .admin_list_users(p.page.as_deref(), p.per_page.as_deref())
        .await?;
    let audience = &state.provider.config().audience;
    let mut r = Json(json!({ "users": users.iter().map(|u| user_json(u, audience)).collect::<Vec<_>>(), "aud": audience })).into_response();
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        r.headers_mut().insert("x-total-count", v);
    }
    Ok(r)
}

async fn create_user(
    State(state): State<AppState>,
    _: Admin,
    GoJson(body): GoJson<AdminUser>,
) -> AuthResult<Json<Value>> {
    let user = state.provider.admin_create_user(body).await?;
    Ok(Json(user_json(&user, &state.provider.config().audience)))
}

async fn get_admin_user(
    State(state): State<AppState>,
    _: Admin,
    GoPath(id): GoPath<String>,
) -> AuthResult<Json<Value>> {
    let user = state.provider.admin_user(parse_user_id(&id)?).await?;
    Ok(Json(user_json(&user, &state.provider.config().audience)))
}

async fn update_admin_user(
    State(state): State<AppState>,
    _: Admin,
    GoPath(id): GoPath<String>,
    GoJson(body): GoJson<AdminUser>,
) -> AuthResult<Json<Value>> {
    let user = state
        .provider
        .admin_update_user(parse_user_id(&id)?, body)
        .await?;
    Ok(Json(user_json(&user, &state.provider.config().audience)))
}

async fn delete_admin_user(
    State(state): State<AppState>,
    _: Admin,
    GoPath(id): GoPath<String>,
) -> AuthResult<Json<Value>> {
    state
        .provider
        .admin_delete_user(parse_user_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}
