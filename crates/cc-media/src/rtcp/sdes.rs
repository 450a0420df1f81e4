//! Source descriptions (RFC 3550 §6.5): chunks of an SSRC and typed text items, each list
//! ended by a null octet and padded to a 32-bit boundary.
//!
//! ```text
//! header |V=2|P|    SC   |  PT=SDES=202  |             length            |
//! chunk  |                          SSRC/CSRC_1                          |
//!   1    |    CNAME=1    |     length    | user and domain name        ...
//!        |     END=0     |  padding to a 32-bit boundary ...             |
//! ```

use super::error::RtcpError;
use super::header::{HEADER_LEN, PT_SDES, RtcpHeader, be32, check_room};

/// Item type of the canonical name (RFC 3550 §6.5.1).
pub const CNAME: u8 = 1;

/// Source descriptions, checked on parse and read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    count: u8,
    raw: &'a [u8],
}

/// One chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    /// Its items, as (type, text).
    pub items: SdesItems<'a>,
}

impl<'a> SdesChunk<'a> {
    /// The first CNAME item's text, when it is UTF-8.
    pub fn cname(&self) -> Option<&'a str> {
        self.items
            .iter()
            .find(|&(kind, _)| kind == CNAME)
            .and_then(|(_, text)| std::str::from_utf8(text).ok())
    }
}

/// The items of a chunk, read in place; [`iter`](Self::iter) walks them as (item type,
/// text bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItems<'a> {
    raw: &'a [u8],
}

impl<'a> SdesItems<'a> {
    /// The items, in packet order.
    pub fn iter(&self) -> SdesItemIter<'a> {
        SdesItemIter { raw: self.raw }
    }
}

impl<'a> IntoIterator for SdesItems<'a> {
    type Item = (u8, &'a [u8]);
    type IntoIter = SdesItemIter<'a>;

    fn into_iter(self) -> SdesItemIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &SdesItems<'a> {
    type Item = (u8, &'a [u8]);
    type IntoIter = SdesItemIter<'a>;

    fn into_iter(self) -> SdesItemIter<'a> {
        self.iter()
    }
}

/// Walks [`SdesItems`].
#[derive(Debug, Clone)]
pub struct SdesItemIter<'a> {
    raw: &'a [u8],
}

impl<'a> Iterator for SdesItemIter<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, rest) = self.raw.split_first()?;
        if kind == 0 {
            return None;
        }
        let (&len, rest) = rest.split_first()?;
        let (text, rest) = rest.split_at_checked(usize::from(len))?;
        self.raw = rest;
        Some((kind, text))
    }
}

/// Walks one chunk at the start of `raw`; returns its items and the bytes after it.
fn split_chunk(raw: &[u8]) -> Result<(u32, SdesItems<'_>, &[u8]), RtcpError> {
    let truncated = |needed: usize| RtcpError::Truncated {
        packet: "SDES",
        needed,
        len: raw.len(),
    };
    if raw.len() < 4 {
        return Err(truncated(4));
    }
    let mut at = 4;
    loop {
        match raw.get(at) {
            None => return Err(truncated(at + 1)),
            Some(0) => break,
            Some(_) => {
                let len = raw.get(at + 1).ok_or(truncated(at + 2))?;
                at += 2 + usize::from(*len);
                if at > raw.len() {
                    return Err(truncated(at));
                }
            }
        }
    }
    // The null octet, then padding to the next 32-bit boundary.
    let end = (at + 1).next_multiple_of(4);
    let rest = raw.get(end..).ok_or(truncated(end))?;
    let items = SdesItems {
        raw: raw.get(4..at + 1).unwrap_or(&[]),
    };
    Ok((be32(raw, 0), items, rest))
}

impl<'a> Sdes<'a> {
    /// Reads and checks a SDES body (after the common header, padding removed): every chunk
    /// must end in a null item within the body.
    pub fn parse(header: &RtcpHeader, body: &'a [u8]) -> Result<Self, RtcpError> {
        let mut rest = body;
        for _ in 0..header.count {
            (_, _, rest) = split_chunk(rest)?;
        }
        Ok(Self {
            count: header.count,
            raw: body,
        })
    }

    /// The chunks, one per source.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let mut rest = self.raw;
        (0..self.count).map_while(move |_| {
            let (ssrc, items, next) = split_chunk(rest).ok()?;
            rest = next;
            Some(SdesChunk { ssrc, items })
        })
    }

    /// Writes a SDES packet with one chunk holding one CNAME item; returns its length.
    ///
    /// ```
    /// use cc_media::rtcp::{Compound, RtcpPacket, Sdes};
    ///
    /// let mut buf = [0_u8; 64];
    /// let len = Sdes::write_cname(0x1234, "agent7@cc.example", &mut buf)?;
    /// let Some(Ok(RtcpPacket::Sdes(sdes))) = Compound::new(&buf[..len]).next() else { panic!() };
    /// let chunk = sdes.chunks().next().unwrap();
    /// assert_eq!((chunk.ssrc, chunk.cname()), (0x1234, Some("agent7@cc.example")));
    /// # Ok::<(), cc_media::rtcp::RtcpError>(())
    /// ```
    pub fn write_cname(ssrc: u32, cname: &str, out: &mut [u8]) -> Result<usize, RtcpError> {
        let text = cname.as_bytes();
        let text_len = u8::try_from(text.len()).map_err(|_| RtcpError::TextTooLong { len: text.len() })?;
        let chunk_len = (4 + 2 + text.len() + 1).next_multiple_of(4);
        let len = HEADER_LEN + chunk_len;
        check_room(len, out)?;
        RtcpHeader::write(1, PT_SDES, len, out);
        let chunk = out.get_mut(HEADER_LEN..len).unwrap_or(&mut []);
        chunk.fill(0);
        if let Some(slot) = chunk.get_mut(..6 + text.len()) {
            slot[..4].copy_from_slice(&ssrc.to_be_bytes());
            slot[4] = CNAME;
            slot[5] = text_len;
            slot[6..].copy_from_slice(text);
        }
        Ok(len)
    }
}
