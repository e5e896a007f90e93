//! What the platform detects by itself (VIO-1): each finding is recorded
//! once, under a detection key.
//!
//! - Deadlines missed: an open update obligation past its due date
//!   (Art. 49(2), catalogue); an open share answer or implementation, a
//!   demand confirmation or an objection past its due date (Art. 49(1),
//!   providing and verifying data). Key `case_overdue:<case>`.
//! - Datasets not aggregated or stale (Art. 49(3)): no version loaded, or
//!   none within the frequency's age. Key `dataset_stale:<id>:v<version>`,
//!   so a new stale spell after a load is a new finding.
//! - Reads refused as outside a grant or after its expiry, suspension or
//!   revocation (Art. 49(4) for a body; Art. 50(5) for other users). Key
//!   `access_outside_grant:<org>:<dataset>:<day>`.
//! - Declaring a data item another department already collects (repeated
//!   collection, Art. 49(8)). Key `repeated_collection:<org>:<item>`.
//! - An audit chain that no longer verifies (unrecorded change or deletion,
//!   Art. 49(6)), checked once a day, recorded against the city authority
//!   that operates the platform. Key `audit_chain:<first bad record>`.
//!
//! The audit chain is read from where the last run stopped
//! (`violation_scans`), so each record is looked at once.

use std::collections::BTreeMap;

use chrono::Utc;
use pubdata_domain::audit::{ChainError, Outcome};
use pubdata_domain::calendar::{date_cst, today_cst};
use pubdata_domain::case::CaseKind;
use pubdata_domain::org::OrgKind;
use pubdata_domain::violation::{ViolationKind, ViolationSource};
use pubdata_store::NewViolation;
use serde_json::json;

use super::{authority_for, city_authority};
use crate::App;
use crate::audit::{VerifyError, verify_chain};
use crate::error::Result;
use crate::principal::Principal;

/// Audit records read per run at most (the rest wait for the next run).
const SCAN_PER_RUN: u32 = 200_000;
const BATCH: u32 = 5_000;

/// Refusals that mean a read outside a grant, or after it ended.
const OUTSIDE_GRANT: &[&str] = &["grant_expired", "grant_revoked", "field_not_granted"];

/// Refused reads by (organisation, dataset target, China day).
type ReadKey = (i64, String, chrono::NaiveDate);
/// How many, by refusal code, and the first record.
type Refusals = (i64, BTreeMap<String, i64>, i64);

struct Finding {
    org: i64,
    kind: ViolationKind,
    key: String,
    subject: Option<String>,
    title: String,
    description: String,
    evidence: serde_json::Value,
    occurred_on: chrono::NaiveDate,
}

impl App {
    /// Runs every detector; returns how many new violations were recorded.
    /// The audit chain is verified once a China day, or now when `chain_now`.
    pub(crate) async fn detect_violations(&self, chain_now: bool) -> Result<usize> {
        let mut found = Vec::new();
        self.find_missed_deadlines(&mut found).await?;
        self.find_stale_datasets(&mut found).await?;
        self.find_in_audit(&mut found).await?;
        self.find_broken_chain(&mut found, chain_now).await?;
        let tree = self.org_tree().await?;
        let mut recorded = 0;
        for f in found {
            let Some(authority) = authority_for(&tree, f.org) else {
                continue;
            };
            let event = Principal::system().event(
                "violation.detect",
                "violation:new",
                Outcome::Success,
                json!({"org": f.org, "kind": f.kind.as_str(), "key": f.key}),
            );
            let new = NewViolation {
                org_id: f.org,
                authority_org: authority,
                kind: f.kind,
                source: ViolationSource::Detected,
                detection_key: Some(f.key),
                subject: f.subject,
                title: f.title,
                description: f.description,
                evidence: f.evidence,
                occurred_on: f.occurred_on,
                created_by: "system".into(),
            };
            if self.store.record_violation(new, event).await?.is_some() {
                recorded += 1;
            }
        }
        Ok(recorded)
    }

    async fn find_missed_deadlines(&self, out: &mut Vec<Finding>) -> Result<()> {
        let today = today_cst();
        let Some(yesterday) = today.pred_opt() else {
            return Ok(());
        };
        for c in self.store.open_cases_due_by(yesterday).await? {
            let kind = match c.kind {
                CaseKind::CatalogUpdate => ViolationKind::Catalogue,
                CaseKind::ShareAnswer
                | CaseKind::ShareImplement
                | CaseKind::DataDemand
                | CaseKind::Objection => ViolationKind::Provision,
                _ => continue,
            };
            out.push(Finding {
                org: c.responder_org,
                kind,
                key: format!("case_overdue:{}", c.id),
                subject: Some(c.subject.clone()),
                title: format!("{}逾期未办结", c.kind.zh()),
                description: format!(
                    "{}（{}）应于 {} 前办结，至 {} 仍未办结。依据：{}",
                    c.kind.zh(),
                    c.subject,
                    c.due_on,
                    today,
                    c.basis
                ),
                evidence: json!({"case": c.id, "case_kind": c.kind.as_str(), "opened_on": c.opened_on,
                                 "due_on": c.due_on}),
                occurred_on: c.due_on.succ_opt().unwrap_or(c.due_on),
            });
        }
        Ok(())
    }

