//! Conditional open data applications (有条件开放申请, OPN-4, Art. 38).
//!
//! A registered person or enterprise applies for a conditionally open
//! dataset, stating purpose, fields and use; the application opens a case
//! for the source agency, due in 10 working days. The agency answers:
//! a refusal states its reasons; an approval (which may narrow the fields
//! and the term) offers a data use agreement (利用协议) built from the
//! dataset, fields, purpose, term and the measures' obligations. Only after
//! the applicant accepts that version of the agreement does any data leave,
//! and then only through the one door (`access::open_application_read`):
//! the approved fields, personal items masked, within the term, audited and
//! rate-limited.
//!
//! Who may apply: signed-in people whose account is a natural person's
//! (`person`) or an enterprise's (`enterprise`) — the public. Agency staff
//! accounts (`staff`) and application tokens are refused with
//! `staff_cannot_apply`: an agency obtains other agencies' data by a share
//! request (共享申请), not as the public.

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::{date_cst, today_cst};
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::catalog::OpenAttribute;
use pubdata_domain::open::{AGREEMENT_VERSION, AgreementTerms, ApplicationState, agreement_text};
use pubdata_store::{
    NewCase, NewOpenApplication, OpenApplication, OpenApplicationFilter, OpenDecision, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::open::OpenRows;
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// The longest term an application may ask or be approved for, in days.
pub const MAX_TERM_DAYS: i64 = 3 * 366;
/// The term of an approval when the applicant asked for none, in days.
pub const DEFAULT_TERM_DAYS: i64 = 365;

/// An application as the applicant files it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// The conditionally open dataset (its id on the portal).
    pub dataset_id: i64,
    /// 利用目的.
    pub purpose: String,
    /// The data items asked for.
    pub fields: Vec<String>,
    /// 利用场景: where and how the data will be used.
    pub use_scenario: String,
    /// The last day of use (China date); one year when absent.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
}

/// The source agency's answer: a refusal states its reasons; an approval
/// may narrow the fields and shorten the term.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDecision {
    pub approve: bool,
    /// Required when refusing (Art. 38: 明确列出未通过审核的理由).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    pub reason: String,
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
}

/// The applicant's acceptance of the data use agreement it was shown.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementAcceptance {
    /// Must be `true`.
    pub accept: bool,
    /// The agreement version shown (`agreement_version`).
    pub version: i64,
}

/// An application as people see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenApplicationView {
    #[serde(flatten)]
    pub application: OpenApplication,
    pub entry_code: String,
    pub entry_name: String,
    pub dataset_name: String,
    pub source_name: String,
    /// While pending: the answer deadline (10 working days).
    pub answer_deadline: Option<DeadlineStatus>,
    /// Answered after its due date (allowed, and recorded).
    pub answered_late: bool,
    /// Whether the applicant can read the data today.
    pub deliverable: bool,
    /// Why not, when not deliverable: the code a read is refused with.
    pub refusal: Option<String>,
}

fn refused(code: &'static str, detail: impl Into<String>) -> ServiceError {
    ServiceError::Refused {
        code,
        detail: detail.into(),
    }
}

fn unprocessable(code: &'static str, field: &str, detail: impl Into<String>) -> ServiceError {
    let detail = detail.into();
    ServiceError::Invalid {
        code,
        detail: detail.clone(),
        errors: vec![crate::FieldError {
            field: field.into(),
            message: detail,
        }],
    }
}

/// Why the applicant cannot read data under `a` today (`None`: it can).
pub fn delivery_refusal(a: &OpenApplication, today: NaiveDate) -> Option<&'static str> {
    match a.state {
        ApplicationState::Pending | ApplicationState::Refused => Some("application_not_approved"),
        ApplicationState::Approved => Some("agreement_not_accepted"),
        ApplicationState::Accepted => match (a.valid_from, a.valid_until) {
            (Some(from), Some(until)) if from <= today && today <= until => None,
            _ => Some("application_expired"),
        },
    }
}

impl App {
    /// The public applicant: a signed-in natural person or enterprise user.
    fn public_applicant(p: &Principal) -> Result<()> {
        if p.user_id.is_some() && matches!(p.kind, "person" | "enterprise") {
            return Ok(());
        }
        Err(refused(
            "staff_cannot_apply",
            "applications for conditionally open data are made by registered persons and enterprises; an agency asks for data by a share request",
        ))
    }

