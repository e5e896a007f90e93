//! Catalogue exports (CAT-7): the spreadsheet layout government staff use,
//! and DCAT-AP style JSON-LD with the Chinese fields mapped or extended.

use pubdata_domain::catalog::{Frequency, OpenAttribute};
use pubdata_store::{CatalogEntry, EntryFilter};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Value, json};

use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::Principal;

/// At most this many entries in one export.
pub const MAX_EXPORT: usize = 100_000;

/// The columns of the 目录 sheet.
const COLUMNS: &[&str] = &[
    "序号",
    "信息资源分类",
    "信息资源名称",
    "信息资源代码",
    "信息资源提供方",
    "信息资源摘要",
    "信息资源格式",
    "信息项",
    "共享类型",
    "共享条件",
    "共享依据",
    "共享方式",
    "共享范围",
    "开放属性",
    "开放条件",
    "更新周期",
    "分级",
    "发布日期",
    "状态",
    "采集部门",
    "核准部门",
    "关联资源代码",
];

impl App {
    /// The published catalogue matching `filter` (every page of it).
    async fn export_entries(
        &self,
        p: &Principal,
        mut filter: EntryFilter,
    ) -> Result<Vec<CatalogEntry>> {
        filter.published_only = true;
        let mut out = Vec::new();
        loop {
            filter.limit = 200;
            let page = self.list_entries(p, filter.clone()).await?;
            let Some(last) = page.last() else { break };
            filter.before_id = Some(last.id);
            out.extend(page);
            if out.len() >= MAX_EXPORT {
                break;
            }
        }
        Ok(out)
    }

