//! The app model: what an app folder holds once read and validated.
//!
//! These types are also the canonical storage form (`App::to_json` / `App::from_json`): the
//! database keeps an app version as this JSON, which mirrors the folder's YAML field for field.
//! Maps whose order an author chose (props, params, headers) keep that order.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The folder format version this crate reads and writes. Older versions are migrated on load
/// (version 1 is version 2 without `auth` and `access`: everything public).
pub const FORMAT_VERSION: u32 = 2;

/// `auth.clockSkewSecs` when not given: leeway for a token's `exp` and `nbf`.
pub const DEFAULT_CLOCK_SKEW_SECS: u32 = 30;
/// Upper bound of `auth.clockSkewSecs`.
pub const MAX_CLOCK_SKEW_SECS: u32 = 300;
/// `auth.rolesClaim` when not given.
pub const DEFAULT_ROLES_CLAIM: &str = "roles";

/// Default query timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Upper bound of a query timeout.
pub const MAX_TIMEOUT_MS: u32 = 60_000;
/// Columns of a grid (the page's, or a container's own).
pub const GRID_COLUMNS: u32 = 64;

/// A map that keeps its entries in the order they were written, without duplicate keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Adds an entry; returns false (and changes nothing) when the key is already present.
    pub fn insert(&mut self, key: String, value: V) -> bool {
        if self.get(&key).is_some() {
            return false;
        }
        self.0.push((key, value));
        true
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = OrderedMap::new();
                while let Some((k, v)) = access.next_entry::<String, V>()? {
                    if !map.insert(k.clone(), v) {
                        return Err(de::Error::custom(format!("duplicate key `{k}`")));
                    }
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// An app: `app.yaml` plus its pages, queries and JS objects (each list sorted by name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct App {
    /// Always [`FORMAT_VERSION`] once loaded (older folders are migrated).
    pub version: u32,
    pub name: String,
    pub slug: String,
    pub home_page: String,
    /// How the app's visitors prove who they are; required when a page or query is not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(default)]
    pub datasources: Vec<Datasource>,
    /// Reserved for later use; kept as written.
    #[serde(default)]
    pub settings: serde_json::Map<String, Value>,
    #[serde(default)]
    pub pages: Vec<Page>,
    #[serde(default)]
    pub queries: Vec<Query>,
    #[serde(default)]
    pub js_objects: Vec<JsObject>,
}

/// Where queries send requests: an absolute http(s) URL, or a path of this lowkey server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Datasource {
    pub name: String,
    pub url: String,
    /// Sent with every query of this datasource; values may hold `{{secrets.NAME}}`.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub headers: OrderedMap<String>,
}

impl Datasource {
    /// True when the datasource is this lowkey server itself (its URL is a path).
    pub fn is_local(&self) -> bool {
        self.url.starts_with('/')
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Page {
    pub name: String,
    /// As written; [`Page::slug`] gives the effective one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default)]
    pub hidden: bool,
    /// Who may get the page's widgets and on-load steps (omitted when public).
    #[serde(default, skip_serializing_if = "Access::is_public")]
    pub access: Access,
    /// Steps run in order when the page loads: `"query"` or `"JsObject.function"`.
    #[serde(default)]
    pub on_load: Vec<String>,
    #[serde(default)]
    pub widgets: Vec<Widget>,
}

impl Page {
    /// The page's URL segment: its `slug`, or its name in kebab case.
    pub fn slug(&self) -> String {
        self.slug
            .clone()
            .unwrap_or_else(|| crate::names::kebab_case(&self.name))
    }

    /// Every widget of the page, depth first.
    pub fn all_widgets(&self) -> Vec<&Widget> {
        fn walk<'a>(widgets: &'a [Widget], out: &mut Vec<&'a Widget>) {
            for w in widgets {
                out.push(w);
                walk(&w.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.widgets, &mut out);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Widget {
    pub name: String,
    #[serde(rename = "type")]
    pub widget_type: WidgetType,
    pub position: Position,
    #[serde(default)]
    pub props: OrderedMap<Value>,
    #[serde(default)]
    pub children: Vec<Widget>,
}

/// A place on the parent's 64-column grid; rows are 10 px.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub col: u32,
    pub row: u32,
    pub width: u32,
    pub height: u32,
}

/// Generated from schema/widgets.json (see `widget.rs`).
pub use crate::widget::WidgetType;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Query {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default)]
    pub method: Method,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub params: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub headers: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u32,
    /// `followRedirects`: whether the server follows redirects for this query (default false:
    /// the app gets the 3xx answer). Stored only when true, so older stored apps are unchanged.
    #[serde(default, skip_serializing_if = "is_false")]
    pub follow_redirects: bool,
    /// Who may run the query (omitted when public).
    #[serde(default, skip_serializing_if = "Access::is_public")]
    pub access: Access,
    /// HTTP Basic authentication computed on the server (`Authorization: Basic …`), as OAuth
    /// 2.0 clients authenticate: templates, usually `{{secrets.CLIENT_ID}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
}

/// `basicAuth` of a query: the user name and password templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query's request body: a template string (`json`, `text`) or fields of templates (`form`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "content", rename_all = "lowercase")]
pub enum Body {
    Json(String),
    Text(String),
    Form(OrderedMap<String>),
}

/// Who may use a page or query: `"public"` (the default), `"signedIn"` or `{"roles": [...]}`
/// (a signed-in caller holding at least one of the roles).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Access {
    #[default]
    Public,
    SignedIn,
    Roles(Vec<String>),
}

impl Access {
    pub fn is_public(&self) -> bool {
        *self == Access::Public
    }

