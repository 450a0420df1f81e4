//! [`Message`]: a parsed SIP request or response, as an index of spans into the received
//! buffer. Nothing is copied; every accessor returns a view into the buffer.

use bytes::Bytes;

use crate::Limits;
use crate::error::Error;
use crate::headers::HeaderName;
use crate::parser::uri::Uri;

/// A byte range of the message buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
        }
    }

    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The first line: a request line or a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartLine {
    Request { method: Span, uri: Span },
    Response { code: u16, reason: Span },
}

/// One header field: its classified name, the name as written, and the value as written
/// (folded lines included, surrounding white space excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderEntry {
    pub(crate) name: HeaderName,
    pub(crate) raw_name: Span,
    pub(crate) value: Span,
}

/// One header field as seen through [`Message::headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The classified name ([`HeaderName::Other`] for unknown headers).
    pub name: HeaderName,
    /// The name as written (`v`, `VIA`, `X-Custom`...).
    pub raw_name: &'a str,
    /// The value as written, folded lines included, without surrounding white space.
    pub value: &'a str,
}

/// A parsed SIP message: the received [`Bytes`] and an index of spans into them.
///
/// Parsing checks the framing (start line, header lines, Content-Length) only; call
/// [`Message::validate`] for the full RFC 3261 checks, and the typed accessors
/// ([`Message::top_via`], [`Message::from_header`], [`Message::cseq`]...) to read values.
///
/// ```
/// use cc_sip::Message;
///
/// let raw = "OPTIONS sip:bob@example.com SIP/2.0\r\n\
///            v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
///            f: <sip:alice@example.com>;tag=1\r\n\
///            t: <sip:bob@example.com>\r\n\
///            i: abc@192.0.2.1\r\n\
///            CSeq: 1 OPTIONS\r\n\
///            l: 0\r\n\r\n";
/// let msg = Message::parse(raw)?;
/// assert_eq!(msg.method(), Some("OPTIONS"));
/// assert_eq!(msg.call_id()?, "abc@192.0.2.1");
/// assert_eq!(msg.top_via()?.branch(), Some("z9hG4bK1"));
/// msg.validate()?;
/// # Ok::<(), cc_sip::Error>(())
/// ```
#[derive(Clone)]
pub struct Message {
    pub(crate) buf: Bytes,
    pub(crate) start: StartLine,
    pub(crate) headers: Vec<HeaderEntry>,
    pub(crate) body: Span,
}

impl Message {
    /// Parses one message received as a datagram (UDP rules: bytes after Content-Length
    /// are dropped; fewer is an error; without Content-Length the body is the rest),
    /// with the default [`Limits`].
    pub fn parse(bytes: impl Into<Bytes>) -> Result<Self, Error> {
        Self::parse_with(bytes, &Limits::default())
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with(bytes: impl Into<Bytes>, limits: &Limits) -> Result<Self, Error> {
        crate::parser::parse_message(bytes.into(), limits)
    }

    /// The text of `span`. Spans always lie in the buffer on UTF-8 boundaries of the
    /// header section (checked when parsing), so this never yields the empty fallback.
    pub(crate) fn text(&self, span: Span) -> &str {
        self.buf
            .get(span.range())
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// `true` for a request, `false` for a response.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method as written (case-sensitive, extension methods included);
    /// `None` for a response.
    pub fn method(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { method, .. } => Some(self.text(method)),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI as written; `None` for a response.
    pub fn request_uri_str(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { uri, .. } => Some(self.text(uri)),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI parsed; `None` for a response.
    pub fn request_uri(&self) -> Option<Result<Uri<'_>, Error>> {
        self.request_uri_str().map(Uri::parse)
    }

    /// The status code; `None` for a request.
    pub fn status_code(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase (possibly empty); `None` for a request.
    pub fn reason_phrase(&self) -> Option<&str> {
        match self.start {
            StartLine::Response { reason, .. } => Some(self.text(reason)),
            StartLine::Request { .. } => None,
        }
    }

    /// All header fields in order.
    pub fn headers(&self) -> impl Iterator<Item = Header<'_>> + '_ {
        self.headers.iter().map(|h| self.view(h))
    }

    fn view(&self, h: &HeaderEntry) -> Header<'_> {
        Header {
            name: h.name,
            raw_name: self.text(h.raw_name),
            value: self.text(h.value),
        }
    }

    /// How many header fields the message has.
    pub fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// The values of every header field called `name`, in order. For
    /// [`HeaderName::Other`], use [`Message::header_values_named`].
    pub fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.headers
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| self.text(h.value))
    }

    /// The value of the first header field called `name`.
    pub fn header(&self, name: HeaderName) -> Option<&str> {
        self.header_values(name).next()
    }

    /// The values of every header field whose name (as written, or its compact or long
    /// equivalent) matches `name` case-insensitively. Works for unknown headers too.
    pub fn header_values_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        let known = HeaderName::from_name(name);
        self.headers
            .iter()
            .filter(move |h| {
                if known == HeaderName::Other {
                    h.name == HeaderName::Other && self.text(h.raw_name).eq_ignore_ascii_case(name)
                } else {
                    h.name == known
                }
            })
            .map(|h| self.text(h.value))
    }

    /// The single value of a header that must appear exactly once.
    pub(crate) fn single(&self, name: HeaderName, canonical: &'static str) -> Result<&str, Error> {
        self.header(name).ok_or(Error::MissingHeader { name: canonical })
    }

    /// The body, bounded by Content-Length.
    pub fn body(&self) -> &[u8] {
        self.buf.get(self.body.range()).unwrap_or_default()
    }

    /// The body as a zero-copy [`Bytes`] slice of the received buffer.
    pub fn body_bytes(&self) -> Bytes {
        self.buf.slice(self.body.range())
    }

    /// The buffer the message was parsed from (or built into).
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Message");
        match self.start {
            StartLine::Request { .. } => {
                d.field("method", &self.method())
                    .field("uri", &self.request_uri_str());
            }
            StartLine::Response { code, .. } => {
                d.field("status", &code).field("reason", &self.reason_phrase());
            }
        }
        d.field(
            "headers",
            &self.headers().map(|h| (h.raw_name, h.value)).collect::<Vec<_>>(),
        )
        .field("body_len", &self.body().len())
        .finish_non_exhaustive()
    }
}

/// Two messages are equal when their start lines, their header fields (names compared
/// case-insensitively, values as written) and their bodies are equal, wherever their bytes
/// came from.
impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        let start_eq = match (self.start, other.start) {
            (StartLine::Request { .. }, StartLine::Request { .. }) => {
                self.method() == other.method() && self.request_uri_str() == other.request_uri_str()
            }
            (StartLine::Response { code: a, .. }, StartLine::Response { code: b, .. }) => {
                a == b && self.reason_phrase() == other.reason_phrase()
            }
            _ => false,
        };
        start_eq
            && self.headers.len() == other.headers.len()
            && self.headers().zip(other.headers()).all(|(a, b)| {
                a.name == b.name && a.raw_name.eq_ignore_ascii_case(b.raw_name) && a.value == b.value
            })
            && self.body() == other.body()
    }
}

impl Eq for Message {}
