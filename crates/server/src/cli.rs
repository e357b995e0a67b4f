//! The command line: `serve`, `demo`, and the operator commands. Errors are reported with
//! `anyhow` context and a non-zero exit code; they never print secrets.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use lowkey_core::{now_millis, AuthError, Email, Secret};
use lowkey_store::BuilderRole;
use tracing_subscriber::EnvFilter;

use crate::apps;
use crate::builder::Builders;
use crate::config::Config;
use crate::provider::{self, AdminUser, Provider};
use crate::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "lowkey",
    version,
    about = "Lowkey: internal apps whose sign-in works against any provider, and whose pages are really protected."
)]
struct Cli {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "LOWKEY_ADDR")]
    addr: Option<SocketAddr>,
    /// Data directory holding the embedded database [default: ./lowkey-data].
    #[arg(long, global = true, env = "LOWKEY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL database URL (postgres://…) instead of the data directory's SQLite.
    #[arg(long, global = true, env = "LOWKEY_DATABASE_URL")]
    database_url: Option<String>,
    /// Optional YAML config file (see docs/configuration.md).
    #[arg(long, global = true, env = "LOWKEY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (production entry point).
    Serve,
    /// Run the server with the example app, a demo user and a demo builder, and print how to
    /// sign in to each.
    Demo,
    /// Manage the built-in provider's users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage builders: the people who edit apps at /edit (not users of the apps).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage the access-token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Work with apps defined as folders (see docs/app-format.md).
    #[command(subcommand)]
    App(AppCommand),
    /// Apply the database's migrations and exit (`serve` applies them too, at start).
    Migrate,
    /// Write a consistent copy of the SQLite database to a new file, while the server runs
    /// (PostgreSQL: use pg_dump, see docs/deploy.md).
    Backup {
        /// The file to write; it must not exist yet.
        to: PathBuf,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Check an app folder; every problem is reported with file, line and column.
    Validate { dir: PathBuf },
    /// Store an app folder as the draft of its app (creating the app).
    Import {
        dir: PathBuf,
        /// Publish the imported draft at once.
        #[arg(long)]
        publish: bool,
    },
    /// Write an app's draft as a folder.
    Export { slug: String, dir: PathBuf },
    /// Make the draft the published version that viewers see.
    Publish { slug: String },
    /// Write a new app folder from a template: a working sign-in app for a provider (its
    /// app.yaml says which provider settings and secrets it expects).
    New {
        /// The folder to write; it must be missing or empty.
        dir: PathBuf,
        /// supabase, oauth-password, oidc or firebase.
        #[arg(long)]
        template: String,
        /// The app's display name [default: the folder's name].
        #[arg(long)]
        name: Option<String>,
        /// The app's URL segment [default: made of the name].
        #[arg(long)]
        slug: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a confirmed user. The password is read from stdin when it is not a terminal,
    /// prompted for otherwise.
    Add { email: String },
    /// List users.
    List,
    /// Ban a user (ends their sessions).
    Ban {
        email: String,
        /// How long, e.g. 24h; default: for good.
        #[arg(long, default_value = "876000h")]
        duration: String,
    },
    /// Lift a ban.
    Unban { email: String },
    /// Delete a user and their sessions.
    Delete { email: String },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add a builder. The password is read from stdin when it is not a terminal, prompted for
    /// otherwise. The first builder is an admin unless --role says otherwise; later ones are
    /// editors.
    Add {
        email: String,
        #[arg(long, value_parser = ["admin", "editor"])]
        role: Option<String>,
    },
    /// List builders.
    List,
    /// Remove a builder (their sessions end).
    Remove { email: String },
    /// End every session of a builder: each of their signed-in browsers must sign in again.
    Revoke { email: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key; the old one stays in the JWKS until its tokens expire.
    Rotate,
    /// Print a service_role token for the admin API (`/auth/v1/admin/*`).
    ServiceToken {
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_env("LOWKEY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if std::env::var("LOWKEY_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let config = Config::resolve_with(
        cli.addr,
        cli.data_dir,
        cli.database_url,
        cli.config.as_deref(),
    )?;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Demo => demo(config).await,
        Command::User(cmd) => user(config, cmd).await,
        Command::Admin(cmd) => admin(config, cmd).await,
        Command::Keys(cmd) => keys(config, cmd).await,
        Command::App(cmd) => app(config, cmd).await,
        Command::Backup { to } => {
            if to.exists() {
                bail!("{} exists already: name a new file", to.display());
            }
            let store = startup::open_store(&config).await?;
            store
                .backup(&to)
                .await
                .with_context(|| format!("Failed to back up to {}", to.display()))?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "backed up {} to {}",
                config.store_description(),
                to.display()
            )?;
            Ok(())
        }
        Command::Migrate => {
            lowkey_store::migrate(config.store_location())
                .await
                .with_context(|| format!("Failed to migrate {}", config.store_description()))?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "migrations applied: {}", config.store_description())?;
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown = startup::shutdown_signal();
    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), "lowkey listening");
    app.run_until_stopped(shutdown).await
}

/// The demo account `lowkey demo` creates (and resets on every run).
pub const DEMO_EMAIL: &str = "demo@lowkey.dev";
pub const DEMO_PASSWORD: &str = "lowkey-demo-password";

async fn demo(config: Config) -> anyhow::Result<()> {
    let shutdown = startup::shutdown_signal();
    let app = Application::build(config).await?;
    let state = app.state().clone();
    ensure_demo_user(&state.provider).await?;
    for (dir, files) in apps::examples() {
        let example = apps::import_files(state.store.as_ref(), dir, &files).await?;
        apps::publish_cli(state.store.as_ref(), &example.slug).await?;
    }
    let builder_password = ensure_demo_builder(&state.builders).await?;
    let url = format!("http://{}", app.local_addr());
    let mut out = std::io::stdout().lock();
    writeln!(out, "Lowkey demo is running.")?;
    writeln!(out, "  URL:      {url}/app/custom-auth")?;
    // The same app with its tokens kept by the server (session mode).
    writeln!(out, "  Session mode URL: {url}/app/secure-session")?;
    writeln!(out, "  Email:    {DEMO_EMAIL}")?;
    writeln!(out, "  Password: {DEMO_PASSWORD}")?;
    writeln!(out, "  Provider: {url}/auth/v1 (Supabase Auth compatible)")?;
    // Labels that the lines above cannot be mistaken for (web/e2e parses both sets).
    writeln!(out, "  Builder URL: {url}/edit")?;
    writeln!(out, "  Builder email: {DEMO_BUILDER_EMAIL}")?;
    writeln!(out, "  Builder password: {builder_password}")?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    drop(out);
    app.run_until_stopped(shutdown).await
}

/// The builder `lowkey demo` creates.
pub const DEMO_BUILDER_EMAIL: &str = "builder@example.com";

/// Makes the demo's builder, with a fresh random password each run (printed once): the editor
/// can change every app, so its password is not a constant anyone could read in the source.
/// Sessions from an earlier run end.
async fn ensure_demo_builder(builders: &Builders) -> anyhow::Result<String> {
    // 256 random bits, URL-safe base64: the same generator as session tokens.
    let (password, _) = lowkey_core::refresh::generate().map_err(explain)?;
    let password = password.expose().to_owned();
    if let Some(old) = builders.find(DEMO_BUILDER_EMAIL).await.map_err(explain)? {
        builders.remove(&old).await.map_err(explain)?;
    }
    builders
        .add(
            DEMO_BUILDER_EMAIL,
            Secret::new(password.clone()),
            BuilderRole::Admin,
        )
        .await
        .map_err(explain)?;
    Ok(password)
}

async fn ensure_demo_user(provider: &Provider) -> anyhow::Result<()> {
    let store = provider.store();
    let req = || AdminUser {
        password: Some(DEMO_PASSWORD.into()),
        email_confirm: Some(true),
        ban_duration: Some("none".into()),
        ..Default::default()
    };
    match store.user_by_email(DEMO_EMAIL).await? {
        Some(user) => {
            provider.admin_update_user(user.id, req()).await?;
        }
        None => {
            provider
                .admin_create_user(AdminUser {
                    email: Some(DEMO_EMAIL.into()),
                    ..req()
                })
                .await?;
        }
    }
    Ok(())
}

async fn operator_provider(config: &Config) -> anyhow::Result<Provider> {
    let store = startup::open_store(config).await?;
    Provider::new(
        store,
        config.provider.clone(),
        startup::issuer(config, config.addr),
    )
    .await
}

/// The provider and the builders over the configured database, for operator commands.
async fn operator_builders(config: &Config) -> anyhow::Result<Builders> {
    let provider = operator_provider(config).await?;
    Ok(startup::builders(provider.store(), &provider, config))
}

async fn admin(config: Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let builders = operator_builders(&config).await?;
    let find = |email: String| {
        let builders = &builders;
        async move {
            builders
                .find(&email)
                .await
                .map_err(explain)?
                .with_context(|| format!("no builder with email {email}"))
        }
    };
    match cmd {
        AdminCommand::Add { email, role } => {
            Email::parse(&email).map_err(explain)?;
            let role = match role.as_deref().and_then(BuilderRole::parse) {
                Some(role) => role,
                None if builders.list().await.map_err(explain)?.is_empty() => BuilderRole::Admin,
                None => BuilderRole::Editor,
            };
            let password = read_password(&email)?;
            let b = builders
                .add(&email, Secret::new(password), role)
                .await
                .map_err(explain)?;
            println!("added builder {} ({}, {})", b.email, b.role.as_str(), b.id);
        }
        AdminCommand::List => {
            let list = builders.list().await.map_err(explain)?;
            println!("{:<36}  {:<32}  {:<6}  added", "id", "email", "role");
            for b in &list {
                println!(
                    "{:<36}  {:<32}  {:<6}  {}",
                    b.id,
                    b.email,
                    b.role.as_str(),
                    lowkey_core::rfc3339(b.created_at)
                );
            }
            println!("{} builder(s)", list.len());
        }
        AdminCommand::Remove { email } => {
            let b = find(email).await?;
            builders.remove(&b).await.map_err(explain)?;
            println!("removed builder {}; their sessions have ended", b.email);
        }
        AdminCommand::Revoke { email } => {
            let b = find(email).await?;
            let ended = builders.revoke(&b).await.map_err(explain)?;
            println!("ended {ended} session(s) of {}", b.email);
        }
    }
    Ok(())
}

fn read_password(email: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))
            .context("Failed to read the password")?;
        let second = rpassword::prompt_password("Repeat the password: ")
            .context("Failed to read the password")?;
        if first != second {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("Failed to read the password from stdin")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

fn explain(e: AuthError) -> anyhow::Error {
    match e {
        AuthError::Internal(detail) => anyhow::anyhow!("unexpected failure: {detail}"),
        other => anyhow::anyhow!("{other} ({})", other.code()),
    }
}

async fn user(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let provider = operator_provider(&config).await?;
    let store = provider.store().clone();
    let find = |email: String| {
        let store = store.clone();
        async move {
            let parsed = Email::parse(&email).map_err(explain)?;
            store
                .user_by_email(parsed.as_str())
                .await?
                .with_context(|| format!("no user with email {email}"))
        }
    };
    match cmd {
        UserCommand::Add { email } => {
            Email::parse(&email).map_err(explain)?;
            let password = read_password(&email)?;
            let user = provider
                .admin_create_user(AdminUser {
                    email: Some(email),
                    password: Some(password),
                    email_confirm: Some(true),
                    ..Default::default()
                })
                .await
                .map_err(explain)?;
            println!("added {} ({})", user.email, user.id);
        }
        UserCommand::List => {
            let (users, total) = store.list_users(0, i64::MAX).await?;
            let now = now_millis();
            println!(
                "{:<36}  {:<32}  {:<9}  last sign-in",
                "id", "email", "status"
            );
            for u in users {
                let status = if u.is_banned(now) {
                    "banned"
                } else if u.email_confirmed_at.is_some() {
                    "active"
                } else {
                    "unconfirmed"
                };
                let last = u
                    .last_sign_in_at
                    .map(lowkey_core::rfc3339)
                    .unwrap_or_else(|| "never".into());
                println!("{:<36}  {:<32}  {:<9}  {last}", u.id, u.email, status);
            }
            println!("{total} user(s)");
        }
        UserCommand::Ban { email, duration } => {
            let u = find(email).await?;
            provider
                .admin_update_user(
                    u.id,
                    AdminUser {
                        ban_duration: Some(duration),
                        ..Default::default()
                    },
                )
                .await
                .map_err(explain)?;
            println!("banned {}; their sessions have ended", u.email);
        }
        UserCommand::Unban { email } => {
            let u = find(email).await?;
            provider
                .admin_update_user(
                    u.id,
                    AdminUser {
                        ban_duration: Some("none".into()),
                        ..Default::default()
                    },
                )
                .await
                .map_err(explain)?;
            println!("unbanned {}", u.email);
        }
        UserCommand::Delete { email } => {
            let u = find(email).await?;
            store.delete_user(u.id).await?;
            println!("deleted {}", u.email);
        }
    }
    Ok(())
}

async fn keys(config: Config, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Rotate => {
            let store = startup::open_store(&config).await?;
            let kid = provider::rotate_keys(store.as_ref(), &config.provider).await?;
            println!(
                "new signing key {kid}; the previous key stays in the JWKS for {} s",
                config.provider.jwt_exp
            );
        }
        KeysCommand::ServiceToken { ttl } => {
            if ttl <= 0 {
                bail!("--ttl must be positive");
            }
            let provider = operator_provider(&config).await?;
            println!("{}", provider.service_token(ttl).map_err(explain)?);
        }
    }
    Ok(())
}

