//! The entry lifecycle (Art. 12–14): consent, submit, review, delist and
//! update obligations, each a step on a case with a deadline.

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, CaseState, CaseSubject};
use pubdata_domain::catalog::EntryState;
use pubdata_domain::org::OrgKind;
use pubdata_store::{CaseFilter, CatalogEntry, EntryChange, NewCase};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;

use super::*;

impl App {
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
            CaseSubject::CatalogEntry(id).to_string(),
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
        // Art. 33, 34 last paragraphs: a not-open or conditionally open
        // attribute is filed with the authority on publication, with the
        // agency's basis (依据).
        // For not-open data the grounds (不予开放理由, required by Art. 33)
        // are the basis when no separate basis is given.
        let c = &e.content;
        let basis_missing = match c.open_attribute {
            pubdata_domain::catalog::OpenAttribute::Unconditional => false,
            pubdata_domain::catalog::OpenAttribute::Conditional => c.open_basis.trim().is_empty(),
            pubdata_domain::catalog::OpenAttribute::None => {
                c.open_basis.trim().is_empty() && c.open_grounds.trim().is_empty()
            }
        };
        if basis_missing {
            return Err(ServiceError::invalid(
                "open_basis",
                "不予开放或有条件开放须向本级公共数据主管部门提供依据（第三十三条、第三十四条）(a not-open or conditionally open attribute gives the authority its basis, Art. 33, 34)",
            ));
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
            CaseSubject::CatalogEntry(id).to_string(),
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
                        subject: CaseSubject::CatalogEntry(id).to_string(),
                        requester_org: e.org_id,
                        responder_org: authority,
                        opened_on: today,
                        due_on: due,
                        basis: CaseKind::CatalogReview.time_limit().1.into(),
                    }),
                    // Submitting the update answers an update obligation.
                    close_cases: vec![(CaseKind::CatalogUpdate, "submitted".into())],
                    file_with: None,
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
                subject: Some(CaseSubject::CatalogEntry(id).to_string()),
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
            Decision::Approve => {
                // Publishing an open entry opens its data: 保密审查 first,
                // when its grade requires one.
                self.review_before_opening(p, &e, CaseSubject::CatalogEntry(id).to_string())
                    .await?;
                (EntryState::Published, "approved")
            }
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
            CaseSubject::CatalogEntry(id).to_string(),
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
                    // Publishing files a not-open or conditional attribute
                    // with the reviewing authority (Art. 33, 34).
                    file_with: Some(case.responder_org),
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
            CaseSubject::CatalogEntry(id).to_string(),
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
                    file_with: None,
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
                subject: Some(CaseSubject::CatalogEntry(id).to_string()),
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
            CaseSubject::CatalogEntry(id).to_string(),
            Outcome::Success,
            json!({"basis": basis, "due": due.to_string()}),
        );
        self.store
            .open_case(
                NewCase {
                    kind: CaseKind::CatalogUpdate,
                    subject: CaseSubject::CatalogEntry(id).to_string(),
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
        let (cal, today) = (self.calendar(), today_cst());
        let mut out = Vec::new();
        for case in cases {
            let id = case.subject.parse().ok().and_then(CaseSubject::entry_id);
            if let Some(id) = id
                && let Ok(e) = self.store.get_entry(id).await
            {
                out.push((CaseView::new(case, Some(&e), &cal, today), e));
            }
        }
        Ok(out)
    }
}
