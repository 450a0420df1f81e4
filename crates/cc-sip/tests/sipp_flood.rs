//! Protection against a real flood: SIPp sends OPTIONS at 400 per second from one
//! address to an [`Endpoint`] that allows 50 requests per 2 s window and then bans the
//! source for 60 s. The first 50 probes are answered, every later one (retransmissions
//! included) is dropped without an answer, and the endpoint counts one ban. Bounded:
//! SIPp gives up on each probe after 2 s and is killed after a deadline; skipped, with a
//! note, without `sipp`.

use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

use cc_sip::protection::{Protection, RateLimit};
use cc_sip::transport::{Endpoint, EndpointConfig};
use cc_sip::ua::UaStats;

mod common;

use common::{SippProcess, call_totals, free_udp_port, scenario_path, tail};

#[test]
fn an_options_flood_is_banned_after_the_allowed_requests() {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let (addr_tx, addr_rx) = std_mpsc::channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let endpoint = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let mut config = EndpointConfig::new("127.0.0.1:0".parse().expect("address"));
            config.protection = Protection {
                rate_limit: Some(RateLimit {
                    requests: 50,
                    window: Duration::from_secs(2),
                    ban: Duration::from_secs(60),
                }),
                ..Protection::default()
            };
            let (handle, mut events) = Endpoint::bind(config).await.expect("bind");
            addr_tx.send(handle.local_addr()).expect("address sent");
            tokio::select! {
                () = async { while events.recv().await.is_some() {} } => {}
                _ = done_rx => {}
            }
            let stats: UaStats = handle.stats().await.expect("stats");
            handle.shutdown().await;
            stats
        })
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("endpoint bound");
    let xml = scenario_path("options_uac.xml");
    let args: Vec<String> = [
        addr.to_string(),
        "-sf".to_owned(),
        xml.to_string_lossy().into_owned(),
        "-p".to_owned(),
        free_udp_port().to_string(),
        "-m".to_owned(),
        "200".to_owned(),
        "-r".to_owned(),
        "400".to_owned(),
        "-recv_timeout".to_owned(),
        "2s".to_owned(),
    ]
    .into_iter()
    .collect();
    let sipp = SippProcess::spawn("flood", &args);
    let (status, out) = sipp.finish(Duration::from_secs(30));
    let _ = done_tx.send(());
    let stats = endpoint.join().expect("endpoint thread");
    let report = format!("status {status:?} {:?}\n{}", stats.protection, tail(&out));
    assert_eq!(call_totals(&out), Some((50, 150)), "{report}");
    assert_eq!(stats.protection.bans, 1, "{report}");
    assert!(stats.protection.dropped_banned >= 150, "{report}");
    assert_eq!(stats.transactions.received, 50, "{report}");
    assert_ne!(status, Some(0), "{report}");
}
