pub mod audit;
pub mod backup;
pub mod calendar;
pub mod generate;
pub mod import;
pub mod migrate;
pub mod serve;
pub mod user;

use anyhow::Context;

/// The database every subcommand opens unless told otherwise.
pub const DEFAULT_DATABASE: &str = "sqlite://pubdata.db";

#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH (created on first start) or
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE (an existing database).
    #[arg(long, env = "PUBDATA_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// The platform's crypto profile, chosen at its first start and stored
    /// in the database: `international` (SHA-256, Ed25519, age X25519) or
    /// `guomi` (国密: SM3, SM2, SM4). Later starts may repeat it; another
    /// value is refused once the audit chain holds records.
    #[arg(long, env = "PUBDATA_CRYPTO_PROFILE")]
    pub crypto_profile: Option<pubdata_domain::audit::CryptoProfile>,
}

/// Opens the database `db` names and, when given, sets or checks its
/// crypto profile.
pub async fn open_db(db: &DbArgs) -> anyhow::Result<std::sync::Arc<dyn pubdata_store::Store>> {
    let store = open_store(&db.database).await?;
    if let Some(p) = db.crypto_profile {
        store
            .set_crypto_profile(p)
            .await
            .with_context(|| format!("--crypto-profile {p}"))?;
    }
    Ok(store)
}

pub async fn open_store(url: &str) -> anyhow::Result<std::sync::Arc<dyn pubdata_store::Store>> {
    pubdata_store::open(url).await.with_context(|| {
        format!(
            "cannot open database {}",
            pubdata_domain::secret::SecretUrl::new(url)
        )
    })
}

/// Where the secret key lives when `--secret-key` is not given: beside a
/// SQLite database file, else in the working directory.
pub fn default_secret_key_path(database: &str) -> std::path::PathBuf {
    const NAME: &str = "pubdata-secret.key";
    database
        .strip_prefix("sqlite://")
        .or_else(|| database.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.starts_with(':'))
        .and_then(|path| std::path::Path::new(path).parent().map(|d| d.join(NAME)))
        .unwrap_or_else(|| std::path::PathBuf::from(NAME))
}
