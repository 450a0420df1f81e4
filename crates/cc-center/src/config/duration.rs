//! Durations as people write them in the file: `20` (seconds), `2.5`, `"20s"`, `"1500ms"`,
//! `"2m"`, `"1h30m"`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A duration read from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Seconds(pub Duration);

/// The longest duration the file may hold: a year keeps instant arithmetic far from overflow.
const MAX: Duration = Duration::from_secs(366 * 24 * 3600);

impl Seconds {
    /// From whole seconds.
    pub const fn secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }

    /// Parses `"20s"`, `"1500ms"`, `"2m"`, `"1h30m"`, or a bare number of seconds.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty duration; write e.g. \"20s\", \"1500ms\" or \"2m\"".into());
        }
        if let Ok(n) = t.parse::<f64>() {
            return Self::from_f64(n);
        }
        let mut total = Duration::ZERO;
        let mut rest = t;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("`{t}` has a number without a unit (ms, s, m or h)"))?;
            if digits == 0 {
                return Err(format!(
                    "`{t}` is not a duration; write e.g. \"20s\" or \"1h30m\""
                ));
            }
            let value: f64 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{}` in `{t}` is not a number", &rest[..digits]))?;
            rest = &rest[digits..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let scale = match &rest[..unit_len] {
                "ms" => 0.001,
                "s" => 1.0,
                "m" | "min" => 60.0,
                "h" => 3600.0,
                other => return Err(format!("unknown unit `{other}` in `{t}`; use ms, s, m or h")),
            };
            total += Self::from_f64(value * scale)?.0;
            rest = &rest[unit_len..];
        }
        if total > MAX {
            return Err(format!("`{t}` is longer than a year"));
        }
        Ok(Self(total))
    }

    fn from_f64(n: f64) -> Result<Self, String> {
        if !n.is_finite() || n < 0.0 {
            return Err(format!("{n} is not a duration (seconds must be 0 or more)"));
        }
        if n > MAX.as_secs_f64() {
            return Err(format!("{n} s is longer than a year"));
        }
        Ok(Self(Duration::from_secs_f64(n)))
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration: seconds as a number, or text such as \"20s\", \"1500ms\", \"2m\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
                Seconds::from_f64(v as f64).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
                Seconds::from_f64(v as f64).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
                Seconds::from_f64(v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Seconds, E> {
                Seconds::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_people_write() {
        for (text, ms) in [
            ("20", 20_000),
            ("2.5", 2_500),
            ("20s", 20_000),
            ("1500ms", 1_500),
            ("2m", 120_000),
            ("1h30m", 5_400_000),
            ("1m30s", 90_000),
        ] {
            assert_eq!(
                Seconds::parse(text).unwrap().0,
                Duration::from_millis(ms),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_nonsense_with_a_reason() {
        for text in ["", "s", "20x", "-1", "5y", "1e30", "nan", "20s5"] {
            let err = Seconds::parse(text).unwrap_err();
            assert!(!err.is_empty(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".{0,20}") {
            let _ = Seconds::parse(&text);
        }
    }
}
