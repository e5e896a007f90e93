//! `pubdata serve` and `pubdata demo`.

use std::process::ExitCode;

use anyhow::Context;
use pubdata_service::App;
use tracing_subscriber::EnvFilter;

use super::{DbArgs, open_db};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PUBDATA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Demo only: people in the demo population dataset.
    #[arg(long, default_value_t = 100_000)]
    pub population: u64,
    /// Demo only: enterprises in the demo enterprise dataset.
    #[arg(long, default_value_t = 20_000)]
    pub enterprises: u64,
    /// Write a daily backup here, keeping the newest seven. With
    /// --backup-recipient: an encrypted snapshot of the whole platform (both
    /// backends); without: a plain copy of the embedded database (SQLite).
    #[arg(long, env = "PUBDATA_BACKUP_DIR")]
    pub backup_dir: Option<std::path::PathBuf>,
    /// The age public key (age1…, `pubdata backup-keygen`) daily backups
    /// are encrypted to; the server holds no key that decrypts them.
    #[arg(long, env = "PUBDATA_BACKUP_RECIPIENT", requires = "backup_dir")]
    pub backup_recipient: Option<String>,
    /// Off-site directories (another volume) receiving a copy of each
    /// encrypted backup; comma-separated or repeated.
    #[arg(
        long,
        env = "PUBDATA_BACKUP_OFFSITE",
        value_delimiter = ',',
        requires = "backup_recipient"
    )]
    pub backup_offsite: Vec<std::path::PathBuf>,
    /// An S3-compatible bucket receiving a copy of each encrypted backup and
    /// audit checkpoint: `s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=R`,
    /// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "PUBDATA_BACKUP_S3", requires = "backup_recipient")]
    pub backup_s3: Option<String>,
    /// The audit checkpoint key file (`pubdata checkpoint-keygen`): the
    /// chain head is signed hourly and after every backup into the backup
    /// directory and its off-site copies (审计检查点).
    #[arg(long, env = "PUBDATA_CHECKPOINT_KEY", requires = "backup_dir")]
    pub checkpoint_key: Option<std::path::PathBuf>,
    /// The key file stored secrets are sealed with (pull-source and
    /// push-target passwords, pseudonym and webhook keys; `pubdata
    /// secret-keygen`). Default: `pubdata-secret.key` beside the SQLite
    /// database (in the working directory for PostgreSQL), created on first
    /// start. Every server of one platform needs the same file; keep a copy
    /// apart from the database and its backups.
    #[arg(long, env = "PUBDATA_SECRET_KEY")]
    pub secret_key: Option<std::path::PathBuf>,
    /// Mark cookies `Secure`: set when users reach the platform over HTTPS
    /// (a TLS-terminating proxy or load balancer in front).
    #[arg(long, env = "PUBDATA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Open data portal and API: requests a minute per anonymous client
    /// (registered users and application tokens get ten times it). Checked
    /// on every request; raise it for load tests, never switch it off.
    #[arg(long, env = "PUBDATA_OPEN_RATE_PER_MINUTE", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub open_rate_per_minute: u64,
    /// Unusual-access alerts (SEC-3): a grant's day of more rows than this
    /// many times its trailing 7-day mean …
    #[arg(long, env = "PUBDATA_ALERT_VOLUME_FACTOR", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub alert_volume_factor: i64,
    /// … and more than this many rows is unusual volume.
    #[arg(long, env = "PUBDATA_ALERT_VOLUME_FLOOR", default_value_t = 1000,
          value_parser = clap::value_parser!(i64).range(0..))]
    pub alert_volume_floor: i64,
    /// Odd hours, China time, as `FROM-TO` (hours; wraps past midnight
    /// when FROM is larger): reads then raise an alert.
    #[arg(long, env = "PUBDATA_ALERT_ODD_HOURS", default_value = "0-6")]
    pub alert_odd_hours: String,
    /// Log format: `text` or `json`.
    #[arg(long, env = "PUBDATA_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

pub fn init_logging(format: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal: a log file or a journal gets plain text
    // (and the request log line is cheaper to write).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

pub async fn run(a: ServeArgs, demo: bool) -> anyhow::Result<ExitCode> {
    init_logging(&a.log_format);
    let store = open_db(&a.db).await?;
    let profile = store.crypto_profile().await?;
    let app = App::new(store).await.context("cannot start the platform")?;
    app.set_backup_dir(a.backup_dir.clone());
    app.set_backup_target(pubdata_service::backup::Target {
        recipient: a.backup_recipient.clone(),
        offsite: a.backup_offsite.clone(),
        s3: a
            .backup_s3
            .as_deref()
            .map(pubdata_service::s3::S3Target::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--backup-s3: {e}"))?,
    })
    .context("--backup-recipient")?;
    if let Some(path) = &a.checkpoint_key {
        let key =
            pubdata_service::checkpoint::CheckpointKey::read(path).context("--checkpoint-key")?;
        app.set_checkpoint_key(Some(key));
    }
    let key_path = a
        .secret_key
        .clone()
        .unwrap_or_else(|| super::default_secret_key_path(&a.db.database));
    let (key, created) = pubdata_service::secrets::SecretKey::read_or_create(&key_path)
        .map_err(|e| anyhow::anyhow!("--secret-key: {e}"))?;
    if created {
        tracing::info!(path = %key_path.display(), "created the secret key file: keep a copy apart from the database and its backups");
    }
    app.set_secret_key(Some(key));
    let sealed = app
        .seal_stored_secrets()
        .await
        .with_context(|| format!("stored secrets and the key {}", key_path.display()))?;
    if sealed > 0 {
        tracing::info!(
            sealed,
            "sealed stored secrets written before sealing existed"
        );
    }
    app.set_open_rate_per_minute(a.open_rate_per_minute);
    let (odd_from, odd_to) = a
        .alert_odd_hours
        .split_once('-')
        .and_then(|(f, t)| Some((f.trim().parse().ok()?, t.trim().parse().ok()?)))
        .context("--alert-odd-hours: FROM-TO, e.g. 0-6")?;
    app.set_alert_thresholds(pubdata_service::security::AlertThresholds {
        volume_factor: a.alert_volume_factor,
        volume_floor: a.alert_volume_floor,
        odd_from,
        odd_to,
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("--alert-*: {e}"))?;
    if demo {
        let size = pubdata_service::demo::DemoSize {
            population: a.population,
            enterprises: a.enterprises,
        };
        let s = app
            .seed_demo_sized(size)
            .await
            .context("cannot seed the demo world")?;
        tracing::info!(
            orgs = s.orgs,
            users = s.users,
            entries = s.entries,
            data_items = s.data_items,
            datasets = s.datasets,
            "demo world ready"
        );
    }
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    tracing::info!(crypto_profile = %profile, "crypto profile");
    println!("pubdata listening on http://{addr}");
    if demo {
        println!(
            "demo accounts: admin, qy-sjj, qy-gaj, qy-scjgj, qy-mzj, qy-rsj, yd-sjj, yd-mzj, auditor, ent-demo, citizen-demo (password: demo-password)"
        );
    }
    let mut state = pubdata_web::AppState::new(app);
    state.secure_cookies = a.secure_cookies;
    pubdata_web::serve_state(listener, state, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
