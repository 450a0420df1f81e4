//! Per-stream receive statistics (RFC 3550 §6.4 and Appendix A): what a receiver reports in
//! RTCP report blocks and what ends up in the call record as [`MediaQuality`].
//!
//! [`ReceiveStats`] is sans-IO: packets come in with the `Instant` they arrived, sender
//! reports with the instant they arrived, and report blocks on our own stream with the
//! NTP wall-clock time they arrived. It keeps
//!
//! - the extended highest sequence number, base and cycle count of RFC 3550 A.1, with its
//!   rules for misordered packets and large jumps (a jump of more than 3000 is believed only
//!   when the next packet follows it, then the source is taken as restarted);
//! - packets received, not counting duplicates within the last 128 sequence numbers, so that
//!   packets lost (expected − received) never goes negative; cumulative and per-interval
//!   fraction lost as in A.3;
//! - the interarrival jitter of A.8 exactly: the integer estimate scaled by 16,
//!   `J += |D| − ((J + 8) >> 4)`, reported as `J >> 4` timestamp units;
//! - LSR/DLSR for our next report, and the round-trip time from the peer's report blocks
//!   (RFC 3550 §6.4.1: `A − LSR − DLSR`);
//! - a MOS estimate ([`mos`]).
//!
//! A new SSRC starts the counters afresh (it is a new stream, RFC 3550 §8.2); packets and
//! losses of the earlier SSRCs are kept in the totals of [`ReceiveStats::media_quality`].

pub mod mos;

use std::time::{Duration, Instant, SystemTime};

use cc_core::MediaQuality;

use crate::rtcp::{ReportBlock, SenderInfo};
use crate::rtp::RtpPacket;
use mos::CodecImpairment;

/// A.1's MAX_DROPOUT: forward jumps up to this are taken as loss.
const MAX_DROPOUT: u16 = 3000;
/// A.1's MAX_MISORDER: packets up to this far behind are taken as reordered.
const MAX_MISORDER: u16 = 100;
/// Sequence numbers behind the highest within which duplicates are recognised.
const DUP_WINDOW: u64 = 128;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// What became of a packet handed to [`ReceiveStats::on_rtp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reception {
    /// Counted as received.
    Counted,
    /// A copy of a packet already counted.
    Duplicate,
    /// A jump of more than 3000 sequence numbers, not counted until the next packet
    /// confirms it.
    Jump,
}

/// Counts kept per SSRC.
#[derive(Debug, Clone, Copy, Default)]
struct Stream {
    ssrc: u32,
    /// Highest sequence number seen, and wraps (A.1's `max_seq`, `cycles` / 65536).
    max_seq: u16,
    cycles: u64,
    /// Extended number of the first packet.
    base: u64,
    /// A.1's `bad_seq`: the number that would confirm a jump.
    bad_seq: Option<u16>,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Bit k: extended highest − k was received.
    recent: u128,
    /// A.8: the last relative transit time, and the jitter estimate scaled by 16.
    transit: Option<u32>,
    jitter16: u64,
    /// Packets and losses counted before a confirmed jump restarted the counters.
    carried_packets: u64,
    carried_lost: u64,
}

impl Stream {
    fn new(ssrc: u32, seq: u16) -> Self {
        // Cycle 1, so packets reordered from before the first, across a wrap, keep a
        // non-negative extended number.
        let mut s = Self {
            ssrc,
            ..Self::default()
        };
        s.restart(seq);
        s
    }

    /// A.1's `init_seq`, the jitter state kept.
    fn restart(&mut self, seq: u16) {
        self.max_seq = seq;
        self.cycles = 1 << 16;
        self.base = self.cycles + u64::from(seq);
        self.bad_seq = None;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
        self.recent = 0;
    }

    fn ext_max(&self) -> u64 {
        self.cycles + u64::from(self.max_seq)
    }

    fn expected(&self) -> u64 {
        (self.ext_max() + 1).saturating_sub(self.base)
    }

    fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }

    /// A.1's `update_seq`, with duplicate detection; `Counted` when the packet counts.
    fn update_seq(&mut self, seq: u16) -> Reception {
        let udelta = seq.wrapping_sub(self.max_seq);
        if udelta == 0 && self.received > 0 {
            return Reception::Duplicate;
        }
        if udelta < MAX_DROPOUT {
            // In order, with an acceptable gap.
            if seq < self.max_seq {
                self.cycles += 1 << 16;
            }
            self.max_seq = seq;
            let advance = u64::from(udelta);
            self.recent = if advance >= DUP_WINDOW {
                0
            } else {
                self.recent << advance
            };
            self.recent |= 1;
        } else if udelta <= u16::MAX - MAX_MISORDER + 1 {
            // A large jump: believe it when the next packet follows it.
            if self.bad_seq == Some(seq) {
                self.carried_packets += self.received;
                self.carried_lost += self.lost();
                self.transit = None;
                self.restart(seq);
                self.recent = 1;
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                return Reception::Jump;
            }
        } else {
            // Reordered (or duplicated) from before the highest.
            let behind = u64::from(self.max_seq.wrapping_sub(seq));
            let ext = self.ext_max() - behind;
            if behind < DUP_WINDOW {
                let bit = 1_u128 << behind;
                if self.recent & bit != 0 {
                    return Reception::Duplicate;
                }
                self.recent |= bit;
            }
            if ext < self.base {
                // From before the first packet seen: the stream started earlier.
                self.base = ext;
            }
        }
        self.received += 1;
        Reception::Counted
    }

    /// A.8, for a packet with media timestamp `ts` that arrived at `arrival` (same units).
    fn update_jitter(&mut self, ts: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(ts);
        if let Some(prev) = self.transit {
            let d = u64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            self.jitter16 = self.jitter16 + d - ((self.jitter16 + 8) >> 4);
        }
        self.transit = Some(transit);
    }
}

/// Receive statistics of one incoming RTP stream (one per media session and direction).
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    clock_rate: u32,
    /// The arrival instant that timestamp-unit arrival times count from.
    epoch: Option<Instant>,
    stream: Option<Stream>,
    /// Packets and losses of earlier SSRCs and of earlier restarts.
    earlier_packets: u64,
    earlier_lost: u64,
    duplicates: u64,
    ssrc_changes: u64,
    /// The peer's last SR: its compact NTP time and when it arrived.
    last_sr: Option<(u32, Instant)>,
    rtt: Option<Duration>,
}

