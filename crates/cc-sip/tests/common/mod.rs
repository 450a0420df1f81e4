//! Running SIPp against a driver thread on 127.0.0.1, shared by the SIPp tests.
//!
//! Each test crate uses part of it.
#![allow(dead_code)]

pub(crate) mod relay;

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
pub(crate) fn free_udp_port() -> u16 {
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

/// A TCP port that was free a moment ago (also free on UDP, for SIPp's `-t t1`).
pub(crate) fn free_tcp_port() -> u16 {
    for _ in 0..20 {
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = listener.local_addr().map(|a| a.port()) else {
            continue;
        };
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    0
}

/// The path of scenario `name` in `tests/data/sipp/`.
pub(crate) fn scenario_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sipp")
        .join(name)
}

/// A SIPp process whose screen goes to a file (a pipe could fill and stall it).
pub(crate) struct SippProcess {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl SippProcess {
    /// Starts `sipp` with `args` plus bounded timeouts and a free media port, on
    /// 127.0.0.1.
    pub(crate) fn spawn(label: &str, args: &[String]) -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let log = std::env::temp_dir().join(format!("cc-sip-sipp-{}-{label}-{n}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("sipp log file");
        let err = file.try_clone().expect("sipp log file");
        let child = Command::new("sipp")
            .args(args)
            .args(["-i", "127.0.0.1", "-mp", &free_udp_port().to_string()])
            .args(["-timeout", "60s", "-nostdin"])
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .expect("sipp starts");
        Self { child, log }
    }

    /// Waits at most `limit` for SIPp to exit (killing it after that); returns its exit
    /// status (`None` when killed) and everything it printed.
    pub(crate) fn finish(mut self, limit: Duration) -> (Option<i32>, String) {
        let started = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if started.elapsed() < limit => thread::sleep(Duration::from_millis(50)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
            }
        };
        let output = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        (status, output)
    }
}

impl Drop for SippProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last "Successful call" and "Failed call" totals of SIPp's statistics screen.
pub(crate) fn call_totals(output: &str) -> Option<(u64, u64)> {
    let total = |label: &str| {
        output
            .lines()
            .rfind(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split('|').nth(2))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((total("Successful call")?, total("Failed call")?))
}

/// The retransmission count (the column after the message count) of a message line of
/// SIPp's last screen: the `from_end`-th line from the end (0 for the last) that shows
/// `arrow` (e.g. `200 <----------`).
pub(crate) fn retransmissions(output: &str, arrow: &str, from_end: usize) -> Option<u64> {
    output
        .lines()
        .filter(|l| l.trim_start().starts_with(arrow))
        .nth_back(from_end)?
        .trim_start()
        .strip_prefix(arrow)?
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .nth(1)?
        .parse()
        .ok()
}

/// The last 2,000 characters of `text`.
pub(crate) fn tail(text: &str) -> String {
    let skip = text.chars().count().saturating_sub(2_000);
    text.chars().skip(skip).collect()
}