    /// Whether `caller` may use a page or query with this access.
    pub fn allows(&self, caller: &crate::viewer::Caller) -> bool {
        match (self, caller.roles()) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Roles(needed), Some(held)) => needed.iter().any(|r| held.contains(r)),
        }
    }
}

impl Serialize for Access {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Access::Public => serializer.serialize_str("public"),
            Access::SignedIn => serializer.serialize_str("signedIn"),
            Access::Roles(roles) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("roles", roles)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Access {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AccessVisitor;
        impl<'de> Visitor<'de> for AccessVisitor {
            type Value = Access;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#""public", "signedIn" or {"roles": [...]}"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Access, E> {
                match v {
                    "public" => Ok(Access::Public),
                    "signedIn" => Ok(Access::SignedIn),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Access, A::Error> {
                let mut roles = None;
                while let Some(key) = access.next_key::<String>()? {
                    if key != "roles" || roles.is_some() {
                        return Err(de::Error::custom(format!(
                            "unexpected key `{key}` in an access: only `roles`, once"
                        )));
                    }
                    roles = Some(access.next_value::<Vec<String>>()?);
                }
                roles
                    .map(Access::Roles)
                    .ok_or_else(|| de::Error::missing_field("roles"))
            }
        }
        deserializer.deserialize_any(AccessVisitor)
    }
}

/// `auth` of app.yaml: where visitors sign in and how their tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Auth {
    /// The page a visitor without a valid token is sent to (with `?next=`); public. Required
    /// but with `oidc`, where a visitor may go straight to the provider instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_page: Option<String>,
    #[serde(default, skip_serializing_if = "Verify::is_builtin")]
    pub verify: Verify,
    pub token: TokenMode,
    /// Dot path of the claim holding the caller's roles (a string or a list of strings).
    #[serde(
        default = "default_roles_claim",
        skip_serializing_if = "is_default_roles_claim"
    )]
    pub roles_claim: String,
    /// Leeway for a token's `exp` and `nbf`, at most [`MAX_CLOCK_SKEW_SECS`].
    #[serde(
        default = "default_clock_skew",
        skip_serializing_if = "is_default_clock_skew"
    )]
    pub clock_skew_secs: u32,
    /// Session mode's queries and token paths (required with [`TokenMode::Session`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionAuth>,
    /// Store mode's platform refresh (only with [`TokenMode::Store`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<StoreRefresh>,
    /// Sign-in by redirect with OpenID Connect (implies session mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<Oidc>,
}

/// `auth.oidc`: the provider and this app's client at it (authorization code + PKCE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oidc {
    /// The provider's issuer; its discovery document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// `{{secrets.NAME}}` for a confidential client; none for a public one (PKCE alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Further parameters of the authorization request (Auth0's `audience`, Google's
    /// `access_type`, `prompt`…): literal text, never one of the flow's own.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub authorization_params: OrderedMap<String>,
    /// Send the ID token as `id_token_hint` at the provider's end-session endpoint (Okta
    /// requires it); it then passes through the browser's address bar. Default false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub logout_id_token_hint: bool,
}

/// The parameters of an authorization request that Lowkey sets itself.
pub const RESERVED_AUTHORIZATION_PARAMS: [&str; 9] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "request",
];

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

