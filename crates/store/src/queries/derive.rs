//! Desensitised derivatives (脱敏衍生, SHR-6) and the masking rules by item
//! name (脱敏规则). Written once for both backends.

use async_trait::async_trait;
use pubdata_domain::audit::AuditEvent;

use super::audit;
use super::catalog::insert_entry;
use crate::rows;
use crate::sql::{Arg, Dialect, Exec, Tx, now, sql};
use crate::*;

/// A condition on dataset `d`: it is a derivative whose re-identification
/// check is required and its current version has not passed one (OPN-5).
pub(crate) const REID_WITHHELD: &str = "EXISTS (SELECT 1 FROM derivations dv
      WHERE dv.dataset_id = d.id AND dv.reid_required
        AND NOT EXISTS (SELECT 1 FROM reid_checks rc
             WHERE rc.dataset_id = d.id AND rc.version = d.current_version AND rc.passed))";

#[async_trait]
impl<D: Dialect> DeriveStore for D {
    async fn create_derivation(
        &self,
        entry: NewEntry,
        d: NewDerivation,
        audit_event: AuditEvent,
    ) -> Result<(CatalogEntry, Derivation)> {
        let mut tx = self.begin().await?;
        let e = insert_entry::<D>(&mut tx, &entry, "derived").await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO derivations (org_id, parent_dataset_id, parent_entry_id, entry_id,
                        transforms, secret, quasi_identifiers, k_threshold, reid_required,
                        created_by, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(d.org_id)
                .bind(d.parent_dataset_id)
                .bind(d.parent_entry_id)
                .bind(e.id)
                .bind(Arg::json(&d.transforms))
                .bind(&d.secret)
                .bind(Arg::json(&d.quasi_identifiers))
                .bind(i64::from(d.k))
                .bind(d.reid_required)
                .bind(&d.created_by)
                .bind(now()),
            )
            .await?;
        let derivation = rows::derivation(&row)?;
        let mut ev = audit_event;
        ev.target = format!("derivation:{}", derivation.id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok((e, derivation))
    }

    async fn get_derivation(&self, id: i64) -> Result<Derivation> {
        let row = self
            .reader()
            .one(sql("SELECT * FROM derivations WHERE id = ?").bind(id))
            .await?;
        rows::derivation(&row)
    }

    async fn derivation_of_entry(&self, entry_id: i64) -> Result<Option<Derivation>> {
        let row = self
            .reader()
            .opt(sql("SELECT * FROM derivations WHERE entry_id = ?").bind(entry_id))
            .await?;
        row.as_ref().map(rows::derivation).transpose()
    }

    async fn list_derivations(&self, f: &DerivationFilter) -> Result<Vec<Derivation>> {
        let mut q = sql("SELECT * FROM derivations WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(vec![]);
            }
            q.push(" AND org_id IN ").push_list(orgs);
        }
        if let Some(p) = f.parent_dataset_id {
            q.push(" AND parent_dataset_id = ").push_bind(p);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        let rows = self.reader().all(q).await?;
        rows.iter().map(rows::derivation).collect()
    }

    async fn due_derivations(&self) -> Result<Vec<Derivation>> {
        let rows = self
            .reader()
            .all(sql("SELECT d.* FROM derivations d
                   JOIN catalog_entries e ON e.id = d.entry_id
                   JOIN datasets p ON p.id = d.parent_dataset_id
                  WHERE e.published_version IS NOT NULL AND e.state <> 'delisted'
                    AND p.current_version > 0
                    AND (d.dataset_id IS NULL OR p.current_version > d.parent_version)
                  ORDER BY d.id"))
            .await?;
        rows.iter().map(rows::derivation).collect()
    }

    async fn record_derivation(&self, id: i64, outcome: DerivationRefresh) -> Result<()> {
        let q = match outcome {
            DerivationRefresh::Done {
                dataset_id,
                parent_version,
            } => sql(
                "UPDATE derivations SET dataset_id = ?, parent_version = ?, last_refresh_at = ?,
                        last_error = NULL WHERE id = ?",
            )
            .bind(dataset_id)
            .bind(parent_version)
            .bind(now())
            .bind(id),
            DerivationRefresh::Failed(msg) => {
                sql("UPDATE derivations SET last_refresh_at = ?, last_error = ? WHERE id = ?")
                    .bind(now())
                    .bind(msg)
                    .bind(id)
            }
        };
        self.writer().run(q).await?;
        Ok(())
    }

    async fn record_reid_check(
        &self,
        c: NewReidCheck,
        audit_event: AuditEvent,
    ) -> Result<ReidCheck> {
        let mut tx = self.begin().await?;
        let row = tx
            .one(
                sql(
                    "INSERT INTO reid_checks (derivation_id, dataset_id, version, purpose,
                        k_threshold, passed, report, checked_by, checked_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                )
                .bind(c.derivation_id)
                .bind(c.dataset_id)
                .bind(c.version)
                .bind(c.purpose)
                .bind(i64::from(c.report.k))
                .bind(c.report.passed)
                .bind(Arg::json(&c.report))
                .bind(&c.checked_by)
                .bind(now()),
            )
            .await?;
        let check = rows::reid_check(&row)?;
        let mut ev = audit_event;
        ev.target = format!("derivation:{}", c.derivation_id);
        audit::<D>(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(check)
    }

    async fn reid_checks(&self, derivation_id: i64, limit: u32) -> Result<Vec<ReidCheck>> {
        let rows = self
            .reader()
            .all(
                sql("SELECT * FROM reid_checks WHERE derivation_id = ? ORDER BY id DESC LIMIT ?")
                    .bind(derivation_id)
                    .bind(i64::from(limit.max(1))),
            )
            .await?;
        rows.iter().map(rows::reid_check).collect()
    }

    async fn reid_withheld(&self, dataset_id: i64) -> Result<bool> {
        let mut q = sql("SELECT 1 AS withheld FROM datasets d WHERE d.id = ");
        q.push_bind(dataset_id).push(" AND ").push(REID_WITHHELD);
        Ok(self.reader().opt(q).await?.is_some())
    }

    async fn masking_rules(&self) -> Result<Vec<MaskingRule>> {
        let rows = self
            .reader()
            .all(sql("SELECT * FROM masking_rules ORDER BY position"))
            .await?;
        rows.iter().map(rows::masking_rule).collect()
    }

    async fn put_masking_rules(
        &self,
        rules: &[MaskingRule],
        by: &str,
        audit_event: Option<AuditEvent>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.run(sql("DELETE FROM masking_rules")).await?;
        for (i, r) in rules.iter().enumerate() {
            tx.run(
                sql(
                    "INSERT INTO masking_rules (position, words, rule, updated_by, updated_at)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(i as i64 + 1)
                .bind(Arg::json(&r.words))
                .bind(&r.rule)
                .bind(by)
                .bind(now()),
            )
            .await?;
        }
        if let Some(e) = audit_event {
            audit::<D>(&mut tx, &e).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
