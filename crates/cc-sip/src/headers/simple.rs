//! Single-valued headers read as one scalar: Call-ID, Max-Forwards, Expires,
//! Min-Expires, Content-Length and Date.

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::text::{is_lws, parse_decimal, trim_lws};

use super::HeaderName;

/// `true` for the bytes of RFC 3261 `word` (Call-ID parts).
fn is_word_byte(b: u8) -> bool {
    crate::parser::text::is_token_byte(b)
        || matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b':' | b'\\' | b'"' | b'/' | b'[' | b']' | b'?' | b'{' | b'}'
        )
}

/// Checks `callid = word [ "@" word ]`.
pub(crate) fn check_call_id(value: &str) -> Result<&str, Error> {
    let (a, b) = match value.split_once('@') {
        Some((a, b)) => (a, Some(b)),
        None => (value, None),
    };
    let word = |w: &str| !w.is_empty() && w.bytes().all(is_word_byte);
    if word(a) && b.is_none_or(word) {
        Ok(value)
    } else {
        Err(bad_header(
            "Call-ID",
            value,
            "it must be word [\"@\" word] with no white space, e.g. a84b4c76e66710@pc33.example.com",
        ))
    }
}

/// Reads a delta-seconds style number that must fit `max`.
fn number(name: &'static str, value: &str, max: u64, rule: &str) -> Result<u64, Error> {
    parse_decimal(trim_lws(value), max, 10).ok_or_else(|| bad_header(name, value, rule))
}

impl Message {
    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, Error> {
        check_call_id(self.single(HeaderName::CallId, "Call-ID")?)
    }

    /// Max-Forwards (0 to 255), if present.
    pub fn max_forwards(&self) -> Result<Option<u8>, Error> {
        self.header(HeaderName::MaxForwards)
            .map(|v| number("Max-Forwards", v, 255, "it must be a number from 0 to 255").map(|n| n as u8))
            .transpose()
    }

    /// Expires in seconds, if present.
    pub fn expires(&self) -> Result<Option<u32>, Error> {
        self.header(HeaderName::Expires)
            .map(|v| {
                number(
                    "Expires",
                    v,
                    u64::from(u32::MAX),
                    "it must be seconds from 0 to 4294967295",
                )
                .map(|n| n as u32)
            })
            .transpose()
    }

    /// Min-Expires in seconds, if present.
    pub fn min_expires(&self) -> Result<Option<u32>, Error> {
        self.header(HeaderName::MinExpires)
            .map(|v| {
                number(
                    "Min-Expires",
                    v,
                    u64::from(u32::MAX),
                    "it must be seconds from 0 to 4294967295",
                )
                .map(|n| n as u32)
            })
            .transpose()
    }

    /// Content-Length, if present (the parser already checked it against the body).
    pub fn content_length(&self) -> Result<Option<u32>, Error> {
        self.header(HeaderName::ContentLength)
            .map(|v| {
                number(
                    "Content-Length",
                    v,
                    u64::from(u32::MAX),
                    "it must be a number of bytes",
                )
                .map(|n| n as u32)
            })
            .transpose()
    }

    /// The Date header as written, if present.
    pub fn date(&self) -> Option<&str> {
        self.header(HeaderName::Date)
    }
}

/// Checks `rfc1123-date` loosely: `wkday "," SP date SP time SP "GMT"` (RFC 3261 §20.17
/// allows only GMT).
pub(crate) fn check_date(value: &str) -> Result<(), Error> {
    let parts: Vec<&str> = value
        .split(|c: char| c.is_ascii() && is_lws(c as u8))
        .filter(|p| !p.is_empty())
        .collect();
    let ok = matches!(parts.as_slice(), [wkday, day, month, year, time, "GMT"]
        if wkday.len() == 4 && wkday.ends_with(',')
        && day.len() == 2 && day.bytes().all(|b| b.is_ascii_digit())
        && month.len() == 3 && year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())
        && time.len() == 8);
    if ok {
        Ok(())
    } else {
        Err(bad_header(
            "Date",
            value,
            "it must be an RFC 1123 date in GMT, e.g. Sat, 13 Nov 2010 23:29:00 GMT",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids() {
        assert!(check_call_id("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{").is_ok());
        assert!(check_call_id("a b").is_err());
        assert!(check_call_id("").is_err());
        assert!(check_call_id("a@b@c").is_err());
    }

    #[test]
    fn dates() {
        assert!(check_date("Sat, 13 Nov 2010 23:29:00 GMT").is_ok());
        assert!(check_date("Fri, 01 Jan 2010 16:00:00 EST").is_err());
    }
}
