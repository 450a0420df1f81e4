//! Recording retention: a center deletes each tenant's recordings past their retention
//! period (files and index entries) when it starts, and keeps everything else.

use std::time::Duration;

use cc_center::config::CenterConfig;
use cc_center::runtime::Center;
use cc_center::store::{RecordingEntry, Store};
use cc_core::{SignedDuration, TenantId, Timestamp};

fn entry(dir: &std::path::Path, tenant: &str, id: &str, days_ago: i64) -> RecordingEntry {
    let folder = dir.join("data/recordings").join(tenant);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(format!("{id}.wav"));
    std::fs::write(&path, b"RIFF....WAVE").unwrap();
    RecordingEntry {
        recording: id.parse().unwrap(),
        tenant: tenant.parse().unwrap(),
        contact: format!("c-{id}").parse().unwrap(),
        path: path.display().to_string(),
        layout: "stereo".into(),
        started_at: Timestamp::now()
            .checked_sub(SignedDuration::from_hours(24 * days_ago))
            .unwrap(),
        duration_ms: 1_000,
        bytes: 12,
        sha256: "00".repeat(32),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_recordings_are_deleted_per_tenant_retention() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let old_acme = entry(dir.path(), "acme", "old-acme", 40);
        let new_acme = entry(dir.path(), "acme", "new-acme", 2);
        let old_globex = entry(dir.path(), "globex", "old-globex", 400);
        // An expired entry whose file is already gone is still removed from the index.
        let gone_acme = entry(dir.path(), "acme", "gone-acme", 35);
        std::fs::remove_file(&gone_acme.path).unwrap();
        {
            let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
            for e in [&old_acme, &new_acme, &old_globex, &gone_acme] {
                store.add_recording(e).await.unwrap();
            }
            store.close().await;
        }
        let text = "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\n\
                    [rtp]\nport_min = 39800\nport_max = 39899\nworkers = 1\n\
                    [recording]\nretention_days = 30\n\
                    [[tenant]]\nid = \"acme\"\n\
                    [[tenant]]\nid = \"globex\"\nrecording_retention_days = 0\n";
        let path = dir.path().join("center.toml");
        std::fs::write(&path, text).unwrap();
        let config = CenterConfig::load(&path).unwrap();
        let center = Center::start(config).await.unwrap();
        // The sweep runs at start; wait for the file to go (bounded by the test's timeout).
        while std::path::Path::new(&old_acme.path).exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let handle = center.handle();
        handle.stop(Duration::from_secs(1)).await;
        center.wait().await;

        assert!(std::path::Path::new(&new_acme.path).exists());
        assert!(
            std::path::Path::new(&old_globex.path).exists(),
            "globex keeps forever"
        );
        let store = Store::open_file(&dir.path().join("data/ccd.db")).await.unwrap();
        let acme: TenantId = "acme".parse().unwrap();
        let globex: TenantId = "globex".parse().unwrap();
        assert_eq!(store.recordings(&acme).await.unwrap(), vec![new_acme]);
        assert_eq!(store.recordings(&globex).await.unwrap(), vec![old_globex]);
        store.close().await;
    })
    .await
    .expect("the test finishes within a minute");
}
