//! Per-agency security management (安全管理, SEC-2 to SEC-4, Art. 44–45).
//!
//! Each agency records its security officer (安全负责人), its grade-based
//! protection settings (分级保护设置: per data grade, whether personal items
//! are masked by default, whether a confidentiality review is required,
//! whether grantees may export), its periodic security checks and risk
//! assessments (安全检查/风险评估) and its emergency and disaster-recovery
//! drills (应急演练/灾备演练). An agency manages its own; the data authority
//! supervising it, admins and auditors read. Every change is audited in the
//! same transaction as the change.
//!
//! Confidentiality review (保密审查) is a required step: when the grade
//! setting of a dataset's catalogue entry says `review_required`, a share
//! approval ([`App::decide_share`]), the publication of an open entry
//! ([`App::review_entry`]) and the approval of a conditional open
//! application ([`App::decide_open_application`]) are refused with 409
//! `confidentiality_review_required` until the provider has recorded a
//! passed review of that request (sharing) or entry version (opening) —
//! all three ask [`App::require_confidentiality_review`].
//!
//! Unusual-access alerts (异常访问告警, SEC-3): a leased job
//! ([`crate::jobs::Job::SecurityAlerts`]) scans the audit chain's access
//! records through grants for a day's volume far above the grant's trailing
//! mean, reads at odd hours (China time) and verification enumeration (the
//! door's `dataset.verify_probing` records); each finding is stored once,
//! audited, listed for the supervising authority and counted in `/metrics`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::{cst, date_cst, today_cst};
use pubdata_domain::catalog::OpenAttribute;
use pubdata_domain::security::{AlertKind, SecurityRecordKind};
use pubdata_store::{
    AlertCount, AlertFilter, CatalogEntry, ConfidentialityReview, GradeProtection, GrantAccess,
    NewConfidentialityReview, NewSecurityAlert, NewSecurityRecord, ReviewFilter, SecurityAlert,
    SecurityOfficer, SecurityRecord, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::org_tree::OrgTree;
use crate::policy::{Action, authorize};
use crate::principal::Principal;
use crate::sharing::required_text;

/// The stable code of a refusal for want of a passed confidentiality review.
pub const REVIEW_REQUIRED: &str = "confidentiality_review_required";

/// The officer as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityOfficerInput {
    pub name: String,
    /// 职务.
    pub post: String,
    /// 联系方式.
    pub contact: String,
}

/// One grade's protection setting as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectionInput {
    /// A grade code of the grading scheme, e.g. `L3`.
    pub grade: String,
    #[serde(default)]
    pub masking_default: bool,
    /// A confidentiality review (保密审查) must pass before sharing or opening.
    #[serde(default)]
    pub review_required: bool,
    #[serde(default)]
    pub export_allowed: bool,
    #[serde(default)]
    pub notes: String,
}

/// A check, assessment or drill as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityRecordInput {
    pub kind: SecurityRecordKind,
    /// The day it was held (not in the future).
    pub held_on: NaiveDate,
    /// The scope checked or assessed, or the drill's scenario.
    pub scope: String,
    /// The findings, or the drill's result.
    pub findings: String,
    /// Rectification and follow-up (整改跟进).
    #[serde(default)]
    pub follow_up: String,
}

/// A confidentiality review as recorded by the providing agency: of one
/// share request, or of one entry version to be opened.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfidentialityReviewInput {
    pub entry_id: i64,
    /// An opening: the entry version reviewed.
    #[serde(default)]
    pub entry_version: Option<i64>,
    /// A sharing: the share request reviewed.
    #[serde(default)]
    pub share_request_id: Option<i64>,
    /// Who reviewed (审查人).
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
    pub passed: bool,
    #[serde(default)]
    pub notes: String,
}

/// An alert's acknowledgement.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertAcknowledgement {
    /// What was found and done.
    pub note: String,
}

/// An agency's security management at a glance.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecurityOverview {
    pub org_id: i64,
    pub org_name: String,
    pub officer: Option<SecurityOfficer>,
    pub settings: Vec<GradeProtection>,
    /// Checks, assessments and drills, latest held first.
    pub records: Vec<SecurityRecord>,
    /// Confidentiality reviews of the agency, newest first.
    pub reviews: Vec<ConfidentialityReview>,
    /// Whether the caller may change it.
    pub manageable: bool,
}

