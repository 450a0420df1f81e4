//! A sans-IO adaptive jitter buffer for one received audio stream.
//!
//! The driver calls [`JitterBuffer::push`] for each RTP packet as it arrives and
//! [`JitterBuffer::pop`] once per frame tick (every 20 ms); both take `now` and neither
//! reads a clock. `pop` hands back, in sequence order,
//!
//! - [`Pop::Frame`]: the next packet's payload, to decode;
//! - [`Pop::Gap`]: the next packet is missing while later ones are here: it is lost or too
//!   late, and the decoder should conceal it (PLC);
//! - [`Pop::Empty`]: nothing to play this tick (still filling, adding delay, or nothing
//!   received): play concealment or comfort noise.
//!
//! **Depth.** Playout starts once `target` packets are buffered, or `target` frame times
//! after the first packet arrived. The target (in packets, between `min_depth` and
//! `max_depth`) grows fast and shrinks slowly: it rises by one packet each time a packet
//! arrives after its turn was given up as a gap, and at once to `ceil(3 J / frame) + 1`
//! whenever that is higher, `J` being the RFC 3550 A.8 interarrival jitter measured on
//! arrival times; it falls by one packet after `shrink_after` ticks with neither. A rise is
//! honoured by holding playout (`Empty`) for at most as many ticks as it rose, while the
//! packets buffered ahead are fewer than the target;
//! a fall by discarding one packet when more than `target + 1` have been buffered for
//! `shrink_after` consecutive ticks (reported in [`Frame::discarded`]). After an underrun
//! (the buffer ran dry) playout fills up again before it resumes.
//!
//! **Resets.** A new SSRC, or a sequence number that jumps more than the buffer can hold
//! ahead of playout or more than 3000 behind it, drops what is buffered and starts afresh
//! with that packet. A timestamp jump (more than `max_timestamp_jump` away from where the
//! sequence numbers put it, as after a sender's clock restart) restarts the jitter
//! measurement only: playout follows sequence numbers, so the audio itself is unaffected.
//!
//! **Memory.** Everything is allocated in [`JitterBuffer::new`]: `capacity` slots of
//! `max_payload` bytes in one buffer. Pushing copies the payload into its slot; popping
//! lends it out. Nothing allocates per packet.

use std::time::{Duration, Instant};

use crate::rtp::{RtpPacket, SeqExtender};

/// Packets this far behind playout are taken as a sequence restart rather than late.
const MAX_BEHIND: u64 = 3000;

/// Settings of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Slots (packets) held at most; also the furthest ahead of playout a packet may be.
    pub capacity: usize,
    /// Largest payload a slot holds, in bytes.
    pub max_payload: usize,
    /// Least target depth, in packets.
    pub min_depth: u16,
    /// Greatest target depth, in packets; below `capacity`.
    pub max_depth: u16,
    /// Target depth at the start, in packets.
    pub initial_depth: u16,
    /// Duration of one packet (the tick of `pop`).
    pub frame: Duration,
    /// The RTP clock rate, in Hz.
    pub clock_rate: u32,
    /// Ticks without a late packet before the lateness part of the target falls by one,
    /// and ticks of excess depth before a packet is discarded.
    pub shrink_after: u32,
    /// Largest believable timestamp distance from where the sequence number puts a packet,
    /// in timestamp units.
    pub max_timestamp_jump: u32,
}

impl Default for JitterConfig {
    /// 20 ms G.711 frames at 8 kHz: 64 slots of up to 1280 bytes, depth 1 to 15 packets
    /// (20 to 300 ms) starting at 3, shrinking after 5 s of calm, timestamp jumps beyond
    /// 10 s.
    fn default() -> Self {
        Self {
            capacity: 64,
            max_payload: 1280,
            min_depth: 1,
            max_depth: 15,
            initial_depth: 3,
            frame: Duration::from_millis(20),
            clock_rate: 8000,
            shrink_after: 250,
            max_timestamp_jump: 80_000,
        }
    }
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Buffered.
    Accepted,
    /// Buffered after dropping everything else (new SSRC or sequence restart).
    Reset,
    /// Already buffered or already played; dropped.
    Duplicate,
    /// Its turn has passed (played or given up as a gap); dropped.
    Late,
    /// The payload is longer than `max_payload`; dropped.
    TooLarge,
}

/// One packet handed out by [`JitterBuffer::pop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Its sequence number.
    pub seq: u16,
    /// Its extended sequence number (counts across wraps; only differences are meaningful).
    pub index: u64,
    /// Its media timestamp.
    pub timestamp: u32,
    /// Its marker bit.
    pub marker: bool,
    /// Its payload.
    pub payload: &'a [u8],
    /// Packets discarded just before it to shrink the buffer (0 or 1): indices
    /// `index - discarded .. index` were received but will not be played.
    pub discarded: u16,
}

