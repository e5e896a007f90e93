//! Authorised operation (公共数据授权运营, OPS-1..3, Art. 39–42).
//!
//! An agency — or a county government's data authority, for a county
//! operation — records an operation agreement (授权运营协议) with a
//! third-party operator: datasets, scenarios, term and revenue terms. It
//! files the agreement with the city authority (备案, Art. 40), which
//! accepts it or returns it with reasons; an accepted agreement is current
//! during its term and expires by itself after it. Earlier arrangements
//! (前期安排) that gave a third party data are registered for the city
//! authority's review — a case of 20 working days (the measures set no
//! limit; a platform default) — and re-signed (a new agreement draft linked
//! to it) or terminated.
//!
//! Enforcement (OPS-2, Art. 40): no data reaches a third party without a
//! filed, current agreement. The one door (`access.rs`) asks
//! [`App::operation_cover`] before any read through a grant by an
//! enterprise or institute, and grants to them are neither created nor
//! implemented without one. Open data (the portal, conditional open
//! applications) is not provision to a third party and is not affected.
//!
//! Per agreement, revenue and contribution records (收益与分成, Art. 41);
//! and a public registry of products and services built on open data
//! (Art. 42).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::operation::{
    AgreementState, AgreementStatus, ArrangementDecision, ArrangementState, FilingDecision, status,
};
use pubdata_domain::org::{Level, OrgKind};
use pubdata_store::{
    AgreementFilter, NewAgreement, NewArrangement, NewCase, NewOpenProduct, NewRevenue,
    OpenProduct, OperationAgreement, OperationArrangement, RevenueRecord, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::org_tree::OrgTree;
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// The stable code of a refusal for want of an agreement.
pub const NO_AGREEMENT: &str = "no_operation_agreement";

/// An agreement as recorded by the agency.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// The signing agency (or county authority); the caller's organisation
    /// when absent.
    #[serde(default)]
    pub agency_org: Option<i64>,
    /// The third-party operator (an enterprise or institute).
    pub operator_org: i64,
    pub title: String,
    /// Datasets of the agency (or, for a county authority, of its county).
    pub datasets: Vec<i64>,
    /// Application scenarios (应用场景).
    pub scenarios: String,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
    /// Revenue terms (收益分配).
    pub revenue_terms: String,
}

/// The city authority's decision on a filed agreement.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilingReview {
    pub decision: FilingDecision,
    /// Required when returning.
    #[serde(default)]
    pub reason: String,
}

/// A reason (termination).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    pub reason: String,
}

/// An earlier arrangement as registered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrangementInput {
    #[serde(default)]
    pub agency_org: Option<i64>,
    pub third_party_org: i64,
    /// What was agreed or arranged, and how data reaches the third party.
    pub description: String,
    pub datasets: Vec<i64>,
    pub since: NaiveDate,
}

/// The city authority's decision on an earlier arrangement.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrangementReview {
    pub decision: ArrangementDecision,
    pub reason: String,
}

/// One period's revenue record as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevenueInput {
    /// e.g. `2026-Q3` or `2026-10`.
    pub period: String,
    /// Revenue in fen (分), 0 or more.
    pub revenue_fen: i64,
    /// Contribution (分成) to the agency in fen, 0 or more.
    pub contribution_fen: i64,
    /// Products and services counted in the period.
    pub products: i64,
    #[serde(default)]
    pub note: String,
}

/// A product or service built on open data, as registered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: String,
    pub description: String,
    /// The open datasets used.
    pub datasets: Vec<i64>,
    #[serde(default)]
    pub url: Option<String>,
}

/// An agreement with its status today and names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgreementView {
    #[serde(flatten)]
    pub agreement: OperationAgreement,
    /// Its status today: an accepted agreement past its term is expired.
    pub status: AgreementStatus,
    pub agency_name: String,
    pub operator_name: String,
    /// The datasets' names, in order.
    pub dataset_names: Vec<String>,
}

