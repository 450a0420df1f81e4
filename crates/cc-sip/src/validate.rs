//! The full RFC 3261 checks of a parsed message: mandatory and single-valued headers,
//! the Request-URI, CSeq against the method, and the grammar of every header cc-sip
//! knows. Unknown headers are opaque (RFC 3261 §7.3: a proxy forwards them unchanged).

use crate::error::{Error, bad_header};
use crate::headers::simple::{check_call_id, check_date};
use crate::headers::{
    Auth, CSeq, Contact, Event, HeaderName, MediaType, NameAddr, RAck, Reason, Replaces, SessionExpires,
    SubscriptionState, Via, parse_min_se,
};
use crate::message::Message;
use crate::parser::text::{CommaSplit, is_token, parse_decimal, trim_lws};
use crate::parser::uri::Uri;

/// Headers every request and response carries exactly once.
const MANDATORY_ONCE: [(HeaderName, &str); 4] = [
    (HeaderName::To, "To"),
    (HeaderName::From, "From"),
    (HeaderName::CallId, "Call-ID"),
    (HeaderName::CSeq, "CSeq"),
];

/// Headers that may appear at most once.
const AT_MOST_ONCE: [(HeaderName, &str); 14] = [
    (HeaderName::MaxForwards, "Max-Forwards"),
    (HeaderName::ContentLength, "Content-Length"),
    (HeaderName::ContentType, "Content-Type"),
    (HeaderName::Expires, "Expires"),
    (HeaderName::MinExpires, "Min-Expires"),
    (HeaderName::RSeq, "RSeq"),
    (HeaderName::RAck, "RAck"),
    (HeaderName::ReferTo, "Refer-To"),
    (HeaderName::Replaces, "Replaces"),
    (HeaderName::SessionExpires, "Session-Expires"),
    (HeaderName::MinSe, "Min-SE"),
    (HeaderName::Event, "Event"),
    (HeaderName::SubscriptionState, "Subscription-State"),
    (HeaderName::Date, "Date"),
];

fn check_number(name: &str, value: &str, max: u64) -> Result<(), Error> {
    parse_decimal(trim_lws(value), max, 10)
        .map(|_| ())
        .ok_or_else(|| {
            bad_header(
                name,
                value,
                format!("it must be a decimal number from 0 to {max}"),
            )
        })
}

fn check_tokens(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Ok(());
    }
    for t in CommaSplit::new(value) {
        if !is_token(t) {
            return Err(bad_header(
                name,
                value,
                format!("list element {t:?} is not a token"),
            ));
        }
    }
    Ok(())
}

/// Checks one header value by its name's grammar.
fn check_header(name: HeaderName, value: &str) -> Result<(), Error> {
    let canonical = name.as_str();
    match name {
        HeaderName::Via => CommaSplit::new(value).try_for_each(|v| Via::parse(v).map(|_| ())),
        HeaderName::From | HeaderName::To | HeaderName::ReferTo | HeaderName::ReferredBy => {
            NameAddr::parse(value, canonical).map(|_| ())
        }
        HeaderName::Route | HeaderName::RecordRoute => {
            CommaSplit::new(value).try_for_each(|v| NameAddr::parse(v, canonical).map(|_| ()))
        }
        HeaderName::Contact => CommaSplit::new(value).try_for_each(|v| Contact::parse(v).map(|_| ())),
        HeaderName::CallId => check_call_id(value).map(|_| ()),
        HeaderName::CSeq => CSeq::parse(value).map(|_| ()),
        HeaderName::MaxForwards => check_number(canonical, value, 255),
        HeaderName::Expires | HeaderName::MinExpires | HeaderName::RSeq => {
            check_number(canonical, value, u64::from(u32::MAX))
        }
        HeaderName::ContentType => MediaType::parse(value).map(|_| ()),
        HeaderName::Allow
        | HeaderName::Supported
        | HeaderName::Require
        | HeaderName::ProxyRequire
        | HeaderName::Unsupported => check_tokens(canonical, value),
        HeaderName::Authorization
        | HeaderName::ProxyAuthorization
        | HeaderName::WwwAuthenticate
        | HeaderName::ProxyAuthenticate => Auth::parse(value, canonical).map(|_| ()),
        HeaderName::Reason => CommaSplit::new(value).try_for_each(|v| Reason::parse(v).map(|_| ())),
        HeaderName::Replaces => Replaces::parse(value).map(|_| ()),
        HeaderName::RAck => RAck::parse(value).map(|_| ()),
        HeaderName::SessionExpires => SessionExpires::parse(value).map(|_| ()),
        HeaderName::MinSe => parse_min_se(value).map(|_| ()),
        HeaderName::Event => Event::parse(value).map(|_| ()),
        HeaderName::SubscriptionState => SubscriptionState::parse(value).map(|_| ()),
        HeaderName::Date => check_date(value),
        _ => Ok(()),
    }
}

impl Message {
    /// Checks the message against RFC 3261 beyond framing: To, From, Call-ID, CSeq and
    /// at least one Via are present (the first four once); single-valued headers appear
    /// once; the Request-URI is a valid URI without headers; the CSeq method equals the
    /// request method; and every known header follows its grammar.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, canonical) in MANDATORY_ONCE {
            match self.header_values(name).count() {
                0 => return Err(Error::MissingHeader { name: canonical }),
                1 => {}
                count => {
                    return Err(Error::DuplicateHeader {
                        name: canonical,
                        count,
                    });
                }
            }
        }
        if self.header(HeaderName::Via).is_none() {
            return Err(Error::MissingHeader { name: "Via" });
        }
        for (name, canonical) in AT_MOST_ONCE {
            let count = self.header_values(name).count();
            if count > 1 {
                return Err(Error::DuplicateHeader {
                    name: canonical,
                    count,
                });
            }
        }
        for h in self.headers() {
            check_header(h.name, h.value)?;
        }
        if let (Some(method), Some(uri)) = (self.method(), self.request_uri_str()) {
            if let Uri::Sip(sip) = Uri::parse(uri)?
                && !sip.headers.is_empty()
            {
                return Err(Error::InvalidUri {
                    uri: crate::error::excerpt(uri),
                    reason: "a Request-URI must not carry URI headers ('?...'); RFC 3261 §19.1.1".to_owned(),
                });
            }
            let cseq = self.cseq()?;
            if cseq.method != method {
                return Err(Error::MethodMismatch {
                    request: crate::error::excerpt(method),
                    cseq: crate::error::excerpt(cseq.method),
                });
            }
        }
        Ok(())
    }

    /// A one-line description: kind, method or status, Call-ID, CSeq, counts.
    pub fn summary(&self) -> String {
        let first = match (self.method(), self.status_code()) {
            (Some(method), _) => format!("request {method} {}", self.request_uri_str().unwrap_or_default()),
            (None, Some(code)) => format!("response {code} {}", self.reason_phrase().unwrap_or_default()),
            (None, None) => String::new(),
        };
        let call_id = self.header(HeaderName::CallId).unwrap_or("-");
        let cseq = self.header(HeaderName::CSeq).map_or_else(
            || "-".to_owned(),
            |c| c.split_ascii_whitespace().collect::<Vec<_>>().join(" "),
        );
        format!(
            "{}; Call-ID {call_id}; CSeq {cseq}; {} headers; body {} bytes",
            first.trim_end(),
            self.header_count(),
            self.body().len()
        )
    }
}
