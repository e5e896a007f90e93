//! `pubdata audit verify`, `pubdata audit checkpoint` and
//! `pubdata checkpoint-keygen` (审计检查点).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pubdata_service::audit::verify_chain;
use pubdata_service::checkpoint::{self, CheckpointKey};

use super::{DbArgs, open_db};

#[derive(clap::Subcommand)]
pub enum AuditCmd {
    /// Recompute the hash chain: exit 0 when intact, 1 naming the first bad
    /// record. With --checkpoints: also demand that the chain still holds
    /// every signed head in that directory (exit 1 naming the checkpoint).
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// A directory of signed checkpoint files (a backup directory).
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The checkpoint public key (hex, printed by `checkpoint-keygen`):
        /// every checkpoint must be signed by it. Without it, each file's
        /// own key is used (and must at least verify).
        #[arg(long, env = "PUBDATA_CHECKPOINT_PUBLIC_KEY", requires = "checkpoints")]
        checkpoint_public_key: Option<String>,
    },
    /// Sign the chain head now into the given directories (and record it).
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
        /// The checkpoint key file (`pubdata checkpoint-keygen`).
        #[arg(long, env = "PUBDATA_CHECKPOINT_KEY")]
        key: PathBuf,
        /// Directories receiving the checkpoint file; repeat for several.
        #[arg(long, required = true)]
        to: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Where the signing key goes (created with mode 0600, never
    /// overwritten). Keep it outside the database and its backups.
    #[arg(long)]
    pub key_out: PathBuf,
    /// The platform's crypto profile: `international` (Ed25519) or `guomi`
    /// (SM2).
    #[arg(long, env = "PUBDATA_CRYPTO_PROFILE", default_value = "international")]
    pub profile: pubdata_domain::audit::CryptoProfile,
}

pub async fn keygen(a: KeygenArgs) -> anyhow::Result<ExitCode> {
    let key = CheckpointKey::generate_for(a.profile);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&a.key_out)
        .with_context(|| format!("cannot create {} (it must not exist)", a.key_out.display()))?;
    use std::io::Write;
    f.write_all(key.to_file_text().as_bytes())?;
    f.sync_all()?;
    println!("{}", key.public_hex());
    eprintln!(
        "checkpoint public key above: give it to `pubdata audit verify --checkpoint-public-key`.\n\
         signing key written to {} — give it to `serve --checkpoint-key` / `backup --checkpoint-key`;\n\
         keep it outside the database and its backups.",
        a.key_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct SecretKeygenArgs {
    /// Where the key goes (created with mode 0600, never overwritten). Keep
    /// a copy apart from the database and its backups: without it the
    /// sealed secrets of a restored platform cannot be used.
    #[arg(long)]
    pub key_out: PathBuf,
}

pub fn secret_keygen(a: SecretKeygenArgs) -> anyhow::Result<ExitCode> {
    pubdata_service::secrets::SecretKey::create(&a.key_out).map_err(anyhow::Error::msg)?;
    eprintln!(
        "secret key written to {} — give it to `serve --secret-key` (every server of the platform).",
        a.key_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run(c: AuditCmd) -> anyhow::Result<ExitCode> {
    match c {
        AuditCmd::Verify {
            db,
            checkpoints,
            checkpoint_public_key,
        } => {
            let store = open_db(&db).await?;
            let n = match verify_chain(store.as_ref()).await {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("audit chain BROKEN: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            println!("audit chain intact: {n} records verified");
            if let Some(dir) = checkpoints {
                match checkpoint::verify_checkpoints(
                    store.as_ref(),
                    &dir,
                    checkpoint_public_key.as_deref(),
                )
                .await
                {
                    Ok(held) => {
                        let newest = held
                            .newest
                            .map(|(r, at)| format!("; newest signed head: record {r} at {at}"))
                            .unwrap_or_default();
                        println!(
                            "audit checkpoints hold: {} signed heads in {} found in the chain{newest}",
                            held.files,
                            dir.display()
                        );
                    }
                    Err(e) => {
                        eprintln!("audit checkpoint FAILED: {e}");
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Checkpoint { db, key, to } => {
            let key = CheckpointKey::read(&key)?;
            let store = open_db(&db).await?;
            let instance = format!("cli:{}", std::process::id());
            let w = checkpoint::checkpoint_and_record(store.as_ref(), &key, &to, &instance).await?;
            println!(
                "audit checkpoint signed: record {} head {} at {} -> {}",
                w.checkpoint.records,
                w.checkpoint.head,
                w.checkpoint.at,
                w.copies
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
