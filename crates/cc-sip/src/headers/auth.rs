//! Authentication headers (RFC 3261 §22, digest per RFC 7616): Authorization,
//! Proxy-Authorization (credentials), WWW-Authenticate and Proxy-Authenticate
//! (challenges). Both have the shape `scheme LWS name=value *(, name=value)`.

use std::borrow::Cow;

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::text::{
    CommaSplit, is_lws, is_token, maybe_unquote, quoted_len, split_token, trim_lws, trim_lws_start,
};

use super::HeaderName;

/// A challenge or credentials: the scheme (`Digest`) and its `name=value` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auth<'a> {
    /// The scheme, as written (`Digest`).
    pub scheme: &'a str,
    params: &'a str,
}

/// Splits one `name = value` auth-param.
fn split_param(p: &str) -> Option<(&str, &str)> {
    let (name, rest) = split_token(p);
    let value = trim_lws(trim_lws_start(rest).strip_prefix('=')?);
    Some((name, value))
}

impl<'a> Auth<'a> {
    /// Parses a header value; `header` names the header in errors.
    pub fn parse(value: &'a str, header: &str) -> Result<Self, Error> {
        let s = trim_lws_start(value);
        let (scheme, rest) = split_token(s);
        if !is_token(scheme) {
            return Err(bad_header(
                header,
                value,
                "expected an auth scheme such as Digest",
            ));
        }
        if !rest.is_empty() && !rest.bytes().next().is_some_and(is_lws) {
            return Err(bad_header(
                header,
                value,
                "white space must follow the auth scheme",
            ));
        }
        let params = trim_lws(rest);
        for p in CommaSplit::new(params).filter(|_| !params.is_empty()) {
            let ok = split_param(p).is_some_and(|(name, v)| {
                is_token(name)
                    && if v.starts_with('"') {
                        quoted_len(v) == Some(v.len())
                    } else {
                        is_token(v)
                    }
            });
            if !ok {
                return Err(bad_header(
                    header,
                    value,
                    format!("auth parameter {p:?} is not name=token or name=\"quoted string\""),
                ));
            }
        }
        Ok(Self { scheme, params })
    }

    /// `true` for the Digest scheme.
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }

    /// Iterates over `(name, raw value)`; quoted values keep their quotes.
    pub fn params(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let params = self.params;
        CommaSplit::new(params)
            .filter(move |_| !params.is_empty())
            .filter_map(split_param)
    }

    /// The value of parameter `name` (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| maybe_unquote(v))
    }

    /// `username`.
    pub fn username(&self) -> Option<Cow<'a, str>> {
        self.param("username")
    }

    /// `realm`.
    pub fn realm(&self) -> Option<Cow<'a, str>> {
        self.param("realm")
    }

    /// `nonce`.
    pub fn nonce(&self) -> Option<Cow<'a, str>> {
        self.param("nonce")
    }

    /// `uri` (the digest-uri).
    pub fn uri(&self) -> Option<Cow<'a, str>> {
        self.param("uri")
    }

    /// `response`.
    pub fn response(&self) -> Option<Cow<'a, str>> {
        self.param("response")
    }

    /// `algorithm` (`MD5`, `SHA-256`...).
    pub fn algorithm(&self) -> Option<Cow<'a, str>> {
        self.param("algorithm")
    }

    /// `qop` (a single value in credentials, a list in challenges).
    pub fn qop(&self) -> Option<Cow<'a, str>> {
        self.param("qop")
    }

    /// `cnonce`.
    pub fn cnonce(&self) -> Option<Cow<'a, str>> {
        self.param("cnonce")
    }

    /// `opaque`.
    pub fn opaque(&self) -> Option<Cow<'a, str>> {
        self.param("opaque")
    }

    /// `nc`, the nonce count: 8 hex digits.
    pub fn nonce_count(&self) -> Option<u32> {
        let nc = self.param("nc")?;
        (nc.len() == 8)
            .then(|| u32::from_str_radix(&nc, 16).ok())
            .flatten()
    }

    /// `stale=true` in a challenge.
    pub fn stale(&self) -> bool {
        self.param("stale")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"))
    }
}

impl Message {
    fn auths(&self, name: HeaderName) -> impl Iterator<Item = Result<Auth<'_>, Error>> + '_ {
        self.header_values(name)
            .map(move |v| Auth::parse(v, name.as_str()))
    }

    /// Every Authorization header (credentials).
    pub fn authorization(&self) -> impl Iterator<Item = Result<Auth<'_>, Error>> + '_ {
        self.auths(HeaderName::Authorization)
    }

    /// Every Proxy-Authorization header (credentials).
    pub fn proxy_authorization(&self) -> impl Iterator<Item = Result<Auth<'_>, Error>> + '_ {
        self.auths(HeaderName::ProxyAuthorization)
    }

    /// Every WWW-Authenticate header (challenges).
    pub fn www_authenticate(&self) -> impl Iterator<Item = Result<Auth<'_>, Error>> + '_ {
        self.auths(HeaderName::WwwAuthenticate)
    }

    /// Every Proxy-Authenticate header (challenges).
    pub fn proxy_authenticate(&self) -> impl Iterator<Item = Result<Auth<'_>, Error>> + '_ {
        self.auths(HeaderName::ProxyAuthenticate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_credentials() {
        let a = Auth::parse(
            "Digest username=\"bob\", realm=\"atlanta.example.com\",\r\n nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\",\r\n uri=\"sips:ss2.biloxi.example.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\",\r\n response=\"dfe56131d1958046689d83306477ecc\"",
            "Authorization",
        )
        .unwrap();
        assert!(a.is_digest());
        assert_eq!(a.username().as_deref(), Some("bob"));
        assert_eq!(a.nonce_count(), Some(1));
        assert_eq!(a.qop().as_deref(), Some("auth"));
        assert_eq!(a.opaque().as_deref(), Some(""));
        assert_eq!(a.params().count(), 9);
    }

    #[test]
    fn challenge_with_commas_in_quotes() {
        let c = Auth::parse(
            "Digest realm=\"a, b\", qop=\"auth,auth-int\", stale=TRUE, algorithm=SHA-256",
            "WWW-Authenticate",
        )
        .unwrap();
        assert_eq!(c.realm().as_deref(), Some("a, b"));
        assert_eq!(c.qop().as_deref(), Some("auth,auth-int"));
        assert!(c.stale());
        assert!(Auth::parse("Digest realm", "WWW-Authenticate").is_err());
        assert!(Auth::parse("Digest realm=\"open", "WWW-Authenticate").is_err());
    }
}
