//! Digit patterns that validate collected input, e.g. `1??????????` (an 11-digit mobile
//! number starting with 1) or `[1-9]?*` (a number without a leading zero).
//!
//! Elements: a key (`0`-`9`, `*`, `#`, `A`-`D`) matches itself; `?` matches any digit;
//! `[...]` matches one key of a set, with ranges such as `[1-5]`; an element followed by
//! `+` repeats one or more times, followed by `*` zero or more times (right after the key
//! `*` itself, `*` is the key again; write `[*]` for a literal star elsewhere). Patterns are small
//! and matched with a table (no backtracking blow-up).

use serde::{Deserialize, Serialize};

/// A compiled digit pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitPattern {
    elements: Vec<Element>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Element {
    /// Bit i set: key i matches, keys numbered by their RFC 4733 event code (0-15).
    keys: u16,
    /// Whether the element may repeat.
    many: bool,
    /// Whether the element may be absent.
    optional: bool,
}

fn key_code(c: char) -> Option<u8> {
    cc_core::DtmfDigit::from_char(c)
        .ok()
        .map(cc_core::DtmfDigit::event_code)
}

const DIGITS: u16 = 0b11_1111_1111;
const MAX_ELEMENTS: usize = 64;

impl DigitPattern {
    /// Compiles a pattern; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut elements: Vec<Element> = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let keys = match c {
                '?' => DIGITS,
                '[' => {
                    let mut set = 0u16;
                    let mut prev: Option<u8> = None;
                    loop {
                        let Some((pos, c)) = chars.next() else {
                            return Err(format!("pattern {text:?}: `[` at {at} is never closed with `]`"));
                        };
                        match c {
                            ']' => break,
                            '-' if prev.is_some() && chars.peek().is_some_and(|&(_, n)| n != ']') => {
                                let (_, end) = chars.next().unwrap_or((pos, '-'));
                                let (Some(lo), Some(hi)) = (prev, key_code(end).filter(|h| *h <= 9)) else {
                                    return Err(format!(
                                        "pattern {text:?}: ranges join two digits, e.g. [1-5]"
                                    ));
                                };
                                if lo > hi {
                                    return Err(format!("pattern {text:?}: range {lo}-{hi} runs backwards"));
                                }
                                for k in lo..=hi {
                                    set |= 1 << k;
                                }
                                prev = None;
                            }
                            c => {
                                let Some(code) = key_code(c) else {
                                    return Err(format!("pattern {text:?}: {c:?} at {pos} is not a key"));
                                };
                                set |= 1 << code;
                                prev = Some(code);
                            }
                        }
                    }
                    if set == 0 {
                        return Err(format!("pattern {text:?}: `[]` at {at} matches nothing"));
                    }
                    set
                }
                c => match key_code(c) {
                    Some(code) => 1 << code,
                    None => {
                        return Err(format!(
                            "pattern {text:?}: {c:?} at {at} is not a key, `?`, `[...]`, `+` or `*`"
                        ));
                    }
                },
            };
            let mut element = Element {
                keys,
                many: false,
                optional: false,
            };
            // `*` is a key too: it repeats only right after an element that is not `*`.
            match chars.peek() {
                Some(&(_, '+')) => {
                    chars.next();
                    element.many = true;
                }
                Some(&(_, '*')) if c != '*' => {
                    chars.next();
                    element.many = true;
                    element.optional = true;
                }
                _ => {}
            }
            elements.push(element);
            if elements.len() > MAX_ELEMENTS {
                return Err(format!("pattern {text:?} has more than {MAX_ELEMENTS} elements"));
            }
        }
        if elements.is_empty() {
            return Err("the pattern is empty".to_owned());
        }
        Ok(Self { elements })
    }

    /// Whether `digits` match the whole pattern.
    pub fn matches(&self, digits: &str) -> bool {
        // state[i]: the first i elements can match the keys read so far.
        let n = self.elements.len();
        let mut state = [false; MAX_ELEMENTS + 1];
        state[0] = true;
        self.close_optional(&mut state);
        for c in digits.chars() {
            let Some(code) = key_code(c) else { return false };
            let bit = 1u16 << code;
            let mut next = [false; MAX_ELEMENTS + 1];
            for i in 0..n {
                let e = &self.elements[i];
                if e.keys & bit == 0 {
                    continue;
                }
                // Enter element i from state i, or stay in a repeating element i.
                if state[i] || (e.many && state[i + 1]) {
                    next[i + 1] = true;
                }
            }
            state = next;
            self.close_optional(&mut state);
            if !state.iter().any(|&s| s) {
                return false;
            }
        }
        state[n]
    }

    /// Skipping an optional element is free.
    fn close_optional(&self, state: &mut [bool; MAX_ELEMENTS + 1]) {
        for (i, e) in self.elements.iter().enumerate() {
            if state[i] && e.optional {
                state[i + 1] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(text: &str) -> DigitPattern {
        DigitPattern::parse(text).unwrap()
    }

    #[test]
    fn matches_literals_wildcards_classes_and_repeats() {
        assert!(p("1??????????").matches("13800138000"));
        assert!(!p("1??????????").matches("23800138000"));
        assert!(!p("1??????????").matches("1380013800"));
        assert!(p("[1-9]?*").matches("7"));
        assert!(p("[1-9]?*").matches("7001"));
        assert!(!p("[1-9]?*").matches("0701"));
        assert!(p("?+#").matches("12#"));
        assert!(!p("?+#").matches("#"));
        assert!(p("[1-35]").matches("5") && !p("[1-35]").matches("4"));
        assert!(
            p("**").matches("**"),
            "a `*` right after the key `*` is the key again"
        );
        assert!(!p("**").matches("*"));
        assert!(p("#*").matches("") && p("#*").matches("###"));
        assert!(p("[*]").matches("*"));
        assert!(p("*").matches("*"));
    }

    #[test]
    fn bad_patterns_say_why() {
        for (text, needle) in [
            ("", "empty"),
            ("[12", "never closed"),
            ("[9-1]", "backwards"),
            ("x", "not a key"),
            ("[a-z]", "ranges join two digits"),
            ("[1-z]", "ranges join two digits"),
            ("[x]", "not a key"),
            ("[]", "matches nothing"),
        ] {
            let err = DigitPattern::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(pattern in "\\PC{0,12}", digits in "[0-9*#A-D]{0,20}") {
            if let Ok(p) = DigitPattern::parse(&pattern) {
                let _ = p.matches(&digits);
            }
        }

        #[test]
        fn wildcards_match_exactly_their_length(len in 1usize..20, digits in "[0-9]{0,25}") {
            let p = DigitPattern::parse(&"?".repeat(len)).unwrap();
            prop_assert_eq!(p.matches(&digits), digits.len() == len);
        }
    }
}
