//! Disputes between agencies (争议处理, DSP-1, Art. 48 of the measures).
//!
//! An agency files a dispute against another agency; the parties first
//! negotiate (自行协商). A party, or the authority, moves a failed
//! negotiation to the data authority's coordination (主管部门协调); after
//! that only the authority moves it on: to joint consultation with the
//! establishment office (会同机构编制部门联合会商 — the office is not a
//! platform user, the authority records the outcome), then to the
//! government (报本级人民政府决定) with each side's grounds and its leaning
//! (倾向性意见); the authority records the government's decision. The
//! handling authority is the parties' level's, or across levels or regions
//! the common upper one (共同的上一级主管部门), computed from the org tree.
//! Each stage is a case with a platform-default working-day limit.

use std::collections::BTreeSet;

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseState, CaseSubject, DeadlineStatus, deadline_status};
use pubdata_domain::dispute::{DisputeStage, DisputeState, DisputeSubjectKind, DisputeType};
use pubdata_domain::org::{OrgKind, Role};
use pubdata_store::{
    Case, CaseFilter, Dispute, DisputeFilter, DisputeMove, DisputeStep, NewCase, NewDispute,
    StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::org_tree::OrgTree;
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// A dispute as filed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    /// The agency the dispute is against.
    pub respondent_org: i64,
    /// The filing agency; by default the caller's own.
    #[serde(default)]
    pub complainant_org: Option<i64>,
    pub dispute_type: DisputeType,
    pub title: String,
    /// The complainant's grounds (理据).
    pub grounds: String,
    /// The record it is about, if any.
    #[serde(default)]
    pub subject_kind: Option<DisputeSubjectKind>,
    #[serde(default)]
    pub subject_id: Option<i64>,
}

/// A party's grounds or response, or the authority's minutes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementInput {
    pub text: String,
}

/// Moving a dispute to its next stage.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = DisputeEscalationInput)]
#[serde(deny_unknown_fields)]
pub struct EscalationInput {
    /// Why the stage failed (the stage's minutes).
    pub reason: String,
    /// The authority's leaning (倾向性意见): required when reporting to the government.
    #[serde(default)]
    pub leaning: Option<String>,
}

/// Settling a dispute.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlementInput {
    /// The agreed outcome, or at the government stage the decision.
    pub outcome: String,
    /// At the government stage: the decision's document number (文号).
    #[serde(default)]
    pub decision_no: Option<String>,
}

/// One entry of the record, with the organisation's name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeStepView {
    #[serde(flatten)]
    pub step: DisputeStep,
    pub org_name: Option<String>,
}

/// A dispute as people see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeView {
    #[serde(flatten)]
    pub dispute: Dispute,
    pub complainant_name: String,
    pub respondent_name: String,
    pub authority_name: String,
    /// While open: the current stage's deadline.
    pub deadline: Option<DeadlineStatus>,
    /// The record: filing, statements, escalations, settlement (detail only).
    pub steps: Vec<DisputeStepView>,
    /// Every stage's case (detail only), oldest first.
    pub cases: Vec<Case>,
    /// The viewer acts for a party.
    pub is_party: bool,
    /// The viewer reviews for the handling authority.
    pub is_authority: bool,
    pub can_escalate: bool,
    pub can_settle: bool,
}

/// The handling authority of a dispute between `a` and `b`: the data
/// authority of the lowest region holding both (the same level's, or the
/// common upper one); and whether they differ in level or region.
pub fn handling_authority(tree: &OrgTree, a: i64, b: i64) -> Option<(i64, bool)> {
    let ra = tree.region_of(a)?;
    let rb = tree.region_of(b)?;
    let mut region = Some(ra);
    while let Some(r) = region {
        if tree.is_within(rb, r) {
            return tree.authority_of(r).map(|auth| (auth, ra != rb));
        }
        region = tree.parent(r).and_then(|p| tree.region_of(p));
    }
    None
}

