//! Conversions between our [`Message`] and [`rsip::SipMessage`] (feature `rsip`), for
//! code that already speaks rsip 0.4.
//!
//! ```
//! use cc_sip::Message;
//! use rsip::prelude::*;
//!
//! let ours = Message::request("OPTIONS", "sip:bob@example.com")
//!     .header("v", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK77")
//!     .header("From", "<sip:alice@example.com>;tag=1")
//!     .header("To", "<sip:bob@example.com>")
//!     .header("Call-ID", "a1@192.0.2.1")
//!     .header("CSeq", "1 OPTIONS")
//!     .build()?;
//! let theirs = rsip::SipMessage::try_from(&ours)?;
//! // The compact `v` became `Via`, which rsip knows.
//! assert!(matches!(theirs.headers().iter().next(), Some(rsip::Header::Via(_))));
//! let back = Message::try_from(&theirs)?;
//! assert_eq!(back.top_via()?.branch(), Some("z9hG4bK77"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Both ways are `TryFrom` and fail with a typed [`RsipError`], never a panic.
//!
//! What rsip cannot represent, and so what a conversion changes or refuses:
//!
//! - **Methods**: rsip knows 14 (ACK, BYE, CANCEL, INFO, INVITE, MESSAGE, NOTIFY,
//!   OPTIONS, PRACK, PUBLISH, REFER, REGISTER, SUBSCRIBE, UPDATE), spelled in capitals.
//!   Any other method (an extension, or a different case: methods are case-sensitive)
//!   is [`RsipError::UnsupportedMethod`].
//! - **Request-URIs** go through rsip's URI parser; one it rejects (it lacks some of
//!   RFC 3261's grammar, e.g. some escapes) is [`RsipError::Uri`]. rsip writes the URI
//!   again from its parts, so the text may differ from ours (not its meaning).
//! - **Reason phrases** of the status codes rsip knows are not kept: rsip writes its own
//!   name (`487 RequestTerminated`); converting back gives `Request Terminated`. A code
//!   rsip does not know keeps its phrase.
//! - **Header names**: rsip has no compact forms; known headers go over under their long
//!   names (`v` becomes `Via`), others as `Header::Other` with the name as written.
//!   The order of header fields is kept; a comma list in one field (`Via: a, b`) stays
//!   one rsip header, whose typed view in rsip then sees only a list it may not parse.
//! - **Values** are carried as text; rsip checks nothing until its typed accessors are
//!   used. The other way, our builder checks every part (header names are tokens, no CR
//!   or LF, Content-Length equals the body), and a failure is [`RsipError::Invalid`].
//! - **Bodies** are bytes both ways, unchanged.

use std::str::FromStr;

use rsip::headers::untyped::UntypedHeader;
use rsip::headers::{self as rh, Header as RsipHeader};

use crate::headers::HeaderName;
use crate::message::Message;

/// Why a message does not convert to or from rsip's types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RsipError {
    /// The method is not one of rsip's 14.
    #[error(
        "method {method:?} has no rsip::Method: rsip knows ACK, BYE, CANCEL, INFO, INVITE, MESSAGE, \
         NOTIFY, OPTIONS, PRACK, PUBLISH, REFER, REGISTER, SUBSCRIBE and UPDATE, in capitals"
    )]
    UnsupportedMethod {
        /// The method as written.
        method: String,
    },
    /// rsip's URI parser rejects the Request-URI.
    #[error("rsip cannot read the Request-URI {uri:?}: {reason}")]
    Uri {
        /// The URI (cut to 80 characters).
        uri: String,
        /// rsip's reason.
        reason: String,
    },
    /// The rsip message does not make a valid message of ours.
    #[error("the rsip message is not a valid SIP message: {0}")]
    Invalid(#[source] crate::Error),
}

impl TryFrom<&Message> for rsip::SipMessage {
    type Error = RsipError;

    fn try_from(msg: &Message) -> Result<Self, RsipError> {
        let mut headers = rh::Headers::default();
        for h in msg.headers() {
            let name = match h.name {
                HeaderName::Other => h.raw_name,
                known => known.as_str(),
            };
            headers.push(header(name, h.value));
        }
        let body = msg.body().to_vec();
        if let Some(method) = msg.method() {
            let uri = msg.request_uri_str().unwrap_or_default();
            Ok(Self::Request(rsip::Request {
                method: method_of(method)?,
                uri: rsip::Uri::try_from(uri).map_err(|e| RsipError::Uri {
                    uri: crate::error::excerpt(uri),
                    reason: e.to_string(),
                })?,
                version: rsip::Version::V2,
                headers,
                body,
            }))
        } else {
            let code = msg.status_code().unwrap_or_default();
            let status_code = match rsip::StatusCode::from(code) {
                rsip::StatusCode::Other(code, _) => {
                    rsip::StatusCode::Other(code, msg.reason_phrase().unwrap_or_default().to_owned())
                }
                known => known,
            };
            Ok(Self::Response(rsip::Response {
                status_code,
                version: rsip::Version::V2,
                headers,
                body,
            }))
        }
    }
}

