//! Audit checkpoints (审计检查点, SEC-3).
//!
//! The hash chain catches a changed or deleted record, and the chain head
//! (`audit_head`: records written, last hash) catches a deleted tail — but
//! someone who can write the database can delete the tail *and* rewrite the
//! head, and the chain alone still verifies. A checkpoint closes that gap:
//! the head — sequence number, head hash and time — is signed with an
//! Ed25519 key held outside the database (a key file, `pubdata
//! checkpoint-keygen`), and the signed file is written to the backup
//! directories, where the database's writer cannot reach back.
//! `pubdata audit verify --checkpoints DIR` then demands that the chain
//! still holds every signed head: record number `records` exists and its
//! hash is `head`.
//!
//! Checkpoints are taken by the leased `audit_checkpoint` job (hourly, with a
//! backup directory and a key configured) and after every backup; each run
//! is recorded in `audit_checkpoints` with its audit record
//! `system.audit_checkpoint`, so the authority sees the last one.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use pubdata_domain::audit::CryptoProfile;
use pubdata_store::Store;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::Result;
use crate::policy::Action;
use crate::principal::Principal;

/// The signature algorithm of the `international` profile.
pub const ALGORITHM: &str = "ed25519";
/// The signature algorithm of the `guomi` profile (国密 SM2, GB/T 32918.2).
pub const ALGORITHM_SM2: &str = "sm2";
/// The SM2 signer's distinguishing identifier (the standard's default).
const SM2_DISTID: &str = "1234567812345678";
/// Checkpoint files are `pubdata-checkpoint-<records>-<time>.json`.
pub const FILE_PREFIX: &str = "pubdata-checkpoint-";
/// The secret key's line in a key file.
const KEY_PREFIX: &str = "PUBDATA-CHECKPOINT-KEY-ED25519-";
const KEY_PREFIX_SM2: &str = "PUBDATA-CHECKPOINT-KEY-SM2-";
/// How often the checkpoint job runs.
pub const EVERY_SECS: u64 = 3600;

/// Why a checkpoint could not be written or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{0}")]
    Io(String),
    #[error(
        "the checkpoint key file holds no key ({KEY_PREFIX}… or {KEY_PREFIX_SM2}…): create one with `pubdata checkpoint-keygen`"
    )]
    BadKey,
    #[error(
        "the checkpoint key signs with {key}, but the platform's crypto profile `{profile}` signs with {wanted}"
    )]
    WrongProfile {
        key: &'static str,
        profile: pubdata_domain::audit::CryptoProfile,
        wanted: &'static str,
    },
    #[error("checkpoint {file}: not a checkpoint file ({why})")]
    Malformed { file: String, why: String },
    #[error("checkpoint {file}: the signature does not verify (the file was altered or forged)")]
    BadSignature { file: String },
    #[error(
        "checkpoint {file}: signed by key {found}, not by the expected checkpoint key {expected}"
    )]
    WrongKey {
        file: String,
        found: String,
        expected: String,
    },
    #[error(
        "checkpoint {file}: signed head record {records} (at {at}) is missing: the chain now ends at record {last} (records at the end were deleted and the head rewritten)"
    )]
    Missing {
        file: String,
        records: i64,
        at: String,
        last: i64,
    },
    #[error(
        "checkpoint {file}: record {records} no longer has the signed hash {head} (the chain was rewritten up to or past it)"
    )]
    Rewritten {
        file: String,
        records: i64,
        head: String,
    },
    #[error("no checkpoint files ({FILE_PREFIX}*.json) in {0}")]
    NoneFound(String),
    #[error(transparent)]
    Store(#[from] pubdata_store::StoreError),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> CheckpointError {
    CheckpointError::Io(format!("{what} {}: {e}", path.display()))
}

/// A checkpoint file's contents: the signed head and the signature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckpointFile {
    pub format: u32,
    pub algorithm: String,
    /// Records in the chain (the head's sequence number).
    pub records: i64,
    /// Hash of record `records` (the genesis hash for an empty chain).
    pub head: String,
    /// RFC 3339 UTC, microseconds: exactly the text that was signed.
    pub at: String,
    /// The signing key's public half (hex).
    pub public_key: String,
    /// Signature over [`message`] (hex).
    pub signature: String,
}

/// The bytes a checkpoint signs.
pub fn message(algorithm: &str, records: i64, head: &str, at: &str) -> Vec<u8> {
    format!("pubdata audit checkpoint 1\n{algorithm}\n{records}\n{head}\n{at}\n").into_bytes()
}

/// The signature algorithm a profile's checkpoints use.
pub fn algorithm_of(profile: CryptoProfile) -> &'static str {
    match profile {
        CryptoProfile::International => ALGORITHM,
        CryptoProfile::Guomi => ALGORITHM_SM2,
    }
}

