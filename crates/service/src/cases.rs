//! Cases with deadlines (shape 1): what each side must answer, and the
//! deadline sweep that records overdue cases for supervision.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use pubdata_domain::calendar::{Calendar, today_cst};
use pubdata_domain::case::{CaseState, CaseSubject, DeadlineStatus, deadline_status};
use pubdata_store::{Case, CaseFilter, CatalogEntry};
use serde::Serialize;

use crate::App;
use crate::error::Result;
use crate::principal::Principal;

/// A case as shown to people: with where it stands against its deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    /// Present while the case is open.
    pub deadline: Option<DeadlineStatus>,
    /// What the case is about, for people (an entry's code and name).
    pub subject_title: Option<String>,
    /// The page of the subject.
    pub subject_link: Option<String>,
}

impl CaseView {
    /// A case whose subject (the catalogue entry, when it is one) is at
    /// hand, with its deadline status on `today` while open.
    pub(crate) fn new(
        case: Case,
        entry: Option<&CatalogEntry>,
        cal: &Calendar,
        today: NaiveDate,
    ) -> CaseView {
        let subject: Option<CaseSubject> = case.subject.parse().ok();
        CaseView {
            deadline: (case.state == CaseState::Open)
                .then(|| deadline_status(cal, case.due_on, today)),
            subject_title: entry.map(|e| format!("{} {}", e.code, e.content.name)),
            subject_link: subject.map(CaseSubject::link),
            case,
        }
    }
}

impl App {
    /// Open cases the caller's organisations must answer, soonest due first.
    pub async fn pending_cases(&self, p: &Principal) -> Result<Vec<CaseView>> {
        self.open_cases(p, true).await
    }

    /// Open cases the caller's organisations asked of others, soonest due first.
    pub async fn outgoing_cases(&self, p: &Principal) -> Result<Vec<CaseView>> {
        self.open_cases(p, false).await
    }

    pub(crate) async fn open_cases(&self, p: &Principal, answering: bool) -> Result<Vec<CaseView>> {
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
                    responder_orgs: Some(orgs.clone()),
                    state: Some(CaseState::Open),
                    limit: 200,
                    ..Default::default()
                })
                .await?;
            // A dispute's stage case shows on both parties' and the
            // handling authority's dashboards, whoever answers it.
            for c in self.dispute_cases(&orgs).await? {
                if !cases.iter().any(|k| k.id == c.id) {
                    cases.push(c);
                }
            }
            cases.sort_by_key(|c| (c.due_on, c.id));
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
            // An open data application is the applicant's, not its
            // organisation's (a person has none): its case shows on the
            // applicant's dashboard only.
            cases.retain(|c| c.kind != pubdata_domain::case::CaseKind::OpenApplication);
            if p.user_id.is_some() {
                let mine = self
                    .store
                    .list_open_applications(&pubdata_store::OpenApplicationFilter {
                        applicant: Some(p.name.clone()),
                        state: Some(pubdata_domain::open::ApplicationState::Pending),
                        limit: 200,
                        ..Default::default()
                    })
                    .await?;
                for a in mine {
                    cases.extend(
                        self.store
                            .list_cases(&CaseFilter {
                                subject: Some(CaseSubject::OpenApplication(a.id).to_string()),
                                state: Some(CaseState::Open),
                                limit: 1,
                                ..Default::default()
                            })
                            .await?,
                    );
                }
            }
            cases.sort_by_key(|c| (c.due_on, c.id));
        }
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            out.push(self.case_view(case).await?);
        }
        Ok(out)
    }

    /// A case with its deadline status (while open) and its subject's title.
    pub(crate) async fn case_view(&self, case: Case) -> Result<CaseView> {
        let subject = case.subject.parse().ok();
        let entry_id = match subject {
            Some(CaseSubject::CatalogEntry(id)) => Some(id),
            Some(CaseSubject::ShareRequest(id)) => match self.store.get_share_request(id).await {
                Ok(r) => Some(r.entry_id),
                Err(pubdata_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            Some(CaseSubject::OpenApplication(id)) => {
                match self.store.get_open_application(id).await {
                    Ok(a) => Some(a.entry_id),
                    Err(pubdata_store::StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            Some(CaseSubject::OpenProposal(id)) => match self.store.get_open_proposal(id).await {
                Ok(p) => Some(p.entry_id),
                Err(pubdata_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            Some(
                CaseSubject::DataDemand(_)
                | CaseSubject::Objection(_)
                | CaseSubject::Dispute(_)
                | CaseSubject::OperationArrangement(_),
            )
            | None => None,
        };
        let entry = match entry_id {
            Some(id) => match self.store.get_entry(id).await {
                Ok(e) => Some(e),
                Err(pubdata_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let mut view = CaseView::new(case, entry.as_ref(), &self.calendar(), today_cst());
        if let Some(CaseSubject::DataDemand(id)) = subject
            && let Ok(d) = self.store.get_data_demand(id).await
        {
            view.subject_title = Some(d.description.chars().take(40).collect());
        }
        if let Some(CaseSubject::Objection(id)) = subject
            && let Ok(o) = self.store.get_objection(id).await
        {
            view.subject_title = Some(o.description.chars().take(40).collect());
        }
        if let Some(CaseSubject::Dispute(id)) = subject
            && let Ok(d) = self.store.get_dispute(id).await
        {
            view.subject_title = Some(d.title.chars().take(40).collect());
        }
        Ok(view)
    }

    /// The deadline sweep: records every open case that passed its due date
    /// (once each), so overdue cases reach supervision without anyone
    /// opening them. Runs periodically in `serve`.
    pub async fn sweep_deadlines(&self) -> Result<Vec<Case>> {
        Ok(self.store.mark_overdue(today_cst()).await?)
    }
}
