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
//! A second group, `rtp_transcode_pcmu_to_opus_32kbps_one_pair_one_worker`, does the same
//! with session B speaking Opus (32 kbit/s, complexity 5, 20 ms): each packet is decoded
//! from PCMU and encoded to Opus on the worker, so it measures how many transcoded streams
//! (at 50 packets/s each) a worker core carries.
//!
//! After each criterion group, the bench moves five rounds of packets more (400,000 relayed,
//! 20,000 transcoded) and reads the worker thread's CPU time from `/proc` (Linux), printing
//! the median packets per second per core of the worker: the figure to compare with a
//! userspace relay such as rtpengine's (about 300k/s per core). The worker's system time
//! includes the kernel's loopback delivery of what it sends (when the kernel does it in the
//! worker's context rather than in `ksoftirqd`).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ccsdk::media::codec::{Codec, G711, Law};
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
    /// PCMU into A; B sends `out` (PCMU: relay; Opus: transcode).
    fn new(port_min: u16, out: PayloadFormat) -> Rig {
        let mut config = EngineConfig::new(LOCAL, port_min, port_min + 99);
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
        b.set_remote(sink.local_addr().expect("addr"), out)
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
        .write(&[], &tone_pcmu(), &mut packet)
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

/// 20 ms of a 1 kHz tone in µ-law.
fn tone_pcmu() -> [u8; 160] {
    let pcm: Vec<i16> = (0..160)
        .map(|n| (8000.0 * (std::f64::consts::TAU * 1000.0 * f64::from(n) / 8000.0).sin()) as i16)
        .collect();
    let mut out = [0_u8; 160];
    G711::new(Law::Mu).encode(&pcm, &mut out).expect("encode");
    out
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

/// Criterion's figure for `rig`, then medians of five rounds of `n` packets: end to end,
/// and per second of the worker thread's CPU time.
fn measure(c: &mut Criterion, rig: &mut Rig, group: &str, n: u64) {
    rig.relay(n / 10); // warm up
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    g.bench_function("loopback_window_64", |bencher| {
        bencher.iter_custom(|iters| {
            let start = Instant::now();
            let got = rig.relay(iters);
            assert_eq!(got, iters, "packets lost");
            start.elapsed()
        });
    });
    g.finish();

    let mut wall_rates = Vec::new();
    let mut core_rates = Vec::new();
    for _ in 0..5 {
        let cpu0 = thread_cpu("cc-media-0");
        let start = Instant::now();
        let got = rig.relay(n);
        let wall = start.elapsed();
        let cpu1 = thread_cpu("cc-media-0");
        assert_eq!(got, n, "packets lost");
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
        "{group}: 5 rounds of {n} packets: median {:.0} packets/s wall clock",
        median(&mut wall_rates)
    );
    if !core_rates.is_empty() {
        println!(
            "{group}: median {:.0} packets/s per core of the worker thread (its user + system CPU time)",
            median(&mut core_rates)
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut relay = Rig::new(36_000, PayloadFormat::pcmu());
    measure(
        &mut c,
        &mut relay,
        "rtp_relay_pcmu_172b_one_pair_one_worker",
        400_000,
    );
    drop(relay);
    // The engine's threads are gone before the next one names its own `cc-media-0`.
    let mut transcode = Rig::new(36_200, PayloadFormat::opus(111));
    measure(
        &mut c,
        &mut transcode,
        "rtp_transcode_pcmu_to_opus_32kbps_one_pair_one_worker",
        20_000,
    );
    c.final_summary();
}
