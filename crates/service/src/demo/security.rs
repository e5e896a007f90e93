//! Demo security management (安全管理, SEC-2, SEC-4): 市公安局's security
//! officer, its grade protection settings (L3 masked by default; L4 only
//! after a confidentiality review — no demo entry is L4, so the demo's
//! sharing is not held up), this year's security check, risk assessment,
//! emergency drill and disaster-recovery drill, and a passed
//! confidentiality review of one of its share requests; 市市场监管局's
//! officer and security check.

use chrono::Duration;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::security::SecurityRecordKind;
use pubdata_store::ShareRequestFilter;

use crate::App;
use crate::error::Result;
use crate::security::{
    ConfidentialityReviewInput, ProtectionInput, SecurityOfficerInput, SecurityRecordInput,
};

impl App {
    /// Seeds the demo's security records once (skipped when 市公安局 has
    /// an officer already).
    pub(crate) async fn seed_demo_security(&self) -> Result<usize> {
        let (Some(gaj_org), Some(scj_org)) = (
            self.store.get_org_by_code("qy-gaj").await?,
            self.store.get_org_by_code("qy-scjgj").await?,
        ) else {
            return Ok(0);
        };
        if self.store.security_officer(gaj_org.id).await?.is_some() {
            return Ok(0);
        }
        let gaj = self.demo_person("qy-gaj").await?;
        let scj = self.demo_person("qy-scjgj").await?;
        let today = today_cst();
        self.put_security_officer(
            &gaj,
            gaj_org.id,
            SecurityOfficerInput {
                name: "陈伟".into(),
                post: "科技信息化科科长".into(),
                contact: "0763-3368110".into(),
            },
        )
        .await?;
        self.put_grade_protections(
            &gaj,
            gaj_org.id,
            vec![
                ProtectionInput {
                    grade: "L3".into(),
                    masking_default: true,
                    review_required: false,
                    export_allowed: false,
                    notes: "个人信息默认脱敏，不得下载导出".into(),
                },
                ProtectionInput {
                    grade: "L4".into(),
                    masking_default: true,
                    review_required: true,
                    export_allowed: false,
                    notes: "敏感数据共享开放前须经保密审查".into(),
                },
            ],
        )
        .await?;
        let mut n = 0;
        for (kind, days, scope, findings, follow_up) in [
            (
                SecurityRecordKind::Check,
                60,
                "人口基础信息库访问控制、账号口令与审计日志",
                "2个共享接口账号长期未使用；审计日志完整",
                "已停用闲置账号",
            ),
            (
                SecurityRecordKind::RiskAssessment,
                45,
                "共享接口数据泄露与越权访问风险",
                "中风险1项：核验接口缺少调用频率告警",
                "已启用平台异常访问告警",
            ),
            (
                SecurityRecordKind::EmergencyDrill,
                30,
                "接口凭据泄露：吊销令牌、暂停授权、通报主管部门",
                "40分钟内完成处置，通报流程顺畅",
                "",
            ),
            (
                SecurityRecordKind::RecoveryDrill,
                14,
                "数据库损毁后从异地加密备份恢复",
                "3小时完成恢复，审计链与检查点校验通过",
                "恢复手册补充异地密钥保管流程",
            ),
        ] {
            self.add_security_record(
                &gaj,
                gaj_org.id,
                SecurityRecordInput {
                    kind,
                    held_on: today - Duration::days(days),
                    scope: scope.into(),
                    findings: findings.into(),
                    follow_up: follow_up.into(),
                },
            )
            .await?;
            n += 1;
        }
        // A passed review of the newest request made of 市公安局.
        if let Some(r) = self
            .store
            .list_share_requests(&ShareRequestFilter {
                source_orgs: Some(vec![gaj_org.id]),
                limit: 1,
                ..Default::default()
            })
            .await?
            .into_iter()
            .next()
        {
            self.record_confidentiality_review(
                &gaj,
                ConfidentialityReviewInput {
                    entry_id: r.entry_id,
                    entry_version: None,
                    share_request_id: Some(r.id),
                    reviewer: "保密办 何静".into(),
                    reviewed_on: today,
                    passed: true,
                    notes: "仅核验姓名与出生日期，不涉及国家秘密".into(),
                },
            )
            .await?;
        }
        self.put_security_officer(
            &scj,
            scj_org.id,
            SecurityOfficerInput {
                name: "黄芳".into(),
                post: "信息中心主任".into(),
                contact: "0763-3388123".into(),
            },
        )
        .await?;
        self.add_security_record(
            &scj,
            scj_org.id,
            SecurityRecordInput {
                kind: SecurityRecordKind::Check,
                held_on: today - Duration::days(20),
                scope: "企业登记库备份与恢复策略".into(),
                findings: "备份按日进行，恢复演练未开展".into(),
                follow_up: "下季度开展灾备演练".into(),
            },
        )
        .await?;
        Ok(n + 1)
    }
}