impl ReceiveStats {
    /// Statistics for a stream whose RTP clock runs at `clock_rate` Hz (8000 for G.711).
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            epoch: None,
            stream: None,
            earlier_packets: 0,
            earlier_lost: 0,
            duplicates: 0,
            ssrc_changes: 0,
            last_sr: None,
            rtt: None,
        }
    }

    /// Counts a received packet.
    pub fn on_rtp_packet(&mut self, packet: &RtpPacket<'_>, now: Instant) -> Reception {
        self.on_rtp(packet.ssrc(), packet.sequence(), packet.timestamp(), now)
    }

    /// Counts a packet of `ssrc` with sequence number `seq` and media timestamp `timestamp`
    /// that arrived at `now`.
    pub fn on_rtp(&mut self, ssrc: u32, seq: u16, timestamp: u32, now: Instant) -> Reception {
        let epoch = *self.epoch.get_or_insert(now);
        let stream = match &mut self.stream {
            Some(s) if s.ssrc == ssrc => s,
            slot => {
                if let Some(old) = slot.take() {
                    self.earlier_packets += old.carried_packets + old.received;
                    self.earlier_lost += old.carried_lost + old.lost();
                    self.ssrc_changes += 1;
                }
                slot.insert(Stream::new(ssrc, seq))
            }
        };
        let reception = stream.update_seq(seq);
        match reception {
            Reception::Counted => {
                let elapsed = now.saturating_duration_since(epoch).as_nanos();
                let arrival = (elapsed * u128::from(self.clock_rate) / 1_000_000_000) as u32;
                stream.update_jitter(timestamp, arrival);
            }
            Reception::Duplicate => self.duplicates += 1,
            Reception::Jump => {}
        }
        reception
    }

    /// Notes a sender report from the peer that arrived at `now`, for LSR and DLSR.
    pub fn on_sender_report(&mut self, info: &SenderInfo, now: Instant) {
        self.last_sr = Some((info.compact_ntp(), now));
    }

    /// Takes the round-trip time from a report block on our own stream, which arrived at
    /// `arrival_ntp` (a 64-bit NTP time, see [`ntp_time`]); returns it when the block echoes
    /// a sender report.
    pub fn on_report_block(&mut self, block: &ReportBlock, arrival_ntp: u64) -> Option<Duration> {
        let rtt = round_trip_time(
            (arrival_ntp >> 16) as u32,
            block.last_sr,
            block.delay_since_last_sr,
        )?;
        self.rtt = Some(rtt);
        Some(rtt)
    }

    /// The report block on this stream for an RR or SR sent at `now`; starts a new
    /// interval for the fraction lost. `None` before the first packet.
    pub fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let stream = self.stream.as_mut()?;
        let expected = stream.expected();
        let expected_interval = expected.saturating_sub(stream.expected_prior);
        let received_interval = stream.received.saturating_sub(stream.received_prior);
        stream.expected_prior = expected;
        stream.received_prior = stream.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction_lost = (lost_interval << 8)
            .checked_div(expected_interval)
            .map_or(0, |f| f.min(255) as u8);
        let (last_sr, delay_since_last_sr) = self.last_sr.map_or((0, 0), |(lsr, at)| {
            let delay = now.saturating_duration_since(at);
            let units = (delay.as_nanos() * 65_536 / 1_000_000_000).min(u128::from(u32::MAX));
            (lsr, units as u32)
        });
        Some(ReportBlock {
            ssrc: stream.ssrc,
            fraction_lost,
            cumulative_lost: stream.lost().min(ReportBlock::MAX_CUMULATIVE_LOST as u64) as i32,
            // The wire field starts counting cycles at 0.
            extended_highest_seq: (stream.ext_max() - (1 << 16)) as u32,
            jitter: (stream.jitter16 >> 4).min(u64::from(u32::MAX)) as u32,
            last_sr,
            delay_since_last_sr,
        })
    }

    /// The SSRC now received, if any.
    pub fn ssrc(&self) -> Option<u32> {
        self.stream.map(|s| s.ssrc)
    }

    /// Packets received on the current SSRC since it started or last restarted (duplicates
    /// not counted).
    pub fn received(&self) -> u64 {
        self.stream.map_or(0, |s| s.received)
    }

    /// Packets expected on the current SSRC: extended highest − base + 1.
    pub fn expected(&self) -> u64 {
        self.stream.map_or(0, |s| s.expected())
    }

    /// Packets lost on the current SSRC: expected − received, never negative.
    pub fn lost(&self) -> u64 {
        self.stream.map_or(0, |s| s.lost())
    }

    /// The extended highest sequence number as the RR field has it (wraps in the upper 16
    /// bits, counted from 0).
    pub fn extended_highest_seq(&self) -> Option<u32> {
        self.stream.map(|s| (s.ext_max() - (1 << 16)) as u32)
    }

    /// Interarrival jitter in timestamp units (A.8's `J >> 4`).
    pub fn jitter(&self) -> u32 {
        self.stream
            .map_or(0, |s| (s.jitter16 >> 4).min(u64::from(u32::MAX)) as u32)
    }

    /// Interarrival jitter in milliseconds (from the unrounded estimate).
    pub fn jitter_ms(&self) -> f64 {
        self.stream.map_or(0.0, |s| {
            s.jitter16 as f64 / 16.0 * 1000.0 / f64::from(self.clock_rate)
        })
    }

    /// Copies of packets already counted, over all SSRCs.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// How many times the SSRC changed.
    pub fn ssrc_changes(&self) -> u64 {
        self.ssrc_changes
    }

    /// The last round-trip time taken from a report block.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// The record of this stream for the call record: packets and losses over every SSRC
    /// it carried, the current jitter, and the MOS for that loss with a one-way delay of
    /// half the round trip (0 while unknown) plus `buffer_delay` (the jitter buffer's
    /// depth, plus packetization if the caller wants it counted).
    pub fn media_quality(&self, codec: CodecImpairment, buffer_delay: Duration) -> MediaQuality {
        let (carried_packets, carried_lost) = self
            .stream
            .map_or((0, 0), |s| (s.carried_packets, s.carried_lost));
        let packets = self.earlier_packets + carried_packets + self.received();
        let lost = self.earlier_lost + carried_lost + self.lost();
        let loss = if packets + lost == 0 {
            0.0
        } else {
            lost as f64 / (packets + lost) as f64
        };
        let delay = self.rtt.map_or(0.0, |r| r.as_secs_f64() * 500.0) + buffer_delay.as_secs_f64() * 1000.0;
        MediaQuality {
            packets,
            lost,
            jitter_ms: self.jitter_ms() as f32,
            mos: mos::mos(loss, delay, codec) as f32,
        }
    }
}

/// The round-trip time of RFC 3550 §6.4.1 from compact (middle 32 bits) NTP times: the
/// arrival `a` of a report block less its LSR and DLSR, in 1/65536 s. `None` when the
/// block echoes no sender report (LSR 0) or the result would be negative.
///
/// ```
/// use cc_media::stats::round_trip_time;
/// use std::time::Duration;
///
/// // RFC 3550 Figure 2: A = 46864.500 s, LSR = 46853.125 s, DLSR = 5.250 s.
/// let rtt = round_trip_time(0xB710_8000, 0xB705_2000, 0x0005_4000);
/// assert_eq!(rtt, Some(Duration::from_millis(6125)));
/// ```
pub fn round_trip_time(a: u32, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let rtt = a.wrapping_sub(lsr).wrapping_sub(dlsr);
    if rtt > u32::MAX / 2 {
        return None;
    }
    Some(Duration::from_nanos(u64::from(rtt) * 1_000_000_000 / 65_536))
}

/// The 64-bit NTP time (seconds since 1900 in the upper half, fraction in the lower) of a
/// wall-clock time; the driver reads the clock, this only converts.
pub fn ntp_time(at: SystemTime) -> u64 {
    let since_unix = at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = since_unix.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}
