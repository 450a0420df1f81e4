//! `Content-Type` (RFC 3261 §20.15): `type "/" subtype *(;parameter)`.

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{split_token, trim_lws_start};

use super::HeaderName;

/// A media type such as `application/sdp` or `multipart/mixed;boundary=x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// The type (`application`), as written.
    pub kind: &'a str,
    /// The subtype (`sdp`), as written.
    pub subtype: &'a str,
    /// Parameters such as `boundary` or `charset`.
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses a media type.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let fail = |r: &str| bad_header("Content-Type", value, r);
        let (kind, rest) = split_token(trim_lws_start(value));
        let rest = trim_lws_start(rest)
            .strip_prefix('/')
            .ok_or_else(|| fail("expected type/subtype, e.g. application/sdp"))?;
        let (subtype, rest) = split_token(trim_lws_start(rest));
        if kind.is_empty() || subtype.is_empty() {
            return Err(fail("expected type/subtype, e.g. application/sdp"));
        }
        let params = Params::parse(rest).map_err(|r| fail(&r))?;
        Ok(Self {
            kind,
            subtype,
            params,
        })
    }

    /// `true` when this is `type/subtype`, compared case-insensitively.
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl Message {
    /// The Content-Type, if present.
    pub fn content_type(&self) -> Result<Option<MediaType<'_>>, Error> {
        self.header(HeaderName::ContentType)
            .map(MediaType::parse)
            .transpose()
    }

    /// The body as a session description, when Content-Type is `application/sdp` and
    /// the body is not empty: `None` otherwise. A malformed description gives
    /// [`Error::Sdp`], to be answered with 488 Not Acceptable Here.
    pub fn sdp(&self) -> Option<Result<crate::sdp::SessionDescription, Error>> {
        let media = self.content_type().ok().flatten()?;
        let is_sdp =
            media.kind.eq_ignore_ascii_case("application") && media.subtype.eq_ignore_ascii_case("sdp");
        if !is_sdp || self.body().is_empty() {
            return None;
        }
        Some(crate::sdp::parse(self.body()).map_err(Error::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let m = MediaType::parse("multipart/mixed;boundary=unique-boundary-1").unwrap();
        assert!(m.is("Multipart", "MIXED"));
        assert_eq!(m.params.get("boundary"), Some(Some("unique-boundary-1")));
        assert!(MediaType::parse("application").is_err());
    }
}
