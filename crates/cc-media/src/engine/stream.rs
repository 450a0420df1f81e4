//! The outgoing RTP stream of a session: one SSRC, one sequence space and one timestamp
//! line, whatever feeds it (the player, a relayed peer, transcoded audio).
//!
//! Relayed packets keep their sequence and timestamp *differences* (so loss, reordering and
//! silence gaps of the source show through to the far end) but are shifted into this
//! stream's spaces. Whenever the source changes (a new peer SSRC, the player taking over, the
//! relay taking over from the player) the offsets are chosen so that the first packet of the
//! new source follows the last packet sent: sequence + 1, timestamp + the wall-clock time
//! since, and the marker bit set, as RFC 3550 asks of a talkspurt start. Sans-IO: the time is
//! passed in.

use std::time::{Duration, Instant};

/// Where the packets of the stream come from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Nothing was sent yet.
    None,
    /// Frames made here (player, transcoder): numbered consecutively.
    Local,
    /// Telephone-event packets (RFC 4733) sent from here.
    Event,
    /// Packets relayed from a peer stream with this SSRC, shifted by the offsets.
    Relay {
        ssrc: u32,
        seq_offset: u16,
        ts_offset: u32,
    },
}

/// The header fields of the next packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) seq: u16,
    pub(crate) timestamp: u32,
    pub(crate) marker: bool,
}

/// One outgoing RTP stream.
#[derive(Debug, Clone)]
pub(crate) struct OutStream {
    ssrc: u32,
    clock_rate: u32,
    source: Source,
    /// Highest sequence number and timestamp sent, and when.
    last_seq: u16,
    last_ts: u32,
    last_at: Option<Instant>,
}

impl OutStream {
    /// A stream with `ssrc` and the first sequence number `first_seq`.
    pub(crate) fn new(ssrc: u32, first_seq: u16, first_ts: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            source: Source::None,
            last_seq: first_seq.wrapping_sub(1),
            last_ts: first_ts,
            last_at: None,
        }
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Changes the RTP clock (a new payload format); the next packet starts a new source.
    pub(crate) fn set_clock_rate(&mut self, clock_rate: u32) {
        if clock_rate != self.clock_rate {
            self.clock_rate = clock_rate;
            self.source = Source::None;
        }
    }

    /// The timestamp that follows the last packet after the time since it was sent (at
    /// least `min_step` on).
    fn continued_ts(&self, now: Instant, min_step: u32) -> u32 {
        let Some(at) = self.last_at else {
            return self.last_ts;
        };
        let elapsed = now.saturating_duration_since(at).min(Duration::from_secs(3600));
        let ticks = (elapsed.as_micros() * u128::from(self.clock_rate) / 1_000_000) as u32;
        self.last_ts.wrapping_add(ticks.max(min_step))
    }

    fn record(&mut self, stamp: Stamp, now: Instant) -> Stamp {
        // Reordered relayed packets do not move the stream's end back.
        if stamp.seq.wrapping_sub(self.last_seq) < 0x8000 {
            self.last_seq = stamp.seq;
            self.last_ts = stamp.timestamp;
            self.last_at = Some(now);
        }
        stamp
    }

    /// The timestamp and marker of a locally made frame of `samples` clock ticks sent now.
    fn local_ts(&self, samples: u32, now: Instant) -> (u32, bool) {
        match self.source {
            Source::Local => (self.last_ts.wrapping_add(samples), false),
            Source::None if self.last_at.is_none() => (self.last_ts, true),
            _ => (self.continued_ts(now, samples), true),
        }
    }

    /// The header of a locally made frame of `samples` clock ticks. The first frame after
    /// another source continues the stream's timeline from the last packet.
    pub(crate) fn next_local(&mut self, samples: u32, now: Instant) -> Stamp {
        let (timestamp, marker) = self.local_ts(samples, now);
        self.source = Source::Local;
        self.record(
            Stamp {
                seq: self.last_seq.wrapping_add(1),
                timestamp,
                marker,
            },
            now,
        )
    }

    /// The stream's RTP timestamp for the instant `now` (for sender reports).
    pub(crate) fn rtp_time(&self, now: Instant) -> u32 {
        self.continued_ts(now, 0)
    }

    /// The RTP timestamp of a telephone-event that starts now: where the next audio frame
    /// of `samples` ticks would have been.
    pub(crate) fn event_start(&self, samples: u32, now: Instant) -> u32 {
        self.local_ts(samples, now).0
    }

