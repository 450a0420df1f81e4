//! The media engine over real UDP sockets on 127.0.0.1: playback between two engines, relay
//! and transcode through bridges, DTMF in both forms, bridged recording, ports, timeouts and
//! bad packets. Every wait is bounded by a generous deadline; assertions are on content and
//! order, never on exact timing.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cc_core::{CallId, DtmfDigit, RecordingId, TenantId};
use cc_media::Error;
use cc_media::codec::{Codec, G711, Law, Opus, OpusConfig};
use cc_media::dtmf::DtmfSender;
use cc_media::engine::{
    AudioCodec, DtmfSource, EngineConfig, MediaEngine, MediaSession, PayloadFormat, PlayItem, SessionConfig,
    SessionEvent, SessionStats,
};
use cc_media::player::tones::ToneSpec;
use cc_media::recorder::{Layout, LocalStore, RecordingRequest};
use cc_media::rtp::{RtpHeader, RtpPacket};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(10);

/// An engine on 127.0.0.1 with its own port range (tests run in parallel processes).
fn engine(port_min: u16, workers: usize) -> MediaEngine {
    let mut config = EngineConfig::new(LOCAL, port_min, port_min + 99);
    config.workers = workers;
    MediaEngine::start(config).unwrap()
}

/// A plain UDP socket standing for a phone or a carrier.
fn phone() -> UdpSocket {
    let s = UdpSocket::bind((LOCAL, 0)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    s
}

fn addr(s: &UdpSocket) -> SocketAddr {
    s.local_addr().unwrap()
}

fn rtp(pt: u8, seq: u16, timestamp: u32, ssrc: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0; 12 + payload.len()];
    let n = RtpHeader {
        payload_type: pt,
        marker,
        sequence: seq,
        timestamp,
        ssrc,
    }
    .write(&[], payload, &mut out)
    .unwrap();
    out.truncate(n);
    out
}

/// `ms` of a sine at `freq` Hz, 8 kHz, amplitude 8000, starting at sample `from`.
fn sine(freq: f64, from: usize, len: usize) -> Vec<i16> {
    (from..from + len)
        .map(|n| (8000.0 * (std::f64::consts::TAU * freq * n as f64 / 8000.0).sin()) as i16)
        .collect()
}

/// `count` PCMU packets of a `freq` Hz tone, 20 ms each.
fn pcmu_tone(freq: f64, count: usize, ssrc: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut g = G711::new(Law::Mu);
    (0..count)
        .map(|i| {
            let pcm = sine(freq, i * 160, 160);
            let mut payload = vec![0; 160];
            g.encode(&pcm, &mut payload).unwrap();
            let packet = rtp(
                0,
                1000 + i as u16,
                50_000 + 160 * i as u32,
                ssrc,
                i == 0,
                &payload,
            );
            (packet, payload)
        })
        .collect()
}

/// Receives datagrams until `want` arrived or `within` passed.
fn collect(s: &UdpSocket, want: usize, within: Duration) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0_u8; 2048];
    while got.len() < want && Instant::now() < deadline {
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            got.push(buf[..n].to_vec());
        }
    }
    got
}

/// Share of the signal's energy at `freq` (1.0 for a pure tone at `freq`), by Goertzel.
fn tone_share(x: &[i16], freq: f64, rate: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / rate;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let energy: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    if energy == 0.0 {
        0.0
    } else {
        2.0 * power / (x.len() as f64 * energy)
    }
}

fn stats_until(session: &MediaSession, done: impl Fn(&SessionStats) -> bool) -> SessionStats {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = session.stats().wait().unwrap();
        if done(&stats) || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn wait_event(session: &MediaSession, want: impl Fn(&SessionEvent) -> bool) -> Option<SessionEvent> {
    let events = session.events();
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.next_timeout(left) {
            Some(e) if want(&e) => return Some(e),
            Some(_) => {}
            None => return None,
        }
    }
    None
}

fn tone(freq: &'static [u32], ms: u64) -> PlayItem {
    PlayItem::Tone {
        spec: ToneSpec {
            freqs: freq,
            cadence_ms: &[],
        },
        duration: Some(Duration::from_millis(ms)),
    }
}

fn request(id: &str) -> RecordingRequest {
    RecordingRequest::new(
        TenantId::new("acme").unwrap(),
        CallId::new("call-1").unwrap(),
        RecordingId::new(id).unwrap(),
        Layout::Stereo,
        SystemTime::now(),
    )
}

/// Left and right channels of a stereo 16-bit WAV.
fn read_stereo(path: &std::path::Path) -> (Vec<i16>, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    assert_eq!(reader.spec().channels, 2);
    assert_eq!(reader.spec().sample_rate, 8000);
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let left = samples.iter().step_by(2).copied().collect();
    let right = samples.iter().skip(1).step_by(2).copied().collect();
    (left, right)
}

/// The longest run of non-silent samples' worth of audio: the part of `x` from the first to
/// the last sample above `level`.
fn audible(x: &[i16], level: i16) -> &[i16] {
    let first = x.iter().position(|v| v.abs() > level).unwrap_or(0);
    let last = x.iter().rposition(|v| v.abs() > level).unwrap_or(0);
    &x[first..=last.max(first)]
}

