//! The RTCP common header (RFC 3550 §6.4.1), shared by every packet type:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|   count |      PT       |             length            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! `length` is the packet's length in 32-bit words minus one, header included.

use super::error::RtcpError;

/// Length of the common header.
pub const HEADER_LEN: usize = 4;

/// Largest value of the 5-bit count field.
pub const MAX_COUNT: usize = 31;

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of source descriptions.
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const PT_APP: u8 = 204;

/// A parsed common header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpHeader {
    /// The P bit: the packet ends in padding whose count is its last byte.
    pub padding: bool,
    /// The 5-bit count (report blocks, sources or chunks, by packet type).
    pub count: u8,
    /// The packet type.
    pub packet_type: u8,
    /// The packet's length in bytes, header and padding included.
    pub len: usize,
}

impl RtcpHeader {
    /// Reads the header at the start of `buf` and checks that the packet it announces fits.
    pub fn parse(buf: &[u8]) -> Result<Self, RtcpError> {
        let &[b0, packet_type, l0, l1, ..] = buf else {
            return Err(RtcpError::TooShort { len: buf.len() });
        };
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtcpError::Version { version });
        }
        let len = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
        if len > buf.len() {
            return Err(RtcpError::Length {
                declared: len,
                available: buf.len(),
            });
        }
        Ok(Self {
            padding: b0 & 0x20 != 0,
            count: b0 & 0x1F,
            packet_type,
            len,
        })
    }

    /// Writes a header without padding for a packet of `len` bytes (a multiple of 4) into
    /// `out`, which must hold at least 4 bytes.
    pub(crate) fn write(count: u8, packet_type: u8, len: usize, out: &mut [u8]) {
        let words = (len / 4).saturating_sub(1) as u16;
        if let Some(h) = out.get_mut(..HEADER_LEN) {
            h[0] = 0x80 | (count & 0x1F);
            h[1] = packet_type;
            h[2..4].copy_from_slice(&words.to_be_bytes());
        }
    }
}

/// Checks that `out` holds `needed` bytes.
pub(crate) fn check_room(needed: usize, out: &[u8]) -> Result<(), RtcpError> {
    if out.len() < needed {
        return Err(RtcpError::BufferTooSmall {
            needed,
            got: out.len(),
        });
    }
    Ok(())
}

/// Reads a big-endian `u32` at `at`; `buf` has been checked to hold it.
pub(crate) fn be32(buf: &[u8], at: usize) -> u32 {
    buf.get(at..at + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