/// What to play this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop<'a> {
    /// The next packet.
    Frame(Frame<'a>),
    /// The next packet is missing; conceal it.
    Gap {
        /// Its sequence number.
        seq: u16,
        /// Its extended sequence number.
        index: u64,
    },
    /// Nothing to play this tick.
    Empty,
}

/// Counters of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets buffered.
    pub accepted: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Late packets dropped.
    pub late: u64,
    /// Oversized payloads dropped.
    pub too_large: u64,
    /// Frames played.
    pub played: u64,
    /// Gaps handed to concealment.
    pub gaps: u64,
    /// Packets discarded to shrink the depth.
    pub discarded: u64,
    /// Ticks held to grow the depth.
    pub holds: u64,
    /// Times the buffer ran dry while playing.
    pub underruns: u64,
    /// Resets (new SSRC, sequence restart).
    pub resets: u64,
    /// Packets dropped by resets.
    pub flushed: u64,
    /// Timestamp jumps seen.
    pub timestamp_jumps: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    occupied: bool,
    index: u64,
    timestamp: u32,
    marker: bool,
    len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Filling up; `since` is when the first packet of this fill arrived.
    Filling {
        since: Option<Instant>,
    },
    Playing,
}

/// The jitter buffer; see the [module documentation](self).
pub struct JitterBuffer {
    config: JitterConfig,
    slots: Vec<Slot>,
    data: Vec<u8>,
    ext: SeqExtender,
    ssrc: Option<u32>,
    /// Next index to play; `None` until a packet arrives.
    next: Option<u64>,
    count: usize,
    state: State,
    /// Whether anything of this stream has been played or given up as a gap.
    started: bool,
    /// The target above `min_depth`, in packets.
    boost: u16,
    target: u16,
    /// Ticks still to hold for a rise of the target, while the buffered span is short of
    /// it.
    hold_budget: u16,
    calm_ticks: u32,
    excess_ticks: u32,
    /// A.8 state on arrival times: epoch, last transit, jitter scaled by 16.
    epoch: Option<Instant>,
    transit: Option<u32>,
    jitter16: u64,
    /// Index and timestamp of the highest packet pushed, for timestamp-jump checks.
    last: Option<(u64, u32)>,
    stats: JitterStats,
}

