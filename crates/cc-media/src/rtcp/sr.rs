//! Sender reports (RFC 3550 §6.4.1):
//!
//! ```text
//! header |V=2|P|    RC   |   PT=SR=200   |             length            |
//!        |                         SSRC of sender                        |
//! sender |              NTP timestamp, most significant word             |
//! info   |             NTP timestamp, least significant word             |
//!        |                         RTP timestamp                         |
//!        |                     sender's packet count                     |
//!        |                      sender's octet count                     |
//! report blocks, as in a receiver report
//! ```

use super::error::RtcpError;
use super::header::{HEADER_LEN, PT_SR, RtcpHeader, be32};
use super::rr::{ReportBlock, ReportBlocks, split_blocks, write_blocks};

/// Bytes of sender information after the header (SSRC included).
const SENDER_INFO_LEN: usize = 24;

/// What a sender says of its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// Wall-clock time of the report as a 64-bit NTP timestamp (seconds since 1900 in the
    /// upper 32 bits, fraction in the lower).
    pub ntp_time: u64,
    /// The same instant in the stream's RTP timestamp clock.
    pub rtp_time: u32,
    /// RTP packets sent since the stream began.
    pub packet_count: u32,
    /// Payload octets sent since the stream began.
    pub octet_count: u32,
}

impl SenderInfo {
    /// The middle 32 bits of the NTP time: what a receiver echoes as LSR.
    pub const fn compact_ntp(&self) -> u32 {
        (self.ntp_time >> 16) as u32
    }
}

/// A sender report: sender information, then report blocks on the streams it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// What the sender says of its own stream.
    pub info: SenderInfo,
    /// What it received from each source it reports on.
    pub blocks: ReportBlocks<'a>,
    /// Profile-specific extension after the blocks (usually empty).
    pub extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// Reads a sender report's body (after the common header, padding removed).
    pub fn parse(header: &RtcpHeader, body: &'a [u8]) -> Result<Self, RtcpError> {
        let (blocks, extension) = split_blocks("SR", body, SENDER_INFO_LEN, header.count)?;
        Ok(Self {
            info: SenderInfo {
                ssrc: be32(body, 0),
                ntp_time: (u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8)),
                rtp_time: be32(body, 12),
                packet_count: be32(body, 16),
                octet_count: be32(body, 20),
            },
            blocks,
            extension,
        })
    }

    /// Writes a sender report with `blocks` (at most 31) into `out`; returns its length.
    pub fn write(info: &SenderInfo, blocks: &[ReportBlock], out: &mut [u8]) -> Result<usize, RtcpError> {
        let len = write_blocks(blocks, SENDER_INFO_LEN, out)?;
        RtcpHeader::write(blocks.len() as u8, PT_SR, len, out);
        let words = [
            info.ssrc,
            (info.ntp_time >> 32) as u32,
            info.ntp_time as u32,
            info.rtp_time,
            info.packet_count,
            info.octet_count,
        ];
        for (i, word) in words.into_iter().enumerate() {
            let at = HEADER_LEN + i * 4;
            if let Some(slot) = out.get_mut(at..at + 4) {
                slot.copy_from_slice(&word.to_be_bytes());
            }
        }
        Ok(len)
    }
}