/// An arrangement with its deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArrangementView {
    #[serde(flatten)]
    pub arrangement: OperationArrangement,
    pub agency_name: String,
    pub third_party_name: String,
    pub dataset_names: Vec<String>,
    /// While under review: where it stands against its 20 working days.
    pub deadline: Option<DeadlineStatus>,
}

/// An agreement's revenue records with their totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevenueList {
    pub items: Vec<RevenueRecord>,
    pub total_revenue_fen: i64,
    pub total_contribution_fen: i64,
    pub total_products: i64,
}

/// A product with its provider's and datasets' names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    #[serde(flatten)]
    pub product: OpenProduct,
    pub dataset_names: Vec<String>,
}

fn conflict(e: StoreError, detail: &str) -> ServiceError {
    match e {
        StoreError::Conflict { .. } => ServiceError::Conflict {
            code: "operation_state",
            detail: detail.into(),
        },
        StoreError::NotFound => ServiceError::NotFound {
            what: "operation agreement",
        },
        e => e.into(),
    }
}

/// The ids in their order, each once.
fn unique(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::BTreeSet::new();
    ids.iter().copied().filter(|i| seen.insert(*i)).collect()
}

fn name_of(tree: &OrgTree, id: i64) -> String {
    tree.get(id).map(|o| o.name.clone()).unwrap_or_default()
}

/// Whether an organisation is a third party (not a public body).
pub(crate) fn third_party(tree: &OrgTree, org: i64) -> bool {
    matches!(
        tree.kind(org),
        Some(OrgKind::Enterprise | OrgKind::Institution)
    )
}

/// The city data authority (市公共数据主管部门).
fn city_authority(tree: &OrgTree) -> Option<i64> {
    tree.walk()
        .into_iter()
        .filter(|(_, o)| o.kind == OrgKind::Authority && o.level == Some(Level::City))
        .map(|(_, o)| o.id)
        .min()
}

impl App {
    /// Whether `org` may receive dataset `dataset` today: a public body
    /// always (sharing between public bodies is not operation); a third
    /// party only under an accepted agreement, current today, that lists the
    /// dataset. `Err(Refused{no_operation_agreement})` otherwise.
    pub(crate) async fn operation_cover(&self, org: i64, dataset: i64) -> Result<()> {
        let tree = self.org_tree().await?;
        if !third_party(&tree, org) {
            return Ok(());
        }
        let today = today_cst();
        let agreements = self
            .store
            .list_agreements(&AgreementFilter {
                operator_org: Some(org),
                state: Some(AgreementState::Accepted),
                ..Default::default()
            })
            .await?;
        if agreements.iter().any(|a| {
            a.datasets.contains(&dataset)
                && status(a.state, a.term_from, a.term_to, today) == AgreementStatus::Accepted
        }) {
            return Ok(());
        }
        Err(ServiceError::Refused {
            code: NO_AGREEMENT,
            detail: format!(
                "{} is a third party: no filed, current operation agreement (授权运营协议) covers dataset {dataset} (Art. 40)",
                name_of(&tree, org)
            ),
        })
    }

    /// [`App::operation_cover`] for giving `org` a grant on `dataset`
    /// (`action`, on `target`): a refusal is audited before it is returned.
    pub(crate) async fn grant_needs_cover(
        &self,
        p: &Principal,
        org: i64,
        dataset: i64,
        (action, target): (&str, String),
    ) -> Result<()> {
        let Err(err) = self.operation_cover(org, dataset).await else {
            return Ok(());
        };
        self.store
            .append_audit(p.event(
                action,
                target,
                Outcome::Failure,
                json!({"grantee": org, "dataset": dataset, "refused": err.code(),
                       "reason": err.to_string()}),
            ))
            .await?;
        Err(err)
    }

