//! Turns RFC 4733 telephone-event packets into digits.
//!
//! A keyed digit arrives as a series of packets that share one RTP timestamp (the start of
//! the event): the first with the marker bit, updates with growing durations, then the end
//! packet sent three times. Packets may be duplicated, reordered or lost. The receiver
//! reports each digit once when its first packet arrives ([`DigitEvent::Began`]) and once
//! when it ends ([`DigitEvent::Ended`], with the duration), and
//!
//! - counts a repeated timestamp as the same digit (duplicates, the redundant end packets);
//! - ignores packets older than the current event (late arrivals of a previous digit);
//! - ends a digit whose end packets were lost when the next event begins, or when the
//!   driver calls [`EventReceiver::end_pending`] (e.g. after a quiet spell);
//! - compares timestamps modulo 2^32, so the RTP timestamp may wrap during a call;
//! - joins the segments of an event longer than the 16-bit duration field (RFC 4733
//!   §2.5.1.3: a new timestamp without the marker bit, continuing the same event).

use std::collections::VecDeque;

use cc_core::DtmfDigit;

use crate::dtmf::event::TelephoneEvent;
use crate::error::Result;

/// What the receiver reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitEvent {
    /// A digit began: its first packet arrived.
    Began {
        /// The digit.
        digit: DtmfDigit,
        /// The event's RTP timestamp (its start).
        timestamp: u32,
        /// Its power level, as `-volume` dBm0.
        volume: u8,
    },
    /// A digit ended.
    Ended {
        /// The digit.
        digit: DtmfDigit,
        /// The event's RTP timestamp (its start).
        timestamp: u32,
        /// How long it lasted, in RTP timestamp units: final when `end_seen`, else the
        /// longest duration any packet reported.
        duration: u32,
        /// Whether an end packet arrived; `false` when the end packets were lost and the
        /// digit was ended by the next event or by [`EventReceiver::end_pending`].
        end_seen: bool,
    },
}

/// Counters of what the receiver saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    /// Packets handled, good or bad.
    pub packets: u64,
    /// Digits begun.
    pub digits: u64,
    /// Payloads that did not parse.
    pub malformed: u64,
    /// Packets that repeated what was already known (duplicates, redundant end packets).
    pub duplicates: u64,
    /// Packets older than the current event, or contradicting it at the same timestamp.
    pub stale: u64,
    /// Events other than DTMF digits (codes above 15), which are ignored.
    pub other_events: u64,
}

/// The event being received or last received.
#[derive(Debug, Clone, Copy)]
struct Current {
    digit: DtmfDigit,
    /// Timestamp of the event's first segment.
    start: u32,
    /// Timestamp of the segment now being received.
    segment: u32,
    /// Longest duration the current segment reported.
    segment_duration: u16,
    /// Total duration so far, from `start`.
    duration: u32,
    ended: bool,
}

/// A segment this long (or longer) may be continued by a next segment: the 16-bit field is
/// close to full.
const SEGMENT_NEARLY_FULL: u16 = u16::MAX - 8000;
/// Slack allowed between a segment's last reported duration and the next segment's start.
const SEGMENT_SLACK: u32 = 8000;

/// The receiving side of RFC 4733 DTMF for one RTP stream. Sans-IO: feed packets with
/// [`handle`](Self::handle), drain [`poll_event`](Self::poll_event).
///
/// ```
/// use cc_media::dtmf::{DigitEvent, DtmfSender, EventReceiver};
///
/// let sender = DtmfSender::new(8000)?;
/// let mut receiver = EventReceiver::new();
/// for packet in sender.packets('7'.try_into()?, 1234, 100)? {
///     receiver.handle(packet.timestamp, packet.marker, &packet.payload)?;
/// }
/// assert!(matches!(receiver.poll_event(), Some(DigitEvent::Began { digit, .. }) if digit.as_char() == '7'));
/// assert!(matches!(receiver.poll_event(), Some(DigitEvent::Ended { duration: 800, end_seen: true, .. })));
/// assert_eq!(receiver.poll_event(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct EventReceiver {
    current: Option<Current>,
    events: VecDeque<DigitEvent>,
    stats: ReceiverStats,
}

