//! L16: linear 16-bit PCM in network byte order (RFC 3551 §4.5.11), mono, at 8 or
//! 16 kHz on dynamic payload types (the static types 10 and 11 are 44.1 kHz).

use super::Codec;
use crate::error::{Error, Result};

/// Linear 16-bit PCM, big-endian, one channel.
///
/// ```
/// use cc_media::codec::{Codec, L16};
///
/// let mut l16 = L16::new(16_000, 97)?;
/// let mut payload = [0_u8; 640];
/// assert_eq!(l16.encode(&[0x0102; 320], &mut payload)?, 640);
/// assert_eq!(&payload[..2], &[0x01, 0x02]);
/// let mut back = [0_i16; 320];
/// assert_eq!(l16.decode(&payload, &mut back)?, 320);
/// assert_eq!(back[319], 0x0102);
/// # Ok::<(), cc_media::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L16 {
    rate: u32,
    payload_type: u8,
}

impl L16 {
    /// L16 at `rate` (8000 or 16000 Hz) on the dynamic payload type `payload_type`
    /// (96 to 127).
    pub fn new(rate: u32, payload_type: u8) -> Result<Self> {
        if !matches!(rate, 8000 | 16_000) {
            return Err(Error::InvalidSetting {
                name: "L16 rate",
                value: rate.to_string(),
                expected: "8000 or 16000 Hz",
            });
        }
        if !(96..=127).contains(&payload_type) {
            return Err(Error::InvalidSetting {
                name: "L16 payload type",
                value: payload_type.to_string(),
                expected: "a dynamic payload type, 96 to 127",
            });
        }
        Ok(Self { rate, payload_type })
    }
}

impl Codec for L16 {
    fn name(&self) -> &'static str {
        "L16"
    }

    fn payload_type(&self) -> u8 {
        self.payload_type
    }

    fn clock_rate(&self) -> u32 {
        self.rate
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize> {
        let needed = pcm.len() * 2;
        let Some(out) = out.get_mut(..needed) else {
            return Err(Error::BufferTooSmall {
                got: out.len(),
                needed,
                unit: "bytes",
            });
        };
        for (pair, &s) in out.chunks_exact_mut(2).zip(pcm) {
            pair.copy_from_slice(&s.to_be_bytes());
        }
        Ok(needed)
    }

    /// Decodes whole samples; an odd trailing byte is ignored.
    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize> {
        let needed = payload.len() / 2;
        let Some(out) = out.get_mut(..needed) else {
            return Err(Error::BufferTooSmall {
                got: out.len(),
                needed,
                unit: "samples",
            });
        };
        for (s, pair) in out.iter_mut().zip(payload.chunks_exact(2)) {
            *s = i16::from_be_bytes([pair[0], pair[1]]);
        }
        Ok(needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_value_round_trips_in_network_order() {
        let pcm: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        let mut l16 = L16::new(8000, 96).unwrap();
        let mut payload = vec![0_u8; pcm.len() * 2];
        assert_eq!(l16.encode(&pcm, &mut payload).unwrap(), 131_072);
        assert_eq!(&payload[..4], &[0x80, 0x00, 0x80, 0x01]);
        let mut back = vec![0_i16; pcm.len()];
        assert_eq!(l16.decode(&payload, &mut back).unwrap(), pcm.len());
        assert_eq!(back, pcm);
        // An odd byte at the end is not a sample.
        assert_eq!(l16.decode(&[0x12, 0x34, 0x56], &mut back).unwrap(), 1);
        assert_eq!(back[0], 0x1234);
    }

    #[test]
    fn bad_settings_and_small_buffers_are_errors() {
        assert!(L16::new(44_100, 96).is_err());
        assert!(L16::new(16_000, 11).is_err());
        let mut l16 = L16::new(16_000, 127).unwrap();
        assert_eq!(
            (l16.clock_rate(), l16.frame_samples(), l16.name()),
            (16_000, 320, "L16")
        );
        assert!(l16.encode(&[0; 320], &mut [0; 639]).is_err());
        assert!(l16.decode(&[0; 640], &mut [0; 319]).is_err());
    }
}
