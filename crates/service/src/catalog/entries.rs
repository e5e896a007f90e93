//! Catalogue entries: create, show, list, versions and diffs, edit.

use std::collections::BTreeSet;

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, CaseState, CaseSubject};
use pubdata_domain::catalog::{EntryContent, EntryState, OpenAttribute, diff};
use pubdata_domain::org::OrgKind;
use pubdata_store::{
    CaseFilter, CatalogEntry, EntryChange, EntryFilter, EntryVersion, GrantFilter, NewEntry,
};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

use super::*;

impl App {
    pub(crate) async fn checked_content(&self, content: EntryContent) -> Result<EntryContent> {
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

    /// Art. 37: data an agency obtained by sharing does not enter its own
    /// open catalogue. An entry of `org` that is open (有条件 or 无条件) is
    /// refused (422 `shared_data_not_openable`) when it names as related an
    /// entry another agency shares with `org` under a grant, or lists a
    /// field `org` was granted whose registered source (数据项来源) is
    /// that agency.
    pub(crate) async fn refuse_shared_data_in_open(
        &self,
        org: i64,
        content: &EntryContent,
    ) -> Result<()> {
        if content.open_attribute == OpenAttribute::None {
            return Ok(());
        }
        let grants = self
            .store
            .list_grants(&GrantFilter {
                grantee_orgs: Some(vec![org]),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let mut found: Vec<String> = Vec::new();
        for g in grants.iter().filter(|g| g.source_org != org) {
            let shared = self.load_entry(g.entry_id).await?;
            if content.related_codes.contains(&shared.code) {
                found.push(format!(
                    "关联资源「{}」（{}）经共享授权 {} 获得",
                    shared.content.name, shared.code, g.id
                ));
            }
            for item in content.items.iter().filter(|i| g.fields.contains(&i.name)) {
                let source = self.store.get_data_item(&item.name).await?;
                if source.is_some_and(|s| s.source_org == g.source_org)
                    && !found
                        .iter()
                        .any(|f| f.starts_with(&format!("信息项「{}」", item.name)))
                {
                    found.push(format!(
                        "信息项「{}」来源于其他部门，经共享授权 {} 获得",
                        item.name, g.id
                    ));
                }
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        Err(ServiceError::Invalid {
            code: "shared_data_not_openable",
            detail: format!(
                "通过共享获得的数据不得纳入本机构开放目录（第三十七条）(data obtained by sharing cannot enter the agency's own open catalogue, Art. 37): {}",
                found.join("；")
            ),
            errors: vec![crate::error::FieldError {
                field: "open_attribute".into(),
                message: found.join("；"),
            }],
        })
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
            open_clauses: clean_clauses(req.open_clauses),
            open_conditions: req.open_conditions.trim().to_string(),
            open_grounds: req.open_grounds.trim().to_string(),
            open_basis: req.open_basis.trim().to_string(),
            update_frequency: req.update_frequency,
            keywords: clean_list(&req.keywords),
            collecting_org: req.collecting_org,
            approving_org: req.approving_org,
            related_codes: clean_list(&req.related_codes),
        };
        let content = self.checked_content(content).await?;
        self.refuse_shared_data_in_open(org, &content).await?;
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

    pub(crate) async fn entry_view(&self, entry: CatalogEntry) -> Result<EntryView> {
        let tree = self.org_tree().await?;
        let cal = self.calendar();
        let today = today_cst();
        let cases = self
            .store
            .list_cases(&CaseFilter {
                subject: Some(CaseSubject::CatalogEntry(entry.id).to_string()),
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
                .map(|case| CaseView::new(case, Some(&entry), &cal, today))
                .collect(),
            consent_missing,
            entry,
        })
    }

    pub(crate) async fn load_entry(&self, id: i64) -> Result<CatalogEntry> {
        self.store
            .get_entry(id)
            .await
            .map_err(ServiceError::not_found("catalogue entry"))
    }

    /// Owners (providing agency and co-owners) of an entry, as actions.
    pub(crate) fn owner_actions(e: &CatalogEntry, make: fn(i64) -> Action) -> Vec<Action> {
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
        f.synonyms = self.search_synonyms().await?.to_vec();
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
            open_basis,
            update_frequency
        );
        if let Some(v) = patch.open_clauses.clone() {
            c.open_clauses = clean_clauses(v);
        }
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
        self.refuse_shared_data_in_open(e.org_id, &c).await?;
        if c == e.content {
            return Err(ServiceError::invalid("body", "nothing changes"));
        }
        let audit = p.event(
            "catalog.edit",
            CaseSubject::CatalogEntry(id).to_string(),
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
                    file_with: None,
                },
                audit,
            )
            .await
            .map_err(map_state_conflict)?;
        self.entry_view(entry).await
    }
}
