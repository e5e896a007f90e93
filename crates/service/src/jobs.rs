//! Background jobs and which server runs them.
//!
//! Several `pubdata serve` processes may share one database. Jobs that change
//! the platform — the deadline sweep, scheduled pulls — are *leased*: before
//! each run a server takes or renews the job's lease in the database
//! ([`Store::try_lease`](pubdata_store::Store::try_lease)); while one server
//! holds it the others skip the job, and when that server stops the lease
//! runs out and another takes over. Jobs that only refresh this process's own
//! state (its calendar, its batch of token uses) run on every server.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::App;
use crate::error::Result;
use crate::policy::Action;
use crate::principal::Principal;

/// A background job as the system page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub job: &'static str,
    /// Whether one server at a time runs it (else every server does).
    pub leased: bool,
    pub every_secs: u64,
    /// The server holding the lease, while it runs.
    pub holder: Option<String>,
    pub until: Option<DateTime<Utc>>,
    pub last_run: Option<DateTime<Utc>>,
    /// The lease is this server's.
    pub here: bool,
}

/// The platform's backend, this server, and who runs which job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemStatus {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// This server (host:pid:suffix).
    pub instance: String,
    pub version: &'static str,
    pub jobs: Vec<JobView>,
    /// Records in the audit chain.
    pub audit_records: i64,
    /// The crypto profile (`international`, `guomi` 国密), fixed at setup.
    pub crypto_profile: pubdata_domain::audit::CryptoProfile,
}

/// A background job of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Writes this server's batch of application-token uses.
    TokenUses,
    /// Re-reads the working-day calendar (another server may have changed it).
    CalendarReload,
    /// Marks open cases past their due date overdue (leased).
    DeadlineSweep,
    /// Runs table pulls that are due (leased).
    Pulls,
    /// Runs table pushes to grantees that are due (leased).
    Pushes,
    /// Makes and refreshes desensitised derivatives that are due (leased).
    Derivations,
    /// The periodic re-identification risk review of open derivatives
    /// (Art. 37, OPN-5; leased).
    ReidReview,
    /// Indexes the categorical public columns of large open datasets for
    /// `datastore_search` filters (`open::indexes`; leased).
    OpenIndexes,
    /// Case reminders (due soon, overdue) to inboxes and webhooks
    /// (`reminders`; leased).
    Reminders,
    /// Writes an encrypted, checksummed snapshot of the whole platform to
    /// the backup directory and its off-site copies when a recipient key is
    /// configured (both backends, [`crate::backup`]); without one, copies
    /// the embedded database as is (SQLite only). Keeps the newest
    /// [`BACKUPS_KEPT`]; leased; only with a backup directory.
    Backup,
    /// Signs the audit chain head with the checkpoint key into the backup
    /// directory and its off-site copies (审计检查点, [`crate::checkpoint`]);
    /// leased; only with a backup directory and a checkpoint key.
    AuditCheckpoint,
    /// Detects violations from the platform's records and puts missed
    /// rectification notices on the government's supervision list
    /// (`violations`; leased).
    Violations,
    /// Scans the access records for unusual access and raises alerts
    /// (异常访问告警, SEC-3, [`crate::security`]; leased).
    SecurityAlerts,
}

/// Backups the backup job keeps.
pub const BACKUPS_KEPT: usize = 7;

impl Job {
    pub const ALL: [Job; 13] = [
        Job::TokenUses,
        Job::CalendarReload,
        Job::DeadlineSweep,
        Job::Pulls,
        Job::Pushes,
        Job::Derivations,
        Job::ReidReview,
        Job::OpenIndexes,
        Job::Reminders,
        Job::Backup,
        Job::AuditCheckpoint,
        Job::Violations,
        Job::SecurityAlerts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::TokenUses => "token_uses",
            Job::CalendarReload => "calendar_reload",
            Job::DeadlineSweep => "deadline_sweep",
            Job::Pulls => "pulls",
            Job::Pushes => "pushes",
            Job::Derivations => "derivations",
            Job::ReidReview => "reid_review",
            Job::OpenIndexes => "open_indexes",
            Job::Reminders => "reminders",
            Job::Backup => "backup",
            Job::AuditCheckpoint => "audit_checkpoint",
            Job::Violations => "violations",
            Job::SecurityAlerts => "security_alerts",
        }
    }

    /// How often the job runs.
    pub fn every(self) -> Duration {
        match self {
            Job::TokenUses => Duration::from_secs(30),
            Job::CalendarReload => Duration::from_secs(60),
            Job::DeadlineSweep => Duration::from_secs(600),
            Job::Pulls => Duration::from_secs(60),
            Job::Pushes => Duration::from_secs(60),
            Job::Derivations => Duration::from_secs(60),
            Job::ReidReview => Duration::from_secs(3600),
            Job::OpenIndexes => Duration::from_secs(3600),
            Job::Reminders => Duration::from_secs(300),
            Job::Backup => Duration::from_secs(24 * 3600),
            Job::AuditCheckpoint => Duration::from_secs(crate::checkpoint::EVERY_SECS),
            Job::Violations => Duration::from_secs(3600),
            Job::SecurityAlerts => Duration::from_secs(600),
        }
    }

    /// Whether one server at a time runs it.
    pub fn leased(self) -> bool {
        matches!(
            self,
            Job::DeadlineSweep
                | Job::Pulls
                | Job::Pushes
                | Job::Derivations
                | Job::ReidReview
                | Job::OpenIndexes
                | Job::Reminders
                | Job::Backup
                | Job::AuditCheckpoint
                | Job::Violations
                | Job::SecurityAlerts
        )
    }
}

