//! The one error type of cc-sip.
//!
//! Every message names the offending value (in `{:?}` form, cut to 80 characters, so that
//! control characters show and a hostile peer cannot flood a log) and says what would have
//! been accepted instead.

/// What is wrong with a SIP message, a header value, a URI or a file of one message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message is bigger than [`Limits::max_message_size`](crate::Limits).
    #[error("message of {size} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// Bytes received.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// The message has more header fields than [`Limits::max_headers`](crate::Limits).
    #[error("message has more than {max} header fields; at most {max} are accepted")]
    TooManyHeaders {
        /// The configured limit.
        max: usize,
    },
    /// One header field (with its folded lines) is longer than
    /// [`Limits::max_header_length`](crate::Limits).
    #[error("header field {name:?} is {length} bytes long; at most {max} are accepted")]
    HeaderTooLong {
        /// The header's name as written.
        name: String,
        /// Its length in bytes.
        length: usize,
        /// The configured limit.
        max: usize,
    },
    /// The message ends before it is complete (no empty line after the headers).
    #[error("message is truncated: {what}")]
    Truncated {
        /// What is missing.
        what: &'static str,
    },
    /// The request line or status line is malformed.
    #[error("invalid start line {line:?}: {reason}")]
    InvalidStartLine {
        /// The line (cut to 80 characters).
        line: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },
    /// The SIP-Version is not `SIP/2.0`.
    #[error("unsupported SIP version {version:?}; only SIP/2.0 is supported")]
    UnsupportedVersion {
        /// The version as written.
        version: String,
    },
    /// A line does not end with CRLF, or holds a bare CR or LF.
    #[error("line {line} is not terminated by CRLF (bare CR or LF found); SIP lines end with CRLF")]
    BadLineEnding {
        /// The 1-based line number.
        line: usize,
    },
    /// The start line or header section is not UTF-8.
    #[error("bytes at offset {offset} of the header section are not UTF-8; SIP header text is UTF-8")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A header line has no valid `name:` prefix.
    #[error("invalid header line {line:?}: {reason}")]
    InvalidHeaderLine {
        /// The line (cut to 80 characters).
        line: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },
    /// A header value does not follow its grammar.
    #[error("invalid {name} header value {value:?}: {reason}")]
    InvalidHeader {
        /// The header's canonical name.
        name: String,
        /// The value (cut to 80 characters).
        value: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },
    /// A header every request and response must carry is absent.
    #[error(
        "mandatory header {name} is missing; every SIP request and response carries To, From, Call-ID, CSeq and Via"
    )]
    MissingHeader {
        /// The header's canonical name.
        name: &'static str,
    },
    /// A header that may appear once appears several times.
    #[error("header {name} appears {count} times; it may appear only once")]
    DuplicateHeader {
        /// The header's canonical name.
        name: &'static str,
        /// How many times it appears.
        count: usize,
    },
    /// Content-Length says more bytes than the datagram holds.
    #[error("Content-Length is {content_length} but only {available} body bytes follow the headers")]
    BodyTooShort {
        /// The declared length.
        content_length: usize,
        /// The bytes present.
        available: usize,
    },
    /// Content-Length is absent on a stream transport, where it frames messages.
    #[error("Content-Length is missing; on stream transports (TCP, TLS) every message must carry it")]
    ContentLengthRequired,
    /// Several Content-Length headers disagree.
    #[error("Content-Length appears with different values {first} and {second}; a message has one length")]
    ConflictingContentLength {
        /// The first value.
        first: usize,
        /// The differing later value.
        second: usize,
    },
    /// The CSeq method differs from the request method.
    #[error("CSeq method {cseq:?} does not match request method {request:?}; they must be equal")]
    MethodMismatch {
        /// The request-line method.
        request: String,
        /// The CSeq method.
        cseq: String,
    },
    /// A URI does not follow RFC 3261 §19.1 / RFC 3966 / RFC 3986 syntax.
    #[error("invalid URI {uri:?}: {reason}")]
    InvalidUri {
        /// The URI (cut to 80 characters).
        uri: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },
    /// A builder was given a part that cannot be written into a valid message.
    #[error("cannot build message: {part} {value:?} is invalid: {reason}")]
    InvalidPart {
        /// Which part (method, header name, header value, ...).
        part: &'static str,
        /// The rejected value (cut to 80 characters).
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// A parsed SIP URI does not fit `cc_core::SipUri`.
    #[error("URI {uri:?} does not convert to a cc-core SipUri: {reason}")]
    Conversion {
        /// The URI (cut to 80 characters).
        uri: String,
        /// cc-core's reason.
        reason: String,
    },
    /// A message body's session description is malformed or cannot be accepted
    /// (answer with [`SdpError::sip_status`](crate::sdp::SdpError::sip_status), 488).
    #[error("SDP: {0}")]
    Sdp(#[from] crate::sdp::SdpError),
    /// A transaction id names no live transaction (it ended, or never existed).
    #[error("transaction {id} does not exist (it has terminated or was never created)")]
    UnknownTransaction {
        /// The id as displayed.
        id: String,
    },
    /// The transaction layer cannot do what the TU asked in the transaction's state.
    #[error("transaction {id} cannot {action}: {reason}")]
    TransactionState {
        /// The id as displayed.
        id: String,
        /// What was asked.
        action: &'static str,
        /// Why not.
        reason: String,
    },
    /// The transaction layer holds its maximum of live transactions.
    #[error("{max} transactions are live, the configured maximum; retry when some have ended")]
    TooManyTransactions {
        /// The configured maximum.
        max: usize,
    },
    /// A request we send uses a branch a live client transaction already uses.
    #[error("branch {branch:?} is in use by a live transaction; every request needs a new branch")]
    DuplicateBranch {
        /// The branch.
        branch: String,
    },
    /// A dialog cannot be created or cannot do what was asked (RFC 3261 §12).
    #[error("dialog: {reason}")]
    Dialog {
        /// What is wrong and what would be accepted.
        reason: String,
    },
    /// A call leg id names no live leg of the user agent.
    #[error("call leg {leg} does not exist (it has ended or was never created)")]
    UnknownLeg {
        /// The leg as displayed.
        leg: String,
    },
    /// A registration id names no outbound registration of the user agent.
    #[error("{registration} does not exist (it was removed or never created)")]
    UnknownRegistration {
        /// The registration as displayed.
        registration: String,
    },
    /// The user agent cannot do what was asked in the leg's state.
    #[error("call leg {leg} cannot {action}: {reason}")]
    LegState {
        /// The leg as displayed.
        leg: String,
        /// What was asked.
        action: &'static str,
        /// Why not, and what would be accepted.
        reason: String,
    },
    /// The transport driver failed (socket error, stopped endpoint).
    #[error("transport: {reason}")]
    Transport {
        /// What failed.
        reason: String,
    },
    /// A file of one message could not be read.
    #[error("cannot read {path:?}: {reason}")]
    Unreadable {
        /// The path as given.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
}

/// The first 80 characters of `input`, for error messages.
pub(crate) fn excerpt(input: &str) -> String {
    const MAX: usize = 80;
    match input.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", input.get(..cut).unwrap_or_default()),
        None => input.to_owned(),
    }
}

/// An [`Error::InvalidHeader`] for header `name` and `value`.
pub(crate) fn bad_header(name: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::InvalidHeader {
        name: name.to_owned(),
        value: excerpt(value),
        reason: reason.into(),
    }
}

/// An [`Error::InvalidUri`] for `uri`.
pub(crate) fn bad_uri(uri: &str, reason: impl Into<String>) -> Error {
    Error::InvalidUri {
        uri: excerpt(uri),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_long_values_on_char_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with("..."));
        assert_eq!(cut.chars().count(), 83);
    }

    #[test]
    fn messages_name_the_value_and_the_rule() {
        let e = bad_header("CSeq", "abc INVITE", "the sequence number is 1 to 10 digits");
        assert_eq!(
            e.to_string(),
            "invalid CSeq header value \"abc INVITE\": the sequence number is 1 to 10 digits"
        );
    }
}
