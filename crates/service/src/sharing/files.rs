//! File delivery (文件, SHR-7): exports of the granted view as CSV or XLSX,
//! read through the one door page by page, and offline deliveries (表格,
//! 文档, 拷贝) recorded by the source department with who received what.
//! Each delivery is recorded on the grant.

use pubdata_domain::audit::Outcome;
use pubdata_domain::share::DeliveryMode;
use pubdata_store::Delivery;
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::access::{MAX_PAGE, SharedQuery};
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// At most this many rows in one export.
pub const MAX_EXPORT: usize = 1_000_000;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// The file's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// An offline delivery the source department records.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineDelivery {
    /// `spreadsheet` (表格), `document` (文档) or `copy` (拷贝).
    pub kind: String,
    pub description: String,
    pub rows: i64,
    /// The person of the grantee who received it.
    pub received_by: String,
}

/// A worksheet of `rows` under a header of `columns`, as XLSX bytes.
pub fn xlsx_file(columns: &[String], rows: &[Vec<Option<String>>]) -> Result<Vec<u8>> {
    let xl = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(e.to_string().into());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, name) in columns.iter().enumerate() {
        ws.write_string(0, c as u16, name).map_err(xl)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if let Some(v) = v {
                ws.write_string(r as u32 + 1, c as u16, v).map_err(xl)?;
            }
        }
    }
    wb.save_to_buffer().map_err(xl)
}

impl App {
    /// The granted view of grant `id` as a file, for the grantee: every row
    /// through the one door (each page recorded), and the export recorded
    /// as a delivery. Returns the file and its row count.
    pub async fn export_grant(
        &self,
        p: &Principal,
        id: i64,
        format: ExportFormat,
    ) -> Result<(Vec<u8>, usize)> {
        let g = self.share_grant(p, id).await?;
        if !Self::acts_for(p, g.grant.grantee_org) {
            return Err(ServiceError::Forbidden(
                "only the grantee exports its grant".into(),
            ));
        }
        let mut columns: Vec<String>;
        let mut rows: Vec<Vec<Option<String>>> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let q = SharedQuery {
                grant: Some(id),
                fields: None,
                filters: vec![],
                after: after.clone(),
                limit: MAX_PAGE,
                mode: g.grant.mode,
            };
            let page = self.read_shared(p, g.grant.dataset_id, q).await?;
            columns = page.columns;
            let full = page.rows.len() == MAX_PAGE as usize;
            after = page.rows.last().map(|(k, _)| k.clone());
            rows.extend(page.rows.into_iter().map(|(_, v)| v));
            if !full || rows.len() >= MAX_EXPORT {
                break;
            }
        }
        let internal = |e: String| ServiceError::Internal(e.into());
        let bytes = match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(&columns)
                    .map_err(|e| internal(e.to_string()))?;
                for r in &rows {
                    w.write_record(r.iter().map(|v| v.as_deref().unwrap_or("")))
                        .map_err(|e| internal(e.to_string()))?;
                }
                w.into_inner().map_err(|e| internal(e.to_string()))?
            }
            ExportFormat::Xlsx => xlsx_file(&columns, &rows)?,
        };
        let kind = match format {
            ExportFormat::Csv => "export_csv",
            ExportFormat::Xlsx => "export_xlsx",
        };
        let event = p.event(
            "grant.delivery",
            format!("grant:{id}"),
            Outcome::Success,
            json!({"kind": kind, "rows": rows.len()}),
        );
        self.store
            .record_delivery(
                id,
                kind,
                &format!("{} ({})", g.dataset_name, columns.join("、")),
                rows.len() as i64,
                &format!("{} ({})", p.display_name, p.name),
                &p.name,
                event,
            )
            .await?;
        Ok((bytes, rows.len()))
    }

    /// The source department records an offline delivery of a file grant.
    pub async fn record_offline_delivery(
        &self,
        p: &Principal,
        id: i64,
        d: OfflineDelivery,
    ) -> Result<Delivery> {
        let g = self
            .store
            .get_grant(id)
            .await
            .map_err(ServiceError::not_found("grant"))?;
        self.authorize(p, Action::DecideShare(g.source_org)).await?;
        if g.mode != DeliveryMode::File {
            return Err(ServiceError::Conflict {
                code: "wrong_mode",
                detail: "offline deliveries are recorded on file grants".into(),
            });
        }
        if let Err(r) = g.scope().usable(pubdata_domain::calendar::today_cst()) {
            return Err(r.into());
        }
        if !matches!(d.kind.as_str(), "spreadsheet" | "document" | "copy") {
            return Err(ServiceError::invalid(
                "kind",
                "spreadsheet, document or copy",
            ));
        }
        let description = d.description.trim();
        let received_by = d.received_by.trim();
        if description.is_empty() || description.chars().count() > 500 {
            return Err(ServiceError::invalid("description", "1 to 500 characters"));
        }
        if received_by.is_empty() || received_by.chars().count() > 100 {
            return Err(ServiceError::invalid("received_by", "1 to 100 characters"));
        }
        if d.rows < 0 {
            return Err(ServiceError::invalid("rows", "zero or more"));
        }
        let event = p.event(
            "grant.delivery",
            format!("grant:{id}"),
            Outcome::Success,
            json!({"kind": d.kind, "rows": d.rows, "received_by": received_by}),
        );
        Ok(self
            .store
            .record_delivery(
                id,
                &d.kind,
                description,
                d.rows,
                received_by,
                &p.name,
                event,
            )
            .await?)
    }
}
