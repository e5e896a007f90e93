//! Demo disputes between agencies (争议处理, Art. 48): one at each stage,
//! one settled by the parties, one decided by the government, one overdue
//! and one across levels.

use chrono::Duration;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::dispute::DisputeType;
use pubdata_store::DisputeFilter;

use crate::App;
use crate::disputes::{DisputeInput, EscalationInput, SettlementInput, StatementInput};
use crate::error::Result;

impl App {
    /// Seeds the demo disputes; does nothing when any exists.
    pub(crate) async fn seed_demo_disputes(&self) -> Result<usize> {
        if !self
            .store
            .list_disputes(&DisputeFilter {
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
        let mzj = self.demo_person("qy-mzj").await?;
        let rsj = self.demo_person("qy-rsj").await?;
        let gaj = self.demo_person("qy-gaj").await?;
        let sjj = self.demo_person("qy-sjj").await?;
        let yd_mzj = self.demo_person("yd-mzj").await?;
        let file = |title: &str, grounds: &str, respondent: i64, t: DisputeType| DisputeInput {
            respondent_org: respondent,
            complainant_org: None,
            dispute_type: t,
            title: title.into(),
            grounds: grounds.into(),
            subject_kind: None,
            subject_id: None,
        };
        let esc = |reason: &str, leaning: Option<&str>| EscalationInput {
            reason: reason.into(),
            leaning: leaning.map(str::to_string),
        };
        let gaj_id = org("qy-gaj").await?;
        let scjgj_id = org("qy-scjgj").await?;
        let rsj_id = org("qy-rsj").await?;

        // 1. Negotiation, with the respondent's answer.
        let d = self
            .file_dispute(
                &mzj,
                file(
                    "低保核对所需出生日期字段共享争议",
                    "共享目录列明出生日期为无条件共享，市公安局答复须另行申请。",
                    gaj_id,
                    DisputeType::Sharing,
                ),
            )
            .await?;
        self.dispute_statement(
            &gaj,
            d.dispute.id,
            StatementInput {
                text: "出生日期涉及个人信息，应按有条件共享办理。".into(),
            },
        )
        .await?;
        // 2. Overdue negotiation (filed weeks ago, unanswered).
        let d = self
            .file_dispute(
                &rsj,
                file(
                    "企业登记信息更新频率争议",
                    "市场主体登记信息应按日更新，实际按月更新，影响社保登记核验。",
                    scjgj_id,
                    DisputeType::Collection,
                ),
            )
            .await?;
        let opened = today_cst() - Duration::days(40);
        self.store
            .backdate_dispute(d.dispute.id, opened, opened + Duration::days(14))
            .await?;
        // 3. Coordination by the authority.
        let d = self
            .file_dispute(
                &gaj,
                file(
                    "婚姻登记信息数源职责争议",
                    "婚姻登记信息应由市民政局作为数源部门提供。",
                    org("qy-mzj").await?,
                    DisputeType::Responsibility,
                ),
            )
            .await?;
        self.escalate_dispute(&gaj, d.dispute.id, esc("双方协商未达成一致", None))
            .await?;
        // 4. Joint consultation, with the authority's minutes.
        let d = self
            .file_dispute(
                &mzj,
                file(
                    "社会救助对象目录编制争议",
                    "救助对象名单应由市人社局编目，市人社局认为不属其职责。",
                    rsj_id,
                    DisputeType::Cataloguing,
                ),
            )
            .await?;
        self.escalate_dispute(&mzj, d.dispute.id, esc("协商不成", None))
            .await?;
        self.escalate_dispute(&sjj, d.dispute.id, esc("协调后双方仍有分歧", None))
            .await?;
        self.dispute_statement(
            &sjj,
            d.dispute.id,
            StatementInput {
                text: "已会同市委编办召开联合会商会议，职责边界待进一步明确。".into(),
            },
        )
        .await?;
        // 5. Reported to the government.
        let d = self
            .file_dispute(
                &rsj,
                file(
                    "就业登记数据开放范围争议",
                    "就业登记统计数据应向社会开放，市公安局认为涉及人口敏感信息。",
                    gaj_id,
                    DisputeType::Opening,
                ),
            )
            .await?;
        self.escalate_dispute(&rsj, d.dispute.id, esc("协商不成", None))
            .await?;
        self.escalate_dispute(&sjj, d.dispute.id, esc("协调不成", None))
            .await?;
        self.escalate_dispute(
            &sjj,
            d.dispute.id,
            esc(
                "联合会商未能解决",
                Some("倾向于以区县汇总统计口径开放，不含个人信息。"),
            ),
        )
        .await?;
        // 6. Settled by the parties.
        let d = self
            .file_dispute(
                &mzj,
                file(
                    "共享接口调用频率争议",
                    "接口限流过低，无法满足批量核对需要。",
                    gaj_id,
                    DisputeType::Sharing,
                ),
            )
            .await?;
        self.settle_dispute(
            &gaj,
            d.dispute.id,
            SettlementInput {
                outcome: "双方同意夜间批量核对时段放宽限流至每分钟600次。".into(),
                decision_no: None,
            },
        )
        .await?;
        // 7. Decided by the government.
        let d = self
            .file_dispute(
                &gaj,
                file(
                    "流动人口数据采集职责争议",
                    "流动人口居住登记数据重复采集，应明确唯一采集部门。",
                    rsj_id,
                    DisputeType::Collection,
                ),
            )
            .await?;
        self.escalate_dispute(&gaj, d.dispute.id, esc("协商不成", None))
            .await?;
        self.escalate_dispute(&sjj, d.dispute.id, esc("协调不成", None))
            .await?;
        self.escalate_dispute(
            &sjj,
            d.dispute.id,
            esc(
                "会商未果",
                Some("倾向于由市公安局统一采集，市人社局共享使用。"),
            ),
        )
        .await?;
        self.settle_dispute(&sjj, d.dispute.id, SettlementInput {
            outcome: "市人民政府决定：流动人口居住登记数据由市公安局统一采集，其他部门通过平台共享使用。".into(),
            decision_no: Some("清府函〔2026〕35号".into()),
        })
        .await?;
        // 8. Across levels: 英德市民政局 against 清远市公安局, at the city authority.
        let d = self
            .file_dispute(
                &yd_mzj,
                file(
                    "县级低保核对调用市级人口数据争议",
                    "县级民政部门核对低保需调用市级户籍人口数据，申请被拒。",
                    gaj_id,
                    DisputeType::Sharing,
                ),
            )
            .await?;
        self.escalate_dispute(
            &yd_mzj,
            d.dispute.id,
            esc("跨层级协商不成，提请市数据局协调", None),
        )
        .await?;
        Ok(8)
    }
}
