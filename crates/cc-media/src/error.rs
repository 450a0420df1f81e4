//! The one error type of cc-media.
//!
//! Every message names the offending value and says what would have been accepted.

use std::path::PathBuf;

/// What went wrong in cc-media: bad input (a malformed packet, a WAV file in the wrong
/// format, a buffer too small for a frame) or a file that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A caller-supplied output buffer cannot hold the result.
    #[error("output buffer holds {got} {unit}, but {needed} are needed; pass a buffer of at least {needed}")]
    BufferTooSmall {
        /// How many elements the result needs.
        needed: usize,
        /// How many the buffer holds.
        got: usize,
        /// What the elements are (`bytes` or `samples`).
        unit: &'static str,
    },
    /// A telephone-event payload (RFC 4733 §2.3) has the wrong length.
    #[error("telephone-event payload is {len} bytes; RFC 4733 payloads are exactly 4 bytes")]
    EventPayloadLength {
        /// The length received.
        len: usize,
    },
    /// A telephone-event volume is outside the 6-bit field.
    #[error("telephone-event volume {volume} is out of range; expected 0 to 63 (-dBm0)")]
    EventVolume {
        /// The rejected volume.
        volume: u8,
    },
    /// A telephone-event duration does not fit the 16-bit field.
    #[error(
        "telephone-event duration {duration} timestamp units is too long; expected at most 65535 \
         (8.19 s at 8 kHz)"
    )]
    EventDuration {
        /// The rejected duration, in timestamp units.
        duration: u32,
    },
    /// A setting of a sender or detector is out of range.
    #[error("invalid {name} {value}: expected {expected}")]
    InvalidSetting {
        /// Which setting.
        name: &'static str,
        /// The rejected value, rendered.
        value: String,
        /// What would be accepted.
        expected: &'static str,
    },
    /// A G.711 law name is not known.
    #[error("unknown G.711 law {value:?}: expected \"mu\" (µ-law, PCMU) or \"a\" (A-law, PCMA)")]
    UnknownLaw {
        /// The rejected name.
        value: String,
    },
    /// libopus refused an operation: a malformed packet, or a setting it does not take.
    #[error("opus {operation} failed: {source}")]
    Opus {
        /// What was being done (`encode`, `decode`, `conceal`, `configure`).
        operation: &'static str,
        /// The error audiopus reported.
        source: audiopus::Error,
    },
    /// A WAV file is not in the format the operation needs.
    #[error("{path}: WAV is {found}; expected {expected}")]
    WavFormat {
        /// The file.
        path: PathBuf,
        /// What the file holds, e.g. `16000 Hz, 2 channels, 16-bit int`.
        found: String,
        /// What is needed, e.g. `8000 Hz, 1 channel, 16-bit int`.
        expected: String,
    },
    /// A WAV file could not be read or written.
    #[error("{path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// The underlying WAV error.
        source: hound::Error,
    },
    /// An Ogg/Opus file (a recording read back) is not one this crate can play.
    #[error(
        "{path}: not a playable Ogg/Opus file: {reason}; expected Ogg pages starting with OpusHead and OpusTags (RFC 7845)"
    )]
    OggOpus {
        /// The file.
        path: PathBuf,
        /// What was wrong, e.g. `the first packet is not OpusHead`.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A mixer was asked about a participant it does not hold (never joined, or left).
    #[error("mixer has no participant {id}; it left or never joined (join returns the ids in use)")]
    UnknownParticipant {
        /// The participant asked for, rendered.
        id: String,
    },
    /// A frame handed to the mixer or the recorder has the wrong number of samples.
    #[error("frame has {got} samples; this {what} works on frames of exactly {expected}")]
    FrameLength {
        /// The length received.
        got: usize,
        /// The length expected.
        expected: usize,
        /// Which component (`mixer`, `recorder`).
        what: &'static str,
    },
    /// A recording cannot take more audio: a WAV file holds at most 4 GiB of samples.
    #[error(
        "recording {recording} is full: {bytes} bytes of audio is the most a WAV file can hold; \
         stop it and start another"
    )]
    RecordingFull {
        /// The recording.
        recording: String,
        /// How many bytes of audio it holds.
        bytes: u64,
    },
    /// A prompt is missing from its prompt set, or its file cannot be read or used.
    #[error("prompt {key:?} in language {language:?} ({path}): {reason}")]
    Prompt {
        /// The language folder asked for, e.g. `zh-CN`.
        language: String,
        /// The prompt asked for, e.g. `welcome`.
        key: String,
        /// The file the prompt would be read from.
        path: PathBuf,
        /// Why it cannot be played.
        reason: String,
    },
    /// An RTP packet is malformed or cannot be built.
    #[error(transparent)]
    Rtp(#[from] crate::rtp::RtpError),
    /// An RTCP packet is malformed or cannot be built.
    #[error(transparent)]
    Rtcp(#[from] crate::rtcp::RtcpError),
    /// Every RTP port pair of the media engine's range is in use.
    #[error(
        "no free RTP port pair in {min}-{max}: every even port and its odd neighbour is in use; \
         close sessions or widen the range"
    )]
    PortsExhausted {
        /// Lowest port of the range.
        min: u16,
        /// Highest port of the range.
        max: u16,
    },
    /// A socket, poller or thread of the media engine could not be set up or used.
    #[error("{what}{}: {source}", addr.map(|a| format!(" ({a})")).unwrap_or_default())]
    Socket {
        /// What was being done.
        what: &'static str,
        /// The address concerned, if any.
        addr: Option<std::net::SocketAddr>,
        /// The system's error.
        source: std::io::Error,
    },
    /// The media engine was shut down (or its worker ended) before answering.
    #[error("the media engine has stopped; start a new one")]
    EngineStopped,
    /// The media session was already closed.
    #[error("media session s{session} is closed; open a new session")]
    SessionClosed {
        /// The session's number.
        session: u64,
    },
    /// A media session is not where the request needs it (not recording, not bridged).
    #[error("media session s{session}: {what}")]
    SessionState {
        /// The session's number.
        session: u64,
        /// What is wrong, e.g. `no recording is running`.
        what: &'static str,
    },
    /// Command-line arguments are malformed.
    #[error("{message}\n{usage}")]
    Usage {
        /// What was wrong with the arguments.
        message: String,
        /// The usage text.
        usage: &'static str,
    },
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
