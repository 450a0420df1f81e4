//! Receiver reports (RFC 3550 §6.4.2) and the report blocks they share with sender reports:
//!
//! ```text
//! header |V=2|P|    RC   |   PT=RR=201   |             length            |
//!        |                     SSRC of packet sender                     |
//! report |                 SSRC_1 (SSRC of first source)                 |
//! block  | fraction lost |       cumulative number of packets lost       |
//!   1    |           extended highest sequence number received           |
//!        |                      interarrival jitter                      |
//!        |                         last SR (LSR)                         |
//!        |                   delay since last SR (DLSR)                  |
//! ```

use super::error::RtcpError;
use super::header::{HEADER_LEN, MAX_COUNT, PT_RR, RtcpHeader, be32, check_room};

/// One report block: what a receiver saw of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fraction of those expected, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since reception began (24-bit signed on the wire; duplicates can make
    /// it negative in other implementations' reports).
    pub cumulative_lost: i32,
    /// Highest sequence number received, with the count of wraps in the upper 16 bits.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units (RFC 3550 A.8).
    pub jitter: u32,
    /// The middle 32 bits of the NTP time of the last sender report received, 0 if none.
    pub last_sr: u32,
    /// Delay since that sender report was received, in 1/65536 seconds.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Length of a report block on the wire.
    pub const LEN: usize = 24;

    /// Largest cumulative loss the 24-bit field holds.
    pub const MAX_CUMULATIVE_LOST: i32 = 0x7F_FFFF;

    /// Reads a block from the first 24 bytes of `b` (which holds them).
    fn read(b: &[u8]) -> Self {
        let lost_word = be32(b, 4);
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((lost_word << 8) as i32) >> 8;
        Self {
            ssrc: be32(b, 0),
            fraction_lost: (lost_word >> 24) as u8,
            cumulative_lost,
            extended_highest_seq: be32(b, 8),
            jitter: be32(b, 12),
            last_sr: be32(b, 16),
            delay_since_last_sr: be32(b, 20),
        }
    }

    /// Writes the block into the first 24 bytes of `out` (which holds them); the cumulative
    /// loss is clamped to the 24-bit field.
    fn write(&self, out: &mut [u8]) {
        let lost = self
            .cumulative_lost
            .clamp(-Self::MAX_CUMULATIVE_LOST - 1, Self::MAX_CUMULATIVE_LOST);
        let lost_word = (u32::from(self.fraction_lost) << 24) | (lost as u32 & 0x00FF_FFFF);
        for (i, word) in [
            self.ssrc,
            lost_word,
            self.extended_highest_seq,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(slot) = out.get_mut(i * 4..i * 4 + 4) {
                slot.copy_from_slice(&word.to_be_bytes());
            }
        }
    }
}

/// The report blocks of a sender or receiver report, read in place; [`iter`](Self::iter)
/// walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    raw: &'a [u8],
}

impl<'a> ReportBlocks<'a> {
    /// Blocks over `raw`, a whole number of 24-byte blocks.
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        Self { raw }
    }

    /// How many blocks there are.
    pub const fn len(&self) -> usize {
        self.raw.len() / ReportBlock::LEN
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The blocks, in packet order.
    pub fn iter(&self) -> ReportBlockIter<'a> {
        ReportBlockIter { raw: self.raw }
    }
}

impl<'a> IntoIterator for ReportBlocks<'a> {
    type Item = ReportBlock;
    type IntoIter = ReportBlockIter<'a>;

    fn into_iter(self) -> ReportBlockIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &ReportBlocks<'a> {
    type Item = ReportBlock;
    type IntoIter = ReportBlockIter<'a>;

    fn into_iter(self) -> ReportBlockIter<'a> {
        self.iter()
    }
}

/// Walks [`ReportBlocks`].
#[derive(Debug, Clone)]
pub struct ReportBlockIter<'a> {
    raw: &'a [u8],
}

impl Iterator for ReportBlockIter<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let (block, rest) = self.raw.split_at_checked(ReportBlock::LEN)?;
        self.raw = rest;
        Some(ReportBlock::read(block))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.raw.len() / ReportBlock::LEN;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ReportBlockIter<'_> {}

/// Splits a report body after `fixed` bytes into `count` report blocks and the
/// profile-specific extension that follows them.
pub(crate) fn split_blocks<'a>(
    packet: &'static str,
    body: &'a [u8],
    fixed: usize,
    count: u8,
) -> Result<(ReportBlocks<'a>, &'a [u8]), RtcpError> {
    let needed = fixed + usize::from(count) * ReportBlock::LEN;
    let blocks = body.get(fixed..needed).ok_or(RtcpError::Truncated {
        packet,
        needed,
        len: body.len(),
    })?;
    Ok((ReportBlocks::new(blocks), body.get(needed..).unwrap_or(&[])))
}

/// Writes `blocks` after the header and `fixed` bytes; checks the count and room first.
pub(crate) fn write_blocks(blocks: &[ReportBlock], fixed: usize, out: &mut [u8]) -> Result<usize, RtcpError> {
    if blocks.len() > MAX_COUNT {
        return Err(RtcpError::TooMany {
            what: "report blocks",
            count: blocks.len(),
        });
    }
    let len = HEADER_LEN + fixed + blocks.len() * ReportBlock::LEN;
    check_room(len, out)?;
    for (i, block) in blocks.iter().enumerate() {
        let at = HEADER_LEN + fixed + i * ReportBlock::LEN;
        if let Some(slot) = out.get_mut(at..at + ReportBlock::LEN) {
            block.write(slot);
        }
    }
    Ok(len)
}

/// A receiver report: the sender's SSRC and its report blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// The SSRC of the packet's sender.
    pub ssrc: u32,
    /// What it received from each source it reports on.
    pub blocks: ReportBlocks<'a>,
    /// Profile-specific extension after the blocks (usually empty).
    pub extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// Reads a receiver report's body (after the common header, padding removed).
    pub fn parse(header: &RtcpHeader, body: &'a [u8]) -> Result<Self, RtcpError> {
        let (blocks, extension) = split_blocks("RR", body, 4, header.count)?;
        Ok(Self {
            ssrc: be32(body, 0),
            blocks,
            extension,
        })
    }

    /// Writes a receiver report from `ssrc` with `blocks` (at most 31) into `out`; returns
    /// its length.
    ///
    /// ```
    /// use cc_media::rtcp::{Compound, ReceiverReport, ReportBlock, RtcpPacket};
    ///
    /// let block = ReportBlock { ssrc: 7, fraction_lost: 64, cumulative_lost: 3, ..Default::default() };
    /// let mut buf = [0_u8; 64];
    /// let len = ReceiverReport::write(1, &[block], &mut buf)?;
    /// assert_eq!(len, 32);
    /// let Some(Ok(RtcpPacket::Rr(rr))) = Compound::new(&buf[..len]).next() else { panic!() };
    /// assert_eq!((rr.ssrc, rr.blocks.iter().collect::<Vec<_>>()), (1, vec![block]));
    /// # Ok::<(), cc_media::rtcp::RtcpError>(())
    /// ```
    pub fn write(ssrc: u32, blocks: &[ReportBlock], out: &mut [u8]) -> Result<usize, RtcpError> {
        let len = write_blocks(blocks, 4, out)?;
        RtcpHeader::write(blocks.len() as u8, PT_RR, len, out);
        if let Some(slot) = out.get_mut(HEADER_LEN..HEADER_LEN + 4) {
            slot.copy_from_slice(&ssrc.to_be_bytes());
        }
        Ok(len)
    }
}
