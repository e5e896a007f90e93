//! The resource catalogue (目录管理, CAT-1 … CAT-7): entries, their
//! lifecycle on cases with deadlines, versions, classification and grading.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, CaseState, DeadlineStatus, deadline_status};
use pubdata_domain::catalog::{
    DataForm, DataItem, EntryContent, EntryState, FieldChange, Frequency, Grade, OpenAttribute,
    ShareMode, ShareType, default_grades, diff,
};
use pubdata_domain::org::OrgKind;
use pubdata_store::{
    Case, CaseFilter, CatalogEntry, Classification, EntryChange, EntryFilter, EntryVersion,
    NewCase, NewEntry, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{FieldError, Result, ServiceError};
use crate::orgs::OrgTree;
use crate::policy::Action;
use crate::principal::Principal;

/// The entry fields a client sends to create an entry.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub name: String,
    pub summary: String,
    /// A code from the classification tree.
    pub classification: String,
    /// A grade code; when absent, `L3` for entries with personal items, else `L1`.
    pub grade: Option<String>,
    pub data_form: DataForm,
    pub items: Vec<DataItem>,
    pub share_type: ShareType,
    #[serde(default)]
    pub share_conditions: String,
    #[serde(default)]
    pub share_basis: String,
    #[serde(default)]
    pub share_scope: String,
    #[serde(default)]
    pub share_modes: Vec<ShareMode>,
    pub open_attribute: OpenAttribute,
    #[serde(default)]
    pub open_conditions: String,
    #[serde(default)]
    pub open_grounds: String,
    pub update_frequency: Frequency,
    /// Defaults to the caller's organisation.
    pub providing_org: Option<i64>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Other owning agencies: a change needs each one's consent (Art. 12).
    #[serde(default)]
    pub co_owners: Vec<i64>,
    /// 采集部门, when not the providing agency.
    pub collecting_org: Option<i64>,
    /// 核准部门, when there is one.
    pub approving_org: Option<i64>,
    /// 关联资源代码: codes of related entries.
    #[serde(default)]
    pub related_codes: Vec<String>,
}

/// A partial change of an entry's content (PATCH).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryPatch {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub classification: Option<String>,
    pub grade: Option<String>,
    pub data_form: Option<DataForm>,
    pub items: Option<Vec<DataItem>>,
    pub share_type: Option<ShareType>,
    pub share_conditions: Option<String>,
    pub share_basis: Option<String>,
    pub share_scope: Option<String>,
    pub share_modes: Option<Vec<ShareMode>>,
    pub open_attribute: Option<OpenAttribute>,
    pub open_conditions: Option<String>,
    pub open_grounds: Option<String>,
    pub update_frequency: Option<Frequency>,
    pub keywords: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    pub collecting_org: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub approving_org: Option<Option<i64>>,
    pub related_codes: Option<Vec<String>>,
    /// Why the entry changes (recorded with the version).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Return,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
    /// Required when returning.
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

/// A case as shown to people: with where it stands against its deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    /// Present while the case is open.
    pub deadline: Option<DeadlineStatus>,
}

/// An entry with its open cases and review due date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: CatalogEntry,
    pub providing_org_name: String,
    /// Due date of the open authority review, if any.
    pub review_due: Option<NaiveDate>,
    /// Due date of an open update obligation, if any.
    pub update_due: Option<NaiveDate>,
    pub cases: Vec<CaseView>,
    /// Co-owners that still have to consent to the current version.
    pub consent_missing: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<FieldChange>,
}

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

fn rule_error(violations: Vec<pubdata_domain::catalog::RuleViolation>) -> ServiceError {
    let detail = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.message))
        .collect::<Vec<_>>()
        .join("; ");
    ServiceError::Invalid {
        code: "catalog_rule",
        detail,
        errors: violations
            .into_iter()
            .map(|v| FieldError {
                field: v.field.into(),
                message: v.message,
            })
            .collect(),
    }
}

