//! Header names: the ones cc-sip knows, their canonical spelling and compact forms
//! (RFC 3261 §7.3.3 and the IANA SIP parameters registry).

/// A header name. Known headers get their own variant so that lookups compare a byte,
/// not a string; names match case-insensitively and compact forms map to the long name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderName {
    /// `Accept`.
    Accept,
    /// `Accept-Contact` (`a`).
    AcceptContact,
    /// `Allow`.
    Allow,
    /// `Allow-Events` (`u`).
    AllowEvents,
    /// `Authorization`.
    Authorization,
    /// `Call-ID` (`i`).
    CallId,
    /// `Contact` (`m`).
    Contact,
    /// `Content-Encoding` (`e`).
    ContentEncoding,
    /// `Content-Length` (`l`).
    ContentLength,
    /// `Content-Type` (`c`).
    ContentType,
    /// `CSeq`.
    CSeq,
    /// `Date`.
    Date,
    /// `Event` (`o`).
    Event,
    /// `Expires`.
    Expires,
    /// `From` (`f`).
    From,
    /// `Identity` (`y`).
    Identity,
    /// `Identity-Info` (`n`).
    IdentityInfo,
    /// `Max-Forwards`.
    MaxForwards,
    /// `Min-Expires`.
    MinExpires,
    /// `Min-SE` (RFC 4028).
    MinSe,
    /// `Proxy-Authenticate`.
    ProxyAuthenticate,
    /// `Proxy-Authorization`.
    ProxyAuthorization,
    /// `Proxy-Require`.
    ProxyRequire,
    /// `RAck`.
    RAck,
    /// `Reason`.
    Reason,
    /// `Record-Route`.
    RecordRoute,
    /// `Refer-To` (`r`).
    ReferTo,
    /// `Referred-By` (`b`).
    ReferredBy,
    /// `Reject-Contact` (`j`).
    RejectContact,
    /// `Replaces`.
    Replaces,
    /// `Request-Disposition` (`d`).
    RequestDisposition,
    /// `Require`.
    Require,
    /// `Route`.
    Route,
    /// `RSeq`.
    RSeq,
    /// `Server`.
    Server,
    /// `Session-Expires` (`x`).
    SessionExpires,
    /// `Subject` (`s`).
    Subject,
    /// `Subscription-State` (RFC 6665).
    SubscriptionState,
    /// `Supported` (`k`).
    Supported,
    /// `To` (`t`).
    To,
    /// `Unsupported`.
    Unsupported,
    /// `User-Agent`.
    UserAgent,
    /// `Via` (`v`).
    Via,
    /// `WWW-Authenticate`.
    WwwAuthenticate,
    /// Any other header; compare by the name as written.
    Other,
}

/// Long names, in the spelling cc-sip writes.
const LONG: &[(&str, HeaderName)] = &[
    ("Via", HeaderName::Via),
    ("From", HeaderName::From),
    ("To", HeaderName::To),
    ("Call-ID", HeaderName::CallId),
    ("CSeq", HeaderName::CSeq),
    ("Contact", HeaderName::Contact),
    ("Max-Forwards", HeaderName::MaxForwards),
    ("Content-Length", HeaderName::ContentLength),
    ("Content-Type", HeaderName::ContentType),
    ("Route", HeaderName::Route),
    ("Record-Route", HeaderName::RecordRoute),
    ("Allow", HeaderName::Allow),
    ("Supported", HeaderName::Supported),
    ("Require", HeaderName::Require),
    ("Proxy-Require", HeaderName::ProxyRequire),
    ("Unsupported", HeaderName::Unsupported),
    ("Expires", HeaderName::Expires),
    ("Min-Expires", HeaderName::MinExpires),
    ("Authorization", HeaderName::Authorization),
    ("WWW-Authenticate", HeaderName::WwwAuthenticate),
    ("Proxy-Authenticate", HeaderName::ProxyAuthenticate),
    ("Proxy-Authorization", HeaderName::ProxyAuthorization),
    ("Reason", HeaderName::Reason),
    ("Refer-To", HeaderName::ReferTo),
    ("Referred-By", HeaderName::ReferredBy),
    ("Replaces", HeaderName::Replaces),
    ("RSeq", HeaderName::RSeq),
    ("RAck", HeaderName::RAck),
    ("Subject", HeaderName::Subject),
    ("Event", HeaderName::Event),
    ("Allow-Events", HeaderName::AllowEvents),
    ("Session-Expires", HeaderName::SessionExpires),
    ("Min-SE", HeaderName::MinSe),
    ("Subscription-State", HeaderName::SubscriptionState),
    ("Accept", HeaderName::Accept),
    ("Accept-Contact", HeaderName::AcceptContact),
    ("Reject-Contact", HeaderName::RejectContact),
    ("Request-Disposition", HeaderName::RequestDisposition),
    ("Content-Encoding", HeaderName::ContentEncoding),
    ("Identity", HeaderName::Identity),
    ("Identity-Info", HeaderName::IdentityInfo),
    ("Date", HeaderName::Date),
    ("User-Agent", HeaderName::UserAgent),
    ("Server", HeaderName::Server),
];

