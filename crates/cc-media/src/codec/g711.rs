//! G.711 µ-law (PCMU) and A-law (PCMA), bit-exact with the ITU-T G.191 reference coder.
//!
//! The reference (`ulaw_compress`, `alaw_compress` in G.191's `g711.c`) truncates 16-bit
//! input to 14 bits for µ-law and 13 bits for A-law, and takes the one's complement `!x`
//! (not the negation) of a negative sample before the shift. Since an arithmetic shift
//! commutes with `!`, the code of a sample depends only on `x >> 2` (µ-law) or `x >> 3`
//! (A-law), so encoding is one lookup in a 16,384- or 8,192-entry table built at compile
//! time; decoding is one lookup in a 256-entry table. Decoded values are the midpoints of
//! the ITU quantization intervals, the same values sox, Sun's `g711.c` and spandsp give.

use crate::codec::Codec;
use crate::error::{Error, Result};

/// Which G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law, RTP payload type 0 (`PCMU`), used in North America and Japan.
    Mu,
    /// A-law, RTP payload type 8 (`PCMA`), used in Europe and China.
    A,
}

impl Law {
    /// Encodes one sample.
    #[inline]
    pub fn encode_sample(self, x: i16) -> u8 {
        match self {
            Self::Mu => ulaw_encode(x),
            Self::A => alaw_encode(x),
        }
    }

    /// Decodes one code.
    #[inline]
    pub fn decode_sample(self, code: u8) -> i16 {
        match self {
            Self::Mu => ulaw_decode(code),
            Self::A => alaw_decode(code),
        }
    }

    /// The code of silence (a zero sample).
    pub const fn silence(self) -> u8 {
        match self {
            Self::Mu => 0xFF,
            Self::A => 0xD5,
        }
    }
}

impl std::str::FromStr for Law {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mu" | "u" | "ulaw" | "mulaw" | "pcmu" | "µ" => Ok(Self::Mu),
            "a" | "alaw" | "pcma" => Ok(Self::A),
            _ => Err(Error::UnknownLaw {
                value: s.chars().take(40).collect(),
            }),
        }
    }
}

/// µ-law code of one 16-bit sample (G.191 `ulaw_compress`).
#[inline]
pub fn ulaw_encode(x: i16) -> u8 {
    // `x >> 2` as a 14-bit two's-complement index; the table is sized so that any u16 >> 2
    // is in bounds, which also lets the compiler drop the bounds check.
    ULAW_ENCODE[usize::from(x as u16 >> 2)]
}

/// A-law code of one 16-bit sample (G.191 `alaw_compress`).
#[inline]
pub fn alaw_encode(x: i16) -> u8 {
    ALAW_ENCODE[usize::from(x as u16 >> 3)]
}

/// 16-bit sample of one µ-law code (G.191 `ulaw_expand`).
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[usize::from(code)]
}

/// 16-bit sample of one A-law code (G.191 `alaw_expand`).
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[usize::from(code)]
}

/// Encodes `pcm` into `out[..pcm.len()]` with `law`; `out` may be longer.
pub fn encode_slice(law: Law, pcm: &[i16], out: &mut [u8]) -> Result<usize> {
    let Some(out) = out.get_mut(..pcm.len()) else {
        return Err(Error::BufferTooSmall {
            needed: pcm.len(),
            got: out.len(),
            unit: "bytes",
        });
    };
    match law {
        Law::Mu => out.iter_mut().zip(pcm).for_each(|(o, &x)| *o = ulaw_encode(x)),
        Law::A => out.iter_mut().zip(pcm).for_each(|(o, &x)| *o = alaw_encode(x)),
    }
    Ok(pcm.len())
}

/// Decodes `codes` into `out[..codes.len()]` with `law`; `out` may be longer.
pub fn decode_slice(law: Law, codes: &[u8], out: &mut [i16]) -> Result<usize> {
    let Some(out) = out.get_mut(..codes.len()) else {
        return Err(Error::BufferTooSmall {
            needed: codes.len(),
            got: out.len(),
            unit: "samples",
        });
    };
    let table = match law {
        Law::Mu => &ULAW_DECODE,
        Law::A => &ALAW_DECODE,
    };
    out.iter_mut()
        .zip(codes)
        .for_each(|(o, &c)| *o = table[usize::from(c)]);
    Ok(codes.len())
}

/// The G.711 codec at 8 kHz for one law: payload type 0 (`PCMU`) or 8 (`PCMA`).
///
/// One byte per sample, no state; any number of samples per call is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct G711 {
    law: Law,
}

impl G711 {
    /// The codec for `law`.
    pub const fn new(law: Law) -> Self {
        Self { law }
    }

    /// Its law.
    pub const fn law(self) -> Law {
        self.law
    }
}

