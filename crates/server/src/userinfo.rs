//! `verify: { userinfo: <query> }`: an app's tokens verified by asking its provider who they
//! belong to. The server runs the app's own (public) userinfo query with the token in place of
//! the binding `appsmith.store.<token key>` (every other binding has no value); a 2xx answer
//! means the token is valid, and its JSON body is the user's claims (`sub`, or GoTrue's `id`,
//! then `email` and the roles claim). Answers are remembered for `USERINFO_CACHE_SECS` per app
//! and token (by the token's SHA-256, never the token), so a page's requests do not each call
//! the provider; a refused token is asked again every time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lowkey_app::{query_bindings, App};
use serde_json::{Map, Value};

use crate::query::{AnswerBody, QueryRunner};

/// How long a userinfo answer is trusted.
pub const USERINFO_CACHE_SECS: u64 = 30;
/// At most this many answers are remembered; at the cap the expired ones go, then all.
const MAX_ENTRIES: usize = 10_000;

/// Why a userinfo verification refused a token (no token text in it).
#[derive(Debug, PartialEq)]
pub enum UserinfoError {
    /// The app's `userinfo` names no query of the app.
    NoQuery,
    /// The query could not be run (unreachable, timeout, limits).
    Run,
    /// The provider answered with this non-2xx status.
    Refused(u16),
    /// A 2xx answer that is not a JSON object with a user id (`sub` or `id`).
    NotAUser,
}

impl UserinfoError {
    pub fn code(&self) -> &'static str {
        match self {
            UserinfoError::NoQuery => "userinfo_query_missing",
            UserinfoError::Run => "userinfo_run_failed",
            UserinfoError::Refused(_) => "userinfo_refused",
            UserinfoError::NotAUser => "userinfo_not_a_user",
        }
    }
}

/// Where the userinfo query reads the token: `{{appsmith.store.<key>}}` (store mode) or
/// `{{session.accessToken}}` (session mode).
pub enum TokenCarrier<'a> {
    Store(&'a str),
    Session(&'a crate::sessions::SessionTokens),
}

#[derive(Default)]
pub struct UserinfoVerifier {
    answers: Mutex<HashMap<String, (Value, Instant)>>,
}

impl UserinfoVerifier {
    /// The claims of `token` as the app's userinfo query answers them.
    pub async fn verify(
        &self,
        runner: &QueryRunner,
        app: &App,
        query_name: &str,
        carrier: TokenCarrier<'_>,
        token: &str,
        client: IpAddr,
    ) -> Result<Value, UserinfoError> {
        let key = format!("{}:{}", app.slug, lowkey_core::refresh::digest(token));
        if let Some(claims) = self.cached(&key) {
            return Ok(claims);
        }
        let query = app.query(query_name).ok_or(UserinfoError::NoQuery)?;
        let (token_binding, session) = match carrier {
            TokenCarrier::Store(key) => (format!("appsmith.store.{key}"), None),
            TokenCarrier::Session(tokens) => (String::new(), Some(tokens)),
        };
        let values: Map<String, Value> = query_bindings(query, &app.datasources)
            .into_iter()
            .map(|b| {
                let v = if b == token_binding {
                    Value::String(token.to_owned())
                } else {
                    Value::Null
                };
                (b, v)
            })
            .collect();
        let result = runner
            .run(app, query, &values, session, client)
            .await
            .map_err(|_| UserinfoError::Run)?;
        if !(200..300).contains(&result.status) {
            return Err(UserinfoError::Refused(result.status));
        }
        let body = match result.body {
            AnswerBody::Json(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            AnswerBody::Value(v) => v,
        };
        let claims = user_claims(body).ok_or(UserinfoError::NotAUser)?;
        self.remember(key, claims.clone());
        Ok(claims)
    }

    fn cached(&self, key: &str) -> Option<Value> {
        let answers = self.answers.lock().ok()?;
        let (claims, at) = answers.get(key)?;
        (at.elapsed() < Duration::from_secs(USERINFO_CACHE_SECS)).then(|| claims.clone())
    }

    fn remember(&self, key: String, claims: Value) {
        let Ok(mut answers) = self.answers.lock() else {
            return;
        };
        if answers.len() >= MAX_ENTRIES {
            let ttl = Duration::from_secs(USERINFO_CACHE_SECS);
            answers.retain(|_, (_, at)| at.elapsed() < ttl);
            if answers.len() >= MAX_ENTRIES {
                answers.clear();
            }
        }
        answers.insert(key, (claims, Instant::now()));
    }
}

/// A userinfo answer as claims: a JSON object with `sub`, or with GoTrue's `id` (copied to
/// `sub`).
fn user_claims(body: Value) -> Option<Value> {
    let Value::Object(mut obj) = body else {
        return None;
    };
    if !obj.get("sub").is_some_and(Value::is_string) {
        let id = obj.get("id").and_then(Value::as_str)?.to_owned();
        obj.insert("sub".into(), Value::String(id));
    }
    Some(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_userinfo_answer_becomes_claims_with_a_subject() {
        assert_eq!(
            user_claims(json!({ "id": "u1", "email": "a@b" })),
            Some(json!({ "id": "u1", "sub": "u1", "email": "a@b" }))
        );
        assert_eq!(
            user_claims(json!({ "sub": "s", "id": "other" })),
            Some(json!({ "sub": "s", "id": "other" }))
        );
        assert_eq!(user_claims(json!({ "email": "a@b" })), None);
        assert_eq!(user_claims(json!(["u1"])), None);
        assert_eq!(user_claims(json!({ "id": 7 })), None);
    }
}
