//! Demands for data not in the catalogue (目录外数据需求, SHR-5, Art. 24):
//! an agency asks a chosen source department, which confirms within 5
//! working days whether the data can be shared (a refusal cites its basis);
//! shareable data is catalogued, the new entry linked to the demand, and
//! then requested and shared like any other.

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::catalog::EntryState;
use pubdata_domain::org::OrgKind;
use pubdata_domain::share::DemandState;
use pubdata_store::{DataDemand, DemandStep, NewCase, NewDataDemand, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// A demand as an agency files it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    /// The source department asked to confirm.
    pub source_org: i64,
    /// What data is wanted.
    pub description: String,
    /// The data items wanted (at least one).
    pub items: Vec<String>,
    pub scenario: String,
    pub purpose: String,
}

/// The source department's answer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandAnswer {
    pub shareable: bool,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    pub answer: String,
    /// Required when not shareable: the law, regulation or rule.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    pub basis: String,
    /// The published entry the data is catalogued as, if already done.
    #[serde(default)]
    pub entry_id: Option<i64>,
}

/// A demand as people see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DemandView {
    #[serde(flatten)]
    pub demand: DataDemand,
    pub requester_name: String,
    pub source_name: String,
    pub entry_name: Option<String>,
    /// While pending: the confirmation deadline (5 working days).
    pub deadline: Option<DeadlineStatus>,
}

fn conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict { .. } => ServiceError::Conflict {
            code: "demand_state",
            detail: "the demand was answered meanwhile, or is not in a state for this step".into(),
        },
        e => e.into(),
    }
}

impl App {
    /// Files a demand with a chosen source department: a case due in 5 working days.
    pub async fn file_demand(&self, p: &Principal, d: DemandInput) -> Result<DemandView> {
        let org = p.org_id().ok_or_else(|| {
            ServiceError::Forbidden("a demand is made for an organisation".into())
        })?;
        self.authorize(p, Action::RequestShare(org)).await?;
        let tree = self.org_tree().await?;
        if tree.kind(d.source_org) != Some(OrgKind::Agency) {
            return Err(ServiceError::invalid(
                "source_org",
                "choose a public agency",
            ));
        }
        if d.source_org == org {
            return Err(ServiceError::invalid(
                "source_org",
                "choose another organisation",
            ));
        }
        let items: Vec<String> = d
            .items
            .iter()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect();
        if items.is_empty() || items.len() > 100 || items.iter().any(|i| i.chars().count() > 100) {
            return Err(ServiceError::invalid(
                "items",
                "1 to 100 data items of up to 100 characters",
            ));
        }
        let today = today_cst();
        let case = NewCase {
            kind: CaseKind::DataDemand,
            subject: String::new(),
            requester_org: org,
            responder_org: d.source_org,
            opened_on: today,
            due_on: CaseKind::DataDemand.due(&self.calendar(), today)?,
            basis: CaseKind::DataDemand.time_limit().1.into(),
        };
        let new = NewDataDemand {
            requester_org: org,
            source_org: d.source_org,
            requested_by: p.name.clone(),
            description: required_text("description", &d.description, 2000)?,
            items,
            scenario: required_text("scenario", &d.scenario, 500)?,
            purpose: required_text("purpose", &d.purpose, 1000)?,
        };
        let event = p.event(
            "demand.file",
            "data_demand:new",
            Outcome::Success,
            json!({"source": d.source_org, "items": new.items}),
        );
        let demand = self.store.create_data_demand(new, case, event).await?;
        self.demand_view(demand).await
    }

    async fn demand_of(&self, id: i64) -> Result<DataDemand> {
        self.store
            .get_data_demand(id)
            .await
            .map_err(ServiceError::not_found("data demand"))
    }

    /// The entry a demand is catalogued as: published, of the source department.
    async fn demand_entry(&self, d: &DataDemand, entry_id: i64) -> Result<i64> {
        let e = self
            .store
            .get_entry(entry_id)
            .await
            .map_err(|_| ServiceError::invalid("entry_id", "no such catalogue entry"))?;
        if e.org_id != d.source_org
            || e.published_version.is_none()
            || e.state == EntryState::Delisted
        {
            return Err(ServiceError::invalid(
                "entry_id",
                "a published entry of the source department",
            ));
        }
        Ok(e.id)
    }

