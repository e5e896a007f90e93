//! Row mapping shared by both backends.
//!
//! SQLite keeps timestamps as RFC 3339 text, dates as `YYYY-MM-DD`, flags as
//! integers and JSON as text; PostgreSQL keeps them as `timestamptz`, `date`,
//! `boolean` and `jsonb`. [`Cols`] reads a column as the Rust value whatever
//! the storage, so each entity is mapped from a row once, here.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use pubdata_domain::audit::{AuditEvent, AuditRecord, Outcome};
use pubdata_domain::case::{CaseKind, CaseState};
use pubdata_domain::catalog::{EntryState, Frequency, Grade, OpenAttribute};
use pubdata_domain::dataset::RowError;
use pubdata_domain::org::{Level, OrgKind, Role, UserKind};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::sql::DbRow;
use crate::*;

/// Typed access to a row's columns by name.
pub(crate) trait Cols {
    fn int(&self, c: &str) -> Result<i64>;
    fn opt_int(&self, c: &str) -> Result<Option<i64>>;
    fn text(&self, c: &str) -> Result<String>;
    fn opt_text(&self, c: &str) -> Result<Option<String>>;
    fn flag(&self, c: &str) -> Result<bool>;
    fn opt_time(&self, c: &str) -> Result<Option<DateTime<Utc>>>;
    fn opt_date(&self, c: &str) -> Result<Option<NaiveDate>>;
    /// A JSON document (text in SQLite, jsonb in PostgreSQL).
    fn json_value(&self, c: &str) -> Result<serde_json::Value>;
    /// Bytes (BLOB in SQLite, bytea in PostgreSQL).
    fn bytes(&self, c: &str) -> Result<Vec<u8>>;

    fn time(&self, c: &str) -> Result<DateTime<Utc>> {
        self.opt_time(c)?
            .ok_or_else(|| StoreError::Corrupt(format!("`{c}` is empty")))
    }
    fn date(&self, c: &str) -> Result<NaiveDate> {
        self.opt_date(c)?
            .ok_or_else(|| StoreError::Corrupt(format!("`{c}` is empty")))
    }
    fn json<T: DeserializeOwned>(&self, c: &str) -> Result<T> {
        serde_json::from_value(self.json_value(c)?)
            .map_err(|e| StoreError::Corrupt(format!("{c}: {e}")))
    }
    fn parsed<T: FromStr>(&self, c: &str) -> Result<T> {
        parse_enum(&self.text(c)?)
    }
    fn opt_parsed<T: FromStr>(&self, c: &str) -> Result<Option<T>> {
        self.opt_text(c)?.as_deref().map(parse_enum).transpose()
    }
}

pub(crate) fn parse_enum<T: FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown value `{s}`")))
}

fn parse_date(s: &str) -> Result<NaiveDate> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad date `{s}`")))
}

/// The columns both backends store as the Rust type itself.
macro_rules! natively_typed_cols {
    () => {
        fn int(&self, c: &str) -> Result<i64> {
            Ok(self.try_get(c)?)
        }
        fn opt_int(&self, c: &str) -> Result<Option<i64>> {
            Ok(self.try_get(c)?)
        }
        fn text(&self, c: &str) -> Result<String> {
            Ok(self.try_get(c)?)
        }
        fn opt_text(&self, c: &str) -> Result<Option<String>> {
            Ok(self.try_get(c)?)
        }
        fn flag(&self, c: &str) -> Result<bool> {
            Ok(self.try_get(c)?)
        }
        fn bytes(&self, c: &str) -> Result<Vec<u8>> {
            Ok(self.try_get(c)?)
        }
    };
}

impl Cols for SqliteRow {
    natively_typed_cols!();
    fn opt_time(&self, c: &str) -> Result<Option<DateTime<Utc>>> {
        self.try_get::<Option<&str>, _>(c)?
            .map(parse_time)
            .transpose()
    }
    fn opt_date(&self, c: &str) -> Result<Option<NaiveDate>> {
        self.try_get::<Option<&str>, _>(c)?
            .map(parse_date)
            .transpose()
    }
    fn json_value(&self, c: &str) -> Result<serde_json::Value> {
        serde_json::from_str(self.try_get(c)?).map_err(|e| StoreError::Corrupt(format!("{c}: {e}")))
    }
}