    /// The header of a telephone-event packet of the event that started at `start`, sent
    /// `elapsed` ticks into it. Every packet of an event carries its start as timestamp;
    /// the stream's timeline moves on with `elapsed`, so audio after the event continues
    /// from its end.
    pub(crate) fn next_event(&mut self, start: u32, elapsed: u32, marker: bool, now: Instant) -> Stamp {
        let stamp = Stamp {
            seq: self.last_seq.wrapping_add(1),
            timestamp: start,
            marker,
        };
        self.source = Source::Event;
        self.last_seq = stamp.seq;
        self.last_ts = start.wrapping_add(elapsed);
        self.last_at = Some(now);
        stamp
    }

    /// The header of a relayed packet from stream `ssrc` with `seq` and `timestamp`.
    pub(crate) fn relay(&mut self, ssrc: u32, seq: u16, timestamp: u32, marker: bool, now: Instant) -> Stamp {
        let (seq_offset, ts_offset, switched) = match self.source {
            Source::Relay {
                ssrc: current,
                seq_offset,
                ts_offset,
            } if current == ssrc => (seq_offset, ts_offset, false),
            _ => {
                let next_seq = self.last_seq.wrapping_add(1);
                let next_ts = if self.last_at.is_none() {
                    self.last_ts
                } else {
                    self.continued_ts(now, 1)
                };
                (next_seq.wrapping_sub(seq), next_ts.wrapping_sub(timestamp), true)
            }
        };
        self.source = Source::Relay {
            ssrc,
            seq_offset,
            ts_offset,
        };
        self.record(
            Stamp {
                seq: seq.wrapping_add(seq_offset),
                timestamp: timestamp.wrapping_add(ts_offset),
                marker: marker || switched,
            },
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_frames_count_up_from_the_start() {
        let t0 = Instant::now();
        let mut s = OutStream::new(9, 100, 5000, 8000);
        let a = s.next_local(160, t0);
        let b = s.next_local(160, t0 + Duration::from_millis(20));
        assert_eq!((a.seq, a.timestamp, a.marker), (100, 5000, true));
        assert_eq!((b.seq, b.timestamp, b.marker), (101, 5160, false));
    }

    #[test]
    fn relay_after_playback_continues_sequence_and_time() {
        let t0 = Instant::now();
        let mut s = OutStream::new(9, 100, 0, 8000);
        s.next_local(160, t0);
        // The relay starts 60 ms later with a peer stream far elsewhere.
        let r1 = s.relay(77, 40_000, 1_000_000, false, t0 + Duration::from_millis(60));
        let r2 = s.relay(77, 40_001, 1_000_160, false, t0 + Duration::from_millis(80));
        assert_eq!((r1.seq, r1.timestamp, r1.marker), (101, 480, true));
        assert_eq!((r2.seq, r2.timestamp, r2.marker), (102, 640, false));
        // A loss of the source shows through; a reordered packet keeps its place.
        let r4 = s.relay(77, 40_003, 1_000_480, false, t0 + Duration::from_millis(120));
        let r3 = s.relay(77, 40_002, 1_000_320, false, t0 + Duration::from_millis(121));
        assert_eq!((r3.seq, r4.seq), (103, 104));
        // Back to local frames: one after the highest sent, time moved on.
        let l = s.next_local(160, t0 + Duration::from_millis(140));
        assert_eq!((l.seq, l.marker), (105, true));
        assert_eq!(l.timestamp, 960 + 160);
    }

    #[test]
    fn telephone_events_share_their_start_and_audio_resumes_after_them() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut s = OutStream::new(9, 10, 1000, 8000);
        s.next_local(160, t0);
        let start = s.event_start(160, ms(20));
        assert_eq!(start, 1160);
        let a = s.next_event(start, 0, true, ms(20));
        let b = s.next_event(start, 400, false, ms(70));
        let end = s.next_event(start, 800, false, ms(120));
        assert_eq!((a.seq, b.seq, end.seq), (11, 12, 13));
        assert!(a.marker && !b.marker);
        assert!([a, b, end].iter().all(|p| p.timestamp == 1160));
        // Audio 20 ms after the last event packet: a new talkspurt at the event's end + 20 ms.
        let next = s.next_local(160, ms(140));
        assert_eq!(
            (next.seq, next.timestamp, next.marker),
            (14, 1160 + 800 + 160, true)
        );
    }

    #[test]
    fn a_new_peer_ssrc_is_spliced_in_and_sequence_wraps() {
        let t0 = Instant::now();
        let mut s = OutStream::new(9, u16::MAX, 0, 8000);
        let a = s.relay(1, 10, 10, false, t0);
        let b = s.relay(2, 500, 9, false, t0 + Duration::from_millis(20));
        assert_eq!((a.seq, b.seq, b.marker), (u16::MAX, 0, true));
        assert_eq!(b.timestamp, 160);
    }
}
