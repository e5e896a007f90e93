//! Desensitised derivatives (脱敏衍生, SHR-6, Art. 24). The agency that holds
//! a dataset derives a new catalogue entry and dataset from it by masking,
//! keyed pseudonymisation, generalisation or dropping fields
//! (`domain::derive`), so that the derivative can carry a more open share
//! class.
//!
//! - Making one drafts the derived entry — its items are the transformed
//!   fields, each describing what was done, its related codes name the
//!   parent — records the derivation (parent, transformation per field, a
//!   fresh HMAC secret) in one transaction, and submits the entry for the
//!   authority's review like any entry.
//! - Once the entry is published, the leased `derivations` job (or "refresh
//!   now") makes the derived dataset and fills it: the parent's current rows
//!   are read through the one door (`access::read_for_derivation`, audited),
//!   transformed, and loaded as the derivative's whole new content by the
//!   normal load path (all or nothing, a new version). The job refreshes it
//!   again whenever the parent has a newer version.

use std::collections::BTreeMap;

use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::catalog::{
    DataItem, EntryState, OpenAttribute, OpenClause, ShareMode, ShareType,
};
use pubdata_domain::dataset::{Column, RowError};
use pubdata_domain::derive::{ParentField, PlanError, Pseudonymiser, Transform, plan};
use pubdata_domain::reident::{KAnonymity, ReidReport};
use pubdata_store::{
    CatalogEntry, Dataset, DatasetVersion, Derivation, DerivationFilter, DerivationRefresh,
    FieldTransform, NewDataset, NewDerivation, NewEntry, ReidCheck,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::ingest::{RawRow, RowSource};
use crate::open::ReidSpec;
use crate::policy::Action;
use crate::principal::{Principal, Via};
use crate::secrets::SecretColumn;

/// A derivation as asked.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DerivationInput {
    /// The dataset to derive from (held by the caller's agency).
    pub parent_dataset_id: i64,
    /// The derived entry's name.
    pub name: String,
    /// Defaults to the parent's summary with what was done.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub summary: Option<String>,
    /// The derived entry's share class (more open than the parent's, or the same).
    pub share_type: ShareType,
    /// Conditions of a conditional derivative (defaults to the parent's).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub share_conditions: Option<String>,
    /// Defaults to the parent's modes (or `api`).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub share_modes: Option<Vec<ShareMode>>,
    /// The derived entry's grade (defaults to the parent's).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub grade: Option<String>,
    /// Field → transformation: `keep`, `drop`, `mask:RULE` (e.g.
    /// `mask:keep:6,4`), `pseudonym`, `year`, `month`, `district`,
    /// `age_band` or `age_band:N`. Fields not named are dropped; the key
    /// must be kept or pseudonymised.
    pub transforms: BTreeMap<String, String>,
    /// The derived entry's open attribute (defaults to the parent's). An
    /// open derivative of personal data must pass the re-identification
    /// check (OPN-5).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub open_attribute: Option<OpenAttribute>,
    /// Quasi-identifiers (准标识符) among the derived fields; by default
    /// those describing a person observably (birth date, sex, address …)
    /// or generalised.
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable)]
    pub quasi_identifiers: Option<Vec<String>>,
    /// The k-anonymity threshold (2 … 1000, default 5).
    #[serde(default, deserialize_with = "crate::json::or_default")]
    #[schema(nullable, minimum = 2, maximum = 1000)]
    pub k: Option<u32>,
}

/// A derivation with the names around it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DerivationView {
    #[serde(flatten)]
    pub derivation: Derivation,
    pub entry_name: String,
    pub entry_code: String,
    pub entry_state: EntryState,
    pub parent_name: String,
    pub parent_entry_name: String,
    pub parent_share_type: ShareType,
    pub share_type: ShareType,
    pub open_attribute: OpenAttribute,
    /// Withheld from the public: its check is required and its current
    /// version has not passed one.
    pub withheld: bool,
    /// The latest re-identification checks, newest first.
    pub reid_checks: Vec<ReidCheck>,
    /// The parent's current version.
    pub parent_current_version: i64,
    /// The derived dataset holds the parent's current version.
    pub up_to_date: bool,
    /// Each kept field's transformation, described (zh-CN): `field：what`.
    pub described: Vec<String>,
}

