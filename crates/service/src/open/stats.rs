//! What each agency has opened and how it is used (OPN-3, the portal's
//! charts): open datasets and rows per agency, and the public's reads of
//! them over the last 30 days, counted from the access records the door
//! writes (basis `open`) — never typed in.

use chrono::Utc;
use serde::Serialize;

use crate::App;
use crate::error::Result;

/// The window of the usage figures, in days.
pub const USAGE_DAYS: i64 = 30;

/// One agency's open data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgencyOpenStats {
    pub org_id: i64,
    pub org_name: String,
    /// Open datasets it provides.
    pub datasets: i64,
    /// Rows they hold.
    pub rows: i64,
    /// Public reads of them (pages, previews, API calls, downloads) in the
    /// last 30 days.
    pub reads: i64,
}

/// The portal's figures, agencies with the most open datasets first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenStats {
    pub usage_days: i64,
    pub datasets: i64,
    pub reads: i64,
    pub agencies: Vec<AgencyOpenStats>,
}

impl App {
    /// The figures of the portal's charts (anyone).
    pub async fn open_stats(&self) -> Result<OpenStats> {
        let open = self.open_loaded(None, None).await?;
        let reads = self
            .store
            .open_reads_since(Utc::now() - chrono::Duration::days(USAGE_DAYS))
            .await?;
        let mut agencies: Vec<AgencyOpenStats> = Vec::new();
        for o in &open {
            let n = reads
                .iter()
                .find(|(id, _)| *id == o.dataset.id)
                .map_or(0, |(_, n)| *n);
            match agencies.iter_mut().find(|a| a.org_id == o.view.org_id) {
                Some(a) => {
                    a.datasets += 1;
                    a.rows += o.dataset.row_count;
                    a.reads += n;
                }
                None => agencies.push(AgencyOpenStats {
                    org_id: o.view.org_id,
                    org_name: o.view.org_name.clone(),
                    datasets: 1,
                    rows: o.dataset.row_count,
                    reads: n,
                }),
            }
        }
        agencies.sort_by(|a, b| {
            b.datasets
                .cmp(&a.datasets)
                .then(b.reads.cmp(&a.reads))
                .then(a.org_id.cmp(&b.org_id))
        });
        Ok(OpenStats {
            usage_days: USAGE_DAYS,
            datasets: agencies.iter().map(|a| a.datasets).sum(),
            reads: agencies.iter().map(|a| a.reads).sum(),
            agencies,
        })
    }
}
