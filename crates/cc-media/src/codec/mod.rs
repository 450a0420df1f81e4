//! Audio codecs behind one [`Codec`] trait.
//!
//! A codec turns frames of 16-bit linear PCM into RTP payload bytes and back. Callers own
//! every buffer: a media worker keeps one PCM frame and one payload buffer per call and
//! reuses them, so coding a packet allocates nothing.

pub mod g711;
pub mod l16;
pub mod opus;
pub mod resampled;

pub use g711::{G711, Law};
pub use l16::L16;
pub use opus::{Opus, OpusConfig};
pub use resampled::Resampled;

use crate::error::Result;

/// Milliseconds of audio in the usual RTP packet (`ptime`).
pub const FRAME_MS: u32 = 20;

/// An audio codec: encodes and decodes frames of 16-bit linear PCM into caller-supplied
/// buffers.
///
/// Implementations must not allocate per frame. Stateful codecs (Opus) keep their state in
/// `self`, hence `&mut self`.
///
/// ```
/// use cc_media::codec::{Codec, G711, Law};
///
/// let mut pcmu = G711::new(Law::Mu);
/// let pcm = [0_i16; 160]; // 20 ms at 8 kHz
/// let mut payload = [0_u8; 160];
/// let n = pcmu.encode(&pcm, &mut payload)?;
/// assert_eq!((n, payload[0]), (160, 0xFF));
/// let mut back = [1_i16; 160];
/// pcmu.decode(&payload[..n], &mut back)?;
/// assert_eq!(back, pcm);
/// # Ok::<(), cc_media::Error>(())
/// ```
pub trait Codec: Send {
    /// The SDP encoding name, e.g. `PCMU`.
    fn name(&self) -> &'static str;

    /// The RTP payload type: the static one (RFC 3551) where there is one, else the
    /// dynamic one this instance was configured with.
    fn payload_type(&self) -> u8;

    /// The RTP clock rate in Hz.
    fn clock_rate(&self) -> u32;

    /// PCM samples in one 20 ms frame.
    fn frame_samples(&self) -> usize {
        (self.clock_rate() * FRAME_MS / 1000) as usize
    }

    /// Encodes `pcm` into `out` and returns how many bytes were written.
    ///
    /// Fails with [`Error::BufferTooSmall`](crate::Error::BufferTooSmall) when `out` cannot
    /// hold the payload; nothing is written then.
    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize>;

    /// Decodes `payload` into `out` and returns how many samples were written.
    ///
    /// Fails with [`Error::BufferTooSmall`](crate::Error::BufferTooSmall) when `out` cannot
    /// hold the samples; nothing is written then.
    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize>;

    /// Fills `out` with audio standing in for one lost packet and returns how many samples
    /// were written. `next` is the packet after the loss when the caller has it, for codecs
    /// that carry a redundant copy of the previous frame (Opus FEC); it must still be
    /// decoded with [`decode`](Self::decode) afterwards.
    ///
    /// The default writes silence over all of `out` (G.711 has no concealment of its own;
    /// the caller sizes `out` as the lost packet).
    fn conceal(&mut self, next: Option<&[u8]>, out: &mut [i16]) -> Result<usize> {
        let _ = next;
        out.fill(0);
        Ok(out.len())
    }
}
