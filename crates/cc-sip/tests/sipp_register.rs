//! The registrar against a real phone: SIPp registers over UDP on 127.0.0.1 with
//! `[authentication username=alice password=alice-pw]`, then removes its bindings with
//! `Contact: *`, both through a digest challenge.
//!
//! A tiny driver (a blocking `std::net::UdpSocket` on a thread; the clock is read here
//! and nowhere in the core) feeds the transaction layer, and the TU hands every REGISTER
//! to the [`Registrar`] and sends back its response. The registrar offers MD5 only:
//! SIPp 3.6 computes MD5 digests. The scenario's Request-URI carries the port, since
//! SIPp's digest-uri is `remote_ip:remote_port` and the registrar requires the two to
//! match (RFC 7616 §3.4.6). Skipped, with a note, when `sipp` is not installed.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cc_sip::auth::{Algorithm, DigestServer};
use cc_sip::registrar::{Outcome, Registrar, RegistrarConfig};
use cc_sip::transaction::{Config, Event, TransactionLayer};

mod common;

#[derive(Debug, Default)]
struct Seen {
    challenged: usize,
    registered: usize,
    rejected: Vec<u16>,
    /// Bindings left at the end.
    aors_left: usize,
}

fn users(user: &str) -> Option<String> {
    (user == "alice").then(|| "alice-pw".to_owned())
}

fn drive(socket: &UdpSocket, stop: &AtomicBool) -> Seen {
    let epoch = Instant::now();
    let digest = DigestServer::new("127.0.0.1", b"test secret", epoch).with_algorithms(&[Algorithm::Md5]);
    let mut registrar =
        Registrar::new("127.0.0.1", b"test secret", epoch, RegistrarConfig::default()).with_digest(digest);
    let mut layer = TransactionLayer::new(Config::default());
    let mut seen = Seen::default();
    let mut buf = vec![0_u8; 65_535];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let next = [layer.poll_timeout(), registrar.poll_timeout()]
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
        registrar.handle_timeout(now);
        while let Some(e) = layer.poll_event() {
            if let Event::Request { id, request, .. } = e {
                let Ok(answer) = registrar.handle_register(now, &request, &users) else {
                    continue;
                };
                match answer.outcome {
                    Outcome::Challenged { .. } => seen.challenged += 1,
                    Outcome::Registered { .. } => seen.registered += 1,
                    Outcome::Rejected(code) => seen.rejected.push(code),
                }
                let _ = layer.send_response(now, id, &answer.response);
            }
        }
        while let Some(t) = layer.poll_transmit() {
            let _ = socket.send_to(&t.payload, t.destination);
        }
    }
    seen.aors_left = registrar.aor_count();
    seen
}

#[test]
fn sipp_registers_with_digest_and_unregisters_with_wildcard() {
    if !common::sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp REGISTER test");
        return;
    }
    let calls = 20;
    let common::SippRun { status, seen, tail } = common::run_sipp(
        "register_auth_uac.xml",
        &["-s", "alice", "-m", &calls.to_string(), "-r", "10", "-l", "1"],
        Duration::ZERO,
        drive,
    );
    assert_eq!(status, Some(0), "sipp failed: {seen:?}\n{tail}");
    assert_eq!(seen.registered, 2 * calls, "{seen:?}");
    assert_eq!(seen.challenged, 2 * calls, "{seen:?}");
    assert!(seen.rejected.is_empty(), "{seen:?}");
    assert_eq!(seen.aors_left, 0, "{seen:?}");
}
