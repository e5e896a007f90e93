//! Demo authorised operation (授权运营, OPS-1..3, Art. 40–42): 市公安局's
//! agreement with the demo enterprise on 户籍人口, on record and current,
//! with a quarter's revenue record; 市市场监管局's agreement on 企业登记
//! filed and awaiting 市数据局's review; 市人社局's earlier arrangement
//! (前期安排) with the enterprise under review as a case; and one product
//! built on open data in the public registry.

use chrono::{Duration, NaiveDate};
use pubdata_domain::calendar::today_cst;
use pubdata_domain::operation::{ArrangementState, FilingDecision};
use pubdata_store::AgreementFilter;

use crate::App;
use crate::error::Result;
use crate::operation::{
    AgreementInput, ArrangementInput, FilingReview, ProductInput, RevenueInput,
};

impl App {
    /// The id of the demo dataset `name` of the organisation `org_code`.
    async fn demo_dataset_of(&self, org_code: &str, name: &str) -> Result<Option<i64>> {
        let Some(org) = self.store.get_org_by_code(org_code).await? else {
            return Ok(None);
        };
        Ok(self
            .store
            .list_datasets(Some(org.id), None, 1000)
            .await?
            .into_iter()
            .find(|d| d.name == name)
            .map(|d| d.id))
    }

    /// Seeds the demo's operation records once (skipped when any agreement
    /// exists, or when the demo datasets are missing).
    pub(crate) async fn seed_demo_operation(&self) -> Result<usize> {
        if !self
            .store
            .list_agreements(&AgreementFilter::default())
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let (Some(population), Some(companies), Some(insurance), Some(ent)) = (
            self.demo_dataset_of("qy-gaj", "户籍人口").await?,
            self.demo_dataset_of("qy-scjgj", "企业登记").await?,
            self.demo_dataset_of("qy-rsj", "社保参保").await?,
            self.store.get_org_by_code("ent-demo").await?,
        ) else {
            return Ok(0);
        };
        let sjj = self.demo_person("qy-sjj").await?;
        let gaj = self.demo_person("qy-gaj").await?;
        let scjgj = self.demo_person("qy-scjgj").await?;
        let rsj = self.demo_person("qy-rsj").await?;
        let today = today_cst();

        // On record and current: 市公安局 → the enterprise, identity checks.
        let a = self
            .create_agreement(
                &gaj,
                AgreementInput {
                    agency_org: None,
                    operator_org: ent.id,
                    title: "户籍人口数据授权运营（便民服务身份核验）".into(),
                    datasets: vec![population],
                    scenarios: "为便民服务应用提供实名身份核验，仅返回核验结果所需字段".into(),
                    term_from: today - Duration::days(90),
                    term_to: today + Duration::days(640),
                    revenue_terms: "运营收益的20%作为数据资源使用费上缴市公安局，按季度结算".into(),
                },
            )
            .await?;
        let id = a.agreement.id;
        self.file_agreement(&gaj, id).await?;
        self.review_agreement(
            &sjj,
            id,
            FilingReview {
                decision: FilingDecision::Accept,
                reason: String::new(),
            },
        )
        .await?;
        self.add_revenue(
            &gaj,
            id,
            RevenueInput {
                period: "2026-Q3".into(),
                revenue_fen: 12_860_000,
                contribution_fen: 2_572_000,
                products: 2,
                note: "身份核验接口调用约64万次".into(),
            },
        )
        .await?;

        // Filed, awaiting the city authority: 市市场监管局 → the enterprise.
        let b = self
            .create_agreement(
                &scjgj,
                AgreementInput {
                    agency_org: None,
                    operator_org: ent.id,
                    title: "企业登记数据授权运营（企业信用画像）".into(),
                    datasets: vec![companies],
                    scenarios: "面向金融机构提供小微企业信用画像服务".into(),
                    term_from: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or(today),
                    term_to: NaiveDate::from_ymd_opt(2028, 12, 31).unwrap_or(today),
                    revenue_terms: "按服务次数计费，收益的15%上缴市市场监管局".into(),
                },
            )
            .await?;
        self.file_agreement(&scjgj, b.agreement.id).await?;

        // An earlier arrangement under review (a case for 市数据局).
        let r = self
            .register_arrangement(
                &rsj,
                ArrangementInput {
                    agency_org: None,
                    third_party_org: ent.id,
                    description:
                        "2023年起以合作开发方式向该企业提供社保参保数据接口，未签订授权运营协议"
                            .into(),
                    datasets: vec![insurance],
                    since: NaiveDate::from_ymd_opt(2023, 6, 1).unwrap_or(today),
                },
            )
            .await?;
        debug_assert_eq!(r.arrangement.state, ArrangementState::UnderReview);

        // The public registry: one product on open data, when any is open.
        let open = self.open_datasets(None, None, false, 3, 0).await?;
        if let Some(first) = open.items.first() {
            let ent_staff = self.demo_person("ent-demo").await?;
            self.add_open_product(
                &ent_staff,
                ProductInput {
                    name: "清远政务数据查询助手".into(),
                    description: "基于清远市开放数据的办事指南与统计数据查询小程序".into(),
                    datasets: vec![first.id],
                    url: Some("https://example.com/qy-data-helper".into()),
                },
            )
            .await?;
        }
        Ok(2)
    }
}
