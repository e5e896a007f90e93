//! Share requests (共享申请, SHR-1 … SHR-4, SHR-9) and the source
//! department's decision on them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::{date_cst, today_cst};
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::catalog::{EntryContent, EntryState, ShareMode, ShareType};
use pubdata_domain::masking::Mask;
use pubdata_domain::org::OrgKind;
use pubdata_domain::share::{DeliveryMode, GrantState, RequestState};
use pubdata_store::{
    CatalogEntry, Dataset, NewCase, NewGrant, NewShareRequest, RequestOpening, ShareDecision,
    ShareRequest, ShareRequestFilter, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// Requests per minute a new grant allows unless the source sets another.
pub const DEFAULT_RATE_LIMIT: i64 = 600;

/// A share request as an agency files it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub entry_id: i64,
    /// 应用业务场景: the business the data serves.
    pub scenario: String,
    /// 使用单位: the unit that will use the data.
    pub using_unit: String,
    /// The data items asked for (names of the entry's items).
    pub fields: Vec<String>,
    pub mode: DeliveryMode,
    /// Last day of use (China date).
    pub until: NaiveDate,
    pub purpose: String,
    /// Research and education use only (Art. 27): a university or research
    /// institute must accept it.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    pub research_only: bool,
}

/// The source department's answer. An approval may narrow the fields, the
/// mode and the end date, and set masks (rule per field; `none` shows a
/// field as stored); a refusal must cite a law, regulation or rule.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ShareDecision)]
pub struct Decision {
    pub approve: bool,
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    #[serde(default)]
    pub until: Option<NaiveDate>,
    #[serde(default)]
    pub mode: Option<DeliveryMode>,
    #[serde(default)]
    pub masks: Option<BTreeMap<String, String>>,
    /// Required when refusing: the law, regulation or rule (法律法规规章依据).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    pub basis: String,
}

/// Which requests to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Made of the caller's organisations (to answer).
    Incoming,
    /// Made by the caller's organisations.
    Outgoing,
    /// Both, and for supervisors every request of their level.
    All,
    /// Cross-level and cross-region requests filed (备案) with the data
    /// authorities where the caller is a reviewer.
    Filed,
}

/// A request as people see it: names and where it stands against its deadlines.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShareRequestView {
    #[serde(flatten)]
    pub request: ShareRequest,
    pub entry_code: String,
    pub entry_name: String,
    pub dataset_name: String,
    pub requester_name: String,
    pub source_name: String,
    /// While pending: the answer deadline (2 working days).
    pub answer_deadline: Option<DeadlineStatus>,
    /// While approved and not implemented: the implementation deadline.
    pub implement_deadline: Option<DeadlineStatus>,
    /// Answered after its due date (allowed, and recorded overdue).
    pub answered_late: bool,
    /// Names of the authorities the request is filed with (备案).
    pub filed_with_names: Vec<String>,
}

fn mode_offered(content: &EntryContent, mode: DeliveryMode) -> bool {
    let wanted = match mode {
        DeliveryMode::Api => ShareMode::Api,
        DeliveryMode::Table => ShareMode::Table,
        DeliveryMode::File => ShareMode::File,
        // Verification never hands data over (VER-1): any entry allows it.
        DeliveryMode::Verify => return true,
    };
    content.share_modes.contains(&wanted)
}

/// The fields in the dataset's column order; each must be an item of the
/// entry and a column of the dataset.
fn check_fields(
    field: &str,
    asked: &[String],
    content: &EntryContent,
    d: &Dataset,
) -> Result<Vec<String>> {
    if asked.is_empty() {
        return Err(ServiceError::invalid(field, "name at least one data item"));
    }
    for f in asked {
        if !content.items.iter().any(|i| &i.name == f) {
            return Err(ServiceError::invalid(
                field,
                format!("「{f}」is not a data item of this catalogue entry"),
            ));
        }
        if !d.columns.iter().any(|c| &c.name == f) {
            return Err(ServiceError::invalid(
                field,
                format!("「{f}」is not held in the entry's dataset"),
            ));
        }
    }
    Ok(d.columns
        .iter()
        .filter(|c| asked.contains(&c.name))
        .map(|c| c.name.clone())
        .collect())
}

