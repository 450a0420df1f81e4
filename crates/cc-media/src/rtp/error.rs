//! Why an RTP packet was refused or could not be built.

/// A malformed RTP packet, or a packet that cannot be built as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    #[error("RTP packet is {len} bytes; the fixed header alone needs 12")]
    TooShort {
        /// The packet's length.
        len: usize,
    },
    /// The version field is not 2.
    #[error("RTP version is {version}; only version 2 (RFC 3550) is accepted")]
    Version {
        /// The version found.
        version: u8,
    },
    /// The CSRC count promises more identifiers than the packet holds.
    #[error("RTP CSRC count {count} needs a {needed}-byte header, but the packet is {len} bytes")]
    CsrcTruncated {
        /// The CSRC count of the header.
        count: u8,
        /// Bytes the fixed header and CSRC list need.
        needed: usize,
        /// The packet's length.
        len: usize,
    },
    /// The header extension runs past the end of the packet.
    #[error("RTP header extension needs {needed} bytes of header, but the packet is {len} bytes")]
    ExtensionTruncated {
        /// Bytes the header up to the end of the extension needs.
        needed: usize,
        /// The packet's length.
        len: usize,
    },
    /// The padding count is zero or larger than what follows the header.
    #[error(
        "RTP padding count is {padding}, but {available} bytes follow the header; expected 1 to \
         {available}"
    )]
    Padding {
        /// The padding count (the packet's last byte), 0 when no byte follows the header.
        padding: u8,
        /// Bytes after the header, padding included.
        available: usize,
    },
    /// A payload type to send is outside 0 to 127.
    #[error("RTP payload type {payload_type} is out of range; expected 0 to 127")]
    PayloadType {
        /// The rejected payload type.
        payload_type: u8,
    },
    /// More than 15 contributing sources were given.
    #[error("{count} CSRCs given; an RTP header holds at most 15")]
    TooManyCsrcs {
        /// The number given.
        count: usize,
    },
    /// A header extension to send is not a whole number of 32-bit words, or too long.
    #[error("RTP header extension is {len} bytes; expected a multiple of 4, at most 262140")]
    ExtensionLength {
        /// The extension's length in bytes.
        len: usize,
    },
    /// The output buffer cannot hold the packet.
    #[error("RTP packet needs {needed} bytes, but the buffer holds {got}")]
    BufferTooSmall {
        /// The packet's length.
        needed: usize,
        /// The buffer's length.
        got: usize,
    },
}

/// Counts of refused packets by reason, for a stream's or a socket's statistics: bad
/// packets are dropped and counted, never fatal.
///
/// ```
/// use cc_media::rtp::{RtpErrorCounts, RtpPacket};
///
/// let mut counts = RtpErrorCounts::default();
/// for datagram in [&[0x80_u8; 4][..], &[0x40; 12][..]] {
///     if let Err(e) = RtpPacket::parse(datagram) {
///         counts.record(&e);
///     }
/// }
/// assert_eq!((counts.too_short, counts.version, counts.total()), (1, 1, 2));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpErrorCounts {
    /// Shorter than the fixed header.
    pub too_short: u64,
    /// Not version 2.
    pub version: u64,
    /// A CSRC count beyond the packet.
    pub csrc: u64,
    /// A header extension beyond the packet.
    pub extension: u64,
    /// Bad padding.
    pub padding: u64,
    /// Anything else (errors of building, should they be recorded).
    pub other: u64,
}

impl RtpErrorCounts {
    /// Counts one refusal.
    pub fn record(&mut self, error: &RtpError) {
        let counter = match error {
            RtpError::TooShort { .. } => &mut self.too_short,
            RtpError::Version { .. } => &mut self.version,
            RtpError::CsrcTruncated { .. } => &mut self.csrc,
            RtpError::ExtensionTruncated { .. } => &mut self.extension,
            RtpError::Padding { .. } => &mut self.padding,
            _ => &mut self.other,
        };
        *counter += 1;
    }

    /// All refusals counted.
    pub fn total(&self) -> u64 {
        self.too_short + self.version + self.csrc + self.extension + self.padding + self.other
    }
}
