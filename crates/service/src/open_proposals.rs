//! Filing of open attributes and the authority's change proposals (开放属性
//! 备案与修改建议, OPN-1, Art. 32–34 of the measures).
//!
//! An entry published as not open (不予开放) or conditionally open (有条件
//! 开放) is filed (备案) with the data authority of its level, with its
//! clauses and the agency's basis (依据): the filing is written by the
//! publishing step itself (`EntryChange::file_with`). The authority may
//! propose another attribute (修改建议, Art. 32): a case for the agency,
//! 10 working days (platform default). The agency agrees — the change is a
//! new version of the entry through the ordinary edit path, checked as
//! usual, then submitted and reviewed as any change — or disagrees with
//! reasons. Without agreement the authority escalates to the people's
//! government of the level (报本级人民政府决定): a case for the authority,
//! 20 working days (platform default), in which it records the government's
//! decision (document number, date, attribute, clauses); the decision is
//! applied to the entry as a new version and filed.

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::catalog::{EntryContent, EntryState, OpenAttribute, OpenClause};
use pubdata_domain::open_proposal::{ProposalState, check_clauses};
use pubdata_domain::org::OrgKind;
use pubdata_store::{
    CaseFilter, EntryChange, FilingFilter, GovernmentDecision, NewCase, NewOpenProposal,
    OpenFiling, OpenProposal, ProposalAnswer, ProposalFilter, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::catalog::{CaseView, authority_of};
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// The conditions written when a proposal or decision makes data
/// conditionally open and the entry states none yet.
const DEFAULT_CONDITIONS: &str = "经申请审核并签订数据利用协议后提供（第三十八条）";

/// Filters of the filing list.
#[derive(Debug, Clone, Default)]
pub struct FilingQuery {
    /// Only the filings of this agency.
    pub org_id: Option<i64>,
    /// Only filings of this attribute (`none` or `conditional`).
    pub attribute: Option<OpenAttribute>,
}

/// The authority's proposal (修改建议, Art. 32).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    pub proposed_attribute: OpenAttribute,
    /// The clauses of Art. 33 or 34 the proposed attribute rests on (none
    /// for unconditionally open).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub clauses: Vec<OpenClause>,
    pub reasons: String,
}

/// The agency's answer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub agree: bool,
    /// Required when disagreeing; when agreeing, the basis of the new
    /// attribute (the proposal's reasons when blank).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub reasons: String,
    /// When agreeing: other clauses than the proposal's.
    #[serde(default)]
    pub clauses: Option<Vec<OpenClause>>,
}

/// The authority's escalation to the government, with its position.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationInput {
    pub reasons: String,
}

/// The government's decision as the authority records it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// The decision's document number (文号).
    pub document_no: String,
    pub decided_on: NaiveDate,
    pub attribute: OpenAttribute,
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub clauses: Vec<OpenClause>,
}

/// A filing with its entry and agency named.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FilingView {
    #[serde(flatten)]
    pub filing: OpenFiling,
    pub entry_code: String,
    pub entry_name: String,
    pub org_name: String,
}

/// A proposal with its entry, parties and cases (with their deadlines).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    #[serde(flatten)]
    pub proposal: OpenProposal,
    pub entry_code: String,
    pub entry_name: String,
    pub org_name: String,
    pub authority_name: String,
    /// The answer case and, once escalated, the decision case.
    pub cases: Vec<CaseView>,
    /// What the caller may do now (for pages).
    #[serde(skip)]
    pub may_answer: bool,
    #[serde(skip)]
    pub may_escalate: bool,
    #[serde(skip)]
    pub may_decide: bool,
}

