//! Group commit of access records on PostgreSQL (`ShareStore::record_access`).
//!
//! The generic path sends a statement per step and a multi-row `INSERT`
//! whose text (and so its server-side prepared statement) changes with the
//! group's size. Here a group is four round trips whatever its size, each a
//! statement prepared once per connection: `BEGIN`, the chain head locked,
//! one statement that inserts the records and the usage counts from arrays
//! (`UNNEST`) and moves the head, `COMMIT`.

use chrono::NaiveDate;
use pubdata_domain::audit::{AuditEvent, record_hash_of};

use super::PgStore;
use crate::sql::{crypto_profile_of, now};
use crate::{GrantUsage, Result, fmt_time};

const APPEND: &str = "
WITH records AS (
    INSERT INTO audit_log (id, at, actor, actor_user_id, org_id, action, target, outcome,
                           detail, client_ip, prev_hash, hash)
    SELECT r.id, $1, r.actor, r.actor_user_id, r.org_id, r.action, r.target, r.outcome,
           r.detail, r.client_ip, r.prev_hash, r.hash
    FROM UNNEST($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
                $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
         AS r(id, actor, actor_user_id, org_id, action, target, outcome, detail, client_ip,
              prev_hash, hash)
), counts AS (
    INSERT INTO grant_usage (grant_id, day, reads, rows_out)
    SELECT * FROM UNNEST($13::bigint[], $14::date[], $15::bigint[], $16::bigint[])
    ON CONFLICT (grant_id, day) DO UPDATE
    SET reads = grant_usage.reads + excluded.reads,
        rows_out = grant_usage.rows_out + excluded.rows_out
)
UPDATE audit_head SET last_id = $17, last_hash = $18 WHERE one = 1";

/// A group's records as columns, hashed into the chain after `(id, hash)`.
#[derive(Default)]
struct Columns {
    id: Vec<i64>,
    actor: Vec<String>,
    actor_user_id: Vec<Option<i64>>,
    org_id: Vec<Option<i64>>,
    action: Vec<String>,
    target: Vec<String>,
    outcome: Vec<String>,
    detail: Vec<String>,
    client_ip: Vec<Option<String>>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
}

impl PgStore {
    pub(super) async fn write_access(
        &self,
        events: Vec<AuditEvent>,
        usage: Vec<GrantUsage>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let (mut id, mut hash, profile): (i64, String, String) = sqlx::query_as(
            "SELECT last_id, last_hash, crypto_profile FROM audit_head WHERE one = 1 FOR UPDATE",
        )
        .fetch_one(&mut *tx)
        .await?;
        let profile = crypto_profile_of(&profile)?;
        let at = now();
        let at_text = fmt_time(at);
        let mut c = Columns::default();
        for e in events {
            id += 1;
            let prev = std::mem::take(&mut hash);
            // Serialized once: hashed and stored as the same text.
            let detail = e.detail.to_string();
            hash = record_hash_of(profile, &prev, id, &at_text, &e, &detail);
            c.id.push(id);
            c.actor.push(e.actor);
            c.actor_user_id.push(e.actor_user_id);
            c.org_id.push(e.org_id);
            c.action.push(e.action);
            c.target.push(e.target);
            c.outcome.push(e.outcome.as_str().to_string());
            c.detail.push(detail);
            c.client_ip.push(e.client_ip);
            c.prev_hash.push(prev);
            c.hash.push(hash.clone());
        }
        let (mut grant, mut day, mut reads, mut rows_out) =
            (Vec::new(), Vec::<NaiveDate>::new(), Vec::new(), Vec::new());
        for u in usage {
            grant.push(u.grant_id);
            day.push(u.day);
            reads.push(u.reads);
            rows_out.push(u.rows_out);
        }
        sqlx::query(APPEND)
            .bind(at)
            .bind(c.id)
            .bind(c.actor)
            .bind(c.actor_user_id)
            .bind(c.org_id)
            .bind(c.action)
            .bind(c.target)
            .bind(c.outcome)
            .bind(c.detail)
            .bind(c.client_ip)
            .bind(c.prev_hash)
            .bind(c.hash)
            .bind(grant)
            .bind(day)
            .bind(reads)
            .bind(rows_out)
            .bind(id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
