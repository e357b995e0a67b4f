//! The built-in identity provider: GoTrue's operations over the domain and the store.
//!
//! Handlers in `http/auth.rs` parse the wire format and call these methods; everything that
//! decides an outcome lives here or in `lowkey-core`.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use lowkey_core::jwt::{AccessClaims, Amr, KeyMaterial, KeyRing};
use lowkey_core::password::{self, Hasher};
use lowkey_core::user::{LoginGate, Throttle};
use lowkey_core::{
    now_millis, refresh, AuthError, Email, LogoutScope, Millis, Secret, Session, User,
};
use lowkey_store::{NewUser, RefreshOutcome, Store, StoreError};
use tracing::{info, warn};
use uuid::Uuid;

use crate::config::ProviderConfig;

/// A freshly issued session answer.
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    pub expires_at: i64,
    pub refresh_token: Secret,
    pub user: User,
}

/// Who a verified bearer token belongs to. Lives for one request: the size difference
/// between variants is irrelevant, a box would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Caller {
    User {
        claims: AccessClaims,
        session: Session,
    },
    /// A `service_role` token: admin rights, no session.
    Service,
}

pub struct Provider {
    store: Arc<dyn Store>,
    hasher: Hasher,
    keys: RwLock<Arc<KeyRing>>,
    last_key_reload: Mutex<Instant>,
    cfg: ProviderConfig,
    issuer: String,
}

fn store_err(e: StoreError) -> AuthError {
    if e.is_retryable() {
        return AuthError::Unavailable;
    }
    AuthError::Internal(e.to_string())
}