impl App {
    /// The content an entry was published with.
    pub(crate) async fn published_content(&self, e: &CatalogEntry) -> Result<EntryContent> {
        match e.published_version {
            Some(v) if v == e.version => Ok(e.content.clone()),
            Some(v) => self
                .store
                .entry_versions(e.id)
                .await?
                .into_iter()
                .find(|x| x.version == v)
                .map(|x| x.content)
                .ok_or(ServiceError::NotFound {
                    what: "published version",
                }),
            None => Err(ServiceError::Conflict {
                code: "entry_not_published",
                detail: "data can be requested only from a published catalogue entry".into(),
            }),
        }
    }

    /// Files a share request. Unconditional entries are granted at once
    /// (SHR-2); conditional and non-shared entries (the latter for
    /// verification only) open a case for the source department, due in 2
    /// working days (SHR-3).
    pub async fn request_share(
        &self,
        p: &Principal,
        req: NewRequest,
    ) -> Result<(ShareRequest, Option<pubdata_store::Grant>)> {
        let org = p.org_id().ok_or_else(|| {
            ServiceError::Forbidden("a share request is made for an organisation".into())
        })?;
        self.authorize(p, Action::RequestShare(org)).await?;
        let entry = self
            .store
            .get_entry(req.entry_id)
            .await
            .map_err(|_| ServiceError::invalid("entry_id", "no such catalogue entry"))?;
        if entry.state == EntryState::Delisted {
            return Err(ServiceError::Conflict {
                code: "entry_not_published",
                detail: "the catalogue entry is delisted".into(),
            });
        }
        let content = self.published_content(&entry).await?;
        let d = self
            .store
            .dataset_of_entry(entry.id)
            .await?
            .ok_or_else(|| ServiceError::Conflict {
                code: "no_dataset",
                detail: "the source department has not aggregated data for this entry yet".into(),
            })?;
        if d.org_id == org {
            return Err(ServiceError::Conflict {
                code: "own_data",
                detail: "an organisation reads its own data without a share request".into(),
            });
        }
        if content.share_type == ShareType::None && req.mode != DeliveryMode::Verify {
            return Err(ServiceError::Conflict {
                code: "not_shareable",
                detail:
                    "the entry is not shared (不予共享); ask for verification (核实比对) instead"
                        .into(),
            });
        }
        if !mode_offered(&content, req.mode) {
            return Err(ServiceError::invalid(
                "mode",
                format!("the entry is not shared by {}", req.mode.zh()),
            ));
        }
        let fields = check_fields("fields", &req.fields, &content, &d)?;
        let today = today_cst();
        if req.until < today {
            return Err(ServiceError::invalid(
                "until",
                "the end date is in the past",
            ));
        }
        let tree = self.org_tree().await?;
        let institute = tree.kind(org) == Some(OrgKind::Institution);
        if institute && !req.research_only {
            return Err(ServiceError::invalid(
                "research_only",
                "data obtained by universities and research institutes is for research and education only (Art. 27): accept it",
            ));
        }
        let scenario = required_text("scenario", &req.scenario, 500)?;
        let using_unit = required_text("using_unit", &req.using_unit, 200)?;
        let purpose = required_text("purpose", &req.purpose, 1000)?;
        // A request across levels or regions is filed (备案) with the
        // authority of the level above and the requester's own (Art. 26).
        let mut filed_with = Vec::new();
        let (mine, theirs) = (tree.region_of(org), tree.region_of(d.org_id));
        if mine != theirs {
            let above = mine
                .and_then(|r| tree.parent(r))
                .and_then(|r| tree.region_of(r));
            for region in [mine, above.or(theirs)].into_iter().flatten() {
                if let Some(a) = tree.authority_of(region)
                    && !filed_with.contains(&a)
                {
                    filed_with.push(a);
                }
            }
        }
        let new = NewShareRequest {
            entry_id: entry.id,
            dataset_id: d.id,
            requester_org: org,
            source_org: d.org_id,
            requested_by: p.name.clone(),
            requested_by_name: p.display_name.clone(),
            scenario: scenario.clone(),
            using_unit: using_unit.clone(),
            fields: fields.clone(),
            mode: req.mode,
            until: req.until,
            purpose: purpose.clone(),
            research_only: req.research_only || institute,
            filed_with: filed_with.clone(),
        };
        let unconditional = content.share_type == ShareType::Unconditional;
        let opening = if unconditional {
            RequestOpening::Grant(Box::new(NewGrant {
                request_id: None,
                dataset_id: d.id,
                entry_id: entry.id,
                source_org: d.org_id,
                grantee_org: org,
                using_unit,
                scenario,
                purpose,
                data_user: format!("{} ({})", p.display_name, p.name),
                masks: self.default_masks(&content, &fields).await?,
                fields: fields.clone(),
                row_filter: None,
                mode: req.mode,
                valid_from: today,
                valid_until: req.until,
                rate_limit: DEFAULT_RATE_LIMIT,
                research_only: new.research_only,
                state: GrantState::Active,
                created_by: "system".into(),
            }))
        } else {
            let (_, article) = CaseKind::ShareAnswer.time_limit();
            RequestOpening::Case(NewCase {
                kind: CaseKind::ShareAnswer,
                subject: String::new(),
                requester_org: org,
                responder_org: d.org_id,
                opened_on: today,
                due_on: CaseKind::ShareAnswer.due(&self.calendar(), today)?,
                basis: article.into(),
            })
        };
        let event = p.event(
            "share.request",
            "share_request:new",
            Outcome::Success,
            json!({"entry": entry.id, "dataset": d.id, "fields": fields, "mode": req.mode.as_str(),
                   "until": req.until.to_string(), "granted_at_once": unconditional,
                   "filed_with": filed_with}),
        );
        let created = self.store.create_share_request(new, opening, event).await?;
        self.forget_grants();
        Ok(created)
    }

