//! Demo objections (异议与更正, OBJ-1): citizen-demo's identity number (a
//! person of the demo population), and objections in every state — open,
//! overdue, corrected with a new version, confirmed with a reply — from a
//! data user (市民政局 under its grant on 户籍人口) and from citizen-demo,
//! a proof document with citizen-demo's.

use std::collections::BTreeMap;

use pubdata_domain::calendar::{WorkingDays, today_cst};
use pubdata_domain::objection::ObjectionOutcome;
use pubdata_store::{GrantFilter, ObjectionFilter};

use crate::App;
use crate::demo::synth::{self, Rng};
use crate::error::Result;
use crate::objections::{ObjectionInput, ResolutionInput};
use crate::principal::{Principal, Via};

/// The demo population's n-th person's identity number (the population
/// is generated from seed 2026, person by person).
fn demo_person_id(n: u64) -> String {
    let mut rng = Rng::new(2026);
    let mut row = synth::person(&mut rng, 0);
    for i in 1..=n {
        row = synth::person(&mut rng, i);
    }
    row[0].clone()
}

/// citizen-demo's identity number (身份证号): the demo population's first person.
pub fn citizen_demo_id_card_no() -> String {
    demo_person_id(0)
}

/// A tiny valid PNG (1×1 pixel), the demo's proof document.
pub const DEMO_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

impl App {
    /// Gives citizen-demo its identity number, once.
    pub(crate) async fn seed_demo_identity(&self) -> Result<()> {
        let Some((user, _)) = self.store.get_user_by_username("citizen-demo").await? else {
            return Ok(());
        };
        if self.store.person_identity(user.id).await?.is_none() {
            self.set_person_identity(&Principal::system(), user.id, &citizen_demo_id_card_no())
                .await?;
        }
        Ok(())
    }

    async fn demo_citizen(&self) -> Result<Principal> {
        Ok(Principal {
            kind: "person",
            via: Via::Bearer,
            ..self.demo_person("citizen-demo").await?
        })
    }

    /// Seeds the demo objections; does nothing when any exists or when the
    /// population dataset is missing.
    pub(crate) async fn seed_demo_objections(&self) -> Result<usize> {
        if !self
            .store
            .list_objections(&ObjectionFilter {
                limit: 1,
                ..Default::default()
            })
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let Some(gaj_org) = self.store.get_org_by_code("qy-gaj").await? else {
            return Ok(0);
        };
        let Some(population) = self
            .store
            .list_datasets(Some(gaj_org.id), None, 100)
            .await?
            .into_iter()
            .find(|d| d.name == "户籍人口")
        else {
            return Ok(0);
        };
        let gaj = self.demo_person("qy-gaj").await?;
        let citizen = self.demo_citizen().await?;
        let key = |id: String| BTreeMap::from([("公民身份号码".to_string(), id)]);
        let mut n = 0;

        // citizen-demo, online: a wrong address, open, with a proof.
        let o = self
            .file_objection(
                &citizen,
                ObjectionInput {
                    dataset_id: population.id,
                    key: key(citizen_demo_id_card_no()),
                    field: Some("户籍地址".into()),
                    claimed_value: Some("广东省清远市清城区凤城街道人民一路1号".into()),
                    description: "办理居住证明时发现户籍地址门牌号有误，已于上月迁入新址。".into(),
                    subject_id_card_no: None,
                },
            )
            .await?;
        self.add_objection_proof(
            &citizen,
            o.objection.id,
            "户口簿地址页.png",
            DEMO_PNG.to_vec(),
        )
        .await?;
        n += 1;

        // citizen-demo: a marital status, confirmed with a reply.
        let o = self
            .file_objection(
                &citizen,
                ObjectionInput {
                    dataset_id: population.id,
                    key: key(citizen_demo_id_card_no()),
                    field: Some("婚姻状况".into()),
                    claimed_value: None,
                    description: "婚姻状况显示与本人认知不符，请核实。".into(),
                    subject_id_card_no: None,
                },
            )
            .await?;
        self.resolve_objection(
            &gaj,
            o.objection.id,
            ResolutionInput {
                outcome: ObjectionOutcome::Confirmed,
                reply: Some("经核对婚姻登记信息共享数据，记录无误，予以确认。".into()),
                corrections: None,
            },
        )
        .await?;
        n += 1;

        // 市民政局 under its grant: a data user's report, open, and one overdue.
        let Some(mzj) = self.store.get_org_by_code("qy-mzj").await? else {
            return Ok(n);
        };
        let grants = self
            .store
            .list_grants(&GrantFilter {
                dataset_id: Some(population.id),
                grantee_orgs: Some(vec![mzj.id]),
                source_orgs: None,
                limit: 10,
            })
            .await?;
        let today = today_cst();
        let Some(g) = grants
            .iter()
            .find(|g| g.scope().usable(today).is_ok() && g.row_filter.is_none())
        else {
            return Ok(n);
        };
        let Some(field) = g.fields.iter().find(|f| *f != "公民身份号码").cloned() else {
            return Ok(n);
        };
        let user = self.demo_person("qy-mzj").await?;
        // A name corrected (a new version). The demo's 997th person, whose
        // phone number breaks a flag rule, keeps the version's quality
        // issue; smaller demos take the second person.
        for i in [996u64, 1] {
            let filed = self
                .file_objection(
                    &user,
                    ObjectionInput {
                        dataset_id: population.id,
                        key: key(demo_person_id(i)),
                        field: Some(field.clone()),
                        claimed_value: None,
                        description: format!(
                            "低保资格审核中，申请人户口簿所载「{field}」与共享数据不一致，请数源部门核查。"
                        ),
                        subject_id_card_no: None,
                    },
                )
                .await;
            let Ok(o) = filed else { continue };
            let value = if field.contains("日期") {
                "1990-01-01".to_string()
            } else {
                "陈建华".to_string()
            };
            self.resolve_objection(
                &gaj,
                o.objection.id,
                ResolutionInput {
                    outcome: ObjectionOutcome::Corrected,
                    reply: Some("经核查户籍档案，已更正。".into()),
                    corrections: Some(BTreeMap::from([(field.clone(), value)])),
                },
            )
            .await?;
            n += 1;
            break;
        }
        for (i, overdue) in [(3u64, false), (5, true)] {
            let o = self
                .file_objection(
                    &user,
                    ObjectionInput {
                        dataset_id: population.id,
                        key: key(demo_person_id(i)),
                        field: Some(field.clone()),
                        claimed_value: None,
                        description: format!(
                            "低保资格复核中，申请人提供的材料与共享数据「{field}」不一致，请数源部门核查。"
                        ),
                        subject_id_card_no: None,
                    },
                )
                .await;
            let Ok(o) = o else { continue };
            if overdue {
                let cal = self.calendar();
                let mut opened = today;
                for _ in 0..8 {
                    opened = opened.pred_opt().unwrap_or(opened);
                    while !cal.is_working_day(opened).unwrap_or(true) {
                        opened = opened.pred_opt().unwrap_or(opened);
                    }
                }
                let due = cal.add_working_days(opened, WorkingDays::of(5))?;
                self.store
                    .backdate_objection(o.objection.id, opened, due)
                    .await?;
            }
            n += 1;
        }
        self.sweep_deadlines().await?;
        Ok(n)
    }
}