impl Provider {
    /// Loads the signing keys, creating the first one when there is none.
    pub async fn new(
        store: Arc<dyn Store>,
        cfg: ProviderConfig,
        issuer: String,
    ) -> anyhow::Result<Self> {
        let ring = ensure_keys(store.as_ref(), &cfg).await?;
        let permits = cfg.max_concurrent_hashes.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let hasher = Hasher::new(cfg.hash_params(), permits)?;
        Ok(Self {
            store,
            hasher,
            keys: RwLock::new(Arc::new(ring)),
            last_key_reload: Mutex::new(Instant::now()),
            cfg,
            issuer,
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.cfg
    }

    /// The password hasher: builders' passwords share its policy, parameters and permits.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// For the operator's command line (`lowkey user …`), which reads users directly.
    /// Handlers do not use it: every request goes through a method below.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn ring(&self) -> Arc<KeyRing> {
        self.keys
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Re-reads the keys from the store (a `lowkey keys rotate` run by another process), at
    /// most once a second so unknown-`kid` garbage cannot turn into database load.
    async fn reload_keys(&self) -> Result<(), AuthError> {
        {
            let mut last = self.last_key_reload.lock().map_err(AuthError::internal)?;
            if last.elapsed() < Duration::from_secs(1) {
                return Ok(());
            }
            *last = Instant::now();
        }
        let material = self.store.signing_keys().await.map_err(store_err)?;
        let ring = KeyRing::load(&material, now_millis(), self.cfg.jwt_exp)?;
        if let Ok(mut w) = self.keys.write() {
            *w = Arc::new(ring);
        }
        Ok(())
    }

    /// Picks up signing keys added elsewhere (`lowkey keys rotate`, or another instance on the
    /// same database): called every few seconds by the server, so a rotation on one instance
    /// signs and verifies on every other within seconds.
    pub async fn refresh_keys(&self) {
        if let Err(e) = self.reload_keys().await {
            warn!(error = %e, "reloading signing keys failed");
        }
    }

    pub async fn jwks(&self) -> serde_json::Value {
        // Picks up keys rotated by the CLI without a restart.
        if let Err(e) = self.reload_keys().await {
            warn!(error = %e, "reloading signing keys failed");
        }
        self.ring().jwks()
    }

    /// Mints a `service_role` token for the admin API (CLI: `lowkey keys service-token`).
    pub fn service_token(&self, ttl_secs: i64) -> Result<String, AuthError> {
        let now = now_millis() / 1000;
        self.ring().sign(&AccessClaims {
            iss: self.issuer.clone(),
            aud: self.cfg.audience.clone(),
            exp: now + ttl_secs,
            iat: now,
            sub: "service_role".into(),
            email: String::new(),
            phone: String::new(),
            app_metadata: serde_json::json!({}),
            user_metadata: serde_json::json!({}),
            role: "service_role".into(),
            aal: String::new(),
            amr: vec![],
            session_id: String::new(),
            is_anonymous: false,
        })
    }

    // ---- password grant -------------------------------------------------------------

    /// `POST /token?grant_type=password`. Every path that reaches the password hashes once
    /// (a dummy hash for unknown users) and counts as a failure until the password proves
    /// right, and the answer for "no such user" and "wrong password" is the same; bans and
    /// unconfirmed e-mails are told only to someone who knows the password.
    pub async fn sign_in_password(&self, grant: &PasswordGrant) -> Result<Tokens, AuthError> {
        let now = now_millis();
        let key = grant.email.trim().to_lowercase();
        let locked_until =
            admit_attempt(self.store.as_ref(), &key, now, self.cfg.throttle()).await?;
        let user = match Email::parse(&grant.email) {
            Ok(e) => self
                .store
                .user_by_email(e.as_str())
                .await
                .map_err(store_err)?,
            Err(_) => None,
        };
        let phc = user
            .as_ref()
            .and_then(|u| u.password_hash.as_ref().map(|h| h.expose().to_string()));
        let ok = self.hasher.verify(grant.password.clone(), phc).await?;
        let user = match (ok, user) {
            (true, Some(user)) => user,
            _ => {
                // Already counted by the gate.
                info!(
                    outcome = "invalid_credentials",
                    delayed_ms = locked_until - now,
                    "password sign-in failed"
                );
                return Err(AuthError::InvalidCredentials);
            }
        };
        self.store
            .clear_login_failures(&key)
            .await
            .map_err(store_err)?;
        if user.is_banned(now) {
            info!(user_id = %user.id, outcome = "user_banned", "password sign-in refused");
            return Err(AuthError::UserBanned);
        }
        if user.email_confirmed_at.is_none() {
            return Err(AuthError::EmailNotConfirmed);
        }
        let tokens = self.start_session(user, now).await?;
        info!(user_id = %tokens.user.id, outcome = "success", "password sign-in");
        Ok(tokens)
    }

    /// Opens a session for a user whose password was just verified (or who just signed up).
    async fn start_session(&self, user: User, now: Millis) -> Result<Tokens, AuthError> {
        let (refresh_token, digest) = refresh::generate()?;
        let session = self
            .store
            .create_session(user.id, &digest, now)
            .await
            .map_err(store_err)?;
        let user = User {
            last_sign_in_at: Some(now),
            ..user
        };
        self.tokens(user, &session, refresh_token, now)
    }

    fn tokens(
        &self,
        user: User,
        session: &Session,
        refresh_token: Secret,
        now: Millis,
    ) -> Result<Tokens, AuthError> {
        let iat = now / 1000;
        let exp = iat + self.cfg.jwt_exp;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.cfg.audience.clone(),
            exp,
            iat,
            sub: user.id.to_string(),
            email: user.email.clone(),
            phone: user.phone.clone(),
            app_metadata: app_metadata(&user),
            user_metadata: user.user_metadata.clone(),
            role: user.role.clone(),
            aal: "aal1".into(),
            amr: vec![Amr {
                method: "password".into(),
                timestamp: session.authenticated_at / 1000,
            }],
            session_id: session.id.to_string(),
            is_anonymous: false,
        };
        let access_token = self.ring().sign(&claims)?;
        Ok(Tokens {
            access_token,
            expires_in: self.cfg.jwt_exp,
            expires_at: exp,
            refresh_token,
            user,
        })
    }

    // ---- refresh --------------------------------------------------------------------

    pub async fn refresh(&self, presented: &str) -> Result<Tokens, AuthError> {
        if !refresh::is_well_formed(presented) {
            return Err(AuthError::Validation("Refresh token is not valid".into()));
        }
        let now = now_millis();
        let (new_token, new_digest) = refresh::generate()?;
        let outcome = self
            .store
            .refresh(
                &refresh::digest(presented),
                &new_digest,
                now,
                self.cfg.refresh_reuse_interval * 1000,
            )
            .await
            .map_err(store_err)?;
        match outcome {
            RefreshOutcome::Rotated { session, user } => {
                if user.is_banned(now) {
                    self.store
                        .end_sessions(user.id, LogoutScope::Global, None)
                        .await
                        .map_err(store_err)?;
                    return Err(AuthError::UserBanned);
                }
                self.tokens(*user, &session, new_token, now)
            }
            RefreshOutcome::NotFound => Err(AuthError::RefreshTokenNotFound),
            RefreshOutcome::AlreadyUsed => {
                warn!(
                    outcome = "refresh_token_already_used",
                    "refresh token reuse: session revoked"
                );
                Err(AuthError::RefreshTokenAlreadyUsed)
            }
        }
    }

    // ---- bearer tokens --------------------------------------------------------------

    /// Verifies a bearer token and, for user tokens, that its session still exists — so on
    /// the provider's own endpoints a token dies at logout.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AuthError> {
        let claims = match self.ring().verify(token, &self.issuer, &self.cfg.audience) {
            Ok(c) => c,
            Err(AuthError::BadJwt(msg)) if msg.contains("unknown signing key") => {
                self.reload_keys().await?;
                self.ring()
                    .verify(token, &self.issuer, &self.cfg.audience)?
            }
            Err(e) => return Err(e),
        };
        if claims.role == "service_role" && claims.session_id.is_empty() {
            return Ok(Caller::Service);
        }
        let session_id =
            Uuid::parse_str(&claims.session_id).map_err(|_| AuthError::SessionNotFound)?;
        let session = self
            .store
            .session(session_id)
            .await
            .map_err(store_err)?
            .ok_or(AuthError::SessionNotFound)?;
        if session.user_id.to_string() != claims.sub {
            return Err(AuthError::SessionNotFound);
        }
        Ok(Caller::User { claims, session })
    }

