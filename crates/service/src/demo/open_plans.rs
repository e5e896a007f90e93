//! Demo open data plans (开放计划, OPN-2): this year's priority areas set by
//! 市数据局; yearly open plans of five agencies in every state — 市市场监管局,
//! 市民政局 and 英德市民政局 acknowledged (published), 市人社局 filed, 市公安局
//! returned with a reason, 市民政局's plan for next year a draft — whose items
//! reference the demo's real open entries (fulfilled on time or late) and
//! datasets not yet catalogued (pending, overdue); and the responsibility
//! records (责任部门和人员) of every agency with open data.

use chrono::{Datelike, Duration, NaiveDate};
use pubdata_domain::audit::Outcome;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::catalog::OpenAttribute;
use pubdata_domain::open_plan::{PlanItem, PriorityArea};
use pubdata_store::{OpenPlanFilter, OpenResponsibility};
use serde_json::json;

use crate::App;
use crate::error::{Result, ServiceError};
use crate::open::plans::{NewPlan, OpenPriority, PlanDecision, PlanReview, PrioritiesInput};
use crate::principal::{Principal, Via};

/// (responsible department, person, telephone) by agency, in the order
/// agencies are met; cycled.
const RESPONSIBLE: &[(&str, &str, &str)] = &[
    ("办公室（数据管理科）", "林晓峰", "0763-3362101"),
    ("信息中心", "梁嘉敏", "0763-3362218"),
    ("政策法规科", "何志明", "0763-3362335"),
    ("综合科", "罗雅婷", "0763-3362442"),
    ("数据资源科", "邓俊杰", "0763-3362559"),
];

impl App {
    async fn plan_demo_account(&self, username: &str) -> Result<Principal> {
        let (user, _) =
            self.store
                .get_user_by_username(username)
                .await?
                .ok_or(ServiceError::NotFound {
                    what: "demo account",
                })?;
        let org = match user.org_id {
            Some(id) => Some(self.store.get_org(id).await?),
            None => None,
        };
        Ok(Principal {
            user_id: Some(user.id),
            roles: self.store.roles_of(user.id).await?,
            name: user.username,
            display_name: user.display_name,
            kind: user.kind.as_str(),
            org,
            via: Via::Bearer,
            client_ip: None,
        })
    }

    /// Open entries of an agency with a loaded dataset: (entry id, name).
    async fn demo_open_entries(&self, org: i64) -> Result<Vec<(i64, String, OpenAttribute)>> {
        Ok(self
            .open_catalogue(Some(org), None)
            .await?
            .into_iter()
            .filter(|e| e.dataset_id.is_some())
            .map(|e| (e.entry_id, e.name, e.open_attribute))
            .collect())
    }

