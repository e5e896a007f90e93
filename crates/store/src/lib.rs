//! Persistence of pubdata behind one [`Store`] trait.
//!
//! Services hold an `Arc<dyn Store>` and never know which database answers.
//! [`sqlite::SqliteStore`] is the embedded default; [`postgres::PgStore`] is
//! the scale-out backend. The queries are written once for both (`queries`,
//! over the small per-backend `sql::Dialect`); rows are mapped to entities
//! once, in `rows`; the entities live in [`model`].
//!
//! Every method that changes state takes the [`AuditEvent`] that describes the
//! change and appends it to the audit chain *in the same transaction*: a change
//! is never stored without its audit record, nor the record without the change.

use async_trait::async_trait;
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use pubdata_domain::audit::{AuditEvent, AuditRecord};
use pubdata_domain::calendar::YearSchedule;
use pubdata_domain::catalog::Grade;
use pubdata_domain::operation::{AgreementState, ArrangementState};
use pubdata_domain::org::Role;

pub mod migrate;
pub mod model;
pub mod postgres;
mod queries;
mod rows;
pub mod snapshot;
pub mod source;
mod sql;
pub mod sqlite;
pub mod target;

pub use model::*;

/// Errors of the store. Constraint violations are mapped here, once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated; `what` names the conflicting field.
    #[error("already exists: {what}")]
    Conflict { what: String },
    /// A reference points at a row that does not exist.
    #[error("invalid reference")]
    InvalidReference,
    #[error("database URL not supported: {0}")]
    UnsupportedUrl(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// The database could not be reached or went away (connection lost,
    /// server shutting down or starting up, pool exhausted): the request may
    /// succeed later, and nothing of it was committed.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                // 08: connection exception; 57P0x: shutdown, crash, starting up.
                // SQLite 5/6 (busy, locked, with their extended codes): another
                // connection held the write lock past the busy timeout.
                let sqlite = d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
                if sqlite {
                    c.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
                } else {
                    c.starts_with("08") || c.starts_with("57P")
                }
            }),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Timestamps are stored as RFC 3339 UTC text with microseconds.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("bad timestamp `{s}`")))
}

/// A load in progress: rows are staged inside one transaction; nothing is
/// visible until [`DatasetLoad::finish`]; dropping it rolls everything back.
#[async_trait]
pub trait DatasetLoad: Send {
    async fn stage(&mut self, rows: &[StagedRow]) -> Result<()>;
    /// Stages rows the caller no longer needs (a writer thread takes them
    /// without copying).
    async fn stage_owned(&mut self, rows: Vec<StagedRow>) -> Result<()> {
        self.stage(&rows).await
    }
    /// A chunk given to `stage_owned` that the store is done with, for the
    /// caller to fill again (saves an allocation per value).
    fn spent(&mut self) -> Option<Vec<StagedRow>> {
        None
    }
    /// Keys staged more than once: (row, key) of each repeat, at most `limit`.
    async fn duplicate_keys(&mut self, limit: u32) -> Result<Vec<(u64, String)>>;
    /// Values of a `unique` column (by index) that repeat among the rows the
    /// load leaves current: (row, value), at most `limit`.
    async fn duplicate_values(&mut self, column: usize, limit: u32) -> Result<Vec<(u64, String)>>;
    /// Values of column `column` (by index) that are not the key of a current
    /// row of `target`: (row, value), at most `limit`.
    async fn missing_references(
        &mut self,
        column: usize,
        target: &Dataset,
        limit: u32,
    ) -> Result<Vec<(u64, String)>>;
    async fn finish(
        self: Box<Self>,
        record: LoadRecord,
        audit: AuditEvent,
    ) -> Result<DatasetVersion>;
}

/// The columns that hold secrets (sealed at rest by the service), with the
/// key column of their rows: `(table.column, key)`.
pub const SECRET_COLUMNS: [(&str, &str); 4] = [
    ("pull_sources.url", "dataset_id"),
    ("push_targets.url", "grant_id"),
    ("derivations.secret", "id"),
    ("webhooks.secret", "org_id"),
];

/// The catalogue and the collection list (CAT-1 … CAT-7, COL-1). An entry's
/// lifecycle step (`change_entry`) opens and closes its cases in the same
/// transaction.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    // --- catalogue (CAT-1 … CAT-7)
    async fn classifications(&self) -> Result<Vec<Classification>>;
    async fn put_classification(&self, c: &Classification, audit: AuditEvent) -> Result<()>;
    async fn grades(&self) -> Result<Vec<Grade>>;
    async fn put_grade(&self, g: &Grade, audit: AuditEvent) -> Result<()>;
    /// Seeds classifications and grades when none exist.
    async fn seed_catalog_scheme(
        &self,
        classes: &[Classification],
        grades: &[Grade],
    ) -> Result<bool>;
    /// Creates a draft entry (version 1) with a generated code.
    async fn create_entry(&self, e: NewEntry, audit: AuditEvent) -> Result<CatalogEntry>;
    async fn get_entry(&self, id: i64) -> Result<CatalogEntry>;
    async fn list_entries(&self, f: &EntryFilter) -> Result<Vec<CatalogEntry>>;
    async fn entry_versions(&self, id: i64) -> Result<Vec<EntryVersion>>;
    async fn change_entry(&self, c: EntryChange, audit: AuditEvent) -> Result<CatalogEntry>;
    async fn set_co_owners(&self, id: i64, orgs: &[i64], audit: AuditEvent) -> Result<()>;
    async fn add_consent(
        &self,
        id: i64,
        version: i64,
        org: i64,
        actor: &str,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn consents(&self, id: i64, version: i64) -> Result<Vec<i64>>;

    // --- collection list (COL-1, COL-2)
    /// Declares `source_org` the source of a data item; `Conflict` when the
    /// item already has a source.
    async fn create_data_item(
        &self,
        name: &str,
        source_org: i64,
        basis: &str,
        audit: AuditEvent,
    ) -> Result<DataItemSource>;
    async fn get_data_item(&self, name: &str) -> Result<Option<DataItemSource>>;
    async fn find_data_items(&self, term: &str, limit: u32) -> Result<Vec<DataItemSource>>;
    async fn list_data_items(&self, source_org: Option<i64>) -> Result<Vec<DataItemSource>>;
}

