//! URIs as they appear in SIP messages: `sip:`/`sips:` (RFC 3261 §19.1, IPv6 references
//! per RFC 5118), `tel:` (RFC 3966) and any other absolute URI (RFC 3986), as zero-copy
//! views into the message.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, bad_uri};

/// A URI from a message: a SIP/SIPS URI, a tel URI, or another absolute URI kept opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uri<'a> {
    /// `sip:` or `sips:`.
    Sip(SipUriRef<'a>),
    /// `tel:`.
    Tel(TelUri<'a>),
    /// Any other scheme (`im:`, `http:`, `urn:`...), kept as written.
    Other {
        /// The scheme, as written.
        scheme: &'a str,
        /// The whole URI as written.
        raw: &'a str,
    },
}

/// A SIP or SIPS URI, split into its parts as written (escapes are not resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUriRef<'a> {
    raw: &'a str,
    /// `true` for `sips:`.
    pub secure: bool,
    /// The user part, if any.
    pub user: Option<&'a str>,
    /// The password after `user:`, if any.
    pub password: Option<&'a str>,
    /// The host: a domain name, an IPv4 address, or an IPv6 reference with brackets.
    pub host: &'a str,
    /// The port, if written.
    pub port: Option<u16>,
    /// The URI parameters as written, each starting with `;`.
    pub params: &'a str,
    /// The URI headers as written after `?`, or empty.
    pub headers: &'a str,
}

/// A tel URI (RFC 3966): the number as written and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelUri<'a> {
    raw: &'a str,
    /// The number, e.g. `+86-10-1234-5678` or a local number.
    pub number: &'a str,
    /// The parameters as written, each starting with `;`.
    pub params: &'a str,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

fn user_byte(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/')
}

fn password_byte(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',')
}

fn param_byte(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}

fn header_byte(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}

fn uric_byte(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b';' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b',' | b'#' | b'[' | b']'
        )
}

/// Checks that `part` holds only `allowed` bytes and well-formed `%HH` escapes.
fn check_escaped(part: &str, allowed: fn(u8) -> bool, what: &str) -> Result<(), String> {
    let bytes = part.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(format!("'%' in the {what} is not followed by two hex digits"));
            }
            i += 3;
        } else if allowed(b) {
            i += 1;
        } else {
            let ch = part.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
            return Err(format!(
                "character {ch:?} is not allowed in the {what}; escape it as %HH"
            ));
        }
    }
    Ok(())
}

/// Checks a host: `[IPv6]`, dotted IPv4, or a domain name.
pub(crate) fn check_host(host: &str) -> Result<(), String> {
    if let Some(inner) = host.strip_prefix('[') {
        let addr = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("IPv6 reference {host:?} lacks its closing ']'"))?;
        return addr
            .parse::<Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("{addr:?} inside brackets is not an IPv6 address"));
    }
    if host.is_empty() {
        return Err("the host is empty".to_owned());
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host
            .parse::<Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| format!("{host:?} looks numeric but is not an IPv4 address"));
    }
    if host.contains(':') {
        return Err(format!(
            "IPv6 address {host:?} must be written in brackets, e.g. [2001:db8::1]"
        ));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(format!(
            "host {host:?} is not a domain name (letters, digits, '-' and '.')"
        ));
    }
    Ok(())
}

/// Splits `host[:port]`, handling IPv6 references.
pub(crate) fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if hostport.starts_with('[') {
        let end = hostport
            .find(']')
            .ok_or_else(|| format!("IPv6 reference in {hostport:?} lacks its closing ']'"))?;
        let (host, after) = hostport.split_at(end + 1);
        if after.is_empty() {
            (host, None)
        } else {
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| format!("unexpected {after:?} after the IPv6 reference"))?;
            (host, Some(port))
        }
    } else if hostport.bytes().filter(|&b| b == b':').count() > 1 {
        return Err(format!(
            "IPv6 address in {hostport:?} must be written in brackets, e.g. [2001:db8::1]:5060"
        ));
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    check_host(host)?;
    let port = match port {
        None => None,
        Some(p) => Some(
            super::text::parse_decimal(p, u64::from(u16::MAX), 5)
                .map(|v| v as u16)
                .ok_or_else(|| format!("port {p:?} is not a number from 0 to 65535"))?,
        ),
    };
    Ok((host, port))
}

fn check_uri_params(params: &str) -> Result<(), String> {
    for param in params.split(';').skip(1) {
        let (name, value) = match param.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (param, None),
        };
        if name.is_empty() {
            return Err("a URI parameter has an empty name".to_owned());
        }
        check_escaped(name, param_byte, "URI parameter name")?;
        if let Some(v) = value {
            check_escaped(v, param_byte, "URI parameter value")?;
        }
    }
    Ok(())
}

impl<'a> Uri<'a> {
    /// Parses a URI; the whole of `raw` must be the URI (no white space around it).
    pub fn parse(raw: &'a str) -> Result<Self, Error> {
        let (scheme, rest) = raw.split_once(':').ok_or_else(|| {
            bad_uri(
                raw,
                "a URI starts with a scheme and ':', e.g. sip:alice@example.com",
            )
        })?;
        let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(bad_uri(
                raw,
                format!("scheme {scheme:?} is not letters, digits, '+', '-' or '.'"),
            ));
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            let secure = scheme.len() == 4;
            return SipUriRef::parse_parts(raw, secure, rest)
                .map(Uri::Sip)
                .map_err(|r| bad_uri(raw, r));
        }
        if scheme.eq_ignore_ascii_case("tel") {
            return TelUri::parse_parts(raw, rest)
                .map(Uri::Tel)
                .map_err(|r| bad_uri(raw, r));
        }
        if rest.is_empty() {
            return Err(bad_uri(raw, "nothing follows the scheme"));
        }
        check_escaped(rest, uric_byte, "URI").map_err(|r| bad_uri(raw, r))?;
        Ok(Uri::Other { scheme, raw })
    }

    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        match self {
            Uri::Sip(u) => u.raw,
            Uri::Tel(t) => t.raw,
            Uri::Other { raw, .. } => raw,
        }
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUriRef<'a>> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }
}

