//! Recordings a crash left behind: `.wav.part` files whose header the recorder kept
//! current every half second, and `.opus.part` files whose Ogg pages are whole up to the last
//! half second. At start they become `.wav` / `.opus` files in the index, marked `recovered`,
//! so no conversation that was recorded is lost from view.

use std::fmt::Write as _;
use std::path::Path;

use cc_core::{ContactId, RecordingId, TenantId, Timestamp};
use cc_media::recorder::PART_SUFFIX;
use sha2::{Digest, Sha256};

use crate::store::RecordingEntry;

/// Finalizes every `.part` file under `root` (one folder per tenant); returns what to
/// index.
pub(crate) fn recover(root: &Path) -> Vec<RecordingEntry> {
    let mut found = Vec::new();
    let Ok(tenants) = std::fs::read_dir(root) else {
        return found;
    };
    for tenant_dir in tenants.flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
        let Some(tenant) = tenant_dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<TenantId>().ok())
        else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(&tenant_dir) else {
            continue;
        };
        for part in files.flatten().map(|e| e.path()) {
            let Some(name) = part.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(done_name) = name.strip_suffix(PART_SUFFIX) else {
                continue;
            };
            match finalize(&part, &tenant_dir.join(done_name), &tenant) {
                Ok(entry) => found.push(entry),
                Err(e) => tracing::warn!(file = %part.display(), error = %e, "cannot recover a recording"),
            }
        }
    }
    found
}

fn finalize(part: &Path, done: &Path, tenant: &TenantId) -> Result<RecordingEntry, String> {
    let stem = done.file_stem().and_then(|s| s.to_str()).ok_or("no file name")?;
    let recording: RecordingId = stem.parse().map_err(|e: cc_core::Error| e.to_string())?;
    // Ids are `rec-<contact>-<n>` or `vm-<contact>`.
    let contact_text = stem
        .strip_prefix("rec-")
        .and_then(|s| s.rsplit_once('-').map(|(c, _)| c))
        .or_else(|| stem.strip_prefix("vm-"))
        .unwrap_or(stem);
    let contact: ContactId = contact_text.parse().map_err(|e: cc_core::Error| e.to_string())?;
    let (channels, duration_ms) = if done.extension().is_some_and(|e| e == "opus") {
        let audio = cc_media::recorder::read_ogg_opus(part).map_err(|e| e.to_string())?;
        let frames = audio.samples.len() as u64 / u64::from(audio.channels.max(1));
        (
            audio.channels,
            frames * 1000 / u64::from(audio.sample_rate.max(1)),
        )
    } else {
        let reader = hound::WavReader::open(part).map_err(|e| e.to_string())?;
        let spec = reader.spec();
        let ms = u64::from(reader.duration()) * 1000 / u64::from(spec.sample_rate.max(1));
        (spec.channels, ms)
    };
    std::fs::rename(part, done).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(done).map_err(|e| e.to_string())?;
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
    let started_at = std::fs::metadata(done)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok())
        .and_then(|t| {
            t.checked_sub(cc_core::SignedDuration::from_millis(duration_ms as i64))
                .ok()
        })
        .unwrap_or_else(Timestamp::now);
    Ok(RecordingEntry {
        recording,
        tenant: tenant.clone(),
        contact,
        path: done.display().to_string(),
        layout: if channels == 2 {
            "stereo (recovered)"
        } else {
            "mixed (recovered)"
        }
        .to_owned(),
        started_at,
        duration_ms,
        bytes: bytes.len() as u64,
        sha256,
    })
}
