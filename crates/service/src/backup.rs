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
use pubdata_domain::audit::CryptoProfile;
use pubdata_store::Store;
use pubdata_store::snapshot::{Snapshot, TableDump};
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The container's first line.
const MAGIC: &str = "PUBDATA-BACKUP 1";
/// The first line of a `guomi` backup file (outside the encryption).
const GUOMI_MAGIC: &[u8] = b"PUBDATA-GUOMI-BACKUP 1\n";
/// A `guomi` recipient: SM2 public key (SEC1, hex) after this prefix.
pub const SM2_RECIPIENT_PREFIX: &str = "sm2pub1";
/// A `guomi` identity line: the SM2 secret key (hex) after this prefix.
const SM2_IDENTITY_PREFIX: &str = "PUBDATA-SM2-SECRET-KEY-";

type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// Why a backup could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(String),
    #[error("not an age X25519 public key (age1…) nor an SM2 one (sm2pub1…): {0}")]
    BadRecipient(String),
    #[error(
        "the identity file holds no age X25519 secret key (AGE-SECRET-KEY-1…) nor an SM2 one (PUBDATA-SM2-SECRET-KEY-…)"
    )]
    BadIdentity,
    #[error(
        "the platform's crypto profile is `{profile}`: its backups are encrypted to {wanted} keys, not {given} (`pubdata backup-keygen --profile {profile}`)"
    )]
    Profile {
        profile: CryptoProfile,
        wanted: &'static str,
        given: &'static str,
    },
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
    /// The platform's crypto profile (`international`, `guomi`): the
    /// restored platform takes it (backups before it: international).
    #[serde(default)]
    pub crypto_profile: CryptoProfile,
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
    /// An S3-compatible bucket that receives a copy of each backup and
    /// checkpoint (`--backup-s3`).
    pub s3: Option<crate::s3::S3Target>,
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
    /// The object key of the copy in the S3 bucket, when one was asked for
    /// and written.
    pub s3_key: Option<String>,
    /// Why the copy to the S3 bucket failed (the local copies stand).
    pub s3_error: Option<String>,
}

/// A fresh key pair: the public key (`age1…`) goes to the servers that
/// write backups; the secret key stays offline until a restore.
pub struct BackupKeys {
    pub recipient: String,
    pub identity: String,
}

pub fn generate_keys() -> BackupKeys {
    generate_keys_for(CryptoProfile::International)
}

/// A fresh key pair for `profile`: age X25519, or SM2 (国密) whose public
/// key wraps each backup's fresh SM4 key.
pub fn generate_keys_for(profile: CryptoProfile) -> BackupKeys {
    use age::secrecy::ExposeSecret;
    if profile == CryptoProfile::Guomi {
        let key = loop {
            if let Ok(k) = sm2::pke::DecryptingKey::from_slice(&rand::random::<[u8; 32]>()) {
                break k;
            }
        };
        return BackupKeys {
            recipient: format!(
                "{SM2_RECIPIENT_PREFIX}{}",
                hex::encode(key.encrypting_key().to_sec1_bytes())
            ),
            identity: format!("{SM2_IDENTITY_PREFIX}{}", hex::encode(key.to_bytes())),
        };
    }
    let id = age::x25519::Identity::generate();
    BackupKeys {
        recipient: id.to_public().to_string(),
        identity: id.to_string().expose_secret().to_string(),
    }
}

/// Whom a backup is encrypted to.
pub enum Recipient {
    /// age X25519 (`international`).
    Age(age::x25519::Recipient),
    /// SM2 public key (`guomi`).
    Sm2(Box<sm2::pke::EncryptingKey>),
}

impl Recipient {
    pub fn profile(&self) -> CryptoProfile {
        match self {
            Recipient::Age(_) => CryptoProfile::International,
            Recipient::Sm2(_) => CryptoProfile::Guomi,
        }
    }
}

fn key_kind(p: CryptoProfile) -> &'static str {
    match p {
        CryptoProfile::International => "age X25519",
        CryptoProfile::Guomi => "SM2",
    }
}

/// Checks a recipient (`age1…` or `sm2pub1…`) before it is used.
pub fn parse_recipient(text: &str) -> Result<Recipient, BackupError> {
    let text = text.trim();
    if let Some(hex_key) = text.strip_prefix(SM2_RECIPIENT_PREFIX) {
        let bytes = hex::decode(hex_key).map_err(|e| BackupError::BadRecipient(e.to_string()))?;
        return sm2::pke::EncryptingKey::from_sec1_bytes(&bytes)
            .map(|k| Recipient::Sm2(Box::new(k)))
            .map_err(|e| BackupError::BadRecipient(e.to_string()));
    }
    text.parse::<age::x25519::Recipient>()
        .map(Recipient::Age)
        .map_err(|e| BackupError::BadRecipient(e.to_string()))
}

