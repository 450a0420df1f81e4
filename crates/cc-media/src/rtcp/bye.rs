//! Goodbye packets (RFC 3550 §6.6): the sources leaving and an optional reason.
//!
//! ```text
//!        |V=2|P|    SC   |   PT=BYE=203  |             length            |
//!        |                           SSRC/CSRC                           |
//!        :                              ...                              :
//! (opt)  |     length    |               reason for leaving            ...
//! ```

use super::error::RtcpError;
use super::header::{HEADER_LEN, MAX_COUNT, PT_BYE, RtcpHeader, be32, check_room};

/// A goodbye: who leaves, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    sources: &'a [u8],
    /// The reason for leaving, as sent (RFC 3550 asks for UTF-8); see [`Bye::reason_str`].
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    /// Reads a BYE body (after the common header, padding removed).
    pub fn parse(header: &RtcpHeader, body: &'a [u8]) -> Result<Self, RtcpError> {
        let needed = usize::from(header.count) * 4;
        let (sources, rest) = body.split_at_checked(needed).ok_or(RtcpError::Truncated {
            packet: "BYE",
            needed,
            len: body.len(),
        })?;
        let reason = match rest.split_first() {
            None => None,
            Some((&len, text)) => Some(text.get(..usize::from(len)).ok_or(RtcpError::Truncated {
                packet: "BYE",
                needed: needed + 1 + usize::from(len),
                len: body.len(),
            })?),
        };
        Ok(Self { sources, reason })
    }

    /// The sources that leave.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.sources.chunks_exact(4).map(|c| be32(c, 0))
    }

    /// The reason, when present and UTF-8.
    pub fn reason_str(&self) -> Option<&'a str> {
        self.reason.and_then(|r| std::str::from_utf8(r).ok())
    }

    /// Writes a BYE for `sources` (at most 31) with an optional reason; returns its length.
    ///
    /// ```
    /// use cc_media::rtcp::{Bye, Compound, RtcpPacket};
    ///
    /// let mut buf = [0_u8; 32];
    /// let len = Bye::write(&[9], Some("hangup"), &mut buf)?;
    /// let Some(Ok(RtcpPacket::Bye(bye))) = Compound::new(&buf[..len]).next() else { panic!() };
    /// assert_eq!((bye.sources().collect::<Vec<_>>(), bye.reason_str()), (vec![9], Some("hangup")));
    /// # Ok::<(), cc_media::rtcp::RtcpError>(())
    /// ```
    pub fn write(sources: &[u32], reason: Option<&str>, out: &mut [u8]) -> Result<usize, RtcpError> {
        if sources.len() > MAX_COUNT {
            return Err(RtcpError::TooMany {
                what: "sources",
                count: sources.len(),
            });
        }
        let reason = reason.map(str::as_bytes);
        let reason_len = match reason {
            Some(r) => Some(u8::try_from(r.len()).map_err(|_| RtcpError::TextTooLong { len: r.len() })?),
            None => None,
        };
        let body = sources.len() * 4 + reason.map_or(0, |r| (1 + r.len()).next_multiple_of(4));
        let len = HEADER_LEN + body;
        check_room(len, out)?;
        RtcpHeader::write(sources.len() as u8, PT_BYE, len, out);
        let body = out.get_mut(HEADER_LEN..len).unwrap_or(&mut []);
        body.fill(0);
        let (ssrcs, tail) = body.split_at_mut(sources.len() * 4);
        for (slot, ssrc) in ssrcs.chunks_exact_mut(4).zip(sources) {
            slot.copy_from_slice(&ssrc.to_be_bytes());
        }
        if let (Some(text), Some(n)) = (reason, reason_len)
            && let Some(slot) = tail.get_mut(..1 + text.len())
        {
            slot[0] = n;
            slot[1..].copy_from_slice(text);
        }
        Ok(len)
    }
}
