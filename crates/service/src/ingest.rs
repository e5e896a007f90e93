//! Aggregation into versioned datasets (汇聚, AGG-1 … AGG-3, QLT-1).
//!
//! Every load — a file, a pushed batch — is validated completely inside one
//! store transaction: rows are checked and staged, then set-based checks
//! (duplicate keys, `unique` columns) run over the staged rows; only a load
//! without rejecting violations is committed as a new version. A refused or
//! interrupted load changes nothing: the previous version stays current.

use std::collections::BTreeSet;
use std::io::{BufRead, Read};

use chrono::Utc;
use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::{DataType, EntryState};
use pubdata_domain::dataset::{Check, Column, RowChecker, RowError, Rule, Severity};
use pubdata_store::{
    Dataset, DatasetVersion, LoadMode, LoadRecord, NewDataset, StagedRow, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many row errors are reported for one load.
pub const MAX_REPORTED: usize = 1000;
/// Rows staged per round trip.
const CHUNK: usize = 5000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnInput {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(default = "yes")]
    pub nullable: bool,
    /// Defaults to the catalogue data item of the same name.
    pub personal: Option<bool>,
    /// `id_card`, `credit_code`, `unique`, `pattern:…`, `enum:a|b`,
    /// `range:MIN..MAX`; prefix `flag:` to record instead of reject.
    #[serde(default)]
    pub checks: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDataset {
    pub entry_id: i64,
    pub name: String,
    pub columns: Vec<ColumnInput>,
    /// Key column names.
    pub key: Vec<String>,
}

/// A pushed batch: upserts and deletions by key, all or nothing.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBatch {
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub upsert: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub delete: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// An exemption from aggregation (汇聚备案).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileExemption {
    /// The catalogue entry concerned, if one.
    pub entry_id: Option<i64>,
    pub reason: String,
}

/// A refused load: every problem found, by row and column.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoadRejected {
    pub errors: Vec<RowError>,
    /// All violations found (the report lists at most 1,000).
    pub total_errors: u64,
    pub rows_read: u64,
}

/// The outcome of a load: a new version, or the error report.
pub type LoadOutcome = std::result::Result<DatasetVersion, LoadRejected>;

/// Data quality of a dataset's current version (QLT-1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quality {
    pub version: i64,
    pub rows: i64,
    /// Filled cells / all cells.
    pub completeness: f64,
    /// Rows without flagged violations / rows loaded.
    pub validity: f64,
    /// Values of `reference` columns that resolve in their target dataset / all of them.
    pub consistency: f64,
    /// 1 when refreshed within its update frequency, else 0.
    pub timeliness: f64,
    pub stale: bool,
    pub issues: Vec<RowError>,
}

/// A dataset with whether it is stale.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetView {
    #[serde(flatten)]
    pub dataset: Dataset,
    pub stale: bool,
    pub org_name: String,
    pub entry_name: String,
}

/// Whether a dataset is overdue for a refresh (AGG-2).
pub fn is_stale(d: &Dataset, now: chrono::DateTime<Utc>) -> bool {
    let Some(days) = d.frequency.max_age_days() else {
        return false;
    };
    let since = d.last_load_at.unwrap_or(d.created_at);
    now - since > chrono::Duration::days(days)
}

fn key_of(values: &[Option<String>], key_idx: &[usize]) -> String {
    key_idx
        .iter()
        .map(|i| values[*i].as_deref().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// A data row as read: its 1-based number and cells (borrowed from the
/// source until the next row), or why it is unreadable.
pub type RawRow<'a> = std::result::Result<(u64, Vec<Option<&'a str>>), RowError>;

/// A source of rows: header names, then cells by row.
pub trait RowSource {
    fn header(&self) -> &[String];
    /// The next data row (1-based number, cells), `None` at the end.
    fn next_row(&mut self) -> Option<RawRow<'_>>;
}

struct CsvSource<R: Read> {
    reader: csv::Reader<R>,
    header: Vec<String>,
    row: u64,
    record: csv::StringRecord,
}

impl<R: Read> RowSource for CsvSource<R> {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<RawRow<'_>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                self.row += 1;
                if self.record.len() != self.header.len() {
                    return Some(Err(RowError {
                        row: self.row,
                        column: String::new(),
                        value: String::new(),
                        rule: "ragged_row".into(),
                        message: format!(
                            "{} fields where the header has {}",
                            self.record.len(),
                            self.header.len()
                        ),
                    }));
                }
                Some(Ok((
                    self.row,
                    self.record
                        .iter()
                        .map(|c| Some(c).filter(|c| !c.is_empty()))
                        .collect(),
                )))
            }
            Err(e) => {
                self.row += 1;
                let rule = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    "encoding"
                } else {
                    "csv"
                };
                Some(Err(RowError {
                    row: self.row,
                    column: String::new(),
                    value: String::new(),
                    rule: rule.into(),
                    message: e.to_string(),
                }))
            }
        }
    }
}