impl App {
    fn is_dispute_party(p: &Principal, d: &Dispute) -> bool {
        Self::acts_for(p, d.complainant_org) || Self::acts_for(p, d.respondent_org)
    }

    fn is_dispute_authority(p: &Principal, d: &Dispute) -> bool {
        p.roles
            .iter()
            .any(|g| g.role == Role::AuthorityReviewer && g.org_id == d.authority_org)
    }

    /// The party `p` speaks for in `d`, if any.
    fn dispute_party(p: &Principal, d: &Dispute) -> Option<i64> {
        [d.complainant_org, d.respondent_org]
            .into_iter()
            .find(|o| Self::acts_for(p, *o))
    }

    async fn dispute_of(&self, id: i64) -> Result<Dispute> {
        self.store
            .get_dispute(id)
            .await
            .map_err(ServiceError::not_found("dispute"))
    }

    /// Parties, the handling authority and supervisors see a dispute;
    /// others get 404.
    async fn may_view_dispute(&self, p: &Principal, d: &Dispute) -> Result<()> {
        if Self::is_dispute_party(p, d)
            || Self::is_dispute_authority(p, d)
            || self.can(p, Action::ReadAudit).await
        {
            return Ok(());
        }
        Err(ServiceError::NotFound { what: "dispute" })
    }

    async fn refuse_dispute(
        &self,
        p: &Principal,
        id: i64,
        action: &str,
        detail: &str,
    ) -> ServiceError {
        let err = ServiceError::Forbidden(detail.into());
        let event = p.event(
            action,
            format!("dispute:{id}"),
            Outcome::Denied,
            json!({"refused": "forbidden", "reason": detail}),
        );
        match self.store.append_audit(event).await {
            Ok(_) => err,
            Err(e) => e.into(),
        }
    }

    fn stage_case(
        &self,
        d_parties: (i64, i64),
        authority: i64,
        stage: DisputeStage,
    ) -> Result<NewCase> {
        let kind = stage.case_kind();
        let today = today_cst();
        let (_, article) = kind.time_limit();
        Ok(NewCase {
            kind,
            subject: String::new(),
            requester_org: d_parties.0,
            // Negotiation is answered by the respondent; every later stage
            // by the handling authority.
            responder_org: if stage == DisputeStage::Negotiation {
                d_parties.1
            } else {
                authority
            },
            opened_on: today,
            due_on: kind.due(&self.calendar(), today)?,
            basis: format!("{article}（{}，平台默认时限）", stage.zh()),
        })
    }

