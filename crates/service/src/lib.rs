//! Use cases of pubdata, per area, behind one [`App`].
//!
//! Every use case takes the calling [`Principal`], asks the one policy
//! ([`policy::authorize`]) and lets the store write the change together with
//! its audit record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use pubdata_domain::calendar::Calendar;
use pubdata_domain::org::Role;
use pubdata_store::{RoleGrant, Store};

pub mod access;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod base;
pub mod calendar;
pub mod cases;
pub mod catalog;
pub mod catalog_export;
pub mod checkpoint;
pub mod collection;
pub mod demo;
pub mod disputes;
pub mod error;
pub mod ingest;
pub mod jobs;
mod journal;
pub mod json;
pub mod objections;
pub mod open;
pub mod open_proposals;
pub mod operation;
pub mod org_tree;
pub mod orgs;
pub mod policy;
pub mod principal;
pub mod procurement;
pub mod projects;
pub mod reminders;
pub use pubdata_domain::reident;
pub mod s3;
pub mod secrets;
pub mod security;
pub mod sharing;
pub mod supervision;
pub mod violations;

pub use error::{FieldError, Result, ServiceError};

/// The entities and filters the use cases take and return. They are defined
/// beside the store's queries and re-exported here, so that callers (the web
/// crate, the binary) depend on the service alone, never on the store.
pub mod model {
    pub use pubdata_store::model::*;
    /// A stored timestamp (RFC 3339 text, as audit records keep it) as a time.
    pub use pubdata_store::parse_time;
}
pub use principal::{Principal, Via};

/// The platform's use cases and their shared state.
pub struct App {
    pub(crate) store: Arc<dyn Store>,
    calendar: RwLock<Arc<Calendar>>,
    /// Held while the calendar is read from the store and set: a reload
    /// that read before a change cannot overwrite one that read after it.
    calendar_load: tokio::sync::Mutex<()>,
    tree: RwLock<orgs::TreeCache>,
    /// This process among the servers of the platform (job leases).
    instance: String,
    /// Where the backup job writes, if anywhere.
    backup_dir: RwLock<Option<std::path::PathBuf>>,
    /// Whom backups are encrypted to and where copies go off-site.
    backup_target: RwLock<backup::Target>,
    /// The key audit checkpoints are signed with, if any.
    checkpoint_key: RwLock<Option<Arc<checkpoint::CheckpointKey>>>,
    /// The key stored secrets are sealed with, if any.
    secret_key: RwLock<Option<Arc<secrets::SecretKey>>>,
    principals: Mutex<HashMap<String, (Principal, Instant)>>,
    token_uses: Mutex<HashMap<i64, DateTime<Utc>>>,
    dummy_hash: String,
    /// Group commit of access records (reads through grants).
    journal: journal::Journal,
    /// Rate limits and probing watch of grants.
    limits: Mutex<access::Limits>,
    /// The open data portal's client key and rate buckets.
    open: open::OpenState,
    /// Unusual-access detection thresholds.
    security: security::SecurityState,
}

impl App {
    /// Builds the app on an opened store and loads the calendar.
    pub async fn new(store: Arc<dyn Store>) -> Result<Arc<App>> {
        let mut app = App {
            store: store.clone(),
            calendar: RwLock::new(Arc::new(Calendar::default())),
            calendar_load: tokio::sync::Mutex::new(()),
            tree: RwLock::new(orgs::TreeCache::default()),
            instance: jobs::instance_name(),
            backup_dir: RwLock::new(None),
            backup_target: RwLock::new(backup::Target::default()),
            checkpoint_key: RwLock::new(None),
            secret_key: RwLock::new(None),
            principals: Mutex::new(HashMap::new()),
            token_uses: Mutex::new(HashMap::new()),
            dummy_hash: String::new(),
            journal: journal::Journal::start(store.clone()),
            limits: Mutex::new(access::Limits::default()),
            open: open::OpenState::default(),
            security: security::SecurityState::default(),
        };
        app.dummy_hash = app.hash_password("pubdata-no-such-user").await?;
        app.load_calendar().await?;
        app.seed_catalog_scheme().await?;
        app.seed_masking_rules().await?;
        app.seed_synonyms().await?;
        Ok(Arc::new(app))
    }
}

impl App {
    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// The console operator (`pubdata import`) acting for the organisation
    /// that owns dataset `id`: whoever runs the binary on the server holds
    /// the database anyway, and acts as that source department.
    pub async fn console_operator_for_dataset(&self, id: i64) -> Result<Principal> {
        let d = self
            .store
            .get_dataset(id)
            .await
            .map_err(ServiceError::not_found("dataset"))?;
        Ok(Principal::command_line(self.store.get_org(d.org_id).await?))
    }

    /// The organisation with this code, if any (the console's `user create-admin`).
    pub async fn org_by_code(&self, code: &str) -> Result<Option<pubdata_store::Org>> {
        Ok(self.store.get_org_by_code(code).await?)
    }
}

impl Principal {
    /// The console operator acting as an organisation's data administrator.
    pub fn command_line(org: pubdata_store::Org) -> Principal {
        let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Principal {
            user_id: None,
            name: format!("cli:{user}"),
            display_name: format!("命令行 {user}"),
            kind: "command_line",
            roles: vec![RoleGrant {
                id: 0,
                user_id: 0,
                role: Role::AgencyDataAdmin,
                org_id: org.id,
            }],
            org: Some(org),
            via: Via::CommandLine,
            client_ip: None,
        }
    }

    /// The platform itself, for seeding and scheduled work.
    pub fn system() -> Principal {
        Principal {
            user_id: None,
            name: "system".into(),
            display_name: "system".into(),
            kind: "system",
            org: None,
            roles: vec![RoleGrant {
                id: 0,
                user_id: 0,
                role: Role::PlatformAdmin,
                org_id: 0,
            }],
            via: Via::Bearer,
            client_ip: None,
        }
    }
}
