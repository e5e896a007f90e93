//! Encrypted, verified backups that restore (备份与恢复, SEC-1).
//!
//! A backup is one file `pubdata-<time>.backup.age` beside its checksum
//! `….age.sha256` (the `sha256sum` format). Inside the age encryption
//! (X25519 public key: the host that writes backups holds only the
//! recipient, nothing that decrypts) lies a small container: the manifest
//! first — format, created-at, backend, schema migrations, audit chain head,
//! and per part its SHA-256, bytes and rows — then one part a table (JSON
//! lines, [`pubdata_store::snapshot`]). Database rows include the stored
//! files (objection proof documents live in the database), so the snapshot
//! is the whole platform.
//!
//! Reading checks, in order: the ciphertext's checksum (corruption found
//! before decrypting), the decryption (a wrong key, or a forged file, fails
//! age's authentication), each part's SHA-256 against the manifest. A
//! restore then loads the snapshot into a never-used platform in one
//! transaction and verifies the audit chain, whose head must be the
//! manifest's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use pubdata_store::Store;
use pubdata_store::snapshot::{Snapshot, TableDump};
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The container's first line.
const MAGIC: &str = "PUBDATA-BACKUP 1";

/// Why a backup could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(String),
    #[error("not an age X25519 public key (age1…): {0}")]
    BadRecipient(String),
    #[error("the identity file holds no age X25519 secret key (AGE-SECRET-KEY-1…)")]
    BadIdentity,
    #[error("checksum mismatch: the backup file {0} is corrupt or was changed (nothing decrypted)")]
    Checksum(String),
    #[error("cannot decrypt the backup: {0} (wrong secret key, or the file was changed)")]
    Decrypt(String),
    #[error("the backup's contents are damaged: {0}")]
    Damaged(String),
    #[error("the target database already holds a platform: restore into a fresh, empty one")]
    NotEmpty,
    #[error("restored, but the audit chain does not verify: {0}")]
    Chain(String),
    #[error(transparent)]
    Store(#[from] pubdata_store::StoreError),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> BackupError {
    BackupError::Io(format!("{what} {}: {e}", path.display()))
}

/// One part of the container as the manifest lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartEntry {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// What a backup holds, inside the encryption.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    /// `sqlite` or `postgres`: where it was taken (it restores into either).
    pub backend: String,
    pub pubdata_version: String,
    /// Versions of the schema migrations the snapshot was taken with.
    pub migrations: Vec<i64>,
    pub audit_records: i64,
    /// Hash of the last audit record (the chain head).
    pub audit_head: String,
    pub parts: Vec<PartEntry>,
}

/// The daily job's encryption and off-site copies (`pubdata serve
/// --backup-recipient … --backup-offsite …`).
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The age public key (`age1…`) backups are encrypted to.
    pub recipient: Option<String>,
    /// Directories on other volumes that receive a copy of each backup.
    pub offsite: Vec<PathBuf>,
}

/// A written backup.
#[derive(Debug, Clone)]
pub struct BackupWritten {
    /// The file in the first directory.
    pub file: PathBuf,
    /// Every place it was written (local directory, then off-site copies).
    pub copies: Vec<PathBuf>,
    /// Size of the encrypted file.
    pub bytes: u64,
    pub tables: usize,
    pub rows: u64,
    pub audit_records: i64,
}

/// A fresh key pair: the public key (`age1…`) goes to the servers that
/// write backups; the secret key stays offline until a restore.
pub struct BackupKeys {
    pub recipient: String,
    pub identity: String,
}

pub fn generate_keys() -> BackupKeys {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    BackupKeys {
        recipient: id.to_public().to_string(),
        identity: id.to_string().expose_secret().to_string(),
    }
}

/// Checks a recipient (`age1…`) before it is used.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient, BackupError> {
    text.trim()
        .parse::<age::x25519::Recipient>()
        .map_err(|e| BackupError::BadRecipient(e.to_string()))
}