    /// Files an application for a conditionally open dataset and opens its
    /// answer case for the source agency (10 working days, Art. 38).
    pub async fn apply_open(&self, p: &Principal, req: NewApplication) -> Result<OpenApplication> {
        if let Err(e) = Self::public_applicant(p) {
            self.store
                .append_audit(p.event(
                    "open_application.apply",
                    "open_application:new",
                    Outcome::Denied,
                    json!({"dataset": req.dataset_id, "refused": e.code()}),
                ))
                .await?;
            return Err(e);
        }
        let d = self
            .store
            .get_dataset(req.dataset_id)
            .await
            .map_err(|_| ServiceError::invalid("dataset_id", "no such dataset"))?;
        let entry = self.load_entry(d.entry_id).await?;
        let published = entry.published_version.is_some()
            && entry.state != pubdata_domain::catalog::EntryState::Delisted
            && d.current_version > 0;
        let content = if published {
            Some(self.published_content(&entry).await?)
        } else {
            None
        };
        match content.as_ref().map(|c| c.open_attribute) {
            Some(OpenAttribute::Conditional) => {}
            Some(OpenAttribute::Unconditional) => {
                return Err(unprocessable(
                    "not_conditional_open",
                    "dataset_id",
                    "the dataset is unconditionally open (无条件开放): read or download it on the portal without applying",
                ));
            }
            _ => {
                return Err(unprocessable(
                    "not_open",
                    "dataset_id",
                    "the dataset is not open to the public (不予开放, or not published)",
                ));
            }
        }
        let content = content.expect("published");
        if req.fields.is_empty() {
            return Err(ServiceError::invalid(
                "fields",
                "name at least one data item",
            ));
        }
        for f in &req.fields {
            if !content.items.iter().any(|i| &i.name == f)
                || !d.columns.iter().any(|c| &c.name == f)
            {
                return Err(ServiceError::invalid(
                    "fields",
                    format!("「{f}」is not a data item of this dataset"),
                ));
            }
        }
        let fields: Vec<String> = d
            .columns
            .iter()
            .filter(|c| req.fields.contains(&c.name))
            .map(|c| c.name.clone())
            .collect();
        let purpose = required_text("purpose", &req.purpose, 1000)?;
        let use_scenario = required_text("use_scenario", &req.use_scenario, 1000)?;
        let today = today_cst();
        if let Some(end) = req.end_date {
            if end < today {
                return Err(ServiceError::invalid(
                    "end_date",
                    "the end date is in the past",
                ));
            }
            if (end - today).num_days() > MAX_TERM_DAYS {
                return Err(ServiceError::invalid("end_date", "at most three years"));
            }
        }
        let tree = self.org_tree().await?;
        let org_name = p.org_id().and_then(|o| tree.get(o)).map(|o| o.name.clone());
        // The party to the agreement: a person, or the enterprise by its agent.
        let party = match (&org_name, p.kind) {
            (Some(org), "enterprise") if !p.display_name.starts_with(org.as_str()) => {
                format!("{org}（经办人：{}，{}）", p.display_name, p.name)
            }
            _ => format!("{}（{}）", p.display_name, p.name),
        };
        let applicant_org = if p.kind == "enterprise" {
            p.org_id()
        } else {
            None
        };
        let (_, article) = CaseKind::OpenApplication.time_limit();
        let due = CaseKind::OpenApplication.due(&self.calendar(), today)?;
        let new = NewOpenApplication {
            dataset_id: d.id,
            entry_id: entry.id,
            source_org: d.org_id,
            applicant: p.name.clone(),
            applicant_user_id: p.user_id,
            applicant_name: p.display_name.clone(),
            applicant_kind: p.kind.to_string(),
            applicant_org,
            party,
            purpose,
            use_scenario,
            fields: fields.clone(),
            end_date: req.end_date,
            // A person has no organisation: the case's requester is then the
            // agency itself (the applicant is on the application).
            case: NewCase {
                kind: CaseKind::OpenApplication,
                subject: String::new(),
                requester_org: applicant_org.unwrap_or(d.org_id),
                responder_org: d.org_id,
                opened_on: today,
                due_on: due,
                basis: article.into(),
            },
        };
        let event = p.event(
            "open_application.apply",
            "open_application:new",
            Outcome::Success,
            json!({"dataset": d.id, "entry": entry.id, "fields": fields,
                   "end_date": req.end_date.map(|e| e.to_string()), "due": due.to_string()}),
        );
        Ok(self.store.create_open_application(new, event).await?)
    }