fn sm2_distid() -> &'static str {
    SM2_DISTID
}

/// A checkpoint signing key, read from its key file: Ed25519
/// (`international`) or SM2 (`guomi`).
pub enum CheckpointKey {
    Ed25519(Box<SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CheckpointKey({} {})",
            self.algorithm(),
            self.public_hex()
        )
    }
}

impl CheckpointKey {
    /// A fresh Ed25519 key (the `international` profile).
    pub fn generate() -> CheckpointKey {
        CheckpointKey::Ed25519(Box::new(
            SigningKey::from_bytes(&rand::random::<[u8; 32]>()),
        ))
    }

    /// A fresh key for `profile`.
    pub fn generate_for(profile: CryptoProfile) -> CheckpointKey {
        match profile {
            CryptoProfile::International => CheckpointKey::generate(),
            CryptoProfile::Guomi => loop {
                // A random scalar; out of range (about 2^-128) draws again.
                if let Ok(k) =
                    sm2::dsa::SigningKey::from_slice(sm2_distid(), &rand::random::<[u8; 32]>())
                {
                    break CheckpointKey::Sm2(Box::new(k));
                }
            },
        }
    }

    /// `ed25519` or `sm2`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            CheckpointKey::Ed25519(_) => ALGORITHM,
            CheckpointKey::Sm2(_) => ALGORITHM_SM2,
        }
    }

    /// Reads a key file (`#` comments, then the key line).
    pub fn parse(text: &str) -> std::result::Result<CheckpointKey, CheckpointError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or(CheckpointError::BadKey)?;
        let (sm2, hex_key) = match line.strip_prefix(KEY_PREFIX_SM2) {
            Some(k) => (true, k),
            None => (
                false,
                line.strip_prefix(KEY_PREFIX)
                    .ok_or(CheckpointError::BadKey)?,
            ),
        };
        let bytes: [u8; 32] = hex::decode(hex_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(CheckpointError::BadKey)?;
        if sm2 {
            let k = sm2::dsa::SigningKey::from_slice(sm2_distid(), &bytes)
                .map_err(|_| CheckpointError::BadKey)?;
            Ok(CheckpointKey::Sm2(Box::new(k)))
        } else {
            Ok(CheckpointKey::Ed25519(Box::new(SigningKey::from_bytes(
                &bytes,
            ))))
        }
    }

    /// Reads the key file at `path`.
    pub fn read(path: &Path) -> std::result::Result<CheckpointKey, CheckpointError> {
        let text = std::fs::read_to_string(path).map_err(|e| io("cannot read", path, e))?;
        CheckpointKey::parse(&text)
    }

    /// The key file's text.
    pub fn to_file_text(&self) -> String {
        let (name, prefix, secret) = match self {
            CheckpointKey::Ed25519(k) => ("Ed25519", KEY_PREFIX, hex::encode(k.to_bytes())),
            CheckpointKey::Sm2(k) => ("SM2", KEY_PREFIX_SM2, hex::encode(k.to_bytes())),
        };
        format!(
            "# pubdata audit checkpoint signing key ({name}), created {}\n# public key: {}\n{prefix}{secret}\n",
            Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            self.public_hex(),
        )
    }

    /// The public key (hex): what verifiers pin.
    pub fn public_hex(&self) -> String {
        match self {
            CheckpointKey::Ed25519(k) => hex::encode(k.verifying_key().to_bytes()),
            CheckpointKey::Sm2(k) => hex::encode(k.verifying_key().to_sec1_bytes()),
        }
    }

    /// Signs the head `records`/`head` at `at`.
    pub fn sign(&self, records: i64, head: &str, at: DateTime<Utc>) -> CheckpointFile {
        let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let msg = message(self.algorithm(), records, head, &at);
        let signature = match self {
            CheckpointKey::Ed25519(k) => hex::encode(k.sign(&msg).to_bytes()),
            CheckpointKey::Sm2(k) => {
                let sig: sm2::dsa::Signature = sm2::dsa::signature::Signer::sign(&**k, &msg);
                hex::encode(sig.to_bytes())
            }
        };
        CheckpointFile {
            format: 1,
            algorithm: self.algorithm().into(),
            records,
            head: head.into(),
            at,
            public_key: self.public_hex(),
            signature,
        }
    }
}

impl CheckpointFile {
    /// The file name it is written under.
    pub fn file_name(&self) -> String {
        let stamp: String = self
            .at
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        format!("{FILE_PREFIX}{:012}-{stamp}.json", self.records)
    }