/// The secret key of an identity file (age's format: `#` comments, then
/// the `AGE-SECRET-KEY-1…` line).
pub fn parse_identity(text: &str) -> Result<age::x25519::Identity, BackupError> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.parse::<age::x25519::Identity>().ok())
        .ok_or(BackupError::BadIdentity)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The container: the magic line, then each part as `name bytes\n` and its
/// bytes; the manifest is the first part.
fn pack(snap: &Snapshot, backend: &str) -> Result<(Manifest, Vec<u8>), BackupError> {
    let manifest = Manifest {
        format: 1,
        created_at: Utc::now(),
        backend: backend.into(),
        pubdata_version: env!("CARGO_PKG_VERSION").into(),
        migrations: snap.migrations.clone(),
        audit_records: snap.audit_records,
        audit_head: snap.audit_head.clone(),
        parts: snap
            .tables
            .iter()
            .map(|t| PartEntry {
                name: t.name.clone(),
                columns: t.columns.clone(),
                rows: t.rows,
                bytes: t.data.len() as u64,
                sha256: sha256_hex(&t.data),
            })
            .collect(),
    };
    let head = serde_json::to_vec(&manifest).map_err(|e| BackupError::Damaged(e.to_string()))?;
    let total: usize = snap.tables.iter().map(|t| t.data.len() + 64).sum();
    let mut out = Vec::with_capacity(total + head.len() + 64);
    out.extend_from_slice(format!("{MAGIC}\nmanifest {}\n", head.len()).as_bytes());
    out.extend_from_slice(&head);
    for t in &snap.tables {
        out.extend_from_slice(format!("{} {}\n", t.name, t.data.len()).as_bytes());
        out.extend_from_slice(&t.data);
    }
    Ok((manifest, out))
}

/// Reads the container back, every part checked against the manifest.
fn unpack(plain: &[u8]) -> Result<(Manifest, Snapshot), BackupError> {
    let damaged = |what: &str| BackupError::Damaged(what.to_string());
    let mut at = 0usize;
    let next_line = |at: &mut usize| -> Result<String, BackupError> {
        let rest = plain.get(*at..).ok_or_else(|| damaged("truncated"))?;
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| damaged("truncated"))?;
        let line = std::str::from_utf8(&rest[..end]).map_err(|_| damaged("bad header"))?;
        *at += end + 1;
        Ok(line.to_string())
    };
    if next_line(&mut at)? != MAGIC {
        return Err(damaged("not a pubdata backup"));
    }
    let take = |at: &mut usize, name: &str| -> Result<Vec<u8>, BackupError> {
        let line = next_line(at)?;
        let (n, len) = line
            .rsplit_once(' ')
            .ok_or_else(|| damaged("bad part header"))?;
        if n != name {
            return Err(damaged(&format!("expected part {name}, found {n}")));
        }
        let len: usize = len.parse().map_err(|_| damaged("bad part length"))?;
        let bytes = plain
            .get(*at..*at + len)
            .ok_or_else(|| damaged("truncated"))?
            .to_vec();
        *at += len;
        Ok(bytes)
    };
    let head = take(&mut at, "manifest")?;
    let manifest: Manifest =
        serde_json::from_slice(&head).map_err(|e| damaged(&format!("manifest: {e}")))?;
    if manifest.format != 1 {
        return Err(damaged("unknown backup format"));
    }
    let mut tables = Vec::with_capacity(manifest.parts.len());
    for p in &manifest.parts {
        let data = take(&mut at, &p.name)?;
        if data.len() as u64 != p.bytes || sha256_hex(&data) != p.sha256 {
            return Err(damaged(&format!("part {} fails its SHA-256", p.name)));
        }
        tables.push(TableDump {
            name: p.name.clone(),
            columns: p.columns.clone(),
            rows: p.rows,
            data,
        });
    }
    if at != plain.len() {
        return Err(damaged("trailing bytes after the last part"));
    }
    let snap = Snapshot {
        migrations: manifest.migrations.clone(),
        tables,
        audit_records: manifest.audit_records,
        audit_head: manifest.audit_head.clone(),
    };
    Ok((manifest, snap))
}

