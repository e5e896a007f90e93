//! Moving a whole platform from SQLite to PostgreSQL (`pubdata migrate-store`).
//!
//! Every table is copied verbatim — ids, timestamps, audit records and their
//! hashes — inside one PostgreSQL transaction, so the target either holds
//! the whole platform or nothing. Values travel as text through `COPY`:
//! PostgreSQL parses SQLite's RFC 3339 timestamps into `timestamptz`, `0`/`1`
//! into `boolean` and JSON text into `jsonb`. The target must be a database
//! the platform has never used (freshly migrated, nothing written).

use sqlx::{Row, TypeInfo, ValueRef};

use crate::postgres::{PgStore, copy_field, create_dataset_table};
use crate::sqlite::SqliteStore;
use crate::{DatasetStore, Result, StoreError};

/// Tables in an order that satisfies their foreign keys; a table referring
/// to itself (orgs, catalog_classes) arrives in one `COPY`, whose checks run
/// at its end. Every table of the schema is here or in [`NOT_COPIED`]: a
/// migration refuses to start otherwise (a new table cannot be forgotten).
pub const TABLES: &[&str] = &[
    "orgs",
    "users",
    "role_grants",
    "sessions",
    "api_tokens",
    "calendar_years",
    "audit_log",
    "cases",
    "case_events",
    "catalog_classes",
    "catalog_grades",
    "catalog_entries",
    "catalog_entry_versions",
    "catalog_consents",
    "data_items",
    "datasets",
    "dataset_versions",
    "quality_issues",
    "aggregation_exemptions",
    "pull_sources",
    "base_fields",
    "share_requests",
    "grants",
    "usage_reports",
    "grant_usage",
    "push_targets",
    "data_demands",
    "deliveries",
    "derivations",
    "masking_rules",
    "open_applications",
    "person_identities",
    "objections",
    "objection_proofs",
    "reid_checks",
    "synonyms",
    "open_filings",
    "open_proposals",
    "open_priorities",
    "open_plans",
    "open_responsibilities",
    "backup_runs",
    "security_officers",
    "security_grade_settings",
    "security_records",
    "confidentiality_reviews",
    "security_alerts",
    "audit_checkpoints",
    "notifications",
    "webhooks",
    "webhook_deliveries",
    "disputes",
    "dispute_steps",
    "operation_agreements",
    "operation_arrangements",
    "operation_revenue",
    "open_products",
    "rectifications",
    "violations",
    "violation_scans",
    "it_projects",
    "procurement_demands",
    "procurement_records",
];

/// Tables a migration leaves behind: the audit head (set from the source
/// at the end), the fixed base-table list (seeded by the schema), job
/// leases and login failures (this server's passing state), the open
/// list's generation (a cache key the target's own triggers move), the
/// migrations' own bookkeeping; dataset tables `ds_<id>` follow their
/// datasets.
const NOT_COPIED: &[&str] = &[
    "audit_head",
    "base_tables",
    "job_leases",
    "login_failures",
    "open_generation",
    "schema_migrations",
    "sqlite_sequence",
];

/// Tables with an identity `id` whose sequence must continue after the copy.
const IDENTITY: &[&str] = &[
    "orgs",
    "users",
    "role_grants",
    "api_tokens",
    "cases",
    "case_events",
    "catalog_entries",
    "data_items",
    "datasets",
    "quality_issues",
    "aggregation_exemptions",
    "share_requests",
    "grants",
    "usage_reports",
    "data_demands",
    "deliveries",
    "derivations",
    "open_applications",
    "objections",
    "objection_proofs",
    "reid_checks",
    "open_plans",
    "open_filings",
    "open_proposals",
    "backup_runs",
    "security_records",
    "confidentiality_reviews",
    "security_alerts",
    "audit_checkpoints",
    "notifications",
    "webhook_deliveries",
    "disputes",
    "dispute_steps",
    "operation_agreements",
    "operation_arrangements",
    "operation_revenue",
    "open_products",
    "rectifications",
    "violations",
    "it_projects",
    "procurement_demands",
    "procurement_records",
];

/// The source's tables that are neither copied nor deliberately left.
async fn unknown_tables(from: &SqliteStore) -> Result<Vec<String>> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&from.read)
            .await?;
    Ok(names
        .into_iter()
        .filter(|n| {
            !n.starts_with("ds_")
                && !TABLES.contains(&n.as_str())
                && !NOT_COPIED.contains(&n.as_str())
        })
        .collect())
}

