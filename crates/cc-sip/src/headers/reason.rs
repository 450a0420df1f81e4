//! `Reason` (RFC 3326): `SIP ;cause=200 ;text="Call completed elsewhere"`.

use std::borrow::Cow;

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{CommaSplit, is_token, split_token, trim_lws_start};

use super::HeaderName;

/// One Reason value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'a> {
    /// The protocol (`SIP`, `Q.850`...).
    pub protocol: &'a str,
    /// The parameters (`cause`, `text`...).
    pub params: Params<'a>,
}

impl<'a> Reason<'a> {
    /// Parses one Reason value.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let (protocol, rest) = split_token(trim_lws_start(value));
        if !is_token(protocol) {
            return Err(bad_header(
                "Reason",
                value,
                "expected a protocol token such as SIP or Q.850",
            ));
        }
        let params = Params::parse(rest).map_err(|r| bad_header("Reason", value, r))?;
        Ok(Self { protocol, params })
    }

    /// The `cause` parameter.
    pub fn cause(&self) -> Option<u16> {
        self.params.get("cause").flatten().and_then(|c| c.parse().ok())
    }

    /// The `text` parameter, unquoted.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        self.params.value("text")
    }
}

impl Message {
    /// Every Reason value in order.
    pub fn reasons(&self) -> impl Iterator<Item = Result<Reason<'_>, Error>> + '_ {
        self.header_values(HeaderName::Reason)
            .flat_map(CommaSplit::new)
            .map(Reason::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_params() {
        let r = Reason::parse("Q.850 ;cause=16 ;text=\"Normal call clearing\"").unwrap();
        assert_eq!(r.protocol, "Q.850");
        assert_eq!(r.cause(), Some(16));
        assert_eq!(r.text().as_deref(), Some("Normal call clearing"));
    }
}