/// An alert with the names of its grant's parties.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecurityAlertView {
    #[serde(flatten)]
    pub alert: SecurityAlert,
    pub source_name: String,
    pub grantee_name: String,
}

/// What alert detection looks for; the defaults are the platform's.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertThresholds {
    /// A day's rows above this many times the grant's trailing mean …
    pub volume_factor: i64,
    /// … and above this many rows is unusual volume.
    pub volume_floor: i64,
    /// Days of the trailing mean.
    pub baseline_days: i64,
    /// Odd hours, China time: from this hour (inclusive) …
    pub odd_from: u32,
    /// … to this hour (exclusive); wraps past midnight when smaller.
    pub odd_to: u32,
    /// Reads at odd hours in a day that raise an alert.
    pub odd_reads: i64,
    /// Keys probed with varied claims in a day that raise an alert.
    pub probed_keys: i64,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            volume_factor: 10,
            volume_floor: 1000,
            baseline_days: 7,
            odd_from: 0,
            odd_to: 6,
            odd_reads: 1,
            probed_keys: 1,
        }
    }
}

impl AlertThresholds {
    fn odd(&self, hour: u32) -> bool {
        if self.odd_from <= self.odd_to {
            (self.odd_from..self.odd_to).contains(&hour)
        } else {
            hour >= self.odd_from || hour < self.odd_to
        }
    }
}

/// The detection thresholds of this process.
pub(crate) struct SecurityState {
    thresholds: RwLock<AlertThresholds>,
}

impl Default for SecurityState {
    fn default() -> Self {
        SecurityState {
            thresholds: RwLock::new(AlertThresholds::default()),
        }
    }
}

/// A finding of [`detect`], before its grant's parties are known.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: AlertKind,
    pub grant_id: i64,
    pub day: NaiveDate,
    pub observed: i64,
    pub threshold: i64,
    pub detail: serde_json::Value,
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    cst()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The unusual access among `accesses` on the China dates `days`: the
/// accesses must cover `baseline_days` before the first of them.
pub fn detect(accesses: &[GrantAccess], days: &[NaiveDate], t: &AlertThresholds) -> Vec<Finding> {
    // Per grant and day: rows, reads at odd hours, keys probed.
    let mut rows: HashMap<(i64, NaiveDate), i64> = HashMap::new();
    let mut odd: HashMap<(i64, NaiveDate), Vec<DateTime<Utc>>> = HashMap::new();
    let mut probed: HashMap<(i64, NaiveDate), BTreeSet<String>> = HashMap::new();
    let mut grants = BTreeSet::new();
    for a in accesses {
        let day = date_cst(a.at);
        grants.insert(a.grant_id);
        if a.action == "dataset.verify_probing" {
            probed
                .entry((a.grant_id, day))
                .or_default()
                .extend(a.keys.iter().cloned());
            continue;
        }
        *rows.entry((a.grant_id, day)).or_default() += a.rows;
        if t.odd(a.at.with_timezone(&cst()).hour()) {
            odd.entry((a.grant_id, day)).or_default().push(a.at);
        }
    }
    let mut out = Vec::new();
    for &g in &grants {
        for &day in days {
            let observed = rows.get(&(g, day)).copied().unwrap_or(0);
            if observed > 0 {
                let past: i64 = (1..=t.baseline_days)
                    .map(|k| {
                        rows.get(&(g, day - Duration::days(k)))
                            .copied()
                            .unwrap_or(0)
                    })
                    .sum();
                let mean = past as f64 / t.baseline_days.max(1) as f64;
                let threshold = ((t.volume_factor as f64 * mean).ceil() as i64).max(t.volume_floor);
                if observed > threshold {
                    out.push(Finding {
                        kind: AlertKind::Volume,
                        grant_id: g,
                        day,
                        observed,
                        threshold,
                        detail: json!({"trailing_mean": (mean * 10.0).round() / 10.0,
                                       "baseline_days": t.baseline_days,
                                       "factor": t.volume_factor}),
                    });
                }
            }
            if let Some(times) = odd.get(&(g, day))
                && times.len() as i64 >= t.odd_reads
            {
                out.push(Finding {
                    kind: AlertKind::OddHours,
                    grant_id: g,
                    day,
                    observed: times.len() as i64,
                    threshold: t.odd_reads,
                    detail: json!({"hours": format!("{:02}:00–{:02}:00", t.odd_from, t.odd_to),
                                   "first": times.first(), "last": times.last()}),
                });
            }
            if let Some(keys) = probed.get(&(g, day))
                && keys.len() as i64 >= t.probed_keys
            {
                out.push(Finding {
                    kind: AlertKind::Enumeration,
                    grant_id: g,
                    day,
                    observed: keys.len() as i64,
                    threshold: t.probed_keys,
                    detail: json!({"keys": keys.iter().take(20).collect::<Vec<_>>()}),
                });
            }
        }
    }
    out
}

