//! The RTP fixed header (RFC 3550 §5.1), read and written:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           timestamp                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           synchronization source (SSRC) identifier            |
//! +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! |            contributing source (CSRC) identifiers             |
//! |                             ....                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use rtp_rs::{RtpPacketBuilder, RtpReader, RtpReaderError, Seq};

use super::error::RtpError;

/// Length of the fixed header.
pub const FIXED_HEADER_LEN: usize = 12;

/// A received RTP packet, checked once on [`parse`](Self::parse) and then read without
/// copying: the header fields come from the bytes, the payload is a slice of them.
#[derive(Clone, Copy)]
pub struct RtpPacket<'a> {
    reader: RtpReaderView<'a>,
}

/// `rtp_rs::RtpReader` is neither `Clone` nor `Debug`; this keeps the checked bytes and
/// rebuilds the reader on demand (which re-checks nothing it can fail on, see `reader`).
#[derive(Clone, Copy)]
struct RtpReaderView<'a> {
    buf: &'a [u8],
    payload_start: usize,
    payload_end: usize,
}

impl<'a> RtpPacket<'a> {
    /// Checks `buf` as an RTP packet: version 2, a CSRC list and header extension that fit,
    /// and padding between 1 and the bytes after the header.
    ///
    /// ```
    /// use cc_media::rtp::{RtpError, RtpPacket};
    ///
    /// let bytes = [0x80, 0x80 | 8, 0xFF, 0xFF, 0, 0, 0x03, 0x20, 0xDE, 0xAD, 0xBE, 0xEF, 0xD5];
    /// let packet = RtpPacket::parse(&bytes)?;
    /// assert_eq!((packet.payload_type(), packet.marker(), packet.sequence()), (8, true, 65535));
    /// assert_eq!((packet.timestamp(), packet.ssrc(), packet.payload()), (800, 0xDEAD_BEEF, &[0xD5][..]));
    /// assert_eq!(RtpPacket::parse(&bytes[..11]).err(), Some(RtpError::TooShort { len: 11 }));
    /// # Ok::<(), RtpError>(())
    /// ```
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let reader = RtpReader::new(buf).map_err(|e| map_reader_error(buf, &e))?;
        let payload_start = reader.payload_offset();
        let payload_end = payload_start + reader.payload().len();
        Ok(Self {
            reader: RtpReaderView {
                buf,
                payload_start,
                payload_end,
            },
        })
    }

    fn byte(&self, i: usize) -> u8 {
        // `parse` checked at least FIXED_HEADER_LEN bytes, and callers pass i < 12.
        self.reader.buf.get(i).copied().unwrap_or(0)
    }

    fn word(&self, i: usize) -> u32 {
        u32::from_be_bytes([self.byte(i), self.byte(i + 1), self.byte(i + 2), self.byte(i + 3)])
    }

    /// The payload type (7 bits).
    pub fn payload_type(&self) -> u8 {
        self.byte(1) & 0x7F
    }

    /// The marker bit: for audio, the first packet of a talk spurt.
    pub fn marker(&self) -> bool {
        self.byte(1) & 0x80 != 0
    }

    /// The 16-bit sequence number; see [`SeqExtender`](super::SeqExtender) to extend it.
    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.byte(2), self.byte(3)])
    }

    /// The media timestamp, in the payload format's clock (8000 Hz for G.711).
    pub fn timestamp(&self) -> u32 {
        self.word(4)
    }

    /// The synchronization source.
    pub fn ssrc(&self) -> u32 {
        self.word(8)
    }

    /// The contributing sources (0 to 15 of them).
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let count = usize::from(self.byte(0) & 0x0F);
        let list = self
            .reader
            .buf
            .get(FIXED_HEADER_LEN..FIXED_HEADER_LEN + 4 * count)
            .unwrap_or(&[]);
        list.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The header extension, as (profile-defined id, data), when the X bit is set.
    pub fn extension(&self) -> Option<(u16, &'a [u8])> {
        self.reader().and_then(|r| r.extension())
    }

    /// The payload, without header and padding.
    pub fn payload(&self) -> &'a [u8] {
        self.reader
            .buf
            .get(self.reader.payload_start..self.reader.payload_end)
            .unwrap_or(&[])
    }

    /// Bytes of padding at the end (the count byte included), 0 when the P bit is clear.
    pub fn padding(&self) -> usize {
        self.reader.buf.len() - self.reader.payload_end
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.reader.buf
    }

    /// The header fields needed to send a packet like this one.
    pub fn header(&self) -> RtpHeader {
        RtpHeader {
            payload_type: self.payload_type(),
            marker: self.marker(),
            sequence: self.sequence(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
        }
    }

    fn reader(&self) -> Option<RtpReader<'a>> {
        // Checked in `parse`, so this is `Some`.
        RtpReader::new(self.reader.buf).ok()
    }
}