impl<'a> SipUriRef<'a> {
    fn parse_parts(raw: &'a str, secure: bool, rest: &'a str) -> Result<Self, String> {
        let (userinfo, hostpart) = match rest.split_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                if user.is_empty() {
                    return Err("the user part before '@' is empty".to_owned());
                }
                check_escaped(user, user_byte, "user part")?;
                if let Some(p) = password {
                    check_escaped(p, password_byte, "password")?;
                }
                (Some(user), password)
            }
        };
        let (before_headers, headers) = match hostpart.split_once('?') {
            Some((a, h)) => (a, h),
            None => (hostpart, ""),
        };
        let params_at = before_headers.find(';').unwrap_or(before_headers.len());
        let (hostport, params) = before_headers.split_at(params_at);
        let (host, port) = split_host_port(hostport)?;
        check_uri_params(params)?;
        if hostpart.contains('?') {
            for header in headers.split('&') {
                let (name, value) = header
                    .split_once('=')
                    .ok_or_else(|| format!("URI header {header:?} lacks '='"))?;
                if name.is_empty() {
                    return Err("a URI header has an empty name".to_owned());
                }
                check_escaped(name, header_byte, "URI header name")?;
                check_escaped(value, header_byte, "URI header value")?;
            }
        }
        Ok(Self {
            raw,
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The raw value of URI parameter `name` (case-insensitive): `Some(None)` for a flag
    /// such as `;lr`.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params.split(';').skip(1).find_map(|p| {
            let (n, v) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            n.eq_ignore_ascii_case(name).then_some(v)
        })
    }

    /// The `transport` parameter, if any.
    pub fn transport(&self) -> Option<&'a str> {
        self.param("transport").flatten()
    }

    /// Iterates over the URI headers `(name, value)` as written.
    pub fn header_pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let headers = self.headers;
        headers
            .split('&')
            .filter(|h| !h.is_empty())
            .filter_map(|h| h.split_once('='))
    }

    /// Converts to the owned [`cc_core::SipUri`] used in configuration and records.
    pub fn to_core(&self) -> Result<cc_core::SipUri, Error> {
        cc_core::SipUri::parse(self.raw).map_err(|e| Error::Conversion {
            uri: crate::error::excerpt(self.raw),
            reason: e.to_string(),
        })
    }
}

impl<'a> TelUri<'a> {
    fn parse_parts(raw: &'a str, rest: &'a str) -> Result<Self, String> {
        let at = rest.find(';').unwrap_or(rest.len());
        let (number, params) = rest.split_at(at);
        let number_ok = !number.is_empty()
            && number.bytes().all(|b| {
                b.is_ascii_hexdigit() || matches!(b, b'*' | b'#' | b'+' | b'-' | b'.' | b'(' | b')')
            });
        if !number_ok {
            return Err(format!(
                "tel number {number:?} must be digits with optional '+' and separators - . ( )"
            ));
        }
        check_uri_params(params)?;
        Ok(Self { raw, number, params })
    }

    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uri_parts() {
        let Ok(Uri::Sip(u)) = Uri::parse("sip:alice:pw@[2001:db8::10]:5070;transport=tcp;lr?Subject=hi&X=1")
        else {
            panic!("not a SIP URI")
        };
        assert_eq!(u.user, Some("alice"));
        assert_eq!(u.password, Some("pw"));
        assert_eq!(u.host, "[2001:db8::10]");
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.transport(), Some("tcp"));
        assert_eq!(u.param("lr"), Some(None));
        assert_eq!(
            u.header_pairs().collect::<Vec<_>>(),
            vec![("Subject", "hi"), ("X", "1")]
        );
    }

    #[test]
    fn unusual_but_legal_users() {
        let raw = "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com";
        let Ok(Uri::Sip(u)) = Uri::parse(raw) else {
            panic!("rejected")
        };
        assert_eq!(u.host, "example.com");
        assert!(Uri::parse("sip:user;par=u%40example.net@example.com").is_ok());
        assert!(Uri::parse("sip:null-%00-null@example.com").is_ok());
    }

    #[test]
    fn bad_uris_say_why() {
        for bad in [
            "sip:user@example.com>",
            "<sip:user@example.com>",
            "sip:[2001:db8::10:5070",
            "sip:2001:db8::10",
            "sip:user@host:99999",
            "sip:%zz@host",
            "sip: user@host",
            "sip:user@",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tel_and_other_schemes() {
        assert!(matches!(
            Uri::parse("tel:+86-10-1234;phone-context=x"),
            Ok(Uri::Tel(_))
        ));
        assert!(matches!(
            Uri::parse("soap.beep://192.0.2.103:3002"),
            Ok(Uri::Other { .. })
        ));
        assert!(matches!(Uri::parse("isbn:2983792873"), Ok(Uri::Other { .. })));
    }

    #[test]
    fn converts_to_core() {
        let Ok(Uri::Sip(u)) = Uri::parse("sip:1001@pbx.example.com:5060;transport=tcp") else {
            panic!("rejected")
        };
        let core = u.to_core().unwrap();
        assert_eq!(core.port, Some(5060));
    }
}
