//! The catalogue (CAT-1 … CAT-7) and the collection list (COL-1, COL-2).

use async_trait::async_trait;
use pubdata_domain::audit::{AuditEvent, Outcome};
use pubdata_domain::catalog::{EntryContent, EntryState, Grade};

use super::cases::close_open_cases;
use super::{CaseStep, audit, contains_pattern, step_case};
use crate::rows::{self, Cols};
use crate::sql::{Arg, Dialect, Exec, Lock, Tx, now, sql};
use crate::*;

/// Drafts a new entry inside `tx`: its 信息资源代码 (the next number in its
/// classification) and its first version. `note` is the version's note.
pub(super) async fn insert_entry<D: Dialect>(
    tx: &mut D::Tx,
    e: &NewEntry,
    note: &str,
) -> Result<CatalogEntry> {
    // 顺序码: the next number within the classification.
    let prefix = format!("{}/", e.content.classification);
    D::lock(tx, Lock::EntryCode(&prefix)).await?;
    let mut q = sql("SELECT code FROM catalog_entries WHERE 1 = 1");
    q.push_prefix("code", &prefix)
        .push(" ORDER BY code DESC LIMIT 1");
    let last = match tx.opt(q).await? {
        Some(r) => Some(r.text("code")?),
        None => None,
    };
    let next = last
        .and_then(|c| c.rsplit('/').next().and_then(|n| n.parse::<u32>().ok()))
        .unwrap_or(0)
        + 1;
    let code = format!("{prefix}{next:06}");
    let now = now();
    let c = &e.content;
    let row = tx
        .one(
            sql("INSERT INTO catalog_entries (code, org_id, level, state, version, name, classification,
                    grade, share_type, open_attribute, update_frequency, search_text, content, co_owners,
                    created_at, updated_at)
                 VALUES (?, ?, ?, 'draft', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *")
            .bind(&code)
            .bind(e.org_id)
            .bind(e.level.map(|l| l.as_str()))
            .bind(&c.name)
            .bind(&c.classification)
            .bind(&c.grade)
            .bind(c.share_type.as_str())
            .bind(c.open_attribute.as_str())
            .bind(c.update_frequency.as_str())
            .bind(c.search_text())
            .bind(Arg::json(c))
            .bind(Arg::json(&e.co_owners))
            .bind(now)
            .bind(now),
        )
        .await?;
    let entry = rows::entry(&row)?;
    insert_version::<D>(tx, entry.id, 1, EntryState::Draft, c, &e.actor, note).await?;
    Ok(entry)
}

async fn upsert_class<D: Dialect>(tx: &mut D::Tx, c: &Classification) -> Result<()> {
    tx.run(
        sql(
            "INSERT INTO catalog_classes (code, name, parent) VALUES (?, ?, ?)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent",
        )
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.parent),
    )
    .await?;
    Ok(())
}

async fn upsert_grade<D: Dialect>(tx: &mut D::Tx, g: &Grade) -> Result<()> {
    tx.run(
        sql(
            "INSERT INTO catalog_grades (code, name, rank, allows_unconditional_share, max_open)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, rank = excluded.rank,
                allows_unconditional_share = excluded.allows_unconditional_share,
                max_open = excluded.max_open",
        )
        .bind(&g.code)
        .bind(&g.name)
        .bind(g.rank as i64)
        .bind(g.allows_unconditional_share)
        .bind(g.max_open.as_str()),
    )
    .await?;
    Ok(())
}

