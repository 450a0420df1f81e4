//! OPTIONS keep-alive probes against SIPp acting as a carrier's edge on 127.0.0.1: the
//! probe is answered 200 and reported with its round trip. Bounded: SIPp has a timeout and
//! is killed after a deadline; skipped, with a note, without `sipp`.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use cc_sip::transport::{Endpoint, EndpointConfig};
use cc_sip::ua::{Transport, UaEvent, probe_alive};

mod common;

use common::{SippProcess, free_udp_port, scenario_path, tail};

#[test]
fn a_carrier_answers_our_keep_alive_probe() {
    if !common::sipp_available() {
        eprintln!("sipp is not installed; skipping");
        return;
    }
    let port = free_udp_port();
    let xml = scenario_path("options_uas.xml");
    let args = vec![
        "-sf".to_owned(),
        xml.to_string_lossy().into_owned(),
        "-p".to_owned(),
        port.to_string(),
        "-m".to_owned(),
        "1".to_owned(),
    ];
    let sipp = SippProcess::spawn("carrier", &args);
    thread::sleep(Duration::from_millis(300));
    let carrier = SocketAddr::from(([127, 0, 0, 1], port));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let answer = runtime.block_on(async move {
        let (handle, mut rx) = Endpoint::bind(EndpointConfig::new("127.0.0.1:0".parse().expect("address")))
            .await
            .expect("bind");
        let target = format!("sip:{carrier}");
        let probe = handle
            .probe(carrier, &target, Transport::Udp)
            .await
            .expect("probe");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut answer = None;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let UaEvent::ProbeAnswered { probe: p, code, rtt } = event
                && p == probe
            {
                answer = Some((code, rtt));
                break;
            }
        }
        handle.shutdown().await;
        answer
    });
    let (status, out) = sipp.finish(Duration::from_secs(15));
    let report = format!("{answer:?}\n{}", tail(&out));
    assert_eq!(status, Some(0), "{report}");
    let (code, rtt) = answer.expect("the probe was answered");
    assert_eq!(code, 200, "{report}");
    assert!(probe_alive(code, rtt), "{report}");
    assert!(rtt.expect("a round trip") < Duration::from_secs(2), "{report}");
}