/// Cases with deadlines (shape 1): every change of a case — opened, closed,
/// found overdue — writes the case, its event and the audit record in one
/// transaction.
#[async_trait]
pub trait CaseStore: Send + Sync {
    async fn open_case(&self, c: NewCase, actor: &str, audit: AuditEvent) -> Result<Case>;
    async fn list_cases(&self, f: &CaseFilter) -> Result<Vec<Case>>;
    async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>>;
    /// One case; `NotFound` when there is none.
    async fn get_case(&self, id: i64) -> Result<Case>;
    /// Marks open cases due before `today` overdue, once each, with an audit
    /// record and a case event per case; returns the cases marked.
    async fn mark_overdue(&self, today: NaiveDate) -> Result<Vec<Case>>;
}

/// Reads of a dataset's contents (`ds_<id>` rows), the store's one access
/// query set (`queries/contents.rs`). The service calls these from its one
/// door for dataset contents (`service/src/access.rs`) only, which decides
/// who may read and records every read (a test there keeps it so).
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Rows current at `version` (the current version when `None`), in key order after `after_key`.
    async fn dataset_rows(
        &self,
        dataset: &Dataset,
        version: Option<i64>,
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<Option<String>>)>>;
    /// Every stored version of one row: (from, to, values).
    async fn row_history(
        &self,
        dataset: &Dataset,
        key: &str,
    ) -> Result<Vec<(i64, Option<i64>, Vec<Option<String>>)>>;
    /// The current row of a dataset with this key.
    async fn dataset_row(
        &self,
        dataset: &Dataset,
        key: &str,
    ) -> Result<Option<Vec<Option<String>>>>;
    /// Keys whose current values differ between column `a_col` of `a` and
    /// `b_col` of `b` (same key): (key, a value, b value).
    async fn column_conflicts(
        &self,
        a: &Dataset,
        a_col: usize,
        b: &Dataset,
        b_col: usize,
        limit: u32,
    ) -> Result<Vec<(String, Option<String>, Option<String>)>>;
    /// Current rows with a value in `column` and those whose value is a key
    /// of a current row of `target` (consistency).
    async fn reference_stats(
        &self,
        dataset: &Dataset,
        column: usize,
        target: &Dataset,
    ) -> Result<(i64, i64)>;
    /// Filled cells and all cells of the current rows (completeness).
    async fn dataset_fill(&self, dataset: &Dataset) -> Result<(i64, i64)>;
    /// Keys changed between versions `since` (exclusive) and `upto`
    /// (inclusive), in key order after `after_key`: each with its row as of
    /// `upto`, or `None` when it no longer exists then.
    async fn changed_rows(
        &self,
        dataset: &Dataset,
        since: i64,
        upto: i64,
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Option<Vec<Option<String>>>)>>;
    /// Current rows passing every condition (column position, condition),
    /// in key order after `after_key`: (key, all values).
    async fn select_rows(
        &self,
        dataset: &Dataset,
        filters: &[(usize, pubdata_domain::share::Cond)],
        after_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<Option<String>>)>>;
    /// Current rows matching `q` (the CKAN datastore search of open data),
    /// in `q.sort` order then key order, `q.offset` skipped, at most
    /// `q.limit`: (key, all values), and how many match in all.
    async fn search_rows(
        &self,
        dataset: &Dataset,
        q: &RowSearch,
    ) -> Result<(Vec<(String, Vec<Option<String>>)>, i64)>;
    /// How many distinct values each of `columns` holds among (at most)
    /// the first `sample` current rows in key order.
    async fn distinct_in_sample(
        &self,
        dataset: &Dataset,
        columns: &[usize],
        sample: u32,
    ) -> Result<Vec<i64>>;
    /// Creates, unless it exists, the search index of `column` over the
    /// current rows, in key order within each value (`(c, _key)`): an
    /// equality filter on it then counts and pages by key without a scan.
    async fn ensure_search_index(&self, dataset: &Dataset, column: usize) -> Result<()>;
}

/// Reminders (到期提醒, CAL-2): inbox notifications of cases, webhooks and
/// their deliveries.
#[async_trait]
pub trait NotifyStore: Send + Sync {
    /// Open cases due on or before `by` (overdue ones included).
    async fn open_cases_due_by(&self, by: NaiveDate) -> Result<Vec<Case>>;
    /// Adds the reminder `kind` of each case to its responding
    /// organisation's inbox unless the case already has it, and queues a
    /// delivery to the organisation's active webhook; one transaction. The
    /// notifications added.
    async fn add_notifications(&self, cases: &[Case], kind: &str) -> Result<Vec<Notification>>;
    /// An organisation's inbox, newest first.
    async fn inbox(&self, org_id: i64, unread_only: bool, limit: u32) -> Result<Vec<Notification>>;
    /// Marks a notification of `org_id` read; `NotFound` when it is not its.
    async fn mark_read(&self, id: i64, org_id: i64, by: &str) -> Result<Notification>;
    async fn webhook(&self, org_id: i64) -> Result<Option<Webhook>>;
    /// Sets (or replaces) an organisation's webhook, with its audit record.
    async fn put_webhook(&self, w: &Webhook, audit: AuditEvent) -> Result<()>;
    /// Pending deliveries due at `now`, with their notification.
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WebhookDelivery, Notification)>>;
    /// Records an attempt: `Ok(status)` delivered, `Err((status, error))`
    /// failed — retried at `next_at`, or given up (`failed`) when `None`.
    async fn record_attempt(
        &self,
        id: i64,
        outcome: std::result::Result<i64, (Option<i64>, String)>,
        next_at: Option<DateTime<Utc>>,
    ) -> Result<WebhookDelivery>;
    /// An organisation's deliveries, newest first.
    async fn deliveries_of(&self, org_id: i64, limit: u32) -> Result<Vec<WebhookDelivery>>;
}

