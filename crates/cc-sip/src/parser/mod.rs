//! The zero-copy message parser: start line, header lines (folding, compact names),
//! Content-Length and body, under [`Limits`].
//!
//! - `text`: token characters, white space, quoted strings, comma lists;
//! - [`params`]: `;name=value` parameter lists;
//! - [`uri`]: SIP, SIPS, tel and other URIs;
//! - `start_line`: request and status lines;
//! - [`framing`]: how many bytes a message on a stream transport needs.

pub mod framing;
pub mod params;
pub(crate) mod start_line;
pub(crate) mod text;
pub mod uri;

use bytes::Bytes;

use crate::Limits;
use crate::error::{Error, excerpt};
use crate::headers::HeaderName;
use crate::message::{HeaderEntry, Message, Span};

/// How many header fields to reserve room for before counting.
const TYPICAL_HEADERS: usize = 24;

/// Number of leading CRLF pairs' bytes (keep-alives and stray line ends before a
/// message, which RFC 3261 §7.5 says to ignore).
pub(crate) fn leading_crlf(buf: &[u8]) -> usize {
    let mut i = 0;
    while buf.get(i..i + 2) == Some(b"\r\n") {
        i += 2;
    }
    i
}

/// The line starting at `pos`: its end (index of the CR) and the start of the next line.
fn line_at(buf: &[u8], pos: usize, line_no: usize) -> Result<Option<(usize, usize)>, Error> {
    let rest = buf.get(pos..).unwrap_or_default();
    let Some(nl) = memchr::memchr(b'\n', rest) else {
        return Ok(None);
    };
    if nl == 0 || rest.get(nl - 1) != Some(&b'\r') {
        return Err(Error::BadLineEnding { line: line_no });
    }
    let end = pos + nl - 1;
    if memchr::memchr(b'\r', buf.get(pos..end).unwrap_or_default()).is_some() {
        return Err(Error::BadLineEnding { line: line_no });
    }
    Ok(Some((end, pos + nl + 1)))
}