    /// The source department answers a pending request. An approval
    /// creates the grant (pending implementation) and opens the
    /// implementation case, due 3 working days after the answer; a refusal
    /// without a basis is rejected. A late answer is allowed and recorded.
    pub async fn decide_share(&self, p: &Principal, id: i64, d: Decision) -> Result<ShareRequest> {
        let req = self.share_request_of(id).await?;
        self.authorize(p, Action::DecideShare(req.source_org))
            .await?;
        if req.state != RequestState::Pending {
            return Err(ServiceError::Conflict {
                code: "request_not_pending",
                detail: format!("the request is already {}", req.state.as_str()),
            });
        }
        let today = today_cst();
        let late = req.answer_due.is_some_and(|due| today > due);
        let basis = d.basis.trim().to_string();
        if basis.chars().count() > 1000 {
            return Err(ServiceError::invalid("basis", "at most 1000 characters"));
        }
        let mut decision = ShareDecision {
            request_id: id,
            approve: d.approve,
            basis: basis.clone(),
            actor: p.name.clone(),
            grant: None,
            implement_case: None,
        };
        let mut detail = json!({"approve": d.approve, "basis": basis, "late": late});
        if !d.approve {
            if basis.is_empty() {
                return Err(ServiceError::Invalid {
                    code: "basis_required",
                    detail: "a refusal must cite a law, regulation or rule (Art. 24)".into(),
                    errors: vec![crate::FieldError {
                        field: "basis".into(),
                        message: "cite the law, regulation or rule".into(),
                    }],
                });
            }
        } else {
            let entry = self.store.get_entry(req.entry_id).await?;
            let content = self.published_content(&entry).await?;
            // 保密审查 of this request, when the entry's grade requires one.
            self.require_confidentiality_review(
                p,
                &entry,
                &content.grade,
                crate::security::ReviewOf::Share(id),
                ("share.decide", format!("share_request:{id}")),
            )
            .await?;
            let dataset = self.load_dataset(req.dataset_id).await?;
            let fields = match &d.fields {
                Some(f) => {
                    if let Some(extra) = f.iter().find(|x| !req.fields.contains(x)) {
                        return Err(ServiceError::invalid(
                            "fields",
                            format!(
                                "「{extra}」was not requested: an approval can only narrow the fields"
                            ),
                        ));
                    }
                    check_fields("fields", f, &content, &dataset)?
                }
                None => req.fields.clone(),
            };
            let until = d.until.unwrap_or(req.until);
            if until > req.until {
                return Err(ServiceError::invalid(
                    "until",
                    "an approval can only shorten the requested period",
                ));
            }
            if until < today {
                return Err(ServiceError::invalid(
                    "until",
                    "the end date is in the past",
                ));
            }
            let mode = d.mode.unwrap_or(req.mode);
            if !mode_offered(&content, mode) {
                return Err(ServiceError::invalid(
                    "mode",
                    format!("the entry is not shared by {}", mode.zh()),
                ));
            }
            let mut masks = self.default_masks(&content, &fields).await?;
            for (f, rule) in d.masks.iter().flatten() {
                if !fields.contains(f) {
                    return Err(ServiceError::invalid(
                        "masks",
                        format!("「{f}」is not a granted field"),
                    ));
                }
                if rule == "none" {
                    masks.remove(f);
                    continue;
                }
                let m: Mask = rule
                    .parse()
                    .map_err(|e| ServiceError::invalid("masks", format!("「{f}」: {e}")))?;
                masks.insert(f.clone(), m.to_string());
            }
            self.grant_needs_cover(
                p,
                req.requester_org,
                req.dataset_id,
                ("share.decide", format!("share_request:{id}")),
            )
            .await?;
            let implement_due = CaseKind::ShareImplement.due(&self.calendar(), today)?;
            detail["fields"] = json!(fields);
            detail["until"] = json!(until.to_string());
            detail["mode"] = json!(mode.as_str());
            detail["masks"] = json!(masks);
            decision.grant = Some(NewGrant {
                request_id: Some(req.id),
                dataset_id: req.dataset_id,
                entry_id: req.entry_id,
                source_org: req.source_org,
                grantee_org: req.requester_org,
                using_unit: req.using_unit.clone(),
                scenario: req.scenario.clone(),
                purpose: req.purpose.clone(),
                data_user: format!("{} ({})", req.requested_by_name, req.requested_by),
                fields,
                masks,
                row_filter: None,
                mode,
                valid_from: today,
                valid_until: until,
                rate_limit: DEFAULT_RATE_LIMIT,
                research_only: req.research_only,
                state: GrantState::Pending,
                created_by: p.name.clone(),
            });
            decision.implement_case = Some(NewCase {
                kind: CaseKind::ShareImplement,
                subject: String::new(),
                requester_org: req.requester_org,
                responder_org: req.source_org,
                opened_on: today,
                due_on: implement_due,
                basis: CaseKind::ShareImplement.time_limit().1.into(),
            });
        }
        let event = p.event(
            "share.decide",
            format!("share_request:{id}"),
            Outcome::Success,
            detail,
        );
        let decided = self.store.decide_share_request(decision, event).await;
        self.forget_grants();
        decided.map_err(|e| match e {
            StoreError::Conflict { .. } => ServiceError::Conflict {
                code: "request_not_pending",
                detail: "the request was answered meanwhile".into(),
            },
            e => e.into(),
        })
    }