fn name_of(tree: &OrgTree, id: i64) -> String {
    tree.get(id).map(|o| o.name.clone()).unwrap_or_default()
}

impl App {
    /// The thresholds alert detection uses in this process.
    pub fn alert_thresholds(&self) -> AlertThresholds {
        self.security
            .thresholds
            .read()
            .expect("thresholds lock")
            .clone()
    }

    /// Sets the thresholds (`pubdata serve` options; tests).
    pub fn set_alert_thresholds(&self, t: AlertThresholds) -> Result<()> {
        if t.odd_from > 23 || t.odd_to > 24 || t.volume_factor < 1 || t.baseline_days < 1 {
            return Err(ServiceError::invalid(
                "thresholds",
                "hours 0–24, factor and baseline days at least 1",
            ));
        }
        *self.security.thresholds.write().expect("thresholds lock") = t;
        Ok(())
    }

    async fn security_org(&self, org: i64) -> Result<(std::sync::Arc<OrgTree>, String)> {
        let tree = self.org_tree().await?;
        let name = tree
            .get(org)
            .map(|o| o.name.clone())
            .ok_or(ServiceError::NotFound {
                what: "organisation",
            })?;
        Ok((tree, name))
    }

    /// An agency's officer, settings, records and reviews (the agency, its
    /// supervising authority, admins and auditors).
    pub async fn security_overview(&self, p: &Principal, org: i64) -> Result<SecurityOverview> {
        let (tree, org_name) = self.security_org(org).await?;
        self.authorize(p, Action::ViewSecurity(org)).await?;
        Ok(SecurityOverview {
            org_id: org,
            org_name,
            officer: self.store.security_officer(org).await?,
            settings: self.store.grade_protections(org).await?,
            records: self.store.security_records(org, 200).await?,
            reviews: self
                .store
                .confidentiality_reviews(&ReviewFilter {
                    org_id: Some(org),
                    limit: 200,
                    ..Default::default()
                })
                .await?,
            manageable: authorize(p, Action::ManageSecurity(org), &tree).is_ok(),
        })
    }

    /// The agencies whose security management `p` may read, by name (for
    /// choosing one on the security page).
    pub async fn security_orgs(&self, p: &Principal) -> Result<Vec<(i64, String)>> {
        let tree = self.org_tree().await?;
        Ok(tree
            .walk()
            .into_iter()
            .filter(|(_, o)| o.kind == pubdata_domain::org::OrgKind::Agency)
            .filter(|(_, o)| authorize(p, Action::ViewSecurity(o.id), &tree).is_ok())
            .map(|(_, o)| (o.id, o.name.clone()))
            .collect())
    }

    /// Whether `p` may acknowledge alerts on grants from `source`.
    pub async fn may_acknowledge_alerts(&self, p: &Principal, source: i64) -> bool {
        self.can(p, Action::SuperviseSecurity(source)).await
    }

    /// Records (replaces) the agency's security officer.
    pub async fn put_security_officer(
        &self,
        p: &Principal,
        org: i64,
        input: SecurityOfficerInput,
    ) -> Result<SecurityOfficer> {
        self.security_org(org).await?;
        self.authorize(p, Action::ManageSecurity(org)).await?;
        let o = SecurityOfficer {
            org_id: org,
            name: required_text("name", &input.name, 100)?,
            post: required_text("post", &input.post, 100)?,
            contact: required_text("contact", &input.contact, 200)?,
            updated_by: p.name.clone(),
            updated_at: Utc::now(),
        };
        let event = p.event(
            "security.officer",
            format!("org:{org}"),
            Outcome::Success,
            json!({"name": o.name, "post": o.post}),
        );
        Ok(self.store.put_security_officer(&o, event).await?)
    }