/// The secret key of an identity file: age X25519 or SM2.
pub enum Identity {
    Age(age::x25519::Identity),
    Sm2(Box<sm2::pke::DecryptingKey>),
}

/// The secret key of an identity file (`#` comments, then the
/// `AGE-SECRET-KEY-1…` or `PUBDATA-SM2-SECRET-KEY-…` line).
pub fn parse_identity(text: &str) -> Result<Identity, BackupError> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or(BackupError::BadIdentity)?;
    if let Some(hex_key) = line.strip_prefix(SM2_IDENTITY_PREFIX) {
        let bytes = hex::decode(hex_key).map_err(|_| BackupError::BadIdentity)?;
        return sm2::pke::DecryptingKey::from_slice(&bytes)
            .map(|k| Identity::Sm2(Box::new(k)))
            .map_err(|_| BackupError::BadIdentity);
    }
    line.parse::<age::x25519::Identity>()
        .map(Identity::Age)
        .map_err(|_| BackupError::BadIdentity)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The container: the magic line, then each part as `name bytes\n` and its
/// bytes; the manifest is the first part.
fn pack(
    snap: &Snapshot,
    backend: &str,
    profile: CryptoProfile,
) -> Result<(Manifest, Vec<u8>), BackupError> {
    let manifest = Manifest {
        format: 1,
        created_at: Utc::now(),
        backend: backend.into(),
        pubdata_version: env!("CARGO_PKG_VERSION").into(),
        migrations: snap.migrations.clone(),
        audit_records: snap.audit_records,
        audit_head: snap.audit_head.clone(),
        crypto_profile: profile,
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

fn encrypt(recipient: &Recipient, plain: &[u8]) -> Result<Vec<u8>, BackupError> {
    let fail = |e: &dyn std::fmt::Display| BackupError::Io(format!("encryption failed: {e}"));
    let recipient = match recipient {
        Recipient::Age(r) => r,
        Recipient::Sm2(k) => return encrypt_guomi(k, plain),
    };
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .map_err(|e| fail(&e))?;
    let mut out = Vec::with_capacity(plain.len() + 1024);
    let mut w = enc.wrap_output(&mut out).map_err(|e| fail(&e))?;
    w.write_all(plain).map_err(|e| fail(&e))?;
    w.finish().map_err(|e| fail(&e))?;
    Ok(out)
}

/// 国密 envelope: a fresh SM4 key and nonce per backup; the container
/// sealed with SM4-GCM (authenticated; the magic line as associated data);
/// the SM4 key encrypted with SM2 to the recipient (GB/T 32918.4, C1C3C2).
/// The file: magic line, wrapped key length (4 bytes, big-endian), wrapped
/// key, 12-byte nonce, ciphertext with its tag.
fn encrypt_guomi(
    recipient: &sm2::pke::EncryptingKey,
    plain: &[u8],
) -> Result<Vec<u8>, BackupError> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let fail = |e: &dyn std::fmt::Display| BackupError::Io(format!("encryption failed: {e}"));
    let key: [u8; 16] = rand::random();
    let nonce: [u8; 12] = rand::random();
    let mut rng = sm2::elliptic_curve::common::getrandom::SysRng;
    let wrapped = recipient.encrypt(&mut rng, &key).map_err(|e| fail(&e))?;
    let cipher = Sm4Gcm::new_from_slice(&key).map_err(|e| fail(&e))?;
    let sealed = cipher
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: plain,
                aad: GUOMI_MAGIC,
            },
        )
        .map_err(|e| fail(&e))?;
    let mut out = Vec::with_capacity(sealed.len() + wrapped.len() + 64);
    out.extend_from_slice(GUOMI_MAGIC);
    out.extend_from_slice(&(wrapped.len() as u32).to_be_bytes());
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn decrypt_guomi(identity: &sm2::pke::DecryptingKey, file: &[u8]) -> Result<Vec<u8>, BackupError> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let bad = |what: &str| BackupError::Decrypt(what.to_string());
    let rest = file
        .strip_prefix(GUOMI_MAGIC)
        .ok_or_else(|| bad("not a guomi (SM2/SM4) backup"))?;
    let len = rest
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| bad("truncated"))?;
    let wrapped = rest.get(4..4 + len).ok_or_else(|| bad("truncated"))?;
    let nonce: [u8; 12] = rest
        .get(4 + len..16 + len)
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| bad("truncated"))?;
    let sealed = &rest[16 + len..];
    let key = identity
        .decrypt(wrapped)
        .map_err(|_| bad("SM2 cannot unwrap the SM4 key"))?;
    let cipher = Sm4Gcm::new_from_slice(&key).map_err(|_| bad("bad SM4 key"))?;
    cipher
        .decrypt(
            (&nonce).into(),
            Payload {
                msg: sealed,
                aad: GUOMI_MAGIC,
            },
        )
        .map_err(|_| bad("SM4-GCM authentication failed"))
}

