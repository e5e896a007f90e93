//! The demo world: 清远市, its eight county-level divisions, their data
//! authorities and agencies, and the demo accounts. Seeding is idempotent:
//! running it again on the same database adds only what is missing.

use pubdata_domain::org::{OrgKind, Role};
use pubdata_store::Org;

use crate::App;
use crate::error::Result;
use crate::orgs::{CreateOrg, CreateUser};
use crate::principal::Principal;

mod calendar;
mod catalog;
mod collection;
mod datasets;
pub mod disputes;
pub mod objections;
mod open_applications;
mod open_catalog;
mod open_plans;
mod open_proposals;
mod operation;
mod procurement;
mod projects;
mod security;
mod sharing;
pub mod synth;
mod violations;

pub use datasets::DemoSize;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

/// (code, name, division code) of 清远市's county-level divisions.
pub const COUNTIES: &[(&str, &str, &str)] = &[
    ("qc", "清城区", "441802"),
    ("qx", "清新区", "441803"),
    ("fg", "佛冈县", "441821"),
    ("ys", "阳山县", "441823"),
    ("ls", "连山壮族瑶族自治县", "441825"),
    ("ln", "连南瑶族自治县", "441826"),
    ("yd", "英德市", "441881"),
    ("lz", "连州市", "441882"),
];

/// (code suffix, name without the region prefix, English name) of city agencies.
pub const CITY_AGENCIES: &[(&str, &str, &str)] = &[
    ("gaj", "公安局", "Public Security Bureau"),
    (
        "scjgj",
        "市场监督管理局",
        "Administration for Market Regulation",
    ),
    (
        "rsj",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    ("mzj", "民政局", "Civil Affairs Bureau"),
    ("zrzyj", "自然资源局", "Natural Resources Bureau"),
    ("wjj", "卫生健康局", "Health Commission"),
    ("jyj", "教育局", "Education Bureau"),
    (
        "zjj",
        "住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
    ),
    ("ybj", "医疗保障局", "Healthcare Security Bureau"),
    ("fgj", "发展和改革局", "Development and Reform Bureau"),
    ("czj", "财政局", "Finance Bureau"),
    ("sfj", "司法局", "Justice Bureau"),
    ("jtj", "交通运输局", "Transport Bureau"),
    ("nyj", "农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("sthjj", "生态环境局", "Ecology and Environment Bureau"),
    ("yjj", "应急管理局", "Emergency Management Bureau"),
    ("tyjrj", "退役军人事务局", "Veterans Affairs Bureau"),
    (
        "wgltj",
        "文化广电旅游体育局",
        "Culture, Radio, Tourism and Sports Bureau",
    ),
    ("slj", "水利局", "Water Resources Bureau"),
    ("tjj", "统计局", "Statistics Bureau"),
    ("swj", "商务局", "Commerce Bureau"),
    ("kjj", "科学技术局", "Science and Technology Bureau"),
    (
        "cgj",
        "城市管理和综合执法局",
        "Urban Management and Law Enforcement Bureau",
    ),
    ("gjj", "住房公积金管理中心", "Housing Provident Fund Centre"),
];

/// County agencies: (county code, code suffix, name without the county prefix).
pub const COUNTY_AGENCIES: &[(&str, &str, &str)] = &[
    ("yd", "mzj", "民政局"),
    ("yd", "gaj", "公安局"),
    ("yd", "scjgj", "市场监督管理局"),
    ("yd", "rsj", "人力资源和社会保障局"),
    ("qc", "mzj", "民政局"),
    ("qc", "gaj", "公安分局"),
    ("lz", "gaj", "公安局"),
    ("lz", "wjj", "卫生健康局"),
    ("fg", "scjgj", "市场监督管理局"),
];

/// (username, display name, org code, role, user kind) of a demo account.
pub type DemoUser = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<Role>,
    &'static str,
);

/// The demo accounts.
pub const DEMO_USERS: &[DemoUser] = &[
    (
        "admin",
        "平台管理员",
        Some("qy-sjj"),
        Some(Role::PlatformAdmin),
        "staff",
    ),
    (
        "qy-sjj",
        "市数据局审核员 李敏",
        Some("qy-sjj"),
        Some(Role::AuthorityReviewer),
        "staff",
    ),
    (
        "qy-gaj",
        "市公安局数据管理员 陈伟",
        Some("qy-gaj"),
        Some(Role::AgencyDataAdmin),
        "staff",
    ),
    (
        "qy-scjgj",
        "市市场监管局数据管理员 黄芳",
        Some("qy-scjgj"),
        Some(Role::AgencyDataAdmin),
        "staff",
    ),
    (
        "qy-mzj",
        "市民政局数据管理员 刘洋",
        Some("qy-mzj"),
        Some(Role::AgencyDataAdmin),
        "staff",
    ),
    (
        "qy-rsj",
        "市人社局数据管理员 张静",
        Some("qy-rsj"),
        Some(Role::AgencyDataAdmin),
        "staff",
    ),
    (
        "yd-sjj",
        "英德市数据局审核员 周强",
        Some("yd-sjj"),
        Some(Role::AuthorityReviewer),
        "staff",
    ),
    (
        "yd-mzj",
        "英德市民政局数据管理员 吴婷",
        Some("yd-mzj"),
        Some(Role::AgencyDataAdmin),
        "staff",
    ),
    (
        "auditor",
        "审计员 郑华",
        Some("qy-sjj"),
        Some(Role::Auditor),
        "staff",
    ),
    (
        "ent-demo",
        "清远市示范数据科技有限公司 经办人",
        Some("ent-demo"),
        Some(Role::ExternalApplicant),
        "enterprise",
    ),
    ("citizen-demo", "市民 王小明", None, None, "person"),
];

/// What seeding did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub orgs: usize,
    pub users: usize,
    pub entries: usize,
    /// Data items declared with their source department.
    pub data_items: usize,
    pub datasets: usize,
    pub share_requests: usize,
    /// Conditional open data applications (有条件开放申请).
    pub open_applications: usize,
}

