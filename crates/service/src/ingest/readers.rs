//! Readers of the formats a load accepts: CSV (UTF-8 or GB18030), XLSX,
//! JSON/NDJSON, and rows already in memory (pushed batches).

use std::io::{BufRead, Read};

use pubdata_domain::dataset::{Column, RowError};

use crate::error::{Result, ServiceError};

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

pub(crate) struct VecSource {
    header: Vec<String>,
    rows: std::vec::IntoIter<Vec<Option<String>>>,
    row: u64,
    current: Vec<Option<String>>,
}

impl VecSource {
    pub(crate) fn new(header: Vec<String>, rows: Vec<Vec<Option<String>>>) -> Self {
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

pub(crate) fn cell_of(v: &serde_json::Value) -> Option<String> {
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
