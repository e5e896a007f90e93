//! Demo filings and proposals on open attributes (开放属性备案与修改建议,
//! OPN-1, Art. 32–34). The demo catalogue's not-open and conditionally open
//! entries are filed on publication with their basis (demo/catalog.rs);
//! here 市数据局 proposes changes in every state: open (one overdue),
//! agreed (then submitted and published as usual, and filed again),
//! disagreed, escalated to the city government (its decision overdue), and
//! decided by it.

use chrono::Duration;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::catalog::{OpenAttribute, OpenClause};
use pubdata_store::{NewCase, ProposalFilter};
use serde_json::json;

use crate::App;
use crate::catalog::{Decision, ReviewInput};
use crate::error::Result;
use crate::open_proposals::{AnswerInput, DecisionInput, FilingQuery, ProposalInput};
use crate::principal::Principal;

impl App {
    /// Escalates as of `days_ago` (so the demo's decision case has a due
    /// date in a known year, and may be overdue), through the store.
    async fn demo_escalate(
        &self,
        sjj: &Principal,
        id: i64,
        reasons: &str,
        days_ago: i64,
    ) -> Result<()> {
        let p = self.store.get_open_proposal(id).await?;
        let opened = today_cst() - Duration::days(days_ago);
        let due = CaseKind::OpenEscalation.due(&self.calendar(), opened)?;
        let subject = CaseSubject::OpenProposal(p.id).to_string();
        let audit = sjj.event(
            "open.escalate",
            subject.clone(),
            Outcome::Success,
            json!({"entry_id": p.entry_id, "authority_position": reasons,
                   "agency_position": p.answer_reasons, "due": due.to_string(), "demo": true}),
        );
        self.store
            .escalate_open_proposal(
                p.id,
                reasons,
                &sjj.name,
                NewCase {
                    kind: CaseKind::OpenEscalation,
                    subject,
                    requester_org: p.org_id,
                    responder_org: p.authority_org,
                    opened_on: opened,
                    due_on: due,
                    basis: CaseKind::OpenEscalation.time_limit().1.into(),
                },
                audit,
            )
            .await?;
        Ok(())
    }