/// What a migration copied.
#[derive(Debug, Default)]
pub struct MigrationReport {
    /// (table, rows) in copy order; dataset tables last.
    pub tables: Vec<(String, u64)>,
    pub audit_records: i64,
}

/// Copies everything in `from` into the empty `to`.
pub async fn sqlite_to_postgres(from: &SqliteStore, to: &PgStore) -> Result<MigrationReport> {
    let unknown = unknown_tables(from).await?;
    if !unknown.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "migrate-store does not know the tables {unknown:?}: add them to its list"
        )));
    }
    let mut tx = to.pool.begin().await?;
    let used: i64 =
        sqlx::query_scalar("SELECT (SELECT count(*) FROM orgs) + (SELECT last_id FROM audit_head)")
            .fetch_one(&mut *tx)
            .await?;
    if used > 0 {
        return Err(StoreError::Conflict {
            what: "target database (it already holds a platform)".into(),
        });
    }
    let mut report = MigrationReport::default();
    for t in TABLES {
        let n = copy_table(from, &mut tx, t, t).await?;
        report.tables.push((t.to_string(), n));
    }
    for t in IDENTITY {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT max(id) FROM {t}), 0) + 1, false)"
        ))
        .execute(&mut *tx)
        .await?;
    }
    for d in from.list_datasets(None, None, u32::MAX).await? {
        create_dataset_table(&mut tx, &d).await?;
        let t = format!("ds_{}", d.id);
        let n = copy_table(from, &mut tx, &t, &t).await?;
        report.tables.push((t, n));
    }
    // The chain keeps its hashes, so the target takes the source's profile.
    let (last_id, last_hash, profile): (i64, String, String) =
        sqlx::query_as("SELECT last_id, last_hash, crypto_profile FROM audit_head WHERE one = 1")
            .fetch_one(&from.read)
            .await?;
    sqlx::query(
        "UPDATE audit_head SET last_id = $1, last_hash = $2, crypto_profile = $3 WHERE one = 1",
    )
    .bind(last_id)
    .bind(&last_hash)
    .bind(&profile)
    .execute(&mut *tx)
    .await?;
    report.audit_records = last_id;
    tx.commit().await?;
    Ok(report)
}

/// Copies SQLite table `src` into PostgreSQL table `dst` (same column names).
async fn copy_table(
    from: &SqliteStore,
    tx: &mut sqlx::PgConnection,
    src: &str,
    dst: &str,
) -> Result<u64> {
    use futures_util::TryStreamExt;
    let names: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT name FROM pragma_table_info('{src}') ORDER BY cid"
    ))
    .fetch_all(&from.read)
    .await?;
    let mut copy = tx
        .copy_in_raw(&format!("COPY {dst} ({}) FROM STDIN", names.join(", ")))
        .await?;
    let sql = format!("SELECT {} FROM {src}", names.join(", "));
    let mut rows = sqlx::query(&sql).fetch(&from.read);
    let mut buf = Vec::with_capacity(1 << 20);
    while let Some(r) = rows.try_next().await? {
        for i in 0..names.len() {
            if i > 0 {
                buf.push(b'\t');
            }
            let raw = r.try_get_raw(i)?;
            let text = if raw.is_null() {
                None
            } else {
                match raw.type_info().name() {
                    "INTEGER" => Some(r.try_get::<i64, _>(i)?.to_string()),
                    "REAL" => Some(r.try_get::<f64, _>(i)?.to_string()),
                    // bytea's hex input (its backslash escaped by `copy_field`).
                    "BLOB" => {
                        let bytes = r.try_get::<Vec<u8>, _>(i)?;
                        let mut hex = String::with_capacity(2 + 2 * bytes.len());
                        hex.push_str("\\x");
                        for b in bytes {
                            hex.push_str(&format!("{b:02x}"));
                        }
                        Some(hex)
                    }
                    _ => Some(r.try_get::<String, _>(i)?),
                }
            };
            copy_field(&mut buf, text.as_deref());
        }
        buf.push(b'\n');
        if buf.len() >= 4 << 20 {
            copy.send(std::mem::take(&mut buf)).await?;
        }
    }
    copy.send(buf).await?;
    Ok(copy.finish().await?)
}
