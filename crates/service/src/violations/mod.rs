//! Violations and rectification (违规与整改, VIO-1, VIO-2; Art. 49–50).
//!
//! A violation is recorded against a public body (Art. 49's ten items) or a
//! user of public data (Art. 50's five). The platform detects those it can
//! from its own records ([`detect`]): update obligations, share answers and
//! implementations, demands and objections past their deadline; datasets not
//! aggregated or stale; reads refused as outside a grant or after its
//! expiry; declarations of an item another department already collects; an
//! audit chain that no longer verifies. The data authority records the rest.
//!
//! The authority over the body (the reviewer of its level's authority, or of
//! an authority above) issues a rectification notice (限期整改通知) over one
//! body's open violations with a time limit in working days — a case. The
//! body reports (整改情况); the authority accepts (the violations close) or
//! returns the report. A notice still open after its due date goes onto the
//! government's supervision list (纳入督查督办) by itself, in the hourly job.
//!
//! Misuse by a data user (Art. 50), and shared data not used as prescribed
//! (Art. 49(4)), may suspend the user's active grants when recorded.

pub mod detect;

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::org::{OrgKind, Role};
use pubdata_domain::share::GrantState;
use pubdata_domain::violation::{
    RectificationState, ViolationKind, ViolationSource, ViolationState, rectification_limit,
};
use pubdata_store::{
    GrantFilter, NewCase, NewRectification, NewViolation, Rectification, RectificationFilter,
    RectificationMove, StoreError, Violation, ViolationFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::org_tree::OrgTree;
use crate::policy::{Action, holds};
use crate::principal::Principal;
use crate::sharing::required_text;

/// A violation as the authority records it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViolationInput {
    /// The body (Art. 49) or data user (Art. 50) it is recorded against.
    pub org_id: i64,
    pub kind: ViolationKind,
    pub title: String,
    /// What happened, with the facts found.
    pub description: String,
    /// The record it is about, e.g. `grant:7` or `dataset:3`.
    #[serde(default)]
    pub subject: Option<String>,
    /// When it happened (China date); today when absent.
    #[serde(default)]
    pub occurred_on: Option<NaiveDate>,
    /// Suspend the data user's active grants (Art. 50 misuse, or Art. 49(4)).
    #[serde(default)]
    pub suspend_grants: bool,
}

/// Dismissing a finding that is not a violation (核销), with the reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissalInput {
    pub reason: String,
}

/// A rectification notice as issued.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationInput {
    /// Open violations of one body.
    pub violation_ids: Vec<i64>,
    /// What must be put right (整改要求).
    pub requirement: String,
    /// The time limit in working days (1–60); 15 when absent.
    #[serde(default)]
    pub working_days: Option<u32>,
}

/// The body's report on its rectification.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationReport {
    pub report: String,
}

/// The authority's decision on a report.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationDecision {
    /// `true` accepts (the violations close); `false` returns the report.
    pub accept: bool,
    pub note: String,
}

/// Filters of the violations list.
#[derive(Debug, Clone, Default)]
pub struct ViolationQuery {
    /// Against, or handled by, this organisation.
    pub org: Option<i64>,
    pub state: Option<ViolationState>,
    pub kind: Option<ViolationKind>,
    pub source: Option<ViolationSource>,
}

/// Filters of the notices list.
#[derive(Debug, Clone, Default)]
pub struct RectificationQuery {
    pub state: Option<RectificationState>,
    /// Only notices on (true) or off (false) the government's supervision list.
    pub escalated: Option<bool>,
}

/// A violation as people see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ViolationView {
    #[serde(flatten)]
    pub violation: Violation,
    pub org_name: String,
    pub authority_name: String,
    /// The article and item violated, e.g. 《…》第四十九条第（二）项.
    pub citation: String,
    /// The viewer may issue a notice over it or dismiss it.
    pub can_act: bool,
}

