//! The store behaves the same on SQLite and on a real PostgreSQL server: one code path, the
//! same checks run against both.

#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod postgres;

use cc_center::store::{Backend, LegRecord, RecordingEntry, Store};
use cc_core::{Channel, Contact, ContactRecord, Direction, Disposition, SignedDuration, TenantId, Timestamp};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn record(tenant: &str, contact: &str, arrived: &str) -> ContactRecord {
    let mut r = ContactRecord::open(
        &Contact::new(
            contact.parse().unwrap(),
            tenant.parse().unwrap(),
            Channel::Voice,
            Direction::Inbound,
        ),
        at(arrived),
    );
    let after = |s| r.arrived_at.checked_add(SignedDuration::from_secs(s)).unwrap();
    r.queue = Some("support".parse().unwrap());
    r.enqueued_at = Some(after(10));
    r.answered_at = Some(after(25));
    r.close(after(125), Disposition::Answered);
    r
}

fn leg(r: &ContactRecord, n: u32, role: &str) -> LegRecord {
    LegRecord {
        contact: r.contact.clone(),
        tenant: r.tenant.clone(),
        leg: n,
        role: role.into(),
        party: Some(format!("party-{n}")),
        started_at: r.arrived_at,
        answered_at: r.answered_at,
        ended_at: r.ended_at,
        end_cause: Some("bye".into()),
    }
}

/// Everything the center asks of its store, checked on one backend.
async fn exercise(url: &str, backend: Backend) {
    let store = Store::open(url).await.unwrap();
    assert_eq!(store.backend(), backend);
    let acme: TenantId = "acme".parse().unwrap();
    let globex: TenantId = "globex".parse().unwrap();

    // Records and legs round trip; a second save replaces (upsert), legs included.
    let mut a = record("acme", "c-1", "2026-11-23T02:00:00Z");
    store.save_record(&a, &[leg(&a, 0, "caller")]).await.unwrap();
    a.disposition = Some(Disposition::Abandoned {
        waited_ms: 15_000,
        stage: cc_core::AbandonStage::Queue,
    });
    store
        .save_record(&a, &[leg(&a, 0, "caller"), leg(&a, 1, "agent")])
        .await
        .unwrap();
    assert_eq!(store.record(&acme, &a.contact).await.unwrap(), Some(a.clone()));
    let legs = store.legs(&acme, &a.contact).await.unwrap();
    assert_eq!(legs, vec![leg(&a, 0, "caller"), leg(&a, 1, "agent")]);

    // Time ranges, ordering, tenants.
    let b = record("acme", "c-2", "2026-11-23T01:00:00Z");
    let g = record("globex", "c-3", "2026-11-23T01:30:00Z");
    store.save_record(&b, &[]).await.unwrap();
    store.save_record(&g, &[leg(&g, 0, "caller")]).await.unwrap();
    let all = store
        .records(&acme, at("2026-11-23T00:00:00Z"), at("2026-11-24T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(all, vec![b.clone(), a.clone()]);
    let early = store
        .records(&acme, at("2026-11-23T00:00:00Z"), at("2026-11-23T02:00:00Z"))
        .await
        .unwrap();
    assert_eq!(early, vec![b.clone()]);
    assert_eq!(store.record(&acme, &g.contact).await.unwrap(), None);
    assert!(store.legs(&acme, &g.contact).await.unwrap().is_empty());
    assert_eq!(store.count_records(&acme).await.unwrap(), 2);
    assert_eq!(store.count_records(&globex).await.unwrap(), 1);

    // Recordings index, per tenant.
    let entry = RecordingEntry {
        recording: "r-1".parse().unwrap(),
        tenant: acme.clone(),
        contact: a.contact.clone(),
        path: "/data/recordings/acme/r-1.wav".into(),
        layout: "stereo".into(),
        started_at: a.answered_at.unwrap(),
        duration_ms: 100_000,
        bytes: 3_200_044,
        sha256: "ab".repeat(32),
    };
    store.add_recording(&entry).await.unwrap();
    store.add_recording(&entry).await.unwrap();
    assert_eq!(store.recordings(&acme).await.unwrap(), vec![entry.clone()]);
    assert!(store.recordings(&globex).await.unwrap().is_empty());

    // Agent history keeps order; the audit log takes center-wide and tenant entries.
    for (state, reason) in [("ready", None), ("not_ready", Some("lunch")), ("ready", None)] {
        store
            .agent_state("1001", state, reason, at("2026-11-23T03:00:00Z"))
            .await
            .unwrap();
    }
    let history = store.agent_history("1001").await.unwrap();
    let states: Vec<_> = history
        .iter()
        .map(|(s, r, _)| (s.as_str(), r.as_deref()))
        .collect();
    assert_eq!(
        states,
        [("ready", None), ("not_ready", Some("lunch")), ("ready", None)]
    );
    store
        .audit(None, at("2026-11-23T03:00:00Z"), "ccd", "start", "{}")
        .await
        .unwrap();
    store
        .audit(
            Some(&acme),
            at("2026-11-23T03:00:01Z"),
            "api",
            "login",
            "{\"agent\":\"1001\"}",
        )
        .await
        .unwrap();
    store.close().await;

    // Reopening keeps everything and applies no migration twice.
    let again = Store::open(url).await.unwrap();
    assert_eq!(again.count_records(&acme).await.unwrap(), 2);
    assert_eq!(again.record(&acme, &a.contact).await.unwrap(), Some(a));
    again.close().await;
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    // A path with characters a URL would misread.
    let path = dir.path().join("odd #1?.db");
    rt().block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            exercise(&format!("sqlite://{}", path.display()), Backend::Sqlite),
        )
        .await
        .unwrap();
        // open_file takes the raw path.
        let store = Store::open_file(&path).await.unwrap();
        assert_eq!(store.count_records(&"acme".parse().unwrap()).await.unwrap(), 2);
        store.close().await;
    });
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_store() {
    let server = postgres::TempPostgres::start();
    rt().block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(60), async {
            // Two centers starting at once on an empty database migrate one after the other.
            let (one, two) = tokio::join!(Store::open(&server.url), Store::open(&server.url));
            one.unwrap().close().await;
            two.unwrap().close().await;
            exercise(&server.url, Backend::Postgres).await;
        })
        .await
        .unwrap();
    });
}

#[cfg(feature = "postgres")]
#[test]
fn unreachable_postgres_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = rt()
        .block_on(Store::open(&format!("postgres://cc@127.0.0.1:{port}/none")))
        .unwrap_err();
    assert!(err.to_string().starts_with("database:"), "{err}");
}
