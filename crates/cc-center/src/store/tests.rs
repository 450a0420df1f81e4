use cc_core::{Channel, Contact, Direction, Disposition};

use super::*;

fn record(tenant: &str, contact: &str, at: &str) -> ContactRecord {
    let mut r = ContactRecord::open(
        &Contact::new(
            contact.parse().unwrap(),
            tenant.parse().unwrap(),
            Channel::Voice,
            Direction::Inbound,
        ),
        at.parse().unwrap(),
    );
    r.queue = Some("support".parse().unwrap());
    r.enqueued_at = Some(r.arrived_at.checked_add(jiff_secs(10)).unwrap());
    r.answered_at = Some(r.arrived_at.checked_add(jiff_secs(25)).unwrap());
    r.close(
        r.arrived_at.checked_add(jiff_secs(125)).unwrap(),
        Disposition::Answered,
    );
    r
}

fn jiff_secs(s: i64) -> cc_core::SignedDuration {
    cc_core::SignedDuration::from_secs(s)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn records_round_trip_and_stay_with_their_tenant() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let store = Store::open_file(&dir.path().join("cc.db")).await.unwrap();
        let a = record("acme", "c-1", "2026-11-23T02:00:00Z");
        let b = record("globex", "c-2", "2026-11-23T02:01:00Z");
        let leg = LegRecord {
            contact: a.contact.clone(),
            tenant: a.tenant.clone(),
            leg: 0,
            role: "caller".into(),
            party: Some("+8613800138000".into()),
            started_at: a.arrived_at,
            answered_at: a.answered_at,
            ended_at: a.ended_at,
            end_cause: Some("bye".into()),
        };
        store.save_record(&a, std::slice::from_ref(&leg)).await.unwrap();
        store.save_record(&b, &[]).await.unwrap();

        let acme: TenantId = "acme".parse().unwrap();
        let globex: TenantId = "globex".parse().unwrap();
        assert_eq!(store.record(&acme, &a.contact).await.unwrap(), Some(a.clone()));
        // Another tenant's contact is not found, not leaked.
        assert_eq!(store.record(&acme, &b.contact).await.unwrap(), None);
        assert_eq!(store.record(&globex, &a.contact).await.unwrap(), None);
        let all = store
            .records(
                &acme,
                "2026-01-01T00:00:00Z".parse().unwrap(),
                "2027-01-01T00:00:00Z".parse().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(all, vec![a.clone()]);
        assert_eq!(store.legs(&acme, &a.contact).await.unwrap(), vec![leg]);
        assert!(store.legs(&globex, &a.contact).await.unwrap().is_empty());
        assert_eq!(store.count_records(&globex).await.unwrap(), 1);
        store.close().await;
    });
}

#[test]
fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cc.db");
    rt().block_on(async {
        let store = Store::open_file(&path).await.unwrap();
        store
            .save_record(&record("acme", "c-1", "2026-11-23T02:00:00Z"), &[])
            .await
            .unwrap();
        store
            .agent_state("1001", "ready", None, "2026-11-23T02:00:00Z".parse().unwrap())
            .await
            .unwrap();
        store
            .agent_state(
                "1001",
                "not_ready",
                Some("lunch"),
                "2026-11-23T04:00:00Z".parse().unwrap(),
            )
            .await
            .unwrap();
        store.close().await;
        let store = Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert_eq!(store.count_records(&"acme".parse().unwrap()).await.unwrap(), 1);
        let history = store.agent_history("1001").await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].1.as_deref(), Some("lunch"));
        store.close().await;
    });
}

#[test]
fn recordings_index_is_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let store = Store::open_file(&dir.path().join("cc.db")).await.unwrap();
        let entry = RecordingEntry {
            recording: "r-1".parse().unwrap(),
            tenant: "acme".parse().unwrap(),
            contact: "c-1".parse().unwrap(),
            path: "/data/acme/r-1.wav".into(),
            layout: "stereo".into(),
            started_at: "2026-11-23T02:00:00Z".parse().unwrap(),
            duration_ms: 61_000,
            bytes: 1_952_044,
            sha256: "ab".repeat(32),
        };
        store.add_recording(&entry).await.unwrap();
        store
            .audit(
                Some(&entry.tenant),
                entry.started_at,
                "supervisor:7",
                "listen",
                "c-1",
            )
            .await
            .unwrap();
        assert_eq!(
            store.recordings(&"acme".parse().unwrap()).await.unwrap(),
            vec![entry]
        );
        assert!(
            store
                .recordings(&"globex".parse().unwrap())
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
    });
}

#[test]
fn refuses_other_urls() {
    let err = rt().block_on(Store::open("mysql://x")).unwrap_err();
    assert!(err.to_string().contains("sqlite://"), "{err}");
}

#[test]
fn stored_timestamps_sort_as_text_in_time_order() {
    let a: Timestamp = "2026-11-23T02:00:25Z".parse().unwrap();
    let b: Timestamp = "2026-11-23T02:00:25.5Z".parse().unwrap();
    assert!(ts(a) < ts(b), "{} {}", ts(a), ts(b));
    assert_eq!(ts(a).len(), ts(b).len());
    assert_eq!(parse_ts(&ts(b)).unwrap(), b);
}

#[test]
fn the_postgres_dialect_widens_integers_and_serial_ids() {
    let sql = super::schema::postgres(super::schema::SQLITE[0].2);
    assert!(sql.contains("id           BIGSERIAL PRIMARY KEY"), "{sql}");
    assert!(sql.contains("wait_ms      BIGINT"), "{sql}");
    assert!(
        !sql.contains("INTEGER") && !sql.contains("AUTOINCREMENT"),
        "{sql}"
    );
}