/// Opens CSV bytes: UTF-8 (with or without BOM) or GB18030 (detected when
/// the start is not valid UTF-8).
pub fn csv_source(mut input: Box<dyn BufRead + Send>) -> Result<Box<dyn RowSource + Send>> {
    let start = input
        .fill_buf()
        .map_err(|e| ServiceError::invalid("file", e.to_string()))?
        .to_vec();
    let probe = &start[..start.len().min(64 * 1024)];
    let utf8 = match std::str::from_utf8(probe) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the probe is still UTF-8.
        Err(e) => e.error_len().is_none(),
    };
    let reader: Box<dyn Read + Send> = if utf8 {
        // UTF-8 goes to the CSV reader as is (it checks every record); only a BOM is skipped.
        if start.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
        }
        Box::new(input)
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::GB18030))
                .build(input),
        )
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ServiceError::invalid("file", format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    Ok(Box::new(CsvSource {
        reader,
        header,
        row: 0,
        record: csv::StringRecord::new(),
    }))
}

struct VecSource {
    header: Vec<String>,
    rows: std::vec::IntoIter<Vec<Option<String>>>,
    row: u64,
    current: Vec<Option<String>>,
}

impl VecSource {
    fn new(header: Vec<String>, rows: Vec<Vec<Option<String>>>) -> Self {
        VecSource {
            header,
            rows: rows.into_iter(),
            row: 0,
            current: vec![],
        }
    }
}

impl RowSource for VecSource {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<RawRow<'_>> {
        self.current = self.rows.next()?;
        self.row += 1;
        Some(Ok((
            self.row,
            self.current.iter().map(|c| c.as_deref()).collect(),
        )))
    }
}

/// Rows of a table pull as the source sends them: only the dataset's
/// columns are kept, and the last value of the incremental column is noted
/// (the source orders by it) for the next pull.
struct PulledRows {
    header: Vec<String>,
    keep: Vec<usize>,
    incremental: Option<usize>,
    rows: tokio::sync::mpsc::Receiver<pubdata_store::Result<Vec<Option<String>>>>,
    high: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    row: u64,
    current: Vec<Option<String>>,
}

impl RowSource for PulledRows {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<RawRow<'_>> {
        // Runs on the load's reader thread, which may block.
        let next = self.rows.blocking_recv()?;
        self.row += 1;
        match next {
            Err(e) => Some(Err(RowError {
                row: self.row,
                column: String::new(),
                value: String::new(),
                rule: "pull_source_error".into(),
                message: format!("reading the source failed: {e}"),
            })),
            Ok(values) => {
                if let Some(i) = self.incremental
                    && let Some(v) = &values[i]
                {
                    *self.high.lock().expect("high-water lock") = Some(v.clone());
                }
                self.current = values;
                Some(Ok((
                    self.row,
                    self.keep
                        .iter()
                        .map(|i| self.current[*i].as_deref())
                        .collect(),
                )))
            }
        }
    }
}

fn cell_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// JSON objects (an array, or one per line) as rows over the declared columns.
pub fn json_source(bytes: &[u8], columns: &[Column]) -> Result<Box<dyn RowSource + Send>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| ServiceError::invalid("file", "JSON must be UTF-8"))?;
    let objects: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
            .map_err(|e| ServiceError::invalid("file", format!("not a JSON array: {e}")))?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| ServiceError::invalid("file", format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<_>>()?
    };
    let header: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let mut rows = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        let obj = o.as_object().ok_or_else(|| {
            ServiceError::invalid("file", format!("record {} is not an object", i + 1))
        })?;
        if let Some(unknown) = obj.keys().find(|k| !header.contains(k)) {
            return Err(ServiceError::invalid(
                "file",
                format!("record {}: unknown column `{unknown}`", i + 1),
            ));
        }
        rows.push(
            header
                .iter()
                .map(|h| obj.get(h).and_then(cell_of))
                .collect(),
        );
    }
    Ok(Box::new(VecSource::new(header, rows)))
}

/// The first sheet of an XLSX workbook; formulas are read as their cached values.
pub fn xlsx_source(bytes: Vec<u8>) -> Result<Box<dyn RowSource + Send>> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| ServiceError::invalid("file", format!("not an XLSX workbook: {e}")))?;
    let name = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ServiceError::invalid("file", "the workbook has no sheet"))?;
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
        .unwrap_or_default();
    let cell = |c: &Data| match c {
        Data::Empty => None,
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::DateTime(d) => {
            // Excel serial days since 1899-12-30.
            let f = d.as_f64();
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .expect("valid")
                .and_hms_opt(0, 0, 0)
                .expect("valid");
            let t = epoch + chrono::Duration::seconds((f * 86400.0).round() as i64);
            Some(if t.time() == chrono::NaiveTime::MIN {
                t.date().to_string()
            } else {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            })
        }
        other => Some(other.to_string()),
    };
    let data: Vec<Vec<Option<String>>> = rows.map(|r| r.iter().map(cell).collect()).collect();
    Ok(Box::new(VecSource::new(header, data)))
}