async fn app(config: Config, cmd: AppCommand) -> anyhow::Result<()> {
    match cmd {
        AppCommand::Validate { dir } => {
            let (app, diagnostics) = lowkey_app::App::load(&dir);
            match app {
                Some(app) => println!(
                    "ok: {} ({}): {} page(s), {} query(ies), {} JS object(s)",
                    app.name,
                    app.slug,
                    app.pages.len(),
                    app.queries.len(),
                    app.js_objects.len()
                ),
                None => bail!(
                    "{} problem(s):\n{}",
                    diagnostics.len(),
                    apps::format_diagnostics(&dir.display().to_string(), &diagnostics)
                ),
            }
        }
        AppCommand::Import { dir, publish } => {
            let store = startup::open_store(&config).await?;
            let app = apps::import_dir(store.as_ref(), &dir).await?;
            println!("imported {} as the draft of {}", dir.display(), app.slug);
            if publish {
                let v = apps::publish_cli(store.as_ref(), &app.slug)
                    .await?
                    .context("the app vanished")?;
                println!("published {} (version {v})", app.slug);
            }
        }
        AppCommand::Export { slug, dir } => {
            let store = startup::open_store(&config).await?;
            let stored = store
                .app(&slug)
                .await?
                .with_context(|| format!("no app with slug {slug:?}"))?;
            let app = lowkey_app::App::from_json(&stored.draft)
                .context("Failed to read the stored app")?;
            app.write_folder(&dir)
                .with_context(|| format!("Failed to write {}", dir.display()))?;
            println!("exported the draft of {slug} to {}", dir.display());
        }
        AppCommand::New {
            dir,
            template,
            name,
            slug,
        } => {
            let app = apps::new_app(&dir, &template, name.as_deref(), slug.as_deref())?;
            println!(
                "wrote the {template} template to {} as {} ({}); read its app.yaml for the \
                 provider settings and secrets it expects, then: lowkey app import {} --publish",
                dir.display(),
                app.name,
                app.slug,
                dir.display()
            );
        }
        AppCommand::Publish { slug } => {
            let store = startup::open_store(&config).await?;
            let v = apps::publish_cli(store.as_ref(), &slug)
                .await?
                .with_context(|| format!("no app with slug {slug:?}"))?;
            println!("published {slug} (version {v})");
        }
    }
    Ok(())
}
