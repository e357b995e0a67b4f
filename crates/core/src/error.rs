//! The outcomes of authentication operations that are not success.
//!
//! One enum, one stable code per variant (GoTrue's `error_code` names, so clients written
//! for Supabase Auth understand them). The server is the only place that picks a status.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AuthError {
    #[error("{0}")]
    Validation(String),
    #[error("Invalid login credentials")]
    InvalidCredentials,
    #[error("Email not confirmed")]
    EmailNotConfirmed,
    #[error("User is banned")]
    UserBanned,
    #[error("User not found")]
    UserNotFound,
    #[error("User already registered")]
    UserAlreadyExists,
    #[error("A user with this email address has already been registered")]
    EmailExists,
    #[error("Signups not allowed for this instance")]
    SignupDisabled,
    #[error("{message}")]
    WeakPassword {
        message: String,
        reasons: Vec<&'static str>,
    },
    #[error("New password should be different from the old password.")]
    SamePassword,
    #[error("invalid JWT: unable to parse or verify signature, {0}")]
    BadJwt(String),
    #[error("This endpoint requires a valid Bearer token")]
    NoAuthorization,
    #[error("User not allowed")]
    NotAdmin,
    #[error("Session from session_id claim in JWT does not exist")]
    SessionNotFound,
    #[error("Invalid Refresh Token: Refresh Token Not Found")]
    RefreshTokenNotFound,
    #[error("Invalid Refresh Token: Already Used")]
    RefreshTokenAlreadyUsed,
    #[error("Too many failed sign-in attempts for this account. Try again in {retry_after_secs} seconds.")]
    AccountThrottled { retry_after_secs: u64 },
    #[error("Request rate limit reached")]
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached now; the same request may succeed later (HTTP 503 with
    /// `Retry-After`).
    #[error("The service is briefly unavailable; try again in a few seconds")]
    Unavailable,
    /// Anything that is not the client's fault. Its detail is logged, never returned.
    #[error("Unexpected failure")]
    Internal(String),
}

impl AuthError {
    /// GoTrue's `error_code` for this outcome.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Validation(_) => "validation_failed",
            AuthError::InvalidCredentials => "invalid_credentials",
            AuthError::EmailNotConfirmed => "email_not_confirmed",
            AuthError::UserBanned => "user_banned",
            AuthError::UserNotFound => "user_not_found",
            AuthError::UserAlreadyExists => "user_already_exists",
            AuthError::EmailExists => "email_exists",
            AuthError::SignupDisabled => "signup_disabled",
            AuthError::WeakPassword { .. } => "weak_password",
            AuthError::SamePassword => "same_password",
            AuthError::BadJwt(_) => "bad_jwt",
            AuthError::NoAuthorization => "no_authorization",
            AuthError::NotAdmin => "not_admin",
            AuthError::SessionNotFound => "session_not_found",
            AuthError::RefreshTokenNotFound => "refresh_token_not_found",
            AuthError::RefreshTokenAlreadyUsed => "refresh_token_already_used",
            AuthError::AccountThrottled { .. } | AuthError::RateLimited { .. } => {
                "over_request_rate_limit"
            }
            AuthError::Unavailable => "service_unavailable",
            AuthError::Internal(_) => "unexpected_failure",
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AuthError::Internal(e.to_string())
    }
}