    /// A user's token with a live session. A `service_role` token has no user: GoTrue
    /// answers the user endpoints with 403 `bad_jwt` for it.
    pub async fn authenticate_user(
        &self,
        token: &str,
    ) -> Result<(Session, AccessClaims), AuthError> {
        match self.authenticate(token).await? {
            Caller::User { claims, session } => Ok((session, claims)),
            Caller::Service => Err(AuthError::BadJwt("a service_role token has no user".into())),
        }
    }

    /// A `service_role` token; a user's token is `not_admin`.
    pub async fn authenticate_admin(&self, token: &str) -> Result<(), AuthError> {
        match self.authenticate(token).await? {
            Caller::Service => Ok(()),
            Caller::User { .. } => Err(AuthError::NotAdmin),
        }
    }

    pub async fn user_of(&self, session: &Session) -> Result<User, AuthError> {
        self.store
            .user_by_id(session.user_id)
            .await
            .map_err(store_err)?
            .ok_or(AuthError::UserNotFound)
    }

    /// `POST /logout?scope=global|local|others` (GoTrue's default: global).
    pub async fn logout(&self, session: &Session, scope: Option<&str>) -> Result<(), AuthError> {
        let scope = LogoutScope::parse(scope).ok_or_else(|| {
            AuthError::Validation("Unsupported logout scope; use global, local or others".into())
        })?;
        let ended = self
            .store
            .end_sessions(session.user_id, scope, Some(session.id))
            .await
            .map_err(store_err)?;
        info!(user_id = %session.user_id, ?scope, ended, "logout");
        Ok(())
    }

    /// `PUT /user`: a new password (policy-checked, not the same as the old one; ends the
    /// user's other sessions) and/or `data` merged into `user_metadata`. `app_metadata` is
    /// the operator's (403 `not_admin`, as GoTrue); e-mail and phone changes need a
    /// confirmation flow this provider does not have yet.
    pub async fn update_self(&self, session: &Session, req: SelfUpdate) -> Result<User, AuthError> {
        if req.app_metadata.is_some() {
            return Err(AuthError::NotAdmin);
        }
        if req.email.is_some() || req.phone.is_some() {
            return Err(AuthError::Validation(
                "Changing the email address or phone number is not supported yet".into(),
            ));
        }
        let mut user = self.user_of(session).await?;
        if let Some(data) = req.data {
            merge_metadata(&mut user.user_metadata, data)?;
        }
        let password_changed = req.password.is_some();
        if let Some(new) = req.password {
            password::check_strength(new.expose())?;
            let old = user.password_hash.as_ref().map(|h| h.expose().to_string());
            if old.is_some() && self.hasher.verify(new.clone(), old).await? {
                return Err(AuthError::SamePassword);
            }
            user.password_hash = Some(Secret::new(self.hasher.hash(new).await?));
        }
        let now = now_millis();
        self.store
            .update_user(&user, now)
            .await
            .map_err(store_err)?;
        if password_changed {
            self.store
                .end_sessions(user.id, LogoutScope::Others, Some(session.id))
                .await
                .map_err(store_err)?;
            info!(user_id = %user.id, "password changed; other sessions ended");
        }
        user.updated_at = now;
        Ok(user)
    }

