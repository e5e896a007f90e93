//! `pubdata backup-keygen`, `pubdata backup` and `pubdata restore` (SEC-1).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use pubdata_service::backup;

use super::{DbArgs, open_db};

#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Where the secret key goes (created with mode 0600, never overwritten).
    /// Keep it OFF the servers that write backups: offline, in a safe.
    #[arg(long)]
    pub secret_out: PathBuf,
    /// The platform's crypto profile: `international` (age X25519) or
    /// `guomi` (SM2 key pair; each backup's SM4 key is wrapped to it).
    #[arg(long, env = "PUBDATA_CRYPTO_PROFILE", default_value = "international")]
    pub profile: pubdata_domain::audit::CryptoProfile,
}

#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The local backup directory.
    #[arg(long, env = "PUBDATA_BACKUP_DIR")]
    pub to: PathBuf,
    /// Off-site directories (another volume, a mounted remote share) that
    /// receive a copy; repeat for several.
    #[arg(long, env = "PUBDATA_BACKUP_OFFSITE", value_delimiter = ',')]
    pub offsite: Vec<PathBuf>,
    /// An S3-compatible bucket receiving a copy of the backup (and of the
    /// checkpoint): `s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=R`,
    /// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "PUBDATA_BACKUP_S3")]
    pub s3: Option<String>,
    /// The age public key (age1…) the backup is encrypted to
    /// (`pubdata backup-keygen` prints one).
    #[arg(long, env = "PUBDATA_BACKUP_RECIPIENT")]
    pub recipient: String,
    /// Backups kept in each directory (the oldest are removed).
    #[arg(long, default_value_t = pubdata_service::jobs::BACKUPS_KEPT)]
    pub keep: usize,
    /// The audit checkpoint key file (`pubdata checkpoint-keygen`): after the
    /// backup, the chain head is signed into the same directories.
    #[arg(long, env = "PUBDATA_CHECKPOINT_KEY")]
    pub checkpoint_key: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The secret key file (`pubdata backup-keygen --secret-out`).
    #[arg(long)]
    pub identity: PathBuf,
    /// The backup file (`pubdata-….backup.age`, its `.sha256` beside it),
    /// or its object in a bucket: `s3://BUCKET/PREFIX/pubdata-….backup.age?endpoint=…`.
    pub backup: String,
    /// A fresh, empty platform: sqlite://PATH (created) or postgres://….
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn keygen(a: KeygenArgs) -> anyhow::Result<ExitCode> {
    let keys = backup::generate_keys_for(a.profile);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&a.secret_out).with_context(|| {
        format!(
            "cannot create {} (it must not exist)",
            a.secret_out.display()
        )
    })?;
    use std::io::Write;
    writeln!(
        f,
        "# pubdata backup secret key ({} identity), created {}\n# public key: {}\n{}",
        match a.profile {
            pubdata_domain::audit::CryptoProfile::International => "age X25519",
            pubdata_domain::audit::CryptoProfile::Guomi => "SM2",
        },
        chrono::Utc::now().to_rfc3339(),
        keys.recipient,
        keys.identity
    )?;
    f.sync_all()?;
    println!("{}", keys.recipient);
    eprintln!(
        "public key (recipient) above: give it to `pubdata backup --recipient` / `serve --backup-recipient`.\n\
         secret key written to {} — move it OFF the backup host (offline storage, a safe);\n\
         it is needed only to restore: `pubdata restore --identity {} BACKUP --database URL`.",
        a.secret_out.display(),
        a.secret_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run_backup(a: BackupArgs) -> anyhow::Result<ExitCode> {
    backup::parse_recipient(&a.recipient)?;
    let checkpoint_key = a
        .checkpoint_key
        .as_deref()
        .map(pubdata_service::checkpoint::CheckpointKey::read)
        .transpose()?;
    let s3 =
        a.s3.as_deref()
            .map(pubdata_service::s3::S3Target::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--s3: {e}"))?;
    let store = open_db(&a.db).await?;
    let mut dirs = vec![a.to.clone()];
    dirs.extend(a.offsite.iter().cloned());
    let started = std::time::Instant::now();
    let instance = format!("cli:{}", std::process::id());
    let w = backup::backup_and_record(
        store.as_ref(),
        &a.recipient,
        &dirs,
        s3.as_ref(),
        a.keep.max(1),
        &instance,
    )
    .await?;
    println!(
        "backup written: {} ({} bytes, {} tables, {} rows, {} audit records) in {:.2} s",
        w.file.display(),
        w.bytes,
        w.tables,
        w.rows,
        w.audit_records,
        started.elapsed().as_secs_f64()
    );
    for c in &w.copies[1..] {
        println!("off-site copy: {}", c.display());
    }
    if let (Some(s3), Some(key)) = (&s3, &w.s3_key) {
        println!("bucket copy: {key} in {s3}");
    }
    if let Some(key) = &checkpoint_key {
        let c = pubdata_service::checkpoint::checkpoint_and_record(
            store.as_ref(),
            key,
            &dirs,
            &instance,
        )
        .await?;
        println!(
            "audit checkpoint signed: record {} head {} -> {} ({} copies)",
            c.checkpoint.records,
            c.checkpoint.head,
            c.checkpoint.file_name(),
            c.copies.len()
        );
        if let Some(s3) = &s3 {
            match s3.put_file(&c.copies[0]).await {
                Ok(key) => println!("bucket copy: {key} in {s3}"),
                Err(e) => {
                    eprintln!("the checkpoint's copy to the bucket failed: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    if let Some(e) = &w.s3_error {
        // The local (and off-site directory) copies stand; the run is
        // recorded with this error.
        eprintln!("the backup's copy to the bucket failed: {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_restore(a: RestoreArgs) -> anyhow::Result<ExitCode> {
    let identity = std::fs::read_to_string(&a.identity)
        .with_context(|| format!("cannot read {}", a.identity.display()))?;
    let started = std::time::Instant::now();
    // From a bucket: the object and its checksum come down first.
    let fetched = std::env::temp_dir().join(format!("pubdata-restore-{}", std::process::id()));
    let path = if a.backup.starts_with("s3://") {
        std::fs::create_dir_all(&fetched)?;
        fetch_from_s3(&a.backup, &fetched).await?
    } else {
        PathBuf::from(&a.backup)
    };
    let read = tokio::task::spawn_blocking(move || backup::read_backup(&path, &identity)).await?;
    let _ = std::fs::remove_dir_all(&fetched);
    let (manifest, snap) = read?;
    eprintln!(
        "backup verified: checksum, decryption and {} parts' SHA-256 ({} from {} at {})",
        manifest.parts.len(),
        manifest.pubdata_version,
        manifest.backend,
        manifest.created_at.to_rfc3339()
    );
    let store = open_db(&a.db).await?;
    let r = match backup::restore(store.as_ref(), &manifest, &snap).await {
        Ok(r) => r,
        Err(e @ backup::BackupError::NotEmpty) => bail!("{e}"),
        Err(e) => return Err(e.into()),
    };
    println!(
        "restored {} tables, {} rows into {} in {:.2} s; audit chain intact: {} records verified (head matches the manifest)",
        r.tables,
        r.rows,
        pubdata_domain::secret::SecretUrl::new(a.db.database.as_str()),
        started.elapsed().as_secs_f64(),
        r.audit_verified
    );
    Ok(ExitCode::SUCCESS)
}

/// Downloads `s3://BUCKET/KEY?…` and its `.sha256` into `dir`; the local
/// path of the backup.
async fn fetch_from_s3(url: &str, dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (bucket_part, key) = base
        .trim_start_matches("s3://")
        .split_once('/')
        .context("s3://BUCKET/KEY names no object")?;
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let s3 = pubdata_service::s3::S3Target::parse(&format!("s3://{bucket_part}{query}"))
        .map_err(anyhow::Error::msg)?;
    let name = key.rsplit('/').next().unwrap_or(key);
    let path = dir.join(name);
    for (object, local) in [
        (format!("{key}.sha256"), dir.join(format!("{name}.sha256"))),
        (key.to_string(), path.clone()),
    ] {
        let bytes = s3.get(&object).await?;
        std::fs::write(&local, bytes)
            .with_context(|| format!("cannot write {}", local.display()))?;
    }
    eprintln!("fetched {key} from {s3}");
    Ok(path)
}
