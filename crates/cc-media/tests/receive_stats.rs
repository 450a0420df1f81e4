//! Receive statistics against values computed by hand from RFC 3550's formulas.

use std::time::{Duration, Instant};

use cc_media::rtcp::{ReportBlock, SenderInfo};
use cc_media::stats::mos::{self, CodecImpairment};
use cc_media::stats::{ReceiveStats, Reception, ntp_time};

const SSRC: u32 = 0x5151;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn jitter_follows_a8_by_hand() {
    // 20 ms packets (160 timestamp units at 8 kHz) arriving 0, 5, 0, 10, 0 ms late:
    // transit differences |D| = 40, 40, 80, 80 timestamp units, and with J scaled by 16,
    // J += |D| - ((J + 8) >> 4):
    //   0 + 40 - 0 = 40;  40 + 40 - 3 = 77;  77 + 80 - 5 = 152;  152 + 80 - 10 = 222.
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    for (i, late) in [0_u64, 5, 0, 10, 0].into_iter().enumerate() {
        let i16 = i as u16;
        let at = t0 + ms(20 * i as u64 + late);
        assert_eq!(
            stats.on_rtp(SSRC, 100 + i16, 1000 + 160 * u32::from(i16), at),
            Reception::Counted
        );
    }
    assert_eq!(stats.jitter(), 222 >> 4);
    assert!((stats.jitter_ms() - 222.0 / 16.0 / 8.0).abs() < 1e-12);
    let block = stats.report_block(t0 + ms(100)).unwrap();
    assert_eq!(block.jitter, 13);
    assert_eq!(
        (block.ssrc, block.fraction_lost, block.cumulative_lost),
        (SSRC, 0, 0)
    );
    assert_eq!(block.extended_highest_seq, 104);
}

#[test]
fn constant_delay_gives_no_jitter_and_timestamp_wrap_is_harmless() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    for i in 0..50_u32 {
        // Timestamps wrap at 2^32 in the middle.
        let ts = (u32::MAX - 160 * 25).wrapping_add(160 * i);
        stats.on_rtp(SSRC, i as u16, ts, t0 + ms(30 + 20 * u64::from(i)));
    }
    assert_eq!(stats.jitter(), 0);
}

#[test]
fn sequence_wrap_with_losses() {
    // 65530..=65535 then 0..=9, without 65534 and 2: 16 expected, 14 received.
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    let seqs = (65530..=65535_u16).chain(0..=9).filter(|&s| s != 65534 && s != 2);
    for (i, seq) in seqs.enumerate() {
        stats.on_rtp(SSRC, seq, 160 * i as u32, t0 + ms(20 * i as u64));
    }
    assert_eq!((stats.expected(), stats.received(), stats.lost()), (16, 14, 2));
    assert_eq!(stats.extended_highest_seq(), Some(0x0001_0009));
    let block = stats.report_block(t0).unwrap();
    assert_eq!(block.extended_highest_seq, 0x0001_0009);
    assert_eq!(block.cumulative_lost, 2);
    // 2 of 16 lost: 2 * 256 / 16 = 32.
    assert_eq!(block.fraction_lost, 32);
}

#[test]
fn reordering_and_duplicates_never_make_loss_negative() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    let feed = |stats: &mut ReceiveStats, seq: u16| stats.on_rtp(SSRC, seq, u32::from(seq) * 160, t0);
    let got: Vec<_> = [1, 2, 4, 3, 3, 5, 5, 1]
        .into_iter()
        .map(|s| feed(&mut stats, s))
        .collect();
    use Reception::{Counted as C, Duplicate as D};
    assert_eq!(got, [C, C, C, C, D, C, D, D]);
    assert_eq!(
        (
            stats.expected(),
            stats.received(),
            stats.lost(),
            stats.duplicates()
        ),
        (5, 5, 0, 3)
    );
    assert_eq!(stats.report_block(t0).unwrap().fraction_lost, 0);

    // Next interval: 6 and 8, 7 lost: 1 of 3, 256 / 3 = 85.
    feed(&mut stats, 6);
    feed(&mut stats, 8);
    let block = stats.report_block(t0).unwrap();
    assert_eq!((block.fraction_lost, block.cumulative_lost), (85, 1));
    // 7 arrives late: cumulative loss drops back to 0; the interval saw more than expected,
    // and the fraction is 0, not negative.
    feed(&mut stats, 7);
    let block = stats.report_block(t0).unwrap();
    assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 0));

    // A flood of duplicates still leaves loss at 0.
    for _ in 0..100 {
        feed(&mut stats, 8);
    }
    assert_eq!(stats.lost(), 0);
}

#[test]
fn packet_reordered_from_before_the_first_across_the_wrap() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    stats.on_rtp(SSRC, 1, 0, t0);
    stats.on_rtp(SSRC, 65535, 0, t0);
    // 65535, 0, 1 expected; 0 missing.
    assert_eq!((stats.expected(), stats.received(), stats.lost()), (3, 2, 1));
    assert_eq!(stats.extended_highest_seq(), Some(1));
}

