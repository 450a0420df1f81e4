//! Errors of SDP parsing and of offer/answer.
//!
//! A SIP user agent answers an offer it cannot parse or accept with
//! `488 Not Acceptable Here`; [`SdpError::sip_status`] gives that code and the error's
//! `Display` text is a fit reason phrase for a `Warning` or `Reason` header.

/// What is wrong with a session description, or why an offer or answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The description is bigger than [`SdpLimits::max_size`](super::SdpLimits).
    #[error("SDP of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Bytes received.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// More `m=` sections than [`SdpLimits::max_media`](super::SdpLimits).
    #[error("SDP has more than {max} media sections (m= lines); at most {max} are accepted")]
    TooManyMedia {
        /// The configured limit.
        max: usize,
    },
    /// More `a=` lines than [`SdpLimits::max_attributes`](super::SdpLimits).
    #[error("SDP has more than {max} attribute lines (a=); at most {max} are accepted")]
    TooManyAttributes {
        /// The configured limit.
        max: usize,
    },
    /// The description is not UTF-8 text.
    #[error("SDP line {line} is not UTF-8; SDP text is UTF-8")]
    NotUtf8 {
        /// The 1-based line number.
        line: usize,
    },
    /// One line does not follow its grammar.
    #[error("SDP line {line} {content:?}: expected {expected}")]
    InvalidLine {
        /// The 1-based line number.
        line: usize,
        /// The line as written (cut to 80 characters).
        content: String,
        /// What the line should look like.
        expected: String,
    },
    /// A line that must be present is absent.
    #[error("SDP has no {what} line; {why}")]
    MissingLine {
        /// The line type, such as `v=`.
        what: &'static str,
        /// Where it was expected.
        why: &'static str,
    },
    /// An answer has another number of media sections than the offer (RFC 3264 §6).
    #[error("the answer has {answer} media sections but the offer has {offer}; they must be equal")]
    MediaCountMismatch {
        /// `m=` lines in the offer.
        offer: usize,
        /// `m=` lines in the answer.
        answer: usize,
    },
    /// An answer's media section differs in type from the offer's (audio for video...).
    #[error("answer media section {index} is {answer:?} but the offer's is {offer:?}")]
    MediaTypeMismatch {
        /// 0-based index of the media section.
        index: usize,
        /// The offered media type.
        offer: String,
        /// The answered media type.
        answer: String,
    },
    /// An answer names a payload type that the offer did not contain.
    #[error(
        "answer media section {index} uses payload type {payload_type} which the offer did not list; an answer may only pick offered formats"
    )]
    CodecNotOffered {
        /// 0-based index of the media section.
        index: usize,
        /// The payload type (format) as written.
        payload_type: String,
    },
    /// An accepted media section has no `c=` line, neither its own nor the session's.
    #[error("media section {index} has no connection address (c=) and the session has none")]
    MissingConnection {
        /// 0-based index of the media section.
        index: usize,
    },
    /// No offered stream can be accepted (no common codec, unsupported transport).
    #[error("no acceptable media: {reason}")]
    NoCommonMedia {
        /// What was offered and why none fits.
        reason: String,
    },
}

impl SdpError {
    /// The SIP response status for an INVITE or UPDATE carrying this SDP:
    /// 488 Not Acceptable Here.
    pub fn sip_status(&self) -> u16 {
        488
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_errors_name_the_line_and_the_rule() {
        let e = SdpError::InvalidLine {
            line: 6,
            content: "m=audio x RTP/AVP 0".into(),
            expected: "a port number 0-65535".into(),
        };
        assert_eq!(
            e.to_string(),
            "SDP line 6 \"m=audio x RTP/AVP 0\": expected a port number 0-65535"
        );
        assert_eq!(e.sip_status(), 488);
    }
}
