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
}

pub async fn open_store(url: &str) -> anyhow::Result<std::sync::Arc<dyn pubdata_store::Store>> {
    pubdata_store::open(url).await.with_context(|| {
        format!(
            "cannot open database {}",
            pubdata_domain::secret::SecretUrl::new(url)
        )
    })
}