impl Cols for PgRow {
    natively_typed_cols!();
    fn opt_time(&self, c: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(c)?)
    }
    fn opt_date(&self, c: &str) -> Result<Option<NaiveDate>> {
        Ok(self.try_get(c)?)
    }
    fn json_value(&self, c: &str) -> Result<serde_json::Value> {
        Ok(self
            .try_get::<sqlx::types::Json<serde_json::Value>, _>(c)?
            .0)
    }
}

/// Either backend's row reads as that backend's.
macro_rules! either {
    ($self:ident, $r:ident => $e:expr) => {
        match $self {
            DbRow::Sqlite($r) => $e,
            DbRow::Pg($r) => $e,
        }
    };
}

impl Cols for DbRow {
    fn int(&self, c: &str) -> Result<i64> {
        either!(self, r => r.int(c))
    }
    fn opt_int(&self, c: &str) -> Result<Option<i64>> {
        either!(self, r => r.opt_int(c))
    }
    fn text(&self, c: &str) -> Result<String> {
        either!(self, r => r.text(c))
    }
    fn opt_text(&self, c: &str) -> Result<Option<String>> {
        either!(self, r => r.opt_text(c))
    }
    fn flag(&self, c: &str) -> Result<bool> {
        either!(self, r => r.flag(c))
    }
    fn opt_time(&self, c: &str) -> Result<Option<DateTime<Utc>>> {
        either!(self, r => r.opt_time(c))
    }
    fn opt_date(&self, c: &str) -> Result<Option<NaiveDate>> {
        either!(self, r => r.opt_date(c))
    }
    fn json_value(&self, c: &str) -> Result<serde_json::Value> {
        either!(self, r => r.json_value(c))
    }
    fn bytes(&self, c: &str) -> Result<Vec<u8>> {
        either!(self, r => r.bytes(c))
    }
}

