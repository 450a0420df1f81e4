//! The packet series that sends one DTMF digit as RFC 4733 telephone-events.
//!
//! Every packet of a digit carries the same RTP timestamp (the event's start). The first has
//! the marker bit and duration 0; updates follow every update interval (50 ms by default)
//! with the duration so far; the end packet, with the end bit and the final duration, is
//! sent three times, spaced by the update interval, as RFC 4733 §2.5.1.4 recommends.

use cc_core::DtmfDigit;

use crate::dtmf::event::{MAX_VOLUME, PAYLOAD_LEN, TelephoneEvent};
use crate::error::{Error, Result};

/// How many times the end packet is sent.
pub const END_PACKETS: u32 = 3;

/// One packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutgoingEvent {
    /// When to send it, in RTP timestamp units after the digit's start.
    pub send_at: u32,
    /// The RTP marker bit.
    pub marker: bool,
    /// The RTP timestamp (the digit's start, the same for every packet of the digit).
    pub timestamp: u32,
    /// The telephone-event payload.
    pub payload: [u8; PAYLOAD_LEN],
}

/// Makes the packet series of digits. Sans-IO: the driver sends each packet at its
/// `send_at` and numbers it in its RTP stream.
///
/// ```
/// use cc_media::dtmf::DtmfSender;
///
/// let packets: Vec<_> = DtmfSender::new(8000)?.packets('5'.try_into()?, 0, 120)?.collect();
/// // Start (marker), updates at 50 and 100 ms, then three end packets from 120 ms.
/// let at: Vec<u32> = packets.iter().map(|p| p.send_at).collect();
/// assert_eq!(at, [0, 400, 800, 960, 1360, 1760]);
/// assert!(packets[0].marker && !packets[1].marker);
/// assert_eq!(packets[5].payload, [5, 0x80 | 10, 0x03, 0xC0]); // end bit, -10 dBm0, 960
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSender {
    clock_rate: u32,
    update_interval: u32,
    volume: u8,
}

impl DtmfSender {
    /// A sender for a telephone-event stream at `clock_rate` Hz (8000 normally), with
    /// updates every 50 ms and a volume of -10 dBm0.
    pub fn new(clock_rate: u32) -> Result<Self> {
        if !(1000..=192_000).contains(&clock_rate) {
            return Err(Error::InvalidSetting {
                name: "telephone-event clock rate",
                value: clock_rate.to_string(),
                expected: "1000 to 192000 Hz (8000 for telephone-event/8000)",
            });
        }
        Ok(Self {
            clock_rate,
            update_interval: clock_rate / 20,
            volume: 10,
        })
    }

    /// Sets the interval between updates, in milliseconds (10 to 1000).
    pub fn with_update_interval_ms(mut self, ms: u32) -> Result<Self> {
        if !(10..=1000).contains(&ms) {
            return Err(Error::InvalidSetting {
                name: "update interval",
                value: format!("{ms} ms"),
                expected: "10 to 1000 ms (50 is usual)",
            });
        }
        self.update_interval = self.clock_rate * ms / 1000;
        Ok(self)
    }

    /// Sets the volume, as `-volume` dBm0 (0 to 63).
    pub fn with_volume(mut self, volume: u8) -> Result<Self> {
        if volume > MAX_VOLUME {
            return Err(Error::EventVolume { volume });
        }
        self.volume = volume;
        Ok(self)
    }

    /// The packets that send `digit` for `duration_ms`, starting at RTP `timestamp`.
    ///
    /// Fails with [`Error::EventDuration`] when the duration does not fit the 16-bit field
    /// (65535 timestamp units, 8.19 s at 8 kHz), or [`Error::InvalidSetting`] for 0 ms.
    pub fn packets(&self, digit: DtmfDigit, timestamp: u32, duration_ms: u32) -> Result<DtmfPackets> {
        let units = u64::from(duration_ms) * u64::from(self.clock_rate) / 1000;
        let Ok(duration) = u16::try_from(units) else {
            return Err(Error::EventDuration {
                duration: u32::try_from(units).unwrap_or(u32::MAX),
            });
        };
        if duration == 0 {
            return Err(Error::InvalidSetting {
                name: "digit duration",
                value: format!("{duration_ms} ms"),
                expected: "a duration of at least one timestamp unit (40 ms or more is usual)",
            });
        }
        Ok(DtmfPackets {
            sender: *self,
            digit,
            timestamp,
            duration,
            next: 0,
        })
    }
}

/// The packets of one digit, in sending order.
#[derive(Debug, Clone)]
pub struct DtmfPackets {
    sender: DtmfSender,
    digit: DtmfDigit,
    timestamp: u32,
    duration: u16,
    /// Index of the next packet.
    next: u32,
}

impl DtmfPackets {
    /// Start and update packets: at 0, interval, 2 × interval, … below the duration.
    fn updates(&self) -> u32 {
        u32::from(self.duration).div_ceil(self.sender.update_interval.max(1))
    }
}

impl Iterator for DtmfPackets {
    type Item = OutgoingEvent;

    fn next(&mut self) -> Option<OutgoingEvent> {
        let interval = self.sender.update_interval.max(1);
        let updates = self.updates();
        let index = self.next;
        let (send_at, duration, end) = if index < updates {
            let at = index * interval;
            (at, at as u16, false)
        } else if index < updates + END_PACKETS {
            let at = u32::from(self.duration) + (index - updates) * interval;
            (at, self.duration, true)
        } else {
            return None;
        };
        self.next += 1;
        let event = TelephoneEvent::digit(self.digit, end, self.sender.volume, duration);
        Some(OutgoingEvent {
            send_at,
            marker: index == 0,
            timestamp: self.timestamp,
            // The volume was checked when the sender was made, so this cannot fail; the
            // fallback keeps the iterator total all the same.
            payload: event.build().unwrap_or([event.event, u8::from(end) << 7, 0, 0]),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.updates() + END_PACKETS).saturating_sub(self.next) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for DtmfPackets {}