    /// Seeds the demo's plans once (skipped when any plan exists).
    pub(crate) async fn seed_demo_open_plans(&self) -> Result<usize> {
        let any = self
            .store
            .list_open_plans(&OpenPlanFilter::default())
            .await?;
        if !any.is_empty() {
            return Ok(0);
        }
        let (Some(scj), Some(mzj), Some(rsj), Some(gaj), Some(yd_mzj)) = (
            self.store.get_org_by_code("qy-scjgj").await?,
            self.store.get_org_by_code("qy-mzj").await?,
            self.store.get_org_by_code("qy-rsj").await?,
            self.store.get_org_by_code("qy-gaj").await?,
            self.store.get_org_by_code("yd-mzj").await?,
        ) else {
            return Ok(0);
        };
        let today = today_cst();
        let year = i64::from(today.year());
        let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        // A day already past this year (for overdue and late items).
        let past = (today - Duration::days(20)).max(year_start);
        let city = self.plan_demo_account("qy-sjj").await?;
        let county = self.plan_demo_account("yd-sjj").await?;

        self.put_open_priorities(
            &city,
            year,
            PrioritiesInput {
                areas: vec![
                    OpenPriority {
                        area: PriorityArea::PublicGovernance,
                        description: "社会救助、养老服务、医疗机构、公共安全设施等民生保障数据"
                            .into(),
                    },
                    OpenPriority {
                        area: PriorityArea::NaturalResources,
                        description: "公交站点、公共停车场、地表水环境质量等交通出行和生态环境数据"
                            .into(),
                    },
                    OpenPriority {
                        area: PriorityArea::LicensingCredit,
                        description: "企业登记、行政许可、双随机抽查结果等市场主体公共信用数据"
                            .into(),
                    },
                    OpenPriority {
                        area: PriorityArea::Other,
                        description: "公共文化体育设施等社会公众关注度高的数据".into(),
                    },
                ],
            },
        )
        .await?;

        let item = |entry_id: Option<i64>, name: &str, area, planned_on, open_attribute| PlanItem {
            entry_id,
            name: name.into(),
            area,
            planned_on,
            open_attribute,
        };
        let entries_as_items =
            |entries: &[(i64, String, OpenAttribute)], area, planned_on, n: usize| {
                entries
                    .iter()
                    .take(n)
                    .map(|(id, _, attr)| item(Some(*id), "", area, planned_on, *attr))
                    .collect::<Vec<_>>()
            };
        let mut n = 0;

        // 市市场监管局: acknowledged; its open entries fulfilled, one pending, one overdue.
        let scj_admin = self.plan_demo_account("qy-scjgj").await?;
        let mut items = entries_as_items(
            &self.demo_open_entries(scj.id).await?,
            PriorityArea::LicensingCredit,
            year_end,
            3,
        );
        items.push(item(
            None,
            "食品生产许可证信息",
            PriorityArea::LicensingCredit,
            year_end,
            OpenAttribute::Unconditional,
        ));
        items.push(item(
            None,
            "双随机抽查结果信息",
            PriorityArea::LicensingCredit,
            past,
            OpenAttribute::Unconditional,
        ));
        let p = self
            .create_open_plan(
                &scj_admin,
                NewPlan {
                    org_id: scj.id,
                    year,
                    items,
                },
            )
            .await?;
        self.file_open_plan(&scj_admin, p.id).await?;
        self.review_open_plan(
            &city,
            p.id,
            PlanReview {
                decision: PlanDecision::Acknowledge,
                reason: String::new(),
            },
        )
        .await?;
        n += 1;

        // 市民政局: acknowledged; one entry fulfilled, one opened late, one overdue.
        let mzj_admin = self.plan_demo_account("qy-mzj").await?;
        let open = self.demo_open_entries(mzj.id).await?;
        let mut items = entries_as_items(&open, PriorityArea::PublicGovernance, year_end, 1);
        items.extend(
            open.iter().skip(1).take(1).map(|(id, _, attr)| {
                item(Some(*id), "", PriorityArea::PublicGovernance, past, *attr)
            }),
        );
        items.push(item(
            None,
            "养老服务机构名录",
            PriorityArea::PublicGovernance,
            past,
            OpenAttribute::Unconditional,
        ));
        let p = self
            .create_open_plan(
                &mzj_admin,
                NewPlan {
                    org_id: mzj.id,
                    year,
                    items,
                },
            )
            .await?;
        self.file_open_plan(&mzj_admin, p.id).await?;
        self.review_open_plan(
            &city,
            p.id,
            PlanReview {
                decision: PlanDecision::Acknowledge,
                reason: String::new(),
            },
        )
        .await?;
        n += 1;

        // 英德市民政局 (county): acknowledged by 英德市数据局, gathered to the city.
        let yd_admin = self.plan_demo_account("yd-mzj").await?;
        let items = vec![
            item(
                None,
                "英德市社区服务设施分布",
                PriorityArea::PublicGovernance,
                year_end,
                OpenAttribute::Unconditional,
            ),
            item(
                None,
                "英德市婚姻登记服务点",
                PriorityArea::PublicGovernance,
                past,
                OpenAttribute::Unconditional,
            ),
        ];
        let p = self
            .create_open_plan(
                &yd_admin,
                NewPlan {
                    org_id: yd_mzj.id,
                    year,
                    items,
                },
            )
            .await?;
        self.file_open_plan(&yd_admin, p.id).await?;
        self.review_open_plan(
            &county,
            p.id,
            PlanReview {
                decision: PlanDecision::Acknowledge,
                reason: String::new(),
            },
        )
        .await?;
        n += 1;

        // 市人社局: filed, awaiting the city authority.
        let rsj_admin = self.plan_demo_account("qy-rsj").await?;
        let mut items = entries_as_items(
            &self.demo_open_entries(rsj.id).await?,
            PriorityArea::PublicGovernance,
            year_end,
            2,
        );
        items.push(item(
            None,
            "职业技能培训机构名录",
            PriorityArea::PublicGovernance,
            year_end,
            OpenAttribute::Unconditional,
        ));
        let p = self
            .create_open_plan(
                &rsj_admin,
                NewPlan {
                    org_id: rsj.id,
                    year,
                    items,
                },
            )
            .await?;
        self.file_open_plan(&rsj_admin, p.id).await?;
        n += 1;

        // 市公安局: returned with a reason.
        let gaj_admin = self.plan_demo_account("qy-gaj").await?;
        let items = vec![item(
            None,
            "交通违法高发路段信息",
            PriorityArea::PublicGovernance,
            year_end,
            OpenAttribute::Unconditional,
        )];
        let p = self
            .create_open_plan(
                &gaj_admin,
                NewPlan {
                    org_id: gaj.id,
                    year,
                    items,
                },
            )
            .await?;
        self.file_open_plan(&gaj_admin, p.id).await?;
        self.review_open_plan(
            &city,
            p.id,
            PlanReview {
                decision: PlanDecision::Return,
                reason: "请对照年度开放重点补充公共安全领域的开放项，并明确各项计划开放日期。"
                    .into(),
            },
        )
        .await?;
        n += 1;

        // 市民政局's plan for next year: a draft.
        let next = NaiveDate::from_ymd_opt(today.year() + 1, 6, 30).unwrap_or(year_end);
        self.create_open_plan(
            &mzj_admin,
            NewPlan {
                org_id: mzj.id,
                year: year + 1,
                items: vec![item(
                    None,
                    "社会组织登记信息",
                    PriorityArea::PublicGovernance,
                    next,
                    OpenAttribute::Unconditional,
                )],
            },
        )
        .await?;
        n += 1;

        // Responsibility records of every agency with open data.
        let mut orgs: Vec<i64> = Vec::new();
        for e in self.open_catalogue(None, None).await? {
            if !orgs.contains(&e.org_id) {
                orgs.push(e.org_id);
            }
        }
        for (i, org) in orgs.into_iter().enumerate() {
            let o = self.store.get_org(org).await?;
            let (department, person, phone) = RESPONSIBLE[i % RESPONSIBLE.len()];
            let r = OpenResponsibility {
                org_id: org,
                department: department.into(),
                person: person.into(),
                phone: phone.into(),
                email: format!("{}-open@qy.example.cn", o.code),
                updated_by: "system".into(),
                updated_at: chrono::Utc::now(),
            };
            let audit = Principal::system().event(
                "open.put_responsibility",
                format!("org:{org}"),
                Outcome::Success,
                json!({"department": r.department, "person": r.person, "demo": true}),
            );
            self.store.put_open_responsibility(&r, audit).await?;
        }
        Ok(n)
    }
}
