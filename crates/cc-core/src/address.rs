//! Where a party can be reached: E.164 phone numbers, SIP/SIPS URIs, and the [`Party`]
//! that pairs an address with a display name.
//!
//! These are owned, validated values for configuration, contacts and records. The SIP
//! stack parses its wire messages into its own zero-copy views and converts to these at
//! the boundary.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, excerpt};

/// A phone number in E.164 form: `+`, a country code, then the national number, 15 digits
/// at most in all (e.g. `+861012345678`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(Box<str>);

/// Visual separators that people and carriers put in numbers (RFC 3966 `visual-separator`).
fn is_visual_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')')
}

impl PhoneNumber {
    /// Parses a number already in international form: `+` then 2 to 15 digits, the first
    /// not `0`. Spaces, `-`, `.` and parentheses between digits are ignored.
    pub fn parse_e164(input: &str) -> Result<Self, Error> {
        let fail = |reason: &str| Error::InvalidPhoneNumber {
            value: excerpt(input),
            reason: reason.to_owned(),
        };
        let Some(rest) = input.trim().strip_prefix('+') else {
            return Err(fail(
                "an E.164 number starts with '+' and the country code, e.g. +861012345678",
            ));
        };
        let mut digits = String::with_capacity(16);
        digits.push('+');
        for c in rest.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !is_visual_separator(c) {
                return Err(fail(&format!(
                    "character {c:?} is not a digit; only digits and the separators ' - . ( ) may follow '+'"
                )));
            }
        }
        let count = digits.len() - 1;
        if count < 2 {
            return Err(fail("it has fewer than 2 digits; E.164 numbers have 2 to 15"));
        }
        if count > 15 {
            return Err(fail(&format!("it has {count} digits; E.164 allows at most 15")));
        }
        if digits.as_bytes()[1] == b'0' {
            return Err(fail("country codes never start with 0"));
        }
        Ok(Self(digits.into_boxed_str()))
    }

    /// Normalizes a number as dialled in a country whose calling code is `country_code`
    /// (86 for China, 44 for the UK...), using the common ITU conventions:
    /// `+...` is already international; `00...` is the international prefix; a leading
    /// `0` is the national trunk prefix and is dropped; any other number is national
    /// without trunk prefix (e.g. Chinese mobiles `138...`).
    ///
    /// Countries with other prefixes (011 in North America) should pass numbers through
    /// their own dial plan first.
    pub fn normalize(input: &str, country_code: u16) -> Result<Self, Error> {
        let trimmed = input.trim();
        if trimmed.starts_with('+') {
            return Self::parse_e164(trimmed);
        }
        if !(1..=999).contains(&country_code) {
            return Err(Error::InvalidPhoneNumber {
                value: excerpt(input),
                reason: format!("country code {country_code} is outside 1..=999"),
            });
        }
        let compact: String = trimmed.chars().filter(|&c| !is_visual_separator(c)).collect();
        let international = if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else if let Some(rest) = compact.strip_prefix('0') {
            format!("+{country_code}{rest}")
        } else {
            format!("+{country_code}{compact}")
        };
        Self::parse_e164(&international).map_err(|_| Error::InvalidPhoneNumber {
            value: excerpt(input),
            reason: format!(
                "it is not a dialable number for country code {country_code}; expected digits, \
                 optionally with a leading 00 or 0, giving at most 15 digits in E.164 form"
            ),
        })
    }

    /// The number with its leading `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

impl FromStr for PhoneNumber {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse_e164(s)
    }
}

/// The host part of a SIP URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, kept as written.
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written in brackets in a URI).
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A `sip:` or `sips:` URI (RFC 3261 §19.1), e.g. `sip:1001@pbx.example.com:5060;transport=tcp`.
///
/// The user part, parameters and headers are kept as written (escaped form); the host is
/// parsed. Comparison is textual after parsing, not the full RFC 3261 §19.1.4 equivalence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri {
    /// `true` for `sips:`.
    pub secure: bool,
    /// The user part (with `:password` if one was given), escaped as written.
    pub user: Option<String>,
    /// The host.
    pub host: Host,
    /// The port, if given.
    pub port: Option<u16>,
    /// URI parameters (`;name` or `;name=value`), in order.
    pub params: Vec<(String, Option<String>)>,
    /// URI headers (`?name=value&...`), in order.
    pub headers: Vec<(String, String)>,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