    /// Checks the signature (with the key named in the file).
    pub fn verify_signature(&self, file: &str) -> std::result::Result<(), CheckpointError> {
        let bad = || CheckpointError::BadSignature { file: file.into() };
        if self.format != 1 || (self.algorithm != ALGORITHM && self.algorithm != ALGORITHM_SM2) {
            return Err(CheckpointError::Malformed {
                file: file.into(),
                why: format!(
                    "unknown format {} / algorithm {}",
                    self.format, self.algorithm
                ),
            });
        }
        let msg = message(&self.algorithm, self.records, &self.head, &self.at);
        let key_bytes = hex::decode(&self.public_key).map_err(|_| bad())?;
        let sig: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        if self.algorithm == ALGORITHM_SM2 {
            let key = sm2::dsa::VerifyingKey::from_sec1_bytes(sm2_distid(), &key_bytes)
                .map_err(|_| bad())?;
            let sig = sm2::dsa::Signature::from_slice(&sig).map_err(|_| bad())?;
            return sm2::dsa::signature::Verifier::verify(&key, &msg, &sig).map_err(|_| bad());
        }
        let key: [u8; 32] = key_bytes.try_into().map_err(|_| bad())?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
        key.verify(&msg, &Signature::from_bytes(&sig))
            .map_err(|_| bad())
    }
}

/// A written checkpoint.
#[derive(Debug, Clone)]
pub struct CheckpointWritten {
    pub checkpoint: CheckpointFile,
    /// Every place it was written.
    pub copies: Vec<PathBuf>,
}

/// Signs the store's current chain head and writes the checkpoint file into
/// every directory of `dirs` (whole or absent: written, then renamed).
pub async fn write_checkpoint(
    store: &dyn Store,
    key: &CheckpointKey,
    dirs: &[PathBuf],
) -> std::result::Result<CheckpointWritten, CheckpointError> {
    if dirs.is_empty() {
        return Err(CheckpointError::Io("no checkpoint directory given".into()));
    }
    let profile = store.crypto_profile().await?;
    if key.algorithm() != algorithm_of(profile) {
        return Err(CheckpointError::WrongProfile {
            key: key.algorithm(),
            profile,
            wanted: algorithm_of(profile),
        });
    }
    let (records, head) = store.audit_head().await?;
    let cp = key.sign(records, &head, Utc::now());
    let name = cp.file_name();
    let body = serde_json::to_vec_pretty(&cp).map_err(|e| CheckpointError::Io(e.to_string()))?;
    let mut copies = Vec::new();
    for dir in dirs {
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
        let path = dir.join(&name);
        let partial = dir.join(format!("{name}.partial"));
        std::fs::write(&partial, &body).map_err(|e| io("cannot write", &partial, e))?;
        std::fs::rename(&partial, &path).map_err(|e| io("cannot rename", &partial, e))?;
        copies.push(path);
    }
    Ok(CheckpointWritten {
        checkpoint: cp,
        copies,
    })
}

/// Writes a checkpoint (see [`write_checkpoint`]) and records the run —
/// also when it failed — in `audit_checkpoints` with its audit record
/// `system.audit_checkpoint`.
pub async fn checkpoint_and_record(
    store: &dyn Store,
    key: &CheckpointKey,
    dirs: &[PathBuf],
    instance: &str,
) -> std::result::Result<CheckpointWritten, CheckpointError> {
    use pubdata_domain::audit::Outcome;
    let result = write_checkpoint(store, key, dirs).await;
    let (run, outcome, detail) = match &result {
        Ok(w) => {
            let cp = &w.checkpoint;
            let at = DateTime::parse_from_rfc3339(&cp.at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| Utc::now());
            (
                pubdata_store::NewAuditCheckpoint {
                    at,
                    ok: true,
                    records: cp.records,
                    head: cp.head.clone(),
                    algorithm: cp.algorithm.clone(),
                    public_key: cp.public_key.clone(),
                    signature: cp.signature.clone(),
                    file: cp.file_name(),
                    copies: w.copies.len() as i64,
                    error: String::new(),
                    instance: instance.into(),
                },
                Outcome::Success,
                serde_json::json!({"records": cp.records, "head": cp.head, "file": cp.file_name(),
                                   "copies": w.copies.len(), "public_key": cp.public_key,
                                   "instance": instance}),
            )
        }
        Err(e) => (
            pubdata_store::NewAuditCheckpoint {
                at: Utc::now(),
                ok: false,
                records: 0,
                head: String::new(),
                algorithm: key.algorithm().into(),
                public_key: key.public_hex(),
                signature: String::new(),
                file: String::new(),
                copies: 0,
                error: e.to_string(),
                instance: instance.into(),
            },
            Outcome::Failure,
            serde_json::json!({"error": e.to_string(), "instance": instance}),
        ),
    };
    let event = Principal::system().event(
        "system.audit_checkpoint",
        format!("audit_checkpoint:{}", run.records),
        outcome,
        detail,
    );
    store.record_audit_checkpoint(run, event).await?;
    result
}