/// The long names of length `len`, so that a lookup compares few strings.
fn by_length(len: usize) -> &'static [(&'static str, HeaderName)] {
    match len {
        2 => &[("To", HeaderName::To)],
        3 => &[("Via", HeaderName::Via)],
        4 => &[
            ("From", HeaderName::From),
            ("CSeq", HeaderName::CSeq),
            ("RSeq", HeaderName::RSeq),
            ("RAck", HeaderName::RAck),
            ("Date", HeaderName::Date),
        ],
        5 => &[
            ("Route", HeaderName::Route),
            ("Allow", HeaderName::Allow),
            ("Event", HeaderName::Event),
        ],
        6 => &[
            ("Reason", HeaderName::Reason),
            ("Accept", HeaderName::Accept),
            ("Server", HeaderName::Server),
            ("Min-SE", HeaderName::MinSe),
        ],
        7 => &[
            ("Call-ID", HeaderName::CallId),
            ("Contact", HeaderName::Contact),
            ("Require", HeaderName::Require),
            ("Expires", HeaderName::Expires),
            ("Subject", HeaderName::Subject),
        ],
        8 => &[
            ("Refer-To", HeaderName::ReferTo),
            ("Replaces", HeaderName::Replaces),
            ("Identity", HeaderName::Identity),
        ],
        9 => &[("Supported", HeaderName::Supported)],
        10 => &[("User-Agent", HeaderName::UserAgent)],
        11 => &[
            ("Unsupported", HeaderName::Unsupported),
            ("Min-Expires", HeaderName::MinExpires),
            ("Referred-By", HeaderName::ReferredBy),
        ],
        12 => &[
            ("Max-Forwards", HeaderName::MaxForwards),
            ("Content-Type", HeaderName::ContentType),
            ("Record-Route", HeaderName::RecordRoute),
            ("Allow-Events", HeaderName::AllowEvents),
        ],
        13 => &[
            ("Proxy-Require", HeaderName::ProxyRequire),
            ("Authorization", HeaderName::Authorization),
            ("Identity-Info", HeaderName::IdentityInfo),
        ],
        14 => &[
            ("Content-Length", HeaderName::ContentLength),
            ("Accept-Contact", HeaderName::AcceptContact),
            ("Reject-Contact", HeaderName::RejectContact),
        ],
        15 => &[("Session-Expires", HeaderName::SessionExpires)],
        16 => &[
            ("WWW-Authenticate", HeaderName::WwwAuthenticate),
            ("Content-Encoding", HeaderName::ContentEncoding),
        ],
        18 => &[
            ("Proxy-Authenticate", HeaderName::ProxyAuthenticate),
            ("Subscription-State", HeaderName::SubscriptionState),
        ],
        19 => &[
            ("Proxy-Authorization", HeaderName::ProxyAuthorization),
            ("Request-Disposition", HeaderName::RequestDisposition),
        ],
        _ => &[],
    }
}