impl std::fmt::Debug for JitterBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitterBuffer")
            .field("ssrc", &self.ssrc)
            .field("next", &self.next)
            .field("len", &self.count)
            .field("target", &self.target)
            .field("state", &self.state)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl JitterBuffer {
    /// A buffer with `config`, its memory allocated now. Out-of-range settings are brought
    /// into range: at least 2 slots and 1 byte, `1 <= min_depth <= initial_depth <=
    /// max_depth < capacity`.
    pub fn new(config: JitterConfig) -> Self {
        let mut config = config;
        config.capacity = config.capacity.max(2);
        config.max_payload = config.max_payload.max(1);
        let cap_depth = u16::try_from(config.capacity - 1).unwrap_or(u16::MAX);
        config.max_depth = config.max_depth.clamp(1, cap_depth);
        config.min_depth = config.min_depth.clamp(1, config.max_depth);
        config.initial_depth = config.initial_depth.clamp(config.min_depth, config.max_depth);
        config.clock_rate = config.clock_rate.max(1);
        config.frame = config.frame.max(Duration::from_micros(100));
        config.shrink_after = config.shrink_after.max(1);
        Self {
            slots: vec![Slot::default(); config.capacity],
            data: vec![0; config.capacity * config.max_payload],
            ext: SeqExtender::new(),
            ssrc: None,
            next: None,
            count: 0,
            state: State::Filling { since: None },
            started: false,
            boost: config.initial_depth - config.min_depth,
            target: config.initial_depth,
            hold_budget: 0,
            calm_ticks: 0,
            excess_ticks: 0,
            epoch: None,
            transit: None,
            jitter16: 0,
            last: None,
            stats: JitterStats::default(),
            config,
        }
    }

    /// The settings in force (after bringing them into range).
    pub fn config(&self) -> &JitterConfig {
        &self.config
    }

    /// Counters so far.
    pub fn stats(&self) -> &JitterStats {
        &self.stats
    }

    /// Packets buffered now.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The target depth, in packets.
    pub fn target_depth(&self) -> u16 {
        self.target
    }

    /// The target depth as a delay.
    pub fn target_delay(&self) -> Duration {
        self.config.frame * u32::from(self.target)
    }

    /// The interarrival jitter measured (RFC 3550 A.8), in timestamp units.
    pub fn jitter(&self) -> u32 {
        (self.jitter16 >> 4).min(u64::from(u32::MAX)) as u32
    }

    /// Buffers a parsed RTP packet that arrived at `now`.
    pub fn push_packet(&mut self, packet: &RtpPacket<'_>, now: Instant) -> Push {
        self.push(
            packet.ssrc(),
            packet.sequence(),
            packet.timestamp(),
            packet.marker(),
            packet.payload(),
            now,
        )
    }

    /// Buffers a packet of `ssrc` with sequence number `seq` that arrived at `now`.
    pub fn push(
        &mut self,
        ssrc: u32,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        now: Instant,
    ) -> Push {
        if payload.len() > self.config.max_payload {
            self.stats.too_large += 1;
            return Push::TooLarge;
        }
        let mut outcome = Push::Accepted;
        if self.ssrc.is_some_and(|s| s != ssrc) {
            self.reset();
            outcome = Push::Reset;
        }
        self.ssrc = Some(ssrc);

        let index = self.ext.peek(seq);
        let capacity = self.config.capacity as u64;
        if let Some(next) = self.next {
            let far_ahead = index >= next + capacity;
            let far_behind = index + MAX_BEHIND < next;
            if far_ahead || far_behind {
                self.reset();
                self.ssrc = Some(ssrc);
                outcome = Push::Reset;
            }
        }
        let index = self.ext.extend(seq);
        match self.next {
            None => self.next = Some(index),
            Some(next) if index < next => {
                let highest = self.ext.highest().unwrap_or(index);
                let room = highest - index < capacity;
                if matches!(self.state, State::Filling { .. }) && room && !self.started {
                    // Reordered before the first packet, before anything was played.
                    self.next = Some(index);
                } else {
                    // Its arrival still tells of the network's jitter.
                    self.measure(index, timestamp, now);
                    self.stats.late += 1;
                    self.on_late();
                    return Push::Late;
                }
            }
            Some(_) => {}
        }

        let at = (index % capacity) as usize;
        let Some(slot) = self.slots.get_mut(at) else {
            return Push::Late;
        };
        if slot.occupied && slot.index == index {
            self.stats.duplicates += 1;
            return Push::Duplicate;
        }
        *slot = Slot {
            occupied: true,
            index,
            timestamp,
            marker,
            len: payload.len(),
        };
        let start = at * self.config.max_payload;
        if let Some(dst) = self.data.get_mut(start..start + payload.len()) {
            dst.copy_from_slice(payload);
        }
        self.count += 1;
        self.stats.accepted += 1;
        if let State::Filling { since: since @ None } = &mut self.state {
            *since = Some(now);
        }
        self.measure(index, timestamp, now);
        outcome
    }

    /// What to play at the tick `now`; see [`Pop`].
    pub fn pop(&mut self, now: Instant) -> Pop<'_> {
        let Some(next) = self.next else {
            return Pop::Empty;
        };
        if let State::Filling { since } = self.state {
            let waited = since.is_some_and(|s| now.saturating_duration_since(s) >= self.target_delay());
            let highest = self.ext.highest().unwrap_or(next);
            let span = (highest + 1).saturating_sub(next);
            if self.count == 0 || !(waited || span >= u64::from(self.target)) {
                return Pop::Empty;
            }
            self.state = State::Playing;
            self.hold_budget = 0;
        }
        if self.count == 0 {
            self.stats.underruns += 1;
            self.state = State::Filling { since: None };
            return Pop::Empty;
        }
        if self.hold_budget > 0 {
            let highest = self.ext.highest().unwrap_or(next);
            if (highest + 1).saturating_sub(next) < u64::from(self.target) {
                self.hold_budget -= 1;
                self.stats.holds += 1;
                return Pop::Empty;
            }
            self.hold_budget = 0;
        }

        self.calm_ticks += 1;
        if self.calm_ticks >= self.config.shrink_after && self.boost > 0 {
            self.boost -= 1;
            self.calm_ticks = 0;
            self.retarget();
        }
        let mut next = next;
        let mut discarded = 0;
        if self.count > usize::from(self.target) + 1 {
            self.excess_ticks += 1;
            if self.excess_ticks >= self.config.shrink_after
                && self.holds_packet(next)
                && self.holds_packet(next + 1)
            {
                self.free(next);
                self.stats.discarded += 1;
                discarded = 1;
                next += 1;
                self.excess_ticks = 0;
            }
        } else {
            self.excess_ticks = 0;
        }
        self.next = Some(next + 1);
        self.started = true;
        if self.holds_packet(next) {
            let at = (next % self.config.capacity as u64) as usize;
            let slot = self.free(next);
            self.stats.played += 1;
            let start = at * self.config.max_payload;
            let payload = self.data.get(start..start + slot.len).unwrap_or(&[]);
            Pop::Frame(Frame {
                seq: next as u16,
                index: next,
                timestamp: slot.timestamp,
                marker: slot.marker,
                payload,
                discarded,
            })
        } else {
            self.stats.gaps += 1;
            Pop::Gap {
                seq: next as u16,
                index: next,
            }
        }
    }

    /// The payload buffered for extended sequence number `index`, if it is here: after a
    /// [`Pop::Gap`] at `index - 1`, the packet after the loss, for concealment that reads
    /// ahead (Opus FEC). It stays buffered and is played in its turn.
    pub fn peek(&self, index: u64) -> Option<&[u8]> {
        if !self.holds_packet(index) {
            return None;
        }
        let at = (index % self.config.capacity as u64) as usize;
        let len = self.slots.get(at)?.len;
        let start = at * self.config.max_payload;
        self.data.get(start..start + len)
    }

    /// Drops everything buffered and forgets the stream (SSRC, sequence, timing); keeps the
    /// counters and the learned lateness.
    pub fn reset(&mut self) {
        for slot in &mut self.slots {
            slot.occupied = false;
        }
        self.stats.flushed += self.count as u64;
        self.stats.resets += 1;
        self.count = 0;
        self.ext.reset();
        self.ssrc = None;
        self.next = None;
        self.started = false;
        self.state = State::Filling { since: None };
        self.hold_budget = 0;
        self.excess_ticks = 0;
        self.transit = None;
        self.last = None;
    }

    fn holds_packet(&self, index: u64) -> bool {
        let at = (index % self.config.capacity as u64) as usize;
        self.slots.get(at).is_some_and(|s| s.occupied && s.index == index)
    }

    /// Frees the slot of `index` (which holds it) and returns what it held.
    fn free(&mut self, index: u64) -> Slot {
        let at = (index % self.config.capacity as u64) as usize;
        match self.slots.get_mut(at) {
            Some(slot) => {
                slot.occupied = false;
                self.count = self.count.saturating_sub(1);
                *slot
            }
            None => Slot::default(),
        }
    }

    fn on_late(&mut self) {
        self.calm_ticks = 0;
        if self.config.min_depth + self.boost < self.config.max_depth {
            self.boost += 1;
        }
        self.retarget();
    }

    /// Raises the target to what the jitter asks for, and marks a rise for holding.
    fn retarget(&mut self) {
        let frame_ts = self.config.frame.as_secs_f64() * f64::from(self.config.clock_rate);
        let jitter_ts = self.jitter16 as f64 / 16.0;
        let jitter_depth =
            ((3.0 * jitter_ts / frame_ts).ceil() + 1.0).min(f64::from(self.config.max_depth)) as u16;
        if jitter_depth > self.config.min_depth + self.boost {
            self.boost = jitter_depth - self.config.min_depth;
            self.calm_ticks = 0;
        }
        let target = (self.config.min_depth + self.boost).min(self.config.max_depth);
        if target > self.target && self.state == State::Playing {
            self.hold_budget = self.hold_budget.saturating_add(target - self.target);
        }
        self.target = target;
    }

    /// A.8 jitter on arrival times, and the timestamp-jump check.
    fn measure(&mut self, index: u64, timestamp: u32, now: Instant) {
        if let Some((last_index, last_ts)) = self.last {
            let steps = index as i64 - last_index as i64;
            let frame_ts = (self.config.frame.as_secs_f64() * f64::from(self.config.clock_rate)) as i64;
            let expected = last_ts.wrapping_add((steps * frame_ts) as u32);
            let off = (timestamp.wrapping_sub(expected) as i32).unsigned_abs();
            if off > self.config.max_timestamp_jump {
                self.stats.timestamp_jumps += 1;
                self.transit = None;
            }
        }
        if self.last.is_none_or(|(i, _)| index > i) {
            self.last = Some((index, timestamp));
        }
        let epoch = *self.epoch.get_or_insert(now);
        let elapsed = now.saturating_duration_since(epoch).as_nanos();
        let arrival = (elapsed * u128::from(self.config.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(prev) = self.transit {
            let d = u64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            self.jitter16 = self.jitter16 + d - ((self.jitter16 + 8) >> 4);
            self.retarget();
        }
        self.transit = Some(transit);
    }
}
