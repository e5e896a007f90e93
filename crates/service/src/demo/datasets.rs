//! Demo datasets: a population dataset (100,000 people by default) with
//! valid identity numbers, an enterprise dataset (20,000) with valid credit
//! codes, a few quality issues on purpose, and one stale dataset.

use pubdata_domain::catalog::DataType;
use pubdata_store::EntryFilter;

use crate::App;
use crate::demo::synth::{self, Rng};
use crate::error::{Result, ServiceError};
use crate::ingest::{ColumnInput, CreateDataset};
use crate::principal::Principal;

/// How many rows the demo datasets get.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub population: u64,
    pub enterprises: u64,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize {
            population: 100_000,
            enterprises: 20_000,
        }
    }
}

fn col(name: &str, data_type: DataType, checks: &[&str]) -> ColumnInput {
    ColumnInput {
        name: name.into(),
        data_type,
        nullable: true,
        personal: None,
        checks: checks.iter().map(|c| c.to_string()).collect(),
    }
}

impl App {
    async fn demo_entry(&self, org_code: &str, name: &str) -> Result<(i64, Principal)> {
        let org = self
            .store
            .get_org_by_code(org_code)
            .await?
            .ok_or(ServiceError::NotFound {
                what: "demo organisation",
            })?;
        let found = self
            .store
            .list_entries(&EntryFilter {
                org_ids: Some(vec![org.id]),
                terms: vec![name.into()],
                published_only: true,
                limit: 5,
                ..Default::default()
            })
            .await?;
        let entry =
            found
                .into_iter()
                .find(|e| e.content.name == name)
                .ok_or(ServiceError::NotFound {
                    what: "demo catalogue entry",
                })?;
        let mut p = Principal::command_line(org);
        p.name = "demo".into();
        Ok((entry.id, p))
    }

    async fn demo_load(&self, p: &Principal, id: i64, name: &str, csv: Vec<u8>) -> Result<()> {
        match self
            .load_file(p, id, name, Box::new(std::io::Cursor::new(csv)), &mut ())
            .await?
        {
            Ok(_) => Ok(()),
            Err(r) => Err(ServiceError::Internal(
                format!("demo load refused: {:?}", r.errors.first()).into(),
            )),
        }
    }

    /// Seeds the demo datasets once (skipped when any dataset exists).
    pub(crate) async fn seed_demo_datasets(&self, size: DemoSize) -> Result<usize> {
        if !self.store.list_datasets(None, None, 1).await?.is_empty() {
            return Ok(0);
        }
        // 人口: every 997th person has a broken phone number (a quality issue, not a refusal).
        let (entry, p) = self.demo_entry("qy-gaj", "人口基础信息").await?;
        let d = self
            .create_dataset(
                &p,
                CreateDataset {
                    entry_id: entry,
                    name: "户籍人口".into(),
                    columns: vec![
                        col("公民身份号码", DataType::String, &["id_card"]),
                        col("姓名", DataType::String, &[]),
                        col("性别", DataType::String, &["enum:男|女"]),
                        col("出生日期", DataType::Date, &[]),
                        col("民族", DataType::String, &[]),
                        col("户籍地址", DataType::String, &[]),
                        col(
                            "联系电话",
                            DataType::String,
                            &["flag:pattern:1[3-9][0-9]{9}"],
                        ),
                        col("所属区县", DataType::String, &[]),
                        col("登记日期", DataType::Date, &[]),
                        col(
                            "婚姻状况",
                            DataType::String,
                            &["flag:enum:未婚|已婚|离婚|丧偶"],
                        ),
                    ],
                    key: vec!["公民身份号码".into()],
                },
            )
            .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(synth::POPULATION_HEADER)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let mut rng = Rng::new(2026);
        for n in 0..size.population {
            let mut row = synth::person(&mut rng, n);
            if n % 997 == 996 {
                row[6] = "0763-000".into();
            }
            w.write_record(&row)
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        self.demo_load(&p, d.id, "户籍人口.csv", bytes).await?;
        for field in ["姓名", "性别", "出生日期", "户籍地址"] {
            self.contribute_base_field(
                &p,
                "population",
                crate::base::ContributeField {
                    field: field.into(),
                    dataset_id: d.id,
                    source_column: None,
                },
            )
            .await?;
        }

        // 法人: a few registrations in a state outside the code list.
        let (entry, p) = self.demo_entry("qy-scjgj", "企业登记信息").await?;
        let d = self
            .create_dataset(
                &p,
                CreateDataset {
                    entry_id: entry,
                    name: "企业登记".into(),
                    columns: vec![
                        col("统一社会信用代码", DataType::String, &["credit_code"]),
                        col("企业名称", DataType::String, &["unique"]),
                        col("法定代表人", DataType::String, &[]),
                        col("成立日期", DataType::Date, &[]),
                        col("注册资本", DataType::Decimal, &["range:0.."]),
                        col("所属区县", DataType::String, &[]),
                        col(
                            "登记状态",
                            DataType::String,
                            &["flag:enum:存续|在业|吊销|注销"],
                        ),
                    ],
                    key: vec!["统一社会信用代码".into()],
                },
            )
            .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(synth::ENTERPRISE_HEADER)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let mut rng = Rng::new(2027);
        for n in 0..size.enterprises {
            let mut row = synth::enterprise(&mut rng, n);
            // Names are made unique by the registration number.
            row[1] = format!("{}（{}）", row[1], &row[0][8..17]);
            if n % 997 == 996 {
                row[6] = "迁出".into();
            }
            w.write_record(&row)
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        self.demo_load(&p, d.id, "企业登记.csv", bytes).await?;
        for field in ["企业名称", "法定代表人", "成立日期", "注册资本"] {
            self.contribute_base_field(
                &p,
                "legal_person",
                crate::base::ContributeField {
                    field: field.into(),
                    dataset_id: d.id,
                    source_column: None,
                },
            )
            .await?;
        }

        // A daily dataset last refreshed three weeks ago: stale.
        let (entry, p) = self.demo_entry("qy-rsj", "社会保险参保信息").await?;
        let d = self
            .create_dataset(
                &p,
                CreateDataset {
                    entry_id: entry,
                    name: "社保参保".into(),
                    columns: vec![
                        col("公民身份号码", DataType::String, &["id_card"]),
                        col("姓名", DataType::String, &[]),
                        col("参保险种", DataType::String, &[]),
                        col("参保日期", DataType::Date, &[]),
                    ],
                    key: vec!["公民身份号码".into(), "参保险种".into()],
                },
            )
            .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["公民身份号码", "姓名", "参保险种", "参保日期"])
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let mut rng = Rng::new(2028);
        for n in 0..200 {
            let person = synth::person(&mut rng, n);
            for kind in ["城镇职工基本养老保险", "失业保险"] {
                w.write_record([
                    person[0].as_str(),
                    person[1].as_str(),
                    kind,
                    person[8].as_str(),
                ])
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
            }
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        self.demo_load(&p, d.id, "参保.csv", bytes).await?;
        self.store
            .set_dataset_last_load(d.id, chrono::Utc::now() - chrono::Duration::days(21))
            .await?;
        Ok(3)
    }
}