async fn insert_version<D: Dialect>(
    tx: &mut D::Tx,
    entry: i64,
    version: i64,
    state: EntryState,
    content: &EntryContent,
    actor: &str,
    note: &str,
) -> Result<()> {
    tx.run(
        sql("INSERT INTO catalog_entry_versions (entry_id, version, state, content, actor, note, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(entry)
        .bind(version)
        .bind(state.as_str())
        .bind(Arg::json(content))
        .bind(actor)
        .bind(note)
        .bind(now()),
    )
    .await?;
    Ok(())
}

/// One lifecycle step of an entry inside `tx` (see [`EntryChange`]): the
/// entry row, its version, its cases and, when it publishes a not-open or
/// conditionally open version with `file_with`, the filing (开放属性备案).
/// The caller appends the audit record and commits.
pub(crate) async fn change_entry_in<D: Dialect>(
    tx: &mut D::Tx,
    c: &EntryChange,
) -> Result<CatalogEntry> {
    let row = tx
        .one(
            sql(format!(
                "SELECT * FROM catalog_entries WHERE id = ?{}",
                D::FOR_UPDATE
            ))
            .bind(c.entry_id),
        )
        .await?;
    let current = rows::entry(&row)?;
    if current.state != c.expect_state {
        return Err(StoreError::Conflict {
            what: format!("state (now {})", current.state.as_str()),
        });
    }
    let content = c.new_content.as_ref().unwrap_or(&current.content);
    let version = if c.new_content.is_some() {
        current.version + 1
    } else {
        current.version
    };
    let mut q = sql("UPDATE catalog_entries SET state = ");
    q.push_bind(c.new_state.as_str())
        .push(", version = ")
        .push_bind(version)
        .push(", name = ")
        .push_bind(&content.name)
        .push(", classification = ")
        .push_bind(&content.classification)
        .push(", grade = ")
        .push_bind(&content.grade)
        .push(", share_type = ")
        .push_bind(content.share_type.as_str())
        .push(", open_attribute = ")
        .push_bind(content.open_attribute.as_str())
        .push(", update_frequency = ")
        .push_bind(content.update_frequency.as_str())
        .push(", search_text = ")
        .push_bind(content.search_text())
        .push(", content = ")
        .push_bind(Arg::json(content))
        .push(", updated_at = ")
        .push_bind(now());
    if let Some(day) = c.publish_on {
        q.push(", published_version = ")
            .push_bind(version)
            .push(", published_on = ")
            .push_bind(day);
    }
    q.push(" WHERE id = ")
        .push_bind(c.entry_id)
        .push(" RETURNING *");
    let row = tx.one(q).await?;
    if c.new_content.is_some() {
        insert_version::<D>(
            tx,
            c.entry_id,
            version,
            c.new_state,
            content,
            &c.actor,
            &c.note,
        )
        .await?;
    } else {
        tx.run(
            sql("UPDATE catalog_entry_versions SET state = ?,
                    note = CASE WHEN CAST(? AS TEXT) = '' THEN note ELSE ? END
                 WHERE entry_id = ? AND version = ?")
            .bind(c.new_state.as_str())
            .bind(&c.note)
            .bind(&c.note)
            .bind(c.entry_id)
            .bind(version),
        )
        .await?;
    }
    // The entry's cases change with it; the step's audit record covers them.
    let subject = format!("catalog_entry:{}", c.entry_id);
    for (kind, outcome) in &c.close_cases {
        close_open_cases::<D>(tx, &subject, *kind, outcome, &c.actor, &c.note).await?;
    }
    if let Some(nc) = &c.open_case {
        step_case::<D>(tx, CaseStep::Open(nc), &c.actor, "", None).await?;
    }
    if let (Some(day), Some(authority)) = (c.publish_on, c.file_with)
        && content.open_attribute != pubdata_domain::catalog::OpenAttribute::Unconditional
    {
        tx.run(
            sql(
                "INSERT INTO open_filings (entry_id, org_id, authority_org, version, attribute,
                    clauses, basis, filed_on, filed_by, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(c.entry_id)
            .bind(current.org_id)
            .bind(authority)
            .bind(version)
            .bind(content.open_attribute.as_str())
            .bind(Arg::json(&content.open_clauses))
            .bind(content.filed_basis())
            .bind(day)
            .bind(&c.actor)
            .bind(now()),
        )
        .await?;
    }
    rows::entry(&row)
}

#[async_trait]
impl<D: Dialect> CatalogStore for D {
    async fn classifications(&self) -> Result<Vec<Classification>> {
        let rows = self
            .reader()
            .all(sql(
                "SELECT code, name, parent FROM catalog_classes ORDER BY code",
            ))
            .await?;
        rows.iter().map(rows::classification).collect()
    }

    async fn put_classification(&self, c: &Classification, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        upsert_class::<D>(&mut tx, c).await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn grades(&self) -> Result<Vec<Grade>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM catalog_grades ORDER BY rank"))
            .await?;
        rows.iter().map(rows::grade).collect()
    }

    async fn put_grade(&self, g: &Grade, audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        upsert_grade::<D>(&mut tx, g).await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn seed_catalog_scheme(
        &self,
        classes: &[Classification],
        grades: &[Grade],
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        D::lock(&mut tx, Lock::CatalogScheme).await?;
        let n = tx
            .one(sql("SELECT count(*) AS n FROM catalog_classes"))
            .await?
            .int("n")?;
        if n > 0 {
            return Ok(false);
        }
        for c in classes {
            upsert_class::<D>(&mut tx, c).await?;
        }
        for g in grades {
            upsert_grade::<D>(&mut tx, g).await?;
        }
        let e = AuditEvent {
            actor: "system".into(),
            actor_user_id: None,
            org_id: None,
            action: "catalog.seed_scheme".into(),
            target: "catalog:scheme".into(),
            outcome: Outcome::Success,
            detail: serde_json::json!({"classes": classes.len(), "grades": grades.len()}),
            client_ip: None,
        };
        audit::<D>(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_entry(&self, e: NewEntry, audit_event: AuditEvent) -> Result<CatalogEntry> {
        let mut tx = self.begin().await?;
        let entry = insert_entry::<D>(&mut tx, &e, "created").await?;
        let mut ev = audit_event;
        ev.target = format!("catalog_entry:{}", entry.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn get_entry(&self, id: i64) -> Result<CatalogEntry> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM catalog_entries WHERE id = ?").bind(id))
            .await?;
        rows::entry(&row)
    }

    async fn list_entries(&self, f: &EntryFilter) -> Result<Vec<CatalogEntry>> {
        let mut q = sql("SELECT * FROM catalog_entries WHERE 1 = 1");
        // Each term must occur, in one of its forms (社保 or 社会保险 …).
        for t in &f.terms {
            let variants = pubdata_domain::catalog::term_variants_with(t, &f.synonyms);
            if variants.is_empty() {
                continue;
            }
            q.push(" AND (");
            for (i, v) in variants.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                q.push("search_text LIKE ")
                    .push_bind(contains_pattern(v))
                    .push(" ESCAPE '\\'");
            }
            q.push(")");
        }
        if let Some(orgs) = &f.org_ids {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND org_id IN ").push_list(orgs);
        }
        if let Some(v) = f.level {
            q.push(" AND level = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.classification {
            q.push_prefix("classification", v);
        }
        if let Some(v) = &f.grade {
            q.push(" AND grade = ").push_bind(v);
        }
        if let Some(v) = f.share_type {
            q.push(" AND share_type = ").push_bind(v.as_str());
        }
        if let Some(v) = f.open_attribute {
            q.push(" AND open_attribute = ").push_bind(v.as_str());
        }
        if let Some(v) = f.frequency {
            q.push(" AND update_frequency = ").push_bind(v.as_str());
        }
        if let Some(v) = f.state {
            q.push(" AND state = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.code {
            q.push(" AND code = ").push_bind(v);
        }
        if f.published_only {
            q.push(" AND published_version IS NOT NULL AND state <> 'delisted'");
        }
        if let Some(v) = f.before_id {
            q.push(" AND id < ").push_bind(v);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit as i64);
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::entry).collect()
    }

    async fn entry_versions(&self, id: i64) -> Result<Vec<EntryVersion>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM catalog_entry_versions WHERE entry_id = ? ORDER BY version")
                    .bind(id),
            )
            .await?;
        rows.iter().map(rows::entry_version).collect()
    }

    async fn change_entry(&self, c: EntryChange, audit_event: AuditEvent) -> Result<CatalogEntry> {
        let mut tx = self.begin().await?;
        let entry = change_entry_in::<D>(&mut tx, &c).await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn set_co_owners(&self, id: i64, orgs: &[i64], audit_event: AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = tx
            .run(
                sql("UPDATE catalog_entries SET co_owners = ? WHERE id = ?")
                    .bind(Arg::json(orgs))
                    .bind(id),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_consent(
        &self,
        id: i64,
        version: i64,
        org: i64,
        actor: &str,
        audit_event: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("INSERT INTO catalog_consents (entry_id, version, org_id, actor, at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(version)
            .bind(org)
            .bind(actor)
            .bind(now()),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn consents(&self, id: i64, version: i64) -> Result<Vec<i64>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT org_id FROM catalog_consents WHERE entry_id = ? AND version = ? ORDER BY org_id")
                    .bind(id)
                    .bind(version),
            )
            .await?;
        rows.iter().map(|r| r.int("org_id")).collect()
    }

    async fn create_data_item(
        &self,
        name: &str,
        source_org: i64,
        basis: &str,
        audit_event: AuditEvent,
    ) -> Result<DataItemSource> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO data_items (name, source_org, basis, created_at) VALUES (?, ?, ?, ?)
                     RETURNING *")
                .bind(name)
                .bind(source_org)
                .bind(basis)
                .bind(now()),
            )
            .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        rows::data_item(&row)
    }

    async fn get_data_item(&self, name: &str) -> Result<Option<DataItemSource>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM data_items WHERE name = ?").bind(name))
            .await?;
        row.as_ref().map(rows::data_item).transpose()
    }

    async fn find_data_items(&self, term: &str, limit: u32) -> Result<Vec<DataItemSource>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM data_items WHERE lower(name) LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?")
                    .bind(contains_pattern(term))
                    .bind(limit as i64),
            )
            .await?;
        rows.iter().map(rows::data_item).collect()
    }

    async fn list_data_items(&self, source_org: Option<i64>) -> Result<Vec<DataItemSource>> {
        let mut q = sql("SELECT * FROM data_items");
        if let Some(o) = source_org {
            q.push(" WHERE source_org = ").push_bind(o);
        }
        q.push(" ORDER BY name");
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::data_item).collect()
    }
}
