//! `pubdata audit verify`.

use std::process::ExitCode;

use pubdata_service::audit::verify_chain;

use super::{DbArgs, open_store};

#[derive(clap::Subcommand)]
pub enum AuditCmd {
    /// Recompute the hash chain: exit 0 when intact, 1 naming the first bad record.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(c: AuditCmd) -> anyhow::Result<ExitCode> {
    match c {
        AuditCmd::Verify { db } => {
            let store = open_store(&db.database).await?;
            match verify_chain(store.as_ref()).await {
                Ok(n) => {
                    println!("audit chain intact: {n} records verified");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("audit chain BROKEN: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
