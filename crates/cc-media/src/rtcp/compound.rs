//! The compound-packet parser: one UDP datagram holds several RTCP packets back to back.

use super::bye::Bye;
use super::error::RtcpError;
use super::header::{HEADER_LEN, PT_BYE, PT_RR, PT_SDES, PT_SR, RtcpHeader};
use super::rr::ReceiverReport;
use super::sdes::Sdes;
use super::sr::SenderReport;

/// One RTCP packet of a compound packet, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// A sender report (PT 200).
    Sr(SenderReport<'a>),
    /// A receiver report (PT 201).
    Rr(ReceiverReport<'a>),
    /// Source descriptions (PT 202).
    Sdes(Sdes<'a>),
    /// A goodbye (PT 203).
    Bye(Bye<'a>),
    /// Any other packet type, unparsed.
    Other {
        /// The packet type.
        packet_type: u8,
        /// The 5-bit count or subtype field.
        count: u8,
        /// The body after the common header, padding removed.
        body: &'a [u8],
    },
}

/// The packets of a compound packet, parsed one by one as the iterator advances.
///
/// Yields `Err` for the first malformed packet and then stops: after a bad length nothing
/// further can be trusted.
///
/// ```
/// use cc_media::rtcp::{Bye, Compound, ReceiverReport, RtcpPacket};
///
/// let mut buf = [0_u8; 64];
/// let rr = ReceiverReport::write(1, &[], &mut buf)?;
/// let bye = Bye::write(&[1], None, &mut buf[rr..])?;
/// let packets: Vec<_> = Compound::new(&buf[..rr + bye]).collect::<Result<_, _>>()?;
/// assert!(matches!(packets[..], [RtcpPacket::Rr(_), RtcpPacket::Bye(_)]));
/// assert!(Compound::new(&buf[..rr + bye - 1]).any(|p| p.is_err()));
/// # Ok::<(), cc_media::rtcp::RtcpError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    rest: &'a [u8],
    index: usize,
    failed: bool,
}

impl<'a> Compound<'a> {
    /// The packets of the datagram `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            rest: buf,
            index: 0,
            failed: buf.is_empty(),
        }
    }

    /// Checks every packet of `buf`; returns how many there are.
    pub fn validate(buf: &'a [u8]) -> Result<usize, RtcpError> {
        if buf.is_empty() {
            return Err(RtcpError::TooShort { len: 0 });
        }
        Self::new(buf).try_fold(0, |n, p| p.map(|_| n + 1))
    }

    fn parse_next(&mut self) -> Result<RtcpPacket<'a>, RtcpError> {
        let header = RtcpHeader::parse(self.rest)?;
        let (packet, rest) = self.rest.split_at(header.len);
        let mut body = packet.get(HEADER_LEN..).unwrap_or(&[]);
        if header.padding {
            if !rest.is_empty() {
                return Err(RtcpError::PaddingNotLast { index: self.index });
            }
            let padding = body.last().copied().unwrap_or(0);
            if padding == 0 || usize::from(padding) > body.len() {
                return Err(RtcpError::Padding {
                    padding,
                    len: body.len(),
                });
            }
            body = body.get(..body.len() - usize::from(padding)).unwrap_or(&[]);
        }
        let parsed = match header.packet_type {
            PT_SR => RtcpPacket::Sr(SenderReport::parse(&header, body)?),
            PT_RR => RtcpPacket::Rr(ReceiverReport::parse(&header, body)?),
            PT_SDES => RtcpPacket::Sdes(Sdes::parse(&header, body)?),
            PT_BYE => RtcpPacket::Bye(Bye::parse(&header, body)?),
            packet_type => RtcpPacket::Other {
                packet_type,
                count: header.count,
                body,
            },
        };
        self.rest = rest;
        self.index += 1;
        Ok(parsed)
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let result = self.parse_next();
        self.failed = result.is_err();
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rtcp::{ReportBlock, SenderInfo};

    fn first(b: &[u8]) -> Option<Result<RtcpPacket<'_>, RtcpError>> {
        Compound::new(b).next()
    }

    fn block(ssrc: u32) -> ReportBlock {
        ReportBlock {
            ssrc,
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_highest_seq: 0x0001_0005,
            jitter: 123,
            last_sr: 0xAABB_CCDD,
            delay_since_last_sr: 65_536,
        }
    }

    #[test]
    fn sender_report_bytes_by_hand() {
        let info = SenderInfo {
            ssrc: 0x0102_0304,
            ntp_time: 0xE000_0001_8000_0000,
            rtp_time: 160,
            packet_count: 2,
            octet_count: 320,
        };
        let mut buf = [0_u8; 52];
        let len = SenderReport::write(&info, &[block(9)], &mut buf).unwrap();
        assert_eq!(len, 52);
        #[rustfmt::skip]
        let expected: [u8; 52] = [
            0x81, 200, 0, 12,
            1, 2, 3, 4,
            0xE0, 0, 0, 1, 0x80, 0, 0, 0,
            0, 0, 0, 160,
            0, 0, 0, 2,
            0, 0, 1, 64,
            0, 0, 0, 9,
            25, 0xFF, 0xFF, 0xFD,
            0, 1, 0, 5,
            0, 0, 0, 123,
            0xAA, 0xBB, 0xCC, 0xDD,
            0, 1, 0, 0,
        ];
        assert_eq!(buf, expected);
        let Some(Ok(RtcpPacket::Sr(sr))) = Compound::new(&buf).next() else {
            panic!("an SR")
        };
        assert_eq!(sr.info, info);
        assert_eq!(sr.info.compact_ntp(), 0x0001_8000);
        assert_eq!(sr.blocks.iter().collect::<Vec<_>>(), [block(9)]);
        assert!(sr.extension.is_empty());
    }

    #[test]
    fn compound_sr_sdes_bye_with_padding_on_last() {
        let mut buf = [0_u8; 256];
        let mut at = SenderReport::write(&SenderInfo::default(), &[block(1), block(2)], &mut buf).unwrap();
        at += Sdes::write_cname(5, "a@b", &mut buf[at..]).unwrap();
        let bye = Bye::write(&[5, 6], Some("bye"), &mut buf[at..]).unwrap();
        // Pad the BYE by 4 bytes.
        buf[at] |= 0x20;
        let words = u16::from_be_bytes([buf[at + 2], buf[at + 3]]) + 1;
        buf[at + 2..at + 4].copy_from_slice(&words.to_be_bytes());
        buf[at + bye + 3] = 4;
        let total = at + bye + 4;
        assert_eq!(Compound::validate(&buf[..total]), Ok(3));
        let packets: Vec<_> = Compound::new(&buf[..total]).collect::<Result<_, _>>().unwrap();
        let [RtcpPacket::Sr(sr), RtcpPacket::Sdes(sdes), RtcpPacket::Bye(bye)] = packets[..] else {
            panic!("SR, SDES, BYE: {packets:?}")
        };
        assert_eq!(sr.blocks.len(), 2);
        assert_eq!(
            sdes.chunks().map(|c| (c.ssrc, c.cname())).collect::<Vec<_>>(),
            [(5, Some("a@b"))]
        );
        assert_eq!(bye.sources().collect::<Vec<_>>(), [5, 6]);
        assert_eq!(bye.reason_str(), Some("bye"));
    }

    #[test]
    fn malformed_compounds_are_typed_errors() {
        let mut buf = [0_u8; 64];
        let rr = ReceiverReport::write(1, &[block(2)], &mut buf).unwrap();
        assert_eq!(rr, 32);

        assert_eq!(Compound::validate(&[]), Err(RtcpError::TooShort { len: 0 }));
        assert_eq!(first(&buf[..3]), Some(Err(RtcpError::TooShort { len: 3 })));
        assert_eq!(
            first(&buf[..31]),
            Some(Err(RtcpError::Length {
                declared: 32,
                available: 31
            }))
        );
        let mut v1 = buf;
        v1[0] = 0x41;
        assert_eq!(first(&v1), Some(Err(RtcpError::Version { version: 1 })));

        // The count promises two blocks, the length holds one.
        let mut count = buf;
        count[0] = 0x82;
        assert_eq!(
            first(&count[..rr]),
            Some(Err(RtcpError::Truncated {
                packet: "RR",
                needed: 52,
                len: 28
            }))
        );

        // Padding on a packet that is not the last.
        let mut two = buf;
        two.copy_within(..rr, rr);
        two[0] |= 0x20;
        two[rr - 1] = 4;
        assert_eq!(
            Compound::validate(&two[..2 * rr]),
            Err(RtcpError::PaddingNotLast { index: 0 })
        );
        // Padding count beyond the body, and zero.
        let mut pad = buf;
        pad[0] |= 0x20;
        pad[rr - 1] = 29;
        assert_eq!(
            first(&pad[..rr]),
            Some(Err(RtcpError::Padding { padding: 29, len: 28 }))
        );
        pad[rr - 1] = 0;
        assert_eq!(
            first(&pad[..rr]),
            Some(Err(RtcpError::Padding { padding: 0, len: 28 }))
        );

        // A SDES chunk without its null item.
        let mut sdes = [0_u8; 16];
        sdes[..4].copy_from_slice(&[0x81, 202, 0, 3]);
        sdes[8..12].copy_from_slice(&[1, 4, b'a', b'b']);
        sdes[12..16].copy_from_slice(b"cd12");
        assert!(matches!(
            first(&sdes),
            Some(Err(RtcpError::Truncated { packet: "SDES", .. }))
        ));
        // A BYE reason longer than the packet.
        let bye = [0x81, 203, 0, 2, 0, 0, 0, 1, 9, b'x', b'y', b'z'];
        assert!(matches!(
            first(&bye),
            Some(Err(RtcpError::Truncated { packet: "BYE", .. }))
        ));

        // After an error the iterator stops.
        let mut it = Compound::new(&buf[..31]);
        assert!(matches!(it.next(), Some(Err(_))));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn unknown_types_pass_through_and_limits_hold() {
        let app = [0x80 | 3, 204, 0, 2, 0, 0, 0, 1, b'n', b'a', b'm', b'e'];
        assert_eq!(
            Compound::new(&app).next(),
            Some(Ok(RtcpPacket::Other {
                packet_type: 204,
                count: 3,
                body: &app[4..]
            }))
        );
        let mut buf = [0_u8; 1024];
        assert_eq!(
            ReceiverReport::write(1, &[block(0); 32], &mut buf),
            Err(RtcpError::TooMany {
                what: "report blocks",
                count: 32
            })
        );
        assert_eq!(
            Bye::write(&[0; 32], None, &mut buf),
            Err(RtcpError::TooMany {
                what: "sources",
                count: 32
            })
        );
        assert_eq!(
            Sdes::write_cname(1, &"x".repeat(256), &mut buf),
            Err(RtcpError::TextTooLong { len: 256 })
        );
        assert_eq!(
            ReceiverReport::write(1, &[block(0)], &mut buf[..31]),
            Err(RtcpError::BufferTooSmall { needed: 32, got: 31 })
        );
        // Cumulative loss beyond 24 bits is clamped, not wrapped.
        let big = ReportBlock {
            cumulative_lost: 1 << 30,
            ..block(3)
        };
        let len = ReceiverReport::write(1, &[big], &mut buf).unwrap();
        let Some(Ok(RtcpPacket::Rr(rr))) = Compound::new(&buf[..len]).next() else {
            panic!("an RR")
        };
        assert_eq!(
            rr.blocks.iter().map(|b| b.cumulative_lost).collect::<Vec<_>>(),
            [ReportBlock::MAX_CUMULATIVE_LOST]
        );
    }

    fn arb_block() -> impl Strategy<Value = ReportBlock> {
        (
            any::<u32>(),
            any::<u8>(),
            -0x80_0000_i32..=0x7F_FFFF,
            any::<[u32; 4]>(),
        )
            .prop_map(
                |(ssrc, fraction_lost, cumulative_lost, [e, j, l, d])| ReportBlock {
                    ssrc,
                    fraction_lost,
                    cumulative_lost,
                    extended_highest_seq: e,
                    jitter: j,
                    last_sr: l,
                    delay_since_last_sr: d,
                },
            )
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            for packet in Compound::new(&bytes) {
                match packet {
                    Ok(RtcpPacket::Sr(sr)) => { let _ = sr.blocks.iter().count(); }
                    Ok(RtcpPacket::Rr(rr)) => { let _ = rr.blocks.iter().count(); }
                    Ok(RtcpPacket::Sdes(s)) => { for c in s.chunks() { let _ = (c.cname(), c.items.iter().count()); } }
                    Ok(RtcpPacket::Bye(b)) => { let _ = (b.sources().count(), b.reason_str()); }
                    Ok(RtcpPacket::Other { .. }) | Err(_) => {}
                }
            }
        }

        #[test]
        fn reports_round_trip(info in any::<(u32, u64, u32, u32, u32)>(), blocks in proptest::collection::vec(arb_block(), 0..=31), cname in "[a-z0-9@.]{0,40}") {
            let info = SenderInfo { ssrc: info.0, ntp_time: info.1, rtp_time: info.2, packet_count: info.3, octet_count: info.4 };
            let mut buf = vec![0_u8; 2048];
            let mut at = SenderReport::write(&info, &blocks, &mut buf).unwrap();
            at += ReceiverReport::write(info.ssrc, &blocks, &mut buf[at..]).unwrap();
            at += Sdes::write_cname(info.ssrc, &cname, &mut buf[at..]).unwrap();
            let packets: Vec<_> = Compound::new(&buf[..at]).collect::<Result<_, _>>().unwrap();
            let [RtcpPacket::Sr(sr), RtcpPacket::Rr(rr), RtcpPacket::Sdes(sdes)] = packets[..] else {
                return Err(TestCaseError::fail("SR, RR, SDES"));
            };
            prop_assert_eq!(sr.info, info);
            prop_assert_eq!(sr.blocks.iter().collect::<Vec<_>>(), blocks.clone());
            prop_assert_eq!(rr.blocks.iter().collect::<Vec<_>>(), blocks);
            prop_assert_eq!(sdes.chunks().next().and_then(|c| c.cname()), Some(cname.as_str()));
        }
    }
}
