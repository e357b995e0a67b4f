use std::path::PathBuf;

use lowkey_server::config::{Config, ProviderConfig};
use lowkey_server::provider::AdminUser;
use lowkey_server::startup::Application;
use lowkey_server::state::AppState;
use reqwest::{Client, Response};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub client: Client,
    pub data_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lowkey-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Cheaper Argon2 than production (tests hash a lot); everything else at defaults.
pub fn test_provider_config() -> ProviderConfig {
    ProviderConfig {
        argon2_memory_kib: 4096,
        argon2_iterations: 1,
        ..ProviderConfig::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_in(fresh_dir(), tweak).await
}

pub async fn spawn_in(data_dir: PathBuf, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.clone(),
        database_url: None,
        database_pool_size: 10,
        session_key_file: None,
        external_url: None,
        provider: test_provider_config(),
        queries: Default::default(),
        http: Default::default(),
        builder: Default::default(),
    };
    tweak(&mut config);
    let app = Application::build(config).await.expect("build app");
    let url = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp {
        url,
        state,
        client: Client::new(),
        data_dir,
        shutdown: Some(tx),
    }
}

impl TestApp {
    pub fn auth(&self, path: &str) -> String {
        format!("{}/auth/v1{path}", self.url)
    }

    pub async fn create_user(&self, email: &str) -> Value {
        let user = self
            .state
            .provider
            .admin_create_user(AdminUser {
                email: Some(email.into()),
                password: Some(PASSWORD.into()),
                email_confirm: Some(true),
                ..Default::default()
            })
            .await
            .expect("create user");
        json!({ "id": user.id.to_string(), "email": user.email })
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.auth("/token?grant_type=password"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns the session JSON (panics unless 200).
    pub async fn session(&self, email: &str) -> Value {
        let r = self.sign_in(email, PASSWORD).await;
        assert_eq!(r.status(), 200, "sign-in should succeed");
        r.json().await.unwrap()
    }

    pub async fn refresh(&self, token: &str) -> Response {
        self.client
            .post(self.auth("/token?grant_type=refresh_token"))
            .json(&json!({ "refresh_token": token }))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_user(&self, access: &str) -> Response {
        self.client
            .get(self.auth("/user"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
    }

    pub async fn logout(&self, access: &str, scope: Option<&str>) -> Response {
        let path = match scope {
            Some(s) => format!("/logout?scope={s}"),
            None => "/logout".into(),
        };
        self.client
            .post(self.auth(&path))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
    }

    pub fn service_token(&self) -> String {
        self.state.provider.service_token(600).unwrap()
    }
}

/// Asserts GoTrue's legacy error shape and returns the body.
pub async fn assert_error(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status for {code}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["code"], status, "{body}");
    assert!(
        body["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}
