//! Our outgoing calls against SIPp acting as a carrier on 127.0.0.1: a 401 digest
//! challenge answered with `Authorization` (the digest checked by SIPp's own code), a
//! 407 answered with `Proxy-Authorization` (its fields checked by SIPp), a wrong
//! password refused with 403.
//!
//! The caller is an [`Endpoint`] on port 0 on a tokio runtime in this test; SIPp runs
//! as the callee with a bounded timeout and is killed after a deadline. Skipped, with a
//! note, when `sipp` is not installed.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use cc_sip::transport::{Endpoint, EndpointConfig};
use cc_sip::ua::{Credentials, OutgoingCall, UaEvent};

mod common;

use common::{SippProcess, free_udp_port, scenario_path, tail};

/// Places `calls` calls one after another to a SIPp callee running `scenario` with
/// `credentials`; returns SIPp's exit status, its output, and the final event of each
/// call (Answered then hung up, or Failed).
fn call_sipp(scenario: &str, calls: u32, credentials: Credentials) -> (Option<i32>, String, Vec<UaEvent>) {
    let port = free_udp_port();
    let xml = scenario_path(scenario);
    let args = vec![
        "-sf".to_owned(),
        xml.to_string_lossy().into_owned(),
        "-p".to_owned(),
        port.to_string(),
        "-m".to_owned(),
        calls.to_string(),
    ];
    let sipp = SippProcess::spawn("uas-auth", &args);
    thread::sleep(Duration::from_millis(300));
    let target = SocketAddr::from(([127, 0, 0, 1], port));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let finals = runtime.block_on(async move {
        let config = EndpointConfig::new("127.0.0.1:0".parse().expect("address"));
        let (handle, mut events) = Endpoint::bind(config).await.expect("bind");
        let mut finals = Vec::new();
        for _ in 0..calls {
            let call = OutgoingCall::new(
                &format!("sip:carrier@{target}"),
                "sip:alice@127.0.0.1",
                &format!("sip:carrier@{target}"),
                target,
            )
            .with_credentials(credentials.clone());
            let leg = handle.invite(call).await.expect("invite");
            let outcome = tokio::time::timeout(Duration::from_secs(10), async {
                while let Some(event) = events.recv().await {
                    match &event {
                        UaEvent::Answered { leg: l, .. } | UaEvent::Failed { leg: l, .. } if *l == leg => {
                            return Some(event);
                        }
                        _ => {}
                    }
                }
                None
            })
            .await
            .ok()
            .flatten();
            if let Some(UaEvent::Answered { .. }) = &outcome {
                handle.hangup(leg).await.expect("hangup");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            finals.extend(outcome);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle.shutdown().await;
        finals
    });
    let (status, out) = sipp.finish(Duration::from_secs(15));
    (status, out, finals)
}

fn all_answered(scenario: &str) {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let (status, out, finals) = call_sipp(scenario, 3, Credentials::new("alice", "alice-pw"));
    assert_eq!(status, Some(0), "{finals:?}\n{}", tail(&out));
    assert_eq!(finals.len(), 3, "{finals:?}\n{}", tail(&out));
    assert!(
        finals.iter().all(|e| matches!(e, UaEvent::Answered { .. })),
        "{finals:?}\n{}",
        tail(&out)
    );
}

#[test]
fn a_carrier_401_is_answered_with_a_digest_sipp_verifies() {
    all_answered("auth_401_uas.xml");
}

#[test]
fn a_carrier_proxy_407_is_answered_with_proxy_authorization() {
    all_answered("auth_407_uas.xml");
}

#[test]
fn a_wrong_password_gets_403_from_the_carrier() {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let (status, out, finals) = call_sipp("auth_401_uas.xml", 1, Credentials::new("alice", "not-it"));
    assert!(
        matches!(finals.as_slice(), [UaEvent::Failed { code: 403, .. }]),
        "{finals:?}\n{}",
        tail(&out)
    );
    assert_ne!(status, Some(0), "{}", tail(&out));
}
