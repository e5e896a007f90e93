//! Table push (库表推送, SHR-7): the grantee registers its own database
//! (a SQLite file or a PostgreSQL URL); a leased background job writes the
//! granted view there on the grant's schedule, incrementally — only the
//! rows changed since the version the target holds — and all or nothing:
//! a failed push leaves the target at its previous version, is recorded on
//! the target, and is retried with a growing pause.

use chrono::{Duration, Utc};
use pubdata_domain::audit::Outcome;
use pubdata_domain::secret::SecretUrl;

use crate::secrets::SecretColumn;
use pubdata_domain::share::DeliveryMode;
use pubdata_store::target::PushWriter;
use pubdata_store::{Grant, PushTarget};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::access::MAX_PAGE;
use crate::error::{Result, ServiceError};
use crate::policy::Action;
use crate::principal::{Principal, Via};

/// Where the grantee wants the view.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushTargetInput {
    /// `sqlite:///path/file.db` or `postgres://user:password@host:port/db`.
    pub url: String,
    /// The table to write (created on the first push).
    pub table: String,
    /// Minutes between pushes, 5 to 10080 (a week); default 1440 (daily).
    #[serde(default)]
    pub every_minutes: Option<i64>,
}

/// What one push did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PushOutcome {
    pub grant_id: i64,
    /// The dataset version the target now holds.
    pub version: i64,
    pub upserted: u64,
    pub deleted: u64,
}

fn table_name_ok(t: &str) -> bool {
    let n = t.chars().count();
    (1..=63).contains(&n)
        && t.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !t.starts_with("_pubdata")
}

impl App {
    async fn table_grant(&self, id: i64) -> Result<Grant> {
        let g = self
            .store
            .get_grant(id)
            .await
            .map_err(ServiceError::not_found("grant"))?;
        if g.mode != DeliveryMode::Table {
            return Err(ServiceError::Conflict {
                code: "wrong_mode",
                detail: format!("grant {id} is for {}, not table push", g.mode.as_str()),
            });
        }
        Ok(g)
    }

