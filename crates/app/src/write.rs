//! Writing an app back as a folder (YAML and .js files).
//!
//! Files are produced from the model with serde-saphyr; comments of the original folder are
//! not kept (the model does not hold them), everything else is: loading the written folder
//! gives back an equal [`App`].

use std::path::Path;

use serde::Serialize;
use serde_saphyr::FlowMap;

use crate::load::SourceFiles;
use crate::model::{
    Access, App, Auth, Body, Datasource, Method, OrderedMap, Page, Position, Query, Widget,
    WidgetType,
};

/// Writing a folder failed. Paths are relative to the app folder.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot produce YAML for {file}: {message}")]
    Yaml { file: String, message: String },
    #[error("cannot write {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppFile<'a> {
    version: u32,
    name: &'a str,
    slug: &'a str,
    home_page: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<&'a Auth>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    datasources: &'a [Datasource],
    settings: &'a serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageFile<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<&'a str>,
    hidden: bool,
    /// Written only when not public (the default).
    #[serde(skip_serializing_if = "Access::is_public")]
    access: &'a Access,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    on_load: &'a [String],
    widgets: Vec<WidgetFile<'a>>,
}

#[derive(Serialize)]
struct WidgetFile<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    widget_type: WidgetType,
    position: FlowMap<&'a Position>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    props: &'a OrderedMap<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<WidgetFile<'a>>,
}

impl<'a> WidgetFile<'a> {
    fn new(w: &'a Widget) -> Self {
        WidgetFile {
            name: &w.name,
            widget_type: w.widget_type,
            position: FlowMap(&w.position),
            props: &w.props,
            children: w.children.iter().map(WidgetFile::new).collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryFile<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    method: Method,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    params: &'a OrderedMap<String>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    headers: &'a OrderedMap<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Body>,
    timeout_ms: u32,
    /// Written only when true, so the files of an app that does not use it stay as they were.
    #[serde(skip_serializing_if = "crate::model::is_false")]
    follow_redirects: bool,
    /// Written only when not public (the default).
    #[serde(skip_serializing_if = "Access::is_public")]
    access: &'a Access,
}

fn to_yaml<T: Serialize>(file: &str, value: &T) -> Result<String, WriteError> {
    serde_saphyr::to_string(value).map_err(|e| WriteError::Yaml {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

impl App {
    /// The folder's files (relative path → text), as [`App::write_folder`] writes them.
    pub fn to_files(&self) -> Result<SourceFiles, WriteError> {
        let mut files = SourceFiles::new();
        let app = AppFile {
            version: self.version,
            name: &self.name,
            slug: &self.slug,
            home_page: &self.home_page,
            auth: self.auth.as_ref(),
            datasources: &self.datasources,
            settings: &self.settings,
        };
        files.insert("app.yaml".to_owned(), to_yaml("app.yaml", &app)?);
        for page in &self.pages {
            let file = format!("pages/{}.yaml", page.name);
            let text = to_yaml(&file, &page_file(page))?;
            files.insert(file, text);
        }
        for query in &self.queries {
            let file = format!("queries/{}.yaml", query.name);
            let text = to_yaml(&file, &query_file(query))?;
            files.insert(file, text);
        }
        for object in &self.js_objects {
            files.insert(format!("js/{}.js", object.name), object.source.clone());
        }
        Ok(files)
    }

    /// Writes the app as a folder at `dir` (created if needed). Files of `pages/`, `queries/`
    /// and `js/` that are not part of the app are removed, so the folder reads back as this
    /// app; anything else in `dir` (a README, `.git`) is left alone.
    pub fn write_folder(&self, dir: &Path) -> Result<(), WriteError> {
        let files = self.to_files()?;
        let io = |file: &str| {
            let file = file.to_owned();
            move |source| WriteError::Io { file, source }
        };
        std::fs::create_dir_all(dir).map_err(io("."))?;
        for (sub, ext) in [("pages", ".yaml"), ("queries", ".yaml"), ("js", ".js")] {
            let path = dir.join(sub);
            let needed = files.keys().any(|f| f.starts_with(&format!("{sub}/")));
            if needed {
                std::fs::create_dir_all(&path).map_err(io(sub))?;
            }
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel = format!("{sub}/{name}");
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if is_file && name.ends_with(ext) && !files.contains_key(&rel) {
                    std::fs::remove_file(entry.path()).map_err(io(&rel))?;
                }
            }
        }
        for (rel, text) in &files {
            std::fs::write(dir.join(rel), text).map_err(io(rel))?;
        }
        Ok(())
    }
}

fn page_file(page: &Page) -> PageFile<'_> {
    PageFile {
        name: &page.name,
        slug: page.slug.as_deref(),
        hidden: page.hidden,
        access: &page.access,
        on_load: &page.on_load,
        widgets: page.widgets.iter().map(WidgetFile::new).collect(),
    }
}

fn query_file(query: &Query) -> QueryFile<'_> {
    QueryFile {
        datasource: query.datasource.as_deref(),
        path: query.path.as_deref(),
        url: query.url.as_deref(),
        method: query.method,
        params: &query.params,
        headers: &query.headers,
        body: query.body.as_ref(),
        timeout_ms: query.timeout_ms,
        follow_redirects: query.follow_redirects,
        access: &query.access,
    }
}
