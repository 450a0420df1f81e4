//! `message/sipfrag` bodies (RFC 3420) as REFER's NOTIFYs carry them (RFC 3515 §2.4.5):
//! a status line such as `SIP/2.0 200 OK`, optionally followed by header fields.

use crate::error::{Error, excerpt};
use crate::message::StartLine;

/// The media type of a sipfrag body.
pub const CONTENT_TYPE: &str = "message/sipfrag;version=2.0";

/// The status line of a sipfrag body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFrag<'a> {
    /// The status code (100 to 699).
    pub code: u16,
    /// The reason phrase.
    pub reason: &'a str,
}

impl<'a> StatusFrag<'a> {
    /// Reads the status line at the start of `body` (the rest, if any, is not read).
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
        let line = &body[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|_| Error::InvalidStartLine {
            line: excerpt(&String::from_utf8_lossy(line)),
            reason: "a sipfrag status line must be UTF-8".to_owned(),
        })?;
        match crate::parser::start_line::parse(line, 0)? {
            StartLine::Response { code, reason } => Ok(Self {
                code,
                reason: line.get(reason.range()).unwrap_or_default(),
            }),
            StartLine::Request { .. } => Err(Error::InvalidStartLine {
                line: excerpt(line),
                reason: "a sipfrag for REFER must start with a status line such as SIP/2.0 200 OK".to_owned(),
            }),
        }
    }
}

/// The sipfrag body for `code` and `reason`: `SIP/2.0 <code> <reason>\r\n`.
pub fn status_body(code: u16, reason: &str) -> String {
    format!("SIP/2.0 {code} {reason}\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let f = StatusFrag::parse(b"SIP/2.0 100 Trying\r\n").unwrap();
        assert_eq!((f.code, f.reason), (100, "Trying"));
        let f = StatusFrag::parse(b"SIP/2.0 486 Busy Here").unwrap();
        assert_eq!((f.code, f.reason), (486, "Busy Here"));
        assert_eq!(
            StatusFrag::parse(status_body(200, "OK").as_bytes()).unwrap().code,
            200
        );
        for bad in [
            &b""[..],
            b"INVITE sip:a@b SIP/2.0\r\n",
            b"SIP/2.0 99 Low",
            b"SIP/2.0 200\xff",
        ] {
            assert!(StatusFrag::parse(bad).is_err(), "{bad:?}");
        }
    }
}