    async fn open_application_of(&self, id: i64) -> Result<OpenApplication> {
        self.store
            .get_open_application(id)
            .await
            .map_err(ServiceError::not_found("open application"))
    }

    /// Whether `p` sees application `a`: its applicant, the source agency's
    /// staff, the authority over it, administrators and auditors.
    async fn view_open_application(&self, p: &Principal, a: &OpenApplication) -> Result<()> {
        if p.user_id.is_some() && p.name == a.applicant {
            return Ok(());
        }
        self.authorize(
            p,
            Action::ViewShare {
                requester: a.source_org,
                source: a.source_org,
            },
        )
        .await
    }

    /// One application, for its applicant, the agency and supervisors.
    pub async fn open_application(&self, p: &Principal, id: i64) -> Result<OpenApplicationView> {
        let a = self.open_application_of(id).await?;
        self.view_open_application(p, &a).await?;
        self.open_application_view(a).await
    }

    /// Applications: an applicant's own; an agency's incoming; a data
    /// authority's reviewer those of its level; administrators and auditors
    /// all. Newest first.
    pub async fn open_applications(
        &self,
        p: &Principal,
        state: Option<ApplicationState>,
        limit: u32,
    ) -> Result<Vec<OpenApplicationView>> {
        let filter = if matches!(p.kind, "person" | "enterprise") {
            OpenApplicationFilter {
                applicant: Some(p.name.clone()),
                source_orgs: None,
                state,
                limit,
            }
        } else {
            OpenApplicationFilter {
                applicant: None,
                source_orgs: self.sharing_orgs(p).await?,
                state,
                limit,
            }
        };
        let mut out = Vec::new();
        for a in self.store.list_open_applications(&filter).await? {
            out.push(self.open_application_view(a).await?);
        }
        Ok(out)
    }

    pub(crate) async fn open_application_view(
        &self,
        a: OpenApplication,
    ) -> Result<OpenApplicationView> {
        let entry = self.load_entry(a.entry_id).await?;
        let dataset = self.load_dataset(a.dataset_id).await?;
        let today = today_cst();
        let answered_late = a.decided_at.is_some_and(|at| date_cst(at) > a.answer_due);
        let refusal = delivery_refusal(&a, today);
        Ok(OpenApplicationView {
            entry_code: entry.code.clone(),
            entry_name: entry.content.name.clone(),
            dataset_name: dataset.name,
            source_name: self.org_name(a.source_org).await?,
            answer_deadline: (a.state == ApplicationState::Pending)
                .then(|| deadline_status(&self.calendar(), a.answer_due, today)),
            answered_late,
            deliverable: refusal.is_none(),
            refusal: refusal.map(str::to_string),
            application: a,
        })
    }

