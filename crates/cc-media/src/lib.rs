//! # cc-media: what callers hear and what the center records
//!
//! - [`rtp`]: RTP packets read without copying and built into caller buffers, extended
//!   sequence numbers;
//! - [`rtcp`]: SR, RR, SDES and BYE read in place from compound packets and written into
//!   caller buffers;
//! - [`stats`]: per-stream receive statistics (RFC 3550: loss, jitter, RTT) and a MOS
//!   estimate, for RTCP reports and the call record;
//! - [`jitter`]: a sans-IO adaptive jitter buffer that hands gaps to concealment;
//! - [`codec`]: the [`Codec`] trait, G.711 µ-law/A-law, bit-exact with ITU-T G.191, and
//!   Opus (8/16/48 kHz mono over the system libopus, with FEC, DTX and concealment), L16
//!   (8/16 kHz), and [`Resampled`](codec::Resampled), a codec seen at another PCM rate;
//! - [`dtmf`]: RFC 4733 telephone-events (parse, build, send, receive) and in-band
//!   Goertzel detection;
//! - [`mixer`]: the [`Mixer`] trait and an N-party mix-minus mixer with supervisor roles
//!   (listen, whisper, barge);
//! - [`recorder`]: a crash-safe recorder of WAV or Ogg/Opus files (stereo or mono,
//!   pause/resume, SHA-256 metadata), and a reader that decodes Ogg/Opus back and the [`RecordingStore`](recorder::RecordingStore) trait with a local store
//!   per tenant;
//! - [`player`]: tones, prompts in several languages, numbers, dates and money spoken
//!   from prompt sets, music on hold, in 20 ms frames;
//! - [`engine`]: the media engine driver: worker threads over UDP sockets, sessions that
//!   play, relay, transcode, detect DTMF and record;
//! - [`wav`]: 8 kHz mono 16-bit WAV in and out;
//! - [`g711_cli`]: the logic of the `g711` command-line tool (`examples/g711.rs`).
//!
//! Nothing here panics on input: bad packets, files and arguments give an [`Error`].

pub mod codec;
pub mod dtmf;
pub mod engine;
mod error;
pub mod g711_cli;
pub mod jitter;
pub mod mixer;
pub mod player;
pub mod recorder;
pub mod rtcp;
pub mod rtp;
pub mod stats;
pub mod wav;

pub use codec::{Codec, G711, L16, Law, Opus, OpusConfig};
pub use engine::{MediaEngine, MediaSession};
pub use error::{Error, Result};
pub use mixer::{Mixer, NPartyMixer};
pub use rtp::{RtpError, RtpHeader, RtpPacket};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