impl std::fmt::Debug for RtpPacket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpPacket")
            .field("payload_type", &self.payload_type())
            .field("marker", &self.marker())
            .field("sequence", &self.sequence())
            .field("timestamp", &self.timestamp())
            .field("ssrc", &format_args!("{:#010x}", self.ssrc()))
            .field("csrcs", &self.csrcs().len())
            .field("payload_len", &self.payload().len())
            .finish_non_exhaustive()
    }
}

/// Turns `rtp-rs`'s refusal into ours, telling a CSRC list that does not fit from a header
/// extension that does not.
fn map_reader_error(buf: &[u8], error: &RtpReaderError) -> RtpError {
    let len = buf.len();
    match *error {
        RtpReaderError::BufferTooShort(len) => RtpError::TooShort { len },
        RtpReaderError::UnsupportedVersion(version) => RtpError::Version { version },
        RtpReaderError::HeadersTruncated { header_len, .. } => {
            let first = buf.first().copied().unwrap_or(0);
            let count = first & 0x0F;
            let csrc_end = FIXED_HEADER_LEN + 4 * usize::from(count);
            if csrc_end > len {
                RtpError::CsrcTruncated {
                    count,
                    needed: csrc_end,
                    len,
                }
            } else if first & 0x10 != 0 && header_len > len {
                RtpError::ExtensionTruncated {
                    needed: header_len,
                    len,
                }
            } else {
                // The P bit is set and no byte follows the header to hold the count.
                RtpError::Padding {
                    padding: 0,
                    available: 0,
                }
            }
        }
        RtpReaderError::PaddingLengthInvalid(padding) => RtpError::Padding {
            padding,
            available: len.saturating_sub(header_len_of(buf)),
        },
    }
}

/// The header length (fixed, CSRCs, extension) of a packet whose header fits.
fn header_len_of(buf: &[u8]) -> usize {
    let first = buf.first().copied().unwrap_or(0);
    let mut end = FIXED_HEADER_LEN + 4 * usize::from(first & 0x0F);
    if first & 0x10 != 0 {
        let words = buf
            .get(end + 2..end + 4)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        end += 4 + 4 * words;
    }
    end
}