    pub(crate) async fn share_request_of(&self, id: i64) -> Result<ShareRequest> {
        self.store
            .get_share_request(id)
            .await
            .map_err(ServiceError::not_found("share request"))
    }

    /// One request, for its two sides and their supervisors.
    pub async fn share_request(&self, p: &Principal, id: i64) -> Result<ShareRequestView> {
        let r = self.share_request_of(id).await?;
        self.authorize(
            p,
            Action::ViewShare {
                requester: r.requester_org,
                source: r.source_org,
            },
        )
        .await?;
        self.share_request_view(r).await
    }

    /// Requests of the caller's organisations, newest first.
    pub async fn share_requests(
        &self,
        p: &Principal,
        side: Side,
        state: Option<RequestState>,
        limit: u32,
    ) -> Result<Vec<ShareRequestView>> {
        let orgs = match side {
            Side::All | Side::Filed => self.sharing_orgs(p).await?,
            _ => Some(Self::own_orgs(p)),
        };
        let filter = |requester: bool| ShareRequestFilter {
            requester_orgs: if requester { orgs.clone() } else { None },
            source_orgs: if requester { None } else { orgs.clone() },
            state,
            limit,
        };
        let mut found = match side {
            Side::Incoming => self.store.list_share_requests(&filter(false)).await?,
            Side::Outgoing => self.store.list_share_requests(&filter(true)).await?,
            Side::All | Side::Filed => {
                let mut v = self.store.list_share_requests(&filter(true)).await?;
                if orgs.is_some() {
                    v.extend(self.store.list_share_requests(&filter(false)).await?);
                }
                v
            }
        };
        if side == Side::Filed {
            let mine: Vec<i64> = p
                .roles
                .iter()
                .filter(|g| g.role == pubdata_domain::org::Role::AuthorityReviewer)
                .map(|g| g.org_id)
                .collect();
            found.retain(|r| r.filed_with.iter().any(|a| mine.contains(a)));
        }
        found.sort_by_key(|r| std::cmp::Reverse(r.id));
        found.dedup_by_key(|r| r.id);
        found.truncate(limit as usize);
        let mut out = Vec::with_capacity(found.len());
        for r in found {
            out.push(self.share_request_view(r).await?);
        }
        Ok(out)
    }