impl Codec for G711 {
    fn name(&self) -> &'static str {
        match self.law {
            Law::Mu => "PCMU",
            Law::A => "PCMA",
        }
    }

    fn payload_type(&self) -> u8 {
        match self.law {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    fn clock_rate(&self) -> u32 {
        8000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize> {
        encode_slice(self.law, pcm, out)
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize> {
        decode_slice(self.law, payload, out)
    }
}

/// Highest set bit of a non-zero 16-bit value (0 for 1, 15 for 0x8000).
const fn top_bit(v: u16) -> u32 {
    v.ilog2()
}

/// µ-law code of the 14-bit sample `t` (the 16-bit sample shifted right by 2).
///
/// The magnitude of a negative sample is its one's complement. Biased by 33, magnitudes
/// in segment `s` (0..=7) lie in `[32 << s, 64 << s)`; the four bits below the leading one
/// (after dropping `s + 1` bits) are the step within the segment. µ-law transmits the
/// complement of sign, segment and step.
const fn ulaw_from_14bit(t: i16) -> u8 {
    let positive = t >= 0;
    let magnitude = if positive { t } else { !t } as u16; // 0..=8191
    let mut biased = magnitude + 33;
    if biased > 0x1FFF {
        biased = 0x1FFF;
    }
    let segment = top_bit(biased) - 5;
    let step = (biased >> (segment + 1)) & 0xF;
    let index = ((segment as u16) << 4 | step) as u8; // 0..=127, 0 = quietest
    if positive { 0xFF - index } else { 0x7F - index }
}

/// A-law code of the 13-bit sample `t` (the 16-bit sample shifted right by 3).
///
/// With magnitudes in units of 16 (of the 16-bit sample), segments 0 and 1 are linear
/// (code = magnitude); segment `s` >= 2 holds `[16 << (s - 1), 32 << (s - 1))` in 16 steps.
/// A-law sets the sign bit for positive samples and inverts the even bits (`^ 0x55`).
const fn alaw_from_13bit(t: i16) -> u8 {
    let positive = t >= 0;
    let magnitude = (if positive { t } else { !t } as u16) >> 1; // 0..=2047
    let index = if magnitude < 32 {
        magnitude as u8
    } else {
        let segment = top_bit(magnitude) - 3; // 2..=7
        let step = (magnitude >> (segment - 1)) & 0xF;
        ((segment as u16) << 4 | step) as u8
    };
    let signed = if positive { index | 0x80 } else { index };
    signed ^ 0x55
}

const fn ulaw_to_linear(code: u8) -> i16 {
    let index = 0x7F - (code & 0x7F); // undo the complement: segment << 4 | step
    let segment = (index >> 4) as u32;
    let step = (index & 0xF) as i32;
    // Midpoint of the interval, in 14-bit units biased by 33, then to 16 bits.
    let biased = (32 + 2 * step + 1) << segment; // (2 * (16 + step) + 1) << s
    let magnitude = (biased - 33) * 4;
    (if code & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

const fn alaw_to_linear(code: u8) -> i16 {
    let plain = code ^ 0x55;
    let index = plain & 0x7F;
    let segment = (index >> 4) as u32;
    let step = (index & 0xF) as i32;
    // Midpoints in 16-bit units: segment 0 steps are 16 wide starting at 0; segment s >= 1
    // steps are 16 << (s - 1) wide starting at 256 << (s - 1).
    let magnitude = if segment == 0 {
        step * 16 + 8
    } else {
        ((step * 2 + 33) * 8) << (segment - 1)
    };
    (if plain & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

const ULAW_ENCODE: [u8; 1 << 14] = {
    let mut table = [0_u8; 1 << 14];
    let mut i = 0;
    while i < table.len() {
        // Index i holds the 14-bit two's-complement pattern of x >> 2.
        let t = ((i as u16) << 2) as i16 >> 2;
        table[i] = ulaw_from_14bit(t);
        i += 1;
    }
    table
};

const ALAW_ENCODE: [u8; 1 << 13] = {
    let mut table = [0_u8; 1 << 13];
    let mut i = 0;
    while i < table.len() {
        let t = ((i as u16) << 3) as i16 >> 3;
        table[i] = alaw_from_13bit(t);
        i += 1;
    }
    table
};

const ULAW_DECODE: [i16; 256] = {
    let mut table = [0_i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = ulaw_to_linear(i as u8);
        i += 1;
    }
    table
};

const ALAW_DECODE: [i16; 256] = {
    let mut table = [0_i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = alaw_to_linear(i as u8);
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7F);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
    }

    #[test]
    fn short_buffers_are_typed_errors() {
        let mut codec = G711::new(Law::A);
        let err = codec.encode(&[0; 160], &mut [0; 80]).unwrap_err().to_string();
        assert!(err.contains("80") && err.contains("160"), "{err}");
        assert!(codec.decode(&[0; 10], &mut [0; 9]).is_err());
        assert_eq!(
            (codec.name(), codec.payload_type(), codec.frame_samples()),
            ("PCMA", 8, 160)
        );
    }

    #[test]
    fn law_names() {
        assert_eq!("mu".parse::<Law>().unwrap(), Law::Mu);
        assert_eq!("A".parse::<Law>().unwrap(), Law::A);
        let err = "b".parse::<Law>().unwrap_err().to_string();
        assert!(err.contains("\"b\"") && err.contains("mu"), "{err}");
    }
}
