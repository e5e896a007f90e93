//! Demo violations and rectification (违规与整改, Art. 49–50): a notice
//! missed and on the government's supervision list, a notice reported and
//! awaiting the authority's acceptance, an enterprise's misuse recorded
//! under Art. 50, and whatever the platform's own checks find in the demo.

use chrono::Duration;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::violation::ViolationKind;
use pubdata_store::ViolationFilter;

use crate::App;
use crate::error::Result;
use crate::violations::{RectificationInput, RectificationReport, ViolationInput};

impl App {
    /// Seeds the demo violations; does nothing when any was recorded.
    pub(crate) async fn seed_demo_violations(&self) -> Result<usize> {
        if !self
            .store
            .list_violations(&ViolationFilter {
                limit: 1,
                ..Default::default()
            })
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let org = |code: &'static str| async move {
            self.store
                .get_org_by_code(code)
                .await?
                .map(|o| o.id)
                .ok_or(crate::error::ServiceError::NotFound { what: "demo org" })
        };
        let sjj = self.demo_person("qy-sjj").await?;
        let scjgj = self.demo_person("qy-scjgj").await?;
        let record =
            |org_id: i64, kind: ViolationKind, title: &str, description: &str| ViolationInput {
                org_id,
                kind,
                title: title.into(),
                description: description.into(),
                subject: None,
                occurred_on: Some(today_cst() - Duration::days(45)),
                suspend_grants: false,
            };

        // 1. Missed: on the government's supervision list.
        let v = self
            .record_violation(
                &sjj,
                record(
                    org("qy-rsj").await?,
                    ViolationKind::Catalogue,
                    "社会保险目录未按职责调整更新",
                    "机构职能调整后，社会保险参保信息目录未在15个工作日内更新。",
                ),
            )
            .await?;
        let n = self
            .issue_rectification(
                &sjj,
                RectificationInput {
                    violation_ids: vec![v.violation.id],
                    requirement: "10个工作日内完成目录更新，并报送整改情况。".into(),
                    working_days: Some(10),
                },
            )
            .await?;
        let opened = today_cst() - Duration::days(40);
        self.store
            .backdate_rectification(n.rectification.id, opened, opened + Duration::days(14))
            .await?;
        // 2. Reported, awaiting the authority's acceptance.
        let v = self
            .record_violation(
                &sjj,
                record(
                    org("qy-scjgj").await?,
                    ViolationKind::RepeatedCollection,
                    "要求企业重复提交营业执照复印件",
                    "企业变更登记时要求重复提交可通过平台共享获取的营业执照信息。",
                ),
            )
            .await?;
        let n = self
            .issue_rectification(
                &sjj,
                RectificationInput {
                    violation_ids: vec![v.violation.id],
                    requirement: "停止要求重复提交，改为通过平台共享核验。".into(),
                    working_days: None,
                },
            )
            .await?;
        self.report_rectification(
            &scjgj,
            n.rectification.id,
            RectificationReport {
                report: "已修改办事指南，营业执照信息改为平台共享核验。".into(),
            },
        )
        .await?;
        // 3. An enterprise's misuse (Art. 50), recorded.
        self.record_violation(
            &sjj,
            record(
                org("ent-demo").await?,
                ViolationKind::PersonalInfo,
                "开放数据利用中未履行个人信息保护义务",
                "在其应用中展示未经处理的个人联系方式。",
            ),
        )
        .await?;
        // What the platform's own checks find in the demo, and the missed
        // notice onto the supervision list.
        let run = self.violation_checks(false).await?;
        Ok(3 + run.detected)
    }
}
