//! Reliable provisional responses (RFC 3262) with real peers on 127.0.0.1:
//!
//! - a carrier (SIPp callee) sends a 183 with `Require: 100rel`, `RSeq` and early-media
//!   SDP, retransmits it until our PRACK (checked: CSeq, RAck) comes, answers only
//!   then, and checks the BYE's CSeq;
//! - a caller (SIPp) requires 100rel: our 180 must be reliable, its PRACK answered 200,
//!   then the call answered.
//!
//! Our side is an [`Endpoint`] on port 0. Bounded: SIPp has a timeout and is killed
//! after a deadline; skipped, with a note, without `sipp`.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use cc_sip::transport::{Endpoint, EndpointConfig};
use cc_sip::ua::{OutgoingCall, UaEvent, UaStats};

mod common;

use common::{SippProcess, call_totals, free_udp_port, scenario_path, tail};

#[test]
fn a_reliable_183_is_pracked_and_the_call_is_answered() {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let calls: u32 = 3;
    let port = free_udp_port();
    let xml = scenario_path("prack_uas.xml");
    let args = vec![
        "-sf".to_owned(),
        xml.to_string_lossy().into_owned(),
        "-p".to_owned(),
        port.to_string(),
        "-m".to_owned(),
        calls.to_string(),
    ];
    let sipp = SippProcess::spawn("uas-prack", &args);
    thread::sleep(Duration::from_millis(300));
    let target = SocketAddr::from(([127, 0, 0, 1], port));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (seen, stats): (Vec<Vec<UaEvent>>, UaStats) = runtime.block_on(async move {
        let config = EndpointConfig::new("127.0.0.1:0".parse().expect("address"));
        let (handle, mut events) = Endpoint::bind(config).await.expect("bind");
        let mut seen = Vec::new();
        for _ in 0..calls {
            let call = OutgoingCall::new(
                &format!("sip:carrier@{target}"),
                "sip:alice@127.0.0.1",
                &format!("sip:carrier@{target}"),
                target,
            );
            let leg = handle.invite(call).await.expect("invite");
            let mut of_call = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), async {
                while let Some(event) = events.recv().await {
                    let done = matches!(
                        &event,
                        UaEvent::Answered { leg: l, .. } | UaEvent::Failed { leg: l, .. } if *l == leg
                    );
                    of_call.push(event);
                    if done {
                        break;
                    }
                }
            })
            .await;
            if matches!(of_call.last(), Some(UaEvent::Answered { .. })) {
                handle.hangup(leg).await.expect("hangup");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen.push(of_call);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stats = handle.stats().await.expect("stats");
        handle.shutdown().await;
        (seen, stats)
    });
    let (status, out) = sipp.finish(Duration::from_secs(15));
    let report = format!("{seen:?}\n{stats:?}\n{}", tail(&out));
    assert_eq!(status, Some(0), "{report}");
    for of_call in &seen {
        assert!(
            matches!(
                of_call.as_slice(),
                [
                    UaEvent::Progress {
                        code: 183,
                        sdp: Some(_),
                        ..
                    },
                    UaEvent::Answered { sdp: Some(_), .. }
                ]
            ),
            "one Progress (retransmissions of the 183 are not reported again), then Answered: {report}"
        );
    }
    assert_eq!(stats.pracks_sent, u64::from(calls), "{report}");
}

#[test]
fn a_caller_requiring_100rel_gets_a_reliable_180_and_its_prack_answered() {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let calls: u32 = 3;
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let endpoint = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let config = EndpointConfig::new("127.0.0.1:0".parse().expect("address"));
            let (handle, mut events) = Endpoint::bind(config).await.expect("bind");
            addr_tx.send(handle.local_addr()).expect("address sent");
            let app = async {
                while let Some(event) = events.recv().await {
                    if let UaEvent::IncomingCall { leg, .. } = event {
                        handle.ringing(leg).await.expect("ringing");
                        let handle = handle.clone();
                        tokio::spawn(async move {
                            // Answer after the PRACK has had time to come.
                            tokio::time::sleep(Duration::from_millis(300)).await;
                            let _ = handle.answer(leg, Some(bytes::Bytes::from_static(SDP))).await;
                        });
                    }
                }
            };
            tokio::select! {
                () = app => {}
                _ = done_rx => {}
            }
            let stats = handle.stats().await.expect("stats");
            handle.shutdown().await;
            stats
        })
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("endpoint bound");
    let xml = scenario_path("prack_uac.xml");
    let args = vec![
        addr.to_string(),
        "-sf".to_owned(),
        xml.to_string_lossy().into_owned(),
        "-p".to_owned(),
        free_udp_port().to_string(),
        "-m".to_owned(),
        calls.to_string(),
        "-r".to_owned(),
        "5".to_owned(),
    ];
    let sipp = SippProcess::spawn("uac-prack", &args);
    let (status, out) = sipp.finish(Duration::from_secs(30));
    let _ = done_tx.send(());
    let stats = endpoint.join().expect("endpoint thread");
    let report = format!("{stats:?}\n{}", tail(&out));
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(call_totals(&out), Some((u64::from(calls), 0)), "{report}");
    assert_eq!(stats.incoming_calls, u64::from(calls), "{report}");
}

const SDP: &[u8] = b"v=0\r\no=cc 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
