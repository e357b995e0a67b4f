//! `/api/v1/edit`: the Builder API on apps and their drafts (`docs/api.md`, "Builder API").
//!
//! Every handler takes [`Builder`]: without a live builder session nothing here answers but
//! 401. The operations are [`crate::drafts`]'s; these extract, call, and shape the answer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lowkey_core::rfc3339;
use serde::Deserialize;
use serde_json::{json, Value};

use super::app::{run_app_query, RunQueryRequest};
use super::error::{problems_json, ApiError, ApiJson, ApiPath};
use super::extract::Builder;
use crate::client_ip::ClientIp;
use crate::drafts::{self, Draft};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/edit/apps", get(list_apps).post(create_app))
        .route(
            "/edit/apps/{slug}",
            axum::routing::patch(rename_app).delete(delete_app),
        )
        .route("/edit/apps/{slug}/draft", get(get_draft).put(put_draft))
        .route("/edit/apps/{slug}/publish", post(publish))
        .route("/edit/apps/{slug}/versions", get(versions))
        .route(
            "/edit/apps/{slug}/versions/{version}/restore",
            post(restore),
        )
        .route("/edit/apps/{slug}/viewer", get(viewer))
        .route("/edit/apps/{slug}/queries/{name}/run", post(run_query))
        .route("/edit/secrets", get(secrets))
        .route("/edit/check-js", post(check_js))
}

type EditResult<T> = Result<T, ApiError>;

/// `{revision, app, problems}`.
fn draft_json(draft: &Draft) -> EditResult<Value> {
    let app = serde_json::to_value(&draft.app).map_err(ApiError::internal)?;
    Ok(json!({
        "revision": draft.revision,
        "app": app,
        "problems": problems_json(&draft.problems),
    }))
}

/// `{slug, name, revision, app, problems}`: an app just made or renamed.
fn app_json(draft: &Draft) -> EditResult<Value> {
    let mut answer = draft_json(draft)?;
    answer["slug"] = json!(draft.app.slug);
    answer["name"] = json!(draft.app.name);
    Ok(answer)
}