fn transition_error(entry: &CatalogEntry, step: &str) -> ServiceError {
    ServiceError::Conflict {
        code: "invalid_transition",
        detail: format!(
            "cannot {step} an entry that is {} ({})",
            entry.state.as_str(),
            entry.state.zh()
        ),
    }
}

fn map_state_conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict { what } => ServiceError::Conflict {
            code: "invalid_transition",
            detail: format!("the entry changed meanwhile: {what}"),
        },
        StoreError::NotFound => ServiceError::NotFound {
            what: "catalogue entry",
        },
        other => other.into(),
    }
}

fn clean_list(v: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

/// The data authority of the level an organisation belongs to: the
/// authority under the organisation's nearest region.
pub fn authority_of(tree: &OrgTree, org: i64) -> Option<i64> {
    let mut cur = Some(org);
    while let Some(id) = cur {
        let o = tree.get(id)?;
        if o.kind == OrgKind::Authority {
            return Some(id);
        }
        if o.kind == OrgKind::Region {
            return tree
                .walk()
                .into_iter()
                .find(|(_, c)| c.parent_id == Some(id) && c.kind == OrgKind::Authority)
                .map(|(_, c)| c.id);
        }
        cur = o.parent_id;
    }
    None
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

    async fn checked_content(&self, content: EntryContent) -> Result<EntryContent> {
        let classes = self.store.classifications().await?;
        let grades = self.store.grades().await?;
        let mut problems = Vec::new();
        if !classes.iter().any(|c| c.code == content.classification) {
            problems.push(pubdata_domain::catalog::RuleViolation {
                field: "classification",
                message: format!(
                    "`{}` is not a code of the classification tree",
                    content.classification
                ),
            });
        }
        let grade = grades.iter().find(|g| g.code == content.grade);
        if grade.is_none() {
            problems.push(pubdata_domain::catalog::RuleViolation {
                field: "grade",
                message: format!("`{}` is not a grade of the grading scheme", content.grade),
            });
        }
        let tree = self.org_tree().await?;
        for (field, org) in [
            ("collecting_org", content.collecting_org),
            ("approving_org", content.approving_org),
        ] {
            if let Some(o) = org
                && !matches!(tree.kind(o), Some(OrgKind::Agency | OrgKind::Authority))
            {
                problems.push(pubdata_domain::catalog::RuleViolation {
                    field,
                    message: format!("{o} is not a public body"),
                });
            }
        }
        for code in &content.related_codes {
            let f = EntryFilter {
                terms: vec![],
                limit: 1,
                code: Some(code.clone()),
                ..Default::default()
            };
            if self.store.list_entries(&f).await?.is_empty() {
                problems.push(pubdata_domain::catalog::RuleViolation {
                    field: "related_codes",
                    message: format!("no entry has the code `{code}`"),
                });
            }
        }
        problems.extend(content.validate(grade));
        if problems.is_empty() {
            Ok(content)
        } else {
            Err(rule_error(problems))
        }
    }

    /// Drafts a new entry (编制).
    pub async fn create_entry(&self, p: &Principal, req: EntryInput) -> Result<EntryView> {
        let org = req
            .providing_org
            .or(p.org_id())
            .ok_or_else(|| ServiceError::invalid("providing_org", "you act for no organisation"))?;
        self.authorize(p, Action::EditCatalog(org)).await?;
        let tree = self.org_tree().await?;
        let provider = tree
            .get(org)
            .ok_or_else(|| ServiceError::invalid("providing_org", "no such organisation"))?;
        if provider.kind != OrgKind::Agency && provider.kind != OrgKind::Authority {
            return Err(ServiceError::invalid(
                "providing_org",
                "entries are provided by public bodies",
            ));
        }
        for co in &req.co_owners {
            if *co == org || tree.kind(*co) != Some(OrgKind::Agency) {
                return Err(ServiceError::invalid(
                    "co_owners",
                    "co-owners are other agencies",
                ));
            }
        }
        let personal = req.items.iter().any(|i| i.personal);
        let content = EntryContent {
            name: req.name.trim().to_string(),
            summary: req.summary.trim().to_string(),
            classification: req.classification.trim().to_string(),
            grade: req
                .grade
                .map(|g| g.trim().to_string())
                .unwrap_or_else(|| if personal { "L3" } else { "L1" }.into()),
            data_form: req.data_form,
            items: req.items,
            share_type: req.share_type,
            share_conditions: req.share_conditions.trim().to_string(),
            share_basis: req.share_basis.trim().to_string(),
            share_scope: req.share_scope.trim().to_string(),
            share_modes: req
                .share_modes
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            open_attribute: req.open_attribute,
            open_conditions: req.open_conditions.trim().to_string(),
            open_grounds: req.open_grounds.trim().to_string(),
            update_frequency: req.update_frequency,
            keywords: clean_list(&req.keywords),
            collecting_org: req.collecting_org,
            approving_org: req.approving_org,
            related_codes: clean_list(&req.related_codes),
        };
        let content = self.checked_content(content).await?;
        let audit = p.event(
            "catalog.create",
            "",
            Outcome::Success,
            json!({"name": content.name, "org_id": org}),
        );
        let entry = self
            .store
            .create_entry(
                NewEntry {
                    org_id: org,
                    level: provider.level,
                    content,
                    co_owners: clean_ids(&req.co_owners),
                    actor: p.name.clone(),
                },
                audit,
            )
            .await?;
        self.entry_view(entry).await
    }

    async fn entry_view(&self, entry: CatalogEntry) -> Result<EntryView> {
        let tree = self.org_tree().await?;
        let cal = self.calendar();
        let today = today_cst();
        let cases = self
            .store
            .list_cases(&CaseFilter {
                subject: Some(format!("catalog_entry:{}", entry.id)),
                limit: 100,
                ..Default::default()
            })
            .await?;
        let due_of = |kind| {
            cases
                .iter()
                .find(|c| c.kind == kind && c.state == CaseState::Open)
                .map(|c| c.due_on)
        };
        let review_due = due_of(CaseKind::CatalogReview);
        let update_due = due_of(CaseKind::CatalogUpdate);
        let consented = self.store.consents(entry.id, entry.version).await?;
        let consent_missing = entry
            .co_owners
            .iter()
            .copied()
            .filter(|o| !consented.contains(o))
            .collect();
        Ok(EntryView {
            providing_org_name: tree
                .get(entry.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            review_due,
            update_due,
            cases: cases
                .into_iter()
                .map(|case| CaseView {
                    deadline: (case.state == CaseState::Open)
                        .then(|| deadline_status(&cal, case.due_on, today)),
                    case,
                })
                .collect(),
            consent_missing,
            entry,
        })
    }

    async fn load_entry(&self, id: i64) -> Result<CatalogEntry> {
        self.store
            .get_entry(id)
            .await
            .map_err(ServiceError::not_found("catalogue entry"))
    }

    /// Owners (providing agency and co-owners) of an entry, as actions.
    fn owner_actions(e: &CatalogEntry, make: fn(i64) -> Action) -> Vec<Action> {
        std::iter::once(e.org_id)
            .chain(e.co_owners.iter().copied())
            .map(make)
            .collect()
    }

    pub async fn get_entry(&self, p: &Principal, id: i64) -> Result<EntryView> {
        self.authorize(p, Action::ViewCatalog).await?;
        let e = self.load_entry(id).await?;
        if e.published_version.is_none() {
            let may = self
                .authorize_any(p, &Self::owner_actions(&e, Action::ViewUnpublishedCatalog))
                .await;
            if may.is_err() {
                // Unpublished entries of others do not exist for the caller.
                return Err(ServiceError::NotFound {
                    what: "catalogue entry",
                });
            }
        }
        self.entry_view(e).await
    }

    /// Searches the catalogue. Without rights over an organisation, only
    /// published entries are listed.
    pub async fn list_entries(
        &self,
        p: &Principal,
        mut f: EntryFilter,
    ) -> Result<Vec<CatalogEntry>> {
        self.authorize(p, Action::ViewCatalog).await?;
        let tree = self.org_tree().await?;
        // A region means its roll-up: the entries of every body in it (CAT-1).
        if let Some(orgs) = &f.org_ids
            && let [one] = orgs.as_slice()
            && tree.kind(*one) == Some(OrgKind::Region)
        {
            let region = *one;
            f.org_ids = Some(
                tree.walk()
                    .into_iter()
                    .filter(|(_, o)| tree.is_within(o.id, region))
                    .map(|(_, o)| o.id)
                    .collect(),
            );
        }
        // Unpublished entries only of organisations the caller may see them of.
        let sees_all = match &f.org_ids {
            Some(orgs) => orgs.iter().all(|o| {
                crate::policy::authorize(p, Action::ViewUnpublishedCatalog(*o), &tree).is_ok()
            }),
            None => crate::policy::authorize(p, Action::ViewUnpublishedCatalog(-1), &tree).is_ok(),
        };
        if !sees_all {
            f.published_only = true;
        }
        f.limit = f.limit.clamp(1, 200);
        Ok(self.store.list_entries(&f).await?)
    }

    pub async fn entry_versions(&self, p: &Principal, id: i64) -> Result<Vec<EntryVersion>> {
        self.get_entry(p, id).await?;
        Ok(self.store.entry_versions(id).await?)
    }

    pub async fn entry_diff(
        &self,
        p: &Principal,
        id: i64,
        from: i64,
        to: i64,
    ) -> Result<VersionDiff> {
        let versions = self.entry_versions(p, id).await?;
        let find = |v: i64, field: &str| {
            versions
                .iter()
                .find(|x| x.version == v)
                .ok_or_else(|| ServiceError::invalid(field, format!("no version {v}")))
        };
        let (a, b) = (find(from, "from")?, find(to, "to")?);
        Ok(VersionDiff {
            from,
            to,
            changes: diff(&a.content, &b.content),
        })
    }

    /// Edits a draft or returned entry, or starts a change (变更) of a
    /// published one: either way a new version.
    pub async fn update_entry(
        &self,
        p: &Principal,
        id: i64,
        patch: EntryPatch,
    ) -> Result<EntryView> {
        let e = self.load_entry(id).await?;
        // The providing agency's or a co-owner's data administrator.
        self.authorize_any(p, &Self::owner_actions(&e, Action::EditCatalog))
            .await?;
        if !matches!(
            e.state,
            EntryState::Draft | EntryState::Returned | EntryState::Published
        ) {
            return Err(transition_error(&e, "edit"));
        }
        let mut c = e.content.clone();
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = patch.$f.clone() { c.$f = v; } )* };
        }
        set!(
            name,
            summary,
            classification,
            grade,
            data_form,
            items,
            share_type,
            share_conditions,
            share_basis,
            share_scope,
            share_modes,
            open_attribute,
            open_conditions,
            open_grounds,
            update_frequency
        );
        if let Some(k) = &patch.keywords {
            c.keywords = clean_list(k);
        }
        if let Some(v) = patch.collecting_org {
            c.collecting_org = v;
        }
        if let Some(v) = patch.approving_org {
            c.approving_org = v;
        }
        if let Some(v) = &patch.related_codes {
            c.related_codes = clean_list(v);
        }
        let c = self.checked_content(c).await?;
        if c == e.content {
            return Err(ServiceError::invalid("body", "nothing changes"));
        }
        let audit = p.event(
            "catalog.edit",
            format!("catalog_entry:{id}"),
            Outcome::Success,
            json!({"version": e.version + 1, "changed": diff(&e.content, &c).into_iter().map(|d| d.field).collect::<Vec<_>>()}),
        );
        let entry = self
            .store
            .change_entry(
                EntryChange {
                    entry_id: id,
                    expect_state: e.state,
                    new_state: EntryState::Draft,
                    new_content: Some(c),
                    publish_on: None,
                    note: patch.note.unwrap_or_else(|| {
                        if e.state == EntryState::Published {
                            "变更".into()
                        } else {
                            "修改".into()
                        }
                    }),
                    actor: p.name.clone(),
                    open_case: None,
                    close_cases: vec![],
                },
                audit,
            )
            .await
            .map_err(map_state_conflict)?;
        self.entry_view(entry).await
    }

    /// A co-owner consents to the current version (Art. 12).
    pub async fn consent_entry(&self, p: &Principal, id: i64) -> Result<EntryView> {
        let e = self.load_entry(id).await?;
        let tree = self.org_tree().await?;
        let org = e
            .co_owners
            .iter()
            .copied()
            .find(|o| crate::policy::authorize(p, Action::EditCatalog(*o), &tree).is_ok());
        let Some(org) = org else {
            self.authorize(
                p,
                Action::EditCatalog(e.co_owners.first().copied().unwrap_or(-1)),
            )
            .await?;
            return Err(ServiceError::Forbidden(
                "only a co-owner's data administrator consents".into(),
            ));
        };
        let audit = p.event(
            "catalog.consent",
            format!("catalog_entry:{id}"),
            Outcome::Success,
            json!({"version": e.version, "org_id": org}),
        );
        self.store
            .add_consent(id, e.version, org, &p.name, audit)
            .await?;
        self.entry_view(self.load_entry(id).await?).await
    }

    /// Submits for the authority's review (5 working days, Art. 12).
    pub async fn submit_entry(&self, p: &Principal, id: i64) -> Result<EntryView> {
        let e = self.load_entry(id).await?;
        let tree = self.org_tree().await?;
        self.authorize_any(p, &Self::owner_actions(&e, Action::EditCatalog))
            .await?;
        if !matches!(e.state, EntryState::Draft | EntryState::Returned) {
            return Err(transition_error(&e, "submit"));
        }
        let consented = self.store.consents(id, e.version).await?;
        let submitter_orgs: Vec<i64> = p.roles.iter().map(|g| g.org_id).collect();
        let missing: Vec<String> = e
            .co_owners
            .iter()
            .filter(|o| !consented.contains(o) && !submitter_orgs.contains(o))
            .map(|o| {
                tree.get(*o)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| o.to_string())
            })
            .collect();
        // The submitting owner consents by submitting; the others by consenting.
        if !missing.is_empty() {
            return Err(ServiceError::Conflict {
                code: "consent_required",
                detail: format!(
                    "every owner must consent to this version first; missing: {}",
                    missing.join("、")
                ),
            });
        }
        let authority = authority_of(&tree, e.org_id).ok_or_else(|| ServiceError::Conflict {
            code: "no_authority",
            detail: "the entry's level has no data authority to review it".into(),
        })?;
        let today = today_cst();
        let due = CaseKind::CatalogReview.due(&self.calendar(), today)?;
        let audit = p.event(
            "catalog.submit",
            format!("catalog_entry:{id}"),
            Outcome::Success,
            json!({"version": e.version, "review_due": due.to_string()}),
        );
        let entry = self
            .store
            .change_entry(
                EntryChange {
                    entry_id: id,
                    expect_state: e.state,
                    new_state: EntryState::Submitted,
                    new_content: None,
                    publish_on: None,
                    note: String::new(),
                    actor: p.name.clone(),
                    open_case: Some(NewCase {
                        kind: CaseKind::CatalogReview,
                        subject: format!("catalog_entry:{id}"),
                        requester_org: e.org_id,
                        responder_org: authority,
                        opened_on: today,
                        due_on: due,
                        basis: CaseKind::CatalogReview.time_limit().1.into(),
                    }),
                    // Submitting the update answers an update obligation.
                    close_cases: vec![(CaseKind::CatalogUpdate, "submitted".into())],
                },
                audit,
            )
            .await
            .map_err(map_state_conflict)?;
        self.entry_view(entry).await
    }

    /// The authority approves (publishes) or returns a submitted entry.
    pub async fn review_entry(
        &self,
        p: &Principal,
        id: i64,
        req: ReviewInput,
    ) -> Result<EntryView> {
        let e = self.load_entry(id).await?;
        let case = self
            .store
            .list_cases(&CaseFilter {
                subject: Some(format!("catalog_entry:{id}")),
                kind: Some(CaseKind::CatalogReview),
                state: Some(CaseState::Open),
                limit: 1,
                ..Default::default()
            })
            .await?
            .into_iter()
            .next();
        let Some(case) = case.filter(|_| e.state == EntryState::Submitted) else {
            return Err(transition_error(&e, "review"));
        };
        self.authorize(p, Action::ReviewCatalog(case.responder_org))
            .await?;
        let reason = req.reason.trim().to_string();
        let (state, outcome) = match req.decision {
            Decision::Approve => (EntryState::Published, "approved"),
            Decision::Return => {
                if reason.is_empty() {
                    return Err(ServiceError::invalid(
                        "reason",
                        "退回须说明理由 (a return states its reasons)",
                    ));
                }
                (EntryState::Returned, "returned")
            }
        };
        let today = today_cst();
        let audit = p.event(
            "catalog.review",
            format!("catalog_entry:{id}"),
            Outcome::Success,
            json!({"decision": outcome, "reason": reason, "version": e.version, "overdue": today > case.due_on}),
        );
        let entry = self
            .store
            .change_entry(
                EntryChange {
                    entry_id: id,
                    expect_state: EntryState::Submitted,
                    new_state: state,
                    new_content: None,
                    publish_on: (state == EntryState::Published).then_some(today),
                    note: reason,
                    actor: p.name.clone(),
                    open_case: None,
                    close_cases: vec![(CaseKind::CatalogReview, outcome.into())],
                },
                audit,
            )
            .await
            .map_err(map_state_conflict)?;
        self.entry_view(entry).await
    }

    /// Delists (下架) a published entry, with a reason.
    pub async fn delist_entry(
        &self,
        p: &Principal,
        id: i64,
        req: ReasonInput,
    ) -> Result<EntryView> {
        let e = self.load_entry(id).await?;
        self.authorize(p, Action::DelistCatalog(e.org_id)).await?;
        if e.state != EntryState::Published {
            return Err(transition_error(&e, "delist"));
        }
        let reason = req.reason.trim().to_string();
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                "reason",
                "下架须说明理由 (delisting states its reason)",
            ));
        }
        let audit = p.event(
            "catalog.delist",
            format!("catalog_entry:{id}"),
            Outcome::Success,
            json!({"reason": reason}),
        );
        let entry = self
            .store
            .change_entry(
                EntryChange {
                    entry_id: id,
                    expect_state: EntryState::Published,
                    new_state: EntryState::Delisted,
                    new_content: None,
                    publish_on: None,
                    note: reason,
                    actor: p.name.clone(),
                    open_case: None,
                    close_cases: vec![(CaseKind::CatalogUpdate, "delisted".into())],
                },
                audit,
            )
            .await
            .map_err(map_state_conflict)?;
        self.entry_view(entry).await
    }

    /// The authority tells an agency that a legal basis or duty changed: the
    /// agency has 15 working days to update the entry (Art. 12).
    pub async fn open_update_obligation(
        &self,
        p: &Principal,
        id: i64,
        req: ReasonInput,
    ) -> Result<EntryView> {
        let e = self.load_entry(id).await?;
        let tree = self.org_tree().await?;
        let authority = authority_of(&tree, e.org_id).unwrap_or(0);
        self.authorize(p, Action::ReviewCatalog(authority)).await?;
        let basis = req.reason.trim().to_string();
        if basis.is_empty() {
            return Err(ServiceError::invalid(
                "reason",
                "写明变化的法律依据或职责 (state the changed basis or duty)",
            ));
        }
        let open = self
            .store
            .list_cases(&CaseFilter {
                subject: Some(format!("catalog_entry:{id}")),
                kind: Some(CaseKind::CatalogUpdate),
                state: Some(CaseState::Open),
                limit: 1,
                ..Default::default()
            })
            .await?;
        if !open.is_empty() {
            return Err(ServiceError::Conflict {
                code: "case_open",
                detail: "an update obligation is already open on this entry".into(),
            });
        }
        let today = today_cst();
        let due = CaseKind::CatalogUpdate.due(&self.calendar(), today)?;
        let audit = p.event(
            "catalog.update_obligation",
            format!("catalog_entry:{id}"),
            Outcome::Success,
            json!({"basis": basis, "due": due.to_string()}),
        );
        self.store
            .open_case(
                NewCase {
                    kind: CaseKind::CatalogUpdate,
                    subject: format!("catalog_entry:{id}"),
                    requester_org: if authority == 0 { e.org_id } else { authority },
                    responder_org: e.org_id,
                    opened_on: today,
                    due_on: due,
                    basis,
                },
                &p.name,
                audit,
            )
            .await?;
        self.entry_view(e).await
    }

    /// Open cases the caller's organisations must answer, soonest due first.
    pub async fn pending_cases(&self, p: &Principal) -> Result<Vec<CaseView>> {
        self.open_cases(p, true).await
    }

    /// Open cases the caller's organisations asked of others, soonest due first.
    pub async fn outgoing_cases(&self, p: &Principal) -> Result<Vec<CaseView>> {
        self.open_cases(p, false).await
    }

    async fn open_cases(&self, p: &Principal, answering: bool) -> Result<Vec<CaseView>> {
        let orgs: Vec<i64> = p
            .roles
            .iter()
            .map(|g| g.org_id)
            .chain(p.org_id())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut cases = Vec::new();
        if answering {
            cases = self
                .store
                .list_cases(&CaseFilter {
                    responder_orgs: Some(orgs),
                    state: Some(CaseState::Open),
                    limit: 200,
                    ..Default::default()
                })
                .await?;
        } else {
            for org in orgs {
                cases.extend(
                    self.store
                        .list_cases(&CaseFilter {
                            requester_org: Some(org),
                            state: Some(CaseState::Open),
                            limit: 200,
                            ..Default::default()
                        })
                        .await?,
                );
            }
            cases.sort_by_key(|c| (c.due_on, c.id));
        }
        let cal = self.calendar();
        let today = today_cst();
        Ok(cases
            .into_iter()
            .map(|case| CaseView {
                deadline: Some(deadline_status(&cal, case.due_on, today)),
                case,
            })
            .collect())
    }

    /// The deadline sweep: records every open case that passed its due date
    /// (once each), so overdue cases reach supervision without anyone
    /// opening them. Runs periodically in `serve`.
    pub async fn sweep_deadlines(&self) -> Result<Vec<Case>> {
        Ok(self.store.mark_overdue(today_cst()).await?)
    }

    /// The authority's review queue: open catalogue reviews it must answer.
    pub async fn review_queue(&self, p: &Principal) -> Result<Vec<(CaseView, CatalogEntry)>> {
        let tree = self.org_tree().await?;
        let authorities: Vec<i64> = tree
            .walk()
            .into_iter()
            .filter(|(_, o)| o.kind == OrgKind::Authority)
            .map(|(_, o)| o.id)
            .filter(|a| crate::policy::authorize(p, Action::ReviewCatalog(*a), &tree).is_ok())
            .collect();
        if authorities.is_empty() {
            self.authorize(p, Action::ReviewCatalog(-1)).await?;
        }
        let cases = self
            .store
            .list_cases(&CaseFilter {
                responder_orgs: Some(authorities),
                kind: Some(CaseKind::CatalogReview),
                state: Some(CaseState::Open),
                limit: 500,
                ..Default::default()
            })
            .await?;
        let cal = self.calendar();
        let today = today_cst();
        let mut out = Vec::new();
        for case in cases {
            let id: i64 = case
                .subject
                .trim_start_matches("catalog_entry:")
                .parse()
                .unwrap_or(0);
            if let Ok(e) = self.store.get_entry(id).await {
                out.push((
                    CaseView {
                        deadline: Some(deadline_status(&cal, case.due_on, today)),
                        case,
                    },
                    e,
                ));
            }
        }
        Ok(out)
    }
}

fn clean_ids(v: &[i64]) -> Vec<i64> {
    v.iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::<i64>::deserialize(d)?))
}
