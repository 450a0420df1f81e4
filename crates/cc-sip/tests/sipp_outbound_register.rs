//! Outbound registration against SIPp acting as a carrier's registrar on 127.0.0.1: a
//! 401 digest challenge (the answer checked by SIPp's digest code), a 4 s grant
//! refreshed at half its life with the nonce reused (nc=00000002), then the removal with
//! `Expires: 0`. The registering side is an [`Endpoint`] on port 0. Bounded: SIPp has a
//! timeout and is killed after a deadline; skipped, with a note, without `sipp`.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use cc_sip::transport::{Endpoint, EndpointConfig};
use cc_sip::ua::{Credentials, RegisterRequest, UaEvent};

mod common;

use common::{SippProcess, free_udp_port, scenario_path, tail};

#[test]
fn we_register_with_a_carrier_refresh_before_expiry_and_unregister() {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let port = free_udp_port();
    let xml = scenario_path("register_uas.xml");
    let args = vec![
        "-sf".to_owned(),
        xml.to_string_lossy().into_owned(),
        "-p".to_owned(),
        port.to_string(),
        "-m".to_owned(),
        "1".to_owned(),
    ];
    let sipp = SippProcess::spawn("registrar", &args);
    thread::sleep(Duration::from_millis(300));
    let registrar = SocketAddr::from(([127, 0, 0, 1], port));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (events, refresh_gap) = runtime.block_on(async move {
        let config = EndpointConfig::new("127.0.0.1:0".parse().expect("address"));
        let (handle, mut rx) = Endpoint::bind(config).await.expect("bind");
        let request = RegisterRequest::new(registrar, "sip:alice@carrier.example", 3600)
            .with_credentials(Credentials::new("alice", "alice-pw"));
        let id = handle.register(request).await.expect("register");
        let mut seen = Vec::new();
        let mut registered_at = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(12);
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            seen.push(event.clone());
            match event {
                UaEvent::OutboundRegistered { .. } => {
                    registered_at.push(Instant::now());
                    if registered_at.len() == 2 {
                        handle.unregister(id).await.expect("unregister");
                    }
                }
                UaEvent::OutboundUnregistered { .. } | UaEvent::OutboundRegistrationFailed { .. } => break,
                _ => {}
            }
        }
        handle.shutdown().await;
        let gap = match registered_at.as_slice() {
            [a, b, ..] => Some(b.duration_since(*a)),
            _ => None,
        };
        (seen, gap)
    });
    let (status, out) = sipp.finish(Duration::from_secs(15));
    let report = format!("{events:?} gap {refresh_gap:?}\n{}", tail(&out));
    assert_eq!(status, Some(0), "{report}");
    assert!(
        matches!(
            events.as_slice(),
            [
                UaEvent::OutboundRegistered { expires: 4, .. },
                UaEvent::OutboundRegistered { expires: 4, .. },
                UaEvent::OutboundUnregistered { .. }
            ]
        ),
        "{report}"
    );
    let gap = refresh_gap.expect("two registrations");
    assert!(
        gap >= Duration::from_millis(1_800) && gap < Duration::from_millis(3_500),
        "refreshed at half of 4 s: {report}"
    );
}
