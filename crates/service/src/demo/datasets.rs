//! Demo datasets: a population dataset (100,000 people by default) with
//! valid identity numbers, an enterprise dataset (20,000) with valid credit
//! codes, a few quality issues on purpose, one stale dataset, and behind
//! every other shareable published entry a small dataset of its information
//! items (made up by [`synth::item_table`]).

use pubdata_domain::calendar::today_cst;
use pubdata_domain::catalog::{DataType, ShareType};
use pubdata_store::{EntryFilter, Org};

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

/// The command line acting for `org` in the demo.
fn demo_principal(org: Org) -> Principal {
    let mut p = Principal::command_line(org);
    p.name = "demo".into();
    p
}

fn csv_bytes<R: AsRef<[u8]>>(header: &[R], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)
        .map_err(|e| ServiceError::Internal(Box::new(e)))?;
    for row in rows {
        w.write_record(row)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(e.to_string().into()))
}

/// A stable seed from a name (FNV-1a): the same entry gets the same rows
/// whatever order entries were created in.
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How many people and enterprises of the big datasets the small ones draw on.
const SUBJECTS: u64 = 4_000;

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
        Ok((entry.id, demo_principal(org)))
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
            let mut row = synth::registered_enterprise(&mut rng, n);
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
        Ok(3 + self.seed_demo_item_datasets(size).await?)
    }

    /// A dataset behind every published, shareable entry that has none yet:
    /// its information items as columns, keyed by the identity number or
    /// credit code when it has one, with 40 to 160 made-up rows about the
    /// same people and enterprises as 户籍人口 and 企业登记, loaded by the
    /// entry's own organisation.
    async fn seed_demo_item_datasets(&self, size: DemoSize) -> Result<usize> {
        let mut rng = Rng::new(2026);
        let people: Vec<_> = (0..size.population.min(SUBJECTS))
            .map(|n| synth::person(&mut rng, n))
            .collect();
        let mut rng = Rng::new(2027);
        let enterprises: Vec<_> = (0..size.enterprises.min(SUBJECTS))
            .map(|n| synth::registered_enterprise(&mut rng, n))
            .collect();
        let subjects = synth::Subjects {
            people: &people,
            enterprises: &enterprises,
            registered: size.enterprises,
        };
        let mut entries = self
            .store
            .list_entries(&EntryFilter {
                published_only: true,
                limit: 1_000,
                ..Default::default()
            })
            .await?;
        entries.sort_by_key(|e| e.id);
        let as_of = today_cst();
        let mut n = 0;
        for e in entries {
            let c = &e.content;
            if c.share_type == ShareType::None
                || c.share_modes.is_empty()
                || c.items.is_empty()
                || self.store.dataset_of_entry(e.id).await?.is_some()
            {
                continue;
            }
            let org = self.store.get_org(e.org_id).await?;
            let t = synth::item_table(
                &c.name,
                &c.items,
                synth::county_of(&org.name),
                &subjects,
                as_of,
                seed_of(&c.name),
            );
            if t.rows.is_empty() {
                continue;
            }
            let p = demo_principal(org);
            let name = c.name.strip_suffix("信息").unwrap_or(&c.name).to_string();
            let d = self
                .create_dataset(
                    &p,
                    CreateDataset {
                        entry_id: e.id,
                        name: name.clone(),
                        columns: t
                            .columns
                            .iter()
                            .map(|(name, data_type, checks)| ColumnInput {
                                name: name.clone(),
                                data_type: *data_type,
                                nullable: true,
                                personal: None,
                                checks: checks.clone(),
                            })
                            .collect(),
                        key: vec![t.key.clone()],
                    },
                )
                .await?;
            let header: Vec<&str> = t.columns.iter().map(|c| c.0.as_str()).collect();
            self.demo_load(
                &p,
                d.id,
                &format!("{name}.csv"),
                csv_bytes(&header, &t.rows)?,
            )
            .await?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::catalog::{ENTRIES, content};
    use chrono::{Datelike, NaiveDate};
    use pubdata_domain::dataset::normalise;
    use pubdata_domain::ids::{validate_credit_code, validate_id_card};

    /// Every shareable demo entry gets rows that fit its items, whatever the
    /// demo's size.
    #[test]
    fn every_shareable_demo_entry_gets_rows_that_fit_its_items() {
        let as_of = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        for (population, enterprises) in [(300, 60), (100_000, 20_000)] {
            let mut rng = Rng::new(2026);
            let people: Vec<_> = (0..population.min(SUBJECTS))
                .map(|n| synth::person(&mut rng, n))
                .collect();
            let mut rng = Rng::new(2027);
            let firms: Vec<_> = (0..enterprises.min(SUBJECTS))
                .map(|n| synth::registered_enterprise(&mut rng, n))
                .collect();
            let subjects = synth::Subjects {
                people: &people,
                enterprises: &firms,
                registered: enterprises,
            };
            for (org, name, class, base, extra, freq) in ENTRIES {
                let c = content(name, class, base, extra, *freq);
                if c.share_modes.is_empty() {
                    continue;
                }
                let county = org.strip_prefix("yd-").map(|_| "英德市");
                let t = synth::item_table(name, &c.items, county, &subjects, as_of, seed_of(name));
                assert_eq!(
                    t,
                    synth::item_table(name, &c.items, county, &subjects, as_of, seed_of(name)),
                    "{name}: the same seed gives the same rows"
                );
                assert!(t.rows.len() >= 19, "{name}: {} rows", t.rows.len());
                assert!(t.rows.len() <= 200, "{name}: {} rows", t.rows.len());
                let ki = c.items.iter().position(|i| i.name == t.key).unwrap();
                let mut keys = std::collections::HashSet::new();
                for (item, (col, ty, _)) in c.items.iter().zip(&t.columns) {
                    assert_eq!((&item.name, item.data_type), (col, *ty));
                    assert_ne!(
                        synth::generator(name, col, *ty),
                        synth::Gen::Text,
                        "{name}: {col} matches no generator"
                    );
                }
                for row in &t.rows {
                    assert!(
                        keys.insert(row[ki].clone()),
                        "{name}: key {} repeats",
                        row[ki]
                    );
                    for ((col, ty, checks), v) in t.columns.iter().zip(row) {
                        assert!(!v.is_empty(), "{name}: {col} empty");
                        let canonical = normalise(*ty, v)
                            .unwrap_or_else(|e| panic!("{name}: {col} = {v}: {e}"));
                        if *ty == DataType::Date {
                            let d: NaiveDate = canonical.parse().unwrap();
                            assert!(d <= as_of && d.year() >= 1925, "{name}: {col} = {v}");
                        }
                        for check in checks {
                            match check.as_str() {
                                "id_card" => assert_eq!(validate_id_card(v), Ok(()), "{v}"),
                                "credit_code" => assert_eq!(validate_credit_code(v), Ok(()), "{v}"),
                                c => {
                                    if let Some(values) = c.strip_prefix("flag:enum:") {
                                        assert!(
                                            values.split('|').any(|x| x == v),
                                            "{name}: {col} = {v}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                if county.is_some() && c.items.iter().any(|i| i.name == "公民身份号码") {
                    assert!(t.rows.iter().all(|r| r[0].starts_with("441881")), "{name}");
                }
            }
        }
    }
}