    // ---- sign-up and admin ----------------------------------------------------------

    /// `POST /signup`. With autoconfirm, a new user gets a session at once. A disabled
    /// sign-up says so before anything else, as GoTrue does.
    pub async fn sign_up(
        &self,
        email: Option<&str>,
        password: Option<&Secret>,
        data: Option<serde_json::Value>,
    ) -> Result<SignUp, AuthError> {
        if self.cfg.disable_signup {
            return Err(AuthError::SignupDisabled);
        }
        let (Some(email), Some(password)) = (email, password) else {
            return Err(AuthError::Validation(
                "Signup requires a valid password and email".into(),
            ));
        };
        let email = Email::parse(email)?;
        password::check_strength(password.expose())?;
        let mut metadata = serde_json::json!({});
        if let Some(d) = data {
            merge_metadata(&mut metadata, d)?;
        }
        let hash = self.hasher.hash(password.clone()).await?;
        let now = now_millis();
        let confirmed = self.cfg.mailer_autoconfirm.then_some(now);
        let new = NewUser {
            email: email.as_str().to_string(),
            password_hash: Some(hash),
            role: "authenticated".into(),
            email_confirmed_at: confirmed,
            app_metadata: serde_json::json!({}),
            user_metadata: metadata.clone(),
        };
        match self.store.create_user(new, now).await {
            Ok(user) if self.cfg.mailer_autoconfirm => {
                Ok(SignUp::Session(self.start_session(user, now).await?))
            }
            Ok(user) => Ok(SignUp::Unconfirmed(user)),
            Err(StoreError::Conflict(_)) if self.cfg.mailer_autoconfirm => {
                Err(AuthError::UserAlreadyExists)
            }
            // Without autoconfirm GoTrue answers as if the sign-up had worked, with a made-up
            // user, so sign-up does not reveal who is registered.
            Err(StoreError::Conflict(_)) => Ok(SignUp::Unconfirmed(User {
                id: Uuid::new_v4(),
                email: email.as_str().to_string(),
                phone: String::new(),
                password_hash: None,
                role: "authenticated".into(),
                email_confirmed_at: None,
                banned_until: None,
                last_sign_in_at: None,
                app_metadata: serde_json::json!({}),
                user_metadata: metadata,
                created_at: now,
                updated_at: now,
            })),
            Err(e) => Err(store_err(e)),
        }
    }

