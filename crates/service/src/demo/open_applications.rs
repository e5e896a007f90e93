//! Demo conditional open data applications (有条件开放申请, OPN-4) in every
//! state, on the conditionally open datasets of 市市场监督管理局 (the
//! enterprise entries of the demo catalogue, each with a loaded dataset):
//! pending, overdue, refused with reasons, approved awaiting the agreement,
//! and accepted with data delivered.

use pubdata_domain::calendar::today_cst;
use pubdata_domain::case::CaseKind;
use pubdata_domain::catalog::OpenAttribute;
use pubdata_store::{OpenApplicationFilter, OpenFilter};

use crate::App;
use crate::error::{Result, ServiceError};
use crate::open::applications::{AgreementAcceptance, ApplicationDecision, NewApplication};
use crate::principal::{Principal, Via};

impl App {
    /// A demo account as signed in, with its own kind (person, enterprise, staff).
    async fn demo_account(&self, username: &str) -> Result<Principal> {
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

    /// Seeds the demo's applications once (skipped when any exists, or when
    /// the demo holds no conditionally open dataset of 市场监管局).
    pub(crate) async fn seed_demo_open_applications(&self) -> Result<usize> {
        let any = self
            .store
            .list_open_applications(&OpenApplicationFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        if !any.is_empty() {
            return Ok(0);
        }
        let Some(scj) = self.store.get_org_by_code("qy-scjgj").await? else {
            return Ok(0);
        };
        let (ids, _) = self
            .store
            .open_datasets(&OpenFilter {
                org: Some(scj.id),
                conditional: true,
                limit: 50,
                ..Default::default()
            })
            .await?;
        let mut datasets = Vec::new();
        for id in ids {
            let d = self.load_dataset(id).await?;
            let e = self.load_entry(d.entry_id).await?;
            // The items an applicant can ask for: the entry's items held
            // in the dataset.
            let items: Vec<String> = d
                .columns
                .iter()
                .filter(|c| e.content.items.iter().any(|i| i.name == c.name))
                .map(|c| c.name.clone())
                .collect();
            if e.content.open_attribute == OpenAttribute::Conditional && items.len() >= 2 {
                datasets.push((d, items));
            }
        }
        if datasets.len() < 2 {
            return Ok(0);
        }
        let citizen = self.demo_account("citizen-demo").await?;
        let ent = self.demo_account("ent-demo").await?;
        let agency = self.demo_account("qy-scjgj").await?;
        let pick = |n: usize| &datasets[n % datasets.len()];
        let fields = |d: &(pubdata_store::Dataset, Vec<String>), n: usize| -> Vec<String> {
            d.1.iter().take(n.min(d.1.len())).cloned().collect()
        };
        let end = Some(today_cst() + chrono::Duration::days(180));
        let application =
            |d: &(pubdata_store::Dataset, Vec<String>), n: usize, purpose: &str, scenario: &str| {
                NewApplication {
                    dataset_id: d.0.id,
                    purpose: purpose.into(),
                    fields: fields(d, n),
                    use_scenario: scenario.into(),
                    end_date: end,
                }
            };
        let mut made = 0;

        // Accepted, with data delivered: the enterprise read the first page.
        let d = pick(0);
        let a = self
            .apply_open(
                &ent,
                application(
                    d,
                    4,
                    "区域产业结构研究",
                    "编制清远市市场主体发展年度分析报告",
                ),
            )
            .await?;
        self.decide_open_application(
            &agency,
            a.id,
            ApplicationDecision {
                approve: true,
                reason: "符合开放条件，限于研究使用".into(),
                fields: Some(fields(d, 2)),
                end_date: None,
            },
        )
        .await?;
        self.accept_open_agreement(
            &ent,
            a.id,
            AgreementAcceptance {
                accept: true,
                version: pubdata_domain::open::AGREEMENT_VERSION,
            },
        )
        .await?;
        self.open_application_rows(&ent, a.id, None, 20).await?;
        made += 1;

        // Approved, awaiting the agreement.
        let d = pick(1);
        let a = self
            .apply_open(
                &ent,
                application(d, 3, "企业信用服务产品研发", "为中小企业提供合规经营提示"),
            )
            .await?;
        self.decide_open_application(
            &agency,
            a.id,
            ApplicationDecision {
                approve: true,
                reason: String::new(),
                fields: None,
                end_date: Some(today_cst() + chrono::Duration::days(90)),
            },
        )
        .await?;
        made += 1;

        // Refused, with reasons.
        let d = pick(2);
        let a = self
            .apply_open(&citizen, application(d, 3, "个人兴趣", "转售给营销公司"))
            .await?;
        self.decide_open_application(
            &agency,
            a.id,
            ApplicationDecision {
                approve: false,
                reason: "利用场景为向第三方转售数据，不符合开放条件和《清远市公共数据管理办法》第三十八条要求的利用协议约定".into(),
                fields: None,
                end_date: None,
            },
        )
        .await?;
        made += 1;

        // Pending, answer due in 10 working days.
        let d = pick(3);
        self.apply_open(
            &citizen,
            application(d, 2, "毕业论文研究", "分析本市市场主体的分布"),
        )
        .await?;
        made += 1;

        // Pending and overdue: opened three weeks ago.
        let d = pick(4);
        let a = self
            .apply_open(
                &ent,
                application(d, 3, "营商环境评估", "第三方营商环境评估报告"),
            )
            .await?;
        let opened = today_cst() - chrono::Duration::days(21);
        let due = CaseKind::OpenApplication.due(&self.calendar(), opened)?;
        self.store
            .backdate_open_application(a.id, opened, due)
            .await?;
        made += 1;
        Ok(made)
    }
}
