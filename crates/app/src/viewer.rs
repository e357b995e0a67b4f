//! The viewer's JSON: `GET /api/v1/apps/{slug}` (docs/api.md).
//!
//! **Architecture Invariant:** built from an explicit list of fields, never by serialising
//! the model, so a field added to the model (or a datasource URL, header or secret) cannot reach
//! a browser by accident.

use serde_json::{json, Map, Value};

use crate::model::{App, Widget};
use crate::substitute::query_bindings;

/// The body of `GET /api/v1/apps/{slug}` for `app`. Pages, queries and JS objects are sorted
/// by name; every widget has `props` and `children`, possibly empty.
pub fn viewer_json(app: &App) -> Value {
    let pages: Vec<Value> = app
        .pages
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "slug": p.slug(),
                "hidden": p.hidden,
                "onLoad": p.on_load,
                "widgets": p.widgets.iter().map(widget_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let queries: Vec<Value> = app
        .queries
        .iter()
        .map(|q| json!({ "name": q.name, "bindings": query_bindings(q, &app.datasources) }))
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
        "pages": pages,
        "queries": queries,
        "jsObjects": js_objects,
    })
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
