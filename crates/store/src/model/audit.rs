//! Reading the audit chain (SEC-3).

use chrono::{DateTime, Utc};

/// Filters for listing the audit log; records come newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// A prefix of the action, e.g. `auth.` or `user.create`.
    pub action: Option<String>,
    pub org_id: Option<i64>,
    pub outcome: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only records with an id below this one (cursor paging).
    pub before_id: Option<i64>,
    pub limit: u32,
}