    /// Replaces the agency's grade protection settings.
    pub async fn put_grade_protections(
        &self,
        p: &Principal,
        org: i64,
        input: Vec<ProtectionInput>,
    ) -> Result<Vec<GradeProtection>> {
        self.security_org(org).await?;
        self.authorize(p, Action::ManageSecurity(org)).await?;
        let grades = self.store.grades().await?;
        let mut seen = BTreeSet::new();
        let mut settings = Vec::with_capacity(input.len());
        for (n, s) in input.into_iter().enumerate() {
            if !grades.iter().any(|g| g.code == s.grade) {
                return Err(ServiceError::invalid(
                    &format!("[{n}].grade"),
                    format!("`{}` is not a grade of the grading scheme", s.grade),
                ));
            }
            if !seen.insert(s.grade.clone()) {
                return Err(ServiceError::invalid(
                    &format!("[{n}].grade"),
                    format!("`{}` is given twice", s.grade),
                ));
            }
            let notes = s.notes.trim().to_string();
            if notes.chars().count() > 1000 {
                return Err(ServiceError::invalid(
                    &format!("[{n}].notes"),
                    "at most 1000 characters",
                ));
            }
            settings.push(GradeProtection {
                org_id: org,
                grade: s.grade,
                masking_default: s.masking_default,
                review_required: s.review_required,
                export_allowed: s.export_allowed,
                notes,
                updated_by: p.name.clone(),
                updated_at: Utc::now(),
            });
        }
        let summary: BTreeMap<&str, serde_json::Value> = settings
            .iter()
            .map(|s| {
                (
                    s.grade.as_str(),
                    json!({"masking_default": s.masking_default,
                           "review_required": s.review_required,
                           "export_allowed": s.export_allowed}),
                )
            })
            .collect();
        let event = p.event(
            "security.settings",
            format!("org:{org}"),
            Outcome::Success,
            json!({"settings": summary}),
        );
        Ok(self
            .store
            .put_grade_protections(org, &settings, event)
            .await?)
    }

    /// Records a security check, risk assessment or drill held by the agency.
    pub async fn add_security_record(
        &self,
        p: &Principal,
        org: i64,
        input: SecurityRecordInput,
    ) -> Result<SecurityRecord> {
        self.security_org(org).await?;
        self.authorize(p, Action::ManageSecurity(org)).await?;
        if input.held_on > today_cst() {
            return Err(ServiceError::invalid(
                "held_on",
                "record what was held, not what is planned",
            ));
        }
        let follow_up = input.follow_up.trim().to_string();
        if follow_up.chars().count() > 4000 {
            return Err(ServiceError::invalid(
                "follow_up",
                "at most 4000 characters",
            ));
        }
        let r = NewSecurityRecord {
            org_id: org,
            kind: input.kind,
            held_on: input.held_on,
            scope: required_text("scope", &input.scope, 2000)?,
            findings: required_text("findings", &input.findings, 4000)?,
            follow_up,
            recorded_by: p.name.clone(),
        };
        let event = p.event(
            "security.record",
            format!("org:{org}"),
            Outcome::Success,
            json!({"kind": r.kind.as_str(), "held_on": r.held_on.to_string()}),
        );
        Ok(self.store.add_security_record(r, event).await?)
    }