fn lossy(bytes: &[u8]) -> String {
    excerpt(&String::from_utf8_lossy(bytes))
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Narrows `span` to exclude leading and trailing SP, HTAB, CR and LF.
fn trim_span(buf: &[u8], mut start: usize, mut end: usize) -> Span {
    while start < end && buf.get(start).copied().is_some_and(text::is_lws) {
        start += 1;
    }
    while end > start && buf.get(end - 1).copied().is_some_and(text::is_lws) {
        end -= 1;
    }
    Span::new(start, end)
}

/// The header section parsed: entries, where the body starts, and Content-Length.
pub(crate) struct Head {
    pub(crate) headers: Vec<HeaderEntry>,
    pub(crate) body_start: usize,
    pub(crate) content_length: Option<usize>,
}

/// Parses header lines from `pos` up to and including the empty line.
pub(crate) fn parse_head(buf: &[u8], mut pos: usize, limits: &Limits) -> Result<Head, Error> {
    let mut headers: Vec<HeaderEntry> = Vec::with_capacity(TYPICAL_HEADERS);
    let mut content_length: Option<usize> = None;
    let mut line_no = 1;
    // The header being read: name, raw name, where its value starts, where its line started.
    let mut current: Option<(HeaderName, Span, usize, usize)> = None;
    let mut value_end = 0;
    loop {
        line_no += 1;
        let Some((end, next)) = line_at(buf, pos, line_no)? else {
            return Err(Error::Truncated {
                what: "the header section does not end with an empty line (CRLF CRLF)",
            });
        };
        let line = buf.get(pos..end).unwrap_or_default();
        let first = line.first().copied();
        if let Some((name, raw_name, value_start, _)) = current
            && first.is_none_or(|b| !is_wsp(b))
        {
            // The header is complete: store it.
            if headers.len() >= limits.max_headers {
                return Err(Error::TooManyHeaders {
                    max: limits.max_headers,
                });
            }
            let value = trim_span(buf, value_start, value_end);
            if name == HeaderName::ContentLength {
                content_length = Some(check_content_length(buf, value, content_length)?);
            }
            headers.push(HeaderEntry {
                name,
                raw_name,
                value,
            });
            current = None;
        }
        match first {
            None => {
                return Ok(Head {
                    headers,
                    body_start: next,
                    content_length,
                });
            }
            Some(b) if is_wsp(b) => {
                let Some((_, raw_name, _, line_start)) = current else {
                    return Err(Error::InvalidHeaderLine {
                        line: lossy(line),
                        reason:
                            "a line starting with white space continues a header, but no header precedes it"
                                .to_owned(),
                    });
                };
                value_end = end;
                if end - line_start > limits.max_header_length {
                    return Err(Error::HeaderTooLong {
                        name: lossy(buf.get(raw_name.range()).unwrap_or_default()),
                        length: end - line_start,
                        max: limits.max_header_length,
                    });
                }
            }
            Some(_) => {
                let Some(colon) = memchr::memchr(b':', line) else {
                    return Err(Error::InvalidHeaderLine {
                        line: lossy(line),
                        reason: "a header line is name ':' value, and this one has no ':'".to_owned(),
                    });
                };
                let raw = line.get(..colon).unwrap_or_default();
                let name_len = raw.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
                let name_bytes = raw.get(..name_len).unwrap_or_default();
                if name_bytes.is_empty() || !name_bytes.iter().all(|&b| text::is_token_byte(b)) {
                    return Err(Error::InvalidHeaderLine {
                        line: lossy(line),
                        reason: "the header name must be a token (letters, digits, -.!%*_+`'~)".to_owned(),
                    });
                }
                if line.len() > limits.max_header_length {
                    return Err(Error::HeaderTooLong {
                        name: lossy(name_bytes),
                        length: line.len(),
                        max: limits.max_header_length,
                    });
                }
                let name = std::str::from_utf8(name_bytes).map_or(HeaderName::Other, HeaderName::from_name);
                current = Some((name, Span::new(pos, pos + name_len), pos + colon + 1, pos));
                value_end = end;
            }
        }
        pos = next;
    }
}

/// Reads a Content-Length value and checks it against an earlier one.
fn check_content_length(buf: &[u8], value: Span, earlier: Option<usize>) -> Result<usize, Error> {
    let text = std::str::from_utf8(buf.get(value.range()).unwrap_or_default()).unwrap_or("?");
    let cl = text::parse_decimal(text, u64::from(u32::MAX), 10).ok_or_else(|| {
        crate::error::bad_header(
            "Content-Length",
            text,
            "it must be a non-negative decimal number of bytes, at most 4294967295",
        )
    })? as usize;
    match earlier {
        Some(first) if first != cl => Err(Error::ConflictingContentLength { first, second: cl }),
        _ => Ok(cl),
    }
}

/// Parses a whole datagram into a [`Message`].
pub(crate) fn parse_message(buf: Bytes, limits: &Limits) -> Result<Message, Error> {
    let max = limits.message_size();
    if buf.len() > max {
        return Err(Error::MessageTooLarge { size: buf.len(), max });
    }
    let begin = leading_crlf(&buf);
    let Some((line_end, next)) = line_at(&buf, begin, 1)? else {
        return Err(Error::Truncated {
            what: "the start line is not terminated by CRLF",
        });
    };
    let head = parse_head(&buf, next, limits)?;
    let header_text = buf.get(begin..head.body_start).unwrap_or_default();
    if let Err(e) = std::str::from_utf8(header_text) {
        return Err(Error::NotUtf8 {
            offset: begin + e.valid_up_to(),
        });
    }
    let line = std::str::from_utf8(buf.get(begin..line_end).unwrap_or_default()).unwrap_or_default();
    let start = start_line::parse(line, begin)?;
    let available = buf.len() - head.body_start;
    let body_end = match head.content_length {
        Some(cl) if cl > available => {
            return Err(Error::BodyTooShort {
                content_length: cl,
                available,
            });
        }
        Some(cl) => head.body_start + cl,
        None => buf.len(),
    };
    Ok(Message {
        start,
        headers: head.headers,
        body: Span::new(head.body_start, body_end),
        buf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Message, Error> {
        Message::parse(s.to_owned())
    }

    const BASE: &str = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";

    #[test]
    fn folded_values_and_compact_names() {
        let m = parse(&format!(
            "{BASE}Subject: one,\r\n  two\r\n\t three\r\nl: 0\r\n\r\n"
        ))
        .unwrap();
        assert_eq!(m.header(HeaderName::Subject), Some("one,\r\n  two\r\n\t three"));
        assert_eq!(m.header(HeaderName::ContentLength), Some("0"));
        assert_eq!(m.header_count(), 3);
    }

    #[test]
    fn empty_values_and_space_before_colon() {
        let m = parse(&format!("{BASE}s :\r\nContent-Length   : 0\r\n\r\n")).unwrap();
        assert_eq!(m.header(HeaderName::Subject), Some(""));
        assert_eq!(m.header(HeaderName::ContentLength), Some("0"));
    }

    #[test]
    fn datagram_bodies_follow_content_length() {
        let m = parse(&format!("{BASE}l: 3\r\n\r\nabcdef")).unwrap();
        assert_eq!(m.body(), b"abc");
        let m = parse(&format!("{BASE}\r\nabcdef")).unwrap();
        assert_eq!(m.body(), b"abcdef");
        assert!(matches!(
            parse(&format!("{BASE}l: 9\r\n\r\nabc")),
            Err(Error::BodyTooShort {
                content_length: 9,
                available: 3
            })
        ));
        assert!(matches!(
            parse(&format!("{BASE}l: 3\r\nContent-Length: 4\r\n\r\nabcd")),
            Err(Error::ConflictingContentLength { .. })
        ));
        assert!(matches!(
            parse(&format!("{BASE}l: -1\r\n\r\n")),
            Err(Error::InvalidHeader { .. })
        ));
    }

    #[test]
    fn structural_errors() {
        assert!(matches!(
            parse("INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            parse("INVITE sip:a@b SIP/2.0\nVia: x\r\n\r\n"),
            Err(Error::BadLineEnding { .. })
        ));
        assert!(matches!(
            parse(&format!("{BASE}Bad Name: x\r\n\r\n")),
            Err(Error::InvalidHeaderLine { .. })
        ));
        assert!(matches!(
            parse(&format!("{BASE}NoColon\r\n\r\n")),
            Err(Error::InvalidHeaderLine { .. })
        ));
        assert!(matches!(
            parse("INVITE sip:a@b SIP/2.0\r\n continued: x\r\n\r\n"),
            Err(Error::InvalidHeaderLine { .. })
        ));
    }

    #[test]
    fn limits_give_typed_errors() {
        let small = Limits {
            max_message_size: 40,
            ..Limits::default()
        };
        assert!(matches!(
            Message::parse_with(format!("{BASE}\r\n"), &small),
            Err(Error::MessageTooLarge { max: 40, .. })
        ));
        let few = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        assert!(matches!(
            Message::parse_with(format!("{BASE}A: 1\r\nB: 2\r\n\r\n"), &few),
            Err(Error::TooManyHeaders { max: 2 })
        ));
        let short = Limits {
            max_header_length: 10,
            ..Limits::default()
        };
        assert!(matches!(
            Message::parse_with(format!("{BASE}\r\n"), &short),
            Err(Error::HeaderTooLong { .. })
        ));
        assert!(matches!(
            Message::parse_with("INVITE sip:a@b SIP/2.0\r\nA: 1\r\n  23456789012\r\n\r\n", &short),
            Err(Error::HeaderTooLong { .. })
        ));
    }

    #[test]
    fn leading_crlf_is_ignored() {
        let m = parse(&format!("\r\n\r\n{BASE}\r\n")).unwrap();
        assert_eq!(m.method(), Some("INVITE"));
    }
}
