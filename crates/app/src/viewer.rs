//! The viewer's JSON: `GET /api/v1/apps/{slug}` (docs/api.md).
//!
//! **Architecture Invariant:** built from an explicit list of fields, never by serialising
//! the model, so a field added to the model (or a datasource URL, header or secret) cannot reach
//! a browser by accident. A page or query the caller may not use is only named: `"locked": true`
//! without its widgets, on-load steps or bindings.

use serde_json::{json, Map, Value};

use crate::model::{roles_at, Access, App, Auth, TokenMode, Widget};
use crate::substitute::query_bindings;

/// Who asks for the app, as the server decided from the request's token.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// No token, or one that is not valid.
    Anonymous,
    /// A verified token: its subject, email, roles (read at `auth.rolesClaim`) and claims.
    User {
        id: String,
        email: Option<String>,
        roles: Vec<String>,
        claims: Value,
    },
}

impl Caller {
    /// The user of verified claims: `sub` is the id, `email` the email, the roles are read at
    /// the dot path `roles_claim` (a string or a list of strings). Claims without a `sub`
    /// name no user: the caller is anonymous.
    pub fn from_claims(claims: Value, roles_claim: &str) -> Caller {
        let text = |key: &str| {
            claims
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let Some(id) = text("sub") else {
            return Caller::Anonymous;
        };
        Caller::User {
            id,
            email: text("email"),
            roles: roles_at(&claims, roles_claim),
            claims,
        }
    }

    /// The user's id; `None` when anonymous.
    pub fn id(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::User { id, .. } => Some(id),
        }
    }

    /// The caller's roles; `None` when not signed in.
    pub fn roles(&self) -> Option<&[String]> {
        match self {
            Caller::Anonymous => None,
            Caller::User { roles, .. } => Some(roles),
        }
    }

    /// Whether the caller may use a page or query with this access.
    pub fn may(&self, access: &Access) -> bool {
        access.allows(self)
    }
}

/// The body of `GET /api/v1/apps/{slug}` for `app` as its builder sees it (the editor's
/// preview of a draft): every page and query in full, `user` null.
pub fn viewer_json(app: &App) -> Value {
    build(app, None)
}

/// The body of `GET /api/v1/apps/{slug}` for `caller`: pages and queries it may not use are
/// locked. Pages, queries and JS objects are sorted by name; every widget has `props` and
/// `children`, possibly empty.
pub fn viewer_json_for(app: &App, caller: &Caller) -> Value {
    build(app, Some(caller))
}

/// `caller` is `None` for the builder, who may use everything.
fn build(app: &App, caller: Option<&Caller>) -> Value {
    let may = |access: &Access| caller.is_none_or(|c| c.may(access));
    let pages: Vec<Value> = app
        .pages
        .iter()
        .map(|p| {
            let mut page = json!({
                "name": p.name,
                "slug": p.slug(),
                "hidden": p.hidden,
                "access": access_json(&p.access),
            });
            if may(&p.access) {
                page["onLoad"] = json!(p.on_load);
                page["widgets"] = json!(p.widgets.iter().map(widget_json).collect::<Vec<_>>());
            } else {
                page["locked"] = json!(true);
            }
            page
        })
        .collect();
    let queries: Vec<Value> = app
        .queries
        .iter()
        .map(|q| {
            let mut query = json!({ "name": q.name, "access": access_json(&q.access) });
            if may(&q.access) {
                query["bindings"] = json!(query_bindings(q, &app.datasources));
            } else {
                query["locked"] = json!(true);
            }
            query
        })
        .collect();
    let js_objects: Vec<Value> = app
        .js_objects
        .iter()
        .map(|j| json!({ "name": j.name, "source": j.source }))
        .collect();
    json!({
        "name": app.name,
        "slug": app.slug,
        "homePage": app.home_page,
        "auth": app.auth.as_ref().map(auth_json),
        "user": caller.and_then(user_json),
        "pages": pages,
        "queries": queries,
        "jsObjects": js_objects,
    })
}

fn access_json(access: &Access) -> Value {
    match access {
        Access::Public => json!("public"),
        Access::SignedIn => json!("signedIn"),
        Access::Roles(roles) => json!({ "roles": roles }),
    }
}

/// What the viewer needs of `auth`: where to send a visitor and where the token is.
fn auth_json(auth: &Auth) -> Value {
    let token = match &auth.token {
        TokenMode::Store(key) => json!({ "store": key }),
        TokenMode::Session => json!("session"),
    };
    let mut out = json!({ "loginPage": auth.login_page, "token": token });
    // Which queries start, refresh and end a session (the viewer follows the session by the
    // server's `X-Lowkey-Session` answers; the token paths are the server's business).
    if let Some(session) = &auth.session {
        let mut s = json!({ "signIn": session.sign_in });
        if let Some(q) = &session.refresh {
            s["refresh"] = json!(q);
        }
        if let Some(q) = &session.sign_out {
            s["signOut"] = json!(q);
        }
        out["session"] = s;
    }
    if auth.oidc.is_some() {
        // Sign-in by redirect: `appsmith.signIn()` goes to /app/<slug>/_auth/login.
        out["oidc"] = json!(true);
    }
    if let Some(refresh) = &auth.refresh {
        let store: serde_json::Map<String, Value> = refresh
            .store
            .iter()
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        let mut r = json!({ "query": refresh.query, "store": store });
        if let Some(path) = &refresh.expires_in {
            r["expiresIn"] = json!(path);
        }
        out["refresh"] = r;
    }
    out
}

/// `appsmith.user` of a signed-in caller, with Appsmith's names (`email`, `name`, `username`,
/// `isAnonymous`) besides `id`, `roles` and `claims`. `name` is the claims'
/// `user_metadata.full_name`, `user_metadata.name` or `name`; `username` the claim
/// `preferred_username` or the email's local part.
fn user_json(caller: &Caller) -> Option<Value> {
    let Caller::User {
        id,
        email,
        roles,
        claims,
    } = caller
    else {
        return None;
    };
    let text = |path: &[&str]| {
        path.iter()
            .try_fold(claims, |v, key| v.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = text(&["user_metadata", "full_name"])
        .or_else(|| text(&["user_metadata", "name"]))
        .or_else(|| text(&["name"]))
        .unwrap_or_default();
    let username = text(&["preferred_username"])
        .or_else(|| {
            email
                .as_deref()
                .and_then(|e| e.split_once('@'))
                .map(|(local, _)| local.to_owned())
        })
        .unwrap_or_default();
    Some(json!({
        "id": id,
        "email": email,
        "name": name,
        "username": username,
        "isAnonymous": false,
        "roles": roles,
        "claims": claims,
    }))
}

fn widget_json(w: &Widget) -> Value {
    let props: Map<String, Value> = w
        .props
        .iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    json!({
        "name": w.name,
        "type": w.widget_type.as_str(),
        "position": {
            "col": w.position.col,
            "row": w.position.row,
            "width": w.position.width,
            "height": w.position.height,
        },
        "props": props,
        "children": w.children.iter().map(widget_json).collect::<Vec<_>>(),
    })
}
