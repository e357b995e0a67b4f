//! The operator CLI works on the same data directory as the server.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::helpers::*;

pub(crate) fn lowkey(
    dir: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lowkey"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lowkey");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_added_ban_and_deleted_from_the_cli_are_seen_by_the_server() {
    let dir = fresh_dir();
    let (ok, out, err) = lowkey(
        &dir,
        &["user", "add", "Ops@Example.com"],
        Some("a long operator password\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("added ops@example.com"), "{out}");
    let (ok, _, err) = lowkey(&dir, &["user", "add", "weak@example.com"], Some("short\n"));
    assert!(!ok && err.contains("weak_password"), "{err}");
    let (ok, _, err) = lowkey(
        &dir,
        &["user", "add", "ops@example.com"],
        Some("a long operator password\n"),
    );
    assert!(!ok && err.contains("email_exists"), "{err}");
    assert!(
        !err.contains("a long operator password"),
        "the password never appears in output"
    );
    let (ok, out, _) = lowkey(&dir, &["user", "list"], None);
    assert!(
        ok && out.contains("ops@example.com")
            && out.contains("active")
            && out.contains("1 user(s)"),
        "{out}"
    );

    let app = spawn_in(dir.clone(), |_| {}).await;
    assert_eq!(
        app.sign_in("ops@example.com", "a long operator password")
            .await
            .status(),
        200
    );
    let (ok, _, err) = lowkey(&dir, &["user", "ban", "ops@example.com"], None);
    assert!(ok, "{err}");
    assert_error(
        app.sign_in("ops@example.com", "a long operator password")
            .await,
        400,
        "user_banned",
    )
    .await;
    let (ok, _, _) = lowkey(&dir, &["user", "unban", "ops@example.com"], None);
    assert!(ok);
    assert_eq!(
        app.sign_in("ops@example.com", "a long operator password")
            .await
            .status(),
        200
    );
    let (ok, _, _) = lowkey(&dir, &["user", "delete", "ops@example.com"], None);
    assert!(ok);
    assert_error(
        app.sign_in("ops@example.com", "a long operator password")
            .await,
        400,
        "invalid_credentials",
    )
    .await;
    let (ok, _, err) = lowkey(&dir, &["user", "delete", "ops@example.com"], None);
    assert!(!ok && err.contains("no user"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_from_the_cli_is_picked_up_by_a_running_server() {
    let dir = fresh_dir();
    let app = spawn_in(dir.clone(), |_| {}).await;
    let jwks = || async {
        app.client
            .get(app.auth("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    assert_eq!(jwks().await["keys"].as_array().unwrap().len(), 1);
    let (ok, out, err) = lowkey(&dir, &["keys", "rotate"], None);
    assert!(ok && out.contains("new signing key"), "{out}{err}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(jwks().await["keys"].as_array().unwrap().len(), 2);
}

fn lowkey_plain(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lowkey"))
        .args(args)
        .output()
        .expect("run lowkey");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn example_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/custom-auth")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_validate_reports_each_problem_with_file_line_and_column() {
    let dir = fresh_dir();
    let example = example_dir();
    let (ok, out, err) = lowkey_plain(&["app", "validate", example.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("ok: Custom auth (custom-auth): 2 page(s), 4 query(ies), 1 JS object(s)"),
        "{out}"
    );

    // A broken copy: an unknown widget type, a binding that does not parse, a JS syntax error.
    let broken = dir.join("broken");
    copy_dir(&example, &broken);
    let login = broken.join("pages/LoginPage.yaml");
    let text = std::fs::read_to_string(&login)
        .unwrap()
        .replace("type: Text", "type: Txet");
    std::fs::write(&login, text).unwrap();
    let q = broken.join("queries/get_user.yaml");
    let text = std::fs::read_to_string(&q)
        .unwrap()
        .replace("{{appsmith.store.accesstoken}}", "{{appsmith.store.}}");
    std::fs::write(&q, text).unwrap();
    let js = broken.join("js/Auth.js");
    let text =
        std::fs::read_to_string(&js)
            .unwrap()
            .replacen("async signin() {", "async signin() {{", 1);
    std::fs::write(&js, text).unwrap();
    let (ok, _, err) = lowkey_plain(&["app", "validate", broken.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("3 problem(s)"), "{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(".yaml:") || l.contains(".js:"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("pages/LoginPage.yaml:") && l.contains("Txet")),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l.contains("queries/get_user.yaml:")),
        "{err}"
    );
    assert!(lines.iter().any(|l| l.contains("js/Auth.js:")), "{err}");
    // file:line:column: message
    for l in &lines {
        let rest = l
            .split(".yaml:")
            .nth(1)
            .or_else(|| l.split(".js:").nth(1))
            .unwrap();
        let mut parts = rest.splitn(3, ':');
        assert!(
            parts.next().unwrap().parse::<u32>().is_ok()
                && parts.next().unwrap().parse::<u32>().is_ok(),
            "{l}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_import_publish_export_round_trips_through_the_database() {
    let dir = fresh_dir();
    let example = example_dir();
    let (ok, out, err) = lowkey(&dir, &["app", "import", example.to_str().unwrap()], None);
    assert!(ok && out.contains("draft of custom-auth"), "{out}{err}");
    let app = spawn_in(dir.clone(), |_| {}).await;
    let r = app
        .client
        .get(format!("{}/api/v1/apps/custom-auth", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "not published yet");
    let (ok, out, _) = lowkey(&dir, &["app", "publish", "custom-auth"], None);
    assert!(ok && out.contains("version 1"), "{out}");
    let r = app
        .client
        .get(format!("{}/api/v1/apps/custom-auth", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "a publish by the CLI is seen by the running server"
    );
    let exported = dir.join("exported");
    let (ok, _, err) = lowkey(
        &dir,
        &["app", "export", "custom-auth", exported.to_str().unwrap()],
        None,
    );
    assert!(ok, "{err}");
    let again = lowkey_app::App::load(&exported)
        .0
        .expect("exported folder validates");
    let original = lowkey_app::App::load(&example).0.unwrap();
    assert_eq!(again, original);
    let (ok, _, err) = lowkey(&dir, &["app", "publish", "no-such-app"], None);
    assert!(!ok && err.contains("no app"), "{err}");
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = fresh_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lowkey"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("lowkey listening") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0,
            "server exited early"
        );
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builders_are_added_listed_revoked_and_removed_from_the_cli() {
    let dir = fresh_dir();
    let (ok, out, err) = lowkey(
        &dir,
        &["admin", "add", "Lead@Example.com"],
        Some("a long builder password\n"),
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("added builder lead@example.com (admin"),
        "the first builder is an admin: {out}"
    );
    let (ok, out, err) = lowkey(
        &dir,
        &["admin", "add", "dev@example.com"],
        Some("another long password\n"),
    );
    assert!(
        ok && out.contains("(editor"),
        "later ones are editors: {out}{err}"
    );
    let (ok, out, err) = lowkey(
        &dir,
        &["admin", "add", "ops@example.com", "--role", "admin"],
        Some("a third long password\n"),
    );
    assert!(ok && out.contains("(admin"), "{out}{err}");
    let (ok, _, err) = lowkey(&dir, &["admin", "add", "weak@example.com"], Some("short\n"));
    assert!(!ok && err.contains("weak_password"), "{err}");
    let (ok, _, err) = lowkey(
        &dir,
        &["admin", "add", "dev@example.com"],
        Some("another long password\n"),
    );
    assert!(!ok && err.contains("email_exists"), "{err}");
    let (ok, _, err) = lowkey(
        &dir,
        &["admin", "add", "x@example.com", "--role", "owner"],
        Some("another long password\n"),
    );
    assert!(!ok && err.contains("owner"), "{err}");
    assert!(
        !err.contains("another long password"),
        "no password in output"
    );
    let (ok, out, _) = lowkey(&dir, &["admin", "list"], None);
    assert!(
        ok && out.contains("lead@example.com") && out.contains("3 builder(s)"),
        "{out}"
    );
    // Builders are not the provider's users.
    let (_, out, _) = lowkey(&dir, &["user", "list"], None);
    assert!(out.contains("0 user(s)"), "{out}");

    let app = spawn_in(dir.clone(), |_| {}).await;
    let sign_in = || async {
        app.client
            .post(format!("{}/api/v1/builder/session", app.url))
            .header(reqwest::header::ORIGIN, &app.url)
            .json(&serde_json::json!({ "email": "dev@example.com", "password": "another long password" }))
            .send()
            .await
            .unwrap()
    };
    let r = sign_in().await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session = || async {
        app.client
            .get(format!("{}/api/v1/builder/session", app.url))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(session().await, 200);
    let (ok, out, err) = lowkey(&dir, &["admin", "revoke", "dev@example.com"], None);
    assert!(ok && out.contains("ended 1 session(s)"), "{out}{err}");
    assert_eq!(session().await, 401, "a revoked session is stale");
    assert_eq!(sign_in().await.status(), 200, "signing in again works");
    let (ok, _, err) = lowkey(&dir, &["admin", "remove", "dev@example.com"], None);
    assert!(ok, "{err}");
    assert_eq!(
        sign_in().await.status(),
        400,
        "a removed builder cannot sign in"
    );
    let (ok, _, err) = lowkey(&dir, &["admin", "remove", "dev@example.com"], None);
    assert!(!ok && err.contains("no builder"), "{err}");
}

/// `lowkey demo` prints the builder's URL and credentials on lines of their own, which
/// web/e2e parses, and they sign in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_a_builder_who_can_sign_in() {
    use std::io::BufRead as _;
    let dir = fresh_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lowkey"))
        .args(["demo", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env("LOWKEY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run lowkey demo");
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("Press Ctrl-C"))
        .collect();
    let value = |label: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no line {label:?} in {lines:#?}"))
    };
    let (edit_url, email, password) = (
        value("Builder URL:"),
        value("Builder email:"),
        value("Builder password:"),
    );
    // The viewer's lines are unchanged (web/e2e/server.ts parses them).
    assert!(value("URL:").ends_with("/app/custom-auth"));
    assert_eq!(value("Email:"), "demo@lowkey.dev");
    let base = edit_url
        .strip_suffix("/edit")
        .expect("<base>/edit")
        .to_owned();
    assert_eq!(email, "builder@example.com");
    assert!(password.len() >= 32, "a random password: {password}");
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/builder/session"))
        .header(reqwest::header::ORIGIN, &base)
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_running_servers_database_and_the_copy_restores() {
    let app = spawn_app().await;
    app.create_user("kept@example.com").await;
    let session = app.session("kept@example.com").await;
    let copy = fresh_dir().join("lowkey-backup.db");
    let copy_arg = copy.to_str().unwrap();
    // While the server runs and holds its database open.
    let (ok, out, err) = lowkey(&app.data_dir, &["backup", copy_arg], None);
    assert!(ok, "{out}{err}");
    assert!(out.contains("backed up"), "{out}");
    // An existing file is never overwritten.
    let (ok, _, err) = lowkey(&app.data_dir, &["backup", copy_arg], None);
    assert!(!ok && err.contains("exists already"), "{err}");
    // The copy is a database a server starts on: the user and their session are in it.
    let restored = fresh_dir();
    std::fs::copy(&copy, restored.join("lowkey.db")).unwrap();
    let (ok, out, _) = lowkey(&restored, &["user", "list"], None);
    assert!(ok && out.contains("kept@example.com"), "{out}");
    let again = spawn_in(restored, |_| {}).await;
    let r = again
        .refresh(session["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), 200, "the session came along");
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
}

/// Every file under `dir`, as (path relative to `dir`, text).
fn files_under(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_new_writes_every_template_as_a_valid_app_and_refuses_what_it_cannot_write() {
    let dir = fresh_dir();
    let data = dir.join("data");
    // (template, the secrets its app.yaml tells the operator to set)
    let templates = [
        ("supabase", &["LOWKEY_SECRET_SUPABASE_ANON_KEY"][..]),
        (
            "oauth-password",
            &[
                "LOWKEY_SECRET_OAUTH_CLIENT_ID",
                "LOWKEY_SECRET_OAUTH_CLIENT_SECRET",
            ][..],
        ),
        ("oidc", &["LOWKEY_SECRET_OIDC_CLIENT_SECRET"][..]),
        ("firebase", &["LOWKEY_SECRET_FIREBASE_API_KEY"][..]),
    ];
    for (template, secrets) in templates {
        let folder = dir.join(format!("Team {template} App"));
        let slug = format!("team-{template}-app");
        let (ok, out, err) = lowkey_plain(&[
            "app",
            "new",
            folder.to_str().unwrap(),
            "--template",
            template,
        ]);
        assert!(ok, "{template}: {err}");
        assert!(out.contains(&format!("({slug})")), "{out}");
        let (ok, out, err) = lowkey_plain(&["app", "validate", folder.to_str().unwrap()]);
        assert!(ok, "{template}: {err}");
        assert!(
            out.starts_with(&format!("ok: Team {template} App ({slug}): 2 page(s)")),
            "{out}"
        );
        let files = files_under(&folder);
        assert!(files.iter().any(|(p, _)| p == "app.yaml"), "{files:?}");
        for (path, text) in &files {
            assert!(
                !text.contains("__APP_"),
                "{template}/{path} keeps a placeholder"
            );
        }
        let app_yaml = &files.iter().find(|(p, _)| p == "app.yaml").unwrap().1;
        for secret in secrets {
            assert!(
                app_yaml.contains(secret),
                "{template}: {secret} undocumented"
            );
        }
        // Written apps import and publish as they are.
        let (ok, out, err) = lowkey(
            &data,
            &["app", "import", folder.to_str().unwrap(), "--publish"],
            None,
        );
        assert!(ok, "{template}: {err}");
        assert!(out.contains(&format!("published {slug}")), "{out}");
    }

    // --name and --slug; an existing empty folder is fine.
    let named = dir.join("empty");
    std::fs::create_dir_all(&named).unwrap();
    let (ok, out, err) = lowkey_plain(&[
        "app",
        "new",
        named.to_str().unwrap(),
        "--template",
        "oidc",
        "--name",
        "Sales \"desk\"",
        "--slug",
        "sales",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("(sales)"), "{out}");
    let (ok, out, err) = lowkey_plain(&["app", "validate", named.to_str().unwrap()]);
    assert!(
        ok && out.starts_with("ok: Sales \"desk\" (sales)"),
        "{out}{err}"
    );
    let app_yaml = std::fs::read_to_string(named.join("app.yaml")).unwrap();
    assert!(
        app_yaml.contains("/app/sales/_auth/callback"),
        "the redirect URI to register names the slug"
    );

    // A folder that is not empty: refused, and left as it was.
    let (ok, _, err) = lowkey_plain(&[
        "app",
        "new",
        named.to_str().unwrap(),
        "--template",
        "supabase",
    ]);
    assert!(!ok && err.contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(named.join("app.yaml")).unwrap(),
        app_yaml
    );
    assert!(!named.join("js").exists(), "nothing of the other template");

    // An unknown template: refused with the names, nothing written.
    let nowhere = dir.join("nowhere");
    let (ok, _, err) = lowkey_plain(&[
        "app",
        "new",
        nowhere.to_str().unwrap(),
        "--template",
        "okta",
    ]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("\"okta\"")
            && ["supabase", "oauth-password", "oidc", "firebase"]
                .iter()
                .all(|t| err.contains(t)),
        "{err}"
    );
    assert!(!nowhere.exists());

    // A slug that is not one: refused before anything is written.
    let (ok, _, err) = lowkey_plain(&[
        "app",
        "new",
        nowhere.to_str().unwrap(),
        "--template",
        "firebase",
        "--slug",
        "Not A Slug",
    ]);
    assert!(!ok && err.contains("slug"), "{err}");
    assert!(!nowhere.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
