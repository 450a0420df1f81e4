//! A codec seen at another PCM rate: [`Resampled`].

use super::Codec;
use crate::error::{Error, Result};
use crate::player::resample::StreamResampler;

/// Most samples one packet decodes to at the codec's own rate (120 ms at 48 kHz).
const MAX_INNER: usize = 5760;

/// Wraps a codec whose PCM runs at one rate so that its caller works at another (the
/// media engine works at 8 kHz; L16 at 16 kHz is wrapped so): PCM is resampled on the way
/// in and out by [`StreamResampler`]s, which keep their state across packets. The RTP side
/// (payload type, clock rate, payloads) is the wrapped codec's. Nothing is allocated after
/// [`Resampled::new`].
///
/// ```
/// use cc_media::codec::{Codec, L16, Resampled};
///
/// let mut wide = Resampled::new(Box::new(L16::new(16_000, 97)?), 16_000, 8000)?;
/// assert_eq!((wide.clock_rate(), wide.frame_samples()), (16_000, 160));
/// let mut payload = [0_u8; 640];
/// // 20 ms at 8 kHz in, 20 ms at 16 kHz (640 bytes) out.
/// assert_eq!(wide.encode(&[0; 160], &mut payload)?, 640);
/// let mut back = [0_i16; 160];
/// assert_eq!(wide.decode(&payload, &mut back)?, 160);
/// # Ok::<(), cc_media::Error>(())
/// ```
pub struct Resampled {
    inner: Box<dyn Codec>,
    pcm_rate: u32,
    inner_rate: u32,
    to_inner: StreamResampler,
    from_inner: StreamResampler,
    scratch: Box<[i16; MAX_INNER]>,
}

impl std::fmt::Debug for Resampled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampled")
            .field("codec", &self.inner.name())
            .field("pcm_rate", &self.pcm_rate)
            .field("inner_rate", &self.inner_rate)
            .finish_non_exhaustive()
    }
}

impl Resampled {
    /// `inner`, whose PCM runs at `inner_rate`, seen at `pcm_rate` (one rate a whole
    /// multiple of the other: 8, 16 or 48 kHz).
    pub fn new(inner: Box<dyn Codec>, inner_rate: u32, pcm_rate: u32) -> Result<Self> {
        Ok(Self {
            inner,
            pcm_rate,
            inner_rate,
            to_inner: StreamResampler::new(pcm_rate, inner_rate)?,
            from_inner: StreamResampler::new(inner_rate, pcm_rate)?,
            scratch: Box::new([0; MAX_INNER]),
        })
    }

    /// The PCM rate callers work at.
    pub fn pcm_rate(&self) -> u32 {
        self.pcm_rate
    }

    /// Samples at the inner rate that `n` samples at the outer rate stand for.
    fn inner_len(&self, n: usize) -> usize {
        (n as u64 * u64::from(self.inner_rate) / u64::from(self.pcm_rate)) as usize
    }

    /// Resamples `m` inner samples in the scratch buffer into `out`.
    fn out_of_scratch(&mut self, m: usize, out: &mut [i16]) -> Result<usize> {
        let needed = self.from_inner.output_len(m);
        if out.len() < needed {
            return Err(Error::BufferTooSmall {
                needed,
                got: out.len(),
                unit: "samples",
            });
        }
        let decoded = self.scratch.get(..m).unwrap_or_default();
        Ok(self.from_inner.process(decoded, out))
    }
}

impl Codec for Resampled {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn payload_type(&self) -> u8 {
        self.inner.payload_type()
    }

    fn clock_rate(&self) -> u32 {
        self.inner.clock_rate()
    }

    /// PCM samples in one 20 ms frame at the outer rate.
    fn frame_samples(&self) -> usize {
        (self.pcm_rate * super::FRAME_MS / 1000) as usize
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize> {
        let needed = self.to_inner.output_len(pcm.len());
        let Some(buf) = self.scratch.get_mut(..needed) else {
            return Err(Error::FrameLength {
                got: pcm.len(),
                expected: MAX_INNER * self.pcm_rate as usize / self.inner_rate as usize,
                what: "resampled codec (most samples per packet)",
            });
        };
        let n = self.to_inner.process(pcm, buf);
        let resampled = self.scratch.get(..n).unwrap_or_default();
        self.inner.encode(resampled, out)
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize> {
        let m = self.inner.decode(payload, &mut self.scratch[..])?;
        self.out_of_scratch(m, out)
    }

    fn conceal(&mut self, next: Option<&[u8]>, out: &mut [i16]) -> Result<usize> {
        let each = self.inner_len(out.len()).min(MAX_INNER);
        let m = self.inner.conceal(next, &mut self.scratch[..each])?;
        self.out_of_scratch(m, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::L16;

    #[test]
    fn a_tone_crosses_a_wideband_l16_stream_at_8_khz_without_seams() {
        let mut tx = Resampled::new(Box::new(L16::new(16_000, 97).unwrap()), 16_000, 8000).unwrap();
        let mut rx = Resampled::new(Box::new(L16::new(16_000, 97).unwrap()), 16_000, 8000).unwrap();
        let tone: Vec<i16> = (0..8000)
            .map(|n| (8000.0 * (std::f64::consts::TAU * 1000.0 * f64::from(n) / 8000.0).sin()) as i16)
            .collect();
        let mut heard = Vec::new();
        let mut payload = [0_u8; 640];
        let mut frame = [0_i16; 160];
        for chunk in tone.chunks(160) {
            assert_eq!(tx.encode(chunk, &mut payload).unwrap(), 640);
            // On the wire: 16 kHz samples of the same tone (every other one is new).
            assert_eq!(rx.decode(&payload, &mut frame).unwrap(), 160);
            heard.extend_from_slice(&frame);
        }
        // Two filters' delay later, the tone is back sample for sample within a few LSB
        // of the filters' ripple.
        let delay = (0..40)
            .min_by_key(|&d| {
                heard[4000..7000]
                    .iter()
                    .zip(&tone[4000 - d..7000 - d])
                    .map(|(&a, &b)| (i64::from(a) - i64::from(b)).abs())
                    .sum::<i64>()
            })
            .unwrap();
        let worst = heard[4000..7000]
            .iter()
            .zip(&tone[4000 - delay..7000 - delay])
            .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
            .max()
            .unwrap();
        assert!(worst < 80, "delay {delay}: worst error {worst}");
        // A lost packet is 20 ms of silence at the outer rate.
        let mut lost = [1_i16; 160];
        assert_eq!(rx.conceal(None, &mut lost).unwrap(), 160);
        assert!(rx.decode(&payload, &mut [0; 159]).is_err());
    }
}
