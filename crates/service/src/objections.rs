//! Objections and corrections (异议与更正, OBJ-1, Art. 28 of the measures).
//!
//! A data user that received data under a grant reports an error in a
//! record it can see; a data subject objects to a record keyed by their own
//! identity number (online, or through an agency's counter staff). Either
//! opens a case for the source department (数源部门), due in 5 working
//! days, which corrects the record — a new dataset version written through
//! the ordinary load path, so checks, versions and audit apply — or
//! confirms it with a reply. What anyone sees of the record passes through
//! the one door (`access.rs`). The objector may attach proof documents
//! (证明材料); while the objection is verified, business proceeds on valid
//! proof (Art. 28, third paragraph).

use std::collections::BTreeMap;

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::{CaseKind, DeadlineStatus, deadline_status};
use pubdata_domain::ids::IdCardNo;
use pubdata_domain::objection::{
    MAX_PROOF_BYTES, ObjectionChannel, ObjectionOutcome, ObjectionState, proof_media_type,
};
use pubdata_store::{
    LoadMode, NewCase, NewObjection, NewProof, Objection, ObjectionFilter, ObjectionProof,
    ObjectionResolution, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;

use crate::App;
use crate::access::Objector;
use crate::error::{Result, ServiceError};
use crate::ingest::{Channel, LoadRequest, VecSource};
use crate::policy::Action;
use crate::principal::Principal;
use crate::sharing::required_text;

/// What Art. 28 says about business during verification, shown on every
/// objection.
pub const PROCEED_NOTICE: &str = "数据校核期间，办理业务涉及自然人、法人或非法人组织的，能够提供合法有效证明材料，受理单位应当依法办理（《清远市公共数据管理办法》第二十八条）。";

/// An objection as filed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    pub dataset_id: i64,
    /// The record's whole key: {key column: value}.
    pub key: BTreeMap<String, String>,
    /// The field said to be wrong.
    #[serde(default)]
    pub field: Option<String>,
    /// What the value should be.
    #[serde(default)]
    pub claimed_value: Option<String>,
    pub description: String,
    /// Counter staff filing for a data subject: the subject's identity number.
    #[serde(default)]
    pub subject_id_card_no: Option<String>,
}

/// The source department's resolution.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    pub outcome: ObjectionOutcome,
    /// The answer to the objector (required when confirming).
    #[serde(default)]
    pub reply: Option<String>,
    /// Corrected values by field (required when correcting).
    #[serde(default)]
    pub corrections: Option<BTreeMap<String, String>>,
}

/// Which objections to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionSide {
    /// Filed by the caller (or its organisations).
    Mine,
    /// Made of the caller's organisations, to answer.
    Incoming,
    /// Both, and for supervisors every objection.
    All,
}

/// One field of the record: before and (once corrected) after.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ObjectionFieldChange)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub changed: bool,
}

/// An objection as people see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectionView {
    #[serde(flatten)]
    pub objection: Objection,
    pub dataset_name: String,
    pub source_name: String,
    pub objector_org_name: Option<String>,
    /// While open: the deadline (5 working days).
    pub deadline: Option<DeadlineStatus>,
    /// Resolved after its due date.
    pub resolved_late: bool,
    /// Art. 28: business proceeds on valid proof during verification.
    pub proceed_notice: String,
    pub proofs: Vec<ObjectionProof>,
    /// The record before and after, as far as the viewer may see it (one
    /// objection only, not in lists).
    pub record: Option<Vec<FieldChange>>,
    /// Whether the viewer is the source department and may resolve it.
    pub can_resolve: bool,
    /// Whether the viewer filed it (and may attach proof).
    pub is_objector: bool,
}

