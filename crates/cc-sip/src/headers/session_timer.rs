//! Session timers (RFC 4028): `Session-Expires` (compact `x`) and `Min-SE`.
//!
//! ```text
//! Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params)
//! se-params       = refresher-param / generic-param
//! refresher-param = "refresher" EQUAL ("uas" / "uac")
//! Min-SE          = "Min-SE" HCOLON delta-seconds *(SEMI generic-param)
//! ```

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{parse_decimal, trim_lws_start};

use super::HeaderName;

/// Which end of a session refreshes it: the UAC or the UAS of the transaction that
/// carried the `Session-Expires` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// `refresher=uac`.
    Uac,
    /// `refresher=uas`.
    Uas,
}

impl Refresher {
    /// The parameter value, `uac` or `uas`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uac => "uac",
            Self::Uas => "uas",
        }
    }
}

/// A `Session-Expires` value: the session interval in seconds and who refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionExpires {
    /// The session interval in seconds.
    pub delta: u32,
    /// The `refresher` parameter, when present.
    pub refresher: Option<Refresher>,
}

/// Splits `delta-seconds` off the front of a header value and checks the parameters
/// after it; `header` and `example` name the header in errors.
fn delta_and_params<'a>(
    header: &'static str,
    value: &'a str,
    example: &str,
) -> Result<(u32, Params<'a>), Error> {
    let s = trim_lws_start(value);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, rest) = s.split_at(digits);
    let delta = parse_decimal(number, u64::from(u32::MAX), 10).ok_or_else(|| {
        bad_header(
            header,
            value,
            format!("it must start with seconds from 0 to 4294967295, e.g. {example}"),
        )
    })?;
    let params = Params::parse(rest).map_err(|r| bad_header(header, value, r))?;
    Ok((delta as u32, params))
}

impl SessionExpires {
    /// Parses a Session-Expires value such as `1800;refresher=uac`. A `refresher` other
    /// than `uac` or `uas` is an error.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let (delta, params) = delta_and_params("Session-Expires", value, "1800;refresher=uac")?;
        let refresher = match params.get("refresher") {
            None => None,
            Some(Some(v)) if v.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(Some(v)) if v.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            Some(_) => {
                return Err(bad_header(
                    "Session-Expires",
                    value,
                    "the refresher parameter must be uac or uas",
                ));
            }
        };
        Ok(Self { delta, refresher })
    }
}

/// Parses a Min-SE value such as `90` (generic parameters allowed after it) into seconds.
pub fn parse_min_se(value: &str) -> Result<u32, Error> {
    delta_and_params("Min-SE", value, "90").map(|(delta, _)| delta)
}

impl Message {
    /// The Session-Expires header (RFC 4028, compact form `x`), if present.
    pub fn session_expires(&self) -> Result<Option<SessionExpires>, Error> {
        self.header(HeaderName::SessionExpires)
            .map(SessionExpires::parse)
            .transpose()
    }

    /// The Min-SE header (RFC 4028) in seconds, if present.
    pub fn min_se(&self) -> Result<Option<u32>, Error> {
        self.header(HeaderName::MinSe).map(parse_min_se).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expires_values() {
        let se = SessionExpires::parse("1800;refresher=uac").unwrap();
        assert_eq!((se.delta, se.refresher), (1800, Some(Refresher::Uac)));
        let se = SessionExpires::parse(" 90 ; refresher = UAS ;x=1").unwrap();
        assert_eq!((se.delta, se.refresher), (90, Some(Refresher::Uas)));
        assert_eq!(SessionExpires::parse("4000").unwrap().refresher, None);
        for bad in [
            "",
            "x",
            "-1",
            "90;refresher=both",
            "90;refresher",
            "90 junk",
            "4294967296",
        ] {
            assert!(SessionExpires::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn min_se_values() {
        assert_eq!(parse_min_se("90").unwrap(), 90);
        assert_eq!(parse_min_se("120;foo=bar").unwrap(), 120);
        for bad in ["", "ninety", "90,100", "90;"] {
            assert!(parse_min_se(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_compact_form_is_read() {
        let raw = "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                   From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
                   x: 600;refresher=uas\r\nMin-SE: 90\r\nContent-Length: 0\r\n\r\n";
        let m = Message::parse(raw).unwrap();
        let se = m.session_expires().unwrap().unwrap();
        assert_eq!((se.delta, se.refresher), (600, Some(Refresher::Uas)));
        assert_eq!(m.min_se().unwrap(), Some(90));
        m.validate().unwrap();
    }
}