/// Checks that every byte satisfies `allowed` or is part of a `%HH` escape.
fn check_escaped(part: &str, allowed: fn(u8) -> bool) -> Result<(), String> {
    let bytes = part.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let ok =
                bytes.len() > i + 2 && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(format!(
                    "'%' at byte {i} of {part:?} is not followed by two hex digits"
                ));
            }
            i += 3;
        } else if allowed(b) {
            i += 1;
        } else {
            let ch = part[i..].chars().next().unwrap_or('?');
            return Err(format!(
                "character {ch:?} is not allowed in {part:?}; escape it as %HH"
            ));
        }
    }
    Ok(())
}

fn user_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/' | b':')
}

fn param_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}

fn header_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}

fn parse_host(text: &str) -> Result<Host, String> {
    if let Some(inner) = text.strip_prefix('[') {
        let Some(addr) = inner.strip_suffix(']') else {
            return Err(format!("IPv6 reference {text:?} lacks its closing ']'"));
        };
        return addr
            .parse::<Ipv6Addr>()
            .map(Host::Ipv6)
            .map_err(|_| format!("{addr:?} is not an IPv6 address"));
    }
    if text.is_empty() {
        return Err("the host is empty".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return text
            .parse::<Ipv4Addr>()
            .map(Host::Ipv4)
            .map_err(|_| format!("{text:?} looks numeric but is not an IPv4 address"));
    }
    let labels_ok = text.trim_end_matches('.').split('.').all(|label| {
        !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    if !labels_ok {
        return Err(format!(
            "host {text:?} is not a domain name (labels of letters, digits and inner '-', separated by '.')"
        ));
    }
    Ok(Host::Domain(text.to_owned()))
}

impl SipUri {
    /// Parses a SIP or SIPS URI. The scheme is case-insensitive.
    pub fn parse(input: &str) -> Result<Self, Error> {
        Self::parse_inner(input).map_err(|reason| Error::InvalidSipUri {
            value: excerpt(input),
            reason,
        })
    }

    fn parse_inner(input: &str) -> Result<Self, String> {
        let (scheme, rest) = input
            .split_once(':')
            .ok_or_else(|| "a SIP URI starts with 'sip:' or 'sips:'".to_owned())?;
        let secure = if scheme.eq_ignore_ascii_case("sip") {
            false
        } else if scheme.eq_ignore_ascii_case("sips") {
            true
        } else {
            return Err(format!("scheme {scheme:?} is not 'sip' or 'sips'"));
        };
        let (user, rest) = match rest.split_once('@') {
            Some((user, rest)) => {
                if user.is_empty() {
                    return Err("the user part before '@' is empty".to_owned());
                }
                check_escaped(user, user_char)?;
                (Some(user.to_owned()), rest)
            }
            None => (None, rest),
        };
        let (before_headers, header_text) = match rest.split_once('?') {
            Some((a, b)) => (a, Some(b)),
            None => (rest, None),
        };
        let mut parts = before_headers.split(';');
        let hostport = parts.next().unwrap_or_default();
        let (host_text, port) = split_host_port(hostport)?;
        let host = parse_host(host_text)?;
        let mut params = Vec::new();
        for param in parts {
            let (name, value) = match param.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (param, None),
            };
            if name.is_empty() {
                return Err("a URI parameter has an empty name".to_owned());
            }
            check_escaped(name, param_char)?;
            if let Some(v) = value {
                check_escaped(v, param_char)?;
            }
            params.push((name.to_owned(), value.map(str::to_owned)));
        }
        let mut headers = Vec::new();
        if let Some(text) = header_text {
            for header in text.split('&') {
                let (name, value) = header
                    .split_once('=')
                    .ok_or_else(|| format!("URI header {header:?} lacks '='"))?;
                if name.is_empty() {
                    return Err("a URI header has an empty name".to_owned());
                }
                check_escaped(name, header_char)?;
                check_escaped(value, header_char)?;
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(Self {
            secure,
            user,
            host,
            port,
            params,
            headers,
        })
    }

    /// The value of URI parameter `name` (case-insensitive name); `Some(None)` for a flag
    /// parameter such as `;lr`.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), String> {
    let port_text = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(end) => {
                let after = &hostport[end + 1..];
                if after.is_empty() {
                    return Ok((hostport, None));
                }
                let Some(port) = after.strip_prefix(':') else {
                    return Err(format!("unexpected {after:?} after the IPv6 reference"));
                };
                (&hostport[..=end], port)
            }
            None => return Err(format!("IPv6 reference {hostport:?} lacks its closing ']'")),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => return Ok((hostport, None)),
        }
    };
    let (host, port) = port_text;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {port:?} is not a number from 0 to 65535"));
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
    Ok((host, Some(port)))
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for (name, value) in &self.params {
            match value {
                Some(v) => write!(f, ";{name}={v}")?,
                None => write!(f, ";{name}")?,
            }
        }
        for (i, (name, value)) in self.headers.iter().enumerate() {
            write!(f, "{}{name}={value}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

impl FromStr for SipUri {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// Where a party is reached: a phone number or a SIP URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A phone number (`tel:+86...` or bare `+86...`).
    Tel(PhoneNumber),
    /// A SIP or SIPS URI.
    Sip(SipUri),
}

impl Address {
    /// Parses `tel:+...`, `sip:...`, `sips:...` or a bare E.164 number `+...`.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let trimmed = input.trim();
        if let Some(number) = trimmed
            .get(..4)
            .filter(|scheme| scheme.eq_ignore_ascii_case("tel:"))
            .map(|_| &trimmed[4..])
        {
            return PhoneNumber::parse_e164(number).map(Address::Tel);
        }
        if trimmed.starts_with('+') {
            return PhoneNumber::parse_e164(trimmed).map(Address::Tel);
        }
        if trimmed.contains(':') {
            return SipUri::parse(trimmed).map(Address::Sip);
        }
        Err(Error::invalid_value(
            "address",
            input,
            "expected a 'sip:' or 'sips:' URI, a 'tel:' URI or an E.164 number starting with '+'",
        ))
    }

    /// The phone number this address names: the number itself, or a SIP URI whose user
    /// part is an E.164 number (`sip:+8610...@carrier`).
    pub fn phone_number(&self) -> Option<PhoneNumber> {
        match self {
            Address::Tel(n) => Some(n.clone()),
            Address::Sip(uri) => {
                let user = uri.user.as_deref()?;
                let number = user.split([';', ':']).next()?;
                PhoneNumber::parse_e164(number).ok()
            }
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tel(n) => write!(f, "tel:{n}"),
            Address::Sip(u) => write!(f, "{u}"),
        }
    }
}

impl FromStr for Address {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

macro_rules! serde_via_text {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
serde_via_text!(PhoneNumber, SipUri, Address);

/// One side of a contact: an address and, if known, a display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Party {
    /// The display name (`"Zhang San" <sip:...>`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Where the party is reached.
    pub address: Address,
}

impl Party {
    /// A party with no display name.
    pub fn new(address: Address) -> Self {
        Self {
            display_name: None,
            address,
        }
    }

    /// Sets the display name.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.display_name {
            Some(name) => write!(f, "{name:?} <{}>", self.address),
            None => write!(f, "<{}>", self.address),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn e164_accepts_separators_and_rejects_the_rest() {
        assert_eq!(
            PhoneNumber::parse_e164("+86 10 1234-5678").unwrap().as_str(),
            "+861012345678"
        );
        assert_eq!(
            PhoneNumber::parse_e164("+1 (212) 555.0100").unwrap().digits(),
            "12125550100"
        );
        let no_plus = PhoneNumber::parse_e164("861012345678").unwrap_err().to_string();
        assert!(no_plus.contains("starts with '+'"), "{no_plus}");
        let letters = PhoneNumber::parse_e164("+86abc").unwrap_err().to_string();
        assert!(letters.contains("'a' is not a digit"), "{letters}");
        let long = PhoneNumber::parse_e164("+1234567890123456")
            .unwrap_err()
            .to_string();
        assert!(long.contains("16 digits"), "{long}");
        assert!(PhoneNumber::parse_e164("+0123").is_err());
        assert!(PhoneNumber::parse_e164("+").is_err());
    }

    #[test]
    fn normalize_follows_itu_prefixes() {
        let n = |s| PhoneNumber::normalize(s, 86).unwrap().to_string();
        assert_eq!(n("010-1234 5678"), "+861012345678");
        assert_eq!(n("13800138000"), "+8613800138000");
        assert_eq!(n("0044 20 7946 0000"), "+442079460000");
        assert_eq!(n("+852 2123 4567"), "+85221234567");
        let bad = PhoneNumber::normalize("12ab", 86).unwrap_err().to_string();
        assert!(bad.contains("\"12ab\""), "{bad}");
        assert!(PhoneNumber::normalize("123", 1000).is_err());
    }

    #[test]
    fn sip_uris_parse_and_print_back() {
        for text in [
            "sip:1001@pbx.example.com",
            "sips:alice:secret@example.com:5061;transport=tcp;lr?subject=project&priority=urgent",
            "sip:+8613800138000;phone-context=+86@10.0.0.1:5060;user=phone",
            "sip:[2001:db8::10]:5070",
            "sip:[::1]",
            "sip:carrier.example.net;maddr=192.0.2.1",
            "sip:%61lice@atlanta.com;transport=TCP",
        ] {
            let uri = SipUri::parse(text).unwrap();
            assert_eq!(uri.to_string(), text);
        }
        let uri = SipUri::parse("SIP:bob@[2001:db8::1]:5080;lr").unwrap();
        assert_eq!(uri.host, Host::Ipv6("2001:db8::1".parse().unwrap()));
        assert_eq!(uri.port, Some(5080));
        assert_eq!(uri.param("LR"), Some(None));
    }

    #[test]
    fn bad_uris_say_why() {
        let cases = [
            ("http://x", "scheme"),
            ("sip:@host", "user part"),
            ("sip:bob@", "host is empty"),
            ("sip:bob@host:99999", "port"),
            ("sip:bob@[::1", "closing ']'"),
            ("sip:bob@[zz]", "IPv6"),
            ("sip:bob@ho st", "domain name"),
            ("sip:b ob@host", "not allowed"),
            ("sip:bob@host;=x", "empty name"),
            ("sip:bob@host?x", "lacks '='"),
            ("sip:bob%2@host", "two hex digits"),
            ("sip:bob@1.2.3.999", "IPv4"),
        ];
        for (text, expected) in cases {
            let err = SipUri::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn address_accepts_tel_sip_and_bare_numbers() {
        assert!(matches!(
            Address::parse("tel:+861012345678").unwrap(),
            Address::Tel(_)
        ));
        assert!(matches!(
            Address::parse("+861012345678").unwrap(),
            Address::Tel(_)
        ));
        let sip = Address::parse("sip:+8613800138000@carrier.example;user=phone").unwrap();
        assert_eq!(sip.phone_number().unwrap().as_str(), "+8613800138000");
        assert!(Address::parse("alice").is_err());
        let json = serde_json::to_string(&sip).unwrap();
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), sip);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = SipUri::parse(&s);
            let _ = Address::parse(&s);
            let _ = PhoneNumber::parse_e164(&s);
            let _ = PhoneNumber::normalize(&s, 86);
        }

        #[test]
        fn uri_like_text_never_panics(s in "(sips?|SIP|tel):[a-z0-9@:;=?&%\\[\\].+-]{0,40}") {
            if let Ok(uri) = SipUri::parse(&s) {
                prop_assert_eq!(SipUri::parse(&uri.to_string()).unwrap(), uri);
            }
            let _ = Address::parse(&s);
        }

        #[test]
        fn generated_uris_round_trip(
            user in proptest::option::of("[a-z0-9+]{1,10}"),
            host in "[a-z]{1,8}(\\.[a-z]{2,5}){0,2}",
            port in proptest::option::of(any::<u16>()),
            params in proptest::collection::vec(("[a-z]{1,6}", proptest::option::of("[a-z0-9]{1,6}")), 0..3),
        ) {
            let uri = SipUri { secure: false, user, host: Host::Domain(host), port, params, headers: vec![] };
            prop_assert_eq!(SipUri::parse(&uri.to_string()).unwrap(), uri);
        }

        #[test]
        fn valid_e164_round_trips(cc in 1u32..999, rest in "[0-9]{4,10}") {
            let text = format!("+{cc}{rest}");
            let n = PhoneNumber::parse_e164(&text).unwrap();
            prop_assert_eq!(n.to_string(), text);
        }
    }
}