pub(crate) fn org<R: Cols>(r: &R) -> Result<Org> {
    Ok(Org {
        id: r.int("id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        name_en: r.opt_text("name_en")?,
        kind: r.parsed::<OrgKind>("kind")?,
        level: r.opt_parsed::<Level>("level")?,
        parent_id: r.opt_int("parent_id")?,
        division_code: r.opt_text("division_code")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn user<R: Cols>(r: &R) -> Result<User> {
    Ok(User {
        id: r.int("id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        kind: r.parsed::<UserKind>("kind")?,
        org_id: r.opt_int("org_id")?,
        disabled: r.flag("disabled")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn token<R: Cols>(r: &R) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.int("id")?,
        prefix: r.text("prefix")?,
        name: r.text("name")?,
        org_id: r.int("org_id")?,
        created_by: r.int("created_by")?,
        created_at: r.time("created_at")?,
        last_used_at: r.opt_time("last_used_at")?,
        revoked_at: r.opt_time("revoked_at")?,
    })
}

pub(crate) fn grant<R: Cols>(r: &R) -> Result<RoleGrant> {
    Ok(RoleGrant {
        id: r.int("id")?,
        user_id: r.int("user_id")?,
        role: r.parsed::<Role>("role")?,
        org_id: r.int("org_id")?,
    })
}

pub(crate) fn session<R: Cols>(r: &R) -> Result<Session> {
    Ok(Session {
        user_id: r.int("user_id")?,
        csrf_token: r.text("csrf_token")?,
        expires_at: r.time("expires_at")?,
    })
}

/// An audit record. Its `at` is the exact text the hash covers: SQLite keeps
/// that text; PostgreSQL keeps a `timestamptz` with the same microseconds,
/// formatted back the same way. `detail` is kept as the hashed text.
pub(crate) fn audit<R: Cols>(r: &R) -> Result<AuditRecord> {
    let outcome = r.text("outcome")?;
    let detail = r.text("detail")?;
    Ok(AuditRecord {
        id: r.int("id")?,
        at: fmt_time(r.time("at")?),
        event: AuditEvent {
            actor: r.text("actor")?,
            actor_user_id: r.opt_int("actor_user_id")?,
            org_id: r.opt_int("org_id")?,
            action: r.text("action")?,
            target: r.text("target")?,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| StoreError::Corrupt(format!("outcome `{outcome}`")))?,
            detail: serde_json::from_str(&detail)
                .map_err(|_| StoreError::Corrupt("audit detail is not JSON".into()))?,
            client_ip: r.opt_text("client_ip")?,
        },
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

pub(crate) fn schedule<R: Cols>(r: &R) -> Result<YearSchedule> {
    let year = r.int("year")?;
    let days = |c: &str| -> Result<Vec<NaiveDate>> {
        serde_json::from_value(r.json_value(c)?)
            .map_err(|_| StoreError::Corrupt(format!("calendar {year}")))
    };
    Ok(YearSchedule {
        year: year as i32,
        source: r.text("source")?,
        off: days("off_days")?.into_iter().collect(),
        work: days("work_days")?.into_iter().collect(),
    })
}

pub(crate) fn pull<R: Cols>(r: &R) -> Result<PullSource> {
    Ok(PullSource {
        dataset_id: r.int("dataset_id")?,
        url: pubdata_domain::secret::SecretUrl::new(r.text("url")?),
        query: r.text("query")?,
        incremental_column: r.opt_text("incremental_column")?,
        last_value: r.opt_text("last_value")?,
        last_pull_at: r.opt_time("last_pull_at")?,
        last_error: r.opt_text("last_error")?,
    })
}

pub(crate) fn exemption<R: Cols>(r: &R) -> Result<Exemption> {
    Ok(Exemption {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        entry_id: r.opt_int("entry_id")?,
        reason: r.text("reason")?,
        filed_by: r.text("filed_by")?,
        filed_at: r.time("filed_at")?,
    })
}

pub(crate) fn base_table<R: Cols>(r: &R) -> Result<BaseTable> {
    Ok(BaseTable {
        code: r.text("code")?,
        name: r.text("name")?,
        key_name: r.text("key_name")?,
    })
}

pub(crate) fn base_field<R: Cols>(r: &R) -> Result<BaseField> {
    Ok(BaseField {
        base_code: r.text("base_code")?,
        field: r.text("field")?,
        dataset_id: r.int("dataset_id")?,
        source_column: r.text("source_column")?,
        org_id: r.int("org_id")?,
    })
}

pub(crate) fn classification<R: Cols>(r: &R) -> Result<Classification> {
    Ok(Classification {
        code: r.text("code")?,
        name: r.text("name")?,
        parent: r.opt_text("parent")?,
    })
}

pub(crate) fn grade<R: Cols>(r: &R) -> Result<Grade> {
    Ok(Grade {
        code: r.text("code")?,
        name: r.text("name")?,
        rank: r.int("rank")? as _,
        allows_unconditional_share: r.flag("allows_unconditional_share")?,
        max_open: r.parsed::<OpenAttribute>("max_open")?,
    })
}

pub(crate) fn entry<R: Cols>(r: &R) -> Result<CatalogEntry> {
    Ok(CatalogEntry {
        id: r.int("id")?,
        code: r.text("code")?,
        org_id: r.int("org_id")?,
        level: r.opt_parsed::<Level>("level")?,
        state: r.parsed::<EntryState>("state")?,
        version: r.int("version")?,
        published_version: r.opt_int("published_version")?,
        published_on: r.opt_date("published_on")?,
        content: r.json("content")?,
        co_owners: r.json("co_owners")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) fn entry_version<R: Cols>(r: &R) -> Result<EntryVersion> {
    Ok(EntryVersion {
        version: r.int("version")?,
        state: r.parsed::<EntryState>("state")?,
        content: r.json("content")?,
        actor: r.text("actor")?,
        note: r.text("note")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn case<R: Cols>(r: &R) -> Result<Case> {
    Ok(Case {
        id: r.int("id")?,
        kind: r.parsed::<CaseKind>("kind")?,
        subject: r.text("subject")?,
        requester_org: r.int("requester_org")?,
        responder_org: r.int("responder_org")?,
        state: r.parsed::<CaseState>("state")?,
        opened_on: r.date("opened_on")?,
        due_on: r.date("due_on")?,
        closed_at: r.opt_time("closed_at")?,
        outcome: r.opt_text("outcome")?,
        basis: r.text("basis")?,
        overdue_at: r.opt_time("overdue_at")?,
    })
}

pub(crate) fn case_event<R: Cols>(r: &R) -> Result<CaseEvent> {
    Ok(CaseEvent {
        at: r.time("at")?,
        actor: r.text("actor")?,
        action: r.text("action")?,
        reason: r.text("reason")?,
    })
}

pub(crate) fn data_item<R: Cols>(r: &R) -> Result<DataItemSource> {
    Ok(DataItemSource {
        id: r.int("id")?,
        name: r.text("name")?,
        source_org: r.int("source_org")?,
        basis: r.text("basis")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn dataset<R: Cols>(r: &R) -> Result<Dataset> {
    Ok(Dataset {
        id: r.int("id")?,
        entry_id: r.int("entry_id")?,
        org_id: r.int("org_id")?,
        name: r.text("name")?,
        columns: r.json("columns")?,
        key: r.json("key_columns")?,
        frequency: r.parsed::<Frequency>("frequency")?,
        current_version: r.int("current_version")?,
        row_count: r.int("row_count")?,
        last_load_at: r.opt_time("last_load_at")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn dataset_version<R: Cols>(r: &R) -> Result<DatasetVersion> {
    Ok(DatasetVersion {
        version: r.int("version")?,
        mode: r.text("mode")?,
        source: r.text("source")?,
        rows_in: r.int("rows_in")?,
        inserted: r.int("inserted")?,
        updated: r.int("updated")?,
        deleted: r.int("deleted")?,
        flagged: r.int("flagged")?,
        actor: r.text("actor")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn issue<R: Cols>(r: &R) -> Result<RowError> {
    Ok(RowError {
        row: r.int("row_no")? as u64,
        column: r.text("column_name")?,
        value: r.text("value")?,
        rule: r.text("rule")?,
        message: r.text("message")?,
    })
}

/// Values `c0…c{n-1}` of a dataset row.
pub(crate) fn values<R: Cols>(r: &R, n: usize) -> Result<Vec<Option<String>>> {
    (0..n).map(|i| r.opt_text(&format!("c{i}"))).collect()
}

pub(crate) fn job_lease<R: Cols>(r: &R) -> Result<JobLease> {
    Ok(JobLease {
        job: r.text("job")?,
        holder: r.text("holder")?,
        until: r.time("until")?,
        last_run: r.opt_time("last_run")?,
    })
}

pub(crate) fn backup_run<R: Cols>(r: &R) -> Result<BackupRun> {
    Ok(BackupRun {
        id: r.int("id")?,
        started_at: r.time("started_at")?,
        duration_ms: r.int("duration_ms")?,
        ok: r.flag("ok")?,
        bytes: r.int("bytes")?,
        file: r.text("file")?,
        copies: r.int("copies")?,
        error: r.text("error")?,
        instance: r.text("instance")?,
    })
}

pub(crate) fn audit_checkpoint<R: Cols>(r: &R) -> Result<AuditCheckpoint> {
    Ok(AuditCheckpoint {
        id: r.int("id")?,
        at: r.time("at")?,
        ok: r.flag("ok")?,
        records: r.int("records")?,
        head: r.text("head")?,
        algorithm: r.text("algorithm")?,
        public_key: r.text("public_key")?,
        signature: r.text("signature")?,
        file: r.text("file")?,
        copies: r.int("copies")?,
        error: r.text("error")?,
        instance: r.text("instance")?,
    })
}

pub(crate) fn share_request<R: Cols>(r: &R) -> Result<ShareRequest> {
    Ok(ShareRequest {
        id: r.int("id")?,
        entry_id: r.int("entry_id")?,
        dataset_id: r.int("dataset_id")?,
        requester_org: r.int("requester_org")?,
        source_org: r.int("source_org")?,
        requested_by: r.text("requested_by")?,
        requested_by_name: r.text("requested_by_name")?,
        scenario: r.text("scenario")?,
        using_unit: r.text("using_unit")?,
        fields: r.json("fields")?,
        mode: r.parsed("mode")?,
        until: r.date("until")?,
        purpose: r.text("purpose")?,
        research_only: r.flag("research_only")?,
        state: r.parsed("state")?,
        answer_due: r.opt_date("answer_due")?,
        implement_due: r.opt_date("implement_due")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        basis: r.text("basis")?,
        grant_id: r.opt_int("grant_id")?,
        filed_with: r.json("filed_with")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn share_grant<R: Cols>(r: &R) -> Result<Grant> {
    let row_filter: Option<serde_json::Value> = match r.json_value("row_filter")? {
        serde_json::Value::Null => None,
        v => Some(v),
    };
    Ok(Grant {
        id: r.int("id")?,
        request_id: r.opt_int("request_id")?,
        dataset_id: r.int("dataset_id")?,
        entry_id: r.int("entry_id")?,
        source_org: r.int("source_org")?,
        grantee_org: r.int("grantee_org")?,
        using_unit: r.text("using_unit")?,
        scenario: r.text("scenario")?,
        purpose: r.text("purpose")?,
        data_user: r.text("data_user")?,
        fields: r.json("fields")?,
        masks: r.json("masks")?,
        row_filter: row_filter
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("row_filter: {e}")))?,
        mode: r.parsed("mode")?,
        valid_from: r.date("valid_from")?,
        valid_until: r.date("valid_until")?,
        rate_limit: r.int("rate_limit")?,
        research_only: r.flag("research_only")?,
        state: r.parsed("state")?,
        state_reason: r.text("state_reason")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
        implemented_at: r.opt_time("implemented_at")?,
    })
}

pub(crate) fn grant_usage<R: Cols>(r: &R) -> Result<GrantUsage> {
    Ok(GrantUsage {
        grant_id: r.int("grant_id")?,
        day: r.date("day")?,
        reads: r.int("reads")?,
        rows_out: r.int("rows_out")?,
    })
}

pub(crate) fn usage_report<R: Cols>(r: &R) -> Result<UsageReport> {
    Ok(UsageReport {
        id: r.int("id")?,
        grant_id: r.int("grant_id")?,
        period: r.text("period")?,
        summary: r.text("summary")?,
        uses: r.int("uses")?,
        filed_by: r.text("filed_by")?,
        filed_at: r.time("filed_at")?,
    })
}

pub(crate) fn push_target<R: Cols>(r: &R) -> Result<PushTarget> {
    Ok(PushTarget {
        grant_id: r.int("grant_id")?,
        url: pubdata_domain::secret::SecretUrl::new(r.text("url")?),
        table_name: r.text("table_name")?,
        every_minutes: r.int("every_minutes")?,
        pushed_version: r.int("pushed_version")?,
        last_push_at: r.opt_time("last_push_at")?,
        last_error: r.opt_text("last_error")?,
        failures: r.int("failures")?,
        next_at: r.time("next_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn data_demand<R: Cols>(r: &R) -> Result<DataDemand> {
    Ok(DataDemand {
        id: r.int("id")?,
        requester_org: r.int("requester_org")?,
        source_org: r.int("source_org")?,
        requested_by: r.text("requested_by")?,
        description: r.text("description")?,
        items: r.json("items")?,
        scenario: r.text("scenario")?,
        purpose: r.text("purpose")?,
        state: r.parsed("state")?,
        answer_due: r.date("answer_due")?,
        answer: r.text("answer")?,
        basis: r.text("basis")?,
        entry_id: r.opt_int("entry_id")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn delivery<R: Cols>(r: &R) -> Result<Delivery> {
    Ok(Delivery {
        id: r.int("id")?,
        grant_id: r.int("grant_id")?,
        kind: r.text("kind")?,
        description: r.text("description")?,
        rows_out: r.int("rows_out")?,
        received_by: r.text("received_by")?,
        delivered_by: r.text("delivered_by")?,
        delivered_at: r.time("delivered_at")?,
    })
}

pub(crate) fn derivation<R: Cols>(r: &R) -> Result<Derivation> {
    Ok(Derivation {
        id: r.int("id")?,
        org_id: r.int("org_id")?,
        parent_dataset_id: r.int("parent_dataset_id")?,
        parent_entry_id: r.int("parent_entry_id")?,
        entry_id: r.int("entry_id")?,
        dataset_id: r.opt_int("dataset_id")?,
        transforms: r.json("transforms")?,
        secret: r.text("secret")?,
        parent_version: r.int("parent_version")?,
        last_refresh_at: r.opt_time("last_refresh_at")?,
        last_error: r.opt_text("last_error")?,
        quasi_identifiers: r.json("quasi_identifiers")?,
        k: u32::try_from(r.int("k_threshold")?)
            .map_err(|_| StoreError::Corrupt("k_threshold out of range".into()))?,
        reid_required: r.flag("reid_required")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn reid_check<R: Cols>(r: &R) -> Result<ReidCheck> {
    Ok(ReidCheck {
        id: r.int("id")?,
        derivation_id: r.int("derivation_id")?,
        dataset_id: r.opt_int("dataset_id")?,
        version: r.int("version")?,
        purpose: r.text("purpose")?,
        report: r.json("report")?,
        checked_by: r.text("checked_by")?,
        checked_at: r.time("checked_at")?,
    })
}

pub(crate) fn masking_rule<R: Cols>(r: &R) -> Result<MaskingRule> {
    Ok(MaskingRule {
        words: r.json("words")?,
        rule: r.text("rule")?,
    })
}

pub(crate) fn open_application<R: Cols>(r: &R) -> Result<OpenApplication> {
    Ok(OpenApplication {
        id: r.int("id")?,
        dataset_id: r.int("dataset_id")?,
        entry_id: r.int("entry_id")?,
        source_org: r.int("source_org")?,
        applicant: r.text("applicant")?,
        applicant_user_id: r.opt_int("applicant_user_id")?,
        applicant_name: r.text("applicant_name")?,
        applicant_kind: r.text("applicant_kind")?,
        applicant_org: r.opt_int("applicant_org")?,
        party: r.text("party")?,
        purpose: r.text("purpose")?,
        use_scenario: r.text("use_scenario")?,
        fields: r.json("fields")?,
        end_date: r.opt_date("end_date")?,
        state: r.parsed("state")?,
        answer_due: r.date("answer_due")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        reason: r.text("reason")?,
        approved_fields: r.json("approved_fields")?,
        masks: r.json("masks")?,
        valid_from: r.opt_date("valid_from")?,
        valid_until: r.opt_date("valid_until")?,
        agreement_version: r.opt_int("agreement_version")?,
        agreement_text: r.opt_text("agreement_text")?,
        accepted_at: r.opt_time("accepted_at")?,
        accepted_by: r.opt_text("accepted_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn objection<R: Cols>(r: &R) -> Result<Objection> {
    let corrections: std::collections::BTreeMap<String, String> = r.json("corrections")?;
    Ok(Objection {
        id: r.int("id")?,
        dataset_id: r.int("dataset_id")?,
        source_org: r.int("source_org")?,
        key: r.json("key_values")?,
        field: r.opt_text("field")?,
        claimed_value: r.opt_text("claimed_value")?,
        description: r.text("description")?,
        channel: r.parsed("channel")?,
        objector_name: r.text("objector_name")?,
        objector_user_id: r.opt_int("objector_user_id")?,
        objector_org: r.opt_int("objector_org")?,
        subject_id_card_no: r.opt_text("subject_id_card_no")?,
        grant_id: r.opt_int("grant_id")?,
        visible_fields: r.json("visible_fields")?,
        about_version: r.int("about_version")?,
        state: r.parsed("state")?,
        case_id: r.opt_int("case_id")?,
        due_on: r.date("due_on")?,
        reply: r.opt_text("reply")?,
        corrections: (!corrections.is_empty()).then_some(corrections),
        correction_version: r.opt_int("correction_version")?,
        resolved_by: r.opt_text("resolved_by")?,
        resolved_at: r.opt_time("resolved_at")?,
        created_at: r.time("created_at")?,
        record_key: r.text("record_key")?,
    })
}

pub(crate) fn objection_proof<R: Cols>(r: &R) -> Result<ObjectionProof> {
    Ok(ObjectionProof {
        id: r.int("id")?,
        objection_id: r.int("objection_id")?,
        file_name: r.text("file_name")?,
        media_type: r.text("media_type")?,
        size: r.int("size")?,
        sha256: r.text("sha256")?,
        uploaded_by: r.text("uploaded_by")?,
        uploaded_at: r.time("uploaded_at")?,
    })
}

pub(crate) fn agreement<R: Cols>(r: &R) -> Result<OperationAgreement> {
    Ok(OperationAgreement {
        id: r.int("id")?,
        agency_org: r.int("agency_org")?,
        operator_org: r.int("operator_org")?,
        level: r.parsed("level")?,
        title: r.text("title")?,
        datasets: r.json("datasets")?,
        scenarios: r.text("scenarios")?,
        term_from: r.date("term_from")?,
        term_to: r.date("term_to")?,
        revenue_terms: r.text("revenue_terms")?,
        state: r.parsed("state")?,
        reason: r.opt_text("reason")?,
        earlier_arrangement: r.opt_int("earlier_arrangement")?,
        filed_at: r.opt_time("filed_at")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn arrangement<R: Cols>(r: &R) -> Result<OperationArrangement> {
    Ok(OperationArrangement {
        id: r.int("id")?,
        agency_org: r.int("agency_org")?,
        third_party_org: r.int("third_party_org")?,
        description: r.text("description")?,
        datasets: r.json("datasets")?,
        since: r.date("since")?,
        state: r.parsed("state")?,
        case_id: r.opt_int("case_id")?,
        due_on: r.date("due_on")?,
        reason: r.opt_text("reason")?,
        agreement_id: r.opt_int("agreement_id")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn revenue<R: Cols>(r: &R) -> Result<RevenueRecord> {
    Ok(RevenueRecord {
        id: r.int("id")?,
        agreement_id: r.int("agreement_id")?,
        period: r.text("period")?,
        revenue_fen: r.int("revenue_fen")?,
        contribution_fen: r.int("contribution_fen")?,
        products: r.int("products")?,
        note: r.text("note")?,
        entered_by: r.text("entered_by")?,
        entered_org: r.int("entered_org")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn open_product<R: Cols>(r: &R) -> Result<OpenProduct> {
    Ok(OpenProduct {
        id: r.int("id")?,
        name: r.text("name")?,
        org_id: r.opt_int("org_id")?,
        provider: r.text("provider")?,
        description: r.text("description")?,
        datasets: r.json("datasets")?,
        url: r.opt_text("url")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn open_filing<R: Cols>(r: &R) -> Result<OpenFiling> {
    Ok(OpenFiling {
        id: r.int("id")?,
        entry_id: r.int("entry_id")?,
        org_id: r.int("org_id")?,
        authority_org: r.int("authority_org")?,
        version: r.int("version")?,
        attribute: r.parsed("attribute")?,
        clauses: r.json("clauses")?,
        basis: r.text("basis")?,
        filed_on: r.date("filed_on")?,
        filed_by: r.text("filed_by")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn open_proposal<R: Cols>(r: &R) -> Result<OpenProposal> {
    Ok(OpenProposal {
        id: r.int("id")?,
        entry_id: r.int("entry_id")?,
        org_id: r.int("org_id")?,
        authority_org: r.int("authority_org")?,
        filing_id: r.opt_int("filing_id")?,
        from_attribute: r.parsed("from_attribute")?,
        from_clauses: r.json("from_clauses")?,
        proposed_attribute: r.parsed("proposed_attribute")?,
        proposed_clauses: r.json("proposed_clauses")?,
        reasons: r.text("reasons")?,
        proposed_by: r.text("proposed_by")?,
        state: r.parsed("state")?,
        answer_reasons: r.opt_text("answer_reasons")?,
        answered_by: r.opt_text("answered_by")?,
        answered_at: r.opt_time("answered_at")?,
        applied_version: r.opt_int("applied_version")?,
        escalation_reasons: r.opt_text("escalation_reasons")?,
        escalated_by: r.opt_text("escalated_by")?,
        escalated_at: r.opt_time("escalated_at")?,
        decision_document_no: r.opt_text("decision_document_no")?,
        decision_date: r.opt_date("decision_date")?,
        decided_attribute: r.opt_parsed("decided_attribute")?,
        decided_clauses: r.json("decided_clauses")?,
        decided_version: r.opt_int("decided_version")?,
        decided_by: r.opt_text("decided_by")?,
        decided_at: r.opt_time("decided_at")?,
        created_at: r.time("created_at")?,
    })
}
pub(crate) fn dispute<R: Cols>(r: &R) -> Result<Dispute> {
    Ok(Dispute {
        id: r.int("id")?,
        complainant_org: r.int("complainant_org")?,
        respondent_org: r.int("respondent_org")?,
        authority_org: r.int("authority_org")?,
        cross_level: r.flag("cross_level")?,
        dispute_type: r.parsed("dispute_type")?,
        subject_kind: r.opt_parsed("subject_kind")?,
        subject_id: r.opt_int("subject_id")?,
        title: r.text("title")?,
        grounds: r.text("grounds")?,
        stage: r.parsed("stage")?,
        state: r.parsed("state")?,
        case_id: r.opt_int("case_id")?,
        due_on: r.date("due_on")?,
        leaning: r.opt_text("leaning")?,
        outcome: r.opt_text("outcome")?,
        decision_no: r.opt_text("decision_no")?,
        settled_by: r.opt_text("settled_by")?,
        settled_at: r.opt_time("settled_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}