impl HeaderName {
    /// Classifies a header name as written (case-insensitive; compact forms accepted).
    pub fn from_name(name: &str) -> Self {
        if let [b] = name.as_bytes() {
            return Self::from_compact(*b);
        }
        by_length(name.len())
            .iter()
            .find(|(long, _)| long.eq_ignore_ascii_case(name))
            .map_or(HeaderName::Other, |&(_, h)| h)
    }

    /// The header a compact form (one letter, any case) stands for.
    fn from_compact(b: u8) -> Self {
        match b.to_ascii_lowercase() {
            b'a' => HeaderName::AcceptContact,
            b'b' => HeaderName::ReferredBy,
            b'c' => HeaderName::ContentType,
            b'd' => HeaderName::RequestDisposition,
            b'e' => HeaderName::ContentEncoding,
            b'f' => HeaderName::From,
            b'i' => HeaderName::CallId,
            b'j' => HeaderName::RejectContact,
            b'k' => HeaderName::Supported,
            b'l' => HeaderName::ContentLength,
            b'm' => HeaderName::Contact,
            b'n' => HeaderName::IdentityInfo,
            b'o' => HeaderName::Event,
            b'r' => HeaderName::ReferTo,
            b's' => HeaderName::Subject,
            b't' => HeaderName::To,
            b'u' => HeaderName::AllowEvents,
            b'v' => HeaderName::Via,
            b'x' => HeaderName::SessionExpires,
            b'y' => HeaderName::Identity,
            _ => HeaderName::Other,
        }
    }

    /// The canonical long name (`"Other"` for [`HeaderName::Other`]).
    pub fn as_str(self) -> &'static str {
        LONG.iter()
            .find(|(_, h)| *h == self)
            .map_or("Other", |(long, _)| long)
    }

    /// The compact form, for headers that have one.
    pub fn compact(self) -> Option<char> {
        (b'a'..=b'z')
            .find(|&b| b != b'g' && Self::from_compact(b) == self && self != HeaderName::Other)
            .map(char::from)
    }

    /// `true` for headers whose value is a comma-separated list that may also be split
    /// over several header lines (RFC 3261 §7.3.1).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            HeaderName::Via
                | HeaderName::Contact
                | HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Allow
                | HeaderName::Supported
                | HeaderName::Require
                | HeaderName::ProxyRequire
                | HeaderName::Unsupported
                | HeaderName::Accept
                | HeaderName::AllowEvents
                | HeaderName::Reason
                | HeaderName::ContentEncoding
                | HeaderName::AcceptContact
                | HeaderName::RejectContact
        )
    }
}

impl std::fmt::Display for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_case_insensitively_and_compact() {
        assert_eq!(HeaderName::from_name("MaX-fOrWaRdS"), HeaderName::MaxForwards);
        assert_eq!(HeaderName::from_name("i"), HeaderName::CallId);
        assert_eq!(HeaderName::from_name("V"), HeaderName::Via);
        assert_eq!(HeaderName::from_name("C%6Fntact"), HeaderName::Other);
        assert_eq!(HeaderName::from_name("g"), HeaderName::Other);
    }

    #[test]
    fn every_long_name_is_found_by_length() {
        for (long, h) in LONG {
            assert_eq!(HeaderName::from_name(long), *h, "{long}");
            assert_eq!(HeaderName::from_name(&long.to_ascii_uppercase()), *h, "{long}");
        }
    }

    #[test]
    fn every_compact_form_round_trips() {
        for c in "abcdefijklmnorstuvxy".chars() {
            let h = HeaderName::from_name(&c.to_string());
            assert_ne!(h, HeaderName::Other, "{c}");
            assert_eq!(h.compact(), Some(c));
            assert_eq!(HeaderName::from_name(h.as_str()), h);
        }
        assert_eq!(HeaderName::CSeq.compact(), None);
    }
}
