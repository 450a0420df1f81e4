//! Framing on stream transports (TCP, TLS): how many bytes the next message needs
//! (RFC 3261 §18.3: Content-Length is mandatory there and delimits the body).

use crate::Limits;
use crate::error::Error;

/// What the start of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// Keep-alive line ends (RFC 5626 `CRLF` pings) of this many bytes come first;
    /// consume them, then ask again.
    KeepAlive {
        /// Bytes of CRLF to consume.
        len: usize,
    },
    /// A whole message of `len` bytes is at the start of the buffer: split it off and
    /// hand it to [`Message::parse`](crate::Message::parse).
    Complete {
        /// The message's length in bytes.
        len: usize,
    },
    /// More bytes are needed: `needed` is the total message length once the headers
    /// have arrived, `None` while they have not.
    Incomplete {
        /// Total bytes the message needs, when known.
        needed: Option<usize>,
    },
}

/// Looks at the start of a stream buffer and says whether a whole message is there.
///
/// ```
/// use cc_sip::{Frame, Limits, frame_stream};
///
/// let head = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nab";
/// assert_eq!(frame_stream(head, &Limits::default())?, Frame::Incomplete { needed: Some(50) });
/// # Ok::<(), cc_sip::Error>(())
/// ```
pub fn frame_stream(buf: &[u8], limits: &Limits) -> Result<Frame, Error> {
    let crlf = super::leading_crlf(buf);
    if crlf > 0 {
        return Ok(Frame::KeepAlive { len: crlf });
    }
    let max = limits.message_size();
    if memchr::memmem::find(buf, b"\r\n\r\n").is_none() {
        if buf.len() > max {
            return Err(Error::MessageTooLarge { size: buf.len(), max });
        }
        return Ok(Frame::Incomplete { needed: None });
    }
    let Some(first_nl) = memchr::memchr(b'\n', buf) else {
        return Ok(Frame::Incomplete { needed: None });
    };
    let head = super::parse_head(buf, first_nl + 1, limits)?;
    let Some(content_length) = head.content_length else {
        return Err(Error::ContentLengthRequired);
    };
    let total = head.body_start.saturating_add(content_length);
    if total > max {
        return Err(Error::MessageTooLarge { size: total, max });
    }
    if buf.len() >= total {
        Ok(Frame::Complete { len: total })
    } else {
        Ok(Frame::Incomplete { needed: Some(total) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcNEXT";

    #[test]
    fn complete_incomplete_and_keepalive() {
        let limits = Limits::default();
        assert_eq!(frame_stream(MSG, &limits), Ok(Frame::Complete { len: 36 }));
        assert_eq!(
            frame_stream(&MSG[..34], &limits),
            Ok(Frame::Incomplete { needed: Some(36) })
        );
        assert_eq!(
            frame_stream(&MSG[..20], &limits),
            Ok(Frame::Incomplete { needed: None })
        );
        assert_eq!(
            frame_stream(b"\r\n\r\nOPT", &limits),
            Ok(Frame::KeepAlive { len: 4 })
        );
    }

    #[test]
    fn content_length_is_required_and_bounded() {
        let limits = Limits::default();
        assert_eq!(
            frame_stream(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", &limits),
            Err(Error::ContentLengthRequired)
        );
        assert!(matches!(
            frame_stream(b"OPTIONS sip:a@b SIP/2.0\r\nl: 99999999\r\n\r\n", &limits),
            Err(Error::MessageTooLarge { .. })
        ));
    }
}
