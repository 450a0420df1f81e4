//! The transaction layer against a real peer: SIPp over UDP on 127.0.0.1.
//!
//! A tiny driver (the edge: a blocking `std::net::UdpSocket` on a thread, the clock read
//! here and nowhere in the core) feeds datagrams and time to a [`TransactionLayer`], and
//! a TU answers OPTIONS with 200 and INVITE with 486 after 300 ms (so the layer sends
//! 100 Trying at 200 ms). SIPp runs the scenarios in `tests/data/sipp/` with `-m` calls
//! and a `-timeout`, and must report every call successful. Skipped, with a note, when
//! `sipp` is not installed.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cc_sip::Message;
use cc_sip::transaction::{Config, Event, ServerInviteState, State, TransactionId, TransactionLayer};

mod common;

#[derive(Debug, Default)]
struct Seen {
    options: usize,
    invites: usize,
    timeouts: usize,
    stray_acks: usize,
    unacknowledged: usize,
    /// The top Via of the first request that created a transaction and of the first
    /// stray ACK, for the failure message.
    first_via: Option<String>,
    first_stray_ack: Option<String>,
    stats: Option<cc_sip::transaction::Stats>,
}

/// Runs the layer on `socket` until `stop`, then reports what the TU saw.
fn drive(socket: &UdpSocket, stop: &AtomicBool) -> Seen {
    let mut layer = TransactionLayer::new(Config::default());
    let mut seen = Seen::default();
    let mut due: Vec<(Instant, TransactionId, Message)> = vec![];
    let mut invites = vec![];
    let mut buf = vec![0_u8; 65_535];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let next = [layer.poll_timeout(), due.iter().map(|d| d.0).min()]
            .into_iter()
            .flatten()
            .min();
        let wait = next.map_or(Duration::from_millis(20), |n| {
            n.saturating_duration_since(now)
                .clamp(Duration::from_millis(1), Duration::from_millis(20))
        });
        let _ = socket.set_read_timeout(Some(wait));
        if let Ok((n, from)) = socket.recv_from(&mut buf)
            && let Some(bytes) = buf.get(..n)
        {
            layer.handle_datagram(Instant::now(), from, Bytes::copy_from_slice(bytes));
        }
        let now = Instant::now();
        layer.handle_timeout(now);
        while let Some(pos) = due.iter().position(|d| d.0 <= now) {
            let (_, id, resp) = due.swap_remove(pos);
            let _ = layer.send_response(now, id, &resp);
        }
        while let Some(e) = layer.poll_event() {
            match e {
                Event::Request { id, request, .. } => {
                    if seen.first_via.is_none() {
                        seen.first_via = request.header(cc_sip::HeaderName::Via).map(str::to_owned);
                    }
                    if request.method() == Some("INVITE") {
                        seen.invites += 1;
                        invites.push(id);
                        let tag = layer.new_tag();
                        if let Ok(busy) =
                            TransactionLayer::response_with_tag(&request, 486, "Busy Here", &tag)
                        {
                            due.push((now + Duration::from_millis(300), id, busy));
                        }
                    } else {
                        seen.options += 1;
                        if let Ok(ok) = layer.response_to(&request, 200, "OK") {
                            let _ = layer.send_response(now, id, &ok);
                        }
                    }
                }
                Event::Timeout { .. } => seen.timeouts += 1,
                Event::Ack { request, .. } => {
                    seen.stray_acks += 1;
                    if seen.first_stray_ack.is_none() {
                        seen.first_stray_ack = Some(request.to_string());
                    }
                }
                _ => {}
            }
        }
        while let Some(t) = layer.poll_transmit() {
            let _ = socket.send_to(&t.payload, t.destination);
        }
    }
    seen.unacknowledged = invites
        .iter()
        .filter(|id| layer.state(**id) == Some(State::ServerInvite(ServerInviteState::Completed)))
        .count();
    seen.stats = Some(layer.stats());
    seen
}

/// Runs SIPp's `scenario` for `calls` calls against a fresh driver.
fn run(scenario: &str, calls: u32) -> common::SippRun<Seen> {
    let calls = calls.to_string();
    // Let the driver take in SIPp's last ACKs before stopping it.
    common::run_sipp(
        scenario,
        &["-m", &calls, "-r", "20", "-l", "20"],
        Duration::from_millis(300),
        drive,
    )
}

#[test]
fn sipp_options_probes_get_200_from_server_non_invite_transactions() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp OPTIONS test");
        return;
    }
    let common::SippRun { status, seen, tail } = run("options_uac.xml", 50);
    assert_eq!(status, Some(0), "sipp failed: {seen:?}\n{tail}");
    assert_eq!(seen.options, 50, "{seen:?}");
    assert_eq!(seen.timeouts, 0);
}

#[test]
fn sipp_invites_get_100_then_486_and_their_acks_confirm_the_transaction() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp INVITE test");
        return;
    }
    let common::SippRun { status, seen, tail } = run("invite_busy_uac.xml", 20);
    assert_eq!(status, Some(0), "sipp failed: {seen:?}\n{tail}");
    assert_eq!(seen.invites, 20, "{seen:?}");
    assert_eq!(seen.timeouts, 0, "{seen:?}");
    assert_eq!(
        seen.stray_acks, 0,
        "every ACK matched its INVITE transaction: {seen:?}"
    );
    assert_eq!(seen.unacknowledged, 0, "{seen:?}");
}