    /// `GET /admin/users?page=&per_page=`: a page of users (GoTrue's defaults: page 1, 50 per
    /// page, at most 1000) and the total count.
    pub async fn admin_list_users(
        &self,
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Result<(Vec<User>, i64), AuthError> {
        let (offset, limit) = page_window(page, per_page)?;
        self.store
            .list_users(offset, limit)
            .await
            .map_err(store_err)
    }

    pub async fn admin_user(&self, id: Uuid) -> Result<User, AuthError> {
        self.store
            .user_by_id(id)
            .await
            .map_err(store_err)?
            .ok_or(AuthError::UserNotFound)
    }

    /// Deletes a user with their sessions.
    pub async fn admin_delete_user(&self, id: Uuid) -> Result<(), AuthError> {
        if !self.store.delete_user(id).await.map_err(store_err)? {
            return Err(AuthError::UserNotFound);
        }
        info!(user_id = %id, "user deleted");
        Ok(())
    }

    /// Creates a user as an operator or through the admin API.
    pub async fn admin_create_user(&self, req: AdminUser) -> Result<User, AuthError> {
        let email = Email::parse(req.email.as_deref().unwrap_or(""))?;
        let hash = match req.password {
            Some(p) => {
                password::check_strength(&p)?;
                Some(self.hasher.hash(Secret::new(p)).await?)
            }
            None => None,
        };
        let now = now_millis();
        let mut user_metadata = serde_json::json!({});
        if let Some(d) = req.user_metadata {
            merge_metadata(&mut user_metadata, d)?;
        }
        let mut app_meta = serde_json::json!({});
        if let Some(d) = req.app_metadata {
            merge_metadata(&mut app_meta, d)?;
        }
        let new = NewUser {
            email: email.as_str().to_string(),
            password_hash: hash,
            role: req.role.unwrap_or_else(|| "authenticated".into()),
            email_confirmed_at: req.email_confirm.unwrap_or(false).then_some(now),
            app_metadata: app_meta,
            user_metadata,
        };
        let mut user = match self.store.create_user(new, now).await {
            Ok(u) => u,
            Err(StoreError::Conflict(_)) => return Err(AuthError::EmailExists),
            Err(e) => return Err(store_err(e)),
        };
        if let Some(ban) = req.ban_duration {
            user.banned_until = parse_ban(&ban, now)?;
            self.store
                .update_user(&user, now)
                .await
                .map_err(store_err)?;
        }
        info!(user_id = %user.id, "user created");
        Ok(user)
    }

    pub async fn admin_update_user(&self, id: Uuid, req: AdminUser) -> Result<User, AuthError> {
        let mut user = self
            .store
            .user_by_id(id)
            .await
            .map_err(store_err)?
            .ok_or(AuthError::UserNotFound)?;
        let now = now_millis();
        if let Some(email) = req.email {
            user.email = Email::parse(&email)?.as_str().to_string();
        }
        let mut password_changed = false;
        if let Some(p) = req.password {
            password::check_strength(&p)?;
            user.password_hash = Some(Secret::new(self.hasher.hash(Secret::new(p)).await?));
            password_changed = true;
        }
        if let Some(confirm) = req.email_confirm {
            user.email_confirmed_at = if confirm {
                user.email_confirmed_at.or(Some(now))
            } else {
                None
            };
        }
        if let Some(d) = req.user_metadata {
            merge_metadata(&mut user.user_metadata, d)?;
        }
        if let Some(d) = req.app_metadata {
            merge_metadata(&mut user.app_metadata, d)?;
        }
        if let Some(role) = req.role {
            user.role = role;
        }
        let mut banned = false;
        if let Some(ban) = req.ban_duration {
            user.banned_until = parse_ban(&ban, now)?;
            banned = user.is_banned(now);
        }
        match self.store.update_user(&user, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(AuthError::EmailExists),
            Err(e) => return Err(store_err(e)),
        }
        // A ban or an operator's password reset ends every session (ASVS 7.4).
        if banned || password_changed {
            self.store
                .end_sessions(user.id, LogoutScope::Global, None)
                .await
                .map_err(store_err)?;
        }
        user.updated_at = now;
        Ok(user)
    }
}

/// The per-account throttle's gate before a password is checked, for the provider's sign-in
/// and the builders': check and count are one atomic store step, before the hash, so N
/// parallel guesses get no more tries than N sequential ones (see `Throttle::admit`). A locked
/// key is `AccountThrottled` with the wait; otherwise when the key's lock (if this attempt
/// fails) ends.
pub async fn admit_attempt(
    store: &dyn Store,
    key: &str,
    now: Millis,
    throttle: Throttle,
) -> Result<Millis, AuthError> {
    match store
        .admit_login_attempt(key, now, throttle)
        .await
        .map_err(store_err)?
    {
        LoginGate::Locked { until } => Err(AuthError::AccountThrottled {
            retry_after_secs: (until.saturating_sub(now).max(0) as u64).div_ceil(1000),
        }),
        LoginGate::Admitted { locked_until, .. } => Ok(locked_until),
    }
}

/// Result of a sign-up.
pub enum SignUp {
    Session(Tokens),
    Unconfirmed(User),
}

/// The grants of `POST /token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    Password,
    RefreshToken,
}

impl GrantType {
    /// The `grant_type` query parameter. The error never repeats the value: anything can be
    /// put there (an app's query can even put a secret there), and errors reach browsers.
    pub fn parse(value: Option<&str>) -> Result<Self, AuthError> {
        match value {
            Some("password") => Ok(Self::Password),
            Some("refresh_token") => Ok(Self::RefreshToken),
            Some(_) => Err(AuthError::Validation(
                "unsupported_grant_type: this grant type is not supported (use password or refresh_token)"
                    .into(),
            )),
            None => Err(AuthError::Validation(
                "unsupported_grant_type: grant_type is required (use password or refresh_token)"
                    .into(),
            )),
        }
    }
}

/// The credentials of a password grant, once the combination of fields is one this provider
/// signs in with (GoTrue's messages for the others).
#[derive(Debug)]
pub struct PasswordGrant {
    pub email: String,
    pub password: Secret,
}

