//! `Replaces` (RFC 3891): `call-id ;to-tag=... ;from-tag=... [;early-only]`.

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{is_lws, trim_lws_start};

use super::HeaderName;
use super::simple::check_call_id;

/// The dialog a request wants to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaces<'a> {
    /// The Call-ID of the dialog.
    pub call_id: &'a str,
    /// The `to-tag` parameter.
    pub to_tag: &'a str,
    /// The `from-tag` parameter.
    pub from_tag: &'a str,
    /// `true` when `early-only` is present.
    pub early_only: bool,
}

impl<'a> Replaces<'a> {
    /// Parses a Replaces value; both tags are required.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let s = trim_lws_start(value);
        let end = s.bytes().position(|b| b == b';' || is_lws(b)).unwrap_or(s.len());
        let (call_id, rest) = s.split_at(end);
        check_call_id(call_id).map_err(|_| bad_header("Replaces", value, "it must start with a Call-ID"))?;
        let params = Params::parse(rest).map_err(|r| bad_header("Replaces", value, r))?;
        let tag = |name: &str| {
            params
                .get(name)
                .flatten()
                .ok_or_else(|| bad_header("Replaces", value, format!("the {name} parameter is required")))
        };
        Ok(Self {
            call_id,
            to_tag: tag("to-tag")?,
            from_tag: tag("from-tag")?,
            early_only: params.contains("early-only"),
        })
    }
}

impl Message {
    /// The Replaces header, if present.
    pub fn replaces(&self) -> Result<Option<Replaces<'_>>, Error> {
        self.header(HeaderName::Replaces).map(Replaces::parse).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces() {
        let r = Replaces::parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only").unwrap();
        assert_eq!(
            (r.call_id, r.to_tag, r.from_tag, r.early_only),
            ("98732@sip.example.com", "ff87ff", "r33th4x0r", true)
        );
        assert!(Replaces::parse("98732@sip.example.com;from-tag=a").is_err());
    }
}