fn clean_clauses(v: Vec<OpenClause>) -> Vec<OpenClause> {
    v.into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn checked_clauses(
    field: &str,
    attribute: OpenAttribute,
    clauses: Vec<OpenClause>,
) -> Result<Vec<OpenClause>> {
    let clauses = clean_clauses(clauses);
    check_clauses(attribute, &clauses).map_err(|m| ServiceError::invalid(field, m))?;
    Ok(clauses)
}

/// `content` with another open attribute, its clauses and basis; the other
/// open fields made to fit (Art. 33–35).
pub(crate) fn with_attribute(
    content: &EntryContent,
    attribute: OpenAttribute,
    clauses: &[OpenClause],
    basis: &str,
) -> EntryContent {
    let mut c = content.clone();
    c.open_attribute = attribute;
    c.open_clauses = clauses.to_vec();
    match attribute {
        OpenAttribute::Unconditional => {
            c.open_conditions.clear();
            c.open_grounds.clear();
            c.open_basis.clear();
        }
        OpenAttribute::Conditional => {
            c.open_grounds.clear();
            if c.open_conditions.trim().is_empty() {
                c.open_conditions = DEFAULT_CONDITIONS.into();
            }
            c.open_basis = basis.into();
        }
        OpenAttribute::None => {
            c.open_conditions.clear();
            if c.open_grounds.trim().is_empty() {
                c.open_grounds = basis.into();
            }
            c.open_basis = basis.into();
        }
    }
    c
}

fn state_conflict(code: &'static str, p: &OpenProposal) -> ServiceError {
    ServiceError::Conflict {
        code,
        detail: format!("the proposal is {} ({})", p.state.as_str(), p.state.zh()),
    }
}

fn map_store(code: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::Conflict { what } if what == "proposal state" => ServiceError::Conflict {
            code,
            detail: "the proposal changed meanwhile".into(),
        },
        StoreError::Conflict { what } => ServiceError::Conflict {
            code: "invalid_transition",
            detail: format!("the entry changed meanwhile: {what}"),
        },
        StoreError::NotFound => ServiceError::NotFound { what: "proposal" },
        other => other.into(),
    }
}

impl App {
    /// The authorities whose reviewer the caller is.
    async fn reviewed_authorities(&self, p: &Principal) -> Result<Vec<i64>> {
        let tree = self.org_tree().await?;
        Ok(tree
            .walk()
            .into_iter()
            .filter(|(_, o)| o.kind == OrgKind::Authority)
            .map(|(_, o)| o.id)
            .filter(|a| crate::policy::authorize(p, Action::ReviewCatalog(*a), &tree).is_ok())
            .collect())
    }