/// `auth.session`: the queries that start, refresh and end a server-side session, and where
/// the tokens are in their answers (dot paths; GoTrue's and OAuth 2.0's names by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionAuth {
    /// A public query whose 2xx answer holds the tokens.
    pub sign_in: String,
    /// A public query that exchanges `{{session.refreshToken}}` for fresh tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// A public query that revokes the session upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_out: Option<String>,
    #[serde(
        default = "default_access_token_path",
        skip_serializing_if = "is_default_access_token_path"
    )]
    pub access_token: String,
    #[serde(
        default = "default_refresh_token_path",
        skip_serializing_if = "is_default_refresh_token_path"
    )]
    pub refresh_token: String,
    #[serde(
        default = "default_expires_in_path",
        skip_serializing_if = "is_default_expires_in_path"
    )]
    pub expires_in: String,
    /// Where the tokens are in the refresh query's answer when it names them differently from
    /// the sign-in's (Firebase: `idToken` after sign-in, `id_token` after refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_answer: Option<TokenPaths>,
}

/// Dot paths of the tokens in an answer's JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenPaths {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: String,
}

impl SessionAuth {
    /// The paths of the sign-in answer.
    pub fn sign_in_paths(&self) -> TokenPaths {
        TokenPaths {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_in: self.expires_in.clone(),
        }
    }

    /// The paths of the refresh answer: its own, else the sign-in answer's.
    pub fn refresh_paths(&self) -> TokenPaths {
        self.refresh_answer
            .clone()
            .unwrap_or_else(|| self.sign_in_paths())
    }
}

pub const DEFAULT_ACCESS_TOKEN_PATH: &str = "access_token";
pub const DEFAULT_REFRESH_TOKEN_PATH: &str = "refresh_token";
pub const DEFAULT_EXPIRES_IN_PATH: &str = "expires_in";

fn default_access_token_path() -> String {
    DEFAULT_ACCESS_TOKEN_PATH.to_owned()
}
fn is_default_access_token_path(p: &str) -> bool {
    p == DEFAULT_ACCESS_TOKEN_PATH
}
fn default_refresh_token_path() -> String {
    DEFAULT_REFRESH_TOKEN_PATH.to_owned()
}
fn is_default_refresh_token_path(p: &str) -> bool {
    p == DEFAULT_REFRESH_TOKEN_PATH
}
fn default_expires_in_path() -> String {
    DEFAULT_EXPIRES_IN_PATH.to_owned()
}
fn is_default_expires_in_path(p: &str) -> bool {
    p == DEFAULT_EXPIRES_IN_PATH
}

/// `auth.refresh` in store mode: the query the viewer runs before the token expires, and the
/// store keys it writes from the answer (key → dot path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreRefresh {
    pub query: String,
    pub store: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
}

/// The value at the dot path `path` of `value`.
pub fn value_at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

fn default_roles_claim() -> String {
    DEFAULT_ROLES_CLAIM.to_owned()
}

fn is_default_roles_claim(claim: &str) -> bool {
    claim == DEFAULT_ROLES_CLAIM
}

fn default_clock_skew() -> u32 {
    DEFAULT_CLOCK_SKEW_SECS
}

fn is_default_clock_skew(secs: &u32) -> bool {
    *secs == DEFAULT_CLOCK_SKEW_SECS
}

impl Auth {
    /// The dot path of the claim holding the caller's roles.
    pub fn roles_claim(&self) -> &str {
        &self.roles_claim
    }

    /// The roles a token's claims hold at [`Auth::roles_claim`] (see [`roles_at`]).
    pub fn roles_in(&self, claims: &Value) -> Vec<String> {
        roles_at(claims, &self.roles_claim)
    }
}

