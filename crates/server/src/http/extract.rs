//! Who is calling: the authentication extractors.
//!
//! A handler that needs a signed-in user takes [`SignedIn`]; one that needs the operator takes
//! [`Admin`]; one of the Builder API takes [`Builder`]. The check then happens before the
//! handler runs and cannot be forgotten. The rules themselves (which tokens count, live
//! sessions) are the provider's and the builders'; these only carry the request's bearer
//! token or cookie to them.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use lowkey_core::jwt::AccessClaims;
use lowkey_core::{AuthError, Session};

use lowkey_store::BuilderAccount;

use super::error::{ApiError, AuthApiError};
use crate::builder::COOKIE;
use crate::state::AppState;

/// The bearer token of the `Authorization` header (scheme case-insensitive). Missing or
/// another scheme: 401 `no_authorization`.
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

/// A user's access token whose session is still live. A `service_role` token is refused
/// (403 `bad_jwt`: it has no user), as are tokens of ended sessions (403
/// `session_not_found`).
pub struct SignedIn {
    pub session: Session,
    pub claims: AccessClaims,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AuthApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        let (session, claims) = state.provider.authenticate_user(&token).await?;
        Ok(SignedIn { session, claims })
    }
}

/// A `service_role` token: the admin API. A user's token is 403 `not_admin`.
pub struct Admin {
    _proof: (),
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AuthApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        state.provider.authenticate_admin(&token).await?;
        Ok(Admin { _proof: () })
    }
}

/// The value of the builder's session cookie, if the request carries one (every `Cookie`
/// header is read; the first cookie of that name wins).
pub fn builder_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// The value of the request's cookie `name`, if it sends one.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
}

/// A builder with a live session (the `lowkey_builder` cookie). Anything else — no cookie, an
/// expired, revoked or unknown session, a provider access token — is 401 `not_signed_in`.
pub struct Builder {
    pub account: BuilderAccount,
    /// The session's token, for sign-out.
    pub token: lowkey_core::Secret,
}

impl FromRequestParts<AppState> for Builder {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = builder_cookie(&parts.headers).ok_or_else(ApiError::not_signed_in)?;
        match state.builders.authenticate(&token).await {
            Ok(Some(account)) => Ok(Builder {
                account,
                token: lowkey_core::Secret::new(token),
            }),
            Ok(None) => Err(ApiError::not_signed_in()),
            Err(e) => Err(ApiError::auth(e)),
        }
    }
}