/// Sharing (SHR-1 … SHR-9): share requests with their cases, grants, usage.
/// A request's opening (a grant at once, or a case for the source), a
/// decision (closing the answer case, opening the implementation case) and
/// an implementation are each one transaction with their audit record.
#[async_trait]
pub trait ShareStore: Send + Sync {
    async fn create_share_request(
        &self,
        r: NewShareRequest,
        opening: RequestOpening,
        audit: AuditEvent,
    ) -> Result<(ShareRequest, Option<Grant>)>;
    async fn get_share_request(&self, id: i64) -> Result<ShareRequest>;
    async fn list_share_requests(&self, f: &ShareRequestFilter) -> Result<Vec<ShareRequest>>;
    /// `Conflict` when the request is no longer pending.
    async fn decide_share_request(
        &self,
        d: ShareDecision,
        audit: AuditEvent,
    ) -> Result<ShareRequest>;
    /// Activates a pending grant; `Conflict` when it is not pending.
    async fn implement_grant(&self, grant_id: i64, actor: &str, audit: AuditEvent)
    -> Result<Grant>;
    async fn create_grant(&self, g: NewGrant, audit: AuditEvent) -> Result<Grant>;
    async fn get_grant(&self, id: i64) -> Result<Grant>;
    async fn list_grants(&self, f: &GrantFilter) -> Result<Vec<Grant>>;
    /// Every grant of a dataset to one of `grantee_orgs`, newest first.
    async fn grants_for(&self, dataset_id: i64, grantee_orgs: &[i64]) -> Result<Vec<Grant>>;
    /// Moves a grant from one of `from` to `to`; `Conflict` otherwise.
    async fn set_grant_state(
        &self,
        id: i64,
        from: &[pubdata_domain::share::GrantState],
        to: pubdata_domain::share::GrantState,
        reason: &str,
        audit: AuditEvent,
    ) -> Result<Grant>;
    /// Appends the access records of a group of reads and adds their usage
    /// counts, in one transaction (group commit).
    async fn record_access(&self, events: Vec<AuditEvent>, usage: Vec<GrantUsage>) -> Result<()>;
    /// Reads per day through a grant, newest day first.
    async fn grant_usage(&self, grant_id: i64, limit: u32) -> Result<Vec<GrantUsage>>;
    async fn file_usage_report(
        &self,
        grant_id: i64,
        period: &str,
        summary: &str,
        uses: i64,
        filed_by: &str,
        audit: AuditEvent,
    ) -> Result<UsageReport>;
    async fn usage_reports(&self, grant_id: i64) -> Result<Vec<UsageReport>>;
    /// Registers (or replaces) the push target of a grant; due at once.
    async fn put_push_target(&self, t: &PushTarget, audit: AuditEvent) -> Result<()>;
    async fn push_target(&self, grant_id: i64) -> Result<Option<PushTarget>>;
    /// Push targets due at `now`.
    async fn due_push_targets(&self, now: DateTime<Utc>) -> Result<Vec<PushTarget>>;
    /// Records a push: `Ok(version)` pushed, or `Err(message)`; next attempt at `next_at`.
    async fn record_push(
        &self,
        grant_id: i64,
        outcome: std::result::Result<i64, String>,
        next_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Records a file delivery of a grant (with its audit record).
    #[allow(clippy::too_many_arguments)]
    async fn record_delivery(
        &self,
        grant_id: i64,
        kind: &str,
        description: &str,
        rows_out: i64,
        received_by: &str,
        delivered_by: &str,
        audit: AuditEvent,
    ) -> Result<Delivery>;
    async fn deliveries(&self, grant_id: i64) -> Result<Vec<Delivery>>;
    /// Files a demand and opens its case (subject filled in) in one transaction.
    async fn create_data_demand(
        &self,
        d: NewDataDemand,
        case: NewCase,
        audit: AuditEvent,
    ) -> Result<DataDemand>;
    async fn get_data_demand(&self, id: i64) -> Result<DataDemand>;
    /// Demands made by (`requester`) or of (`!requester`) these organisations, newest first.
    async fn list_data_demands(
        &self,
        orgs: &[i64],
        requester: bool,
        limit: u32,
    ) -> Result<Vec<DataDemand>>;
    /// A step of the source department; closes the open case when the
    /// demand leaves `pending`. `Conflict` when not in a `from` state.
    async fn step_data_demand(&self, s: DemandStep, audit: AuditEvent) -> Result<DataDemand>;
    /// Moves a request and its open cases back in time: opened on
    /// `opened_on`, answer due `answer_due` (demo seeding of history only).
    async fn backdate_share_request(
        &self,
        id: i64,
        opened_on: chrono::NaiveDate,
        answer_due: chrono::NaiveDate,
    ) -> Result<()>;
}

/// Which open datasets to list (数据开放, OPN-3).
#[derive(Debug, Clone, Default)]
pub struct OpenFilter {
    /// Only this providing organisation's.
    pub org: Option<i64>,
    /// Conditionally open (有条件开放) datasets too (the portal lists their
    /// metadata; their rows are read only under an application).
    pub conditional: bool,
    pub limit: u32,
    pub offset: i64,
}

/// A search of a dataset's current rows by column position (the CKAN
/// `datastore_search` of open data).
#[derive(Debug, Clone, Default)]
pub struct RowSearch {
    /// Each (column, values): the column equals one of the values.
    pub equal: Vec<(usize, Vec<String>)>,
    /// Each (columns, terms): some of the columns contains one of the terms
    /// (case-insensitive). Every group must match.
    pub contains: Vec<(Vec<usize>, Vec<String>)>,
    /// (column, descending): numbers (integer and decimal columns) compared
    /// as numbers, other values as text; empty values last.
    pub sort: Vec<(usize, bool)>,
    pub limit: u32,
    pub offset: i64,
    /// How many rows match, when the caller already knows it (for this
    /// version and condition): the count is then not run again.
    pub known_total: Option<i64>,
}

/// Open data (数据开放, OPN-3).
#[async_trait]
pub trait OpenStore: Send + Sync {
    /// Open datasets — loaded datasets of published, unconditionally open
    /// entries — matching `f`, by id: (one page of ids, how many in all).
    async fn open_datasets(&self, f: &OpenFilter) -> Result<(Vec<i64>, i64)>;
    /// The same page as `open_datasets`, loaded: each open dataset with
    /// its catalogue entry, in id order, and how many in all — in three
    /// queries whatever the page's size (count, datasets, their entries).
    async fn open_datasets_loaded(
        &self,
        f: &OpenFilter,
    ) -> Result<(Vec<(Dataset, CatalogEntry)>, i64)>;
    /// Successful public reads of open data since `since`, by dataset id:
    /// (dataset id, reads) — counted from the audit chain's access records
    /// (basis `open`), the usage figures of the portal's charts.
    async fn open_reads_since(&self, since: DateTime<Utc>) -> Result<Vec<(i64, i64)>>;
    /// The open catalogue's generation: it moves with every change to
    /// catalogue entries, datasets, derivations and re-identification
    /// checks (triggers), so a copy of the open list built at one value is
    /// current while the value is. One small read (on SQLite, on the
    /// calling thread).
    async fn open_generation(&self) -> Result<i64>;
    /// The search synonyms (abbreviation, full term), in order.
    async fn synonyms(&self) -> Result<Vec<(String, String)>>;
    /// Replaces the synonyms (with an audit record when given).
    async fn put_synonyms(
        &self,
        pairs: &[(String, String)],
        by: &str,
        audit: Option<AuditEvent>,
    ) -> Result<()>;
}

/// Supervision and evaluation (监督考核, SUP-1): the records a period's
/// figures are computed from (`queries/supervision.rs`).
#[async_trait]
pub trait SupervisionStore: Send + Sync {
    /// Cases of every kind opened from `from` to `to` (China dates, inclusive).
    async fn cases_opened_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SupervisedCase>>;
    /// Catalogue entries published from `from` to `to` (inclusive).
    async fn entries_published_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PublishedEntry>>;
    /// Every dataset with its current version's rows and flagged rows.
    async fn supervised_datasets(&self) -> Result<Vec<SupervisedDataset>>;
    /// Successful public reads of open data in `[from, to)`, by dataset id.
    async fn open_reads_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(i64, i64)>>;
}

/// Per-agency security management (安全管理, SEC-2 to SEC-4): officers,
/// grade protection settings, recorded checks and drills, confidentiality
/// reviews and unusual-access alerts (`queries/security.rs`).
#[async_trait]
pub trait SecurityStore: Send + Sync {
    async fn security_officer(&self, org_id: i64) -> Result<Option<SecurityOfficer>>;
    /// Records (replaces) the agency's officer with the audit record.
    async fn put_security_officer(
        &self,
        o: &SecurityOfficer,
        audit: AuditEvent,
    ) -> Result<SecurityOfficer>;
    /// The agency's protection settings, by grade.
    async fn grade_protections(&self, org_id: i64) -> Result<Vec<GradeProtection>>;
    /// Replaces the agency's protection settings with the audit record.
    async fn put_grade_protections(
        &self,
        org_id: i64,
        settings: &[GradeProtection],
        audit: AuditEvent,
    ) -> Result<Vec<GradeProtection>>;
    async fn add_security_record(
        &self,
        r: NewSecurityRecord,
        audit: AuditEvent,
    ) -> Result<SecurityRecord>;
    /// The agency's records, latest held first.
    async fn security_records(&self, org_id: i64, limit: u32) -> Result<Vec<SecurityRecord>>;
    async fn add_confidentiality_review(
        &self,
        r: NewConfidentialityReview,
        audit: AuditEvent,
    ) -> Result<ConfidentialityReview>;
    /// Reviews matching `f`, newest first.
    async fn confidentiality_reviews(&self, f: &ReviewFilter)
    -> Result<Vec<ConfidentialityReview>>;
    /// Successful reads and verifications through grants recorded in
    /// `[since, until)`, oldest first.
    async fn grant_access_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<GrantAccess>>;
    /// Stores the alerts not stored yet (by fingerprint), each with its
    /// audit record; returns those added.
    async fn add_security_alerts(
        &self,
        alerts: Vec<NewSecurityAlert>,
        actor: &str,
    ) -> Result<Vec<SecurityAlert>>;
    /// Alerts matching `f`, newest first.
    async fn security_alerts(&self, f: &AlertFilter) -> Result<Vec<SecurityAlert>>;
    async fn get_security_alert(&self, id: i64) -> Result<SecurityAlert>;
    /// `Conflict` when already acknowledged.
    async fn acknowledge_security_alert(
        &self,
        id: i64,
        actor: &str,
        note: &str,
        audit: AuditEvent,
    ) -> Result<SecurityAlert>;
    /// Every alert kind: alerts ever and alerts not acknowledged.
    async fn security_alert_counts(&self) -> Result<Vec<AlertCount>>;
}

/// Open data plans (开放计划, OPN-2): the year's priority areas, yearly
/// open plans and the agencies' open-data responsibility.
#[async_trait]
pub trait OpenPlanStore: Send + Sync {
    /// The priority areas of `year`, in order (empty when not set), with
    /// who set them and when.
    async fn open_priorities(
        &self,
        year: i64,
    ) -> Result<(Vec<OpenPriority>, Option<(String, DateTime<Utc>)>)>;
    /// Replaces the priority areas of `year` (with the audit record).
    async fn put_open_priorities(
        &self,
        year: i64,
        areas: &[OpenPriority],
        by: &str,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Records a draft plan (`Conflict` when the agency has one that year).
    async fn create_open_plan(&self, p: NewOpenPlan, audit: AuditEvent) -> Result<OpenPlan>;
    async fn get_open_plan(&self, id: i64) -> Result<OpenPlan>;
    /// Plans matching `f`, by year (newest first) then agency.
    async fn list_open_plans(&self, f: &OpenPlanFilter) -> Result<Vec<OpenPlan>>;
    /// One step of a plan with its audit record (`Conflict { what: "state" }`
    /// when the plan is not in an expected state).
    async fn change_open_plan(&self, c: PlanChange, audit: AuditEvent) -> Result<OpenPlan>;
    /// Every agency's open-data responsibility on record.
    async fn open_responsibilities(&self) -> Result<Vec<OpenResponsibility>>;
    /// Records (replaces) an agency's responsibility with its audit record.
    async fn put_open_responsibility(
        &self,
        r: &OpenResponsibility,
        audit: AuditEvent,
    ) -> Result<OpenResponsibility>;
}

/// Conditional open data applications (有条件开放申请, OPN-4).
#[async_trait]
pub trait OpenApplicationStore: Send + Sync {
    /// Records an application and opens its answer case (subject
    /// `open_application:<id>`), with its audit record, in one transaction.
    async fn create_open_application(
        &self,
        a: NewOpenApplication,
        audit: AuditEvent,
    ) -> Result<OpenApplication>;
    async fn get_open_application(&self, id: i64) -> Result<OpenApplication>;
    /// Applications matching `f`, newest first.
    async fn list_open_applications(
        &self,
        f: &OpenApplicationFilter,
    ) -> Result<Vec<OpenApplication>>;
    /// Answers a pending application and closes its case (`Conflict` when
    /// it is no longer pending).
    async fn decide_open_application(
        &self,
        d: OpenDecision,
        audit: AuditEvent,
    ) -> Result<OpenApplication>;
    /// Records the applicant's acceptance of agreement `version` of an
    /// approved application (`Conflict` when not approved or another version).
    async fn accept_open_agreement(
        &self,
        id: i64,
        version: i64,
        by: &str,
        audit: AuditEvent,
    ) -> Result<OpenApplication>;
    /// Moves a pending application's opening and due date back (demo and
    /// tests of deadlines only).
    async fn backdate_open_application(
        &self,
        id: i64,
        opened_on: NaiveDate,
        answer_due: NaiveDate,
    ) -> Result<()>;
}

/// Filing of open attributes and the authority's change proposals (开放属性
/// 备案与修改建议, OPN-1, Art. 32–34). Each step writes the proposal, its
/// case, any new version of the entry and the audit record in one
/// transaction.
#[async_trait]
pub trait OpenProposalStore: Send + Sync {
    /// Filings matching `f`, newest first.
    async fn list_open_filings(&self, f: &FilingFilter) -> Result<Vec<OpenFiling>>;
    /// Records a proposal and opens the agency's answer case.
    async fn create_open_proposal(
        &self,
        p: NewOpenProposal,
        audit: AuditEvent,
    ) -> Result<OpenProposal>;
    async fn get_open_proposal(&self, id: i64) -> Result<OpenProposal>;
    /// Proposals matching `f`, newest first.
    async fn list_open_proposals(&self, f: &ProposalFilter) -> Result<Vec<OpenProposal>>;
    /// The agency's answer (applying the change when it agrees); closes
    /// the answer case. `Conflict` when the proposal is no longer open.
    async fn answer_open_proposal(
        &self,
        a: ProposalAnswer,
        audit: AuditEvent,
    ) -> Result<OpenProposal>;
    /// Escalates a disagreed proposal to the government and opens the
    /// authority's case to record its decision. `Conflict` unless disagreed.
    async fn escalate_open_proposal(
        &self,
        id: i64,
        reasons: &str,
        actor: &str,
        case: NewCase,
        audit: AuditEvent,
    ) -> Result<OpenProposal>;
    /// Records the government's decision, applies it and closes the case.
    /// `Conflict` unless escalated.
    async fn decide_open_proposal(
        &self,
        d: GovernmentDecision,
        audit: AuditEvent,
    ) -> Result<OpenProposal>;
    /// Moves a proposal's open case back in time (demo seeding and tests of
    /// deadlines only).
    async fn backdate_open_proposal(
        &self,
        id: i64,
        opened_on: NaiveDate,
        due_on: NaiveDate,
    ) -> Result<()>;
}

/// Objections and corrections (异议与更正, OBJ-1) and the identity numbers
/// of persons' accounts.
#[async_trait]
pub trait ObjectionStore: Send + Sync {
    /// Records the objection and opens its case (with the audit record) in
    /// one transaction.
    async fn create_objection(&self, o: NewObjection, audit: AuditEvent) -> Result<Objection>;
    async fn get_objection(&self, id: i64) -> Result<Objection>;
    /// Objections, newest first.
    async fn list_objections(&self, f: &ObjectionFilter) -> Result<Vec<Objection>>;
    /// Resolves an open objection and closes its case; `Conflict` when it
    /// was resolved meanwhile.
    async fn resolve_objection(
        &self,
        r: ObjectionResolution,
        audit: AuditEvent,
    ) -> Result<Objection>;
    async fn add_proof(&self, p: NewProof, audit: AuditEvent) -> Result<ObjectionProof>;
    async fn proofs(&self, objection_id: i64) -> Result<Vec<ObjectionProof>>;
    /// One proof with its content.
    async fn proof(&self, objection_id: i64, id: i64) -> Result<(ObjectionProof, Vec<u8>)>;
    /// The identity number (身份证号) recorded for a person's account.
    async fn person_identity(&self, user_id: i64) -> Result<Option<String>>;
    async fn set_person_identity(
        &self,
        user_id: i64,
        id_card_no: &str,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Moves an open objection's case back in time (demo seeding only).
    async fn backdate_objection(
        &self,
        id: i64,
        opened_on: chrono::NaiveDate,
        due_on: chrono::NaiveDate,
    ) -> Result<()>;
}

/// Violations and rectification notices (违规与整改, VIO-1, VIO-2; Art. 49–50).
#[async_trait]
pub trait ViolationStore: Send + Sync {
    /// Records a violation with its audit record; a detected one whose
    /// `detection_key` was recorded before is not recorded again (`None`).
    async fn record_violation(
        &self,
        v: NewViolation,
        audit: AuditEvent,
    ) -> Result<Option<Violation>>;
    async fn get_violation(&self, id: i64) -> Result<Violation>;
    /// Violations, newest first.
    async fn list_violations(&self, f: &ViolationFilter) -> Result<Vec<Violation>>;
    /// Adds to the count of grants suspended for a violation (Art. 50).
    async fn set_violation_suspensions(&self, id: i64, grants: i64) -> Result<()>;
    /// Dismisses an open violation (核销: a detected finding that is not
    /// one). `Conflict` unless open.
    async fn dismiss_violation(
        &self,
        id: i64,
        actor: &str,
        note: &str,
        audit: AuditEvent,
    ) -> Result<Violation>;
    /// Issues a notice over open violations of one body, opening its case,
    /// in one transaction. `Conflict` when one of them is not the body's
    /// or not open.
    async fn create_rectification(
        &self,
        r: NewRectification,
        audit: AuditEvent,
    ) -> Result<Rectification>;
    async fn get_rectification(&self, id: i64) -> Result<Rectification>;
    /// Notices, newest first.
    async fn list_rectifications(&self, f: &RectificationFilter) -> Result<Vec<Rectification>>;
    /// Reports, accepts or returns a notice. `Conflict` when it is not in
    /// the state the move starts from.
    async fn move_rectification(
        &self,
        id: i64,
        mv: RectificationMove,
        actor: &str,
        audit: AuditEvent,
    ) -> Result<Rectification>;
    /// Puts every open notice past its due date (`due_on < today`) on the
    /// government's supervision list, once, each with an audit record made
    /// from `event` (its target and detail filled in), in one transaction.
    async fn escalate_rectifications(
        &self,
        today: NaiveDate,
        event: AuditEvent,
    ) -> Result<Vec<Rectification>>;
    /// The last audit record a detector has read (0 before its first run).
    async fn scan_mark(&self, detector: &str) -> Result<i64>;
    async fn set_scan_mark(&self, detector: &str, last_id: i64) -> Result<()>;
    /// Moves an open notice's due date back in time (demo seeding only).
    async fn backdate_rectification(
        &self,
        id: i64,
        opened_on: NaiveDate,
        due_on: NaiveDate,
    ) -> Result<()>;
}

/// Disputes between agencies (争议处理, DSP-1, Art. 48).
#[async_trait]
pub trait DisputeStore: Send + Sync {
    /// Records the dispute, its filing step and its negotiation case (with
    /// the audit record) in one transaction.
    async fn create_dispute(&self, d: NewDispute, audit: AuditEvent) -> Result<Dispute>;
    async fn get_dispute(&self, id: i64) -> Result<Dispute>;
    /// Disputes, newest first.
    async fn list_disputes(&self, f: &DisputeFilter) -> Result<Vec<Dispute>>;
    async fn dispute_steps(&self, id: i64) -> Result<Vec<DisputeStep>>;
    /// Records a step of an open dispute at `stage`: a statement, an
    /// escalation (closing the stage's case and opening the next) or the
    /// settlement (closing the case). `Conflict` when the dispute moved
    /// meanwhile (settled, or no longer at `stage`).
    #[allow(clippy::too_many_arguments)]
    async fn move_dispute(
        &self,
        id: i64,
        stage: pubdata_domain::dispute::DisputeStage,
        mv: DisputeMove,
        org_id: Option<i64>,
        actor: &str,
        body: &str,
        audit: AuditEvent,
    ) -> Result<Dispute>;
    /// Moves an open dispute's current case back in time (demo seeding only).
    async fn backdate_dispute(
        &self,
        id: i64,
        opened_on: NaiveDate,
        due_on: NaiveDate,
    ) -> Result<()>;
}

/// Authorised operation (公共数据授权运营, OPS-1..3): agreements and their
/// filing, earlier arrangements (a case), revenue records, and the registry
/// of products built on open data.
#[async_trait]
pub trait OperationStore: Send + Sync {
    async fn create_agreement(
        &self,
        a: NewAgreement,
        audit: AuditEvent,
    ) -> Result<OperationAgreement>;
    async fn get_agreement(&self, id: i64) -> Result<OperationAgreement>;
    /// Agreements, newest first.
    async fn list_agreements(&self, f: &AgreementFilter) -> Result<Vec<OperationAgreement>>;
    /// Moves an agreement from one of `from` to `to` with a reason (and, when
    /// `decided`, the decider); `Conflict` when it is in another state.
    async fn move_agreement(
        &self,
        id: i64,
        from: &[AgreementState],
        to: AgreementState,
        reason: Option<&str>,
        actor: &str,
        audit: AuditEvent,
    ) -> Result<OperationAgreement>;
    /// Registers an arrangement and opens its review case in one transaction.
    async fn create_arrangement(
        &self,
        a: NewArrangement,
        audit: AuditEvent,
    ) -> Result<OperationArrangement>;
    async fn get_arrangement(&self, id: i64) -> Result<OperationArrangement>;
    async fn list_arrangements(&self, orgs: Option<&[i64]>) -> Result<Vec<OperationArrangement>>;
    /// Decides an arrangement under review (re-signed with its new draft
    /// agreement, or terminated) and closes its case.
    async fn decide_arrangement(
        &self,
        id: i64,
        to: ArrangementState,
        reason: &str,
        draft: Option<NewAgreement>,
        actor: &str,
        audit: AuditEvent,
    ) -> Result<OperationArrangement>;
    async fn add_revenue(&self, r: NewRevenue, audit: AuditEvent) -> Result<RevenueRecord>;
    async fn revenue(&self, agreement_id: i64) -> Result<Vec<RevenueRecord>>;
    async fn add_open_product(&self, p: NewOpenProduct, audit: AuditEvent) -> Result<OpenProduct>;
    async fn open_products(&self) -> Result<Vec<OpenProduct>>;
}

/// Government IT projects (政务信息化项目, SUP-2, Art. 47): the public data
/// list at approval and the acceptance.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Records the project (with its audit record); `Conflict` when its
    /// code is taken.
    async fn create_project(&self, p: NewProject, audit: AuditEvent) -> Result<ItProject>;
    async fn get_project(&self, id: i64) -> Result<ItProject>;
    /// Projects, newest first; `Some(orgs)`: of these agencies only.
    async fn list_projects(&self, orgs: Option<&[i64]>) -> Result<Vec<ItProject>>;
    /// Records the acceptance of an approved project; `Conflict` when it
    /// was accepted meanwhile.
    async fn accept_project(
        &self,
        id: i64,
        a: ProjectAcceptance,
        audit: AuditEvent,
    ) -> Result<ItProject>;
}

/// Procurement of social data (社会数据统一采购, COL-3, Art. 17): demands,
/// their evaluation (a case) and the unified procurement records.
#[async_trait]
pub trait ProcurementStore: Send + Sync {
    /// Records the demand and opens its evaluation case in one transaction.
    async fn create_procurement_demand(
        &self,
        d: NewProcurementDemand,
        audit: AuditEvent,
    ) -> Result<ProcurementDemand>;
    async fn get_procurement_demand(&self, id: i64) -> Result<ProcurementDemand>;
    /// Demands, newest first; `Some(orgs)`: those these organisations file
    /// or evaluate.
    async fn list_procurement_demands(
        &self,
        orgs: Option<&[i64]>,
    ) -> Result<Vec<ProcurementDemand>>;
    /// Decides a demand under evaluation (`approved` or `refused`) and
    /// closes its case; `Conflict` when it was decided meanwhile.
    async fn evaluate_procurement_demand(
        &self,
        id: i64,
        to: pubdata_domain::procurement::ProcurementState,
        reason: Option<&str>,
        actor: &str,
        audit: AuditEvent,
    ) -> Result<ProcurementDemand>;
    /// Records the unified procurement of an approved demand (which becomes
    /// `procured`); `Conflict` when it is not approved (or already procured).
    async fn record_procurement(
        &self,
        r: NewProcurementRecord,
        audit: AuditEvent,
    ) -> Result<ProcurementRecord>;
    async fn procurement_record(&self, demand_id: i64) -> Result<Option<ProcurementRecord>>;
}

/// Desensitised derivatives (脱敏衍生, SHR-6) and masking rules (脱敏规则).
#[async_trait]
pub trait DeriveStore: Send + Sync {
    /// Drafts the derived entry and records the derivation (with its audit
    /// record) in one transaction.
    async fn create_derivation(
        &self,
        entry: NewEntry,
        d: NewDerivation,
        audit: AuditEvent,
    ) -> Result<(CatalogEntry, Derivation)>;
    async fn get_derivation(&self, id: i64) -> Result<Derivation>;
    /// The derivation that made this entry, if one did.
    async fn derivation_of_entry(&self, entry_id: i64) -> Result<Option<Derivation>>;
    /// Derivations, newest first.
    async fn list_derivations(&self, f: &DerivationFilter) -> Result<Vec<Derivation>>;
    /// Derivations to refresh: the derived entry is published and its
    /// dataset is missing or holds an older parent version than the current.
    async fn due_derivations(&self) -> Result<Vec<Derivation>>;
    async fn record_derivation(&self, id: i64, outcome: DerivationRefresh) -> Result<()>;
    /// Records a re-identification check (with its audit record).
    async fn record_reid_check(&self, c: NewReidCheck, audit: AuditEvent) -> Result<ReidCheck>;
    /// A derivation's checks, newest first.
    async fn reid_checks(&self, derivation_id: i64, limit: u32) -> Result<Vec<ReidCheck>>;
    /// Whether the dataset is a derivative withheld from the public: its
    /// check is required and its current version has not passed one.
    async fn reid_withheld(&self, dataset_id: i64) -> Result<bool>;
    /// The masking rules by item name, in order.
    async fn masking_rules(&self) -> Result<Vec<MaskingRule>>;
    /// Replaces the masking rules (with an audit record when given).
    async fn put_masking_rules(
        &self,
        rules: &[MaskingRule],
        by: &str,
        audit: Option<AuditEvent>,
    ) -> Result<()>;
}

/// Datasets, loads, quality, pulls, exemptions and base databases
/// (AGG-1 … AGG-3, QLT-1, BASE-1).
#[async_trait]
pub trait DatasetStore: Send + Sync {
    // --- datasets (AGG-1 … AGG-3, QLT-1)
    async fn create_dataset(&self, d: NewDataset, audit: AuditEvent) -> Result<Dataset>;
    async fn get_dataset(&self, id: i64) -> Result<Dataset>;
    /// Datasets, newest first; `org` restricts to one source department.
    async fn list_datasets(
        &self,
        org: Option<i64>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Dataset>>;
    /// Datasets whose name or catalogue entry's name contains `term`
    /// (case-insensitive), newest first; `org` as for `list_datasets`.
    async fn search_datasets(
        &self,
        org: Option<i64>,
        term: &str,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Dataset>>;
    async fn dataset_versions(&self, id: i64) -> Result<Vec<DatasetVersion>>;
    /// The dataset behind a catalogue entry (the newest, if several).
    async fn dataset_of_entry(&self, entry_id: i64) -> Result<Option<Dataset>>;
    /// Starts a load: takes the write lock until finished or dropped.
    async fn begin_load(&self, dataset: &Dataset, mode: LoadMode) -> Result<Box<dyn DatasetLoad>>;
    async fn quality_issues(
        &self,
        dataset_id: i64,
        limit: u32,
    ) -> Result<Vec<pubdata_domain::dataset::RowError>>;
    async fn file_exemption(
        &self,
        org_id: i64,
        entry_id: Option<i64>,
        reason: &str,
        filed_by: &str,
        audit: AuditEvent,
    ) -> Result<Exemption>;
    /// Exemptions, newest first; `org` restricts to one agency.
    async fn exemptions(&self, org: Option<i64>) -> Result<Vec<Exemption>>;
    async fn put_pull_source(&self, src: &PullSource, audit: AuditEvent) -> Result<()>;
    async fn pull_source(&self, dataset_id: i64) -> Result<Option<PullSource>>;
    async fn pull_sources(&self) -> Result<Vec<PullSource>>;
    /// Records the outcome of a pull: the new high-water mark or the error.
    async fn record_pull(
        &self,
        dataset_id: i64,
        last_value: Option<&str>,
        error: Option<&str>,
    ) -> Result<()>;
    async fn base_tables(&self) -> Result<Vec<BaseTable>>;
    async fn base_fields(&self, base: &str) -> Result<Vec<BaseField>>;
    /// Registers a field's source; `Conflict` when the field has one.
    async fn add_base_field(&self, f: &BaseField, audit: AuditEvent) -> Result<()>;
    /// Sets when a dataset was last loaded (demo seeding of history only).
    async fn set_dataset_last_load(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
}

/// The whole store: organisations, accounts, calendar, audit chain and
/// shared server state here; the catalogue, cases and datasets in their own
/// traits. Each is implemented once for both backends (`queries/`).
#[async_trait]
pub trait Store:
    CatalogStore
    + CaseStore
    + ContentStore
    + DatasetStore
    + DeriveStore
    + NotifyStore
    + DisputeStore
    + ObjectionStore
    + OperationStore
    + OpenStore
    + OpenApplicationStore
    + OpenProposalStore
    + OpenPlanStore
    + ProcurementStore
    + ProjectStore
    + SecurityStore
    + ShareStore
    + SupervisionStore
    + ViolationStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is, e.g. `sqlite`.
    fn backend(&self) -> &'static str;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;

    // --- organisations (ORG-1)
    async fn list_orgs(&self) -> Result<Vec<Org>>;
    async fn get_org(&self, id: i64) -> Result<Org>;
    async fn get_org_by_code(&self, code: &str) -> Result<Option<Org>>;
    async fn create_org(&self, org: NewOrg, audit: AuditEvent) -> Result<Org>;
    async fn update_org(&self, id: i64, patch: OrgPatch, audit: AuditEvent) -> Result<Org>;

    // --- users and roles
    async fn list_users(&self, org_id: Option<i64>) -> Result<Vec<User>>;
    async fn get_user(&self, id: i64) -> Result<User>;
    /// The user and their password hash.
    async fn get_user_by_username(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn create_user(&self, user: NewUser, audit: AuditEvent) -> Result<User>;
    /// Changing the password or disabling the user also ends their sessions.
    async fn update_user(&self, id: i64, patch: UserPatch, audit: AuditEvent) -> Result<User>;
    async fn roles_of(&self, user_id: i64) -> Result<Vec<RoleGrant>>;
    async fn grant_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        audit: AuditEvent,
    ) -> Result<RoleGrant>;
    async fn revoke_role(&self, grant_id: i64, audit: AuditEvent) -> Result<RoleGrant>;

    // --- sessions
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        kind: SessionKind,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn find_session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str, audit: AuditEvent) -> Result<()>;

    // --- application API tokens
    async fn create_api_token(&self, token: NewApiToken, audit: AuditEvent) -> Result<ApiToken>;
    async fn list_api_tokens(&self, org_id: i64) -> Result<Vec<ApiToken>>;
    async fn get_api_token(&self, id: i64) -> Result<ApiToken>;
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>>;
    async fn revoke_api_token(&self, id: i64, audit: AuditEvent) -> Result<ApiToken>;
    /// Records last use of tokens, in one batch.
    async fn touch_api_tokens(&self, uses: &[(i64, DateTime<Utc>)]) -> Result<()>;

    // --- working-day calendar (CAL-1)
    async fn calendar_years(&self) -> Result<Vec<YearSchedule>>;
    /// Inserts the shipped schedules of years not yet stored (never overwrites).
    async fn seed_calendar_years(&self, years: &[YearSchedule]) -> Result<usize>;
    async fn put_calendar_year(&self, year: &YearSchedule, audit: AuditEvent) -> Result<()>;

    // --- audit chain (SEC-3)
    async fn append_audit(&self, event: AuditEvent) -> Result<i64>;
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
    /// Records with id > `after_id`, oldest first, at most `limit`.
    async fn audit_batch(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>>;
    /// How many records the chain head says were written.
    async fn audit_written(&self) -> Result<i64>;

    // --- state shared by every server of the platform
    /// Takes or renews the lease of background job `job` for `holder` until
    /// `ttl` from now; false while another holder's lease runs. Several
    /// servers on one database thus run each job on one of them at a time.
    async fn try_lease(&self, job: &str, holder: &str, ttl: chrono::Duration) -> Result<bool>;
    /// Every job lease, by job name.
    async fn job_leases(&self) -> Result<Vec<JobLease>>;
    /// Writes a consistent copy of the whole database to `path` (a new
    /// file); `false` when the backend is backed up by its own tools
    /// (PostgreSQL: base backups and WAL archiving).
    async fn backup_to(&self, path: &std::path::Path) -> Result<bool>;
    /// Every table at one instant, in a form either backend restores
    /// ([`snapshot`]; `pubdata backup`).
    async fn snapshot(&self) -> Result<snapshot::Snapshot>;
    /// Restores a snapshot into this never-used platform, all or nothing;
    /// `Conflict` when the platform already holds data.
    async fn restore_snapshot(&self, snap: &snapshot::Snapshot) -> Result<()>;
    /// The audit chain's head: records written and the last record's hash.
    async fn audit_head(&self) -> Result<(i64, String)>;
    /// The platform's crypto profile (international or guomi 国密).
    async fn crypto_profile(&self) -> Result<pubdata_domain::audit::CryptoProfile>;
    /// Sets the crypto profile while the audit chain is empty (first start,
    /// restore, migrate-store); `Conflict` when the platform already runs
    /// under another profile (it never changes silently).
    async fn set_crypto_profile(&self, profile: pubdata_domain::audit::CryptoProfile)
    -> Result<()>;
    /// Records a backup run with its audit record (one transaction).
    async fn record_backup_run(&self, run: NewBackupRun, event: AuditEvent) -> Result<i64>;
    /// Backup runs, newest first.
    async fn backup_runs(&self, limit: u32) -> Result<Vec<BackupRun>>;
    /// Records an audit checkpoint run with its audit record (one transaction).
    async fn record_audit_checkpoint(
        &self,
        cp: NewAuditCheckpoint,
        event: AuditEvent,
    ) -> Result<i64>;
    /// Audit checkpoint runs, newest first.
    async fn audit_checkpoints(&self, limit: u32) -> Result<Vec<AuditCheckpoint>>;
    /// Every stored value of a secret column (`table.column`, one of
    /// [`SECRET_COLUMNS`]) by its row's key, as stored.
    async fn stored_secrets(&self, column: &str) -> Result<Vec<(i64, String)>>;
    /// Replaces stored secrets (`table.column`, row key, new value) in one
    /// transaction with `event` (sealing values written before sealing).
    async fn reseal_secrets(
        &self,
        values: &[(&str, i64, String)],
        event: &AuditEvent,
    ) -> Result<()>;
    /// Failed logins of `client` since `since`: how many, and the first.
    async fn login_failures(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)>;
    /// Records a failed login of `client`, forgetting every failure before `forget_before`.
    async fn record_login_failure(&self, client: &str, forget_before: DateTime<Utc>) -> Result<()>;
    async fn clear_login_failures(&self, client: &str) -> Result<()>;
}

/// Opens the store a URL names: `sqlite://PATH` (created on first start) or
/// `postgres://…` (an existing database; migrated on start).
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(format!(
            "`{}`: use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE",
            redact_url(url)
        )))
    }
}

/// A URL with any password replaced, fit for messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    pubdata_domain::secret::SecretUrl::new(url).redacted()
}
