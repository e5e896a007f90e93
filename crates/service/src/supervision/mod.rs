//! Supervision and evaluation (监督考核, SUP-1; 《办法》第四十六条): figures
//! per agency and per level (an authority's region, the city including the
//! counties below), computed from the platform's own records — cases,
//! catalogue entries, datasets and the audit chain's access records — never
//! typed in. Every count is the number of items its drill-down lists: both
//! come from one pass ([`App::collect_figures`]), so they cannot disagree.

mod pdf;
mod report;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use pubdata_domain::calendar::{date_cst, today_cst};
use pubdata_domain::case::{CaseKind, CaseState};
use pubdata_domain::open_plan::{Fulfilment, PlanState};
use pubdata_domain::org::{OrgKind, Role};
use serde::Serialize;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::policy::holds;
use crate::principal::Principal;

pub use report::Report;

/// The figures counted per agency, each with the items behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Catalogue entries published in the period (目录发布数).
    EntriesPublished,
    /// Catalogue reviews asked by the agency that overran 5 working days (目录审核超期).
    ReviewsOverdue,
    /// Update obligations of the agency that overran 15 working days (目录更新超期).
    UpdatesOverdue,
    /// Datasets refreshed within their update frequency (按时归集).
    DatasetsOnTime,
    /// Datasets not refreshed within their update frequency (归集滞后).
    DatasetsStale,
    /// Share requests answered (共享申请已答复).
    ShareAnswered,
    /// … of which within 2 working days (按时答复).
    ShareAnsweredInTime,
    /// Share grants implemented (共享已实施).
    ShareImplemented,
    /// … of which within 3 working days (按时实施).
    ShareImplementedInTime,
    /// Share requests refused (拒绝共享).
    ShareRefused,
    /// … of which citing a law, regulation or rule (有依据的拒绝).
    ShareRefusedWithBasis,
    /// Objections answered (异议已处理).
    ObjectionsAnswered,
    /// … of which within 5 working days (按时处理).
    ObjectionsInTime,
    /// Open datasets (开放数据集).
    OpenDatasets,
    /// Public reads of open datasets in the period (开放数据访问量); its
    /// items are the datasets read, each with its count.
    OpenReads,
    /// Items of filed open plans planned in the period and opened by their
    /// day (开放计划按期开放项).
    PlanFulfilled,
    /// … opened, but after their day (逾期开放项).
    PlanLate,
    /// … not open yet, their day still to come (待开放项).
    PlanPending,
    /// … not open, their day passed (逾期未开放项).
    PlanOverdue,
}

/// Every figure, in display order.
pub const FIGURES: &[Figure] = &[
    Figure::EntriesPublished,
    Figure::ReviewsOverdue,
    Figure::UpdatesOverdue,
    Figure::DatasetsOnTime,
    Figure::DatasetsStale,
    Figure::ShareAnswered,
    Figure::ShareAnsweredInTime,
    Figure::ShareImplemented,
    Figure::ShareImplementedInTime,
    Figure::ShareRefused,
    Figure::ShareRefusedWithBasis,
    Figure::ObjectionsAnswered,
    Figure::ObjectionsInTime,
    Figure::OpenDatasets,
    Figure::OpenReads,
    Figure::PlanFulfilled,
    Figure::PlanLate,
    Figure::PlanPending,
    Figure::PlanOverdue,
];

