//! Procurement of social data (社会数据统一采购, 统采共用, COL-3, Art. 17).
//!
//! Data the platform cannot provide and that must be bought from society —
//! video, IoT sensing, maps, low-altitude remote-sensing imagery and the
//! like — is procured once for all. The demanding agency (需求部门) files a
//! demand (需求方案: kind, description, justification, estimated budget)
//! with the data authority of its level; the authority evaluates it — a
//! case `CaseKind::ProcurementEvaluation` due in 15 working days (Art. 17
//! sets no limit: a platform default, `procurement::EVALUATION_DAYS`) — and
//! approves it or refuses it with a reason. For an approved demand the
//! authority records the unified procurement (统一采购记录): supplier,
//! contract number, amount, term, and the catalogue entry under which the
//! purchased data is catalogued, so it is shared like any other (Art. 17
//! second paragraph). The demand's page shows that entry's catalogued,
//! aggregated and shared checks — the same ones an IT project's compliance
//! report uses ([`crate::projects`]).

use chrono::{Datelike, NaiveDate};
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::procurement::{EvaluationDecision, ProcurementState, PurchaseKind};
use pubdata_store::{
    NewCase, NewProcurementDemand, NewProcurementRecord, ProcurementDemand, ProcurementRecord,
    StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::projects::CheckOutcome;
use crate::sharing::required_text;

/// Amounts (fen) accepted: 0 to ten trillion yuan.
const MAX_FEN: i64 = 1_000_000_000_000_000;

/// A demand as the agency files it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcurementDemandInput {
    /// The demanding agency; the caller's organisation when absent.
    #[serde(default)]
    pub agency_org: Option<i64>,
    pub kind: PurchaseKind,
    pub title: String,
    /// The demand (需求方案): what data, what coverage, what for.
    pub description: String,
    /// Why the data cannot be had through the platform.
    pub justification: String,
    /// Estimated budget in fen (分), 0 or more.
    pub budget_fen: i64,
}

/// The authority's evaluation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcurementEvaluation {
    pub decision: EvaluationDecision,
    /// Required when refusing.
    #[serde(default)]
    pub reason: String,
}

/// The unified procurement as the authority records it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcurementRecordInput {
    /// The supplier (供应商).
    pub supplier: String,
    /// The contract number (合同编号).
    pub contract_no: String,
    /// The contract amount in fen (分), 0 or more.
    pub amount_fen: i64,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
    /// The catalogue entry of the demanding agency under which the
    /// purchased data is catalogued.
    pub entry_id: i64,
}

/// A procurement record with its catalogue entry's state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcurementRecordView {
    #[serde(flatten)]
    pub record: ProcurementRecord,
    pub entry_code: String,
    pub entry_name: String,
    /// The entry catalogued, aggregated and shared, as the records say now.
    pub entry_checks: Vec<CheckOutcome>,
}

/// A demand with names, its deadline and its procurement record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcurementDemandView {
    #[serde(flatten)]
    pub demand: ProcurementDemand,
    pub agency_name: String,
    pub authority_name: String,
    /// While under evaluation: where it stands against its working days.
    pub deadline: Option<DeadlineStatus>,
    pub record: Option<ProcurementRecordView>,
}

fn state_conflict(e: StoreError, detail: &str) -> ServiceError {
    match e {
        StoreError::Conflict { .. } => ServiceError::Conflict {
            code: "procurement_state",
            detail: detail.into(),
        },
        e => e.into(),
    }
}

fn amount(field: &str, v: i64) -> Result<i64> {
    if !(0..=MAX_FEN).contains(&v) {
        return Err(ServiceError::invalid(field, "0 or more fen"));
    }
    Ok(v)
}

fn sensible_date(field: &str, d: NaiveDate) -> Result<()> {
    if !(1990..=2100).contains(&d.year()) {
        return Err(ServiceError::invalid(field, "a date between 1990 and 2100"));
    }
    Ok(())
}

impl App {
    async fn sees_procurement(&self, p: &Principal, d: &ProcurementDemand) -> bool {
        Self::acts_for(p, d.agency_org)
            || Self::acts_for(p, d.authority_org)
            || self
                .can(p, Action::ManageDigitalProjects(d.agency_org))
                .await
            || self
                .can(p, Action::ReviewDigitalProjects(d.agency_org))
                .await
            || self.can(p, Action::ReadAudit).await
    }

