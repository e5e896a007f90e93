//! The classification tree and grading scheme (分类、分级), as data.

use pubdata_domain::audit::Outcome;
use pubdata_domain::catalog::{Grade, default_grades};
use pubdata_store::Classification;
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

/// The default classification tree (after the national 政务信息资源目录编制指南:
/// 基础 / 主题 / 部门 resource classes); the city authority edits it as data.
pub fn default_classifications() -> Vec<Classification> {
    let c = |code: &str, name: &str, parent: Option<&str>| Classification {
        code: code.into(),
        name: name.into(),
        parent: parent.map(Into::into),
    };
    vec![
        c("1", "基础信息资源类", None),
        c("101", "人口基础信息", Some("1")),
        c("102", "法人单位基础信息", Some("1")),
        c("103", "自然资源和空间地理基础信息", Some("1")),
        c("104", "电子证照基础信息", Some("1")),
        c("105", "社会信用基础信息", Some("1")),
        c("2", "主题信息资源类", None),
        c("201", "社会保障", Some("2")),
        c("202", "医疗健康", Some("2")),
        c("203", "教育科技", Some("2")),
        c("204", "市场监管", Some("2")),
        c("205", "城乡建设与住房", Some("2")),
        c("206", "民政服务", Some("2")),
        c("207", "公共安全", Some("2")),
        c("208", "生态环境", Some("2")),
        c("209", "交通运输", Some("2")),
        c("210", "财税金融", Some("2")),
        c("211", "农业农村", Some("2")),
        c("212", "文化旅游", Some("2")),
        c("3", "部门信息资源类", None),
        c("301", "行政许可", Some("3")),
        c("302", "行政处罚", Some("3")),
        c("303", "公共服务事项", Some("3")),
        c("304", "统计数据", Some("3")),
    ]
}

impl App {
    /// Seeds the default classification tree and grading scheme once.
    pub async fn seed_catalog_scheme(&self) -> Result<()> {
        self.store
            .seed_catalog_scheme(&default_classifications(), &default_grades())
            .await?;
        Ok(())
    }

    pub async fn classifications(&self, p: &Principal) -> Result<Vec<Classification>> {
        self.authorize(p, Action::ViewCatalog).await?;
        Ok(self.store.classifications().await?)
    }

    pub async fn grades(&self, p: &Principal) -> Result<Vec<Grade>> {
        self.authorize(p, Action::ViewCatalog).await?;
        Ok(self.store.grades().await?)
    }

    pub async fn put_classification(
        &self,
        p: &Principal,
        c: Classification,
    ) -> Result<Classification> {
        self.authorize(p, Action::ManageCatalogScheme).await?;
        if c.code.trim().is_empty() || !c.code.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            return Err(ServiceError::invalid("code", "letters and digits"));
        }
        if c.name.trim().is_empty() {
            return Err(ServiceError::invalid("name", "must not be empty"));
        }
        if let Some(parent) = &c.parent {
            let known = self.store.classifications().await?;
            if !known.iter().any(|k| &k.code == parent) {
                return Err(ServiceError::invalid("parent", "no such classification"));
            }
            if !c.code.starts_with(parent.as_str()) || c.code == *parent {
                return Err(ServiceError::invalid(
                    "code",
                    "a child's code extends its parent's code",
                ));
            }
        }
        let audit = p.event(
            "catalog.put_classification",
            format!("classification:{}", c.code),
            Outcome::Success,
            json!({"name": c.name}),
        );
        self.store.put_classification(&c, audit).await?;
        Ok(c)
    }

    pub async fn put_grade(&self, p: &Principal, g: Grade) -> Result<Grade> {
        self.authorize(p, Action::ManageCatalogScheme).await?;
        if g.code.trim().is_empty() || g.name.trim().is_empty() {
            return Err(ServiceError::invalid(
                "code",
                "a grade has a code and a name",
            ));
        }
        let audit = p.event(
            "catalog.put_grade",
            format!("grade:{}", g.code),
            Outcome::Success,
            json!(g),
        );
        self.store.put_grade(&g, audit).await?;
        Ok(g)
    }
}