/// The fixed-header fields of a packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpHeader {
    /// The payload type, 0 to 127.
    pub payload_type: u8,
    /// The marker bit.
    pub marker: bool,
    /// The sequence number.
    pub sequence: u16,
    /// The media timestamp.
    pub timestamp: u32,
    /// The synchronization source.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Bytes a packet with this header, `csrcs`, no extension and `payload_len` bytes of
    /// payload takes.
    pub const fn packet_len(csrcs: usize, payload_len: usize) -> usize {
        FIXED_HEADER_LEN + 4 * csrcs + payload_len
    }

    /// Writes a packet (no extension, no padding) into `out` and returns its length.
    ///
    /// ```
    /// use cc_media::rtp::{RtpHeader, RtpPacket};
    ///
    /// let header = RtpHeader { payload_type: 0, marker: true, sequence: 7, timestamp: 160, ssrc: 42 };
    /// let mut buf = [0_u8; 64];
    /// let len = header.write(&[], &[0xFF; 4], &mut buf)?;
    /// let packet = RtpPacket::parse(&buf[..len])?;
    /// assert_eq!(packet.header(), header);
    /// assert_eq!(packet.payload(), &[0xFF; 4]);
    /// # Ok::<(), cc_media::rtp::RtpError>(())
    /// ```
    pub fn write(&self, csrcs: &[u32], payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
        self.write_with_extension(csrcs, None, payload, out)
    }

    /// Writes a packet with an optional header extension (id, data; data a multiple of 4
    /// bytes) into `out` and returns its length.
    pub fn write_with_extension(
        &self,
        csrcs: &[u32],
        extension: Option<(u16, &[u8])>,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        if self.payload_type > 0x7F {
            return Err(RtpError::PayloadType {
                payload_type: self.payload_type,
            });
        }
        if csrcs.len() > 15 {
            // `RtpPacketBuilder::set_csrc` would panic here.
            return Err(RtpError::TooManyCsrcs { count: csrcs.len() });
        }
        let mut builder = RtpPacketBuilder::new()
            .payload_type(self.payload_type)
            .marked(self.marker)
            .sequence(Seq::from(self.sequence))
            .timestamp(self.timestamp)
            .ssrc(self.ssrc)
            .set_csrc(csrcs)
            .payload(payload);
        if let Some((id, data)) = extension {
            if data.len() % 4 != 0 || data.len() / 4 > usize::from(u16::MAX) {
                return Err(RtpError::ExtensionLength { len: data.len() });
            }
            builder = builder.extension(id, data);
        }
        let needed = builder.target_length();
        if out.len() < needed {
            return Err(RtpError::BufferTooSmall {
                needed,
                got: out.len(),
            });
        }
        builder.build_into(out).map_err(|_| RtpError::ExtensionLength {
            len: extension.map_or(0, |(_, d)| d.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(seq: u16) -> RtpHeader {
        RtpHeader {
            payload_type: 8,
            marker: false,
            sequence: seq,
            timestamp: 0x1234_5678,
            ssrc: 0xCAFE_F00D,
        }
    }

    #[test]
    fn round_trip_with_csrcs_and_extension() {
        let mut buf = [0_u8; 128];
        let h = RtpHeader {
            marker: true,
            ..header(65535)
        };
        let len = h
            .write_with_extension(&[1, 2, 3], Some((0xBEDE, &[9; 8])), &[7; 20], &mut buf)
            .unwrap();
        assert_eq!(len, 12 + 12 + 4 + 8 + 20);
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        assert_eq!(p.header(), h);
        assert_eq!(p.csrcs().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(p.extension(), Some((0xBEDE, &[9_u8; 8][..])));
        assert_eq!(p.payload(), &[7; 20]);
        assert_eq!(p.padding(), 0);
    }

    #[test]
    fn padding_is_stripped() {
        let mut buf = [0_u8; 64];
        let len = header(1).write(&[], &[1, 2, 3], &mut buf).unwrap();
        // Append 4 bytes of padding by hand, count in the last byte.
        buf[0] |= 0x20;
        buf[len..len + 4].copy_from_slice(&[0, 0, 0, 4]);
        let p = RtpPacket::parse(&buf[..len + 4]).unwrap();
        assert_eq!(p.payload(), &[1, 2, 3]);
        assert_eq!(p.padding(), 4);
    }

    #[test]
    fn malformed_packets_are_typed_errors() {
        let mut good = [0_u8; 16];
        let len = header(1).write(&[], &[1, 2, 3, 4], &mut good).unwrap();
        assert_eq!(len, 16);

        assert_eq!(RtpPacket::parse(&[]).err(), Some(RtpError::TooShort { len: 0 }));
        assert_eq!(
            RtpPacket::parse(&good[..11]).err(),
            Some(RtpError::TooShort { len: 11 })
        );

        let mut v1 = good;
        v1[0] = (v1[0] & 0x3F) | 0x40;
        assert_eq!(
            RtpPacket::parse(&v1).err(),
            Some(RtpError::Version { version: 1 })
        );

        let mut huge_cc = good;
        huge_cc[0] |= 0x0F;
        assert_eq!(
            RtpPacket::parse(&huge_cc).err(),
            Some(RtpError::CsrcTruncated {
                count: 15,
                needed: 72,
                len: 16
            })
        );

        let mut ext = good;
        ext[0] |= 0x10;
        ext[14] = 0;
        ext[15] = 5; // 5 words of extension that are not there
        assert_eq!(
            RtpPacket::parse(&ext).err(),
            Some(RtpError::ExtensionTruncated { needed: 36, len: 16 })
        );
        let mut ext_header_cut = [0_u8; 14];
        ext_header_cut.copy_from_slice(&good[..14]);
        ext_header_cut[0] |= 0x10;
        assert_eq!(
            RtpPacket::parse(&ext_header_cut).err(),
            Some(RtpError::ExtensionTruncated { needed: 16, len: 14 })
        );

        let mut pad = good;
        pad[0] |= 0x20;
        pad[15] = 5; // 5 bytes of padding, only 4 after the header
        assert_eq!(
            RtpPacket::parse(&pad).err(),
            Some(RtpError::Padding {
                padding: 5,
                available: 4
            })
        );
        pad[15] = 0;
        assert_eq!(
            RtpPacket::parse(&pad).err(),
            Some(RtpError::Padding {
                padding: 0,
                available: 4
            })
        );
        let mut pad_no_room = [0_u8; 12];
        pad_no_room.copy_from_slice(&good[..12]);
        pad_no_room[0] |= 0x20;
        assert_eq!(
            RtpPacket::parse(&pad_no_room).err(),
            Some(RtpError::Padding {
                padding: 0,
                available: 0
            })
        );
    }

    #[test]
    fn write_refuses_what_it_cannot_build() {
        let mut buf = [0_u8; 256];
        let bad_pt = RtpHeader {
            payload_type: 128,
            ..header(0)
        };
        assert_eq!(
            bad_pt.write(&[], &[], &mut buf).err(),
            Some(RtpError::PayloadType { payload_type: 128 })
        );
        assert_eq!(
            header(0).write(&[0; 16], &[], &mut buf).err(),
            Some(RtpError::TooManyCsrcs { count: 16 })
        );
        assert_eq!(
            header(0)
                .write_with_extension(&[], Some((1, &[0; 3])), &[], &mut buf)
                .err(),
            Some(RtpError::ExtensionLength { len: 3 })
        );
        assert_eq!(
            header(0).write(&[], &[0; 10], &mut buf[..21]).err(),
            Some(RtpError::BufferTooSmall { needed: 22, got: 21 })
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            if let Ok(p) = RtpPacket::parse(&bytes) {
                let _ = (p.csrcs().count(), p.extension(), p.payload(), p.padding(), format!("{p:?}"));
                proptest::prop_assert!(p.payload().len() + p.padding() <= bytes.len());
            }
        }
    }
}