fn plan_invalid(e: PlanError) -> ServiceError {
    ServiceError::invalid(&e.field, e.message)
}

/// The derived dataset's columns: the kept fields, transformed.
fn derived_columns(parent: &Dataset, steps: &[(usize, Transform)]) -> Vec<Column> {
    steps
        .iter()
        .map(|(i, t)| {
            let c = &parent.columns[*i];
            Column {
                name: c.name.clone(),
                data_type: t.output_type(c.data_type),
                nullable: c.nullable,
                personal: c.personal && t.still_personal(),
                // A kept value keeps its checks; a transformed one has none.
                checks: if *t == Transform::Keep {
                    c.checks.clone()
                } else {
                    vec![]
                },
            }
        })
        .collect()
}

/// Rows handed from the async reader to the load's blocking reader thread,
/// a chunk at a time; a failed read becomes a row error, so the load
/// refuses and nothing of a partial read is committed.
struct ChannelSource {
    header: Vec<String>,
    rx: tokio::sync::mpsc::Receiver<std::result::Result<Vec<Vec<Option<String>>>, String>>,
    chunk: std::vec::IntoIter<Vec<Option<String>>>,
    current: Vec<Option<String>>,
    row: u64,
    failed: bool,
}

impl RowSource for ChannelSource {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<RawRow<'_>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(r) = self.chunk.next() {
                self.current = r;
                self.row += 1;
                return Some(Ok((
                    self.row,
                    self.current.iter().map(|c| c.as_deref()).collect(),
                )));
            }
            match self.rx.blocking_recv()? {
                Ok(chunk) => self.chunk = chunk.into_iter(),
                Err(message) => {
                    self.failed = true;
                    return Some(Err(RowError {
                        row: self.row + 1,
                        column: String::new(),
                        value: String::new(),
                        rule: "derive_read".into(),
                        message,
                    }));
                }
            }
        }
    }
}

impl App {
    async fn load_derivation(&self, id: i64) -> Result<Derivation> {
        self.store
            .get_derivation(id)
            .await
            .map_err(ServiceError::not_found("derivation"))
    }

