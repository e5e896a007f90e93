//! Demo government IT projects (政务信息化项目, SUP-2, Art. 47): 市公安局's
//! 智慧公安便民服务平台（二期）, whose public data list includes 出入境证件信息 —
//! not yet published in the demo catalogue and never aggregated, so the compliance check
//! fails and the project awaits acceptance; and 市市场监管局's 企业开办一网
//! 通办平台, compliant and accepted by 市数据局 (when its data is in order).

use chrono::Duration;
use pubdata_domain::calendar::today_cst;
use pubdata_domain::project::DataUse;
use pubdata_store::{EntryFilter, ProjectEntry};

use crate::App;
use crate::error::Result;
use crate::projects::{AcceptanceInput, ProjectInput};

impl App {
    /// The id of the demo entry `name` (any state), if it exists.
    pub(super) async fn demo_entry_named(&self, name: &str) -> Result<Option<i64>> {
        Ok(self
            .store
            .list_entries(&EntryFilter {
                terms: vec![name.into()],
                limit: 20,
                ..Default::default()
            })
            .await?
            .into_iter()
            .find(|e| e.content.name == name)
            .map(|e| e.id))
    }

    /// Seeds the demo's IT projects once (skipped when any project exists,
    /// or when the demo catalogue is missing).
    pub(crate) async fn seed_demo_projects(&self) -> Result<usize> {
        if !self.store.list_projects(None).await?.is_empty() {
            return Ok(0);
        }
        let (Some(population), Some(exit_entry), Some(companies)) = (
            self.demo_entry_named("人口基础信息").await?,
            self.demo_entry_named("出入境证件信息").await?,
            self.demo_entry_named("企业登记信息").await?,
        ) else {
            return Ok(0);
        };
        let gaj = self.demo_person("qy-gaj").await?;
        let scjgj = self.demo_person("qy-scjgj").await?;
        let sjj = self.demo_person("qy-sjj").await?;
        let today = today_cst();
        let entry = |entry_id, usage| ProjectEntry { entry_id, usage };

        self.register_project(
            &gaj,
            ProjectInput {
                agency_org: None,
                name: "清远市智慧公安便民服务平台（二期）".into(),
                code: "QY-ZW-2026-017".into(),
                approved_on: today - Duration::days(200),
                planned_acceptance_on: today + Duration::days(30),
                entries: vec![
                    entry(population, DataUse::Produce),
                    entry(exit_entry, DataUse::Produce),
                ],
            },
        )
        .await?;

        let b = self
            .register_project(
                &scjgj,
                ProjectInput {
                    agency_org: None,
                    name: "清远市企业开办一网通办平台".into(),
                    code: "QY-ZW-2025-042".into(),
                    approved_on: today - Duration::days(400),
                    planned_acceptance_on: today - Duration::days(10),
                    entries: vec![
                        entry(companies, DataUse::Produce),
                        entry(population, DataUse::Use),
                    ],
                },
            )
            .await?;
        if self.project_compliance(&sjj, b.project.id).await?.compliant {
            self.accept_project(&sjj, b.project.id, AcceptanceInput::default())
                .await?;
        }
        Ok(2)
    }
}