/// A name for this process: host, process id and a random suffix.
pub(crate) fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

impl App {
    /// This server's name among the servers of the platform.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The backend, this server and the background jobs (admins, auditors).
    pub async fn system_status(&self, p: &Principal) -> Result<SystemStatus> {
        self.authorize(p, Action::ViewSystem).await?;
        let leases = self.store.job_leases().await?;
        let now = Utc::now();
        let jobs = Job::ALL
            .into_iter()
            .map(|job| {
                let lease = leases.iter().find(|l| l.job == job.name() && l.until > now);
                JobView {
                    job: job.name(),
                    leased: job.leased(),
                    every_secs: job.every().as_secs(),
                    holder: lease.map(|l| l.holder.clone()),
                    until: lease.map(|l| l.until),
                    last_run: lease.and_then(|l| l.last_run),
                    here: lease.is_some_and(|l| l.holder == self.instance),
                }
            })
            .collect();
        Ok(SystemStatus {
            backend: self.store.backend(),
            instance: self.instance.clone(),
            version: env!("CARGO_PKG_VERSION"),
            jobs,
            audit_records: self.store.audit_written().await?,
            crypto_profile: self.store.crypto_profile().await?,
        })
    }

    /// Runs `job` once if this server may: always for per-server jobs, and
    /// for leased jobs only while this server holds the lease (taken or
    /// renewed for three periods). Returns whether it ran.
    pub async fn run_job(&self, job: Job) -> Result<bool> {
        if job == Job::Backup && self.backup_dir().is_none() {
            return Ok(false);
        }
        if job == Job::AuditCheckpoint
            && (self.backup_dir().is_none() || self.checkpoint_key().is_none())
        {
            return Ok(false);
        }
        if job.leased() {
            let ttl = chrono::Duration::from_std(job.every() * 3).expect("ttl fits");
            if !self
                .store
                .try_lease(job.name(), &self.instance, ttl)
                .await?
            {
                return Ok(false);
            }
        }
        match job {
            Job::TokenUses => self.flush_token_uses().await?,
            Job::CalendarReload => self.reload_calendar().await?,
            Job::DeadlineSweep => {
                let cases = self.sweep_deadlines().await?;
                if !cases.is_empty() {
                    tracing::info!(count = cases.len(), "cases turned overdue");
                }
            }
            Job::Pulls => {
                let n = self.run_due_pulls().await?;
                if n > 0 {
                    tracing::info!(count = n, "scheduled pulls ran");
                }
            }
            Job::Pushes => {
                let n = self.run_due_pushes().await?;
                if n > 0 {
                    tracing::info!(count = n, "table pushes ran");
                }
            }
            Job::Derivations => {
                let n = self.run_due_derivations().await?;
                if n > 0 {
                    tracing::info!(count = n, "derivatives refreshed");
                }
            }
            Job::ReidReview => {
                let n = self.run_reid_review().await?;
                if n > 0 {
                    tracing::info!(
                        count = n,
                        "open derivatives reviewed for re-identification risk"
                    );
                }
            }
            Job::OpenIndexes => {
                let n = self.run_open_indexes().await?;
                if n > 0 {
                    tracing::info!(count = n, "open datasets indexed for search");
                }
            }
            Job::Reminders => {
                let run = self.run_reminders().await?;
                if run != crate::reminders::ReminderRun::default() {
                    tracing::info!(?run, "case reminders");
                }
            }
            Job::SecurityAlerts => {
                let n = self.detect_unusual_access().await?.len();
                if n > 0 {
                    tracing::warn!(count = n, "unusual access: alerts raised");
                }
            }
            Job::Backup => return self.backup_now().await.map(|b| b.is_some()),
            Job::AuditCheckpoint => return self.checkpoint_now().await.map(|c| c.is_some()),
            Job::Violations => {
                let run = self.run_violation_checks().await?;
                if run != crate::violations::CheckRun::default() {
                    tracing::info!(?run, "violations detected, notices escalated");
                }
            }
        }
        Ok(true)
    }
}