impl Figure {
    pub fn as_str(self) -> &'static str {
        match self {
            Figure::EntriesPublished => "entries_published",
            Figure::ReviewsOverdue => "reviews_overdue",
            Figure::UpdatesOverdue => "updates_overdue",
            Figure::DatasetsOnTime => "datasets_on_time",
            Figure::DatasetsStale => "datasets_stale",
            Figure::ShareAnswered => "share_answered",
            Figure::ShareAnsweredInTime => "share_answered_in_time",
            Figure::ShareImplemented => "share_implemented",
            Figure::ShareImplementedInTime => "share_implemented_in_time",
            Figure::ShareRefused => "share_refused",
            Figure::ShareRefusedWithBasis => "share_refused_with_basis",
            Figure::ObjectionsAnswered => "objections_answered",
            Figure::ObjectionsInTime => "objections_in_time",
            Figure::OpenDatasets => "open_datasets",
            Figure::OpenReads => "open_reads",
            Figure::PlanFulfilled => "plan_fulfilled",
            Figure::PlanLate => "plan_late",
            Figure::PlanPending => "plan_pending",
            Figure::PlanOverdue => "plan_overdue",
        }
    }

    /// The Chinese label (reports, pages).
    pub fn zh(self) -> &'static str {
        match self {
            Figure::EntriesPublished => "目录发布数",
            Figure::ReviewsOverdue => "目录审核超期数",
            Figure::UpdatesOverdue => "目录更新超期数",
            Figure::DatasetsOnTime => "按时归集数据集",
            Figure::DatasetsStale => "归集滞后数据集",
            Figure::ShareAnswered => "共享申请答复数",
            Figure::ShareAnsweredInTime => "按时答复数",
            Figure::ShareImplemented => "共享实施数",
            Figure::ShareImplementedInTime => "按时实施数",
            Figure::ShareRefused => "拒绝共享数",
            Figure::ShareRefusedWithBasis => "有依据的拒绝数",
            Figure::ObjectionsAnswered => "异议处理数",
            Figure::ObjectionsInTime => "按时处理异议数",
            Figure::OpenDatasets => "开放数据集",
            Figure::OpenReads => "开放数据访问量",
            Figure::PlanFulfilled => "计划按期开放项",
            Figure::PlanLate => "计划逾期开放项",
            Figure::PlanPending => "计划待开放项",
            Figure::PlanOverdue => "计划逾期未开放项",
        }
    }

    /// The English label.
    pub fn en(self) -> &'static str {
        match self {
            Figure::EntriesPublished => "Entries published",
            Figure::ReviewsOverdue => "Reviews overdue",
            Figure::UpdatesOverdue => "Update obligations overdue",
            Figure::DatasetsOnTime => "Datasets loaded on time",
            Figure::DatasetsStale => "Datasets stale",
            Figure::ShareAnswered => "Share requests answered",
            Figure::ShareAnsweredInTime => "… answered in time",
            Figure::ShareImplemented => "Grants implemented",
            Figure::ShareImplementedInTime => "… implemented in time",
            Figure::ShareRefused => "Refusals",
            Figure::ShareRefusedWithBasis => "… with a basis",
            Figure::ObjectionsAnswered => "Objections answered",
            Figure::ObjectionsInTime => "… answered in time",
            Figure::OpenDatasets => "Open datasets",
            Figure::OpenReads => "Open data reads",
            Figure::PlanFulfilled => "Plan items opened on time",
            Figure::PlanLate => "Plan items opened late",
            Figure::PlanPending => "Plan items pending",
            Figure::PlanOverdue => "Plan items overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Figure> {
        FIGURES.iter().copied().find(|f| f.as_str() == s)
    }
}

/// A group of figures as the report prints them (one table each).
pub struct FigureGroup {
    /// `catalogue`, `aggregation`, `sharing`, `objections`, `opening`.
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub figures: &'static [Figure],
}

/// The report's tables: catalogue (目录), aggregation (归集), sharing (共享),
/// objections (异议) and opening (开放, with plan fulfilment). The platform
/// records no violations (违规) figure, so the report has no such table.
pub const FIGURE_GROUPS: &[FigureGroup] = &[
    FigureGroup {
        key: "catalogue",
        zh: "目录编制",
        en: "Catalogue",
        figures: &[
            Figure::EntriesPublished,
            Figure::ReviewsOverdue,
            Figure::UpdatesOverdue,
        ],
    },
    FigureGroup {
        key: "aggregation",
        zh: "数据归集",
        en: "Aggregation",
        figures: &[Figure::DatasetsOnTime, Figure::DatasetsStale],
    },
    FigureGroup {
        key: "sharing",
        zh: "数据共享",
        en: "Sharing",
        figures: &[
            Figure::ShareAnswered,
            Figure::ShareAnsweredInTime,
            Figure::ShareImplemented,
            Figure::ShareImplementedInTime,
            Figure::ShareRefused,
            Figure::ShareRefusedWithBasis,
        ],
    },
    FigureGroup {
        key: "objections",
        zh: "异议处理",
        en: "Objections",
        figures: &[Figure::ObjectionsAnswered, Figure::ObjectionsInTime],
    },
    FigureGroup {
        key: "opening",
        zh: "数据开放",
        en: "Opening",
        figures: &[
            Figure::OpenDatasets,
            Figure::OpenReads,
            Figure::PlanFulfilled,
            Figure::PlanLate,
            Figure::PlanPending,
            Figure::PlanOverdue,
        ],
    },
];