impl EventReceiver {
    /// A receiver that has seen nothing.
    pub fn new() -> Self {
        Self {
            current: None,
            events: VecDeque::with_capacity(8),
            stats: ReceiverStats::default(),
        }
    }

    /// Handles one telephone-event packet: its RTP timestamp, marker bit and payload.
    ///
    /// A payload that does not parse is counted and returned as an error; the receiver's
    /// state is unchanged then.
    pub fn handle(&mut self, timestamp: u32, marker: bool, payload: &[u8]) -> Result<()> {
        self.stats.packets += 1;
        let event = match TelephoneEvent::parse(payload) {
            Ok(event) => event,
            Err(err) => {
                self.stats.malformed += 1;
                return Err(err);
            }
        };
        let Some(digit) = event.as_digit() else {
            self.stats.other_events += 1;
            return Ok(());
        };
        let Some(current) = self.current.as_mut() else {
            self.begin(digit, timestamp, event);
            return Ok(());
        };
        // Serial-number comparison: positive when `timestamp` is newer, modulo 2^32.
        let delta = timestamp.wrapping_sub(current.segment) as i32;
        if delta < 0 {
            self.stats.stale += 1;
            return Ok(());
        }
        if delta == 0 {
            if digit != current.digit {
                self.stats.stale += 1;
            } else if current.ended || (event.duration <= current.segment_duration && !event.end) {
                self.stats.duplicates += 1;
            } else {
                current.segment_duration = current.segment_duration.max(event.duration);
                let total = current
                    .segment
                    .wrapping_sub(current.start)
                    .saturating_add(u32::from(current.segment_duration));
                current.duration = current.duration.max(total);
                if event.end {
                    current.ended = true;
                    let ended = Self::ended(current, true);
                    self.events.push_back(ended);
                }
            }
            return Ok(());
        }
        let continues = !current.ended
            && !marker
            && digit == current.digit
            && current.segment_duration >= SEGMENT_NEARLY_FULL
            && delta.unsigned_abs() <= u32::from(current.segment_duration) + SEGMENT_SLACK;
        if continues {
            current.segment = timestamp;
            current.segment_duration = event.duration;
            let total = timestamp
                .wrapping_sub(current.start)
                .saturating_add(u32::from(event.duration));
            current.duration = current.duration.max(total);
            if event.end {
                current.ended = true;
                let ended = Self::ended(current, true);
                self.events.push_back(ended);
            }
            return Ok(());
        }
        self.end_pending();
        self.begin(digit, timestamp, event);
        Ok(())
    }

    fn begin(&mut self, digit: DtmfDigit, timestamp: u32, event: TelephoneEvent) {
        let current = Current {
            digit,
            start: timestamp,
            segment: timestamp,
            segment_duration: event.duration,
            duration: u32::from(event.duration),
            ended: event.end,
        };
        self.stats.digits += 1;
        self.events.push_back(DigitEvent::Began {
            digit,
            timestamp,
            volume: event.volume,
        });
        if event.end {
            self.events.push_back(Self::ended(&current, true));
        }
        self.current = Some(current);
    }

    fn ended(current: &Current, end_seen: bool) -> DigitEvent {
        DigitEvent::Ended {
            digit: current.digit,
            timestamp: current.start,
            duration: current.duration,
            end_seen,
        }
    }

    /// Ends the digit in progress, if any, as if its end packet had arrived with the last
    /// duration seen (reported with `end_seen: false`). The driver calls this when the
    /// stream falls quiet or voice packets resume, so that a digit whose end packets were
    /// all lost still ends.
    pub fn end_pending(&mut self) {
        if let Some(current) = self.current.as_mut().filter(|c| !c.ended) {
            current.ended = true;
            let ended = Self::ended(current, false);
            self.events.push_back(ended);
        }
    }

    /// Whether a digit has begun and not ended.
    pub fn in_progress(&self) -> Option<DtmfDigit> {
        self.current.filter(|c| !c.ended).map(|c| c.digit)
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<DigitEvent> {
        self.events.pop_front()
    }

    /// What the receiver has counted.
    pub fn stats(&self) -> ReceiverStats {
        self.stats
    }
}