/// The roles `claims` hold at the dot path `path`: a string is one role, a list its strings;
/// anything else (or nothing there) is no role.
pub fn roles_at(claims: &Value, path: &str) -> Vec<String> {
    match value_at(claims, path) {
        Some(Value::String(role)) => vec![role.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// How a token is verified: `"builtin"` (this server's own auth provider), or
/// `{"jwks": url, "issuer": …, "audience": …}`, or `{"userinfo": query}` (a public query of the
/// app: a 2xx answer means valid, its body is the user).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "VerifyForm", into = "VerifyForm")]
pub enum Verify {
    #[default]
    Builtin,
    Jwks {
        /// The JWKS document's URL: https (http only for localhost).
        jwks: String,
        issuer: String,
        audience: Option<String>,
    },
    Userinfo {
        /// A public query of the app.
        userinfo: String,
    },
}

impl Verify {
    pub fn is_builtin(&self) -> bool {
        *self == Verify::Builtin
    }

    /// `"builtin"`, `"jwks"` or `"userinfo"`: for logs and messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Verify::Builtin => "builtin",
            Verify::Jwks { .. } => "jwks",
            Verify::Userinfo { .. } => "userinfo",
        }
    }
}

/// The JSON forms of [`Verify`]: a word, or a map whose key says which.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum VerifyForm {
    Word(String),
    Jwks(JwksForm),
    Userinfo(UserinfoForm),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JwksForm {
    jwks: String,
    issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audience: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserinfoForm {
    userinfo: String,
}

impl TryFrom<VerifyForm> for Verify {
    type Error = String;
    fn try_from(form: VerifyForm) -> Result<Verify, String> {
        Ok(match form {
            VerifyForm::Word(w) if w == "builtin" => Verify::Builtin,
            VerifyForm::Word(w) => {
                return Err(format!(
                    "unknown verify `{w}`: use builtin, {{jwks, issuer, audience}} or {{userinfo}}"
                ))
            }
            VerifyForm::Jwks(JwksForm {
                jwks,
                issuer,
                audience,
            }) => Verify::Jwks {
                jwks,
                issuer,
                audience,
            },
            VerifyForm::Userinfo(UserinfoForm { userinfo }) => Verify::Userinfo { userinfo },
        })
    }
}

impl From<Verify> for VerifyForm {
    fn from(verify: Verify) -> VerifyForm {
        match verify {
            Verify::Builtin => VerifyForm::Word("builtin".to_owned()),
            Verify::Jwks {
                jwks,
                issuer,
                audience,
            } => VerifyForm::Jwks(JwksForm {
                jwks,
                issuer,
                audience,
            }),
            Verify::Userinfo { userinfo } => VerifyForm::Userinfo(UserinfoForm { userinfo }),
        }
    }
}

/// Where the token is kept: `{"store": key}` (`appsmith.store[key]` in the browser, sent as a
/// bearer token) or `"session"` (kept by the server, the browser holds an HttpOnly cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenMode {
    Store(String),
    Session,
}

/// What a query does to a session-mode app's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRole {
    SignIn,
    Refresh,
    SignOut,
}

/// A JS object: its file's source, `export default { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsObject {
    pub name: String,
    pub source: String,
}

/// Stored JSON could not be read back as an app.
#[derive(Debug, thiserror::Error)]
pub enum StoredAppError {
    #[error("stored app is not valid JSON of the app model: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored app has format version {0}; this lowkey reads version {FORMAT_VERSION}")]
    Version(u32),
}

impl App {
    /// The canonical storage form: compact JSON with fields in a fixed order.
    ///
    /// It does not fail for these types (string keys only; `serde_json::Value` holds no
    /// non-finite float); the `Result` only forwards serde_json's signature.
    pub fn to_json(&self) -> Result<String, StoredAppError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Reads the storage form back.
    pub fn from_json(json: &str) -> Result<App, StoredAppError> {
        let mut app: App = serde_json::from_str(json)?;
        // Older versions are migrated here, as the loader does for folders. Version 1 is
        // version 2 without `auth` and `access`, so there is nothing to rewrite.
        match app.version {
            1 | FORMAT_VERSION => app.version = FORMAT_VERSION,
            other => return Err(StoredAppError::Version(other)),
        }
        Ok(app)
    }

    /// Validates an app that did not come from a folder (stored JSON, an editor's save): it is
    /// written as files and read back, so exactly the folder's rules apply. Positions refer to
    /// the files of [`App::to_files`]. Empty when the app is valid.
    pub fn validate(&self) -> Vec<crate::Diagnostic> {
        match self.to_files() {
            Ok(files) => App::from_files(&files).1,
            Err(e) => vec![crate::Diagnostic {
                file: ".".to_owned(),
                line: 0,
                column: 0,
                message: e.to_string(),
            }],
        }
    }

    pub fn page(&self, name: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.name == name)
    }

    pub fn page_by_slug(&self, slug: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.slug() == slug)
    }

    pub fn query(&self, name: &str) -> Option<&Query> {
        self.queries.iter().find(|q| q.name == name)
    }

    pub fn datasource(&self, name: &str) -> Option<&Datasource> {
        self.datasources.iter().find(|d| d.name == name)
    }

    /// The session-mode role of query `name`, if the app's `auth.session` names it.
    pub fn session_role(&self, name: &str) -> Option<SessionRole> {
        let session = self.auth.as_ref()?.session.as_ref()?;
        if session.sign_in == name {
            Some(SessionRole::SignIn)
        } else if session.refresh.as_deref() == Some(name) {
            Some(SessionRole::Refresh)
        } else if session.sign_out.as_deref() == Some(name) {
            Some(SessionRole::SignOut)
        } else {
            None
        }
    }

    pub fn js_object(&self, name: &str) -> Option<&JsObject> {
        self.js_objects.iter().find(|j| j.name == name)
    }
}