fn encrypt(recipient: &age::x25519::Recipient, plain: &[u8]) -> Result<Vec<u8>, BackupError> {
    let fail = |e: &dyn std::fmt::Display| BackupError::Io(format!("encryption failed: {e}"));
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .map_err(|e| fail(&e))?;
    let mut out = Vec::with_capacity(plain.len() + 1024);
    let mut w = enc.wrap_output(&mut out).map_err(|e| fail(&e))?;
    w.write_all(plain).map_err(|e| fail(&e))?;
    w.finish().map_err(|e| fail(&e))?;
    Ok(out)
}

fn decrypt(identity: &age::x25519::Identity, cipher: &[u8]) -> Result<Vec<u8>, BackupError> {
    let d = age::Decryptor::new(cipher).map_err(|e| BackupError::Decrypt(e.to_string()))?;
    let mut r = d
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| BackupError::Decrypt(e.to_string()))?;
    let mut plain = Vec::with_capacity(cipher.len());
    r.read_to_end(&mut plain)
        .map_err(|e| BackupError::Decrypt(e.to_string()))?;
    Ok(plain)
}

/// The file name of a backup taken at `at`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("pubdata-{}.backup.age", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// Writes `bytes` to `dir/name` (and its checksum) under a temporary name,
/// then renames: a backup file is whole or absent.
fn put(dir: &Path, name: &str, bytes: &[u8], sum: &str) -> Result<PathBuf, BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
    let path = dir.join(name);
    let partial = dir.join(format!("{name}.partial"));
    let mut f = std::fs::File::create(&partial).map_err(|e| io("cannot write", &partial, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io("cannot write", &partial, e))?;
    let sum_path = dir.join(format!("{name}.sha256"));
    std::fs::write(&sum_path, format!("{sum}  {name}\n"))
        .map_err(|e| io("cannot write", &sum_path, e))?;
    std::fs::rename(&partial, &path).map_err(|e| io("cannot rename", &partial, e))?;
    Ok(path)
}

/// Takes a consistent snapshot of `store`, encrypts it to `recipient` and
/// writes it into every directory of `dirs` (the first local, the others
/// off-site), keeping the newest `keep` backups in each.
pub async fn write_backup(
    store: &dyn Store,
    recipient: &str,
    dirs: &[PathBuf],
    keep: usize,
) -> Result<BackupWritten, BackupError> {
    let recipient = parse_recipient(recipient)?;
    if dirs.is_empty() {
        return Err(BackupError::Io("no backup directory given".into()));
    }
    let snap = store.snapshot().await?;
    let backend = store.backend().to_string();
    let rows = snap.tables.iter().map(|t| t.rows).sum();
    let tables = snap.tables.len();
    let audit_records = snap.audit_records;
    let (manifest, cipher) = tokio::task::spawn_blocking(move || {
        let (manifest, plain) = pack(&snap, &backend)?;
        drop(snap);
        Ok::<_, BackupError>((manifest, encrypt(&recipient, &plain)?))
    })
    .await
    .map_err(|e| BackupError::Io(e.to_string()))??;
    let name = file_name(manifest.created_at);
    let sum = sha256_hex(&cipher);
    let mut copies = Vec::new();
    for dir in dirs {
        copies.push(put(dir, &name, &cipher, &sum)?);
        prune(dir, keep);
    }
    Ok(BackupWritten {
        file: copies[0].clone(),
        copies,
        bytes: cipher.len() as u64,
        tables,
        rows,
        audit_records,
    })
}

/// Removes all but the newest `keep` backups (and their checksums) in `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("pubdata-") && n.ends_with(".backup.age"))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    for n in &names[..excess] {
        let _ = std::fs::remove_file(dir.join(n));
        let _ = std::fs::remove_file(dir.join(format!("{n}.sha256")));
    }
}