    /// Records a confidentiality review (保密审查) by the entry's providing
    /// agency: of one share request of the entry, or of one entry version.
    pub async fn record_confidentiality_review(
        &self,
        p: &Principal,
        input: ConfidentialityReviewInput,
    ) -> Result<ConfidentialityReview> {
        let entry = self
            .store
            .get_entry(input.entry_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::invalid("entry_id", "no such entry"),
                e => e.into(),
            })?;
        self.authorize(p, Action::ManageSecurity(entry.org_id))
            .await?;
        match (input.entry_version, input.share_request_id) {
            (Some(v), None) => {
                if v < 1 || v > entry.version {
                    return Err(ServiceError::invalid(
                        "entry_version",
                        format!("the entry has versions 1 to {}", entry.version),
                    ));
                }
            }
            (None, Some(r)) => {
                let req =
                    self.store.get_share_request(r).await.map_err(|_| {
                        ServiceError::invalid("share_request_id", "no such request")
                    })?;
                if req.entry_id != entry.id {
                    return Err(ServiceError::invalid(
                        "share_request_id",
                        "the request is not of this entry",
                    ));
                }
            }
            _ => {
                return Err(ServiceError::invalid(
                    "share_request_id",
                    "review either one share request or one entry version",
                ));
            }
        }
        if input.reviewed_on > today_cst() {
            return Err(ServiceError::invalid(
                "reviewed_on",
                "the day is in the future",
            ));
        }
        let notes = input.notes.trim().to_string();
        if notes.chars().count() > 2000 {
            return Err(ServiceError::invalid("notes", "at most 2000 characters"));
        }
        if !input.passed && notes.is_empty() {
            return Err(ServiceError::invalid(
                "notes",
                "a review that does not pass states why",
            ));
        }
        let r = NewConfidentialityReview {
            org_id: entry.org_id,
            entry_id: entry.id,
            entry_version: input.entry_version,
            share_request_id: input.share_request_id,
            reviewer: required_text("reviewer", &input.reviewer, 100)?,
            reviewed_on: input.reviewed_on,
            passed: input.passed,
            notes,
            recorded_by: p.name.clone(),
        };
        let event = p.event(
            "security.review",
            format!("catalog_entry:{}", entry.id),
            Outcome::Success,
            json!({"passed": r.passed, "entry_version": r.entry_version,
                   "share_request": r.share_request_id}),
        );
        Ok(self.store.add_confidentiality_review(r, event).await?)
    }

    /// Reviews of an entry (and of one share request, if named): for the
    /// provider, its authority, admins, auditors.
    pub async fn confidentiality_reviews(
        &self,
        p: &Principal,
        entry_id: i64,
        share_request_id: Option<i64>,
    ) -> Result<Vec<ConfidentialityReview>> {
        let entry = self
            .store
            .get_entry(entry_id)
            .await
            .map_err(ServiceError::not_found("catalog entry"))?;
        self.authorize(p, Action::ViewSecurity(entry.org_id))
            .await?;
        Ok(self
            .store
            .confidentiality_reviews(&ReviewFilter {
                entry_id: Some(entry_id),
                share_request_id,
                limit: 500,
                ..Default::default()
            })
            .await?)
    }

    /// The one check of 保密审查 before sharing or opening: when the
    /// provider's setting for `grade` requires a review, the latest review
    /// of the share request (`Some`) or of `version` must have passed.
    /// Otherwise `Conflict{confidentiality_review_required}`, audited as
    /// `action` on `target` before it is returned.
    pub(crate) async fn require_confidentiality_review(
        &self,
        p: &Principal,
        entry: &CatalogEntry,
        grade: &str,
        of: ReviewOf,
        (action, target): (&str, String),
    ) -> Result<()> {
        let settings = self.store.grade_protections(entry.org_id).await?;
        if !settings
            .iter()
            .any(|s| s.grade == grade && s.review_required)
        {
            return Ok(());
        }
        let (share_request_id, entry_version, what) = match of {
            ReviewOf::Share(id) => (Some(id), None, format!("share request {id}")),
            ReviewOf::Version(v) => (None, Some(v), format!("version {v} of the entry")),
        };
        let latest = self
            .store
            .confidentiality_reviews(&ReviewFilter {
                entry_id: Some(entry.id),
                share_request_id,
                entry_version,
                limit: 1,
                ..Default::default()
            })
            .await?
            .into_iter()
            .next();
        if latest.as_ref().is_some_and(|r| r.passed) {
            return Ok(());
        }
        let detail = match latest {
            Some(_) => format!(
                "the latest confidentiality review (保密审查) of {what} did not pass; grade {grade} requires a passed review before sharing or opening"
            ),
            None => format!(
                "grade {grade} requires a passed confidentiality review (保密审查) of {what} before sharing or opening; none is recorded"
            ),
        };
        let err = ServiceError::Conflict {
            code: REVIEW_REQUIRED,
            detail,
        };
        self.store
            .append_audit(p.event(
                action,
                target,
                Outcome::Failure,
                json!({"entry": entry.id, "grade": grade, "refused": REVIEW_REQUIRED,
                       "share_request": share_request_id, "entry_version": entry_version}),
            ))
            .await?;
        Err(err)
    }

    /// [`App::require_confidentiality_review`] for publishing an entry
    /// whose open attribute opens data (unconditionally or conditionally).
    pub(crate) async fn review_before_opening(
        &self,
        p: &Principal,
        entry: &CatalogEntry,
        target: String,
    ) -> Result<()> {
        if entry.content.open_attribute == OpenAttribute::None {
            return Ok(());
        }
        self.require_confidentiality_review(
            p,
            entry,
            &entry.content.grade,
            ReviewOf::Version(entry.version),
            ("catalog.review", target),
        )
        .await
    }

    /// The organisations whose alerts `p` sees (`None`: all).
    async fn alert_scope(&self, p: &Principal) -> Result<Option<Vec<i64>>> {
        let tree = self.org_tree().await?;
        if authorize(p, Action::ReadAudit, &tree).is_ok() {
            return Ok(None);
        }
        let orgs: Vec<i64> = tree
            .walk()
            .into_iter()
            .map(|(_, o)| o.id)
            .filter(|o| authorize(p, Action::ViewSecurity(*o), &tree).is_ok())
            .collect();
        if orgs.is_empty() {
            // Audited refusal: nothing within reach.
            self.authorize(p, Action::ViewSecurity(0)).await?;
        }
        Ok(Some(orgs))
    }

    async fn alert_view(&self, tree: &OrgTree, a: SecurityAlert) -> SecurityAlertView {
        SecurityAlertView {
            source_name: name_of(tree, a.source_org),
            grantee_name: name_of(tree, a.grantee_org),
            alert: a,
        }
    }

    /// Unusual-access alerts on grants from or to the organisations the
    /// caller supervises or acts for, newest first.
    pub async fn security_alerts(
        &self,
        p: &Principal,
        kind: Option<AlertKind>,
        open_only: bool,
    ) -> Result<Vec<SecurityAlertView>> {
        let orgs = self.alert_scope(p).await?;
        let alerts = self
            .store
            .security_alerts(&AlertFilter {
                orgs,
                kind,
                open_only,
                limit: 500,
            })
            .await?;
        let tree = self.org_tree().await?;
        let mut out = Vec::with_capacity(alerts.len());
        for a in alerts {
            out.push(self.alert_view(&tree, a).await);
        }
        Ok(out)
    }

    /// The supervising authority acknowledges an alert with a note.
    pub async fn acknowledge_security_alert(
        &self,
        p: &Principal,
        id: i64,
        ack: AlertAcknowledgement,
    ) -> Result<SecurityAlertView> {
        let a = self
            .store
            .get_security_alert(id)
            .await
            .map_err(ServiceError::not_found("alert"))?;
        self.authorize(p, Action::SuperviseSecurity(a.source_org))
            .await?;
        let note = required_text("note", &ack.note, 2000)?;
        let event = p.event(
            "security.alert.acknowledge",
            format!("grant:{}", a.grant_id),
            Outcome::Success,
            json!({"alert": id, "kind": a.kind.as_str(), "note": note}),
        );
        let saved = self
            .store
            .acknowledge_security_alert(id, &p.name, &note, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "alert_acknowledged",
                    detail: "the alert is already acknowledged".into(),
                },
                e => e.into(),
            })?;
        let tree = self.org_tree().await?;
        Ok(self.alert_view(&tree, saved).await)
    }

    /// Alerts ever and open, per kind (for `/metrics`).
    pub async fn security_alert_counts(&self) -> Result<Vec<AlertCount>> {
        Ok(self.store.security_alert_counts().await?)
    }

    /// Scans the access records of yesterday and today (China time) and
    /// their trailing baseline for unusual access; stores the new alerts
    /// and returns them (the `security_alerts` job).
    pub async fn detect_unusual_access(&self) -> Result<Vec<SecurityAlert>> {
        let t = self.alert_thresholds();
        let now = Utc::now();
        let today = date_cst(now);
        let days = [today - Duration::days(1), today];
        let since = day_start(days[0] - Duration::days(t.baseline_days));
        let accesses = self.store.grant_access_between(since, now).await?;
        let findings = detect(&accesses, &days, &t);
        if findings.is_empty() {
            return Ok(vec![]);
        }
        let mut parties: HashMap<i64, (i64, i64)> = HashMap::new();
        let mut alerts = Vec::with_capacity(findings.len());
        for f in findings {
            let (source, grantee) = match parties.get(&f.grant_id) {
                Some(x) => *x,
                None => {
                    let Ok(g) = self.store.get_grant(f.grant_id).await else {
                        continue;
                    };
                    parties.insert(g.id, (g.source_org, g.grantee_org));
                    (g.source_org, g.grantee_org)
                }
            };
            alerts.push(NewSecurityAlert {
                kind: f.kind,
                fingerprint: format!("{}:{}:{}", f.kind.as_str(), f.grant_id, f.day),
                grant_id: f.grant_id,
                source_org: source,
                grantee_org: grantee,
                window_start: day_start(f.day),
                window_end: day_start(f.day + Duration::days(1)),
                observed: f.observed,
                threshold: f.threshold,
                detail: f.detail,
            });
        }
        Ok(self.store.add_security_alerts(alerts, "system").await?)
    }
}