impl App {
    async fn ensure_org(&self, p: &Principal, seeded: &mut Seeded, req: CreateOrg) -> Result<Org> {
        if let Some(o) = self.store.get_org_by_code(&req.code).await? {
            return Ok(o);
        }
        seeded.orgs += 1;
        self.create_org(p, req).await
    }

    /// Seeds the whole demo: the world, then each area's demo data; safe to run again.
    pub async fn seed_demo(&self) -> Result<Seeded> {
        self.seed_demo_sized(DemoSize::default()).await
    }

    /// The whole demo with datasets of the given sizes.
    pub async fn seed_demo_sized(&self, size: DemoSize) -> Result<Seeded> {
        let mut s = self.seed_demo_world().await?;
        s.entries = self.seed_demo_catalog().await?;
        s.data_items = self.seed_demo_collection().await?;
        s.datasets = self.seed_demo_datasets(size).await?;
        s.share_requests = self.seed_demo_sharing().await?;
        s.open_applications = self.seed_demo_open_applications().await?;
        self.seed_demo_objections().await?;
        self.seed_demo_open_proposals().await?;
        self.seed_demo_open_plans().await?;
        self.seed_demo_disputes().await?;
        self.seed_demo_operation().await?;
        self.seed_demo_projects().await?;
        self.seed_demo_procurement().await?;
        self.seed_demo_security().await?;
        // Last: its checks look at everything seeded before.
        self.seed_demo_violations().await?;
        Ok(s)
    }

    /// Seeds the demo organisations and accounts only; safe to run again.
    pub async fn seed_demo_world(&self) -> Result<Seeded> {
        self.seed_demo_calendar().await?;
        let p = Principal::system();
        let mut s = Seeded::default();
        let org = |code: &str, name: &str, kind: OrgKind, parent: Option<i64>| CreateOrg {
            code: code.into(),
            name: name.into(),
            name_en: None,
            kind: kind.as_str().into(),
            level: None,
            parent_id: parent,
            division_code: None,
        };
        let city = self
            .ensure_org(
                &p,
                &mut s,
                CreateOrg {
                    level: Some("city".into()),
                    division_code: Some("441800".into()),
                    name_en: Some("Qingyuan City".into()),
                    ..org("qy", "清远市", OrgKind::Region, None)
                },
            )
            .await?;
        self.ensure_org(
            &p,
            &mut s,
            CreateOrg {
                name_en: Some("Qingyuan Government Services and Data Administration".into()),
                ..org(
                    "qy-sjj",
                    "清远市政务服务和数据管理局",
                    OrgKind::Authority,
                    Some(city.id),
                )
            },
        )
        .await?;
        for (code, name, en) in CITY_AGENCIES {
            self.ensure_org(
                &p,
                &mut s,
                CreateOrg {
                    name_en: Some(format!("Qingyuan {en}")),
                    ..org(
                        &format!("qy-{code}"),
                        &format!("清远市{name}"),
                        OrgKind::Agency,
                        Some(city.id),
                    )
                },
            )
            .await?;
        }
        // The tax bureau is a vertically managed national body.
        self.ensure_org(
            &p,
            &mut s,
            CreateOrg {
                name_en: Some("Qingyuan Tax Service, State Taxation Administration".into()),
                ..org(
                    "qy-sw",
                    "国家税务总局清远市税务局",
                    OrgKind::Agency,
                    Some(city.id),
                )
            },
        )
        .await?;
        for (code, name, division) in COUNTIES {
            let county = self
                .ensure_org(
                    &p,
                    &mut s,
                    CreateOrg {
                        level: Some("county".into()),
                        division_code: Some((*division).into()),
                        ..org(code, name, OrgKind::Region, Some(city.id))
                    },
                )
                .await?;
            self.ensure_org(
                &p,
                &mut s,
                org(
                    &format!("{code}-sjj"),
                    &format!("{name}政务服务和数据管理局"),
                    OrgKind::Authority,
                    Some(county.id),
                ),
            )
            .await?;
            for (c, suffix, agency) in COUNTY_AGENCIES.iter().filter(|a| a.0 == *code) {
                self.ensure_org(
                    &p,
                    &mut s,
                    org(
                        &format!("{c}-{suffix}"),
                        &format!("{name}{agency}"),
                        OrgKind::Agency,
                        Some(county.id),
                    ),
                )
                .await?;
            }
        }
        self.ensure_org(
            &p,
            &mut s,
            CreateOrg {
                name_en: Some("Qingyuan Demo Data Technology Co., Ltd.".into()),
                ..org(
                    "ent-demo",
                    "清远市示范数据科技有限公司",
                    OrgKind::Enterprise,
                    None,
                )
            },
        )
        .await?;

        for (username, display, org_code, role, kind) in DEMO_USERS {
            if self.store.get_user_by_username(username).await?.is_some() {
                continue;
            }
            let org_id = match org_code {
                Some(c) => self.store.get_org_by_code(c).await?.map(|o| o.id),
                None => None,
            };
            self.create_user(
                &p,
                CreateUser {
                    username: (*username).into(),
                    display_name: (*display).into(),
                    password: DEMO_PASSWORD.into(),
                    kind: Some((*kind).into()),
                    org_id,
                    roles: role.iter().map(|r| r.as_str().to_string()).collect(),
                },
            )
            .await?;
            s.users += 1;
        }
        self.seed_demo_identity().await?;
        Ok(s)
    }
}