/// What verifying against checkpoints found.
#[derive(Debug, Clone)]
pub struct CheckpointsHeld {
    /// Checkpoint files checked.
    pub files: usize,
    /// The newest signed head (records, time), if any.
    pub newest: Option<(i64, String)>,
}

/// Checks every checkpoint file in `dir` — its signature, its key (when
/// `expected_key`, hex, is given: the key must be that one), and that the
/// chain in `store` still holds the signed head. Fails on the first
/// checkpoint that does not hold, naming it; fails when `dir` has none.
pub async fn verify_checkpoints(
    store: &dyn Store,
    dir: &Path,
    expected_key: Option<&str>,
) -> std::result::Result<CheckpointsHeld, CheckpointError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| io("cannot read", dir, e))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(FILE_PREFIX) && n.ends_with(".json"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(CheckpointError::NoneFound(dir.display().to_string()));
    }
    let (last, _) = store.audit_head().await?;
    let mut newest: Option<(i64, String)> = None;
    for name in &names {
        let path = dir.join(name);
        let text = std::fs::read(&path).map_err(|e| io("cannot read", &path, e))?;
        let cp: CheckpointFile =
            serde_json::from_slice(&text).map_err(|e| CheckpointError::Malformed {
                file: name.clone(),
                why: e.to_string(),
            })?;
        cp.verify_signature(name)?;
        if let Some(expected) = expected_key
            && !cp.public_key.eq_ignore_ascii_case(expected.trim())
        {
            return Err(CheckpointError::WrongKey {
                file: name.clone(),
                found: cp.public_key.clone(),
                expected: expected.trim().into(),
            });
        }
        if cp.records > 0 {
            let rec = store.audit_batch(cp.records - 1, 1).await?;
            match rec.first() {
                Some(r) if r.id == cp.records => {
                    if r.hash != cp.head {
                        return Err(CheckpointError::Rewritten {
                            file: name.clone(),
                            records: cp.records,
                            head: cp.head.clone(),
                        });
                    }
                }
                _ => {
                    return Err(CheckpointError::Missing {
                        file: name.clone(),
                        records: cp.records,
                        at: cp.at.clone(),
                        last,
                    });
                }
            }
        }
        if newest.as_ref().is_none_or(|(r, _)| cp.records >= *r) {
            newest = Some((cp.records, cp.at.clone()));
        }
    }
    Ok(CheckpointsHeld {
        files: names.len(),
        newest,
    })
}

impl App {
    /// The key the checkpoint job signs with (`serve --checkpoint-key`).
    pub fn set_checkpoint_key(&self, key: Option<CheckpointKey>) {
        *self.checkpoint_key.write().expect("checkpoint key lock") = key.map(std::sync::Arc::new);
    }

    pub fn checkpoint_key(&self) -> Option<std::sync::Arc<CheckpointKey>> {
        self.checkpoint_key
            .read()
            .expect("checkpoint key lock")
            .clone()
    }

    /// Signs the chain head now into the backup directory and its off-site
    /// copies; `None` without a key or a backup directory.
    pub async fn checkpoint_now(&self) -> Result<Option<CheckpointWritten>> {
        let (Some(key), Some(dir)) = (self.checkpoint_key(), self.backup_dir()) else {
            return Ok(None);
        };
        let target = self.backup_target();
        let mut dirs = vec![dir];
        dirs.extend(target.offsite);
        let w = checkpoint_and_record(self.store.as_ref(), &key, &dirs, &self.instance)
            .await
            .map_err(|e| crate::ServiceError::Internal(Box::new(e)))?;
        tracing::info!(records = w.checkpoint.records, file = %w.checkpoint.file_name(),
            copies = w.copies.len(), "audit checkpoint signed");
        // And to the bucket, where the database's writer cannot reach back.
        if let Some(s3) = &target.s3
            && let Err(e) = s3.put_file(&w.copies[0]).await
        {
            tracing::warn!(error = %e, "the checkpoint's copy to the S3 bucket failed");
        }
        Ok(Some(w))
    }

    /// Audit checkpoint runs, newest first (admins and auditors).
    pub async fn list_audit_checkpoints(
        &self,
        p: &Principal,
        limit: u32,
    ) -> Result<Vec<pubdata_store::AuditCheckpoint>> {
        self.authorize(p, Action::ViewSystem).await?;
        Ok(self.store.audit_checkpoints(limit.clamp(1, 500)).await?)
    }
}
