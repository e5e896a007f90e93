//! Demo sharing: requests in every state (one answered in time, one
//! overdue, one refused with its basis, one awaiting implementation), grants
//! of the API and verification modes, an unconditional grant made at once,
//! an enterprise grantee, backflow of 户籍人口 to 英德市, a usage report and
//! a desensitised derivative of 户籍人口 (published, filled).

use chrono::NaiveDate;
use pubdata_domain::calendar::{WorkingDays, today_cst};
use pubdata_domain::share::{DeliveryMode, RowFilter};
use pubdata_store::{EntryFilter, ShareRequestFilter};

use crate::App;
use crate::error::{Result, ServiceError};
use crate::principal::{Principal, Via};
use crate::sharing::{BackflowGrant, Decision, NewRequest, UsageReportInput};

impl App {
    /// A demo account acting as if signed in.
    pub(crate) async fn demo_person(&self, username: &str) -> Result<Principal> {
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
            kind: "staff",
            org,
            via: Via::Bearer,
            client_ip: None,
        })
    }

    async fn demo_published(&self, name: &str) -> Result<i64> {
        self.store
            .list_entries(&EntryFilter {
                terms: vec![name.into()],
                published_only: true,
                limit: 10,
                ..Default::default()
            })
            .await?
            .into_iter()
            .find(|e| e.content.name == name)
            .map(|e| e.id)
            .ok_or(ServiceError::NotFound {
                what: "demo catalogue entry",
            })
    }

    /// Seeds the demo's sharing; does nothing when requests exist already.
    pub(crate) async fn seed_demo_sharing(&self) -> Result<usize> {
        let any = self
            .store
            .list_share_requests(&ShareRequestFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        if !any.is_empty() {
            return Ok(0);
        }
        let population = self.demo_published("人口基础信息").await?;
        let enterprises = self.demo_published("企业登记信息").await?;
        let insured = self.demo_published("社会保险参保信息").await?;
        let (mzj, rsj, scj, gaj, rsj_src, ent, sjj) = (
            self.demo_person("qy-mzj").await?,
            self.demo_person("qy-rsj").await?,
            self.demo_person("qy-scjgj").await?,
            self.demo_person("qy-gaj").await?,
            self.demo_person("qy-rsj").await?,
            self.demo_person("ent-demo").await?,
            self.demo_person("qy-sjj").await?,
        );
        let until = today_cst() + chrono::Duration::days(365);
        let ask = |entry: i64, scenario: &str, unit: &str, fields: &[&str], mode, purpose: &str| {
            NewRequest {
                entry_id: entry,
                scenario: scenario.into(),
                using_unit: unit.into(),
                fields: fields.iter().map(|f| f.to_string()).collect(),
                mode,
                until,
                purpose: purpose.into(),
                research_only: false,
            }
        };
        let approve = |fields: Option<&[&str]>| Decision {
            approve: true,
            fields: fields.map(|f| f.iter().map(|x| x.to_string()).collect()),
            until: None,
            mode: None,
            masks: None,
            basis: String::new(),
        };
        let mut n = 0;

        // 1. 民政局 reads population data for 低保 checks: approved with
        // 户籍地址 left out, implemented, used and reported on.
        let (r, _) = self
            .request_share(
                &mzj,
                ask(
                    population,
                    "最低生活保障资格审核",
                    "清远市民政局社会救助科",
                    &["公民身份号码", "姓名", "性别", "出生日期", "户籍地址"],
                    DeliveryMode::Api,
                    "核对低保申请人及共同生活家庭成员的户籍身份信息",
                ),
            )
            .await?;
        let r = self
            .decide_share(
                &gaj,
                r.id,
                approve(Some(&["公民身份号码", "姓名", "性别", "出生日期"])),
            )
            .await?;
        let grant = r.grant_id.expect("approved");
        self.implement_grant(&gaj, grant).await?;
        self.file_usage_report(
            &mzj,
            grant,
            UsageReportInput {
                period: "2026-11".into(),
                summary: "核验低保申请 126 件，发现户籍信息不符 3 件并退回补正".into(),
                uses: 126,
            },
        )
        .await?;
        n += 1;

        // 2. 人社局 verifies names and birth dates (核实比对) without receiving them.
        let (r, _) = self
            .request_share(
                &rsj,
                ask(
                    population,
                    "社会保险参保登记身份核验",
                    "清远市社会保险基金管理中心",
                    &["姓名", "出生日期"],
                    DeliveryMode::Verify,
                    "核验参保登记人员姓名与出生日期",
                ),
            )
            .await?;
        let r = self.decide_share(&gaj, r.id, approve(None)).await?;
        self.implement_grant(&gaj, r.grant_id.expect("approved"))
            .await?;
        n += 1;

        // 3. Unconditional: granted at once, no manual step (Art. 24).
        self.request_share(
            &mzj,
            ask(
                enterprises,
                "社会组织与企业关联核查",
                "清远市民政局社会组织管理科",
                &["统一社会信用代码", "法定代表人"],
                DeliveryMode::Api,
                "核查社会组织登记材料中的企业信息",
            ),
        )
        .await?;
        n += 1;

        // 4. An enterprise under the same procedure (Art. 27).
        self.request_share(
            &ent,
            ask(
                enterprises,
                "惠企政策精准推送",
                "清远市示范数据科技有限公司",
                &["统一社会信用代码", "法定代表人"],
                DeliveryMode::Api,
                "向符合条件的企业推送惠企政策",
            ),
        )
        .await?;
        n += 1;

        // 5. Pending, within its 2 working days.
        self.request_share(
            &rsj,
            ask(
                population,
                "就业失业登记",
                "清远市公共就业服务中心",
                &["公民身份号码", "姓名", "性别"],
                DeliveryMode::Table,
                "就业失业登记时核对户籍信息",
            ),
        )
        .await?;
        n += 1;

        // 6. Pending and overdue: filed 5 working days ago.
        let (r, _) = self
            .request_share(
                &scj,
                ask(
                    population,
                    "个体工商户登记核验",
                    "清远市市场监督管理局登记注册科",
                    &["公民身份号码", "姓名"],
                    DeliveryMode::Api,
                    "核验个体工商户经营者身份",
                ),
            )
            .await?;
        let cal = self.calendar();
        let mut opened = today_cst();
        for _ in 0..5 {
            opened = previous_working_day(&cal, opened);
        }
        let due = cal.add_working_days(opened, WorkingDays::of(2))?;
        self.store.backdate_share_request(r.id, opened, due).await?;
        n += 1;

        // 7. Refused, citing its basis.
        let (r, _) = self
            .request_share(
                &scj,
                ask(
                    population,
                    "市场主体信用画像",
                    "清远市市场监督管理局信用监管科",
                    &["公民身份号码", "姓名", "户籍地址"],
                    DeliveryMode::Api,
                    "为市场主体信用画像补充自然人信息",
                ),
            )
            .await?;
        self.decide_share(
            &gaj,
            r.id,
            Decision {
                approve: false,
                fields: None,
                until: None,
                mode: None,
                masks: None,
                basis: "《中华人民共和国个人信息保护法》第六条：处理个人信息应当限于实现处理目的的最小范围；信用画像不属于本目录的共享条件".into(),
            },
        )
        .await?;
        n += 1;

        // 8. Approved, awaiting implementation (3 working days).
        let (r, _) = self
            .request_share(
                &scj,
                ask(
                    insured,
                    "企业用工情况核查",
                    "清远市市场监督管理局",
                    &["公民身份号码", "姓名"],
                    DeliveryMode::Api,
                    "核查企业年报中的参保人数",
                ),
            )
            .await?;
        self.decide_share(&rsj_src, r.id, approve(None)).await?;
        n += 1;

        // 9. A demand for data not in the catalogue, awaiting confirmation (5 working days).
        let gaj_org = gaj.org_id().ok_or(ServiceError::NotFound {
            what: "demo organisation",
        })?;
        self.file_demand(
            &mzj,
            crate::sharing::DemandInput {
                source_org: gaj_org,
                description: "户籍人口的监护关系信息（未成年人及其监护人）".into(),
                items: vec![
                    "公民身份号码".into(),
                    "监护人姓名".into(),
                    "监护关系".into(),
                ],
                scenario: "困境儿童、留守儿童关爱保护".into(),
                purpose: "核实困境儿童的监护情况".into(),
            },
        )
        .await?;
        n += 1;

        // 10. Backflow: the city authority returns 英德市's rows to 英德市民政局.
        let yd = self
            .store
            .get_org_by_code("yd-mzj")
            .await?
            .ok_or(ServiceError::NotFound {
                what: "demo organisation",
            })?;
        let population_ds =
            self.store
                .dataset_of_entry(population)
                .await?
                .ok_or(ServiceError::NotFound {
                    what: "demo dataset",
                })?;
        self.grant_backflow(
            &sjj,
            BackflowGrant {
                dataset_id: population_ds.id,
                grantee_org: yd.id,
                fields: vec![
                    "公民身份号码".into(),
                    "姓名".into(),
                    "性别".into(),
                    "出生日期".into(),
                ],
                row_filter: RowFilter {
                    field: "所属区县".into(),
                    values: vec!["英德市".into()],
                },
                mode: DeliveryMode::Api,
                until,
                scenario: "英德市低保、特困人员动态核查".into(),
                purpose: "回流英德市户籍人口数据，供英德市民政局依职责使用".into(),
                using_unit: "英德市民政局".into(),
            },
        )
        .await?;

        // 11. A desensitised derivative: 户籍人口 by age band and district,
        // pseudonymised, unconditionally shared once reviewed.
        let mut transforms = std::collections::BTreeMap::new();
        for (f, t) in [
            ("公民身份号码", "pseudonym"),
            ("出生日期", "age_band:5"),
            ("户籍地址", "district"),
            ("所属区县", "keep"),
            ("婚姻状况", "keep"),
            ("登记日期", "year"),
        ] {
            transforms.insert(f.to_string(), t.to_string());
        }
        let d = self
            .create_derivation(
                &gaj,
                crate::sharing::DerivationInput {
                    parent_dataset_id: population_ds.id,
                    name: "户籍人口年龄与区县分布（脱敏）".into(),
                    summary: None,
                    share_type: pubdata_domain::catalog::ShareType::Unconditional,
                    share_conditions: None,
                    share_modes: None,
                    grade: Some("L2".into()),
                    transforms,
                    open_attribute: None,
                    quasi_identifiers: None,
                    k: None,
                },
            )
            .await?;
        self.review_entry(
            &sjj,
            d.derivation.entry_id,
            crate::catalog::ReviewInput {
                decision: crate::catalog::Decision::Approve,
                reason: String::new(),
            },
        )
        .await?;
        self.refresh_derivation(&gaj, d.derivation.id).await?;
        n += 1;

        // 12. Opened on application (有条件开放): the same people by 20-year
        // age band and district, after the re-identification check (k = 5
        // over the two).
        let mut transforms = std::collections::BTreeMap::new();
        for (f, t) in [
            ("公民身份号码", "pseudonym"),
            ("出生日期", "age_band:20"),
            ("所属区县", "keep"),
        ] {
            transforms.insert(f.to_string(), t.to_string());
        }
        let d = self
            .create_derivation(
                &gaj,
                crate::sharing::DerivationInput {
                    parent_dataset_id: population_ds.id,
                    name: "户籍人口年龄段与区县分布（有条件开放）".into(),
                    summary: None,
                    share_type: pubdata_domain::catalog::ShareType::Unconditional,
                    share_conditions: None,
                    share_modes: None,
                    grade: Some("L2".into()),
                    transforms,
                    open_attribute: Some(pubdata_domain::catalog::OpenAttribute::Conditional),
                    quasi_identifiers: None,
                    k: None,
                },
            )
            .await?;
        self.review_entry(
            &sjj,
            d.derivation.entry_id,
            crate::catalog::ReviewInput {
                decision: crate::catalog::Decision::Approve,
                reason: String::new(),
            },
        )
        .await?;
        self.refresh_derivation(&gaj, d.derivation.id).await?;
        n += 1;
        Ok(n)
    }
}

/// The working day before `d`.
fn previous_working_day(cal: &pubdata_domain::calendar::Calendar, d: NaiveDate) -> NaiveDate {
    let mut day = d - chrono::Duration::days(1);
    while !cal.is_working_day(day).unwrap_or(true) {
        day -= chrono::Duration::days(1);
    }
    day
}