/// One case, entry or dataset behind a figure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FigureItem {
    /// `case`, `catalog_entry`, `dataset` or `open_plan_item` (its id the plan's).
    pub kind: &'static str,
    pub id: i64,
    pub title: String,
    /// The page that shows it.
    pub link: String,
    /// The date that places it in the period (opened, published, last loaded).
    pub date: Option<NaiveDate>,
    /// How many the item counts for (1, or a dataset's reads).
    pub count: i64,
    /// Why it counts, e.g. `due 2026-03-04, answered 2026-03-06`.
    pub note: String,
}

/// One agency's figures for a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgencyFigures {
    pub org_id: i64,
    pub org_name: String,
    /// The region (level) the agency belongs to.
    pub region_id: Option<i64>,
    /// Each figure by its name (`share_answered_in_time` …).
    pub counts: BTreeMap<String, i64>,
    /// Share answered in time / answered (None without answers).
    pub share_answer_rate: Option<f64>,
    /// Implemented in time / implemented.
    pub share_implement_rate: Option<f64>,
    /// Objections answered in time / answered.
    pub objection_rate: Option<f64>,
    /// Mean answer time of share requests, in working days.
    pub share_answer_days_mean: Option<f64>,
    /// Mean quality (validity of the current version: 1 − flagged/rows) of
    /// the agency's loaded datasets, 0..1.
    pub quality_mean: Option<f64>,
}

/// A level's figures: one row per agency and the level's totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevelFigures {
    pub level_org_id: i64,
    pub level_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agencies: Vec<AgencyFigures>,
    pub totals: AgencyFigures,
    /// The levels below (county regions) the caller may open next.
    pub sublevels: Vec<SubLevel>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubLevel {
    pub org_id: i64,
    pub name: String,
}

/// A period of an evaluation report: a year or a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub quarter: Option<u32>,
}

