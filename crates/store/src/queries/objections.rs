//! Objections and corrections (异议与更正, OBJ-1, Art. 28), their proof
//! documents, and persons' identity numbers. Written once for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;
use pubdata_domain::case::{CaseKind, CaseSubject};
use pubdata_domain::objection::ObjectionState;

use super::audit;
use super::cases::close_open_cases;
use super::open_case_of;
use crate::rows::{self, Cols};
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

#[async_trait]
impl<D: Dialect> ObjectionStore for D {
    async fn create_objection(
        &self,
        o: NewObjection,
        audit_event: AuditEvent,
    ) -> Result<Objection> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql("INSERT INTO objections (dataset_id, source_org, record_key, key_values, field,
                        claimed_value, description, channel, objector_user_id, objector_name,
                        objector_org, subject_id_card_no, grant_id, visible_fields, about_version,
                        state, due_on, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING *")
                .bind(o.dataset_id)
                .bind(o.source_org)
                .bind(&o.record_key)
                .bind(Arg::json(&o.key))
                .bind(&o.field)
                .bind(&o.claimed_value)
                .bind(&o.description)
                .bind(o.channel.as_str())
                .bind(o.objector_user_id)
                .bind(&o.objector_name)
                .bind(o.objector_org)
                .bind(&o.subject_id_card_no)
                .bind(o.grant_id)
                .bind(Arg::json(&o.visible_fields))
                .bind(o.about_version)
                .bind(o.case.due_on)
                .bind(now()),
            )
            .await?;
        let created = rows::objection(&row)?;
        let row = open_case_of::<D>(
            tx,
            "objections",
            CaseSubject::Objection(created.id),
            o.case,
            &o.objector_name,
            audit_event,
        )
        .await?;
        rows::objection(&row)
    }

    async fn get_objection(&self, id: i64) -> Result<Objection> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM objections WHERE id = ?").bind(id))
            .await?;
        rows::objection(&row)
    }

    async fn list_objections(&self, f: &ObjectionFilter) -> Result<Vec<Objection>> {
        let mut q = sql("SELECT * FROM objections WHERE 1 = 1");
        match (&f.orgs, f.objector_user_id) {
            (Some(orgs), Some(user)) => {
                q.push(" AND (objector_user_id = ").push_bind(user);
                if !orgs.is_empty() {
                    q.push(" OR source_org IN ").push_list(orgs);
                    q.push(" OR objector_org IN ").push_list(orgs);
                }
                q.push(")");
            }
            (Some(orgs), None) => {
                if orgs.is_empty() {
                    return Ok(vec![]);
                }
                q.push(" AND (source_org IN ").push_list(orgs);
                q.push(" OR objector_org IN ").push_list(orgs);
                q.push(")");
            }
            (None, Some(user)) => {
                q.push(" AND objector_user_id = ").push_bind(user);
            }
            (None, None) => {}
        }
        if let Some(s) = f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::objection).collect()
    }

    async fn resolve_objection(
        &self,
        r: ObjectionResolution,
        audit_event: AuditEvent,
    ) -> Result<Objection> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                sql(
                    "UPDATE objections SET state = ?, reply = ?, corrections = ?,
                        correction_version = ?, resolved_by = ?, resolved_at = ?
                     WHERE id = ? AND state = 'open' RETURNING *",
                )
                .bind(r.state.as_str())
                .bind(&r.reply)
                .bind(Arg::json(&r.corrections.clone().unwrap_or_default()))
                .bind(r.correction_version)
                .bind(&r.actor)
                .bind(now())
                .bind(r.id),
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict {
                what: "objection state".into(),
            });
        };
        let o = rows::objection(&row)?;
        let subject = CaseSubject::Objection(o.id).to_string();
        let outcome = match r.state {
            ObjectionState::Corrected => "corrected",
            _ => "confirmed",
        };
        close_open_cases::<D>(
            &mut tx,
            &subject,
            CaseKind::Objection,
            outcome,
            &r.actor,
            &r.reply,
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(o)
    }

    async fn add_proof(&self, p: NewProof, audit_event: AuditEvent) -> Result<ObjectionProof> {
        let mut tx = self.begin().await?;
        let size = p.content.len() as i64;
        let row = tx
            .one(
                sql("INSERT INTO objection_proofs (objection_id, file_name, media_type, size, sha256,
                        content, uploaded_by, uploaded_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                     RETURNING id, objection_id, file_name, media_type, size, sha256, uploaded_by, uploaded_at")
                .bind(p.objection_id)
                .bind(&p.file_name)
                .bind(&p.media_type)
                .bind(size)
                .bind(&p.sha256)
                .bind(Arg::Bytes(p.content))
                .bind(&p.uploaded_by)
                .bind(now()),
            )
            .await?;
        let proof = rows::objection_proof(&row)?;
        let mut ev = audit_event;
        ev.detail["proof"] = serde_json::json!(proof.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(proof)
    }

    async fn proofs(&self, objection_id: i64) -> Result<Vec<ObjectionProof>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT id, objection_id, file_name, media_type, size, sha256, uploaded_by, uploaded_at
                     FROM objection_proofs WHERE objection_id = ? ORDER BY id")
                .bind(objection_id),
            )
            .await?;
        rows.iter().map(rows::objection_proof).collect()
    }

    async fn proof(&self, objection_id: i64, id: i64) -> Result<(ObjectionProof, Vec<u8>)> {
        let row = self
            .reader()
            .one(
                sql("SELECT * FROM objection_proofs WHERE objection_id = ? AND id = ?")
                    .bind(objection_id)
                    .bind(id),
            )
            .await?;
        Ok((rows::objection_proof(&row)?, row.bytes("content")?))
    }

    async fn person_identity(&self, user_id: i64) -> Result<Option<String>> {
        let row = self
            .reader()
            .opt(sql("SELECT id_card_no FROM person_identities WHERE user_id = ?").bind(user_id))
            .await?;
        row.map(|r| r.text("id_card_no")).transpose()
    }

    async fn set_person_identity(
        &self,
        user_id: i64,
        id_card_no: &str,
        audit_event: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM person_identities WHERE user_id = ?").bind(user_id))
            .await?;
        tx.run(
            sql("INSERT INTO person_identities (user_id, id_card_no) VALUES (?, ?)")
                .bind(user_id)
                .bind(id_card_no),
        )
        .await?;
        audit::<D>(&mut tx, &audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn backdate_objection(
        &self,
        id: i64,
        opened_on: chrono::NaiveDate,
        due_on: chrono::NaiveDate,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(
            sql("UPDATE objections SET due_on = ? WHERE id = ?")
                .bind(due_on)
                .bind(id),
        )
        .await?;
        tx.run(
            sql("UPDATE cases SET opened_on = ?, due_on = ? WHERE subject = ? AND state = 'open'")
                .bind(opened_on)
                .bind(due_on)
                .bind(CaseSubject::Objection(id).to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
