//! Who calls a published app's API, and what they may use of it (docs/security.md, "Protected
//! apps"). The caller is read from `Authorization: Bearer <token>` and verified as the app's
//! `auth.verify` says; a page or query whose `access` the caller does not meet is refused by
//! the server — its definition is sent locked (a name, nothing else), its run answers 401
//! `not_signed_in` or 403 `forbidden` before any upstream request.
//!
//! **Invariant:** no token, nor any part of one, reaches a log line or an answer: decisions are
//! logged with the app, the page or query, the caller's user id (or "anonymous") and the reason.

use axum::http::{header, HeaderMap, StatusCode};
use std::net::IpAddr;

use lowkey_app::{Access, App, Caller, TokenMode, Verify};
use serde_json::Value;

use super::error::ApiError;
use crate::state::AppState;

/// The bearer token of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The verified caller of `app`'s API: a user when the request carries a token that the app's
/// verifier accepts, anonymous otherwise (no token, or one that is refused, which is logged).
pub(super) async fn caller(
    state: &AppState,
    app: &App,
    headers: &HeaderMap,
    client: IpAddr,
) -> Caller {
    let Some(auth) = &app.auth else {
        return Caller::Anonymous;
    };
    let Some(token) = bearer(headers) else {
        return Caller::Anonymous;
    };
    match &auth.verify {
        Verify::Builtin => match state.provider.authenticate_user(token).await {
            Ok((_session, claims)) => {
                let claims = serde_json::to_value(&claims).unwrap_or(Value::Null);
                Caller::from_claims(claims, auth.roles_claim())
            }
            Err(e) => {
                tracing::info!(app = %app.slug, reason = e.code(), "app token refused");
                Caller::Anonymous
            }
        },
        Verify::Jwks {
            jwks,
            issuer,
            audience,
        } => {
            let expect = crate::jwks::Expect {
                issuer,
                audience: audience.as_deref(),
                clock_skew_secs: u64::from(auth.clock_skew_secs),
            };
            match state.jwks.verify(jwks, token, &expect).await {
                Ok(claims) => Caller::from_claims(claims, auth.roles_claim()),
                Err(e) => {
                    tracing::info!(app = %app.slug, reason = e.code(), "app token refused");
                    Caller::Anonymous
                }
            }
        }
        Verify::Userinfo { userinfo } => {
            let TokenMode::Store(key) = &auth.token else {
                tracing::warn!(app = %app.slug, "userinfo verification needs the store mode's token key: the caller is anonymous");
                return Caller::Anonymous;
            };
            match state
                .userinfo
                .verify(&state.queries, app, userinfo, key, token, client)
                .await
            {
                Ok(claims) => Caller::from_claims(claims, auth.roles_claim()),
                Err(e) => {
                    tracing::info!(app = %app.slug, reason = e.code(), "app token refused");
                    Caller::Anonymous
                }
            }
        }
    }
}

/// Whether `caller` may use something of `access`: Ok, or the answer that refuses it.
pub(super) fn permit(
    app: &App,
    what: &str,
    access: &Access,
    caller: &Caller,
) -> Result<(), ApiError> {
    let who = caller.id().unwrap_or("anonymous");
    if access.allows(caller) {
        if !matches!(access, Access::Public) {
            tracing::info!(app = %app.slug, %what, caller = who, "allowed");
        }
        return Ok(());
    }
    if caller.id().is_none() {
        tracing::info!(app = %app.slug, %what, caller = who, "refused: not signed in");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            format!("{what} needs a signed-in user: sign in first"),
        ));
    }
    tracing::info!(app = %app.slug, %what, caller = who, "refused: a required role is missing");
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("{what} needs a role this user does not have"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_tokens_are_read_only_from_the_bearer_scheme() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc.def"),
        );
        assert_eq!(bearer(&h), Some("abc.def"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  xyz "),
        );
        assert_eq!(bearer(&h), Some("xyz"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcg=="),
        );
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }
}
