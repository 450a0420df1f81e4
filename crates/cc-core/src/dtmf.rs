//! DTMF digits, as keyed by callers and sent by the center.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// One DTMF key: `0`–`9`, `*`, `#`, or `A`–`D`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfDigit(u8);

impl DtmfDigit {
    /// The digit for a key character (`a`–`d` are accepted as `A`–`D`).
    pub fn from_char(c: char) -> Result<Self, Error> {
        match c {
            '0'..='9' | '*' | '#' | 'A'..='D' => Ok(Self(c as u8)),
            'a'..='d' => Ok(Self(c.to_ascii_uppercase() as u8)),
            _ => Err(Error::invalid_value(
                "DTMF digit",
                &c.to_string(),
                "expected 0-9, *, # or A-D",
            )),
        }
    }

    /// The digit for an RFC 4733 telephone-event code (0–9 digits, 10 `*`, 11 `#`,
    /// 12–15 `A`–`D`); `None` for other events.
    pub fn from_event_code(code: u8) -> Option<Self> {
        let c = match code {
            0..=9 => b'0' + code,
            10 => b'*',
            11 => b'#',
            12..=15 => b'A' + (code - 12),
            _ => return None,
        };
        Some(Self(c))
    }

    /// The RFC 4733 telephone-event code of this digit.
    pub const fn event_code(self) -> u8 {
        match self.0 {
            b'*' => 10,
            b'#' => 11,
            b'A'..=b'D' => 12 + (self.0 - b'A'),
            d => d - b'0',
        }
    }

    /// The key as a character.
    pub const fn as_char(self) -> char {
        self.0 as char
    }
}

impl fmt::Display for DtmfDigit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

impl fmt::Debug for DtmfDigit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DtmfDigit({})", self.as_char())
    }
}

impl TryFrom<char> for DtmfDigit {
    type Error = Error;
    fn try_from(c: char) -> Result<Self, Error> {
        Self::from_char(c)
    }
}

/// Parses a string of keys, e.g. `"123#"`.
pub fn parse_digits(text: &str) -> Result<Vec<DtmfDigit>, Error> {
    text.chars().map(DtmfDigit::from_char).collect()
}

impl FromStr for DtmfDigit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Self::from_char(c),
            _ => Err(Error::invalid_value(
                "DTMF digit",
                s,
                "expected exactly one of 0-9, *, # or A-D",
            )),
        }
    }
}

impl Serialize for DtmfDigit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_char(self.as_char())
    }
}

impl<'de> Deserialize<'de> for DtmfDigit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let c = char::deserialize(deserializer)?;
        Self::from_char(c).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_codes_map_both_ways() {
        for code in 0..=15 {
            let d = DtmfDigit::from_event_code(code).unwrap();
            assert_eq!(d.event_code(), code);
        }
        assert_eq!(DtmfDigit::from_event_code(16), None);
        assert_eq!(DtmfDigit::from_char('#').unwrap().event_code(), 11);
        assert_eq!(DtmfDigit::from_char('b').unwrap().as_char(), 'B');
        let err = DtmfDigit::from_char('x').unwrap_err().to_string();
        assert!(err.contains("\"x\"") && err.contains("0-9"), "{err}");
        assert_eq!(parse_digits("12*#").unwrap().len(), 4);
        assert!("12".parse::<DtmfDigit>().is_err());
    }
}