#[test]
fn large_jump_needs_confirmation_then_restarts() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    for seq in 10..20 {
        stats.on_rtp(SSRC, seq, 0, t0);
    }
    assert_eq!(stats.on_rtp(SSRC, 9000, 0, t0), Reception::Jump);
    assert_eq!(stats.on_rtp(SSRC, 20, 0, t0), Reception::Counted);
    assert_eq!(stats.received(), 11);
    // The sender really restarted: 9000 then 9001.
    assert_eq!(stats.on_rtp(SSRC, 9000, 0, t0), Reception::Jump);
    assert_eq!(stats.on_rtp(SSRC, 9001, 0, t0), Reception::Counted);
    assert_eq!((stats.received(), stats.expected()), (1, 1));
    stats.on_rtp(SSRC, 9003, 0, t0);
    let q = stats.media_quality(CodecImpairment::G711_PLC, Duration::ZERO);
    // 11 before the restart, 2 after; 9002 lost.
    assert_eq!((q.packets, q.lost), (13, 1));
}

#[test]
fn ssrc_change_starts_a_new_stream_and_keeps_totals() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    for seq in [1, 2, 4] {
        stats.on_rtp(SSRC, seq, 0, t0);
    }
    for seq in [500, 501, 502] {
        stats.on_rtp(0xBEEF, seq, 0, t0);
    }
    assert_eq!(stats.ssrc(), Some(0xBEEF));
    assert_eq!(stats.ssrc_changes(), 1);
    assert_eq!((stats.received(), stats.lost()), (3, 0));
    let q = stats.media_quality(CodecImpairment::G711_PLC, Duration::ZERO);
    assert_eq!((q.packets, q.lost), (6, 1));
    assert_eq!(stats.report_block(t0).unwrap().ssrc, 0xBEEF);
}

#[test]
fn lsr_dlsr_and_rtt() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    assert_eq!(stats.report_block(t0), None);
    stats.on_rtp(SSRC, 1, 0, t0);
    let sr = SenderInfo {
        ssrc: SSRC,
        ntp_time: 0xE000_0001_8000_0000,
        ..SenderInfo::default()
    };
    stats.on_sender_report(&sr, t0);
    let block = stats.report_block(t0 + ms(1500)).unwrap();
    // LSR: the middle 32 bits; DLSR: 1.5 s in 1/65536 s.
    assert_eq!((block.last_sr, block.delay_since_last_sr), (0x0001_8000, 98_304));

    // The peer's block on our stream: we sent an SR at NTP T, it held it 0.25 s, and its
    // report arrived at T + 0.33 s: RTT 80 ms (to 1/65536 s).
    let sent = 0xE000_0010_0000_0000_u64;
    let theirs = ReportBlock {
        last_sr: (sent >> 16) as u32,
        delay_since_last_sr: 16_384,
        ..ReportBlock::default()
    };
    let arrival = sent + (33 << 32) / 100;
    let rtt = stats.on_report_block(&theirs, arrival).unwrap();
    assert!((rtt.as_secs_f64() - 0.08).abs() < 2.0 / 65_536.0, "{rtt:?}");
    assert_eq!(stats.rtt(), Some(rtt));
    // A block that echoes no SR gives no RTT.
    assert_eq!(stats.on_report_block(&ReportBlock::default(), arrival), None);
}

#[test]
fn media_quality_record() {
    let t0 = Instant::now();
    let mut stats = ReceiveStats::new(8000);
    // 100 expected, every 20th lost: 95 received, 5 lost.
    for seq in (0..100_u16).filter(|s| s % 20 != 7) {
        stats.on_rtp(SSRC, seq, u32::from(seq) * 160, t0 + ms(20 * u64::from(seq)));
    }
    let rtt = {
        let theirs = ReportBlock {
            last_sr: 0x0001_0000,
            delay_since_last_sr: 0,
            ..ReportBlock::default()
        };
        // Arrival 0.1 s after the SR: RTT 100 ms, 50 ms one way.
        stats.on_report_block(&theirs, (0x0001_0000_u64 << 16) + (1 << 32) / 10)
    };
    assert!(rtt.is_some());
    let q = stats.media_quality(CodecImpairment::G711_PLC, ms(60));
    assert_eq!((q.packets, q.lost, q.jitter_ms), (95, 5, 0.0));
    let expected = mos::mos(0.05, 110.0, CodecImpairment::G711_PLC) as f32;
    assert!((q.mos - expected).abs() < 1e-3, "{} vs {expected}", q.mos);
    assert!(q.mos > 3.0 && q.mos < 4.0, "{}", q.mos);
}

#[test]
fn ntp_time_of_the_unix_epoch() {
    assert_eq!(ntp_time(std::time::UNIX_EPOCH), 2_208_988_800_u64 << 32);
    let half = std::time::UNIX_EPOCH + ms(500);
    assert_eq!(ntp_time(half) & 0xFFFF_FFFF, 1 << 31);
}