    async fn dataset_names(&self, ids: &[i64]) -> Vec<String> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(match self.load_dataset(*id).await {
                Ok(d) => d.name,
                Err(_) => format!("#{id}"),
            });
        }
        out
    }

    async fn agreement_view(&self, a: OperationAgreement) -> Result<AgreementView> {
        let tree = self.org_tree().await?;
        Ok(AgreementView {
            status: status(a.state, a.term_from, a.term_to, today_cst()),
            agency_name: name_of(&tree, a.agency_org),
            operator_name: name_of(&tree, a.operator_org),
            dataset_names: self.dataset_names(&a.datasets).await,
            agreement: a,
        })
    }

    async fn arrangement_view(&self, a: OperationArrangement) -> Result<ArrangementView> {
        let tree = self.org_tree().await?;
        let deadline = (a.state == ArrangementState::UnderReview)
            .then(|| deadline_status(&self.calendar(), a.due_on, today_cst()));
        Ok(ArrangementView {
            agency_name: name_of(&tree, a.agency_org),
            third_party_name: name_of(&tree, a.third_party_org),
            dataset_names: self.dataset_names(&a.datasets).await,
            deadline,
            arrangement: a,
        })
    }

    /// The signing organisation: the one named, or the caller's own.
    fn signing_org(p: &Principal, named: Option<i64>) -> Result<i64> {
        named
            .or(p.org_id())
            .ok_or_else(|| ServiceError::invalid("agency_org", "name the signing agency"))
    }

    /// Checks the third party and the datasets of an agreement or
    /// arrangement signed by `agency`; returns the operation's level.
    async fn check_operation(
        &self,
        agency: i64,
        (field, party): (&str, i64),
        datasets: &[i64],
    ) -> Result<Level> {
        let tree = self.org_tree().await?;
        if !third_party(&tree, party) {
            return Err(ServiceError::invalid(
                field,
                "the operator is a third party: an enterprise or institute",
            ));
        }
        if datasets.is_empty() || datasets.len() > 100 {
            return Err(ServiceError::invalid("datasets", "name 1 to 100 datasets"));
        }
        let signer = tree
            .get(agency)
            .ok_or_else(|| ServiceError::invalid("agency_org", "no such organisation"))?;
        // A county authority signs for its county's agencies; an agency for itself.
        let scope = match signer.kind {
            OrgKind::Authority => signer.parent_id.unwrap_or(agency),
            _ => agency,
        };
        for id in datasets {
            let d = self
                .load_dataset(*id)
                .await
                .map_err(|_| ServiceError::invalid("datasets", format!("no dataset {id}")))?;
            if !tree.is_within(d.org_id, scope) {
                return Err(ServiceError::invalid(
                    "datasets",
                    format!("dataset {id} is not the signing body's"),
                ));
            }
        }
        Ok(signer.level.unwrap_or(Level::City))
    }

    /// Records an agreement draft (OPS-1).
    pub async fn create_agreement(
        &self,
        p: &Principal,
        input: AgreementInput,
    ) -> Result<AgreementView> {
        let agency = Self::signing_org(p, input.agency_org)?;
        self.authorize(p, Action::ManageOperation(agency)).await?;
        let title = required_text("title", &input.title, 200)?;
        let scenarios = required_text("scenarios", &input.scenarios, 2000)?;
        let revenue_terms = required_text("revenue_terms", &input.revenue_terms, 2000)?;
        if input.term_to < input.term_from {
            return Err(ServiceError::invalid(
                "term_to",
                "the term ends before it begins",
            ));
        }
        let datasets = unique(&input.datasets);
        let level = self
            .check_operation(agency, ("operator_org", input.operator_org), &datasets)
            .await?;
        let new = NewAgreement {
            agency_org: agency,
            operator_org: input.operator_org,
            level,
            title,
            datasets,
            scenarios,
            term_from: input.term_from,
            term_to: input.term_to,
            revenue_terms,
            earlier_arrangement: None,
            created_by: p.name.clone(),
        };
        let event = p.event(
            "operation.agreement.create",
            "operation_agreement",
            Outcome::Success,
            json!({"operator": new.operator_org, "datasets": new.datasets, "level": level.as_str()}),
        );
        let a = self.store.create_agreement(new, event).await?;
        self.agreement_view(a).await
    }

    async fn visible_agreement(&self, p: &Principal, id: i64) -> Result<OperationAgreement> {
        let a = self
            .store
            .get_agreement(id)
            .await
            .map_err(|e| conflict(e, ""))?;
        if Self::acts_for(p, a.operator_org)
            || self.can(p, Action::ManageOperation(a.agency_org)).await
            || self.can(p, Action::ReviewOperation).await
            || self.can(p, Action::ReadAudit).await
        {
            return Ok(a);
        }
        self.authorize(p, Action::ManageOperation(a.agency_org))
            .await?;
        Ok(a)
    }

    pub async fn operation_agreement(&self, p: &Principal, id: i64) -> Result<AgreementView> {
        let a = self.visible_agreement(p, id).await?;
        self.agreement_view(a).await
    }

    /// The agreements the caller may see, newest first: all for the city
    /// authority and auditors; else those its organisations sign or operate
    /// (and, for a county authority, its county's).
    pub async fn operation_agreements(&self, p: &Principal) -> Result<Vec<AgreementView>> {
        if p.user_id.is_none() && p.org_id().is_none() {
            return Err(ServiceError::Unauthenticated);
        }
        let all =
            self.can(p, Action::ReviewOperation).await || self.can(p, Action::ReadAudit).await;
        let list = self
            .store
            .list_agreements(&AgreementFilter::default())
            .await?;
        let mut out = Vec::new();
        for a in list {
            if all
                || Self::acts_for(p, a.operator_org)
                || self.can(p, Action::ManageOperation(a.agency_org)).await
            {
                out.push(self.agreement_view(a).await?);
            }
        }
        Ok(out)
    }

    /// The agency files a draft (or returned) agreement with the city
    /// authority (备案, Art. 40).
    pub async fn file_agreement(&self, p: &Principal, id: i64) -> Result<AgreementView> {
        let a = self.visible_agreement(p, id).await?;
        self.authorize(p, Action::ManageOperation(a.agency_org))
            .await?;
        let event = p.event(
            "operation.agreement.file",
            format!("operation_agreement:{id}"),
            Outcome::Success,
            json!({"level": a.level.as_str()}),
        );
        let a = self
            .store
            .move_agreement(
                id,
                &[AgreementState::Draft, AgreementState::Returned],
                AgreementState::Filed,
                None,
                &p.name,
                event,
            )
            .await
            .map_err(|e| conflict(e, "only a draft or returned agreement can be filed"))?;
        self.agreement_view(a).await
    }

    /// The city authority accepts a filed agreement or returns it with reasons.
    pub async fn review_agreement(
        &self,
        p: &Principal,
        id: i64,
        r: FilingReview,
    ) -> Result<AgreementView> {
        self.authorize(p, Action::ReviewOperation).await?;
        let reason = match r.decision {
            FilingDecision::Return => Some(required_text("reason", &r.reason, 2000)?),
            FilingDecision::Accept => Some(r.reason.trim().to_string()).filter(|s| !s.is_empty()),
        };
        let to = match r.decision {
            FilingDecision::Accept => AgreementState::Accepted,
            FilingDecision::Return => AgreementState::Returned,
        };
        let event = p.event(
            "operation.agreement.review",
            format!("operation_agreement:{id}"),
            Outcome::Success,
            json!({"decision": r.decision.as_str(), "reason": reason}),
        );
        let a = self
            .store
            .move_agreement(
                id,
                &[AgreementState::Filed],
                to,
                reason.as_deref(),
                &p.name,
                event,
            )
            .await
            .map_err(|e| conflict(e, "only a filed agreement can be reviewed"))?;
        self.forget_grants();
        self.agreement_view(a).await
    }

    /// The agency or the city authority terminates an agreement (with a reason).
    pub async fn terminate_agreement(
        &self,
        p: &Principal,
        id: i64,
        t: Termination,
    ) -> Result<AgreementView> {
        let reason = required_text("reason", &t.reason, 2000)?;
        let a = self.visible_agreement(p, id).await?;
        self.authorize_any(
            p,
            &[
                Action::ManageOperation(a.agency_org),
                Action::ReviewOperation,
            ],
        )
        .await?;
        let event = p.event(
            "operation.agreement.terminate",
            format!("operation_agreement:{id}"),
            Outcome::Success,
            json!({"reason": reason}),
        );
        let a = self
            .store
            .move_agreement(
                id,
                &[
                    AgreementState::Draft,
                    AgreementState::Filed,
                    AgreementState::Accepted,
                    AgreementState::Returned,
                ],
                AgreementState::Terminated,
                Some(&reason),
                &p.name,
                event,
            )
            .await
            .map_err(|e| conflict(e, "the agreement is already terminated"))?;
        self.forget_grants();
        self.agreement_view(a).await
    }

    /// The operator or the agency records one period's revenue (Art. 41)
    /// on an accepted agreement.
    pub async fn add_revenue(
        &self,
        p: &Principal,
        id: i64,
        r: RevenueInput,
    ) -> Result<RevenueRecord> {
        let a = self.visible_agreement(p, id).await?;
        let org = if Self::acts_for(p, a.operator_org) && p.is_person() {
            a.operator_org
        } else {
            self.authorize(p, Action::ManageOperation(a.agency_org))
                .await?;
            a.agency_org
        };
        if a.state != AgreementState::Accepted {
            return Err(ServiceError::Conflict {
                code: "operation_state",
                detail: "revenue is recorded on an accepted agreement".into(),
            });
        }
        let period = required_text("period", &r.period, 32)?;
        for (field, v) in [
            ("revenue_fen", r.revenue_fen),
            ("contribution_fen", r.contribution_fen),
            ("products", r.products),
        ] {
            if !(0..=1_000_000_000_000_000).contains(&v) {
                return Err(ServiceError::invalid(field, "0 or more"));
            }
        }
        if r.contribution_fen > r.revenue_fen {
            return Err(ServiceError::invalid(
                "contribution_fen",
                "the contribution exceeds the revenue",
            ));
        }
        if r.note.chars().count() > 2000 {
            return Err(ServiceError::invalid("note", "at most 2000 characters"));
        }
        let event = p.event(
            "operation.revenue.add",
            format!("operation_agreement:{id}"),
            Outcome::Success,
            json!({"period": period, "revenue_fen": r.revenue_fen,
                   "contribution_fen": r.contribution_fen, "products": r.products}),
        );
        Ok(self
            .store
            .add_revenue(
                NewRevenue {
                    agreement_id: id,
                    period,
                    revenue_fen: r.revenue_fen,
                    contribution_fen: r.contribution_fen,
                    products: r.products,
                    note: r.note.trim().to_string(),
                    entered_by: p.name.clone(),
                    entered_org: org,
                },
                event,
            )
            .await?)
    }

    /// An agreement's revenue records with their totals.
    pub async fn revenue_records(&self, p: &Principal, id: i64) -> Result<RevenueList> {
        self.visible_agreement(p, id).await?;
        let items = self.store.revenue(id).await?;
        Ok(RevenueList {
            total_revenue_fen: items.iter().map(|r| r.revenue_fen).sum(),
            total_contribution_fen: items.iter().map(|r| r.contribution_fen).sum(),
            total_products: items.iter().map(|r| r.products).sum(),
            items,
        })
    }

    /// Registers an earlier arrangement for the city authority's review
    /// (OPS-2): opens a case due in 20 working days.
    pub async fn register_arrangement(
        &self,
        p: &Principal,
        input: ArrangementInput,
    ) -> Result<ArrangementView> {
        let agency = Self::signing_org(p, input.agency_org)?;
        self.authorize(p, Action::ManageOperation(agency)).await?;
        let description = required_text("description", &input.description, 2000)?;
        let datasets = unique(&input.datasets);
        self.check_operation(
            agency,
            ("third_party_org", input.third_party_org),
            &datasets,
        )
        .await?;
        let today = today_cst();
        if input.since > today {
            return Err(ServiceError::invalid(
                "since",
                "an earlier arrangement began in the past",
            ));
        }
        let tree = self.org_tree().await?;
        let authority = city_authority(&tree)
            .ok_or_else(|| ServiceError::Internal("no city data authority".into()))?;
        let (_, article) = CaseKind::OperationArrangement.time_limit();
        let case = NewCase {
            kind: CaseKind::OperationArrangement,
            subject: String::new(),
            requester_org: agency,
            responder_org: authority,
            opened_on: today,
            due_on: CaseKind::OperationArrangement.due(&self.calendar(), today)?,
            basis: article.into(),
        };
        let event = p.event(
            "operation.arrangement.register",
            "operation_arrangement",
            Outcome::Success,
            json!({"third_party": input.third_party_org, "datasets": datasets}),
        );
        let a = self
            .store
            .create_arrangement(
                NewArrangement {
                    agency_org: agency,
                    third_party_org: input.third_party_org,
                    description,
                    datasets,
                    since: input.since,
                    created_by: p.name.clone(),
                    case,
                },
                event,
            )
            .await?;
        self.arrangement_view(a).await
    }

    async fn visible_arrangement(&self, p: &Principal, id: i64) -> Result<OperationArrangement> {
        let a = self.store.get_arrangement(id).await.map_err(|e| match e {
            StoreError::NotFound => ServiceError::NotFound {
                what: "operation arrangement",
            },
            e => e.into(),
        })?;
        if Self::acts_for(p, a.third_party_org)
            || self.can(p, Action::ReviewOperation).await
            || self.can(p, Action::ReadAudit).await
        {
            return Ok(a);
        }
        self.authorize(p, Action::ManageOperation(a.agency_org))
            .await?;
        Ok(a)
    }

    pub async fn operation_arrangement(&self, p: &Principal, id: i64) -> Result<ArrangementView> {
        let a = self.visible_arrangement(p, id).await?;
        self.arrangement_view(a).await
    }

    pub async fn operation_arrangements(&self, p: &Principal) -> Result<Vec<ArrangementView>> {
        if p.user_id.is_none() && p.org_id().is_none() {
            return Err(ServiceError::Unauthenticated);
        }
        let all =
            self.can(p, Action::ReviewOperation).await || self.can(p, Action::ReadAudit).await;
        let mut out = Vec::new();
        for a in self.store.list_arrangements(None).await? {
            if all
                || Self::acts_for(p, a.third_party_org)
                || self.can(p, Action::ManageOperation(a.agency_org)).await
            {
                out.push(self.arrangement_view(a).await?);
            }
        }
        Ok(out)
    }

    /// The city authority decides an earlier arrangement: re-sign (a new
    /// agreement draft for the agency, linked to it) or terminate.
    pub async fn review_arrangement(
        &self,
        p: &Principal,
        id: i64,
        r: ArrangementReview,
    ) -> Result<ArrangementView> {
        self.authorize(p, Action::ReviewOperation).await?;
        let reason = required_text("reason", &r.reason, 2000)?;
        let a = self.visible_arrangement(p, id).await?;
        let tree = self.org_tree().await?;
        let (to, draft) = match r.decision {
            ArrangementDecision::Terminate => (ArrangementState::Terminated, None),
            ArrangementDecision::Resign => {
                let today = today_cst();
                let level = tree
                    .get(a.agency_org)
                    .and_then(|o| o.level)
                    .unwrap_or(Level::City);
                let draft = NewAgreement {
                    agency_org: a.agency_org,
                    operator_org: a.third_party_org,
                    level,
                    title: format!("重新签署：{}", name_of(&tree, a.third_party_org)),
                    datasets: a.datasets.clone(),
                    scenarios: a.description.clone(),
                    term_from: today,
                    term_to: today + chrono::Duration::days(365),
                    revenue_terms: "待约定".into(),
                    earlier_arrangement: Some(a.id),
                    created_by: p.name.clone(),
                };
                (ArrangementState::Resigned, Some(draft))
            }
        };
        let event = p.event(
            "operation.arrangement.review",
            format!("operation_arrangement:{id}"),
            Outcome::Success,
            json!({"decision": r.decision.as_str(), "reason": reason}),
        );
        let a = self
            .store
            .decide_arrangement(id, to, &reason, draft, &p.name, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "operation_state",
                    detail: "the arrangement was already decided".into(),
                },
                e => e.into(),
            })?;
        self.arrangement_view(a).await
    }

    /// Registers a product or service built on open data (Art. 42): any
    /// signed-in person acting for an organisation, naming open datasets.
    pub async fn add_open_product(
        &self,
        p: &Principal,
        input: ProductInput,
    ) -> Result<ProductView> {
        if !p.is_person() {
            return Err(ServiceError::Forbidden(
                "a person registers products for an organisation".into(),
            ));
        }
        let org = p.org_id().ok_or_else(|| {
            ServiceError::Forbidden("a product is registered for an organisation".into())
        })?;
        let name = required_text("name", &input.name, 200)?;
        let description = required_text("description", &input.description, 2000)?;
        let url = match input
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(u)
                if (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 500 =>
            {
                Some(u.to_string())
            }
            Some(_) => return Err(ServiceError::invalid("url", "an http(s) address")),
            None => None,
        };
        if input.datasets.is_empty() || input.datasets.len() > 50 {
            return Err(ServiceError::invalid(
                "datasets",
                "name 1 to 50 open datasets",
            ));
        }
        let datasets = unique(&input.datasets);
        for id in &datasets {
            if self.open_dataset(*id).await.is_err() {
                return Err(ServiceError::invalid(
                    "datasets",
                    format!("dataset {id} is not open data"),
                ));
            }
        }
        let tree = self.org_tree().await?;
        let event = p.event(
            "open.product.add",
            "open_product",
            Outcome::Success,
            json!({"name": name, "datasets": datasets}),
        );
        let product = self
            .store
            .add_open_product(
                NewOpenProduct {
                    name,
                    org_id: Some(org),
                    provider: name_of(&tree, org),
                    description,
                    datasets,
                    url,
                    created_by: p.name.clone(),
                },
                event,
            )
            .await?;
        Ok(ProductView {
            dataset_names: self.dataset_names(&product.datasets).await,
            product,
        })
    }

    /// The public registry of products and services built on open data.
    pub async fn open_products(&self) -> Result<Vec<ProductView>> {
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        let mut out = Vec::new();
        for product in self.store.open_products().await? {
            let mut dataset_names = Vec::new();
            for id in &product.datasets {
                if !names.contains_key(id) {
                    let n = match self.open_dataset(*id).await {
                        Ok(d) => d.title,
                        Err(_) => format!("#{id}"),
                    };
                    names.insert(*id, n);
                }
                dataset_names.push(names[id].clone());
            }
            out.push(ProductView {
                product,
                dataset_names,
            });
        }
        Ok(out)
    }
}

