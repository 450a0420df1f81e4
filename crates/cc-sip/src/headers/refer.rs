//! `Refer-To` (RFC 3515, compact `r`) read for a transfer: the target URI and a
//! `Replaces` (RFC 3891) embedded in its header part, e.g.
//! `<sip:carol@example.com?Replaces=12345%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>`.

use crate::error::{Error, bad_header};
use crate::message::Message;

use super::HeaderName;
use super::name_addr::NameAddr;
use super::replaces::Replaces;

/// A Refer-To value: the address, its target without URI headers, and the Replaces
/// embedded in it (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferTo<'a> {
    /// The address as written.
    pub address: NameAddr<'a>,
}

/// `true` for the bytes RFC 3261 allows unescaped in URI header values (`unreserved`).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

/// Percent-decodes `s` (`%XX` escapes); `None` when an escape is broken or the result
/// is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes `s` for a URI header value: every byte but `unreserved` escaped.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The Refer-To value for `target` (a URI without headers), with `replaces` (a
/// Replaces value such as `call-id;to-tag=a;from-tag=b`) embedded when given.
pub fn refer_to_value(target: &str, replaces: Option<&str>) -> String {
    match replaces {
        Some(r) => format!("<{target}?Replaces={}>", percent_encode(r)),
        None => format!("<{target}>"),
    }
}

impl<'a> ReferTo<'a> {
    /// Parses a Refer-To value (a name-addr or addr-spec with parameters).
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let address = NameAddr::parse(value, "Refer-To")?;
        let refer = Self { address };
        // A broken embedded Replaces makes the whole value unusable for a transfer.
        refer.replaces()?;
        Ok(refer)
    }

    /// The target URI without its header part (`?...`).
    pub fn target(&self) -> &'a str {
        let uri = self.address.uri.as_str();
        uri.split_once('?').map_or(uri, |(t, _)| t)
    }

    /// The Replaces embedded in the URI, percent-decoded and checked, if any.
    pub fn replaces(&self) -> Result<Option<String>, Error> {
        let Some(sip) = self.address.uri.as_sip() else {
            return Ok(None);
        };
        let Some((_, raw)) = sip
            .header_pairs()
            .find(|(name, _)| name.eq_ignore_ascii_case("Replaces"))
        else {
            return Ok(None);
        };
        let fail = |reason: &str| bad_header("Refer-To", self.address.uri.as_str(), reason.to_owned());
        let decoded =
            percent_decode(raw).ok_or_else(|| fail("the embedded Replaces has a broken %-escape"))?;
        Replaces::parse(&decoded)
            .map_err(|_| fail("the embedded Replaces must be call-id;to-tag=...;from-tag=... (RFC 3891)"))?;
        Ok(Some(decoded))
    }
}

impl Message {
    /// The Refer-To header read for a transfer ([`ReferTo`]), if present.
    pub fn refer(&self) -> Result<Option<ReferTo<'_>>, Error> {
        self.header(HeaderName::ReferTo).map(ReferTo::parse).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blind_target() {
        let r = ReferTo::parse("<sip:carol@example.com>").unwrap();
        assert_eq!(r.target(), "sip:carol@example.com");
        assert_eq!(r.replaces().unwrap(), None);
    }

    #[test]
    fn an_attended_target_carries_replaces() {
        let value = refer_to_value("sip:carol@example.com", Some("12345@host;to-tag=1;from-tag=2"));
        assert_eq!(
            value,
            "<sip:carol@example.com?Replaces=12345%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>"
        );
        let r = ReferTo::parse(&value).unwrap();
        assert_eq!(r.target(), "sip:carol@example.com");
        assert_eq!(
            r.replaces().unwrap().as_deref(),
            Some("12345@host;to-tag=1;from-tag=2")
        );
    }

    #[test]
    fn broken_values_are_errors() {
        for bad in [
            "",
            "<sip:carol@example.com",
            "<sip:c@h?Replaces=abc%4>",
            "<sip:c@h?Replaces=abc%3Bto-tag%3D1>",
            "<sip:c@h?Replaces=%FF%FE>",
        ] {
            assert!(ReferTo::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn percent_round_trip() {
        let s = "a b;c=d@e%f";
        assert_eq!(percent_decode(&percent_encode(s)).as_deref(), Some(s));
        assert_eq!(percent_decode("%zz"), None);
    }
}