fn io_failure(e: std::io::Error) -> crate::ServiceError {
    crate::ServiceError::Internal(Box::new(e))
}

impl App {
    /// Where the backup job writes (`pubdata serve --backup-dir`).
    pub fn backup_dir(&self) -> Option<std::path::PathBuf> {
        self.backup_dir.read().expect("backup dir lock").clone()
    }

    pub fn set_backup_dir(&self, dir: Option<std::path::PathBuf>) {
        *self.backup_dir.write().expect("backup dir lock") = dir;
    }

    /// Whom the backup job encrypts to and where it copies off-site.
    pub fn set_backup_target(&self, target: crate::backup::Target) -> Result<()> {
        if let Some(r) = &target.recipient {
            crate::backup::parse_recipient(r).map_err(|e| crate::ServiceError::Invalid {
                code: "backup_recipient_invalid",
                detail: e.to_string(),
                errors: vec![],
            })?;
        }
        *self.backup_target.write().expect("backup target lock") = target;
        Ok(())
    }

    pub fn backup_target(&self) -> crate::backup::Target {
        self.backup_target
            .read()
            .expect("backup target lock")
            .clone()
    }

    /// Backup runs, newest first (admins and auditors).
    pub async fn list_backup_runs(
        &self,
        p: &Principal,
        limit: u32,
    ) -> Result<Vec<pubdata_store::BackupRun>> {
        self.authorize(p, Action::ViewSystem).await?;
        Ok(self.store.backup_runs(limit.clamp(1, 500)).await?)
    }

    /// Writes a backup now (audited `system.backup`) and prunes old ones;
    /// the new file, or `None` when the store is backed up by other means.
    /// With a recipient key: an encrypted snapshot to the backup directory
    /// and every off-site directory, the run recorded (also when it fails).
    pub async fn backup_now(&self) -> Result<Option<std::path::PathBuf>> {
        let Some(dir) = self.backup_dir() else {
            return Ok(None);
        };
        let target = self.backup_target();
        if let Some(recipient) = &target.recipient {
            let mut dirs = vec![dir];
            dirs.extend(target.offsite.iter().cloned());
            let written = crate::backup::backup_and_record(
                self.store.as_ref(),
                recipient,
                &dirs,
                target.s3.as_ref(),
                BACKUPS_KEPT,
                &self.instance,
            )
            .await
            .map_err(|e| crate::ServiceError::Internal(Box::new(e)))?;
            tracing::info!(file = %written.file.display(), bytes = written.bytes,
                copies = written.copies.len(), s3 = ?written.s3_key, "encrypted backup written");
            if let Some(e) = &written.s3_error {
                tracing::warn!(error = %e, "the backup's copy to the S3 bucket failed");
            }
            // Every backup also signs the chain head beside it.
            self.checkpoint_now().await?;
            return Ok(Some(written.file));
        }
        std::fs::create_dir_all(&dir).map_err(io_failure)?;
        let name = format!("pubdata-{}.db", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
        // Written under a temporary name and renamed: a backup file is whole.
        let partial = dir.join(format!("{name}.partial"));
        let _ = std::fs::remove_file(&partial);
        if !self.store.backup_to(&partial).await? {
            return Ok(None);
        }
        let path = dir.join(&name);
        std::fs::rename(&partial, &path).map_err(io_failure)?;
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut old: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .map_err(io_failure)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("pubdata-") && n.ends_with(".db"))
            })
            .collect();
        old.sort();
        let excess = old.len().saturating_sub(BACKUPS_KEPT);
        for p in &old[..excess] {
            let _ = std::fs::remove_file(p);
        }
        self.store
            .append_audit(Principal::system().event(
                "system.backup",
                format!("backup:{name}"),
                pubdata_domain::audit::Outcome::Success,
                serde_json::json!({"file": name, "bytes": bytes, "instance": self.instance}),
            ))
            .await?;
        tracing::info!(file = %path.display(), bytes, "backup written");
        Ok(Some(path))
    }
}