    /// The parent, its entry, the transformation per kept field and the
    /// re-identification check a derivation asks for; refused when it
    /// breaks a rule of `domain::derive::plan`.
    async fn plan_derivation(
        &self,
        p: &Principal,
        input: &DerivationInput,
    ) -> Result<(Dataset, CatalogEntry, Vec<(usize, Transform)>, ReidSpec)> {
        let parent = self
            .load_dataset(input.parent_dataset_id)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound { .. } => {
                    ServiceError::invalid("parent_dataset_id", "no such dataset")
                }
                other => other,
            })?;
        self.authorize(p, Action::WriteDataset(parent.org_id))
            .await?;
        self.authorize(p, Action::EditCatalog(parent.org_id))
            .await?;
        let parent_entry = self.load_entry(parent.entry_id).await?;
        let fields: Vec<ParentField> = parent
            .columns
            .iter()
            .map(|c| ParentField {
                name: c.name.clone(),
                data_type: c.data_type,
                personal: c.personal,
            })
            .collect();
        let steps = plan(
            &fields,
            &parent.key,
            &input.transforms,
            parent_entry.content.share_type,
            input.share_type,
        )
        .map_err(plan_invalid)?;
        let open = input
            .open_attribute
            .unwrap_or(parent_entry.content.open_attribute);
        let reid = ReidSpec::plan(
            &parent,
            &steps,
            open,
            input.quasi_identifiers.as_deref(),
            input.k,
        )?;
        Ok((parent, parent_entry, steps, reid))
    }

    /// The re-identification check a derivation would face, on the
    /// parent's current rows, without making it (the form's "check").
    pub async fn check_derivation(
        &self,
        p: &Principal,
        input: DerivationInput,
    ) -> Result<ReidReport> {
        let (parent, _, steps, reid) = self.plan_derivation(p, &input).await?;
        if parent.current_version == 0 {
            return Err(ServiceError::Conflict {
                code: "parent_empty",
                detail: "the parent dataset holds no data yet".into(),
            });
        }
        self.reid_check_parent(p, &parent, &steps, &reid).await
    }

    /// Derives a new entry (and, once published, dataset) from a dataset the
    /// caller's agency holds; the entry goes to review at once.
    pub async fn create_derivation(
        &self,
        p: &Principal,
        input: DerivationInput,
    ) -> Result<DerivationView> {
        let (parent, parent_entry, steps, reid) = self.plan_derivation(p, &input).await?;
        let report = if reid.required {
            let report = self.reid_check_parent(p, &parent, &steps, &reid).await?;
            if !report.passed {
                self.store
                    .append_audit(p.event(
                        "derivation.create",
                        format!("dataset:{}", parent.id),
                        Outcome::Denied,
                        json!({"code": "reidentification_risk", "k": report.k,
                               "quasi_identifiers": report.quasi_identifiers,
                               "classes_at_risk": report.classes_at_risk}),
                    ))
                    .await?;
                return Err(crate::open::risk_refusal(&report));
            }
            Some(report)
        } else {
            None
        };
        let name = super::required_text("name", &input.name, 100)?;
        let pc = &parent_entry.content;
        let described: Vec<String> = steps
            .iter()
            .map(|(i, t)| format!("{}：{}", parent.columns[*i].name, t.describe_zh()))
            .collect();
        let mut content = pc.clone();
        content.name = name;
        content.summary = match input.summary.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => format!(
                "由「{}」（{}）脱敏衍生：{}。",
                pc.name,
                parent_entry.code,
                described.join("；")
            ),
        };
        content.items = steps
            .iter()
            .map(|(i, t)| {
                let c = &parent.columns[*i];
                let item = pc.items.iter().find(|it| it.name == c.name);
                DataItem {
                    name: c.name.clone(),
                    data_type: t.output_type(c.data_type),
                    description: match item.map(|it| it.description.trim()) {
                        Some(d) if !d.is_empty() => format!("{d}（{}）", t.describe_zh()),
                        _ => t.describe_zh(),
                    },
                    personal: c.personal && t.still_personal(),
                }
            })
            .collect();
        content.share_type = input.share_type;
        content.open_attribute = input.open_attribute.unwrap_or(pc.open_attribute);
        // The parent's clauses that still fit; else the usual one (the entry
        // can be edited before review).
        let open = content.open_attribute;
        content.open_clauses.retain(|c| c.attribute() == open);
        match open {
            OpenAttribute::Unconditional => {
                content.open_conditions.clear();
                content.open_grounds.clear();
            }
            OpenAttribute::Conditional => {
                content.open_grounds.clear();
                if content.open_clauses.is_empty() {
                    content.open_clauses = vec![OpenClause::RiskAssessment];
                }
                if content.open_conditions.trim().is_empty() {
                    content.open_conditions =
                        "经申请审核并签订数据利用协议后提供（第三十八条）".into();
                }
            }
            OpenAttribute::None => {
                content.open_conditions.clear();
                if content.open_clauses.is_empty() {
                    content.open_clauses = vec![OpenClause::PrivacyWithoutConsent];
                }
                if content.open_grounds.trim().is_empty() {
                    content.open_grounds = pc.open_grounds.clone();
                }
            }
        }
        // The basis filed with the authority (Art. 33, 34): the parent's
        // when it has one, else the derivation itself (Art. 36).
        if open == OpenAttribute::Unconditional {
            content.open_basis.clear();
        } else if content.open_basis.trim().is_empty() {
            content.open_basis = format!(
                "由「{}」（{}）脱敏衍生，依第三十六条确定开放属性",
                pc.name, parent_entry.code
            );
        }
        if let Some(c) = input.share_conditions {
            content.share_conditions = c.trim().to_string();
        }
        if input.share_type == ShareType::Unconditional {
            content.share_conditions.clear();
        }
        if let Some(m) = input.share_modes {
            content.share_modes = m;
        }
        content.share_modes.sort();
        content.share_modes.dedup();
        if content.share_modes.is_empty() && input.share_type != ShareType::None {
            content.share_modes = vec![ShareMode::Api];
        }
        if let Some(g) = input.grade {
            content.grade = g.trim().to_string();
        }
        if !content.related_codes.contains(&parent_entry.code) {
            content.related_codes.push(parent_entry.code.clone());
        }
        let content = self.checked_content(content).await?;
        let transforms: Vec<FieldTransform> = steps
            .iter()
            .map(|(i, t)| FieldTransform {
                field: parent.columns[*i].name.clone(),
                transform: t.to_string(),
            })
            .collect();
        let secret = self
            .seal_secret(
                SecretColumn::DerivationSecret,
                &hex::encode(rand::random::<[u8; 32]>()),
            )
            .await?;
        let audit = p.event(
            "derivation.create",
            "",
            Outcome::Success,
            json!({"parent_dataset_id": parent.id, "name": content.name,
                   "share_type": content.share_type.as_str(), "transforms": transforms}),
        );
        let (entry, derivation) = self
            .store
            .create_derivation(
                NewEntry {
                    org_id: parent.org_id,
                    level: parent_entry.level,
                    content,
                    co_owners: vec![],
                    actor: p.name.clone(),
                },
                NewDerivation {
                    org_id: parent.org_id,
                    parent_dataset_id: parent.id,
                    parent_entry_id: parent_entry.id,
                    transforms,
                    secret,
                    quasi_identifiers: reid.quasi_identifiers.clone(),
                    k: reid.k,
                    reid_required: reid.required,
                    created_by: p.name.clone(),
                },
                audit,
            )
            .await?;
        if let Some(report) = report {
            self.record_reid(p, &derivation, None, 0, "creation", report)
                .await?;
        }
        // To the authority's review, like any new entry (its review case).
        self.submit_entry(p, entry.id).await?;
        self.derivation_view(derivation).await
    }

    async fn derivation_view(&self, d: Derivation) -> Result<DerivationView> {
        let entry = self.load_entry(d.entry_id).await?;
        let parent = self.load_dataset(d.parent_dataset_id).await?;
        let parent_entry = self.load_entry(d.parent_entry_id).await?;
        let described = d
            .transforms
            .iter()
            .map(|ft| {
                let text = ft
                    .transform
                    .parse::<Transform>()
                    .map(|t| t.describe_zh())
                    .unwrap_or_else(|_| ft.transform.clone());
                format!("{}：{text}", ft.field)
            })
            .collect();
        Ok(DerivationView {
            entry_name: entry.content.name.clone(),
            entry_code: entry.code.clone(),
            entry_state: entry.state,
            share_type: entry.content.share_type,
            open_attribute: entry.content.open_attribute,
            withheld: match d.dataset_id {
                Some(id) => self.store.reid_withheld(id).await?,
                None => false,
            },
            reid_checks: self.store.reid_checks(d.id, 5).await?,
            parent_name: parent.name.clone(),
            parent_entry_name: parent_entry.content.name.clone(),
            parent_share_type: parent_entry.content.share_type,
            parent_current_version: parent.current_version,
            up_to_date: d.dataset_id.is_some() && d.parent_version >= parent.current_version,
            described,
            derivation: d,
        })
    }

    /// One derivation (its agency, supervisors).
    pub async fn derivation(&self, p: &Principal, id: i64) -> Result<DerivationView> {
        let d = self.load_derivation(id).await?;
        self.authorize(p, Action::ViewDataset(d.org_id)).await?;
        self.derivation_view(d).await
    }

    /// The derivation that made an entry, if one did (for the entry page).
    pub async fn derivation_of_entry(
        &self,
        p: &Principal,
        entry_id: i64,
    ) -> Result<Option<DerivationView>> {
        self.authorize(p, Action::ViewCatalog).await?;
        match self.store.derivation_of_entry(entry_id).await? {
            Some(d) => Ok(Some(self.derivation_view(d).await?)),
            None => Ok(None),
        }
    }

    /// Derivations the caller may see: its organisations' (all, for
    /// supervisors), optionally of one parent dataset; newest first.
    pub async fn derivations(
        &self,
        p: &Principal,
        parent_dataset_id: Option<i64>,
    ) -> Result<Vec<DerivationView>> {
        let orgs = if self.can(p, Action::Supervise).await {
            None
        } else {
            Some(Self::own_orgs(p))
        };
        let found = self
            .store
            .list_derivations(&DerivationFilter {
                orgs,
                parent_dataset_id,
                limit: 200,
            })
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for d in found {
            out.push(self.derivation_view(d).await?);
        }
        Ok(out)
    }

    /// Refreshes a derivative now, at its agency's request.
    pub async fn refresh_derivation(&self, p: &Principal, id: i64) -> Result<DatasetVersion> {
        let d = self.load_derivation(id).await?;
        self.authorize(p, Action::WriteDataset(d.org_id)).await?;
        self.refresh_recorded(p, &d).await
    }

    /// Refreshes the derivatives that are due (the leased `derivations` job).
    pub async fn run_due_derivations(&self) -> Result<usize> {
        let mut n = 0;
        for d in self.store.due_derivations().await? {
            let org = self.store.get_org(d.org_id).await?;
            let p = Principal {
                user_id: None,
                name: "system:derive".into(),
                display_name: "脱敏衍生".into(),
                kind: "system",
                org: Some(org),
                roles: vec![],
                via: Via::Bearer,
                client_ip: None,
            };
            match self.refresh_recorded(&p, &d).await {
                Ok(_) => n += 1,
                Err(e) => {
                    tracing::warn!(derivation = d.id, error = %e, "derivation refresh failed")
                }
            }
        }
        Ok(n)
    }

    /// One refresh with its outcome recorded on the derivation.
    async fn refresh_recorded(&self, p: &Principal, d: &Derivation) -> Result<DatasetVersion> {
        let done = self.refresh_once(p, d).await;
        let outcome = match &done {
            Ok((dataset_id, parent_version, _)) => DerivationRefresh::Done {
                dataset_id: *dataset_id,
                parent_version: *parent_version,
            },
            Err(e) => DerivationRefresh::Failed(e.to_string()),
        };
        self.store.record_derivation(d.id, outcome).await?;
        done.map(|(_, _, v)| v)
    }

    /// Makes the derived dataset if needed and loads the transformed
    /// current rows of the parent as its whole content: (dataset, parent
    /// version read, new version).
    async fn refresh_once(
        &self,
        p: &Principal,
        d: &Derivation,
    ) -> Result<(i64, i64, DatasetVersion)> {
        let entry = self.load_entry(d.entry_id).await?;
        if entry.published_version.is_none() || entry.state == EntryState::Delisted {
            return Err(ServiceError::Conflict {
                code: "entry_not_published",
                detail: "the derived entry is not published (it awaits the authority's review)"
                    .into(),
            });
        }
        let parent = self.load_dataset(d.parent_dataset_id).await?;
        if parent.current_version == 0 {
            return Err(ServiceError::Conflict {
                code: "parent_empty",
                detail: "the parent dataset holds no data yet".into(),
            });
        }
        let steps: Vec<(usize, Transform)> = d
            .transforms
            .iter()
            .map(|ft| {
                let f = &ft.field;
                let i = parent.columns.iter().position(|c| &c.name == f);
                match (i, ft.transform.parse::<Transform>()) {
                    (Some(i), Ok(t)) => Ok((i, t)),
                    _ => Err(ServiceError::Conflict {
                        code: "parent_changed",
                        detail: format!("the parent no longer has field 「{f}」 as derived"),
                    }),
                }
            })
            .collect::<Result<_>>()?;
        let derived = match d.dataset_id {
            Some(id) => self.load_dataset(id).await?,
            None => {
                let audit = p.event(
                    "dataset.create",
                    "",
                    Outcome::Success,
                    json!({"entry_id": entry.id, "name": entry.content.name, "derivation": d.id}),
                );
                self.store
                    .create_dataset(
                        NewDataset {
                            entry_id: entry.id,
                            org_id: d.org_id,
                            name: entry.content.name.clone(),
                            columns: derived_columns(&parent, &steps),
                            key: parent.key.clone(),
                            frequency: entry.content.update_frequency,
                        },
                        audit,
                    )
                    .await?
            }
        };
        let parent_version = parent.current_version;
        let secret = hex::decode(self.open_secret(SecretColumn::DerivationSecret, &d.secret)?)
            .map_err(|_| ServiceError::Internal("a derivation's secret is not hex".into()))?;
        let key = Pseudonymiser::new(&secret);
        let today = today_cst();
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let source = ChannelSource {
            header: derived.columns.iter().map(|c| c.name.clone()).collect(),
            rx,
            chunk: Vec::new().into_iter(),
            current: vec![],
            row: 0,
            failed: false,
        };
        let name = format!(
            "derivation:{} ← dataset:{} v{parent_version}",
            d.id, parent.id
        );
        let req = crate::ingest::LoadRequest::new(
            &derived,
            Box::new(source),
            pubdata_store::LoadMode::Replace,
            crate::ingest::Channel::Pull,
            &name,
        );
        // The parent's pages are read (through the door) and transformed
        // while the load checks and stages the previous ones.
        let reader = self.open_derivation_read(p, &parent, Some(d)).await?;
        let names: Vec<String> = derived.columns.iter().map(|c| c.name.clone()).collect();
        let spec = ReidSpec::of(d, &names);
        let mut counts = d.reid_required.then(KAnonymity::new);
        let read = async {
            // Owned here: the source sees the end when this block finishes.
            let tx = tx;
            let mut after: Option<String> = None;
            loop {
                let page = match reader
                    .page(after.as_deref(), crate::access::DERIVE_PAGE)
                    .await
                {
                    Ok(page) => page,
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string())).await;
                        return;
                    }
                };
                let full = page.len() >= crate::access::DERIVE_PAGE as usize;
                after = page.last().map(|(k, _)| k.clone());
                let rows: Vec<Vec<Option<String>>> = page
                    .into_iter()
                    .map(|(_, v)| {
                        steps
                            .iter()
                            .map(|(i, t)| v[*i].as_deref().and_then(|x| t.apply(x, &key, today)))
                            .collect()
                    })
                    .collect();
                if let Some(c) = counts.as_mut() {
                    for r in &rows {
                        c.add(spec.project(r));
                    }
                }
                if tx.send(Ok(rows)).await.is_err() || !full {
                    return;
                }
            }
        };
        let mut progress = ();
        let (_, loaded) = tokio::join!(read, self.run_load(p, req, &mut progress));
        match loaded? {
            Ok(v) => {
                if let Some(c) = counts {
                    // The version stays withheld from the public unless it passes.
                    let report = c.finish(spec.k, spec.quasi_identifiers.clone());
                    self.record_reid(p, d, Some(derived.id), v.version, "refresh", report)
                        .await?;
                }
                Ok((derived.id, parent_version, v))
            }
            Err(rejected) => Err(ServiceError::Conflict {
                code: "derivation_rejected",
                detail: format!(
                    "the derived rows did not load: {}",
                    rejected
                        .errors
                        .first()
                        .map(|e| format!("row {} {}: {}", e.row, e.column, e.message))
                        .unwrap_or_default()
                ),
            }),
        }
    }
}