#[test]
fn a_tone_played_on_one_engine_is_heard_by_another() {
    let engine_a = engine(31_000, 1);
    let engine_b = engine(31_200, 1);
    let a = engine_a.open_session(SessionConfig::default()).unwrap();
    let b = engine_b.open_session(SessionConfig::default()).unwrap();
    a.set_remote(b.local_rtp_addr(), PayloadFormat::pcmu()).unwrap();
    b.set_remote(a.local_rtp_addr(), PayloadFormat::pcmu()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    b.start_recording(store, request("heard")).wait().unwrap();

    a.play([tone(&[1000], 1000)]).unwrap();
    assert_eq!(
        wait_event(&a, |e| matches!(e, SessionEvent::PlayFinished { .. })),
        Some(SessionEvent::PlayFinished { interrupted: false })
    );
    let stats = stats_until(&b, |s| s.packets_received >= 50);
    // 1 s of audio in 20 ms packets: 50, all of them on loopback.
    assert_eq!(stats.packets_received, 50, "{stats:?}");
    assert_eq!(stats.quality.lost, 0);
    std::thread::sleep(Duration::from_millis(200));
    let meta = b.stop_recording().wait().unwrap();
    let (left, _) = read_stereo(&meta.location);
    let heard = audible(&left, 500);
    assert!(
        heard.len() >= 7000,
        "only {} samples of tone recorded",
        heard.len()
    );
    let share = tone_share(heard, 1000.0, 8000.0);
    assert!(share > 0.95, "1 kHz holds {share:.3} of the energy");
    let a_stats = a.close().wait().unwrap();
    assert_eq!(a_stats.packets_sent, 50);
    b.close().wait().unwrap();
}

#[test]
fn relay_keeps_payloads_and_continues_the_stream_after_a_prompt() {
    // Two workers: the sessions start on different workers and the bridge moves one.
    let engine = engine(31_400, 2);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcmu()).unwrap();

    // The agent first hears a 100 ms prompt from the engine (5 packets)...
    b.play([tone(&[440], 100)]).unwrap();
    let prompt = collect(&agent, 5, WAIT);
    assert_eq!(prompt.len(), 5);
    assert!(wait_event(&b, |e| matches!(e, SessionEvent::PlayFinished { .. })).is_some());
    // ...then the caller, relayed.
    engine.bridge(&a, &b).wait().unwrap();
    let sent = pcmu_tone(1000.0, 50, 0xCAFE);
    for (packet, _) in &sent {
        caller.send_to(packet, a.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let relayed = collect(&agent, 50, WAIT);
    assert_eq!(relayed.len(), 50);

    let all: Vec<RtpPacket<'_>> = prompt
        .iter()
        .chain(&relayed)
        .map(|p| RtpPacket::parse(p).unwrap())
        .collect();
    let ssrc = all[0].ssrc();
    assert_ne!(ssrc, 0xCAFE, "the relay sends in the session's own stream");
    for (i, pair) in all.windows(2).enumerate() {
        assert_eq!(pair[1].ssrc(), ssrc);
        assert_eq!(
            pair[1].sequence(),
            pair[0].sequence().wrapping_add(1),
            "packet {i}"
        );
        let step = pair[1].timestamp().wrapping_sub(pair[0].timestamp());
        assert!(
            (160..80_000).contains(&step),
            "timestamp step {step} at packet {i}"
        );
    }
    // The first relayed packet marks the new talkspurt; the rest step by 160 exactly.
    assert!(all[5].marker());
    for pair in all[5..].windows(2) {
        assert_eq!(pair[1].timestamp().wrapping_sub(pair[0].timestamp()), 160);
    }
    for (got, (_, payload)) in relayed.iter().zip(&sent) {
        let p = RtpPacket::parse(got).unwrap();
        assert_eq!(p.payload(), &payload[..]);
        assert_eq!(p.payload_type(), 0);
    }
    // A burst with no pause (read in batches, sent in GSO batches): still every payload,
    // in order, continuing the sequence.
    let burst: Vec<(Vec<u8>, Vec<u8>)> = pcmu_tone(700.0, 100, 0xCAFE)
        .into_iter()
        .enumerate()
        .map(|(i, (_, payload))| {
            let seq = 1050 + i as u16;
            (
                rtp(0, seq, 50_000 + 160 * (50 + i as u32), 0xCAFE, false, &payload),
                payload,
            )
        })
        .collect();
    for (packet, _) in &burst {
        caller.send_to(packet, a.local_rtp_addr()).unwrap();
    }
    let burst_out = collect(&agent, 100, WAIT);
    assert_eq!(burst_out.len(), 100);
    let mut last = all.last().map(RtpPacket::sequence).unwrap();
    for (got, (_, payload)) in burst_out.iter().zip(&burst) {
        let p = RtpPacket::parse(got).unwrap();
        assert_eq!((p.ssrc(), p.sequence()), (ssrc, last.wrapping_add(1)));
        assert_eq!(p.payload(), &payload[..]);
        last = p.sequence();
    }
    let stats = a.close().wait().unwrap();
    assert_eq!((stats.relayed, stats.transcoded), (150, 0));
    assert_eq!(b.close().wait().unwrap().packets_sent, 155);
}

#[test]
fn pcmu_is_transcoded_to_opus_and_the_tone_survives() {
    let engine = engine(31_600, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::opus(111)).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    let sent = pcmu_tone(1000.0, 50, 7);
    for (packet, _) in &sent {
        caller.send_to(packet, a.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let got = collect(&agent, 50, WAIT);
    assert_eq!(got.len(), 50);
    let mut opus = Opus::new(OpusConfig {
        sample_rate: 48_000,
        ..OpusConfig::default()
    })
    .unwrap();
    let mut pcm = Vec::new();
    let mut frame = [0_i16; 960];
    for (i, packet) in got.iter().enumerate() {
        let p = RtpPacket::parse(packet).unwrap();
        assert_eq!(p.payload_type(), 111);
        if i > 0 {
            let prev = RtpPacket::parse(&got[i - 1]).unwrap();
            // Opus runs on a 48 kHz RTP clock: 960 per 20 ms.
            assert_eq!(p.timestamp().wrapping_sub(prev.timestamp()), 960);
        }
        let n = opus.decode(p.payload(), &mut frame).unwrap();
        pcm.extend_from_slice(&frame[..n]);
    }
    // Past the codec's start-up, 1 kHz holds at least 99 % of the energy: the tone stands
    // 20 dB above everything else the two codecs added.
    let share = tone_share(&pcm[48_000 / 5..], 1000.0, 48_000.0);
    assert!(share > 0.99, "1 kHz holds {share:.4} of the energy");
    // And back: Opus at 48 kHz from the agent reaches the caller as PCMU.
    let mut opus_out = Opus::new(OpusConfig {
        sample_rate: 48_000,
        ..OpusConfig::default()
    })
    .unwrap();
    let mut payload = [0_u8; 1500];
    for i in 0..50_usize {
        let pcm: Vec<i16> = (i * 960..(i + 1) * 960)
            .map(|n| (8000.0 * (std::f64::consts::TAU * 600.0 * n as f64 / 48_000.0).sin()) as i16)
            .collect();
        let len = opus_out.encode(&pcm, &mut payload).unwrap();
        let packet = rtp(111, i as u16, 960 * i as u32, 99, i == 0, &payload[..len]);
        agent.send_to(&packet, b.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let back = collect(&caller, 50, WAIT);
    assert_eq!(back.len(), 50);
    let mut pcmu = G711::new(Law::Mu);
    let mut heard = Vec::new();
    for packet in &back {
        let p = RtpPacket::parse(packet).unwrap();
        assert_eq!((p.payload_type(), p.payload().len()), (0, 160));
        let mut frame = [0_i16; 160];
        pcmu.decode(p.payload(), &mut frame).unwrap();
        heard.extend_from_slice(&frame);
    }
    let share = tone_share(&heard[1600..], 600.0, 8000.0);
    assert!(share > 0.99, "600 Hz holds {share:.4} of the energy");

    let stats = a.close().wait().unwrap();
    assert_eq!((stats.relayed, stats.transcoded), (0, 50));
    assert_eq!(stats.packets_sent, 50);
    let stats = b.close().wait().unwrap();
    assert_eq!((stats.packets_sent, stats.transcoded), (50, 50));
}

#[test]
fn symmetric_rtp_learns_the_source_and_unbridge_stops_the_relay() {
    let engine = engine(30_800, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    // The caller's SDP named an address it does not send from (NAT): learned from RTP.
    let claimed: SocketAddr = "127.0.0.1:9".parse().unwrap();
    a.set_remote(claimed, PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcmu()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    let packets = pcmu_tone(1000.0, 10, 3);
    caller.send_to(&packets[0].0, a.local_rtp_addr()).unwrap();
    assert_eq!(
        wait_event(&a, |e| matches!(e, SessionEvent::RemoteChanged { .. })),
        Some(SessionEvent::RemoteChanged {
            from: Some(claimed),
            to: addr(&caller)
        })
    );
    assert_eq!(collect(&agent, 1, WAIT).len(), 1);
    // The agent's audio now reaches the caller at the learned address.
    agent.send_to(&packets[1].0, b.local_rtp_addr()).unwrap();
    assert_eq!(collect(&caller, 1, WAIT).len(), 1);

    // A long prompt to the agent, stopped: PlayFinished says it was interrupted.
    b.play([tone(&[440], 60_000)]).unwrap();
    assert_eq!(collect(&agent, 3, WAIT).len(), 3);
    b.stop_play().unwrap();
    assert_eq!(
        wait_event(&b, |e| matches!(e, SessionEvent::PlayFinished { .. })),
        Some(SessionEvent::PlayFinished { interrupted: true })
    );

    // Unbridged: the caller's packets are no longer relayed.
    engine.unbridge(&a).wait().unwrap();
    for (packet, _) in &packets[2..] {
        caller.send_to(packet, a.local_rtp_addr()).unwrap();
    }
    let stats = stats_until(&a, |s| s.packets_received >= 9);
    assert_eq!(stats.packets_received, 9);
    // Only the tail of the stopped prompt may still be in the agent's socket.
    let stray = collect(&agent, 20, Duration::from_millis(300));
    for packet in &stray {
        let payload = RtpPacket::parse(packet).unwrap().payload().to_vec();
        assert!(
            packets.iter().all(|(_, p)| *p != payload),
            "a caller packet was relayed after unbridge"
        );
    }
    assert_eq!(stats.relayed, 1);
    // Closing one leg of a bridge leaves the other working.
    engine.bridge(&a, &b).wait().unwrap();
    a.close().wait().unwrap();
    assert!(matches!(
        engine.bridge(&a, &b).wait(),
        Err(Error::SessionClosed { .. })
    ));
    b.play([tone(&[440], 40)]).unwrap();
    assert!(wait_event(&b, |e| matches!(e, SessionEvent::PlayFinished { .. })).is_some());
}

#[test]
fn each_dtmf_digit_is_reported_once_out_of_band_and_in_band() {
    let engine = engine(31_800, 1);
    let phone_a = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&phone_a), PayloadFormat::pcmu()).unwrap();
    // RFC 4733: every packet of each digit sent twice (duplicates), end packets three times.
    let sender = DtmfSender::new(8000).unwrap();
    let mut seq = 0_u16;
    for (k, c) in ['1', '5', '#'].into_iter().enumerate() {
        let digit = DtmfDigit::from_char(c).unwrap();
        for p in sender.packets(digit, 8000 * k as u32, 120).unwrap() {
            let packet = rtp(101, seq, p.timestamp, 42, p.marker, &p.payload);
            seq = seq.wrapping_add(1);
            phone_a.send_to(&packet, a.local_rtp_addr()).unwrap();
            phone_a.send_to(&packet, a.local_rtp_addr()).unwrap();
        }
    }
    let mut digits = Vec::new();
    let events = a.events();
    while let Some(e) = events.next_timeout(Duration::from_millis(1500)) {
        if let SessionEvent::Dtmf { digit, source } = e {
            assert_eq!(source, DtmfSource::Rfc4733);
            digits.push(digit.as_char());
        }
    }
    assert_eq!(digits, ['1', '5', '#']);

    // In band: the keys as tones in G.711 audio, 100 ms on and 100 ms off.
    let phone_b = phone();
    let b = engine
        .open_session(SessionConfig {
            inband_dtmf: true,
            ..SessionConfig::default()
        })
        .unwrap();
    let mut format = PayloadFormat::pcma();
    format.telephone_event_pt = None;
    b.set_remote(addr(&phone_b), format).unwrap();
    let mut audio = Vec::new();
    for (low, high) in [(852.0, 1209.0), (941.0, 1336.0)] {
        let (l, h) = (sine(low, 0, 800), sine(high, 0, 800));
        audio.extend(l.iter().zip(&h).map(|(&l, &h)| l / 2 + h / 2));
        audio.extend(std::iter::repeat_n(0, 800));
    }
    let mut g = G711::new(Law::A);
    for (i, chunk) in audio.chunks(160).enumerate() {
        let mut payload = [0_u8; 160];
        g.encode(chunk, &mut payload).unwrap();
        let packet = rtp(8, i as u16, 160 * i as u32, 43, false, &payload);
        phone_b.send_to(&packet, b.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut digits = Vec::new();
    let events = b.events();
    while let Some(e) = events.next_timeout(Duration::from_millis(1500)) {
        if let SessionEvent::Dtmf { digit, source } = e {
            assert_eq!(source, DtmfSource::InBand);
            digits.push(digit.as_char());
        }
    }
    assert_eq!(digits, ['7', '0']);
}

#[test]
fn a_bridged_recorded_call_has_each_party_on_its_own_channel() {
    let engine = engine(32_000, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcmu()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    a.start_recording(store, request("bridged")).wait().unwrap();

    // One second of talk in real time: the caller at 1 kHz, the agent at 500 Hz.
    let from_caller = pcmu_tone(1000.0, 50, 1);
    let from_agent = pcmu_tone(500.0, 50, 2);
    let start = Instant::now();
    for (i, ((c, _), (g, _))) in from_caller.iter().zip(&from_agent).enumerate() {
        if let Some(wait) =
            (start + Duration::from_millis(20 * i as u64)).checked_duration_since(Instant::now())
        {
            std::thread::sleep(wait);
        }
        caller.send_to(c, a.local_rtp_addr()).unwrap();
        agent.send_to(g, b.local_rtp_addr()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let meta = a.stop_recording().wait().unwrap();
    assert!(meta.duration >= Duration::from_millis(900), "{:?}", meta.duration);
    let (left, right) = read_stereo(&meta.location);
    let (left, right) = (audible(&left, 500), audible(&right, 500));
    assert!(
        left.len() >= 6400 && right.len() >= 6400,
        "{} and {} samples",
        left.len(),
        right.len()
    );
    let (l1k, r500) = (tone_share(left, 1000.0, 8000.0), tone_share(right, 500.0, 8000.0));
    assert!(l1k > 0.9, "caller channel: 1 kHz holds {l1k:.3}");
    assert!(r500 > 0.9, "agent channel: 500 Hz holds {r500:.3}");
    // Each party also heard the other, relayed.
    assert_eq!(collect(&caller, 50, WAIT).len(), 50);
    assert_eq!(collect(&agent, 50, WAIT).len(), 50);
}

#[test]
fn ports_run_out_with_a_typed_error_and_come_back_on_close() {
    let mut config = EngineConfig::new(LOCAL, 32_200, 32_203);
    config.workers = 1;
    let engine = MediaEngine::start(config).unwrap();
    assert_eq!(engine.free_ports(), 2);
    let first = engine.open_session(SessionConfig::default()).unwrap();
    let second = engine.open_session(SessionConfig::default()).unwrap();
    for s in [&first, &second] {
        assert_eq!(s.local_rtp_addr().port() % 2, 0);
        // RTCP's port is held too.
        assert!(UdpSocket::bind((LOCAL, s.local_rtp_addr().port() + 1)).is_err());
    }
    assert!(matches!(
        engine.open_session(SessionConfig::default()),
        Err(Error::PortsExhausted {
            min: 32_200,
            max: 32_203
        })
    ));
    let port = first.local_rtp_addr().port();
    first.close().wait().unwrap();
    assert!(matches!(first.close().wait(), Err(Error::SessionClosed { .. })));
    let third = engine.open_session(SessionConfig::default()).unwrap();
    assert_eq!(third.local_rtp_addr().port(), port);
    // Dropping the last handle closes the session too.
    drop(second);
    let deadline = Instant::now() + WAIT;
    while engine.free_ports() != 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(engine.free_ports(), 1);
}

#[test]
fn silence_raises_an_rtp_timeout_once_until_rtp_comes_back() {
    let mut config = EngineConfig::new(LOCAL, 32_400, 32_499);
    config.workers = 1;
    config.rtp_timeout = Duration::from_millis(300);
    let engine = MediaEngine::start(config).unwrap();
    let p = phone();
    let s = engine.open_session(SessionConfig::default()).unwrap();
    s.set_remote(addr(&p), PayloadFormat::pcmu()).unwrap();
    let events = s.events();
    assert_eq!(events.next_timeout(WAIT), Some(SessionEvent::RtpTimeout));
    // Nothing more while it stays silent.
    assert_eq!(events.next_timeout(Duration::from_millis(700)), None);
    // RTP comes back, then stops again: one more timeout.
    p.send_to(&rtp(0, 1, 0, 5, true, &[0xFF; 160]), s.local_rtp_addr())
        .unwrap();
    assert_eq!(events.next_timeout(WAIT), Some(SessionEvent::RtpTimeout));
    assert_eq!(s.stats().wait().unwrap().packets_received, 1);
}

#[test]
fn bad_packets_are_counted_and_dropped_and_the_session_goes_on() {
    let engine = engine(32_600, 1);
    let p = phone();
    let s = engine.open_session(SessionConfig::default()).unwrap();
    s.set_remote(addr(&p), PayloadFormat::pcmu()).unwrap();
    let to = s.local_rtp_addr();
    let mut csrc_truncated = rtp(0, 1, 0, 5, false, &[]);
    csrc_truncated[0] |= 0x0F; // promises 15 CSRCs it does not hold
    let mut wrong_version = rtp(0, 2, 0, 5, false, &[0xFF; 160]);
    wrong_version[0] = (wrong_version[0] & 0x3F) | 0x40;
    for garbage in [&[0x80_u8, 0, 1][..], &wrong_version, &csrc_truncated, &[0xFF; 40]] {
        p.send_to(garbage, to).unwrap();
    }
    // A payload type nobody negotiated, then a good packet.
    p.send_to(&rtp(18, 3, 0, 5, false, &[1; 20]), to).unwrap();
    p.send_to(&rtp(0, 4, 160, 5, false, &[0xFF; 160]), to).unwrap();
    let stats = stats_until(&s, |st| st.packets_received >= 1);
    assert_eq!(stats.packets_received, 1);
    assert_eq!(stats.bad_packets, 4);
    assert_eq!(stats.unknown_payload, 1);
    // Another address is not the latched remote: dropped and counted.
    let intruder = phone();
    intruder
        .send_to(&rtp(0, 5, 320, 6, false, &[0xFF; 160]), to)
        .unwrap();
    let stats = stats_until(&s, |st| st.foreign_packets >= 1);
    assert_eq!((stats.foreign_packets, stats.packets_received), (1, 1));
}

#[test]
fn the_codec_kinds_say_which_legs_relay() {
    assert!(AudioCodec::Pcmu.relays_to(AudioCodec::Pcmu));
    assert!(!AudioCodec::Pcmu.relays_to(AudioCodec::Pcma));
    assert!(AudioCodec::Opus { rate: 16_000 }.relays_to(AudioCodec::Opus { rate: 48_000 }));
    let mut bad = PayloadFormat::opus(0);
    assert!(bad.validate().is_err());
    bad = PayloadFormat::pcmu();
    bad.ptime = Duration::from_millis(25);
    assert!(bad.validate().is_err());
}

#[test]
fn a_paused_span_of_a_recording_is_silent_and_listed() {
    let engine = engine(30_600, 1);
    let s = engine.open_session(SessionConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    // No remote: the played tone is recorded (right channel) but sent nowhere.
    s.start_recording(store, request("paused")).wait().unwrap();
    assert!(matches!(
        s.start_recording(Arc::new(LocalStore::new(dir.path())), request("again"))
            .wait(),
        Err(Error::SessionState { .. })
    ));
    s.play([tone(&[1000], 60_000)]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.pause_recording().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.resume_recording().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let stats = s.close().wait().unwrap();
    let meta = stats
        .recording
        .expect("close stops the recording and returns its metadata");
    assert_eq!(meta.paused.len(), 1);
    let span = meta.paused[0];
    assert!(span.end > span.start + Duration::from_millis(150), "{span:?}");
    let (left, right) = read_stereo(&meta.location);
    let at = |d: Duration| (d.as_millis() * 8) as usize;
    // Inside the pause: silence; before it: the tone.
    let quiet = &right[at(span.start) + 80..at(span.end) - 80];
    assert!(quiet.iter().all(|&v| v == 0), "audio kept while paused");
    let before = &right[..at(span.start)];
    assert!(tone_share(audible(before, 500), 1000.0, 8000.0) > 0.9);
    assert!(left.iter().all(|&v| v == 0), "nothing was received");
}

#[test]
fn sessions_rebridged_across_workers_keep_their_commands_and_ports() {
    // Four workers, twelve sessions: bridges pull sessions from worker to worker while
    // their handles keep sending commands; every bridge ends up relaying, every port
    // comes back.
    let mut config = EngineConfig::new(LOCAL, 30_000, 30_099);
    config.workers = 4;
    let engine = MediaEngine::start(config).unwrap();
    let free = engine.free_ports();
    let sessions: Vec<MediaSession> = (0..12)
        .map(|_| engine.open_session(SessionConfig::default()).unwrap())
        .collect();
    let phones: Vec<UdpSocket> = (0..12).map(|_| phone()).collect();
    for (s, p) in sessions.iter().zip(&phones) {
        s.set_remote(addr(p), PayloadFormat::pcmu()).unwrap();
    }
    // Round after round, pair the sessions differently; queue plays and stops meanwhile.
    let mut replies = Vec::new();
    for round in 0..5 {
        for i in 0..6 {
            let a = &sessions[(2 * i + round) % 12];
            let b = &sessions[(2 * i + 1 + 3 * round) % 12];
            if a.id() != b.id() {
                replies.push(engine.bridge(a, b));
            }
            a.play([tone(&[440], 20)]).unwrap();
            b.stop_play().unwrap();
        }
    }
    for r in replies {
        // A bridge may fail only because a later one took its session (never closed).
        if let Err(e) = r.wait() {
            panic!("bridge failed: {e}");
        }
    }
    // A final, known pairing: 0-1, 2-3, ...
    for i in 0..6 {
        engine
            .bridge(&sessions[2 * i], &sessions[2 * i + 1])
            .wait()
            .unwrap();
    }
    for s in &sessions {
        s.stop_play().unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    for p in &phones {
        while !collect(p, 1, Duration::from_millis(20)).is_empty() {}
    }
    // Each phone's packet reaches its partner's phone, payload intact.
    for i in 0..12 {
        let payload = [i as u8; 160];
        phones[i]
            .send_to(
                &rtp(0, 7, 0, 100 + i as u32, false, &payload),
                sessions[i].local_rtp_addr(),
            )
            .unwrap();
        let partner = i ^ 1;
        let got = collect(&phones[partner], 1, WAIT);
        assert_eq!(got.len(), 1, "session {i} -> {partner}");
        assert_eq!(RtpPacket::parse(&got[0]).unwrap().payload(), &payload[..]);
    }
    assert_eq!(engine.sessions(), 12);
    for s in &sessions {
        s.close().wait().unwrap();
    }
    assert_eq!(engine.sessions(), 0);
    assert_eq!(engine.free_ports(), free);
}

#[test]
fn dtmf_sent_as_telephone_events_is_heard_once_per_digit() {
    let engine = engine(30_400, 2);
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(b.local_rtp_addr(), PayloadFormat::pcmu()).unwrap();
    b.set_remote(a.local_rtp_addr(), PayloadFormat::pcmu()).unwrap();
    a.send_dtmf("12#", Duration::from_millis(100)).wait().unwrap();
    let mut digits = Vec::new();
    let events = b.events();
    while let Some(e) = events.next_timeout(Duration::from_millis(1500)) {
        if let SessionEvent::Dtmf { digit, source } = e {
            assert_eq!(source, DtmfSource::Rfc4733);
            digits.push(digit.as_char());
        }
    }
    assert_eq!(digits, ['1', '2', '#']);

    // On the wire: one event, its packets numbered in order, all stamped with its start.
    let p = phone();
    let c = engine.open_session(SessionConfig::default()).unwrap();
    c.set_remote(addr(&p), PayloadFormat::pcma()).unwrap();
    c.send_dtmf("9", Duration::from_millis(100)).wait().unwrap();
    // 0, 50 ms updates, then three end packets.
    let got = collect(&p, 5, WAIT);
    assert_eq!(got.len(), 5);
    let packets: Vec<RtpPacket<'_>> = got.iter().map(|g| RtpPacket::parse(g).unwrap()).collect();
    let mut receiver = cc_media::dtmf::EventReceiver::new();
    for (i, packet) in packets.iter().enumerate() {
        assert_eq!(packet.payload_type(), 101);
        assert_eq!(packet.timestamp(), packets[0].timestamp());
        assert_eq!(packet.sequence(), packets[0].sequence().wrapping_add(i as u16));
        assert_eq!(packet.marker(), i == 0);
        receiver
            .handle(packet.timestamp(), packet.marker(), packet.payload())
            .unwrap();
    }
    let events: Vec<_> = std::iter::from_fn(|| receiver.poll_event()).collect();
    assert!(matches!(
        events[..],
        [
            cc_media::dtmf::DigitEvent::Began { digit, .. },
            cc_media::dtmf::DigitEvent::Ended { duration: 800, end_seen: true, .. }
        ] if digit.as_char() == '9'
    ));
    // Refused: a bad key, and a format with no telephone-event.
    assert!(c.send_dtmf("x", Duration::from_millis(100)).wait().is_err());
    let mut no_events = PayloadFormat::pcma();
    no_events.telephone_event_pt = None;
    c.set_remote(addr(&p), no_events).unwrap();
    assert!(matches!(
        c.send_dtmf("1", Duration::from_millis(100)).wait(),
        Err(Error::SessionState { .. })
    ));
}

#[test]
fn rtcp_reports_flow_both_ways_and_give_the_round_trip_time() {
    let mut config = EngineConfig::new(LOCAL, 30_200, 30_299);
    config.workers = 2;
    config.rtcp_interval = Duration::from_millis(200);
    let engine = MediaEngine::start(config).unwrap();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(b.local_rtp_addr(), PayloadFormat::pcmu()).unwrap();
    b.set_remote(a.local_rtp_addr(), PayloadFormat::pcmu()).unwrap();
    a.play([tone(&[440], 60_000)]).unwrap();
    b.play([tone(&[620], 60_000)]).unwrap();
    let enough = |s: &SessionStats| s.rtt.is_some() && s.rtcp_packets >= 3 && s.rtcp_sent >= 3;
    let a_stats = stats_until(&a, enough);
    let b_stats = stats_until(&b, enough);
    for s in [&a_stats, &b_stats] {
        assert!(s.rtcp_sent >= 3 && s.rtcp_packets >= 3, "{s:?}");
        assert_eq!(s.bad_rtcp, 0);
        // Loopback: the round trip is far below a second.
        assert!(s.rtt.is_some_and(|r| r < Duration::from_secs(1)), "{:?}", s.rtt);
    }
    // Garbage on the RTCP port is counted, not fatal, and does not draw our reports away.
    let p = phone();
    let rtcp_port = SocketAddr::new(LOCAL, a.local_rtp_addr().port() + 1);
    p.send_to(&[0x80, 201, 0, 9, 1, 2], rtcp_port).unwrap();
    let a_stats = stats_until(&a, |s| s.bad_rtcp >= 1);
    assert_eq!(a_stats.bad_rtcp, 1);
    // Closing sends a BYE: the peer hears one more RTCP packet.
    let before = b.stats().wait().unwrap().rtcp_packets;
    let final_a = a.close().wait().unwrap();
    assert!(final_a.rtcp_sent > a_stats.rtcp_sent);
    let after = stats_until(&b, |s| s.rtcp_packets > before);
    assert!(after.rtcp_packets > before);
}

#[test]
fn handles_can_be_shared_across_threads_and_tasks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<MediaEngine>();
    send_sync::<MediaSession>();
    send_sync::<cc_media::engine::SessionEvents>();
    send_sync::<cc_media::engine::Reply<SessionStats>>();
    // And the futures can move between threads of a multi-threaded runtime.
    fn send<T: Send>(_: &T) {}
    let engine = engine(30_100, 1);
    let s = engine.open_session(SessionConfig::default()).unwrap();
    let events = s.events();
    send(&events.next());
    send(&s.stats());
}

/// A minimal executor: polls `fut` on this thread, parking until its waker is called.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        assert!(Instant::now() < deadline, "future not woken in time");
        // Long enough that a future that forgets to wake its task fails the callers' checks.
        std::thread::park_timeout(Duration::from_secs(5));
    }
}

#[test]
fn replies_and_events_can_be_awaited() {
    let mut config = EngineConfig::new(LOCAL, 30_900, 30_999);
    config.workers = 1;
    config.rtp_timeout = Duration::from_millis(200);
    let engine = MediaEngine::start(config).unwrap();
    let s = engine.open_session(SessionConfig::default()).unwrap();
    let p = phone();
    s.set_remote(addr(&p), PayloadFormat::pcmu()).unwrap();
    let events = s.events();
    // The event comes 200 ms after the poll parked for up to 5 s: only the waker can end
    // the wait well before 4 s.
    let start = Instant::now();
    let event = block_on(async { events.next().await });
    assert_eq!(event, Some(SessionEvent::RtpTimeout));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "the event did not wake the task"
    );
    let stats = block_on(s.stats()).unwrap();
    assert_eq!(stats.packets_received, 0);
    let closed = block_on(s.close()).unwrap();
    assert_eq!(closed.packets_sent, 0);
    assert_eq!(block_on(async { events.next().await }), None);
}

#[test]
fn packets_lost_before_a_transcode_are_concealed_and_time_is_kept() {
    let engine = engine(32_700, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::opus(111)).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    // PCMU with packets 20 and 30 lost: the Opus leg still gets 50 packets (two of
    // concealment, silence for G.711).
    for (i, (packet, _)) in pcmu_tone(1000.0, 50, 7).iter().enumerate() {
        if i != 20 && i != 30 {
            caller.send_to(packet, a.local_rtp_addr()).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert_eq!(collect(&agent, 50, WAIT).len(), 50);
    assert!(collect(&agent, 1, Duration::from_millis(200)).is_empty());

    // Opus with packet 25 lost: FEC from packet 26 rebuilds it; the PCMU leg gets 50
    // packets and the tone goes on through the gap.
    let mut opus_out = Opus::new(OpusConfig {
        sample_rate: 48_000,
        ..OpusConfig::default()
    })
    .unwrap();
    let mut payload = [0_u8; 1500];
    for i in 0..50_usize {
        let pcm: Vec<i16> = (i * 960..(i + 1) * 960)
            .map(|n| (8000.0 * (std::f64::consts::TAU * 600.0 * n as f64 / 48_000.0).sin()) as i16)
            .collect();
        let len = opus_out.encode(&pcm, &mut payload).unwrap();
        if i != 25 {
            let packet = rtp(111, i as u16, 960 * i as u32, 99, i == 0, &payload[..len]);
            agent.send_to(&packet, b.local_rtp_addr()).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let back = collect(&caller, 50, WAIT);
    assert_eq!(back.len(), 50);
    let mut pcmu = G711::new(Law::Mu);
    let mut heard = Vec::new();
    for packet in &back {
        let mut frame = [0_i16; 160];
        pcmu.decode(RtpPacket::parse(packet).unwrap().payload(), &mut frame)
            .unwrap();
        heard.extend_from_slice(&frame);
    }
    // Packets 20 to 30, the lost one in the middle.
    let around = &heard[20 * 160..31 * 160];
    let share = tone_share(around, 600.0, 8000.0);
    assert!(
        share > 0.9,
        "600 Hz holds {share:.3} of the energy around the loss"
    );
    let min_rms = around
        .chunks(160)
        .map(|f| (f.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 160.0).sqrt())
        .fold(f64::MAX, f64::min);
    assert!(min_rms > 2000.0, "a frame near the loss fell to rms {min_rms:.0}");
}

#[test]
fn digits_cross_a_transcoding_bridge_as_new_telephone_events() {
    let engine = engine(30_500, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    let mut opus = PayloadFormat::opus(111);
    opus.telephone_event_pt = Some(110);
    b.set_remote(addr(&agent), opus).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    let sender = DtmfSender::new(8000).unwrap();
    let mut seq = 0_u16;
    for (k, c) in ['4', '8'].into_iter().enumerate() {
        for p in sender
            .packets(DtmfDigit::from_char(c).unwrap(), 8000 * k as u32, 100)
            .unwrap()
        {
            caller
                .send_to(
                    &rtp(101, seq, p.timestamp, 42, p.marker, &p.payload),
                    a.local_rtp_addr(),
                )
                .unwrap();
            seq = seq.wrapping_add(1);
        }
    }
    // Two digits of 100 ms on a 48 kHz clock: 5 packets each.
    let got = collect(&agent, 10, WAIT);
    assert_eq!(got.len(), 10);
    let mut receiver = cc_media::dtmf::EventReceiver::new();
    for g in &got {
        let p = RtpPacket::parse(g).unwrap();
        assert_eq!(p.payload_type(), 110);
        receiver.handle(p.timestamp(), p.marker(), p.payload()).unwrap();
    }
    let digits: Vec<(char, u32)> = std::iter::from_fn(|| receiver.poll_event())
        .filter_map(|e| match e {
            cc_media::dtmf::DigitEvent::Ended { digit, duration, .. } => Some((digit.as_char(), duration)),
            cc_media::dtmf::DigitEvent::Began { .. } => None,
        })
        .collect();
    assert_eq!(digits, [('4', 4800), ('8', 4800)]);
    let events: Vec<SessionEvent> = std::iter::from_fn(|| a.events().try_next()).collect();
    assert_eq!(events.len(), 2, "{events:?}");
}

#[test]
fn an_engine_on_ipv6_relays_too() {
    let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
    let Ok(caller) = UdpSocket::bind((v6, 0)) else {
        return; // no IPv6 loopback on this machine
    };
    let agent = UdpSocket::bind((v6, 0)).unwrap();
    agent.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut config = EngineConfig::new(v6, 32_500, 32_599);
    config.workers = 1;
    let engine = MediaEngine::start(config).unwrap();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    assert!(a.local_rtp_addr().is_ipv6());
    a.set_remote(addr(&caller), PayloadFormat::pcma()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcma()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    for i in 0..5_u16 {
        let payload = [i as u8; 160];
        caller
            .send_to(
                &rtp(8, i, 160 * u32::from(i), 1, false, &payload),
                a.local_rtp_addr(),
            )
            .unwrap();
    }
    let got = collect(&agent, 5, WAIT);
    assert_eq!(got.len(), 5);
    for (i, g) in got.iter().enumerate() {
        assert_eq!(RtpPacket::parse(g).unwrap().payload(), &[i as u8; 160][..]);
    }
}

#[test]
fn thousands_of_random_datagrams_do_not_stop_a_worker() {
    // Random bytes, and RTP headers with random versions, flags, payload types and
    // lengths (telephone-event and audio among them), into both sessions of a bridge that
    // transcodes and records, with in-band detection on: afterwards the worker still
    // answers and still relays.
    let engine = engine(32_900, 1);
    let phone_a = phone();
    let phone_b = phone();
    let config = SessionConfig {
        inband_dtmf: true,
        symmetric_rtp: false,
        ..SessionConfig::default()
    };
    let a = engine.open_session(config.clone()).unwrap();
    let b = engine.open_session(config).unwrap();
    a.set_remote(addr(&phone_a), PayloadFormat::pcmu()).unwrap();
    let mut opus = PayloadFormat::opus(111);
    opus.telephone_event_pt = Some(101);
    b.set_remote(addr(&phone_b), opus).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    let dir = tempfile::tempdir().unwrap();
    a.start_recording(Arc::new(LocalStore::new(dir.path())), request("fuzz"))
        .wait()
        .unwrap();
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut buf = [0_u8; 400];
    for i in 0..4000 {
        let len = (next() % 400) as usize;
        for byte in &mut buf[..len] {
            *byte = next() as u8;
        }
        if i % 2 == 0 && len >= 12 {
            // Mostly well-formed headers: version 2, a payload type the session knows.
            buf[0] = 0x80 | (buf[0] & 0x3F);
            buf[1] = [0, 101, 111, 13, 0x80][(next() % 5) as usize] | (buf[1] & 0x80);
        }
        let (from, to) = if i % 3 == 0 {
            (&phone_b, &b)
        } else {
            (&phone_a, &a)
        };
        from.send_to(&buf[..len], to.local_rtp_addr()).unwrap();
        if i % 200 == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let stats = a.stats().wait().unwrap();
    assert!(stats.bad_packets > 0, "{stats:?}");
    // Still alive: a good packet is transcoded to the Opus leg.
    while !collect(&phone_b, 1, Duration::from_millis(100)).is_empty() {}
    for (packet, _) in pcmu_tone(1000.0, 3, 0xABCD) {
        phone_a.send_to(&packet, a.local_rtp_addr()).unwrap();
    }
    let got = collect(&phone_b, 3, WAIT);
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|g| RtpPacket::parse(g).unwrap().payload_type() == 111)
    );
    a.stop_recording().wait().unwrap();
    a.close().wait().unwrap();
    b.close().wait().unwrap();
}

/// Which of `count` tones (`300 + 50 k` Hz, each a whole DFT bin of a 160-sample frame)
/// each 20 ms frame of `x` holds, or `None` for a quiet frame.
fn frame_tones(x: &[i16], count: usize) -> Vec<Option<usize>> {
    x.chunks_exact(160)
        .map(|f| {
            let rms = (f.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 160.0).sqrt();
            if rms < 300.0 {
                return None;
            }
            (0..count).max_by(|&a, &b| {
                let sa = tone_share(f, 300.0 + 50.0 * a as f64, 8000.0);
                let sb = tone_share(f, 300.0 + 50.0 * b as f64, 8000.0);
                sa.total_cmp(&sb)
            })
        })
        .collect()
}

#[test]
fn reordered_duplicated_and_lost_packets_are_recorded_in_order_while_the_relay_passes_them_as_they_came() {
    let engine = engine(38_100, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcmu()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    a.start_recording(store, request("reordered")).wait().unwrap();

    // Packet k carries 20 ms of a tone of its own (300 + 50 k Hz).
    const COUNT: usize = 40;
    let mut g = G711::new(Law::Mu);
    let packets: Vec<Vec<u8>> = (0..COUNT)
        .map(|k| {
            let mut payload = [0_u8; 160];
            g.encode(&sine(300.0 + 50.0 * k as f64, 0, 160), &mut payload)
                .unwrap();
            rtp(0, 7000 + k as u16, 160 * k as u32, 0xBEEF, k == 0, &payload)
        })
        .collect();
    // What is sent in each 20 ms slot: 6 before 5; 10 twice; 15 lost; 22, 21, 20 in
    // reverse (20 arrives 40 ms after its turn in the sender's clock, still before its
    // playout); 25 again two slots later (a late duplicate); 33 and 34 lost.
    let mut slots: Vec<Vec<usize>> = (0..COUNT).map(|k| vec![k]).collect();
    slots[5] = vec![6, 5];
    slots[6] = vec![];
    slots[10] = vec![10, 10];
    slots[15] = vec![];
    slots[20] = vec![];
    slots[21] = vec![];
    slots[22] = vec![22, 21, 20];
    slots[27] = vec![27, 25];
    slots[33] = vec![];
    slots[34] = vec![];
    let arrival: Vec<usize> = slots.iter().flatten().copied().collect();
    let start = Instant::now();
    for (i, slot) in slots.iter().enumerate() {
        if let Some(wait) =
            (start + Duration::from_millis(20 * i as u64)).checked_duration_since(Instant::now())
        {
            std::thread::sleep(wait);
        }
        for &k in slot {
            caller.send_to(&packets[k], a.local_rtp_addr()).unwrap();
        }
    }
    // The relay is untouched by the jitter buffer: every datagram, in the order it came.
    let relayed = collect(&agent, arrival.len(), WAIT);
    assert_eq!(relayed.len(), arrival.len());
    let relayed_order: Vec<usize> = relayed
        .iter()
        .map(|p| {
            let payload = RtpPacket::parse(p).unwrap().payload().to_vec();
            packets
                .iter()
                .position(|q| RtpPacket::parse(q).unwrap().payload() == payload.as_slice())
                .unwrap()
        })
        .collect();
    assert_eq!(relayed_order, arrival);

    std::thread::sleep(Duration::from_millis(400));
    let meta = a.stop_recording().wait().unwrap();
    let (left, _) = read_stereo(&meta.location);
    let frames = frame_tones(&left, COUNT);
    let first = frames.iter().position(Option::is_some).unwrap();
    let last = frames.iter().rposition(Option::is_some).unwrap();
    // In order, once each; each lost packet is one frame of silence (G.711 conceals with
    // silence), so the audio after it keeps its time.
    let expected: Vec<Option<usize>> = (0..COUNT)
        .map(|k| (![15, 33, 34].contains(&k)).then_some(k))
        .collect();
    assert_eq!(frames[first..=last], expected[..], "recorded frames: {frames:?}");
    let stats = a.close().wait().unwrap();
    assert_eq!(stats.relayed, arrival.len() as u64);
}

/// `count` L16 packets at `rate` of a `freq` Hz tone, 20 ms each, payload type `pt`.
fn l16_tone(freq: f64, rate: u32, count: usize, pt: u8, ssrc: u32) -> Vec<Vec<u8>> {
    let per = rate as usize / 50;
    (0..count)
        .map(|i| {
            let payload: Vec<u8> = (i * per..(i + 1) * per)
                .flat_map(|n| {
                    let v =
                        (8000.0 * (std::f64::consts::TAU * freq * n as f64 / f64::from(rate)).sin()) as i16;
                    v.to_be_bytes()
                })
                .collect();
            rtp(pt, i as u16, (per * i) as u32, ssrc, i == 0, &payload)
        })
        .collect()
}

#[test]
fn l16_at_16_and_8_khz_is_transcoded_to_and_from_pcmu_and_opus() {
    assert!(AudioCodec::L16 { rate: 16_000 }.relays_to(AudioCodec::L16 { rate: 16_000 }));
    assert!(!AudioCodec::L16 { rate: 16_000 }.relays_to(AudioCodec::L16 { rate: 8000 }));
    assert!(!AudioCodec::L16 { rate: 8000 }.relays_to(AudioCodec::Pcmu));
    assert!(PayloadFormat::l16(44_100, 97).validate().is_err());
    assert!(PayloadFormat::l16(16_000, 11).validate().is_err());
    let engine = engine(30_300, 1);

    // Wideband L16 caller, PCMU agent.
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::l16(16_000, 97))
        .unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcmu()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    for packet in l16_tone(1000.0, 16_000, 50, 97, 5) {
        caller.send_to(&packet, a.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let got = collect(&agent, 50, WAIT);
    assert_eq!(got.len(), 50);
    let mut pcmu = G711::new(Law::Mu);
    let mut heard = Vec::new();
    for packet in &got {
        let p = RtpPacket::parse(packet).unwrap();
        assert_eq!((p.payload_type(), p.payload().len()), (0, 160));
        let mut frame = [0_i16; 160];
        pcmu.decode(p.payload(), &mut frame).unwrap();
        heard.extend_from_slice(&frame);
    }
    let share = tone_share(&heard[800..], 1000.0, 8000.0);
    assert!(share > 0.99, "L16 16 kHz -> PCMU: 1 kHz holds {share:.4}");
    // And back: PCMU at 600 Hz reaches the caller as L16 at 16 kHz, on its 16 kHz clock.
    for (packet, _) in pcmu_tone(600.0, 50, 6) {
        agent.send_to(&packet, b.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let back = collect(&caller, 50, WAIT);
    assert_eq!(back.len(), 50);
    let mut wide = Vec::new();
    for (i, packet) in back.iter().enumerate() {
        let p = RtpPacket::parse(packet).unwrap();
        assert_eq!((p.payload_type(), p.payload().len()), (97, 640));
        if i > 0 {
            let prev = RtpPacket::parse(&back[i - 1]).unwrap();
            assert_eq!(p.timestamp().wrapping_sub(prev.timestamp()), 320);
        }
        wide.extend(
            p.payload()
                .chunks_exact(2)
                .map(|b| i16::from_be_bytes([b[0], b[1]])),
        );
    }
    let share = tone_share(&wide[1600..], 600.0, 16_000.0);
    assert!(share > 0.99, "PCMU -> L16 16 kHz: 600 Hz holds {share:.4}");
    let level =
        (wide[1600..].iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / (wide.len() - 1600) as f64).sqrt();
    assert!((level - 8000.0 / 2f64.sqrt()).abs() < 600.0, "level {level:.0}");
    assert_eq!(a.close().wait().unwrap().transcoded, 50);
    b.close().wait().unwrap();

    // Narrowband L16 caller, Opus agent.
    let narrow = engine.open_session(SessionConfig::default()).unwrap();
    let opus_leg = engine.open_session(SessionConfig::default()).unwrap();
    narrow
        .set_remote(addr(&caller), PayloadFormat::l16(8000, 96))
        .unwrap();
    opus_leg
        .set_remote(addr(&agent), PayloadFormat::opus(111))
        .unwrap();
    engine.bridge(&narrow, &opus_leg).wait().unwrap();
    for packet in l16_tone(1000.0, 8000, 50, 96, 8) {
        caller.send_to(&packet, narrow.local_rtp_addr()).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let got = collect(&agent, 50, WAIT);
    assert_eq!(got.len(), 50);
    let mut opus = Opus::new(OpusConfig {
        sample_rate: 48_000,
        ..OpusConfig::default()
    })
    .unwrap();
    let mut pcm = Vec::new();
    let mut frame = [0_i16; 960];
    for packet in &got {
        let p = RtpPacket::parse(packet).unwrap();
        assert_eq!(p.payload_type(), 111);
        let n = opus.decode(p.payload(), &mut frame).unwrap();
        pcm.extend_from_slice(&frame[..n]);
    }
    let share = tone_share(&pcm[48_000 / 5..], 1000.0, 48_000.0);
    assert!(share > 0.99, "L16 8 kHz -> Opus: 1 kHz holds {share:.4}");
}

/// Each phone sends `count` PCMU packets of its own tone in real time (from packet
/// `first` of its stream); returns what each phone heard meanwhile, decoded.
fn talk_together(phones: &[(UdpSocket, SocketAddr, f64)], first: usize, count: usize) -> Vec<Vec<i16>> {
    std::thread::scope(|scope| {
        for (k, (phone, to, freq)) in phones.iter().enumerate() {
            let (phone, to, freq) = (phone, *to, *freq);
            scope.spawn(move || {
                let mut g = G711::new(Law::Mu);
                let start = Instant::now();
                for i in first..first + count {
                    if let Some(wait) = (start + Duration::from_millis(20 * (i - first) as u64))
                        .checked_duration_since(Instant::now())
                    {
                        std::thread::sleep(wait);
                    }
                    let mut payload = [0_u8; 160];
                    let pcm: Vec<i16> = sine(freq, i * 160, 160).iter().map(|v| v / 2).collect();
                    g.encode(&pcm, &mut payload).unwrap();
                    let packet = rtp(0, i as u16, 160 * i as u32, 0x100 + k as u32, i == 0, &payload);
                    phone.send_to(&packet, to).unwrap();
                }
            });
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    phones
        .iter()
        .map(|(phone, _, _)| {
            let mut g = G711::new(Law::Mu);
            let mut heard = Vec::new();
            for packet in collect(phone, 10_000, Duration::from_millis(300)) {
                let p = RtpPacket::parse(&packet).unwrap();
                let mut frame = [0_i16; 160];
                g.decode(p.payload(), &mut frame).unwrap();
                heard.extend_from_slice(&frame);
            }
            heard
        })
        .collect()
}

/// The 20 ms frames of `x` with sound in them, less the first five and the last three.
fn talking(x: &[i16]) -> Vec<i16> {
    let loud: Vec<&[i16]> = x
        .chunks_exact(160)
        .filter(|f| f.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 160.0 > 1000.0 * 1000.0)
        .collect();
    loud.get(5..loud.len().saturating_sub(3))
        .unwrap_or_default()
        .concat()
}

/// Amplitude of `freq` in `x` (a sine of amplitude A gives about A), by Goertzel.
fn amplitude(x: &[i16], freq: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / 8000.0;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    2.0 * (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2).max(0.0).sqrt() / x.len().max(1) as f64
}

#[test]
fn a_conference_mixes_minus_each_member_and_honours_listen_whisper_and_barge() {
    use cc_media::engine::ConferenceRole;
    // Two workers: members start apart and move to the conference's worker.
    let engine = engine(30_700, 2);
    let names = ["caller", "agent", "third", "supervisor"];
    let tones = [500.0, 900.0, 1300.0, 1700.0];
    let sessions: Vec<MediaSession> = (0..4)
        .map(|_| engine.open_session(SessionConfig::default()).unwrap())
        .collect();
    let phones: Vec<(UdpSocket, SocketAddr, f64)> = sessions
        .iter()
        .zip(tones)
        .map(|(s, f)| {
            let p = phone();
            p.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            s.set_remote(addr(&p), PayloadFormat::pcmu()).unwrap();
            (p, s.local_rtp_addr(), f)
        })
        .collect();
    let conf = engine.conference();
    for s in &sessions[..3] {
        conf.join(s, ConferenceRole::Normal).wait().unwrap();
    }
    // A whisper needs a member to whisper to.
    let not_member = engine.open_session(SessionConfig::default()).unwrap();
    assert!(
        conf.join(&sessions[3], ConferenceRole::Whisper { to: not_member.id() })
            .wait()
            .is_err()
    );
    conf.join(&sessions[3], ConferenceRole::ListenOnly)
        .wait()
        .unwrap();

    let agent = sessions[1].id();
    let rounds: [(ConferenceRole, [bool; 4]); 3] = [
        // Who hears the supervisor in each round (nobody hears himself).
        (ConferenceRole::ListenOnly, [false, false, false, false]),
        (ConferenceRole::Whisper { to: agent }, [false, true, false, false]),
        (ConferenceRole::Barge, [true, true, true, false]),
    ];
    for (round, (role, hears_supervisor)) in rounds.into_iter().enumerate() {
        conf.join(&sessions[3], role).wait().unwrap();
        let heard = talk_together(&phones, 60 * round, 60);
        for (listener, audio) in heard.iter().enumerate() {
            assert!(
                audio.len() >= 40 * 160,
                "{} heard {} samples",
                names[listener],
                audio.len()
            );
            // The frames while the others talked (the conference sends silence before
            // and after), past the first few.
            let tail = talking(audio);
            for (speaker, &freq) in tones.iter().enumerate() {
                let expected = if speaker == 3 {
                    hears_supervisor[listener]
                } else {
                    listener != speaker && (speaker < 3)
                };
                let a = amplitude(&tail, freq);
                if expected {
                    assert!(
                        a > 3000.0,
                        "{role:?}: {} should hear {} ({a:.0})",
                        names[listener],
                        names[speaker]
                    );
                } else {
                    assert!(
                        a < 150.0,
                        "{role:?}: {} should not hear {} ({a:.0})",
                        names[listener],
                        names[speaker]
                    );
                }
            }
        }
    }
    // Leaving: the caller hears nobody any more, and the others no longer hear the caller.
    conf.leave(&sessions[0]).wait().unwrap();
    // What was sent before the leave (the mix goes on, silent, between rounds) is drained.
    for (p, _, _) in &phones {
        collect(p, 10_000, Duration::from_millis(100));
    }
    let heard = talk_together(&phones, 180, 40);
    assert!(
        heard[0].is_empty(),
        "the caller still gets {} samples",
        heard[0].len()
    );
    let tail = talking(&heard[1]);
    assert!(amplitude(&tail, 500.0) < 150.0 && amplitude(&tail, 1300.0) > 3000.0);
}

#[test]
fn a_session_records_what_it_hears_as_ogg_opus() {
    use cc_media::recorder::{RecordingFormat, read_ogg_opus};
    let engine_a = engine(38_200, 1);
    let engine_b = engine(38_300, 1);
    let a = engine_a.open_session(SessionConfig::default()).unwrap();
    let b = engine_b.open_session(SessionConfig::default()).unwrap();
    a.set_remote(b.local_rtp_addr(), PayloadFormat::pcma()).unwrap();
    b.set_remote(a.local_rtp_addr(), PayloadFormat::pcma()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut req = request("heard-opus");
    req.format = RecordingFormat::OggOpus;
    b.start_recording(store, req).wait().unwrap();
    a.play([tone(&[1000], 1000)]).unwrap();
    assert!(wait_event(&a, |e| matches!(e, SessionEvent::PlayFinished { .. })).is_some());
    stats_until(&b, |s| s.packets_received >= 50);
    std::thread::sleep(Duration::from_millis(200));
    let meta = b.stop_recording().wait().unwrap();
    assert!(
        meta.location.extension().is_some_and(|e| e == "opus"),
        "{:?}",
        meta.location
    );
    let audio = read_ogg_opus(&meta.location).unwrap();
    assert!(audio.complete);
    assert_eq!((audio.channels, audio.sample_rate), (2, 8000));
    let left: Vec<i16> = audio.samples.iter().step_by(2).copied().collect();
    let heard = audible(&left, 500);
    assert!(
        heard.len() >= 7000,
        "only {} samples of tone recorded",
        heard.len()
    );
    let share = tone_share(heard, 1000.0, 8000.0);
    assert!(share > 0.95, "1 kHz holds {share:.3} of the energy");
}

#[test]
fn a_transcoded_stream_is_sent_in_order_whatever_order_it_came_in() {
    let engine = engine(38_400, 1);
    let caller = phone();
    let agent = phone();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcma()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    const COUNT: usize = 30;
    let mut g = G711::new(Law::Mu);
    let packets: Vec<Vec<u8>> = (0..COUNT)
        .map(|k| {
            let mut payload = [0_u8; 160];
            g.encode(&sine(300.0 + 50.0 * k as f64, 0, 160), &mut payload)
                .unwrap();
            rtp(0, 100 + k as u16, 160 * k as u32, 0xF00D, k == 0, &payload)
        })
        .collect();
    // 3 before 2, 9 twice, 12 lost, 17-16-15 reversed, 20 again later.
    let mut slots: Vec<Vec<usize>> = (0..COUNT).map(|k| vec![k]).collect();
    slots[2] = vec![3, 2];
    slots[3] = vec![];
    slots[9] = vec![9, 9];
    slots[12] = vec![];
    slots[15] = vec![];
    slots[16] = vec![];
    slots[17] = vec![17, 16, 15];
    slots[22] = vec![22, 20];
    let start = Instant::now();
    for (i, slot) in slots.iter().enumerate() {
        if let Some(wait) =
            (start + Duration::from_millis(20 * i as u64)).checked_duration_since(Instant::now())
        {
            std::thread::sleep(wait);
        }
        for &k in slot {
            caller.send_to(&packets[k], a.local_rtp_addr()).unwrap();
        }
    }
    // One packet out per packet time: 30, the lost one concealed (silence for G.711).
    let got = collect(&agent, COUNT, WAIT);
    assert_eq!(got.len(), COUNT);
    assert!(
        collect(&agent, 1, Duration::from_millis(200)).is_empty(),
        "a duplicate went out"
    );
    let mut pcma = G711::new(Law::A);
    let mut heard = Vec::new();
    for packet in &got {
        let p = RtpPacket::parse(packet).unwrap();
        assert_eq!(p.payload_type(), 8);
        let mut frame = [0_i16; 160];
        pcma.decode(p.payload(), &mut frame).unwrap();
        heard.extend_from_slice(&frame);
    }
    let expected: Vec<Option<usize>> = (0..COUNT).map(|k| (k != 12).then_some(k)).collect();
    assert_eq!(frame_tones(&heard, COUNT), expected);
    let stats = a.close().wait().unwrap();
    assert_eq!(stats.transcoded, COUNT as u64);
}

#[test]
fn the_jitter_buffer_adds_a_bounded_delay_to_a_transcoded_stream() {
    let engine = engine(38_500, 1);
    let caller = phone();
    let agent = phone();
    agent.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    let a = engine.open_session(SessionConfig::default()).unwrap();
    let b = engine.open_session(SessionConfig::default()).unwrap();
    a.set_remote(addr(&caller), PayloadFormat::pcmu()).unwrap();
    b.set_remote(addr(&agent), PayloadFormat::pcma()).unwrap();
    engine.bridge(&a, &b).wait().unwrap();
    // 100 packets in real time, every fifth 30 ms late (a jittery link), each out as it
    // comes: the transcoded packet k leaves after packet k arrived, within the buffer's
    // greatest depth (200 ms) and a tick.
    let packets = pcmu_tone(1000.0, 100, 3);
    let start = Instant::now();
    let mut sent = Vec::new();
    let mut got = Vec::new();
    let mut rms = Vec::new();
    let mut buf = [0_u8; 2048];
    let mut next = 0;
    while got.len() < 100 && start.elapsed() < WAIT {
        let due = |k: usize| start + Duration::from_millis(20 * k as u64 + if k % 5 == 4 { 30 } else { 0 });
        while next < 100 && Instant::now() >= due(next) {
            caller.send_to(&packets[next].0, a.local_rtp_addr()).unwrap();
            sent.push(Instant::now());
            next += 1;
        }
        if let Ok((n, _)) = agent.recv_from(&mut buf) {
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            assert_eq!(p.payload_type(), 8);
            let mut frame = [0_i16; 160];
            G711::new(Law::A).decode(p.payload(), &mut frame).unwrap();
            rms.push((frame.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 160.0).sqrt());
            got.push(Instant::now());
        }
    }
    assert_eq!(got.len(), 100);
    let delays: Vec<Duration> = got
        .iter()
        .zip(&sent)
        .map(|(g, s)| g.saturating_duration_since(*s))
        .collect();
    let mut sorted = delays.clone();
    sorted.sort();
    let (median, worst) = (sorted[50], sorted[99]);
    assert!(worst < Duration::from_millis(250), "worst delay {worst:?}");
    assert!(median < Duration::from_millis(150), "median delay {median:?}");
    // The late packets were waited for, not concealed: every frame is the tone.
    assert!(rms.iter().all(|&r| r > 4000.0), "a silent frame: {rms:?}");
    assert_eq!(b.close().wait().unwrap().packets_sent, 100);
    eprintln!("jitter delay: median {median:?}, worst {worst:?}");
}