impl TryFrom<Message> for rsip::SipMessage {
    type Error = RsipError;

    fn try_from(msg: Message) -> Result<Self, RsipError> {
        Self::try_from(&msg)
    }
}

impl TryFrom<&rsip::SipMessage> for Message {
    type Error = RsipError;

    fn try_from(msg: &rsip::SipMessage) -> Result<Self, RsipError> {
        let (builder, headers, body) = match msg {
            rsip::SipMessage::Request(r) => (
                Message::request(&r.method.to_string(), &r.uri.to_string()),
                &r.headers,
                &r.body,
            ),
            rsip::SipMessage::Response(r) => (
                Message::response(r.status_code.code(), &reason_of(&r.status_code)),
                &r.headers,
                &r.body,
            ),
        };
        let mut builder = builder.body(body.clone());
        for h in headers.iter() {
            // Every rsip header writes itself as `Name: value`.
            let line = h.to_string();
            let (name, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
            builder = builder.header(name.trim(), value.trim_matches([' ', '\t']));
        }
        builder.build().map_err(RsipError::Invalid)
    }
}

impl TryFrom<rsip::SipMessage> for Message {
    type Error = RsipError;

    fn try_from(msg: rsip::SipMessage) -> Result<Self, RsipError> {
        Self::try_from(&msg)
    }
}

/// rsip's method for `method`, which must be written as rsip writes it (methods are
/// case-sensitive; rsip's parser is not).
fn method_of(method: &str) -> Result<rsip::Method, RsipError> {
    rsip::Method::from_str(method)
        .ok()
        .filter(|m| m.to_string() == method)
        .ok_or_else(|| RsipError::UnsupportedMethod {
            method: crate::error::excerpt(method),
        })
}

/// The reason phrase of rsip's status code: its own for codes it does not know, else
/// its variant name in words (`RequestTerminated` → `Request Terminated`).
fn reason_of(status: &rsip::StatusCode) -> String {
    if let rsip::StatusCode::Other(_, reason) = status {
        return reason.clone();
    }
    let text = status.to_string();
    let name = text.split_once(' ').map_or("", |(_, name)| name);
    let mut words = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            words.push(' ');
        }
        previous_lower = c.is_ascii_lowercase();
        words.push(c);
    }
    words
}

/// rsip's header for `name` (a long name, any case) and `value`: its own kind when it
/// has one, else `Other`.
fn header(name: &str, value: &str) -> RsipHeader {
    macro_rules! known {
        ($($text:literal => $kind:ident),* $(,)?) => {
            $(
                if name.eq_ignore_ascii_case($text) {
                    return RsipHeader::$kind(rh::$kind::new(value));
                }
            )*
        };
    }
    known!(
        "Accept" => Accept,
        "Accept-Encoding" => AcceptEncoding,
        "Accept-Language" => AcceptLanguage,
        "Alert-Info" => AlertInfo,
        "Allow" => Allow,
        "Authentication-Info" => AuthenticationInfo,
        "Authorization" => Authorization,
        "CSeq" => CSeq,
        "Call-ID" => CallId,
        "Call-Info" => CallInfo,
        "Contact" => Contact,
        "Content-Disposition" => ContentDisposition,
        "Content-Encoding" => ContentEncoding,
        "Content-Language" => ContentLanguage,
        "Content-Length" => ContentLength,
        "Content-Type" => ContentType,
        "Date" => Date,
        "Error-Info" => ErrorInfo,
        "Event" => Event,
        "Expires" => Expires,
        "From" => From,
        "In-Reply-To" => InReplyTo,
        "Max-Forwards" => MaxForwards,
        "MIME-Version" => MimeVersion,
        "Min-Expires" => MinExpires,
        "Organization" => Organization,
        "Priority" => Priority,
        "Proxy-Authenticate" => ProxyAuthenticate,
        "Proxy-Authorization" => ProxyAuthorization,
        "Proxy-Require" => ProxyRequire,
        "Record-Route" => RecordRoute,
        "Reply-To" => ReplyTo,
        "Require" => Require,
        "Retry-After" => RetryAfter,
        "Route" => Route,
        "Server" => Server,
        "Subject" => Subject,
        "Subscription-State" => SubscriptionState,
        "Supported" => Supported,
        "Timestamp" => Timestamp,
        "To" => To,
        "Unsupported" => Unsupported,
        "User-Agent" => UserAgent,
        "Via" => Via,
        "Warning" => Warning,
        "WWW-Authenticate" => WwwAuthenticate,
    );
    RsipHeader::Other(name.to_owned(), value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_of_known_codes_are_put_in_words() {
        assert_eq!(reason_of(&rsip::StatusCode::from(487)), "Request Terminated");
        assert_eq!(reason_of(&rsip::StatusCode::from(200)), "OK");
        assert_eq!(
            reason_of(&rsip::StatusCode::Other(499, "Custom".into())),
            "Custom"
        );
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(method_of("INVITE"), Ok(rsip::Method::Invite));
        assert_eq!(method_of("PRACK"), Ok(rsip::Method::PRack));
        assert!(method_of("invite").is_err());
        assert!(method_of("FOO").is_err());
    }
}
