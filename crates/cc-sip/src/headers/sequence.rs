//! Sequence numbers: `CSeq` (RFC 3261 §20.16), `RSeq` and `RAck` (RFC 3262).

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::text::{is_lws, is_token, parse_decimal, trim_lws};

use super::HeaderName;

/// The largest sequence number RFC 3261 allows (2**31 - 1).
const MAX_SEQ: u64 = (1 << 31) - 1;

/// `CSeq: 102 INVITE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number, below 2**31.
    pub seq: u32,
    /// The method, as written.
    pub method: &'a str,
}

/// Splits at the first run of white space: `(first, rest)`, both trimmed.
fn split_words(s: &str) -> (&str, &str) {
    let s = trim_lws(s);
    let end = s.bytes().position(is_lws).unwrap_or(s.len());
    let (a, b) = s.split_at(end);
    (a, trim_lws(b))
}

fn seq_number(header: &str, value: &str, text: &str) -> Result<u32, Error> {
    parse_decimal(text, MAX_SEQ, 10).map(|v| v as u32).ok_or_else(|| {
        bad_header(
            header,
            value,
            format!("sequence number {text:?} must be a decimal number from 0 to 2147483647"),
        )
    })
}

impl<'a> CSeq<'a> {
    /// Parses `number LWS method`.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let (number, method) = split_words(value);
        let seq = seq_number("CSeq", value, number)?;
        if !is_token(method) {
            return Err(bad_header(
                "CSeq",
                value,
                "the sequence number must be followed by a method token",
            ));
        }
        Ok(Self { seq, method })
    }
}

/// `RAck: 776656 1 INVITE` (RFC 3262): the RSeq being acknowledged and the CSeq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RAck<'a> {
    /// The RSeq of the reliable provisional response.
    pub rseq: u32,
    /// The CSeq number of the request.
    pub cseq: u32,
    /// The CSeq method.
    pub method: &'a str,
}

impl<'a> RAck<'a> {
    /// Parses `response-num LWS CSeq-num LWS Method`.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let (rseq, rest) = split_words(value);
        let (cseq, method) = split_words(rest);
        let rseq = parse_decimal(rseq, u64::from(u32::MAX), 10)
            .map(|v| v as u32)
            .ok_or_else(|| bad_header("RAck", value, "the response number must be 1 to 4294967295"))?;
        let cseq = seq_number("RAck", value, cseq)?;
        if !is_token(method) {
            return Err(bad_header(
                "RAck",
                value,
                "expected RSeq, CSeq number and method, e.g. 776656 1 INVITE",
            ));
        }
        Ok(Self { rseq, cseq, method })
    }
}

impl Message {
    /// The CSeq header.
    pub fn cseq(&self) -> Result<CSeq<'_>, Error> {
        CSeq::parse(self.single(HeaderName::CSeq, "CSeq")?)
    }

    /// The RSeq header (RFC 3262), if present.
    pub fn rseq(&self) -> Result<Option<u32>, Error> {
        self.header(HeaderName::RSeq)
            .map(|v| {
                parse_decimal(trim_lws(v), u64::from(u32::MAX), 10)
                    .map(|n| n as u32)
                    .ok_or_else(|| bad_header("RSeq", v, "it must be a number from 1 to 4294967295"))
            })
            .transpose()
    }

    /// The RAck header (RFC 3262), if present.
    pub fn rack(&self) -> Result<Option<RAck<'_>>, Error> {
        self.header(HeaderName::RAck).map(RAck::parse).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_with_folding_and_leading_zeros() {
        assert_eq!(
            CSeq::parse("0009\r\n  INVITE").unwrap(),
            CSeq {
                seq: 9,
                method: "INVITE"
            }
        );
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("-1 INVITE").is_err());
        assert!(CSeq::parse("1").is_err());
        assert!(CSeq::parse("1 INVITE extra").is_err());
    }

    #[test]
    fn rack() {
        let r = RAck::parse("776656 1 INVITE").unwrap();
        assert_eq!((r.rseq, r.cseq, r.method), (776_656, 1, "INVITE"));
        assert!(RAck::parse("1 INVITE").is_err());
    }
}
