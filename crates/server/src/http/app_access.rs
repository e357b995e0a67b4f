//! Who calls a published app's API, and what they may use of it (docs/security.md, "Protected
//! apps"). The caller is read from `Authorization: Bearer <token>` (store mode) or the session
//! cookie (session mode, [`crate::sessions`]) and verified as the app's `auth.verify` says; a page or query whose `access` the caller does not meet is refused by
//! the server — its definition is sent locked (a name, nothing else), its run answers 401
//! `not_signed_in` or 403 `forbidden` before any upstream request.
//!
//! **Invariant:** no token, nor any part of one, reaches a log line or an answer: decisions are
//! logged with the app, the page or query, the caller's user id (or "anonymous") and the reason.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use std::net::IpAddr;

use lowkey_app::{Access, App, Caller, TokenMode, Verify};
use lowkey_core::now_millis;
use serde_json::Value;

use super::error::ApiError;
use super::extract::cookie;
use crate::sessions::{LiveSession, Refreshed, SessionTokens};
use crate::state::AppState;
use crate::userinfo::TokenCarrier;

/// The bearer token of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The cookie of session mode's sessions (`Path=/api/v1/apps/<slug>`: each app its own).
pub(super) const SESSION_COOKIE: &str = "lowkey_app_session";

/// Who calls `app`'s API, and with which session (session mode).
pub(super) struct Visit {
    pub caller: Caller,
    pub session: Option<LiveSession>,
    /// The request's cookie named no live session (signed out, expired, refresh refused): the
    /// answer clears it and says `X-Lowkey-Session: ended`.
    pub ended: bool,
}

impl Visit {
    fn anonymous(ended: bool) -> Visit {
        Visit {
            caller: Caller::Anonymous,
            session: None,
            ended,
        }
    }
}

/// The caller of `app`'s API and its session: in store mode a user when the request carries
/// a bearer token that the app's verifier accepts; in session mode the session of its cookie
/// (refreshed first when its access token is about to expire), whose access token is verified
/// the same way. Anonymous otherwise (a refused token is logged). `verify` false skips the
/// verification (the caller is then anonymous): a run of a public query needs only the session.
pub(super) async fn visit(
    state: &AppState,
    app: &App,
    headers: &HeaderMap,
    client: IpAddr,
    verify: bool,
) -> Visit {
    let Some(auth) = &app.auth else {
        return Visit::anonymous(false);
    };
    if auth.token != TokenMode::Session {
        let caller = match bearer(headers) {
            Some(token) if verify => verified(state, app, token, None, client).await,
            _ => Caller::Anonymous,
        };
        return Visit {
            caller,
            session: None,
            ended: false,
        };
    }
    let Some(cookie) = cookie(headers, SESSION_COOKIE) else {
        return Visit::anonymous(false);
    };
    let mut session = match state.sessions.find(&app.slug, &cookie).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            tracing::info!(app = %app.slug, "no live session for the cookie: anonymous");
            return Visit::anonymous(true);
        }
        Err(e) => {
            tracing::error!(app = %app.slug, error = %e, "reading a session failed: anonymous");
            return Visit::anonymous(false);
        }
    };
    let declares_refresh =
        auth.oidc.is_some() || auth.session.as_ref().is_some_and(|s| s.refresh.is_some());
    if declares_refresh && session.due(now_millis()) {
        match state.sessions.refresh(state, app, &session, client).await {
            Refreshed::Fresh(fresh, _) => session = fresh,
            Refreshed::Ended(_) | Refreshed::Gone => return Visit::anonymous(true),
            Refreshed::Failed(e) => {
                tracing::warn!(app = %app.slug, error = %e, "refreshing a session failed: its tokens are used as they are");
            }
        }
    }
    let caller = if !verify {
        Caller::Anonymous
    } else if auth.oidc.is_some() {
        // Signed in by redirect: the ID token was verified at the callback (and at every
        // refresh that brought one); the session holds its claims.
        match &session.tokens.claims {
            Some(claims) => Caller::from_claims(claims.clone(), auth.roles_claim()),
            None => Caller::Anonymous,
        }
    } else {
        let tokens = session.tokens.clone();
        verified(state, app, &tokens.access, Some(&tokens), client).await
    };
    Visit {
        caller,
        session: Some(session),
        ended: false,
    }
}

/// The user of `token` if `app`'s verifier accepts it; anonymous (logged) otherwise.
/// `session` is the session holding it (session mode), for a userinfo query.
async fn verified(
    state: &AppState,
    app: &App,
    token: &str,
    session: Option<&SessionTokens>,
    client: IpAddr,
) -> Caller {
    let Some(auth) = &app.auth else {
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
            let carrier = match (&auth.token, session) {
                (TokenMode::Store(key), _) => TokenCarrier::Store(key),
                (TokenMode::Session, Some(tokens)) => TokenCarrier::Session(tokens),
                (TokenMode::Session, None) => return Caller::Anonymous,
            };
            match state
                .userinfo
                .verify(&state.queries, app, userinfo, carrier, token, client)
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

/// The `Set-Cookie` value of an app's session cookie: `token` for the session's lifetime, or
/// (`None`) the cookie cleared.
pub(super) fn session_cookie(
    state: &AppState,
    slug: &str,
    token: Option<&str>,
) -> Result<HeaderValue, ApiError> {
    session_cookie_at(state, &format!("/api/v1/apps/{slug}"), token)
}

/// The session cookie for the path `path` (the app's API; sign-in by redirect also sets it for
/// `/app/<slug>/_auth`, where sign-out reads it).
pub(super) fn session_cookie_at(
    state: &AppState,
    path: &str,
    token: Option<&str>,
) -> Result<HeaderValue, ApiError> {
    match token {
        Some(t) => cookie_at(
            state,
            SESSION_COOKIE,
            t,
            path,
            crate::sessions::SESSION_LIFETIME_SECS,
        ),
        None => cookie_at(state, SESSION_COOKIE, "", path, 0),
    }
}

/// `Set-Cookie` for the cookie `name` at `path`: HttpOnly, `SameSite=Lax`, `Secure` over https,
/// `max_age` seconds (0 clears it).
pub(super) fn cookie_at(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> Result<HeaderValue, ApiError> {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path={path}; Max-Age={max_age}{secure}"
    ))
    .map_err(|_| ApiError::internal("a cookie is not a header value"))
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