    /// Seeds the demo proposals; does nothing when any exists or when the
    /// catalogue has too few filed entries.
    pub(crate) async fn seed_demo_open_proposals(&self) -> Result<usize> {
        if !self
            .store
            .list_open_proposals(&ProposalFilter {
                limit: 1,
                ..Default::default()
            })
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let Ok(sjj) = self.demo_person("qy-sjj").await else {
            return Ok(0);
        };
        // Filed entries still published as filed, one per agency first.
        let filings = self
            .list_open_filings(&sjj, &FilingQuery::default())
            .await?;
        // … of agencies with a demo account to answer.
        let mut picked = Vec::new();
        for f in &filings {
            let e = self.load_entry(f.filing.entry_id).await?;
            let code = self.store.get_org(f.filing.org_id).await?.code;
            if e.state == pubdata_domain::catalog::EntryState::Published
                && self.demo_person(&code).await.is_ok()
            {
                picked.push((f.clone(), e));
            }
        }
        let mut none: Vec<_> = picked
            .iter()
            .filter(|(f, _)| f.filing.attribute == OpenAttribute::None)
            .collect();
        let conditional: Vec<_> = picked
            .iter()
            .filter(|(f, _)| f.filing.attribute == OpenAttribute::Conditional)
            .collect();
        // The agreed one must be openable: not data the agency obtained by
        // sharing (Art. 37), allowed by its grade.
        let mut agreeable = None;
        for (i, (_, e)) in none.iter().enumerate() {
            let c = crate::open_proposals::with_attribute(
                &e.content,
                OpenAttribute::Conditional,
                &[OpenClause::RiskAssessment],
                "demo",
            );
            if self.checked_content(c.clone()).await.is_ok()
                && self.refuse_shared_data_in_open(e.org_id, &c).await.is_ok()
            {
                agreeable = Some(i);
                break;
            }
        }
        let Some(agreeable) = agreeable else {
            return Ok(0);
        };
        let agreed = none.remove(agreeable);
        if none.len() < 4 || conditional.is_empty() {
            return Ok(0);
        }
        let agency = |org: i64| async move {
            let code = self.store.get_org(org).await?.code;
            self.demo_person(&code).await
        };
        let propose = |entry: i64, attribute, clauses: Vec<OpenClause>, reasons: &str| {
            let input = ProposalInput {
                proposed_attribute: attribute,
                clauses,
                reasons: reasons.into(),
            };
            let sjj = sjj.clone();
            async move { self.propose_open_attribute(&sjj, entry, input).await }
        };
        let mut n = 0;

        // Open, fresh: 不予开放 → 有条件开放 with the subjects' consent.
        let (_, e) = none[3];
        propose(
            e.id,
            OpenAttribute::Conditional,
            vec![OpenClause::SubjectConsent],
            "经评估，该资源可在数据主体授权同意、签订利用协议的前提下用于科研统计，建议列为有条件开放。",
        )
        .await?;
        n += 1;

        // Open and overdue: proposed three weeks ago.
        let (_, e) = conditional[0];
        let v = propose(
            e.id,
            OpenAttribute::None,
            vec![OpenClause::AgreementOrIp],
            "该资源部分信息项来源于第三方数据获取协议，协议禁止对外开放，建议列为不予开放。",
        )
        .await?;
        let opened = today_cst() - Duration::days(21);
        let due = CaseKind::OpenProposal.due(&self.calendar(), opened)?;
        self.store
            .backdate_open_proposal(v.proposal.id, opened, due)
            .await?;
        n += 1;

        // Agreed: the change is a new version, submitted and published as
        // usual, and filed again.
        let (f, e) = agreed;
        let v = propose(
            e.id,
            OpenAttribute::Conditional,
            vec![OpenClause::RiskAssessment],
            "该资源用于城市治理研究效益显著，建议在安全评估后有条件开放。",
        )
        .await?;
        let owner = agency(f.filing.org_id).await?;
        self.answer_open_proposal(
            &owner,
            v.proposal.id,
            AnswerInput {
                agree: true,
                reasons: "同意主管部门建议：经本部门评估，签订数据利用协议并通过安全评估后可有条件开放（第三十四条第三项）。".into(),
                clauses: None,
            },
        )
        .await?;
        self.submit_entry(&owner, e.id).await?;
        self.review_entry(
            &sjj,
            e.id,
            ReviewInput {
                decision: Decision::Approve,
                reason: String::new(),
            },
        )
        .await?;
        n += 1;

        // Disagreed, and the authority has not escalated yet.
        let (f, e) = none[0];
        let v = propose(
            e.id,
            OpenAttribute::Conditional,
            vec![OpenClause::SubjectConsent],
            "建议在取得数据主体同意后有条件开放。",
        )
        .await?;
        let owner = agency(f.filing.org_id).await?;
        self.answer_open_proposal(
            &owner,
            v.proposal.id,
            AnswerInput {
                agree: false,
                reasons:
                    "数据主体人数众多，无法逐一取得同意，仍应列为不予开放（第三十三条第三项）。"
                        .into(),
                clauses: None,
            },
        )
        .await?;
        n += 1;

        // Escalated to the city government, the decision not yet recorded.
        let (f, e) = none[1];
        let v = propose(
            e.id,
            OpenAttribute::Conditional,
            vec![OpenClause::RiskAssessment],
            "该资源对营商环境研究价值较高，建议经安全评估后有条件开放。",
        )
        .await?;
        let owner = agency(f.filing.org_id).await?;
        self.answer_open_proposal(
            &owner,
            v.proposal.id,
            AnswerInput {
                agree: false,
                reasons: "涉及个人隐私，现阶段不具备开放条件。".into(),
                clauses: None,
            },
        )
        .await?;
        self.demo_escalate(
            &sjj,
            v.proposal.id,
            "经协商未能达成一致，报市人民政府决定：主管部门认为经脱敏和安全评估后可有条件开放。",
            30,
        )
        .await?;
        n += 1;

        // Decided: the city government kept the agency's attribute.
        let (f, e) = none[2];
        let v = propose(
            e.id,
            OpenAttribute::Conditional,
            vec![OpenClause::SubjectConsent],
            "建议在取得数据主体同意后有条件开放。",
        )
        .await?;
        let owner = agency(f.filing.org_id).await?;
        self.answer_open_proposal(
            &owner,
            v.proposal.id,
            AnswerInput {
                agree: false,
                reasons: "法律规定应当通过其他途径获取，不宜开放。".into(),
                clauses: None,
            },
        )
        .await?;
        self.demo_escalate(&sjj, v.proposal.id, "未能达成一致，报市人民政府决定。", 20)
            .await?;
        self.record_government_decision(
            &sjj,
            v.proposal.id,
            DecisionInput {
                document_no: "清府函〔2026〕18号".into(),
                decided_on: today_cst(),
                attribute: e.content.open_attribute,
                clauses: e.content.open_clauses.clone(),
            },
        )
        .await?;
        n += 1;
        Ok(n)
    }
}
