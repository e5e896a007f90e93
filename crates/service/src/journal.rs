//! Group commit of access records (审计留痕, SEC-3).
//!
//! A read through a grant leaves only after its access record is committed.
//! Committing one transaction per read would make the audit chain the
//! bottleneck, so concurrent reads hand their records to one writer task,
//! which takes every record waiting, appends them (and the grants' usage
//! counts) in one transaction, and then answers each read. While one group
//! commits the next gathers, so a busy server writes few large transactions
//! and an idle one writes at once; a crash loses no acknowledged read,
//! because no read was answered before its group committed.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use pubdata_domain::audit::AuditEvent;
use pubdata_store::{GrantUsage, Store};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, ServiceError};

/// At most this many records in one transaction.
const MAX_GROUP: usize = 512;

/// One read's record: the audit event and, for a read through a grant, the
/// (grant, China day, rows) it adds to the grant's usage.
pub(crate) struct Entry {
    pub event: AuditEvent,
    pub usage: Option<(i64, NaiveDate, i64)>,
}

type Waiting = (Entry, oneshot::Sender<std::result::Result<(), bool>>);

/// The handle reads write through.
pub(crate) struct Journal {
    tx: mpsc::Sender<Waiting>,
}

impl Journal {
    /// Starts the writer task on the current runtime.
    pub(crate) fn start(store: Arc<dyn Store>) -> Journal {
        let (tx, rx) = mpsc::channel::<Waiting>(8 * MAX_GROUP);
        tokio::spawn(write_groups(store, rx));
        Journal { tx }
    }

    /// Commits `entry` with the others waiting; returns once it is durable.
    pub(crate) async fn commit(&self, entry: Entry) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((entry, done))
            .await
            .map_err(|_| ServiceError::Unavailable)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            // The writer reported the database unavailable, or went away.
            Ok(Err(true)) | Err(_) => Err(ServiceError::Unavailable),
            Ok(Err(false)) => Err(ServiceError::Internal(
                "the access record could not be written".into(),
            )),
        }
    }
}

async fn write_groups(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Waiting>) {
    let mut group: Vec<Waiting> = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let mut events: Vec<AuditEvent> = Vec::with_capacity(group.len());
        let mut waiting = Vec::with_capacity(group.len());
        let mut usage: BTreeMap<(i64, NaiveDate), (i64, i64)> = BTreeMap::new();
        for (e, done) in group.drain(..) {
            if let Some((grant, day, rows)) = e.usage {
                let u = usage.entry((grant, day)).or_default();
                u.0 += 1;
                u.1 += rows;
            }
            events.push(e.event);
            waiting.push(done);
        }
        let usage: Vec<GrantUsage> = usage
            .into_iter()
            .map(|((grant_id, day), (reads, rows_out))| GrantUsage {
                grant_id,
                day,
                reads,
                rows_out,
            })
            .collect();
        let records = events.len();
        let outcome = match store.record_access(events, usage).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, records, "access records not written");
                Err(e.is_unavailable())
            }
        };
        for done in waiting {
            let _ = done.send(outcome);
        }
    }
}
