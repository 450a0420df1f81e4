//! Why an RTCP packet was refused or could not be built.

/// A malformed RTCP packet, or one that cannot be built as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// Fewer bytes than the 4-byte common header.
    #[error("RTCP packet is {len} bytes; the common header alone needs 4")]
    TooShort {
        /// Bytes left.
        len: usize,
    },
    /// The version field is not 2.
    #[error("RTCP version is {version}; only version 2 (RFC 3550) is accepted")]
    Version {
        /// The version found.
        version: u8,
    },
    /// The length field says more than the buffer holds.
    #[error("RTCP length field says {declared} bytes, but only {available} remain")]
    Length {
        /// Bytes the length field declares, header included.
        declared: usize,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// The padding count is zero or larger than the packet's body.
    #[error("RTCP padding count is {padding}, but the body is {len} bytes; expected 1 to {len}")]
    Padding {
        /// The padding count (the packet's last byte).
        padding: u8,
        /// The body's length, padding included.
        len: usize,
    },
    /// A packet other than the last of a compound packet has the P bit set (RFC 3550 §6.4.1
    /// allows padding only on the last).
    #[error("RTCP packet {index} of a compound packet is padded; only the last one may be")]
    PaddingNotLast {
        /// Index of the padded packet, from 0.
        index: usize,
    },
    /// The body is shorter than its packet type and count need.
    #[error("RTCP {packet} needs {needed} bytes of body, but has {len}")]
    Truncated {
        /// The packet type, e.g. `SR`.
        packet: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        len: usize,
    },
    /// More report blocks or sources than the 5-bit count holds.
    #[error("{count} {what} given; an RTCP packet holds at most 31")]
    TooMany {
        /// What there were too many of, e.g. `report blocks`.
        what: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A text (SDES item, BYE reason) longer than its 8-bit length field.
    #[error("RTCP text is {len} bytes; at most 255 fit")]
    TextTooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// The output buffer cannot hold the packet.
    #[error("RTCP packet needs {needed} bytes, but the buffer holds {got}")]
    BufferTooSmall {
        /// The packet's length.
        needed: usize,
        /// The buffer's length.
        got: usize,
    },
}
