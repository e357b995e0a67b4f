//! The operator CLI works on the same data directory as the server.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::helpers::*;

fn lowkey(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
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
