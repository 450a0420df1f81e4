//! Fuzzes the RTP packet view, then feeds what parses to the receive statistics and the
//! jitter buffer.
//!
//! Run with `cargo +nightly fuzz run rtp` in this folder. The input is one datagram; what
//! parses is rebuilt from its fields and must parse back to the same fields.
#![no_main]

use std::time::{Duration, Instant};

use cc_media::jitter::{JitterBuffer, JitterConfig};
use cc_media::rtp::RtpPacket;
use cc_media::stats::ReceiveStats;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = RtpPacket::parse(data) else {
        return;
    };
    // Accessors stay inside the datagram.
    let payload = packet.payload();
    assert!(packet.padding() + payload.len() <= data.len());
    let csrcs: Vec<u32> = packet.csrcs().collect();
    let extension = packet.extension();

    // Rebuild (padding dropped) and parse back.
    let mut out = vec![0_u8; data.len() + 4];
    let len = packet
        .header()
        .write_with_extension(&csrcs, extension, payload, &mut out)
        .expect("a parsed packet's fields rebuild");
    let again = RtpPacket::parse(&out[..len]).expect("a rebuilt packet parses");
    assert_eq!(again.header(), packet.header());
    assert_eq!(again.payload(), payload);
    assert_eq!(again.csrcs().collect::<Vec<_>>(), csrcs);
    assert_eq!(again.extension(), extension);

    // The same packet many times, with sequence numbers derived from the payload, through
    // the statistics and the buffer: nothing panics and the buffer stays bounded.
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    let mut jb = JitterBuffer::new(JitterConfig {
        capacity: 8,
        max_depth: 4,
        ..JitterConfig::default()
    });
    for (i, &b) in payload.iter().enumerate().take(256) {
        let now = t0 + Duration::from_millis(20 * i as u64 + u64::from(b));
        let seq = packet.sequence().wrapping_add(u16::from(b) << (i % 9));
        let ts = packet.timestamp().wrapping_add(u32::from(b) * 160);
        let ssrc = packet.ssrc() ^ u32::from(b == 0xFF);
        stats.on_rtp(ssrc, seq, ts, now);
        jb.push(ssrc, seq, ts, packet.marker(), payload, now);
        let _ = jb.pop(now);
        assert!(jb.len() <= 8);
    }
    let _ = stats.report_block(t0);
});