async fn list_apps(_: Builder, State(state): State<AppState>) -> EditResult<Json<Value>> {
    let apps = drafts::list(state.store.as_ref())
        .await
        .map_err(ApiError::edit)?;
    let list: Vec<Value> = apps
        .iter()
        .map(|a| {
            json!({
                "slug": a.slug,
                "name": a.name,
                "revision": a.revision,
                "draftUpdatedAt": rfc3339(a.draft_updated_at),
                "publishedVersion": (a.published_version > 0).then_some(a.published_version),
                "publishedAt": a.published_at.map(rfc3339),
            })
        })
        .collect();
    Ok(Json(json!({ "apps": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAppRequest {
    name: String,
    #[serde(default)]
    slug: Option<String>,
}

async fn create_app(
    _: Builder,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateAppRequest>,
) -> EditResult<Response> {
    let draft = drafts::create(state.store.as_ref(), &body.name, body.slug.as_deref())
        .await
        .map_err(ApiError::edit)?;
    Ok((StatusCode::CREATED, Json(app_json(&draft)?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameAppRequest {
    name: String,
}

async fn rename_app(
    _: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<RenameAppRequest>,
) -> EditResult<Json<Value>> {
    let draft = drafts::rename(state.store.as_ref(), &slug, &body.name)
        .await
        .map_err(ApiError::edit)?;
    Ok(Json(app_json(&draft)?))
}

async fn delete_app(
    _: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> EditResult<StatusCode> {
    drafts::delete(state.store.as_ref(), &state.apps, &slug)
        .await
        .map_err(ApiError::edit)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_draft(
    _: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> EditResult<Json<Value>> {
    let draft = drafts::read(state.store.as_ref(), &slug)
        .await
        .map_err(ApiError::edit)?;
    Ok(Json(draft_json(&draft)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutDraftRequest {
    revision: i64,
    app: Value,
}

async fn put_draft(
    _: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<PutDraftRequest>,
) -> EditResult<Json<Value>> {
    let app = drafts::parse_draft(&slug, body.app).map_err(ApiError::edit)?;
    let (revision, problems) = drafts::save(state.store.as_ref(), app, body.revision)
        .await
        .map_err(ApiError::edit)?;
    Ok(Json(
        json!({ "revision": revision, "problems": problems_json(&problems) }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionRequest {
    revision: i64,
}

async fn publish(
    builder: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<RevisionRequest>,
) -> EditResult<Json<Value>> {
    let by = &builder.account.email;
    let published = drafts::publish(state.store.as_ref(), &state.apps, &slug, body.revision, by)
        .await
        .map_err(ApiError::edit)?;
    Ok(Json(json!({
        "version": published.version,
        "publishedAt": rfc3339(published.published_at),
        "publishedBy": by,
    })))
}

async fn versions(
    _: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> EditResult<Json<Value>> {
    let versions = drafts::versions(state.store.as_ref(), &slug)
        .await
        .map_err(ApiError::edit)?;
    let list: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "version": v.version,
                "publishedAt": rfc3339(v.published_at),
                "publishedBy": v.published_by,
            })
        })
        .collect();
    Ok(Json(json!({ "versions": list })))
}

async fn restore(
    _: Builder,
    State(state): State<AppState>,
    ApiPath((slug, version)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<RevisionRequest>,
) -> EditResult<Json<Value>> {
    let draft = drafts::restore(state.store.as_ref(), &slug, version, body.revision)
        .await
        .map_err(ApiError::edit)?;
    Ok(Json(draft_json(&draft)?))
}

/// The draft as the viewer runs it (Preview).
async fn viewer(
    _: Builder,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> EditResult<Json<Value>> {
    let draft = drafts::read(state.store.as_ref(), &slug)
        .await
        .map_err(ApiError::edit)?;
    Ok(Json(lowkey_app::viewer_json(&draft.app)))
}

/// Runs a query of the draft for the builder's Preview: the published run's runner, limits
/// and errors. A query whose definition (or whose app's datasources) has problems is not run.
async fn run_query(
    _: Builder,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath((slug, name)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RunQueryRequest>,
) -> EditResult<Response> {
    let draft = drafts::read(state.store.as_ref(), &slug)
        .await
        .map_err(ApiError::edit)?;
    let query_file = format!("queries/{name}.yaml");
    let blocking: Vec<_> = draft
        .problems
        .into_iter()
        .filter(|p| p.diagnostic.file == "app.yaml" || p.diagnostic.file == query_file)
        .collect();
    if !blocking.is_empty() {
        return Err(ApiError::edit(drafts::EditError::Invalid(blocking)));
    }
    run_app_query(&state, &draft.app, &name, &body, client).await
}

/// The names of the secrets this server has configured (`LOWKEY_SECRET_<NAME>`), sorted;
/// never their values.
async fn secrets(_: Builder, State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "secrets": state.queries.secrets().names() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckJsRequest {
    kind: String,
    source: String,
}

/// The loader's JavaScript syntax check of one piece of code, for the editor as it is typed:
/// `{errors: [{message, line, column}]}`, and `functions` for a JS object that parses.
async fn check_js(_: Builder, ApiJson(body): ApiJson<CheckJsRequest>) -> EditResult<Json<Value>> {
    let check = lowkey_app::JsObject::check_source(&body.kind, &body.source).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "`kind` must be \"jsObject\", \"expression\" or \"event\"",
        )
    })?;
    let errors: Vec<Value> = check
        .errors
        .iter()
        .map(|e| json!({ "message": e.message, "line": e.line, "column": e.column }))
        .collect();
    let mut answer = json!({ "errors": errors });
    if let Some(functions) = check.functions {
        answer["functions"] = json!(functions);
    }
    Ok(Json(answer))
}