    /// The source department confirms: shareable (and, once catalogued, the
    /// entry) or not, citing the basis. Late answers are allowed and recorded.
    pub async fn answer_demand(
        &self,
        p: &Principal,
        id: i64,
        a: DemandAnswer,
    ) -> Result<DemandView> {
        let d = self.demand_of(id).await?;
        self.authorize(p, Action::DecideShare(d.source_org)).await?;
        let basis = a.basis.trim().to_string();
        if !a.shareable && basis.is_empty() {
            return Err(ServiceError::Invalid {
                code: "basis_required",
                detail: "data that cannot be shared needs the law, regulation or rule".into(),
                errors: vec![crate::FieldError {
                    field: "basis".into(),
                    message: "cite the law, regulation or rule".into(),
                }],
            });
        }
        let entry_id = match a.entry_id {
            Some(e) if a.shareable => Some(self.demand_entry(&d, e).await?),
            _ => None,
        };
        let to = match (a.shareable, entry_id) {
            (false, _) => DemandState::Refused,
            (true, None) => DemandState::Confirmed,
            (true, Some(_)) => DemandState::Catalogued,
        };
        let late = today_cst() > d.answer_due;
        let event = p.event(
            "demand.answer",
            format!("data_demand:{id}"),
            Outcome::Success,
            json!({"to": to.as_str(), "basis": basis, "entry": entry_id, "late": late}),
        );
        let step = DemandStep {
            id,
            from: vec![DemandState::Pending],
            to,
            answer: a.answer.trim().to_string(),
            basis,
            entry_id,
            actor: p.name.clone(),
        };
        let d = self
            .store
            .step_data_demand(step, event)
            .await
            .map_err(conflict)?;
        self.demand_view(d).await
    }

    /// Links a confirmed demand to the entry its data was catalogued as.
    pub async fn link_demand(&self, p: &Principal, id: i64, entry_id: i64) -> Result<DemandView> {
        let d = self.demand_of(id).await?;
        self.authorize(p, Action::DecideShare(d.source_org)).await?;
        let entry_id = self.demand_entry(&d, entry_id).await?;
        let event = p.event(
            "demand.catalogued",
            format!("data_demand:{id}"),
            Outcome::Success,
            json!({"entry": entry_id}),
        );
        let step = DemandStep {
            id,
            from: vec![DemandState::Confirmed],
            to: DemandState::Catalogued,
            answer: d.answer.clone(),
            basis: d.basis.clone(),
            entry_id: Some(entry_id),
            actor: p.name.clone(),
        };
        let d = self
            .store
            .step_data_demand(step, event)
            .await
            .map_err(conflict)?;
        self.demand_view(d).await
    }

    /// One demand, for its two sides and supervisors.
    pub async fn data_demand(&self, p: &Principal, id: i64) -> Result<DemandView> {
        let d = self.demand_of(id).await?;
        self.authorize(
            p,
            Action::ViewShare {
                requester: d.requester_org,
                source: d.source_org,
            },
        )
        .await?;
        self.demand_view(d).await
    }

    /// Demands made by (`made`) or of the caller's organisations, newest first.
    pub async fn data_demands(
        &self,
        p: &Principal,
        made: bool,
        limit: u32,
    ) -> Result<Vec<DemandView>> {
        let found = self
            .store
            .list_data_demands(&Self::own_orgs(p), made, limit)
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for d in found {
            out.push(self.demand_view(d).await?);
        }
        Ok(out)
    }

    pub(crate) async fn demand_view(&self, d: DataDemand) -> Result<DemandView> {
        let entry_name = match d.entry_id {
            Some(id) => Some(self.store.get_entry(id).await?.content.name),
            None => None,
        };
        Ok(DemandView {
            requester_name: self.org_name(d.requester_org).await?,
            source_name: self.org_name(d.source_org).await?,
            entry_name,
            deadline: (d.state == DemandState::Pending)
                .then(|| deadline_status(&self.calendar(), d.answer_due, today_cst())),
            demand: d,
        })
    }
}