    async fn find_stale_datasets(&self, out: &mut Vec<Finding>) -> Result<()> {
        let now = Utc::now();
        for d in self.store.supervised_datasets().await? {
            let Some(days) = d.frequency.max_age_days() else {
                continue;
            };
            let since = d.last_load_at.unwrap_or(d.created_at);
            let limit = chrono::Duration::days(days);
            if now - since <= limit {
                continue;
            }
            let never = d.current_version == 0;
            out.push(Finding {
                org: d.org_id,
                kind: ViolationKind::Aggregation,
                key: format!("dataset_stale:{}:v{}", d.id, d.current_version),
                subject: Some(format!("dataset:{}", d.id)),
                title: if never {
                    format!("数据集“{}”未汇聚", d.name)
                } else {
                    format!("数据集“{}”未按更新频率汇聚", d.name)
                },
                description: format!(
                    "更新频率为{}（最长 {days} 天），{}。",
                    d.frequency.zh(),
                    match d.last_load_at {
                        Some(t) => format!("最近一次汇聚于 {}", date_cst(t)),
                        None => format!("自 {} 登记以来从未汇聚", date_cst(d.created_at)),
                    }
                ),
                evidence: json!({"dataset": d.id, "version": d.current_version, "frequency": d.frequency.as_str(),
                                 "last_load_at": d.last_load_at, "max_age_days": days}),
                occurred_on: date_cst(since + limit),
            });
        }
        Ok(())
    }

    async fn find_in_audit(&self, out: &mut Vec<Finding>) -> Result<()> {
        const DETECTOR: &str = "audit_records";
        let start = self.store.scan_mark(DETECTOR).await?;
        let tree = self.org_tree().await?;
        let mut after = start;
        let mut reads: BTreeMap<ReadKey, Refusals> = BTreeMap::new();
        let mut declares: BTreeMap<(i64, String), (i64, chrono::NaiveDate)> = BTreeMap::new();
        while after - start < i64::from(SCAN_PER_RUN) {
            let batch = self.store.audit_batch(after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for r in &batch {
                let e = &r.event;
                if e.outcome == Outcome::Success {
                    continue;
                }
                let Some(org) = e.org_id else { continue };
                let day = pubdata_store::parse_time(&r.at)
                    .map(date_cst)
                    .unwrap_or_else(|_| today_cst());
                match e.action.as_str() {
                    "dataset.read" => {
                        let code = e
                            .detail
                            .get("refused")
                            .and_then(|c| c.as_str())
                            .unwrap_or("");
                        if OUTSIDE_GRANT.contains(&code) {
                            let slot = reads.entry((org, e.target.clone(), day)).or_insert((
                                0,
                                BTreeMap::new(),
                                r.id,
                            ));
                            slot.0 += 1;
                            *slot.1.entry(code.to_string()).or_default() += 1;
                        }
                    }
                    "collection.declare" => {
                        declares
                            .entry((org, e.target.clone()))
                            .or_insert((r.id, day));
                    }
                    _ => {}
                }
            }
        }
        for ((org, target, day), (n, codes, first)) in reads {
            let agency = tree.kind(org) == Some(OrgKind::Agency);
            out.push(Finding {
                org,
                kind: if agency {
                    ViolationKind::SharedDataUse
                } else {
                    ViolationKind::MisuseOther
                },
                key: format!("access_outside_grant:{org}:{target}:{day}"),
                subject: Some(target.clone()),
                title: "超出授权范围或有效期访问共享数据".into(),
                description: format!(
                    "{day} 对 {target} 有 {n} 次读取因超出授权字段、授权已过期或已暂停撤销而被拒绝（审计记录自 #{first} 起）。"
                ),
                evidence: json!({"refusals": n, "codes": codes, "first_record": first, "day": day}),
                occurred_on: day,
            });
        }
        for ((org, target), (first, day)) in declares {
            let item = target
                .strip_prefix("data_item:")
                .unwrap_or(&target)
                .to_string();
            out.push(Finding {
                org,
                kind: ViolationKind::RepeatedCollection,
                key: format!("repeated_collection:{org}:{item}"),
                subject: Some(target.clone()),
                title: format!("重复采集已有数源部门的数据项“{item}”"),
                description: format!(
                    "{day} 申报采集数据项“{item}”，该数据项已有数源部门，可通过共享获得（审计记录 #{first}）。"
                ),
                evidence: json!({"data_item": item, "record": first}),
                occurred_on: day,
            });
        }
        if after > start {
            self.store.set_scan_mark(DETECTOR, after).await?;
        }
        Ok(())
    }

    /// Verifies the whole chain once a China day (or now, when asked).
    async fn find_broken_chain(&self, out: &mut Vec<Finding>, now: bool) -> Result<()> {
        const DETECTOR: &str = "audit_chain_day";
        let today = today_cst();
        let day = i64::from(chrono::Datelike::num_days_from_ce(&today));
        if !now && self.store.scan_mark(DETECTOR).await? >= day {
            return Ok(());
        }
        let broken = match verify_chain(self.store.as_ref()).await {
            Ok(_) => None,
            Err(VerifyError::Broken(e)) => Some(e),
            Err(VerifyError::Store(e)) => return Err(e.into()),
        };
        self.store.set_scan_mark(DETECTOR, day).await?;
        let Some(e) = broken else { return Ok(()) };
        let tree = self.org_tree().await?;
        let Some(city) = city_authority(&tree) else {
            return Ok(());
        };
        let at = match &e {
            ChainError::Gap { id, .. } | ChainError::Link { id } | ChainError::Content { id } => {
                *id
            }
            ChainError::Truncated { last, .. } => *last,
        };
        out.push(Finding {
            org: city,
            kind: ViolationKind::Tamper,
            key: format!("audit_chain:{at}"),
            subject: Some(format!("audit:{at}")),
            title: "审计链校验失败：存在未记录的更改或删除".into(),
            description: format!("审计链自记录 #{at} 起校验失败：{e}"),
            evidence: json!({"record": at, "error": e.to_string()}),
            occurred_on: today,
        });
        Ok(())
    }
}
