//! SQLite queries of the catalogue, cases and collection list.

use chrono::{NaiveDate, Utc};
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::catalog::{EntryContent, EntryState, Grade};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{SqliteStore, append, db_err};
use crate::rows;
use crate::*;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialisable")
}

async fn upsert_class(conn: &mut SqliteConnection, c: &Classification) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_classes (code, name, parent) VALUES (?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent",
    )
    .bind(&c.code)
    .bind(&c.name)
    .bind(&c.parent)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn upsert_grade(conn: &mut SqliteConnection, g: &Grade) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_grades (code, name, rank, allows_unconditional_share, max_open) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, rank = excluded.rank,
            allows_unconditional_share = excluded.allows_unconditional_share, max_open = excluded.max_open",
    )
    .bind(&g.code)
    .bind(&g.name)
    .bind(g.rank)
    .bind(g.allows_unconditional_share)
    .bind(g.max_open.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_version(
    conn: &mut SqliteConnection,
    entry: i64,
    version: i64,
    state: EntryState,
    content: &EntryContent,
    actor: &str,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_entry_versions (entry_id, version, state, content, actor, note, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry)
    .bind(version)
    .bind(state.as_str())
    .bind(json(content))
    .bind(actor)
    .bind(note)
    .bind(fmt_time(Utc::now()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// LIKE pattern matching `term` literally anywhere.
fn contains_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

pub async fn insert_case(conn: &mut SqliteConnection, c: &NewCase, actor: &str) -> Result<Case> {
    let row = sqlx::query(
        "INSERT INTO cases (kind, subject, requester_org, responder_org, state, opened_on, due_on, basis)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?) RETURNING *",
    )
    .bind(c.kind.as_str())
    .bind(&c.subject)
    .bind(c.requester_org)
    .bind(c.responder_org)
    .bind(c.opened_on.to_string())
    .bind(c.due_on.to_string())
    .bind(&c.basis)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let case = rows::case(&row)?;
    case_event(conn, case.id, actor, "open", "").await?;
    Ok(case)
}

async fn case_event(
    conn: &mut SqliteConnection,
    case: i64,
    actor: &str,
    action: &str,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, at, actor, action, reason) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(case)
    .bind(fmt_time(Utc::now()))
    .bind(actor)
    .bind(action)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl CatalogStore for SqliteStore {
    async fn classifications(&self) -> Result<Vec<Classification>> {
        let rows = sqlx::query("SELECT code, name, parent FROM catalog_classes ORDER BY code")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(rows::classification).collect()
    }

    async fn put_classification(&self, c: &Classification, audit: AuditEvent) -> Result<()> {
        let mut tx = self.write.begin().await?;
        upsert_class(&mut tx, c).await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn grades(&self) -> Result<Vec<Grade>> {
        let rows = sqlx::query("SELECT * FROM catalog_grades ORDER BY rank")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(rows::grade).collect()
    }

    async fn put_grade(&self, g: &Grade, audit: AuditEvent) -> Result<()> {
        let mut tx = self.write.begin().await?;
        upsert_grade(&mut tx, g).await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn seed_catalog_scheme(
        &self,
        classes: &[Classification],
        grades: &[Grade],
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM catalog_classes")
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Ok(false);
        }
        for c in classes {
            upsert_class(&mut tx, c).await?;
        }
        for g in grades {
            upsert_grade(&mut tx, g).await?;
        }
        let audit = AuditEvent {
            actor: "system".into(),
            actor_user_id: None,
            org_id: None,
            action: "catalog.seed_scheme".into(),
            target: "catalog:scheme".into(),
            outcome: pubdata_domain::audit::Outcome::Success,
            detail: serde_json::json!({"classes": classes.len(), "grades": grades.len()}),
            client_ip: None,
        };
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_entry(&self, e: NewEntry, audit: AuditEvent) -> Result<CatalogEntry> {
        let mut tx = self.write.begin().await?;
        // 顺序码: the next number within the classification.
        let prefix = format!("{}/", e.content.classification);
        let last: Option<String> = sqlx::query_scalar(
        "SELECT code FROM catalog_entries WHERE substr(code, 1, ?) = ? ORDER BY code DESC LIMIT 1",
    )
    .bind(prefix.chars().count() as i64)
    .bind(&prefix)
    .fetch_optional(&mut *tx)
    .await?;
        let next = last
            .and_then(|c| c.rsplit('/').next().and_then(|n| n.parse::<u32>().ok()))
            .unwrap_or(0)
            + 1;
        let code = format!("{prefix}{next:06}");
        let now = fmt_time(Utc::now());
        let c = &e.content;
        let row = sqlx::query(
        "INSERT INTO catalog_entries (code, org_id, level, state, version, name, classification, grade,
            share_type, open_attribute, update_frequency, search_text, content, co_owners, created_at, updated_at)
         VALUES (?, ?, ?, 'draft', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
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
    .bind(json(c))
    .bind(json(&e.co_owners))
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
        let entry = rows::entry(&row)?;
        insert_version(
            &mut tx,
            entry.id,
            1,
            EntryState::Draft,
            c,
            &e.actor,
            "created",
        )
        .await?;
        let mut audit = audit;
        audit.target = format!("catalog_entry:{}", entry.id);
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn get_entry(&self, id: i64) -> Result<CatalogEntry> {
        let row = sqlx::query("SELECT * FROM catalog_entries WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref()
            .map(rows::entry)
            .unwrap_or(Err(StoreError::NotFound))
    }

    async fn list_entries(&self, f: &EntryFilter) -> Result<Vec<CatalogEntry>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM catalog_entries WHERE 1 = 1");
        for t in &f.terms {
            q.push(" AND search_text LIKE ")
                .push_bind(contains_pattern(t))
                .push(" ESCAPE '\\'");
        }
        if let Some(orgs) = &f.org_ids {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND org_id IN (");
            let mut sep = q.separated(", ");
            for o in orgs {
                sep.push_bind(*o);
            }
            q.push(")");
        }
        if let Some(v) = f.level {
            q.push(" AND level = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.classification {
            q.push(" AND substr(classification, 1, ")
                .push_bind(v.chars().count() as i64)
                .push(") = ")
                .push_bind(v);
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
        let rows = q.build().fetch_all(&self.read).await?;
        rows.iter().map(rows::entry).collect()
    }

    async fn entry_versions(&self, id: i64) -> Result<Vec<EntryVersion>> {
        let rows =
            sqlx::query("SELECT * FROM catalog_entry_versions WHERE entry_id = ? ORDER BY version")
                .bind(id)
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(rows::entry_version).collect()
    }

    async fn mark_overdue(&self, today: NaiveDate) -> Result<Vec<Case>> {
        let mut tx = self.write.begin().await?;
        let now = fmt_time(Utc::now());
        let rows = sqlx::query(
        "UPDATE cases SET overdue_at = ? WHERE state = 'open' AND overdue_at IS NULL AND due_on < ? RETURNING *",
    )
    .bind(&now)
    .bind(today.to_string())
    .fetch_all(&mut *tx)
    .await?;
        let cases = rows.iter().map(rows::case).collect::<Result<Vec<_>>>()?;
        for c in &cases {
            case_event(
                &mut tx,
                c.id,
                "system",
                "overdue",
                &format!("due {}", c.due_on),
            )
            .await?;
            let audit = AuditEvent {
                actor: "system".into(),
                actor_user_id: None,
                org_id: Some(c.responder_org),
                action: "case.overdue".into(),
                target: format!("case:{}", c.id),
                outcome: pubdata_domain::audit::Outcome::Failure,
                detail: serde_json::json!({"kind": c.kind.as_str(), "subject": c.subject, "due_on": c.due_on.to_string()}),
                client_ip: None,
            };
            append(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(cases)
    }

    async fn change_entry(&self, c: EntryChange, audit: AuditEvent) -> Result<CatalogEntry> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT * FROM catalog_entries WHERE id = ?")
            .bind(c.entry_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
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
        let now = fmt_time(Utc::now());
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE catalog_entries SET state = ");
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
            .push_bind(json(content))
            .push(", updated_at = ")
            .push_bind(&now);
        if let Some(day) = c.publish_on {
            q.push(", published_version = ")
                .push_bind(version)
                .push(", published_on = ")
                .push_bind(day.to_string());
        }
        q.push(" WHERE id = ")
            .push_bind(c.entry_id)
            .push(" RETURNING *");
        let row = q.build().fetch_one(&mut *tx).await.map_err(db_err)?;
        if c.new_content.is_some() {
            insert_version(
                &mut tx,
                c.entry_id,
                version,
                c.new_state,
                content,
                &c.actor,
                &c.note,
            )
            .await?;
        } else {
            sqlx::query("UPDATE catalog_entry_versions SET state = ?, note = CASE WHEN ? = '' THEN note ELSE ? END WHERE entry_id = ? AND version = ?")
            .bind(c.new_state.as_str())
            .bind(&c.note)
            .bind(&c.note)
            .bind(c.entry_id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        let subject = format!("catalog_entry:{}", c.entry_id);
        for (kind, outcome) in &c.close_cases {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM cases WHERE subject = ? AND kind = ? AND state = 'open'",
            )
            .bind(&subject)
            .bind(kind.as_str())
            .fetch_all(&mut *tx)
            .await?;
            for id in ids {
                sqlx::query(
                    "UPDATE cases SET state = 'closed', closed_at = ?, outcome = ? WHERE id = ?",
                )
                .bind(&now)
                .bind(outcome)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                case_event(&mut tx, id, &c.actor, outcome, &c.note).await?;
            }
        }
        if let Some(nc) = &c.open_case {
            insert_case(&mut tx, nc, &c.actor).await?;
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        rows::entry(&row)
    }

    async fn set_co_owners(&self, id: i64, orgs: &[i64], audit: AuditEvent) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let r = sqlx::query("UPDATE catalog_entries SET co_owners = ? WHERE id = ?")
            .bind(json(&orgs))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_consent(
        &self,
        id: i64,
        version: i64,
        org: i64,
        actor: &str,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
        "INSERT INTO catalog_consents (entry_id, version, org_id, actor, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(version)
    .bind(org)
    .bind(actor)
    .bind(fmt_time(Utc::now()))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn consents(&self, id: i64, version: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
        "SELECT org_id FROM catalog_consents WHERE entry_id = ? AND version = ? ORDER BY org_id",
    )
    .bind(id)
    .bind(version)
    .fetch_all(&self.read)
    .await?)
    }

    async fn list_cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM cases WHERE 1 = 1");
        if let Some(orgs) = &f.responder_orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND responder_org IN (");
            let mut sep = q.separated(", ");
            for o in orgs {
                sep.push_bind(*o);
            }
            q.push(")");
        }
        if let Some(v) = f.requester_org {
            q.push(" AND requester_org = ").push_bind(v);
        }
        if let Some(v) = f.kind {
            q.push(" AND kind = ").push_bind(v.as_str());
        }
        if let Some(v) = f.state {
            q.push(" AND state = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.subject {
            q.push(" AND subject = ").push_bind(v);
        }
        q.push(" ORDER BY due_on, id LIMIT ")
            .push_bind(f.limit.max(1) as i64);
        let rows = q.build().fetch_all(&self.read).await?;
        rows.iter().map(rows::case).collect()
    }

    async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, reason FROM case_events WHERE case_id = ? ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::case_event).collect()
    }

    async fn create_data_item(
        &self,
        name: &str,
        source_org: i64,
        basis: &str,
        audit: AuditEvent,
    ) -> Result<DataItemSource> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("INSERT INTO data_items (name, source_org, basis, created_at) VALUES (?, ?, ?, ?) RETURNING *")
        .bind(name)
        .bind(source_org)
        .bind(basis)
        .bind(fmt_time(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        rows::data_item(&row)
    }

    async fn get_data_item(&self, name: &str) -> Result<Option<DataItemSource>> {
        let row = sqlx::query("SELECT * FROM data_items WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(rows::data_item).transpose()
    }

    async fn find_data_items(&self, term: &str, limit: u32) -> Result<Vec<DataItemSource>> {
        let rows = sqlx::query(
            "SELECT * FROM data_items WHERE lower(name) LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
        )
        .bind(contains_pattern(term))
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::data_item).collect()
    }

    async fn list_data_items(&self, source_org: Option<i64>) -> Result<Vec<DataItemSource>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM data_items");
        if let Some(o) = source_org {
            q.push(" WHERE source_org = ").push_bind(o);
        }
        q.push(" ORDER BY name");
        let rows = q.build().fetch_all(&self.read).await?;
        rows.iter().map(rows::data_item).collect()
    }
    async fn open_case(&self, c: NewCase, actor: &str, audit: AuditEvent) -> Result<Case> {
        let mut tx = self.write.begin().await?;
        let case = insert_case(&mut tx, &c, actor).await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(case)
    }
}
