//! Loads (AGG-1): one store transaction per load; a reader thread parses
//! and checks rows while the store writes the previous chunk.

use std::io::BufRead;

use pubdata_domain::audit::Outcome;
use pubdata_domain::dataset::{RowChecker, RowError, Rule, Severity};
use pubdata_store::{Dataset, DatasetVersion, LoadMode, LoadRecord, StagedRow};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::Principal;

use super::readers::cell_of;
use super::*;

/// At most this many row errors are reported for one load.
pub const MAX_REPORTED: usize = 1000;
/// Rows staged per round trip.
const CHUNK: usize = 5000;

/// The outcome of a load: a new version, or the error report.
pub type LoadOutcome = std::result::Result<DatasetVersion, LoadRejected>;

/// How a load arrived (recorded with its version and audit record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// A file uploaded on the page or API, or given to `pubdata import`.
    File,
    /// A batch pushed by the agency's system.
    Push,
    /// A table pulled from the agency's database.
    Pull,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::File => "file",
            Channel::Push => "push",
            Channel::Pull => "pull",
        }
    }
}

/// One load as asked: into which dataset, from which rows, how, through
/// which channel, and what was found before the rows were read.
pub(crate) struct LoadRequest<'a> {
    pub dataset: &'a Dataset,
    pub source: Box<dyn RowSource + Send>,
    /// `Replace`: the rows are the whole new content; `Upsert`: changes by key.
    pub mode: LoadMode,
    pub channel: Channel,
    /// The file name or the (redacted) source, for the record.
    pub name: String,
    /// Deletions by key (pushed batches), staged after the rows.
    pub deletes: Vec<StagedRow>,
    /// Problems found before the rows were read (a deletion without its key).
    pub errors: Vec<RowError>,
}

impl<'a> LoadRequest<'a> {
    pub fn new(
        dataset: &'a Dataset,
        source: Box<dyn RowSource + Send>,
        mode: LoadMode,
        channel: Channel,
        name: &str,
    ) -> Self {
        LoadRequest {
            dataset,
            source,
            mode,
            channel,
            name: name.to_string(),
            deletes: vec![],
            errors: vec![],
        }
    }
}

/// Progress of a load, for the command line.
pub trait Progress: Send {
    fn rows(&mut self, read: u64, errors: u64);
}

impl Progress for () {
    fn rows(&mut self, _: u64, _: u64) {}
}

impl App {
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
        let req = LoadRequest::new(&d, source, LoadMode::Replace, Channel::File, filename);
        self.run_load(p, req, progress).await
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
        let req = LoadRequest {
            deletes,
            errors,
            ..LoadRequest::new(&d, source, LoadMode::Upsert, Channel::Push, "api")
        };
        self.run_load(p, req, &mut ()).await
    }

    /// Runs one load: reads and checks every row, stages the good ones,
    /// checks keys, `unique` and references set-wise, and commits a new
    /// version only when nothing rejects — else reports every problem.
    pub(crate) async fn run_load(
        &self,
        p: &Principal,
        req: LoadRequest<'_>,
        progress: &mut dyn Progress,
    ) -> Result<LoadOutcome> {
        let LoadRequest {
            dataset: d,
            mut source,
            mode,
            channel,
            name,
            deletes: extra,
            mut errors,
        } = req;
        let channel = channel.as_str();
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
        let in_order = pos.iter().enumerate().all(|(i, p)| i == *p);
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
        // Chunks the store has written come back to be filled again: the
        // strings of their rows are reused, not allocated anew per value.
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<StagedRow>>();
        let reader = tokio::task::spawn_blocking(move || {
            let mut total_errors = initial_errors;
            let mut issues: Vec<RowError> = Vec::new();
            let mut chunk: Vec<StagedRow> = Vec::with_capacity(CHUNK);
            // Rows of `chunk` holding this load's rows; those after are spare.
            let mut filled = 0;
            let mut violations = Vec::new();
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
                            if filled == chunk.len() {
                                chunk.push(StagedRow {
                                    row: 0,
                                    key: String::new(),
                                    values: Vec::new(),
                                    delete: false,
                                });
                            }
                            let slot = &mut chunk[filled];
                            // Columns in the declared order (no copy when the file has that order).
                            if in_order {
                                checker.check_into(row, &cells, &mut slot.values, &mut violations);
                            } else {
                                let ordered: Vec<Option<&str>> = pos
                                    .iter()
                                    .map(|i| cells.get(*i).copied().flatten())
                                    .collect();
                                checker.check_into(
                                    row,
                                    &ordered,
                                    &mut slot.values,
                                    &mut violations,
                                );
                            }
                            let mut rejected = false;
                            for (v, severity) in violations.drain(..) {
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
                                slot.row = row;
                                key_into(&slot.values, &key_idx, &mut slot.key);
                                slot.delete = false;
                                filled += 1;
                            }
                        }
                    }
                }
                if filled >= CHUNK || done {
                    chunk.truncate(filled);
                    let next = spent_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                    let full = std::mem::replace(&mut chunk, next);
                    filled = 0;
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
                load.stage_owned(chunk).await?;
            }
            while let Some(spent) = load.spent() {
                let _ = spent_tx.send(spent);
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
                .append_audit(p.event("dataset.load", format!("dataset:{}", d.id), Outcome::Failure, json!({"channel": channel, "source": &name, "errors": total_errors, "rows": rows_read})))
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
            json!({"channel": channel, "source": &name, "rows": rows_read, "flagged": issues.len()}),
        );
        let version = load
            .finish(
                LoadRecord {
                    channel,
                    source: name,
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
        // An open dataset's search indexes follow its rows at once; a
        // failure here leaves the committed load as it is (the
        // `open_indexes` job tries again).
        match self.load_dataset(d.id).await {
            Ok(now) => {
                if let Err(e) = self.index_open_dataset(&now).await {
                    tracing::warn!(dataset = d.id, error = %e, "open dataset indexes");
                }
            }
            Err(e) => tracing::warn!(dataset = d.id, error = %e, "open dataset indexes"),
        }
        Ok(Ok(version))
    }
}