impl Period {
    /// `2026` or `2026Q3`; `Err` with a 422 otherwise.
    pub fn parse(s: &str) -> Result<Period> {
        let bad = || ServiceError::invalid("period", "a year (2026) or a quarter (2026Q3)");
        let (y, q) = match s.split_once(['Q', 'q']) {
            Some((y, q)) => (y, Some(q)),
            None => (s, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        let quarter = match q {
            None => None,
            Some(q) => match q {
                "1" | "2" | "3" | "4" => Some(q.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            },
        };
        Ok(Period { year, quarter })
    }

    pub fn from(self) -> NaiveDate {
        let m = self.quarter.map_or(1, |q| (q - 1) * 3 + 1);
        NaiveDate::from_ymd_opt(self.year, m, 1).expect("valid date")
    }

    pub fn to(self) -> NaiveDate {
        let next = match self.quarter {
            None | Some(4) => NaiveDate::from_ymd_opt(self.year + 1, 1, 1),
            Some(q) => NaiveDate::from_ymd_opt(self.year, q * 3 + 1, 1),
        };
        next.expect("valid date").pred_opt().expect("valid date")
    }

    /// `2026年第三季度` / `2026年度`.
    pub fn zh(self) -> String {
        match self.quarter {
            Some(q) => format!(
                "{}年第{}季度",
                self.year,
                ["一", "二", "三", "四"][q as usize - 1]
            ),
            None => format!("{}年度", self.year),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.quarter {
            Some(q) => write!(f, "{}Q{q}", self.year),
            None => write!(f, "{}", self.year),
        }
    }
}

/// Who is covered: a region (level) with every agency within it, or one agency.
struct Scope {
    level_org_id: i64,
    level_name: String,
    region: Option<i64>,
    agencies: Vec<(i64, String, Option<i64>)>,
}

/// All items of a period, by agency and figure, plus the means.
#[derive(Default)]
struct Collected {
    items: HashMap<(i64, Figure), Vec<FigureItem>>,
    quality: HashMap<i64, (f64, i64)>,
    answer_days: HashMap<i64, (f64, i64)>,
}

impl Collected {
    fn push(&mut self, org: i64, f: Figure, item: FigureItem) {
        self.items.entry((org, f)).or_default().push(item);
    }
}

fn mean(v: Option<&(f64, i64)>) -> Option<f64> {
    v.filter(|(_, n)| *n > 0).map(|(s, n)| s / *n as f64)
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl App {
    /// Decides what `level_org_id` covers and whether `p` may see it: an
    /// authority or region is a level (its AuthorityReviewer, auditors, the
    /// platform administrator); an agency is itself (its own people too).
    async fn supervision_scope(&self, p: &Principal, level_org_id: i64) -> Result<Scope> {
        let tree = self.org_tree().await?;
        let org = tree.get(level_org_id).ok_or(ServiceError::NotFound {
            what: "organisation",
        })?;
        let admin = p.roles.iter().any(|g| g.role == Role::PlatformAdmin);
        let supervises = |o: i64| {
            admin
                || holds(p, Role::AuthorityReviewer, o, &tree)
                || holds(p, Role::Auditor, o, &tree)
        };
        let region = match org.kind {
            OrgKind::Region => Some(org.id),
            OrgKind::Authority => org.parent_id,
            _ => None,
        };
        match region {
            Some(region) => {
                if !supervises(region) {
                    return Err(ServiceError::Forbidden(
                        "only the level's data authority, auditors and the platform administrator see its figures"
                            .into(),
                    ));
                }
                let agencies = tree
                    .walk()
                    .into_iter()
                    .filter(|(_, o)| o.kind == OrgKind::Agency && tree.is_within(o.id, region))
                    .map(|(_, o)| (o.id, o.name.clone(), tree.region_of(o.id)))
                    .collect();
                let level_name = tree.get(region).map(|o| o.name.clone()).unwrap_or_default();
                Ok(Scope {
                    level_org_id,
                    level_name,
                    region: Some(region),
                    agencies,
                })
            }
            None => {
                let own = p.org_id() == Some(org.id) || p.roles.iter().any(|g| g.org_id == org.id);
                if !(own || supervises(org.id)) {
                    return Err(ServiceError::Forbidden(
                        "an agency's figures are for the agency and its supervisors".into(),
                    ));
                }
                Ok(Scope {
                    level_org_id,
                    level_name: org.name.clone(),
                    region: None,
                    agencies: vec![(org.id, org.name.clone(), tree.region_of(org.id))],
                })
            }
        }
    }

    /// Every item behind every figure of `orgs` for `from..=to`.
    async fn collect_figures(
        &self,
        orgs: &[i64],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Collected> {
        // Sets, not list scans: a city has hundreds of agencies and thousands
        // of open datasets (issue 12's scaled-up world).
        let orgs: std::collections::HashSet<i64> = orgs.iter().copied().collect();
        let within = |o: i64| orgs.contains(&o);
        let mut c = Collected::default();
        let today = today_cst();
        let cal = self.calendar();
        // Catalogue entries published.
        for e in self.store.entries_published_between(from, to).await? {
            if within(e.org_id) {
                c.push(
                    e.org_id,
                    Figure::EntriesPublished,
                    FigureItem {
                        kind: "catalog_entry",
                        id: e.id,
                        title: e.name,
                        link: format!("/catalog/entries/{}", e.id),
                        date: Some(e.published_on),
                        count: 1,
                        note: String::new(),
                    },
                );
            }
        }
        // Cases opened in the period.
        for sc in self.store.cases_opened_between(from, to).await? {
            let k = &sc.case;
            let closed = k.closed_at.map(date_cst);
            let late = match k.state {
                CaseState::Closed => closed.is_some_and(|d| d > k.due_on),
                CaseState::Open => today > k.due_on,
            };
            let item = |note: String| FigureItem {
                kind: "case",
                id: k.id,
                title: format!("{} · {}", k.kind.zh(), k.subject),
                link: k
                    .subject
                    .parse::<pubdata_domain::case::CaseSubject>()
                    .map(|s| s.link())
                    .unwrap_or_else(|_| "/cases".into()),
                date: Some(k.opened_on),
                count: 1,
                note,
            };
            let note = match closed {
                Some(d) => format!("due {} · closed {d}", k.due_on),
                None => format!("due {} · open", k.due_on),
            };
            let closed_ok = k.state == CaseState::Closed;
            match k.kind {
                CaseKind::CatalogReview if late && within(k.requester_org) => {
                    c.push(k.requester_org, Figure::ReviewsOverdue, item(note));
                }
                CaseKind::CatalogUpdate if late && within(k.responder_org) => {
                    c.push(k.responder_org, Figure::UpdatesOverdue, item(note));
                }
                CaseKind::ShareAnswer if closed_ok && within(k.responder_org) => {
                    let org = k.responder_org;
                    c.push(org, Figure::ShareAnswered, item(note.clone()));
                    if !late {
                        c.push(org, Figure::ShareAnsweredInTime, item(note.clone()));
                    }
                    if k.outcome.as_deref() == Some("refused") {
                        c.push(org, Figure::ShareRefused, item(note.clone()));
                        if !sc.answer_basis.trim().is_empty() {
                            c.push(
                                org,
                                Figure::ShareRefusedWithBasis,
                                item(format!("{note} · {}", sc.answer_basis)),
                            );
                        }
                    }
                    if let Some(Ok(days)) = closed.map(|d| cal.working_days_between(k.opened_on, d))
                    {
                        let e = c.answer_days.entry(org).or_default();
                        e.0 += f64::from(days);
                        e.1 += 1;
                    }
                }
                CaseKind::ShareImplement if closed_ok && within(k.responder_org) => {
                    c.push(
                        k.responder_org,
                        Figure::ShareImplemented,
                        item(note.clone()),
                    );
                    if !late {
                        c.push(k.responder_org, Figure::ShareImplementedInTime, item(note));
                    }
                }
                CaseKind::Objection if closed_ok && within(k.responder_org) => {
                    c.push(
                        k.responder_org,
                        Figure::ObjectionsAnswered,
                        item(note.clone()),
                    );
                    if !late {
                        c.push(k.responder_org, Figure::ObjectionsInTime, item(note));
                    }
                }
                _ => {}
            }
        }
        // The period in China time: [from 00:00, to + 1 00:00) CST.
        let cst_midnight = |d: NaiveDate| {
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
                - chrono::Duration::hours(8)
        };
        let start = cst_midnight(from);
        let stop = cst_midnight(to.succ_opt().unwrap_or(to));
        // Datasets: on time or stale at the period's end (or now, if sooner).
        let end = stop.min(Utc::now());
        for d in self.store.supervised_datasets().await? {
            if !within(d.org_id) || d.created_at > end {
                continue;
            }
            let since = d.last_load_at.unwrap_or(d.created_at);
            let stale = d
                .frequency
                .max_age_days()
                .is_some_and(|days| end - since > chrono::Duration::days(days));
            let item = FigureItem {
                kind: "dataset",
                id: d.id,
                title: d.name.clone(),
                link: format!("/datasets/{}", d.id),
                date: d.last_load_at.map(date_cst),
                count: 1,
                note: format!("{} · v{}", d.frequency.zh(), d.current_version),
            };
            if stale || d.current_version == 0 {
                c.push(d.org_id, Figure::DatasetsStale, item);
            } else {
                c.push(d.org_id, Figure::DatasetsOnTime, item);
                let q = if d.rows_in > 0 {
                    1.0 - d.flagged as f64 / d.rows_in as f64
                } else {
                    1.0
                };
                let e = c.quality.entry(d.org_id).or_default();
                e.0 += q;
                e.1 += 1;
            }
        }
        // Open data and its reads in the period (the audit chain's access records).
        let reads: HashMap<i64, i64> = self
            .store
            .open_reads_between(start, stop)
            .await?
            .into_iter()
            .collect();
        for o in self.open_loaded(None, None).await? {
            if !within(o.view.org_id) {
                continue;
            }
            let item = |count: i64| FigureItem {
                kind: "dataset",
                id: o.dataset.id,
                title: o.dataset.name.clone(),
                link: format!("/open/datasets/{}", o.dataset.id),
                date: None,
                count,
                note: o.view.org_name.clone(),
            };
            c.push(o.view.org_id, Figure::OpenDatasets, item(1));
            let n = reads.get(&o.dataset.id).copied().unwrap_or(0);
            if n > 0 {
                c.push(o.view.org_id, Figure::OpenReads, item(n));
            }
        }
        // Open plan fulfilment (开放计划落实情况): items of the agencies' filed
        // plans planned within the period, as they stand today.
        let plans = self
            .store
            .list_open_plans(&pubdata_store::OpenPlanFilter {
                year: None,
                org_ids: Some(orgs.iter().copied().collect()),
                states: Some(vec![PlanState::Filed, PlanState::Acknowledged]),
            })
            .await?;
        for plan in plans {
            if i64::from(from.year()) > plan.year || plan.year > i64::from(to.year()) {
                continue;
            }
            let items: Vec<_> = plan
                .items
                .iter()
                .filter(|i| (from..=to).contains(&i.planned_on))
                .cloned()
                .collect();
            for v in self.item_views(&items).await? {
                let figure = match v.fulfilment {
                    Fulfilment::Fulfilled => Figure::PlanFulfilled,
                    Fulfilment::Late => Figure::PlanLate,
                    Fulfilment::Pending => Figure::PlanPending,
                    Fulfilment::Overdue => Figure::PlanOverdue,
                };
                let note = match v.opened_on {
                    Some(d) => format!("planned {} · opened {d}", v.planned_on),
                    None => format!("planned {} · not open", v.planned_on),
                };
                c.push(
                    plan.org_id,
                    figure,
                    FigureItem {
                        kind: "open_plan_item",
                        id: plan.id,
                        title: v.name,
                        link: format!("/plans/{}", plan.id),
                        date: Some(v.planned_on),
                        count: 1,
                        note,
                    },
                );
            }
        }
        Ok(c)
    }

    /// The figures of a level (or one agency) for `from..=to`.
    pub async fn supervision_figures(
        &self,
        p: &Principal,
        level_org_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<LevelFigures> {
        let today = today_cst();
        let from =
            from.unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("date"));
        let to = to.unwrap_or(today);
        if from > to {
            return Err(ServiceError::invalid("from", "must not be after `to`"));
        }
        let scope = self.supervision_scope(p, level_org_id).await?;
        let ids: Vec<i64> = scope.agencies.iter().map(|a| a.0).collect();
        let c = self.collect_figures(&ids, from, to).await?;
        let row = |org_id: i64, name: &str, region_id: Option<i64>, orgs: &[i64]| {
            let count = |f: Figure| -> i64 {
                orgs.iter()
                    .filter_map(|o| c.items.get(&(*o, f)))
                    .flatten()
                    .map(|i| i.count)
                    .sum()
            };
            let sum = |m: &HashMap<i64, (f64, i64)>| {
                let (s, n) = orgs
                    .iter()
                    .filter_map(|o| m.get(o))
                    .fold((0.0, 0), |(s, n), (a, b)| (s + a, n + b));
                mean(Some(&(s, n)))
            };
            AgencyFigures {
                org_id,
                org_name: name.to_string(),
                region_id,
                counts: FIGURES
                    .iter()
                    .map(|f| (f.as_str().to_string(), count(*f)))
                    .collect(),
                share_answer_rate: rate(
                    count(Figure::ShareAnsweredInTime),
                    count(Figure::ShareAnswered),
                ),
                share_implement_rate: rate(
                    count(Figure::ShareImplementedInTime),
                    count(Figure::ShareImplemented),
                ),
                objection_rate: rate(
                    count(Figure::ObjectionsInTime),
                    count(Figure::ObjectionsAnswered),
                ),
                share_answer_days_mean: sum(&c.answer_days),
                quality_mean: sum(&c.quality),
            }
        };
        let agencies = scope
            .agencies
            .iter()
            .map(|(id, name, region)| row(*id, name, *region, &[*id]))
            .collect();
        let totals = row(scope.level_org_id, &scope.level_name, scope.region, &ids);
        let tree = self.org_tree().await?;
        let sublevels = match scope.region {
            Some(region) => tree
                .walk()
                .into_iter()
                .filter(|(_, o)| {
                    o.kind == OrgKind::Region && o.id != region && tree.is_within(o.id, region)
                })
                .map(|(_, o)| SubLevel {
                    org_id: o.id,
                    name: o.name.clone(),
                })
                .collect(),
            None => vec![],
        };
        Ok(LevelFigures {
            level_org_id: scope.level_org_id,
            level_name: scope.level_name,
            from,
            to,
            agencies,
            totals,
            sublevels,
        })
    }

    /// The items behind one figure of one agency (or, given a level, of all
    /// its agencies) for `from..=to`.
    pub async fn supervision_items(
        &self,
        p: &Principal,
        org_id: i64,
        figure: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<FigureItem>> {
        let figure = Figure::parse(figure).ok_or_else(|| {
            ServiceError::invalid(
                "figure",
                format!(
                    "one of {}",
                    FIGURES
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let today = today_cst();
        let from =
            from.unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("date"));
        let to = to.unwrap_or(today);
        if from > to {
            return Err(ServiceError::invalid("from", "must not be after `to`"));
        }
        let scope = self.supervision_scope(p, org_id).await?;
        let ids: Vec<i64> = scope.agencies.iter().map(|a| a.0).collect();
        let mut c = self.collect_figures(&ids, from, to).await?;
        let mut out = Vec::new();
        for id in ids {
            out.extend(c.items.remove(&(id, figure)).unwrap_or_default());
        }
        Ok(out)
    }
}
