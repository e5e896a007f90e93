//! Base databases (基础库, BASE-1): 人口, 法人, 自然资源和空间地理, 电子证照.
//! Each field of a base table is contributed by exactly one source
//! department's dataset (COL-1); records are assembled from those datasets by
//! key, and where another dataset holds the same field with a different value
//! the difference is reported as a conflict (a quality issue), never
//! resolved by silently overwriting.

use pubdata_domain::audit::Outcome;
use pubdata_store::{BaseField, BaseTable, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::access::Basis;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributeField {
    /// The base table's field, e.g. 姓名.
    pub field: String,
    /// The contributing dataset (keyed by the base table's key).
    pub dataset_id: i64,
    /// Its column; the field's name when absent.
    pub source_column: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaseFieldView {
    #[serde(flatten)]
    pub field: BaseField,
    pub dataset_name: String,
    pub org_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaseView {
    #[serde(flatten)]
    pub table: BaseTable,
    pub fields: Vec<BaseFieldView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaseValue {
    pub field: String,
    pub value: Option<String>,
    pub dataset_id: i64,
    pub org_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaseRecord {
    pub key: String,
    /// Whether any source holds the key.
    pub found: bool,
    pub values: Vec<BaseValue>,
}

/// Two sources disagreeing on one field of one record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaseConflict {
    pub field: String,
    pub key: String,
    /// The value of the field's source department.
    pub value: Option<String>,
    pub other_dataset_id: i64,
    pub other_org_name: String,
    pub other_value: Option<String>,
}

/// A record key as its base database stores it, checked once here: a
/// 身份证号 for 人口 (a final `x` upper-cased), a 统一社会信用代码 for 法人.
fn record_key(table: &BaseTable, key: &str) -> Result<String> {
    use pubdata_domain::ids::{CreditCode, IdCardNo};
    let key = key.trim();
    let invalid = |e: String| ServiceError::invalid("key", e);
    match table.key_name.as_str() {
        "公民身份号码" => key
            .parse::<IdCardNo>()
            .map(|k| k.to_string())
            .map_err(|e| invalid(e.to_string())),
        "统一社会信用代码" => key
            .parse::<CreditCode>()
            .map(|k| k.to_string())
            .map_err(|e| invalid(e.to_string())),
        _ => Ok(key.to_string()),
    }
}

impl App {
    async fn base_table(&self, code: &str) -> Result<BaseTable> {
        self.store
            .base_tables()
            .await?
            .into_iter()
            .find(|b| b.code == code)
            .ok_or(ServiceError::NotFound {
                what: "base database",
            })
    }

    /// The base databases, their fields and each field's source (anyone signed in).
    pub async fn list_bases(&self, p: &Principal) -> Result<Vec<BaseView>> {
        self.authorize(p, Action::ViewCatalog).await?;
        let tree = self.org_tree().await?;
        let mut out = Vec::new();
        for table in self.store.base_tables().await? {
            let mut fields = Vec::new();
            for f in self.store.base_fields(&table.code).await? {
                let dataset_name = self
                    .store
                    .get_dataset(f.dataset_id)
                    .await
                    .map(|d| d.name)
                    .unwrap_or_default();
                fields.push(BaseFieldView {
                    org_name: tree
                        .get(f.org_id)
                        .map(|o| o.name.clone())
                        .unwrap_or_default(),
                    dataset_name,
                    field: f,
                });
            }
            out.push(BaseView { table, fields });
        }
        Ok(out)
    }

    /// A source department contributes a field from one of its datasets;
    /// a field that already has a source is refused, naming it.
    pub async fn contribute_base_field(
        &self,
        p: &Principal,
        base: &str,
        req: ContributeField,
    ) -> Result<BaseField> {
        let table = self.base_table(base).await?;
        let d = self
            .store
            .get_dataset(req.dataset_id)
            .await
            .map_err(|_| ServiceError::invalid("dataset_id", "no such dataset"))?;
        self.authorize(p, Action::WriteDataset(d.org_id)).await?;
        if d.key != [table.key_name.clone()] {
            return Err(ServiceError::invalid(
                "dataset_id",
                format!("the dataset must be keyed by {} alone", table.key_name),
            ));
        }
        let field = req.field.trim().to_string();
        let column = req
            .source_column
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| field.clone());
        if field.is_empty() || field == table.key_name {
            return Err(ServiceError::invalid(
                "field",
                "name a field other than the key",
            ));
        }
        if !d.columns.iter().any(|c| c.name == column) {
            return Err(ServiceError::invalid(
                "source_column",
                format!("the dataset has no column `{column}`"),
            ));
        }
        let f = BaseField {
            base_code: table.code.clone(),
            field: field.clone(),
            dataset_id: d.id,
            source_column: column,
            org_id: d.org_id,
        };
        let audit = p.event(
            "base.contribute",
            format!("base:{}", table.code),
            Outcome::Success,
            json!({"field": field, "dataset_id": d.id}),
        );
        match self.store.add_base_field(&f, audit).await {
            Ok(()) => Ok(f),
            Err(StoreError::Conflict { .. }) => {
                let owner = self
                    .store
                    .base_fields(&table.code)
                    .await?
                    .into_iter()
                    .find(|x| x.field == field);
                let tree = self.org_tree().await?;
                let name = owner
                    .and_then(|o| tree.get(o.org_id).map(|x| x.name.clone()))
                    .unwrap_or_default();
                Err(ServiceError::Conflict {
                    code: "base_field_has_source",
                    detail: format!("「{field}」 of {} already comes from {name}", table.name),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One record assembled from every contributing dataset (supervisors; audited).
    pub async fn base_record(&self, p: &Principal, base: &str, key: &str) -> Result<BaseRecord> {
        self.authorize(p, Action::Supervise).await?;
        let table = self.base_table(base).await?;
        let key = &record_key(&table, key)?;
        let tree = self.org_tree().await?;
        let fields = self.store.base_fields(&table.code).await?;
        let read = self.read_base_values(p, &table.code, fields, key).await?;
        let found = read.iter().any(|v| v.found);
        let values = read
            .into_iter()
            .map(|v| BaseValue {
                value: v.value,
                dataset_id: v.dataset.id,
                org_name: tree
                    .get(v.dataset.org_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                field: v.field.field,
            })
            .collect();
        Ok(BaseRecord {
            key: key.to_string(),
            found,
            values,
        })
    }

    /// Fields on which another dataset keyed the same way disagrees with the
    /// field's source department (supervisors).
    pub async fn base_conflicts(
        &self,
        p: &Principal,
        base: &str,
        limit: u32,
    ) -> Result<Vec<BaseConflict>> {
        self.authorize(p, Action::Supervise).await?;
        let table = self.base_table(base).await?;
        let tree = self.org_tree().await?;
        let all = self.store.list_datasets(None, None, 10_000).await?;
        let mut out = Vec::new();
        for f in self.store.base_fields(&table.code).await? {
            let Some(src) = all.iter().find(|d| d.id == f.dataset_id) else {
                continue;
            };
            let Some(ai) = src.columns.iter().position(|c| c.name == f.source_column) else {
                continue;
            };
            for other in all.iter().filter(|d| d.id != src.id && d.key == src.key) {
                let Some(bi) = other.columns.iter().position(|c| c.name == f.field) else {
                    continue;
                };
                for (key, value, other_value) in self
                    .read_conflicts(p, Basis::Supervision, (src, ai), (other, bi), limit)
                    .await?
                {
                    out.push(BaseConflict {
                        field: f.field.clone(),
                        key,
                        value,
                        other_dataset_id: other.id,
                        other_org_name: tree
                            .get(other.org_id)
                            .map(|o| o.name.clone())
                            .unwrap_or_default(),
                        other_value,
                    });
                }
            }
        }
        out.truncate(limit as usize);
        Ok(out)
    }

    /// Where `d` holds a base field whose source is another dataset keyed the
    /// same way, its differing values: quality issues of `d` for its
    /// department to fix (the base keeps the source's value).
    pub(crate) async fn base_conflicts_of(
        &self,
        p: &Principal,
        d: &pubdata_store::Dataset,
        limit: u32,
    ) -> Result<Vec<pubdata_domain::dataset::RowError>> {
        let tree = self.org_tree().await?;
        let mut out = Vec::new();
        for table in self.store.base_tables().await? {
            for f in self.store.base_fields(&table.code).await? {
                let Some(bi) = d.columns.iter().position(|c| c.name == f.field) else {
                    continue;
                };
                if f.dataset_id == d.id {
                    continue;
                }
                let src = self.store.get_dataset(f.dataset_id).await?;
                let Some(ai) = src.columns.iter().position(|c| c.name == f.source_column) else {
                    continue;
                };
                if src.key != d.key {
                    continue;
                }
                let owner = tree
                    .get(src.org_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                for (key, value, mine) in self
                    .read_conflicts(p, Basis::QualityReport, (&src, ai), (d, bi), limit)
                    .await?
                {
                    out.push(pubdata_domain::dataset::RowError {
                        row: 0,
                        column: f.field.clone(),
                        value: mine.unwrap_or_default(),
                        rule: "base_conflict".into(),
                        message: format!(
                            "{}: {key} — the source ({owner}, dataset {}) holds 「{}」",
                            table.name,
                            src.id,
                            value.unwrap_or_default()
                        ),
                    });
                }
            }
        }
        out.truncate(limit as usize);
        Ok(out)
    }
}
