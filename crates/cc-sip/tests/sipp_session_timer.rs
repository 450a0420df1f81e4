//! Session timers (RFC 4028) with a real caller on 127.0.0.1: SIPp offers a 30 s
//! interval (422 with `Min-SE: 90` expected), then `Session-Expires: 90;refresher=uac`
//! with `Require: timer` (a 200 with `Session-Expires: 90;refresher=uac` and `Require:
//! timer` expected), refreshes with a re-INVITE of the same SDP (a 200 with
//! `Session-Expires` expected, answered by the agent without asking the application),
//! and hangs up.
//!
//! Our side is an [`Endpoint`] on port 0 that answers every call. Bounded: SIPp has a
//! timeout and is killed after a deadline; skipped, with a note, without `sipp`.

use std::thread;
use std::time::Duration;

use cc_sip::transport::{Endpoint, EndpointConfig};
use cc_sip::ua::{UaEvent, UaStats};

mod common;

use common::{SippProcess, call_totals, free_udp_port, scenario_path, tail};

const SDP: &[u8] = b"v=0\r\no=cc 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";

#[test]
fn a_caller_with_session_timers_gets_422_then_session_expires_and_its_refresh_answered() {
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
            let mut seen = Vec::new();
            let app = async {
                while let Some(event) = events.recv().await {
                    if let UaEvent::IncomingCall { leg, .. } = &event {
                        handle
                            .answer(*leg, Some(bytes::Bytes::from_static(SDP)))
                            .await
                            .expect("answer");
                    }
                    seen.push(event);
                }
            };
            tokio::select! {
                () = app => {}
                _ = done_rx => {}
            }
            let stats: UaStats = handle.stats().await.expect("stats");
            handle.shutdown().await;
            (seen, stats)
        })
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("endpoint bound");
    let xml = scenario_path("session_timer_uac.xml");
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
        "-recv_timeout".to_owned(),
        "10s".to_owned(),
    ];
    let sipp = SippProcess::spawn("uac-session-timer", &args);
    let (status, out) = sipp.finish(Duration::from_secs(30));
    let _ = done_tx.send(());
    let (seen, stats) = endpoint.join().expect("endpoint thread");
    let report = format!("{seen:?}\n{stats:?}\n{}", tail(&out));
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(call_totals(&out), Some((u64::from(calls), 0)), "{report}");
    assert_eq!(
        stats.incoming_calls,
        u64::from(calls),
        "the 422 made no leg: {report}"
    );
    assert!(
        !seen.iter().any(|e| matches!(e, UaEvent::ReInvite { .. })),
        "the refresh is answered by the agent: {report}"
    );
    let ended = seen.iter().filter(|e| matches!(e, UaEvent::Ended { .. })).count();
    assert_eq!(
        ended, calls as usize,
        "each call ended by the caller's BYE: {report}"
    );
}