impl PasswordGrant {
    pub fn parse(
        email: Option<String>,
        phone: Option<String>,
        password: Option<Secret>,
    ) -> Result<Self, AuthError> {
        match (email, phone, password) {
            (Some(_), Some(_), _) => Err(AuthError::Validation(
                "Only an email address or phone number should be provided on login.".into(),
            )),
            (None, Some(_), _) => Err(AuthError::Validation(
                "Phone sign-in is not enabled on this provider".into(),
            )),
            (None, None, _) => Err(AuthError::Validation(
                "An email address or phone number is required".into(),
            )),
            (Some(_), None, None) => Err(AuthError::Validation("A password is required".into())),
            (Some(email), None, Some(password)) => Ok(Self { email, password }),
        }
    }
}

/// What `PUT /user` asks to change.
#[derive(Debug, Default)]
pub struct SelfUpdate {
    pub password: Option<Secret>,
    pub data: Option<serde_json::Value>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub app_metadata: Option<serde_json::Value>,
}

/// A user id from a request path: a malformed one is simply a user that does not exist.
pub fn parse_user_id(raw: &str) -> Result<Uuid, AuthError> {
    Uuid::parse_str(raw).map_err(|_| AuthError::UserNotFound)
}

/// GoTrue's pagination of the admin user list as `(offset, limit)`: `page` from 1 (default
/// 1), `per_page` from 1 (default 50) clamped to 1000.
fn page_window(page: Option<&str>, per_page: Option<&str>) -> Result<(i64, i64), AuthError> {
    let parse =
        |v: Option<&str>, default: i64, name: &str| -> Result<i64, AuthError> {
            match v {
                None => Ok(default),
                Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    AuthError::Validation(format!("{name} must be a positive integer"))
                }),
            }
        };
    let page = parse(page, 1, "page")?;
    let per_page = parse(per_page, 50, "per_page")?.min(1000);
    Ok(((page - 1).saturating_mul(per_page), per_page))
}

/// The fields of an admin create/update request (and of `lowkey user add`). Its `Debug`
/// hides the password.
#[derive(Default, serde::Deserialize)]
pub struct AdminUser {
    pub email: Option<String>,
    pub password: Option<String>,
    pub email_confirm: Option<bool>,
    pub user_metadata: Option<serde_json::Value>,
    pub app_metadata: Option<serde_json::Value>,
    pub role: Option<String>,
    /// `"none"` to lift a ban, or a duration such as `"24h"`, `"30m"`, `"876000h"`.
    pub ban_duration: Option<String>,
}

impl std::fmt::Debug for AdminUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminUser")
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("email_confirm", &self.email_confirm)
            .field("user_metadata", &self.user_metadata)
            .field("app_metadata", &self.app_metadata)
            .field("role", &self.role)
            .field("ban_duration", &self.ban_duration)
            .finish()
    }
}

/// The `app_metadata` GoTrue reports: the stored map plus the provider entries.
pub fn app_metadata(user: &User) -> serde_json::Value {
    let mut meta = serde_json::json!({ "provider": "email", "providers": ["email"] });
    if let (Some(out), Some(stored)) = (meta.as_object_mut(), user.app_metadata.as_object()) {
        for (k, v) in stored {
            out.insert(k.clone(), v.clone());
        }
    }
    meta
}

/// Merges the top-level keys of `patch` (an object) into `target`; `null` removes a key.
fn merge_metadata(
    target: &mut serde_json::Value,
    patch: serde_json::Value,
) -> Result<(), AuthError> {
    let serde_json::Value::Object(patch) = patch else {
        return Err(AuthError::Validation(
            "metadata must be a JSON object".into(),
        ));
    };
    if !target.is_object() {
        *target = serde_json::json!({});
    }
    if let Some(map) = target.as_object_mut() {
        for (k, v) in patch {
            if v.is_null() {
                map.remove(&k);
            } else {
                map.insert(k, v);
            }
        }
    }
    Ok(())
}

/// Parses GoTrue's `ban_duration`: `none`, or a Go-style duration of h/m/s units.
pub fn parse_ban(s: &str, now: Millis) -> Result<Option<Millis>, AuthError> {
    if s == "none" {
        return Ok(None);
    }
    // The message does not repeat the value: request values never come back in errors.
    let bad = || {
        AuthError::Validation(
            "invalid format for ban duration (use \"none\" or a duration such as \"24h\" or \"1h30m\")"
                .into(),
        )
    };
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return Err(bad()),
        };
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(Some(now.saturating_add(total)))
}