/// A notice as people see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RectificationView {
    #[serde(flatten)]
    pub rectification: Rectification,
    pub org_name: String,
    pub authority_name: String,
    /// While not accepted: the deadline (overdue the day after it).
    pub deadline: Option<DeadlineStatus>,
    /// On the government's supervision list (督查督办).
    pub on_supervision_list: bool,
    /// The violations it covers.
    pub violations: Vec<ViolationView>,
    /// The viewer acts for the body and may report.
    pub can_report: bool,
    /// The viewer is the authority and may accept or return the report.
    pub can_decide: bool,
}

/// What a run of the checks found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckRun {
    /// Violations detected and recorded in this run.
    pub detected: usize,
    /// Notices put on the supervision list in this run.
    pub escalated: usize,
}

/// The data authority responsible for `org`: its level's, or the city's
/// for an organisation outside every region.
pub(crate) fn authority_for(tree: &OrgTree, org: i64) -> Option<i64> {
    tree.region_of(org)
        .and_then(|r| tree.authority_of(r))
        .or_else(|| city_authority(tree))
}

/// The data authority of the topmost region (the city's).
pub(crate) fn city_authority(tree: &OrgTree) -> Option<i64> {
    tree.walk()
        .into_iter()
        .find(|(_, o)| o.kind == OrgKind::Region)
        .and_then(|(_, o)| tree.authority_of(o.id))
}

impl App {
    async fn violation_of(&self, id: i64) -> Result<Violation> {
        self.store
            .get_violation(id)
            .await
            .map_err(ServiceError::not_found("violation"))
    }

    async fn rectification_of(&self, id: i64) -> Result<Rectification> {
        self.store
            .get_rectification(id)
            .await
            .map_err(ServiceError::not_found("rectification"))
    }

    /// The caller reviews for an authority over `org`: its level's or
    /// above, or for an organisation outside every region the city's.
    fn is_authority_over(p: &Principal, org: i64, tree: &OrgTree) -> bool {
        holds(p, Role::AuthorityReviewer, org, tree)
            || authority_for(tree, org).is_some_and(|a| {
                p.roles
                    .iter()
                    .any(|g| g.role == Role::AuthorityReviewer && g.org_id == a)
            })
    }

    /// The body, the authority over it and auditors see a violation or
    /// notice; others get 404.
    async fn may_view_violation(&self, p: &Principal, org: i64, authority: i64) -> Result<()> {
        let tree = self.org_tree().await?;
        if Self::acts_for(p, org)
            || Self::acts_for(p, authority)
            || Self::is_authority_over(p, org, &tree)
            || self.can(p, Action::ReadAudit).await
        {
            return Ok(());
        }
        Err(ServiceError::NotFound { what: "violation" })
    }

    async fn refuse_violation(
        &self,
        p: &Principal,
        action: &str,
        target: String,
        detail: &str,
    ) -> ServiceError {
        let err = ServiceError::Forbidden(detail.into());
        let event = p.event(
            action,
            target,
            Outcome::Denied,
            json!({"refused": "forbidden", "reason": detail}),
        );
        match self.store.append_audit(event).await {
            Ok(_) => err,
            Err(e) => e.into(),
        }
    }

    pub(crate) async fn violation_view(
        &self,
        p: &Principal,
        v: Violation,
    ) -> Result<ViolationView> {
        let tree = self.org_tree().await?;
        Ok(ViolationView {
            org_name: self.org_name(v.org_id).await?,
            authority_name: self.org_name(v.authority_org).await?,
            citation: v.kind.citation(),
            can_act: v.state == ViolationState::Open && Self::is_authority_over(p, v.org_id, &tree),
            violation: v,
        })
    }

