//! RTP relay through the media engine over loopback: packets per second through one bridged
//! pair of sessions on one worker thread.
//!
//! Workload (in the group name): PCMU packets of 172 bytes (12-byte header, 160-byte
//! payload) sent by a plain UDP socket into session A, bridged to session B on the same
//! worker, whose remote is a second plain socket. Same codec, so the engine relays: header
//! rewritten (SSRC, sequence, timestamp), payload untouched. The sending and receiving
//! sockets run in the bench thread with at most 64 packets in flight, so nothing is lost to
//! a full socket buffer; one criterion iteration is one packet relayed end to end.
//!
//! After criterion, the bench relays five rounds of 400,000 packets more and reads the
//! worker thread's CPU time from `/proc` (Linux), printing the median packets per second
//! per core of the worker: the figure to compare with a userspace relay such as
//! rtpengine's (about 300k/s per core). The worker's system time includes the kernel's
//! loopback delivery of what it sends.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ccsdk::media::engine::{EngineConfig, MediaEngine, MediaSession, PayloadFormat, SessionConfig};
use ccsdk::media::rtp::RtpHeader;
use criterion::{Criterion, Throughput};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WINDOW: u64 = 64;

struct Rig {
    _engine: MediaEngine,
    _a: MediaSession,
    _b: MediaSession,
    source: UdpSocket,
    sink: UdpSocket,
    to: SocketAddr,
    packet: Vec<u8>,
    seq: u16,
}

impl Rig {
    fn new() -> Rig {
        let mut config = EngineConfig::new(LOCAL, 36_000, 36_099);
        config.workers = 1;
        let engine = MediaEngine::start(config).expect("engine");
        let source = UdpSocket::bind((LOCAL, 0)).expect("source socket");
        let sink = UdpSocket::bind((LOCAL, 0)).expect("sink socket");
        sink.set_read_timeout(Some(Duration::from_secs(1)))
            .expect("timeout");
        let a = engine.open_session(SessionConfig::default()).expect("session a");
        let b = engine.open_session(SessionConfig::default()).expect("session b");
        a.set_remote(source.local_addr().expect("addr"), PayloadFormat::pcmu())
            .expect("remote a");
        b.set_remote(sink.local_addr().expect("addr"), PayloadFormat::pcmu())
            .expect("remote b");
        engine.bridge(&a, &b).wait().expect("bridge");
        let mut packet = vec![0; 172];
        RtpHeader {
            payload_type: 0,
            marker: false,
            sequence: 0,
            timestamp: 0,
            ssrc: 0x5EED,
        }
        .write(&[], &[0xD5; 160], &mut packet)
        .expect("packet");
        let to = a.local_rtp_addr();
        Rig {
            _engine: engine,
            _a: a,
            _b: b,
            source,
            sink,
            to,
            packet,
            seq: 0,
        }
    }

    /// Relays `n` packets, at most [`WINDOW`] in flight; returns how many came back.
    fn relay(&mut self, n: u64) -> u64 {
        let mut buf = [0_u8; 2048];
        let (mut sent, mut got) = (0_u64, 0_u64);
        while got < n {
            while sent < n && sent - got < WINDOW {
                self.seq = self.seq.wrapping_add(1);
                self.packet[2..4].copy_from_slice(&self.seq.to_be_bytes());
                let ts = u32::from(self.seq) * 160;
                self.packet[4..8].copy_from_slice(&ts.to_be_bytes());
                if self.source.send_to(&self.packet, self.to).is_ok() {
                    sent += 1;
                }
            }
            match self.sink.recv_from(&mut buf) {
                Ok(_) => got += 1,
                // A second of silence: the rest was lost; stop waiting for it.
                Err(_) => return got,
            }
        }
        black_box(&buf);
        got
    }
}

/// CPU time (user + system) of this process's thread named `name`, from `/proc`.
fn thread_cpu(name: &str) -> Option<Duration> {
    let ticks_per_second = 100.0; // USER_HZ, 100 on every Linux this runs on
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).ok()?;
        // Fields after the ")" closing the command: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        return Some(Duration::from_secs_f64((utime + stime) / ticks_per_second));
    }
    None
}

fn main() {
    let mut rig = Rig::new();
    rig.relay(10_000); // warm up
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("rtp_relay_pcmu_172b_one_pair_one_worker");
    group.throughput(Throughput::Elements(1));
    group.bench_function("loopback_window_64", |bencher| {
        bencher.iter_custom(|iters| {
            let start = Instant::now();
            let got = rig.relay(iters);
            assert_eq!(got, iters, "packets lost in the relay");
            start.elapsed()
        });
    });
    group.finish();
    c.final_summary();

    // Five rounds; the medians damp the noise of a shared machine.
    let n = 400_000;
    let mut wall_rates = Vec::new();
    let mut core_rates = Vec::new();
    for _ in 0..5 {
        let cpu0 = thread_cpu("cc-media-0");
        let start = Instant::now();
        let got = rig.relay(n);
        let wall = start.elapsed();
        let cpu1 = thread_cpu("cc-media-0");
        assert_eq!(got, n, "packets lost in the relay");
        wall_rates.push(got as f64 / wall.as_secs_f64());
        if let Some(cpu) = cpu0.zip(cpu1).and_then(|(a, b)| b.checked_sub(a))
            && !cpu.is_zero()
        {
            core_rates.push(got as f64 / cpu.as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    println!(
        "rtp_relay: 5 rounds of {n} packets: median {:.0} packets/s wall clock",
        median(&mut wall_rates)
    );
    if !core_rates.is_empty() {
        println!(
            "rtp_relay: median {:.0} packets/s per core of the worker thread (its user + system CPU time)",
            median(&mut core_rates)
        );
    }
}
