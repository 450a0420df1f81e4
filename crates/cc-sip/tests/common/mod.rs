//! Running SIPp against a driver thread on 127.0.0.1, shared by the SIPp tests.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Whether a `sipp` binary can be run.
pub(crate) fn sipp_available() -> bool {
    Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A UDP port that was free a moment ago (for SIPp's own signalling and media sockets).
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_or(0, |a| a.port())
}

/// What one SIPp run ended with.
pub(crate) struct SippRun<S> {
    /// SIPp's exit status; `None` when it had to be killed after 60 s.
    pub(crate) status: Option<i32>,
    /// What the driver saw.
    pub(crate) seen: S,
    /// The last 2,000 characters SIPp printed, for failure messages.
    pub(crate) tail: String,
}

/// Runs `drive` on a fresh socket on a thread, then SIPp's `scenario` (a file in
/// `tests/data/sipp/`) against it with `args` (calls, rate, limit...) plus the bounded
/// timeouts every run uses. After SIPp exits, waits `settle` for its last datagrams, then
/// stops the driver.
pub(crate) fn run_sipp<S: Send + 'static>(
    scenario: &str,
    args: &[&str],
    settle: Duration,
    drive: impl FnOnce(&UdpSocket, &AtomicBool) -> S + Send + 'static,
) -> SippRun<S> {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr: SocketAddr = socket.local_addr().expect("local address");
    let stop = Arc::new(AtomicBool::new(false));
    let driver = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || drive(&socket, &stop))
    };
    let xml = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sipp")
        .join(scenario);
    let mut child = Command::new("sipp")
        .arg(addr.to_string())
        .arg("-sf")
        .arg(&xml)
        .args(args)
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
    thread::sleep(settle);
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
    let skip = output.chars().count().saturating_sub(2_000);
    SippRun {
        status,
        seen,
        tail: output.chars().skip(skip).collect(),
    }
}