    /// The authority records a violation (登记违规); for misuse it may
    /// suspend the data user's active grants at once.
    pub async fn record_violation(
        &self,
        p: &Principal,
        req: ViolationInput,
    ) -> Result<ViolationView> {
        let tree = self.org_tree().await?;
        let kind_of = tree
            .kind(req.org_id)
            .ok_or_else(|| ServiceError::invalid("org_id", "no such organisation"))?;
        if !Self::is_authority_over(p, req.org_id, &tree) {
            return Err(self
                .refuse_violation(
                    p,
                    "violation.record",
                    "violation:new".into(),
                    "only the data authority over the organisation records a violation",
                )
                .await);
        }
        match (req.kind.is_misuse(), kind_of) {
            (false, OrgKind::Agency) => {}
            (false, _) => {
                return Err(ServiceError::invalid(
                    "org_id",
                    "Art. 49 applies to public bodies (公共管理和服务机构); record a data user's misuse under Art. 50",
                ));
            }
            (true, OrgKind::Region | OrgKind::Authority) => {
                return Err(ServiceError::invalid("org_id", "not a user of public data"));
            }
            (true, _) => {}
        }
        if req.suspend_grants && !(req.kind.is_misuse() || req.kind == ViolationKind::SharedDataUse)
        {
            return Err(ServiceError::invalid(
                "suspend_grants",
                "grants are suspended for misuse (Art. 50) or for shared data not used as prescribed (Art. 49(4))",
            ));
        }
        let title = required_text("title", &req.title, 200)?;
        let description = required_text("description", &req.description, 4000)?;
        let subject = match req
            .subject
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) if s.chars().count() > 200 => {
                return Err(ServiceError::invalid("subject", "at most 200 characters"));
            }
            s => s.map(str::to_string),
        };
        let today = today_cst();
        let occurred_on = req.occurred_on.unwrap_or(today);
        if occurred_on > today {
            return Err(ServiceError::invalid("occurred_on", "in the future"));
        }
        let authority = authority_for(&tree, req.org_id).ok_or_else(|| {
            ServiceError::invalid("org_id", "no data authority above the organisation")
        })?;
        let new = NewViolation {
            org_id: req.org_id,
            authority_org: authority,
            kind: req.kind,
            source: ViolationSource::Recorded,
            detection_key: None,
            subject,
            title,
            description,
            evidence: json!({}),
            occurred_on,
            created_by: p.name.clone(),
        };
        let event = p.event(
            "violation.record",
            "violation:new",
            Outcome::Success,
            json!({"org": req.org_id, "kind": req.kind.as_str(), "suspend_grants": req.suspend_grants}),
        );
        let mut v = self
            .store
            .record_violation(new, event)
            .await?
            .ok_or_else(|| {
                ServiceError::Internal("a recorded violation has no key to collide".into())
            })?;
        if req.suspend_grants {
            let n = self.suspend_for_violation(p, &v).await?;
            if n > 0 {
                self.store.set_violation_suspensions(v.id, n).await?;
                v.grants_suspended += n;
            }
        }
        self.violation_view(p, v).await
    }

    /// Suspends every active grant of the violator, citing the violation.
    async fn suspend_for_violation(&self, p: &Principal, v: &Violation) -> Result<i64> {
        let grants = self
            .store
            .list_grants(&GrantFilter {
                grantee_orgs: Some(vec![v.org_id]),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let reason = format!("违规记录 #{}：{}（{}）", v.id, v.title, v.kind.citation());
        let mut n = 0;
        for g in grants.into_iter().filter(|g| g.state == GrantState::Active) {
            let event = p.event(
                "grant.suspend",
                format!("grant:{}", g.id),
                Outcome::Success,
                json!({"reason": reason, "from": g.state.as_str(), "violation": v.id}),
            );
            match self
                .store
                .set_grant_state(
                    g.id,
                    &[GrantState::Active],
                    GrantState::Suspended,
                    &reason,
                    event,
                )
                .await
            {
                Ok(_) => {
                    self.forget_rate(g.id);
                    n += 1;
                }
                // Changed meanwhile (revoked, expired): nothing to suspend.
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if n > 0 {
            self.forget_grants();
        }
        Ok(n)
    }

    /// The bodies and data users the caller may record a violation
    /// against (the record form's choices): none unless it reviews for a
    /// data authority.
    pub async fn violation_targets(&self, p: &Principal) -> Result<Vec<(i64, String, OrgKind)>> {
        let tree = self.org_tree().await?;
        Ok(tree
            .walk()
            .into_iter()
            .filter(|(_, o)| {
                matches!(
                    o.kind,
                    OrgKind::Agency | OrgKind::Enterprise | OrgKind::Institution
                ) && Self::is_authority_over(p, o.id, &tree)
            })
            .map(|(_, o)| (o.id, o.name.clone(), o.kind))
            .collect())
    }

    pub async fn violation(&self, p: &Principal, id: i64) -> Result<ViolationView> {
        let v = self.violation_of(id).await?;
        self.may_view_violation(p, v.org_id, v.authority_org)
            .await?;
        self.violation_view(p, v).await
    }

    /// Violations the caller may see (its own organisations', and for an
    /// authority's reviewer its level's; all for auditors), newest first.
    pub async fn violations(
        &self,
        p: &Principal,
        q: &ViolationQuery,
    ) -> Result<Vec<ViolationView>> {
        let visible = self.sharing_orgs(p).await?;
        let orgs = match (visible, q.org) {
            (None, Some(o)) => Some(vec![o]),
            (None, None) => None,
            (Some(v), Some(o)) if v.contains(&o) => Some(vec![o]),
            (Some(_), Some(_)) => Some(vec![]),
            (Some(v), None) => Some(v),
        };
        let f = ViolationFilter {
            orgs,
            state: q.state,
            kind: q.kind,
            source: q.source,
            limit: 1000,
            ..Default::default()
        };
        let mut out = Vec::new();
        for v in self.store.list_violations(&f).await? {
            out.push(self.violation_view(p, v).await?);
        }
        Ok(out)
    }

    /// Dismisses an open violation that is not one (核销), with the reason.
    pub async fn dismiss_violation(
        &self,
        p: &Principal,
        id: i64,
        d: DismissalInput,
    ) -> Result<ViolationView> {
        let v = self.violation_of(id).await?;
        self.may_view_violation(p, v.org_id, v.authority_org)
            .await?;
        let tree = self.org_tree().await?;
        if !Self::is_authority_over(p, v.org_id, &tree) {
            return Err(self
                .refuse_violation(
                    p,
                    "violation.dismiss",
                    format!("violation:{id}"),
                    "only the data authority dismisses a violation",
                )
                .await);
        }
        let reason = required_text("reason", &d.reason, 2000)?;
        let event = p.event(
            "violation.dismiss",
            format!("violation:{id}"),
            Outcome::Success,
            json!({"reason": reason}),
        );
        let v = self
            .store
            .dismiss_violation(id, &p.name, &reason, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "violation_not_open",
                    detail: format!("violation {id} is not open: it is under rectification, rectified or dismissed"),
                },
                e => e.into(),
            })?;
        self.violation_view(p, v).await
    }

    /// Issues a rectification notice (限期整改通知) over open violations of
    /// one body, opening its case.
    pub async fn issue_rectification(
        &self,
        p: &Principal,
        req: RectificationInput,
    ) -> Result<RectificationView> {
        if req.violation_ids.is_empty() || req.violation_ids.len() > 100 {
            return Err(ServiceError::invalid(
                "violation_ids",
                "1 to 100 violations",
            ));
        }
        let mut ids = req.violation_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let mut vs = Vec::with_capacity(ids.len());
        for id in &ids {
            match self.store.get_violation(*id).await {
                Ok(v) => vs.push(v),
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::invalid(
                        "violation_ids",
                        format!("no violation {id}"),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let org = vs[0].org_id;
        if vs.iter().any(|v| v.org_id != org) {
            return Err(ServiceError::invalid(
                "violation_ids",
                "a notice goes to one body: the violations are of different organisations",
            ));
        }
        let tree = self.org_tree().await?;
        if !Self::is_authority_over(p, org, &tree) {
            return Err(self
                .refuse_violation(
                    p,
                    "rectification.issue",
                    "rectification:new".into(),
                    "only the data authority over the body issues a rectification notice",
                )
                .await);
        }
        if let Some(v) = vs.iter().find(|v| v.state != ViolationState::Open) {
            return Err(ServiceError::Conflict {
                code: "violation_not_open",
                detail: format!(
                    "violation {} is {}: a notice covers open violations only",
                    v.id,
                    v.state.as_str()
                ),
            });
        }
        let requirement = required_text("requirement", &req.requirement, 4000)?;
        let days = rectification_limit(req.working_days)
            .map_err(|m| ServiceError::invalid("working_days", m))?;
        let authority = vs[0].authority_org;
        let today = today_cst();
        let (_, article) = CaseKind::Rectification.time_limit();
        let case = NewCase {
            kind: CaseKind::Rectification,
            subject: String::new(),
            requester_org: authority,
            responder_org: org,
            opened_on: today,
            due_on: self.calendar().add_working_days(today, days)?,
            basis: format!("{article}：限期 {} 个工作日", days.get()),
        };
        let new = NewRectification {
            org_id: org,
            authority_org: authority,
            requirement,
            working_days: i64::from(days.get()),
            violations: ids.clone(),
            created_by: p.name.clone(),
            case,
        };
        let event = p.event(
            "rectification.issue",
            "rectification:new",
            Outcome::Success,
            json!({"org": org, "violations": ids, "working_days": days.get()}),
        );
        let r = self
            .store
            .create_rectification(new, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "violation_not_open",
                    detail: "a violation changed meanwhile; reload".into(),
                },
                e => e.into(),
            })?;
        self.rectification_view(p, r, true).await
    }

    pub async fn rectification(&self, p: &Principal, id: i64) -> Result<RectificationView> {
        let r = self.rectification_of(id).await?;
        self.may_view_violation(p, r.org_id, r.authority_org)
            .await
            .map_err(|_| ServiceError::NotFound {
                what: "rectification",
            })?;
        self.rectification_view(p, r, true).await
    }

    /// Notices the caller may see, newest first.
    pub async fn rectifications(
        &self,
        p: &Principal,
        q: &RectificationQuery,
    ) -> Result<Vec<RectificationView>> {
        let f = RectificationFilter {
            orgs: self.sharing_orgs(p).await?,
            state: q.state,
            escalated: q.escalated,
            limit: 1000,
        };
        let mut out = Vec::new();
        for r in self.store.list_rectifications(&f).await? {
            out.push(self.rectification_view(p, r, false).await?);
        }
        Ok(out)
    }

    async fn rectification_view(
        &self,
        p: &Principal,
        r: Rectification,
        detail: bool,
    ) -> Result<RectificationView> {
        let tree = self.org_tree().await?;
        let violations = if detail {
            let mut out = Vec::new();
            for v in self
                .store
                .list_violations(&ViolationFilter {
                    rectification_id: Some(r.id),
                    limit: 1000,
                    ..Default::default()
                })
                .await?
            {
                out.push(self.violation_view(p, v).await?);
            }
            out
        } else {
            vec![]
        };
        let authority = Self::is_authority_over(p, r.org_id, &tree);
        Ok(RectificationView {
            org_name: self.org_name(r.org_id).await?,
            authority_name: self.org_name(r.authority_org).await?,
            deadline: (r.state != RectificationState::Accepted)
                .then(|| deadline_status(&self.calendar(), r.due_on, today_cst())),
            on_supervision_list: r.escalated_at.is_some(),
            violations,
            can_report: r.state == RectificationState::Open
                && Self::acts_for(p, r.org_id)
                && !authority,
            can_decide: r.state == RectificationState::Reported && authority,
            rectification: r,
        })
    }

    fn rectification_moved(e: StoreError) -> ServiceError {
        match e {
            StoreError::Conflict { .. } => ServiceError::Conflict {
                code: "rectification_state",
                detail: "the notice is not in a state that allows this (reported already, or accepted); reload".into(),
            },
            e => e.into(),
        }
    }

    /// The body reports its rectification (报送整改情况).
    pub async fn report_rectification(
        &self,
        p: &Principal,
        id: i64,
        r: RectificationReport,
    ) -> Result<RectificationView> {
        let rect = self.rectification_of(id).await?;
        self.may_view_violation(p, rect.org_id, rect.authority_org)
            .await
            .map_err(|_| ServiceError::NotFound {
                what: "rectification",
            })?;
        let tree = self.org_tree().await?;
        let staff = holds(p, Role::AgencyDataAdmin, rect.org_id, &tree)
            || holds(p, Role::ChiefDataOfficer, rect.org_id, &tree)
            || holds(p, Role::ExternalApplicant, rect.org_id, &tree);
        if !(Self::acts_for(p, rect.org_id) && staff) {
            return Err(self
                .refuse_violation(
                    p,
                    "rectification.report",
                    format!("rectification:{id}"),
                    "only the notified body's data administrator or chief data officer reports",
                )
                .await);
        }
        let report = required_text("report", &r.report, 8000)?;
        let event = p.event(
            "rectification.report",
            format!("rectification:{id}"),
            Outcome::Success,
            json!({"late": today_cst() > rect.due_on}),
        );
        let rect = self
            .store
            .move_rectification(id, RectificationMove::Report { report }, &p.name, event)
            .await
            .map_err(Self::rectification_moved)?;
        self.rectification_view(p, rect, true).await
    }

    /// The authority accepts the report (整改验收: the violations close) or
    /// returns it.
    pub async fn decide_rectification(
        &self,
        p: &Principal,
        id: i64,
        d: RectificationDecision,
    ) -> Result<RectificationView> {
        let rect = self.rectification_of(id).await?;
        self.may_view_violation(p, rect.org_id, rect.authority_org)
            .await
            .map_err(|_| ServiceError::NotFound {
                what: "rectification",
            })?;
        let tree = self.org_tree().await?;
        if !Self::is_authority_over(p, rect.org_id, &tree) {
            return Err(self
                .refuse_violation(
                    p,
                    "rectification.decide",
                    format!("rectification:{id}"),
                    "only the data authority accepts or returns a rectification",
                )
                .await);
        }
        let note = required_text("note", &d.note, 4000)?;
        let (mv, action) = if d.accept {
            (RectificationMove::Accept { note }, "rectification.accept")
        } else {
            (RectificationMove::Return { note }, "rectification.return")
        };
        let event = p.event(
            action,
            format!("rectification:{id}"),
            Outcome::Success,
            json!({}),
        );
        let rect = self
            .store
            .move_rectification(id, mv, &p.name, event)
            .await
            .map_err(Self::rectification_moved)?;
        self.rectification_view(p, rect, true).await
    }

    /// Runs the detection and the escalation now (the hourly job does it by
    /// itself), verifying the whole audit chain too: a data authority's
    /// reviewer, or the platform administrator.
    pub async fn check_violations_now(&self, p: &Principal) -> Result<CheckRun> {
        let allowed = p
            .roles
            .iter()
            .any(|g| matches!(g.role, Role::AuthorityReviewer | Role::PlatformAdmin));
        if !allowed {
            return Err(self
                .refuse_violation(p, "violation.check", "violations".into(), "only a data authority's reviewer or the platform administrator runs the checks")
                .await);
        }
        self.violation_checks(true).await
    }

    /// The job: detect what the records show, then put missed notices on
    /// the supervision list.
    pub async fn run_violation_checks(&self) -> Result<CheckRun> {
        self.violation_checks(false).await
    }

    /// Runs the checks, verifying the whole audit chain when `chain_now`
    /// (else once a China day).
    pub(crate) async fn violation_checks(&self, chain_now: bool) -> Result<CheckRun> {
        let detected = self.detect_violations(chain_now).await?;
        let escalated = self
            .store
            .escalate_rectifications(
                today_cst(),
                Principal::system().event(
                    "rectification.escalate",
                    "rectification",
                    Outcome::Success,
                    json!({}),
                ),
            )
            .await?
            .len();
        Ok(CheckRun {
            detected,
            escalated,
        })
    }
}