impl App {
    /// Files an objection (异议) and opens its case for the source department.
    pub async fn file_objection(
        &self,
        p: &Principal,
        req: ObjectionInput,
    ) -> Result<ObjectionView> {
        let d = self.load_dataset(req.dataset_id).await?;
        // The key, whole and canonical, as the dataset stores it.
        if req.key.len() != d.key.len() || d.key.iter().any(|k| !req.key.contains_key(k)) {
            return Err(ServiceError::invalid(
                "key",
                format!("give exactly the key: {}", d.key.join(", ")),
            ));
        }
        let mut values = vec![None; d.columns.len()];
        let mut key_idx = Vec::new();
        for k in &d.key {
            let i = d
                .columns
                .iter()
                .position(|c| &c.name == k)
                .ok_or_else(|| ServiceError::Internal("key column missing".into()))?;
            let v = pubdata_domain::dataset::normalise(d.columns[i].data_type, &req.key[k])
                .map_err(|m| ServiceError::invalid("key", format!("{k}: {m}")))?;
            let is_id = d.columns[i]
                .checks
                .iter()
                .any(|c| c.rule == pubdata_domain::dataset::Rule::IdCard);
            values[i] = Some(if is_id { v.to_ascii_uppercase() } else { v });
            key_idx.push(i);
        }
        let record_key = crate::ingest::key_of(&values, &key_idx);
        let key: BTreeMap<String, String> = d
            .key
            .iter()
            .zip(&key_idx)
            .map(|(k, i)| (k.clone(), values[*i].clone().unwrap_or_default()))
            .collect();
        let description = required_text("description", &req.description, 2000)?;
        let field = req
            .field
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty());
        let claimed = req
            .claimed_value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if claimed.is_some_and(|v| v.chars().count() > 500) {
            return Err(ServiceError::invalid(
                "claimed_value",
                "at most 500 characters",
            ));
        }
        if claimed.is_some() && field.is_none() {
            return Err(ServiceError::invalid(
                "field",
                "name the field whose value you claim",
            ));
        }
        // Who objects, and through which channel.
        let own_id = match p.user_id {
            Some(u) if p.kind == "person" => self.store.person_identity(u).await?,
            _ => None,
        };
        let subject = match &req.subject_id_card_no {
            Some(s) if !s.trim().is_empty() => Some(
                s.trim()
                    .parse::<IdCardNo>()
                    .map_err(|e| ServiceError::invalid("subject_id_card_no", e.to_string()))?
                    .to_string(),
            ),
            _ => None,
        };
        let (channel, who, subject_id) = if p.kind == "person" {
            let Some(id) = own_id.as_deref() else {
                return Err(ServiceError::Forbidden(
                    "your account has no identity number (身份证号) on record".into(),
                ));
            };
            if subject.as_deref().is_some_and(|s| s != id) {
                return Err(ServiceError::Forbidden(
                    "a person objects only for themselves".into(),
                ));
            }
            (
                ObjectionChannel::SubjectOnline,
                Objector::Subject { id_card_no: id },
                Some(id.to_string()),
            )
        } else if let Some(s) = subject.as_deref() {
            (
                ObjectionChannel::SubjectCounter,
                Objector::Counter { id_card_no: s },
                Some(s.to_string()),
            )
        } else {
            (ObjectionChannel::DataUser, Objector::DataUser, None)
        };
        let objector_org = match channel {
            ObjectionChannel::SubjectOnline => None,
            _ => Some(Self::own_orgs(p).first().copied().ok_or_else(|| {
                ServiceError::Forbidden("an objection is filed for an organisation".into())
            })?),
        };
        let sight = self.objection_sight(p, &d, &record_key, field, who).await?;
        let today = today_cst();
        let (_, article) = CaseKind::Objection.time_limit();
        let case = NewCase {
            kind: CaseKind::Objection,
            subject: String::new(),
            requester_org: objector_org.unwrap_or(d.org_id),
            responder_org: d.org_id,
            opened_on: today,
            due_on: CaseKind::Objection.due(&self.calendar(), today)?,
            basis: article.into(),
        };
        let new = NewObjection {
            dataset_id: d.id,
            source_org: d.org_id,
            record_key,
            key,
            field: field.map(str::to_string),
            claimed_value: claimed.map(str::to_string),
            description,
            channel,
            objector_user_id: p.user_id,
            objector_name: p.name.clone(),
            objector_org,
            subject_id_card_no: subject_id,
            grant_id: sight.grant_id,
            visible_fields: sight.fields,
            about_version: sight.version,
            case,
        };
        let event = p.event(
            "objection.file",
            "objection:new",
            Outcome::Success,
            json!({"dataset": d.id, "channel": channel.as_str(), "field": field,
                   "grant": sight.grant_id, "version": sight.version}),
        );
        let o = self.store.create_objection(new, event).await?;
        self.objection_view(p, o, true).await
    }

    async fn objection_of(&self, id: i64) -> Result<Objection> {
        self.store
            .get_objection(id)
            .await
            .map_err(ServiceError::not_found("objection"))
    }

    fn is_objector(p: &Principal, o: &Objection) -> bool {
        (o.objector_user_id.is_some() && o.objector_user_id == p.user_id)
            || o.objector_org.is_some_and(|org| Self::acts_for(p, org))
    }

    /// Whether `p` may see the objection at all: its objector, the source
    /// department, supervisors. Others get 404, as if it did not exist.
    async fn may_view_objection(&self, p: &Principal, o: &Objection) -> Result<()> {
        if Self::is_objector(p, o)
            || Self::acts_for(p, o.source_org)
            || self.authorize(p, Action::Supervise).await.is_ok()
        {
            return Ok(());
        }
        Err(ServiceError::NotFound { what: "objection" })
    }

    /// One objection with the record before and after, as the viewer may see it.
    pub async fn objection(&self, p: &Principal, id: i64) -> Result<ObjectionView> {
        let o = self.objection_of(id).await?;
        self.may_view_objection(p, &o).await?;
        self.objection_view(p, o, true).await
    }

    /// Objections: the caller's own (`mine`), those its organisations must
    /// answer (`incoming`), or both (`all`; every objection for supervisors).
    pub async fn objections(
        &self,
        p: &Principal,
        side: ObjectionSide,
        state: Option<ObjectionState>,
    ) -> Result<Vec<ObjectionView>> {
        let supervisor = side == ObjectionSide::All
            && self.authorize(p, Action::Supervise).await.is_ok()
            && self.sharing_orgs(p).await?.is_none();
        let filter = ObjectionFilter {
            objector_user_id: if supervisor { None } else { p.user_id },
            orgs: if supervisor {
                None
            } else {
                Some(Self::own_orgs(p))
            },
            state,
            limit: 500,
        };
        let found = self.store.list_objections(&filter).await?;
        let mut out = Vec::new();
        for o in found {
            let keep = match side {
                ObjectionSide::Mine => Self::is_objector(p, &o),
                ObjectionSide::Incoming => Self::acts_for(p, o.source_org),
                ObjectionSide::All => true,
            };
            if keep {
                out.push(self.objection_view(p, o, false).await?);
            }
        }
        Ok(out)
    }

    async fn objection_view(
        &self,
        p: &Principal,
        o: Objection,
        with_record: bool,
    ) -> Result<ObjectionView> {
        let dataset = self.load_dataset(o.dataset_id).await?;
        let (cal, today) = (self.calendar(), today_cst());
        let deadline =
            (o.state == ObjectionState::Open).then(|| deadline_status(&cal, o.due_on, today));
        let resolved_late = o
            .resolved_at
            .is_some_and(|at| pubdata_domain::calendar::date_cst(at) > o.due_on);
        let record = if with_record {
            let v = self.objection_values(p, &o).await?;
            Some(
                v.fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let before = v.before[i].clone();
                        let after = v.after.as_ref().map(|a| a[i].clone()).unwrap_or(None);
                        FieldChange {
                            field: f.clone(),
                            changed: v.after.is_some() && after != before,
                            before,
                            after,
                        }
                    })
                    .collect(),
            )
        } else {
            None
        };
        let objector_org_name = match o.objector_org {
            Some(org) => Some(self.org_name(org).await?),
            None => None,
        };
        Ok(ObjectionView {
            dataset_name: dataset.name,
            source_name: self.org_name(o.source_org).await?,
            objector_org_name,
            deadline,
            resolved_late,
            proceed_notice: PROCEED_NOTICE.into(),
            proofs: self.store.proofs(o.id).await?,
            record,
            can_resolve: o.state == ObjectionState::Open
                && self
                    .authorize(p, Action::WriteDataset(o.source_org))
                    .await
                    .is_ok(),
            is_objector: Self::is_objector(p, &o),
            objection: o,
        })
    }

    /// Records a refusal of an objection step, then returns it.
    async fn refuse_objection(
        &self,
        p: &Principal,
        id: i64,
        action: &str,
        err: ServiceError,
    ) -> ServiceError {
        let event = p.event(
            action,
            format!("objection:{id}"),
            Outcome::Denied,
            json!({"refused": err.code(), "reason": err.to_string()}),
        );
        match self.store.append_audit(event).await {
            Ok(_) => err,
            Err(e) => e.into(),
        }
    }

    /// The source department resolves an objection: `corrected` writes the
    /// record with the corrections as a new dataset version (through the
    /// load path: a refused correction changes nothing and the objection
    /// stays open); `confirmed` keeps the record and needs a reply. The
    /// case closes; the objector sees the result.
    pub async fn resolve_objection(
        &self,
        p: &Principal,
        id: i64,
        r: ResolutionInput,
    ) -> Result<ObjectionView> {
        let o = self.objection_of(id).await?;
        self.may_view_objection(p, &o).await?;
        if !Self::acts_for(p, o.source_org)
            || self
                .authorize(p, Action::WriteDataset(o.source_org))
                .await
                .is_err()
        {
            let err = ServiceError::Forbidden(
                "only the source department's data administrators resolve an objection".into(),
            );
            return Err(self.refuse_objection(p, id, "objection.resolve", err).await);
        }
        if o.state != ObjectionState::Open {
            return Err(ServiceError::Conflict {
                code: "objection_resolved",
                detail: format!("the objection is already {}", o.state.as_str()),
            });
        }
        let reply = r
            .reply
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        if reply.chars().count() > 2000 {
            return Err(ServiceError::invalid("reply", "at most 2000 characters"));
        }
        let (state, corrections, version, reply) = match r.outcome {
            ObjectionOutcome::Confirmed => {
                if reply.is_empty() {
                    return Err(ServiceError::Invalid {
                        code: "reply_required",
                        detail: "confirming a record needs a reply to the objector".into(),
                        errors: vec![crate::FieldError {
                            field: "reply".into(),
                            message: "say why the record stands".into(),
                        }],
                    });
                }
                (ObjectionState::Confirmed, None, None, reply)
            }
            ObjectionOutcome::Corrected => {
                let corrections = r.corrections.unwrap_or_default();
                if corrections.is_empty() {
                    return Err(ServiceError::Invalid {
                        code: "corrections_required",
                        detail: "a correction names at least one field and its corrected value"
                            .into(),
                        errors: vec![crate::FieldError {
                            field: "corrections".into(),
                            message: "give {field: value}".into(),
                        }],
                    });
                }
                let version = self.write_correction(p, &o, &corrections).await?;
                let reply = if reply.is_empty() {
                    "已根据核查结果更正。".to_string()
                } else {
                    reply
                };
                (
                    ObjectionState::Corrected,
                    Some(corrections),
                    Some(version),
                    reply,
                )
            }
        };
        let event = p.event(
            "objection.resolve",
            format!("objection:{id}"),
            Outcome::Success,
            json!({"outcome": state.as_str(), "fields": corrections.as_ref().map(|c| c.keys().collect::<Vec<_>>()),
                   "version": version, "dataset": o.dataset_id}),
        );
        let resolved = self
            .store
            .resolve_objection(
                ObjectionResolution {
                    id,
                    state,
                    reply,
                    corrections,
                    correction_version: version,
                    actor: p.name.clone(),
                },
                event,
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    code: "objection_resolved",
                    detail: "the objection was resolved meanwhile".into(),
                },
                e => e.into(),
            })?;
        self.objection_view(p, resolved, true).await
    }

    /// Writes the corrected record as a new version (an upsert of one row
    /// through the load path); the version number.
    async fn write_correction(
        &self,
        p: &Principal,
        o: &Objection,
        corrections: &BTreeMap<String, String>,
    ) -> Result<i64> {
        let d = self.load_dataset(o.dataset_id).await?;
        for f in corrections.keys() {
            if !d.columns.iter().any(|c| &c.name == f) {
                return Err(ServiceError::invalid(
                    "corrections",
                    format!("「{f}」is not a field of the dataset"),
                ));
            }
            if d.key.contains(f) {
                return Err(ServiceError::invalid(
                    "corrections",
                    format!("「{f}」is part of the key: a different key is a different record"),
                ));
            }
        }
        let Some(mut row) = self.row_for_correction(p, &d, &o.record_key, o.id).await? else {
            return Err(ServiceError::Conflict {
                code: "record_gone",
                detail: "the record is no longer in the dataset".into(),
            });
        };
        for (f, v) in corrections {
            let i = d
                .columns
                .iter()
                .position(|c| &c.name == f)
                .expect("checked");
            let v = v.trim();
            row[i] = (!v.is_empty()).then(|| v.to_string());
        }
        let header: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
        let source = Box::new(VecSource::new(header, vec![row]));
        let name = format!("objection:{}", o.id);
        let req = LoadRequest::new(&d, source, LoadMode::Upsert, Channel::Push, &name);
        match self.run_load(p, req, &mut ()).await? {
            Ok(v) => Ok(v.version),
            Err(rejected) => Err(ServiceError::Invalid {
                code: "correction_rejected",
                detail: "the corrected record fails the dataset's checks; nothing was changed"
                    .into(),
                errors: rejected
                    .errors
                    .iter()
                    .map(|e| crate::FieldError {
                        field: format!("corrections.{}", e.column),
                        message: e.message.clone(),
                    })
                    .collect(),
            }),
        }
    }

    /// Attaches a proof document (证明材料) to an objection: its objector
    /// only; PDF, PNG or JPEG recognised by content, at most 5 MiB.
    pub async fn add_objection_proof(
        &self,
        p: &Principal,
        id: i64,
        file_name: &str,
        content: Vec<u8>,
    ) -> Result<ObjectionProof> {
        let o = self.objection_of(id).await?;
        self.may_view_objection(p, &o).await?;
        if !Self::is_objector(p, &o) {
            let err = ServiceError::Forbidden("only the objector attaches proof documents".into());
            return Err(self.refuse_objection(p, id, "objection.proof", err).await);
        }
        if content.len() > MAX_PROOF_BYTES {
            let err = ServiceError::TooLarge {
                code: "proof_too_large",
                detail: format!("a proof document is at most {} bytes", MAX_PROOF_BYTES),
            };
            return Err(self.refuse_objection(p, id, "objection.proof", err).await);
        }
        let Some(media_type) = proof_media_type(&content) else {
            let err = ServiceError::UnsupportedMedia {
                code: "proof_type_unsupported",
                detail: "a proof document is a PDF, PNG or JPEG file (recognised by its content)"
                    .into(),
            };
            return Err(self.refuse_objection(p, id, "objection.proof", err).await);
        };
        let mut name: String = file_name
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\' && *c != '"')
            .take(200)
            .collect();
        if name.trim().is_empty() {
            name = "proof".into();
        }
        let sha256 = hex::encode(sha2::Sha256::digest(&content));
        let event = p.event(
            "objection.proof",
            format!("objection:{id}"),
            Outcome::Success,
            json!({"media_type": media_type, "size": content.len(), "sha256": sha256}),
        );
        Ok(self
            .store
            .add_proof(
                NewProof {
                    objection_id: id,
                    file_name: name,
                    media_type: media_type.into(),
                    sha256,
                    content,
                    uploaded_by: p.name.clone(),
                },
                event,
            )
            .await?)
    }

    /// A proof document, for the objector, the source department and
    /// supervisors. Audited.
    pub async fn objection_proof(
        &self,
        p: &Principal,
        id: i64,
        proof_id: i64,
    ) -> Result<(ObjectionProof, Vec<u8>)> {
        let o = self.objection_of(id).await?;
        if let Err(e) = self.may_view_objection(p, &o).await {
            return Err(self
                .refuse_objection(p, id, "objection.proof_read", e)
                .await);
        }
        let found = self
            .store
            .proof(id, proof_id)
            .await
            .map_err(ServiceError::not_found("proof"))?;
        self.store
            .append_audit(p.event(
                "objection.proof_read",
                format!("objection:{id}"),
                Outcome::Success,
                json!({"proof": proof_id}),
            ))
            .await?;
        Ok(found)
    }

    /// The identity number (身份证号) on record for the caller, a person.
    pub async fn my_identity(&self, p: &Principal) -> Result<Option<String>> {
        match p.user_id {
            Some(u) if p.kind == "person" => Ok(self.store.person_identity(u).await?),
            _ => Ok(None),
        }
    }

    /// Records a person's identity number (validated as a 身份证号).
    pub async fn set_person_identity(
        &self,
        p: &Principal,
        user_id: i64,
        id_card_no: &str,
    ) -> Result<()> {
        self.authorize(p, Action::ManageUsers).await?;
        let id: IdCardNo = id_card_no
            .parse()
            .map_err(|e: pubdata_domain::ids::IdCardError| {
                ServiceError::invalid("id_card_no", e.to_string())
            })?;
        let event = p.event(
            "user.identity",
            format!("user:{user_id}"),
            Outcome::Success,
            json!({}),
        );
        self.store
            .set_person_identity(user_id, id.as_str(), event)
            .await?;
        Ok(())
    }

    /// Datasets the caller may object about, as (id, name, key columns):
    /// for a person, those keyed by an identity number alone; for an
    /// organisation, those it holds a usable grant on.
    pub async fn objectable_datasets(
        &self,
        p: &Principal,
    ) -> Result<Vec<(i64, String, Vec<String>)>> {
        let mut out = Vec::new();
        if p.kind == "person" {
            for d in self.store.list_datasets(None, None, 500).await? {
                let keyed_by_id = d.key.len() == 1
                    && d.columns.iter().any(|c| {
                        c.name == d.key[0]
                            && c.checks
                                .iter()
                                .any(|k| k.rule == pubdata_domain::dataset::Rule::IdCard)
                    });
                if keyed_by_id && d.current_version > 0 {
                    out.push((d.id, d.name.clone(), d.key.clone()));
                }
            }
            return Ok(out);
        }
        let orgs = Self::own_orgs(p);
        if orgs.is_empty() {
            return Ok(out);
        }
        let today = today_cst();
        let grants = self
            .store
            .list_grants(&pubdata_store::GrantFilter {
                grantee_orgs: Some(orgs),
                source_orgs: None,
                dataset_id: None,
                limit: 500,
            })
            .await?;
        let mut seen = std::collections::BTreeSet::new();
        for g in grants.iter().filter(|g| g.scope().usable(today).is_ok()) {
            if seen.insert(g.dataset_id) {
                let d = self.load_dataset(g.dataset_id).await?;
                out.push((d.id, d.name.clone(), d.key.clone()));
            }
        }
        Ok(out)
    }
}
