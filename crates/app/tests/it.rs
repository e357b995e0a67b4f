//! Whole-folder tests: the example app, round trips (folder ↔ model ↔ storage JSON), the
//! viewer JSON.

use std::path::{Path, PathBuf};

use lowkey_app::{viewer_json, viewer_json_for, Access, App, Caller, SourceFiles, Verify};
use serde_json::json;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/custom-auth")
}

fn load_example() -> App {
    let (app, diagnostics) = App::load(&example_dir());
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    app.expect("no diagnostics, so an app")
}

/// A folder of its own under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("lowkey-app-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// import → export → import gives an equal app, through files, a folder on disk and JSON.
fn assert_round_trips(app: &App, name: &str) {
    let files = app.to_files().unwrap();
    let (again, diagnostics) = App::from_files(&files);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}\n{files:#?}");
    assert_eq!(again.as_ref(), Some(app));

    let dir = TempDir::new(name);
    app.write_folder(&dir.0).unwrap();
    let (from_disk, diagnostics) = App::load(&dir.0);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(from_disk.as_ref(), Some(app));
    // Writing again over the folder is stable.
    app.write_folder(&dir.0).unwrap();
    assert_eq!(App::load(&dir.0).0.as_ref(), Some(app));

    let stored = app.to_json().unwrap();
    assert_eq!(&App::from_json(&stored).unwrap(), app);
    assert_eq!(App::from_json(&stored).unwrap().to_json().unwrap(), stored);
}

#[test]
fn the_example_app_validates_cleanly() {
    let app = load_example();
    assert_eq!(app.slug, "custom-auth");
    assert_eq!(app.home_page, "LoginPage");
    let names: Vec<&str> = app.queries.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["get_user", "refreshAPI", "revokeAPI", "sign_in"]);
}

#[test]
fn the_example_app_round_trips() {
    assert_round_trips(&load_example(), "example");
}

#[test]
fn a_fixture_with_every_field_round_trips() {
    let app = fixture();
    assert_round_trips(&app, "fixture");
}

