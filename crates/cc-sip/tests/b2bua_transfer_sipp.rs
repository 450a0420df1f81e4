//! Blind transfer through the B2BUA with real peers on 127.0.0.1 (RFC 3515):
//!
//! SIPp alice (uac) -> B2BUA -> SIPp bob (uas), who answers and sends REFER to carol
//! (a third SIPp, the built-in uas). Bob must get 202 and NOTIFYs with `100 Trying`,
//! `180 Ringing`, `200 OK` (the last terminating the subscription), then the B2BUA's
//! BYE; carol must get the INVITE, and alice a re-INVITE with carol's offer; alice's
//! BYE must reach carol. Every SIPp is bounded (`-timeout`, killed after a deadline),
//! every port picked free; skipped, with a note, without `sipp`.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use cc_sip::ua::Transport;

mod common;

use common::relay::Relay;
use common::{SippProcess, call_totals, free_udp_port, scenario_path, tail};

#[test]
fn a_callee_refers_the_caller_to_a_third_party_through_the_b2bua() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp transfer test");
        return;
    }
    let calls: u32 = 2;
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let (carol_port, bob_port, alice_port) = (free_udp_port(), free_udp_port(), free_udp_port());
    let n = calls.to_string();

    let carol = SippProcess::spawn(
        "transfer-carol",
        &owned(&["-sn", "uas", "-p", &carol_port.to_string(), "-m", &n]),
    );
    let bob_xml = scenario_path("transfer_referrer_uas.xml");
    let bob = SippProcess::spawn(
        "transfer-bob",
        &owned(&[
            "-sf",
            &bob_xml.to_string_lossy(),
            "-p",
            &bob_port.to_string(),
            "-m",
            &n,
            "-key",
            "carol_port",
            &carol_port.to_string(),
        ]),
    );
    thread::sleep(Duration::from_millis(300));
    let relay = Relay::start(
        false,
        SocketAddr::from(([127, 0, 0, 1], bob_port)),
        Transport::Udp,
    );
    let alice_xml = scenario_path("transfer_caller_uac.xml");
    let alice = SippProcess::spawn(
        "transfer-alice",
        &owned(&[
            &relay.addr.to_string(),
            "-sf",
            &alice_xml.to_string_lossy(),
            "-p",
            &alice_port.to_string(),
            "-m",
            &n,
            "-r",
            "2",
            "-timeout_error",
            "-recv_timeout",
            "10s",
        ]),
    );
    let (alice_status, alice_out) = alice.finish(Duration::from_secs(60));
    let (bob_status, bob_out) = bob.finish(Duration::from_secs(15));
    let (carol_status, carol_out) = carol.finish(Duration::from_secs(15));
    let (b2b, ua) = relay.stop();
    let report = format!(
        "alice {alice_status:?} bob {bob_status:?} carol {carol_status:?}\nb2b {b2b:?}\nua {ua:?}\n\
         --- alice ---\n{}\n--- bob ---\n{}\n--- carol ---\n{}",
        tail(&alice_out),
        tail(&bob_out),
        tail(&carol_out)
    );
    assert_eq!(alice_status, Some(0), "{report}");
    assert_eq!(call_totals(&alice_out), Some((u64::from(calls), 0)), "{report}");
    assert_eq!(
        bob_status,
        Some(0),
        "bob got 202, the three NOTIFYs and BYE: {report}"
    );
    assert_eq!(call_totals(&bob_out), Some((u64::from(calls), 0)), "{report}");
    assert_eq!(
        carol_status,
        Some(0),
        "carol got the INVITE and alice's BYE: {report}"
    );
    assert_eq!(call_totals(&carol_out), Some((u64::from(calls), 0)), "{report}");
    assert_eq!(b2b.transferred, u64::from(calls), "{report}");
    assert_eq!(b2b.completed, u64::from(calls), "{report}");
}
