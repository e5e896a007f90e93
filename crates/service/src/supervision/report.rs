//! Evaluation reports (考核评估报告, Art. 46): a level's figures for a
//! quarter or a year, as a workbook (XLSX) and a PDF with embedded Chinese
//! text; the HTML page is rendered by the web crate from the same [`Report`].

use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;

use super::{FIGURES, LevelFigures, Period};
use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::Principal;

/// A level's evaluation report for one period.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `2026Q3` or `2026`.
    pub period: String,
    /// `清远市2026年第三季度公共数据管理工作考核评估报告`.
    pub title: String,
    pub figures: LevelFigures,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.2}"))
}

impl Report {
    /// The header row of the agency table (Chinese).
    pub fn header() -> Vec<String> {
        let mut h = vec!["单位".to_string()];
        h.extend(FIGURES.iter().map(|f| f.zh().to_string()));
        h.extend(
            [
                "按时答复率",
                "按时实施率",
                "异议按时处理率",
                "平均答复工作日",
                "平均质量得分",
            ]
            .map(String::from),
        );
        h
    }

    /// The table's rows: each agency, then the level's total.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.figures
            .agencies
            .iter()
            .chain(std::iter::once(&self.figures.totals))
            .map(|a| {
                let mut r = vec![a.org_name.clone()];
                r.extend(
                    FIGURES
                        .iter()
                        .map(|f| a.counts.get(f.as_str()).copied().unwrap_or(0).to_string()),
                );
                r.push(pct(a.share_answer_rate));
                r.push(pct(a.share_implement_rate));
                r.push(pct(a.objection_rate));
                r.push(num(a.share_answer_days_mean));
                r.push(num(a.quality_mean));
                r
            })
            .collect()
    }

    /// The report as an XLSX workbook: one sheet 考核指标 with every agency's figures.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        let xl = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(Box::new(e));
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = wb.add_worksheet().set_name("考核指标").map_err(xl)?;
        sheet
            .write_string_with_format(0, 0, &self.title, &bold)
            .map_err(xl)?;
        sheet
            .write_string(
                1,
                0,
                format!("统计期间 {} 至 {}", self.figures.from, self.figures.to),
            )
            .map_err(xl)?;
        for (c, h) in Self::header().iter().enumerate() {
            sheet
                .write_string_with_format(3, c as u16, h, &bold)
                .map_err(xl)?;
        }
        for (i, row) in self.rows().iter().enumerate() {
            let r = i as u32 + 4;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                // Counts as numbers, so the workbook sums and charts them.
                if (1..=FIGURES.len() as u16).contains(&c) {
                    let n: f64 = v.parse().unwrap_or(0.0);
                    sheet.write_number(r, c, n).map_err(xl)?;
                } else {
                    sheet.write_string(r, c, v).map_err(xl)?;
                }
            }
        }
        wb.save_to_buffer().map_err(xl)
    }
}

impl App {
    /// The level a caller's annual report covers by default: the authority
    /// they review or audit for (an authority's own level), else the
    /// platform administrator's or their own organisation. `None` when
    /// they act for no organisation.
    pub fn own_level(p: &Principal) -> Option<i64> {
        use pubdata_domain::org::Role;
        p.roles
            .iter()
            .find(|g| matches!(g.role, Role::AuthorityReviewer | Role::Auditor))
            .or_else(|| p.roles.iter().find(|g| g.role == Role::PlatformAdmin))
            .map(|g| g.org_id)
            .or_else(|| p.org_id())
    }

    /// The annual evaluation report (`GET /api/v1/supervision/reports/{year}.xlsx|pdf`)
    /// of the caller's own level, or of `level` — a level or agency it
    /// supervises (the same rule as every supervision figure: 403 outside).
    pub async fn supervision_annual_report(
        &self,
        p: &Principal,
        year: i64,
        level: Option<i64>,
    ) -> Result<Report> {
        let level = match level.or_else(|| Self::own_level(p)) {
            Some(l) => l,
            None => {
                return Err(ServiceError::Forbidden(
                    "you act for no organisation: name the level (`level`)".into(),
                ));
            }
        };
        if !(2000..=2100).contains(&year) {
            return Err(ServiceError::invalid(
                "year",
                "a year between 2000 and 2100",
            ));
        }
        self.supervision_report(p, level, &year.to_string()).await
    }

    /// The evaluation report of a level for a period (`2026`, `2026Q3`).
    pub async fn supervision_report(
        &self,
        p: &Principal,
        level_org_id: i64,
        period: &str,
    ) -> Result<Report> {
        let period = Period::parse(period)?;
        let figures = self
            .supervision_figures(p, level_org_id, Some(period.from()), Some(period.to()))
            .await?;
        Ok(Report {
            period: period.to_string(),
            title: format!(
                "{}{}公共数据管理工作考核评估报告",
                figures.level_name,
                period.zh()
            ),
            figures,
        })
    }
}
