//! Building requests and responses: parts are checked, then written once into a buffer
//! while the spans of the new [`Message`] are recorded (no re-parse).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, excerpt};
use crate::headers::HeaderName;
use crate::message::{HeaderEntry, Message, Span, StartLine};
use crate::parser::text::is_token;
use crate::parser::uri::Uri;

/// Builds a [`Message`]; start with [`Message::request`] or [`Message::response`].
///
/// ```
/// use cc_sip::Message;
///
/// let msg = Message::request("OPTIONS", "sip:bob@example.com")
///     .header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK77")
///     .header("From", "<sip:alice@example.com>;tag=1")
///     .header("To", "<sip:bob@example.com>")
///     .header("Call-ID", "a1@192.0.2.1")
///     .header("CSeq", "1 OPTIONS")
///     .build()?;
/// assert_eq!(msg.header(cc_sip::HeaderName::ContentLength), Some("0"));
/// assert_eq!(Message::parse(msg.to_bytes())?, msg);
/// # Ok::<(), cc_sip::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MessageBuilder {
    start: Start,
    headers: Vec<(String, String)>,
    body: Bytes,
}

#[derive(Debug, Clone)]
enum Start {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

fn invalid(part: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidPart {
        part,
        value: excerpt(value),
        reason: reason.to_owned(),
    }
}

impl Message {
    /// Starts a request with `method` (any token) to `uri`.
    pub fn request(method: &str, uri: &str) -> MessageBuilder {
        MessageBuilder {
            start: Start::Request {
                method: method.to_owned(),
                uri: uri.to_owned(),
            },
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Starts a response with status `code` (100 to 699) and `reason` phrase.
    pub fn response(code: u16, reason: &str) -> MessageBuilder {
        MessageBuilder {
            start: Start::Response {
                code,
                reason: reason.to_owned(),
            },
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

impl MessageBuilder {
    /// Appends a header field. The value is written as given: no CR or LF, no white
    /// space at either end.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body; Content-Length is added to match unless a header gives it.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    fn check(&self) -> Result<(), Error> {
        match &self.start {
            Start::Request { method, uri } => {
                if !is_token(method) {
                    return Err(invalid(
                        "method",
                        method,
                        "a method is a token (letters, digits, -.!%*_+`'~)",
                    ));
                }
                if uri
                    .bytes()
                    .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
                {
                    return Err(invalid(
                        "Request-URI",
                        uri,
                        "it must contain no white space or control characters",
                    ));
                }
                Uri::parse(uri)?;
            }
            Start::Response { code, reason } => {
                if !(100..=699).contains(code) {
                    return Err(invalid(
                        "status code",
                        &code.to_string(),
                        "it must be from 100 to 699",
                    ));
                }
                if reason.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                    return Err(invalid(
                        "reason phrase",
                        reason,
                        "it must contain no control characters",
                    ));
                }
            }
        }
        for (name, value) in &self.headers {
            if !is_token(name) {
                return Err(invalid(
                    "header name",
                    name,
                    "a header name is a token (letters, digits, -.!%*_+`'~)",
                ));
            }
            if value.contains(['\r', '\n']) {
                return Err(invalid("header value", value, "it must not contain CR or LF"));
            }
            let ws = |c: char| c == ' ' || c == '\t';
            if value.starts_with(ws) || value.ends_with(ws) {
                return Err(invalid(
                    "header value",
                    value,
                    "it must not start or end with white space",
                ));
            }
            if HeaderName::from_name(name) == HeaderName::ContentLength
                && value.parse::<usize>().ok() != Some(self.body.len())
            {
                return Err(invalid(
                    "header value",
                    value,
                    &format!("Content-Length must equal the body length, {}", self.body.len()),
                ));
            }
        }
        Ok(())
    }

    /// Checks the parts and writes the message.
    pub fn build(self) -> Result<Message, Error> {
        self.check()?;
        let has_length = self
            .headers
            .iter()
            .any(|(n, _)| HeaderName::from_name(n) == HeaderName::ContentLength);
        let length_text = self.body.len().to_string();
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if !has_length {
            headers.push(("Content-Length", &length_text));
        }
        let size = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>() + self.body.len() + 64;
        let mut out = BytesMut::with_capacity(size);
        let start = match &self.start {
            Start::Request { method, uri } => {
                out.put_slice(method.as_bytes());
                out.put_u8(b' ');
                let uri_start = out.len();
                out.put_slice(uri.as_bytes());
                let uri_end = out.len();
                out.put_slice(b" SIP/2.0\r\n");
                StartLine::Request {
                    method: Span::new(0, method.len()),
                    uri: Span::new(uri_start, uri_end),
                }
            }
            Start::Response { code, reason } => {
                out.put_slice(format!("SIP/2.0 {code} ").as_bytes());
                let reason_start = out.len();
                out.put_slice(reason.as_bytes());
                let reason_end = out.len();
                out.put_slice(b"\r\n");
                StartLine::Response {
                    code: *code,
                    reason: Span::new(reason_start, reason_end),
                }
            }
        };
        let mut entries = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let name_start = out.len();
            out.put_slice(name.as_bytes());
            let name_end = out.len();
            out.put_slice(b": ");
            let value_start = out.len();
            out.put_slice(value.as_bytes());
            let value_end = out.len();
            out.put_slice(b"\r\n");
            entries.push(HeaderEntry {
                name: HeaderName::from_name(name),
                raw_name: Span::new(name_start, name_end),
                value: Span::new(value_start, value_end),
            });
        }
        out.put_slice(b"\r\n");
        let body_start = out.len();
        out.put_slice(&self.body);
        let body = Span::new(body_start, out.len());
        Ok(Message {
            buf: out.freeze(),
            start,
            headers: entries,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_round_trip() {
        let m = Message::response(180, "Ringing")
            .header("v", "SIP/2.0/UDP h;branch=z9hG4bK1")
            .header("RSeq", "7")
            .body("x")
            .build()
            .unwrap();
        assert_eq!(m.status_code(), Some(180));
        assert_eq!(m.rseq().unwrap(), Some(7));
        assert_eq!(Message::parse(m.to_bytes()).unwrap(), m);
    }

    #[test]
    fn bad_parts_are_refused() {
        assert!(Message::request("IN VITE", "sip:a@b").build().is_err());
        assert!(Message::request("INVITE", "sip:a b").build().is_err());
        assert!(Message::response(99, "x").build().is_err());
        assert!(
            Message::response(200, "OK")
                .header("X", " padded")
                .build()
                .is_err()
        );
        assert!(
            Message::response(200, "OK")
                .header("X", "a\r\nb")
                .build()
                .is_err()
        );
        assert!(Message::response(200, "OK").header("l", "5").build().is_err());
    }
}