    async fn visible_procurement_demand(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<ProcurementDemand> {
        let d = self
            .store
            .get_procurement_demand(id)
            .await
            .map_err(ServiceError::not_found("procurement demand"))?;
        if self.sees_procurement(p, &d).await {
            return Ok(d);
        }
        self.authorize(p, Action::ManageDigitalProjects(d.agency_org))
            .await?;
        Ok(d)
    }

    async fn procurement_view(&self, d: ProcurementDemand) -> Result<ProcurementDemandView> {
        let tree = self.org_tree().await?;
        let name = |id: i64| tree.get(id).map(|o| o.name.clone()).unwrap_or_default();
        let deadline = (d.state == ProcurementState::Evaluating)
            .then(|| deadline_status(&self.calendar(), d.due_on, today_cst()));
        let record = match self.store.procurement_record(d.id).await? {
            Some(record) => {
                let (entry_code, entry_name, entry_checks) =
                    match self.store.get_entry(record.entry_id).await {
                        Ok(e) => {
                            let checks = self.check_entry(&e).await?;
                            (e.code, e.content.name, checks.to_vec())
                        }
                        Err(StoreError::NotFound) => {
                            (String::new(), format!("#{}", record.entry_id), vec![])
                        }
                        Err(e) => return Err(e.into()),
                    };
                Some(ProcurementRecordView {
                    record,
                    entry_code,
                    entry_name,
                    entry_checks,
                })
            }
            None => None,
        };
        Ok(ProcurementDemandView {
            agency_name: name(d.agency_org),
            authority_name: name(d.authority_org),
            deadline,
            record,
            demand: d,
        })
    }

    /// Files a demand for purchased social data with the data authority of
    /// the agency's level; opens its evaluation case.
    pub async fn file_procurement_demand(
        &self,
        p: &Principal,
        input: ProcurementDemandInput,
    ) -> Result<ProcurementDemandView> {
        let agency = input
            .agency_org
            .or(p.org_id())
            .ok_or_else(|| ServiceError::invalid("agency_org", "name the demanding agency"))?;
        self.authorize(p, Action::ManageDigitalProjects(agency))
            .await?;
        let title = required_text("title", &input.title, 200)?;
        let description = required_text("description", &input.description, 4000)?;
        let justification = required_text("justification", &input.justification, 4000)?;
        let budget_fen = amount("budget_fen", input.budget_fen)?;
        let tree = self.org_tree().await?;
        let authority = tree
            .region_of(agency)
            .and_then(|r| tree.authority_of(r))
            .ok_or_else(|| {
                ServiceError::invalid("agency_org", "no data authority at the agency's level")
            })?;
        let today = today_cst();
        let (_, article) = CaseKind::ProcurementEvaluation.time_limit();
        let case = NewCase {
            kind: CaseKind::ProcurementEvaluation,
            subject: String::new(),
            requester_org: agency,
            responder_org: authority,
            opened_on: today,
            due_on: CaseKind::ProcurementEvaluation.due(&self.calendar(), today)?,
            basis: article.into(),
        };
        let event = p.event(
            "procurement.demand.file",
            "procurement_demand",
            Outcome::Success,
            json!({"kind": input.kind.as_str(), "budget_fen": budget_fen, "authority": authority}),
        );
        let d = self
            .store
            .create_procurement_demand(
                NewProcurementDemand {
                    agency_org: agency,
                    authority_org: authority,
                    kind: input.kind,
                    title,
                    description,
                    justification,
                    budget_fen,
                    created_by: p.name.clone(),
                    case,
                },
                event,
            )
            .await?;
        self.procurement_view(d).await
    }

    /// The demands the caller may see, newest first.
    pub async fn procurement_demands(&self, p: &Principal) -> Result<Vec<ProcurementDemandView>> {
        if p.user_id.is_none() && p.org_id().is_none() {
            return Err(ServiceError::Unauthenticated);
        }
        let mut out = Vec::new();
        for d in self.store.list_procurement_demands(None).await? {
            if self.sees_procurement(p, &d).await {
                out.push(self.procurement_view(d).await?);
            }
        }
        Ok(out)
    }

    pub async fn procurement_demand(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<ProcurementDemandView> {
        let d = self.visible_procurement_demand(p, id).await?;
        self.procurement_view(d).await
    }

    /// The authority of the agency's level approves or refuses (with a
    /// reason) a demand under evaluation; the case closes.
    pub async fn evaluate_procurement_demand(
        &self,
        p: &Principal,
        id: i64,
        input: ProcurementEvaluation,
    ) -> Result<ProcurementDemandView> {
        let d = self.visible_procurement_demand(p, id).await?;
        self.authorize(p, Action::ReviewDigitalProjects(d.agency_org))
            .await?;
        let reason = match input.decision {
            EvaluationDecision::Refuse => Some(required_text("reason", &input.reason, 2000)?),
            EvaluationDecision::Approve => {
                let r = input.reason.trim();
                if r.chars().count() > 2000 {
                    return Err(ServiceError::invalid("reason", "at most 2000 characters"));
                }
                Some(r.to_string()).filter(|r| !r.is_empty())
            }
        };
        let to = match input.decision {
            EvaluationDecision::Approve => ProcurementState::Approved,
            EvaluationDecision::Refuse => ProcurementState::Refused,
        };
        let event = p.event(
            "procurement.demand.evaluate",
            format!("procurement_demand:{id}"),
            Outcome::Success,
            json!({"decision": input.decision.as_str(), "reason": reason}),
        );
        let d = self
            .store
            .evaluate_procurement_demand(id, to, reason.as_deref(), &p.name, event)
            .await
            .map_err(|e| state_conflict(e, "only a demand under evaluation is evaluated"))?;
        self.procurement_view(d).await
    }

    /// The authority records the unified procurement of an approved demand,
    /// naming the demanding agency's catalogue entry for the purchased data.
    pub async fn record_procurement(
        &self,
        p: &Principal,
        id: i64,
        input: ProcurementRecordInput,
    ) -> Result<ProcurementDemandView> {
        let d = self.visible_procurement_demand(p, id).await?;
        self.authorize(p, Action::ReviewDigitalProjects(d.agency_org))
            .await?;
        if d.state != ProcurementState::Approved {
            return Err(ServiceError::Conflict {
                code: "procurement_state",
                detail: "the procurement is recorded for an approved demand, once".into(),
            });
        }
        let supplier = required_text("supplier", &input.supplier, 200)?;
        let contract_no = required_text("contract_no", &input.contract_no, 100)?;
        let amount_fen = amount("amount_fen", input.amount_fen)?;
        sensible_date("term_from", input.term_from)?;
        sensible_date("term_to", input.term_to)?;
        if input.term_to < input.term_from {
            return Err(ServiceError::invalid(
                "term_to",
                "the term ends before it begins",
            ));
        }
        let entry = match self.store.get_entry(input.entry_id).await {
            Ok(e) => e,
            Err(StoreError::NotFound) => {
                return Err(ServiceError::invalid("entry_id", "no such catalogue entry"));
            }
            Err(e) => return Err(e.into()),
        };
        if entry.org_id != d.agency_org && !entry.co_owners.contains(&d.agency_org) {
            return Err(ServiceError::invalid(
                "entry_id",
                "the purchased data is catalogued by the demanding agency",
            ));
        }
        let recorded_org = if Self::acts_for(p, d.authority_org) {
            d.authority_org
        } else {
            p.org_id().unwrap_or(d.authority_org)
        };
        let event = p.event(
            "procurement.record",
            format!("procurement_demand:{id}"),
            Outcome::Success,
            json!({"supplier": supplier, "contract_no": contract_no,
                   "amount_fen": amount_fen, "entry": entry.id}),
        );
        self.store
            .record_procurement(
                NewProcurementRecord {
                    demand_id: id,
                    supplier,
                    contract_no,
                    amount_fen,
                    term_from: input.term_from,
                    term_to: input.term_to,
                    entry_id: entry.id,
                    recorded_by: p.name.clone(),
                    recorded_org,
                },
                event,
            )
            .await
            .map_err(|e| {
                state_conflict(
                    e,
                    "the procurement is recorded for an approved demand, once",
                )
            })?;
        let d = self.visible_procurement_demand(p, id).await?;
        self.procurement_view(d).await
    }

    /// The demanding agency's entries a record may name: (id, code, name).
    pub async fn procurement_entry_choices(
        &self,
        agency: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        Ok(self
            .store
            .list_entries(&pubdata_store::EntryFilter {
                org_ids: Some(vec![agency]),
                limit: 500,
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|e| (e.id, e.code, e.content.name))
            .collect())
    }
}
