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
