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

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cc_sip::auth::{Algorithm, DigestServer};
use cc_sip::registrar::{Outcome, Registrar, RegistrarConfig};
use cc_sip::transaction::{Config, Event, TransactionLayer};

#[derive(Debug, Default)]
struct Seen {
    challenged: usize,
    registered: usize,
    rejected: Vec<u16>,
    /// Bindings left at the end.
    aors_left: usize,
}

fn sipp_available() -> bool {
    Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_or(0, |a| a.port())
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
    if !sipp_available() {
        eprintln!("note: sipp is not installed; skipping the SIPp REGISTER test");
        return;
    }
    let calls = 20;
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr: SocketAddr = socket.local_addr().expect("local address");
    let stop = Arc::new(AtomicBool::new(false));
    let driver = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || drive(&socket, &stop))
    };
    let xml = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sipp/register_auth_uac.xml");
    let mut child = Command::new("sipp")
        .arg(addr.to_string())
        .arg("-sf")
        .arg(&xml)
        .args(["-s", "alice", "-m", &calls.to_string(), "-r", "10", "-l", "1"])
        .args(["-i", "127.0.0.1", "-p", &free_udp_port().to_string()])
        .args(["-mp", &free_udp_port().to_string()])
        .args([
            "-timeout",
            "30s",
            "-timeout_error",
            "-recv_timeout",
            "10s",
            "-nostdin",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp starts");
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if started.elapsed() < Duration::from_secs(60) => {
                thread::sleep(Duration::from_millis(50));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    stop.store(true, Ordering::Relaxed);
    let seen = driver.join().expect("driver thread");
    let output = child
        .wait_with_output()
        .map(|o| {
            format!(
                "{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .unwrap_or_default();
    let tail: String = output
        .chars()
        .rev()
        .take(2000)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    assert_eq!(status, Some(0), "sipp failed: {seen:?}\n{tail}");
    assert_eq!(seen.registered, 2 * calls, "{seen:?}");
    assert_eq!(seen.challenged, 2 * calls, "{seen:?}");
    assert!(seen.rejected.is_empty(), "{seen:?}");
    assert_eq!(seen.aors_left, 0, "{seen:?}");
}