/// What a confidentiality review covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOf {
    /// A share request (sharing).
    Share(i64),
    /// An entry version (opening).
    Version(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
        day_start(day) + Duration::hours(hour.into())
    }

    fn read(id: i64, grant: i64, when: DateTime<Utc>, rows: i64) -> GrantAccess {
        GrantAccess {
            id,
            at: when,
            action: "dataset.read".into(),
            grant_id: grant,
            keys: vec![],
            rows,
        }
    }

    #[test]
    fn volume_is_measured_against_the_trailing_mean() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let t = AlertThresholds {
            volume_floor: 50,
            odd_reads: 1000,
            ..Default::default()
        };
        // Seven days of 100 rows a day at noon: the normal.
        let mut acc: Vec<GrantAccess> = (1..=7)
            .map(|k| read(k, 1, at(d - Duration::days(k), 12), 100))
            .collect();
        // 900 rows today is under 10 × 100; 1001 is over.
        acc.push(read(10, 1, at(d, 12), 900));
        assert!(detect(&acc, &[d], &t).is_empty());
        acc.push(read(11, 1, at(d, 13), 101));
        let f = detect(&acc, &[d], &t);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].kind, f[0].observed, f[0].threshold),
            (AlertKind::Volume, 1001, 1000)
        );
        // Without a history, the floor decides.
        let fresh = vec![read(1, 2, at(d, 12), 51)];
        assert_eq!(detect(&fresh, &[d], &t)[0].threshold, 50);
        assert!(detect(&[read(1, 2, at(d, 12), 50)], &[d], &t).is_empty());
    }

    #[test]
    fn odd_hours_are_china_time_and_may_wrap_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let t = AlertThresholds::default();
        // 03:00 in China is odd; 09:00 is not.
        let f = detect(&[read(1, 3, at(d, 3), 1)], &[d], &t);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, AlertKind::OddHours);
        assert!(detect(&[read(1, 3, at(d, 9), 1)], &[d], &t).is_empty());
        let wrap = AlertThresholds {
            odd_from: 22,
            odd_to: 6,
            ..Default::default()
        };
        assert!(wrap.odd(23) && wrap.odd(2) && !wrap.odd(12));
    }

    #[test]
    fn probing_records_are_enumeration() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let probe = GrantAccess {
            id: 1,
            at: at(d, 10),
            action: "dataset.verify_probing".into(),
            grant_id: 4,
            keys: vec!["k1".into(), "k2".into()],
            rows: 0,
        };
        let f = detect(&[probe], &[d], &AlertThresholds::default());
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].kind, f[0].observed), (AlertKind::Enumeration, 2));
    }
}