/// What the agreement and arrangement forms offer.
#[derive(Debug, Clone, Default)]
pub struct OperationChoices {
    /// Third parties: (id, name).
    pub operators: Vec<(i64, String)>,
    /// Datasets of the caller's organisation (or its county): (id, name).
    pub datasets: Vec<(i64, String)>,
}

impl App {
    /// The third parties and the caller's datasets, for the forms.
    pub async fn operation_choices(&self, p: &Principal) -> Result<OperationChoices> {
        let tree = self.org_tree().await?;
        let operators = tree
            .walk()
            .into_iter()
            .filter(|(_, o)| third_party(&tree, o.id))
            .map(|(_, o)| (o.id, o.name.clone()))
            .collect();
        let mut datasets = Vec::new();
        if let Some(org) = p.org_id()
            && self.can(p, Action::ManageOperation(org)).await
        {
            let scope = match tree.kind(org) {
                Some(OrgKind::Authority) => tree.parent(org).unwrap_or(org),
                _ => org,
            };
            for d in self.store.list_datasets(None, None, 1000).await? {
                if tree.is_within(d.org_id, scope) {
                    datasets.push((d.id, d.name));
                }
            }
        }
        Ok(OperationChoices {
            operators,
            datasets,
        })
    }

    /// Whether the caller reviews filings (the city authority).
    pub async fn reviews_operation(&self, p: &Principal) -> bool {
        self.can(p, Action::ReviewOperation).await
    }

    /// Whether the caller manages the operation of `org`.
    pub async fn manages_operation(&self, p: &Principal, org: i64) -> bool {
        self.can(p, Action::ManageOperation(org)).await
    }
}
