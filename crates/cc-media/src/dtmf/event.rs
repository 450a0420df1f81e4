//! The RFC 4733 telephone-event payload (§2.3):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use cc_core::DtmfDigit;

use crate::error::{Error, Result};

/// Length of a telephone-event payload in bytes.
pub const PAYLOAD_LEN: usize = 4;

/// Largest volume: the field holds 0 to 63, meaning 0 to -63 dBm0.
pub const MAX_VOLUME: u8 = 63;

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// The event code: 0–9, 10 `*`, 11 `#`, 12–15 `A`–`D` for DTMF; other codes name other
    /// events (16 is a hook flash).
    pub event: u8,
    /// The end bit: the event has ended and `duration` is final.
    pub end: bool,
    /// Power level of the tone, as `-volume` dBm0 (0 to 63).
    pub volume: u8,
    /// How long the event has lasted so far, in RTP timestamp units, counted from the
    /// packet's RTP timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The event of a DTMF digit.
    pub fn digit(digit: DtmfDigit, end: bool, volume: u8, duration: u16) -> Self {
        Self {
            event: digit.event_code(),
            end,
            volume,
            duration,
        }
    }

    /// The DTMF digit this event stands for, if it is one.
    pub fn as_digit(&self) -> Option<DtmfDigit> {
        DtmfDigit::from_event_code(self.event)
    }

    /// Parses a payload. The reserved bit is ignored, as the RFC asks of receivers.
    ///
    /// ```
    /// use cc_media::dtmf::TelephoneEvent;
    ///
    /// let event = TelephoneEvent::parse(&[11, 0x8A, 0x03, 0x20])?;
    /// assert_eq!((event.as_digit().map(|d| d.as_char()), event.end, event.volume, event.duration), (Some('#'), true, 10, 800));
    /// assert!(TelephoneEvent::parse(&[11, 0x8A, 0x03]).is_err());
    /// # Ok::<(), cc_media::Error>(())
    /// ```
    pub fn parse(payload: &[u8]) -> Result<Self> {
        let &[event, flags, hi, lo] = payload else {
            return Err(Error::EventPayloadLength { len: payload.len() });
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([hi, lo]),
        })
    }

    /// The 4-byte payload, with the reserved bit clear.
    ///
    /// Fails with [`Error::EventVolume`] when `volume` exceeds [`MAX_VOLUME`].
    pub fn build(&self) -> Result<[u8; PAYLOAD_LEN]> {
        if self.volume > MAX_VOLUME {
            return Err(Error::EventVolume { volume: self.volume });
        }
        let [hi, lo] = self.duration.to_be_bytes();
        Ok([self.event, u8::from(self.end) << 7 | self.volume, hi, lo])
    }

    /// Writes the payload into the start of `out`; returns its length (4).
    pub fn write_to(&self, out: &mut [u8]) -> Result<usize> {
        let bytes = self.build()?;
        let got = out.len();
        let Some(out) = out.get_mut(..PAYLOAD_LEN) else {
            return Err(Error::BufferTooSmall {
                needed: PAYLOAD_LEN,
                got,
                unit: "bytes",
            });
        };
        out.copy_from_slice(&bytes);
        Ok(PAYLOAD_LEN)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn fields_and_errors() {
        let five = DtmfDigit::from_char('5').unwrap();
        let event = TelephoneEvent::digit(five, false, 10, 400);
        assert_eq!(event.build().unwrap(), [5, 10, 0x01, 0x90]);
        let err = TelephoneEvent { volume: 64, ..event }
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("64") && err.contains("0 to 63"), "{err}");
        let err = TelephoneEvent::parse(&[1, 2, 3, 4, 5]).unwrap_err().to_string();
        assert!(err.contains("5 bytes") && err.contains("exactly 4"), "{err}");
        // The reserved bit is ignored.
        assert_eq!(TelephoneEvent::parse(&[5, 0x4A, 0x01, 0x90]).unwrap(), event);
        assert_eq!(TelephoneEvent::parse(&[16, 0, 0, 0]).unwrap().as_digit(), None);
        let mut small = [0_u8; 3];
        assert!(event.write_to(&mut small).is_err());
        let mut buf = [0_u8; 12];
        assert_eq!(event.write_to(&mut buf).unwrap(), 4);
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let parsed = TelephoneEvent::parse(&bytes);
            prop_assert_eq!(parsed.is_ok(), bytes.len() == PAYLOAD_LEN);
        }

        #[test]
        fn build_then_parse_round_trips(event in any::<u8>(), end in any::<bool>(), volume in 0..=MAX_VOLUME, duration in any::<u16>()) {
            let original = TelephoneEvent { event, end, volume, duration };
            let bytes = original.build().unwrap();
            prop_assert_eq!(bytes[1] & 0x40, 0, "reserved bit clear");
            prop_assert_eq!(TelephoneEvent::parse(&bytes).unwrap(), original);
        }

        #[test]
        fn parse_then_build_round_trips_without_reserved_bit(bytes in any::<[u8; 4]>()) {
            let event = TelephoneEvent::parse(&bytes).unwrap();
            let mut expected = bytes;
            expected[1] &= !0x40;
            prop_assert_eq!(event.build().unwrap(), expected);
        }
    }
}