    /// The grantee registers (or replaces) where its table-push grant writes.
    pub async fn set_push_target(
        &self,
        p: &Principal,
        grant_id: i64,
        t: PushTargetInput,
    ) -> Result<PushTarget> {
        let g = self.table_grant(grant_id).await?;
        self.authorize(p, Action::RequestShare(g.grantee_org))
            .await?;
        let url = t.url.trim();
        if !(url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ServiceError::invalid(
                "url",
                "sqlite:///path/file.db or postgres://user:password@host:port/database",
            ));
        }
        let table = t.table.trim();
        if !table_name_ok(table) {
            return Err(ServiceError::invalid(
                "table",
                "1 to 63 letters, digits or _ (not starting with _pubdata)",
            ));
        }
        let every = t.every_minutes.unwrap_or(1440);
        if !(5..=10080).contains(&every) {
            return Err(ServiceError::invalid("every_minutes", "5 to 10080"));
        }
        let target = PushTarget {
            grant_id,
            url: SecretUrl::new(url),
            table_name: table.to_string(),
            every_minutes: every,
            pushed_version: 0,
            last_push_at: None,
            last_error: None,
            failures: 0,
            next_at: Utc::now(),
            created_by: p.name.clone(),
            created_at: Utc::now(),
        };
        let event = p.event(
            "grant.push_target",
            format!("grant:{grant_id}"),
            Outcome::Success,
            json!({"url": target.url.redacted(), "table": table, "every_minutes": every}),
        );
        let sealed = PushTarget {
            url: SecretUrl::new(self.seal_secret(SecretColumn::PushTargetUrl, url).await?),
            ..target
        };
        self.store.put_push_target(&sealed, event).await?;
        self.push_target(p, grant_id).await
    }

    /// A grant's push target and how far it got (both sides).
    pub async fn push_target(&self, p: &Principal, grant_id: i64) -> Result<PushTarget> {
        let g = self.table_grant(grant_id).await?;
        self.authorize(
            p,
            Action::ViewShare {
                requester: g.grantee_org,
                source: g.source_org,
            },
        )
        .await?;
        let t = self
            .store
            .push_target(grant_id)
            .await?
            .ok_or(ServiceError::NotFound {
                what: "push target",
            })?;
        let url = self.open_secret(SecretColumn::PushTargetUrl, t.url.expose())?;
        Ok(PushTarget {
            url: SecretUrl::new(url),
            ..t
        })
    }

    /// Pushes now, at the grantee's request.
    pub async fn push_now(&self, p: &Principal, grant_id: i64) -> Result<PushOutcome> {
        let g = self.table_grant(grant_id).await?;
        self.authorize(p, Action::RequestShare(g.grantee_org))
            .await?;
        let target = self.push_target(p, grant_id).await?;
        self.push_recorded(p, &g, &target).await
    }

    /// Runs the pushes that are due (the leased `pushes` job).
    pub async fn run_due_pushes(&self) -> Result<usize> {
        let due = self.store.due_push_targets(Utc::now()).await?;
        let mut n = 0;
        for target in due {
            let Ok(g) = self.store.get_grant(target.grant_id).await else {
                continue;
            };
            let org = self.store.get_org(g.grantee_org).await?;
            let p = Principal {
                user_id: None,
                name: "system:push".into(),
                display_name: "库表推送".into(),
                kind: "system",
                org: Some(org),
                roles: vec![],
                via: Via::Bearer,
                client_ip: None,
            };
            match self.push_recorded(&p, &g, &target).await {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(grant = g.id, error = %e, "table push failed"),
            }
        }
        Ok(n)
    }

    /// One push with its outcome recorded on the target (and the next
    /// attempt scheduled: the grant's interval, or a growing pause after a
    /// failure — 1, 2, 4 … up to 60 minutes).
    async fn push_recorded(
        &self,
        p: &Principal,
        g: &Grant,
        target: &PushTarget,
    ) -> Result<PushOutcome> {
        let done = self.push_once(p, g, target).await;
        let (outcome, next) = match &done {
            Ok(o) => (Ok(o.version), Duration::minutes(target.every_minutes)),
            Err(e) => {
                let pause = 1i64 << target.failures.clamp(0, 6);
                (Err(e.to_string()), Duration::minutes(pause.min(60)))
            }
        };
        self.store
            .record_push(g.id, outcome, Utc::now() + next)
            .await?;
        done
    }

    async fn push_once(
        &self,
        p: &Principal,
        g: &Grant,
        target: &PushTarget,
    ) -> Result<PushOutcome> {
        let d = self.load_dataset(g.dataset_id).await?;
        let (since, upto) = (target.pushed_version, d.current_version);
        let mut outcome = PushOutcome {
            grant_id: g.id,
            version: upto,
            upserted: 0,
            deleted: 0,
        };
        if since >= upto {
            return Ok(outcome);
        }
        let columns = g.scope().fields;
        // Sealed at rest: opened here, where the connection is made.
        let url = self.open_secret(SecretColumn::PushTargetUrl, target.url.expose())?;
        let mut writer = PushWriter::begin(&url, &target.table_name, &columns)
            .await
            .map_err(|e| ServiceError::Conflict {
                code: "push_target_failed",
                detail: format!("the push target refused: {e}"),
            })?;
        let mut after: Option<String> = None;
        loop {
            let page = self
                .read_shared_changes(p, &d, g.id, (since, upto), after.as_deref(), MAX_PAGE)
                .await?;
            if page.columns != columns {
                return Err(ServiceError::Internal("the granted view changed".into()));
            }
            writer
                .apply(&page.rows)
                .await
                .map_err(|e| ServiceError::Conflict {
                    code: "push_target_failed",
                    detail: format!("writing the push target failed: {e}"),
                })?;
            for (_, v) in &page.rows {
                if v.is_some() {
                    outcome.upserted += 1;
                } else {
                    outcome.deleted += 1;
                }
            }
            if page.rows.len() < MAX_PAGE as usize {
                break;
            }
            after = page.rows.last().map(|(k, _)| k.clone());
        }
        writer
            .commit(g.id, upto)
            .await
            .map_err(|e| ServiceError::Conflict {
                code: "push_target_failed",
                detail: format!("committing the push target failed: {e}"),
            })?;
        Ok(outcome)
    }
}
