//! The B2BUA against real peers: SIPp uac -> B2BUA -> SIPp uas on 127.0.0.1.
//!
//! The B2BUA runs in-process (an `Endpoint` on port 0 and `transport::relay` on a
//! tokio runtime in a thread), so no release build is needed. Every SIPp run is bounded
//! (`-timeout`, then killed after a deadline) and every port is picked free. Skipped, with
//! a note, when `sipp` is not installed.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use cc_sip::b2bua::B2buaStats;
use cc_sip::ua::{Transport, UaStats};

mod common;

use common::relay::Relay;
use common::{SippProcess, call_totals, free_tcp_port, free_udp_port, retransmissions, scenario_path, tail};

struct Outcome {
    uac_status: Option<i32>,
    uas_status: Option<i32>,
    totals: Option<(u64, u64)>,
    b2b: B2buaStats,
    ua: UaStats,
    uac_tail: String,
    /// Retransmissions SIPp's uac received of its INVITE's 200 (the first 200 line of
    /// scenarios that also get a 200 for BYE).
    invite_200_retransmissions: Option<u64>,
    uas_tail: String,
}

/// Starts a SIPp uas, the B2BUA toward it, then a SIPp uac toward the B2BUA; waits for
/// both (bounded) and returns what each reported.
fn run(uac: &[&str], uas: &[&str], calls: u32, rate: u32, tcp: bool) -> Outcome {
    let (uas_port, uac_port) = if tcp {
        (free_tcp_port(), free_tcp_port())
    } else {
        (free_udp_port(), free_udp_port())
    };
    let t: &[&str] = if tcp { &["-t", "t1"] } else { &[] };
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut uas_args = owned(uas);
    uas_args.extend(owned(t));
    uas_args.extend(["-p".into(), uas_port.to_string(), "-m".into(), calls.to_string()]);
    let uas = SippProcess::spawn("uas", &uas_args);
    thread::sleep(Duration::from_millis(300));
    let target = SocketAddr::from(([127, 0, 0, 1], uas_port));
    let transport = if tcp { Transport::Tcp } else { Transport::Udp };
    let relay = Relay::start(tcp, target, transport);
    let mut uac_args = vec![relay.addr.to_string()];
    uac_args.extend(owned(uac));
    uac_args.extend(owned(t));
    uac_args.extend([
        "-p".into(),
        uac_port.to_string(),
        "-m".into(),
        calls.to_string(),
        "-r".into(),
        rate.to_string(),
        "-timeout_error".into(),
        "-recv_timeout".into(),
        "10s".into(),
        "-s".into(),
        "100".into(),
    ]);
    let uac = SippProcess::spawn("uac", &uac_args);
    let (uac_status, uac_out) = uac.finish(Duration::from_secs(90));
    let (uas_status, uas_out) = uas.finish(Duration::from_secs(15));
    let (b2b, ua) = relay.stop();
    Outcome {
        uac_status,
        uas_status,
        totals: call_totals(&uac_out),
        invite_200_retransmissions: retransmissions(&uac_out, "200 <----------", 1),
        b2b,
        ua,
        uac_tail: tail(&uac_out),
        uas_tail: tail(&uas_out),
    }
}

fn check_all_calls(o: &Outcome, calls: u64) {
    let report = format!(
        "uac {:?} uas {:?} totals {:?} b2b {:?} ua {:?}\n--- uac ---\n{}\n--- uas ---\n{}",
        o.uac_status, o.uas_status, o.totals, o.b2b, o.ua, o.uac_tail, o.uas_tail
    );
    assert_eq!(o.uac_status, Some(0), "{report}");
    assert_eq!(o.totals, Some((calls, 0)), "{report}");
    assert_eq!(o.uas_status, Some(0), "{report}");
    assert_eq!(o.b2b.bridged, calls, "{report}");
}

#[test]
fn sipp_300_calls_at_100_cps_through_the_b2bua_all_succeed() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp B2BUA test");
        return;
    }
    let o = run(&["-sn", "uac"], &["-sn", "uas"], 300, 100, false);
    check_all_calls(&o, 300);
    assert_eq!(o.b2b.answered, 300);
    assert_eq!(o.b2b.completed, 300);
    assert_eq!(o.ua.incoming_calls, 300);
    assert_eq!(o.ua.outgoing_calls, 300);
}

#[test]
fn sipp_cancel_before_answer_is_carried_to_the_callee() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp CANCEL test");
        return;
    }
    let uac = scenario_path("cancel_uac.xml");
    let uas = scenario_path("cancel_uas.xml");
    let (uac, uas) = (uac.to_string_lossy(), uas.to_string_lossy());
    let o = run(&["-sf", &uac], &["-sf", &uas], 20, 10, false);
    check_all_calls(&o, 20);
    assert_eq!(o.b2b.cancelled, 20, "{:?}", o.b2b);
    assert_eq!(o.b2b.answered, 0, "{:?}", o.b2b);
}

#[test]
fn sipp_late_ack_gets_the_200_retransmitted() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp late-ACK test");
        return;
    }
    let uac = scenario_path("late_ack_uac.xml");
    let uac = uac.to_string_lossy();
    let o = run(&["-sf", &uac], &["-sn", "uas"], 10, 10, false);
    check_all_calls(&o, 10);
    // The 200 goes at 0 ms, again at 500 ms and 1,500 ms; the ACK comes at 1,700 ms.
    // SIPp counts the copies it received.
    assert!(
        o.invite_200_retransmissions.is_some_and(|n| n >= 10),
        "each call's 200 arrived again at the caller: {:?} {:?}\n{}",
        o.invite_200_retransmissions,
        o.ua,
        o.uac_tail
    );
    assert!(o.ua.retransmitted_2xx >= 20, "{:?}", o.ua);
    assert_eq!(o.b2b.completed, 10);
}

#[test]
fn sipp_late_offer_is_answered_in_both_acks() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp late-offer test");
        return;
    }
    let uac = scenario_path("late_offer_uac.xml");
    let uas = scenario_path("late_offer_uas.xml");
    let (uac, uas) = (uac.to_string_lossy(), uas.to_string_lossy());
    // The callee's scenario fails a call whose ACK lacks the answer.
    let o = run(&["-sf", &uac], &["-sf", &uas], 20, 10, false);
    check_all_calls(&o, 20);
    assert_eq!(o.b2b.completed, 20);
}

#[test]
fn sipp_calls_over_tcp_through_the_b2bua_all_succeed() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp TCP test");
        return;
    }
    let o = run(&["-sn", "uac"], &["-sn", "uas"], 100, 50, true);
    check_all_calls(&o, 100);
    assert_eq!(o.b2b.completed, 100);
    assert_eq!(
        o.ua.retransmitted_2xx, 0,
        "no retransmission over TCP: {:?}",
        o.ua
    );
}