async fn ensure_keys(store: &dyn Store, cfg: &ProviderConfig) -> anyhow::Result<KeyRing> {
    let mut material = store.signing_keys().await?;
    if !material.iter().any(|k| k.retired_at.is_none()) {
        let key = KeyMaterial::generate(cfg.alg()?, now_millis())?;
        store.add_signing_key(&key).await?;
        info!(kid = %key.kid, alg = key.alg.as_str(), "created the first signing key");
        material = store.signing_keys().await?;
    }
    Ok(KeyRing::load(&material, now_millis(), cfg.jwt_exp)?)
}

/// `lowkey keys rotate`: a new active key; the old one stays in the JWKS until its tokens expire.
pub async fn rotate_keys(store: &dyn Store, cfg: &ProviderConfig) -> anyhow::Result<String> {
    let key = KeyMaterial::generate(cfg.alg()?, now_millis())?;
    store.add_signing_key(&key).await?;
    Ok(key.kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_durations_parse_like_go() {
        assert_eq!(parse_ban("none", 0).unwrap(), None);
        assert_eq!(parse_ban("24h", 0).unwrap(), Some(86_400_000));
        assert_eq!(parse_ban("1h30m", 0).unwrap(), Some(5_400_000));
        for bad in ["", "24", "h", "-1h", "1d", "99999999999999999999h"] {
            assert!(parse_ban(bad, 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_default_like_gotrue_refuse_nonsense_and_clamp() {
        assert_eq!(page_window(None, None).unwrap(), (0, 50));
        assert_eq!(page_window(Some("3"), Some("10")).unwrap(), (20, 10));
        assert_eq!(page_window(Some("1"), Some("5000")).unwrap(), (0, 1000));
        assert_eq!(
            page_window(Some("9223372036854775807"), Some("1000"))
                .unwrap()
                .0,
            i64::MAX
        );
        for (p, pp) in [(Some("0"), None), (Some("-1"), None), (None, Some("zero"))] {
            assert!(page_window(p, pp).is_err(), "{p:?} {pp:?}");
        }
    }

    #[test]
    fn password_grants_need_an_email_and_a_password_and_no_phone() {
        let s = || Some(Secret::new("pw"));
        let e = || Some("a@b.co".to_string());
        let p = || Some("+1555".to_string());
        assert!(PasswordGrant::parse(e(), None, s()).is_ok());
        for (email, phone, password) in [
            (e(), p(), s()),
            (None, p(), s()),
            (None, None, s()),
            (e(), None, None),
        ] {
            assert!(matches!(
                PasswordGrant::parse(email, phone, password),
                Err(AuthError::Validation(_))
            ));
        }
    }

    #[test]
    fn errors_never_repeat_the_request_value() {
        let secret = "SUPERSECRET-value";
        let msg = GrantType::parse(Some(secret)).unwrap_err().to_string();
        assert!(
            !msg.contains(secret) && msg.contains("refresh_token"),
            "{msg}"
        );
        let msg = parse_ban(secret, 0).unwrap_err().to_string();
        assert!(!msg.contains(secret), "{msg}");
    }

    #[test]
    fn debug_output_hides_passwords() {
        let a = AdminUser {
            email: Some("a@b.co".into()),
            password: Some("hunter2-secret".into()),
            ..Default::default()
        };
        let text = format!("{a:?}");
        assert!(!text.contains("hunter2") && text.contains("***"), "{text}");
        let g = PasswordGrant::parse(Some("a@b.co".into()), None, Some(Secret::new("hunter2")));
        assert!(!format!("{g:?}").contains("hunter2"));
        let u = SelfUpdate {
            password: Some(Secret::new("hunter2")),
            ..Default::default()
        };
        assert!(!format!("{u:?}").contains("hunter2"));
    }

    #[test]
    fn metadata_merges_top_level_keys_and_null_removes() {
        let mut m = serde_json::json!({"a": 1, "b": 2});
        merge_metadata(&mut m, serde_json::json!({"b": null, "c": 3})).unwrap();
        assert_eq!(m, serde_json::json!({"a": 1, "c": 3}));
        assert!(merge_metadata(&mut m, serde_json::json!([1])).is_err());
    }
}