    /// The catalogue as an XLSX workbook: sheet 目录 (one row per entry) and
    /// sheet 信息项 (one row per data item).
    pub async fn export_catalog_xlsx(&self, p: &Principal, filter: EntryFilter) -> Result<Vec<u8>> {
        let entries = self.export_entries(p, filter).await?;
        let tree = self.org_tree().await?;
        let classes = self.store.classifications().await?;
        let xl = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(Box::new(e));
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = wb.add_worksheet().set_name("目录").map_err(xl)?;
        for (c, h) in COLUMNS.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(xl)?;
        }
        for (i, e) in entries.iter().enumerate() {
            let c = &e.content;
            let row = i as u32 + 1;
            let class = classes
                .iter()
                .find(|k| k.code == c.classification)
                .map(|k| format!("{} {}", k.code, k.name))
                .unwrap_or_else(|| c.classification.clone());
            let cells: Vec<String> = vec![
                class,
                c.name.clone(),
                e.code.clone(),
                tree.get(e.org_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                c.summary.clone(),
                c.data_form.zh().into(),
                c.items
                    .iter()
                    .map(|i| i.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                c.share_type.zh().into(),
                c.share_conditions.clone(),
                c.share_basis.clone(),
                c.share_modes
                    .iter()
                    .map(|m| m.zh())
                    .collect::<Vec<_>>()
                    .join("、"),
                c.share_scope.clone(),
                c.open_attribute.zh().into(),
                if c.open_conditions.is_empty() {
                    c.open_grounds.clone()
                } else {
                    c.open_conditions.clone()
                },
                c.update_frequency.zh().into(),
                c.grade.clone(),
                e.published_on.map(|d| d.to_string()).unwrap_or_default(),
                e.state.zh().into(),
                c.collecting_org
                    .or(Some(e.org_id))
                    .and_then(|o| tree.get(o))
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                c.approving_org
                    .and_then(|o| tree.get(o))
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                c.related_codes.join(" "),
            ];
            sheet.write_number(row, 0, row as f64).map_err(xl)?;
            for (col, v) in cells.iter().enumerate() {
                sheet.write_string(row, col as u16 + 1, v).map_err(xl)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xl)?;
        let items = wb.add_worksheet().set_name("信息项").map_err(xl)?;
        for (c, h) in [
            "信息资源代码",
            "信息资源名称",
            "信息项名称",
            "数据类型",
            "个人或敏感",
        ]
        .iter()
        .enumerate()
        {
            items
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(xl)?;
        }
        let mut row = 1;
        for e in &entries {
            for i in &e.content.items {
                items.write_string(row, 0, &e.code).map_err(xl)?;
                items.write_string(row, 1, &e.content.name).map_err(xl)?;
                items.write_string(row, 2, &i.name).map_err(xl)?;
                items.write_string(row, 3, i.data_type.zh()).map_err(xl)?;
                items
                    .write_string(row, 4, if i.personal { "是" } else { "否" })
                    .map_err(xl)?;
                row += 1;
            }
        }
        wb.save_to_buffer().map_err(xl)
    }

    /// The catalogue as DCAT (JSON-LD, DCAT-AP style). Fields DCAT has no
    /// term for (share type, conditions, basis, data items) use the
    /// `pubdata:` vocabulary.
    pub async fn export_catalog_dcat(
        &self,
        p: &Principal,
        filter: EntryFilter,
        base_url: &str,
    ) -> Result<Value> {
        let entries = self.export_entries(p, filter).await?;
        let tree = self.org_tree().await?;
        let datasets: Vec<Value> = entries
            .iter()
            .map(|e| {
                let c = &e.content;
                let org = tree.get(e.org_id);
                json!({
                    "@id": format!("{base_url}/catalog/entries/{}", e.id),
                    "@type": "dcat:Dataset",
                    "dct:identifier": e.code,
                    "dct:title": {"@value": c.name, "@language": "zh-CN"},
                    "dct:description": {"@value": c.summary, "@language": "zh-CN"},
                    "dct:publisher": {
                        "@type": "foaf:Organization",
                        "foaf:name": {"@value": org.map(|o| o.name.clone()).unwrap_or_default(), "@language": "zh-CN"},
                        "dct:identifier": org.map(|o| o.code.clone()).unwrap_or_default(),
                    },
                    "dcat:keyword": c.keywords,
                    "dcat:theme": c.classification,
                    "dct:relation": c.related_codes,
                    "dct:issued": e.published_on.map(|d| d.to_string()),
                    "dct:modified": e.updated_at.to_rfc3339(),
                    "dct:accrualPeriodicity": frequency_uri(c.update_frequency),
                    "dct:accessRights": access_rights(c.open_attribute),
                    "dct:format": c.data_form.as_str(),
                    "pubdata:grade": c.grade,
                    "pubdata:shareType": c.share_type.as_str(),
                    "pubdata:shareConditions": c.share_conditions,
                    "pubdata:shareBasis": c.share_basis,
                    "pubdata:shareScope": c.share_scope,
                    "pubdata:shareModes": c.share_modes.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                    "pubdata:openAttribute": c.open_attribute.as_str(),
                    "pubdata:openConditions": c.open_conditions,
                    "pubdata:dataItems": c.items.iter().map(|i| json!({
                        "@type": "pubdata:DataItem",
                        "pubdata:name": i.name,
                        "pubdata:dataType": i.data_type.as_str(),
                        "pubdata:personal": i.personal,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
                "pubdata": format!("{base_url}/ns#"),
                "dct:issued": {"@type": "xsd:date"},
                "dct:modified": {"@type": "xsd:dateTime"},
                "dct:accrualPeriodicity": {"@type": "@id"},
                "dct:accessRights": {"@type": "@id"}
            },
            "@id": format!("{base_url}/catalog"),
            "@type": "dcat:Catalog",
            "dct:title": {"@value": "公共数据资源目录", "@language": "zh-CN"},
            "dct:language": "zh-CN",
            "dcat:dataset": datasets,
        }))
    }
}

/// EU frequency authority table URIs, as DCAT-AP uses them.
pub(crate) fn frequency_uri(f: Frequency) -> &'static str {
    match f {
        Frequency::Realtime => {
            "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT"
        }
        Frequency::Daily => "http://publications.europa.eu/resource/authority/frequency/DAILY",
        Frequency::Weekly => "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
        Frequency::Monthly => "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
        Frequency::Quarterly => {
            "http://publications.europa.eu/resource/authority/frequency/QUARTERLY"
        }
        Frequency::HalfYearly => {
            "http://publications.europa.eu/resource/authority/frequency/ANNUAL_2"
        }
        Frequency::Yearly => "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        Frequency::Other => "http://publications.europa.eu/resource/authority/frequency/OTHER",
    }
}

/// EU access-right URIs for the open attribute.
fn access_rights(o: OpenAttribute) -> &'static str {
    match o {
        OpenAttribute::Unconditional => {
            "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
        }
        OpenAttribute::Conditional => {
            "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
        }
        OpenAttribute::None => {
            "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
        }
    }
}