    async fn filing_view(&self, f: OpenFiling) -> Result<FilingView> {
        let tree = self.org_tree().await?;
        let e = self.load_entry(f.entry_id).await?;
        Ok(FilingView {
            entry_code: e.code,
            entry_name: e.content.name,
            org_name: tree
                .get(f.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            filing: f,
        })
    }

    /// The filed open attributes (开放属性备案) standing with the
    /// authorities the caller reviews for: each entry's current published
    /// version, newest first.
    pub async fn list_open_filings(
        &self,
        p: &Principal,
        q: &FilingQuery,
    ) -> Result<Vec<FilingView>> {
        let authorities = self.reviewed_authorities(p).await?;
        if authorities.is_empty() {
            self.authorize(p, Action::ReviewCatalog(-1)).await?;
        }
        let filings = self
            .store
            .list_open_filings(&FilingFilter {
                authority_orgs: Some(authorities),
                org_id: q.org_id,
                attribute: q.attribute,
                current_only: true,
                limit: 500,
                ..Default::default()
            })
            .await?;
        let mut out = Vec::with_capacity(filings.len());
        for f in filings {
            out.push(self.filing_view(f).await?);
        }
        Ok(out)
    }

    /// An entry's filings and proposals, newest first (for its page; the
    /// caller has been allowed to see the entry).
    pub async fn entry_open_record(
        &self,
        p: &Principal,
        entry_id: i64,
    ) -> Result<(Vec<OpenFiling>, Vec<ProposalView>)> {
        self.get_entry(p, entry_id).await?;
        let filings = self
            .store
            .list_open_filings(&FilingFilter {
                entry_id: Some(entry_id),
                limit: 100,
                ..Default::default()
            })
            .await?;
        let proposals = self
            .store
            .list_open_proposals(&ProposalFilter {
                entry_id: Some(entry_id),
                limit: 100,
                ..Default::default()
            })
            .await?;
        let mut views = Vec::with_capacity(proposals.len());
        for pr in proposals {
            views.push(self.proposal_view(p, pr).await?);
        }
        Ok((filings, views))
    }

    /// Proposals the caller's organisations made or must answer, newest first.
    pub async fn list_open_proposals(&self, p: &Principal) -> Result<Vec<ProposalView>> {
        let orgs: Vec<i64> = p.roles.iter().map(|g| g.org_id).collect();
        let proposals = self
            .store
            .list_open_proposals(&ProposalFilter {
                orgs: Some(orgs),
                limit: 200,
                ..Default::default()
            })
            .await?;
        let mut out = Vec::with_capacity(proposals.len());
        for pr in proposals {
            out.push(self.proposal_view(p, pr).await?);
        }
        Ok(out)
    }

    async fn proposal_view(&self, p: &Principal, pr: OpenProposal) -> Result<ProposalView> {
        let tree = self.org_tree().await?;
        let e = self.load_entry(pr.entry_id).await?;
        let cases = self
            .store
            .list_cases(&CaseFilter {
                subject: Some(CaseSubject::OpenProposal(pr.id).to_string()),
                limit: 10,
                ..Default::default()
            })
            .await?;
        let mut views = Vec::with_capacity(cases.len());
        for c in cases {
            views.push(self.case_view(c).await?);
        }
        views.sort_by_key(|v| v.case.id);
        let authority =
            crate::policy::authorize(p, Action::ReviewCatalog(pr.authority_org), &tree).is_ok();
        let agency = crate::policy::authorize(p, Action::EditCatalog(pr.org_id), &tree).is_ok();
        Ok(ProposalView {
            entry_code: e.code,
            entry_name: e.content.name,
            org_name: tree
                .get(pr.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            authority_name: tree
                .get(pr.authority_org)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            cases: views,
            may_answer: agency && pr.state == ProposalState::Open,
            may_escalate: authority && pr.state == ProposalState::Disagreed,
            may_decide: authority && pr.state == ProposalState::Escalated,
            proposal: pr,
        })
    }

    async fn load_proposal(&self, id: i64) -> Result<OpenProposal> {
        self.store
            .get_open_proposal(id)
            .await
            .map_err(ServiceError::not_found("proposal"))
    }

    /// One proposal: for its authority, the agency, and whoever may see the
    /// agency's unpublished entries (auditors, the level's reviewers).
    pub async fn get_open_proposal(&self, p: &Principal, id: i64) -> Result<ProposalView> {
        let pr = self.load_proposal(id).await?;
        self.authorize_any(
            p,
            &[
                Action::ReviewCatalog(pr.authority_org),
                Action::EditCatalog(pr.org_id),
                Action::ViewUnpublishedCatalog(pr.org_id),
            ],
        )
        .await?;
        self.proposal_view(p, pr).await
    }

    /// The level's authority proposes another open attribute for a
    /// published entry (Art. 32): a case for the agency, 10 working days.
    pub async fn propose_open_attribute(
        &self,
        p: &Principal,
        entry_id: i64,
        input: ProposalInput,
    ) -> Result<ProposalView> {
        let e = self.load_entry(entry_id).await?;
        let tree = self.org_tree().await?;
        let authority = authority_of(&tree, e.org_id).unwrap_or(-1);
        self.authorize(p, Action::ReviewCatalog(authority)).await?;
        let published = match e.published_version {
            Some(_) if e.state != EntryState::Delisted => self.published_content(&e).await?,
            _ => {
                return Err(ServiceError::Conflict {
                    code: "entry_not_published",
                    detail: "a proposal is about a published entry's open attribute".into(),
                });
            }
        };
        if input.proposed_attribute == published.open_attribute {
            return Err(ServiceError::invalid(
                "proposed_attribute",
                format!(
                    "the entry is already {} ({})",
                    published.open_attribute.as_str(),
                    published.open_attribute.zh()
                ),
            ));
        }
        let clauses = checked_clauses("clauses", input.proposed_attribute, input.clauses)?;
        let reasons = required_text("reasons", &input.reasons, 2000)?;
        let pending = self
            .store
            .list_open_proposals(&ProposalFilter {
                entry_id: Some(entry_id),
                limit: 100,
                ..Default::default()
            })
            .await?;
        if pending.iter().any(|x| {
            matches!(
                x.state,
                ProposalState::Open | ProposalState::Disagreed | ProposalState::Escalated
            )
        }) {
            return Err(ServiceError::Conflict {
                code: "proposal_pending",
                detail: "a proposal on this entry's open attribute is still pending".into(),
            });
        }
        let filing = self
            .store
            .list_open_filings(&FilingFilter {
                entry_id: Some(entry_id),
                current_only: true,
                limit: 1,
                ..Default::default()
            })
            .await?
            .into_iter()
            .next();
        let today = today_cst();
        let due = CaseKind::OpenProposal.due(&self.calendar(), today)?;
        let audit = p.event(
            "open.propose",
            "",
            Outcome::Success,
            json!({"entry_id": entry_id, "from": published.open_attribute.as_str(),
                   "proposed": input.proposed_attribute.as_str(), "clauses": clauses,
                   "due": due.to_string()}),
        );
        let created = self
            .store
            .create_open_proposal(
                NewOpenProposal {
                    entry_id,
                    org_id: e.org_id,
                    authority_org: authority,
                    filing_id: filing.map(|f| f.id),
                    from_attribute: published.open_attribute,
                    from_clauses: published.open_clauses.clone(),
                    proposed_attribute: input.proposed_attribute,
                    proposed_clauses: clauses,
                    reasons,
                    proposed_by: p.name.clone(),
                    case: NewCase {
                        kind: CaseKind::OpenProposal,
                        subject: String::new(),
                        requester_org: authority,
                        responder_org: e.org_id,
                        opened_on: today,
                        due_on: due,
                        basis: CaseKind::OpenProposal.time_limit().1.into(),
                    },
                },
                audit,
            )
            .await?;
        self.proposal_view(p, created).await
    }

    /// The agency answers a proposal: agreeing writes the proposed attribute
    /// as a new version of the entry (the ordinary edit: checked, then
    /// submitted for review as any change); disagreeing states reasons.
    /// Either closes the case.
    pub async fn answer_open_proposal(
        &self,
        p: &Principal,
        id: i64,
        input: AnswerInput,
    ) -> Result<ProposalView> {
        let pr = self.load_proposal(id).await?;
        self.authorize(p, Action::EditCatalog(pr.org_id)).await?;
        if pr.state != ProposalState::Open {
            return Err(state_conflict("proposal_not_open", &pr));
        }
        let reasons = input.reasons.trim().to_string();
        if reasons.chars().count() > 2000 {
            return Err(ServiceError::invalid("reasons", "at most 2000 characters"));
        }
        let change = if input.agree {
            let clauses = match input.clauses {
                Some(c) => checked_clauses("clauses", pr.proposed_attribute, c)?,
                None => pr.proposed_clauses.clone(),
            };
            let e = self.load_entry(pr.entry_id).await?;
            if !matches!(
                e.state,
                EntryState::Draft | EntryState::Returned | EntryState::Published
            ) {
                return Err(ServiceError::Conflict {
                    code: "invalid_transition",
                    detail: format!(
                        "the entry is {} ({}): answer once its review is done",
                        e.state.as_str(),
                        e.state.zh()
                    ),
                });
            }
            let basis = if reasons.is_empty() {
                format!("按主管部门修改建议（第三十二条）：{}", pr.reasons)
            } else {
                reasons.clone()
            };
            let content = with_attribute(&e.content, pr.proposed_attribute, &clauses, &basis);
            let content = self.checked_content(content).await?;
            self.refuse_shared_data_in_open(e.org_id, &content).await?;
            Some(EntryChange {
                entry_id: e.id,
                expect_state: e.state,
                new_state: EntryState::Draft,
                new_content: (content != e.content).then_some(content),
                publish_on: None,
                note: format!("按主管部门修改建议变更开放属性（第三十二条，建议 {id}）"),
                actor: p.name.clone(),
                open_case: None,
                close_cases: vec![],
                file_with: None,
            })
            .filter(|c| c.new_content.is_some())
        } else {
            if reasons.is_empty() {
                return Err(ServiceError::invalid(
                    "reasons",
                    "不同意须说明理由 (disagreeing states reasons)",
                ));
            }
            None
        };
        let outcome = if input.agree { "agreed" } else { "disagreed" };
        let audit = p.event(
            "open.answer",
            CaseSubject::OpenProposal(id).to_string(),
            Outcome::Success,
            json!({"entry_id": pr.entry_id, "answer": outcome, "reasons": reasons}),
        );
        let answered = self
            .store
            .answer_open_proposal(
                ProposalAnswer {
                    id,
                    agree: input.agree,
                    reasons,
                    change,
                    actor: p.name.clone(),
                },
                audit,
            )
            .await
            .map_err(map_store("proposal_not_open"))?;
        self.proposal_view(p, answered).await
    }

    /// Without agreement, the authority escalates to the people's
    /// government of the level (Art. 32), stating its position: a case for
    /// the authority to record the decision (20 working days).
    pub async fn escalate_open_proposal(
        &self,
        p: &Principal,
        id: i64,
        input: EscalationInput,
    ) -> Result<ProposalView> {
        let pr = self.load_proposal(id).await?;
        self.authorize(p, Action::ReviewCatalog(pr.authority_org))
            .await?;
        if pr.state != ProposalState::Disagreed {
            return Err(state_conflict("not_disagreed", &pr));
        }
        let reasons = required_text("reasons", &input.reasons, 2000)?;
        let today = today_cst();
        let due = CaseKind::OpenEscalation.due(&self.calendar(), today)?;
        let audit = p.event(
            "open.escalate",
            CaseSubject::OpenProposal(id).to_string(),
            Outcome::Success,
            json!({"entry_id": pr.entry_id, "authority_position": reasons,
                   "agency_position": pr.answer_reasons, "due": due.to_string()}),
        );
        let escalated = self
            .store
            .escalate_open_proposal(
                id,
                &reasons,
                &p.name,
                NewCase {
                    kind: CaseKind::OpenEscalation,
                    subject: String::new(),
                    // The agency is the other party to the dispute.
                    requester_org: pr.org_id,
                    responder_org: pr.authority_org,
                    opened_on: today,
                    due_on: due,
                    basis: CaseKind::OpenEscalation.time_limit().1.into(),
                },
                audit,
            )
            .await
            .map_err(map_store("not_disagreed"))?;
        self.proposal_view(p, escalated).await
    }

    /// The authority records the government's decision; it is applied to
    /// the entry as a new version (published and filed when the entry is
    /// published; in the pending change when one is in progress), and the
    /// case closes.
    pub async fn record_government_decision(
        &self,
        p: &Principal,
        id: i64,
        input: DecisionInput,
    ) -> Result<ProposalView> {
        let pr = self.load_proposal(id).await?;
        self.authorize(p, Action::ReviewCatalog(pr.authority_org))
            .await?;
        if pr.state != ProposalState::Escalated {
            return Err(state_conflict("not_escalated", &pr));
        }
        let document_no = required_text("document_no", &input.document_no, 200)?;
        let today = today_cst();
        if input.decided_on > today {
            return Err(ServiceError::invalid(
                "decided_on",
                "the decision's date cannot be in the future",
            ));
        }
        let clauses = checked_clauses("clauses", input.attribute, input.clauses)?;
        let e = self.load_entry(pr.entry_id).await?;
        let publishes = match e.state {
            EntryState::Published => true,
            EntryState::Draft | EntryState::Returned => false,
            other => {
                return Err(ServiceError::Conflict {
                    code: "invalid_transition",
                    detail: format!(
                        "the entry is {} ({}): record the decision once its review is done",
                        other.as_str(),
                        other.zh()
                    ),
                });
            }
        };
        let basis = format!(
            "本级人民政府决定（{document_no}，{}，第三十二条）",
            input.decided_on
        );
        let content = with_attribute(&e.content, input.attribute, &clauses, &basis);
        let keeps =
            e.content.open_attribute == input.attribute && e.content.open_clauses == clauses;
        let change = if keeps {
            None
        } else {
            let content = self.checked_content(content).await?;
            self.refuse_shared_data_in_open(e.org_id, &content).await?;
            Some(EntryChange {
                entry_id: e.id,
                expect_state: e.state,
                new_state: e.state,
                new_content: Some(content),
                publish_on: publishes.then_some(today),
                note: format!("执行本级人民政府决定（{document_no}，第三十二条）"),
                actor: p.name.clone(),
                open_case: None,
                close_cases: vec![],
                file_with: publishes.then_some(pr.authority_org),
            })
        };
        let audit = p.event(
            "open.government_decision",
            CaseSubject::OpenProposal(id).to_string(),
            Outcome::Success,
            json!({"entry_id": pr.entry_id, "document_no": document_no,
                   "decided_on": input.decided_on.to_string(), "attribute": input.attribute.as_str(),
                   "clauses": clauses, "applied": change.is_some(), "published": publishes}),
        );
        let decided = self
            .store
            .decide_open_proposal(
                GovernmentDecision {
                    id,
                    document_no,
                    decided_on: input.decided_on,
                    attribute: input.attribute,
                    clauses,
                    change,
                    actor: p.name.clone(),
                },
                audit,
            )
            .await
            .map_err(map_store("not_escalated"))?;
        self.proposal_view(p, decided).await
    }
}