/// Picks the parser by file name, then content.
pub fn open_source(
    filename: &str,
    mut input: Box<dyn BufRead + Send>,
    columns: &[Column],
) -> Result<Box<dyn RowSource + Send>> {
    let lower = filename.to_lowercase();
    if lower.ends_with(".xlsx") {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
        return xlsx_source(bytes);
    }
    if lower.ends_with(".json") || lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
        return json_source(&bytes, columns);
    }
    csv_source(input)
}

/// Progress of a load, for the command line.
pub trait Progress: Send {
    fn rows(&mut self, read: u64, errors: u64);
}

impl Progress for () {
    fn rows(&mut self, _: u64, _: u64) {}
}

/// What a caller wants to do with a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    View,
    Write,
}

impl App {
    /// The dataset, if the caller may view (or write) it.
    async fn dataset_for(&self, p: &Principal, id: i64, access: Access) -> Result<Dataset> {
        let d = self
            .store
            .get_dataset(id)
            .await
            .map_err(ServiceError::not_found("dataset"))?;
        let action = match access {
            Access::View => Action::ViewDataset(d.org_id),
            Access::Write => Action::WriteDataset(d.org_id),
        };
        self.authorize(p, action).await?;
        Ok(d)
    }

    pub async fn create_dataset(&self, p: &Principal, req: CreateDataset) -> Result<Dataset> {
        let entry = self
            .store
            .get_entry(req.entry_id)
            .await
            .map_err(|_| ServiceError::invalid("entry_id", "no such catalogue entry"))?;
        self.authorize(p, Action::WriteDataset(entry.org_id))
            .await?;
        if entry.published_version.is_none() || entry.state == EntryState::Delisted {
            return Err(ServiceError::Conflict {
                code: "entry_not_published",
                detail: "datasets belong to published catalogue entries".into(),
            });
        }
        let name = req.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid("name", "1 to 100 characters"));
        }
        if req.columns.is_empty() || req.columns.len() > 500 {
            return Err(ServiceError::invalid("columns", "1 to 500 columns"));
        }
        let mut seen = BTreeSet::new();
        let mut columns = Vec::new();
        for (i, c) in req.columns.iter().enumerate() {
            let n = c.name.trim().to_string();
            if n.is_empty() || !seen.insert(n.clone()) {
                return Err(ServiceError::invalid(
                    "columns",
                    format!("column {} needs a unique, non-empty name", i + 1),
                ));
            }
            let checks = c
                .checks
                .iter()
                .map(|s| Rule::parse(s).map(|(rule, severity)| Check { rule, severity }))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|m| ServiceError::invalid("columns", format!("{n}: {m}")))?;
            for k in &checks {
                if let Rule::Reference { dataset } = k.rule {
                    let target = self.store.get_dataset(dataset).await.map_err(|_| {
                        ServiceError::invalid("columns", format!("{n}: no dataset {dataset}"))
                    })?;
                    if target.key.len() != 1 {
                        return Err(ServiceError::invalid(
                            "columns",
                            format!("{n}: dataset {dataset} has a compound key"),
                        ));
                    }
                }
            }
            let item_personal = entry
                .content
                .items
                .iter()
                .find(|it| it.name == n)
                .map(|it| it.personal);
            columns.push(Column {
                nullable: c.nullable && !req.key.contains(&n),
                personal: c.personal.or(item_personal).unwrap_or(false),
                name: n,
                data_type: c.data_type,
                checks,
            });
        }
        if req.key.is_empty() || req.key.iter().any(|k| !seen.contains(k.trim())) {
            return Err(ServiceError::invalid(
                "key",
                "the key names one or more declared columns",
            ));
        }
        let audit = p.event(
            "dataset.create",
            "",
            Outcome::Success,
            json!({"entry_id": entry.id, "name": name}),
        );
        self.store
            .create_dataset(
                NewDataset {
                    entry_id: entry.id,
                    org_id: entry.org_id,
                    name,
                    columns,
                    key: req.key.iter().map(|k| k.trim().to_string()).collect(),
                    frequency: entry.content.update_frequency,
                },
                audit,
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "dataset_exists",
                    detail: "the entry already has a dataset of this name".into(),
                },
                other => other.into(),
            })
    }

    pub async fn get_dataset(&self, p: &Principal, id: i64) -> Result<DatasetView> {
        let d = self.dataset_for(p, id, Access::View).await?;
        self.dataset_view(d).await
    }

    async fn dataset_view(&self, d: Dataset) -> Result<DatasetView> {
        let tree = self.org_tree().await?;
        let entry_name = self
            .store
            .get_entry(d.entry_id)
            .await
            .map(|e| e.content.name)
            .unwrap_or_default();
        Ok(DatasetView {
            stale: is_stale(&d, Utc::now()),
            org_name: tree
                .get(d.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            entry_name,
            dataset: d,
        })
    }

    /// Datasets the caller may see: its organisation's, or (supervisors) all.
    pub async fn list_datasets(
        &self,
        p: &Principal,
        org: Option<i64>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<DatasetView>> {
        let org = match org {
            Some(o) => {
                self.authorize(p, Action::ViewDataset(o)).await?;
                Some(o)
            }
            None if self.can(p, Action::Supervise).await => None,
            None => Some(
                p.org_id()
                    .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?,
            ),
        };
        let mut out = Vec::new();
        for d in self
            .store
            .list_datasets(org, before_id, limit.clamp(1, 200))
            .await?
        {
            out.push(self.dataset_view(d).await?);
        }
        Ok(out)
    }

    pub async fn dataset_versions(&self, p: &Principal, id: i64) -> Result<Vec<DatasetVersion>> {
        self.get_dataset(p, id).await?;
        Ok(self.store.dataset_versions(id).await?)
    }

    /// Loads a file as the dataset's whole new content (all or nothing).
    pub async fn load_file(
        &self,
        p: &Principal,
        id: i64,
        filename: &str,
        input: Box<dyn BufRead + Send>,
        progress: &mut dyn Progress,
    ) -> Result<LoadOutcome> {
        let d = self.dataset_for(p, id, Access::Write).await?;
        let columns = d.columns.clone();
        let source = open_source(filename, input, &columns)?;
        self.run_load(p, &d, source, LoadMode::Replace, "file", filename, progress)
            .await
    }

    /// Applies a pushed batch of upserts and deletions by key (all or nothing).
    pub async fn push_records(
        &self,
        p: &Principal,
        id: i64,
        batch: RecordBatch,
    ) -> Result<LoadOutcome> {
        let d = self.dataset_for(p, id, Access::Write).await?;
        if batch.upsert.is_empty() && batch.delete.is_empty() {
            return Err(ServiceError::invalid("upsert", "the batch is empty"));
        }
        if batch.upsert.len() + batch.delete.len() > 100_000 {
            return Err(ServiceError::invalid(
                "upsert",
                "at most 100,000 records per batch",
            ));
        }
        let header: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
        let mut rows = Vec::new();
        for (i, o) in batch.upsert.iter().enumerate() {
            if let Some(unknown) = o.keys().find(|k| !header.contains(k)) {
                return Err(ServiceError::invalid(
                    "upsert",
                    format!("record {}: unknown column `{unknown}`", i + 1),
                ));
            }
            rows.push(
                header
                    .iter()
                    .map(|h| o.get(h).and_then(cell_of))
                    .collect::<Vec<_>>(),
            );
        }
        let key_idx: Vec<usize> = d
            .key
            .iter()
            .filter_map(|k| header.iter().position(|h| h == k))
            .collect();
        let mut deletes = Vec::new();
        let mut errors = Vec::new();
        for (i, o) in batch.delete.iter().enumerate() {
            let row = (batch.upsert.len() + i + 1) as u64;
            let mut values = vec![None; header.len()];
            for ki in &key_idx {
                let col = &d.columns[*ki];
                match o
                    .get(&col.name)
                    .and_then(cell_of)
                    .map(|v| pubdata_domain::dataset::normalise(col.data_type, &v))
                {
                    Some(Ok(v)) => values[*ki] = Some(v),
                    Some(Err(m)) => errors.push(RowError {
                        row,
                        column: col.name.clone(),
                        value: String::new(),
                        rule: "type".into(),
                        message: m,
                    }),
                    None => errors.push(RowError {
                        row,
                        column: col.name.clone(),
                        value: String::new(),
                        rule: "required".into(),
                        message: "a deletion names the key".into(),
                    }),
                }
            }
            deletes.push(StagedRow {
                row,
                key: key_of(&values, &key_idx),
                values,
                delete: true,
            });
        }
        let source = Box::new(VecSource::new(header, rows));
        self.run_load_with(
            p,
            &d,
            source,
            LoadMode::Upsert,
            "push",
            "api",
            &mut (),
            deletes,
            errors,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_load(
        &self,
        p: &Principal,
        d: &Dataset,
        source: Box<dyn RowSource + Send>,
        mode: LoadMode,
        channel: &'static str,
        name: &str,
        progress: &mut dyn Progress,
    ) -> Result<LoadOutcome> {
        self.run_load_with(p, d, source, mode, channel, name, progress, vec![], vec![])
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_load_with(
        &self,
        p: &Principal,
        d: &Dataset,
        mut source: Box<dyn RowSource + Send>,
        mode: LoadMode,
        channel: &'static str,
        name: &str,
        progress: &mut dyn Progress,
        extra: Vec<StagedRow>,
        mut errors: Vec<RowError>,
    ) -> Result<LoadOutcome> {
        // Map the header to the declared columns.
        let header = source.header().to_vec();
        let unknown: Vec<&String> = header
            .iter()
            .filter(|h| !d.columns.iter().any(|c| &c.name == *h))
            .collect();
        let missing: Vec<&str> = d
            .columns
            .iter()
            .filter(|c| !header.contains(&c.name))
            .map(|c| c.name.as_str())
            .collect();
        if !unknown.is_empty() || !missing.is_empty() {
            let mut msg = Vec::new();
            if !unknown.is_empty() {
                msg.push(format!(
                    "unknown columns: {}",
                    unknown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !missing.is_empty() {
                msg.push(format!("missing columns: {}", missing.join(", ")));
            }
            return Err(ServiceError::Invalid {
                code: "header_mismatch",
                detail: msg.join("; "),
                errors: vec![],
            });
        }
        let pos: Vec<usize> = d
            .columns
            .iter()
            .map(|c| header.iter().position(|h| *h == c.name).expect("checked"))
            .collect();
        let key_idx: Vec<usize> = d
            .key
            .iter()
            .filter_map(|k| d.columns.iter().position(|c| &c.name == k))
            .collect();
        let checker = RowChecker::new(&d.columns);
        let started = std::time::Instant::now();
        let mut load = self.store.begin_load(d, mode).await?;
        // Reading and checking run on a thread of their own while the store
        // writes the previous chunk: both cores work.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<StagedRow>, u64, u64)>(4);
        let initial_errors = errors.len() as u64;
        let reader = tokio::task::spawn_blocking(move || {
            let mut total_errors = initial_errors;
            let mut issues: Vec<RowError> = Vec::new();
            let mut chunk: Vec<StagedRow> = Vec::with_capacity(CHUNK);
            let mut rows_read = 0u64;
            loop {
                let next = source.next_row();
                let done = next.is_none();
                if let Some(r) = next {
                    rows_read += 1;
                    match r {
                        Err(e) => {
                            total_errors += 1;
                            if errors.len() < MAX_REPORTED {
                                errors.push(e);
                            }
                        }
                        Ok((row, cells)) => {
                            let ordered: Vec<Option<&str>> = pos
                                .iter()
                                .map(|i| cells.get(*i).copied().flatten())
                                .collect();
                            let (values, violations) = checker.check(row, &ordered);
                            let mut rejected = false;
                            for (v, severity) in violations {
                                match severity {
                                    Severity::Reject => {
                                        rejected = true;
                                        total_errors += 1;
                                        if errors.len() < MAX_REPORTED {
                                            errors.push(v);
                                        }
                                    }
                                    Severity::Flag => issues.push(v),
                                }
                            }
                            // Once the load is refused, rows are still checked (for the report) but not staged.
                            if !rejected && total_errors == 0 {
                                chunk.push(StagedRow {
                                    row,
                                    key: key_of(&values, &key_idx),
                                    values,
                                    delete: false,
                                });
                            }
                        }
                    }
                }
                if chunk.len() >= CHUNK || done {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if tx.blocking_send((full, rows_read, total_errors)).is_err() {
                        break; // the writer gave up
                    }
                }
                if done {
                    break;
                }
            }
            (errors, issues, total_errors, rows_read)
        });
        while let Some((chunk, read, errs)) = rx.recv().await {
            if !chunk.is_empty() {
                load.stage(&chunk).await?;
            }
            progress.rows(read, errs);
        }
        let (mut errors, mut issues, mut total_errors, rows_read) = reader
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        tracing::info!(
            dataset = d.id,
            rows_read,
            errors = total_errors,
            secs = started.elapsed().as_secs_f64(),
            "rows read, checked and staged"
        );
        progress.rows(rows_read, total_errors);
        if mode == LoadMode::Replace && rows_read == 0 {
            return Err(ServiceError::Invalid {
                code: "empty_load",
                detail: "the file has no data rows; an empty file never replaces a dataset".into(),
                errors: vec![],
            });
        }
        if total_errors == 0 && !extra.is_empty() {
            load.stage(&extra).await?;
        }
        if total_errors == 0 {
            for (row, key) in load.duplicate_keys(MAX_REPORTED as u32).await? {
                total_errors += 1;
                errors.push(RowError {
                    row,
                    column: d.key.join("+"),
                    value: key.replace('\u{1f}', "+"),
                    rule: "duplicate_key".into(),
                    message: "the key repeats an earlier row".into(),
                });
            }
        }
        tracing::info!(
            dataset = d.id,
            secs = started.elapsed().as_secs_f64(),
            "keys checked"
        );
        if total_errors == 0 {
            for (i, c) in d.columns.iter().enumerate() {
                for check in &c.checks {
                    let Rule::Reference { dataset } = check.rule else {
                        continue;
                    };
                    let target = self.store.get_dataset(dataset).await?;
                    for (row, value) in load
                        .missing_references(i, &target, MAX_REPORTED as u32)
                        .await?
                    {
                        let e = RowError {
                            row,
                            column: c.name.clone(),
                            value,
                            rule: "reference".into(),
                            message: format!("not a key of dataset {dataset}"),
                        };
                        match check.severity {
                            Severity::Reject => {
                                total_errors += 1;
                                errors.push(e);
                            }
                            Severity::Flag => issues.push(e),
                        }
                    }
                }
                for check in c.checks.iter().filter(|k| k.rule == Rule::Unique) {
                    for (row, value) in load.duplicate_values(i, MAX_REPORTED as u32).await? {
                        let e = RowError {
                            row,
                            column: c.name.clone(),
                            value,
                            rule: "unique".into(),
                            message: "the value is not unique".into(),
                        };
                        match check.severity {
                            Severity::Reject => {
                                total_errors += 1;
                                errors.push(e);
                            }
                            Severity::Flag => issues.push(e),
                        }
                    }
                }
            }
        }
        if total_errors > 0 {
            drop(load); // rolls back: the previous version stays current
            errors.sort_by_key(|e| e.row);
            errors.truncate(MAX_REPORTED);
            self.store
                .append_audit(p.event("dataset.load", format!("dataset:{}", d.id), Outcome::Failure, json!({"channel": channel, "source": name, "errors": total_errors, "rows": rows_read})))
                .await?;
            return Ok(Err(LoadRejected {
                errors,
                total_errors,
                rows_read,
            }));
        }
        let audit = p.event(
            "dataset.load",
            format!("dataset:{}", d.id),
            Outcome::Success,
            json!({"channel": channel, "source": name, "rows": rows_read, "flagged": issues.len()}),
        );
        let version = load
            .finish(
                LoadRecord {
                    channel,
                    source: name.to_string(),
                    actor: p.name.clone(),
                    issues,
                },
                audit,
            )
            .await?;
        tracing::info!(
            dataset = d.id,
            version = version.version,
            secs = started.elapsed().as_secs_f64(),
            "load committed"
        );
        Ok(Ok(version))
    }

    /// Current (or past) rows of a dataset with its column names, for its
    /// source department. Every read is audited.
    pub async fn dataset_rows(
        &self,
        p: &Principal,
        id: i64,
        version: Option<i64>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<String>, Vec<(String, Vec<Option<String>>)>)> {
        let d = self.dataset_for(p, id, Access::Write).await?;
        let rows = self
            .store
            .dataset_rows(&d, version, after, limit.clamp(1, 1000))
            .await?;
        self.store
            .append_audit(p.event("dataset.read", format!("dataset:{id}"), Outcome::Success, json!({"rows": rows.len(), "version": version, "fields": d.columns.iter().map(|c| &c.name).collect::<Vec<_>>()})))
            .await?;
        Ok((d.columns.iter().map(|c| c.name.clone()).collect(), rows))
    }

    /// Every stored version of one row (its history).
    pub async fn row_history(
        &self,
        p: &Principal,
        id: i64,
        key: &str,
    ) -> Result<Vec<(i64, Option<i64>, Vec<Option<String>>)>> {
        let d = self.dataset_for(p, id, Access::Write).await?;
        let h = self.store.row_history(&d, key).await?;
        self.store
            .append_audit(p.event(
                "dataset.read",
                format!("dataset:{id}"),
                Outcome::Success,
                json!({"row_history": key, "versions": h.len()}),
            ))
            .await?;
        Ok(h)
    }

    pub async fn dataset_quality(&self, p: &Principal, id: i64) -> Result<Quality> {
        let v = self.get_dataset(p, id).await?;
        let d = &v.dataset;
        let (filled, cells) = self.store.dataset_fill(d).await?;
        let versions = self.store.dataset_versions(id).await?;
        let current = versions.first();
        let validity = match current {
            Some(c) if c.rows_in > 0 => 1.0 - c.flagged as f64 / c.rows_in as f64,
            _ => 1.0,
        };
        Ok(Quality {
            version: d.current_version,
            rows: d.row_count,
            completeness: if cells == 0 {
                1.0
            } else {
                filled as f64 / cells as f64
            },
            validity,
            consistency: self.consistency(d).await?,
            timeliness: if v.stale { 0.0 } else { 1.0 },
            stale: v.stale,
            issues: {
                let mut issues = self.store.quality_issues(id, 500).await?;
                issues.extend(self.base_conflicts_of(d, 500).await?);
                issues
            },
        })
    }

    /// Files an exemption from aggregation (备案) for the caller's agency.
    pub async fn file_exemption(
        &self,
        p: &Principal,
        req: FileExemption,
    ) -> Result<pubdata_store::Exemption> {
        let org = p
            .org_id()
            .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?;
        self.authorize(p, Action::WriteDataset(org)).await?;
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(ServiceError::invalid(
                "reason",
                "写明无法通过接口、库表或文件汇聚的原因 (state why no mode can be used)",
            ));
        }
        if let Some(e) = req.entry_id {
            let entry = self
                .store
                .get_entry(e)
                .await
                .map_err(|_| ServiceError::invalid("entry_id", "no such catalogue entry"))?;
            if entry.org_id != org {
                return Err(ServiceError::invalid(
                    "entry_id",
                    "the entry belongs to another organisation",
                ));
            }
        }
        let audit = p.event(
            "aggregation.exemption",
            "",
            Outcome::Success,
            json!({"entry_id": req.entry_id, "reason": reason}),
        );
        Ok(self
            .store
            .file_exemption(org, req.entry_id, reason, &p.name, audit)
            .await?)
    }

    /// Exemptions: all for supervisors (the authority sees every filing), else the caller's agency's.
    pub async fn exemptions(&self, p: &Principal) -> Result<Vec<pubdata_store::Exemption>> {
        let org = if self.can(p, Action::Supervise).await {
            None
        } else {
            Some(
                p.org_id()
                    .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?,
            )
        };
        Ok(self.store.exemptions(org).await?)
    }

    /// Share of reference values that resolve (1 when the dataset has none).
    async fn consistency(&self, d: &Dataset) -> Result<f64> {
        let (mut resolved, mut total) = (0, 0);
        for (i, c) in d.columns.iter().enumerate() {
            for check in &c.checks {
                if let Rule::Reference { dataset } = check.rule
                    && let Ok(target) = self.store.get_dataset(dataset).await
                {
                    let (r, t) = self.store.reference_stats(d, i, &target).await?;
                    resolved += r;
                    total += t;
                }
            }
        }
        Ok(if total == 0 {
            1.0
        } else {
            resolved as f64 / total as f64
        })
    }

    /// Datasets not refreshed within their update frequency (AGG-2).
    pub async fn stale_datasets(&self, p: &Principal) -> Result<Vec<DatasetView>> {
        let org = if self.can(p, Action::Supervise).await {
            None
        } else {
            Some(
                p.org_id()
                    .ok_or_else(|| ServiceError::Forbidden("you act for no organisation".into()))?,
            )
        };
        let now = Utc::now();
        let mut out = Vec::new();
        let mut before = None;
        loop {
            let page = self.store.list_datasets(org, before, 200).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            for d in page {
                if is_stale(&d, now) {
                    out.push(self.dataset_view(d).await?);
                }
            }
        }
        Ok(out)
    }
}

/// Where to pull a dataset from (库表).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullConfig {
    /// The agency's database: `sqlite://PATH` (opened read-only) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (read in a read-only
    /// transaction; the password is never shown back).
    pub url: String,
    /// A table name or a `SELECT` whose columns are the dataset's.
    pub query: String,
    /// e.g. `updated_at`: later pulls read only rows beyond the last value seen.
    pub incremental_column: Option<String>,
}

/// How often a source is pulled, from the entry's update frequency.
pub fn pull_interval(f: pubdata_domain::catalog::Frequency) -> Option<chrono::Duration> {
    use pubdata_domain::catalog::Frequency as F;
    Some(match f {
        F::Realtime => chrono::Duration::minutes(5),
        F::Daily => chrono::Duration::days(1),
        F::Weekly => chrono::Duration::days(7),
        F::Monthly => chrono::Duration::days(30),
        F::Quarterly => chrono::Duration::days(91),
        F::HalfYearly => chrono::Duration::days(182),
        F::Yearly => chrono::Duration::days(365),
        F::Other => return None,
    })
}

impl App {
    pub async fn put_pull_source(
        &self,
        p: &Principal,
        id: i64,
        cfg: PullConfig,
    ) -> Result<pubdata_store::PullSource> {
        self.dataset_for(p, id, Access::Write).await?;
        let url = cfg.url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ServiceError::invalid(
                "url",
                "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ));
        }
        if cfg.query.trim().is_empty() {
            return Err(ServiceError::invalid("query", "a table name or a SELECT"));
        }
        let src = pubdata_store::PullSource {
            dataset_id: id,
            url: cfg.url.trim().to_string(),
            query: cfg.query.trim().to_string(),
            incremental_column: cfg
                .incremental_column
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty()),
            last_value: None,
            last_pull_at: None,
            last_error: None,
        };
        let audit = p.event(
            "dataset.pull_source",
            format!("dataset:{id}"),
            Outcome::Success,
            json!({"url": pubdata_store::redact_url(&src.url), "query": src.query}),
        );
        self.store.put_pull_source(&src, audit).await?;
        Ok(src)
    }

    pub async fn get_pull_source(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<Option<pubdata_store::PullSource>> {
        self.dataset_for(p, id, Access::View).await?;
        Ok(self.store.pull_source(id).await?)
    }

    /// Pulls from the dataset's source now: the whole table (a new full
    /// version) or, with an incremental column, the rows changed since the
    /// last pull (upserts). All or nothing, like every load.
    pub async fn pull_now(&self, p: &Principal, id: i64) -> Result<LoadOutcome> {
        let d = self.dataset_for(p, id, Access::Write).await?;
        let src = self
            .store
            .pull_source(id)
            .await?
            .ok_or_else(|| ServiceError::Conflict {
                code: "no_pull_source",
                detail: "configure the dataset's source first".into(),
            })?;
        let incremental = src.incremental_column.as_deref();
        let after = incremental.and(src.last_value.as_deref());
        let read = match pubdata_store::source::open(&src.url, &src.query, incremental, after).await
        {
            Ok(r) => r,
            Err(e) => {
                let msg = format!("{}: {e}", pubdata_store::redact_url(&src.url));
                self.store.record_pull(id, None, Some(&msg)).await?;
                self.store
                    .append_audit(p.event(
                        "dataset.pull",
                        format!("dataset:{id}"),
                        Outcome::Failure,
                        json!({"error": msg}),
                    ))
                    .await?;
                return Err(ServiceError::Invalid {
                    code: "pull_source_error",
                    detail: format!("the source cannot be read: {msg}"),
                    errors: vec![],
                });
            }
        };
        // The incremental column is the source's bookkeeping, not necessarily a dataset column.
        let keep: Vec<usize> = read
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| d.columns.iter().any(|dc| &dc.name == *c))
            .map(|(i, _)| i)
            .collect();
        let high = std::sync::Arc::new(std::sync::Mutex::new(None));
        let source = Box::new(PulledRows {
            header: keep.iter().map(|i| read.columns[*i].clone()).collect(),
            keep,
            incremental: incremental.and_then(|c| read.columns.iter().position(|x| x == c)),
            rows: read.rows,
            high: high.clone(),
            row: 0,
            current: vec![],
        });
        let mode = if after.is_some() {
            LoadMode::Upsert
        } else {
            LoadMode::Replace
        };
        let outcome = self
            .run_load(
                p,
                &d,
                source,
                mode,
                "pull",
                &pubdata_store::redact_url(&src.url),
                &mut (),
            )
            .await;
        match &outcome {
            Ok(Ok(_)) => {
                let high = high.lock().expect("high-water lock").clone();
                self.store.record_pull(id, high.as_deref(), None).await?
            }
            Ok(Err(r)) => {
                self.store
                    .record_pull(
                        id,
                        None,
                        Some(&format!("load refused: {} problems", r.total_errors)),
                    )
                    .await?
            }
            Err(e) => {
                self.store
                    .record_pull(id, None, Some(&e.to_string()))
                    .await?
            }
        }
        outcome
    }

    /// Pulls every source whose interval (from its update frequency) has passed.
    pub async fn run_due_pulls(&self) -> Result<usize> {
        let now = Utc::now();
        let mut done = 0;
        for src in self.store.pull_sources().await? {
            let Ok(d) = self.store.get_dataset(src.dataset_id).await else {
                continue;
            };
            let Some(every) = pull_interval(d.frequency) else {
                continue;
            };
            if src.last_pull_at.is_some_and(|t| now - t < every) {
                continue;
            }
            let org = self.store.get_org(d.org_id).await?;
            let mut scheduler = Principal::command_line(org);
            scheduler.name = "scheduler".into();
            match self.pull_now(&scheduler, d.id).await {
                Ok(Ok(_)) => done += 1,
                Ok(Err(r)) => tracing::warn!(
                    dataset = d.id,
                    errors = r.total_errors,
                    "scheduled pull refused"
                ),
                Err(e) => tracing::warn!(dataset = d.id, error = %e, "scheduled pull failed"),
            }
        }
        Ok(done)
    }
}
