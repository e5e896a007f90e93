//! The demo collection list (采集清单, COL-1): every data item of the demo
//! catalogue declared by its one source department, so that
//! `GET /api/v1/data-items` names the source — 公安局 for a natural
//! person's base items, 市场监督管理局 for a legal person's, and for every
//! other item the agency of the first entry that holds it.

use pubdata_domain::audit::Outcome;
use pubdata_store::StoreError;
use serde_json::json;

use super::catalog::{ENTRIES, items};
use crate::App;
use crate::collection::normalise_item;
use crate::error::Result;
use crate::principal::Principal;

/// The legal basis a demo agency cites for collecting.
fn basis_of(org_code: &str) -> &'static str {
    match org_code {
        "qy-gaj" => "《中华人民共和国居民身份证法》《中华人民共和国户口登记条例》",
        "qy-scjgj" => "《中华人民共和国市场主体登记管理条例》",
        _ => "《清远市公共数据管理办法》第十五条及本部门法定职责",
    }
}

impl App {
    /// Declares the source of every demo data item once; items that already
    /// have a source keep it. Returns how many were declared now.
    pub(crate) async fn seed_demo_collection(&self) -> Result<usize> {
        let system = Principal::system();
        let mut declared = 0;
        for (org_code, _, _, base, extra, _) in ENTRIES {
            for item in items(base, extra) {
                let source = match (*base, item.name.as_str()) {
                    ("P", "公民身份号码" | "姓名" | "性别" | "出生日期") => "qy-gaj",
                    ("E", "统一社会信用代码" | "单位名称" | "法定代表人") => {
                        "qy-scjgj"
                    }
                    _ => org_code,
                };
                let name = normalise_item(&item.name);
                if self.store.get_data_item(&name).await?.is_some() {
                    continue;
                }
                let Some(org) = self.store.get_org_by_code(source).await? else {
                    continue;
                };
                let basis = basis_of(source);
                let audit = system.event(
                    "collection.declare",
                    format!("data_item:{name}"),
                    Outcome::Success,
                    json!({"basis": basis, "demo": true}),
                );
                match self
                    .store
                    .create_data_item(&name, org.id, basis, audit)
                    .await
                {
                    Ok(_) => declared += 1,
                    Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(declared)
    }
}
