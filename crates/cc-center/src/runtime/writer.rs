//! The storage writer: one task that writes records, recordings and agent states in the
//! order they happen, so call control never waits for the disk.

use cc_core::{ContactRecord, TenantId, Timestamp};
use tokio::sync::mpsc;

use crate::store::{LegRecord, RecordingEntry, Store};

/// One write.
#[derive(Debug)]
pub(crate) enum Job {
    Record(Box<ContactRecord>, Vec<LegRecord>),
    Recording(RecordingEntry),
    AgentState {
        agent: String,
        state: String,
        reason: Option<String>,
        at: Timestamp,
    },
    Audit {
        tenant: Option<TenantId>,
        at: Timestamp,
        actor: String,
        action: String,
        detail: String,
    },
    /// Delete the tenant's recordings that started before `before` (retention).
    Purge {
        tenant: TenantId,
        before: Timestamp,
    },
}

/// Runs until every sender is gone, then closes the database.
pub(crate) async fn run(store: Store, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        let result = match &job {
            Job::Record(record, legs) => store.save_record(record, legs).await,
            Job::Recording(entry) => store.add_recording(entry).await,
            Job::AgentState {
                agent,
                state,
                reason,
                at,
            } => store.agent_state(agent, state, reason.as_deref(), *at).await,
            Job::Audit {
                tenant,
                at,
                actor,
                action,
                detail,
            } => store.audit(tenant.as_ref(), *at, actor, action, detail).await,
            Job::Purge { tenant, before } => match super::retention::purge(&store, tenant, *before).await {
                Ok(0) => Ok(()),
                Ok(n) => {
                    tracing::info!(%tenant, count = n, "deleted recordings past their retention");
                    let detail = format!("{{\"count\":{n},\"before\":\"{before}\"}}");
                    store
                        .audit(
                            Some(tenant),
                            Timestamp::now(),
                            "ccd",
                            "recordings_purged",
                            &detail,
                        )
                        .await
                }
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            tracing::error!(error = %e, ?job, "storage write failed");
        }
    }
    store.close().await;
}
