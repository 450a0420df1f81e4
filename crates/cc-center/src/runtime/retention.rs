//! Recording retention: each tenant's recordings older than its retention period are
//! deleted — the file first, then the index entry, so a crash between the two leaves an
//! entry the next sweep removes, never a file nothing points to.

use cc_core::{SignedDuration, TenantId, Timestamp};

use crate::config::CenterConfig;
use crate::store::{Store, StoreError};

/// How often the center sweeps (and once at start).
pub(crate) const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Entries handled per query, so a large backlog does not load at once.
const BATCH: u32 = 500;

/// `(tenant, cut-off)` for every tenant whose recordings expire: recordings that started
/// before the cut-off are due.
pub(crate) fn cutoffs(config: &CenterConfig, now: Timestamp) -> Vec<(TenantId, Timestamp)> {
    config
        .tenants
        .iter()
        .filter_map(|t| {
            let days = t
                .recording_retention_days
                .unwrap_or(config.recording.retention_days);
            if days == 0 {
                return None;
            }
            let keep = SignedDuration::from_hours(i64::from(days) * 24);
            Some((t.id.clone(), now.checked_sub(keep).ok()?))
        })
        .collect()
}

/// Deletes a tenant's recordings that started before `before`; returns how many went.
/// A file already gone counts as deleted; one that cannot be deleted keeps its entry (and
/// is retried at the next sweep).
pub(crate) async fn purge(store: &Store, tenant: &TenantId, before: Timestamp) -> Result<usize, StoreError> {
    let mut purged = 0;
    loop {
        let due = store.recordings_before(tenant, before, BATCH).await?;
        let mut progressed = false;
        for entry in &due {
            match std::fs::remove_file(&entry.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %entry.path, error = %e, "cannot delete an expired recording");
                    continue;
                }
            }
            if store.remove_recording(tenant, &entry.recording).await? {
                purged += 1;
                progressed = true;
            }
        }
        if due.len() < BATCH as usize || !progressed {
            return Ok(purged);
        }
    }
}
