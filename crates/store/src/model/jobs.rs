//! State shared by the servers of one platform: background job leases.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Who holds a background job's lease, until when, and when it last ran.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobLease {
    pub job: String,
    /// The server (host:pid:suffix) running the job.
    pub holder: String,
    pub until: DateTime<Utc>,
    pub last_run: Option<DateTime<Utc>>,
}

/// One run of a backup (`pubdata backup` or the daily job), as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BackupRun {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub ok: bool,
    /// Size of the encrypted file (0 when the run failed).
    pub bytes: i64,
    /// The backup's file name (empty when the run failed).
    pub file: String,
    /// Directories it was written to (local and off-site).
    pub copies: i64,
    /// Why the run failed (empty when it succeeded).
    pub error: String,
    /// The server or command that ran it.
    pub instance: String,
}

/// A backup run to record (its id is given by the store).
#[derive(Debug, Clone)]
pub struct NewBackupRun {
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub ok: bool,
    pub bytes: i64,
    pub file: String,
    pub copies: i64,
    pub error: String,
    pub instance: String,
}

/// One audit checkpoint (审计检查点, SEC-3): the chain head signed with a
/// key held outside the database, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditCheckpoint {
    pub id: i64,
    /// When the head was signed (the time inside the signature).
    pub at: DateTime<Utc>,
    pub ok: bool,
    /// Records in the chain at that time (the head's sequence number).
    pub records: i64,
    /// Hash of the last record (the chain head).
    pub head: String,
    /// Signature algorithm, e.g. `ed25519`.
    pub algorithm: String,
    /// The signing key's public half (hex).
    pub public_key: String,
    /// The signature over the head (hex).
    pub signature: String,
    /// The checkpoint file's name (empty when the run failed).
    pub file: String,
    /// Directories it was written to.
    pub copies: i64,
    /// Why the run failed (empty when it succeeded).
    pub error: String,
    /// The server or command that ran it.
    pub instance: String,
}

/// A checkpoint run to record (its id is given by the store).
#[derive(Debug, Clone)]
pub struct NewAuditCheckpoint {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub records: i64,
    pub head: String,
    pub algorithm: String,
    pub public_key: String,
    pub signature: String,
    pub file: String,
    pub copies: i64,
    pub error: String,
    pub instance: String,
}
