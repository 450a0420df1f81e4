//! Writing messages: the start line, each header as `Name: value` in order, an empty
//! line, then the body. A parsed message is written as received, less any bytes past
//! Content-Length and with each header on a line of its own.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::message::{Message, StartLine};

impl Message {
    /// The number of bytes [`Message::write_to`] writes.
    pub fn encoded_len(&self) -> usize {
        let start = match self.start {
            StartLine::Request { method, uri } => method.range().len() + uri.range().len() + 11,
            StartLine::Response { reason, .. } => reason.range().len() + 14,
        };
        let headers: usize = self
            .headers
            .iter()
            .map(|h| h.raw_name.range().len() + h.value.range().len() + 4)
            .sum();
        start + headers + 2 + self.body().len()
    }

    /// Appends the message to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.reserve(self.encoded_len());
        match self.start {
            StartLine::Request { method, uri } => {
                out.put_slice(self.text(method).as_bytes());
                out.put_u8(b' ');
                out.put_slice(self.text(uri).as_bytes());
                out.put_slice(b" SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                out.put_slice(b"SIP/2.0 ");
                out.put_slice(code.to_string().as_bytes());
                out.put_u8(b' ');
                out.put_slice(self.text(reason).as_bytes());
                out.put_slice(b"\r\n");
            }
        }
        for h in self.headers() {
            out.put_slice(h.raw_name.as_bytes());
            out.put_slice(b": ");
            out.put_slice(h.value.as_bytes());
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
        out.put_slice(self.body());
    }

    /// The message as bytes ready to send.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.encoded_len());
        self.write_to(&mut out);
        out.freeze()
    }
}

/// Writes the message as text; a body that is not UTF-8 is shown with replacement
/// characters (use [`Message::to_bytes`] to send).
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