fn decrypt(identity: &Identity, cipher: &[u8]) -> Result<Vec<u8>, BackupError> {
    let identity = match identity {
        Identity::Age(i) => i,
        Identity::Sm2(k) => return decrypt_guomi(k, cipher),
    };
    let d = age::Decryptor::new(cipher).map_err(|e| BackupError::Decrypt(e.to_string()))?;
    let mut r = d
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| BackupError::Decrypt(e.to_string()))?;
    let mut plain = Vec::with_capacity(cipher.len());
    r.read_to_end(&mut plain)
        .map_err(|e| BackupError::Decrypt(e.to_string()))?;
    Ok(plain)
}

/// The file name of a backup taken at `at` (`.backup.age`, or
/// `.backup.sm4` under the guomi profile).
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("pubdata-{}.backup.age", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

fn file_name_in(profile: CryptoProfile, at: DateTime<Utc>) -> String {
    match profile {
        CryptoProfile::International => file_name(at),
        CryptoProfile::Guomi => {
            format!("pubdata-{}.backup.sm4", at.format("%Y%m%dT%H%M%S%.3fZ"))
        }
    }
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
    let profile = store.crypto_profile().await?;
    if recipient.profile() != profile {
        return Err(BackupError::Profile {
            profile,
            wanted: key_kind(profile),
            given: key_kind(recipient.profile()),
        });
    }
    let snap = store.snapshot().await?;
    let backend = store.backend().to_string();
    let rows = snap.tables.iter().map(|t| t.rows).sum();
    let tables = snap.tables.len();
    let audit_records = snap.audit_records;
    let (manifest, cipher) = tokio::task::spawn_blocking(move || {
        let (manifest, plain) = pack(&snap, &backend, profile)?;
        drop(snap);
        Ok::<_, BackupError>((manifest, encrypt(&recipient, &plain)?))
    })
    .await
    .map_err(|e| BackupError::Io(e.to_string()))??;
    let name = file_name_in(profile, manifest.created_at);
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
        s3_key: None,
        s3_error: None,
    })
}

/// Copies a written backup and its checksum file to the bucket; the
/// backup's object key.
pub async fn copy_to_s3(
    s3: &crate::s3::S3Target,
    file: &Path,
) -> Result<String, crate::s3::S3Error> {
    let mut sum = file.as_os_str().to_owned();
    sum.push(".sha256");
    // The checksum first: a backup object in the bucket always has its own.
    s3.put_file(Path::new(&sum)).await?;
    s3.put_file(file).await
}

/// Removes all but the newest `keep` backups (and their checksums) in `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.starts_with("pubdata-") && (n.ends_with(".backup.age") || n.ends_with(".backup.sm4"))
        })
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
    // The restored platform runs under the backup's profile (its chain
    // was hashed so); a platform already running is refused below anyway.
    match store.set_crypto_profile(manifest.crypto_profile).await {
        Err(pubdata_store::StoreError::Conflict { .. }) => return Err(BackupError::NotEmpty),
        other => other?,
    }
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
    s3: Option<&crate::s3::S3Target>,
    keep: usize,
    instance: &str,
) -> Result<BackupWritten, BackupError> {
    use pubdata_domain::audit::Outcome;
    let started_at = Utc::now();
    let clock = std::time::Instant::now();
    let mut result = write_backup(store, recipient, dirs, keep).await;
    if let (Ok(w), Some(s3)) = (&mut result, s3) {
        match copy_to_s3(s3, &w.file).await {
            Ok(key) => w.s3_key = Some(key),
            Err(e) => w.s3_error = Some(e.to_string()),
        }
    }
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
            copies: (w.copies.len() + usize::from(w.s3_key.is_some())) as i64,
            // The local backup stands; a failed bucket copy is said here.
            error: w
                .s3_error
                .as_ref()
                .map(|e| format!("copy to the S3 bucket failed: {e}"))
                .unwrap_or_default(),
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
                               "s3_key": w.s3_key, "s3_error": w.s3_error,
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
