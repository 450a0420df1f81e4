//! What the center's end-to-end tests share: a written and checked configuration, the
//! simulated phones' media engine, and a tenant's stored records.
#![allow(dead_code)] // each test binary uses its own part

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use cc_center::config::CenterConfig;
use cc_center::store::Store;
use cc_core::{ContactRecord, TenantId};
use cc_media::engine::{EngineConfig, MediaEngine};

/// Where every test runs.
pub(crate) const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Writes `text` as `dir/center.toml`, loads it and asserts it has no error (warnings
/// pass).
pub(crate) fn checked_config(dir: &Path, text: &str) -> CenterConfig {
    let path = dir.join("center.toml");
    std::fs::write(&path, text).unwrap();
    let config = CenterConfig::load(&path).unwrap();
    let errors: Vec<_> = config
        .check()
        .into_iter()
        .filter(|p| p.severity == cc_ivr::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    config
}

/// A media engine for simulated phones on RTP ports `base..base + 199`.
pub(crate) fn phones(base: u16) -> MediaEngine {
    MediaEngine::start(EngineConfig {
        workers: 1,
        ..EngineConfig::new(LOCAL, base, base + 199)
    })
    .unwrap()
}

/// Every stored record of `tenant`, oldest first.
pub(crate) async fn all_records(store: &Store, tenant: &TenantId) -> Vec<ContactRecord> {
    store
        .records(
            tenant,
            "2000-01-01T00:00:00Z".parse().unwrap(),
            "2100-01-01T00:00:00Z".parse().unwrap(),
        )
        .await
        .unwrap()
}