#[test]
fn the_viewer_json_of_the_example_has_the_documented_shape() {
    let app = load_example();
    let v = viewer_json(&app);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8);
    // Protected (Dashboard, get_user): the summary the viewer needs; the builder's view has no user.
    assert_eq!(
        v["auth"],
        json!({ "loginPage": "LoginPage", "token": { "store": "accesstoken" } })
    );
    assert_eq!(v["user"], json!(null));
    assert_eq!(v["name"], "Custom auth");
    assert_eq!(v["slug"], "custom-auth");
    assert_eq!(v["homePage"], "LoginPage");
    let login = v["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "LoginPage")
        .unwrap();
    assert_eq!(login["slug"], "login-page");
    assert_eq!(login["hidden"], false);
    assert_eq!(login["onLoad"], json!(["Auth.redirectIfSignedIn"]));
    let form = &login["widgets"][0];
    assert_eq!(form["name"], "frm_login");
    assert_eq!(form["type"], "Form");
    assert_eq!(
        form["position"],
        json!({"col": 20, "row": 6, "width": 24, "height": 40})
    );
    assert_eq!(form["props"], json!({"title": "Sign in"}));
    assert_eq!(form["children"][1]["props"]["inputType"], "EMAIL");
    assert_eq!(form["children"][0]["children"], json!([]));
    let sign_in = v["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "sign_in")
        .unwrap();
    assert_eq!(
        sign_in,
        &json!({"name": "sign_in", "access": "public", "bindings": ["inp_username.text", "inp_password.text"]})
    );
    assert_eq!(v["jsObjects"][0]["name"], "Auth");
    assert!(v["jsObjects"][0]["source"]
        .as_str()
        .unwrap()
        .contains("export default"));
}

#[test]
fn the_viewer_json_never_holds_datasource_urls_headers_or_secrets() {
    let app = fixture();
    let text = viewer_json(&app).to_string();
    for hidden in [
        "api.example.com",
        "X-Api-Key",
        "secrets.",
        "/auth/v1",
        "timeoutMs",
        "datasource",
    ] {
        assert!(!text.contains(hidden), "{hidden} leaked: {text}");
    }
    let v = viewer_json(&app);
    let search = v["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "search")
        .unwrap();
    assert_eq!(
        search["bindings"],
        json!(["inp_term.text", "this.params.page", "appsmith.store.token"])
    );
}

#[test]
fn follow_redirects_is_written_only_when_true_and_round_trips() {
    let mut app = load_example();
    // An app that does not use it is written exactly as before.
    let files = app.to_files().unwrap();
    for q in ["get_user", "refreshAPI", "revokeAPI", "sign_in"] {
        let path = format!("queries/{q}.yaml");
        assert!(!files[&path].contains("followRedirects"), "{path}");
    }
    assert!(!app.to_json().unwrap().contains("followRedirects"));

    app.queries[0].follow_redirects = true;
    let files = app.to_files().unwrap();
    let name = &app.queries[0].name;
    assert!(files[&format!("queries/{name}.yaml")].contains("\nfollowRedirects: true\n"));
    assert!(app.to_json().unwrap().contains("\"followRedirects\":true"));
    assert_round_trips(&app, "follow-redirects");

    // Stored JSON written before the field existed reads as false.
    let mut json: serde_json::Value = serde_json::from_str(&app.to_json().unwrap()).unwrap();
    json["queries"][0]
        .as_object_mut()
        .unwrap()
        .remove("followRedirects");
    assert!(!App::from_json(&json.to_string()).unwrap().queries[0].follow_redirects);
}

#[test]
fn an_app_from_storage_can_be_validated() {
    let mut app = load_example();
    assert_eq!(app.validate(), vec![]);
    app.home_page = "Missing".into();
    app.queries[0].timeout_ms = 70_000;
    let messages: Vec<String> = app.validate().iter().map(|d| d.message.clone()).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let mut json: serde_json::Value = serde_json::from_str(&app.to_json().unwrap()).unwrap();
    json["version"] = json!(3);
    assert!(App::from_json(&json.to_string()).is_err());
    json["version"] = json!(1);
    json["unknown"] = json!(1);
    assert!(App::from_json(&json.to_string()).is_err());
}

#[test]
fn a_folder_that_does_not_exist_is_a_diagnostic() {
    let (app, diagnostics) = App::load(Path::new("this/folder/does/not/exist"));
    assert!(app.is_none());
    assert_eq!(diagnostics.len(), 1);
}

#[test]
fn write_folder_removes_stale_files_only_in_its_sub_folders() {
    let app = load_example();
    let dir = TempDir::new("stale");
    std::fs::create_dir_all(dir.0.join("queries")).unwrap();
    std::fs::write(dir.0.join("queries/old_query.yaml"), "url: https://x.y\n").unwrap();
    std::fs::write(dir.0.join("README.md"), "notes").unwrap();
    app.write_folder(&dir.0).unwrap();
    assert!(!dir.0.join("queries/old_query.yaml").exists());
    assert!(dir.0.join("README.md").exists());
    assert_eq!(App::load(&dir.0).0.as_ref(), Some(&app));
}

/// An app that uses every field of the format, with strings chosen to trip a YAML writer.
fn fixture() -> App {
    let tricky = [
        "true", "false", "null", "~", "", " ", "1", "1.5", "0x1F", "1e3", "yes", "no", "on", "off",
        "- item", "# not a comment", "a: b", "key: {{x}}", "'single'", "\"double\"", "{flow}", "[list]",
        "  leading and trailing  ", "tab\there", "line one\nline two", "ends with newline\n",
        "multi\n\n  indented\ntrailing spaces   \n", "ünïcödé ✓ 日本", "@at", "`tick`", "%percent", "!bang", "&amp", "*star",
        "a long line that goes on and on past eighty characters so that a folding writer might be tempted to fold it somewhere",
        "\u{7f}control",
    ];
    let mut files = SourceFiles::new();
    files.insert(
        "app.yaml".into(),
        "version: 1\nname: 'Every: field'\nslug: every-field\nhomePage: Main\ndatasources:\n  - name: api\n    url: https://api.example.com/v1\n    headers:\n      X-Api-Key: '{{secrets.API_KEY}}'\n      X-Client: lowkey\n  - name: local\n    url: /auth/v1\nsettings:\n  theme: { dark: true, accent: '#123456' }\n  list: [1, 2.5, null, 'x']\n".into(),
    );
    let mut text_widgets = String::new();
    for (i, t) in tricky.iter().enumerate() {
        // YAML's double-quoted style is JSON's plus escapes such as `\x7F` for DEL.
        let quoted = serde_json::to_string(t).unwrap().replace('\u{7f}', "\\x7F");
        text_widgets.push_str(&format!(
            "      - name: txt_{i}\n        type: Text\n        position: {{ col: 0, row: {i}, width: 64, height: 1 }}\n        props:\n          text: {quoted}\n"
        ));
    }
    files.insert(
        "pages/Main.yaml".into(),
        format!(
            "name: Main\nhidden: false\nonLoad:\n  - load_data\n  - Helpers.init\nwidgets:\n  - name: frm\n    type: Form\n    position: {{ col: 0, row: 0, width: 64, height: 60 }}\n    props: {{ title: 'Form {{{{appsmith.user.email}}}}', isVisible: true }}\n    children:\n      - name: inp_term\n        type: Input\n        position: {{ col: 0, row: 0, width: 32, height: 7 }}\n        props:\n          inputType: NUMBER\n          label: Term\n          placeholderText: '…'\n          defaultText: '{{{{appsmith.URL.queryParams.q}}}}'\n          isRequired: false\n          maxChars: 20\n          regex: '^[0-9]+$'\n          validation: '{{{{inp_term.text.length > 0}}}}'\n          errorMessage: Digits only\n          isDisabled: '{{{{search.isLoading}}}}'\n          isVisible: true\n          onTextChanged: '{{{{ search.run({{ page: 1 }}) }}}}'\n          onSubmit: \"{{{{ await search.run(); showAlert('done', 'success'); }}}}\"\n      - name: btn\n        type: Button\n        position: {{ col: 32, row: 0, width: 32, height: 7 }}\n        props:\n          text: Go\n          onClick: '{{{{Helpers.go()}}}}'\n          isDisabled: false\n          isVisible: true\n          disabledWhenInvalid: true\n          resetFormOnClick: false\n{text_widgets}  - name: ctr\n    type: Container\n    position: {{ col: 10, row: 61, width: 54, height: 30 }}\n    props:\n      isVisible: '{{{{ !!search.data }}}}'\n    children:\n      - name: tbl\n        type: Table\n        position: {{ col: 0, row: 0, width: 64, height: 30 }}\n        props:\n          tableData: '{{{{ search.data.items }}}}'\n          columns:\n            - {{ key: id, label: Id }}\n            - {{ key: name }}\n          isVisible: true\n"
        ),
    );
    files.insert(
        "pages/Secret_Area.yaml".into(),
        "name: Secret_Area\nslug: area-51\nhidden: true\nwidgets:\n  - name: txt_static\n    type: Text\n    position: { col: 0, row: 0, width: 1, height: 1 }\n    props:\n      text: 12\n  - name: tbl_static\n    type: Table\n    position: { col: 0, row: 1, width: 64, height: 10 }\n    props:\n      tableData:\n        - { id: 1, name: 'A', nested: { deep: [true, null, 1.25, -3] } }\n        - { id: 2, name: 'B: c' }\n".into(),
    );
    files.insert(
        "queries/search.yaml".into(),
        "datasource: api\npath: /search/{{inp_term.text}}\nmethod: PUT\nparams:\n  page: '{{this.params.page}}'\n  limit: 10\n  flag: true\nheaders:\n  Authorization: 'Bearer {{appsmith.store.token}}'\n  Accept: application/json\nbody:\n  type: text\n  content: |\n    term={{inp_term.text}}\n      indented line\n    last\ntimeoutMs: 60000\n".into(),
    );
    files.insert(
        "queries/load_data.yaml".into(),
        "url: https://data.example.org/items?fixed=1&q={{inp_term.text}}\nmethod: PATCH\nbody:\n  type: form\n  content:\n    grant_type: password\n    user: '{{inp_term.text}}'\n    n: 3\n".into(),
    );
    files.insert(
        "queries/remove.yaml".into(),
        "datasource: local\npath: /logout\nmethod: DELETE\nbody:\n  type: json\n  content: '{\"a\": [{{inp_term.text}}, \"x {{secrets.OTHER}}\"], \"b\": {\"c\": null}}'\ntimeoutMs: 1\n".into(),
    );
    files.insert(
        "queries/plain.yaml".into(),
        "datasource: local\npath: /user\n".into(),
    );
    files.insert(
        "js/Helpers.js".into(),
        "export default {\n  count: 0,\n  async init() { this.count = 1; },\n  go: () => navigateTo('Secret_Area', { a: 1 }),\n  later: function () { return remove.run(); },\n};\n".into(),
    );
    let (app, diagnostics) = App::from_files(&files);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let app = app.expect("no diagnostics, so an app");
    // The fixture really has what it claims.
    assert_eq!(app.pages.len(), 2);
    assert_eq!(app.queries.len(), 4);
    assert_eq!(app.pages[0].all_widgets().len(), 5 + tricky.len());
    app
}

/// The guide's sign-in snippet, pasted as the reader of Appsmith's guide would, does not
/// parse (its braces do not balance): `lowkey app validate` says where, instead of the app
/// failing at run time.
#[test]
fn the_guides_unbalanced_signin_snippet_is_reported_with_its_position() {
    let mut files = SourceFiles::new();
    for entry in ["app.yaml", "pages/LoginPage.yaml", "pages/Dashboard.yaml"] {
        let text = std::fs::read_to_string(example_dir().join(entry)).unwrap();
        files.insert(entry.to_string(), text);
    }
    for q in ["sign_in", "refreshAPI", "revokeAPI", "get_user"] {
        let path = format!("queries/{q}.yaml");
        files.insert(
            path.clone(),
            std::fs::read_to_string(example_dir().join(&path)).unwrap(),
        );
    }
    let guide = "export default {\n\
signin: () =>{\n\
 return sign_in.run()\n\
 .then(data => {\n\
 storeValue(key, user.data[key]);\n\
 })\n\
 })\n\
 .then(() => navigateTo('Dashboard'));\n\
 },\n\
}\n";
    files.insert("js/Auth.js".into(), guide.into());
    let (app, diagnostics) = App::from_files(&files);
    assert!(app.is_none());
    let js: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.file == "js/Auth.js")
        .collect();
    assert!(!js.is_empty(), "{diagnostics:?}");
    // The first stray `)` closes nothing: line 7.
    assert_eq!(js[0].line, 7, "{:?}", js[0]);
    assert!(js[0].column >= 1);
}

/// The catalogue the validator is generated from (crates/app/build.rs).
fn catalogue() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/widgets.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A one-page app whose widgets (one per catalogue type) get the props `pick` chooses.
fn app_with_every_type(
    pick: impl Fn(&serde_json::Value) -> Option<serde_json::Value>,
) -> SourceFiles {
    let mut widgets = String::new();
    for (i, w) in catalogue()["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let props: serde_json::Map<String, serde_json::Value> = w["props"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| Some((p["name"].as_str()?.to_owned(), pick(p)?)))
            .collect();
        // JSON is YAML's flow style.
        widgets.push_str(&format!(
            "  - name: w_{i}\n    type: {}\n    position: {{ col: 0, row: {}, width: 10, height: 5 }}\n    props: {}\n",
            w["type"].as_str().unwrap(),
            i * 5,
            serde_json::Value::Object(props)
        ));
    }
    let mut files = SourceFiles::new();
    files.insert(
        "app.yaml".into(),
        "version: 1\nname: Catalogue\nslug: catalogue\nhomePage: Main\n".into(),
    );
    files.insert(
        "pages/Main.yaml".into(),
        format!("name: Main\nwidgets:\n{widgets}"),
    );
    files
}

#[test]
fn every_default_and_initial_value_of_the_catalogue_is_valid() {
    for field in ["default", "initial"] {
        let files = app_with_every_type(|p| p.get(field).cloned());
        let (app, diagnostics) = App::from_files(&files);
        assert!(diagnostics.is_empty(), "{field}: {diagnostics:#?}");
        let app = app.unwrap();
        assert_eq!(
            app.pages[0].widgets.len(),
            catalogue()["widgets"].as_array().unwrap().len()
        );
    }
}

#[test]
fn every_property_of_the_catalogue_takes_a_binding_and_no_other_is_accepted() {
    let files = app_with_every_type(|p| {
        let code = if p["kind"] == "event" {
            "{{ showAlert('x') }}"
        } else {
            "{{ appsmith.store.x }}"
        };
        Some(json!(code))
    });
    let (_, diagnostics) = App::from_files(&files);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");

    let mut files = app_with_every_type(|p| (p["name"] == "isVisible").then_some(json!(true)));
    let page = files["pages/Main.yaml"].replacen("isVisible", "isVisibel", 1);
    files.insert("pages/Main.yaml".into(), page);
    let (app, diagnostics) = App::from_files(&files);
    assert!(app.is_none());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    // The message lists the catalogue's properties of the type.
    let message = &diagnostics[0].message;
    assert!(message.contains("`isVisibel`"), "{message}");
    assert!(message.contains("title, isVisible"), "{message}");
}

/// Issue 8: `{{ a /* }} */ }}` was one binding in the browser and an error on the server. The
/// scanning rule is now one (docs/app-format.md, "Where a binding ends").
#[test]
fn a_closing_pair_inside_a_comment_does_not_end_a_binding() {
    let text =
        |t: &'static str| move |p: &serde_json::Value| (p["name"] == "text").then_some(json!(t));
    let (app, diagnostics) = App::from_files(&app_with_every_type(text(
        "{{ appsmith.store.a /* }} */ }} and {{ appsmith.store.b // note }}",
    )));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(app.is_some());

    // An empty binding and an unclosed one are refused, as the docs say.
    for template in ["{{ }}", "{{ a /* }}"] {
        let (app, diagnostics) = App::from_files(&app_with_every_type(text(template)));
        assert!(app.is_none(), "{template}");
        // One for each type with a `text` property (Button and Text).
        assert_eq!(diagnostics.len(), 2, "{template}: {diagnostics:#?}");
    }
}

/// A version 2 app with every kind of access: a public login page, a page for anyone signed
/// in, one for admins; a public query, one for anyone signed in, one for admins.
fn protected() -> App {
    let mut files = SourceFiles::new();
    files.insert(
        "app.yaml".into(),
        "version: 2\nname: Protected\nslug: protected\nhomePage: Login\nauth:\n  loginPage: Login\n  verify: { jwks: 'https://idp.example.com/jwks.json', issuer: 'https://idp.example.com', audience: lowkey }\n  token: { store: accesstoken }\n  rolesClaim: app_metadata.roles\n  clockSkewSecs: 60\ndatasources:\n  - name: api\n    url: https://api.example.com\n".into(),
    );
    files.insert(
        "pages/Login.yaml".into(),
        "name: Login\nwidgets:\n  - name: inp_email\n    type: Input\n    position: { col: 0, row: 0, width: 20, height: 7 }\n  - name: btn_sign_in\n    type: Button\n    position: { col: 0, row: 8, width: 20, height: 4 }\n    props:\n      onClick: '{{ sign_in.run() }}'\n".into(),
    );
    files.insert(
        "pages/Dashboard.yaml".into(),
        "name: Dashboard\nhidden: true\naccess: signedIn\nonLoad:\n  - get_user\nwidgets:\n  - name: txt_welcome\n    type: Text\n    position: { col: 0, row: 0, width: 20, height: 4 }\n    props:\n      text: 'Welcome {{ get_user.data.email }}'\n".into(),
    );
    files.insert(
        "pages/Admin.yaml".into(),
        "name: Admin\naccess: { roles: [admin] }\nonLoad:\n  - delete_all\nwidgets:\n  - name: btn_delete\n    type: Button\n    position: { col: 0, row: 0, width: 20, height: 4 }\n".into(),
    );
    files.insert(
        "queries/sign_in.yaml".into(),
        "datasource: api\npath: /token\nmethod: POST\nbody:\n  type: json\n  content: '{\"email\": {{inp_email.text}}}'\n".into(),
    );
    files.insert(
        "queries/get_user.yaml".into(),
        "datasource: api\npath: /user\nheaders:\n  Authorization: 'Bearer {{appsmith.store.accesstoken}}'\naccess: signedIn\n".into(),
    );
    files.insert(
        "queries/delete_all.yaml".into(),
        "datasource: api\npath: /all/{{txt_welcome.text}}\nmethod: DELETE\naccess: { roles: [admin, owner] }\n".into(),
    );
    let (app, diagnostics) = App::from_files(&files);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    app.expect("no diagnostics, so an app")
}

#[test]
fn a_version_1_folder_on_disk_loads_as_version_2() {
    let dir = TempDir::new("v1");
    std::fs::create_dir_all(dir.0.join("pages")).unwrap();
    std::fs::write(
        dir.0.join("app.yaml"),
        "version: 1\nname: Old\nslug: old\nhomePage: Home\n",
    )
    .unwrap();
    std::fs::write(dir.0.join("pages/Home.yaml"), "name: Home\n").unwrap();
    let (app, diagnostics) = App::load(&dir.0);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let app = app.unwrap();
    assert_eq!(app.version, 2);
    assert_eq!(app.auth, None);
    assert_eq!(app.pages[0].access, Access::Public);
    // Exported, it is a version 2 folder.
    assert!(app.to_files().unwrap()["app.yaml"].starts_with("version: 2\n"));
}

#[test]
fn a_protected_app_round_trips_through_files_folders_and_json() {
    let app = protected();
    assert_eq!(
        app.auth.as_ref().map(|a| &a.verify),
        Some(&Verify::Jwks {
            jwks: "https://idp.example.com/jwks.json".into(),
            issuer: "https://idp.example.com".into(),
            audience: Some("lowkey".into()),
        })
    );
    assert_round_trips(&app, "protected");
}

#[test]
fn export_writes_auth_and_access_and_omits_public() {
    let files = protected().to_files().unwrap();
    let app_yaml = &files["app.yaml"];
    for expected in [
        "auth:\n",
        "loginPage: Login",
        "jwks: https://idp.example.com/jwks.json",
        "audience: lowkey",
        "store: accesstoken",
        "rolesClaim: app_metadata.roles",
        "clockSkewSecs: 60",
    ] {
        assert!(app_yaml.contains(expected), "{expected}: {app_yaml}");
    }
    assert!(files["pages/Dashboard.yaml"].contains("access: signedIn\n"));
    assert!(files["pages/Admin.yaml"].contains("access:\n  roles:\n  - admin\n"));
    assert!(files["queries/get_user.yaml"].contains("access: signedIn\n"));
    assert!(files["queries/delete_all.yaml"].contains("roles:\n  - admin\n  - owner\n"));
    assert!(!files["pages/Login.yaml"].contains("access"));
    assert!(!files["queries/sign_in.yaml"].contains("access"));

    // Defaults are not written either.
    let mut app = protected();
    let auth = app.auth.as_mut().unwrap();
    auth.verify = Verify::Builtin;
    auth.roles_claim = "roles".into();
    auth.clock_skew_secs = 30;
    let app_yaml = &app.to_files().unwrap()["app.yaml"];
    for absent in ["verify", "rolesClaim", "clockSkewSecs"] {
        assert!(!app_yaml.contains(absent), "{absent}: {app_yaml}");
    }
    assert_round_trips(&app, "protected-defaults");
}

#[test]
fn the_storage_json_holds_auth_and_access_and_stored_version_1_loads() {
    let app = protected();
    let stored = app.to_json().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        v["auth"],
        json!({
            "loginPage": "Login",
            "verify": {"jwks": "https://idp.example.com/jwks.json", "issuer": "https://idp.example.com", "audience": "lowkey"},
            "token": {"store": "accesstoken"},
            "rolesClaim": "app_metadata.roles",
            "clockSkewSecs": 60,
        })
    );
    let page = |name: &str| {
        v["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let query = |name: &str| {
        v["queries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(page("Dashboard")["access"], "signedIn");
    assert_eq!(page("Admin")["access"], json!({"roles": ["admin"]}));
    assert!(page("Login").get("access").is_none());
    assert_eq!(
        query("delete_all")["access"],
        json!({"roles": ["admin", "owner"]})
    );
    assert!(query("sign_in").get("access").is_none());

    // An app stored before version 2 (no `auth`, no `access`) loads as version 2.
    let current = load_example().to_json().unwrap();
    let old = current.replacen("{\"version\":2,", "{\"version\":1,", 1);
    assert_ne!(old, current);
    let migrated = App::from_json(&old).unwrap();
    assert_eq!(migrated.version, 2);
    assert_eq!(migrated, load_example());

    // The storage form of an access is exactly one of its three shapes.
    let mut bad = v.clone();
    bad["pages"][0]["access"] = json!("everyone");
    assert!(App::from_json(&bad.to_string()).is_err());
    bad["pages"][0]["access"] = json!({"roles": ["a"], "more": 1});
    assert!(App::from_json(&bad.to_string()).is_err());
    bad["pages"][0]["access"] = json!({"roles": ["a"]});
    assert!(App::from_json(&bad.to_string()).is_ok());
    bad["auth"]["verify"] = json!("magic");
    assert!(App::from_json(&bad.to_string()).is_err());
    bad["auth"]["verify"] = json!({"userinfo": "sign_in"});
    assert!(App::from_json(&bad.to_string()).is_ok());
    bad["auth"]["verify"] = json!({"userinfo": "sign_in", "jwks": "https://x.y"});
    assert!(App::from_json(&bad.to_string()).is_err());
}

fn find<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap()
}

fn user(roles: &[&str]) -> Caller {
    Caller::User {
        id: "u-1".into(),
        email: Some("ada@example.com".into()),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        claims: json!({"sub": "u-1", "user_metadata": {"full_name": "Ada Lovelace"}}),
    }
}

#[test]
fn an_anonymous_caller_gets_protected_pages_and_queries_locked() {
    let v = viewer_json_for(&protected(), &Caller::Anonymous);
    assert_eq!(
        v["auth"],
        json!({"loginPage": "Login", "token": {"store": "accesstoken"}})
    );
    assert_eq!(v["user"], json!(null));
    assert_eq!(
        find(&v["pages"], "Dashboard"),
        &json!({"name": "Dashboard", "slug": "dashboard", "hidden": true, "access": "signedIn", "locked": true})
    );
    assert_eq!(
        find(&v["pages"], "Admin"),
        &json!({"name": "Admin", "slug": "admin", "hidden": false, "access": {"roles": ["admin"]}, "locked": true})
    );
    let login = find(&v["pages"], "Login");
    assert_eq!(login["access"], "public");
    assert!(login.get("locked").is_none());
    assert_eq!(login["widgets"].as_array().unwrap().len(), 2);
    assert_eq!(
        find(&v["queries"], "get_user"),
        &json!({"name": "get_user", "access": "signedIn", "locked": true})
    );
    assert_eq!(
        find(&v["queries"], "delete_all"),
        &json!({"name": "delete_all", "access": {"roles": ["admin", "owner"]}, "locked": true})
    );
    assert_eq!(
        find(&v["queries"], "sign_in"),
        &json!({"name": "sign_in", "access": "public", "bindings": ["inp_email.text"]})
    );
    // Nothing of a locked page or query reaches an anonymous caller, nor the verifier's setup.
    let text = v.to_string();
    for hidden in [
        "txt_welcome",
        "btn_delete",
        "get_user.data",
        "appsmith.store.accesstoken",
        "jwks",
        "idp.example.com",
    ] {
        assert!(!text.contains(hidden), "{hidden} leaked: {text}");
    }
}

#[test]
fn a_signed_in_caller_gets_what_its_roles_allow() {
    let app = protected();
    let v = viewer_json_for(&app, &user(&["editor"]));
    assert_eq!(
        v["user"],
        json!({
            "id": "u-1", "email": "ada@example.com", "name": "Ada Lovelace", "username": "ada",
            "isAnonymous": false, "roles": ["editor"],
            "claims": {"sub": "u-1", "user_metadata": {"full_name": "Ada Lovelace"}},
        })
    );
    let dashboard = find(&v["pages"], "Dashboard");
    assert!(dashboard.get("locked").is_none());
    assert_eq!(dashboard["onLoad"], json!(["get_user"]));
    assert_eq!(dashboard["widgets"][0]["name"], "txt_welcome");
    assert_eq!(
        find(&v["queries"], "get_user")["bindings"],
        json!(["appsmith.store.accesstoken"])
    );
    // Without the role, the admins' page and query stay locked.
    assert_eq!(find(&v["pages"], "Admin")["locked"], true);
    assert!(find(&v["pages"], "Admin").get("widgets").is_none());
    assert_eq!(find(&v["queries"], "delete_all")["locked"], true);
    assert!(find(&v["queries"], "delete_all").get("bindings").is_none());

    // One of the query's roles opens the query; the page needs its own.
    let v = viewer_json_for(&app, &user(&["owner"]));
    assert_eq!(
        find(&v["queries"], "delete_all")["bindings"],
        json!(["txt_welcome.text"])
    );
    assert_eq!(find(&v["pages"], "Admin")["locked"], true);
    let v = viewer_json_for(&app, &user(&["editor", "admin"]));
    assert_eq!(
        find(&v["pages"], "Admin")["widgets"][0]["name"],
        "btn_delete"
    );
    assert_eq!(find(&v["pages"], "Admin")["onLoad"], json!(["delete_all"]));
    assert!(!v.to_string().contains("\"locked\""));

    // The builder's view (the editor's preview) has everything and no user.
    let v = viewer_json(&app);
    assert_eq!(v["user"], json!(null));
    assert!(!v.to_string().contains("\"locked\""));
    assert_eq!(
        find(&v["pages"], "Admin")["access"],
        json!({"roles": ["admin"]})
    );
}

#[test]
fn a_user_without_a_name_claim_is_named_by_what_there_is() {
    let caller = Caller::User {
        id: "u-2".into(),
        email: None,
        roles: vec![],
        claims: json!({"sub": "u-2", "preferred_username": "grace", "name": "Grace Hopper"}),
    };
    let v = viewer_json_for(&protected(), &caller);
    assert_eq!(v["user"]["name"], "Grace Hopper");
    assert_eq!(v["user"]["username"], "grace");
    assert_eq!(v["user"]["email"], json!(null));
    let anonymous_like = Caller::User {
        id: "u-3".into(),
        email: None,
        roles: vec![],
        claims: json!({}),
    };
    let v = viewer_json_for(&protected(), &anonymous_like);
    assert_eq!(v["user"]["name"], "");
    assert_eq!(v["user"]["username"], "");
    assert_eq!(v["user"]["isAnonymous"], false);
}

#[test]
fn a_caller_is_made_from_verified_claims() {
    let claims = json!({"sub": "u-9", "email": "bo@example.com", "app_metadata": {"roles": ["admin", 3, "ops"]}});
    let caller = Caller::from_claims(claims.clone(), "app_metadata.roles");
    assert_eq!(
        caller,
        Caller::User {
            id: "u-9".into(),
            email: Some("bo@example.com".into()),
            roles: vec!["admin".into(), "ops".into()],
            claims: claims.clone(),
        }
    );
    assert_eq!(caller.id(), Some("u-9"));
    assert!(Access::Roles(vec!["ops".into()]).allows(&caller));
    assert!(!Access::Roles(vec!["owner".into()]).allows(&caller));
    assert!(Access::SignedIn.allows(&caller));
    // No roles at the claim: signed in, but no role.
    let plain = Caller::from_claims(claims, "roles");
    assert_eq!(plain.roles(), Some(&[][..]));
    assert!(Access::SignedIn.allows(&plain));
    assert!(!Access::Roles(vec!["admin".into()]).allows(&plain));
    // Claims without a subject name no one.
    let nobody = Caller::from_claims(json!({"email": "x@example.com"}), "roles");
    assert_eq!(nobody, Caller::Anonymous);
    assert_eq!(nobody.id(), None);
    assert!(Access::Public.allows(&nobody));
    assert!(!Access::SignedIn.allows(&nobody));
}