/// Reads a backup: checksum of the ciphertext first (from `<file>.sha256`
/// beside it), then decryption with `identity`, then each part's SHA-256.
pub fn read_backup(path: &Path, identity: &str) -> Result<(Manifest, Snapshot), BackupError> {
    let identity = parse_identity(identity)?;
    let cipher = std::fs::read(path).map_err(|e| io("cannot read", path, e))?;
    let mut sum_path = path.as_os_str().to_owned();
    sum_path.push(".sha256");
    let sum_path = PathBuf::from(sum_path);
    let expected =
        std::fs::read_to_string(&sum_path).map_err(|e| io("cannot read", &sum_path, e))?;
    let expected = expected.split_whitespace().next().unwrap_or_default();
    if sha256_hex(&cipher) != expected {
        return Err(BackupError::Checksum(path.display().to_string()));
    }
    let plain = decrypt(&identity, &cipher)?;
    unpack(&plain)
}

/// What a restore brought back.
#[derive(Debug, Clone)]
pub struct Restored {
    pub tables: usize,
    pub rows: u64,
    /// Audit records verified on the restored platform.
    pub audit_verified: u64,
}

/// Restores a read backup into the never-used platform `store` and verifies
/// its audit chain, whose head must be the manifest's.
pub async fn restore(
    store: &dyn Store,
    manifest: &Manifest,
    snap: &Snapshot,
) -> Result<Restored, BackupError> {
    match store.restore_snapshot(snap).await {
        Err(pubdata_store::StoreError::Conflict { .. }) => return Err(BackupError::NotEmpty),
        other => other?,
    }
    let verified = crate::audit::verify_chain(store)
        .await
        .map_err(|e| BackupError::Chain(e.to_string()))?;
    let (records, head) = store.audit_head().await?;
    if records != manifest.audit_records || head != manifest.audit_head {
        return Err(BackupError::Chain(format!(
            "the restored chain ends at record {records}, the manifest at {}",
            manifest.audit_records
        )));
    }
    Ok(Restored {
        tables: snap.tables.len(),
        rows: snap.tables.iter().map(|t| t.rows).sum(),
        audit_verified: verified,
    })
}

/// Writes a backup (see [`write_backup`]) and records the run — success or
/// failure, size, duration — in `backup_runs` with its audit record
/// `system.backup` (`backup.failed` when it failed).
pub async fn backup_and_record(
    store: &dyn Store,
    recipient: &str,
    dirs: &[PathBuf],
    keep: usize,
    instance: &str,
) -> Result<BackupWritten, BackupError> {
    use pubdata_domain::audit::Outcome;
    let started_at = Utc::now();
    let clock = std::time::Instant::now();
    let result = write_backup(store, recipient, dirs, keep).await;
    let duration_ms = clock.elapsed().as_millis() as i64;
    let run = match &result {
        Ok(w) => pubdata_store::NewBackupRun {
            started_at,
            duration_ms,
            ok: true,
            bytes: w.bytes as i64,
            file: w
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            copies: w.copies.len() as i64,
            error: String::new(),
            instance: instance.into(),
        },
        Err(e) => pubdata_store::NewBackupRun {
            started_at,
            duration_ms,
            ok: false,
            bytes: 0,
            file: String::new(),
            copies: 0,
            error: e.to_string(),
            instance: instance.into(),
        },
    };
    let (outcome, detail) = match &result {
        Ok(w) => (
            Outcome::Success,
            serde_json::json!({"file": run.file, "bytes": w.bytes, "copies": w.copies.len(),
                               "duration_ms": duration_ms, "instance": instance}),
        ),
        Err(e) => (
            Outcome::Failure,
            serde_json::json!({"error": e.to_string(), "duration_ms": duration_ms, "instance": instance}),
        ),
    };
    let event = crate::principal::Principal::system().event(
        "system.backup",
        format!(
            "backup:{}",
            if run.file.is_empty() {
                "failed"
            } else {
                &run.file
            }
        ),
        outcome,
        detail,
    );
    store.record_backup_run(run, event).await?;
    result
}