    /// The source agency answers a pending application (its data
    /// administrators and reviewers, who answer share requests). A refusal
    /// without reasons is rejected (`reason_required`); an approval offers
    /// the data use agreement. The case closes on the answer; a late answer
    /// is allowed and recorded.
    pub async fn decide_open_application(
        &self,
        p: &Principal,
        id: i64,
        d: ApplicationDecision,
    ) -> Result<OpenApplication> {
        let a = self.open_application_of(id).await?;
        self.authorize(p, Action::DecideShare(a.source_org)).await?;
        if a.state != ApplicationState::Pending {
            return Err(ServiceError::Conflict {
                code: "application_not_pending",
                detail: format!("the application is already {}", a.state.as_str()),
            });
        }
        let reason = d.reason.trim().to_string();
        if reason.chars().count() > 2000 {
            return Err(ServiceError::invalid("reason", "at most 2000 characters"));
        }
        let today = today_cst();
        let late = today > a.answer_due;
        let mut decision = OpenDecision {
            application_id: id,
            approve: d.approve,
            reason: reason.clone(),
            actor: p.name.clone(),
            approved_fields: None,
            masks: None,
            valid_from: None,
            valid_until: None,
            agreement_version: None,
            agreement_text: None,
        };
        let mut detail = json!({"approve": d.approve, "reason": reason, "late": late});
        if !d.approve {
            if reason.is_empty() {
                return Err(unprocessable(
                    "reason_required",
                    "reason",
                    "a refusal must list its reasons (Art. 38)",
                ));
            }
        } else {
            let fields = match &d.fields {
                Some(f) => {
                    if f.is_empty() {
                        return Err(ServiceError::invalid(
                            "fields",
                            "approve at least one data item, or refuse",
                        ));
                    }
                    if let Some(extra) = f.iter().find(|x| !a.fields.contains(x)) {
                        return Err(ServiceError::invalid(
                            "fields",
                            format!(
                                "「{extra}」was not asked for: an approval can only narrow the fields"
                            ),
                        ));
                    }
                    a.fields
                        .iter()
                        .filter(|x| f.contains(x))
                        .cloned()
                        .collect::<Vec<_>>()
                }
                None => a.fields.clone(),
            };
            let asked_end = a
                .end_date
                .unwrap_or(today + chrono::Duration::days(DEFAULT_TERM_DAYS));
            let until = d.end_date.unwrap_or(asked_end);
            if until > asked_end {
                return Err(ServiceError::invalid(
                    "end_date",
                    "an approval can only shorten the term asked for",
                ));
            }
            if until < today {
                return Err(ServiceError::invalid(
                    "end_date",
                    "the end date is in the past",
                ));
            }
            let entry = self.load_entry(a.entry_id).await?;
            let content = self.published_content(&entry).await?;
            // 保密审查 of the version opened, when its grade requires one.
            self.require_confidentiality_review(
                p,
                &entry,
                &content.grade,
                crate::security::ReviewOf::Version(
                    entry.published_version.unwrap_or(entry.version),
                ),
                ("open_application.decide", format!("open_application:{id}")),
            )
            .await?;
            let dataset = self.load_dataset(a.dataset_id).await?;
            // Personal items (by the entry, or the dataset's column) are
            // masked as the masking rules say.
            let personal: Vec<String> = fields
                .iter()
                .filter(|f| {
                    content.items.iter().any(|i| &i.name == *f && i.personal)
                        || dataset.columns.iter().any(|c| &c.name == *f && c.personal)
                })
                .cloned()
                .collect();
            let masks = self.default_masks_for(&personal).await?;
            let masked: Vec<(String, String)> =
                masks.iter().map(|(f, r)| (f.clone(), r.clone())).collect();
            let text = agreement_text(&AgreementTerms {
                agency: &self.org_name(a.source_org).await?,
                party: &a.party,
                entry_code: &entry.code,
                entry_name: &content.name,
                dataset: &dataset.name,
                fields: &fields,
                masked: &masked,
                purpose: &a.purpose,
                use_scenario: &a.use_scenario,
                valid_from: today,
                valid_until: until,
                application: a.id,
            });
            detail["fields"] = json!(fields);
            detail["masks"] = json!(masks);
            detail["valid_until"] = json!(until.to_string());
            detail["agreement_version"] = json!(AGREEMENT_VERSION);
            decision.approved_fields = Some(fields);
            decision.masks = Some(masks);
            decision.valid_from = Some(today);
            decision.valid_until = Some(until);
            decision.agreement_version = Some(AGREEMENT_VERSION);
            decision.agreement_text = Some(text);
        }
        let event = p.event(
            "open_application.decide",
            format!("open_application:{id}"),
            Outcome::Success,
            detail,
        );
        self.store
            .decide_open_application(decision, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "application_not_pending",
                    detail: "the application was answered meanwhile".into(),
                },
                e => e.into(),
            })
    }

    /// The applicant accepts the data use agreement (the version it was
    /// shown): text, version, time and party are then on record. Anyone
    /// else is refused (`not_applicant`) and the refusal is recorded.
    pub async fn accept_open_agreement(
        &self,
        p: &Principal,
        id: i64,
        acc: AgreementAcceptance,
    ) -> Result<OpenApplication> {
        let a = self.open_application_of(id).await?;
        if p.user_id.is_none() || p.name != a.applicant {
            self.store
                .append_audit(p.event(
                    "open_application.accept",
                    format!("open_application:{id}"),
                    Outcome::Denied,
                    json!({"refused": "not_applicant", "version": acc.version}),
                ))
                .await?;
            return Err(refused(
                "not_applicant",
                "only the applicant accepts its data use agreement",
            ));
        }
        if !acc.accept {
            return Err(unprocessable(
                "accept_required",
                "accept",
                "accept the agreement (accept: true) to receive the data",
            ));
        }
        match a.state {
            ApplicationState::Approved => {}
            ApplicationState::Accepted => {
                return Err(ServiceError::Conflict {
                    code: "agreement_already_accepted",
                    detail: "the agreement was accepted already".into(),
                });
            }
            ApplicationState::Pending | ApplicationState::Refused => {
                return Err(ServiceError::Conflict {
                    code: "agreement_not_offered",
                    detail: format!(
                        "the application is {}: no agreement is offered",
                        a.state.as_str()
                    ),
                });
            }
        }
        if a.agreement_version != Some(acc.version) {
            return Err(ServiceError::Conflict {
                code: "agreement_version_mismatch",
                detail: format!(
                    "the agreement offered is version {}",
                    a.agreement_version.unwrap_or_default()
                ),
            });
        }
        if a.valid_until.is_some_and(|u| u < today_cst()) {
            return Err(ServiceError::Conflict {
                code: "application_expired",
                detail: "the approved term has ended".into(),
            });
        }
        let text = a.agreement_text.clone().unwrap_or_default();
        let event = p.event(
            "open_application.accept",
            format!("open_application:{id}"),
            Outcome::Success,
            json!({"version": acc.version, "party": a.party,
                   "agreement_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))}),
        );
        self.store
            .accept_open_agreement(id, acc.version, &p.name, event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "agreement_already_accepted",
                    detail: "the agreement was accepted meanwhile".into(),
                },
                e => e.into(),
            })
    }

    /// Rows under an application after the key `after`, through the door.
    pub async fn open_application_rows(
        &self,
        p: &Principal,
        id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<OpenRows> {
        self.take_open_rate(p, 1.0)?;
        let a = self.open_application_of(id).await?;
        let d = self.load_dataset(a.dataset_id).await?;
        let asked = json!({"rows": {"after": after, "limit": limit}});
        let read = self.open_application_read(p, &d, &a, asked).await?;
        let rows = read.page(after, limit.clamp(1, 1000)).await?;
        Ok(OpenRows {
            columns: read.columns(),
            rows,
        })
    }

    /// Streams the data under an application like the portal's downloads.
    pub async fn open_application_download(
        &self,
        p: &Principal,
        id: i64,
        format: &str,
        started: tokio::sync::oneshot::Sender<Result<Vec<String>>>,
        send: tokio::sync::mpsc::Sender<Vec<Vec<Option<String>>>>,
    ) {
        let opened = async {
            self.take_open_rate(p, 10.0)?;
            let a = self.open_application_of(id).await?;
            let d = self.load_dataset(a.dataset_id).await?;
            Ok::<_, ServiceError>((a, d))
        }
        .await;
        let (a, d) = match opened {
            Ok(x) => x,
            Err(e) => {
                let _ = started.send(Err(e));
                return;
            }
        };
        let asked = json!({"download": format});
        match self.open_application_read(p, &d, &a, asked).await {
            Ok(read) => crate::open::stream_read(read, started, send).await,
            Err(e) => {
                let _ = started.send(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(state: ApplicationState) -> OpenApplication {
        OpenApplication {
            id: 1,
            dataset_id: 1,
            entry_id: 1,
            source_org: 1,
            applicant: "ent-demo".into(),
            applicant_user_id: Some(1),
            applicant_name: "x".into(),
            applicant_kind: "enterprise".into(),
            applicant_org: None,
            party: "x".into(),
            purpose: "p".into(),
            use_scenario: "s".into(),
            fields: vec!["a".into()],
            end_date: None,
            state,
            answer_due: "2026-12-01".parse().unwrap(),
            decided_by: None,
            decided_at: None,
            reason: String::new(),
            approved_fields: Some(vec!["a".into()]),
            masks: None,
            valid_from: Some("2026-12-01".parse().unwrap()),
            valid_until: Some("2026-12-31".parse().unwrap()),
            agreement_version: Some(1),
            agreement_text: Some("t".into()),
            accepted_at: None,
            accepted_by: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn data_flows_only_after_acceptance_and_within_the_term() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-12-10");
        assert_eq!(
            delivery_refusal(&app(ApplicationState::Pending), today),
            Some("application_not_approved")
        );
        assert_eq!(
            delivery_refusal(&app(ApplicationState::Approved), today),
            Some("agreement_not_accepted")
        );
        assert_eq!(
            delivery_refusal(&app(ApplicationState::Accepted), today),
            None
        );
        assert_eq!(
            delivery_refusal(&app(ApplicationState::Accepted), d("2027-01-01")),
            Some("application_expired")
        );
    }
}
