//! Cases with deadlines (shape 1): what each side must answer, and the
//! deadline sweep that records overdue cases for supervision.

use std::collections::BTreeSet;

use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseState, DeadlineStatus, deadline_status};
use pubdata_store::{Case, CaseFilter};
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
}
