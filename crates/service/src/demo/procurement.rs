//! Demo procurement of social data (社会数据统一采购, COL-3, Art. 17):
//! 市市场监管局's demand for electronic map data of business premises,
//! approved by 市数据局 and procured, catalogued under 企业登记信息; 市民政局's
//! demand for IoT sensing data of care homes, refused (available through the
//! platform); 市公安局's demand for public video data, under evaluation (a
//! case for 市数据局, due in 15 working days).

use chrono::NaiveDate;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::procurement::{EvaluationDecision, PurchaseKind};

use crate::App;
use crate::error::Result;
use crate::procurement::{ProcurementDemandInput, ProcurementEvaluation, ProcurementRecordInput};

impl App {
    /// Seeds the demo's procurement once (skipped when any demand exists,
    /// or when the demo catalogue is missing).
    pub(crate) async fn seed_demo_procurement(&self) -> Result<usize> {
        if !self.store.list_procurement_demands(None).await?.is_empty() {
            return Ok(0);
        }
        let Some(companies) = self.demo_entry_named("企业登记信息").await? else {
            return Ok(0);
        };
        let sjj = self.demo_person("qy-sjj").await?;
        let scjgj = self.demo_person("qy-scjgj").await?;
        let mzj = self.demo_person("qy-mzj").await?;
        let gaj = self.demo_person("qy-gaj").await?;
        let today = today_cst();

        // Approved and procured: maps of business premises.
        let map = self
            .file_procurement_demand(
                &scjgj,
                ProcurementDemandInput {
                    agency_org: None,
                    kind: PurchaseKind::Map,
                    title: "市场主体经营场所电子地图数据服务".into(),
                    description: "全市市场主体经营场所的地理位置（POI）及门牌地址匹配数据，按季度更新，用于“双随机、一公开”抽查的实地核查派单".into(),
                    justification: "平台现有企业登记信息仅有注册地址文本，缺少经营场所坐标；自然资源部门的基础地理数据不含商业POI".into(),
                    budget_fen: 48_000_000,
                },
            )
            .await?;
        let id = map.demand.id;
        self.evaluate_procurement_demand(
            &sjj,
            id,
            ProcurementEvaluation {
                decision: EvaluationDecision::Approve,
                reason: "需求明确，其他部门亦有使用需求，纳入统采共用".into(),
            },
        )
        .await?;
        self.record_procurement(
            &sjj,
            id,
            ProcurementRecordInput {
                supplier: "清远市示范测绘地理信息有限公司".into(),
                contract_no: "QYSJ-CG-2026-031".into(),
                amount_fen: 45_600_000,
                term_from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or(today),
                term_to: NaiveDate::from_ymd_opt(2027, 9, 30).unwrap_or(today),
                entry_id: companies,
            },
        )
        .await?;

        // Refused: the data is on the platform already.
        let iot = self
            .file_procurement_demand(
                &mzj,
                ProcurementDemandInput {
                    agency_org: None,
                    kind: PurchaseKind::Iot,
                    title: "养老服务机构物联感知数据服务".into(),
                    description: "养老机构烟感、门禁和紧急呼叫设备的实时告警数据".into(),
                    justification: "用于养老机构安全监管".into(),
                    budget_fen: 12_000_000,
                },
            )
            .await?;
        self.evaluate_procurement_demand(
            &sjj,
            iot.demand.id,
            ProcurementEvaluation {
                decision: EvaluationDecision::Refuse,
                reason: "应急管理部门已汇聚同类物联感知数据，可通过一网共享平台申请共享使用".into(),
            },
        )
        .await?;

        // Under evaluation: public video.
        self.file_procurement_demand(
            &gaj,
            ProcurementDemandInput {
                agency_org: None,
                kind: PurchaseKind::Video,
                title: "重点区域社会面视频图像数据服务".into(),
                description: "商圈、交通枢纽周边社会单位自建视频的接入与结构化数据服务".into(),
                justification: "社会单位自建视频无法通过一网共享平台获得".into(),
                budget_fen: 150_000_000,
            },
        )
        .await?;
        Ok(3)
    }
}
