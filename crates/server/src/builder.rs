//! Builders: the people who edit apps at `/edit` (`lowkey admin add`).
//!
//! A builder is a platform account, not a user of the built-in provider: an app's end users
//! (who sign in to the apps) never edit, and a provider access token never opens the editor.
//! Sign-in reuses the provider's parts: the password policy and Argon2id hasher (one pool of
//! hashing permits for both), the per-account throttle (its own key space, `BUILDER:<email>`)
//! and, at the HTTP edge, the per-IP bucket of `/token`. A session is a random 256-bit token
//! in an HttpOnly cookie, stored only as its SHA-256 digest (a leaked database signs no one
//! in), with an absolute lifetime; sign-out and `lowkey admin revoke` delete it.

use std::sync::Arc;

use lowkey_core::password::{self, Hasher};
use lowkey_core::user::Throttle;
use lowkey_core::{now_millis, refresh, AuthError, Email, Secret};
use lowkey_store::{BuilderAccount, BuilderRole, Store, StoreError};
use tracing::info;

use crate::provider::admit_attempt;

/// The cookie that carries a builder's session token.
pub const COOKIE: &str = "lowkey_builder";

pub struct Builders {
    store: Arc<dyn Store>,
    hasher: Hasher,
    throttle: Throttle,
    lifetime_secs: i64,
}

/// A session just opened: its token goes into the cookie, once.
pub struct NewSession {
    pub builder: BuilderAccount,
    pub token: Secret,
    pub max_age_secs: i64,
}

fn store_err(e: StoreError) -> AuthError {
    if e.is_retryable() {
        return AuthError::Unavailable;
    }
    AuthError::Internal(e.to_string())
}

/// The throttle's key of a builder's address: apart from the provider's users, so failures
/// at one sign-in never lock the other. The provider's keys are lower-cased, so none can
/// start with this upper-case prefix, whatever a client sends as its "email".
fn throttle_key(email: &str) -> String {
    format!("BUILDER:{}", email.trim().to_lowercase())
}

impl Builders {
    pub fn new(
        store: Arc<dyn Store>,
        hasher: Hasher,
        throttle: Throttle,
        lifetime_secs: i64,
    ) -> Self {
        Self {
            store,
            hasher,
            throttle,
            lifetime_secs,
        }
    }

    /// Signs a builder in. Like the provider's password grant: the attempt is admitted and
    /// counted by the throttle in one store step before the hash, an unknown address is
    /// verified against the dummy hash (same answer, same time), and only a right password
    /// clears the count.
    pub async fn sign_in(&self, email: &str, password: Secret) -> Result<NewSession, AuthError> {
        let now = now_millis();
        let key = throttle_key(email);
        admit_attempt(self.store.as_ref(), &key, now, self.throttle).await?;
        let builder = match Email::parse(email) {
            Ok(e) => self
                .store
                .builder_by_email(e.as_str())
                .await
                .map_err(store_err)?,
            Err(_) => None,
        };
        let phc = builder
            .as_ref()
            .map(|b| b.password_hash.expose().to_string());
        let ok = self.hasher.verify(password, phc).await?;
        let builder = match (ok, builder) {
            (true, Some(b)) => b,
            _ => {
                info!(outcome = "invalid_credentials", "builder sign-in failed");
                return Err(AuthError::InvalidCredentials);
            }
        };
        self.store
            .clear_login_failures(&key)
            .await
            .map_err(store_err)?;
        let (token, digest) = refresh::generate()?;
        let expires_at = now.saturating_add(self.lifetime_secs.saturating_mul(1000));
        self.store
            .create_builder_session(builder.id, &digest, now, expires_at)
            .await
            .map_err(store_err)?;
        info!(builder_id = %builder.id, outcome = "success", "builder sign-in");
        Ok(NewSession {
            builder,
            token,
            max_age_secs: self.lifetime_secs,
        })
    }

    /// The builder of a live session token; `None` for anything else (unknown, expired,
    /// revoked, malformed).
    pub async fn authenticate(&self, token: &str) -> Result<Option<BuilderAccount>, AuthError> {
        if !refresh::is_well_formed(token) {
            return Ok(None);
        }
        self.store
            .builder_session(&refresh::digest(token), now_millis())
            .await
            .map_err(store_err)
    }

    /// Ends the session of this token (sign-out).
    pub async fn sign_out(&self, token: &str) -> Result<(), AuthError> {
        if refresh::is_well_formed(token) {
            self.store
                .end_builder_session(&refresh::digest(token))
                .await
                .map_err(store_err)?;
        }
        Ok(())
    }

    /// `lowkey admin add`: the provider's password policy and hasher.
    pub async fn add(
        &self,
        email: &str,
        password: Secret,
        role: BuilderRole,
    ) -> Result<BuilderAccount, AuthError> {
        let email = Email::parse(email)?;
        password::check_strength(password.expose())?;
        let hash = self.hasher.hash(password).await?;
        match self
            .store
            .create_builder(email.as_str(), &hash, role, now_millis())
            .await
        {
            Ok(b) => {
                info!(builder_id = %b.id, role = role.as_str(), "builder added");
                Ok(b)
            }
            Err(StoreError::Conflict(_)) => Err(AuthError::EmailExists),
            Err(e) => Err(store_err(e)),
        }
    }

    pub async fn find(&self, email: &str) -> Result<Option<BuilderAccount>, AuthError> {
        let email = Email::parse(email)?;
        self.store
            .builder_by_email(email.as_str())
            .await
            .map_err(store_err)
    }

    pub async fn list(&self) -> Result<Vec<BuilderAccount>, AuthError> {
        self.store.list_builders().await.map_err(store_err)
    }

    /// Removes a builder and their sessions.
    pub async fn remove(&self, builder: &BuilderAccount) -> Result<(), AuthError> {
        self.store
            .delete_builder(builder.id)
            .await
            .map_err(store_err)?;
        info!(builder_id = %builder.id, "builder removed");
        Ok(())
    }

    /// Ends every session of a builder (`lowkey admin revoke`); how many there were.
    pub async fn revoke(&self, builder: &BuilderAccount) -> Result<u64, AuthError> {
        let ended = self
            .store
            .end_builder_sessions(builder.id)
            .await
            .map_err(store_err)?;
        info!(builder_id = %builder.id, ended, "builder sessions revoked");
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_throttle_keys_are_apart_from_user_keys_and_normalised() {
        assert_eq!(throttle_key(" Ann@Example.com "), "BUILDER:ann@example.com");
        // What the provider would key "BUILDER:ann@example.com" under.
        assert_ne!(
            "BUILDER:ann@example.com".trim().to_lowercase(),
            throttle_key("ann@example.com")
        );
    }
}