    /// Files a dispute (提起争议) and opens its negotiation case.
    pub async fn file_dispute(&self, p: &Principal, req: DisputeInput) -> Result<DisputeView> {
        let tree = self.org_tree().await?;
        let complainant = match req.complainant_org {
            Some(o) => o,
            None => Self::own_orgs(p)
                .into_iter()
                .find(|o| tree.kind(*o) == Some(OrgKind::Agency))
                .ok_or_else(|| {
                    ServiceError::Forbidden("a dispute is filed by an agency's staff".into())
                })?,
        };
        if tree.kind(complainant) != Some(OrgKind::Agency) {
            return Err(ServiceError::invalid("complainant_org", "not an agency"));
        }
        if !(p.is_person()
            && (crate::policy::holds(p, Role::AgencyDataAdmin, complainant, &tree)
                || crate::policy::holds(p, Role::ChiefDataOfficer, complainant, &tree))
            && Self::acts_for(p, complainant))
        {
            return Err(self
                .refuse_dispute(p, 0, "dispute.file", "only the filing agency's data administrator or chief data officer files a dispute")
                .await);
        }
        if tree.kind(req.respondent_org) != Some(OrgKind::Agency) {
            return Err(ServiceError::invalid(
                "respondent_org",
                "not an agency (公共管理和服务机构)",
            ));
        }
        if req.respondent_org == complainant {
            return Err(ServiceError::invalid(
                "respondent_org",
                "an agency does not dispute with itself",
            ));
        }
        let title = required_text("title", &req.title, 200)?;
        let grounds = required_text("grounds", &req.grounds, 4000)?;
        match (req.subject_kind, req.subject_id) {
            (None, None) => {}
            (Some(kind), Some(id)) => {
                let found = match kind {
                    DisputeSubjectKind::ShareRequest => {
                        self.store.get_share_request(id).await.map(|_| ())
                    }
                    DisputeSubjectKind::Grant => self.store.get_grant(id).await.map(|_| ()),
                    DisputeSubjectKind::CatalogEntry => self.store.get_entry(id).await.map(|_| ()),
                };
                match found {
                    Ok(()) => {}
                    Err(StoreError::NotFound) => {
                        return Err(ServiceError::invalid(
                            "subject_id",
                            format!("no such {}", kind.as_str()),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            _ => {
                return Err(ServiceError::invalid(
                    "subject_id",
                    "give both subject_kind and subject_id, or neither",
                ));
            }
        }
        let (authority, cross_level) = handling_authority(&tree, complainant, req.respondent_org)
            .ok_or_else(|| {
            ServiceError::invalid("respondent_org", "no data authority above both parties")
        })?;
        let case = self.stage_case(
            (complainant, req.respondent_org),
            authority,
            DisputeStage::Negotiation,
        )?;
        let new = NewDispute {
            complainant_org: complainant,
            respondent_org: req.respondent_org,
            authority_org: authority,
            cross_level,
            dispute_type: req.dispute_type,
            subject_kind: req.subject_kind,
            subject_id: req.subject_id,
            title,
            grounds,
            created_by: p.name.clone(),
            case,
        };
        let event = p.event(
            "dispute.file",
            "dispute:new",
            Outcome::Success,
            json!({"respondent": req.respondent_org, "authority": authority, "cross_level": cross_level,
                   "type": req.dispute_type.as_str()}),
        );
        let d = self.store.create_dispute(new, event).await?;
        self.dispute_view(p, d, true).await
    }

    pub async fn dispute(&self, p: &Principal, id: i64) -> Result<DisputeView> {
        let d = self.dispute_of(id).await?;
        self.may_view_dispute(p, &d).await?;
        self.dispute_view(p, d, true).await
    }

    /// Disputes the caller's organisations are party to or handle (all for
    /// administrators and auditors), newest first.
    pub async fn disputes(
        &self,
        p: &Principal,
        state: Option<DisputeState>,
    ) -> Result<Vec<DisputeView>> {
        let all = self.can(p, Action::ReadAudit).await;
        let f = DisputeFilter {
            orgs: if all { None } else { Some(Self::own_orgs(p)) },
            state,
            limit: 500,
        };
        let mut out = Vec::new();
        for d in self.store.list_disputes(&f).await? {
            out.push(self.dispute_view(p, d, false).await?);
        }
        Ok(out)
    }

    async fn dispute_view(&self, p: &Principal, d: Dispute, detail: bool) -> Result<DisputeView> {
        let (steps, cases) = if detail {
            let mut steps = Vec::new();
            for s in self.store.dispute_steps(d.id).await? {
                let org_name = match s.org_id {
                    Some(o) => Some(self.org_name(o).await?),
                    None => None,
                };
                steps.push(DisputeStepView { step: s, org_name });
            }
            let mut cases = self
                .store
                .list_cases(&CaseFilter {
                    subject: Some(CaseSubject::Dispute(d.id).to_string()),
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            cases.sort_by_key(|c| c.id);
            (steps, cases)
        } else {
            (vec![], vec![])
        };
        let open = d.state == DisputeState::Open;
        let is_party = Self::is_dispute_party(p, &d);
        let is_authority = Self::is_dispute_authority(p, &d);
        Ok(DisputeView {
            complainant_name: self.org_name(d.complainant_org).await?,
            respondent_name: self.org_name(d.respondent_org).await?,
            authority_name: self.org_name(d.authority_org).await?,
            deadline: open.then(|| deadline_status(&self.calendar(), d.due_on, today_cst())),
            steps,
            cases,
            can_escalate: open
                && d.stage.next().is_some()
                && (is_authority || (is_party && d.stage == DisputeStage::Negotiation)),
            can_settle: open
                && (is_authority || (is_party && d.stage == DisputeStage::Negotiation)),
            is_party,
            is_authority,
            dispute: d,
        })
    }

    fn closed(d: &Dispute) -> Result<()> {
        if d.state != DisputeState::Open {
            return Err(ServiceError::Conflict {
                code: "dispute_closed",
                detail: "the dispute is settled".into(),
            });
        }
        Ok(())
    }

    fn moved_meanwhile(e: StoreError) -> ServiceError {
        match e {
            StoreError::Conflict { .. } => ServiceError::Conflict {
                code: "dispute_stage_changed",
                detail: "the dispute moved meanwhile; reload it".into(),
            },
            e => e.into(),
        }
    }

    /// A party's grounds or response, or the authority's minutes of the
    /// current stage (the consultation's outcome among them).
    pub async fn dispute_statement(
        &self,
        p: &Principal,
        id: i64,
        s: StatementInput,
    ) -> Result<DisputeView> {
        let d = self.dispute_of(id).await?;
        self.may_view_dispute(p, &d).await?;
        let org = match Self::dispute_party(p, &d) {
            Some(o) => o,
            None if Self::is_dispute_authority(p, &d) => d.authority_org,
            None => {
                return Err(self
                    .refuse_dispute(
                        p,
                        id,
                        "dispute.statement",
                        "only the parties and the handling authority make statements",
                    )
                    .await);
            }
        };
        Self::closed(&d)?;
        let text = required_text("text", &s.text, 4000)?;
        let event = p.event(
            "dispute.statement",
            format!("dispute:{id}"),
            Outcome::Success,
            json!({"stage": d.stage.as_str(), "org": org}),
        );
        let d = self
            .store
            .move_dispute(
                id,
                d.stage,
                DisputeMove::Statement,
                Some(org),
                &p.name,
                &text,
                event,
            )
            .await
            .map_err(Self::moved_meanwhile)?;
        self.dispute_view(p, d, true).await
    }

    /// Moves the dispute to its next stage: from negotiation a party or the
    /// authority; after that the authority only. Reporting to the
    /// government needs the authority's leaning.
    pub async fn escalate_dispute(
        &self,
        p: &Principal,
        id: i64,
        e: EscalationInput,
    ) -> Result<DisputeView> {
        let d = self.dispute_of(id).await?;
        self.may_view_dispute(p, &d).await?;
        let authority = Self::is_dispute_authority(p, &d);
        let allowed =
            authority || (d.stage == DisputeStage::Negotiation && Self::is_dispute_party(p, &d));
        if !allowed {
            return Err(self
                .refuse_dispute(
                    p,
                    id,
                    "dispute.escalate",
                    "after negotiation only the handling authority moves a dispute on",
                )
                .await);
        }
        Self::closed(&d)?;
        let Some(to) = d.stage.next() else {
            return Err(ServiceError::Conflict {
                code: "dispute_final_stage",
                detail: "the government's decision is the last stage; record it as the settlement"
                    .into(),
            });
        };
        let reason = required_text("reason", &e.reason, 4000)?;
        let leaning = match e
            .leaning
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            Some(l) if l.chars().count() > 4000 => {
                return Err(ServiceError::invalid("leaning", "at most 4000 characters"));
            }
            Some(l) => Some(l.to_string()),
            None if to == DisputeStage::Government => {
                return Err(ServiceError::invalid(
                    "leaning",
                    "reporting to the government needs the authority's leaning (倾向性意见)",
                ));
            }
            None => None,
        };
        let case = self.stage_case((d.complainant_org, d.respondent_org), d.authority_org, to)?;
        let org = if authority {
            d.authority_org
        } else {
            Self::dispute_party(p, &d).unwrap_or(d.authority_org)
        };
        let event = p.event(
            "dispute.escalate",
            format!("dispute:{id}"),
            Outcome::Success,
            json!({"from": d.stage.as_str(), "to": to.as_str()}),
        );
        let d = self
            .store
            .move_dispute(
                id,
                d.stage,
                DisputeMove::Escalate { to, case, leaning },
                Some(org),
                &p.name,
                &reason,
                event,
            )
            .await
            .map_err(Self::moved_meanwhile)?;
        self.dispute_view(p, d, true).await
    }

    /// Settles the dispute with the agreed outcome: in negotiation a party
    /// (the two agreed) or the authority; later the authority, at the
    /// government stage with the decision and its document number.
    pub async fn settle_dispute(
        &self,
        p: &Principal,
        id: i64,
        s: SettlementInput,
    ) -> Result<DisputeView> {
        let d = self.dispute_of(id).await?;
        self.may_view_dispute(p, &d).await?;
        let authority = Self::is_dispute_authority(p, &d);
        if !(authority || (d.stage == DisputeStage::Negotiation && Self::is_dispute_party(p, &d))) {
            return Err(self
                .refuse_dispute(
                    p,
                    id,
                    "dispute.settle",
                    "after negotiation only the handling authority records the settlement",
                )
                .await);
        }
        Self::closed(&d)?;
        let outcome = required_text("outcome", &s.outcome, 4000)?;
        let decision_no = s
            .decision_no
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let decision_no = match (d.stage, decision_no) {
            (DisputeStage::Government, None) => {
                return Err(ServiceError::invalid(
                    "decision_no",
                    "the government's decision needs its document number (文号)",
                ));
            }
            (DisputeStage::Government, Some(n)) if n.chars().count() > 100 => {
                return Err(ServiceError::invalid(
                    "decision_no",
                    "at most 100 characters",
                ));
            }
            (DisputeStage::Government, Some(n)) => Some(n.to_string()),
            (_, Some(_)) => {
                return Err(ServiceError::invalid(
                    "decision_no",
                    "only a government decision has a document number",
                ));
            }
            (_, None) => None,
        };
        let org = if authority {
            d.authority_org
        } else {
            Self::dispute_party(p, &d).unwrap_or(d.authority_org)
        };
        let event = p.event(
            "dispute.settle",
            format!("dispute:{id}"),
            Outcome::Success,
            json!({"stage": d.stage.as_str(), "decision_no": decision_no}),
        );
        let d = self
            .store
            .move_dispute(
                id,
                d.stage,
                DisputeMove::Settle { decision_no },
                Some(org),
                &p.name,
                &outcome,
                event,
            )
            .await
            .map_err(Self::moved_meanwhile)?;
        self.dispute_view(p, d, true).await
    }

    /// Open dispute cases that concern the caller's organisations as a
    /// party or the handling authority (for the dashboards), beyond those
    /// it answers or asked.
    pub(crate) async fn dispute_cases(&self, orgs: &[i64]) -> Result<Vec<Case>> {
        let f = DisputeFilter {
            orgs: Some(orgs.to_vec()),
            state: Some(DisputeState::Open),
            limit: 200,
        };
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for d in self.store.list_disputes(&f).await? {
            for c in self
                .store
                .list_cases(&CaseFilter {
                    subject: Some(CaseSubject::Dispute(d.id).to_string()),
                    state: Some(CaseState::Open),
                    limit: 2,
                    ..Default::default()
                })
                .await?
            {
                if seen.insert(c.id) {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }
}
