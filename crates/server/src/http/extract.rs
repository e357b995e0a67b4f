//! Who is calling: the authentication extractors.
//!
//! A handler that needs a signed-in user takes [`SignedIn`]; one that needs the operator takes
//! [`Admin`]. The check then happens before the handler runs and cannot be forgotten. The
//! rules themselves (which tokens count, live sessions) are the provider's; these only carry
//! the request's bearer token to it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use lowkey_core::jwt::AccessClaims;
use lowkey_core::{AuthError, Session};

use super::error::AuthApiError;
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