    async fn share_request_view(&self, r: ShareRequest) -> Result<ShareRequestView> {
        let entry = self.store.get_entry(r.entry_id).await?;
        let dataset = self.load_dataset(r.dataset_id).await?;
        let (cal, today) = (self.calendar(), today_cst());
        let status = |due: Option<NaiveDate>, open: bool| {
            due.filter(|_| open)
                .map(|due| deadline_status(&cal, due, today))
        };
        let answered_late = match (r.answer_due, r.decided_at) {
            (Some(due), Some(at)) => date_cst(at) > due,
            _ => false,
        };
        let mut filed_with_names = Vec::new();
        for a in &r.filed_with {
            filed_with_names.push(self.org_name(*a).await?);
        }
        Ok(ShareRequestView {
            filed_with_names,
            entry_code: entry.code.clone(),
            entry_name: entry.content.name.clone(),
            dataset_name: dataset.name,
            requester_name: self.org_name(r.requester_org).await?,
            source_name: self.org_name(r.source_org).await?,
            answer_deadline: status(r.answer_due, r.state == RequestState::Pending),
            implement_deadline: status(r.implement_due, r.state == RequestState::Approved),
            answered_late,
            request: r,
        })
    }
}

/// What the request form offers for one entry.
#[derive(Debug, Clone, Serialize)]
pub struct RequestForm {
    pub entry_id: i64,
    pub code: String,
    pub name: String,
    pub share_type: ShareType,
    /// The entry's items held in its dataset: (name, personal).
    pub items: Vec<(String, bool)>,
    /// The modes a request may ask for.
    pub modes: Vec<DeliveryMode>,
    /// Whether the source department has aggregated data for the entry.
    pub has_dataset: bool,
    pub source_name: String,
}

impl App {
    /// Published entries another organisation may request data of, newest first.
    pub async fn requestable_entries(&self, p: &Principal) -> Result<Vec<CatalogEntry>> {
        let own = Self::own_orgs(p);
        let found = self
            .list_entries(
                p,
                pubdata_store::EntryFilter {
                    published_only: true,
                    limit: 200,
                    ..Default::default()
                },
            )
            .await?;
        let mut out = Vec::new();
        for e in found {
            if own.contains(&e.org_id) || e.state == EntryState::Delisted {
                continue;
            }
            if self.store.dataset_of_entry(e.id).await?.is_some() {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The request form of one published entry.
    pub async fn request_form(&self, p: &Principal, entry_id: i64) -> Result<RequestForm> {
        self.authorize(p, Action::ViewCatalog).await?;
        let e = self
            .store
            .get_entry(entry_id)
            .await
            .map_err(ServiceError::not_found("catalogue entry"))?;
        let content = self.published_content(&e).await?;
        let d = self.store.dataset_of_entry(e.id).await?;
        let items = content
            .items
            .iter()
            .filter(|i| {
                d.as_ref()
                    .is_some_and(|d| d.columns.iter().any(|c| c.name == i.name))
            })
            .map(|i| (i.name.clone(), i.personal))
            .collect();
        let modes = [
            DeliveryMode::Api,
            DeliveryMode::Table,
            DeliveryMode::File,
            DeliveryMode::Verify,
        ]
        .into_iter()
        .filter(|m| {
            mode_offered(&content, *m)
                && (content.share_type != ShareType::None || *m == DeliveryMode::Verify)
        })
        .collect();
        Ok(RequestForm {
            entry_id: e.id,
            code: e.code.clone(),
            name: content.name.clone(),
            share_type: content.share_type,
            items,
            modes,
            has_dataset: d.is_some(),
            source_name: self.org_name(e.org_id).await?,
        })
    }
}
