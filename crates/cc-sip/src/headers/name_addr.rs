//! Address headers: From, To, Contact, Route, Record-Route, Refer-To (RFC 3515) and
//! Referred-By (RFC 3892): `[display-name] <URI> *(;param)` or `URI *(;param)`.

use std::borrow::Cow;

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{CommaSplit, is_lws, is_token_byte, quoted_len, trim_lws, trim_lws_start, unquote};
use crate::parser::uri::Uri;

use super::HeaderName;

/// An address with optional display name and header parameters, e.g.
/// `"Alice" <sip:alice@example.com>;tag=88sja8x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display: Option<&'a str>,
    /// The URI.
    pub uri: Uri<'a>,
    /// The header parameters after the address (`tag`, `expires`, `q`...).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parses one address; `header` names the header in errors.
    pub fn parse(value: &'a str, header: &str) -> Result<Self, Error> {
        let fail = |reason: String| bad_header(header, value, reason);
        let s = trim_lws_start(value);
        let (display, rest) = if s.starts_with('"') {
            let len =
                quoted_len(s).ok_or_else(|| fail("the quoted display name is not terminated".to_owned()))?;
            let (quoted, rest) = s.split_at(len);
            let rest = trim_lws_start(rest);
            if !rest.starts_with('<') {
                return Err(fail("a quoted display name must be followed by <URI>".to_owned()));
            }
            (Some(quoted), rest)
        } else {
            let scan_end = s.find([';', '"']).unwrap_or(s.len());
            match s.get(..scan_end).and_then(|head| head.find('<')) {
                Some(lt) => {
                    let (name, rest) = s.split_at(lt);
                    if !name.bytes().all(|b| is_token_byte(b) || is_lws(b)) {
                        return Err(fail(format!(
                            "display name {:?} must be a quoted string or tokens (letters, digits, -.!%*_+`'~ and spaces)",
                            trim_lws(name)
                        )));
                    }
                    let name = trim_lws(name);
                    (if name.is_empty() { None } else { Some(name) }, rest)
                }
                None => (None, s),
            }
        };
        let (uri_text, after) = if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner
                .find('>')
                .ok_or_else(|| fail("'<' is not closed by '>'".to_owned()))?;
            let (uri, after) = inner.split_at(gt);
            if uri.bytes().next().is_some_and(is_lws) || uri.bytes().last().is_some_and(is_lws) {
                return Err(fail(
                    "white space is not allowed inside <...> around the URI".to_owned(),
                ));
            }
            (uri, after.get(1..).unwrap_or_default())
        } else {
            let end = rest
                .bytes()
                .position(|b| b == b';' || is_lws(b))
                .unwrap_or(rest.len());
            let (uri, after) = rest.split_at(end);
            if uri.contains(['?', ',']) {
                return Err(fail(
                    "a URI containing '?', ',' or ';' must be enclosed in <...> (RFC 3261 §20)".to_owned(),
                ));
            }
            (uri, after)
        };
        let uri = Uri::parse(uri_text).map_err(|e| fail(e.to_string()))?;
        let params = Params::parse(after).map_err(fail)?;
        Ok(Self { display, uri, params })
    }

    /// The display name as written (quotes included if it was quoted).
    pub fn display_name_raw(&self) -> Option<&'a str> {
        self.display
    }

    /// The display name without quotes, escapes resolved.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        self.display.map(|d| {
            if d.starts_with('"') {
                unquote(d)
            } else {
                Cow::Borrowed(d)
            }
        })
    }

    /// The `tag` parameter (dialog identification in From and To).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }

    /// The `expires` parameter as seconds (Contact in REGISTER).
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").flatten().and_then(|v| v.parse().ok())
    }

    /// The `q` parameter in thousandths (`q=0.5` gives 500), for Contact preference.
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.params.get("q").flatten()?)
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// One Contact value: `*` (all bindings, in REGISTER) or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *`.
    Wildcard,
    /// An address with its parameters.
    Address(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one Contact element.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        if trim_lws(value) == "*" {
            return Ok(Contact::Wildcard);
        }
        NameAddr::parse(value, "Contact").map(Contact::Address)
    }

    /// The address, unless this is the wildcard.
    pub fn address(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Wildcard => None,
            Contact::Address(a) => Some(a),
        }
    }
}

impl Message {
    /// The From header.
    pub fn from_header(&self) -> Result<NameAddr<'_>, Error> {
        NameAddr::parse(self.single(HeaderName::From, "From")?, "From")
    }

    /// The To header.
    pub fn to_header(&self) -> Result<NameAddr<'_>, Error> {
        NameAddr::parse(self.single(HeaderName::To, "To")?, "To")
    }

    /// Every Contact value in order (`*` as [`Contact::Wildcard`]).
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'_>, Error>> + '_ {
        self.header_values(HeaderName::Contact)
            .flat_map(CommaSplit::new)
            .map(Contact::parse)
    }

    /// Every Route entry in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'_>, Error>> + '_ {
        self.list_of_addresses(HeaderName::Route, "Route")
    }

    /// Every Record-Route entry in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'_>, Error>> + '_ {
        self.list_of_addresses(HeaderName::RecordRoute, "Record-Route")
    }

    fn list_of_addresses(
        &self,
        name: HeaderName,
        canonical: &'static str,
    ) -> impl Iterator<Item = Result<NameAddr<'_>, Error>> + '_ {
        self.header_values(name)
            .flat_map(CommaSplit::new)
            .map(move |v| NameAddr::parse(v, canonical))
    }

    /// The Refer-To header (RFC 3515), if present.
    pub fn refer_to(&self) -> Result<Option<NameAddr<'_>>, Error> {
        self.header(HeaderName::ReferTo)
            .map(|v| NameAddr::parse(v, "Refer-To"))
            .transpose()
    }

    /// The Referred-By header (RFC 3892), if present.
    pub fn referred_by(&self) -> Result<Option<NameAddr<'_>>, Error> {
        self.header(HeaderName::ReferredBy)
            .map(|v| NameAddr::parse(v, "Referred-By"))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_names_with_escapes() {
        let a = NameAddr::parse(
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
            "From",
        )
        .unwrap();
        assert_eq!(a.display_name().as_deref(), Some("J Rosenberg \\\""));
        assert_eq!(a.tag(), Some("98asjd8"));
    }

    #[test]
    fn token_display_names_and_addr_specs() {
        let a = NameAddr::parse("caller<sip:caller@example.com>;tag=323", "From").unwrap();
        assert_eq!(a.display_name().as_deref(), Some("caller"));
        let a = NameAddr::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", "To").unwrap();
        assert_eq!(a.display_name(), None);
        assert_eq!(a.tag(), Some("1918181833n"));
        assert_eq!(a.uri.as_str(), "sip:vivekg@chair-dnrc.example.com");
    }

    #[test]
    fn contact_params() {
        let Contact::Address(a) = Contact::parse("<sip:a@b>;expires=3600;q=0.7").unwrap() else {
            panic!("wildcard")
        };
        assert_eq!(a.expires(), Some(3600));
        assert_eq!(a.q(), Some(700));
        assert_eq!(Contact::parse(" * ").unwrap(), Contact::Wildcard);
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.5"), None);
    }

    #[test]
    fn malformed_addresses() {
        for bad in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
        ] {
            assert!(NameAddr::parse(bad, "To").is_err(), "{bad} accepted");
        }
    }
}
